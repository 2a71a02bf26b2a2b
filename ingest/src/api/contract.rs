//! The finished OpenAPI document: what is common to every route, added
//! once, after the routes have described themselves.
//!
//! The key decision is that a rule true of every operation is stated here
//! and nowhere else, so no route can forget it: each operation is tagged
//! by its resource (the first path segment after `/v1`, which is how the
//! generated clients group them, `airlock_client.api.zones.list_zones`);
//! each path parameter is described from one table of what the server
//! takes; every operation with parameters or a body documents `400`, and
//! every authenticated one `401`, with the one error body; and the zone
//! enum is the configuration's. What is particular to a route stays on
//! the route.

use serde_json::{Map, Value, json};

use airlock_zones::{Classification, ZoneKind, ZoneSet};

use super::users::create_user_rule;
use crate::names::FILE_NAME_PATTERN;

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

const ERROR_BODY: &str = "#/components/schemas/ErrorBody";

/// The document for these zones, finished.
pub fn finish(doc: &utoipa::openapi::OpenApi, zones: &ZoneSet) -> Value {
    let mut doc = serde_json::to_value(doc).unwrap_or_default();
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        for (path, item) in paths.iter_mut() {
            let Some(item) = item.as_object_mut() else {
                continue;
            };
            for method in METHODS {
                if let Some(op) = item.get_mut(method).and_then(Value::as_object_mut) {
                    finish_operation(path, op);
                }
            }
        }
    }
    if let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        let lakes: Vec<&str> = zones
            .iter()
            .filter(|z| z.kind != ZoneKind::Ingest)
            .map(|z| z.name.as_str())
            .collect();
        schemas.insert(
            "ZoneName".into(),
            json!({"type": "string", "enum": lakes, "description": "A configured lake zone."}),
        );
        if let Some(Value::Object(create_user)) = schemas.get_mut("CreateUser") {
            create_user.insert("allOf".into(), create_user_rule());
        }
        if let Some(Value::Object(acquisition)) = schemas.get_mut("NewAcquisition") {
            acquisition.insert("allOf".into(), delivery_rule(zones, &lakes));
        }
    }
    doc
}

/// Which classifications each lake takes deliveries of, as
/// [`ZoneSet::check_ingest`] decides: a lake that takes none takes no
/// acquisition.
fn delivery_rule(zones: &ZoneSet, lakes: &[&str]) -> Value {
    let rules: Vec<Value> = lakes
        .iter()
        .map(|lake| {
            let allowed: Vec<&str> = Classification::ALL
                .iter()
                .filter(|c| zones.check_ingest(lake, **c).is_ok())
                .map(|c| c.as_str())
                .collect();
            json!({
                "if": {"properties": {"target_zone": {"const": lake}}, "required": ["target_zone"]},
                "then": {"properties": {"classification": {"enum": allowed}}}
            })
        })
        .collect();
    Value::Array(rules)
}

fn finish_operation(path: &str, op: &mut Map<String, Value>) {
    op.insert("tags".into(), json!([resource(path)]));
    let params = op
        .entry("parameters")
        .or_insert_with(|| json!([]))
        .as_array_mut()
        .map(std::mem::take)
        .unwrap_or_default();
    let mut params = params;
    for name in path_parameters(path) {
        let described = params
            .iter()
            .any(|p| p["in"] == "path" && p["name"] == name);
        if !described {
            params.push(path_parameter(name));
        }
    }
    let takes_input = !params.is_empty() || op.contains_key("requestBody");
    if params.is_empty() {
        op.remove("parameters");
    } else {
        op.insert("parameters".into(), Value::Array(params));
    }
    raw_bytes_as_binary(op);
    let open = op
        .get("security")
        .and_then(Value::as_array)
        .is_some_and(|s| s.iter().all(|r| r.as_object().is_some_and(Map::is_empty)));
    let responses = op
        .entry("responses")
        .or_insert_with(|| json!({}))
        .as_object_mut();
    let Some(responses) = responses else { return };
    if takes_input {
        responses
            .entry("400")
            .or_insert_with(|| error_response("The request does not fit this document."));
    }
    if !open {
        responses
            .entry("401")
            .or_insert_with(|| error_response("No valid bearer token."));
    }
    for response in responses.values_mut() {
        if let Some(r) = response.as_object_mut() {
            r.entry("description").or_insert_with(|| json!(""));
        }
    }
}

/// A body of raw bytes (any media type but JSON) is a binary string, as
/// generators read it (a file to send, bytes received), not the array of
/// integers a `Vec<u8>` describes itself as.
fn raw_bytes_as_binary(op: &mut Map<String, Value>) {
    let mut contents: Vec<&mut Value> = Vec::new();
    for (key, value) in op.iter_mut() {
        match (key.as_str(), value) {
            ("requestBody", body) => contents.push(body),
            ("responses", Value::Object(responses)) => contents.extend(responses.values_mut()),
            _ => {}
        }
    }
    for holder in contents {
        let Some(Value::Object(media)) = holder.get_mut("content") else {
            continue;
        };
        for (media_type, content) in media.iter_mut() {
            let bytes = content.pointer("/schema/items/type") == Some(&json!("integer"));
            if media_type != "application/json" && bytes {
                content["schema"] = json!({"type": "string", "format": "binary"});
            }
        }
    }
}

/// The resource a path belongs to: its first segment after `/v1`.
fn resource(path: &str) -> String {
    let mut segments = path.trim_start_matches('/').split('/');
    match (segments.next(), segments.next()) {
        (Some("v1"), Some(resource)) => resource.to_owned(),
        (Some(first), _) => first.to_owned(),
        _ => "service".to_owned(),
    }
}

fn path_parameters(path: &str) -> impl Iterator<Item = &str> {
    path.split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
}

/// What the server takes in each path parameter.
fn path_parameter(name: &str) -> Value {
    let (schema, about) = match name {
        "version" => (
            json!({"type": "integer", "format": "int64", "minimum": 1}),
            "The version's number, from 1.",
        ),
        "filename" => (
            json!({"type": "string", "minLength": 1, "maxLength": 255,
                   "pattern": FILE_NAME_PATTERN}),
            "The delivered file's name: one path segment, 1 to 255 characters, no \
             slash, backslash or control character, not `.` or `..`.",
        ),
        "name" => (
            json!({"type": "string", "minLength": 1, "maxLength": 256}),
            "A user's name, as `GET /v1/users` lists it (OIDC users' start `oidc:`).",
        ),
        _ => (
            json!({"type": "string", "minLength": 1, "maxLength": 128}),
            "The id the server gave it.",
        ),
    };
    json!({"name": name, "in": "path", "required": true, "description": about, "schema": schema})
}

fn error_response(about: &str) -> Value {
    json!({"description": about,
           "content": {"application/json": {"schema": {"$ref": ERROR_BODY}}}})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_operation_gets_its_resource_its_path_parameters_and_the_common_answers() {
        let mut op = json!({"responses": {"200": {"description": "ok"}}});
        let op = op.as_object_mut().unwrap();
        finish_operation("/v1/datasets/{id}/versions/{version}/data", op);
        assert_eq!(op["tags"], json!(["datasets"]));
        let names: Vec<&str> = op["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["id", "version"]);
        assert_eq!(op["parameters"][1]["schema"]["minimum"], 1);
        assert!(op["responses"]["400"].is_object());
        assert!(op["responses"]["401"].is_object());
    }

    #[test]
    fn raw_bytes_are_a_binary_string_and_json_stays_as_it_is() {
        let bytes = json!({"type": "array", "items": {"type": "integer", "format": "int32"}});
        let mut op = json!({
            "requestBody": {"content": {"application/octet-stream": {"schema": bytes}}},
            "responses": {"200": {"content": {
                "application/vnd.apache.parquet": {"schema": bytes},
                "application/json": {"schema": bytes}}}}
        });
        let op = op.as_object_mut().unwrap();
        finish_operation("/v1/acquisitions/{id}/files/{filename}", op);
        let binary = json!({"type": "string", "format": "binary"});
        assert_eq!(
            op["requestBody"]["content"]["application/octet-stream"]["schema"],
            binary
        );
        let answer = &op["responses"]["200"]["content"];
        assert_eq!(answer["application/vnd.apache.parquet"]["schema"], binary);
        assert_eq!(answer["application/json"]["schema"], bytes);
    }

    #[test]
    fn an_open_operation_without_input_documents_neither_400_nor_401() {
        let mut op = json!({"security": [{}], "responses": {"200": {}}});
        let op = op.as_object_mut().unwrap();
        finish_operation("/healthz", op);
        assert_eq!(op["tags"], json!(["healthz"]));
        assert!(op["responses"].get("400").is_none());
        assert!(op["responses"].get("401").is_none());
        assert_eq!(op["responses"]["200"]["description"], "");
    }
}
