//! One pass: a delivery is converted into the lake's staging beside its
//! scan, and the invariants hold with the real binary, a real clamd and
//! real lakes. A file whose scan finds anything leaves nothing visible and
//! no catalog version, though its conversion finished; a SIGKILL during
//! the overlapped stage leaves nothing visible and the work is redone once,
//! on a local lake and on an S3 lake.

mod support;

use std::fs::File;

use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use support::*;

#[tokio::test]
async fn an_infected_file_converted_beside_its_scan_leaves_nothing_and_no_version() {
    let (_clamd, d, acq) = setup("Suspicious supplier", "sandbox", "OFFICIAL").await;
    let file = d.deliver(&acq, "data.csv", eicar_csv()).await;
    assert_eq!(file["state"], "rejected", "{file:#}");
    assert_eq!(file["reason"], "infected");
    let id = file["id"].as_str().unwrap();
    // The conversion ran to its end beside the scan, before the verdict
    // was acted on…
    let converted = format!("scan and conversion done file={id} staged=true kept=false");
    assert!(d.log().contains(&converted), "{}", d.log());
    // …and nothing of it is left: no staging, no part, no version.
    assert!(files_under(&d.data_dir().join("lake"), "").is_empty());
    assert_eq!(file["dataset_id"], serde_json::Value::Null);
    assert_eq!(file["datasets"], serde_json::json!([]));
    let (_, found) = d.get(&d.analyst, "/v1/datasets").await;
    assert_eq!(found["datasets"], serde_json::json!([]), "{found}");
}

#[tokio::test]
async fn a_clean_file_publishes_what_was_converted_beside_its_scan() {
    let (_clamd, d, acq) = setup("Survey", "sandbox", "OFFICIAL").await;
    let file = d.deliver(&acq, "s.csv", b"k,v\n1,a\n2,b\n".to_vec()).await;
    assert_eq!(file["state"], "published", "{file:#}");
    let id = file["id"].as_str().unwrap();
    let log = d.log();
    let done = format!("scan and conversion done file={id} staged=true kept=true");
    assert!(log.contains(&done), "{log}");
    // Converted once: the converting step used the staged parts.
    let converting = format!("converting beside the scan file={id}");
    assert_eq!(log.matches(&converting).count(), 1, "{log}");
    assert_eq!(files_under(&d.data_dir().join("lake"), ".parquet").len(), 1);
}

#[tokio::test]
async fn a_site_may_have_files_converted_only_after_their_scan() {
    let clamd = Clamd::start();
    let d = Daemon::start_with(&clamd.addr(), "convert_while_scanning = false\n");
    let acq = d.acquisition("Survey", "sandbox", "OFFICIAL").await;
    let file = d.deliver(&acq, "s.csv", b"k,v\n1,a\n".to_vec()).await;
    assert_eq!(file["state"], "published", "{file:#}");
    let id = file["id"].as_str().unwrap();
    let log = d.log();
    assert!(
        log.contains(&format!(
            "scan and conversion done file={id} staged=false kept=false"
        )),
        "{log}"
    );
    assert!(!log.contains("converting beside the scan"), "{log}");
}

/// Rows of the CSV the crash tests deliver: large enough that conversion
/// takes seconds in a debug build.
const BIG_ROWS: u64 = 3_000_000;

/// Delivers the big CSV, waits until its conversion beside the scan has
/// begun, kills the daemon with SIGKILL there and restarts it; returns the
/// published dataset's name.
async fn crash_mid_overlap(clamd: &Clamd, d: &mut Daemon) -> String {
    let acq = d.acquisition("Big", "sandbox", "OFFICIAL").await;
    let mut csv = b"id,name,score\n".to_vec();
    for i in 0..BIG_ROWS {
        csv.extend_from_slice(format!("{i},name-{i},{}.5\n", i % 1000).as_bytes());
    }
    let (status, accepted) = d.upload(&acq, "big.csv", csv).await;
    assert_eq!(status, 202, "{accepted}");
    let id = accepted["id"].as_str().unwrap();
    d.wait_for_log(&format!("converting beside the scan file={id}"))
        .await;
    let (_, seen) = d.get(&d.engineer, &format!("/v1/files/{id}")).await;
    assert_eq!(
        seen["state"], "scanning",
        "killed during the overlapped stage: {seen:#}"
    );

    d.crash_and_restart_with_clamd(&clamd.addr(), &clamd.addr());
    let done = d.wait_for(id, &["published", "rejected", "held"]).await;
    assert_eq!(done["state"], "published", "{done:#}");
    let ds = done["dataset_id"].as_str().unwrap();
    let (_, dataset) = d.get(&d.analyst, &format!("/v1/datasets/{ds}")).await;
    let versions = dataset["versions"].as_array().unwrap();
    assert_eq!(versions.len(), 1, "{dataset:#}");
    assert_eq!(versions[0]["rows"], BIG_ROWS);
    dataset["name"].as_str().unwrap().to_owned()
}

/// SIGKILL while the Parquet is being written beside the scan: after the
/// restart the file is scanned and converted again from its recorded
/// state and published exactly once, whole, with nothing left in staging.
#[tokio::test]
async fn a_daemon_killed_mid_conversion_publishes_once_after_restart() {
    let clamd = Clamd::start();
    let mut d = Daemon::start(&clamd.addr());
    let staging = d.data_dir().join("lake/sandbox/_staging");
    crash_mid_overlap(&clamd, &mut d).await;
    // One Parquet object in the whole lake, staging included, and it holds
    // every row.
    let parts = files_under(&d.data_dir().join("lake"), ".parquet");
    assert_eq!(parts.len(), 1, "{parts:?}");
    let left = files_under(&staging, "");
    assert!(left.is_empty(), "left in staging: {left:?}");
    let meta = ParquetRecordBatchReaderBuilder::try_new(File::open(&parts[0]).unwrap()).unwrap();
    assert_eq!(meta.metadata().file_metadata().num_rows() as u64, BIG_ROWS);
}

/// SIGKILL while the Parquet streams to an S3 lake beside the scan (parts
/// are uploaded as they are encoded, multipart past 10 MiB): after the restart the version
/// holds exactly its one part, its Iceberg metadata (once) and the
/// `_SUCCESS` marker, staging is empty, and the part has every row.
#[tokio::test]
async fn a_daemon_killed_mid_upload_to_s3_publishes_once_after_restart() {
    use object_store::ObjectStoreExt;
    let bucket = std::env::var("AIRLOCK_TEST_S3_BUCKET").expect(
        "AIRLOCK_TEST_S3_BUCKET is not set: run the tests with scripts/test.sh, which starts s3s-fs",
    );
    let url = format!("s3://{bucket}/e2e-{}", uuid::Uuid::now_v7().simple());
    let clamd = Clamd::start();
    let mut d = Daemon::start_with(&clamd.addr(), &zones::sandbox_lake(&url));
    let dataset = crash_mid_overlap(&clamd, &mut d).await;
    let lake = airlock_ingest::lake::Lake::open(&url).unwrap();
    let mut keys: Vec<String> = futures::TryStreamExt::try_collect::<Vec<_>>(lake.store.list(None))
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.location.to_string())
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            format!("{dataset}/v1/_SUCCESS"),
            format!("{dataset}/v1/_iceberg/manifest-1.avro"),
            format!("{dataset}/v1/_iceberg/snap-1.avro"),
            format!("{dataset}/v1/_iceberg/v1.metadata.json"),
            format!("{dataset}/v1/part-00000.parquet")
        ]
    );
    let bytes = lake
        .store
        .get(&object_store::path::Path::from(keys[4].as_str()))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let meta = ParquetRecordBatchReaderBuilder::try_new(bytes).unwrap();
    assert_eq!(meta.metadata().file_metadata().num_rows() as u64, BIG_ROWS);
}
