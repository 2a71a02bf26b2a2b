//! The `airlock` client commands against the real daemon, as people and
//! scripts run them: the server and token from the environment, tables by
//! default, `--json` for scripts, and exit statuses that tell how it went.

mod support;

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

use support::*;

/// Runs `airlock ARGS…` as the holder of `token`, with its own cache
/// directory (where interrupted uploads are remembered).
fn airlock(d: &Daemon, token: &str, cache: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env("AIRLOCK_SERVER", &d.base)
        .env("AIRLOCK_TOKEN", token)
        .env("XDG_CACHE_HOME", cache)
        .output()
        .unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", stdout(out), stderr(out)))
}

#[tokio::test]
async fn an_engineer_submits_and_follows_files_and_a_reviewer_releases_one() {
    let (_clamd, d, acq) = setup("cli-survey", "sandbox", "OFFICIAL").await;
    let cache = tempfile::tempdir().unwrap();
    let files = tempfile::tempdir().unwrap();
    let clean = files.path().join("regions.csv");
    std::fs::write(&clean, "region,households\nnorth,120\nsouth,95\n").unwrap();
    let personal = files.path().join("contacts.csv");
    std::fs::write(&personal, "id,email\n1,ada@example.org\n2,bo@example.org\n").unwrap();
    let infected = files.path().join("notes.txt.csv");
    std::fs::write(&infected, eicar()).unwrap();

    // A clean file publishes: exit 0, and the JSON names its state.
    let out = airlock(
        &d,
        &d.engineer,
        cache.path(),
        &["submit", &acq, clean.to_str().unwrap(), "--wait", "--json"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let submitted = json(&out);
    assert_eq!(submitted[0]["state"], "published", "{submitted}");
    let clean_id = submitted[0]["id"].as_str().unwrap().to_owned();
    assert!(
        stderr(&out).contains("published as cli-survey"),
        "{}",
        stderr(&out)
    );

    // Undeclared personal data waits for a reviewer (exit 3); an infected
    // file is rejected (exit 2). Several files in one run: the worst wins.
    let out = airlock(
        &d,
        &d.engineer,
        cache.path(),
        &[
            "submit",
            &acq,
            personal.to_str().unwrap(),
            infected.to_str().unwrap(),
            "--wait",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let table = stdout(&out);
    assert!(table.starts_with("FILE"), "{table}");
    let held_line = table.lines().find(|l| l.contains("contacts.csv")).unwrap();
    assert!(held_line.contains("awaiting_review"), "{table}");
    let rejected_line = table.lines().find(|l| l.contains("notes.txt.csv")).unwrap();
    assert!(rejected_line.contains("rejected"), "{table}");
    let held_id = held_line.split_whitespace().nth(1).unwrap().to_owned();

    // Status, as a table and as JSON.
    let out = airlock(&d, &d.engineer, cache.path(), &["status", &clean_id]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("state       published"),
        "{}",
        stdout(&out)
    );
    assert!(stdout(&out).contains("clamav"), "{}", stdout(&out));
    let out = airlock(
        &d,
        &d.engineer,
        cache.path(),
        &["status", &held_id, "--json"],
    );
    assert_eq!(json(&out)["state"], "awaiting_review");

    // The reviewer's queue shows the held file; a release publishes it.
    let out = airlock(&d, &d.reviewer, cache.path(), &["review"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("Files held for review (1)"),
        "{}",
        stdout(&out)
    );
    assert!(stdout(&out).contains(&held_id), "{}", stdout(&out));
    let release = [
        "review",
        "file",
        &held_id,
        "approve",
        "--reason",
        "declared late",
    ];
    let out = airlock(&d, &d.reviewer, cache.path(), &release);
    assert!(out.status.success(), "{}", stderr(&out));
    d.wait_for(&held_id, &["published"]).await;
    // Four eyes: the engineer cannot release their own file.
    let out = airlock(&d, &d.engineer, cache.path(), &release);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("403"), "{}", stderr(&out));
}

#[tokio::test]
async fn analysts_search_and_read_datasets_and_errors_exit_non_zero() {
    let (_clamd, d, acq) = setup("cli-households", "sandbox", "OFFICIAL").await;
    d.deliver(
        &acq,
        "households.csv",
        b"region,households\nnorth,120\nsouth,95\n".to_vec(),
    )
    .await;
    let cache = tempfile::tempdir().unwrap();

    let out = airlock(&d, &d.analyst, cache.path(), &["search", "households"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let table = stdout(&out);
    assert!(table.starts_with("ID"), "{table}");
    assert!(table.contains("cli-households"), "{table}");
    let out = airlock(
        &d,
        &d.analyst,
        cache.path(),
        &["search", "households", "--json"],
    );
    let dataset_id = json(&out)["datasets"][0]["id"].as_str().unwrap().to_owned();

    let out = airlock(
        &d,
        &d.analyst,
        cache.path(),
        &["datasets", "show", &dataset_id],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let shown = stdout(&out);
    for expected in [
        "cli-households",
        "VERSION",
        "households",
        "int64",
        "north",
        "south",
    ] {
        assert!(shown.contains(expected), "{expected}: {shown}");
    }
    // A dataset outside the caller's zones does not exist for them.
    let out = airlock(
        &d,
        &d.corporate_analyst,
        cache.path(),
        &["datasets", "show", &dataset_id],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("404, not_found"), "{}", stderr(&out));

    // Bad input and bad credentials: a clear message, exit 1.
    let out = airlock(&d, "alk_not-a-token", cache.path(), &["search", "x"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("401, unauthorized"),
        "{}",
        stderr(&out)
    );
    let out = airlock(&d, &d.analyst, cache.path(), &["search", "\"unclosed"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("invalid_query"), "{}", stderr(&out));
    let out = airlock(&d, &d.analyst, cache.path(), &["status", "../x"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("is not an id"), "{}", stderr(&out));
    let out = airlock(
        &d,
        &d.engineer,
        cache.path(),
        &["submit", &acq, "/no/such/file"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("/no/such/file"), "{}", stderr(&out));
}

#[tokio::test]
async fn a_rotated_token_replaces_the_old_one_at_once() {
    let (_clamd, d, _acq) = setup("cli-rotate", "sandbox", "OFFICIAL").await;
    let cache = tempfile::tempdir().unwrap();
    let token = d.add_user("tomas", "engineer", &["--expires-in-days", "30"]);
    let out = airlock(
        &d,
        &token,
        cache.path(),
        &["token", "rotate", "--expires-in-days", "7"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let rotated = stdout(&out).trim().to_owned();
    assert!(rotated.starts_with("alk_") && rotated != token);
    assert_eq!(d.get(&rotated, "/v1/zones").await.0, 200);
    let (status, body) = d.get(&token, "/v1/zones").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("token_revoked"))
    );

    // The operator's commands on the daemon's own catalog take effect on
    // the next request.
    let out = d.cli(&["user", "disable", "tomas"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let (status, body) = d.get(&rotated, "/v1/zones").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("user_disabled"))
    );
    assert!(d.cli(&["user", "enable", "tomas"]).status.success());
    assert_eq!(d.get(&rotated, "/v1/zones").await.0, 200);
    let out = d.cli(&["user", "revoke", "tomas"]);
    assert_eq!(stdout(&out).trim(), "revoked 1 tokens of tomas");
    assert_eq!(d.get(&rotated, "/v1/zones").await.0, 401);
    let out = d.cli(&["user", "token", "tomas", "--expires-in-days", "1"]);
    let fresh = stdout(&out).trim().to_owned();
    assert_eq!(d.get(&fresh, "/v1/zones").await.0, 200);
    let out = d.cli(&["user", "disable", "nobody"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("user nobody not found"),
        "{}",
        stderr(&out)
    );
}
