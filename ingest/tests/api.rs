//! The axum router in-process with `oneshot`: authentication on every
//! route, authorization, validation and the error shape. A few tests also
//! drive the pipeline in-process (built-in engines only) to see what it
//! records through the API; the end-to-end tests cover the daemon.

use std::sync::Arc;

use axum::body::Body;
use axum::http::StatusCode;
use serde_json::{Value, json};

#[path = "../../tests/support/router.rs"]
mod router;
#[path = "../../tests/support/zones.rs"]
mod zones;

use airlock_ingest::config::EngineConfig;
use airlock_ingest::{App, Config, auth};
use airlock_policies::Role;
use airlock_zones::ZoneName;

struct Fixture {
    app: Arc<App>,
    _dir: tempfile::TempDir,
    engineer: String,
    other_engineer: String,
    analyst: String,
    reviewer: String,
    other_reviewer: String,
    admin: String,
}

async fn fixture(max_file_bytes: u64) -> Fixture {
    // The router does not need clamd: the built-in engines are enough.
    fixture_with(max_file_bytes, vec![EngineConfig::Filetype]).await
}

async fn fixture_with(max_file_bytes: u64, engines: Vec<EngineConfig>) -> Fixture {
    fixture_in(max_file_bytes, engines, Config::default()).await
}

/// A fixture on `base`'s zones and lakes.
async fn fixture_in(max_file_bytes: u64, engines: Vec<EngineConfig>, base: Config) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config {
        data_dir: dir.path().to_path_buf(),
        ..base
    };
    config.scanner.engines = engines;
    config.limits.max_file_bytes = max_file_bytes;
    let app = App::open(config, None).await.unwrap();
    let token = |name: &'static str, role| {
        let app = app.clone();
        // The analyst is cleared for the sandbox only.
        let zones: Vec<ZoneName> = match role {
            Role::Analyst => vec!["sandbox".parse().unwrap()],
            _ => vec![],
        };
        async move {
            auth::add_user(app.catalog.as_ref(), name, role, &zones)
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
        other_reviewer: token("rex", Role::Reviewer).await,
        admin: token("adam", Role::Admin).await,
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
        router::call(&self.app, method, uri, token, body).await
    }

    /// Registers an acquisition; the record's required fields are filled
    /// in where `body` lacks them.
    async fn register(&self, token: &str, mut body: Value) -> (StatusCode, Value) {
        let fields = body.as_object_mut().unwrap();
        for (k, v) in [
            ("supplier", json!("ONS Social Survey Division")),
            (
                "legal_basis",
                json!("Statistics and Registration Service Act 2007, s.45"),
            ),
            ("purpose", json!("labour market statistics")),
            ("personal_data", json!(false)),
            ("retention_days", json!(365)),
        ] {
            fields.entry(k).or_insert(v);
        }
        self.call(
            "POST",
            "/v1/acquisitions",
            Some(token),
            Body::from(body.to_string()),
        )
        .await
    }

    /// A reviewer's decision on an acquisition or a file
    /// (`/v1/acquisitions/ID` or `/v1/files/ID`).
    async fn review(&self, token: &str, subject: &str, decision: &str) -> (StatusCode, Value) {
        let body = json!({"decision": decision, "reason": "checked against the request"});
        self.call(
            "POST",
            &format!("{subject}/review"),
            Some(token),
            Body::from(body.to_string()),
        )
        .await
    }

    /// Registers an acquisition and, once created, has a reviewer approve
    /// it.
    async fn acquisition(&self, token: &str, body: Value) -> (StatusCode, Value) {
        let (status, acq) = self.register(token, body).await;
        if status != StatusCode::CREATED {
            return (status, acq);
        }
        let uri = format!("/v1/acquisitions/{}", acq["id"].as_str().unwrap());
        let (approved, acq) = self.review(&self.reviewer, &uri, "approve").await;
        assert_eq!(approved, StatusCode::OK, "{acq}");
        (status, acq)
    }

    /// Delivers `body` as `name`, then runs the pipeline on it until it
    /// rests; returns the file's view.
    async fn deliver_and_process(&self, acq: &str, name: &str, body: Vec<u8>) -> Value {
        let (status, accepted) = self
            .call(
                "PUT",
                &format!("/v1/acquisitions/{acq}/files/{name}"),
                Some(&self.engineer),
                Body::from(body),
            )
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{accepted}");
        self.process_due(accepted["id"].as_str().unwrap()).await
    }

    /// Runs the pipeline on the file that is due, which must be `id`,
    /// until it rests; returns the file's view.
    async fn process_due(&self, id: &str) -> Value {
        let now = airlock_ingest::now_ms();
        let file = self
            .app
            .catalog
            .claim_next(&self.app.node_id, now, now + 60_000)
            .await
            .unwrap()
            .expect("the file is due");
        assert_eq!(file.id, id);
        airlock_ingest::pipeline::process(&self.app, file).await;
        let uri = format!("/v1/files/{id}");
        self.call("GET", &uri, Some(&self.engineer), Body::empty())
            .await
            .1
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

/// A dataset view's columns as (name, type).
fn columns(dataset: &Value) -> Vec<(&str, &str)> {
    dataset["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["name"].as_str().unwrap(), c["type"].as_str().unwrap()))
        .collect()
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
            "/v1/acquisitions/{id}/close",
            "/v1/acquisitions/{id}/files",
            "/v1/acquisitions/{id}/files/{filename}",
            "/v1/acquisitions/{id}/review",
            "/v1/acquisitions/{id}/submit",
            "/v1/audit",
            "/v1/datasets",
            "/v1/datasets/{id}",
            "/v1/datasets/{id}/tags",
            "/v1/datasets/{id}/versions/{version}/data",
            "/v1/files/{id}",
            "/v1/files/{id}/review",
            "/v1/reviews",
            "/v1/tokens/rotate",
            "/v1/transfers",
            "/v1/transfers/{id}",
            "/v1/transfers/{id}/review",
            "/v1/uploads",
            "/v1/uploads/{id}",
            "/v1/users",
            "/v1/users/{name}/disable",
            "/v1/users/{name}/enable",
            "/v1/users/{name}/revoke",
            "/v1/users/{name}/tokens",
            "/v1/zones",
        ]
    );
    for (path, ops) in paths {
        if !path.starts_with("/v1/") {
            continue;
        }
        let uri = path
            .replace("{id}", "x")
            .replace("{filename}", "f.csv")
            .replace("{name}", "someone");
        for method in ops.as_object().unwrap().keys() {
            let (status, body) = f
                .call(&method.to_uppercase(), &uri, None, Body::empty())
                .await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {path}");
            if method != "head" {
                // A HEAD answer has no body.
                assert_eq!(body["code"], "unauthorized", "{method} {path}");
            }
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
async fn the_document_tags_operations_by_resource_and_enumerates_the_lake_zones() {
    let f = fixture(1 << 20).await;
    let (_, doc) = f.call("GET", "/openapi.json", None, Body::empty()).await;
    let tag = |path: &str, method: &str| doc["paths"][path][method]["tags"][0].clone();
    assert_eq!(tag("/v1/zones", "get"), "zones");
    assert_eq!(
        tag("/v1/acquisitions/{id}/files/{filename}", "put"),
        "acquisitions"
    );
    assert_eq!(tag("/v1/uploads/{id}", "patch"), "uploads");
    assert_eq!(tag("/v1/users/{name}/revoke", "post"), "users");
    let zones = &doc["components"]["schemas"]["ZoneName"]["enum"];
    assert_eq!(zones, &serde_json::json!(["corporate", "sandbox"]));
    // Every authenticated operation documents 401, and each with input 400.
    let audit = &doc["paths"]["/v1/audit"]["get"]["responses"];
    assert!(
        audit["400"].is_object() && audit["401"].is_object(),
        "{audit}"
    );
}

#[tokio::test]
async fn bad_query_strings_paths_and_limits_answer_the_json_error_body() {
    let f = fixture(1 << 20).await;
    let cases = [
        ("/v1/audit?limit=abc", "invalid_query"),
        ("/v1/audit?limit=0", "invalid_limit"),
        ("/v1/audit?after=-1", "invalid_after"),
        ("/v1/acquisitions/x/files?limit=1001", "invalid_limit"),
        ("/v1/datasets?limit=101", "invalid_limit"),
        ("/v1/datasets?offset=-1", "invalid_offset"),
        (
            "/v1/datasets?format=yaml&limit=9223372036854775808",
            "invalid_query",
        ),
        ("/v1/datasets/x/versions/first/data", "invalid_path"),
        (
            "/v1/datasets/x/versions/1/data?format=yaml",
            "invalid_query",
        ),
    ];
    for (uri, code) in cases {
        let (status, body) = f.call("GET", uri, Some(&f.admin), Body::empty()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}: {body}");
        assert_eq!(body["code"], code, "{uri}: {body}");
    }
    // An ingest zone holds no datasets: filtering by it is refused, as an
    // unknown zone is.
    for zone in ["trusted", "nowhere"] {
        let uri = format!("/v1/datasets?zone={zone}");
        let (status, body) = f.call("GET", &uri, Some(&f.analyst), Body::empty()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{uri}: {body}");
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

/// A zip of stored (uncompressed) members.
fn stored_zip(members: &[(&str, &[u8])]) -> Vec<u8> {
    let (mut out, mut cd) = (Vec::new(), Vec::new());
    let le16 = |v: usize| (v as u16).to_le_bytes();
    let le32 = |v: u64| (v as u32).to_le_bytes();
    for (name, data) in members {
        let offset = out.len();
        let mut crc = flate2::Crc::new();
        crc.update(data);
        let sizes = [
            le32(crc.sum() as u64),
            le32(data.len() as u64),
            le32(data.len() as u64),
        ];
        out.extend(b"PK\x03\x04");
        out.extend([le16(20), le16(0), le16(0), le16(0), le16(0x21)].concat());
        out.extend(sizes.concat());
        out.extend([le16(name.len()), le16(0)].concat());
        out.extend(name.as_bytes());
        out.extend(*data);
        cd.extend(b"PK\x01\x02");
        cd.extend([le16(20), le16(20), le16(0), le16(0), le16(0), le16(0x21)].concat());
        cd.extend(sizes.concat());
        cd.extend([le16(name.len()), le16(0), le16(0), le16(0), le16(0)].concat());
        cd.extend([le32(0), le32(offset as u64)].concat());
        cd.extend(name.as_bytes());
    }
    let at = out.len();
    out.extend(b"PK\x05\x06");
    out.extend([le16(0), le16(0), le16(members.len()), le16(members.len())].concat());
    out.extend([le32(cd.len() as u64), le32(at as u64)].concat());
    out.extend(le16(0));
    out.extend(cd);
    // The directory goes before its end record.
    let end = out.split_off(at);
    let (record, directory) = end.split_at(22);
    out.extend(directory);
    out.extend(record);
    out
}

#[tokio::test]
async fn every_member_and_its_verdicts_show_in_the_file_view() {
    let f = fixture_with(
        1 << 20,
        vec![EngineConfig::Filetype, EngineConfig::archive()],
    )
    .await;
    let acq = f.sandbox_acquisition().await;
    let mut pe = b"MZ\x90\x00".to_vec();
    pe.resize(0x80, 0);
    let zip = stored_zip(&[("ok.csv", b"a,b\n1,2\n"), ("tools/run.csv", &pe)]);
    let file = f.deliver_and_process(&acq, "bundle.zip", zip).await;
    assert_eq!(file["state"], "rejected", "{file}");
    assert_eq!(file["reason"], "infected");
    assert!(
        file["error"]
            .as_str()
            .unwrap()
            .contains("tools/run.csv: filetype: Airlock.FileType.Executable"),
        "{file}"
    );
    let engines = |verdicts: &Value| -> Vec<(String, String)> {
        verdicts
            .as_array()
            .unwrap()
            .iter()
            .map(|v| {
                (
                    v["engine"].as_str().unwrap().into(),
                    v["verdict"].as_str().unwrap().into(),
                )
            })
            .collect()
    };
    let pair = |e: &str, v: &str| (e.to_owned(), v.to_owned());
    assert_eq!(
        engines(&file["verdicts"]),
        [pair("archive", "clean"), pair("filetype", "clean")]
    );
    let members = file["members"].as_array().unwrap();
    assert_eq!(members.len(), 2, "{file}");
    assert_eq!(members[0]["path"], "ok.csv");
    assert_eq!(members[0]["sha256"], sha256_hex(b"a,b\n1,2\n"));
    assert_eq!(members[0]["size_bytes"], 8);
    assert_eq!(
        engines(&members[0]["verdicts"]),
        [pair("archive", "clean"), pair("filetype", "clean")]
    );
    assert_eq!(members[1]["path"], "tools/run.csv");
    assert_eq!(
        engines(&members[1]["verdicts"]),
        [pair("archive", "clean"), pair("filetype", "infected")]
    );
}

#[tokio::test]
async fn acquisitions_record_what_they_explicitly_allow() {
    let f = fixture_with(1 << 20, vec![EngineConfig::Filetype]).await;
    let (status, body) = f
        .acquisition(
            &f.engineer,
            json!({"name": "Tools", "target_zone": "sandbox", "classification": "OFFICIAL",
                   "allow": ["anything"]}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["code"], "invalid_allow");
    let (status, acq) = f
        .acquisition(
            &f.engineer,
            json!({"name": "Tools", "target_zone": "sandbox", "classification": "OFFICIAL",
                   "allow": ["scripts", "executables"], "sheet": "Data"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{acq}");
    assert_eq!(acq["allow"], json!(["executables", "scripts"]));
    assert_eq!(acq["sheet"], "Data", "the sheet its workbooks publish");
    // The allowance reaches the scan: a script delivered as .sh is clean.
    let id = acq["id"].as_str().unwrap();
    let file = f
        .deliver_and_process(id, "setup.sh", b"#!/bin/sh\necho hi\n".to_vec())
        .await;
    assert_eq!(file["verdicts"][0]["verdict"], "clean", "{file}");
    // Without it, the same bytes are refused.
    let plain = f.sandbox_acquisition().await;
    let file = f
        .deliver_and_process(&plain, "setup.sh", b"#!/bin/sh\necho hi\n".to_vec())
        .await;
    assert_eq!(file["reason"], "infected", "{file}");
}

#[tokio::test]
async fn a_rescan_taints_a_published_dataset_when_a_new_signature_flags_its_source() {
    let lists = tempfile::tempdir().unwrap();
    let list = lists.path().join("blocklist.sha256");
    std::fs::write(&list, "# nothing blocked yet\n").unwrap();
    let f = fixture_with(
        1 << 20,
        vec![
            EngineConfig::Filetype,
            EngineConfig::Hashlist {
                files: vec![list.clone()],
            },
        ],
    )
    .await;
    let acq = f.sandbox_acquisition().await;
    let csv = b"id,score\n1,3.5\n2,4.0\n".to_vec();
    let file = f.deliver_and_process(&acq, "scores.csv", csv.clone()).await;
    assert_eq!(file["state"], "published", "{file}");
    let dataset_uri = format!("/v1/datasets/{}", file["dataset_id"].as_str().unwrap());

    // Nothing changed: nothing is rescanned.
    let s = f.app.rescan().await.unwrap();
    assert_eq!((s.current, s.rescanned, s.tainted), (1, 0, 0));

    // A new hash list entry flags the published source; the scheduled job
    // (every second here) finds it.
    std::fs::write(&list, format!("{}  scores.csv\n", sha256_hex(&csv))).unwrap();
    let stop = tokio_util::sync::CancellationToken::new();
    let job = {
        let (app, stop) = (f.app.clone(), stop.clone());
        let every_second = airlock_ingest::jobs::schedule("test", "* * * * * *").unwrap();
        tokio::spawn(async move {
            airlock_ingest::jobs::every("rescan", every_second, None, stop, || app.rescan()).await
        })
    };
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    let dataset = loop {
        let (status, dataset) = f
            .call("GET", &dataset_uri, Some(&f.analyst), Body::empty())
            .await;
        assert_eq!(status, StatusCode::OK, "{dataset}");
        if dataset["versions"][0]["tainted_at"].is_string() {
            break dataset;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no rescan tainted the dataset: {dataset}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    stop.cancel();
    job.await.unwrap();
    let v = &dataset["versions"][0];
    assert!(v["tainted_at"].is_string(), "{dataset}");
    assert!(
        v["taint_reason"]
            .as_str()
            .unwrap()
            .starts_with("infected: hashlist: sha256:"),
        "{dataset}"
    );
    let (_, file) = f
        .call(
            "GET",
            &format!("/v1/files/{}", file["id"].as_str().unwrap()),
            Some(&f.engineer),
            Body::empty(),
        )
        .await;
    assert!(
        file["verdicts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["engine"] == "hashlist" && v["verdict"] == "infected"),
        "the file shows the rescan's verdicts: {file}"
    );
    let events = f.app.catalog.audit_events(0, 1000).await.unwrap();
    assert!(events.iter().any(|e| e.action == "dataset.taint"
        && e.subject == file["dataset_id"].as_str().unwrap()
        && e.actor == "system:rescan"));
    airlock_catalog::verify_audit(f.app.catalog.as_ref(), None)
        .await
        .unwrap();

    // A tainted version is not rescanned again.
    let s = f.app.rescan().await.unwrap();
    assert_eq!((s.current, s.rescanned), (0, 0));
}

#[tokio::test]
async fn content_is_held_to_the_format_its_supplier_declared() {
    let f = fixture_with(1 << 20, vec![EngineConfig::Filetype]).await;
    let acq = f.sandbox_acquisition().await;
    let (status, body) = f
        .call(
            "PUT",
            &format!("/v1/acquisitions/{acq}/files/a.csv?format=exe"),
            Some(&f.engineer),
            Body::from("a,b\n"),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["code"], "invalid_format");

    let ok = f
        .deliver_and_process(&acq, "a.csv?format=csv", b"a,b\n1,2\n".to_vec())
        .await;
    assert_eq!(ok["declared_format"], "csv");
    assert_eq!(ok["state"], "published", "{ok}");

    // Text declared as Parquet: the content contradicts the declaration.
    let wrong = f
        .deliver_and_process(&acq, "b.dat?format=parquet", b"a,b\n3,4\n".to_vec())
        .await;
    assert_eq!(wrong["reason"], "infected", "{wrong}");
    assert_eq!(
        wrong["verdicts"][0]["detail"],
        "Airlock.FileType.Mismatch (declared parquet, holds text)"
    );
}

#[tokio::test]
async fn gzip_compressed_tsv_and_ndjson_are_published() {
    use std::io::Write;
    let f = fixture_with(
        1 << 20,
        vec![EngineConfig::Filetype, EngineConfig::archive()],
    )
    .await;
    let acq = f.sandbox_acquisition().await;
    let tsv = b"id\tregion\tscore\n1\tnorth, east\t3.5\n2\tsouth\t4.0\n";
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(tsv).unwrap();
    let file = f
        .deliver_and_process(&acq, "scores.tsv.gz", gz.finish().unwrap())
        .await;
    assert_eq!(file["state"], "published", "{file}");
    assert_eq!(file["members"][0]["path"], "scores.tsv");
    let uri = format!("/v1/datasets/{}", file["dataset_id"].as_str().unwrap());
    let (_, dataset) = f.call("GET", &uri, Some(&f.analyst), Body::empty()).await;
    assert_eq!(dataset["name"], "survey.scores", "{dataset}");
    assert_eq!(dataset["versions"][0]["rows"], 2);
    assert_eq!(
        columns(&dataset),
        [("id", "int64"), ("region", "string"), ("score", "float64")]
    );

    // NDJSON with a nested object: published with a struct column.
    let ndjson =
        b"{\"id\": 1, \"who\": {\"name\": \"Ada\"}}\n{\"id\": 2, \"who\": {\"name\": \"Grace\"}}\n";
    let file = f
        .deliver_and_process(&acq, "people.ndjson", ndjson.to_vec())
        .await;
    assert_eq!(file["state"], "published", "{file}");
    let uri = format!("/v1/datasets/{}", file["dataset_id"].as_str().unwrap());
    let (_, dataset) = f.call("GET", &uri, Some(&f.analyst), Body::empty()).await;
    assert_eq!(dataset["versions"][0]["rows"], 2);
    assert!(
        dataset["columns"][1]["type"]
            .as_str()
            .unwrap()
            .starts_with("struct"),
        "{dataset}"
    );
}

#[tokio::test]
async fn a_file_publishes_into_an_s3_lake() {
    let bucket = std::env::var("AIRLOCK_TEST_S3_BUCKET").expect(
        "AIRLOCK_TEST_S3_BUCKET is not set: run the tests with scripts/test.sh, which starts s3s-fs",
    );
    let prefix = format!("api/{}", uuid::Uuid::now_v7().simple());
    let zones: Config =
        toml::from_str(&zones::sandbox_lake(&format!("s3://{bucket}/{prefix}"))).unwrap();
    let f = fixture_in(1 << 20, vec![EngineConfig::Filetype], zones).await;
    let acq = f.sandbox_acquisition().await;
    let file = f
        .deliver_and_process(&acq, "scores.csv", b"id,score\n1,3.5\n2,4.0\n".to_vec())
        .await;
    assert_eq!(file["state"], "published", "{file}");
    let uri = format!("/v1/datasets/{}", file["dataset_id"].as_str().unwrap());
    let (_, dataset) = f.call("GET", &uri, Some(&f.analyst), Body::empty()).await;
    let location = dataset["versions"][0]["location"].as_str().unwrap();
    assert_eq!(
        location,
        format!("s3://{bucket}/{prefix}/survey.scores/v1/")
    );

    // The object is in the bucket, and it is Parquet with both rows.
    let lake = airlock_ingest::lake::Lake::open(&format!("s3://{bucket}/{prefix}")).unwrap();
    use object_store::ObjectStoreExt;
    let bytes = lake
        .store
        .get(
            &airlock_ingest::lake::Lake::version_prefix("survey.scores", 1)
                .join(airlock_convert::write::part_name(0).as_str()),
        )
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let rows: usize = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(bytes)
        .unwrap()
        .build()
        .unwrap()
        .map(|b| b.unwrap().num_rows())
        .sum();
    assert_eq!(rows, 2);
}

#[tokio::test]
async fn deliveries_are_held_to_the_acquisitions_declared_schema() {
    let f = fixture_with(1 << 20, vec![EngineConfig::Filetype]).await;
    let schema = json!({"columns": [
        {"name": "id", "type": "int64", "nullable": false},
        {"name": "amount", "type": "decimal(10,2)"},
        {"name": "on", "type": "date"}
    ]});
    for (bad, why) in [
        (json!({"columns": []}), "at least one column"),
        (
            json!({"columns": [{"name": "a", "type": "int64"}, {"name": "a", "type": "date"}]}),
            "twice",
        ),
    ] {
        let (status, body) = f
            .acquisition(
                &f.engineer,
                json!({"name": "Bad", "target_zone": "sandbox", "classification": "OFFICIAL",
                       "schema": bad}),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(body["code"], "invalid_schema");
        assert!(body["message"].as_str().unwrap().contains(why), "{body}");
    }
    let (status, body) = f
        .acquisition(
            &f.engineer,
            json!({"name": "Typo", "target_zone": "sandbox", "classification": "OFFICIAL",
                   "schema": {"columns": [{"name": "a", "type": "integer"}]}}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("unknown column type \"integer\""),
        "{body}"
    );

    let (status, acq) = f
        .acquisition(
            &f.engineer,
            json!({"name": "Payments", "target_zone": "sandbox", "classification": "OFFICIAL",
                   "schema": schema}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{acq}");
    assert_eq!(acq["schema"]["columns"][0], schema["columns"][0]);
    assert_eq!(
        acq["schema"]["columns"][1]["nullable"], true,
        "nullable unless declared otherwise"
    );
    let acq = acq["id"].as_str().unwrap();

    // Columns in another order, values of the declared types: published as
    // declared.
    let good = b"on,amount,id\n2026-01-31,12.50,1\n2026-02-01,7,2\n".to_vec();
    let file = f.deliver_and_process(acq, "good.csv", good).await;
    assert_eq!(file["state"], "published", "{file}");
    let uri = format!("/v1/datasets/{}", file["dataset_id"].as_str().unwrap());
    let (_, dataset) = f.call("GET", &uri, Some(&f.analyst), Body::empty()).await;
    assert_eq!(
        columns(&dataset),
        [("id", "int64"), ("amount", "decimal(10,2)"), ("on", "date")]
    );

    // Misfits are counted per column with their first line; the default
    // policy rejects the file and nothing reaches the lake.
    let bad =
        b"id,amount,on,note\n1,12.345,2026-01-31,a\n,3,31/01/2026,b\nx,4,2026-02-02,c\n".to_vec();
    let file = f.deliver_and_process(acq, "bad.csv", bad).await;
    assert_eq!(file["state"], "rejected", "{file}");
    assert_eq!(file["reason"], "contract");
    let error = file["error"].as_str().unwrap();
    for finding in [
        "column \"note\" is not declared",
        "column \"id\": 1 value is not int64, the first at line 4",
        "column \"id\": 1 value is missing (declared not nullable), the first at line 3",
        "column \"amount\": 1 value is not decimal(10,2), the first at line 2",
        "column \"on\": 1 value is not date, the first at line 3",
    ] {
        assert!(error.contains(finding), "{finding} in {error}");
    }
    assert!(!error.contains("31/01/2026"), "values are never reported");
    assert!(file["dataset_id"].is_null());
}

/// A minimal .xlsx: each sheet's rows, numbers as numbers, the rest as
/// inline strings; a sheet with no rows is empty.
fn workbook(sheets: &[(&str, &[&[&str]])]) -> Vec<u8> {
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let overrides: String = (1..=sheets.len())
        .map(|i| {
            format!(
                r#"<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>"#
            )
        })
        .collect();
    files.push((
        "[Content_Types].xml".into(),
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>{overrides}</Types>"#
        )
        .into_bytes(),
    ));
    files.push((
        "_rels/.rels".into(),
        br#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#.to_vec(),
    ));
    let (mut entries, mut rels) = (String::new(), String::new());
    for (i, (name, rows)) in sheets.iter().enumerate() {
        let n = i + 1;
        entries += &format!(r#"<sheet name="{name}" sheetId="{n}" r:id="rId{n}"/>"#);
        rels += &format!(
            r#"<Relationship Id="rId{n}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet{n}.xml"/>"#
        );
        let mut data = String::new();
        for (r, row) in rows.iter().enumerate() {
            data += &format!(r#"<row r="{}">"#, r + 1);
            for (c, v) in row.iter().enumerate() {
                let at = format!("{}{}", (b'A' + c as u8) as char, r + 1);
                data += &match v.parse::<f64>() {
                    Ok(_) => format!(r#"<c r="{at}"><v>{v}</v></c>"#),
                    Err(_) => format!(r#"<c r="{at}" t="inlineStr"><is><t>{v}</t></is></c>"#),
                };
            }
            data += "</row>";
        }
        files.push((
            format!("xl/worksheets/sheet{n}.xml"),
            format!(
                r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{data}</sheetData></worksheet>"#
            )
            .into_bytes(),
        ));
    }
    files.push((
        "xl/workbook.xml".into(),
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>{entries}</sheets></workbook>"#
        )
        .into_bytes(),
    ));
    files.push((
        "xl/_rels/workbook.xml.rels".into(),
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}</Relationships>"#
        )
        .into_bytes(),
    ));
    let members: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(n, d)| (n.as_str(), d.as_slice()))
        .collect();
    stored_zip(&members)
}

#[tokio::test]
async fn each_sheet_of_a_workbook_is_its_own_dataset() {
    let f = fixture_with(1 << 20, vec![EngineConfig::Filetype]).await;
    let acq = f.sandbox_acquisition().await;
    let book = workbook(&[
        ("North", &[&["id", "score"], &["1", "3.5"], &["2", "4"]]),
        ("Notes", &[]),
        ("South Region", &[&["id", "town"], &["7", "Truro"]]),
    ]);
    let file = f.deliver_and_process(&acq, "regions.xlsx", book).await;
    assert_eq!(file["state"], "published", "{file}");
    let outputs = file["datasets"].as_array().unwrap();
    let names: Vec<&str> = outputs
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["survey.regions.north", "survey.regions.south-region"],
        "an empty sheet is no table"
    );
    let mut shapes = Vec::new();
    for o in outputs {
        let uri = format!("/v1/datasets/{}", o["dataset_id"].as_str().unwrap());
        let (_, d) = f.call("GET", &uri, Some(&f.analyst), Body::empty()).await;
        let rows = d["versions"][0]["rows"].as_i64().unwrap();
        let columns: Vec<String> = columns(&d)
            .iter()
            .map(|(n, t)| format!("{n}:{t}"))
            .collect();
        shapes.push((rows, columns));
    }
    assert_eq!(
        shapes,
        [
            (2, vec!["id:int64".to_owned(), "score:float64".to_owned()]),
            (1, vec!["id:int64".to_owned(), "town:string".to_owned()]),
        ]
    );
}

#[tokio::test]
async fn admins_read_the_audit_log_page_by_page_and_nobody_else_does() {
    let f = fixture(1 << 20).await;
    f.sandbox_acquisition().await;
    for token in [&f.engineer, &f.analyst, &f.reviewer] {
        let (status, body) = f.call("GET", "/v1/audit", Some(token), Body::empty()).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    }
    let (status, events) = f
        .call("GET", "/v1/audit?limit=3", Some(&f.admin), Body::empty())
        .await;
    assert_eq!(status, StatusCode::OK, "{events}");
    let events = events.as_array().unwrap();
    assert_eq!(events.len(), 3);
    assert_eq!(events[0]["seq"], 1);
    assert_eq!(events[0]["action"], "user.create");
    assert_eq!(events[1]["prev_hash"], events[0]["hash"], "chained");
    // Eight events: six users, the acquisition and its approval, with
    // the policy that let the reviewer decide.
    let (_, rest) = f
        .call("GET", "/v1/audit?after=3", Some(&f.admin), Body::empty())
        .await;
    let rest = rest.as_array().unwrap();
    assert_eq!(rest.len(), 5, "{rest:?}");
    assert_eq!(rest[3]["action"], "acquisition.create");
    assert_eq!(rest[3]["detail"]["target_zone"], "sandbox");
    assert!(
        rest[3]["detail"]["decided_by"][0]
            .as_str()
            .unwrap()
            .starts_with("engineers-and-reviewers-register-acquisitions (access.cedar:"),
        "{}",
        rest[3]
    );
    assert_eq!(rest[4]["action"], "acquisition.review");
    assert_eq!(rest[4]["actor"], rest[0]["subject"], "rita, the reviewer");
    assert!(
        rest[4]["detail"]["policies"][0]
            .as_str()
            .unwrap()
            .starts_with("reviewers-decide (access.cedar:"),
        "{}",
        rest[4]
    );
    assert_eq!(rest[0]["prev_hash"], events[2]["hash"]);
}

#[tokio::test]
async fn analysts_see_only_datasets_in_zones_they_are_cleared_for() {
    let f = fixture(1 << 20).await;
    let (status, acq) = f
        .acquisition(
            &f.engineer,
            json!({"name": "Health", "target_zone": "corporate",
                   "classification": "OFFICIAL-SENSITIVE"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{acq}");
    let file = f
        .deliver_and_process(
            acq["id"].as_str().unwrap(),
            "visits.csv",
            b"id\n1\n".to_vec(),
        )
        .await;
    assert_eq!(file["state"], "published", "{file}");
    let uri = format!("/v1/datasets/{}", file["dataset_id"].as_str().unwrap());

    // The analyst, cleared for the sandbox only, neither finds nor opens it.
    let (_, list) = f
        .call("GET", "/v1/datasets", Some(&f.analyst), Body::empty())
        .await;
    assert_eq!(list, json!({"datasets": []}), "hidden from the search");
    let (status, body) = f.call("GET", &uri, Some(&f.analyst), Body::empty()).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert!(!body.to_string().contains("corporate"), "{body}");
    // A reviewer does both.
    let (_, list) = f
        .call("GET", "/v1/datasets", Some(&f.reviewer), Body::empty())
        .await;
    assert_eq!(list["datasets"][0]["zone"], "corporate");
    let (status, _) = f.call("GET", &uri, Some(&f.reviewer), Body::empty()).await;
    assert_eq!(status, StatusCode::OK);

    // Clearances are for analysts, who need at least one.
    let catalog = f.app.catalog.as_ref();
    let sandbox: Vec<ZoneName> = vec!["sandbox".parse().unwrap()];
    assert!(
        auth::add_user(catalog, "nozones", Role::Analyst, &[])
            .await
            .is_err()
    );
    assert!(
        auth::add_user(catalog, "eng2", Role::Engineer, &sandbox)
            .await
            .is_err()
    );
}

#[tokio::test]
async fn acquisitions_need_a_second_pair_of_eyes_before_files_are_accepted() {
    let f = fixture(1 << 20).await;
    let lfs = json!({"name": "LFS", "target_zone": "sandbox", "classification": "OFFICIAL",
                     "ethics_ref": "NSDEC(24)07"});
    let (status, acq) = f.register(&f.engineer, lfs).await;
    assert_eq!(status, StatusCode::CREATED, "{acq}");
    assert_eq!(acq["state"], "pending_review");
    assert_eq!(acq["supplier"], "ONS Social Survey Division");
    assert_eq!(acq["retention_days"], 365);
    assert_eq!(acq["ethics_ref"], "NSDEC(24)07");
    let id = acq["id"].as_str().unwrap();
    let uri = format!("/v1/acquisitions/{id}");

    // Nothing is accepted before approval.
    let put = format!("{uri}/files/a.csv");
    let (status, body) = f
        .call("PUT", &put, Some(&f.engineer), Body::from("a\n1\n"))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(
        body["message"],
        format!(
            "acquisition {id} is pending_review; files are accepted only for approved acquisitions"
        )
    );

    // Another engineer may not approve; neither may a reviewer approve
    // their own registration.
    let (status, body) = f.review(&f.other_engineer, &uri, "approve").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["message"], "engineer may not review acquisitions");
    let (status, own) = f
        .register(
            &f.reviewer,
            json!({"name": "Rita's", "target_zone": "sandbox",
                                      "classification": "OFFICIAL"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{own}");
    let own_uri = format!("/v1/acquisitions/{}", own["id"].as_str().unwrap());
    let (status, body) = f.review(&f.reviewer, &own_uri, "approve").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(
        body["message"],
        "nobody may review what they submitted themselves"
    );

    // The queue shows both; a second reviewer decides.
    let (status, queue) = f
        .call("GET", "/v1/reviews", Some(&f.reviewer), Body::empty())
        .await;
    assert_eq!(status, StatusCode::OK, "{queue}");
    assert_eq!(
        queue["acquisitions"].as_array().unwrap().len(),
        2,
        "{queue}"
    );
    let (status, body) = f.review(&f.other_reviewer, &own_uri, "reject").await;
    assert_eq!(
        (status, body["state"].as_str()),
        (StatusCode::OK, Some("rejected"))
    );
    let (status, body) = f.review(&f.reviewer, &uri, "maybe").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_json"))
    );
    let (status, approved) = f.review(&f.reviewer, &uri, "approve").await;
    assert_eq!(status, StatusCode::OK, "{approved}");
    assert_eq!(approved["state"], "approved");
    let (status, body) = f.review(&f.other_reviewer, &uri, "reject").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::CONFLICT, Some("wrong_state"))
    );
    let (status, body) = f
        .call("PUT", &put, Some(&f.engineer), Body::from("a\n1\n"))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");

    // Closed: no more deliveries.
    let (status, closed) = f
        .call(
            "POST",
            &format!("{uri}/close"),
            Some(&f.engineer),
            Body::empty(),
        )
        .await;
    assert_eq!(
        (status, closed["state"].as_str()),
        (StatusCode::OK, Some("closed"))
    );
    let (status, _) = f
        .call(
            "PUT",
            &format!("{uri}/files/b.csv"),
            Some(&f.engineer),
            Body::from("a\n2\n"),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);

    // A draft waits for its owner to submit it.
    let (status, draft) = f
        .register(
            &f.engineer,
            json!({"name": "Later", "target_zone": "sandbox",
                                      "classification": "OFFICIAL", "draft": true}),
        )
        .await;
    assert_eq!(
        (status, draft["state"].as_str()),
        (StatusCode::CREATED, Some("draft"))
    );
    let draft_uri = format!("/v1/acquisitions/{}", draft["id"].as_str().unwrap());
    let (status, _) = f
        .call(
            "POST",
            &format!("{draft_uri}/submit"),
            Some(&f.other_engineer),
            Body::empty(),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, submitted) = f
        .call(
            "POST",
            &format!("{draft_uri}/submit"),
            Some(&f.engineer),
            Body::empty(),
        )
        .await;
    assert_eq!(
        (status, submitted["state"].as_str()),
        (StatusCode::OK, Some("pending_review"))
    );

    // The record is required.
    let (status, body) = f
        .register(
            &f.engineer,
            json!({"name": "Bare", "target_zone": "sandbox",
                                      "classification": "OFFICIAL", "supplier": " "}),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_acquisition"))
    );
    let (status, body) = f
        .register(
            &f.engineer,
            json!({"name": "Bare", "target_zone": "sandbox",
                                      "classification": "OFFICIAL", "retention_days": 0}),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_acquisition"))
    );
}

/// A CSV of contacts: two columns of personal data.
const CONTACTS: &str = "id,email,phone\n1,ada.lovelace@example.org,+44 20 7946 0018\n\
                        2,alan.turing@example.co.uk,+44 161 496 0734\n3,grace@example.com,+1 202 555 0173\n";

#[tokio::test]
async fn undeclared_personal_data_waits_for_a_reviewer_who_sees_only_counts() {
    let f = fixture(1 << 20).await;
    let (status, acq) = f
        .acquisition(
            &f.engineer,
            json!({"name": "Contacts", "target_zone": "sandbox",
                                         "classification": "OFFICIAL"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{acq}");
    let acq = acq["id"].as_str().unwrap();
    let held = f
        .deliver_and_process(acq, "contacts.csv", CONTACTS.into())
        .await;
    assert_eq!(held["state"], "awaiting_review", "{held}");
    let id = held["id"].as_str().unwrap();
    assert_eq!(held["dataset_id"], Value::Null);

    // The queue, for reviewers only, carries the evidence.
    let (status, _) = f
        .call("GET", "/v1/reviews", Some(&f.engineer), Body::empty())
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, queue) = f
        .call("GET", "/v1/reviews", Some(&f.reviewer), Body::empty())
        .await;
    assert_eq!(status, StatusCode::OK);
    let entry = &queue["files"][0];
    assert_eq!(entry["id"], id);
    assert_eq!(entry["submitted_by"]["name"], "eve");
    assert_eq!(entry["acquisition"]["id"], acq);
    assert_eq!(entry["verdicts"][0]["verdict"], "clean", "{entry}");
    let evidence = &entry["evidence"];
    assert_eq!(
        evidence["reason"],
        "personal data the acquisition did not declare: email, phone in 2 columns"
    );
    assert!(
        evidence["decided_by"].as_array().unwrap().is_empty(),
        "no policy permitted it: {evidence}"
    );
    assert_eq!(evidence["findings"]["rows"], 3);
    let columns = &evidence["tables"][0]["columns"];
    assert_eq!(columns[1]["name"], "email");
    assert_eq!(columns[1]["pii"], json!({"email": 3}));
    assert_eq!(columns[2]["pii"], json!({"phone": 3}));
    // Counts, never values.
    let text = queue.to_string();
    assert!(
        !text.contains("lovelace") && !text.contains("7946"),
        "{text}"
    );

    // The submitter may not release it; a reviewer does, and it publishes.
    let uri = format!("/v1/files/{id}");
    let (status, _) = f.review(&f.engineer, &uri, "approve").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, released) = f.review(&f.reviewer, &uri, "approve").await;
    assert_eq!(
        (status, released["state"].as_str()),
        (StatusCode::OK, Some("checking"))
    );
    let published = f.process_due(id).await;
    assert_eq!(published["state"], "published", "{published}");
    assert_eq!(published["reviews"][0]["decision"], "approve");
    let (_, queue) = f
        .call("GET", "/v1/reviews", Some(&f.reviewer), Body::empty())
        .await;
    assert!(queue["files"].as_array().unwrap().is_empty());
    let (_, audit) = f
        .call("GET", "/v1/audit?limit=1000", Some(&f.admin), Body::empty())
        .await;
    let publish = audit
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "file.publish" && e["subject"] == id)
        .expect("the publication is audited");
    assert!(
        publish["detail"]["decided_by"][0]
            .as_str()
            .unwrap()
            .starts_with("reviewer:"),
        "{publish}"
    );

    // Declared personal data publishes without review, by policy.
    let (_, declared) = f
        .acquisition(
            &f.engineer,
            json!({"name": "Declared", "target_zone": "sandbox",
                                         "classification": "OFFICIAL", "personal_data": true}),
        )
        .await;
    let file = f
        .deliver_and_process(
            declared["id"].as_str().unwrap(),
            "contacts.csv",
            CONTACTS.into(),
        )
        .await;
    assert_eq!(file["state"], "published", "{file}");
}

#[tokio::test]
async fn retention_deletes_expired_versions_with_proof_and_finishes_a_cut_pass() {
    use airlock_ingest::retention::Summary;
    const DAY: i64 = 86_400_000;
    let f = fixture(1 << 20).await;
    let (_, acq) = f
        .acquisition(
            &f.engineer,
            json!({"name": "Short", "target_zone": "sandbox", "classification": "OFFICIAL",
                   "retention_days": 30}),
        )
        .await;
    let acq = acq["id"].as_str().unwrap();
    let old = f
        .deliver_and_process(acq, "old.csv", b"id\n1\n".to_vec())
        .await;
    let cut = f
        .deliver_and_process(acq, "cut.csv", b"id\n2\n".to_vec())
        .await;
    let location = |file: &Value| {
        let uri = format!("/v1/datasets/{}", file["dataset_id"].as_str().unwrap());
        let f = &f;
        async move {
            let (status, ds) = f.call("GET", &uri, Some(&f.analyst), Body::empty()).await;
            (
                status,
                ds["versions"][0]["location"].as_str().map(str::to_owned),
            )
        }
    };
    let (_, Some(old_dir)) = location(&old).await else {
        panic!("old is published")
    };
    let old_dir = std::path::PathBuf::from(old_dir.strip_prefix("file://").unwrap());
    let part = std::fs::read(old_dir.join("part-00000.parquet")).unwrap();
    let now = airlock_ingest::now_ms();

    // Within retention nothing goes.
    assert_eq!(
        f.app.retention(now + 29 * DAY).await.unwrap(),
        Summary::default()
    );

    // A pass cut short after its first step: `cut` is marked deleting.
    let cut_ds = cut["dataset_id"].as_str().unwrap();
    f.app
        .catalog
        .begin_deletion(cut_ds, 1, "system:retention", json!({"objects": []}))
        .await
        .unwrap();
    let cut_dir = f.app.lakes.get("sandbox").unwrap().location("short.cut", 1);
    let cut_dir = std::path::PathBuf::from(cut_dir.strip_prefix("file://").unwrap());
    assert!(cut_dir.join("part-00000.parquet").exists());

    let done = f.app.retention(now + 31 * DAY).await.unwrap();
    assert_eq!(
        done,
        Summary {
            deleted: 2,
            failed: 0
        }
    );
    assert!(!old_dir.exists() || std::fs::read_dir(&old_dir).unwrap().next().is_none());
    assert!(!cut_dir.join("part-00000.parquet").exists());
    assert_eq!(location(&old).await.0, StatusCode::NOT_FOUND);

    // The proof: every key with its size and SHA-256, audited before the
    // deletion, then the deletion itself.
    let (_, audit) = f
        .call("GET", "/v1/audit?limit=1000", Some(&f.admin), Body::empty())
        .await;
    let events = audit.as_array().unwrap();
    let subject = format!("{}/v1", old["dataset_id"].as_str().unwrap());
    let proof = events
        .iter()
        .find(|e| e["action"] == "dataset.delete.begin" && e["subject"] == subject)
        .expect("the proof is audited");
    let part_proof = proof["detail"]["objects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["key"] == "short.old/v1/part-00000.parquet")
        .expect("the part is in the proof");
    use sha2::Digest;
    assert_eq!(
        part_proof["sha256"],
        hex::encode(sha2::Sha256::digest(&part))
    );
    assert_eq!(part_proof["size_bytes"], part.len());
    assert_eq!(proof["detail"]["retention_days"], 30);
    assert_eq!(proof["actor"], "system:retention");
    let deleted: Vec<_> = events
        .iter()
        .filter(|e| e["action"] == "dataset.delete")
        .collect();
    assert_eq!(deleted.len(), 2);
    // Nothing left to do.
    assert_eq!(
        f.app.retention(now + 400 * DAY).await.unwrap(),
        Summary::default()
    );
}

#[tokio::test]
async fn an_export_waits_for_a_second_reviewer_then_is_rescanned_and_republished_with_lineage() {
    let f = fixture(1 << 20).await;
    let (_, acq) = f
        .acquisition(
            &f.engineer,
            json!({"name": "Trade", "target_zone": "corporate",
                                         "classification": "OFFICIAL"}),
        )
        .await;
    let source = f
        .deliver_and_process(
            acq["id"].as_str().unwrap(),
            "flows.csv",
            b"id,value\n1,2.5\n2,4\n".to_vec(),
        )
        .await;
    assert_eq!(source["state"], "published", "{source}");
    let source_ds = source["dataset_id"].as_str().unwrap();
    let request = |to: &str| {
        json!({"dataset_id": source_ds, "version": 1, "to_zone": to, "reason": "for the public release"})
            .to_string()
    };
    // Analysts may not see the corporate dataset, so cannot name it.
    let (status, _) = f
        .call(
            "POST",
            "/v1/transfers",
            Some(&f.analyst),
            Body::from(request("sandbox")),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, t) = f
        .call(
            "POST",
            "/v1/transfers",
            Some(&f.engineer),
            Body::from(request("sandbox")),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{t}");
    assert_eq!(t["state"], "pending_release", "an export always waits");
    let id = t["id"].as_str().unwrap();
    let uri = format!("/v1/transfers/{id}");
    let (status, _) = f
        .call("GET", &uri, Some(&f.other_engineer), Body::empty())
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        !airlock_ingest::transfer::process_due(&f.app).await.unwrap(),
        "not released yet"
    );

    let (status, _) = f.review(&f.engineer, &uri, "approve").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, queue) = f
        .call("GET", "/v1/reviews", Some(&f.reviewer), Body::empty())
        .await;
    assert_eq!(queue["transfers"][0]["id"], id, "{queue}");
    let (status, released) = f.review(&f.reviewer, &uri, "approve").await;
    assert_eq!(
        (status, released["state"].as_str()),
        (StatusCode::OK, Some("queued")),
        "{released}"
    );

    assert!(airlock_ingest::transfer::process_due(&f.app).await.unwrap());
    let (_, done) = f.call("GET", &uri, Some(&f.engineer), Body::empty()).await;
    assert_eq!(done["state"], "published", "{done}");
    // The copy's verdicts are in the catalog, as every delivery's are:
    // every engine's, on its one part, all clean.
    let mut engines: Vec<&str> = f.app.scanner.engine_names();
    engines.sort();
    let verdicts: Vec<(&str, &str, &str)> = done["verdicts"]
        .as_array()
        .expect("the transfer shows its verdicts")
        .iter()
        .map(|v| {
            (
                v["part"].as_str().unwrap(),
                v["engine"].as_str().unwrap(),
                v["verdict"].as_str().unwrap(),
            )
        })
        .collect();
    let want: Vec<(&str, &str, &str)> = engines
        .iter()
        .map(|e| ("part-00000.parquet", *e, "clean"))
        .collect();
    assert_eq!(verdicts, want, "{done}");
    let copy = format!(
        "/v1/datasets/{}",
        done["target_dataset_id"].as_str().unwrap()
    );
    let (status, ds) = f.call("GET", &copy, Some(&f.analyst), Body::empty()).await;
    assert_eq!(status, StatusCode::OK, "{ds}");
    assert_eq!(
        (ds["zone"].as_str(), ds["name"].as_str()),
        (Some("sandbox"), Some("trade.flows"))
    );
    let v = &ds["versions"][0];
    assert_eq!(v["rows"], 2);
    assert_eq!(
        v["source_file_ids"][0], source["id"],
        "lineage to the delivered file"
    );
    assert_eq!(
        v["transferred_from"],
        json!({"transfer_id": id, "dataset_id": source_ds, "version": 1})
    );
    assert_eq!(columns(&ds), [("id", "int64"), ("value", "float64")]);
    let location = v["location"].as_str().unwrap();
    assert!(
        location.contains("/lake/sandbox/trade.flows/v1/"),
        "{location}"
    );

    // The way back is closed, whatever anyone asks.
    let back =
        json!({"dataset_id": ds["id"], "version": 1, "to_zone": "corporate", "reason": "back"});
    let (status, body) = f
        .call(
            "POST",
            "/v1/transfers",
            Some(&f.engineer),
            Body::from(back.to_string()),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("non-sensitive data never enters a sensitive zone"),
        "{body}"
    );
    let (status, body) = f
        .call(
            "POST",
            "/v1/transfers",
            Some(&f.engineer),
            Body::from(request("trusted")),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("zone_rule")),
        "{body}"
    );

    // Above the sandbox's ceiling: refused before any reviewer is asked.
    let (_, sensitive) = f
        .acquisition(
            &f.engineer,
            json!({"name": "Tax", "target_zone": "corporate",
                                         "classification": "OFFICIAL-SENSITIVE"}),
        )
        .await;
    let tax = f
        .deliver_and_process(
            sensitive["id"].as_str().unwrap(),
            "tax.csv",
            b"id\n1\n".to_vec(),
        )
        .await;
    let up =
        json!({"dataset_id": tax["dataset_id"], "version": 1, "to_zone": "sandbox", "reason": "x"});
    let (status, body) = f
        .call(
            "POST",
            "/v1/transfers",
            Some(&f.engineer),
            Body::from(up.to_string()),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("ceiling"),
        "{body}"
    );
}

#[tokio::test]
async fn past_its_limits_a_delivery_is_refused_before_a_byte_is_kept() {
    let mut base = Config::default();
    base.limits.max_inflight_bytes_per_acquisition = 100;
    base.limits.max_inflight_bytes = 150;
    base.limits.max_concurrent_uploads_per_user = 1;
    let f = fixture_in(1 << 20, vec![EngineConfig::Filetype], base).await;
    let a = f.sandbox_acquisition().await;
    let (_, b) = f
        .acquisition(
            &f.engineer,
            json!({"name": "Other", "target_zone": "sandbox",
                                         "classification": "OFFICIAL"}),
        )
        .await;
    let b = b["id"].as_str().unwrap().to_owned();
    let csv = |n: usize, tag: &str| {
        let mut body = String::from("id,tag\n");
        while body.len() < n {
            body.push_str(&format!("{},{tag}\n", body.len()));
        }
        body.into_bytes()
    };
    let put = |acq: &str, name: &str, token: &str, body: Body| {
        let uri = format!("/v1/acquisitions/{acq}/files/{name}");
        let (f, token) = (&f, token.to_owned());
        async move { f.call("PUT", &uri, Some(&token), body).await }
    };
    let quarantined = || {
        std::fs::read_dir(f.app.config.quarantine_dir())
            .unwrap()
            .count()
    };

    let (status, first) = put(&a, "one.csv", &f.engineer, Body::from(csv(60, "a"))).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{first}");
    let before = quarantined();
    // The acquisition's room (100 bytes) cannot take 60 more.
    let (status, body) = put(&a, "two.csv", &f.engineer, Body::from(csv(60, "b"))).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, Some("quarantine_full")),
        "{body}"
    );
    assert_eq!(quarantined(), before, "nothing kept");
    // Another acquisition has room of its own, up to the total (150).
    let (status, third) = put(&b, "three.csv", &f.engineer, Body::from(csv(60, "c"))).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let (status, body) = put(&b, "four.csv", &f.engineer, Body::from(csv(40, "d"))).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    // Once the first is published its bytes no longer count.
    let done = f.process_due(first["id"].as_str().unwrap()).await;
    assert_eq!(done["state"], "published", "{done}");
    let (status, second) = put(&a, "two.csv", &f.engineer, Body::from(csv(60, "b"))).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    for file in [&third, &second] {
        let done = f.process_due(file["id"].as_str().unwrap()).await;
        assert_eq!(done["state"], "published", "{done}");
    }

    // One upload at a time per user: a second, while the first is still
    // arriving, gets 429; another user is not held up.
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<bytes::Bytes, std::io::Error>>(1);
    let (polled_tx, polled) = tokio::sync::oneshot::channel::<()>();
    let mut polled_tx = Some(polled_tx);
    let stream = futures::stream::unfold(rx, move |mut rx| {
        // The body is first read once the upload has been admitted.
        if let Some(tx) = polled_tx.take() {
            let _ = tx.send(());
        }
        async move { rx.recv().await.map(|chunk| (chunk, rx)) }
    });
    let arriving = {
        let app = f.app.clone();
        let uri = format!("/v1/acquisitions/{b}/files/slow.csv");
        let token = f.engineer.clone();
        tokio::spawn(async move {
            router::call(&app, "PUT", &uri, Some(&token), Body::from_stream(stream)).await
        })
    };
    polled.await.unwrap();
    let (status, body) = put(&b, "five.csv", &f.engineer, Body::from(csv(10, "e"))).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::TOO_MANY_REQUESTS, Some("too_many_uploads")),
        "{body}"
    );
    let (_, other) = f
        .acquisition(
            &f.other_engineer,
            json!({"name": "Oscar's", "target_zone": "sandbox",
                                               "classification": "OFFICIAL"}),
        )
        .await;
    let (status, _) = put(
        other["id"].as_str().unwrap(),
        "six.csv",
        &f.other_engineer,
        Body::from(csv(10, "f")),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    tx.send(Ok(bytes::Bytes::from_static(b"id\n1\n")))
        .await
        .unwrap();
    drop(tx);
    let (status, body) = arriving.await.unwrap();
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let (status, _) = put(&b, "five.csv", &f.engineer, Body::from(csv(10, "e"))).await;
    assert_eq!(status, StatusCode::ACCEPTED, "the slot is free again");

    // An upload of unknown length takes room as its bytes arrive: it is
    // refused the moment it outgrows what is left, and nothing is kept.
    let before = quarantined();
    let chunks: Vec<_> = (0..20)
        .map(|_| Ok::<_, std::io::Error>(bytes::Bytes::from(csv(10, "g"))))
        .collect();
    let (status, body) = put(
        &b,
        "seven.csv",
        &f.engineer,
        Body::from_stream(futures::stream::iter(chunks)),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, Some("quarantine_full")),
        "{body}"
    );
    assert_eq!(quarantined(), before, "nothing kept");

    // Every delivery shows in its acquisition's list, with its channel,
    // size and hash; only who may see the acquisition sees it.
    let uri = format!("/v1/acquisitions/{b}/files?limit=2");
    let (status, page) = f.call("GET", &uri, Some(&f.engineer), Body::empty()).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let names: Vec<&str> = page
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["filename"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["five.csv", "slow.csv"]);
    assert_eq!(page[1]["channel"], "api");
    assert_eq!(page[1]["size_bytes"], 5);
    let next = format!(
        "/v1/acquisitions/{b}/files?before={}",
        page[1]["id"].as_str().unwrap()
    );
    let (_, rest) = f.call("GET", &next, Some(&f.engineer), Body::empty()).await;
    assert_eq!(rest.as_array().unwrap().len(), 1, "three.csv: {rest}");
    let (status, _) = f
        .call("GET", &uri, Some(&f.other_engineer), Body::empty())
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
