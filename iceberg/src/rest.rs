//! The bodies of Iceberg's REST catalog protocol that a read-only catalog
//! answers with: `config`, namespaces, table identifiers, a loaded table
//! and the error model.
//!
//! Key decision: the catalog serves no `prefix`, and its `config` lists
//! exactly the routes it serves in `endpoints`. Clients (pyiceberg, Java's
//! `RESTCatalog`) check that list before calling, so a write is refused on
//! the client's side before it is sent, and what is not listed is answered
//! with the spec's error body.

use std::collections::BTreeMap;

use serde_json::{Value, json};

/// Every route this catalog serves, as the spec spells them in `endpoints`.
pub const ENDPOINTS: &[&str] = &[
    "GET /v1/{prefix}/namespaces",
    "GET /v1/{prefix}/namespaces/{namespace}",
    "HEAD /v1/{prefix}/namespaces/{namespace}",
    "GET /v1/{prefix}/namespaces/{namespace}/tables",
    "GET /v1/{prefix}/namespaces/{namespace}/tables/{table}",
    "HEAD /v1/{prefix}/namespaces/{namespace}/tables/{table}",
    "POST /v1/{prefix}/namespaces/{namespace}/tables/{table}/metrics",
];

/// `GET /v1/config`: no defaults or overrides (no prefix), and the routes
/// served.
pub fn config() -> Value {
    json!({"defaults": {}, "overrides": {}, "endpoints": ENDPOINTS})
}

/// The separator of a multi-level namespace in a path (`%1F` encoded).
pub const NAMESPACE_SEPARATOR: char = '\u{1f}';

/// `GET /v1/namespaces`: one-level namespaces.
pub fn namespaces<'a>(names: impl IntoIterator<Item = &'a str>) -> Value {
    let names: Vec<Value> = names.into_iter().map(|n| json!([n])).collect();
    json!({"namespaces": names})
}

/// `GET /v1/namespaces/{namespace}`.
pub fn namespace(name: &str, properties: &BTreeMap<String, String>) -> Value {
    json!({"namespace": [name], "properties": properties})
}

/// `GET /v1/namespaces/{namespace}/tables`.
pub fn tables<'a>(namespace: &str, names: impl IntoIterator<Item = &'a str>) -> Value {
    let identifiers: Vec<Value> = names
        .into_iter()
        .map(|name| json!({"namespace": [namespace], "name": name}))
        .collect();
    json!({"identifiers": identifiers})
}

/// How a client reaches a table's files: for object stores, the
/// credentials scoped to a prefix, as `storage-credentials` and as the
/// table's `config` (older clients read only the latter).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StorageAccess {
    /// The location the credentials are good for (`s3://bucket/prefix/`).
    pub prefix: String,
    /// FileIO properties: `s3.endpoint`, `s3.access-key-id`, ….
    pub config: BTreeMap<String, String>,
}

/// `GET /v1/namespaces/{namespace}/tables/{table}`: the table's
/// metadata, composed (so no `metadata-location`), with the storage access
/// the caller is given, if any.
pub fn load_table(metadata: Value, access: Option<&StorageAccess>) -> Value {
    let mut result = json!({"metadata": metadata, "config": {}});
    if let Some(a) = access {
        result["config"] = json!(a.config);
        result["storage-credentials"] = json!([{"prefix": a.prefix, "config": a.config}]);
    }
    result
}

/// The kinds of error the spec's error model names, each with its
/// status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    BadRequest,
    NotAuthorized,
    Forbidden,
    NoSuchNamespace,
    NoSuchTable,
    /// A route that exists but not with this method.
    MethodNotAllowed,
    /// A route this read-only catalog does not serve.
    NotImplemented,
    ServiceUnavailable,
    Internal,
}

impl ErrorKind {
    pub fn status(self) -> u16 {
        match self {
            ErrorKind::BadRequest => 400,
            ErrorKind::NotAuthorized => 401,
            ErrorKind::Forbidden => 403,
            ErrorKind::NoSuchNamespace | ErrorKind::NoSuchTable => 404,
            ErrorKind::MethodNotAllowed => 405,
            ErrorKind::NotImplemented => 501,
            ErrorKind::ServiceUnavailable => 503,
            ErrorKind::Internal => 500,
        }
    }

    /// The `type` the error body carries: the exception clients raise.
    pub fn type_name(self) -> &'static str {
        match self {
            ErrorKind::BadRequest => "BadRequestException",
            ErrorKind::NotAuthorized => "NotAuthorizedException",
            ErrorKind::Forbidden => "ForbiddenException",
            ErrorKind::NoSuchNamespace => "NoSuchNamespaceException",
            ErrorKind::NoSuchTable => "NoSuchTableException",
            ErrorKind::MethodNotAllowed => "MethodNotAllowedException",
            ErrorKind::NotImplemented => "UnsupportedOperationException",
            ErrorKind::ServiceUnavailable => "ServiceUnavailableException",
            ErrorKind::Internal => "InternalServerError",
        }
    }
}

/// The spec's error body: `{"error": {"message", "type", "code"}}`.
pub fn error(kind: ErrorKind, message: &str) -> Value {
    json!({"error": {"message": message, "type": kind.type_name(), "code": kind.status()}})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_lists_only_read_routes() {
        let c = config();
        let endpoints: Vec<&str> = c["endpoints"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e.as_str().unwrap())
            .collect();
        assert!(endpoints.contains(&"GET /v1/{prefix}/namespaces/{namespace}/tables/{table}"));
        assert!(
            endpoints.iter().all(|e| e.starts_with("GET ")
                || e.starts_with("HEAD ")
                || e.ends_with("/metrics"))
        );
        assert!(c["overrides"].as_object().unwrap().is_empty());
    }

    #[test]
    fn bodies_have_the_specs_shapes() {
        assert_eq!(
            namespaces(["corporate", "sandbox"]),
            json!({"namespaces": [["corporate"], ["sandbox"]]})
        );
        assert_eq!(
            tables("sandbox", ["survey"]),
            json!({"identifiers": [{"namespace": ["sandbox"], "name": "survey"}]})
        );
        assert_eq!(
            error(ErrorKind::NoSuchTable, "table sandbox.x not found"),
            json!({"error": {"message": "table sandbox.x not found",
                             "type": "NoSuchTableException", "code": 404}})
        );
    }

    #[test]
    fn storage_access_goes_to_both_places_clients_read() {
        let access = StorageAccess {
            prefix: "s3://lake/sandbox/".into(),
            config: [("s3.access-key-id".to_owned(), "reader".to_owned())].into(),
        };
        let loaded = load_table(json!({"format-version": 2}), Some(&access));
        assert_eq!(loaded["config"]["s3.access-key-id"], "reader");
        assert_eq!(
            loaded["storage-credentials"][0]["prefix"],
            "s3://lake/sandbox/"
        );
        assert_eq!(
            loaded["storage-credentials"][0]["config"]["s3.access-key-id"],
            "reader"
        );
        let local = load_table(json!({}), None);
        assert!(local.get("storage-credentials").is_none());
        assert!(local.get("metadata-location").is_none());
    }
}
