//! A signed-in page action: the one extractor every Security-page form goes
//! through, and its one refusal policy, so a page handler reads like its API
//! twin.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use twofold_app::{AppError, RequestContext, Session};

use super::respond::{failed, notice, see_other};
use super::stash::{ActionForm, unreadable_form};
use super::step_up;
use crate::extract::{Client, MFA_REQUIRED_PAGE, PageSession};
use crate::state::AppState;

/// A signed-in visitor posting a page form, parsed as `F`. Posted again from
/// the step-up screen, the fields are the ones first typed (opened from the
/// stash). Rejections: the message page for a form that cannot be read or a
/// stash that does not open, then `303` to `/login` without a session, and
/// (unless `ENROLLING`) `303` to the MFA-required page for a session that
/// may only enrol a factor.
pub struct PageAction<F, const ENROLLING: bool = false> {
    pub session: Session,
    pub ctx: RequestContext,
    pub form: F,
    /// What the step-up screen needs to post the form again.
    replay: ActionForm,
}

/// The forms that enrol a factor: enrolment-only sessions may post them.
pub type EnrolAction<F> = PageAction<F, true>;

impl<F: DeserializeOwned, const ENROLLING: bool> FromRequest<AppState>
    for PageAction<F, ENROLLING>
{
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let PageSession(session) = PageSession::from_request_parts(&mut parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let Ok(Client(ctx)) = Client::from_request_parts(&mut parts, state).await;
        let replay = ActionForm::from_request(Request::from_parts(parts, body), state).await?;
        let Some(session) = session else {
            return Err(see_other("/login"));
        };
        if !ENROLLING && state.app.require_full_session(&session).is_err() {
            return Err(see_other(MFA_REQUIRED_PAGE));
        }
        let form = replay.decode().map_err(|_| unreadable_form())?;
        Ok(Self {
            session,
            ctx,
            form,
            replay,
        })
    }
}

impl<F, const ENROLLING: bool> PageAction<F, ENROLLING> {
    /// On `ReauthRequired`, the step-up screen that posts this form again;
    /// otherwise the message page titled `title`.
    pub async fn refused(&self, state: &AppState, title: &str, e: AppError) -> Response {
        match e {
            AppError::ReauthRequired => {
                let pending = self.replay.pending(state);
                step_up::screen(state, &self.session, pending, None).await
            }
            e => failed(title, e),
        }
    }
}

impl<F, const ENROLLING: bool> PageAction<F, ENROLLING> {
    /// Back to the Security page showing the notice `done` when the change
    /// went through; otherwise as [`Self::refused`].
    pub async fn answer<T>(
        &self,
        state: &AppState,
        result: Result<T, AppError>,
        done: &str,
        title: &str,
    ) -> Response {
        match result {
            Ok(_) => notice(done),
            Err(e) => self.refused(state, title, e).await,
        }
    }
}

/// A form of no fields of its own (the button is the whole request).
#[derive(Deserialize)]
pub struct NoFields {}

/// A name typed into a form.
#[derive(Deserialize)]
pub struct NameForm {
    pub name: Option<String>,
}

/// Remove buttons: `confirm_last` is ticked to remove the last strong factor.
#[derive(Deserialize)]
pub struct RemoveForm {
    confirm_last: Option<String>,
}

impl RemoveForm {
    pub fn confirm_last(&self) -> bool {
        self.confirm_last.is_some()
    }
}
