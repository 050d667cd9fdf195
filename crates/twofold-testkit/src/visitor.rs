//! A typed client of the HTML pages: one visitor with its own cookie jar, as
//! one browser would be, so a page test reads as what the person does
//! (`visitor.sign_in(..)`, `visitor.submit(path, form)`) rather than as
//! request plumbing. Redirects are not followed by themselves: the tests
//! check where they lead, then `follow` them.

use reqwest::header::{HeaderMap, LOCATION, SET_COOKIE};
use reqwest::{Client, RequestBuilder, StatusCode};

use crate::TestServer;

/// What a page answered: the status, the headers and the HTML.
#[derive(Debug)]
pub struct Page {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub html: String,
}

impl Page {
    pub async fn read(response: reqwest::Response) -> Self {
        let status = response.status();
        let headers = response.headers().clone();
        let html = response.text().await.unwrap();
        Self {
            status,
            headers,
            html,
        }
    }

    /// Where the answer redirects; panics when it does not.
    #[track_caller]
    pub fn location(&self) -> &str {
        self.headers[LOCATION].to_str().unwrap()
    }

    /// Every `Set-Cookie` header, in order.
    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all(SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect()
    }

    /// Asserts the status (showing the page when it differs); the HTML.
    #[track_caller]
    pub fn expect(&self, status: StatusCode) -> &str {
        assert_eq!(self.status, status, "{}", self.html);
        &self.html
    }

    /// The `value` of the element whose `id` is `id` (e.g. a readonly
    /// field), HTML escapes left as they are.
    pub fn value_of(&self, id: &str) -> Option<String> {
        let tag_start = self.html.find(&format!(r#"id="{id}""#))?;
        let tag = &self.html[tag_start..tag_start + self.html[tag_start..].find('>')?];
        let start = tag.find(r#"value=""#)? + r#"value=""#.len();
        let end = tag[start..].find('"')?;
        Some(tag[start..start + end].to_owned())
    }

    /// The value of the hidden input `name`.
    pub fn hidden_field(&self, name: &str) -> Option<String> {
        let marker = format!(r#"name="{name}" value=""#);
        let start = self.html.find(&marker)? + marker.len();
        let end = self.html[start..].find('"')?;
        Some(self.html[start..start + end].to_owned())
    }
}

/// One person at the pages of one instance.
pub struct Visitor<'a> {
    server: &'a TestServer,
    /// The cookie jar's client, for a request the methods below do not make.
    pub client: Client,
}

impl<'a> Visitor<'a> {
    /// A visitor with an empty cookie jar.
    pub fn new(server: &'a TestServer) -> Self {
        Self {
            server,
            client: server.client(),
        }
    }

    /// The same visitor, cookies and all, at another instance (e.g. one
    /// behind the same public URL).
    pub fn at<'b>(&self, server: &'b TestServer) -> Visitor<'b> {
        Visitor {
            server,
            client: self.client.clone(),
        }
    }

    pub async fn send(&self, request: RequestBuilder) -> Page {
        Page::read(request.send().await.unwrap()).await
    }

    pub async fn get(&self, path: &str) -> Page {
        self.send(self.client.get(self.server.url(path))).await
    }

    /// A POST to build on (headers, body), for `send`.
    pub fn post(&self, path: &str) -> RequestBuilder {
        self.client.post(self.server.url(path))
    }

    /// Posts a form.
    pub async fn submit(&self, path: &str, form: &[(&str, &str)]) -> Page {
        self.send(self.post(path).form(form)).await
    }

    /// Posts with no body, as a button of a form without fields.
    pub async fn press(&self, path: &str) -> Page {
        self.send(self.post(path)).await
    }

    /// Gets the page a redirect leads to.
    pub async fn follow(&self, redirect: &Page) -> Page {
        self.get(redirect.location()).await
    }

    /// Posts the sign-in form.
    pub async fn sign_in(&self, email: &str, password: &str) -> Page {
        self.submit("/login", &[("email", email), ("password", password)])
            .await
    }

    /// Posts the step-up form; like a browser, follows a `307` by posting
    /// the same form to its target.
    pub async fn confirm(&self, form: &[(&str, &str)]) -> Page {
        let answer = self.submit("/reauth", form).await;
        if answer.status != StatusCode::TEMPORARY_REDIRECT {
            return answer;
        }
        self.submit(answer.location(), form).await
    }
}
