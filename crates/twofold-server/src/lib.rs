//! The HTTP front of twofold: the JSON API under `/api/v1`, the pages a
//! person uses, the operational endpoints, and the layers around them.
//! Handlers are thin: they extract, call the app layer, and map the result.

pub mod api;
pub mod client_ip;
mod cookies;
mod error;
mod extract;
mod internal_causes;
mod middleware;
mod ops;
mod pages;
mod state;

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{ConnectInfo, DefaultBodyLimit};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tower::ServiceExt as _;

pub use state::{AppState, TransportLimits, WebConfig};

/// The largest request body accepted anywhere.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The most a connection buffers while reading: a request head (request line
/// and headers) that does not fit is refused with `431`. Bounds the memory a
/// client can pin by sending a huge head slowly.
pub const MAX_HEAD_BYTES: usize = 64 * 1024;

/// Every route, with every layer.
pub fn router(state: AppState) -> Router {
    let routes = Router::new()
        .merge(ops::router())
        .merge(pages::router())
        .nest("/api/v1", api::router())
        .fallback(pages::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::origin_check,
        ))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn_with_state(
            state.web.limits.request_timeout,
            middleware::request_deadline,
        ));
    middleware::with_security_headers(routes, &state.web)
        .layer(axum::middleware::from_fn(
            internal_causes::log_internal_causes,
        ))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            middleware::panic_response,
        ))
        .layer(middleware::trace_layer())
        .layer(tower_http::request_id::PropagateRequestIdLayer::x_request_id())
        .layer(tower_http::request_id::SetRequestIdLayer::x_request_id(
            tower_http::request_id::MakeRequestUuid,
        ))
        .with_state(state)
}

/// Serves until `shutdown` completes, then finishes the requests in flight.
///
/// Each connection is served by hyper's HTTP/1.1 server with a timer, so
/// the limits hold against slow clients: one that does not finish its
/// request head within `header_read_timeout` is closed (idle keep-alive
/// connections too), and `router` answers `408` after `request_timeout`. At
/// most `max_connections` are open at once; the next clients wait in the
/// listen backlog, and a slot freed by a timeout lets the next one in, so
/// idle sockets cannot exhaust the open files and stop `accept()`.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let limits = state.web.limits;
    let app = router(state);
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_header_size(MAX_HEAD_BYTES)
        .max_buf_size(MAX_HEAD_BYTES);
    let open_connections = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (permit, stream, peer) = tokio::select! {
            biased;
            () = &mut shutdown => break,
            accepted = accept_within_cap(&listener, &open_connections) => accepted?,
        };
        // What `into_make_service_with_connect_info` would add: the peer
        // address, for `client_ip`.
        let service = app
            .clone()
            .map_request(move |mut request: axum::http::Request<Incoming>| {
                request.extensions_mut().insert(ConnectInfo(peer));
                request
            });
        let connection = graceful
            .watch(http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service)));
        tokio::spawn(async move {
            // Timeouts and resets end up here; they are the client's doing.
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// Waits for a free connection slot, then for the next client.
async fn accept_within_cap(
    listener: &TcpListener,
    open_connections: &Arc<Semaphore>,
) -> io::Result<(OwnedSemaphorePermit, TcpStream, SocketAddr)> {
    let permit = Arc::clone(open_connections)
        .acquire_owned()
        .await
        .map_err(io::Error::other)?;
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => return Ok((permit, stream, peer)),
            // The client gave up before we accepted it: nothing to do.
            Err(e) if is_connection_error(&e) => {}
            // E.g. out of files: retrying at once would spin.
            Err(e) => {
                tracing::error!(error = %e, "accepting a connection failed; retrying in a second");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}
