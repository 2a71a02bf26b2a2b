//! One lake conformance suite, plain async fns over a `Lake`, run by every
//! backend: the local filesystem, and S3 against the real s3s-fs server that
//! the README's test command starts (`AWS_ENDPOINT`, `AIRLOCK_TEST_S3_BUCKET`).
//! HDFS joins when a namenode is given (`AIRLOCK_TEST_HDFS_URL`).

use bytes::Bytes;
use futures::TryStreamExt;
use object_store::buffered::BufWriter;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use tokio::io::AsyncWriteExt;

use airlock_convert::write::{Part, part_name};
use airlock_ingest::lake::Lake;

async fn keys(lake: &Lake, prefix: &str) -> Vec<String> {
    let prefix = Path::from(prefix);
    let mut keys: Vec<String> = lake
        .store
        .list(Some(&prefix))
        .map_ok(|m| m.location.to_string())
        .try_collect()
        .await
        .unwrap();
    keys.sort();
    keys
}

/// Stages parts `part-00000.parquet`, … holding `contents`; returns them.
async fn stage(lake: &Lake, file_id: &str, contents: &[&[u8]]) -> Vec<Part> {
    let mut parts = Vec::new();
    for (i, bytes) in contents.iter().enumerate() {
        let name = part_name(i);
        lake.store
            .put(
                &Lake::staging_prefix(file_id).join(name.as_str()),
                PutPayload::from(Bytes::copy_from_slice(bytes)),
            )
            .await
            .unwrap();
        parts.push(Part {
            name,
            rows: 1,
            size_bytes: bytes.len() as i64,
        });
    }
    parts
}

async fn read(lake: &Lake, key: &Path) -> Bytes {
    lake.store.get(key).await.unwrap().bytes().await.unwrap()
}

fn final_part(dataset: &str, version: i64, index: usize) -> Path {
    Lake::version_prefix(dataset, version).join(part_name(index).as_str())
}

/// The parts of several stagings (a transfer's, one per source part) are
/// numbered on in order under the version.
pub async fn several_stagings_commit_as_one_numbered_version(lake: Lake) {
    let first = stage(&lake, "t/0", &[b"PAR1 a PAR1", b"PAR1 b PAR1"]).await;
    let second = stage(&lake, "t/1", &[b"PAR1 c PAR1"]).await;
    lake.commit(
        &[
            (Lake::staging_prefix("t/0"), &first[..]),
            (Lake::staging_prefix("t/1"), &second[..]),
        ],
        "moved",
        1,
        &[("_iceberg/v1.metadata.json".to_owned(), b"{}".to_vec())],
    )
    .await
    .unwrap();
    assert_eq!(
        keys(&lake, "moved").await,
        [
            "moved/v1/_SUCCESS",
            "moved/v1/_iceberg/v1.metadata.json",
            "moved/v1/part-00000.parquet",
            "moved/v1/part-00001.parquet",
            "moved/v1/part-00002.parquet"
        ]
    );
    assert_eq!(
        Lake::committed_parts(&[
            (Lake::staging_prefix("t/0"), &first[..]),
            (Lake::staging_prefix("t/1"), &second[..]),
        ])
        .into_iter()
        .map(|(name, ..)| name)
        .collect::<Vec<_>>(),
        [
            "part-00000.parquet",
            "part-00001.parquet",
            "part-00002.parquet"
        ]
    );
    assert_eq!(
        &read(
            &lake,
            &Lake::version_prefix("moved", 1)
                .join("_iceberg")
                .join("v1.metadata.json")
        )
        .await[..],
        b"{}"
    );
    assert_eq!(
        &read(&lake, &final_part("moved", 1, 2)).await[..],
        b"PAR1 c PAR1"
    );
}

/// Staged parts are invisible under the version until the commit, which
/// moves them there whole, marks the directory complete last, and leaves
/// nothing in staging.
pub async fn a_commit_moves_the_staged_parts_whole(lake: Lake) {
    let parts = stage(&lake, "f1", &[b"PAR1 one PAR1", b"PAR1 two PAR1"]).await;
    assert!(keys(&lake, "survey").await.is_empty());
    lake.commit(
        &[(Lake::staging_prefix("f1"), &parts[..])],
        "survey",
        1,
        &[],
    )
    .await
    .unwrap();
    assert_eq!(
        keys(&lake, "survey").await,
        [
            "survey/v1/_SUCCESS",
            "survey/v1/part-00000.parquet",
            "survey/v1/part-00001.parquet"
        ]
    );
    assert_eq!(
        read(&lake, &final_part("survey", 1, 1)).await,
        &b"PAR1 two PAR1"[..]
    );
    assert!(keys(&lake, "_staging/f1").await.is_empty());
    assert!(lake.location("survey", 1).ends_with("/survey/v1/"));
}

/// A step killed after its commit but before the catalog's runs again: it
/// stages and commits again over its own version, and no part of the first
/// attempt survives, however many it had.
pub async fn a_retried_commit_overwrites_its_own_version(lake: Lake) {
    let parts = stage(&lake, "f2", &[b"first attempt", b"first, second part"]).await;
    let first_metadata = [("_iceberg/snap-3.avro".to_owned(), b"first".to_vec())];
    lake.commit(
        &[(Lake::staging_prefix("f2"), &parts[..])],
        "retry",
        3,
        &first_metadata,
    )
    .await
    .unwrap();
    lake.clear_staging("f2").await.unwrap();
    let parts = stage(&lake, "f2", &[b"second attempt"]).await;
    lake.commit(&[(Lake::staging_prefix("f2"), &parts[..])], "retry", 3, &[])
        .await
        .unwrap();
    assert_eq!(
        keys(&lake, "retry").await,
        ["retry/v3/_SUCCESS", "retry/v3/part-00000.parquet"]
    );
    assert_eq!(
        read(&lake, &final_part("retry", 3, 0)).await,
        &b"second attempt"[..]
    );
}

/// What a crashed conversion left in staging is cleared, and only its own.
pub async fn stale_staging_is_cleared(lake: Lake) {
    stage(&lake, "crashed", &[b"half", b"more"]).await;
    stage(&lake, "other", &[b"busy"]).await;
    lake.clear_staging("crashed").await.unwrap();
    lake.clear_staging("never-staged").await.unwrap();
    assert_eq!(
        keys(&lake, "_staging").await,
        ["_staging/other/part-00000.parquet"]
    );
}

/// A part larger than one upload request goes up in parts (multipart on
/// S3) and arrives whole.
pub async fn a_large_part_arrives_whole(lake: Lake) {
    let len = 24 << 20;
    let name = part_name(0);
    let mut w = BufWriter::new(
        lake.store.clone(),
        Lake::staging_prefix("big").join(name.as_str()),
    );
    let block: Vec<u8> = (0..(1 << 20)).map(|i| (i % 251) as u8).collect();
    for _ in 0..(len >> 20) {
        w.write_all(&block).await.unwrap();
    }
    w.shutdown().await.unwrap();
    let part = Part {
        name,
        rows: 1,
        size_bytes: len as i64,
    };
    lake.commit(&[(Lake::staging_prefix("big"), &[part][..])], "big", 1, &[])
        .await
        .unwrap();
    let meta = lake.store.head(&final_part("big", 1, 0)).await.unwrap();
    assert_eq!(meta.size, len as u64);
    let got = read(&lake, &final_part("big", 1, 0)).await;
    assert!(got.chunks(1 << 20).all(|c| c == block.as_slice()));
}

/// Retention's two lake steps: an inventory of a version (every key, its
/// size and SHA-256) and its deletion, which leaves no key behind and
/// touches no other version.
pub async fn a_version_is_inventoried_then_deleted_whole(lake: Lake) {
    for version in [1, 2] {
        let parts = stage(&lake, "f", &[b"PAR1 one PAR1", b"PAR1 two PAR1"]).await;
        lake.commit(
            &[(Lake::staging_prefix("f"), &parts[..])],
            "old",
            version,
            &[],
        )
        .await
        .unwrap();
    }
    let objects = lake.inventory("old", 1).await.unwrap();
    let listed: Vec<(&str, u64)> = objects
        .iter()
        .map(|o| (o.key.as_str(), o.size_bytes))
        .collect();
    assert_eq!(
        listed,
        [
            ("old/v1/_SUCCESS", 0),
            ("old/v1/part-00000.parquet", 13),
            ("old/v1/part-00001.parquet", 13)
        ]
    );
    // `printf 'PAR1 one PAR1' | sha256sum`
    assert_eq!(
        objects[1].sha256,
        "861b3ff27308d8e2e75eb3c958820ef0241015fedeed9f2d38ba86dd4a4354e0"
    );
    lake.delete_version("old", 1).await.unwrap();
    assert!(keys(&lake, "old/v1").await.is_empty());
    assert_eq!(keys(&lake, "old/v2").await.len(), 3);
    // Deleting what is gone already (a pass resumed) is no error.
    lake.delete_version("old", 1).await.unwrap();
}

macro_rules! conformance {
    ($backend:ident, $make:expr $(, #[$attr:meta])*) => {
        mod $backend {
            use super::*;
            conformance!(@each $make, [$(#[$attr])*]; a_commit_moves_the_staged_parts_whole,
                a_retried_commit_overwrites_its_own_version, stale_staging_is_cleared,
                a_large_part_arrives_whole, a_version_is_inventoried_then_deleted_whole,
                several_stagings_commit_as_one_numbered_version);
        }
    };
    (@each $make:expr, $attrs:tt; $($case:ident),+) => {
        $(conformance!(@case $make, $attrs, $case);)+
    };
    (@case $make:expr, [$(#[$attr:meta])*], $case:ident) => {
        #[tokio::test]
        $(#[$attr])*
        async fn $case() {
            let (lake, _guard) = $make;
            super::$case(lake).await;
        }
    };
}

fn local() -> (Lake, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::open(&format!("file://{}", dir.path().display())).unwrap();
    (lake, dir)
}

/// A fresh prefix in the test bucket, so tests never see each other.
fn s3() -> (Lake, ()) {
    let bucket = std::env::var("AIRLOCK_TEST_S3_BUCKET").expect(
        "AIRLOCK_TEST_S3_BUCKET is not set: run the tests with scripts/test.sh, which starts s3s-fs",
    );
    let prefix = uuid::Uuid::now_v7().simple().to_string();
    (
        Lake::open(&format!("s3://{bucket}/lakes/{prefix}")).unwrap(),
        (),
    )
}

/// A fresh directory under the namenode URL given. No HDFS can run on the
/// test machines (see README), so these cases are ignored unless a namenode
/// is given: scripts/test.sh runs them when `AIRLOCK_TEST_HDFS_URL` is set.
fn hdfs() -> (Lake, ()) {
    let url = std::env::var("AIRLOCK_TEST_HDFS_URL")
        .expect("AIRLOCK_TEST_HDFS_URL names the namenode, e.g. hdfs://127.0.0.1:9000");
    let prefix = uuid::Uuid::now_v7().simple().to_string();
    let url = format!("{}/airlock-lakes/{prefix}", url.trim_end_matches('/'));
    (Lake::open(&url).unwrap(), ())
}

conformance!(on_local, local());
conformance!(on_s3, s3());
conformance!(on_hdfs, hdfs(), #[ignore = "needs a namenode: AIRLOCK_TEST_HDFS_URL"]);

#[test]
fn lake_urls_are_checked() {
    for bad in [
        "ftp://x/y",
        "s3://",
        "/plain/path",
        "hdfs://",
        "hdfs:///no/namenode",
    ] {
        assert!(Lake::open(bad).is_err(), "{bad}");
    }
}
