//! The generated Python client, `clients/python` (package
//! `airlock_client`): the committed copy is what openapi-python-client
//! makes of today's API, and a script using it registers an acquisition,
//! has it approved, uploads, waits and finds the dataset by search
//! against the real daemon.

mod support;

use std::process::Command;

use serde_json::Value;

use support::*;

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

fn clients_venv() -> String {
    std::env::var("AIRLOCK_TEST_CLIENTS_VENV")
        .expect("AIRLOCK_TEST_CLIENTS_VENV is not set: run the tests with scripts/test.sh")
}

#[test]
fn the_committed_python_client_is_what_the_generator_makes_of_the_api() {
    let out = Command::new("bash")
        .arg(format!("{ROOT}/scripts/clients.sh"))
        .args(["--check", BIN])
        .env("CLIENTS_VENV", clients_venv())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn a_script_registers_uploads_waits_and_searches_with_the_python_client() {
    let clamd = Clamd::start();
    let d = Daemon::start(&clamd.addr());
    let out = Command::new(format!("{}/bin/python", clients_venv()))
        .arg(format!("{ROOT}/tests/interop/python_client.py"))
        .args([&d.base, &d.engineer, &d.reviewer, &d.analyst])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}\n{}", d.log());
    let seen: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        seen["zones"],
        serde_json::json!(["corporate", "sandbox", "trusted"])
    );
    assert_eq!(seen["registered"], "pending_review");
    // Nobody approves their own acquisition: the typed error body says so.
    assert_eq!(seen["own_review"], "forbidden");
    assert_eq!(seen["reviewed"], "approved");
    assert_eq!(seen["file_state"], "published", "{seen}");
    let dataset = seen["dataset_id"].as_str().unwrap();
    assert_eq!(seen["found"], serde_json::json!([dataset]));
}
