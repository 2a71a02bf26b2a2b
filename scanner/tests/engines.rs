//! One conformance suite, plain async fns over an `Arc<dyn Engine>`, run by
//! every engine: `yara` in-process and `clamav` against the real clamd that
//! the README's test command starts (`AIRLOCK_TEST_CLAMD`).
//!
//! Samples are built at run time from parts; no live sample is committed.

use std::sync::Arc;
use std::time::Duration;

use airlock_scanner::*;

/// The EICAR test file, assembled at run time.
pub fn eicar() -> Vec<u8> {
    let parts = [
        "X5O!P%@AP[4\\PZX54(P^)7CC)7}$",
        "EICAR-STANDARD-",
        "ANTIVIRUS-TEST-FILE!$H+H*",
    ];
    parts.concat().into_bytes()
}

async fn scan_one(engine: Arc<dyn Engine>, data: Vec<u8>) -> EngineReport {
    let scanner = Scanner::new(vec![engine], Duration::from_secs(60));
    let report = scanner.scan(std::io::Cursor::new(data)).await;
    assert_eq!(report.reports.len(), 1);
    report.reports.into_iter().next().unwrap()
}

fn assert_infected(r: &EngineReport, what: &str) {
    assert!(
        matches!(r.verdict, Verdict::Infected { .. }),
        "{} on {what}: {:?}",
        r.engine,
        r.verdict
    );
}

/// Builds an engine that must flag `bad`: content engines find their
/// signatures by themselves; a hash list is given the samples' hashes.
type Make = fn(&[&[u8]]) -> Arc<dyn Engine>;

pub async fn finds_eicar(make: Make) {
    let sample = eicar();
    let r = scan_one(make(&[&sample]), sample.clone()).await;
    assert_infected(&r, "EICAR");
    assert!(!r.engine_version.is_empty() && r.engine_version != "unknown");
}

pub async fn passes_a_clean_csv(make: Make) {
    let csv = b"id,name,score\n1,alice,3.5\n2,bob,4.0\n".to_vec();
    let r = scan_one(make(&[&eicar()]), csv).await;
    assert_eq!(r.verdict, Verdict::Clean, "{}", r.engine);
}

pub async fn passes_an_empty_file(make: Make) {
    let r = scan_one(make(&[&eicar()]), Vec::new()).await;
    assert_eq!(r.verdict, Verdict::Clean, "{}", r.engine);
}

/// The marker straddles the scanner's 1 MiB chunk edge.
pub async fn finds_eicar_across_a_chunk_edge(make: Make) {
    let mut data = vec![b'a'; (1 << 20) - 30];
    data.extend_from_slice(&eicar());
    data.extend(std::iter::repeat_n(b'z', 1 << 20));
    let r = scan_one(make(&[&data]), data.clone()).await;
    assert_infected(&r, "EICAR across a chunk edge");
}

/// Several MiB of clean data then the marker: the engine reads it all.
pub async fn finds_eicar_at_the_end_of_a_large_stream(make: Make) {
    let mut data = vec![b'x'; 8 << 20];
    data.extend_from_slice(&eicar());
    let r = scan_one(make(&[&data]), data.clone()).await;
    assert_infected(&r, "EICAR after 8 MiB");
}

macro_rules! conformance {
    ($engine:ident, $make:expr) => {
        mod $engine {
            use super::*;
            conformance!(@each $make; finds_eicar, passes_a_clean_csv, passes_an_empty_file,
                finds_eicar_across_a_chunk_edge, finds_eicar_at_the_end_of_a_large_stream);
        }
    };
    (@each $make:expr; $($case:ident),+) => {
        $(
            #[tokio::test]
            async fn $case() {
                super::$case($make).await;
            }
        )+
    };
}

fn yara(_: &[&[u8]]) -> Arc<dyn Engine> {
    Arc::new(Yara::new(&[]).expect("the shipped rules compile"))
}

fn clamav(_: &[&[u8]]) -> Arc<dyn Engine> {
    let addr = std::env::var("AIRLOCK_TEST_CLAMD").expect(
        "AIRLOCK_TEST_CLAMD is not set: run the tests with scripts/test.sh, which starts clamd",
    );
    Arc::new(ClamAv::new(addr.parse().unwrap(), Duration::from_secs(5)))
}

fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(data))
}

/// A hash list naming `bad`, in a directory kept for the test's lifetime.
fn hashlist(bad: &[&[u8]]) -> Arc<dyn Engine> {
    let dir = tempfile::tempdir().unwrap().keep();
    let list = dir.join("blocklist.sha256");
    let lines: Vec<String> = bad
        .iter()
        .map(|b| format!("{}  sample.bin", sha256_hex(b)))
        .collect();
    std::fs::write(&list, format!("# test samples\n{}\n", lines.join("\n"))).unwrap();
    Arc::new(HashList::new(vec![list]).unwrap())
}

conformance!(yara_engine, yara);
conformance!(clamav_engine, clamav);
conformance!(hashlist_engine, hashlist);

#[tokio::test]
async fn hash_lists_reload_when_they_change_and_keep_the_old_set_on_errors() {
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("list.txt");
    std::fs::write(&list, format!("{}\n", sha256_hex(b"first"))).unwrap();
    let engine: Arc<dyn Engine> = Arc::new(HashList::new(vec![list.clone()]).unwrap());
    assert_infected(&scan_one(engine.clone(), b"first".to_vec()).await, "listed");
    assert_eq!(
        scan_one(engine.clone(), b"second".to_vec()).await.verdict,
        Verdict::Clean
    );

    std::fs::write(
        &list,
        format!("{}\n{}\n", sha256_hex(b"first"), sha256_hex(b"second")),
    )
    .unwrap();
    let r = scan_one(engine.clone(), b"second".to_vec()).await;
    assert_infected(&r, "a hash added after start");
    assert!(
        r.db_version.as_deref().unwrap().starts_with("hashes-2-"),
        "{r:?}"
    );

    std::fs::write(&list, "not-a-hash\n").unwrap();
    assert_infected(
        &scan_one(engine.clone(), b"second".to_vec()).await,
        "after a broken reload",
    );
}

#[test]
fn a_malformed_hash_list_is_refused_naming_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("list.txt");
    std::fs::write(&list, format!("# ok\n{}\nabc123\n", sha256_hex(b"x"))).unwrap();
    let Err(err) = HashList::new(vec![list]) else {
        panic!("a malformed list loaded")
    };
    assert!(err.to_string().contains("list.txt:3"), "{err}");
}

#[tokio::test]
async fn an_unreachable_clamd_is_an_error_and_holds_the_file() {
    // Port 1 on loopback: nothing listens there.
    let down: Arc<dyn Engine> = Arc::new(ClamAv::new(
        "tcp://127.0.0.1:1".parse().unwrap(),
        Duration::from_secs(2),
    ));
    let scanner = Scanner::new(vec![down, yara(&[])], Duration::from_secs(60));
    let report = scanner
        .scan(std::io::Cursor::new(b"a,b\n1,2\n".to_vec()))
        .await;
    assert!(matches!(report.reports[0].verdict, Verdict::Error { .. }));
    assert_eq!(report.reports[1].verdict, Verdict::Clean);
    assert!(matches!(report.decision(), Decision::Unavailable(_)));
}

#[tokio::test]
async fn shipped_rules_catch_real_world_payloads() {
    let cases: [(&str, &[u8]); 3] = [
        (
            "Embedded_Windows_Executable",
            b"MZ\x90\x00....This program cannot be run in DOS mode.\r\r\n$",
        ),
        (
            "PowerShell_Encoded_Download_Cradle",
            b"cmd,powershell.exe -NoP -W Hidden -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcAZQBiAEMAbABpAGUAbgB0ACkA\n",
        ),
        (
            "PHP_Webshell_Eval",
            b"<?php @eval(base64_decode($_POST['x'])); ?>",
        ),
    ];
    for (rule, sample) in cases {
        let r = scan_one(yara(&[]), sample.to_vec()).await;
        assert_eq!(
            r.verdict,
            Verdict::Infected {
                signature: rule.into()
            }
        );
    }
}

#[tokio::test]
async fn a_stalled_engine_times_out_and_never_passes() {
    struct Stalled;
    #[async_trait::async_trait]
    impl Engine for Stalled {
        fn name(&self) -> &'static str {
            "stalled"
        }
        async fn scan(&self, _input: Chunks) -> EngineReport {
            std::future::pending().await
        }
    }
    let scanner = Scanner::new(
        vec![Arc::new(Stalled), yara(&[])],
        Duration::from_millis(300),
    );
    let report = scanner
        .scan(std::io::Cursor::new(vec![b'x'; 3 << 20]))
        .await;
    assert_eq!(report.reports[0].verdict, Verdict::Timeout);
    assert_eq!(report.reports[1].verdict, Verdict::Clean);
    assert!(matches!(report.decision(), Decision::Unavailable(_)));
}
