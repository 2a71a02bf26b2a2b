//! OIDC JWTs through the real router: RS256 and ES256 tokens signed with
//! test keys (`tests/fixtures/oidc`), keys from a JWKS file and from a JWKS
//! URL served on loopback, and every way a token must be refused.

use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::StatusCode;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use airlock_ingest::oidc::OidcConfig;
use airlock_ingest::{App, Config, auth};
use airlock_policies::Role;

#[path = "../../tests/support/router.rs"]
mod router;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/oidc");
const ISSUER: &str = "https://login.example.org/realms/ons";
const AUDIENCE: &str = "airlock";

fn config(jwks_file: Option<String>, jwks_url: Option<String>) -> OidcConfig {
    let roles = [
        ("ons-engineers", Role::Engineer),
        ("ons-reviewers", Role::Reviewer),
        ("ons-analysts", Role::Analyst),
    ];
    toml::from_str::<OidcConfig>(&format!(
        "issuer = {ISSUER:?}\naudience = {AUDIENCE:?}\nroles_claim = \"realm_access.groups\"\n\
         zones_claim = \"airlock_zones\"\nmin_refetch_secs = 0\n"
    ))
    .map(|c| OidcConfig {
        jwks_file: jwks_file.map(Into::into),
        jwks_url,
        roles: roles.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
        ..c
    })
    .unwrap()
}

async fn app(oidc: OidcConfig) -> (Arc<App>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config {
        data_dir: dir.path().to_path_buf(),
        oidc: Some(oidc),
        ..Config::default()
    };
    config.scanner.engines = vec![airlock_ingest::config::EngineConfig::Filetype];
    (App::open(config, None).await.unwrap(), dir)
}

fn now() -> i64 {
    airlock_ingest::now_ms() / 1000
}

/// Claims for `sub` in `groups`, valid for an hour.
fn claims(sub: &str, groups: &[&str]) -> Value {
    json!({
        "iss": ISSUER, "aud": AUDIENCE, "sub": sub, "preferred_username": sub,
        "iat": now(), "exp": now() + 3600,
        "realm_access": {"groups": groups}, "airlock_zones": ["sandbox"],
    })
}

fn sign(alg: Algorithm, kid: &str, claims: &Value) -> String {
    let (file, key): (&str, fn(&[u8]) -> _) = match alg {
        Algorithm::RS256 => ("rs256.pem", EncodingKey::from_rsa_pem),
        Algorithm::ES256 => ("es256.pem", EncodingKey::from_ec_pem),
        other => panic!("no test key for {other:?}"),
    };
    let pem = std::fs::read(format!("{FIXTURES}/{file}")).unwrap();
    let mut header = Header::new(alg);
    // "" names no key: some providers leave `kid` out.
    header.kid = Some(kid.to_owned()).filter(|k| !k.is_empty());
    jsonwebtoken::encode(&header, claims, &key(&pem).unwrap()).unwrap()
}

async fn call(
    app: &Arc<App>,
    method: &str,
    uri: &str,
    token: &str,
    body: Value,
) -> (StatusCode, Value) {
    let body = match body {
        Value::Null => Body::empty(),
        b => Body::from(b.to_string()),
    };
    router::call(app, method, uri, Some(token), body).await
}

#[tokio::test]
async fn rs256_and_es256_tokens_sign_in_with_their_mapped_roles_and_four_eyes_holds() {
    let (app, _dir) = app(config(Some(format!("{FIXTURES}/jwks.json")), None)).await;
    let engineer = sign(
        Algorithm::RS256,
        "rsa-1",
        &claims("eve", &["ons-engineers", "staff"]),
    );
    let reviewer = sign(
        Algorithm::ES256,
        "ec-1",
        &claims("rita", &["ons-reviewers"]),
    );

    let (status, acq) = call(
        &app,
        "POST",
        "/v1/acquisitions",
        &engineer,
        json!({"name": "SSO", "target_zone": "sandbox", "classification": "OFFICIAL",
               "supplier": "HMRC", "legal_basis": "SRSA 2007 s.45", "purpose": "tests",
               "personal_data": false, "retention_days": 30}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{acq}");
    assert_eq!(acq["owner_id"], "oidc:eve");
    let review = format!("/v1/acquisitions/{}/review", acq["id"].as_str().unwrap());
    let approve = json!({"decision": "approve", "reason": "sso"});
    // The engineer signed in by SSO may not review; the reviewer may.
    let (status, _) = call(&app, "POST", &review, &engineer, approve.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = call(&app, "POST", &review, &reviewer, approve).await;
    assert_eq!(
        (status, body["state"].as_str()),
        (StatusCode::OK, Some("approved")),
        "{body}"
    );

    // Each subject is one catalog user, created once, its role kept current.
    let user = app.catalog.user("oidc:rita").await.unwrap().unwrap();
    assert_eq!(
        (user.name.as_str(), user.role.as_str()),
        ("oidc:rita", "reviewer")
    );
    let (status, _) = call(&app, "GET", "/v1/reviews", &reviewer, Value::Null).await;
    assert_eq!(status, StatusCode::OK);
    let promoted = sign(Algorithm::ES256, "ec-1", &claims("eve", &["ons-reviewers"]));
    let (status, _) = call(&app, "GET", "/v1/reviews", &promoted, Value::Null).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        app.catalog.user("oidc:eve").await.unwrap().unwrap().role,
        Role::Reviewer
    );
    // Now a reviewer, eve still may not decide her own acquisition.
    let own = json!({"decision": "reject", "reason": "mine"});
    let (status, body) = call(&app, "POST", &review, &promoted, own).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");

    // Analysts carry their zones from the token.
    let analyst = sign(Algorithm::RS256, "rsa-1", &claims("ann", &["ons-analysts"]));
    let (status, _) = call(&app, "GET", "/v1/datasets", &analyst, Value::Null).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        app.catalog
            .user("oidc:ann")
            .await
            .unwrap()
            .unwrap()
            .zones
            .to_string(),
        "sandbox"
    );
    // Airlock's own tokens work beside SSO.
    let (_, token) = auth::add_user(app.catalog.as_ref(), "adam", Role::Admin, &[])
        .await
        .unwrap();
    let (status, _) = call(&app, "GET", "/v1/audit", &token, Value::Null).await;
    assert_eq!(status, StatusCode::OK);
    // A disabled user is refused through their identity provider too, at
    // once, whatever role the next token carries.
    let (status, _) = call(
        &app,
        "POST",
        "/v1/users/oidc:ann/disable",
        &token,
        Value::Null,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = call(&app, "GET", "/v1/datasets", &analyst, Value::Null).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("user_disabled"))
    );
    let promoted = sign(
        Algorithm::RS256,
        "rsa-1",
        &claims("ann", &["ons-reviewers"]),
    );
    let (status, _) = call(&app, "GET", "/v1/reviews", &promoted, Value::Null).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn forged_expired_misaddressed_and_ambiguous_tokens_are_refused() {
    let (app, _dir) = app(config(Some(format!("{FIXTURES}/jwks.json")), None)).await;
    let good = claims("eve", &["ons-engineers"]);
    let with = |patch: Value| {
        let mut c = good.clone();
        for (k, v) in patch.as_object().unwrap() {
            c[k] = v.clone();
        }
        c
    };
    let valid = sign(Algorithm::RS256, "rsa-1", &good);
    let (status, _) = call(&app, "GET", "/v1/zones", &valid, Value::Null).await;
    assert_eq!(status, StatusCode::OK, "the valid token, for contrast");

    let rsa_public = std::fs::read(format!("{FIXTURES}/rs256.pem")).unwrap();
    let hs256 = {
        // Algorithm confusion: HS256 keyed with the key's bytes.
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some("rsa-1".into());
        jsonwebtoken::encode(&header, &good, &EncodingKey::from_secret(&rsa_public)).unwrap()
    };
    let unsigned = {
        let parts: Vec<&str> = valid.split('.').collect();
        let none = base64_url(br#"{"alg":"none","kid":"rsa-1"}"#);
        format!("{none}.{}.", parts[1])
    };
    let tampered = {
        let parts: Vec<&str> = valid.split('.').collect();
        let admin = base64_url(with(json!({"sub": "someone-else"})).to_string().as_bytes());
        format!("{}.{admin}.{}", parts[0], parts[2])
    };
    let cases: Vec<(&str, String)> = vec![
        (
            "expired",
            sign(
                Algorithm::RS256,
                "rsa-1",
                &with(json!({"exp": now() - 3600})),
            ),
        ),
        (
            "not yet valid",
            sign(
                Algorithm::RS256,
                "rsa-1",
                &with(json!({"nbf": now() + 3600})),
            ),
        ),
        (
            "another audience",
            sign(
                Algorithm::RS256,
                "rsa-1",
                &with(json!({"aud": "other-app"})),
            ),
        ),
        (
            "another issuer",
            sign(
                Algorithm::RS256,
                "rsa-1",
                &with(json!({"iss": "https://evil.example"})),
            ),
        ),
        ("an unknown key", sign(Algorithm::RS256, "rsa-9", &good)),
        (
            "no key named, and several in the set",
            sign(Algorithm::RS256, "", &good),
        ),
        (
            "the EC key named for an RSA signature",
            sign(Algorithm::RS256, "ec-1", &good),
        ),
        ("HS256 keyed with the public key", hs256),
        ("alg none", unsigned),
        ("a tampered payload", tampered),
        (
            "no mapped role",
            sign(
                Algorithm::RS256,
                "rsa-1",
                &with(json!({"realm_access": {"groups": ["staff"]}})),
            ),
        ),
        (
            "two roles",
            sign(
                Algorithm::RS256,
                "rsa-1",
                &with(json!({"realm_access": {"groups": ["ons-engineers", "ons-reviewers"]}})),
            ),
        ),
        ("not a JWT", "eyJub3QiOiJhIGp3dCJ9".into()),
    ];
    for (what, token) in cases {
        let (status, body) = call(&app, "GET", "/v1/zones", &token, Value::Null).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{what}: {body}");
        assert_eq!(body["code"], "unauthorized", "{what}");
    }
    assert!(
        app.catalog
            .user("oidc:someone-else")
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn a_token_naming_no_key_is_checked_with_the_sets_only_key() {
    let dir = tempfile::tempdir().unwrap();
    let set: Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{FIXTURES}/jwks.json")).unwrap())
            .unwrap();
    let rsa: Vec<&Value> = set["keys"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["kty"] == "RSA")
        .collect();
    let one = dir.path().join("one-key.json");
    std::fs::write(&one, json!({"keys": rsa}).to_string()).unwrap();
    let (app, _data) = app(config(Some(one.display().to_string()), None)).await;
    let token = sign(Algorithm::RS256, "", &claims("eve", &["ons-engineers"]));
    let (status, body) = call(&app, "GET", "/v1/zones", &token, Value::Null).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // The only key must still fit the signature.
    let ec = sign(Algorithm::ES256, "", &claims("eve", &["ons-engineers"]));
    let (status, _) = call(&app, "GET", "/v1/zones", &ec, Value::Null).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

fn base64_url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().fold(0u32, |n, b| (n << 8) | *b as u32) << (8 * (3 - chunk.len()));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

/// Keys served over HTTP: a key the provider adds later (rotation) is
/// fetched when a token first names it.
#[tokio::test]
async fn keys_come_from_a_jwks_url_and_a_rotated_key_is_fetched_on_first_use() {
    let all: Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{FIXTURES}/jwks.json")).unwrap())
            .unwrap();
    let rsa_only = json!({"keys": [all["keys"][0].clone()]});
    let served = Arc::new(Mutex::new(rsa_only.to_string()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/certs", listener.local_addr().unwrap());
    let body = served.clone();
    let router = axum::Router::new().route(
        "/certs",
        axum::routing::get(move || {
            let body = body.clone();
            async move { body.lock().unwrap().clone() }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });

    let (app, _dir) = app(config(None, Some(url))).await;
    let rsa = sign(
        Algorithm::RS256,
        "rsa-1",
        &claims("eve", &["ons-engineers"]),
    );
    let (status, _) = call(&app, "GET", "/v1/zones", &rsa, Value::Null).await;
    assert_eq!(status, StatusCode::OK);
    let ec = sign(
        Algorithm::ES256,
        "ec-1",
        &claims("rita", &["ons-reviewers"]),
    );
    let (status, _) = call(&app, "GET", "/v1/zones", &ec, Value::Null).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "not published yet");
    *served.lock().unwrap() = all.to_string();
    let (status, _) = call(&app, "GET", "/v1/zones", &ec, Value::Null).await;
    assert_eq!(status, StatusCode::OK, "the rotated key is fetched");
}

#[tokio::test]
async fn a_daemon_with_an_unreachable_or_ambiguous_key_source_refuses_to_start() {
    let dir = tempfile::tempdir().unwrap();
    for (oidc, needle) in [
        (config(None, None), "exactly one of jwks_file and jwks_url"),
        (
            config(Some("/nonexistent/jwks.json".into()), None),
            "/nonexistent/jwks.json",
        ),
        (
            config(None, Some("http://127.0.0.1:9/certs".into())),
            "127.0.0.1:9",
        ),
    ] {
        let config = Config {
            data_dir: dir.path().to_path_buf(),
            oidc: Some(oidc),
            ..Config::default()
        };
        let err = App::open(config, None).await.err().expect("refused");
        assert!(err.to_string().contains(needle), "{err}");
    }
}
