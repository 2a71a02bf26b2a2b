//! The web pages through the router with `oneshot`: sign-in and its
//! session cookie, CSRF on every form, four eyes explained on the
//! acquisition page and enforced by the form, the evidence pack's seal,
//! admins' user forms, and the 404 page for what a caller may not see.
//! The browser walk-throughs are in `tests/browser.rs`.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use serde_json::{Value, json};

#[path = "../../tests/support/router.rs"]
mod router;

use airlock_ingest::{App, Config, auth, query};
use airlock_policies::Role;

struct Fixture {
    app: Arc<App>,
    _dir: tempfile::TempDir,
    admin: String,
    engineer: String,
    reviewer: String,
    second_reviewer: String,
    analyst: String,
}

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let config = Config {
        data_dir: dir.path().to_path_buf(),
        ..Config::default()
    };
    let app = App::open(config, None).await.unwrap();
    let catalog = app.catalog.as_ref();
    let token = |r: Result<(airlock_catalog::User, String), _>| r.unwrap().1;
    let sandbox = ["sandbox".parse::<airlock_zones::ZoneName>().unwrap()];
    Fixture {
        admin: token(auth::add_user(catalog, "adam", Role::Admin, &[]).await),
        engineer: token(auth::add_user(catalog, "eve", Role::Engineer, &[]).await),
        reviewer: token(auth::add_user(catalog, "rita", Role::Reviewer, &[]).await),
        second_reviewer: token(auth::add_user(catalog, "rob", Role::Reviewer, &[]).await),
        analyst: token(auth::add_user(catalog, "ann", Role::Analyst, &sandbox).await),
        app,
        _dir: dir,
    }
}

/// A page's answer.
struct Page {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Page {
    fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    /// The value a `Set-Cookie` gives `name`.
    fn cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|v| v.strip_prefix(&format!("{name}=")))
            .map(|v| v.split(';').next().unwrap_or_default().to_owned())
    }

    /// The value of the first hidden `csrf` field.
    fn csrf(&self) -> String {
        let at = self
            .body
            .find("name=\"csrf\" value=\"")
            .expect("a CSRF field");
        let rest = &self.body[at + "name=\"csrf\" value=\"".len()..];
        rest[..rest.find('"').unwrap()].to_owned()
    }
}

impl Fixture {
    async fn request(&self, method: &str, uri: &str, cookie: &str, form: Option<&str>) -> Page {
        let mut req = Request::builder()
            .method(method)
            .uri(uri)
            .header("host", "airlock.test");
        if !cookie.is_empty() {
            req = req.header(header::COOKIE, cookie);
        }
        if form.is_some() {
            req = req.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        }
        let body = form.map(|f| Body::from(f.to_owned())).unwrap_or_default();
        let (status, headers, bytes) = router::send(&self.app, req.body(body).unwrap()).await;
        Page {
            status,
            headers,
            body: String::from_utf8(bytes).unwrap(),
        }
    }

    async fn get(&self, uri: &str, session: &str) -> Page {
        self.request("GET", uri, session, None).await
    }

    async fn post(&self, uri: &str, session: &str, form: &str) -> Page {
        self.request("POST", uri, session, Some(form)).await
    }

    /// Signs in with a token through the form; the session cookie.
    async fn sign_in(&self, token: &str) -> String {
        let form = self.get("/ui/sign-in", "").await;
        let nonce = form.cookie("airlock_sign_in").unwrap();
        let signed = self
            .post(
                "/ui/sign-in",
                &format!("airlock_sign_in={nonce}"),
                &format!("token={token}&nonce={nonce}&next=%2Fui%2Fdatasets"),
            )
            .await;
        assert_eq!(signed.status, StatusCode::SEE_OTHER, "{}", signed.body);
        assert_eq!(signed.location(), "/ui/datasets");
        format!(
            "airlock_session={}",
            signed.cookie("airlock_session").unwrap()
        )
    }

    async fn acquisition_state(&self, id: &str) -> Value {
        let uri = format!("/v1/acquisitions/{id}");
        self.api("GET", &uri, &self.reviewer, Value::Null).await.1["state"].clone()
    }

    async fn api(&self, method: &str, uri: &str, token: &str, body: Value) -> (StatusCode, Value) {
        let body = match body {
            Value::Null => Body::empty(),
            b => Body::from(b.to_string()),
        };
        router::call(&self.app, method, uri, Some(token), body).await
    }
}

#[tokio::test]
async fn a_token_signs_in_to_a_cookie_session_and_signs_out() {
    let f = fixture().await;
    // No session: to the sign-in form, then back.
    let page = f.get("/ui/reviews", "").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location(), "/ui/sign-in?next=/ui/reviews");

    let form = f.get("/ui/sign-in?next=/ui/reviews", "").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(
        form.body.contains("<label for=\"token\">Token</label>"),
        "{}",
        form.body
    );
    let set = form
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect::<Vec<_>>();
    assert!(
        set[0].contains("HttpOnly") && set[0].contains("SameSite=Lax"),
        "{set:?}"
    );

    let session = f.sign_in(&f.reviewer).await;
    let cookie_line = f
        .get("/ui/sign-in", "")
        .await
        .headers
        .get(header::SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cookie_line.contains("Path=/ui"), "{cookie_line}");
    let home = f.get("/ui/", &session).await;
    assert_eq!(
        (home.status, home.location()),
        (StatusCode::SEE_OTHER, "/ui/reviews")
    );
    let queue = f.get("/ui/reviews", &session).await;
    assert_eq!(queue.status, StatusCode::OK, "{}", queue.body);
    assert!(
        queue.body.contains("rita"),
        "the header names who is signed in"
    );
    assert_eq!(
        queue.headers.get(header::CACHE_CONTROL).unwrap(),
        "no-store",
        "a shared machine shows nothing cached to the next person"
    );
    assert!(queue.headers.get(header::CONTENT_SECURITY_POLICY).is_some());

    // A wrong token, a sign-in post without its nonce.
    let nonce = f
        .get("/ui/sign-in", "")
        .await
        .cookie("airlock_sign_in")
        .unwrap();
    let cookie = format!("airlock_sign_in={nonce}");
    let wrong = f
        .post(
            "/ui/sign-in",
            &cookie,
            &format!("token=alk_nope&nonce={nonce}"),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(
        wrong.body.contains("That token was refused"),
        "{}",
        wrong.body
    );
    let forged = f
        .post(
            "/ui/sign-in",
            "",
            &format!("token={}&nonce={nonce}", f.reviewer),
        )
        .await;
    assert_eq!(
        forged.status,
        StatusCode::FORBIDDEN,
        "login CSRF is refused"
    );
    // An open redirect is not followed.
    let elsewhere = f
        .post(
            "/ui/sign-in",
            &cookie,
            &format!(
                "token={}&nonce={nonce}&next=https://evil.example/",
                f.reviewer
            ),
        )
        .await;
    assert_eq!(elsewhere.location(), "/ui/");

    // Sign-out needs the form's CSRF token.
    let refused = f.post("/ui/sign-out", &session, "").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.body.contains("was refused"), "{}", refused.body);
    let csrf = queue.csrf();
    let out = f
        .post("/ui/sign-out", &session, &format!("csrf={csrf}"))
        .await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(out.cookie("airlock_session").as_deref(), Some(""));

    // A revoked token ends the session at once.
    let admin = auth::Administrator::CommandLine;
    auth::revoke_tokens(f.app.catalog.as_ref(), admin, "rita")
        .await
        .unwrap();
    assert_eq!(
        f.get("/ui/reviews", &session).await.status,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn four_eyes_is_explained_and_a_decision_needs_its_csrf_token() {
    let f = fixture().await;
    let body = json!({
        "name": "LFS", "target_zone": "sandbox", "classification": "OFFICIAL",
        "supplier": "HMRC", "legal_basis": "SRSA 2007 s.45", "purpose": "tests",
        "personal_data": false, "retention_days": 30
    });
    let (status, acq) = f.api("POST", "/v1/acquisitions", &f.reviewer, body).await;
    assert_eq!(status, StatusCode::CREATED, "{acq}");
    let id = acq["id"].as_str().unwrap();
    let page_uri = format!("/ui/acquisitions/{id}");

    // Its registrant, a reviewer too, is told why they may not decide.
    let own = f.sign_in(&f.reviewer).await;
    let page = f.get(&page_uri, &own).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body
            .contains("Four eyes: you registered this acquisition"),
        "{}",
        page.body
    );
    assert!(
        !page.body.contains("value=\"approve\""),
        "no button that would fail"
    );
    // Posting anyway is refused by the same policy as the API.
    let csrf = page.csrf();
    let forced = f
        .post(
            &format!("{page_uri}/review"),
            &own,
            &format!("csrf={csrf}&decision=approve&reason=mine"),
        )
        .await;
    assert_eq!(forced.status, StatusCode::FORBIDDEN);

    // Another reviewer sees the form; without the CSRF token it is
    // refused, with it the decision is taken.
    let other = f.sign_in(&f.second_reviewer).await;
    let page = f.get(&page_uri, &other).await;
    assert!(page.body.contains("value=\"approve\""), "{}", page.body);
    let review_uri = format!("{page_uri}/review");
    let no_csrf = f
        .post(&review_uri, &other, "decision=approve&reason=ok")
        .await;
    assert_eq!(no_csrf.status, StatusCode::FORBIDDEN);
    let wrong_csrf = f
        .post(
            &review_uri,
            &other,
            &format!("csrf={}&decision=approve&reason=ok", page_csrf_of(&own)),
        )
        .await;
    assert_eq!(
        wrong_csrf.status,
        StatusCode::FORBIDDEN,
        "another session's token"
    );
    assert_eq!(f.acquisition_state(id).await, "pending_review");
    let csrf = page.csrf();
    let done = f
        .post(
            &review_uri,
            &other,
            &format!("csrf={csrf}&decision=approve&reason=ethics+ok"),
        )
        .await;
    assert_eq!(
        (done.status, done.location()),
        (StatusCode::SEE_OTHER, page_uri.as_str())
    );
    assert_eq!(f.acquisition_state(id).await, "approved");
    let page = f.get(&page_uri, &other).await;
    assert!(page.body.contains("It is approved"), "{}", page.body);
    assert!(page.body.contains("ethics ok"));

    // The evidence pack: sealed, and naming the decision's audit event.
    let pack = f.get(&format!("{page_uri}/evidence-pack"), &other).await;
    assert_eq!(pack.status, StatusCode::OK);
    assert!(
        pack.headers[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    let pack: Value = serde_json::from_str(&pack.body).unwrap();
    assert_eq!(pack["format"], query::PACK_FORMAT);
    assert_eq!(pack["sha256"].as_str().unwrap(), query::digest(&pack));
    let decision = &pack["decisions"][0];
    assert_eq!(decision["detail"]["decision"], "approve");
    let seq = decision["audit_seq"].as_i64().unwrap();
    let (_, events) = f
        .api(
            "GET",
            &format!("/v1/audit?after={}&limit=1", seq - 1),
            &f.admin,
            Value::Null,
        )
        .await;
    assert_eq!(events[0]["hash"], decision["audit_hash"]);
    assert_eq!(events[0]["action"], "acquisition.review");
    let mut tampered = pack.clone();
    tampered["acquisition"]["purpose"] = json!("something else");
    assert_ne!(query::digest(&tampered), pack["sha256"].as_str().unwrap());
}

/// The CSRF token of a session, from any of its pages.
fn page_csrf_of(session: &str) -> String {
    airlock_ingest::pages::session::csrf_token(session.trim_start_matches("airlock_session="))
}

#[tokio::test]
async fn what_a_caller_may_not_see_is_the_same_404_page_as_what_is_not_there() {
    let f = fixture().await;
    let ann = f.sign_in(&f.analyst).await;
    for uri in ["/ui/datasets/no-such-dataset", "/ui/no/such/page"] {
        let page = f.get(uri, &ann).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{uri}");
        assert!(
            page.body.contains("nothing you are cleared to see"),
            "{}",
            page.body
        );
    }
    // Another role's section is refused, and says so.
    let page = f.get("/ui/admin/users", &ann).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    // An engineer's delivery page of another's acquisition is refused.
    let eve = f.sign_in(&f.engineer).await;
    let mine = f.get("/ui/deliveries", &eve).await;
    assert_eq!(mine.status, StatusCode::OK);
    assert!(
        mine.body.contains("You have registered no acquisition"),
        "{}",
        mine.body
    );
    let search = f.get("/ui/datasets?q=%22unclosed", &ann).await;
    assert_eq!(search.status, StatusCode::BAD_REQUEST, "{}", search.body);
}

#[tokio::test]
async fn admins_add_disable_and_revoke_users_through_forms() {
    let f = fixture().await;
    let adam = f.sign_in(&f.admin).await;
    let page = f.get("/ui/admin/users", &adam).await;
    assert_eq!(page.status, StatusCode::OK);
    let csrf = page.csrf();
    let added = f
        .post(
            "/ui/admin/users",
            &adam,
            &format!(
                "csrf={csrf}&name=nia&role=analyst&zone=sandbox&zone=corporate&expires_in_days=7"
            ),
        )
        .await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.body);
    let at = added.body.find("id=\"new-token\">").unwrap() + "id=\"new-token\">".len();
    let token = &added.body[at..at + added.body[at..].find('<').unwrap()];
    let (status, _) = f.api("GET", "/v1/datasets", token, Value::Null).await;
    assert_eq!(status, StatusCode::OK, "the token shown once works");
    let (_, users) = f.api("GET", "/v1/users", &f.admin, Value::Null).await;
    let nia = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["name"] == "nia")
        .unwrap();
    assert_eq!(nia["zones"], json!(["sandbox", "corporate"]));

    // A bad form is a page that says what is wrong, not a 500.
    let bad = f
        .post(
            "/ui/admin/users",
            &adam,
            &format!("csrf={csrf}&name=x&role=pilot"),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("no role"), "{}", bad.body);

    let disabled = f
        .post(
            "/ui/admin/users/nia/disable",
            &adam,
            &format!("csrf={csrf}"),
        )
        .await;
    assert_eq!(disabled.status, StatusCode::SEE_OTHER);
    let (status, _) = f.api("GET", "/v1/datasets", token, Value::Null).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let no_csrf = f.post("/ui/admin/users/eve/revoke", &adam, "").await;
    assert_eq!(no_csrf.status, StatusCode::FORBIDDEN);
    let (status, _) = f.api("GET", "/v1/zones", &f.engineer, Value::Null).await;
    assert_eq!(status, StatusCode::OK, "a refused form changed nothing");
    let revoked = f
        .post("/ui/admin/users/eve/revoke", &adam, &format!("csrf={csrf}"))
        .await;
    assert_eq!(revoked.status, StatusCode::SEE_OTHER);
    let (status, _) = f.api("GET", "/v1/zones", &f.engineer, Value::Null).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Engines, zones and the audit check.
    let engines = f.get("/ui/admin/engines", &adam).await;
    assert_eq!(engines.status, StatusCode::OK);
    let zones = f.get("/ui/admin/zones", &adam).await;
    assert!(zones.body.contains("sandbox"), "{}", zones.body);
    let audit = f.get("/ui/admin/audit", &adam).await;
    assert!(
        audit.body.contains("The hash chain is intact"),
        "{}",
        audit.body
    );
}

#[tokio::test]
async fn an_engineers_deliveries_poll_while_they_move_and_the_poll_gets_the_table_alone() {
    let f = fixture().await;
    let body = json!({
        "name": "Survey", "target_zone": "sandbox", "classification": "OFFICIAL",
        "supplier": "HMRC", "legal_basis": "SRSA 2007 s.45", "purpose": "tests",
        "personal_data": false, "retention_days": 30, "rounding_base": 5
    });
    let (_, acq) = f.api("POST", "/v1/acquisitions", &f.engineer, body).await;
    let id = acq["id"].as_str().unwrap();
    let approve = json!({"decision": "approve", "reason": "ok"});
    let uri = format!("/v1/acquisitions/{id}/review");
    assert_eq!(
        f.api("POST", &uri, &f.reviewer, approve).await.0,
        StatusCode::OK
    );
    let put = Request::builder()
        .method("PUT")
        .uri(format!("/v1/acquisitions/{id}/files/survey.csv"))
        .header("authorization", format!("Bearer {}", f.engineer))
        .body(Body::from("a,b\n1,2\n"))
        .unwrap();
    assert_eq!(router::send(&f.app, put).await.0, StatusCode::ACCEPTED);

    // No worker runs here: the delivery stays received, so the table polls.
    let eve = f.sign_in(&f.engineer).await;
    let mine = f.get("/ui/deliveries", &eve).await;
    assert!(mine.body.contains("Survey"), "{}", mine.body);
    let page = f.get(&format!("/ui/deliveries/{id}"), &eve).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("<h1>Deliveries: Survey</h1>"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("hx-trigger=\"every 2s\""),
        "{}",
        page.body
    );
    assert!(page.body.contains("survey.csv") && page.body.contains(">received<"));
    let poll = f
        .request("GET", &format!("/ui/deliveries/{id}"), &eve, None)
        .await;
    assert!(
        poll.body.contains("<html"),
        "a plain request gets the whole page"
    );
    let mut req = Request::builder()
        .uri(format!("/ui/deliveries/{id}"))
        .header(header::COOKIE, &eve)
        .header("hx-request", "true");
    req = req.header("host", "airlock.test");
    let (status, _, bytes) = router::send(&f.app, req.body(Body::empty()).unwrap()).await;
    let fragment = String::from_utf8(bytes).unwrap();
    assert_eq!(status, StatusCode::OK);
    assert!(
        fragment.trim_start().starts_with("<div id=\"deliveries\""),
        "{fragment}"
    );
    assert!(!fragment.contains("<html"), "htmx gets the table alone");
    // The acquisition's record shows the rounding it requires.
    let record = f.get(&format!("/ui/acquisitions/{id}"), &eve).await;
    assert!(record.body.contains("multiples of 5"), "{}", record.body);
    // Another engineer may not watch them.
    let oscar = auth::add_user(f.app.catalog.as_ref(), "oscar", Role::Engineer, &[]).await;
    let oscar = f.sign_in(&oscar.unwrap().1).await;
    let theirs = f.get(&format!("/ui/deliveries/{id}"), &oscar).await;
    assert_eq!(theirs.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_vendored_htmx_is_served_and_pages_link_it() {
    let f = fixture().await;
    let js = f.get("/ui/assets/htmx-4.0.1.min.js", "").await;
    assert_eq!(js.status, StatusCode::OK);
    assert!(js.body.starts_with("var htmx="), "the vendored file itself");
    let css = f.get("/ui/assets/airlock.css", "").await;
    assert_eq!(css.status, StatusCode::OK);
    let form = f.get("/ui/sign-in", "").await;
    assert!(form.body.contains("src=\"/ui/assets/htmx-4.0.1.min.js\""));
    assert_eq!(
        f.get("/ui/assets/other.js", "").await.status,
        StatusCode::NOT_FOUND
    );
}
