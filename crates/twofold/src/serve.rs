//! `twofold serve`: listen, sweep expired rows, stop on a signal.

use std::sync::Arc;

use twofold_server::{AppState, WebConfig};

use crate::config::Settings;
use crate::{Failure, open};

pub(crate) async fn serve(settings: Settings) -> Result<(), Failure> {
    raise_open_files_limit(settings.transport.max_connections);
    let app = open(&settings).await?;
    let listener = tokio::net::TcpListener::bind(settings.listen)
        .await
        .map_err(|e| Failure::Other(format!("cannot listen on {}: {e}", settings.listen)))?;
    if twofold_server::client_ip::ipv6_listener_trusts_only_ipv4(
        settings.listen,
        &settings.trusted_proxies,
    ) {
        tracing::warn!(
            listen = %settings.listen,
            "trusted_proxies lists only IPv4 blocks while twofold listens on IPv6: IPv4 proxies \
             (also seen as ::ffff:a.b.c.d) are trusted, a proxy connecting over IPv6 (e.g. ::1) \
             is not; add its address if it does"
        );
    }
    let web = WebConfig {
        trusted_proxies: settings.trusted_proxies.clone(),
        limits: settings.transport,
        ..WebConfig::from_public_url(&settings.public_url)
    };
    let state = AppState {
        app,
        web: Arc::new(web),
    };
    // Housekeeping every ten minutes; every instance may run it, the
    // deletes are idempotent.
    let sweeper = state.app.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(600));
        loop {
            every.tick().await;
            match sweeper.sweep_expired().await {
                Ok(deleted) => tracing::debug!(deleted, "swept expired rows"),
                Err(e) => tracing::warn!(error = %e, "sweeping expired rows failed"),
            }
        }
    });
    tracing::info!(
        listen = %settings.listen,
        public_url = %settings.public_url,
        backend = state.app.store().backend(),
        "twofold is serving"
    );
    twofold_server::serve(listener, state, shutdown_signal())
        .await
        .map_err(|e| Failure::Other(format!("server failed: {e}")))?;
    tracing::info!("stopped");
    Ok(())
}

/// Files the process needs besides its connections: the database, the
/// listener, logs.
const FILES_BESIDES_CONNECTIONS: u64 = 64;

/// Raises the soft open-files limit to the hard one (the soft one is often
/// 1024): each connection holds a file, and running out stops `accept()`.
/// Warns when `max_connections` would still not fit.
fn raise_open_files_limit(max_connections: usize) {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => {
            tracing::debug!(limit, "open-files limit");
            let needed = u64::try_from(max_connections)
                .unwrap_or(u64::MAX)
                .saturating_add(FILES_BESIDES_CONNECTIONS);
            if needed > limit {
                tracing::warn!(
                    limit,
                    max_connections,
                    "the open-files limit is below max_connections plus a margin: lower \
                     max_connections or raise the hard limit (e.g. LimitNOFILE= in systemd)"
                );
            }
        }
        Err(e) => tracing::warn!(error = %e, "cannot raise the open-files limit"),
    }
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    let mut terminate =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    tokio::select! {
        _ = interrupt => {}
        _ = async {
            match terminate.as_mut() {
                Some(signal) => { signal.recv().await; }
                None => std::future::pending::<()>().await,
            }
        } => {}
    }
    tracing::info!("shutting down");
}
