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

/// The answers every route of a kind can give, whichever handler it is: the
/// one rule that keeps the document true for statuses no handler names. It
/// runs on the assembled document (the `#[openapi(modifiers)]` run before
/// the routes are added), and leaves a status a handler documents alone, so
/// a route's own reasons stay.
///
/// - every route: `408 request_timeout` (the request deadline);
/// - a state-changing method: `403 forbidden` (the origin check refuses a
///   cross-origin browser request that carries no bearer token);
/// - a request body: `400 invalid_request` (malformed), `413
///   payload_too_large` (over 64 KiB), `415 unsupported_media_type`;
/// - a query string: `400 invalid_request`;
/// - a path parameter: `404 not_found` (an id that is not one);
/// - a caller: `401 unauthenticated`, and `403` (a personal access token
///   where none is accepted or without the scope, a session that may only
///   enrol a factor, or a role or step-up the route needs).
pub struct CommonAnswers;

impl utoipa::Modify for CommonAnswers {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::path::ParameterIn;
        use utoipa::openapi::{RefOr, ResponseBuilder};

        let error_body = || {
            utoipa::openapi::ContentBuilder::new()
                .schema(Some(utoipa::openapi::Ref::from_schema_name("ErrorBody")))
                .build()
        };
        for (path, item) in openapi.paths.paths.iter_mut() {
            let operations = [
                (&mut item.get, false),
                (&mut item.head, false),
                (&mut item.options, false),
                (&mut item.post, true),
                (&mut item.put, true),
                (&mut item.patch, true),
                (&mut item.delete, true),
            ];
            for (operation, unsafe_method) in operations {
                let Some(op) = operation.as_mut() else {
                    continue;
                };
                let has_query = op.parameters.iter().flatten().any(
                    |p| matches!(p, RefOr::T(p) if matches!(p.parameter_in, ParameterIn::Query)),
                );
                let has_path = path.contains('{');
                let has_body = op.request_body.is_some();
                let has_caller = op.security.as_ref().is_some_and(|s| !s.is_empty());
                let mut answers: Vec<(&str, &str)> = vec![(
                    "408",
                    "The request was not complete in time (`request_timeout`)",
                )];
                if has_body {
                    answers.push((
                        "400",
                        "The body is not the JSON described (`invalid_request`)",
                    ));
                    answers.push((
                        "413",
                        "The body is larger than 64 KiB (`payload_too_large`)",
                    ));
                    answers.push((
                        "415",
                        "The body is not of the content type described (`unsupported_media_type`)",
                    ));
                }
                if has_query {
                    answers.push((
                        "400",
                        "A query parameter is not as described (`invalid_request`)",
                    ));
                }
                if has_path {
                    answers.push(("404", "No such resource (`not_found`)"));
                }
                if has_caller {
                    answers.push(("401", "No valid session or token (`unauthenticated`)"));
                    answers.push((
                        "403",
                        "Not allowed to this caller: a personal access token where none is \
                         accepted (`token_not_allowed`) or without the scope \
                         (`insufficient_scope`), a session that may only enrol a factor \
                         (`mfa_enrollment_required`), or the role or step-up the route needs \
                         (`forbidden`, `reauth_required`)",
                    ));
                }
                if unsafe_method {
                    answers.push((
                        "403",
                        "A cross-origin browser request without a bearer token (`forbidden`)",
                    ));
                }
                let mut merged: std::collections::BTreeMap<&str, Vec<&str>> = Default::default();
                for (status, description) in answers {
                    merged.entry(status).or_default().push(description);
                }
                for (status, descriptions) in merged {
                    let description = descriptions.join("; or ");
                    op.responses
                        .responses
                        .entry(status.to_owned())
                        .or_insert_with(|| {
                            RefOr::T(
                                ResponseBuilder::new()
                                    .description(description)
                                    .content("application/json", error_body())
                                    .build(),
                            )
                        });
                }
            }
        }
    }
}

/// The routes and the document that describes them, the common answers
/// added.
fn router_and_document() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, mut openapi) = routes().split_for_parts();
    utoipa::Modify::modify(&CommonAnswers, &mut openapi);
    (router, openapi)
}

/// The API's OpenAPI 3 document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    router_and_document().1
}

pub fn router() -> Router<AppState> {
    let (router, openapi) = router_and_document();
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
