//! The real twofold server, in process, on a free port of `localhost`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::oneshot;
use twofold_app::{App, PasswordHashing, Policy};
use twofold_core::Timestamp;
use twofold_core::password::PasswordHasher;
use twofold_server::{AppState, WebConfig};

use crate::{ManualClock, TestDb};

/// 2023-11-14T22:13:20Z: where every test's clock starts.
pub const START: Timestamp = Timestamp::from_unix(1_700_000_000);

pub struct TestServer {
    /// `http://localhost:PORT`: also the public URL (WebAuthn needs a name).
    pub base: String,
    /// The public URL: `base`, or the first instance's for a sibling.
    pub public_url: String,
    pub addr: SocketAddr,
    pub clock: Arc<ManualClock>,
    pub app: App,
    stop: Option<oneshot::Sender<()>>,
}

impl TestServer {
    /// A server with the default policy on `db`.
    pub async fn start(db: &TestDb) -> Self {
        Self::start_with(db, Policy::default()).await
    }

    pub async fn start_with(db: &TestDb, policy: Policy) -> Self {
        Self::start_configured(db, policy, |_| {}).await
    }

    /// A second instance behind the same public URL as `first` (as behind a
    /// load balancer), with the same clock reading.
    pub async fn start_sibling(db: &TestDb, first: &TestServer) -> Self {
        Self::start_sibling_with(db, first, Policy::default()).await
    }

    /// [`Self::start_sibling`] with this policy (give it `first`'s).
    pub async fn start_sibling_with(db: &TestDb, first: &TestServer, policy: Policy) -> Self {
        let server = Self::launch(db, policy, Some(first.public_url.clone()), |_| {}).await;
        server.clock.set(first.app.now());
        server
    }

    /// A server whose web settings `configure` adjusts (e.g. trusted proxies).
    pub async fn start_configured(
        db: &TestDb,
        policy: Policy,
        configure: impl FnOnce(&mut WebConfig),
    ) -> Self {
        Self::launch(db, policy, None, configure).await
    }

    async fn launch(
        db: &TestDb,
        policy: Policy,
        public_url: Option<String>,
        configure: impl FnOnce(&mut WebConfig),
    ) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let base = format!("http://localhost:{}", addr.port());
        let public = public_url.unwrap_or_else(|| base.clone());
        let clock = Arc::new(ManualClock::at(START));
        let store = db.store().await;
        assert!(
            twofold_app::server_key_matches(store.as_ref(), &db.key)
                .await
                .unwrap(),
            "the database was set up with another server key"
        );
        let public_url = url::Url::parse(&public).unwrap();
        let webauthn = twofold_app::passkeys::relying_party(&public_url, &policy.issuer).unwrap();
        let app = App::new(
            store,
            clock.clone(),
            db.key.clone(),
            PasswordHashing::new(PasswordHasher::new().unwrap(), 2),
            policy,
            Some(webauthn),
        );
        let mut web = WebConfig::from_public_url(&public_url);
        configure(&mut web);
        let state = AppState {
            app: app.clone(),
            web: Arc::new(web),
        };
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(twofold_server::serve(listener, state, async {
            let _ = stopped.await;
        }));
        Self {
            base,
            public_url: public,
            addr,
            clock,
            app,
            stop: Some(stop),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A client with its own cookie jar, as one browser would have.
    pub fn client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap()
    }

    pub fn advance(&self, by: Duration) {
        self.clock.advance(by);
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
