//! Per-request context: the page language and the current URL (for the language switch).

use super::AppState;
use crate::publish::html::{PageCtx, message_page};
use crate::publish::i18n::Lang;
use crate::publish::links::Links;
use axum::Form;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use maud::Markup;
use serde::de::DeserializeOwned;
use std::convert::Infallible;

pub struct Ctx {
    pub lang: Lang,
    /// Path and query without `lang`, for the link to the other language.
    pub here: String,
}

impl<S: Send + Sync> FromRequestParts<S> for Ctx {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or("");
        let mut lang_param = None;
        let kept: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
            .filter(|(k, v)| {
                if k == "lang" {
                    lang_param = Some(v.to_string());
                    false
                } else {
                    true
                }
            })
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let lang = Lang::from_query(lang_param.as_deref());
        let path = parts.uri.path().to_string();
        let here = if kept.is_empty() {
            path
        } else {
            let q = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(kept)
                .finish();
            format!("{path}?{q}")
        };
        Ok(Ctx { lang, here })
    }
}

impl Ctx {
    pub fn page<'a>(&self, state: &'a AppState) -> PageCtx<'a> {
        let links = Links::live(self.lang);
        PageCtx {
            lang: self.lang,
            links,
            branding: &state.settings.branding,
            other_language: links.other_language(&self.here, ""),
            staff_user: None,
            refresh_secs: None,
            zone: &state.settings.zone,
        }
    }

    /// A message page with a status code (404, 429, 400 ...).
    pub fn message(&self, state: &AppState, status: StatusCode, text: &str) -> Response {
        let t = self.lang.t();
        let title = match status {
            StatusCode::NOT_FOUND => t.not_found,
            StatusCode::TOO_MANY_REQUESTS => t.too_many_requests,
            StatusCode::FORBIDDEN | StatusCode::BAD_REQUEST => t.bad_request,
            _ => t.server_error,
        };
        let page = message_page(&self.page(state), title, text);
        (status, html(page)).into_response()
    }
}

/// A submitted form, or our own 400 page in the reader's language when it is missing
/// fields or malformed (instead of the framework's English error text).
pub struct PageForm<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for PageForm<T> {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = request.into_parts();
        let ctx = match Ctx::from_request_parts(&mut parts, state).await {
            Ok(ctx) => ctx,
            Err(never) => match never {},
        };
        match Form::<T>::from_request(Request::from_parts(parts, body), state).await {
            Ok(Form(value)) => Ok(PageForm(value)),
            Err(rejection) => {
                let status = match rejection.status() {
                    StatusCode::PAYLOAD_TOO_LARGE => StatusCode::PAYLOAD_TOO_LARGE,
                    _ => StatusCode::BAD_REQUEST,
                };
                Err(private(ctx.message(state, status, ctx.lang.t().bad_form)))
            }
        }
    }
}

pub fn html(markup: Markup) -> Html<String> {
    Html(markup.into_string())
}

/// Marks a response as private: owner and staff pages must not sit in shared caches.
pub fn private(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// 303 to `location` (after a POST, so a reload does not resend the form).
pub fn see_other(location: &str) -> Response {
    match HeaderValue::from_str(location) {
        Ok(value) => (StatusCode::SEE_OTHER, [(header::LOCATION, value)]).into_response(),
        Err(_) => StatusCode::BAD_REQUEST.into_response(),
    }
}
