//! The web pages in a real browser: Debian's `chromium`, driven by
//! Playwright for Python (`tests/interop/browser.py`, through
//! `executable_path`, no browser download), against the real daemon with a
//! real clamd. People sign in, a reviewer walks a held file to release, an
//! analyst goes from search to a dataset page, an uncleared analyst gets
//! the 404 page, a CSRF-less post is refused, and an OIDC sign-in goes
//! through `oidc-provider-mock` on loopback. Every page is screenshotted
//! into `target/tmp/screenshots/` (README shows some).

mod support;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use support::*;

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
const SCREENSHOTS: &str = concat!(env!("CARGO_TARGET_TMPDIR"), "/screenshots");

/// axe-core's script, which the walk-through runs on every page.
fn axe() -> String {
    std::env::var("AIRLOCK_TEST_AXE")
        .expect("AIRLOCK_TEST_AXE is not set: run the tests with scripts/test.sh")
}

fn browser_python() -> String {
    let venv = std::env::var("AIRLOCK_TEST_BROWSER_VENV")
        .expect("AIRLOCK_TEST_BROWSER_VENV is not set: run the tests with scripts/test.sh");
    format!("{venv}/bin/python")
}

/// Runs one scenario of `browser.py` with `input`; what it saw.
fn browse(scenario: &str, input: Value, d: &Daemon) -> Value {
    std::fs::create_dir_all(SCREENSHOTS).unwrap();
    let out = Command::new(browser_python())
        .arg(format!("{ROOT}/tests/interop/browser.py"))
        .args([scenario, &input.to_string(), SCREENSHOTS])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}\n{}", d.log());
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{stderr}", String::from_utf8_lossy(&out.stdout)))
}

#[tokio::test]
async fn reviewers_analysts_engineers_and_admins_use_the_pages_in_chromium() {
    let clamd = Clamd::start();
    let d = Daemon::start(&clamd.addr());
    let admin = d.add_user("adam", "admin", &[]);
    // Its counts must be rounded to fives.
    let (status, registered) = d
        .post(
            &d.engineer,
            "/v1/acquisitions",
            &json!({
                "name": "Labour force survey", "target_zone": "sandbox",
                "classification": "OFFICIAL", "supplier": "HMRC",
                "legal_basis": "SRSA 2007 s.45", "purpose": "labour market statistics",
                "personal_data": false, "retention_days": 30, "rounding_base": 5
            }),
        )
        .await;
    assert_eq!(status, 201, "{registered}");
    let acq = registered["id"].as_str().unwrap().to_owned();
    let approve = json!({"decision": "approve", "reason": "ethics approved"});
    let (status, _) = d
        .post(
            &d.reviewer,
            &format!("/v1/acquisitions/{acq}/review"),
            &approve,
        )
        .await;
    assert_eq!(status, 200);
    let survey = b"region,people,median_hours\nnorth,1200,37.5\nsouth,3400,36.0\n".to_vec();
    let published = d.deliver(&acq, "survey.csv", survey).await;
    assert_eq!(published["state"], "published", "{published:#}");
    let dataset = published["dataset_id"].as_str().unwrap().to_owned();
    let dataset_name = published["datasets"][0]["name"]
        .as_str()
        .unwrap()
        .to_owned();
    // Undeclared personal data: held for a reviewer.
    let contacts = b"id,email,visits\n1,ada@example.org,3\n2,bo@example.org,12\n".to_vec();
    let (status, accepted) = d.upload(&acq, "contacts.csv", contacts).await;
    assert_eq!(status, 202, "{accepted}");
    let held = accepted["id"].as_str().unwrap().to_owned();
    let waiting = d
        .wait_for(&held, &["awaiting_review", "published", "rejected"])
        .await;
    assert_eq!(waiting["state"], "awaiting_review", "{waiting:#}");
    // A dataset in a zone the sandbox analyst is not cleared for.
    let corporate = d.acquisition("Payroll", "corporate", "OFFICIAL").await;
    let payroll = d
        .deliver(&corporate, "payroll.csv", b"band,staff\nA,4\n".to_vec())
        .await;
    let hidden = payroll["dataset_id"].as_str().unwrap().to_owned();

    let seen = browse(
        "walk",
        json!({
            "base": d.base, "reviewer": d.reviewer, "analyst": d.analyst,
            "engineer": d.engineer, "admin": admin, "held_file": held,
            "acquisition": acq, "dataset": dataset, "dataset_name": dataset_name,
            "hidden_dataset": hidden, "axe": axe(),
        }),
        &d,
    );
    // The reviewer's release took effect: the file publishes.
    let released = d.wait_for(&held, &["published", "rejected"]).await;
    assert_eq!(released["state"], "published", "{released:#}");
    assert_eq!(
        released["reviews"][0]["reason"],
        "Emails are the supplier's test accounts"
    );
    assert_eq!(
        seen["evidence"]["columns"],
        json!(["id", "email", "visits"])
    );
    assert_eq!(seen["evidence"]["pii"], "email: 2");
    // Disclosure control, from every value: visits (3 and 12) hold a small
    // count and are not all multiples of five.
    let flags = seen["evidence"]["visits_flags"].to_string();
    assert!(
        flags.contains("as low as 3") && flags.contains("multiples of 5"),
        "{flags}"
    );
    assert_eq!(seen["evidence"]["visits_sum"], "15");
    assert_eq!(
        seen["evidence"]["email_sum"], "",
        "nothing of personal data shows"
    );
    assert_eq!(seen["first_tab"], "Skip to content");
    for (page, violations) in seen["accessibility"].as_object().unwrap() {
        assert_eq!(
            violations,
            &json!([]),
            "axe finds WCAG 2.1 AA violations on {page}"
        );
    }
    assert_eq!(
        seen["accessibility"].as_object().unwrap().len(),
        14,
        "every page was checked"
    );
    assert!(
        seen["axe_control"].to_string().contains("label"),
        "axe finds an unlabelled field: {}",
        seen["axe_control"]
    );
    assert_eq!(seen["evidence_pack"]["subject"]["id"], json!(held));
    assert_eq!(seen["evidence_pack"]["sha256_ok"], true);
    assert_eq!(seen["after_release"], "converting_or_published");
    let hits = seen["search_hits"].as_array().unwrap();
    assert!(hits.contains(&json!(dataset_name)), "{hits:?}");
    assert!(
        !hits.iter().any(|h| h.as_str().unwrap().contains("payroll")),
        "no dataset of an uncleared zone is found: {hits:?}"
    );
    assert!(
        seen["pyiceberg"]
            .as_str()
            .unwrap()
            .contains(&format!("{}/iceberg", d.base)),
        "{seen}"
    );
    assert_eq!(seen["download_rows"], 3, "the header and two rows");
    assert_eq!(seen["uncleared_status"], 404);
    assert_eq!(seen["missing_status"], 404);
    assert_eq!(
        seen["uncleared_text"], seen["missing_text"],
        "nothing leaks"
    );
    assert_eq!(seen["csrf_less_status"], 403);
    assert_eq!(
        seen["still_signed_in"], true,
        "the refused post did nothing"
    );
    assert_eq!(seen["engineer_states"], json!(["published", "published"]));
    assert_eq!(seen["audit_intact"], true);
    for page in [
        "sign-in",
        "review-queue",
        "file-evidence",
        "file-released",
        "acquisition",
        "search",
        "dataset",
        "not-found",
        "deliveries",
        "delivery",
        "users",
        "engines",
        "zones",
        "audit",
    ] {
        let png = std::fs::metadata(format!("{SCREENSHOTS}/{page}.png")).unwrap();
        assert!(png.len() > 1000, "{page}.png is a real picture");
    }
    // Every read through the pages is audited, as through the API.
    let (_, events) = d.get(&admin, "/v1/audit?limit=1000").await;
    let actions: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for action in [
        "ui.sign_in",
        "catalog.search",
        "dataset.read",
        "file.review",
        "evidence.export",
        "ui.sign_out",
    ] {
        assert!(actions.contains(&action), "{action} in {actions:?}");
    }
}

/// `oidc-provider-mock` on a loopback port, with one reviewer.
struct Provider {
    child: Child,
    issuer: String,
}

impl Provider {
    fn start() -> Provider {
        let port = free_port();
        let child = Command::new(browser_python())
            .args(["-m", "oidc_provider_mock", "--port", &port.to_string()])
            .args(["--user-claims", r#"{"sub": "rosa", "roles": ["reviewer"]}"#])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let issuer = format!("http://127.0.0.1:{port}");
        wait_until("the OIDC provider", Duration::from_secs(60), || {
            std::net::TcpStream::connect(("127.0.0.1", port)).ok()
        });
        Provider { child, issuer }
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn a_reviewer_signs_in_through_the_identity_provider_in_chromium() {
    let provider = Provider::start();
    let clamd = Clamd::start();
    let listen = format!("127.0.0.1:{}", free_port());
    // The provider's token endpoint wants a confidential client.
    let secrets = tempfile::tempdir().unwrap();
    let secret = secrets.path().join("client-secret");
    std::fs::write(&secret, "not-a-real-secret\n").unwrap();
    let oidc = format!(
        r#"
[oidc]
issuer = "{issuer}"
audience = "airlock"
jwks_url = "{issuer}/jwks"

[oidc.sign_in]
redirect_url = "http://{listen}/ui/oidc/callback"
client_secret_file = "{secret}"
"#,
        issuer = provider.issuer,
        secret = secret.display()
    );
    let d = Daemon::start_on(&clamd.addr(), &listen, &oidc);
    let seen = browse("oidc", json!({"base": d.base, "subject": "rosa"}), &d);
    assert_eq!(seen["landed"], format!("{}/ui/reviews", d.base));
    assert_eq!(seen["header"], "oidc:rosa (reviewer)");
    // A forged callback (no sign-in started in this browser) is refused.
    assert_eq!(seen["forged_status"], 401);
    let (_, users) = d.get(&d.add_user("adam", "admin", &[]), "/v1/users").await;
    let names: Vec<&str> = users
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap())
        .collect();
    assert!(names.iter().any(|n| n.contains("rosa")), "{names:?}");
}
