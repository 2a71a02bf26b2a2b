//! Drop folders, swept in-process at given times: a file is taken once
//! whole (renamed in under a watch, a `.done` marker, or a size that held
//! across sweeps), exactly once, whatever its timestamps, and moved out
//! once recorded.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::body::Body;

use airlock_ingest::folders::{DropFolder, Summary, Taken, sweep};
use airlock_ingest::{App, Config, auth};
use airlock_policies::Role;

#[path = "../../tests/support/router.rs"]
mod router;

async fn app() -> (Arc<App>, tempfile::TempDir, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config {
        data_dir: dir.path().join("data"),
        ..Config::default()
    };
    config.scanner.engines = vec![airlock_ingest::config::EngineConfig::Filetype];
    let app = App::open(config, None).await.unwrap();
    let eve = auth::add_user(app.catalog.as_ref(), "eve", Role::Engineer, &[])
        .await
        .unwrap()
        .1;
    let rita = auth::add_user(app.catalog.as_ref(), "rita", Role::Reviewer, &[])
        .await
        .unwrap()
        .1;
    let acq = router::approved_acquisition(&app, &eve, &rita, "Dropped").await;
    (app, dir, acq, eve)
}

/// A `drop` folder in `dir` for `acq`, swept every 5 s, files moved out.
fn drop_folder(dir: &tempfile::TempDir, acq: &str, stable_secs: u64) -> DropFolder {
    let path = dir.path().join("drop");
    std::fs::create_dir_all(&path).unwrap();
    DropFolder {
        path,
        acquisition_id: acq.to_owned(),
        stable_secs,
        schedule: "*/5 * * * * *".into(),
        after: Taken::Move,
    }
}

fn at(secs: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(2_000_000_000 + secs)
}

#[tokio::test]
async fn whole_files_are_taken_once_and_moved_out() {
    let (app, dir, acq, eve) = app().await;
    let folder = drop_folder(&dir, &acq, 10);
    let path = folder.path.clone();
    // Marked done: taken at once. Growing: waits. Hidden, .part: never.
    std::fs::write(path.join("a.csv"), "id\n1\n").unwrap();
    std::fs::write(path.join("a.csv.done"), "").unwrap();
    std::fs::write(path.join("b.csv"), "id\n2\n").unwrap();
    std::fs::write(path.join(".c.csv"), "id\n3\n").unwrap();
    std::fs::write(path.join("d.csv.part"), "id\n4\n").unwrap();
    // An old timestamp does not hide a file.
    let old = std::fs::File::options()
        .write(true)
        .open(path.join("b.csv"))
        .unwrap();
    old.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(86_400))
        .unwrap();
    drop(old);

    let s = sweep(app.intake(), &app.watch, &folder, at(0))
        .await
        .unwrap();
    assert_eq!(
        s,
        Summary {
            taken: 1,
            waiting: 1,
            paused: false
        }
    );
    assert!(!path.join("a.csv").exists() && !path.join("a.csv.done").exists());
    // b.csv grows between sweeps: still not whole.
    std::fs::write(path.join("b.csv"), "id\n2\n22\n").unwrap();
    let s = sweep(app.intake(), &app.watch, &folder, at(20))
        .await
        .unwrap();
    assert_eq!((s.taken, s.waiting), (0, 1));
    let s = sweep(app.intake(), &app.watch, &folder, at(25))
        .await
        .unwrap();
    assert_eq!((s.taken, s.waiting), (0, 1), "held only 5 of 10 seconds");
    let s = sweep(app.intake(), &app.watch, &folder, at(31))
        .await
        .unwrap();
    assert_eq!((s.taken, s.waiting), (1, 0));
    assert!(path.join(".c.csv").exists() && path.join("d.csv.part").exists());

    // The same bytes again (a supplier re-sends): one delivery, moved out.
    std::fs::write(path.join("a-again.csv"), "id\n1\n").unwrap();
    std::fs::write(path.join("a-again.csv.done"), "").unwrap();
    assert_eq!(
        sweep(app.intake(), &app.watch, &folder, at(40))
            .await
            .unwrap()
            .taken,
        1
    );
    let (_, files) = router::call(
        &app,
        "GET",
        &format!("/v1/acquisitions/{acq}/files"),
        Some(&eve),
        Body::empty(),
    )
    .await;
    let files = files.as_array().unwrap();
    assert_eq!(files.len(), 2, "{files:?}");
    assert!(files.iter().all(|f| f["channel"] == "folder"));
    let accepted: Vec<String> = std::fs::read_dir(path.join(".airlock/accepted"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        accepted.len(),
        3,
        "every taken file is moved out: {accepted:?}"
    );
    let visible: Vec<String> = std::fs::read_dir(&path)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.'))
        .collect();
    assert_eq!(visible, ["d.csv.part"]);
}

#[tokio::test]
async fn a_folder_for_an_acquisition_not_approved_pauses() {
    let (app, dir, acq, eve) = app().await;
    let path = dir.path().join("drop");
    std::fs::create_dir_all(&path).unwrap();
    let (status, _) = router::call(
        &app,
        "POST",
        &format!("/v1/acquisitions/{acq}/close"),
        Some(&eve),
        Body::empty(),
    )
    .await;
    assert_eq!(status.as_u16(), 200);
    std::fs::write(path.join("late.csv"), "id\n1\n").unwrap();
    std::fs::write(path.join("late.csv.done"), "").unwrap();
    let folder = DropFolder {
        path: path.clone(),
        acquisition_id: acq,
        stable_secs: 10,
        schedule: "*/5 * * * * *".into(),
        after: Taken::Move,
    };
    let s = sweep(app.intake(), &app.watch, &folder, at(0))
        .await
        .unwrap();
    assert!(s.paused && s.taken == 0);
    assert!(path.join("late.csv").exists(), "left where it is");
}

/// Drop buckets against the real S3 server the test script starts
/// (s3s-fs): each object version is taken once, then deleted or kept.
#[tokio::test]
async fn bucket_objects_are_taken_once_per_version_then_deleted_or_kept() {
    use airlock_ingest::buckets::{After, DropBucket, sweep as sweep_bucket};
    use object_store::ObjectStoreExt;
    let bucket = std::env::var("AIRLOCK_TEST_S3_BUCKET").expect(
        "AIRLOCK_TEST_S3_BUCKET is not set: run the tests with scripts/test.sh, which starts s3s-fs",
    );
    let (app, _dir, acq, eve) = app().await;
    let url = format!("s3://{bucket}/drops-{}", uuid::Uuid::now_v7().simple());
    let store = airlock_ingest::lake::Lake::open(&url).unwrap().store;
    let put = |key: &str, body: &'static str| {
        let store = store.clone();
        let key = object_store::path::Path::from(key);
        async move { store.put(&key, body.into()).await.unwrap() }
    };
    let keys = || {
        let store = store.clone();
        async move {
            let mut k: Vec<String> = futures::TryStreamExt::try_collect::<Vec<_>>(store.list(None))
                .await
                .unwrap()
                .into_iter()
                .map(|m| m.location.to_string())
                .collect();
            k.sort();
            k
        }
    };
    put("in/a.csv", "id\n1\n").await;
    put("in/b.csv", "id\n2\n").await;
    put("in/.hidden.csv", "id\n3\n").await;
    put("in/c.csv.part", "id\n4\n").await;
    let drop = DropBucket {
        url: url.clone(),
        options: Default::default(),
        acquisition_id: acq.clone(),
        schedule: "0 * * * * *".into(),
        after: After::Delete,
    };
    let s = sweep_bucket(app.intake(), &drop).await.unwrap();
    assert_eq!((s.taken, s.known, s.paused), (2, 0, false));
    assert_eq!(keys().await, ["in/.hidden.csv", "in/c.csv.part"]);
    // The same object again: known by its version, deleted, not delivered twice.
    put("in/a.csv", "id\n1\n").await;
    let s = sweep_bucket(app.intake(), &drop).await.unwrap();
    assert_eq!((s.taken, s.known), (0, 1));
    // A new object is a new delivery.
    put("in/d.csv", "id\n5\n").await;
    assert_eq!(sweep_bucket(app.intake(), &drop).await.unwrap().taken, 1);

    // Kept objects stay, and are not taken again.
    let kept = DropBucket {
        after: After::Keep,
        ..drop.clone()
    };
    put("in/k.csv", "id\n6\n").await;
    assert_eq!(sweep_bucket(app.intake(), &kept).await.unwrap().taken, 1);
    let s = sweep_bucket(app.intake(), &kept).await.unwrap();
    assert_eq!((s.taken, s.known), (0, 1));
    assert!(keys().await.contains(&"in/k.csv".to_owned()));

    let uri = format!("/v1/acquisitions/{acq}/files");
    let (_, files) = router::call(&app, "GET", &uri, Some(&eve), Body::empty()).await;
    let files = files.as_array().unwrap();
    assert_eq!(files.len(), 4, "{files:?}");
    assert!(files.iter().all(|f| f["channel"] == "bucket"));
}

#[tokio::test]
async fn in_mark_mode_a_taken_file_stays_beside_a_marker_and_is_not_taken_again() {
    let (app, dir, acq, _) = app().await;
    let mut folder = drop_folder(&dir, &acq, 10);
    let path = folder.path.clone();
    folder.after = Taken::Mark;
    std::fs::write(path.join("a.csv"), "id\n1\n").unwrap();
    std::fs::write(path.join("a.csv.done"), "").unwrap();
    assert_eq!(
        sweep(app.intake(), &app.watch, &folder, at(0))
            .await
            .unwrap()
            .taken,
        1
    );
    let id = std::fs::read_to_string(path.join("a.csv.accepted")).unwrap();
    assert!(
        app.catalog.file(&id).await.unwrap().is_some(),
        "the marker names the delivery"
    );
    assert!(path.join("a.csv").exists());
    // Changed afterwards, it is still not taken again: the marker stands.
    std::fs::write(path.join("a.csv"), "id\n1\n2\n").unwrap();
    std::fs::write(path.join("a.csv.done"), "").unwrap();
    let s = sweep(app.intake(), &app.watch, &folder, at(30))
        .await
        .unwrap();
    assert_eq!((s.taken, s.waiting), (0, 0));
}

/// With the folder watched (inotify), a file renamed into place is whole
/// at once, however long its stable window; one written in place still
/// waits for its window.
#[tokio::test]
async fn a_file_renamed_into_a_watched_folder_is_taken_at_once() {
    let (app, dir, acq, _) = app().await;
    let folder = drop_folder(&dir, &acq, 3600);
    let path = folder.path.clone();
    let wake = Arc::new(tokio::sync::Notify::new());
    let _events = airlock_ingest::folders::watcher(app.watch.clone(), &path, wake.clone()).unwrap();
    std::fs::write(path.join("renamed.csv.tmp"), "id\n1\n").unwrap();
    std::fs::rename(path.join("renamed.csv.tmp"), path.join("renamed.csv")).unwrap();
    std::fs::write(path.join("in-place.csv"), "id\n2\n").unwrap();
    // Sweep on each wake-up until the rename has been seen.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let s = loop {
        tokio::time::timeout(Duration::from_secs(30), wake.notified())
            .await
            .expect("the folder's events wake its sweep");
        let s = sweep(app.intake(), &app.watch, &folder, at(0))
            .await
            .unwrap();
        if s.taken > 0 {
            break s;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the rename was never seen"
        );
    };
    assert_eq!((s.taken, s.waiting), (1, 1), "{s:?}");
    let files = app.catalog.acquisition_files(&acq, "", 10).await.unwrap();
    let names: Vec<&str> = files.iter().map(|f| f.filename.as_str()).collect();
    assert_eq!(names, ["renamed.csv"]);
    assert!(!path.join("renamed.csv").exists());
    assert!(path.join("in-place.csv").exists());
}

/// A name no delivery may carry (a backslash, a control character, bytes
/// that are not UTF-8) does not strand the file: it is delivered under a
/// valid name and moved out like any other.
#[tokio::test]
async fn a_file_with_an_invalid_name_is_delivered_under_a_valid_one() {
    use std::os::unix::ffi::OsStrExt;
    let (app, dir, acq, _) = app().await;
    let folder = drop_folder(&dir, &acq, 10);
    let path = folder.path.clone();
    let odd = std::ffi::OsStr::from_bytes(b"a\\b\tc-\xff.csv");
    std::fs::write(path.join(odd), "id\n1\n").unwrap();
    let mut marker = odd.to_os_string();
    marker.push(".done");
    std::fs::write(path.join(marker), "").unwrap();
    let s = sweep(app.intake(), &app.watch, &folder, at(0))
        .await
        .unwrap();
    assert_eq!(s.taken, 1, "{s:?}");
    let files = app.catalog.acquisition_files(&acq, "", 10).await.unwrap();
    assert_eq!(files[0].filename, "a_b_c-\u{fffd}.csv");
    assert!(!path.join(odd).exists());
    assert_eq!(
        std::fs::read_dir(&path).unwrap().count(),
        1,
        "only .airlock is left"
    );
}

/// Tag mode, against moto's S3 server (s3s-fs implements no object
/// tagging), configured by the bucket's own options: a taken object stays,
/// tagged with its delivery, and is not taken again.
#[tokio::test]
async fn in_tag_mode_a_taken_object_stays_tagged_with_its_delivery() {
    use airlock_ingest::buckets::{After, DropBucket, StoreOptions, sweep as sweep_bucket};
    use object_store::ObjectStoreExt;
    let endpoint = std::env::var("AIRLOCK_TEST_MOTO_ENDPOINT").expect(
        "AIRLOCK_TEST_MOTO_ENDPOINT is not set: run the tests with scripts/test.sh, which starts moto",
    );
    let python = std::env::var("AIRLOCK_TEST_PYTHON").expect("AIRLOCK_TEST_PYTHON is not set");
    let (app, _dir, acq, _) = app().await;
    let bucket = format!("drops-{}", uuid::Uuid::now_v7().simple());
    let boto = |code: &str| {
        let out = std::process::Command::new(&python)
            .arg("-c")
            .arg(format!(
                "import boto3, sys\n\
                 s3 = boto3.client('s3', endpoint_url='{endpoint}', region_name='eu-west-2',\n\
                     aws_access_key_id='supplier', aws_secret_access_key='secret')\n{code}"
            ))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    boto(&format!(
        "s3.create_bucket(Bucket='{bucket}', \
         CreateBucketConfiguration={{'LocationConstraint': 'eu-west-2'}})"
    ));
    let options: std::collections::BTreeMap<String, String> = [
        ("aws_endpoint", endpoint.as_str()),
        ("aws_allow_http", "true"),
        ("aws_region", "eu-west-2"),
        ("aws_access_key_id", "supplier"),
        ("aws_secret_access_key", "secret"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let drop = DropBucket {
        url: format!("s3://{bucket}/in"),
        options: StoreOptions(options),
        acquisition_id: acq.clone(),
        schedule: "0 * * * * *".into(),
        after: After::Tag,
    };
    drop.check().unwrap();
    let store = airlock_ingest::lake::Lake::open_with(&drop.url, &drop.options.0)
        .unwrap()
        .store;
    store
        .put(&"a b.csv".into(), "id\n1\n".into())
        .await
        .unwrap();
    let s = sweep_bucket(app.intake(), &drop).await.unwrap();
    assert_eq!((s.taken, s.known), (1, 0));
    let file = &app.catalog.acquisition_files(&acq, "", 10).await.unwrap()[0];
    let tags = boto(&format!(
        "t = s3.get_object_tagging(Bucket='{bucket}', Key='in/a b.csv')['TagSet']\n\
         print(sorted((x['Key'], x['Value']) for x in t))"
    ));
    assert_eq!(
        tags.trim(),
        format!(
            "[('airlock', 'accepted'), ('airlock-delivery', '{}')]",
            file.id
        )
    );
    // Kept, and known: not taken twice.
    let s = sweep_bucket(app.intake(), &drop).await.unwrap();
    assert_eq!((s.taken, s.known), (0, 1));
    // Tag mode is for S3 only.
    let local = DropBucket {
        url: "file:///tmp/x".into(),
        ..drop
    };
    assert!(local.check().unwrap_err().to_string().contains("s3://"));
}
