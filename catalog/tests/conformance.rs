//! One conformance suite, plain async fns over `&dyn CatalogStore`, run
//! against every backend: SQLite in a temporary file and a throwaway
//! PostgreSQL database (from `AIRLOCK_TEST_POSTGRES_URL`, which the README's
//! test command sets).

use std::sync::Arc;

use airlock_catalog::*;
use airlock_policies::Role;
use airlock_zones::{Allowances, Clearance, ZoneName};

const HOUR: i64 = 3_600_000;

fn id() -> String {
    uuid::Uuid::now_v7().to_string()
}

fn token(hash: &str, expires_at: Option<i64>) -> NewToken {
    NewToken {
        hash: hash.into(),
        created_at: 1,
        expires_at,
    }
}

async fn user(store: &dyn CatalogStore, name: &str) -> User {
    let u = User {
        id: id(),
        name: name.into(),
        role: Role::Engineer,
        created_at: 1,
        zones: Clearance::default(),
    };
    store
        .create_user(&u, &token(&format!("hash-of-{name}"), None), "system:test")
        .await
        .unwrap()
}

async fn acquisition(store: &dyn CatalogStore, owner: &User, slug: &str) -> Acquisition {
    store
        .create_acquisition(
            &Acquisition {
                id: id(),
                name: slug.into(),
                slug: slug.into(),
                description: format!("about {slug}"),
                target_zone: "sandbox".parse().unwrap(),
                classification: "OFFICIAL".parse().unwrap(),
                state: AcquisitionState::Approved,
                owner_id: owner.id.clone(),
                created_at: 1,
                supplier: "HMRC".into(),
                legal_basis: "SRSA 2007 s.45".into(),
                purpose: "labour market statistics".into(),
                personal_data: true,
                retention_days: Some(365),
                ethics_ref: "NSDEC(24)07".into(),
                allow: "macros".parse().unwrap(),
                sheet: Some("Data".into()),
                declared_schema: Some(
                    r#"{"columns":[{"name":"id","type":"int64","nullable":false}]}"#.into(),
                ),
                rounding_base: Some(5),
            },
            &["engineers-and-reviewers-register-acquisitions (access.cedar:11)".into()],
        )
        .await
        .unwrap()
}

async fn file(store: &dyn CatalogStore, acq: &Acquisition, sha: &str) -> Inserted {
    store
        .insert_file(
            &NewFile {
                id: id(),
                acquisition_id: acq.id.clone(),
                filename: "survey.csv".into(),
                sha256: sha.into(),
                size_bytes: 10,
                channel: Channel::Api,
                submitted_by: acq.owner_id.clone(),
                created_at: now_ms(),
                declared_format: Some("csv".into()),
            },
            &[],
        )
        .await
        .unwrap()
}

fn verdict(engine: &str, verdict: &str) -> NewVerdict {
    NewVerdict {
        member: String::new(),
        engine: engine.into(),
        verdict: verdict.into(),
        detail: None,
        engine_version: "1.0".into(),
        db_version: Some("db1".into()),
        scanned_at: now_ms(),
    }
}

/// A scan of the file alone, with these verdicts.
fn scan(verdicts: Vec<NewVerdict>) -> ScanRecord {
    ScanRecord {
        verdicts,
        members: vec![],
    }
}

fn dataset(acq: &Acquisition, name: &str) -> Dataset {
    Dataset {
        id: id(),
        name: name.into(),
        zone: acq.target_zone.clone(),
        classification: acq.classification,
        description: acq.description.clone(),
        acquisition_id: acq.id.clone(),
        created_at: now_ms(),
    }
}

fn version(r: &Reservation, location: &str, rows: i64) -> PublishedVersion {
    PublishedVersion {
        dataset_id: r.dataset_id.clone(),
        version: r.version,
        location: location.into(),
        rows,
        size_bytes: 100,
        columns: vec![
            ColumnInfo {
                name: "id".into(),
                data_type: "int64".into(),
                nullable: Flag(false),
                source_name: None,
                pii_sampled: 0,
                pii: vec![],
                stats: ColumnStats {
                    null_count: Some(0),
                    min_value: Some("1".into()),
                    max_value: Some("3".into()),
                    distinct_count: Some(3),
                    distinct_estimate: None,
                    sum_value: Some("6".into()),
                    least_positive: Some(1),
                    value_gcd: Some(1),
                },
            },
            ColumnInfo {
                name: "name_2".into(),
                data_type: "string".into(),
                nullable: Flag(true),
                source_name: Some("name".into()),
                pii_sampled: 3,
                pii: vec![
                    PiiCount {
                        kind: "email".into(),
                        count: 2,
                    },
                    PiiCount {
                        kind: "phone".into(),
                        count: 1,
                    },
                ],
                stats: ColumnStats {
                    null_count: Some(1),
                    min_value: None,
                    max_value: Some("zz…".into()),
                    distinct_count: None,
                    distinct_estimate: Some(5_000),
                    ..ColumnStats::default()
                },
            },
        ],
        iceberg_parts: Some(1),
        now: now_ms(),
        decided_by: vec!["publish-when-personal-data-is-declared (publish.cedar:14)".into()],
    }
}

/// A new file of `acq`, claimed by `w` and scanned clean.
async fn scanned_clean(store: &dyn CatalogStore, acq: &Acquisition, sha: &str) -> FileRecord {
    let f = file(store, acq, sha).await.file;
    claim(store, "w").await.unwrap();
    store.start_scan(&f.id, "w").await.unwrap();
    store
        .finish_scan(&f.id, "w", &ScanRecord::default(), &ScanOutcome::Clean)
        .await
        .unwrap()
}

/// Claims `file` for `owner`, now.
async fn claim(store: &dyn CatalogStore, owner: &str) -> Option<FileRecord> {
    let now = now_ms();
    store.claim_next(owner, now, now + HOUR).await.unwrap()
}

/// Walks a file from received to published, returning the reservation.
async fn publish_one(
    store: &dyn CatalogStore,
    acq: &Acquisition,
    sha: &str,
    ds: &str,
) -> Reservation {
    let f = file(store, acq, sha).await.file;
    let claimed = claim(store, "w").await.expect("work is due");
    assert_eq!(claimed.id, f.id);
    store.start_scan(&f.id, "w").await.unwrap();
    store
        .finish_scan(
            &f.id,
            "w",
            &scan(vec![verdict("yara", "clean")]),
            &ScanOutcome::Clean,
        )
        .await
        .unwrap();
    let r = store
        .start_convert(&f.id, "w", &[dataset(acq, ds)])
        .await
        .unwrap()
        .remove(0);
    store
        .publish(&f.id, "w", &[version(&r, "file:///lake/x/", 3)])
        .await
        .unwrap();
    r
}

pub async fn users_and_tokens(store: &dyn CatalogStore) {
    let u = user(store, "ada").await;
    let found = store.token_holder("hash-of-ada").await.unwrap().unwrap();
    assert_eq!(found.admits(2), Ok(u.clone()));
    assert_eq!(store.user(&u.id).await.unwrap(), Some(u.clone()));
    assert!(store.user("nope").await.unwrap().is_none());
    // Users from an identity provider: created once, updated on change.
    let sso = User {
        id: "oidc:rita".into(),
        name: "oidc:rita".into(),
        role: Role::Engineer,
        created_at: 5,
        zones: Clearance::default(),
    };
    assert_eq!(store.sync_user(&sso).await.unwrap(), sso);
    assert_eq!(store.sync_user(&sso).await.unwrap(), sso);
    let promoted = User {
        role: Role::Reviewer,
        created_at: 9,
        ..sso.clone()
    };
    let synced = store.sync_user(&promoted).await.unwrap();
    assert_eq!((synced.role.as_str(), synced.created_at), ("reviewer", 5));
    let syncs = store
        .audit_events(0, 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "user.sync")
        .count();
    assert_eq!(syncs, 2, "a change is audited; a repeat is not");
    assert!(store.token_holder("nope").await.unwrap().is_none());
    let dup = User {
        id: id(),
        name: "ada".into(),
        role: Role::Analyst,
        created_at: 2,
        zones: "sandbox".parse().unwrap(),
    };
    let err = store
        .create_user(&dup, &token("other", None), "system:test")
        .await
        .unwrap_err();
    assert!(matches!(err, CatalogError::Conflict(_)), "{err}");
    // An analyst's clearances read back with the user.
    let ann = User {
        name: "ann".into(),
        id: id(),
        ..dup
    };
    store
        .create_user(&ann, &token("hash-of-ann", Some(100)), "system:test")
        .await
        .unwrap();
    let found = store.token_holder("hash-of-ann").await.unwrap().unwrap();
    assert_eq!(found.clone().admits(99), Ok(ann.clone()));
    assert_eq!(found.admits(100), Err(TokenRefusal::Expired));
    assert_eq!(store.user_by_name("ann").await.unwrap(), Some(ann));
    assert!(store.user_by_name("nobody").await.unwrap().is_none());
}

pub async fn tokens_expire_rotate_and_revoke(store: &dyn CatalogStore) {
    let bo = user(store, "bo").await;
    let admits = |hash: &'static str, now| async move {
        let holder = store.token_holder(hash).await.unwrap().unwrap();
        holder.admits(now).map(|u| u.name)
    };
    let live = |now| async move {
        let users = store.users(now).await.unwrap();
        let bo = users.into_iter().find(|e| e.user.name == "bo").unwrap();
        (bo.live_tokens, bo.disabled_at)
    };
    // A second token, with an expiry; an unknown user gets none.
    store
        .issue_token(&bo.id, &token("bo-2", Some(50)), "admin-1")
        .await
        .unwrap();
    let err = store
        .issue_token("no-such-user", &token("x", None), "admin-1")
        .await
        .unwrap_err();
    assert!(matches!(err, CatalogError::NotFound(_)), "{err}");
    assert_eq!(live(10).await, (2, None));
    assert_eq!(live(50).await, (1, None), "an expired token is not live");

    // Rotation: the new token admits, the old one is revoked at once, and
    // a revoked or expired token cannot be rotated again.
    let rotated = NewToken {
        hash: "bo-3".into(),
        created_at: 20,
        expires_at: None,
    };
    store.rotate_token("hash-of-bo", &rotated).await.unwrap();
    assert_eq!(admits("bo-3", 21).await, Ok("bo".into()));
    assert_eq!(admits("hash-of-bo", 21).await, Err(TokenRefusal::Revoked));
    let again = NewToken {
        hash: "bo-4".into(),
        ..rotated.clone()
    };
    let err = store.rotate_token("hash-of-bo", &again).await.unwrap_err();
    assert!(matches!(err, CatalogError::WrongState(_)), "{err}");
    let late = NewToken {
        hash: "bo-5".into(),
        created_at: 60,
        expires_at: None,
    };
    let err = store.rotate_token("bo-2", &late).await.unwrap_err();
    assert!(matches!(err, CatalogError::WrongState(_)), "{err}");
    assert!(store.token_holder("bo-4").await.unwrap().is_none());

    // Disabling refuses every token; enabling again admits the live ones.
    store
        .set_user_disabled(&bo.id, true, "admin-1", 30)
        .await
        .unwrap();
    store
        .set_user_disabled(&bo.id, true, "admin-1", 31)
        .await
        .unwrap();
    assert_eq!(admits("bo-3", 32).await, Err(TokenRefusal::UserDisabled));
    assert!(store.enabled_user(&bo.id).await.unwrap().is_none());
    assert_eq!(store.user(&bo.id).await.unwrap(), Some(bo.clone()));
    assert_eq!(live(32).await, (2, Some(30)), "the first disabling counts");
    store
        .set_user_disabled(&bo.id, false, "admin-1", 33)
        .await
        .unwrap();
    assert_eq!(admits("bo-3", 34).await, Ok("bo".into()));
    assert_eq!(store.enabled_user(&bo.id).await.unwrap(), Some(bo.clone()));

    // Revocation takes every live token.
    assert_eq!(store.revoke_tokens(&bo.id, "admin-1", 40).await.unwrap(), 2);
    assert_eq!(admits("bo-3", 41).await, Err(TokenRefusal::Revoked));
    assert_eq!(admits("bo-2", 41).await, Err(TokenRefusal::Revoked));
    assert_eq!(live(41).await, (0, None));

    // Each change is audited once, under who made it.
    let events: Vec<(String, String)> = store
        .audit_events(0, 1000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.subject == bo.id)
        .map(|e| (e.action, e.actor))
        .collect();
    let expected = [
        ("user.create", "system:test"),
        ("token.issue", "admin-1"),
        ("token.rotate", bo.id.as_str()),
        ("user.disable", "admin-1"),
        ("user.enable", "admin-1"),
        ("token.revoke", "admin-1"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(events, expected);

    // A disabled user from an identity provider is not signed in again,
    // nor changed.
    let sso = User {
        id: "oidc:tam".into(),
        name: "oidc:tam".into(),
        role: Role::Engineer,
        created_at: 5,
        zones: Clearance::default(),
    };
    store.sync_user(&sso).await.unwrap();
    store
        .set_user_disabled(&sso.id, true, "admin-1", 6)
        .await
        .unwrap();
    for role in [Role::Engineer, Role::Admin] {
        let err = store
            .sync_user(&User {
                role,
                ..sso.clone()
            })
            .await
            .unwrap_err();
        assert!(matches!(err, CatalogError::UserDisabled(_)), "{err}");
    }
    assert_eq!(store.user(&sso.id).await.unwrap(), Some(sso));
}

pub async fn acquisitions_have_unique_slugs(store: &dyn CatalogStore) {
    let u = user(store, "eng").await;
    let a = acquisition(store, &u, "lfs-2026").await;
    let read = store.acquisition(&a.id).await.unwrap().unwrap();
    assert_eq!(read, a);
    let contract = read.contract().unwrap().unwrap();
    assert_eq!(contract.columns[0].column_type, ColumnType::Int64);
    assert!(!contract.columns[0].nullable);
    assert!(store.acquisition("missing").await.unwrap().is_none());
    let err = store
        .create_acquisition(
            &Acquisition {
                id: id(),
                name: "LFS 2026".into(),
                created_at: 2,
                ..a.clone()
            },
            &[],
        )
        .await
        .unwrap_err();
    assert!(matches!(err, CatalogError::Conflict(_)), "{err}");
    // An owner's acquisitions, newest first; nobody else's.
    let later = store
        .create_acquisition(
            &Acquisition {
                id: id(),
                name: "LFS 2027".into(),
                slug: "lfs-2027".into(),
                created_at: 2,
                ..a.clone()
            },
            &[],
        )
        .await
        .unwrap();
    let other = user(store, "other").await;
    acquisition(store, &other, "theirs").await;
    let owned = store.acquisitions_owned(&u.id, 10).await.unwrap();
    let slugs: Vec<&str> = owned.iter().map(|a| a.slug.as_str()).collect();
    assert_eq!(slugs, [later.slug.as_str(), "lfs-2026"]);
    assert_eq!(store.acquisitions_owned(&u.id, 1).await.unwrap().len(), 1);
}

pub async fn an_acquisitions_files_list_newest_first_page_by_page(store: &dyn CatalogStore) {
    let u = user(store, "eng").await;
    let a = acquisition(store, &u, "listed").await;
    let other = acquisition(store, &u, "other").await;
    let ids: Vec<String> = [
        file(store, &a, "l1").await,
        file(store, &other, "l2").await,
        file(store, &a, "l3").await,
        file(store, &a, "l4").await,
    ]
    .into_iter()
    .map(|i| i.file.id)
    .collect();
    let page = store.acquisition_files(&a.id, "", 2).await.unwrap();
    let got: Vec<&str> = page.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(got, [ids[3].as_str(), ids[2].as_str()]);
    let rest = store.acquisition_files(&a.id, &ids[2], 10).await.unwrap();
    assert_eq!(
        rest.iter().map(|f| f.id.as_str()).collect::<Vec<_>>(),
        [ids[0].as_str()]
    );
    assert_eq!(
        (rest[0].channel, rest[0].sha256.as_str(), rest[0].size_bytes),
        (Channel::Api, "l1", 10)
    );
}

pub async fn same_bytes_are_recorded_once(store: &dyn CatalogStore) {
    let u = user(store, "eng").await;
    let a = acquisition(store, &u, "dup").await;
    let first = file(store, &a, "aa").await;
    assert!(first.created);
    assert_eq!(first.file.state, FileState::Received);
    let again = file(store, &a, "aa").await;
    assert!(!again.created);
    assert_eq!(again.file.id, first.file.id);
    // The same bytes for another acquisition are another delivery.
    let b = acquisition(store, &u, "other").await;
    assert!(file(store, &b, "aa").await.created);
}

pub async fn a_file_walks_to_published(store: &dyn CatalogStore) {
    let u = user(store, "eng").await;
    let a = acquisition(store, &u, "walk").await;
    let f = file(store, &a, "bb").await.file;
    assert!(claim(store, "w").await.is_some());
    let scanning = store.start_scan(&f.id, "w").await.unwrap();
    assert_eq!(scanning.state, FileState::Scanning);
    let checking = store
        .finish_scan(
            &f.id,
            "w",
            &scan(vec![verdict("clamav", "clean"), verdict("yara", "clean")]),
            &ScanOutcome::Clean,
        )
        .await
        .unwrap();
    assert_eq!(checking.state, FileState::Checking);
    let vs = store.verdicts(&f.id).await.unwrap();
    assert_eq!(
        vs.iter().map(|v| v.engine.as_str()).collect::<Vec<_>>(),
        ["clamav", "yara"]
    );

    let r = store
        .start_convert(&f.id, "w", &[dataset(&a, "walk.survey")])
        .await
        .unwrap()
        .remove(0);
    assert_eq!(r.version, 1);
    // Resuming from converting returns the same reservation.
    let again = store
        .start_convert(&f.id, "w", &[dataset(&a, "walk.survey")])
        .await
        .unwrap();
    assert_eq!(again, std::slice::from_ref(&r));
    // Not visible before publishing.
    assert!(search(store, None).await.is_empty());
    assert!(store.dataset(&r.dataset_id).await.unwrap().is_none());

    let done = store
        .publish(&f.id, "w", &[version(&r, "file:///lake/walk/v1/", 3)])
        .await
        .unwrap();
    assert_eq!(done.state, FileState::Published);
    assert_eq!(done.dataset_id.as_deref(), Some(r.dataset_id.as_str()));
    assert_eq!(done.version, Some(1));
    let d = store.dataset(&r.dataset_id).await.unwrap().unwrap();
    assert_eq!(d.dataset.name, "walk.survey");
    assert_eq!(d.versions.len(), 1);
    assert_eq!(d.versions[0].info.rows, 3);
    assert_eq!(d.versions[0].info.source_file_id, f.id);
    assert_eq!(d.versions[0].columns.len(), 2);
    assert_eq!(d.versions[0].columns[1].nullable, Flag(true));
    assert_eq!(
        (
            d.versions[0].columns[0].source_name.as_deref(),
            d.versions[0].columns[1].source_name.as_deref()
        ),
        (None, Some("name")),
        "a renamed column keeps its delivered name"
    );
    assert_eq!(
        d.versions[0].columns,
        version(&r, "file:///lake/walk/v1/", 3).columns,
        "columns read back whole, personal data findings included"
    );
    // Published files have no more work.
    assert!(claim(store, "w").await.is_none());
}

/// Names of the datasets found in both lake zones, best first.
async fn search(store: &dyn CatalogStore, text: Option<&str>) -> Vec<String> {
    let zones: Vec<ZoneName> = vec!["sandbox".parse().unwrap(), "corporate".parse().unwrap()];
    found(store, text, &zones, None, None, (100, 0)).await
}

async fn found(
    store: &dyn CatalogStore,
    text: Option<&str>,
    zones: &[ZoneName],
    classification: Option<&str>,
    tag: Option<&str>,
    (limit, offset): (i64, i64),
) -> Vec<String> {
    let query = text.map(|t| SearchQuery::parse(t).unwrap());
    let tag: Option<Tag> = tag.map(|t| t.parse().unwrap());
    let request = SearchRequest {
        query: query.as_ref(),
        zones,
        classification: classification.map(|c| c.parse().unwrap()),
        tag: tag.as_ref(),
        limit,
        offset,
    };
    store
        .search_datasets(&request)
        .await
        .unwrap()
        .into_iter()
        .map(|h| h.dataset.name)
        .collect()
}

pub async fn versions_count_up_and_search_finds_datasets(store: &dyn CatalogStore) {
    let u = user(store, "eng").await;
    let a = acquisition(store, &u, "census").await;
    let r1 = publish_one(store, &a, "c1", "census.people").await;
    let r2 = publish_one(store, &a, "c2", "census.people").await;
    assert_eq!((r1.version, r2.version), (1, 2));
    assert_eq!(r1.dataset_id, r2.dataset_id);
    publish_one(store, &a, "c3", "census.homes").await;
    publish_one(store, &a, "c4", "labour.survey").await;
    assert_eq!(
        search(store, None).await,
        ["census.homes", "census.people", "labour.survey"]
    );
    let tags: Vec<Tag> = ["labour", "ons-2021"]
        .iter()
        .map(|t| t.parse().unwrap())
        .collect();
    assert_eq!(
        store.set_tags(&r1.dataset_id, &tags, &u.id).await.unwrap(),
        ["labour", "ons-2021"]
    );
    let detail = store.dataset(&r1.dataset_id).await.unwrap().unwrap();
    assert_eq!(detail.tags, ["labour", "ons-2021"]);

    // Every dataset's purpose says labour; a name outranks a tag, which
    // outranks the purpose.
    assert_eq!(
        search(store, Some("labour")).await,
        ["labour.survey", "census.people", "census.homes"]
    );
    for (query, expected) in [
        ("PEOPLE", &["census.people"][..]),
        ("peop*", &["census.people"]),
        ("surveys", &["labour.survey"]),
        ("census -homes", &["census.people", "labour.survey"]),
        ("homes OR survey", &["census.homes", "labour.survey"]),
        ("\"market statistics\" hmrc people", &["census.people"]),
        ("name_2 people", &["census.people"]),
        ("ons", &["census.people"]),
        ("nothing", &[]),
    ] {
        let mut got = search(store, Some(query)).await;
        if query.contains(" OR ") {
            got.sort();
        }
        assert_eq!(got, expected, "{query}");
    }

    let sandbox: Vec<ZoneName> = vec!["sandbox".parse().unwrap()];
    let corporate: Vec<ZoneName> = vec!["corporate".parse().unwrap()];
    let all = (100, 0);
    assert!(
        found(store, Some("census"), &corporate, None, None, all)
            .await
            .is_empty()
    );
    assert!(found(store, None, &[], None, None, all).await.is_empty());
    assert_eq!(
        found(store, Some("census"), &sandbox, None, Some("labour"), all).await,
        ["census.people"]
    );
    assert_eq!(
        found(store, None, &sandbox, Some("OFFICIAL"), None, all)
            .await
            .len(),
        3
    );
    assert!(
        found(store, None, &sandbox, Some("OFFICIAL-SENSITIVE"), None, all)
            .await
            .is_empty()
    );
    // Pages, by name without a query and by rank with one.
    assert_eq!(
        found(store, None, &sandbox, None, None, (2, 0)).await,
        ["census.homes", "census.people"]
    );
    assert_eq!(
        found(store, None, &sandbox, None, None, (2, 2)).await,
        ["labour.survey"]
    );
    assert_eq!(
        found(store, Some("labour"), &sandbox, None, None, (1, 1)).await,
        ["census.people"]
    );

    // Publication indexed each dataset; one only reserved has no document
    // until indexed, and is not found while unpublished.
    assert_eq!(store.index_unsearchable(100).await.unwrap(), 0);
    let pending = scanned_clean(store, &a, "c5").await;
    store
        .start_convert(&pending.id, "w", &[dataset(&a, "census.pending")])
        .await
        .unwrap();
    assert_eq!(store.index_unsearchable(100).await.unwrap(), 1);
    assert_eq!(store.index_unsearchable(100).await.unwrap(), 0);
    assert!(search(store, Some("pending")).await.is_empty());

    // Tags are replaced whole, re-indexed and audited.
    store.set_tags(&r1.dataset_id, &[], &u.id).await.unwrap();
    assert!(search(store, Some("ons")).await.is_empty());
    let events = store.audit_events(0, 1000).await.unwrap();
    assert_eq!(
        events.iter().filter(|e| e.action == "dataset.tags").count(),
        2
    );
    assert!(matches!(
        store.set_tags("no-such-dataset", &[], &u.id).await,
        Err(CatalogError::NotFound(_))
    ));
    let many: Vec<Tag> = (0..=MAX_TAGS)
        .map(|i| format!("t{i}").parse().unwrap())
        .collect();
    assert!(matches!(
        store.set_tags(&r1.dataset_id, &many, &u.id).await,
        Err(CatalogError::TooManyTags)
    ));
    for bad in ["", "Labour", "-x", "a b", "a,b", &"x".repeat(65)] {
        assert!(bad.parse::<Tag>().is_err(), "{bad:?}");
    }
}

/// More hits than one window: pages walk the windows in turn, each
/// dataset comes once, the newest window first, and an exclusion holds in
/// a later window too.
pub async fn search_pages_walk_every_window_once(store: &dyn CatalogStore) {
    use airlock_catalog::search::RANK_WINDOW;
    let u = user(store, "eng").await;
    let a = acquisition(store, &u, "waves").await;
    let total = RANK_WINDOW + 44;
    for i in 0..total {
        publish_one(store, &a, &format!("w{i}"), &format!("wave.n{i:03}")).await;
    }
    let sandbox: Vec<ZoneName> = vec!["sandbox".parse().unwrap()];
    let walk = |text: &'static str| {
        let sandbox = sandbox.clone();
        async move {
            let mut names = Vec::new();
            loop {
                let page = found(
                    store,
                    Some(text),
                    &sandbox,
                    None,
                    None,
                    (50, names.len() as i64),
                )
                .await;
                if page.is_empty() {
                    break names;
                }
                names.extend(page);
            }
        }
    };
    let names = walk("wave").await;
    let mut once = names.clone();
    once.sort();
    once.dedup();
    assert_eq!((names.len(), once.len()), (total, total));
    // The first window holds the newest RANK_WINDOW datasets.
    let oldest = format!("wave.n{:03}", total - RANK_WINDOW);
    assert!(
        names[..RANK_WINDOW].iter().all(|n| *n >= oldest),
        "{names:?}"
    );
    let without = walk("wave -n007").await;
    assert_eq!(without.len(), total - 1);
    assert!(!without.contains(&"wave.n007".to_owned()));
}

pub async fn tables_are_found_by_zone_and_name_with_every_versions_columns(
    store: &dyn CatalogStore,
) {
    let u = user(store, "eng").await;
    let a = acquisition(store, &u, "tables").await;
    let r1 = publish_one(store, &a, "t1", "tables.people").await;
    // The second version has a third column and no Iceberg metadata.
    let f = scanned_clean(store, &a, "t2").await;
    let r2 = store
        .start_convert(&f.id, "w", &[dataset(&a, "tables.people")])
        .await
        .unwrap()
        .remove(0);
    let mut v2 = version(&r2, "file:///lake/tables.people/v2/", 5);
    v2.columns.push(ColumnInfo {
        name: "visit".into(),
        data_type: "date".into(),
        nullable: Flag(true),
        source_name: None,
        pii_sampled: 0,
        pii: vec![],
        stats: ColumnStats::default(),
    });
    v2.iceberg_parts = None;
    store.publish(&f.id, "w", &[v2.clone()]).await.unwrap();
    publish_one(store, &a, "t3", "tables.homes").await;
    // Published without Iceberg metadata only: no table.
    let bare = scanned_clean(store, &a, "t5").await;
    let r5 = store
        .start_convert(&bare.id, "w", &[dataset(&a, "tables.bare")])
        .await
        .unwrap()
        .remove(0);
    let mut v5 = version(&r5, "file:///lake/tables.bare/v1/", 1);
    v5.iceberg_parts = None;
    store.publish(&bare.id, "w", &[v5]).await.unwrap();
    // Reserved but never published: not a table.
    let pending = scanned_clean(store, &a, "t4").await;
    store
        .start_convert(&pending.id, "w", &[dataset(&a, "tables.pending")])
        .await
        .unwrap();

    let zone = &a.target_zone;
    let names: Vec<String> = store
        .zone_tables(zone)
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.name)
        .collect();
    assert_eq!(names, ["tables.homes", "tables.people"]);
    let other: ZoneName = "corporate".parse().unwrap();
    assert!(store.zone_tables(&other).await.unwrap().is_empty());
    assert!(
        store
            .dataset_named(zone, "tables.bare")
            .await
            .unwrap()
            .is_some()
    );

    let people = store
        .dataset_named(zone, "tables.people")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(people.id, r1.dataset_id);
    assert!(
        store
            .dataset_named(&other, "tables.people")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .dataset_named(zone, "tables.pending")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .dataset_named(zone, "tables.nothing")
            .await
            .unwrap()
            .is_none()
    );

    let versions = store.table_versions(&people.id).await.unwrap();
    assert_eq!(
        versions
            .iter()
            .map(|v| (v.version, v.rows, v.iceberg_parts))
            .collect::<Vec<_>>(),
        [(1, 3, Some(1)), (2, 5, None)]
    );
    assert_eq!(versions[0].location, "file:///lake/x/");
    let names = |v: &TableVersion| v.columns.iter().map(|c| c.name.clone()).collect::<Vec<_>>();
    assert_eq!(names(&versions[0]), ["id", "name_2"]);
    assert_eq!(names(&versions[1]), ["id", "name_2", "visit"]);
    assert_eq!(versions[1].columns[2].data_type, "date");
    assert!(
        store
            .table_versions("no-such-dataset")
            .await
            .unwrap()
            .is_empty()
    );

    // Versions without Iceberg metadata, page by page, until recorded.
    assert_eq!(
        without_iceberg(store).await,
        [
            ("tables.bare".to_owned(), 1),
            ("tables.people".to_owned(), 2)
        ]
    );
    store
        .record_iceberg(&people.id, 2, 3, "system:test")
        .await
        .unwrap();
    // Recorded once: a second record changes nothing.
    store
        .record_iceberg(&people.id, 2, 9, "system:test")
        .await
        .unwrap();
    let versions = store.table_versions(&people.id).await.unwrap();
    assert_eq!(versions[1].iceberg_parts, Some(3));
    assert_eq!(
        without_iceberg(store).await,
        [("tables.bare".to_owned(), 1)]
    );
    let recorded = store.audit_events(0, 1000).await.unwrap();
    assert_eq!(
        recorded
            .iter()
            .filter(|e| e.action == "dataset.iceberg")
            .count(),
        1
    );
}

/// Every version without Iceberg metadata, read one page of one at a
/// time: (dataset name, version), sorted.
async fn without_iceberg(store: &dyn CatalogStore) -> Vec<(String, i64)> {
    let mut all = Vec::new();
    let mut after: Option<(String, i64)> = None;
    loop {
        let page = store
            .versions_without_iceberg(after.as_ref().map(|(d, v)| (d.as_str(), *v)), 1)
            .await
            .unwrap();
        let Some(v) = page.into_iter().next() else {
            break;
        };
        all.push((v.dataset_name.clone(), v.version));
        after = Some((v.dataset_id, v.version));
    }
    all.sort();
    all
}

pub async fn leases_exclude_other_workers(store: &dyn CatalogStore) {
    let u = user(store, "eng").await;
    let a = acquisition(store, &u, "lease").await;
    let f = file(store, &a, "dd").await.file;
    let now = now_ms();
    assert!(
        store
            .claim_next("a", now, now + 1000)
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        store
            .claim_next("b", now, now + 1000)
            .await
            .unwrap()
            .is_none()
    );
    // b may not move a's file.
    assert!(matches!(
        store.start_scan(&f.id, "b").await,
        Err(CatalogError::LeaseLost(_))
    ));
    store.renew_lease(&f.id, "a", now + 2000).await.unwrap();
    assert!(
        store
            .claim_next("b", now + 1500, now + 9000)
            .await
            .unwrap()
            .is_none()
    );
    // Once the lease expires, b takes over and a's steps are refused.
    let taken = store.claim_next("b", now + 2001, now + 9000).await.unwrap();
    assert_eq!(taken.unwrap().id, f.id);
    assert!(matches!(
        store.start_scan(&f.id, "a").await,
        Err(CatalogError::LeaseLost(_))
    ));
    assert!(matches!(
        store.renew_lease(&f.id, "a", now + 3000).await,
        Err(CatalogError::LeaseLost(_))
    ));
    assert_eq!(store.release_leases("b").await.unwrap(), 1);
    assert!(
        store
            .claim_next("c", now + 2002, now + 9000)
            .await
            .unwrap()
            .is_some()
    );
}

pub async fn held_files_wait_for_their_retry(store: &dyn CatalogStore) {
    let u = user(store, "eng").await;
    let a = acquisition(store, &u, "held").await;
    let f = file(store, &a, "ee").await.file;
    claim(store, "w").await.unwrap();
    store.start_scan(&f.id, "w").await.unwrap();
    let retry_at = now_ms() + HOUR;
    let held = store
        .finish_scan(
            &f.id,
            "w",
            &scan(vec![NewVerdict {
                detail: Some("clamd unreachable".into()),
                ..verdict("clamav", "error")
            }]),
            &ScanOutcome::Held {
                message: "held: clamav error".into(),
                retry_at,
            },
        )
        .await
        .unwrap();
    assert_eq!(held.state, FileState::Held);
    assert_eq!(held.attempts, 1);
    assert_eq!(held.error.as_deref(), Some("held: clamav error"));
    assert!(claim(store, "w").await.is_none(), "held files wait");
    let again = store
        .claim_next("w", retry_at, retry_at + HOUR)
        .await
        .unwrap();
    assert_eq!(again.unwrap().state, FileState::Held);
    // A held file is scanned again from the start.
    assert_eq!(
        store.start_scan(&f.id, "w").await.unwrap().state,
        FileState::Scanning
    );
}

pub async fn transient_failures_keep_state_and_back_off(store: &dyn CatalogStore) {
    let u = user(store, "eng").await;
    let a = acquisition(store, &u, "retry").await;
    let f = file(store, &a, "ff").await.file;
    claim(store, "w").await.unwrap();
    let later = now_ms() + HOUR;
    store
        .retry_later(&f.id, "w", "lake unavailable", later)
        .await
        .unwrap();
    let now = store.file(&f.id).await.unwrap().unwrap();
    assert_eq!(now.state, FileState::Received);
    assert_eq!(now.attempts, 1);
    assert_eq!(now.error.as_deref(), Some("lake unavailable"));
    assert!(claim(store, "w").await.is_none());
    assert!(
        store
            .claim_next("w", later, later + 1)
            .await
            .unwrap()
            .is_some()
    );
}

pub async fn one_file_publishes_several_datasets_at_once(store: &dyn CatalogStore) {
    let u = user(store, "eng").await;
    let a = acquisition(store, &u, "book").await;
    let f = scanned_clean(store, &a, "b1").await;
    let sheets = [dataset(&a, "book.q.north"), dataset(&a, "book.q.south")];
    let r = store.start_convert(&f.id, "w", &sheets).await.unwrap();
    assert_eq!(
        r.iter()
            .map(|r| r.dataset_name.as_str())
            .collect::<Vec<_>>(),
        ["book.q.north", "book.q.south"]
    );
    // Resuming keeps both reservations, in the order asked.
    let swapped = [sheets[1].clone(), sheets[0].clone()];
    let again = store.start_convert(&f.id, "w", &swapped).await.unwrap();
    assert_eq!(again, [r[1].clone(), r[0].clone()]);
    // All or nothing: publishing one of two is refused, and nothing shows.
    let err = store
        .publish(&f.id, "w", &[version(&r[0], "file:///lake/n/", 1)])
        .await
        .unwrap_err();
    assert!(matches!(err, CatalogError::Conflict(_)), "{err}");
    assert!(search(store, None).await.is_empty());
    assert!(store.file_outputs(&f.id).await.unwrap().is_empty());
    let both = [
        version(&r[0], "file:///lake/n/", 1),
        version(&r[1], "file:///lake/s/", 2),
    ];
    let done = store.publish(&f.id, "w", &both).await.unwrap();
    assert_eq!(done.state, FileState::Published);
    assert_eq!(store.file_outputs(&f.id).await.unwrap(), r);
    for (res, rows) in r.iter().zip([1, 2]) {
        let d = store.dataset(&res.dataset_id).await.unwrap().unwrap();
        assert_eq!(d.versions[0].info.rows, rows);
        assert_eq!(d.versions[0].info.source_file_id, f.id);
    }
}

pub async fn rejection_releases_the_reserved_version(store: &dyn CatalogStore) {
    let u = user(store, "eng").await;
    let a = acquisition(store, &u, "rej").await;
    let f = scanned_clean(store, &a, "gg").await;
    let r = store
        .start_convert(&f.id, "w", &[dataset(&a, "rej.x")])
        .await
        .unwrap()
        .remove(0);
    let rejected = store
        .reject(&f.id, "w", RejectReason::Invalid, "ragged row at line 3")
        .await
        .unwrap();
    assert_eq!(rejected.state, FileState::Rejected);
    assert_eq!(rejected.reason.as_deref(), Some("invalid"));
    assert_eq!(rejected.dataset_id, None);
    assert!(store.dataset(&r.dataset_id).await.unwrap().is_none());
    // The version number is free again.
    assert_eq!(publish_one(store, &a, "hh", "rej.x").await.version, 1);
    // Final states accept no more transitions.
    assert!(matches!(
        store
            .reject(&f.id, "w", RejectReason::Invalid, "again")
            .await,
        Err(CatalogError::LeaseLost(_))
    ));
}

pub async fn infected_files_are_rejected_with_member_verdicts(store: &dyn CatalogStore) {
    let u = user(store, "eng").await;
    let a = acquisition(store, &u, "bad").await;
    let f = file(store, &a, "ii").await.file;
    claim(store, "w").await.unwrap();
    store.start_scan(&f.id, "w").await.unwrap();
    let member = |path: &str, engine: &str, v: &str| NewVerdict {
        member: path.into(),
        ..verdict(engine, v)
    };
    let found = NewVerdict {
        detail: Some("Eicar".into()),
        ..member("inner.zip!/eicar.com", "clamav", "infected")
    };
    let record = ScanRecord {
        verdicts: vec![
            verdict("archive", "clean"),
            verdict("clamav", "clean"),
            member("inner.zip", "clamav", "clean"),
            found.clone(),
        ],
        members: vec![
            MemberRecord {
                path: "inner.zip".into(),
                size_bytes: 200,
                sha256: "11".repeat(32),
            },
            MemberRecord {
                path: "inner.zip!/eicar.com".into(),
                size_bytes: 68,
                sha256: "22".repeat(32),
            },
        ],
    };
    let done = store
        .finish_scan(
            &f.id,
            "w",
            &record,
            &ScanOutcome::Infected {
                message: "infected: inner.zip!/eicar.com: clamav: Eicar".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(done.state, FileState::Rejected);
    assert_eq!(done.reason.as_deref(), Some("infected"));
    let stored = store.verdicts(&f.id).await.unwrap();
    assert_eq!(stored.len(), 4);
    assert!(stored.contains(&found));
    assert_eq!(store.members(&f.id).await.unwrap(), record.members);
    assert!(claim(store, "w").await.is_none());
}

pub async fn a_rescan_replaces_verdicts_and_taints_the_published_version(store: &dyn CatalogStore) {
    let u = user(store, "eng").await;
    let a = acquisition(store, &u, "taint").await;
    let r = publish_one(store, &a, "tt", "taint.x").await;
    let published = store.rescan_candidates(0, "", 10).await.unwrap();
    assert_eq!(published.len(), 1);
    let c = &published[0];
    assert_eq!(
        (c.dataset_id.as_str(), c.version),
        (r.dataset_id.as_str(), 1)
    );
    // Nothing published after `since`, nothing after the last id seen.
    assert!(
        store
            .rescan_candidates(now_ms() + HOUR, "", 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .rescan_candidates(0, &c.file_id, 10)
            .await
            .unwrap()
            .is_empty()
    );

    // A clean rescan renews the verdicts and leaves the version alone.
    let renewed = NewVerdict {
        db_version: Some("db2".into()),
        ..verdict("yara", "clean")
    };
    store
        .record_rescan(
            &c.file_id,
            "system:rescan",
            &scan(vec![renewed.clone()]),
            None,
        )
        .await
        .unwrap();
    assert_eq!(store.verdicts(&c.file_id).await.unwrap(), vec![renewed]);
    let d = store.dataset(&r.dataset_id).await.unwrap().unwrap();
    assert_eq!(d.versions[0].info.tainted_at, None);

    let flagged = NewVerdict {
        detail: Some("New.Sig".into()),
        db_version: Some("db3".into()),
        ..verdict("yara", "infected")
    };
    store
        .record_rescan(
            &c.file_id,
            "system:rescan",
            &scan(vec![flagged]),
            Some("yara: New.Sig"),
        )
        .await
        .unwrap();
    let d = store.dataset(&r.dataset_id).await.unwrap().unwrap();
    assert!(d.versions[0].info.tainted_at.is_some());
    assert_eq!(
        d.versions[0].info.taint_reason.as_deref(),
        Some("yara: New.Sig")
    );
    // A tainted version is not rescanned again, and the taint is audited.
    assert!(store.rescan_candidates(0, "", 10).await.unwrap().is_empty());
    let events = store.audit_events(0, 1000).await.unwrap();
    let taint = events
        .iter()
        .find(|e| e.action == "dataset.taint")
        .expect("a taint event");
    assert_eq!(taint.subject, r.dataset_id);
    assert_eq!(taint.actor, "system:rescan");
    assert_eq!(
        verify_audit(store, None).await.unwrap().seq,
        events.len() as i64
    );
}

pub async fn concurrent_workers_never_share_a_file(store: Arc<dyn CatalogStore>) {
    let u = user(store.as_ref(), "eng").await;
    let a = acquisition(store.as_ref(), &u, "race").await;
    for i in 0..12 {
        file(store.as_ref(), &a, &format!("r{i}")).await;
    }
    let mut tasks = Vec::new();
    for w in 0..4 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            while let Some(f) = claim(store.as_ref(), &format!("w{w}")).await {
                mine.push(f.id);
            }
            mine
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all.sort();
    let n = all.len();
    all.dedup();
    assert_eq!(n, 12, "every file claimed");
    assert_eq!(all.len(), 12, "no file claimed twice");
}

fn review(kind: ReviewSubject, subject: &str, by: &User, decision: ReviewDecision) -> Review {
    Review {
        id: id(),
        subject_kind: kind,
        subject_id: subject.into(),
        reviewer_id: by.id.clone(),
        decision,
        reason: "checked the legal basis".into(),
        created_at: now_ms(),
        policies: vec!["reviewers-decide (access.cedar:48)".into()],
    }
}

pub async fn acquisitions_move_through_review(store: &dyn CatalogStore) {
    let eng = user(store, "eng").await;
    let rev = user(store, "rev").await;
    let mut draft = acquisition(store, &eng, "reviewed").await;
    draft.id = id();
    draft.slug = "reviewed-2".into();
    draft.state = AcquisitionState::Draft;
    let a = store.create_acquisition(&draft, &[]).await.unwrap();
    assert_eq!(a.state, AcquisitionState::Draft);
    // A draft cannot be decided before it is submitted.
    let early = store
        .review_acquisition(&review(
            ReviewSubject::Acquisition,
            &a.id,
            &rev,
            ReviewDecision::Approve,
        ))
        .await
        .unwrap_err();
    assert!(matches!(early, CatalogError::WrongState(_)), "{early}");
    assert!(early.to_string().contains("is draft"), "{early}");
    let a = store
        .move_acquisition(
            &a.id,
            &eng.id,
            AcquisitionState::Draft,
            AcquisitionState::PendingReview,
        )
        .await
        .unwrap();
    assert_eq!(a.state, AcquisitionState::PendingReview);
    let pending = store
        .acquisitions_in(AcquisitionState::PendingReview)
        .await
        .unwrap();
    assert_eq!(
        pending.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(),
        [a.id.as_str()]
    );
    let approved = store
        .review_acquisition(&review(
            ReviewSubject::Acquisition,
            &a.id,
            &rev,
            ReviewDecision::Approve,
        ))
        .await
        .unwrap();
    assert_eq!(approved.state, AcquisitionState::Approved);
    // Decided once: a second decision is refused and nothing changes.
    let again = store
        .review_acquisition(&review(
            ReviewSubject::Acquisition,
            &a.id,
            &rev,
            ReviewDecision::Reject,
        ))
        .await
        .unwrap_err();
    assert!(matches!(again, CatalogError::WrongState(_)), "{again}");
    let reviews = store
        .reviews(ReviewSubject::Acquisition, &a.id)
        .await
        .unwrap();
    assert_eq!(reviews.len(), 1);
    assert_eq!(
        (reviews[0].decision, reviews[0].reviewer_id.as_str()),
        (ReviewDecision::Approve, rev.id.as_str())
    );
    let closed = store
        .move_acquisition(
            &a.id,
            &eng.id,
            AcquisitionState::Approved,
            AcquisitionState::Closed,
        )
        .await
        .unwrap();
    assert_eq!(closed.state, AcquisitionState::Closed);
    let missing = store
        .move_acquisition(
            "nope",
            &eng.id,
            AcquisitionState::Approved,
            AcquisitionState::Closed,
        )
        .await
        .unwrap_err();
    assert!(matches!(missing, CatalogError::NotFound(_)), "{missing}");
}

pub async fn held_files_wait_for_a_reviewer(store: &dyn CatalogStore) {
    let eng = user(store, "eng").await;
    let rev = user(store, "rev").await;
    let a = acquisition(store, &eng, "held").await;
    let f = scanned_clean(store, &a, "rr").await;
    let r = store
        .start_convert(&f.id, "w", &[dataset(&a, "held.x")])
        .await
        .unwrap()
        .remove(0);
    let evidence = r#"{"rows":3,"pii":{"email":1}}"#;
    let held = store.hold_for_review(&f.id, "w", evidence).await.unwrap();
    assert_eq!(held.state, FileState::AwaitingReview);
    assert_eq!(held.evidence.as_deref(), Some(evidence));
    // Its reservation is released and no worker claims it.
    assert!(store.dataset(&r.dataset_id).await.unwrap().is_none());
    assert!(claim(store, "w2").await.is_none());
    let queue = store.review_queue().await.unwrap();
    assert_eq!(
        queue.iter().map(|f| f.id.as_str()).collect::<Vec<_>>(),
        [f.id.as_str()]
    );

    let released = store
        .review_file(&review(
            ReviewSubject::File,
            &f.id,
            &rev,
            ReviewDecision::Approve,
        ))
        .await
        .unwrap();
    assert_eq!(released.state, FileState::Checking);
    assert_eq!(released.released_by.as_deref(), Some(rev.id.as_str()));
    assert!(store.review_queue().await.unwrap().is_empty());
    // Released files are work again, due now.
    assert_eq!(claim(store, "w2").await.unwrap().id, f.id);
    let again = store
        .review_file(&review(
            ReviewSubject::File,
            &f.id,
            &rev,
            ReviewDecision::Reject,
        ))
        .await
        .unwrap_err();
    assert!(matches!(again, CatalogError::WrongState(_)), "{again}");

    // A second file, rejected by the reviewer.
    let g = scanned_clean(store, &a, "ss").await;
    store
        .start_convert(&g.id, "w", &[dataset(&a, "held.x")])
        .await
        .unwrap();
    store.hold_for_review(&g.id, "w", "{}").await.unwrap();
    let rejected = store
        .review_file(&review(
            ReviewSubject::File,
            &g.id,
            &rev,
            ReviewDecision::Reject,
        ))
        .await
        .unwrap();
    assert_eq!(rejected.state, FileState::Rejected);
    assert_eq!(rejected.reason.as_deref(), Some("reviewer"));
    assert_eq!(
        rejected.error.as_deref(),
        Some("rejected by a reviewer: checked the legal basis")
    );
    let actions: Vec<String> = store
        .audit_events(0, 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.subject == g.id)
        .map(|e| e.action)
        .collect();
    assert_eq!(
        actions,
        [
            "file.receive",
            "file.scan",
            "file.convert",
            "file.hold",
            "file.review"
        ]
    );
}

pub async fn retention_deletes_expired_versions_in_two_steps(store: &dyn CatalogStore) {
    const DAY: i64 = 86_400_000;
    let u = user(store, "eng").await;
    let a = acquisition(store, &u, "ret").await; // retention_days: 365
    let r = publish_one(store, &a, "tt", "ret.x").await;
    let published_at = store
        .dataset(&r.dataset_id)
        .await
        .unwrap()
        .unwrap()
        .versions[0]
        .info
        .created_at;
    assert!(
        store
            .expired_versions(published_at + 364 * DAY, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let due = store
        .expired_versions(published_at + 365 * DAY, 10)
        .await
        .unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(
        (
            due[0].dataset_name.as_str(),
            due[0].version,
            due[0].state.as_str(),
            due[0].retention_days
        ),
        ("ret.x", r.version, "published", 365)
    );
    assert_eq!(search(store, Some("ret")).await, ["ret.x"]);
    let proof = serde_json::json!({"objects": [{"key": "ret.x/v1/part-00000.parquet"}]});
    store
        .begin_deletion(&r.dataset_id, r.version, "system:retention", proof)
        .await
        .unwrap();
    // Out of every view at once, and due until finished, whatever the time.
    assert!(store.dataset(&r.dataset_id).await.unwrap().is_none());
    assert!(search(store, None).await.is_empty());
    assert!(search(store, Some("ret")).await.is_empty());
    let due = store.expired_versions(published_at, 10).await.unwrap();
    assert_eq!(due[0].state, VersionState::Deleting);
    let again = store
        .begin_deletion(
            &r.dataset_id,
            r.version,
            "system:retention",
            serde_json::json!({}),
        )
        .await
        .unwrap_err();
    assert!(matches!(again, CatalogError::WrongState(_)), "{again}");
    store
        .finish_deletion(
            &r.dataset_id,
            r.version,
            "system:retention",
            serde_json::json!({}),
        )
        .await
        .unwrap();
    assert!(
        store
            .expired_versions(i64::MAX / 2, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let events = store.audit_events(0, 100).await.unwrap();
    let proof = events
        .iter()
        .find(|e| e.action == "dataset.delete.begin")
        .expect("the proof is audited");
    assert_eq!(proof.subject, format!("{}/v{}", r.dataset_id, r.version));
    assert!(proof.detail.contains("ret.x/v1/part-00000.parquet"));
    assert_eq!(events.last().unwrap().action, "dataset.delete");
    // A new delivery gets the next version number, not the deleted one's.
    assert_eq!(
        publish_one(store, &a, "uu", "ret.x").await.version,
        r.version + 1
    );
    // And the dataset is found again.
    assert_eq!(search(store, Some("ret")).await, ["ret.x"]);
}

pub async fn a_transfer_is_released_then_published_with_lineage(store: &dyn CatalogStore) {
    let eng = user(store, "eng").await;
    let rev = user(store, "rev").await;
    let a = acquisition(store, &eng, "exp").await;
    let src = publish_one(store, &a, "vv", "exp.x").await;
    let request = |state| Transfer {
        id: id(),
        dataset_id: src.dataset_id.clone(),
        version: src.version,
        from_zone: "sandbox".parse().unwrap(),
        to_zone: "archive".parse().unwrap(),
        requested_by: eng.id.clone(),
        reason: "for the archive".into(),
        state,
        released_by: None,
        error: None,
        target_dataset_id: None,
        target_version: None,
        attempts: 0,
        created_at: now_ms(),
        updated_at: now_ms(),
    };
    // Only a published version can be transferred.
    let missing = Transfer {
        version: 9,
        ..request(TransferState::Queued)
    };
    assert!(matches!(
        store.create_transfer(&missing, &[]).await,
        Err(CatalogError::NotFound(_))
    ));
    let t = store
        .create_transfer(&request(TransferState::PendingRelease), &[])
        .await
        .unwrap();
    assert_eq!(t.state, TransferState::PendingRelease);
    let pending = store
        .transfers_in(TransferState::PendingRelease)
        .await
        .unwrap();
    assert_eq!(pending, std::slice::from_ref(&t));
    // Not claimable until released.
    let now = now_ms();
    assert!(
        store
            .claim_transfer("w", now, now + HOUR)
            .await
            .unwrap()
            .is_none()
    );
    let released = store
        .release_transfer(&review(
            ReviewSubject::Transfer,
            &t.id,
            &rev,
            ReviewDecision::Approve,
        ))
        .await
        .unwrap();
    assert_eq!(
        (released.state, released.released_by.as_deref()),
        (TransferState::Queued, Some(rev.id.as_str()))
    );
    let again = store
        .release_transfer(&review(
            ReviewSubject::Transfer,
            &t.id,
            &rev,
            ReviewDecision::Reject,
        ))
        .await
        .unwrap_err();
    assert!(matches!(again, CatalogError::WrongState(_)), "{again}");
    let now = now_ms();
    let claimed = store
        .claim_transfer("w", now, now + HOUR)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(claimed.id, t.id);
    assert!(
        store
            .claim_transfer("w2", now, now + HOUR)
            .await
            .unwrap()
            .is_none(),
        "leased"
    );

    let target = Dataset {
        zone: "archive".parse().unwrap(),
        ..dataset(&a, "exp.x")
    };
    let r = store.start_transfer(&t.id, "w", &target).await.unwrap();
    // Idempotent: a resumed transfer keeps its reservation.
    assert_eq!(store.start_transfer(&t.id, "w", &target).await.unwrap(), r);
    assert_ne!(
        r.dataset_id, src.dataset_id,
        "a dataset of its own in the target zone"
    );
    // Every engine's verdict on each part of the copy is kept; a retried
    // part's replace the earlier ones.
    let scan = |verdict: &str| ScanRecord {
        verdicts: ["clamav", "yara"]
            .map(|engine| NewVerdict {
                member: String::new(),
                engine: engine.into(),
                verdict: verdict.into(),
                detail: None,
                engine_version: "1".into(),
                db_version: None,
                scanned_at: now_ms(),
            })
            .to_vec(),
        members: vec![],
    };
    for (part, verdict) in [
        ("part-00001.parquet", "error"),
        ("part-00000.parquet", "clean"),
    ] {
        store
            .record_transfer_scan(&t.id, "w", part, &scan(verdict))
            .await
            .unwrap();
    }
    store
        .record_transfer_scan(&t.id, "w", "part-00001.parquet", &scan("clean"))
        .await
        .unwrap();
    assert!(matches!(
        store
            .record_transfer_scan(&t.id, "intruder", "part-00000.parquet", &scan("clean"))
            .await,
        Err(CatalogError::LeaseLost(_))
    ));
    let kept: Vec<(String, String, String)> = store
        .transfer_verdicts(&t.id)
        .await
        .unwrap()
        .into_iter()
        .map(|v| (v.part, v.verdict.engine, v.verdict.verdict))
        .collect();
    let want = |part: &str, engine: &str| (part.to_owned(), engine.to_owned(), "clean".to_owned());
    assert_eq!(
        kept,
        [
            want("part-00000.parquet", "clamav"),
            want("part-00000.parquet", "yara"),
            want("part-00001.parquet", "clamav"),
            want("part-00001.parquet", "yara"),
        ]
    );
    let published = store
        .publish_transfer(&t.id, "w", &version(&r, "file:///archive/exp.x/v1/", 3))
        .await
        .unwrap();
    assert_eq!(published.state, TransferState::Published);
    assert_eq!(published.target_version, Some(r.version));
    let d = store.dataset(&r.dataset_id).await.unwrap().unwrap();
    assert_eq!(d.dataset.zone.as_str(), "archive");
    let v = &d.versions[0];
    assert_eq!(v.info.transfer_id.as_deref(), Some(t.id.as_str()));
    assert_eq!(
        v.info.transferred_from_dataset.as_deref(),
        Some(src.dataset_id.as_str())
    );
    assert_eq!(v.info.transferred_from_version, Some(src.version));
    let source = store.dataset(&src.dataset_id).await.unwrap().unwrap();
    assert_eq!(
        v.info.source_file_id, source.versions[0].info.source_file_id,
        "lineage to the source file"
    );

    // A rejected transfer releases its reservation.
    let u = store
        .create_transfer(&request(TransferState::Queued), &[])
        .await
        .unwrap();
    let now = now_ms();
    store
        .claim_transfer("w", now, now + HOUR)
        .await
        .unwrap()
        .unwrap();
    let r2 = store.start_transfer(&u.id, "w", &target).await.unwrap();
    assert_eq!(r2.version, r.version + 1);
    let rejected = store
        .reject_transfer(&u.id, "w", "the source was tainted")
        .await
        .unwrap();
    assert_eq!(
        (rejected.state, rejected.error.as_deref()),
        (TransferState::Rejected, Some("the source was tainted"))
    );
    assert_eq!(
        store
            .dataset(&r.dataset_id)
            .await
            .unwrap()
            .unwrap()
            .versions
            .len(),
        1
    );
}

pub async fn the_audit_chain_verifies(store: &dyn CatalogStore) {
    let u = user(store, "eng").await;
    let a = acquisition(store, &u, "audit").await;
    publish_one(store, &a, "jj", "audit.x").await;
    let events = store.audit_events(0, 100).await.unwrap();
    let actions: Vec<_> = events.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "user.create",
            "acquisition.create",
            "file.receive",
            "file.scan",
            "file.convert",
            "file.publish"
        ]
    );
    assert_eq!(verify_audit(store, None).await.unwrap().seq, 6);
    store
        .append_audit(
            &u.id,
            "dataset.read",
            "d1",
            serde_json::json!({"policies": ["p"]}),
        )
        .await
        .unwrap();
    let read = store.audit_events(6, 10).await.unwrap();
    assert_eq!(
        (read[0].action.as_str(), read[0].actor.as_str()),
        ("dataset.read", u.id.as_str())
    );
    assert_eq!(verify_audit(store, None).await.unwrap().seq, 7);
    // A subject's events, oldest first, and nobody else's.
    let about = store.subject_events("d1", 10).await.unwrap();
    assert_eq!(about, read);
    let file_events = store.subject_events(&events[2].subject, 10).await.unwrap();
    let file_actions: Vec<_> = file_events.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        file_actions,
        ["file.receive", "file.scan", "file.convert", "file.publish"]
    );
    assert_eq!(
        store
            .subject_events(&events[2].subject, 1)
            .await
            .unwrap()
            .len(),
        1
    );
    // Any change to an event breaks its hash.
    let mut forged = events[2].clone();
    forged.detail = forged.detail.replace("survey.csv", "other.csv");
    assert!(matches!(
        forged.verify(&events[1].hash),
        Err(CatalogError::AuditBroken { seq: 3, .. })
    ));
    assert!(
        events[2].verify(&events[0].hash).is_err(),
        "links to its own predecessor only"
    );
}

macro_rules! conformance {
    ($backend:ident, $make:expr) => {
        mod $backend {
            use super::*;
            conformance!(@each $make;
                users_and_tokens, tokens_expire_rotate_and_revoke, acquisitions_have_unique_slugs, same_bytes_are_recorded_once,
                an_acquisitions_files_list_newest_first_page_by_page,
                a_file_walks_to_published, versions_count_up_and_search_finds_datasets,
                search_pages_walk_every_window_once,
                tables_are_found_by_zone_and_name_with_every_versions_columns,
                leases_exclude_other_workers, held_files_wait_for_their_retry,
                transient_failures_keep_state_and_back_off, rejection_releases_the_reserved_version,
                one_file_publishes_several_datasets_at_once,
                infected_files_are_rejected_with_member_verdicts,
                a_rescan_replaces_verdicts_and_taints_the_published_version, the_audit_chain_verifies,
                acquisitions_move_through_review, held_files_wait_for_a_reviewer,
                retention_deletes_expired_versions_in_two_steps,
                a_transfer_is_released_then_published_with_lineage);

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn concurrent_workers_never_share_a_file() {
                let (store, _guard) = $make.await;
                super::concurrent_workers_never_share_a_file(store).await;
            }
        }
    };
    (@each $make:expr; $($case:ident),+) => {
        $(
            #[tokio::test]
            async fn $case() {
                let (store, _guard) = $make.await;
                super::$case(store.as_ref()).await;
            }
        )+
    };
}

async fn sqlite() -> (Arc<dyn CatalogStore>, tempfile::TempDir) {
    let (url, dir) = sqlite_url();
    (connect(&url).await.unwrap(), dir)
}

fn sqlite_url() -> (String, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("catalog.db").display());
    (url, dir)
}

async fn postgres() -> (Arc<dyn CatalogStore>, ()) {
    (connect(&postgres_url().await).await.unwrap(), ())
}

/// A fresh database on the test server, so tests never see each other.
async fn postgres_url() -> String {
    let admin = std::env::var("AIRLOCK_TEST_POSTGRES_URL").expect(
        "AIRLOCK_TEST_POSTGRES_URL is not set: run the tests with scripts/test.sh, \
         which starts or reuses PostgreSQL",
    );
    let name = format!("airlock_t_{}", uuid::Uuid::now_v7().simple());
    let pool = sqlx::PgPool::connect(&admin)
        .await
        .expect("connecting to the test PostgreSQL");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let (base, _) = admin.rsplit_once('/').expect("a URL with a database name");
    format!("{base}/{name}")
}

/// A catalog as the first release left it: one file with one verdict.
const V1_ROWS: &str = "
    INSERT INTO users (id, name, role, created_at) VALUES ('u1', 'eve', 'engineer', 1);
    INSERT INTO acquisitions (id, name, slug, description, target_zone, classification, state,
        owner_id, created_at) VALUES ('a1', 'LFS', 'lfs', '', 'sandbox', 'OFFICIAL', 'approved', 'u1', 1);
    INSERT INTO files (id, acquisition_id, filename, sha256, size_bytes, channel, submitted_by,
        state, next_attempt_at, created_at, updated_at)
        VALUES ('f1', 'a1', 'x.csv', 'aa', 3, 'api', 'u1', 'checking', 1, 1, 1);
    INSERT INTO verdicts (file_id, engine, verdict, detail, engine_version, db_version, scanned_at)
        VALUES ('f1', 'clamav', 'clean', NULL, 'ClamAV 1.4.6', '27500', 5);
";

/// After the upgrade the old verdict is the file's own (member "") and the
/// acquisition allows nothing.
async fn upgraded_catalog_keeps_its_rows(store: &dyn CatalogStore) {
    let verdicts = store.verdicts("f1").await.unwrap();
    assert_eq!(
        verdicts,
        [NewVerdict {
            member: String::new(),
            engine: "clamav".into(),
            verdict: "clean".into(),
            detail: None,
            engine_version: "ClamAV 1.4.6".into(),
            db_version: Some("27500".into()),
            scanned_at: 5,
        }]
    );
    assert!(store.members("f1").await.unwrap().is_empty());
    assert_eq!(
        store.acquisition("a1").await.unwrap().unwrap().allow,
        Allowances::default()
    );
}

#[tokio::test]
async fn a_first_release_sqlite_catalog_upgrades_in_place() {
    let (url, _dir) = sqlite_url();
    let pool = sqlx::SqlitePool::connect(&format!("{url}?mode=rwc"))
        .await
        .unwrap();
    sqlx::migrate!("./migrations")
        .run_to(1, &pool)
        .await
        .unwrap();
    sqlx::raw_sql(V1_ROWS).execute(&pool).await.unwrap();
    pool.close().await;
    upgraded_catalog_keeps_its_rows(connect(&url).await.unwrap().as_ref()).await;
}

#[tokio::test]
async fn a_first_release_postgres_catalog_upgrades_in_place() {
    let url = postgres_url().await;
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    sqlx::migrate!("./migrations")
        .run_to(1, &pool)
        .await
        .unwrap();
    sqlx::raw_sql(V1_ROWS).execute(&pool).await.unwrap();
    pool.close().await;
    upgraded_catalog_keeps_its_rows(connect(&url).await.unwrap().as_ref()).await;
}

/// Builds a six-event log at `url`, tampers with it through `tamper` (raw
/// SQL on the database, as an intruder would), and returns what
/// verification says, given the head recorded before.
async fn verify_after<F, Fut>(url: &str, tamper: F) -> Result<AuditHead, CatalogError>
where
    F: FnOnce(String) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let store = connect(url).await.unwrap();
    let u = user(store.as_ref(), "eng").await;
    let a = acquisition(store.as_ref(), &u, "tamper").await;
    publish_one(store.as_ref(), &a, "tt", "tamper.x").await;
    let head = verify_audit(store.as_ref(), None).await.unwrap();
    assert_eq!(head.seq, 6);
    tamper(url.to_owned()).await;
    verify_audit(store.as_ref(), Some(&head)).await
}

/// Tamperings as raw SQL, the event the check must name, and what it is.
const TAMPERINGS: &[(&[&str], i64, &str)] = &[
    (
        &["UPDATE audit_events SET detail = '{}' WHERE seq = 3"],
        3,
        "an edited event",
    ),
    (
        &["DELETE FROM audit_events WHERE seq = 3"],
        3,
        "a deleted event",
    ),
    (
        &[
            "UPDATE audit_events SET seq = -1 WHERE seq = 3",
            "UPDATE audit_events SET seq = 3 WHERE seq = 4",
            "UPDATE audit_events SET seq = 4 WHERE seq = -1",
        ],
        3,
        "swapped events",
    ),
    (
        &["DELETE FROM audit_events WHERE seq >= 5"],
        5,
        "events cut from the end",
    ),
];

/// Each tampering is caught, naming the first bad event.
fn assert_broken_at(r: Result<AuditHead, CatalogError>, seq: i64, what: &str) {
    match r {
        Err(CatalogError::AuditBroken { seq: at, why }) => assert_eq!(at, seq, "{what}: {why}"),
        other => panic!("{what} went unnoticed: {other:?}"),
    }
}

#[tokio::test]
async fn tampering_with_a_sqlite_audit_log_is_caught() {
    for &(sql, seq, what) in TAMPERINGS {
        let (url, _dir) = sqlite_url();
        let r = verify_after(&url, |url| async move {
            let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
            for q in sql {
                sqlx::query(*q).execute(&pool).await.unwrap();
            }
        })
        .await;
        assert_broken_at(r, seq, what);
    }
}

#[tokio::test]
async fn tampering_with_a_postgres_audit_log_is_caught() {
    for &(sql, seq, what) in TAMPERINGS {
        let url = postgres_url().await;
        let r = verify_after(&url, |url| async move {
            let pool = sqlx::PgPool::connect(&url).await.unwrap();
            for q in sql {
                sqlx::query(*q).execute(&pool).await.unwrap();
            }
        })
        .await;
        assert_broken_at(r, seq, what);
    }
}

#[test]
fn audit_heads_read_back_as_printed() {
    let head = AuditHead {
        seq: 42,
        hash: "ab".repeat(32),
    };
    assert_eq!(head.to_string().parse::<AuditHead>().unwrap(), head);
    assert!("42".parse::<AuditHead>().is_err());
    assert!("x:00".parse::<AuditHead>().is_err());
}

conformance!(on_sqlite, sqlite());
conformance!(on_postgres, postgres());
