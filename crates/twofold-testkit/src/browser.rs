//! Real Chromium over WebDriver (Debian's `chromium` + `chromedriver`,
//! driven by fantoccini). Every wait has its own timeout; a failed step saves
//! a screenshot under `target/test-artifacts/`.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::wd::Capabilities;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use tempfile::TempDir;

/// A step's failure, with what was being done.
pub type Step<T> = Result<T, String>;

/// A W3C WebDriver extension command: `{base}/session/{id}/{path}`.
#[derive(Debug)]
struct Extension {
    method: http::Method,
    path: String,
    body: Option<serde_json::Value>,
}

impl fantoccini::wd::WebDriverCompatibleCommand for Extension {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!(
            "session/{}/{}",
            session.unwrap_or_default(),
            self.path
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (
            self.method.clone(),
            self.body.as_ref().map(|b| b.to_string()),
        )
    }
}

/// A platform passkey: built in, discoverable, user-verifying.
pub fn platform_authenticator() -> serde_json::Value {
    json!({"protocol": "ctap2", "transport": "internal", "hasResidentKey": true,
           "hasUserVerification": true, "isUserConsenting": true, "isUserVerified": true})
}

/// A roaming security key: USB, no discoverable credentials, with a PIN.
pub fn security_key() -> serde_json::Value {
    json!({"protocol": "ctap2", "transport": "usb", "hasResidentKey": false,
           "hasUserVerification": true, "isUserConsenting": true, "isUserVerified": true})
}

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";
const WAIT: Duration = Duration::from_secs(10);

pub struct Browser {
    pub client: Client,
    name: String,
    _driver: tokio::process::Child,
    _profile: TempDir,
}

fn artifacts() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../target/test-artifacts"
    ))
}

impl Browser {
    /// Starts chromedriver and a headless Chromium; `name` names screenshots.
    pub async fn start(name: &str) -> Self {
        assert!(
            std::path::Path::new(CHROMEDRIVER).exists(),
            "{CHROMEDRIVER} is missing: run ./scripts/test, which installs chromium and chromium-driver"
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver = tokio::process::Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn chromedriver");
        let profile = tempfile::tempdir().unwrap();
        let downloads = profile.path().join("downloads");
        std::fs::create_dir_all(&downloads).unwrap();
        let mut caps = Capabilities::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": CHROMIUM,
                "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                         "--no-first-run", "--disable-background-networking",
                         "--disable-component-update", "--disable-sync", "--window-size=1000,900",
                         format!("--user-data-dir={}", profile.path().display())],
                "prefs": {
                    "download.default_directory": downloads.display().to_string(),
                    "download.prompt_for_download": false,
                },
            }),
        );
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let deadline = Instant::now() + Duration::from_secs(20);
        let client = loop {
            match ClientBuilder::new(connector.clone())
                .capabilities(caps.clone())
                .connect(&format!("http://127.0.0.1:{port}"))
                .await
            {
                Ok(client) => break client,
                Err(e) if Instant::now() > deadline => panic!("no WebDriver session: {e}"),
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        };
        Self {
            client,
            name: name.to_owned(),
            _driver: driver,
            _profile: profile,
        }
    }

    /// Runs `flow` in a fresh Chromium, then ends it as `finish` does.
    pub async fn run(name: &str, flow: impl AsyncFnOnce(&Browser) -> Step<()>) {
        let browser = Self::start(name).await;
        let outcome = flow(&browser).await;
        browser.finish(outcome).await;
    }

    /// Adds a WebDriver virtual authenticator; its id.
    pub async fn add_authenticator(&self, options: serde_json::Value) -> Step<String> {
        let id = self
            .client
            .issue_cmd(Extension {
                method: http::Method::POST,
                path: "webauthn/authenticator".into(),
                body: Some(options),
            })
            .await
            .map_err(|e| format!("add virtual authenticator: {e}"))?;
        id.as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("authenticator id: {id}"))
    }

    pub async fn remove_authenticator(&self, id: &str) -> Step<()> {
        self.client
            .issue_cmd(Extension {
                method: http::Method::DELETE,
                path: format!("webauthn/authenticator/{id}"),
                body: None,
            })
            .await
            .map(|_| ())
            .map_err(|e| format!("remove virtual authenticator: {e}"))
    }

    /// The credentials a virtual authenticator holds.
    pub async fn authenticator_credentials(&self, id: &str) -> Step<Vec<serde_json::Value>> {
        let value = self
            .client
            .issue_cmd(Extension {
                method: http::Method::GET,
                path: format!("webauthn/authenticator/{id}/credentials"),
                body: None,
            })
            .await
            .map_err(|e| format!("authenticator credentials: {e}"))?;
        Ok(value.as_array().cloned().unwrap_or_default())
    }

    /// Grants the current page's origin a permission (e.g. `clipboard-read`),
    /// by the Permissions spec's WebDriver command.
    pub async fn grant(&self, permission: &str) -> Step<()> {
        self.client
            .issue_cmd(Extension {
                method: http::Method::POST,
                path: "permissions".into(),
                body: Some(json!({"descriptor": {"name": permission}, "state": "granted"})),
            })
            .await
            .map(|_| ())
            .map_err(|e| format!("grant {permission}: {e}"))
    }

    /// What the page's clipboard holds (needs `clipboard-read`, see [`Self::grant`]).
    pub async fn clipboard(&self) -> Step<String> {
        let script = "const done = arguments[arguments.length - 1];
            navigator.clipboard.readText().then(done, (e) => done({ error: String(e) }));";
        let value = self
            .client
            .execute_async(script, vec![])
            .await
            .map_err(|e| format!("read the clipboard: {e}"))?;
        value
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("read the clipboard: {value}"))
    }

    /// The current value of the field matching `css`.
    pub async fn value(&self, css: &str) -> Step<String> {
        self.find(css)
            .await?
            .prop("value")
            .await
            .map_err(|e| format!("value of {css}: {e}"))?
            .ok_or_else(|| format!("{css} has no value"))
    }

    /// Where the browser saves downloads.
    pub fn downloads(&self) -> PathBuf {
        self._profile.path().join("downloads")
    }

    /// Waits (up to 10 s) for a finished download named `name`; its text.
    pub async fn downloaded(&self, name: &str) -> Step<String> {
        let path = self.downloads().join(name);
        let deadline = Instant::now() + WAIT;
        loop {
            if let Ok(text) = std::fs::read_to_string(&path) {
                return Ok(text);
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "no download {name} in {}",
                    self.downloads().display()
                ));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn goto(&self, url: &str) -> Step<()> {
        self.client
            .goto(url)
            .await
            .map_err(|e| format!("goto {url}: {e}"))
    }

    /// Waits (up to 10 s) for an element matching `css`.
    pub async fn find(&self, css: &str) -> Step<Element> {
        self.client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await
            .map_err(|e| format!("waiting for {css}: {e}"))
    }

    pub async fn fill(&self, css: &str, text: &str) -> Step<()> {
        let field = self.find(css).await?;
        field
            .clear()
            .await
            .map_err(|e| format!("clear {css}: {e}"))?;
        field
            .send_keys(text)
            .await
            .map_err(|e| format!("type into {css}: {e}"))
    }

    pub async fn click(&self, css: &str) -> Step<()> {
        self.find(css)
            .await?
            .click()
            .await
            .map_err(|e| format!("click {css}: {e}"))
    }

    pub async fn text(&self, css: &str) -> Step<String> {
        self.find(css)
            .await?
            .text()
            .await
            .map_err(|e| format!("text of {css}: {e}"))
    }

    /// Fills each `(css, text)` field, then clicks `button`.
    pub async fn submit(&self, fields: &[(&str, &str)], button: &str) -> Step<()> {
        for (css, text) in fields {
            self.fill(css, text).await?;
        }
        self.click(button).await
    }

    pub async fn press_enter(&self, css: &str) -> Step<()> {
        self.find(css)
            .await?
            .send_keys("\u{E007}")
            .await
            .map_err(|e| format!("press Enter in {css}: {e}"))
    }

    /// Waits (up to 10 s) until an element matching `css` has the text
    /// `expected` (trimmed). Survives navigation: stale elements are looked
    /// up again.
    pub async fn wait_for_text(&self, css: &str, expected: &str) -> Step<()> {
        let deadline = Instant::now() + WAIT;
        let mut seen = String::from("(nothing)");
        loop {
            if let Ok(element) = self.client.find(Locator::Css(css)).await
                && let Ok(text) = element.text().await
            {
                if text.trim() == expected {
                    return Ok(());
                }
                seen = text;
            }
            if Instant::now() > deadline {
                return Err(format!("{css}: expected {expected:?}, saw {seen:?}"));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits (up to 10 s) until the page's path is `path`.
    pub async fn wait_for_path(&self, path: &str) -> Step<()> {
        let deadline = Instant::now() + WAIT;
        loop {
            let url = self
                .client
                .current_url()
                .await
                .map_err(|e| format!("current url: {e}"))?;
            if url.path() == path {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!("expected to reach {path}, still at {url}"));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Ends the session; on a failed run, saves a screenshot and panics.
    pub async fn finish(self, outcome: Step<()>) {
        if let Err(failure) = &outcome {
            let dir = artifacts();
            let _ = std::fs::create_dir_all(&dir);
            let file = dir.join(format!("{}.png", self.name));
            if let Ok(png) = self.client.screenshot().await {
                let _ = std::fs::write(&file, png);
            }
            let _ = self.client.close().await;
            panic!(
                "browser test failed: {failure}\n(screenshot: {})",
                file.display()
            );
        }
        let _ = self.client.close().await;
    }
}
