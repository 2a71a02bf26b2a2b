//! The tus 1.0 protocol under `/v1/uploads`, through the real router:
//! creation, chunks with and without checksums, refusals, a restart in
//! the middle, termination and expiry. (Real tus clients drive it in the
//! end-to-end tests.)

use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;
use sha2::{Digest, Sha256};

use airlock_ingest::{App, Config, auth};
use airlock_policies::Role;

#[path = "../../tests/support/router.rs"]
mod router;

struct Fixture {
    app: Arc<App>,
    config: Config,
    _dir: tempfile::TempDir,
    eve: String,
    oscar: String,
    acq: String,
}

async fn fixture(expiry_secs: u64) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config {
        data_dir: dir.path().to_path_buf(),
        ..Config::default()
    };
    config.scanner.engines = vec![airlock_ingest::config::EngineConfig::Filetype];
    config.limits.upload_expiry_secs = expiry_secs;
    let app = App::open(config.clone(), None).await.unwrap();
    let eve = auth::add_user(app.catalog.as_ref(), "eve", Role::Engineer, &[])
        .await
        .unwrap()
        .1;
    let oscar = auth::add_user(app.catalog.as_ref(), "oscar", Role::Engineer, &[])
        .await
        .unwrap()
        .1;
    let rita = auth::add_user(app.catalog.as_ref(), "rita", Role::Reviewer, &[])
        .await
        .unwrap()
        .1;
    let acq = router::approved_acquisition(&app, &eve, &rita, "Resumable").await;
    Fixture {
        app,
        config,
        _dir: dir,
        eve,
        oscar,
        acq,
    }
}

fn b64(s: &str) -> String {
    STANDARD.encode(s)
}

impl Fixture {
    async fn tus(
        &self,
        method: &str,
        uri: &str,
        token: &str,
        headers: &[(&str, String)],
        body: Vec<u8>,
    ) -> (StatusCode, HeaderMap) {
        let mut req = Request::builder()
            .method(method)
            .uri(uri)
            .header("authorization", format!("Bearer {token}"))
            .header("tus-resumable", "1.0.0");
        for (k, v) in headers {
            req = req.header(*k, v);
        }
        let (status, headers, _) =
            router::send(&self.app, req.body(Body::from(body)).unwrap()).await;
        (status, headers)
    }

    /// Asks `token`'s user to create a 10-byte upload with `meta`.
    async fn create_as(&self, token: &str, meta: String) -> StatusCode {
        let headers = [
            ("upload-length", "10".to_owned()),
            ("upload-metadata", meta),
        ];
        self.tus("POST", "/v1/uploads", token, &headers, vec![])
            .await
            .0
    }

    async fn create(&self, length: usize, filename: &str) -> String {
        let meta = format!(
            "acquisition_id {},filename {},format {}",
            b64(&self.acq),
            b64(filename),
            b64("csv")
        );
        let (status, h) = self
            .tus(
                "POST",
                "/v1/uploads",
                &self.eve,
                &[
                    ("upload-length", length.to_string()),
                    ("upload-metadata", meta),
                ],
                vec![],
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
        assert!(h.contains_key("upload-expires"));
        h["location"].to_str().unwrap().to_owned()
    }

    async fn patch(
        &self,
        uri: &str,
        offset: usize,
        chunk: &[u8],
        checksum: Option<String>,
    ) -> (StatusCode, HeaderMap) {
        let mut headers = vec![
            ("content-type", "application/offset+octet-stream".to_owned()),
            ("upload-offset", offset.to_string()),
        ];
        if let Some(c) = checksum {
            headers.push(("upload-checksum", c));
        }
        self.tus("PATCH", uri, &self.eve, &headers, chunk.to_vec())
            .await
    }

    async fn head(&self, uri: &str, token: &str) -> (StatusCode, HeaderMap) {
        self.tus("HEAD", uri, token, &[], vec![]).await
    }
}

fn sha256_b64(bytes: &[u8]) -> String {
    format!("sha256 {}", STANDARD.encode(Sha256::digest(bytes)))
}

fn offset_of(h: &HeaderMap) -> usize {
    h["upload-offset"].to_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn a_file_arrives_in_checked_chunks_survives_a_restart_and_enters_the_pipeline() {
    let mut f = fixture(3600).await;
    let content: Vec<u8> = (0..3000)
        .flat_map(|i| format!("{i},value-{i}\n").into_bytes())
        .collect();
    let content = [b"id,value\n".as_slice(), &content].concat();
    let (a, b) = content.split_at(content.len() / 3);
    let (b, c) = b.split_at(b.len() / 2);

    let (status, h) = f.tus("OPTIONS", "/v1/uploads", &f.eve, &[], vec![]).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(h["tus-version"], "1.0.0");
    assert_eq!(
        h["tus-extension"],
        "creation,checksum,termination,expiration"
    );
    assert_eq!(h["tus-checksum-algorithm"], "sha256");

    let uri = f.create(content.len(), "readings.csv").await;
    let (status, h) = f.patch(&uri, 0, a, Some(sha256_b64(a))).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(offset_of(&h), a.len());
    // A chunk whose checksum does not match is not kept.
    let (status, _) = f
        .patch(&uri, a.len(), b, Some(sha256_b64(b"something else")))
        .await;
    assert_eq!(status.as_u16(), 460);
    let (_, h) = f.head(&uri, &f.eve).await;
    assert_eq!(offset_of(&h), a.len());
    // The wrong offset, the wrong content type, no tus version: refused.
    let (status, _) = f.patch(&uri, 0, b, None).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = f
        .tus(
            "PATCH",
            &uri,
            &f.eve,
            &[
                ("content-type", "text/csv".into()),
                ("upload-offset", a.len().to_string()),
            ],
            b.to_vec(),
        )
        .await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let req = Request::builder()
        .method("HEAD")
        .uri(&uri)
        .header("authorization", format!("Bearer {}", f.eve));
    let (status, _, _) = router::send(&f.app, req.body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED);
    // Someone else's upload does not exist for them.
    let (status, _) = f.head(&uri, &f.oscar).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, _) = f.patch(&uri, a.len(), b, Some(sha256_b64(b))).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    // The daemon goes away with bytes written past the acknowledged offset
    // (a chunk cut off mid-way), and comes back on the same data.
    let part = f
        .config
        .quarantine_dir()
        .join("uploads")
        .join(uri.rsplit('/').next().unwrap());
    let mut junk = std::fs::OpenOptions::new()
        .append(true)
        .open(&part)
        .unwrap();
    std::io::Write::write_all(&mut junk, b"half a chunk that was never acknowledged").unwrap();
    drop(junk);
    f.app = App::open(f.config.clone(), None).await.unwrap();
    let (_, h) = f.head(&uri, &f.eve).await;
    assert_eq!(
        offset_of(&h),
        a.len() + b.len(),
        "the acknowledged offset survives"
    );
    let (status, h) = f.patch(&uri, a.len() + b.len(), c, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(offset_of(&h), content.len());
    let file_id = h["airlock-file-id"].to_str().unwrap().to_owned();

    let (status, file) = router::call(
        &f.app,
        "GET",
        &format!("/v1/files/{file_id}"),
        Some(&f.eve),
        Body::empty(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{file}");
    assert_eq!(file["channel"], "tus");
    assert_eq!(file["size_bytes"], content.len());
    assert_eq!(file["sha256"], hex::encode(Sha256::digest(&content)));
    assert_eq!(file["declared_format"], "csv");
    // It goes through the pipeline like any delivery.
    let now = airlock_ingest::now_ms();
    let claimed = f
        .app
        .catalog
        .claim_next(&f.app.node_id, now, now + 60_000)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(claimed.id, file_id);
    airlock_ingest::pipeline::process(&f.app, claimed).await;
    let (_, file) = router::call(
        &f.app,
        "GET",
        &format!("/v1/files/{file_id}"),
        Some(&f.eve),
        Body::empty(),
    )
    .await;
    assert_eq!(file["state"], "published", "{file}");
    // A finished upload takes no more bytes.
    let (status, _) = f.patch(&uri, content.len(), b"more", None).await;
    assert_eq!(status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn uploads_are_refused_unless_well_formed_and_can_be_ended_or_expire() {
    let f = fixture(0).await;
    // Bad requests: no length, no acquisition, a path for a name.
    let (status, _) = f.tus("POST", "/v1/uploads", &f.eve, &[], vec![]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let meta = format!("filename {}", b64("a.csv"));
    let status = f.create_as(&f.eve, meta).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let meta = format!(
        "acquisition_id {},filename {}",
        b64(&f.acq),
        b64("../../etc/passwd")
    );
    let status = f.create_as(&f.eve, meta).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // Only the acquisition's owner may deliver to it.
    let meta = format!("acquisition_id {},filename {}", b64(&f.acq), b64("a.csv"));
    let status = f.create_as(&f.oscar, meta).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Without a token, nothing.
    let req = Request::builder().method("OPTIONS").uri("/v1/uploads");
    let (status, _, _) = router::send(&f.app, req.body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // A PATCH is one of the user's concurrent uploads while its bytes
    // arrive: with every slot taken it gets 429, and goes on once one is
    // free.
    let uri = f.create(5, "busy.csv").await;
    let eve_id = f
        .app
        .catalog
        .token_holder(&auth::hash_token(&f.eve))
        .await
        .unwrap()
        .unwrap()
        .user
        .id;
    let most = f.config.limits.max_concurrent_uploads_per_user;
    let held: Vec<_> = (0..most)
        .map(|_| f.app.admission.slot(&eve_id).unwrap())
        .collect();
    assert_eq!(
        f.patch(&uri, 0, b"id\n1\n", None).await.0,
        StatusCode::TOO_MANY_REQUESTS
    );
    drop(held);
    // Two requests never append to one upload at once.
    let alone = f
        .app
        .admission
        .appending(uri.rsplit('/').next().unwrap())
        .unwrap();
    assert_eq!(
        f.patch(&uri, 0, b"id\n1\n", None).await.0,
        StatusCode::CONFLICT
    );
    drop(alone);
    assert_eq!(
        f.patch(&uri, 0, b"id\n1\n", None).await.0,
        StatusCode::NO_CONTENT
    );

    // Terminated: gone, bytes and all.
    let uri = f.create(100, "gone.csv").await;
    let id = uri.rsplit('/').next().unwrap().to_owned();
    f.patch(&uri, 0, b"id\n1\n", None).await;
    let (status, _) = f.tus("DELETE", &uri, &f.eve, &[], vec![]).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(f.head(&uri, &f.eve).await.0, StatusCode::NOT_FOUND);
    assert!(!f.config.quarantine_dir().join("uploads").join(&id).exists());

    // Expired (this fixture's uploads expire at once): swept away.
    let uri = f.create(100, "idle.csv").await;
    let id = uri.rsplit('/').next().unwrap().to_owned();
    assert_eq!(
        airlock_ingest::api::tus::expire_once(&f.app).await.unwrap(),
        1
    );
    assert_eq!(f.head(&uri, &f.eve).await.0, StatusCode::NOT_FOUND);
    assert!(!f.config.quarantine_dir().join("uploads").join(&id).exists());
    let (_, audit) = {
        let admin = auth::add_user(f.app.catalog.as_ref(), "adam", Role::Admin, &[])
            .await
            .unwrap()
            .1;
        router::call(
            &f.app,
            "GET",
            "/v1/audit?limit=1000",
            Some(&admin),
            Body::empty(),
        )
        .await
    };
    let deleted: Vec<&Value> = audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "upload.delete")
        .collect();
    assert_eq!(deleted.len(), 2);
    assert_eq!(deleted[1]["detail"]["why"], "expired");
}
