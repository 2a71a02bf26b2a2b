//! Users and tokens through the admin API, with `oneshot`: an admin
//! creates, lists, disables, enables and revokes; any caller rotates their
//! own token; and every refusal takes effect on the next request.

use std::sync::Arc;

use axum::body::Body;
use axum::http::StatusCode;
use serde_json::{Value, json};

#[path = "../../tests/support/router.rs"]
mod router;

use airlock_ingest::{App, Config, auth};
use airlock_policies::Role;

struct Fixture {
    app: Arc<App>,
    _dir: tempfile::TempDir,
    admin: String,
    engineer: String,
}

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let config = Config {
        data_dir: dir.path().to_path_buf(),
        ..Config::default()
    };
    let app = App::open(config, None).await.unwrap();
    let catalog = app.catalog.as_ref();
    let admin = auth::add_user(catalog, "adam", Role::Admin, &[]).await;
    let engineer = auth::add_user(catalog, "eve", Role::Engineer, &[]).await;
    Fixture {
        admin: admin.unwrap().1,
        engineer: engineer.unwrap().1,
        app,
        _dir: dir,
    }
}

impl Fixture {
    async fn call(&self, method: &str, uri: &str, token: &str, body: Value) -> (StatusCode, Value) {
        let body = match body {
            Value::Null => Body::empty(),
            body => Body::from(body.to_string()),
        };
        router::call(&self.app, method, uri, Some(token), body).await
    }

    /// Whether `token` is admitted, or the code it is refused with.
    async fn standing(&self, token: &str) -> Result<(), String> {
        match self.call("GET", "/v1/zones", token, Value::Null).await {
            (StatusCode::OK, _) => Ok(()),
            (StatusCode::UNAUTHORIZED, body) => Err(body["code"].as_str().unwrap().to_owned()),
            (status, body) => panic!("{status}: {body}"),
        }
    }
}

#[tokio::test]
async fn an_admin_creates_lists_and_controls_users() {
    let f = fixture().await;
    let ann =
        json!({"name": "ann", "role": "analyst", "zones": ["sandbox"], "expires_in_days": 30});
    let (status, created) = f.call("POST", "/v1/users", &f.admin, ann.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["user"]["zones"], json!(["sandbox"]));
    let ann_token = created["token"].as_str().unwrap().to_owned();
    assert!(ann_token.starts_with("alk_"));
    assert_eq!(f.standing(&ann_token).await, Ok(()));

    // Bad requests: a taken name, an unknown zone, an expiry out of range,
    // a role that is not one, a field that is not one.
    for (body, status, code) in [
        (ann.clone(), StatusCode::CONFLICT, "conflict"),
        (
            json!({"name": "bo", "role": "analyst", "zones": ["moon"]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_zone",
        ),
        (
            json!({"name": "bo", "role": "engineer", "expires_in_days": 0}),
            StatusCode::BAD_REQUEST,
            "invalid_expiry",
        ),
        (
            json!({"name": "bo", "role": "root"}),
            StatusCode::BAD_REQUEST,
            "invalid_json",
        ),
        (
            json!({"name": "bo", "role": "engineer", "admin": true}),
            StatusCode::BAD_REQUEST,
            "invalid_json",
        ),
    ] {
        let (got, answer) = f.call("POST", "/v1/users", &f.admin, body).await;
        assert_eq!(
            (got, answer["code"].as_str().unwrap()),
            (status, code),
            "{answer}"
        );
    }

    // The list shows each user once, never a token.
    let (status, users) = f.call("GET", "/v1/users", &f.admin, Value::Null).await;
    assert_eq!(status, StatusCode::OK);
    let names: Vec<&str> = users
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["adam", "ann", "eve"]);
    assert!(!users.to_string().contains("alk_"));

    // Disabled: refused at once; enabled: admitted again.
    let (status, _) = f
        .call("POST", "/v1/users/ann/disable", &f.admin, Value::Null)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(f.standing(&ann_token).await, Err("user_disabled".into()));
    let (_, users) = f.call("GET", "/v1/users", &f.admin, Value::Null).await;
    assert!(users[1]["disabled_at"].is_string(), "{users}");
    let (status, _) = f
        .call("POST", "/v1/users/ann/enable", &f.admin, Value::Null)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(f.standing(&ann_token).await, Ok(()));

    // Revoked: refused at once; a new token admits.
    let (status, revoked) = f
        .call("POST", "/v1/users/ann/revoke", &f.admin, Value::Null)
        .await;
    assert_eq!((status, revoked), (StatusCode::OK, json!({"revoked": 1})));
    assert_eq!(f.standing(&ann_token).await, Err("token_revoked".into()));
    let (status, issued) = f
        .call(
            "POST",
            "/v1/users/ann/tokens",
            &f.admin,
            json!({"expires_in_days": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{issued}");
    assert_eq!(f.standing(issued["token"].as_str().unwrap()).await, Ok(()));

    // An admin cannot lock themselves out; an unknown user is a 404.
    let (status, _) = f
        .call("POST", "/v1/users/adam/disable", &f.admin, Value::Null)
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = f
        .call("POST", "/v1/users/adam/revoke", &f.admin, Value::Null)
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(f.standing(&f.admin).await, Ok(()));
    let (status, _) = f
        .call("POST", "/v1/users/nobody/revoke", &f.admin, Value::Null)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Every command is audited under the admin who gave it.
    let (_, events) = f
        .call("GET", "/v1/audit?limit=1000", &f.admin, Value::Null)
        .await;
    let by_admin: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["actor"] != "system:cli")
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        by_admin,
        [
            "user.create",
            "user.disable",
            "user.enable",
            "token.revoke",
            "token.issue"
        ]
    );
}

#[tokio::test]
async fn only_admins_manage_users() {
    let f = fixture().await;
    for (method, uri, body) in [
        ("GET", "/v1/users", Value::Null),
        ("POST", "/v1/users", json!({"name": "x", "role": "admin"})),
        ("POST", "/v1/users/adam/disable", Value::Null),
        ("POST", "/v1/users/adam/enable", Value::Null),
        ("POST", "/v1/users/adam/revoke", Value::Null),
        ("POST", "/v1/users/eve/tokens", json!({})),
    ] {
        let (status, answer) = f.call(method, uri, &f.engineer, body.clone()).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {uri}: {answer}");
        let (status, _) = router::call(&f.app, method, uri, None, Body::empty()).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {uri}");
    }
    assert_eq!(f.standing(&f.admin).await, Ok(()));
}

#[tokio::test]
async fn a_caller_rotates_their_own_token() {
    let f = fixture().await;
    let (status, rotated) = f
        .call(
            "POST",
            "/v1/tokens/rotate",
            &f.engineer,
            json!({"expires_in_days": 7}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{rotated}");
    let new = rotated["token"].as_str().unwrap();
    assert_ne!(new, f.engineer);
    assert_eq!(f.standing(new).await, Ok(()));
    assert_eq!(f.standing(&f.engineer).await, Err("token_revoked".into()));
    // The old token cannot rotate again.
    let (status, _) = f
        .call("POST", "/v1/tokens/rotate", &f.engineer, json!({}))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn an_expired_token_is_refused_at_once() {
    let f = fixture().await;
    let catalog = f.app.catalog.as_ref();
    let user = catalog.user_by_name("eve").await.unwrap().unwrap();
    // A token that expired a moment ago, as the catalog stores one.
    let token = "alk_expired-for-the-test";
    let stored = airlock_catalog::NewToken {
        hash: auth::hash_token(token),
        created_at: 1,
        expires_at: Some(airlock_catalog::now_ms() - 1),
    };
    catalog
        .issue_token(&user.id, &stored, "test")
        .await
        .unwrap();
    assert_eq!(f.standing(token).await, Err("token_expired".into()));
    assert_eq!(f.standing(&f.engineer).await, Ok(()));
}
