// twofold: the little script the pages need. No inline script anywhere
// (the CSP forbids it); everything hangs off data attributes.
"use strict";

// <button data-copy="text">: copies the text and says so.
for (const button of document.querySelectorAll("[data-copy]")) {
  button.addEventListener("click", async () => {
    const original = button.textContent;
    try {
      await navigator.clipboard.writeText(button.dataset.copy);
      button.textContent = "Copied";
    } catch {
      button.textContent = "Copy failed: select the text instead";
    }
    setTimeout(() => { button.textContent = original; }, 2000);
  });
}

// Buttons that save recovery codes tick "I have saved these codes".
function markSaved() {
  const saved = document.getElementById("saved");
  if (saved) saved.checked = true;
}
for (const button of document.querySelectorAll("[data-marks-saved]")) {
  button.addEventListener("click", markSaved);
}

// <button data-download="name.txt" data-content="…">: saves a text file.
for (const button of document.querySelectorAll("[data-download]")) {
  button.addEventListener("click", () => {
    const blob = new Blob([button.dataset.content], { type: "text/plain" });
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = button.dataset.download;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 1000);
  });
}

for (const button of document.querySelectorAll("[data-print]")) {
  button.addEventListener("click", () => window.print());
}

// ---------------------------------------------------------------------------
// Passkeys (WebAuthn). The server sends webauthn-rs JSON ({publicKey: …});
// browsers that lack parseCreationOptionsFromJSON / toJSON get a small
// base64url fallback. Every failure ends in a readable message.

const b64u = {
  encode(buffer) {
    let text = "";
    for (const byte of new Uint8Array(buffer)) text += String.fromCharCode(byte);
    return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  },
  decode(text) {
    const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    const padded = base64 + "===".slice((base64.length + 3) % 4);
    return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
  },
};

function creationOptions(json) {
  if (PublicKeyCredential.parseCreationOptionsFromJSON) {
    return PublicKeyCredential.parseCreationOptionsFromJSON(json);
  }
  return {
    ...json,
    challenge: b64u.decode(json.challenge),
    user: { ...json.user, id: b64u.decode(json.user.id) },
    excludeCredentials: (json.excludeCredentials || []).map((c) => ({ ...c, id: b64u.decode(c.id) })),
  };
}

function requestOptions(json) {
  if (PublicKeyCredential.parseRequestOptionsFromJSON) {
    return PublicKeyCredential.parseRequestOptionsFromJSON(json);
  }
  return {
    ...json,
    challenge: b64u.decode(json.challenge),
    allowCredentials: (json.allowCredentials || []).map((c) => ({ ...c, id: b64u.decode(c.id) })),
  };
}

function credentialJSON(credential) {
  if (typeof credential.toJSON === "function") return credential.toJSON();
  const r = credential.response;
  const response = { clientDataJSON: b64u.encode(r.clientDataJSON) };
  if (r.attestationObject) {
    response.attestationObject = b64u.encode(r.attestationObject);
    response.transports = r.getTransports ? r.getTransports() : [];
  } else {
    response.authenticatorData = b64u.encode(r.authenticatorData);
    response.signature = b64u.encode(r.signature);
    if (r.userHandle) response.userHandle = b64u.encode(r.userHandle);
  }
  return {
    id: credential.id,
    rawId: b64u.encode(credential.rawId),
    type: credential.type,
    response,
    clientExtensionResults: credential.getClientExtensionResults(),
    authenticatorAttachment: credential.authenticatorAttachment || undefined,
  };
}

async function postJSON(path, body) {
  const response = await fetch(path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body || {}),
    credentials: "same-origin",
  });
  const data = await response.json().catch(() => ({}));
  return { ok: response.ok, status: response.status, data };
}

function explain(error) {
  switch (error && error.name) {
    case "NotAllowedError":
      return "The passkey request was cancelled or timed out. Try again.";
    case "InvalidStateError":
      return "This passkey or security key is already registered to your account.";
    case "SecurityError":
      return "This browser refused the passkey request for this site.";
    case "NotSupportedError":
      return "This browser or device cannot use passkeys here.";
    case "AbortError":
      return "";
    default:
      return (error && error.message) || "Something went wrong with the passkey. Try again.";
  }
}

function show(id, message) {
  const box = document.getElementById(id);
  if (!box) return;
  box.textContent = message;
  box.hidden = !message;
}

function webauthnAvailable(statusId) {
  if (window.PublicKeyCredential && navigator.credentials) return true;
  show(statusId, "This browser does not support passkeys.");
  return false;
}

// Security page: add a passkey. The name and the button are a form, so
// Enter adds too. With the step-up window open the ceremony runs here. When
// it is closed, the typed name waits in this tab's sessionStorage and the
// form itself goes to the server, which shows the step-up screen; after the
// proof the server sends the browser back to #add-passkey, and the
// registration continues with that name, no second click.
const PENDING_PASSKEY_NAME = "twofold.pendingPasskeyName";
const RESUME_MARK = "#add-passkey";

async function addPasskeyNamed(form, name, resuming) {
  if (!webauthnAvailable("passkey-error")) return;
  show("passkey-error", "");
  const options = await postJSON("/api/v1/me/mfa/passkeys/options", { name });
  const code = options.data.error && options.data.error.code;
  if (options.status === 403 && code === "reauth_required") {
    // Coming back without the window open (e.g. Cancel) must not loop.
    if (resuming) return;
    sessionStorage.setItem(PENDING_PASSKEY_NAME, name);
    form.submit();
    return;
  }
  if (!options.ok) {
    show("passkey-error", (options.data.error && options.data.error.message) || "Could not start.");
    return;
  }
  try {
    const credential = await navigator.credentials.create({ publicKey: creationOptions(options.data.publicKey) });
    const finish = document.getElementById("passkey-finish");
    finish.elements.ceremony_id.value = options.data.ceremony_id;
    finish.elements.name.value = name;
    finish.elements.credential.value = JSON.stringify(credentialJSON(credential));
    finish.submit();
  } catch (error) {
    show("passkey-error", explain(error));
  }
}

const addPasskey = document.getElementById("passkey-add");
if (addPasskey) {
  const nameField = document.getElementById("passkey-name");
  addPasskey.addEventListener("submit", (event) => {
    event.preventDefault();
    addPasskeyNamed(addPasskey, nameField.value, false);
  });
  const pending = sessionStorage.getItem(PENDING_PASSKEY_NAME);
  sessionStorage.removeItem(PENDING_PASSKEY_NAME);
  if (pending !== null) {
    nameField.value = pending;
    if (location.hash === RESUME_MARK) addPasskeyNamed(addPasskey, pending, true);
  }
}

// Security page: keep password managers in step with our list.
const passkeyList = document.getElementById("passkeys");
if (passkeyList && passkeyList.dataset.userId && window.PublicKeyCredential) {
  const ids = (passkeyList.dataset.credentialIds || "").split(",").filter(Boolean);
  const rpId = passkeyList.dataset.rpId;
  const userId = passkeyList.dataset.userId;
  if (PublicKeyCredential.signalAllAcceptedCredentials) {
    PublicKeyCredential.signalAllAcceptedCredentials({ rpId, userId, allAcceptedCredentialIds: ids }).catch(() => {});
  }
  if (PublicKeyCredential.signalCurrentUserDetails) {
    const name = passkeyList.dataset.email;
    PublicKeyCredential.signalCurrentUserDetails({ rpId, userId, name, displayName: name }).catch(() => {});
  }
}

// Sign-in page: passwordless, by button or by autofill.
async function passwordless(mediation, signal) {
  const options = await postJSON("/api/v1/sessions/passkey/options");
  if (!options.ok) throw new Error("Could not start the passkey sign-in.");
  const request = { publicKey: requestOptions(options.data.publicKey), signal };
  if (mediation) request.mediation = mediation;
  const credential = await navigator.credentials.get(request);
  const json = credentialJSON(credential);
  const result = await postJSON("/api/v1/sessions/passkey", { ceremony_id: options.data.ceremony_id, credential: json });
  if (result.ok) {
    location.assign("/settings/security");
    return;
  }
  const code = result.data.error && result.data.error.code;
  if (code === "unknown_credential" && PublicKeyCredential.signalUnknownCredential) {
    // Ask the password manager to forget a passkey we no longer know.
    PublicKeyCredential.signalUnknownCredential({ rpId: location.hostname, credentialId: json.id }).catch(() => {});
  }
  throw new Error((result.data.error && result.data.error.message) || "The passkey could not be verified.");
}

const passkeySignIn = document.getElementById("passkey-sign-in");
if (passkeySignIn && window.PublicKeyCredential) {
  let conditional = null;
  const autofill = passkeySignIn.dataset.autofill === "true";
  if (autofill && PublicKeyCredential.isConditionalMediationAvailable) {
    PublicKeyCredential.isConditionalMediationAvailable().then((available) => {
      if (!available) return;
      conditional = new AbortController();
      passwordless("conditional", conditional.signal).catch(() => {
        // Autofill that ends without a choice is not an error worth showing.
      });
    });
  }
  passkeySignIn.addEventListener("click", async () => {
    if (conditional) conditional.abort();
    show("passkey-error", "");
    try {
      await passwordless(null, undefined);
    } catch (error) {
      show("passkey-error", explain(error));
    }
  });
}

// MFA page: a passkey or security key as the second factor.
const mfaPasskey = document.getElementById("use-passkey");
if (mfaPasskey) {
  mfaPasskey.addEventListener("click", async () => {
    if (!webauthnAvailable("passkey-error")) return;
    show("passkey-error", "");
    try {
      const options = await postJSON("/api/v1/sessions/mfa/webauthn/options");
      if (!options.ok) throw new Error((options.data.error && options.data.error.message) || "Could not start.");
      const credential = await navigator.credentials.get({ publicKey: requestOptions(options.data.publicKey) });
      const result = await postJSON("/api/v1/sessions/mfa", { method: "webauthn", credential: credentialJSON(credential) });
      if (!result.ok) throw new Error((result.data.error && result.data.error.message) || "The passkey could not be verified.");
      location.assign("/settings/security");
    } catch (error) {
      show("passkey-error", explain(error));
    }
  });
}

// Step-up screen: confirm with a passkey, then continue the change.
const reauthPasskey = document.getElementById("reauth-passkey");
if (reauthPasskey) {
  reauthPasskey.addEventListener("click", async () => {
    if (!webauthnAvailable("passkey-error")) return;
    show("passkey-error", "");
    try {
      const options = await postJSON("/api/v1/sessions/current/reauth/webauthn/options");
      if (!options.ok) throw new Error((options.data.error && options.data.error.message) || "Could not start.");
      const credential = await navigator.credentials.get({ publicKey: requestOptions(options.data.publicKey) });
      const result = await postJSON("/api/v1/sessions/current/reauth", {
        method: "webauthn",
        ceremony_id: options.data.ceremony_id,
        credential: credentialJSON(credential),
      });
      if (!result.ok) throw new Error((result.data.error && result.data.error.message) || "The passkey could not be verified.");
      document.getElementById("continue").submit();
    } catch (error) {
      show("passkey-error", explain(error));
    }
  });
}

// Token page: <button data-copy-from="id"> copies the value of the field
// `id` (a token shown once) and stays "Copied"; when the clipboard refuses,
// the field is selected for copying by hand.
for (const button of document.querySelectorAll("[data-copy-from]")) {
  const field = document.getElementById(button.dataset.copyFrom);
  if (!field) continue;
  field.addEventListener("focus", () => field.select());
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(field.value);
      button.textContent = "Copied";
      button.classList.add("copied");
    } catch {
      field.focus();
      field.select();
      button.textContent = "Press Ctrl+C to copy";
    }
  });
}
