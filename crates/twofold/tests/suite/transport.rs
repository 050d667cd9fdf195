//! The transport around the handlers: the origin check, slow and numerous
//! clients, client addresses on a dual-stack listener behind a proxy, and
//! the mode of the database files.

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, COOKIE, ORIGIN};
use serde_json::json;
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use twofold_app::Policy;
use twofold_server::TransportLimits;
use twofold_testkit::{Backend, TestDb, TestServer, on_both_backends};

use crate::{PASSWORD, create_owner, error_code, get_bearer, read, sign_in};

on_both_backends!(only_a_bearer_token_on_the_api_skips_the_origin_check);

/// Credentials a browser attaches by itself (cached Basic, intranet
/// Kerberos/NTLM), even to a form another site posts.
const AMBIENT_CREDENTIALS: [&str; 3] = [
    "Basic dXNlcjpwYXNzd29yZA==",
    "Negotiate YIIGhgYGKwYBBQUCoIIGejCCBnag",
    "NTLM TlRMTVNTUAABAAAAB4IIogAAAAAAAAAAAAAAAAAAAAA=",
];

async fn only_a_bearer_token_on_the_api_skips_the_origin_check(backend: Backend) {
    let db = TestDb::new(backend).await;
    let server = TestServer::start(&db).await;
    create_owner(&server, "owner@example.com").await;
    let victim = sign_in(&server, "owner@example.com").await;
    let other = sign_in(&server, "owner@example.com").await;
    let from_evil_site = |path: &str| {
        server
            .client()
            .post(server.url(path))
            .header(ORIGIN, "http://evil.example")
    };

    // A cross-site form to a page, with the victim's cookie and whatever
    // `Authorization` came along: pages authenticate by cookie, so all are
    // checked, a bearer token included.
    let bearer = format!("Bearer {victim}");
    for authorization in AMBIENT_CREDENTIALS.into_iter().chain([bearer.as_str()]) {
        let response = from_evil_site("/settings/security/sessions/revoke-others")
            .header(COOKIE, format!("twofold_session={victim}"))
            .header("sec-fetch-site", "cross-site")
            .header(AUTHORIZATION, authorization)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{authorization}");
    }
    let (status, _) = get_bearer(&server.client(), &server, "/api/v1/me", &other).await;
    assert_eq!(status, StatusCode::OK, "the other session was revoked");

    // On the API only a bearer token skips the check: a cross-site sign-in
    // carrying a cached Basic credential is refused (login CSRF).
    for authorization in AMBIENT_CREDENTIALS {
        let sign_in = from_evil_site("/api/v1/sessions")
            .header(AUTHORIZATION, authorization)
            .json(&json!({"email": "owner@example.com", "password": PASSWORD}));
        let (status, body) = read(sign_in.send().await.unwrap()).await;
        assert_eq!(
            (status, error_code(&body)),
            (StatusCode::FORBIDDEN, "forbidden"),
            "{authorization}"
        );
    }

    // A non-browser client with a real bearer token may send any Origin.
    let reauth = from_evil_site("/api/v1/sessions/current/reauth")
        .bearer_auth(&victim)
        .json(&json!({"method": "password", "password": PASSWORD}));
    let (status, body) = read(reauth.send().await.unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// A server with limits short enough for a test: 1 s timeouts.
async fn start_with_short_limits(db: &TestDb, max_connections: usize) -> TestServer {
    TestServer::start_configured(db, Policy::default(), |web| {
        web.limits = TransportLimits {
            header_read_timeout: Duration::from_secs(1),
            request_timeout: Duration::from_secs(1),
            max_connections,
        };
    })
    .await
}

/// Reads until the server closes the connection (end of stream or reset)
/// and returns what it sent; fails the test if it is still open after
/// `within`.
async fn read_until_closed(stream: &mut (impl AsyncRead + Unpin), within: Duration) -> Vec<u8> {
    let mut received = Vec::new();
    let closed = tokio::time::timeout(within, async {
        let mut buffer = [0_u8; 4096];
        while let Ok(n @ 1..) = stream.read(&mut buffer).await {
            received.extend_from_slice(&buffer[..n]);
        }
    })
    .await;
    assert!(
        closed.is_ok(),
        "the connection was still open after {within:?}"
    );
    received
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_trickles_its_headers_is_dropped_while_others_are_served() {
    let db = TestDb::new(Backend::Sqlite).await;
    let server = start_with_short_limits(&db, 64).await;
    let opened = Instant::now();
    let (mut from_server, mut to_server) =
        TcpStream::connect(server.addr).await.unwrap().into_split();
    // One header line every 100 ms for 5 s: the head is never complete.
    let trickle = tokio::spawn(async move {
        to_server
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n")
            .await?;
        for i in 0..50 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            to_server
                .write_all(format!("x-slow-{i}: y\r\n").as_bytes())
                .await?;
        }
        std::io::Result::Ok(())
    });

    let meanwhile = server.client().get(server.url("/healthz")).send().await;
    assert_eq!(meanwhile.unwrap().status(), StatusCode::OK);

    let received = read_until_closed(&mut from_server, Duration::from_secs(4)).await;
    let open_for = opened.elapsed();
    assert!(
        open_for >= Duration::from_millis(900),
        "closed after {open_for:?}, before the header timeout"
    );
    assert!(
        !String::from_utf8_lossy(&received).contains("200 OK"),
        "an unfinished request was answered"
    );
    trickle.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_finishes_its_body_gets_408_and_is_dropped() {
    let db = TestDb::new(Backend::Sqlite).await;
    let server = start_with_short_limits(&db, 64).await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream
        .write_all(
            b"POST /api/v1/sessions HTTP/1.1\r\nHost: localhost\r\n\
              Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"email\":",
        )
        .await
        .unwrap();
    let answer = read_until_closed(&mut stream, Duration::from_secs(4)).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains(r#""code":"request_timeout""#), "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_head_above_64_kib_is_refused() {
    let db = TestDb::new(Backend::Sqlite).await;
    let server = TestServer::start(&db).await;
    let get_with_header = |size: usize| {
        server
            .client()
            .get(server.url("/healthz"))
            .header("x-padding", "a".repeat(size))
            .send()
    };
    let refused = get_with_header(twofold_server::MAX_HEAD_BYTES)
        .await
        .unwrap();
    assert_eq!(
        refused.status(),
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE
    );
    let served = get_with_header(32 * 1024).await.unwrap();
    assert_eq!(served.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_sockets_at_the_connection_cap_are_dropped_and_the_next_client_is_served() {
    let db = TestDb::new(Backend::Sqlite).await;
    let server = start_with_short_limits(&db, 4).await;
    let mut idle = Vec::new();
    for _ in 0..4 {
        idle.push(TcpStream::connect(server.addr).await.unwrap());
    }
    let client = server.client();
    let url = server.url("/healthz");
    let mut next = tokio::spawn(async move { client.get(url).send().await.map(|r| r.status()) });

    // The cap holds: the next client waits while the idle sockets fill it…
    let early = tokio::time::timeout(Duration::from_millis(500), &mut next).await;
    assert!(early.is_err(), "served past the connection cap: {early:?}");
    // …until the header timeout drops them.
    let status = tokio::time::timeout(Duration::from_secs(4), next)
        .await
        .expect("the next client was not served after the idle sockets were dropped");
    assert_eq!(status.unwrap().unwrap(), StatusCode::OK);
    for mut socket in idle {
        read_until_closed(&mut socket, Duration::from_secs(1)).await;
    }
}

const BIN: &str = env!("CARGO_BIN_EXE_twofold");

/// A port nobody listens on, for the family of `any` (`127.0.0.1:0`, `[::]:0`).
fn free_port(any: &str) -> u16 {
    std::net::TcpListener::bind(any)
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `twofold` with only the given `TWOFOLD_*` variables set.
fn twofold_command(args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(BIN);
    command.args(args);
    for (name, _) in std::env::vars() {
        if name.starts_with("TWOFOLD_") {
            command.env_remove(name);
        }
    }
    command.envs(env.iter().copied());
    command
}

/// Runs `twofold serve` (JSON logs) and waits for `/healthz` at `base`.
async fn serve(env: &[(&str, &str)], base: &str) -> tokio::process::Child {
    let mut command = tokio::process::Command::from(twofold_command(&["serve"], env));
    let child = command
        .env("TWOFOLD_LOG_FORMAT", "json")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(r) = reqwest::get(format!("{base}/healthz")).await
            && r.status().is_success()
        {
            return child;
        }
        assert!(Instant::now() < deadline, "no /healthz within 20 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Sends SIGTERM, expects a clean exit within 10 s, and returns the logs.
async fn stop(mut child: tokio::process::Child) -> String {
    let pid = child.id().unwrap();
    let sent = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("still running 10 s after SIGTERM")
        .unwrap();
    assert!(status.success(), "{status:?}");
    let mut logs = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut logs)
        .await
        .unwrap();
    logs
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_dual_stack_listener_an_ipv4_proxy_is_trusted_and_the_client_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let port = free_port("[::]:0");
    let listen = format!("[::]:{port}");
    let env = [
        ("TWOFOLD_DATA_DIR", data.to_str().unwrap()),
        ("TWOFOLD_LISTEN", listen.as_str()),
        ("TWOFOLD_TRUSTED_PROXIES", "127.0.0.1/32"),
        ("TWOFOLD_SIGNUP", "open"),
        ("TWOFOLD_HEADER_READ_TIMEOUT", "2s"),
    ];
    // Over IPv4 to `[::]`: the peer is `::ffff:127.0.0.1`, the proxy.
    let base = format!("http://127.0.0.1:{port}");
    let child = serve(&env, &base).await;
    let client = reqwest::Client::new();
    let account = json!({"email": "v6@example.com", "password": PASSWORD});
    let created = client
        .post(format!("{base}/api/v1/accounts"))
        .json(&account)
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let (status, body) = read(
        client
            .post(format!("{base}/api/v1/sessions"))
            .header("x-forwarded-for", "203.0.113.9")
            .json(&account)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (_, sessions) = read(
        client
            .get(format!("{base}/api/v1/sessions"))
            .bearer_auth(body["token"].as_str().unwrap())
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(sessions["sessions"][0]["ip"], "203.0.113.9", "{sessions}");

    // An idle client does not hold the graceful shutdown past its timeout.
    let _idle = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let logs = stop(child).await;
    assert!(logs.contains("lists only IPv4 blocks"), "{logs}");
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_database_files_are_private_whatever_the_data_folder() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // As systemd's StateDirectory= or a container volume leaves it.
    std::fs::create_dir(&data).unwrap();
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    let data_dir = data.to_str().unwrap();
    let migrated = twofold_command(&["migrate"], &[("TWOFOLD_DATA_DIR", data_dir)])
        .output()
        .unwrap();
    assert!(
        migrated.status.success(),
        "{}",
        String::from_utf8_lossy(&migrated.stderr)
    );
    let database = data.join("twofold.db");
    assert_eq!(mode(&database), 0o600);

    // A database an older version left readable: tightened at start, and
    // the WAL files SQLite makes while serving follow it.
    std::fs::set_permissions(&database, std::fs::Permissions::from_mode(0o644)).unwrap();
    let port = free_port("127.0.0.1:0");
    let listen = format!("127.0.0.1:{port}");
    let env = [("TWOFOLD_DATA_DIR", data_dir), ("TWOFOLD_LISTEN", &listen)];
    let child = serve(&env, &format!("http://{listen}")).await;
    for name in ["twofold.db", "twofold.db-wal", "twofold.db-shm"] {
        assert_eq!(mode(&data.join(name)), 0o600, "{name}");
    }
    assert_eq!(mode(&data.join("key")), 0o600);
    stop(child).await;
}
