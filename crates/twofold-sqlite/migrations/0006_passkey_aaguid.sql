-- The authenticator model (AAGUID), when its attestation names one.
ALTER TABLE passkeys ADD COLUMN aaguid BLOB;
