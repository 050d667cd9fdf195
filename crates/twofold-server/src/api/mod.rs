//! The JSON API under `/api/v1` (contract: `shared/api.md`), and its OpenAPI
//! document, generated from the same handler annotations that route.

mod accounts;
mod admin;
mod introspect;
mod me;
mod mfa;
mod passkeys;
mod password_links;
mod sessions;
mod sign_in;
mod tokens;
mod views;

use std::sync::Arc;

use axum::Router;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiError;
use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "twofold",
        description = "Accounts and multi-factor authentication. Errors are \
            `{\"error\":{\"code\":\"…\",\"message\":\"…\"}}` with the status of the table in api.md.",
    ),
    servers((url = "/api/v1")),
    components(schemas(crate::error::ErrorBody)),
    modifiers(&BearerAuth),
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{
            ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme,
        };
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        // The document is the same for every deployment, so it names the
        // plain-http cookie; https deployments add the `__Host-` prefix.
        let cookie = crate::state::session_cookie_name(false);
        components.add_security_scheme(
            "cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(cookie))),
        );
    }
}

fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(accounts::create))
        .routes(routes!(
            sessions::sign_in,
            sessions::list,
            sessions::revoke_others
        ))
        .routes(routes!(sessions::current, sessions::sign_out))
        .routes(routes!(sessions::revoke))
        .routes(routes!(sessions::reauth))
        .routes(routes!(sessions::complete_mfa))
        .routes(routes!(mfa::overview, mfa::disable))
        .routes(routes!(mfa::generate_recovery_codes))
        .routes(routes!(passkeys::registration_options))
        .routes(routes!(passkeys::register))
        .routes(routes!(passkeys::rename, passkeys::remove))
        .routes(routes!(passkeys::passwordless_options))
        .routes(routes!(passkeys::passwordless))
        .routes(routes!(passkeys::mfa_options))
        .routes(routes!(passkeys::reauth_options))
        .routes(routes!(mfa::start_totp))
        .routes(routes!(mfa::confirm_totp))
        .routes(routes!(mfa::rename_totp, mfa::remove_totp))
        .routes(routes!(me::me))
        .routes(routes!(me::events))
        .routes(routes!(me::change_password))
        .routes(routes!(admin::events))
        .routes(routes!(admin::disable_user_mfa))
        .routes(routes!(admin::set_user_role))
        .routes(routes!(admin::disable_user))
        .routes(routes!(admin::enable_user))
        .routes(routes!(admin::users))
        .routes(routes!(admin::user))
        .routes(routes!(password_links::create_user))
        .routes(routes!(password_links::issue_link))
        .routes(routes!(password_links::set_password))
        .routes(routes!(tokens::create, tokens::list))
        .routes(routes!(tokens::revoke))
        .routes(routes!(tokens::revoke_of_user))
        .routes(routes!(introspect::introspect))
}

/// The API's OpenAPI 3 document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    routes().split_for_parts().1
}

pub fn router() -> Router<AppState> {
    let (router, openapi) = routes().split_for_parts();
    let document = Arc::new(openapi);
    router
        .route(
            "/openapi.json",
            get(move || {
                let document = document.clone();
                async move { axum::Json(document.as_ref().clone()) }
            }),
        )
        .fallback(|| async {
            ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such API route").into_response()
        })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "this route does not accept this method",
            )
            .into_response()
        })
}
