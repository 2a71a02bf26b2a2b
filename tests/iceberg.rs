//! Apache Iceberg, end to end: the real `airlock` binary publishes
//! versions, and the clients analysts use (pyiceberg, DuckDB with its
//! iceberg extension) read them back, value for value.

mod support;

use serde_json::{Value, json};

use support::*;

/// Runs `tests/interop/iceberg.py` with `args` and returns what it printed.
fn read_with_clients(args: &[&str]) -> Value {
    let python = std::env::var("AIRLOCK_TEST_PYTHON")
        .expect("AIRLOCK_TEST_PYTHON is not set: run the tests with scripts/test.sh");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/interop/iceberg.py");
    let extensions = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(python)
        .arg(script)
        .args(args)
        .arg(extensions.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "iceberg.py {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Each published version carries its own Iceberg metadata, written with
/// its parts before `_SUCCESS`: pyiceberg's `StaticTable` and DuckDB's
/// `iceberg_scan` read exactly that version's rows from it, nulls, dates
/// and a column with no value yet included, and the first version's metadata still reads
/// the first version after a second is published.
#[tokio::test]
async fn each_version_reads_back_through_its_own_iceberg_metadata() {
    let (_clamd, d, acq) = setup("Iceberg Survey", "sandbox", "OFFICIAL").await;
    let first = "id,name,score,visit_date,notes\n1,Ada,3.5,2026-01-31,\n2,,-1.25,,\n";
    let second = "id,name,score,visit_date,notes\n3,Grace,7.0,2026-03-01,late\n";
    let mut locations = Vec::new();
    for csv in [first, second] {
        let file = d.deliver(&acq, "visits.csv", csv.as_bytes().to_vec()).await;
        assert_eq!(file["state"], "published", "{file:#}");
        let ds = file["dataset_id"].as_str().unwrap();
        let (status, view) = d.get(&d.analyst, &format!("/v1/datasets/{ds}")).await;
        assert_eq!(status, 200, "{view}");
        let version = file["version"].as_i64().unwrap();
        let v = view["versions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["version"] == version)
            .unwrap();
        locations.push((version, v["location"].as_str().unwrap().to_owned()));
    }
    let expected = [
        json!({"columns": ["id", "name", "score", "visit_date", "notes"], "rows": [
            ["1", "Ada", "3.5", "2026-01-31", null],
            ["2", null, "-1.25", null, null],
        ]}),
        json!({"columns": ["id", "name", "score", "visit_date", "notes"], "rows": [
            ["3", "Grace", "7.0", "2026-03-01", "late"],
        ]}),
    ];
    for ((version, location), expected) in locations.iter().zip(&expected) {
        let metadata = format!("{location}_iceberg/v{version}.metadata.json");
        let read = read_with_clients(&["static", &metadata]);
        assert_eq!(read["pyiceberg"], *expected, "pyiceberg, version {version}");
        assert_eq!(read["duckdb"], *expected, "DuckDB, version {version}");
    }
}
