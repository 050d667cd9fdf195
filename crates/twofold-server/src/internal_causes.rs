//! Internal causes of errors: kept while a request is answered, logged once
//! with its span, never sent. Both error conversions (the API's `ApiError`,
//! the pages' sentences) hand their causes here.

use std::cell::RefCell;

use axum::body::Body;
use axum::extract::Request;
use axum::http::Response;
use axum::middleware::Next;

/// The cause of an internal error, kept for the log and never sent.
type InternalCause = Box<dyn std::error::Error + Send + Sync>;

tokio::task_local! {
    /// The internal causes met while answering the current request. A task
    /// local rather than a response extension: the pages turn an error into
    /// a status and a sentence, which cannot carry the cause to the answer.
    static INTERNAL_CAUSES: RefCell<Vec<InternalCause>>;
}

/// Keeps an internal cause for `log_internal_causes` to log with the request.
/// Outside a request (no slot) it is logged at once, never lost.
pub fn keep_internal_cause(cause: InternalCause) {
    let mut cause = Some(cause);
    let _ = INTERNAL_CAUSES.try_with(|kept| kept.borrow_mut().extend(cause.take()));
    if let Some(cause) = cause {
        log_internal_cause(&cause);
    }
}

/// Logs, within the request's span, the internal causes that the error
/// conversions (the API's `ApiError`, the pages' sentences) kept: the one
/// place an internal error is logged.
pub async fn log_internal_causes(request: Request, next: Next) -> Response<Body> {
    INTERNAL_CAUSES
        .scope(RefCell::new(Vec::new()), async {
            let response = next.run(request).await;
            for cause in INTERNAL_CAUSES.with(RefCell::take) {
                log_internal_cause(&cause);
            }
            response
        })
        .await
}

fn log_internal_cause(cause: &InternalCause) {
    tracing::error!(error = %cause, "internal error");
}
