//! The API contract: schemathesis, with every check, against the real
//! daemon (clamd and all), as an engineer and as an admin, finds no
//! failure and no server error. The OpenAPI document must state what the
//! server enforces, so that a request it calls valid is taken and one it
//! calls invalid is refused with a documented status and the one error
//! body.
//!
//! Each caller gets two runs: one where every parameter is generated
//! (ids that name nothing, so mostly 404s past validation), and one,
//! positive only, where the path ids name a real acquisition, file,
//! published dataset and user, so valid requests reach the resources
//! themselves. The few rules JSON Schema cannot state are in
//! `tests/contract/schemathesis.toml`, each with its reason.

mod support;

use std::path::Path;
use std::process::Command;

use support::*;

const CONTRACT_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/contract");

/// Runs schemathesis as the holder of `token` and asserts it found nothing.
fn schemathesis(st: &str, d: &Daemon, who: &str, token: &str, config: &Path, mode: &str) {
    let out = Command::new(st)
        .arg("--config-file")
        .arg(config)
        .args([
            "run",
            &d.url("/openapi.json"),
            "--checks",
            "all",
            "--mode",
            mode,
        ])
        .args(["--exclude-operation-id", "rotate_token", "--no-color"])
        .arg("-H")
        .arg(format!("Authorization: Bearer {token}"))
        .env("PYTHONPATH", CONTRACT_DIR)
        .env("SCHEMATHESIS_HOOKS", "hooks")
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "schemathesis as {who} ({mode}) failed:\n{report}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(report.contains("generated"), "{report}");
    assert!(!report.contains("Server error"), "{report}");
}

#[tokio::test]
async fn schemathesis_finds_nothing_as_an_engineer_or_an_admin() {
    let st = std::env::var("AIRLOCK_TEST_SCHEMATHESIS")
        .expect("AIRLOCK_TEST_SCHEMATHESIS is not set: run the tests with scripts/test.sh");
    let (_clamd, d, acq) = setup("contract", "sandbox", "OFFICIAL").await;
    let file = d
        .deliver(
            &acq,
            "regions.csv",
            b"region,households\nnorth,120\n".to_vec(),
        )
        .await;
    assert_eq!(file["state"], "published", "{file}");
    let admin = d.add_user("ada", "admin", &[]);

    let base = Path::new(CONTRACT_DIR).join("schemathesis.toml");
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("schemathesis.toml");
    let resources = [
        ("acquisitions", acq.as_str()),
        ("files", file["id"].as_str().unwrap()),
        ("datasets", file["dataset_id"].as_str().unwrap()),
    ];
    let mut config = std::fs::read_to_string(&base).unwrap();
    for (resource, id) in resources {
        config.push_str(&format!(
            "\n[[operations]]\ninclude-path-regex = \"^/v1/{resource}/\\\\{{id\\\\}}\"\n\
             parameters = {{ \"path.id\" = \"{id}\" }}\n"
        ));
    }
    config.push_str(
        "\n[[operations]]\ninclude-path-regex = \"^/v1/users/\\\\{name\\\\}\"\n\
         parameters = { \"path.name\" = \"oscar\" }\n",
    );
    std::fs::write(&real, config).unwrap();

    for (who, token) in [("an engineer", &d.engineer), ("an admin", &admin)] {
        schemathesis(&st, &d, who, token, &base, "all");
        schemathesis(&st, &d, who, token, &real, "positive");
    }
    // Nothing schemathesis sent made the daemon panic.
    assert!(!d.log().contains("panicked"), "{}", d.log());
}
