//! End to end: the real `airlock` binary, a real clamd, real files.

mod support;

use std::fs::File;

use arrow::array::RecordBatch;
use arrow::util::display::{ArrayFormatter, FormatOptions};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde_json::Value;

use support::*;

/// Reads a published version's Parquet back as rows of display strings.
fn read_back(location: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let dir = location.strip_prefix("file://").expect("a local lake");
    let parts = files_under(std::path::Path::new(dir), ".parquet");
    assert_eq!(parts.len(), 1, "one part in {dir}");
    let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(&parts[0]).unwrap())
        .unwrap()
        .build()
        .unwrap();
    let batches: Vec<RecordBatch> = reader.collect::<Result<_, _>>().unwrap();
    let schema = batches[0].schema();
    let names = schema.fields().iter().map(|f| f.name().clone()).collect();
    let opts = FormatOptions::default();
    let mut rows = Vec::new();
    for b in &batches {
        let fmts: Vec<_> = b
            .columns()
            .iter()
            .map(|c| ArrayFormatter::try_new(c.as_ref(), &opts).unwrap())
            .collect();
        for i in 0..b.num_rows() {
            rows.push(fmts.iter().map(|f| f.value(i).to_string()).collect());
        }
    }
    (names, rows)
}

/// Each engine's verdict as `engine=verdict`, in engine order.
fn verdicts(file: &Value) -> Vec<String> {
    file["verdicts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            format!(
                "{}={}",
                v["engine"].as_str().unwrap(),
                v["verdict"].as_str().unwrap()
            )
        })
        .collect()
}

#[tokio::test]
async fn a_csv_is_scanned_converted_published_and_catalogued() {
    let (_clamd, d, acq) = setup("Labour Force Survey 2026", "sandbox", "OFFICIAL").await;
    let csv = "id,name,score,active,visit_date\n\
               1,Ada,3.5,true,2026-01-31\n\
               2,\"Lovelace, Countess\",,false,2026-02-01\n\
               3,Émile,-1.25,true,\n";
    let file = d
        .deliver(&acq, "responses.csv", csv.as_bytes().to_vec())
        .await;
    assert_eq!(file["size_bytes"], csv.len());
    assert_eq!(file["state"], "published", "{file:#}");
    assert_eq!(
        verdicts(&file),
        [
            "archive=clean",
            "clamav=clean",
            "filetype=clean",
            "yara=clean"
        ]
    );
    assert_eq!(file["version"], 1);

    let ds_id = file["dataset_id"].as_str().unwrap();
    let (status, ds) = d.get(&d.analyst, &format!("/v1/datasets/{ds_id}")).await;
    assert_eq!(status, 200);
    assert_eq!(ds["name"], "labour-force-survey-2026.responses");
    assert_eq!(ds["zone"], "sandbox");
    assert_eq!(ds["versions"][0]["rows"], 3);
    assert_eq!(ds["versions"][0]["source_file_ids"][0], file["id"]);
    let types: Vec<_> = ds["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            format!(
                "{}:{}",
                c["name"].as_str().unwrap(),
                c["type"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        types,
        [
            "id:int64",
            "name:string",
            "score:float64",
            "active:bool",
            "visit_date:date"
        ]
    );

    let location = ds["versions"][0]["location"].as_str().unwrap();
    assert!(
        location.ends_with("/labour-force-survey-2026.responses/v1/"),
        "{location}"
    );
    let (names, rows) = read_back(location);
    assert_eq!(names, ["id", "name", "score", "active", "visit_date"]);
    assert_eq!(
        rows,
        [
            ["1", "Ada", "3.5", "true", "2026-01-31"],
            ["2", "Lovelace, Countess", "", "false", "2026-02-01"],
            ["3", "Émile", "-1.25", "true", ""],
        ]
    );

    let (_, found) = d.get(&d.analyst, "/v1/datasets?q=labour").await;
    assert_eq!(found["datasets"].as_array().unwrap().len(), 1, "{found}");
    let (_, none) = d.get(&d.analyst, "/v1/datasets?q=census").await;
    assert_eq!(none["datasets"].as_array().unwrap().len(), 0, "{none}");

    // The same bytes again: recognised, not published twice.
    let (status, again) = d
        .upload(&acq, "responses-copy.csv", csv.as_bytes().to_vec())
        .await;
    assert_eq!(status, 200);
    assert_eq!(again["id"], file["id"]);
    assert_eq!(files_under(&d.data_dir().join("lake"), ".parquet").len(), 1);
}

/// The governance story: an engineer submits; another engineer cannot
/// approve; a reviewer cannot approve what they submitted; a second
/// reviewer approves; the analyst cleared for the zone sees the dataset and
/// one cleared only for another zone does not. Every decision is audited.
#[tokio::test]
async fn four_eyes_approve_an_acquisition_and_clearances_decide_who_reads() {
    let clamd = Clamd::start();
    let d = Daemon::start(&clamd.addr());
    let acq = d
        .register(&d.engineer, "Census pilot", "sandbox", "OFFICIAL")
        .await;
    let id = acq["id"].as_str().unwrap();
    assert_eq!(acq["state"], "pending_review");
    let review = format!("/v1/acquisitions/{id}/review");
    let approve = serde_json::json!({"decision": "approve", "reason": "legal basis checked"});

    let (status, body) = d.upload(id, "early.csv", b"a\n1\n".to_vec()).await;
    assert_eq!(status, 409, "{body}");
    let (status, body) = d.post(&d.other_engineer, &review, &approve).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("forbidden")),
        "{body}"
    );

    // A reviewer's own submission needs another reviewer.
    let own = d
        .register(&d.reviewer, "Rita's pilot", "sandbox", "OFFICIAL")
        .await;
    let own_review = format!("/v1/acquisitions/{}/review", own["id"].as_str().unwrap());
    let (status, body) = d.post(&d.reviewer, &own_review, &approve).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(
        body["message"],
        "nobody may review what they submitted themselves"
    );
    let (status, body) = d.post(&d.other_reviewer, &own_review, &approve).await;
    assert_eq!(
        (status, body["state"].as_str()),
        (200, Some("approved")),
        "{body}"
    );

    let (status, body) = d.post(&d.reviewer, &review, &approve).await;
    assert_eq!(
        (status, body["state"].as_str()),
        (200, Some("approved")),
        "{body}"
    );
    let file = d
        .deliver(id, "pilot.csv", b"id,score\n1,3.5\n2,4\n".to_vec())
        .await;
    assert_eq!(file["state"], "published", "{file:#}");
    let ds = format!("/v1/datasets/{}", file["dataset_id"].as_str().unwrap());
    let (status, seen) = d.get(&d.analyst, &ds).await;
    assert_eq!(
        (status, seen["name"].as_str()),
        (200, Some("census-pilot.pilot"))
    );
    let (status, _) = d.get(&d.corporate_analyst, &ds).await;
    assert_eq!(status, 404, "out of clearance, the dataset does not exist");
    let (_, listed) = d.get(&d.corporate_analyst, "/v1/datasets").await;
    assert_eq!(listed, serde_json::json!({"datasets": []}));

    // The decisions are in the verified audit log, attributed.
    let out = d.cli(&["audit", "verify"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let url = format!("sqlite:{}", d.data_dir().join("catalog.db").display());
    let db = sqlx::SqlitePool::connect(&url).await.unwrap();
    let reviews: Vec<(String, String)> = sqlx::query_as(
        "SELECT subject, detail FROM audit_events WHERE action = 'acquisition.review' ORDER BY seq",
    )
    .fetch_all(&db)
    .await
    .unwrap();
    let subjects: Vec<&str> = reviews.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(subjects, [own["id"].as_str().unwrap(), id]);
    assert!(reviews[1].1.contains("legal basis checked"), "{reviews:?}");
}

#[tokio::test]
async fn eicar_is_rejected_by_both_engines_and_never_reaches_the_lake() {
    let (_clamd, d, acq) = setup("Suspicious supplier", "sandbox", "OFFICIAL").await;
    let file = d.deliver(&acq, "data.csv", eicar_csv()).await;
    assert_eq!(file["state"], "rejected", "{file:#}");
    assert_eq!(file["reason"], "infected");
    assert_eq!(
        verdicts(&file),
        [
            "archive=clean",
            "clamav=infected",
            "filetype=clean",
            "yara=infected"
        ]
    );
    let details: Vec<_> = file["verdicts"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v["detail"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(
        details,
        ["Airlock.Test.EICAR.UNOFFICIAL", "EICAR_Test_File"]
    );
    assert_eq!(file["dataset_id"], Value::Null);
    assert!(files_under(&d.data_dir().join("lake"), "").is_empty());
    // The bytes stay in quarantine.
    assert!(
        d.data_dir()
            .join("quarantine")
            .join(file["id"].as_str().unwrap())
            .exists()
    );
}

#[tokio::test]
async fn eicar_inside_a_gzip_is_found_as_a_member_by_every_engine() {
    use std::io::Write;
    let (_clamd, d, acq) = setup("Compressed supplier", "sandbox", "OFFICIAL").await;
    let mut csv = b"id,payload\n1,".to_vec();
    csv.extend_from_slice(&eicar());
    csv.push(b'\n');
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&csv).unwrap();
    let file = d.deliver(&acq, "survey.csv.gz", gz.finish().unwrap()).await;
    assert_eq!(file["state"], "rejected", "{file:#}");
    assert_eq!(file["reason"], "infected");
    let members = file["members"].as_array().unwrap();
    assert_eq!(members.len(), 1, "{file:#}");
    assert_eq!(members[0]["path"], "survey.csv");
    assert_eq!(members[0]["size_bytes"], csv.len());
    assert_eq!(
        verdicts(&members[0]),
        [
            "archive=clean",
            "clamav=infected",
            "filetype=clean",
            "yara=infected"
        ]
    );
    assert!(files_under(&d.data_dir().join("lake"), "").is_empty());
}

#[tokio::test]
async fn an_executable_named_csv_is_refused_by_the_filetype_engine() {
    let (_clamd, d, acq) = setup("Disguised", "sandbox", "OFFICIAL").await;
    let mut pe = b"MZ\x90\x00".to_vec();
    pe.resize(0x80, 0);
    pe.extend_from_slice(b"PE\0\0");
    let file = d.deliver(&acq, "data.csv", pe).await;
    assert_eq!(file["state"], "rejected", "{file:#}");
    assert_eq!(file["reason"], "infected");
    assert_eq!(
        verdicts(&file),
        [
            "archive=clean",
            "clamav=clean",
            "filetype=infected",
            "yara=clean"
        ]
    );
    assert!(files_under(&d.data_dir().join("lake"), ".parquet").is_empty());
}

#[tokio::test]
async fn a_ragged_csv_is_rejected_naming_its_line() {
    let (_clamd, d, acq) = setup("Ragged", "corporate", "OFFICIAL-SENSITIVE").await;
    let file = d
        .deliver(&acq, "ragged.csv", b"a,b,c\n1,2,3\n4,5\n6,7,8\n".to_vec())
        .await;
    assert_eq!(file["state"], "rejected", "{file:#}");
    assert_eq!(file["reason"], "invalid");
    let error = file["error"].as_str().unwrap();
    assert!(error.contains("line 3"), "{error}");
    assert!(files_under(&d.data_dir().join("lake"), ".parquet").is_empty());
}

#[tokio::test]
async fn audit_verify_names_the_first_tampered_event_and_a_cut_tail() {
    let (_clamd, d, acq) = setup("Audited", "sandbox", "OFFICIAL").await;
    let file = d.deliver(&acq, "a.csv", b"id\n1\n".to_vec()).await;
    assert_eq!(file["state"], "published", "{file:#}");
    let out = d.cli(&["audit", "verify"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let head = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let (seq, _) = head.split_once(':').expect("SEQ:HASH");
    let seq: i64 = seq.parse().unwrap();
    assert!(seq >= 7, "users, acquisition and the file's steps: {head}");

    let url = format!("sqlite:{}", d.data_dir().join("catalog.db").display());
    let db = sqlx::SqlitePool::connect(&url).await.unwrap();
    let checked = |args: &[&str]| {
        let out = d.cli(args);
        assert!(!out.status.success(), "{args:?} passed a tampered log");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    // Cutting the last event leaves a valid chain: only the recorded head
    // tells.
    sqlx::query("DELETE FROM audit_events WHERE seq = $1")
        .bind(seq)
        .execute(&db)
        .await
        .unwrap();
    assert!(d.cli(&["audit", "verify"]).status.success());
    let err = checked(&["audit", "verify", "--checkpoint", &head]);
    assert!(
        err.contains(&format!("audit chain broken at event {seq}")),
        "{err}"
    );
    // An edited event breaks the chain where it stands.
    sqlx::query("UPDATE audit_events SET actor = 'someone-else' WHERE seq = 2")
        .execute(&db)
        .await
        .unwrap();
    let err = checked(&["audit", "verify"]);
    assert!(err.contains("audit chain broken at event 2"), "{err}");
}

#[tokio::test]
async fn requests_without_a_valid_token_get_401() {
    let clamd = Clamd::start();
    let d = Daemon::start(&clamd.addr());
    let http = reqwest::Client::new();
    let r = http.get(d.url("/v1/zones")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], "unauthorized");
    let r = http
        .get(d.url("/v1/zones"))
        .bearer_auth("alk_0000")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let (status, zones) = d.get(&d.analyst, "/v1/zones").await;
    assert_eq!(status, 200);
    assert_eq!(zones.as_array().unwrap().len(), 3);
    let r = http.get(d.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
}

#[tokio::test]
async fn with_clamd_down_a_file_is_held_then_published_when_it_returns() {
    let (mut clamd, d, acq) = setup("Held", "sandbox", "OFFICIAL").await;
    clamd.stop();
    let (status, accepted) = d.upload(&acq, "held.csv", b"x,y\n1,2\n".to_vec()).await;
    assert_eq!(status, 202);
    let id = accepted["id"].as_str().unwrap();
    let held = d.wait_for(id, &["held", "published", "rejected"]).await;
    assert_eq!(held["state"], "held", "{held:#}");
    assert_eq!(
        verdicts(&held),
        [
            "archive=clean",
            "clamav=error",
            "filetype=clean",
            "yara=clean"
        ]
    );
    assert!(
        held["error"].as_str().unwrap().contains("clamav"),
        "{held:#}"
    );
    assert_eq!(held["dataset_id"], Value::Null);
    assert!(files_under(&d.data_dir().join("lake"), ".parquet").is_empty());

    clamd.resume();
    let done = d.wait_for(id, &["published", "rejected"]).await;
    assert_eq!(done["state"], "published", "{done:#}");
    assert_eq!(
        verdicts(&done),
        [
            "archive=clean",
            "clamav=clean",
            "filetype=clean",
            "yara=clean"
        ]
    );
    assert!(done["attempts"].as_i64().unwrap() >= 1);
}

#[tokio::test]
async fn sigterm_stops_gracefully_and_a_restart_resumes_held_work() {
    let (mut clamd, mut d, acq) = setup("Restart", "sandbox", "OFFICIAL").await;
    clamd.stop();
    let (_, accepted) = d.upload(&acq, "r.csv", b"k,v\n1,a\n".to_vec()).await;
    let id = accepted["id"].as_str().unwrap();
    assert_eq!(
        d.wait_for(id, &["held", "published", "rejected"]).await["state"],
        "held"
    );

    d.restart();
    clamd.resume();
    let done = d.wait_for(id, &["published", "rejected"]).await;
    assert_eq!(done["state"], "published", "{done:#}");
    let status = d.terminate();
    assert!(status.success(), "exit status {status}");
    assert!(d.log().contains("airlock stopped"), "{}", d.log());
}

#[tokio::test]
async fn a_daemon_killed_mid_scan_resumes_the_file_after_restart() {
    let silent = SilentServer::start();
    let mut d = Daemon::start(&silent.addr());
    let acq = d.acquisition("Crash", "sandbox", "OFFICIAL").await;
    let (status, accepted) = d.upload(&acq, "c.csv", b"k,v\n1,a\n2,b\n".to_vec()).await;
    assert_eq!(status, 202);
    let id = accepted["id"].as_str().unwrap();
    // clamd never answers: the file sits in `scanning`, leased, until the
    // connect timeout. Kill the daemon there.
    assert_eq!(
        d.wait_for(id, &["scanning", "held", "published"]).await["state"],
        "scanning"
    );

    let clamd = Clamd::start();
    d.crash_and_restart_with_clamd(&clamd.addr(), &silent.addr());
    let done = d.wait_for(id, &["published", "rejected"]).await;
    assert_eq!(done["state"], "published", "{done:#}");
    assert_eq!(
        verdicts(&done),
        [
            "archive=clean",
            "clamav=clean",
            "filetype=clean",
            "yara=clean"
        ]
    );
    let ds = done["dataset_id"].as_str().unwrap();
    let (_, dataset) = d.get(&d.analyst, &format!("/v1/datasets/{ds}")).await;
    assert_eq!(
        dataset["versions"].as_array().unwrap().len(),
        1,
        "{dataset:#}"
    );
    assert_eq!(files_under(&d.data_dir().join("lake"), ".parquet").len(), 1);
}

#[test]
fn a_configuration_opening_sandbox_to_corporate_refuses_to_start() {
    let dir = tempfile::tempdir().unwrap();
    for args in [&["config", "check"][..], &["serve"][..]] {
        let out = std::process::Command::new(BIN)
            .args(args)
            .arg("--config")
            .arg(fixtures().join("forbidden-flow.toml"))
            .arg("--data-dir")
            .arg(dir.path())
            .env_remove("AIRLOCK_CLAMD")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} started: {stderr}");
        assert!(
            stderr.contains(r#"zone "corporate" may not accept data from "sandbox""#),
            "{args:?}: {stderr}"
        );
    }
}

/// `airlock policy check` names the file and line of a broken policy; a
/// daemon configured with it refuses to start; `policy explain` prints the
/// deciding policies and exits non-zero on a refusal.
#[tokio::test]
async fn policy_files_are_validated_and_decisions_explained() {
    let dir = tempfile::tempdir().unwrap();
    let shipped = concat!(env!("CARGO_MANIFEST_DIR"), "/../policies/cedar");
    for name in ["access.cedar", "publish.cedar"] {
        std::fs::copy(format!("{shipped}/{name}"), dir.path().join(name)).unwrap();
    }
    let run = |args: &[&str]| std::process::Command::new(BIN).args(args).output().unwrap();
    let policies = dir.path().to_str().unwrap();
    let ok = run(&["policy", "check", policies]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(String::from_utf8_lossy(&ok.stdout).contains("policies valid"));

    std::fs::write(
        dir.path().join("local.cedar"),
        "// local additions\n\npermit (principal, action == Action::\"view_file\", resource)\n\
         when { resource.size > 10 };\n",
    )
    .unwrap();
    let bad = run(&["policy", "check", policies]);
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("local.cedar:4:"), "{err}");
    assert!(err.contains("size"), "{err}");
    let config = dir.path().join("airlock.toml");
    std::fs::write(
        &config,
        format!(
            "listen = \"127.0.0.1:0\"\ndata_dir = \"{}\"\npolicy_dir = \"{policies}\"\n",
            dir.path().join("data").display()
        ),
    )
    .unwrap();
    let serve = run(&["serve", "--config", config.to_str().unwrap()]);
    assert!(
        !serve.status.success(),
        "a broken policy set must not start"
    );
    assert!(
        String::from_utf8_lossy(&serve.stderr).contains("local.cedar:4:"),
        "{}",
        String::from_utf8_lossy(&serve.stderr)
    );
    std::fs::remove_file(dir.path().join("local.cedar")).unwrap();

    let own = run(&[
        "policy",
        "explain",
        "--dir",
        policies,
        "--role",
        "reviewer",
        "--action",
        "review_file",
        "--own",
    ]);
    assert_eq!(own.status.code(), Some(1));
    let text = String::from_utf8_lossy(&own.stdout);
    assert!(
        text.starts_with("review_file: deny\n  forbidden by four-eyes (access.cedar:"),
        "{text}"
    );
    let other = run(&[
        "policy",
        "explain",
        "--dir",
        policies,
        "--role",
        "reviewer",
        "--action",
        "review_file",
    ]);
    assert!(other.status.success());
    assert!(
        String::from_utf8_lossy(&other.stdout).contains("permitted by reviewers-decide"),
        "{}",
        String::from_utf8_lossy(&other.stdout)
    );
    let held = run(&[
        "policy",
        "explain",
        "--dir",
        policies,
        "--role",
        "engineer",
        "--action",
        "publish_without_review",
        "--own",
        "--findings",
        r#"{"pii_kinds": ["nhs_number"], "pii_columns": 1}"#,
    ]);
    assert_eq!(held.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&held.stdout).contains("no policy permits it"));
}

/// Two real tus clients, tuspy and tus-js-client under Node, each upload
/// 200 MiB, are cut off part-way, the daemon is killed (SIGKILL) and
/// started again, and they resume where the catalog says they stopped:
/// the delivery's SHA-256 is the file's.
#[tokio::test]
async fn real_tus_clients_resume_an_interrupted_upload_across_a_crash() {
    let python = std::env::var("AIRLOCK_TEST_PYTHON")
        .expect("AIRLOCK_TEST_PYTHON is not set: run the tests with scripts/test.sh");
    let node_path = std::env::var("AIRLOCK_TEST_NODE_PATH")
        .expect("AIRLOCK_TEST_NODE_PATH is not set: run the tests with scripts/test.sh");
    let scripts = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/interop");
    let clamd = Clamd::start();
    let mut d = Daemon::start(&clamd.addr());
    let acq = d.acquisition("Big", "sandbox", "OFFICIAL").await;
    let token = d.engineer.clone();
    let work = tempfile::tempdir().unwrap();
    for client in ["tuspy", "tus-js-client"] {
        // 200 MiB of CSV, different for each client.
        let path = work.path().join(format!("{client}.csv"));
        let mut content = b"id,value,client\n".to_vec();
        let mut i = 0u64;
        while content.len() < 200 << 20 {
            content.extend_from_slice(format!("{i},value-{i},{client}\n").as_bytes());
            i += 1;
        }
        std::fs::write(&path, &content).unwrap();
        let expected = {
            use sha2::Digest;
            hex::encode(sha2::Sha256::digest(&content))
        };
        let run = |base: &str, stop_at: Option<u64>, url: Option<&str>| {
            let endpoint = format!("{base}/v1/uploads");
            let mut cmd = match client {
                "tuspy" => {
                    let mut c = std::process::Command::new(&python);
                    c.arg(format!("{scripts}/tus_upload.py"));
                    c.args([&endpoint, &token, &acq, path.to_str().unwrap()]);
                    if let Some(n) = stop_at {
                        c.args(["--stop-at", &n.to_string()]);
                    }
                    if let Some(u) = url {
                        c.args(["--url", u]);
                    }
                    c
                }
                _ => {
                    let mut c = std::process::Command::new("node");
                    c.env("NODE_PATH", &node_path);
                    c.arg(format!("{scripts}/tus_upload.js"));
                    c.args([&endpoint, &token, &acq, path.to_str().unwrap()]);
                    c.arg(stop_at.map_or("-".to_owned(), |n| n.to_string()));
                    c.args(url);
                    c
                }
            };
            let out = cmd.output().unwrap();
            assert!(
                out.status.success(),
                "{client}: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            String::from_utf8(out.stdout)
                .unwrap()
                .trim()
                .lines()
                .last()
                .unwrap_or_default()
                .to_owned()
        };
        let url = run(&d.base, Some(64 << 20), None);
        let id = url.rsplit('/').next().unwrap().to_owned();
        assert!(!id.is_empty(), "{client} printed no upload URL");
        // The daemon dies mid-upload and comes back on another port.
        let addr = clamd.addr();
        d.crash_and_restart_with_clamd(&addr, &addr);
        let resumed = format!("{}/v1/uploads/{id}", d.base);
        let (status, _) = d
            .get(&d.engineer, &format!("/v1/acquisitions/{acq}/files"))
            .await;
        assert_eq!(status, 200);
        // The same upload goes on: no new one is created.
        assert_eq!(run(&d.base, None, Some(&resumed)), resumed, "{client}");
        let (_, files) = d
            .get(&d.engineer, &format!("/v1/acquisitions/{acq}/files"))
            .await;
        let delivered = files
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["channel"] == "tus" && f["sha256"] == expected.as_str())
            .unwrap_or_else(|| {
                panic!("{client}: no tus delivery with the file's SHA-256: {files:#}")
            });
        assert_eq!(delivered["size_bytes"], content.len(), "{client}");
    }
}

/// The daemon runs every other way in by itself: a drop folder and a drop
/// bucket (s3s-fs) swept on their schedules, and the SFTP endpoint it
/// listens on, driven by OpenSSH's sftp. Each delivery is recorded with its
/// channel and SHA-256 and published.
#[tokio::test]
async fn drop_folders_buckets_and_sftp_deliver_on_the_daemons_own_schedule() {
    use object_store::ObjectStoreExt;
    use sha2::Digest;
    let bucket = std::env::var("AIRLOCK_TEST_S3_BUCKET").expect(
        "AIRLOCK_TEST_S3_BUCKET is not set: run the tests with scripts/test.sh, which starts s3s-fs",
    );
    let clamd = Clamd::start();
    let mut d = Daemon::start(&clamd.addr());
    let acq = d.acquisition("Every way in", "sandbox", "OFFICIAL").await;
    let (_, record) = d.get(&d.engineer, &format!("/v1/acquisitions/{acq}")).await;
    let owner = record["owner_id"].as_str().unwrap().to_owned();
    let work = tempfile::tempdir().unwrap();
    let folder = work.path().join("drop");
    std::fs::create_dir_all(&folder).unwrap();
    let drops = format!(
        "s3://{bucket}/daemon-drops-{}",
        uuid::Uuid::now_v7().simple()
    );
    let (key, public) = openssh::keygen(work.path(), "supplier");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    d.reconfigure(&format!(
        r#"
[[drop_folders]]
path = "{folder}"
acquisition_id = "{acq}"
schedule = "* * * * * *"

[[drop_buckets]]
url = "{drops}"
acquisition_id = "{acq}"
schedule = "* * * * * *"

[sftp]
listen = "127.0.0.1:{port}"
[[sftp.keys]]
user_id = "{owner}"
public_key = "{public}"
acquisitions = ["{acq}"]
"#,
        folder = folder.display()
    ));

    let csv = |way: &str| format!("id,way\n1,{way}\n2,{way}\n");
    // Written under a temporary name, then renamed in: taken whole.
    std::fs::write(folder.join("folder.csv.tmp"), csv("folder")).unwrap();
    std::fs::rename(folder.join("folder.csv.tmp"), folder.join("folder.csv")).unwrap();
    let store = airlock_ingest::lake::Lake::open(&drops).unwrap().store;
    store
        .put(&"bucket.csv".into(), csv("bucket").into_bytes().into())
        .await
        .unwrap();
    std::fs::write(work.path().join("sftp.csv"), csv("sftp")).unwrap();
    // One acquisition: the session starts in its directory.
    let out = openssh::sftp(port, &key, "eve", work.path(), "put sftp.csv\n").await;
    assert!(out.ok, "{}{}\n{}", out.stdout, out.stderr, d.log());

    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
    let files = loop {
        let (_, files) = d
            .get(&d.engineer, &format!("/v1/acquisitions/{acq}/files"))
            .await;
        if files.as_array().unwrap().len() == 3 {
            break files;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "not every way in delivered: {files:#}\n{}",
            d.log()
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    for way in ["folder", "bucket", "sftp"] {
        let f = files
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["channel"] == way)
            .unwrap_or_else(|| panic!("no {way} delivery: {files:#}"));
        assert_eq!(f["filename"], format!("{way}.csv"));
        assert_eq!(
            f["sha256"],
            hex::encode(sha2::Sha256::digest(csv(way).as_bytes()))
        );
        assert_eq!(f["submitted_by"], owner.as_str(), "{f}");
        let done = d.wait_for(f["id"].as_str().unwrap(), &["published"]).await;
        assert_eq!(done["state"], "published", "{done}");
    }
    // Taken: out of the folder and out of the bucket.
    assert!(!folder.join("folder.csv").exists());
    let left: Vec<_> = futures::TryStreamExt::try_collect::<Vec<_>>(store.list(None))
        .await
        .unwrap();
    assert!(left.is_empty(), "{left:?}");
}
