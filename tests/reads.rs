//! Analysts' reads, end to end: the real `airlock` binary publishes
//! versions, and the clients analysts use (pyiceberg, DuckDB with its
//! iceberg extension) read them back value for value, through each
//! version's own Iceberg metadata and through the REST catalog on local
//! and S3 lakes; people without an engine stream a version through
//! Airlock as Parquet, CSV or Arrow.

mod support;

use serde_json::{Value, json};

use support::*;

/// Runs `tests/interop/iceberg.py` with `args` and returns what it printed.
fn read_with_clients(args: &[&str]) -> Value {
    let python = std::env::var("AIRLOCK_TEST_PYTHON")
        .expect("AIRLOCK_TEST_PYTHON is not set: run the tests with scripts/test.sh");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/interop/iceberg.py");
    let extensions = tempfile::tempdir().unwrap();
    let mut command = std::process::Command::new(python);
    // The clients reach a lake only with what the catalog vends them.
    for var in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_ENDPOINT",
    ] {
        command.env_remove(var);
    }
    let out = command
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

/// The two versions the REST tests publish, and what each reads back as.
const FIRST: &str = "id,name,score,visit_date,notes\n1,Ada,3.5,2026-01-31,\n2,,-1.25,,\n";
const SECOND: &str = "id,name,score\n3,Grace,7.0\n4,Alan,1.5\n";

fn first_rows() -> Value {
    json!({"columns": ["id", "name", "score", "visit_date", "notes"], "rows": [
        ["1", "Ada", "3.5", "2026-01-31", null],
        ["2", null, "-1.25", null, null],
    ]})
}

fn second_rows() -> Value {
    json!({"columns": ["id", "name", "score"], "rows": [
        ["3", "Grace", "7.0"],
        ["4", "Alan", "1.5"],
    ]})
}

/// Publishes [`FIRST`] then [`SECOND`] as two versions of one dataset in
/// the sandbox and returns its name.
async fn publish_two_versions(d: &Daemon, acq: &str) -> String {
    let mut name = String::new();
    for csv in [FIRST, SECOND] {
        let file = d.deliver(acq, "visits.csv", csv.as_bytes().to_vec()).await;
        assert_eq!(file["state"], "published", "{file:#}");
        let ds = file["dataset_id"].as_str().unwrap();
        let (status, view) = d.get(&d.analyst, &format!("/v1/datasets/{ds}")).await;
        assert_eq!(status, 200, "{view}");
        name = view["name"].as_str().unwrap().to_owned();
    }
    name
}

/// What a cleared analyst's pyiceberg and DuckDB read through the catalog,
/// and what an uncleared one and an anonymous caller get.
fn assert_clients_read_through_the_catalog(d: &Daemon, name: &str) {
    let uri = d.url("/iceberg");
    let aggregate = "SELECT count(*), sum(id), max(name) FROM {table}";
    let read = read_with_clients(&["rest", &uri, &d.analyst, "sandbox", name, aggregate]);
    assert_eq!(read["namespaces"], json!(["sandbox"]), "{read:#}");
    assert_eq!(read["tables"], json!([name]));
    assert_eq!(read["current"], second_rows());
    assert_eq!(
        read["snapshots"],
        json!({"1": first_rows(), "2": second_rows()}),
        "each version is a snapshot, read by its id"
    );
    assert_eq!(read["duckdb"], json!([["2", "7", "Grace"]]));

    let refused = read_with_clients(&["refused", &uri, &d.corporate_analyst, "sandbox", name]);
    assert_eq!(
        refused,
        json!({"namespaces": ["corporate"], "tables": "NoSuchNamespaceError",
               "load": "NoSuchTableError"}),
        "an analyst not cleared for the sandbox sees nothing of it"
    );
    let anonymous = read_with_clients(&["refused", &uri, "-", "sandbox", name]);
    assert_eq!(anonymous, json!({"connect": "UnauthorizedError"}));
}

/// The REST catalog on the default local lake: pyiceberg's `RestCatalog`
/// lists, loads and scans every version by snapshot id, DuckDB's iceberg
/// extension ATTACHes it and aggregates, an uncleared analyst and an
/// anonymous caller are refused; the protocol's edges answer in its error
/// model; every load is audited and the chain still verifies.
#[tokio::test]
async fn analysts_engines_read_through_the_rest_catalog_on_a_local_lake() {
    let (_clamd, d, acq) = setup("Iceberg Rest", "sandbox", "OFFICIAL").await;
    let name = publish_two_versions(&d, &acq).await;
    assert_clients_read_through_the_catalog(&d, &name);

    let http = reqwest::Client::new();
    let call = |method: reqwest::Method, path: &str, token: Option<&str>| {
        let mut r = http.request(method, d.url(&format!("/iceberg{path}")));
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r.send()
    };
    let body = |r: reqwest::Response| async move {
        let status = r.status().as_u16();
        (status, r.json::<Value>().await.unwrap_or(Value::Null))
    };
    use reqwest::Method;
    let table = format!("/v1/namespaces/sandbox/tables/{name}");
    let analyst = Some(d.analyst.as_str());
    let (status, config) = body(
        call(Method::GET, "/v1/config?warehouse=x", analyst)
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        config["endpoints"].as_array().unwrap().len() >= 7,
        "{config}"
    );
    for (method, path, token, want, kind) in [
        (
            Method::GET,
            "/v1/config",
            None,
            401,
            "NotAuthorizedException",
        ),
        (
            Method::POST,
            "/v1/namespaces",
            analyst,
            405,
            "MethodNotAllowedException",
        ),
        (
            Method::DELETE,
            table.as_str(),
            analyst,
            405,
            "MethodNotAllowedException",
        ),
        (
            Method::GET,
            "/v1/namespaces/sandbox/views",
            analyst,
            501,
            "UnsupportedOperationException",
        ),
        (
            Method::POST,
            "/v1/transactions/commit",
            analyst,
            501,
            "UnsupportedOperationException",
        ),
        (
            Method::GET,
            "/v1/namespaces/nowhere/tables",
            analyst,
            404,
            "NoSuchNamespaceException",
        ),
        (
            Method::GET,
            "/v1/namespaces/sandbox/tables/nothing",
            analyst,
            404,
            "NoSuchTableException",
        ),
    ] {
        let (status, err) = body(call(method.clone(), path, token).await.unwrap()).await;
        assert_eq!(
            (status, err["error"]["type"].as_str()),
            (want, Some(kind)),
            "{method} {path}: {err}"
        );
        assert_eq!(err["error"]["code"], want);
        assert!(
            err["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
    }
    let ignored = format!("{table}?snapshots=all&pageToken=");
    let (status, loaded) = body(call(Method::GET, &ignored, analyst).await.unwrap()).await;
    assert_eq!(status, 200, "{loaded}");
    assert!(
        loaded["metadata"]["location"]
            .as_str()
            .unwrap()
            .starts_with("file:///")
    );
    assert!(
        loaded.get("storage-credentials").is_none(),
        "a local lake vends nothing"
    );
    for (token, want) in [(analyst, 204), (Some(d.corporate_analyst.as_str()), 404)] {
        let r = call(Method::HEAD, &table, token).await.unwrap();
        assert_eq!(r.status().as_u16(), want);
    }
    let r = call(Method::POST, &format!("{table}/metrics"), analyst)
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 204);

    let admin = d.add_user("ada", "admin", &[]);
    let (status, events) = d.get(&admin, "/v1/audit?limit=1000").await;
    assert_eq!(status, 200, "{events}");
    let loads: Vec<&Value> = events
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "dataset.read" && e["detail"]["via"] == "iceberg")
        .collect();
    // pyiceberg loads once, DuckDB more than once, and the plain GET above.
    assert!(loads.len() >= 3, "{events:#}");
    assert!(
        loads
            .iter()
            .all(|e| e["detail"]["versions"] == json!([1, 2])),
        "{loads:#?}"
    );
    let out = d.cli(&["audit", "verify"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A second s3s-fs over the same files as the one the tests' lakes are
/// on, which knows only its own key: the endpoint and key a zone's
/// analysts are vended, so that a read proves the vended key, not the
/// daemon's, reached the lake.
struct ReaderEndpoint {
    child: std::process::Child,
    url: String,
    key: String,
    secret: String,
}

impl ReaderEndpoint {
    fn start() -> ReaderEndpoint {
        let need = |var: &str| {
            std::env::var(var).unwrap_or_else(|_| {
                panic!("{var} is not set: run the tests with scripts/test.sh, which starts s3s-fs")
            })
        };
        let (bin, root) = (need("AIRLOCK_TEST_S3S_BIN"), need("AIRLOCK_TEST_S3_ROOT"));
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let key = format!("reader{}", uuid::Uuid::now_v7().simple());
        let secret = uuid::Uuid::new_v4().simple().to_string();
        let child = std::process::Command::new(bin)
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args(["--access-key", &key, "--secret-key", &secret, &root])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "the reader's s3s-fs did not start"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        ReaderEndpoint {
            child,
            url: format!("http://127.0.0.1:{port}"),
            key,
            secret,
        }
    }
}

impl Drop for ReaderEndpoint {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The REST catalog on an S3 lake (s3s-fs): the load response vends the
/// sandbox's configured read key, scoped to the sandbox lake's prefix and
/// never the daemon's own; pyiceberg and DuckDB read the lake with it
/// alone, through an endpoint that knows no other key.
#[tokio::test]
async fn analysts_engines_read_an_s3_lake_with_the_zones_vended_read_key() {
    let bucket = std::env::var("AIRLOCK_TEST_S3_BUCKET").expect(
        "AIRLOCK_TEST_S3_BUCKET is not set: run the tests with scripts/test.sh, which starts s3s-fs",
    );
    let reader = ReaderEndpoint::start();
    let url = format!("s3://{bucket}/iceberg-{}", uuid::Uuid::now_v7().simple());
    let secrets = tempfile::tempdir().unwrap();
    let secret_file = secrets.path().join("sandbox-reader");
    std::fs::write(&secret_file, &reader.secret).unwrap();
    let config = format!(
        "{}\n[lake_readers.sandbox]\naccess_key_id = \"{}\"\nsecret_access_key_file = \"{}\"\n\
         endpoint = \"{}\"\nregion = \"us-east-1\"\npath_style_access = true\n",
        zones::sandbox_lake(&url),
        reader.key,
        secret_file.display(),
        reader.url,
    );
    let clamd = Clamd::start();
    let d = Daemon::start_with(&clamd.addr(), &config);
    let acq = d.acquisition("Iceberg S3", "sandbox", "OFFICIAL").await;
    let name = publish_two_versions(&d, &acq).await;

    let (status, loaded) = d
        .get(
            &d.analyst,
            &format!("/iceberg/v1/namespaces/sandbox/tables/{name}"),
        )
        .await;
    assert_eq!(status, 200, "{loaded}");
    assert!(
        loaded["metadata"]["location"]
            .as_str()
            .unwrap()
            .starts_with(&url)
    );
    let vended = &loaded["storage-credentials"][0];
    assert_eq!(vended["prefix"], format!("{url}/"));
    assert_eq!(vended["config"]["s3.access-key-id"], reader.key.as_str());
    assert_eq!(vended["config"]["s3.endpoint"], reader.url.as_str());
    let own = std::env::var("AWS_ACCESS_KEY_ID").unwrap();
    assert!(
        !loaded.to_string().contains(&own),
        "the daemon's own key is never vended"
    );

    assert_clients_read_through_the_catalog(&d, &name);
}

/// A version of several parts streams through Airlock as CSV, as one
/// re-encoded Parquet file and as an Arrow IPC stream, each with every row
/// in order; a one-part version's Parquet is the lake's part byte for
/// byte. An uncleared analyst, a missing version and an unknown format are
/// refused with the API's errors, and each download is audited.
#[tokio::test]
async fn a_version_streams_through_airlock_in_every_format() {
    let clamd = Clamd::start();
    // Two rows a row group, and a part closed after every row group.
    let d = Daemon::start_with(
        &clamd.addr(),
        "row_group_rows = 2\npart_bytes = 1\nbatch_rows = 2\n",
    );
    let acq = d.acquisition("Streamed", "sandbox", "OFFICIAL").await;
    let csv = "id,name,visit_date\n1,Ada,2026-01-31\n2,,2026-02-01\n3,\"Grace, H\",\n4,Alan,2026-02-03\n5,Edsger,2026-02-04\n";
    let file = d.deliver(&acq, "people.csv", csv.as_bytes().to_vec()).await;
    assert_eq!(file["state"], "published", "{file:#}");
    let ds = file["dataset_id"].as_str().unwrap().to_owned();
    let (_, view) = d.get(&d.analyst, &format!("/v1/datasets/{ds}")).await;
    let location = view["versions"][0]["location"].as_str().unwrap();
    let lake_dir = std::path::PathBuf::from(location.strip_prefix("file://").unwrap());
    assert_eq!(
        files_under(&lake_dir, ".parquet").len(),
        3,
        "the version has three parts"
    );

    let http = reqwest::Client::new();
    let download = |token: &str, query: &str| {
        http.get(d.url(&format!("/v1/datasets/{ds}/versions/1/data{query}")))
            .bearer_auth(token)
            .send()
    };
    let r = download(&d.analyst, "?format=csv").await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .ends_with("-v1.csv\""),
        "{:?}",
        r.headers()
    );
    assert_eq!(r.text().await.unwrap(), csv);

    let ids = |batches: Vec<arrow::record_batch::RecordBatch>| -> Vec<i64> {
        batches
            .iter()
            .flat_map(|b| {
                let ids = b
                    .column(0)
                    .as_any()
                    .downcast_ref::<arrow::array::Int64Array>()
                    .unwrap();
                ids.values().to_vec()
            })
            .collect()
    };
    let r = download(&d.analyst, "").await.unwrap();
    assert_eq!(
        r.headers()["content-type"],
        "application/vnd.apache.parquet"
    );
    let parquet = r.bytes().await.unwrap();
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(parquet)
        .unwrap()
        .build()
        .unwrap();
    assert_eq!(ids(reader.map(Result::unwrap).collect()), [1, 2, 3, 4, 5]);

    let r = download(&d.analyst, "?format=arrow").await.unwrap();
    assert_eq!(
        r.headers()["content-type"],
        "application/vnd.apache.arrow.stream"
    );
    let ipc = r.bytes().await.unwrap();
    let reader = arrow::ipc::reader::StreamReader::try_new(&ipc[..], None).unwrap();
    assert_eq!(reader.schema().fields().len(), 3);
    assert_eq!(ids(reader.map(Result::unwrap).collect()), [1, 2, 3, 4, 5]);

    for (token, query, status, code) in [
        (d.corporate_analyst.as_str(), "", 404, "not_found"),
        (d.analyst.as_str(), "?format=xlsx", 400, "invalid_query"),
        ("no-such-token", "", 401, "unauthorized"),
    ] {
        let r = download(token, query).await.unwrap();
        assert_eq!(r.status(), status, "{query}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["code"], code, "{body}");
    }
    let (status, body) = d
        .get(&d.analyst, &format!("/v1/datasets/{ds}/versions/9/data"))
        .await;
    assert_eq!((status, body["code"].as_str()), (404, Some("not_found")));

    // One part: the lake's own bytes.
    let small = d.deliver(&acq, "one.csv", b"id\n7\n".to_vec()).await;
    let one = small["dataset_id"].as_str().unwrap();
    let (_, view) = d.get(&d.analyst, &format!("/v1/datasets/{one}")).await;
    let location = view["versions"][0]["location"].as_str().unwrap();
    let part = std::path::PathBuf::from(location.strip_prefix("file://").unwrap())
        .join("part-00000.parquet");
    let r = http
        .get(d.url(&format!(
            "/v1/datasets/{one}/versions/1/data?format=parquet"
        )))
        .bearer_auth(&d.analyst)
        .send()
        .await
        .unwrap();
    assert_eq!(r.bytes().await.unwrap(), std::fs::read(part).unwrap());

    let admin = d.add_user("ada", "admin", &[]);
    let (_, events) = d.get(&admin, "/v1/audit?limit=1000").await;
    let formats: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "dataset.read" && e["detail"]["via"] == "download")
        .map(|e| e["detail"]["format"].as_str().unwrap())
        .collect();
    assert_eq!(formats, ["csv", "parquet", "arrow", "parquet"]);
}

/// The dataset view shows each version with its own columns, their
/// statistics as the conversion recorded them, and what changed in the
/// schema from the version before.
#[tokio::test]
async fn each_version_shows_its_statistics_and_its_schema_changes() {
    let (_clamd, d, acq) = setup("Profiled", "sandbox", "OFFICIAL").await;
    publish_two_versions(&d, &acq).await;
    let (_, page) = d.get(&d.analyst, "/v1/datasets?q=visits").await;
    let ds = page["datasets"][0]["id"].as_str().unwrap().to_owned();
    let (status, view) = d.get(&d.analyst, &format!("/v1/datasets/{ds}")).await;
    assert_eq!(status, 200, "{view}");
    let versions = view["versions"].as_array().unwrap();
    assert_eq!(versions.len(), 2);
    let stats = |v: usize, column: &str| -> Value {
        let c = versions[v]["columns"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == column)
            .unwrap_or_else(|| panic!("no {column} in version {v}"));
        let s = &c["statistics"];
        json!([
            s["null_count"],
            s["min"],
            s["max"],
            s["distinct_count"],
            s["distinct_estimate"]
        ])
    };
    // FIRST: 1,Ada,3.5,2026-01-31, and 2,,-1.25,,
    assert_eq!(stats(0, "id"), json!([0, "1", "2", 2, null]));
    assert_eq!(stats(0, "name"), json!([1, "Ada", "Ada", 1, null]));
    assert_eq!(stats(0, "score"), json!([0, "-1.25", "3.5", 2, null]));
    assert_eq!(
        stats(0, "visit_date"),
        json!([1, "2026-01-31", "2026-01-31", 1, null])
    );
    assert_eq!(stats(0, "notes"), json!([2, null, null, 0, null]));
    // SECOND: 3,Grace,7.0 and 4,Alan,1.5
    assert_eq!(stats(1, "name"), json!([0, "Alan", "Grace", 2, null]));
    assert_eq!(stats(1, "score"), json!([0, "1.5", "7.0", 2, null]));
    assert_eq!(versions[0]["changes"], json!([]));
    let type_of = |column: &str| {
        versions[0]["columns"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == column)
            .unwrap()["type"]
            .clone()
    };
    assert_eq!(
        versions[1]["changes"],
        json!([
            {"change": "removed", "column": "visit_date", "type": type_of("visit_date")},
            {"change": "removed", "column": "notes", "type": type_of("notes")},
            {"change": "nullability", "column": "name", "from": true, "to": false},
        ])
    );
    // The dataset's own columns are the latest version's.
    assert_eq!(view["columns"], versions[1]["columns"]);
}

/// Versions published before Airlock wrote or recorded Iceberg metadata
/// are served after a restart: one whose `_iceberg` files are gone gets
/// them written from its parts' footers, one whose files are there is only
/// recorded, its files untouched; each is audited once, and a second start
/// finds nothing to do.
#[tokio::test]
async fn versions_published_before_iceberg_are_backfilled_at_start() {
    let (_clamd, mut d, acq) = setup("Backfilled", "sandbox", "OFFICIAL").await;
    let name = publish_two_versions(&d, &acq).await;
    // As an earlier release left them (the daemon is idle meanwhile): the
    // first version's files gone, neither version recorded.
    let lake = d.data_dir().join("lake/sandbox").join(&name);
    std::fs::remove_dir_all(lake.join("v1/_iceberg")).unwrap();
    let kept = lake.join("v2/_iceberg/v2.metadata.json");
    let kept_bytes = std::fs::read(&kept).unwrap();
    let kept_mtime = std::fs::metadata(&kept).unwrap().modified().unwrap();
    let url = format!("sqlite:{}", d.data_dir().join("catalog.db").display());
    let mut db = <sqlx::SqliteConnection as sqlx::Connection>::connect(&url)
        .await
        .unwrap();
    sqlx::query("UPDATE dataset_versions SET iceberg_parts = NULL")
        .execute(&mut db)
        .await
        .unwrap();
    drop(db);

    d.restart();
    d.wait_for_log("Iceberg metadata backfilled").await;
    let uri = d.url("/iceberg");
    let aggregate = "SELECT count(*) FROM {table}";
    let read = read_with_clients(&["rest", &uri, &d.analyst, "sandbox", &name, aggregate]);
    assert_eq!(
        read["snapshots"],
        json!({"1": first_rows(), "2": second_rows()}),
        "{read:#}"
    );
    assert_eq!(files_under(&lake.join("v1/_iceberg"), "").len(), 3);
    assert_eq!(std::fs::read(&kept).unwrap(), kept_bytes);
    assert_eq!(
        std::fs::metadata(&kept).unwrap().modified().unwrap(),
        kept_mtime
    );

    d.restart();
    d.wait_for_log("Iceberg metadata backfilled").await;
    let admin = d.add_user("ada", "admin", &[]);
    let (_, events) = d.get(&admin, "/v1/audit?limit=1000").await;
    let backfilled = events
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "dataset.iceberg")
        .count();
    assert_eq!(backfilled, 2, "each version is recorded once");
}

/// Search through the API: engineers tag a dataset (analysts may not),
/// the search finds it by tag, name or column and filters by tag and zone,
/// a query that does not parse is a 400 that says where, and each search
/// is audited with its query.
#[tokio::test]
async fn analysts_search_tagged_datasets_and_bad_queries_are_refused() {
    let (_clamd, d, acq) = setup("Search Survey", "sandbox", "OFFICIAL").await;
    let name = publish_two_versions(&d, &acq).await;
    let (_, view) = d
        .get(&d.analyst, &format!("/v1/datasets?q={}", "visits"))
        .await;
    let id = view["datasets"][0]["id"].as_str().unwrap().to_owned();
    let http = reqwest::Client::new();
    let tag = |token: &str, tags: Value| {
        http.put(d.url(&format!("/v1/datasets/{id}/tags")))
            .bearer_auth(token)
            .json(&json!({"tags": tags}))
            .send()
    };
    let r = tag(&d.engineer, json!(["wellbeing", "ons-2026", "wellbeing"]))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"tags": ["ons-2026", "wellbeing"]})
    );
    let r = tag(&d.analyst, json!(["mine"])).await.unwrap();
    assert_eq!(r.status(), 403);
    let r = tag(&d.engineer, json!(["Not A Tag"])).await.unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "invalid_tag");

    for query in ["wellbeing", "visit*", "score", "\"search survey\"", "ons"] {
        let (status, found) = d.get(&d.analyst, &format!("/v1/datasets?q={query}")).await;
        assert_eq!(status, 200, "{found}");
        let names: Vec<&str> = found["datasets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, [name.as_str()], "{query}");
        assert_eq!(
            found["datasets"][0]["tags"],
            json!(["ons-2026", "wellbeing"])
        );
    }
    let (_, none) = d.get(&d.analyst, "/v1/datasets?tag=other").await;
    assert_eq!(none, json!({"datasets": []}));
    let (_, none) = d.get(&d.analyst, "/v1/datasets?zone=corporate").await;
    assert_eq!(none, json!({"datasets": []}));
    let (_, hidden) = d
        .get(&d.corporate_analyst, "/v1/datasets?q=wellbeing")
        .await;
    assert_eq!(hidden, json!({"datasets": []}));
    let (status, err) = d.get(&d.analyst, "/v1/datasets?q=%22unclosed").await;
    assert_eq!(
        (status, err["code"].as_str()),
        (400, Some("invalid_query")),
        "{err}"
    );
    assert!(
        err["message"].as_str().unwrap().contains("character 1"),
        "{err}"
    );

    let admin = d.add_user("ada", "admin", &[]);
    let (_, events) = d.get(&admin, "/v1/audit?limit=1000").await;
    let queries: Vec<&Value> = events
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "catalog.search")
        .map(|e| &e["detail"]["query"])
        .collect();
    assert!(queries.contains(&&json!("wellbeing")), "{queries:?}");
    assert!(
        events
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "dataset.tags")
    );
}
