//! The released binary, as operators and outside checks drive it.

use std::io::Write as _;
use std::os::unix::fs::PermissionsExt as _;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;
use twofold_testkit::{
    Actor, Backend, Guest, TestDb, TestServer, events_of_kind, oathtool, on_both_backends,
};

use crate::{PASSWORD, open_instance};

const BIN: &str = env!("CARGO_BIN_EXE_twofold");

/// Runs the binary with only the given `TWOFOLD_*` variables set.
fn twofold(args: &[&str], env: &[(&str, &str)], stdin: Option<&str>) -> Output {
    let mut command = Command::new(BIN);
    command
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (name, _) in std::env::vars() {
        if name.starts_with("TWOFOLD_") {
            command.env_remove(name);
        }
    }
    command.envs(env.iter().copied());
    let mut child = command.spawn().unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).unwrap();
    }
    drop(input);
    child.wait_with_output().unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn key_generate_prints_a_fresh_key_or_writes_a_private_file() {
    let a = twofold(&["key", "generate"], &[], None);
    let b = twofold(&["key", "generate"], &[], None);
    assert!(a.status.success());
    let key = String::from_utf8(a.stdout).unwrap();
    assert_eq!(key.trim().len(), 43, "{key}");
    assert_ne!(key, String::from_utf8(b.stdout).unwrap());

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("key");
    let out = twofold(
        &["key", "generate", "--out", path.to_str().unwrap()],
        &[],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(out.stdout.is_empty(), "the key goes to the file only");
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let again = twofold(
        &["key", "generate", "--out", path.to_str().unwrap()],
        &[],
        None,
    );
    assert_eq!(again.status.code(), Some(1), "never overwrites a key");
}

#[test]
fn a_bad_setting_stops_with_one_line_and_exit_code_2() {
    for (name, value, setting) in [
        ("TWOFOLD_LISTEN", "nowhere", "listen"),
        ("TWOFOLD_PUBLIC_URL", "not a url", "public_url"),
        ("TWOFOLD_DATABASE_URL", "mysql://x", "database_url"),
        ("TWOFOLD_SESSION_LIFETIME", "0s", "session_lifetime"),
        ("TWOFOLD_SIGNUP", "maybe", "signup"),
    ] {
        let out = twofold(&["serve"], &[(name, value)], None);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{name}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(
            err.contains(&format!("`{setting}`")) && err.contains(name),
            "{err}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_mode_refuses_to_start_without_a_key_and_says_how_to_make_one() {
    let db = TestDb::new(Backend::Postgres).await;
    let out = twofold(&["migrate"], &[("TWOFOLD_DATABASE_URL", &db.url)], None);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("twofold key generate"), "{err}");

    let key = db.path("key");
    let made = twofold(
        &["key", "generate", "--out", key.to_str().unwrap()],
        &[],
        None,
    );
    assert!(made.status.success());
    let env = [
        ("TWOFOLD_DATABASE_URL", db.url.as_str()),
        ("TWOFOLD_SECRET_KEY_FILE", key.to_str().unwrap()),
    ];
    let out = twofold(&["migrate"], &env, None);
    assert!(out.status.success(), "{}", stderr(&out));
    let created = twofold(
        &[
            "user",
            "create",
            "--email",
            "pg@example.com",
            "--role",
            "owner",
            "--password-stdin",
        ],
        &env,
        Some("correct horse battery\n"),
    );
    assert!(created.status.success(), "{}", stderr(&created));
}

#[test]
fn user_create_reads_the_password_from_stdin_and_refuses_a_duplicate() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let env = [("TWOFOLD_DATA_DIR", data.to_str().unwrap())];
    let create = |email: &str, role: &str, password: &str| {
        twofold(
            &[
                "user",
                "create",
                "--email",
                email,
                "--role",
                role,
                "--password-stdin",
            ],
            &env,
            Some(password),
        )
    };
    let out = create("Admin@Example.com", "admin", "correct horse battery\n");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("admin account Admin@Example.com"));
    let key_mode = std::fs::metadata(data.join("key"))
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(key_mode, 0o600);

    let dup = create("admin@example.com", "member", "another password\n");
    assert_eq!(dup.status.code(), Some(1));
    assert!(stderr(&dup).contains("already exists"), "{}", stderr(&dup));
    let short = create("new@example.com", "member", "short\n");
    assert_eq!(short.status.code(), Some(1));
    assert!(stderr(&short).contains("at least 8 characters"));
    let role = create("new@example.com", "root", "correct horse battery\n");
    assert_eq!(role.status.code(), Some(1));
}

/// `twofold serve` on the embedded default: key and database created in the
/// data folder, `/healthz` answers, a CLI-created user signs in, SIGTERM
/// stops it cleanly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_runs_on_the_embedded_default_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("twofold-data");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listen = format!("127.0.0.1:{port}");
    let env = [
        ("TWOFOLD_DATA_DIR", data.to_str().unwrap()),
        ("TWOFOLD_LISTEN", listen.as_str()),
    ];
    let created = twofold(
        &[
            "user",
            "create",
            "--email",
            "cli@example.com",
            "--role",
            "owner",
            "--password-stdin",
        ],
        &env,
        Some("correct horse battery"),
    );
    assert!(created.status.success(), "{}", stderr(&created));

    let mut child = tokio::process::Command::new(BIN)
        .arg("serve")
        .envs(env)
        .env("TWOFOLD_LOG_FORMAT", "json")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(r) = client.get(format!("{base}/healthz")).send().await
            && r.status().is_success()
        {
            break;
        }
        assert!(Instant::now() < deadline, "no /healthz within 20 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(data.join("twofold.db").exists());
    let response = client
        .post(format!("{base}/api/v1/sessions"))
        .json(&json!({"email": "cli@example.com", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);

    let pid = child.id().unwrap();
    Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "{status:?}");
    let mut logs = String::new();
    tokio::io::AsyncReadExt::read_to_string(&mut child.stderr.take().unwrap(), &mut logs)
        .await
        .unwrap();
    assert!(
        logs.lines().all(|l| l.starts_with('{')),
        "JSON logs: {logs}"
    );
    assert!(logs.contains("shutting down"), "{logs}");
    assert!(!logs.contains(PASSWORD), "a password reached the logs");
}

#[test]
fn a_wrong_server_key_is_detected_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let env = [("TWOFOLD_DATA_DIR", data.to_str().unwrap())];
    let out = twofold(&["migrate"], &env, None);
    assert!(out.status.success(), "{}", stderr(&out));
    // Another key for the same database: refused before serving anything.
    let other = dir.path().join("other-key");
    assert!(
        twofold(
            &["key", "generate", "--out", other.to_str().unwrap()],
            &[],
            None
        )
        .status
        .success()
    );
    let env = [
        ("TWOFOLD_DATA_DIR", data.to_str().unwrap()),
        ("TWOFOLD_SECRET_KEY_FILE", other.to_str().unwrap()),
    ];
    let out = twofold(&["serve"], &env, None);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("`secret_key_file`") && err.contains("not the server key"),
        "{err}"
    );
    // The original key still works.
    let out = twofold(
        &["migrate"],
        &[("TWOFOLD_DATA_DIR", data.to_str().unwrap())],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
}

on_both_backends!(
    recover_disable_2fa_resets_a_locked_out_account_beside_a_running_server,
    recover_disable_2fa_exits_1_for_an_unknown_email_or_nothing_to_remove,
    user_list_prints_a_table_or_json_lines_with_the_database_settings_alone,
    user_set_role_changes_a_role_and_keeps_the_last_owner,
    user_disable_and_enable_end_sessions_refuse_sign_in_and_keep_the_last_owner,
);

/// `twofold recover disable-2fa` with the database URL alone (no key), run
/// off the async workers so the in-process server keeps answering.
async fn recover(db: &TestDb, email: &str) -> Output {
    let url = db.url.clone();
    let email = email.to_owned();
    tokio::task::spawn_blocking(move || {
        twofold(
            &["recover", "disable-2fa", "--email", &email],
            &[("TWOFOLD_DATABASE_URL", &url)],
            None,
        )
    })
    .await
    .unwrap()
}

async fn recover_disable_2fa_resets_a_locked_out_account_beside_a_running_server(backend: Backend) {
    let (db, server) = open_instance(backend).await;
    let locked = "locked@example.com";
    let member = Actor::member(&server, locked).await;
    let phone = member.totp().enrol(None).await;
    assert_eq!(phone.recovery_codes.len(), 10);
    let second = Guest::new(&server)
        .challenge(locked)
        .await
        .totp(&oathtool(&phone.secret, &server))
        .await
        .expect(StatusCode::CREATED);
    let second = Actor::with_token(&server, second["token"].as_str().unwrap());
    // A sibling instance on the same database sees the same sessions.
    let sibling = TestServer::start_sibling(&db, &server).await;
    let on_sibling = Actor::with_token(&sibling, &member.token);
    on_sibling
        .get("/api/v1/me/mfa")
        .await
        .expect(StatusCode::OK);

    let out = recover(&db, locked).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "removed 1 authenticator app, 0 passkeys, 10 recovery codes; \
         ended 2 sessions; revoked 0 access tokens for locked@example.com\n"
    );

    for holder in [&member, &second, &on_sibling] {
        holder
            .get("/api/v1/me/mfa")
            .await
            .refused(StatusCode::UNAUTHORIZED, "unauthenticated");
    }
    let again = Actor::sign_in(&server, locked, PASSWORD).await;
    let mfa = again.mfa().await;
    assert_eq!(
        mfa,
        json!({"enabled": false, "totp": [], "passkeys": [], "recovery_codes": null})
    );

    let owner = Actor::sign_in(&server, "owner@example.com", PASSWORD).await;
    let page = owner
        .get("/api/v1/admin/events?kind=mfa.reset")
        .await
        .expect(StatusCode::OK);
    let resets = events_of_kind(&page, "mfa.reset");
    assert_eq!(resets.len(), 1, "{page}");
    assert_eq!(resets[0]["actor"]["kind"], "cli");
    assert_eq!(
        resets[0]["detail"]["removed"],
        json!({"totp": 1, "passkeys": 0, "recovery_codes": 10, "sessions": 2, "tokens": 0})
    );
    let text = page.to_string();
    assert!(
        !phone.recovery_codes.iter().any(|code| text.contains(code))
            && !text.contains(&phone.secret),
        "a secret reached the audit log"
    );
}

async fn recover_disable_2fa_exits_1_for_an_unknown_email_or_nothing_to_remove(backend: Backend) {
    let (db, server) = open_instance(backend).await;
    drop(server);

    let unknown = recover(&db, "nobody@example.com").await;
    assert_eq!(unknown.status.code(), Some(1), "{}", stderr(&unknown));
    assert!(
        stderr(&unknown).contains("no account"),
        "{}",
        stderr(&unknown)
    );
    assert!(unknown.stdout.is_empty());

    // The owner has a password only: nothing to remove, nothing changed.
    let nothing = recover(&db, "owner@example.com").await;
    assert_eq!(nothing.status.code(), Some(1), "{}", stderr(&nothing));
    assert!(
        stderr(&nothing).contains("nothing to reset"),
        "{}",
        stderr(&nothing)
    );
}

#[test]
fn recover_disable_2fa_exits_2_on_a_bad_database_setting() {
    let dir = tempfile::tempdir().unwrap();
    let missing = format!("sqlite://{}", dir.path().join("none.db").display());
    for url in [
        "mysql://x",
        missing.as_str(),
        "postgres://postgres@127.0.0.1:1/none",
    ] {
        let out = twofold(
            &["recover", "disable-2fa", "--email", "a@example.com"],
            &[("TWOFOLD_DATABASE_URL", url)],
            None,
        );
        assert_eq!(out.status.code(), Some(2), "{url}: {}", stderr(&out));
        assert!(out.stdout.is_empty());
    }
    assert!(
        !dir.path().join("none.db").exists(),
        "a missing database is not created"
    );
}

/// `twofold user list` with the database URL alone (no key), off the async
/// workers so an in-process server keeps answering.
async fn user_list(db: &TestDb, args: &'static [&'static str]) -> Output {
    let url = db.url.clone();
    tokio::task::spawn_blocking(move || twofold(args, &[("TWOFOLD_DATABASE_URL", &url)], None))
        .await
        .unwrap()
}

async fn user_list_prints_a_table_or_json_lines_with_the_database_settings_alone(backend: Backend) {
    let (db, server) = open_instance(backend).await;
    let member = Actor::member(&server, "mia@example.com").await;
    let phone = member.totp().enrol(None).await;

    let table = user_list(&db, &["user", "list"]).await;
    assert_eq!(table.status.code(), Some(0), "{}", stderr(&table));
    let text = String::from_utf8_lossy(&table.stdout).into_owned();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines[0].starts_with("EMAIL"), "{text}");
    let mia: Vec<&str> = lines[1].split_whitespace().collect();
    assert_eq!(
        mia[..6],
        ["mia@example.com", "member", "on", "1", "0", "10"],
        "{text}"
    );
    let owner: Vec<&str> = lines[2].split_whitespace().collect();
    assert_eq!(
        owner[..6],
        ["owner@example.com", "owner", "off", "0", "0", "0"],
        "{text}"
    );
    assert!(!text.contains(&phone.secret));

    drop(server);
    let json_lines = user_list(&db, &["user", "list", "--json"]).await;
    assert_eq!(json_lines.status.code(), Some(0), "{}", stderr(&json_lines));
    let text = String::from_utf8_lossy(&json_lines.stdout).into_owned();
    let users: Vec<serde_json::Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(users.len(), 2, "{text}");
    assert_eq!(users[0]["email"], "mia@example.com");
    assert_eq!(users[0]["role"], "member");
    assert_eq!(users[0]["mfa"], true);
    assert_eq!(
        (
            &users[0]["totp"],
            &users[0]["passkeys"],
            &users[0]["recovery_codes_left"]
        ),
        (&json!(1), &json!(0), &json!(10))
    );
    assert!(users[0]["last_sign_in"].is_string(), "{text}");
    assert_eq!(users[1]["email"], "owner@example.com");
    assert_eq!(users[1]["mfa"], false);
    assert!(!text.contains(&phone.secret));
}

/// `twofold user set-role` with the database URL alone (no key), off the
/// async workers so an in-process server keeps answering.
async fn set_role(db: &TestDb, email: &str, role: &str) -> Output {
    let url = db.url.clone();
    let (email, role) = (email.to_owned(), role.to_owned());
    tokio::task::spawn_blocking(move || {
        twofold(
            &["user", "set-role", "--email", &email, "--role", &role],
            &[("TWOFOLD_DATABASE_URL", &url)],
            None,
        )
    })
    .await
    .unwrap()
}

async fn user_set_role_changes_a_role_and_keeps_the_last_owner(backend: Backend) {
    let (db, server) = open_instance(backend).await;
    let member = Actor::member(&server, "mia@example.com").await;

    let promoted = set_role(&db, "mia@example.com", "admin").await;
    assert_eq!(promoted.status.code(), Some(0), "{}", stderr(&promoted));
    assert_eq!(
        String::from_utf8_lossy(&promoted.stdout),
        "mia@example.com is now admin\n"
    );
    // The running server sees it at once, and so does the member.
    let me = member.get("/api/v1/me").await.expect(StatusCode::OK);
    assert_eq!(me["account"]["role"], "admin", "{me}");
    let own = member.events("").await;
    let changes = events_of_kind(&own, "role.changed");
    assert_eq!(changes.len(), 1, "{own}");
    assert_eq!(changes[0]["actor"]["kind"], "cli");
    assert_eq!(changes[0]["detail"]["from"], "member");
    assert_eq!(changes[0]["detail"]["to"], "admin");

    drop(server);
    let last = set_role(&db, "owner@example.com", "member").await;
    assert_eq!(last.status.code(), Some(1), "{}", stderr(&last));
    assert!(stderr(&last).contains("last owner"), "{}", stderr(&last));
    let unknown = set_role(&db, "nobody@example.com", "admin").await;
    assert_eq!(unknown.status.code(), Some(1), "{}", stderr(&unknown));
    assert!(
        stderr(&unknown).contains("no account"),
        "{}",
        stderr(&unknown)
    );
    let bad = set_role(&db, "mia@example.com", "king").await;
    assert_eq!(bad.status.code(), Some(2), "{}", stderr(&bad));
    assert!(bad.stdout.is_empty());
}

/// `twofold user disable|enable` with the database URL alone (no key), off
/// the async workers so an in-process server keeps answering.
async fn user_status(db: &TestDb, command: &str, email: &str) -> Output {
    let url = db.url.clone();
    let (command, email) = (command.to_owned(), email.to_owned());
    tokio::task::spawn_blocking(move || {
        twofold(
            &["user", &command, "--email", &email],
            &[("TWOFOLD_DATABASE_URL", &url)],
            None,
        )
    })
    .await
    .unwrap()
}

/// On SQLite with the server stopped, on PostgreSQL beside the running
/// server: the member's session ends at once, signing in is answered as a
/// wrong password, and the last active owner stays.
async fn user_disable_and_enable_end_sessions_refuse_sign_in_and_keep_the_last_owner(
    backend: Backend,
) {
    const MIA: &str = "mia@example.com";
    let (db, server) = open_instance(backend).await;
    let token = Actor::member(&server, MIA).await.token;
    let running = backend == Backend::Postgres;
    let server = if running {
        Some(server)
    } else {
        drop(server);
        None
    };

    let disabled = user_status(&db, "disable", MIA).await;
    assert_eq!(disabled.status.code(), Some(0), "{}", stderr(&disabled));
    let said = String::from_utf8_lossy(&disabled.stdout).into_owned();
    assert!(said.starts_with("mia@example.com is disabled"), "{said}");
    let again = user_status(&db, "disable", MIA).await;
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    let last = user_status(&db, "disable", "owner@example.com").await;
    assert_eq!(last.status.code(), Some(1), "{}", stderr(&last));
    assert!(stderr(&last).contains("last owner"), "{}", stderr(&last));
    let unknown = user_status(&db, "enable", "nobody@example.com").await;
    assert_eq!(unknown.status.code(), Some(1), "{}", stderr(&unknown));
    assert!(
        stderr(&unknown).contains("no account"),
        "{}",
        stderr(&unknown)
    );

    let server = match server {
        Some(server) => server,
        None => TestServer::start(&db).await,
    };
    Actor::with_token(&server, &token)
        .get("/api/v1/me")
        .await
        .refused(StatusCode::UNAUTHORIZED, "unauthenticated");
    let guest = Guest::new(&server);
    let refused = guest.sign_in(MIA, PASSWORD).await;
    let wrong = guest.sign_in(MIA, "not the password at all").await;
    assert_eq!(refused, wrong);
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    let listed = user_list(&db, &["user", "list", "--json"]).await;
    let text = String::from_utf8_lossy(&listed.stdout).into_owned();
    let mia: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(
        (&mia["email"], &mia["status"]),
        (&json!(MIA), &json!("disabled")),
        "{text}"
    );
    assert!(mia["disabled_at"].is_string(), "{text}");

    let enabled = user_status(&db, "enable", MIA).await;
    assert_eq!(enabled.status.code(), Some(0), "{}", stderr(&enabled));
    assert_eq!(
        String::from_utf8_lossy(&enabled.stdout),
        "mia@example.com is active\n"
    );
    let member = Actor::sign_in(&server, MIA, PASSWORD).await;
    let own = member.events("").await;
    let off = events_of_kind(&own, "account.disabled");
    let on = events_of_kind(&own, "account.enabled");
    assert_eq!((off.len(), on.len()), (1, 1), "{own}");
    assert_eq!(off[0]["actor"]["kind"], "cli");
    assert_eq!(off[0]["detail"]["sessions"], 1, "{own}");
    assert_eq!(on[0]["actor"]["kind"], "cli");
}

#[test]
fn user_disable_exits_2_on_a_bad_database_setting() {
    let out = twofold(
        &["user", "disable", "--email", "a@example.com"],
        &[("TWOFOLD_DATABASE_URL", "mysql://x")],
        None,
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(out.stdout.is_empty());
}

on_both_backends!(user_reset_password_prints_a_link_that_sets_the_password_once);

/// `twofold user reset-password` with the database URL and public URL alone
/// (no key), off the async workers so the in-process server keeps answering.
async fn reset_password(db: &TestDb, server: &TestServer, email: &str) -> Output {
    let (url, public_url, email) = (db.url.clone(), server.public_url.clone(), email.to_owned());
    tokio::task::spawn_blocking(move || {
        twofold(
            &["user", "reset-password", "--email", &email],
            &[
                ("TWOFOLD_DATABASE_URL", &url),
                ("TWOFOLD_PUBLIC_URL", &public_url),
                ("USER", "operator"),
            ],
            None,
        )
    })
    .await
    .unwrap()
}

async fn user_reset_password_prints_a_link_that_sets_the_password_once(backend: Backend) {
    let (db, server) = open_instance(backend).await;
    let member = Actor::member(&server, "mia@example.com").await;
    member.totp().enrol(None).await;

    let out = reset_password(&db, &server, "MIA@example.com").await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let stdout = String::from_utf8(out.stdout.clone()).unwrap();
    let prefix = format!("{}/set-password?token=", server.public_url);
    let token = stdout
        .trim_end()
        .strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(stderr(&out).contains("mia@example.com"), "{}", stderr(&out));
    assert!(stderr(&out).contains("valid until"), "{}", stderr(&out));
    // Nothing changes until the link is used.
    member.get("/api/v1/me").await.expect(StatusCode::OK);

    let new_password = "plum garnet orbit quay";
    let set = json!({"token": token, "password": new_password});
    Guest::new(&server)
        .post("/api/v1/password/set", set.clone())
        .await
        .expect(StatusCode::NO_CONTENT);
    Guest::new(&server)
        .post("/api/v1/password/set", set)
        .await
        .refused(StatusCode::BAD_REQUEST, "invalid_link");
    member
        .get("/api/v1/me")
        .await
        .refused(StatusCode::UNAUTHORIZED, "unauthenticated");
    // The authenticator app stays: the new password leads to the second step.
    let step = Guest::new(&server)
        .sign_in("mia@example.com", new_password)
        .await
        .expect(StatusCode::OK);
    assert_eq!(step["state"], "mfa_required", "{step}");

    let owner = Actor::sign_in(&server, "owner@example.com", PASSWORD).await;
    let events = owner
        .get("/api/v1/admin/events?kind=password.link_issued")
        .await
        .expect(StatusCode::OK);
    let issued = events_of_kind(&events, "password.link_issued");
    assert_eq!(issued.len(), 1, "{events}");
    assert_eq!(issued[0]["actor"]["kind"], "cli");
    assert_eq!(issued[0]["detail"]["os_user"], "operator");
    assert!(!events.to_string().contains(token));

    let unknown = reset_password(&db, &server, "nobody@example.com").await;
    assert_eq!(unknown.status.code(), Some(1), "{}", stderr(&unknown));
    assert!(unknown.stdout.is_empty());
    assert!(
        stderr(&unknown).contains("no account"),
        "{}",
        stderr(&unknown)
    );
}
