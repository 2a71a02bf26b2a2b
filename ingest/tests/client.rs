//! The Rust client (`airlock-client`) against the API served on a loopback
//! port: an upload stopped part way is resumed by the next run from the
//! server's offset, a changed file is a new upload, and an upload the
//! server no longer knows starts afresh.

use std::ops::ControlFlow;
use std::sync::Arc;

use sha2::{Digest, Sha256};

#[path = "../../tests/support/router.rs"]
mod router;

use airlock_client::upload::Upload;
use airlock_client::{Client, ClientError};
use airlock_ingest::{App, Config, api, auth};
use airlock_policies::Role;

const MIB: usize = 1 << 20;

struct Served {
    app: Arc<App>,
    server: String,
    engineer: String,
    acquisition: String,
    _dir: tempfile::TempDir,
}

async fn served() -> Served {
    let dir = tempfile::tempdir().unwrap();
    let config = Config {
        data_dir: dir.path().join("data"),
        ..Config::default()
    };
    let app = App::open(config, None).await.unwrap();
    let catalog = app.catalog.as_ref();
    let engineer = auth::add_user(catalog, "eve", Role::Engineer, &[]).await;
    let reviewer = auth::add_user(catalog, "rita", Role::Reviewer, &[]).await;
    let (engineer, reviewer) = (engineer.unwrap().1, reviewer.unwrap().1);
    let acquisition = router::approved_acquisition(&app, &engineer, &reviewer, "resume").await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server = format!("http://{}", listener.local_addr().unwrap());
    let router = api::router(app.clone());
    tokio::spawn(async move { axum::serve(listener, router).await });
    Served {
        app,
        server,
        engineer,
        acquisition,
        _dir: dir,
    }
}

/// A CSV of about `bytes` bytes.
fn csv(bytes: usize) -> Vec<u8> {
    let mut out = b"id,value\n".to_vec();
    let mut i = 0u64;
    while out.len() < bytes {
        out.extend_from_slice(format!("{i},{}\n", i * 7).as_bytes());
        i += 1;
    }
    out
}

#[tokio::test]
async fn a_stopped_upload_resumes_where_the_server_left_it() {
    let s = served().await;
    let client = Client::new(&s.server, &s.engineer).unwrap();
    let work = tempfile::tempdir().unwrap();
    let state_dir = work.path().join("state");
    let path = work.path().join("big.csv");
    let body = csv(3 * MIB + 100);
    std::fs::write(&path, &body).unwrap();
    let upload = Upload {
        acquisition_id: &s.acquisition,
        file: &path,
        name: None,
        format: None,
        state_dir: &state_dir,
        chunk_bytes: MIB,
    };

    // Stopped once the first chunk is acknowledged.
    let stopped = client
        .upload(&upload, |sent, _| {
            if sent >= MIB as u64 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })
        .await
        .unwrap_err();
    assert!(
        matches!(stopped, ClientError::Interrupted { offset } if offset == MIB as u64),
        "{stopped}"
    );
    assert_eq!(std::fs::read_dir(&state_dir).unwrap().count(), 1);

    // The next run resumes from there, and the delivery is the whole file.
    let mut seen = Vec::new();
    let done = client
        .upload(&upload, |sent, _| {
            seen.push(sent);
            ControlFlow::Continue(())
        })
        .await
        .unwrap();
    assert_eq!(done.resumed_from, MIB as u64);
    assert_eq!(seen.first(), Some(&(MIB as u64)));
    assert_eq!(seen.last(), Some(&(body.len() as u64)));
    let file = s.app.catalog.file(&done.file_id).await.unwrap().unwrap();
    assert_eq!(file.sha256, hex::encode(Sha256::digest(&body)));
    assert_eq!(file.filename, "big.csv");
    assert_eq!(
        std::fs::read_dir(&state_dir).unwrap().count(),
        0,
        "forgotten once done"
    );
}

#[tokio::test]
async fn a_changed_file_or_a_forgotten_upload_starts_afresh() {
    let s = served().await;
    let client = Client::new(&s.server, &s.engineer).unwrap();
    let work = tempfile::tempdir().unwrap();
    let state_dir = work.path().join("state");
    let path = work.path().join("data.csv");
    std::fs::write(&path, csv(2 * MIB)).unwrap();
    let upload = Upload {
        acquisition_id: &s.acquisition,
        file: &path,
        name: Some("renamed.csv"),
        format: Some("csv"),
        state_dir: &state_dir,
        chunk_bytes: MIB,
    };
    let stop_after_first = |sent: u64, _| {
        if sent > 0 {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    };
    let remembered = || -> Vec<std::path::PathBuf> {
        std::fs::read_dir(&state_dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect()
    };
    client.upload(&upload, stop_after_first).await.unwrap_err();
    let first = remembered();

    // The file changes: its remembered upload is not resumed.
    let changed = csv(2 * MIB + 10);
    std::fs::write(&path, &changed).unwrap();
    client.upload(&upload, stop_after_first).await.unwrap_err();
    let now = remembered();
    assert_eq!(now.len(), 2);
    let state = now.into_iter().find(|p| !first.contains(p)).unwrap();

    // The server forgets the upload (terminated here; expired likewise):
    // the next run starts a new one and delivers the whole file.
    let remembered: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
    let location = remembered["location"].as_str().unwrap();
    let forget = reqwest::Client::new()
        .delete(format!("{}{location}", s.server))
        .bearer_auth(&s.engineer)
        .header("tus-resumable", "1.0.0")
        .send()
        .await
        .unwrap();
    assert_eq!(forget.status().as_u16(), 204);
    let done = client
        .upload(&upload, |_, _| ControlFlow::Continue(()))
        .await
        .unwrap();
    assert_eq!(done.resumed_from, 0);
    let file = s.app.catalog.file(&done.file_id).await.unwrap().unwrap();
    assert_eq!(file.sha256, hex::encode(Sha256::digest(&changed)));
    assert_eq!(file.filename, "renamed.csv");
}
