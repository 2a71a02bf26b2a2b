//! The client commands: `submit`, `status`, `review`, `search`,
//! `datasets show` and `token rotate`, which reach a running server
//! through its public API ([`airlock_client`]), never its catalog.
//!
//! The key decision is one output rule for all of them: a table for people
//! by default, the API's own JSON with `--json` for scripts, progress and
//! messages on stderr, and an exit status that says how it went (0 done,
//! 1 an error, 2 a file rejected, 3 a file waiting for someone else).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::Value;

use airlock_client::upload::Upload;
use airlock_client::{Client, Outcome};

use crate::table::{Table, cell, fields};

/// Exit status of a `--wait` that ended rejected.
const EXIT_REJECTED: u8 = 2;
/// Exit status of a `--wait` that ended held or waiting for review.
const EXIT_STOPPED: u8 = 3;

/// Where the server is, and how to answer.
#[derive(Args)]
pub struct Remote {
    /// The server's address.
    #[arg(long, env = "AIRLOCK_SERVER", default_value = "http://127.0.0.1:8080")]
    server: String,
    /// A bearer token (`airlock user add` prints one).
    #[arg(long, env = "AIRLOCK_TOKEN", hide_env_values = true)]
    token: String,
    /// Print the API's JSON instead of tables.
    #[arg(long)]
    json: bool,
}

impl Remote {
    fn client(&self) -> anyhow::Result<Client> {
        Ok(Client::new(&self.server, &self.token)?)
    }

    /// Prints an answer: its JSON, or what `human` makes of it.
    fn print(&self, answer: &Value, human: impl FnOnce(&Value) -> String) {
        if self.json {
            println!("{answer:#}");
        } else {
            print!("{}", human(answer));
        }
    }
}

#[derive(Args)]
pub struct Submit {
    #[command(flatten)]
    remote: Remote,
    /// The approved acquisition the files belong to (its id).
    acquisition: String,
    /// The files to deliver.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// The format the files are in, when their names do not say
    /// (csv, tsv, json, ndjson, avro, parquet, xlsx).
    #[arg(long)]
    format: Option<String>,
    /// Follow each file to its final state; exits 2 if one is rejected,
    /// 3 if one is held or waits for review.
    #[arg(long)]
    wait: bool,
    /// Bytes per request, in MiB (1-64): what a broken connection costs.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    chunk_mib: u16,
}

#[derive(Subcommand)]
pub enum ReviewCommand {
    /// Decides a file that policy held for review.
    File(Decision),
    /// Decides an acquisition waiting for approval.
    Acquisition(Decision),
}

#[derive(Args)]
pub struct Decision {
    id: String,
    /// approve or reject.
    #[arg(value_parser = ["approve", "reject"])]
    decision: String,
    /// Why: kept with the decision and audited.
    #[arg(long)]
    reason: String,
}

#[derive(Subcommand)]
pub enum DatasetsCommand {
    /// A dataset: versions, schema changes, column statistics, lineage.
    Show {
        #[command(flatten)]
        remote: Remote,
        id: String,
    },
}

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Replaces your token with a new one, printed once; the old one
    /// stops working at once.
    Rotate {
        #[command(flatten)]
        remote: Remote,
        /// The new token expires after this many days (1-3650).
        #[arg(long)]
        expires_in_days: Option<u32>,
    },
}

/// Where interrupted uploads are remembered: the user's cache directory.
fn state_dir() -> anyhow::Result<PathBuf> {
    let cache = match std::env::var_os("XDG_CACHE_HOME").filter(|v| !v.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(std::env::var_os("HOME").context("HOME is not set")?).join(".cache"),
    };
    Ok(cache.join("airlock").join("uploads"))
}

pub async fn submit(args: Submit) -> anyhow::Result<ExitCode> {
    let client = args.remote.client()?;
    let state_dir = state_dir()?;
    let mut worst = Outcome::Published;
    let mut delivered = Vec::new();
    for file in &args.files {
        let upload = Upload {
            acquisition_id: &args.acquisition,
            file,
            name: None,
            format: args.format.as_deref(),
            state_dir: &state_dir,
            chunk_bytes: usize::from(args.chunk_mib) << 20,
        };
        let bar = ProgressBar::new(0).with_style(
            ProgressStyle::with_template(
                "{msg} [{bar:30}] {bytes}/{total_bytes} {binary_bytes_per_sec} ETA {eta}",
            )?
            .progress_chars("=> "),
        );
        bar.set_message(file.display().to_string());
        let done = client
            .upload(&upload, |sent, total| {
                bar.set_length(total);
                bar.set_position(sent);
                std::ops::ControlFlow::Continue(())
            })
            .await
            .with_context(|| format!("uploading {}", file.display()));
        bar.finish_and_clear();
        let done = done?;
        let resumed = match done.resumed_from {
            0 => String::new(),
            at => format!(" (resumed at byte {at})"),
        };
        eprintln!("{}: delivered as {}{resumed}", file.display(), done.file_id);
        let mut record =
            serde_json::json!({"file": file.display().to_string(), "id": done.file_id});
        if args.wait {
            let (outcome, final_record) = follow(&client, &done.file_id, file).await?;
            worst = worse(worst, outcome);
            record["state"] = final_record["state"].clone();
            record["reason"] = final_record["reason"].clone();
        }
        delivered.push(record);
    }
    let answer = Value::Array(delivered);
    args.remote.print(&answer, |list| {
        let mut t = Table::new(&["file", "id", "state", "reason"]);
        for r in list.as_array().into_iter().flatten() {
            t.row(vec![
                cell(&r["file"]),
                cell(&r["id"]),
                cell(&r["state"]),
                cell(&r["reason"]),
            ]);
        }
        t.render()
    });
    Ok(ExitCode::from(match worst {
        Outcome::Published => 0,
        Outcome::Rejected => EXIT_REJECTED,
        Outcome::Stopped => EXIT_STOPPED,
    }))
}

/// Of two files' outcomes, the one a run's exit status reports: a
/// rejection is final and outranks a file still waiting for someone.
fn worse(a: Outcome, b: Outcome) -> Outcome {
    let rank = |o: &Outcome| match o {
        Outcome::Published => 0,
        Outcome::Stopped => 1,
        Outcome::Rejected => 2,
    };
    if rank(&b) > rank(&a) { b } else { a }
}

/// Follows one file, a spinner per stage: each finished stage stays on
/// screen with a tick, the last with what it came to.
async fn follow(
    client: &Client,
    id: &str,
    file: &std::path::Path,
) -> anyhow::Result<(Outcome, Value)> {
    let style = ProgressStyle::with_template("{spinner} {msg} {elapsed}")?;
    let mut spinner: Option<ProgressBar> = None;
    let name = file.display().to_string();
    let (outcome, record) = client
        .follow(id, Duration::from_millis(250), |state, _| {
            if let Some(done) = spinner.take() {
                done.finish_with_message(format!("{} ✓", done.message()));
            }
            let s = ProgressBar::new_spinner().with_style(style.clone());
            s.enable_steady_tick(Duration::from_millis(120));
            s.set_message(format!("{name}: {state}"));
            spinner = Some(s);
        })
        .await?;
    if let Some(s) = spinner.take() {
        s.finish_and_clear();
    }
    let why = cell(&record["reason"]);
    match outcome {
        Outcome::Published => {
            let datasets: Vec<String> = record["datasets"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|d| format!("{} v{}", cell(&d["name"]), cell(&d["version"])))
                .collect();
            eprintln!("{name}: published as {}", datasets.join(", "));
        }
        Outcome::Rejected => eprintln!("{name}: rejected: {why}"),
        Outcome::Stopped if why.is_empty() => eprintln!("{name}: {}", cell(&record["state"])),
        Outcome::Stopped => eprintln!("{name}: {}: {why}", cell(&record["state"])),
    }
    Ok((outcome, record))
}

pub async fn status(remote: Remote, id: String) -> anyhow::Result<ExitCode> {
    let file = remote.client()?.file(&id).await?;
    remote.print(&file, |f| {
        let mut out = fields(
            f,
            &[
                "id",
                "filename",
                "state",
                "reason",
                "error",
                "size_bytes",
                "sha256",
                "channel",
                "created_at",
                "updated_at",
            ],
        );
        let mut verdicts = Table::new(&["engine", "verdict", "detail"]);
        for v in f["verdicts"].as_array().into_iter().flatten() {
            verdicts.row(vec![
                cell(&v["engine"]),
                cell(&v["verdict"]),
                cell(&v["detail"]),
            ]);
        }
        if !verdicts.is_empty() {
            out.push('\n');
            out.push_str(&verdicts.render());
        }
        out
    });
    Ok(ExitCode::SUCCESS)
}

pub async fn review(remote: Remote, command: Option<ReviewCommand>) -> anyhow::Result<ExitCode> {
    let client = remote.client()?;
    let answer = match &command {
        None => client.reviews().await?,
        Some(ReviewCommand::File(d)) => client.review_file(&d.id, &d.decision, &d.reason).await?,
        Some(ReviewCommand::Acquisition(d)) => {
            client
                .review_acquisition(&d.id, &d.decision, &d.reason)
                .await?
        }
    };
    remote.print(&answer, |a| match command {
        None => queue(a),
        Some(_) => fields(a, &["id", "name", "filename", "state", "reason"]),
    });
    Ok(ExitCode::SUCCESS)
}

/// The review queue as three tables.
fn queue(q: &Value) -> String {
    let mut out = String::new();
    let mut section = |title: &str, header: &[&str], rows: Vec<Vec<String>>| {
        out.push_str(&format!("{title} ({})\n", rows.len()));
        let mut t = Table::new(header);
        rows.into_iter().for_each(|r| t.row(r));
        if !t.is_empty() {
            out.push_str(&t.render());
        }
        out.push('\n');
    };
    let items = |k: &str| q[k].as_array().cloned().unwrap_or_default();
    section(
        "Acquisitions waiting for approval",
        &["id", "name", "zone", "classification", "created"],
        items("acquisitions")
            .iter()
            .map(|a| {
                let row = ["id", "name", "target_zone", "classification", "created_at"];
                row.iter().map(|k| cell(&a[*k])).collect()
            })
            .collect(),
    );
    section(
        "Files held for review",
        &["id", "file", "acquisition", "submitted by", "held since"],
        items("files")
            .iter()
            .map(|f| {
                vec![
                    cell(&f["id"]),
                    cell(&f["filename"]),
                    cell(&f["acquisition"]["name"]),
                    cell(&f["submitted_by"]["name"]),
                    cell(&f["held_at"]),
                ]
            })
            .collect(),
    );
    section(
        "Transfers waiting for release",
        &["id", "dataset", "from", "to", "state"],
        items("transfers")
            .iter()
            .map(|t| {
                let row = ["id", "dataset_id", "from_zone", "to_zone", "state"];
                row.iter().map(|k| cell(&t[*k])).collect()
            })
            .collect(),
    );
    out
}

pub async fn search(remote: Remote, query: String, limit: u32) -> anyhow::Result<ExitCode> {
    let page = remote.client()?.search(&query, limit).await?;
    remote.print(&page, |p| {
        let mut t = Table::new(&[
            "id",
            "name",
            "zone",
            "classification",
            "tags",
            "description",
        ]);
        for d in p["datasets"].as_array().into_iter().flatten() {
            let row = [
                "id",
                "name",
                "zone",
                "classification",
                "tags",
                "description",
            ];
            t.row(row.iter().map(|k| cell(&d[*k])).collect());
        }
        if t.is_empty() {
            "no datasets match\n".into()
        } else {
            t.render()
        }
    });
    Ok(ExitCode::SUCCESS)
}

pub async fn datasets(command: DatasetsCommand) -> anyhow::Result<ExitCode> {
    let DatasetsCommand::Show { remote, id } = command;
    let dataset = remote.client()?.dataset(&id).await?;
    remote.print(&dataset, |d| {
        let mut out = fields(
            d,
            &[
                "id",
                "name",
                "zone",
                "classification",
                "tags",
                "description",
            ],
        );
        let mut versions = Table::new(&["version", "rows", "bytes", "published", "changes"]);
        for v in d["versions"].as_array().into_iter().flatten() {
            let changes: Vec<String> = v["changes"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|c| format!("{} {}", cell(&c["change"]), cell(&c["column"])))
                .collect();
            versions.row(vec![
                cell(&v["version"]),
                cell(&v["rows"]),
                cell(&v["size_bytes"]),
                cell(&v["created_at"]),
                changes.join(", "),
            ]);
        }
        out.push('\n');
        out.push_str(&versions.render());
        let mut columns = Table::new(&["column", "type", "nulls", "distinct", "min", "max"]);
        for c in d["columns"].as_array().into_iter().flatten() {
            let s = &c["statistics"];
            let distinct = match (&s["distinct_count"], &s["distinct_estimate"]) {
                (Value::Null, Value::Null) => String::new(),
                (Value::Null, estimate) => format!("~{}", cell(estimate)),
                (exact, _) => cell(exact),
            };
            columns.row(vec![
                cell(&c["name"]),
                cell(&c["type"]),
                cell(&s["null_count"]),
                distinct,
                cell(&s["min"]),
                cell(&s["max"]),
            ]);
        }
        out.push('\n');
        out.push_str(&columns.render());
        out
    });
    Ok(ExitCode::SUCCESS)
}

pub async fn token(command: TokenCommand) -> anyhow::Result<ExitCode> {
    let TokenCommand::Rotate {
        remote,
        expires_in_days,
    } = command;
    let mut client = remote.client()?;
    let token = client.rotate_token(expires_in_days).await?;
    eprintln!("the old token is revoked; the new one is shown once:");
    println!("{token}");
    Ok(ExitCode::SUCCESS)
}
