//! Drop folders, swept in-process at given times: a file is taken once
//! whole (a `.done` marker, or a size that held across sweeps), exactly
//! once, whatever its timestamps, and moved out once recorded.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::body::Body;

use airlock_ingest::folders::{DropFolder, Summary, sweep};
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

fn at(secs: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(2_000_000_000 + secs)
}

#[tokio::test]
async fn whole_files_are_taken_once_and_moved_out() {
    let (app, dir, acq, eve) = app().await;
    let path = dir.path().join("drop");
    std::fs::create_dir_all(&path).unwrap();
    let folder = DropFolder {
        path: path.clone(),
        acquisition_id: acq.clone(),
        stable_secs: 10,
        schedule: "*/5 * * * * *".into(),
    };
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

    let s = sweep(&app, &app.watch, &folder, at(0)).await.unwrap();
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
    let s = sweep(&app, &app.watch, &folder, at(20)).await.unwrap();
    assert_eq!((s.taken, s.waiting), (0, 1));
    let s = sweep(&app, &app.watch, &folder, at(25)).await.unwrap();
    assert_eq!((s.taken, s.waiting), (0, 1), "held only 5 of 10 seconds");
    let s = sweep(&app, &app.watch, &folder, at(31)).await.unwrap();
    assert_eq!((s.taken, s.waiting), (1, 0));
    assert!(path.join(".c.csv").exists() && path.join("d.csv.part").exists());

    // The same bytes again (a supplier re-sends): one delivery, moved out.
    std::fs::write(path.join("a-again.csv"), "id\n1\n").unwrap();
    std::fs::write(path.join("a-again.csv.done"), "").unwrap();
    assert_eq!(
        sweep(&app, &app.watch, &folder, at(40))
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
    };
    let s = sweep(&app, &app.watch, &folder, at(0)).await.unwrap();
    assert!(s.paused && s.taken == 0);
    assert!(path.join("late.csv").exists(), "left where it is");
}
