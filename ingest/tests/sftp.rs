//! The SFTP drop endpoint, driven by Debian's OpenSSH `sftp` client in
//! batch mode with keys made by `ssh-keygen`: a `put` becomes a delivery
//! (channel `sftp`, its SHA-256) that goes through the pipeline; `ls`
//! shows only the caller's own pending files; reading back, removing,
//! climbing out with `..` and delivering elsewhere are refused; unknown
//! keys and wrong logins do not get in; and an upload under a temporary
//! name is delivered only when renamed.

use sha2::{Digest, Sha256};
use std::path::Path;
use tokio_util::sync::CancellationToken;

use airlock_catalog::{Channel, FileRecord};
use airlock_ingest::sftp::{SftpConfig, SftpKey};
use airlock_ingest::{App, Config, auth};
use airlock_policies::Role;

#[path = "../../tests/support/sftp.rs"]
mod openssh;
#[path = "../../tests/support/router.rs"]
mod router;
use openssh::{keygen, sftp};

async fn deliveries(app: &App, acq: &str) -> Vec<FileRecord> {
    app.catalog.acquisition_files(acq, "", 100).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn suppliers_put_files_over_sftp_and_can_do_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().join("client");
    std::fs::create_dir_all(&work).unwrap();
    let mut config = Config {
        data_dir: dir.path().join("data"),
        ..Config::default()
    };
    config.scanner.engines = vec![airlock_ingest::config::EngineConfig::Filetype];
    config.limits.max_file_bytes = 8 << 20;
    let app = App::open(config, None).await.unwrap();
    let add = |name: &'static str, role| {
        let app = app.clone();
        async move {
            auth::add_user(app.catalog.as_ref(), name, role, &[])
                .await
                .unwrap()
        }
    };
    let (eve, eve_token) = add("eve", Role::Engineer).await;
    let (_, oscar_token) = add("oscar", Role::Engineer).await;
    let (_, rita_token) = add("rita", Role::Reviewer).await;
    let acq = router::approved_acquisition(&app, &eve_token, &rita_token, "By SFTP").await;
    let oscars = router::approved_acquisition(&app, &oscar_token, &rita_token, "Oscar's").await;

    let (eve_key, eve_pub) = keygen(dir.path(), "eve_key");
    let (stranger_key, _) = keygen(dir.path(), "stranger_key");
    // Eve's key is bound to her acquisition and, by mistake, to Oscar's:
    // policy still decides who may deliver where.
    let sftp_config = SftpConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        host_key_path: None,
        idle_timeout_secs: 60,
        keys: vec![SftpKey {
            user_id: eve.id.clone(),
            public_key: eve_pub,
            acquisitions: vec![acq.clone(), oscars.clone()],
        }],
    };
    let listener = tokio::net::TcpListener::bind(sftp_config.listen)
        .await
        .unwrap();
    let port = listener.local_addr().unwrap().port();
    let stop = CancellationToken::new();
    let server = {
        let (app, stop) = (app.clone(), stop.clone());
        tokio::spawn(
            async move { airlock_ingest::sftp::serve(app, &sftp_config, listener, stop).await },
        )
    };

    let csv = "id,name\n1,alpha\n2,beta\n".repeat(2000);
    std::fs::write(work.join("data.csv"), &csv).unwrap();
    let run = |batch: String| {
        let (work, key) = (work.clone(), eve_key.clone());
        async move { sftp(port, &key, "eve", &work, &batch).await }
    };

    // put, then ls: the delivery is recorded before the put returns, and
    // is listed as the caller's own pending file.
    let out = run(format!(
        "put data.csv /{acq}/data.csv\nls -l /{acq}\nls /\n"
    ))
    .await;
    assert!(out.ok, "{}\n{}", out.stdout, out.stderr);
    let files = deliveries(&app, &acq).await;
    assert_eq!(files.len(), 1);
    let f = &files[0];
    assert_eq!(
        (f.filename.as_str(), f.channel, f.submitted_by.as_str()),
        ("data.csv", Channel::Sftp, eve.id.as_str())
    );
    assert_eq!(f.size_bytes as usize, csv.len());
    assert_eq!(f.sha256, hex::encode(Sha256::digest(csv.as_bytes())));
    let listing: Vec<&str> = out.stdout.lines().collect();
    assert!(
        listing
            .iter()
            .any(|l| l.ends_with(" data.csv") && l.contains(&csv.len().to_string())),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains(&oscars),
        "the root lists bound acquisitions"
    );

    // Everything but writing is refused, and nothing escapes the drop area.
    for (batch, why) in [
        (format!("get /{acq}/data.csv copy.csv"), "read back"),
        (format!("rm /{acq}/data.csv"), "remove"),
        (format!("mkdir /{acq}/sub"), "mkdir"),
        ("put data.csv ../../../tmp/escaped.csv".into(), "climb out"),
        (
            format!("put data.csv /{acq}/../../tmp/escaped.csv"),
            "climb out",
        ),
        (
            format!("put data.csv /{oscars}/data.csv"),
            "others' acquisition",
        ),
        (
            "put data.csv /not-bound/data.csv".into(),
            "unbound acquisition",
        ),
    ] {
        let out = run(batch.clone()).await;
        assert!(!out.ok, "{why}: {batch} succeeded");
        assert!(
            out.stderr.contains("Permission denied"),
            "{why}: {}",
            out.stderr
        );
    }
    assert!(!work.join("copy.csv").exists());
    assert!(!Path::new("/tmp/escaped.csv").exists());
    assert_eq!(deliveries(&app, &acq).await.len(), 1);
    assert!(deliveries(&app, &oscars).await.is_empty());

    // An upload under a temporary name is delivered when renamed into place.
    std::fs::write(work.join("more.csv"), "id\n7\n").unwrap();
    let out = run(format!(
        "put more.csv /{acq}/more.csv.filepart\nrename /{acq}/more.csv.filepart /{acq}/more.csv\n"
    ))
    .await;
    assert!(out.ok, "{}", out.stderr);
    let names: Vec<String> = deliveries(&app, &acq)
        .await
        .into_iter()
        .map(|f| f.filename)
        .collect();
    assert_eq!(names, ["more.csv", "data.csv"]);
    // One left under its temporary name when the session ends is not.
    let out = run(format!("put more.csv /{acq}/left.csv.part\n")).await;
    assert!(out.ok, "{}", out.stderr);
    assert_eq!(deliveries(&app, &acq).await.len(), 2);

    // Past the size limit the write fails and nothing is kept.
    std::fs::write(work.join("huge.csv"), "x".repeat(9 << 20)).unwrap();
    let out = run(format!("put huge.csv /{acq}/huge.csv\n")).await;
    assert!(!out.ok, "a file over max_file_bytes was taken");
    assert_eq!(deliveries(&app, &acq).await.len(), 2);

    // A put cut off mid-way (the client killed) leaves nothing behind.
    let incoming = app.config.quarantine_dir().join("incoming");
    let part_size = || {
        std::fs::read_dir(&incoming)
            .unwrap()
            .map(|e| e.unwrap().metadata().unwrap().len())
            .sum::<u64>()
    };
    std::fs::write(work.join("cut.csv"), "y".repeat(6 << 20)).unwrap();
    std::fs::write(work.join("batch"), format!("put cut.csv /{acq}/cut.csv\n")).unwrap();
    let mut client = tokio::process::Command::new("sftp")
        .current_dir(&work)
        .args([
            "-B",
            "1024",
            "-R",
            "1",
            "-b",
            "batch",
            "-P",
            &port.to_string(),
        ])
        .args([
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "UserKnownHostsFile=/dev/null",
        ])
        .args(["-o", "LogLevel=ERROR", "-i"])
        .arg(&eve_key)
        .arg("eve@127.0.0.1")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while part_size() == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the upload never started"
        );
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    client.kill().await.unwrap();
    while part_size() > 0 || std::fs::read_dir(&incoming).unwrap().count() > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the cut upload's part stayed"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(deliveries(&app, &acq).await.len(), 2);

    // Strangers and wrong logins do not get in.
    let out = sftp(port, &stranger_key, "eve", &work, "ls /\n").await;
    assert!(!out.ok);
    assert!(out.stderr.contains("Permission denied"), "{}", out.stderr);
    let out = sftp(port, &eve_key, "oscar", &work, "ls /\n").await;
    assert!(!out.ok, "eve's key is not oscar's");

    // What was delivered goes through the pipeline like any delivery.
    let now = airlock_ingest::now_ms();
    let first = deliveries(&app, &acq).await.pop().unwrap();
    let claimed = app
        .catalog
        .claim_next(&app.node_id, now, now + 60_000)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(claimed.id, first.id);
    airlock_ingest::pipeline::process(&app, claimed).await;
    let done = app.catalog.file(&first.id).await.unwrap().unwrap();
    assert_eq!(done.state.to_string(), "published");
    // Published, it is no longer pending, so no longer listed.
    let out = run(format!("ls /{acq}\n")).await;
    assert!(out.ok, "{}", out.stderr);
    assert!(!out.stdout.contains("data.csv"), "{}", out.stdout);
    assert!(out.stdout.contains("more.csv"), "{}", out.stdout);

    // A directory of more files than one reply holds is listed whole.
    let mut batch = String::new();
    for i in 0..150 {
        std::fs::write(work.join(format!("many-{i}.csv")), format!("many\n{i}\n")).unwrap();
        batch.push_str(&format!("put many-{i}.csv /{acq}/many-{i}.csv\n"));
    }
    batch.push_str(&format!("ls -1 /{acq}\n"));
    let out = run(batch).await;
    assert!(out.ok, "{}", out.stderr);
    let listed = out
        .stdout
        .lines()
        .filter(|l| !l.starts_with("sftp>") && l.contains("many-"))
        .count();
    assert_eq!(listed, 150, "{}", out.stdout);

    // No upload left a part behind.
    assert_eq!(std::fs::read_dir(incoming).unwrap().count(), 0);

    // A disabled user's key no longer logs in; enabled again, it does.
    let at = airlock_ingest::now_ms();
    let catalog = app.catalog.as_ref();
    catalog
        .set_user_disabled(&eve.id, true, "test", at)
        .await
        .unwrap();
    let out = run("ls /\n".into()).await;
    assert!(!out.ok, "a disabled user logged in");
    assert!(out.stderr.contains("Permission denied"), "{}", out.stderr);
    catalog
        .set_user_disabled(&eve.id, false, "test", at)
        .await
        .unwrap();
    assert!(run("ls /\n".into()).await.ok);

    stop.cancel();
    server.await.unwrap().unwrap();
}
