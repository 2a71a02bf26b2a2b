//! The axum router in-process with `oneshot`: authentication on every
//! route, authorization, validation and the error shape. The pipeline does
//! not run here; the end-to-end tests cover it.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};
use tower::ServiceExt;

use airlock_ingest::config::EngineConfig;
use airlock_ingest::{App, Config, api, auth};
use airlock_policies::Role;

struct Fixture {
    app: Arc<App>,
    _dir: tempfile::TempDir,
    engineer: String,
    other_engineer: String,
    analyst: String,
    reviewer: String,
}

async fn fixture(max_file_bytes: u64) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config {
        data_dir: dir.path().to_path_buf(),
        ..Config::default()
    };
    // The router does not need clamd: the built-in engines are enough.
    config.scanner.engines = vec![EngineConfig::Filetype];
    config.limits.max_file_bytes = max_file_bytes;
    let app = App::open(config, None).await.unwrap();
    let token = |name: &'static str, role| {
        let app = app.clone();
        async move {
            auth::add_user(app.catalog.as_ref(), name, role)
                .await
                .unwrap()
                .1
        }
    };
    Fixture {
        engineer: token("eve", Role::Engineer).await,
        other_engineer: token("oscar", Role::Engineer).await,
        analyst: token("ann", Role::Analyst).await,
        reviewer: token("rita", Role::Reviewer).await,
        app,
        _dir: dir,
    }
}

impl Fixture {
    async fn call(
        &self,
        method: &str,
        uri: &str,
        token: Option<&str>,
        body: Body,
    ) -> (StatusCode, Value) {
        let mut req = Request::builder().method(method).uri(uri);
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        if method == "POST" {
            req = req.header("content-type", "application/json");
        }
        let resp = api::router(self.app.clone())
            .oneshot(req.body(body).unwrap())
            .await
            .unwrap();
        let status = resp.status();
        let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .unwrap();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    async fn acquisition(&self, token: &str, body: Value) -> (StatusCode, Value) {
        self.call(
            "POST",
            "/v1/acquisitions",
            Some(token),
            Body::from(body.to_string()),
        )
        .await
    }

    async fn sandbox_acquisition(&self) -> String {
        let (status, acq) = self
            .acquisition(
                &self.engineer,
                json!({"name": "Survey", "target_zone": "sandbox", "classification": "OFFICIAL"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{acq}");
        acq["id"].as_str().unwrap().to_owned()
    }
}

#[tokio::test]
async fn openapi_covers_every_route_and_every_v1_route_needs_a_token() {
    let f = fixture(1 << 20).await;
    let (status, doc) = f.call("GET", "/openapi.json", None, Body::empty()).await;
    assert_eq!(status, StatusCode::OK);
    let paths = doc["paths"].as_object().unwrap();
    let mut listed: Vec<&str> = paths.keys().map(String::as_str).collect();
    listed.sort();
    assert_eq!(
        listed,
        [
            "/healthz",
            "/v1/acquisitions",
            "/v1/acquisitions/{id}",
            "/v1/acquisitions/{id}/files/{filename}",
            "/v1/datasets",
            "/v1/datasets/{id}",
            "/v1/files/{id}",
            "/v1/zones",
        ]
    );
    for (path, ops) in paths {
        if !path.starts_with("/v1/") {
            continue;
        }
        let uri = path.replace("{id}", "x").replace("{filename}", "f.csv");
        for method in ops.as_object().unwrap().keys() {
            let (status, body) = f
                .call(&method.to_uppercase(), &uri, None, Body::empty())
                .await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {path}");
            assert_eq!(body["code"], "unauthorized");
            let (status, _) = f
                .call(
                    &method.to_uppercase(),
                    &uri,
                    Some("alk_forged"),
                    Body::empty(),
                )
                .await;
            assert_eq!(
                status,
                StatusCode::UNAUTHORIZED,
                "{method} {path} with a forged token"
            );
        }
    }
}

#[tokio::test]
async fn acquisitions_are_validated_and_role_checked() {
    let f = fixture(1 << 20).await;
    let ok = json!({"name": "LFS", "target_zone": "sandbox", "classification": "OFFICIAL"});
    let (status, body) = f.acquisition(&f.analyst, ok.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["code"], "forbidden");

    let (status, body) = f
        .acquisition(
            &f.engineer,
            json!({"name": "LFS", "target_zone": "sandbox", "classification": "OFFICIAL-SENSITIVE"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["code"], "zone_rule");
    assert!(
        body["message"].as_str().unwrap().contains("ceiling"),
        "{body}"
    );

    let (status, body) = f
        .acquisition(
            &f.engineer,
            json!({"name": "LFS", "target_zone": "trusted", "classification": "OFFICIAL"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

    let (status, body) = f
        .acquisition(
            &f.engineer,
            json!({"name": "LFS", "target_zone": "sandbox", "classification": "confidential"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["code"], "invalid_zone");

    let (status, body) = f.acquisition(&f.engineer, json!({"name": "LFS"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["code"], "invalid_json");

    let (status, created) = f.acquisition(&f.engineer, ok.clone()).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(created["state"], "approved");
    assert_eq!(created["slug"], "lfs");
    let (status, body) = f.acquisition(&f.engineer, ok).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["code"], "conflict");
}

#[tokio::test]
async fn uploads_are_checked_before_a_byte_is_kept() {
    let f = fixture(4 << 20).await;
    let acq = f.sandbox_acquisition().await;
    let put = |token: String, name: &str, body: Vec<u8>| {
        let uri = format!("/v1/acquisitions/{acq}/files/{name}");
        let f = &f;
        async move { f.call("PUT", &uri, Some(&token), Body::from(body)).await }
    };

    let (status, body) = put(f.engineer.clone(), "..%2F..%2Fetc%2Fpasswd", b"x".to_vec()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["code"], "invalid_filename");

    let (status, _) = put(f.other_engineer.clone(), "a.csv", b"x".to_vec()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "only the owner delivers");
    let (status, _) = put(f.analyst.clone(), "a.csv", b"x".to_vec()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (status, body) = f
        .call(
            "PUT",
            "/v1/acquisitions/nope/files/a.csv",
            Some(&f.engineer),
            Body::from("x"),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["code"], "not_found");

    let (status, body) = put(f.engineer.clone(), "big.csv", vec![b'x'; (4 << 20) + 1]).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(body["code"], "too_large");

    // Larger than axum's default 2 MiB body limit, within ours.
    let three_mib = vec![b'y'; 3 << 20];
    let (status, first) = put(f.engineer.clone(), "three.csv", three_mib.clone()).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{first}");
    assert_eq!(first["size_bytes"], 3 << 20);
    assert_eq!(first["state"], "received");
    let (status, again) = put(f.engineer.clone(), "three-again.csv", three_mib).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again["id"], first["id"]);

    // Only what was acknowledged is in quarantine.
    let q = f.app.config.quarantine_dir();
    let kept: Vec<_> = std::fs::read_dir(&q)
        .unwrap()
        .flatten()
        .filter(|e| e.file_type().unwrap().is_file())
        .map(|e| e.file_name().into_string().unwrap())
        .collect();
    assert_eq!(kept, [first["id"].as_str().unwrap()]);
    assert_eq!(std::fs::read_dir(q.join("incoming")).unwrap().count(), 0);
}

#[tokio::test]
async fn quarantine_metadata_is_for_the_submitter_and_reviewers_only() {
    let f = fixture(1 << 20).await;
    let acq = f.sandbox_acquisition().await;
    let (status, accepted) = f
        .call(
            "PUT",
            &format!("/v1/acquisitions/{acq}/files/a.csv"),
            Some(&f.engineer),
            Body::from("a,b\n1,2\n"),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let uri = format!("/v1/files/{}", accepted["id"].as_str().unwrap());
    for (token, want) in [
        (&f.engineer, StatusCode::OK),
        (&f.reviewer, StatusCode::OK),
        (&f.other_engineer, StatusCode::FORBIDDEN),
        (&f.analyst, StatusCode::FORBIDDEN),
    ] {
        let (status, body) = f.call("GET", &uri, Some(token), Body::empty()).await;
        assert_eq!(status, want, "{body}");
    }
    let (status, file) = f.call("GET", &uri, Some(&f.engineer), Body::empty()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(file["sha256"], sha256_hex(b"a,b\n1,2\n"));
    assert_eq!(file["channel"], "api");
    assert_eq!(file["verdicts"], json!([]));
    let (status, _) = f
        .call("GET", "/v1/files/missing", Some(&f.engineer), Body::empty())
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(data))
}

#[tokio::test]
async fn unknown_routes_answer_json() {
    let f = fixture(1 << 20).await;
    let (status, body) = f
        .call("GET", "/v2/nothing", Some(&f.engineer), Body::empty())
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["code"], "not_found");
}
