//! A client of Airlock's HTTP API, for the `airlock` command's client
//! commands (and any Rust program).
//!
//! The key decision is that it speaks only the public API, as any other
//! client does: it holds a server address and a bearer token, never the
//! daemon's configuration or catalog, and decodes answers as JSON values
//! that the caller renders. Errors carry the API's own stable `code` and
//! `message`, so a script can tell "not found" from "forbidden".
//! [`upload`] sends files over tus and resumes them after any
//! interruption; [`Client::follow`] watches a file to where it stops.

pub mod upload;

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// Everything a call can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The server answered with an error: its status and the API's stable
    /// code and message.
    #[error("{message} ({status}, {code})")]
    Api {
        status: u16,
        code: String,
        message: String,
    },
    /// The server could not be reached, or the connection broke.
    #[error("cannot reach the server: {0}")]
    Transport(#[from] reqwest::Error),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The caller stopped an upload; it is remembered, and the next run
    /// resumes it from `offset`.
    #[error("upload stopped at byte {offset}; run again to resume")]
    Interrupted { offset: u64 },
    /// An answer that is not what the API promises, or an argument this
    /// client refuses before sending anything.
    #[error("{0}")]
    Invalid(String),
}

pub type Result<T> = std::result::Result<T, ClientError>;

/// A connection to one Airlock server, as one user.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    server: String,
    token: String,
}

/// Where a followed file stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Published,
    Rejected,
    /// Waiting for a reviewer, or held until it can be retried: it needs
    /// someone else before it moves on.
    Stopped,
}

impl Client {
    /// A client of `server` (`http://host:port`, no trailing path) with a
    /// bearer token.
    pub fn new(server: &str, token: &str) -> Result<Self> {
        let server = server.trim_end_matches('/');
        if !(server.starts_with("http://") || server.starts_with("https://")) {
            return Err(ClientError::Invalid(format!(
                "the server must be an http:// or https:// address, not {server:?}"
            )));
        }
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .build()?;
        Ok(Self {
            http,
            server: server.to_owned(),
            token: token.to_owned(),
        })
    }

    pub fn server(&self) -> &str {
        &self.server
    }

    fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.server))
            .bearer_auth(&self.token)
    }

    /// Sends a request and decodes its JSON answer (`null` when empty).
    async fn send(&self, request: reqwest::RequestBuilder) -> Result<Value> {
        let response = request.send().await?;
        let status = response.status();
        let bytes = response.bytes().await?;
        if !status.is_success() {
            return Err(api_error(status, &bytes));
        }
        if bytes.is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_slice(&bytes)
            .map_err(|e| ClientError::Invalid(format!("the server's answer is not JSON: {e}")))
    }

    pub async fn get(&self, path: &str) -> Result<Value> {
        self.send(self.request(Method::GET, path)).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Result<Value> {
        self.send(self.request(Method::POST, path).json(body)).await
    }

    /// A delivered file: its state, verdicts and reviews.
    pub async fn file(&self, id: &str) -> Result<Value> {
        self.get(&format!("/v1/files/{}", segment(id)?)).await
    }

    /// The reviewer's queue: acquisitions and files waiting.
    pub async fn reviews(&self) -> Result<Value> {
        self.get("/v1/reviews").await
    }

    /// A reviewer's decision on a held file (`approve` releases it).
    pub async fn review_file(&self, id: &str, decision: &str, reason: &str) -> Result<Value> {
        let body = json!({"decision": decision, "reason": reason});
        self.post(&format!("/v1/files/{}/review", segment(id)?), &body)
            .await
    }

    /// A reviewer's decision on an acquisition.
    pub async fn review_acquisition(
        &self,
        id: &str,
        decision: &str,
        reason: &str,
    ) -> Result<Value> {
        let body = json!({"decision": decision, "reason": reason});
        self.post(&format!("/v1/acquisitions/{}/review", segment(id)?), &body)
            .await
    }

    /// The catalog's datasets matching a query, best first.
    pub async fn search(&self, query: &str, limit: u32) -> Result<Value> {
        let request = self
            .request(Method::GET, "/v1/datasets")
            .query(&[("q", query), ("limit", &limit.to_string())]);
        self.send(request).await
    }

    /// One dataset: its versions, schemas, statistics and lineage.
    pub async fn dataset(&self, id: &str) -> Result<Value> {
        self.get(&format!("/v1/datasets/{}", segment(id)?)).await
    }

    /// Replaces this client's token with a new one, which it returns; the
    /// old one is revoked.
    pub async fn rotate_token(&mut self, expires_in_days: Option<u32>) -> Result<String> {
        let body = json!({"expires_in_days": expires_in_days});
        let answer = self.post("/v1/tokens/rotate", &body).await?;
        let token = answer["token"]
            .as_str()
            .ok_or_else(|| ClientError::Invalid("no token in the answer".into()))?
            .to_owned();
        self.token.clone_from(&token);
        Ok(token)
    }

    /// Follows a file until it stops: published, rejected, or waiting for
    /// someone else (a reviewer, or a retry). `on_state` hears each state
    /// as it is first seen, with the file's record. Polls every
    /// `interval`.
    pub async fn follow(
        &self,
        id: &str,
        interval: Duration,
        mut on_state: impl FnMut(&str, &Value),
    ) -> Result<(Outcome, Value)> {
        let mut last = String::new();
        loop {
            let file = self.file(id).await?;
            let state = file["state"].as_str().unwrap_or_default().to_owned();
            if state != last {
                on_state(&state, &file);
                last.clone_from(&state);
            }
            let outcome = match state.as_str() {
                "published" => Some(Outcome::Published),
                "rejected" => Some(Outcome::Rejected),
                "awaiting_review" | "held" => Some(Outcome::Stopped),
                _ => None,
            };
            if let Some(outcome) = outcome {
                return Ok((outcome, file));
            }
            tokio::time::sleep(interval).await;
        }
    }
}

/// An error answer: the API's JSON body, or the status alone when the
/// body is not one (a proxy's page, say).
/// The response itself when it succeeded, else the API's error it carries.
async fn successful(response: reqwest::Response) -> Result<reqwest::Response> {
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let body = response.bytes().await?;
    Err(api_error(status, &body))
}

fn api_error(status: StatusCode, body: &[u8]) -> ClientError {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let field = |name: &str| {
        parsed
            .as_ref()
            .and_then(|v| v[name].as_str())
            .map(str::to_owned)
    };
    ClientError::Api {
        status: status.as_u16(),
        code: field("code").unwrap_or_else(|| "http_error".into()),
        message: field("message").unwrap_or_else(|| {
            status
                .canonical_reason()
                .unwrap_or("unexpected answer")
                .to_owned()
        }),
    }
}

/// An id as one path segment: refused rather than escaped when it could
/// change the path.
fn segment(id: &str) -> Result<&str> {
    let safe = !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        && id != "."
        && id != "..";
    if safe {
        Ok(id)
    } else {
        Err(ClientError::Invalid(format!("{id:?} is not an id")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_answers_keep_the_apis_code() {
        let e = api_error(
            StatusCode::NOT_FOUND,
            br#"{"code":"not_found","message":"file x not found"}"#,
        );
        assert_eq!(e.to_string(), "file x not found (404, not_found)");
        let e = api_error(StatusCode::BAD_GATEWAY, b"<html>");
        assert_eq!(e.to_string(), "Bad Gateway (502, http_error)");
    }

    #[test]
    fn ids_cannot_change_the_path() {
        assert!(segment("0193f1e2-aa").is_ok());
        for id in ["", "..", "a/b", "a?b", "a b", "%2e"] {
            assert!(segment(id).is_err(), "{id}");
        }
        assert!(Client::new("ftp://x", "t").is_err());
    }
}
