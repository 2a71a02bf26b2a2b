//! One conformance suite, plain async fns over an `Arc<dyn Engine>`, run by
//! every engine: `yara` in-process and `clamav` against the real clamd that
//! the README's test command starts (`AIRLOCK_TEST_CLAMD`).
//!
//! Samples are built at run time from parts; no live sample is committed.

use std::sync::Arc;
use std::time::Duration;

use airlock_scanner::*;

#[path = "engines/archives.rs"]
mod archives;
#[path = "../../tests/support/clamd.rs"]
mod clamd;
use archives::{gzip, member_verdict, nested_zip, scan_with, tar, zip};

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
    scan_named(engine, "sample.csv", data).await
}

async fn scan_named(engine: Arc<dyn Engine>, filename: &str, data: Vec<u8>) -> EngineReport {
    let scanner = Scanner::new(vec![engine], Duration::from_secs(60));
    let ctx = ScanContext {
        filename: filename.into(),
        declared_format: None,
        allow: Allowances::default(),
    };
    let report = scanner.scan(&ctx, std::io::Cursor::new(data)).await;
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

/// Builds an engine that must flag the samples with these SHA-256s: content
/// engines find their signatures by themselves; a hash list is given them.
type Make = fn(&[[u8; 32]]) -> Arc<dyn Engine>;

fn sha(data: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(data).into()
}

pub async fn finds_eicar(make: Make) {
    let sample = eicar();
    let r = scan_one(make(&[sha(&sample)]), sample.clone()).await;
    assert_infected(&r, "EICAR");
    assert!(!r.engine_version.is_empty() && r.engine_version != "unknown");
}

pub async fn passes_a_clean_csv(make: Make) {
    let csv = b"id,name,score\n1,alice,3.5\n2,bob,4.0\n".to_vec();
    let r = scan_one(make(&[sha(&eicar())]), csv).await;
    assert_eq!(r.verdict, Verdict::Clean, "{}", r.engine);
}

pub async fn passes_an_empty_file(make: Make) {
    let r = scan_one(make(&[sha(&eicar())]), Vec::new()).await;
    assert_eq!(r.verdict, Verdict::Clean, "{}", r.engine);
}

/// The marker straddles the scanner's 1 MiB chunk edge.
pub async fn finds_eicar_across_a_chunk_edge(make: Make) {
    let mut data = vec![b'a'; (1 << 20) - 30];
    data.extend_from_slice(&eicar());
    data.extend(std::iter::repeat_n(b'z', 1 << 20));
    let r = scan_one(make(&[sha(&data)]), data.clone()).await;
    assert_infected(&r, "EICAR across a chunk edge");
}

/// Several MiB of clean data then the marker: the engine reads it all.
pub async fn finds_eicar_at_the_end_of_a_large_stream(make: Make) {
    let mut data = vec![b'x'; 8 << 20];
    data.extend_from_slice(&eicar());
    let r = scan_one(make(&[sha(&data)]), data.clone()).await;
    assert_infected(&r, "EICAR after 8 MiB");
}

/// EICAR inside a zip, a gzip, a tar.gz and a zip nested three deep: the
/// archive layer hands each member to the engine as a stream of its own.
pub async fn finds_eicar_inside_archives(make: Make) {
    let sample = eicar();
    let cases = [
        (
            "eicar.zip",
            zip(&[("readme.txt", &b"hi\n"[..]), ("eicar.com", &sample)]),
            "eicar.com",
        ),
        ("eicar.com.gz", gzip(&sample), "eicar.com"),
        (
            "eicar.tar.gz",
            gzip(&tar(&[("dir/eicar.com", b'0', &sample, "")])),
            "eicar.tar!/dir/eicar.com",
        ),
        (
            "nested.zip",
            nested_zip(3, "eicar.com", &sample),
            "level2.zip!/level3.zip!/eicar.com",
        ),
    ];
    for (name, data, path) in cases {
        let engine = make(&[sha(&sample)]);
        let engine_name = engine.name();
        let report = scan_with(vec![engine], Budgets::default(), name, data).await;
        assert!(
            matches!(
                member_verdict(&report, path, engine_name),
                Verdict::Infected { .. }
            ),
            "{engine_name} on {name}!/{path}: {report:#?}"
        );
        assert!(matches!(
            report.decision(Quorum::All),
            Decision::Infected(_)
        ));
    }
}

/// A stream generated on the fly, never held whole: `len` bytes of CSV-like
/// filler with `marker` written at `marker_at`.
struct Generated {
    len: u64,
    pos: u64,
    marker_at: u64,
    marker: Vec<u8>,
}

impl Generated {
    fn new(len: u64, marker_at: u64, marker: Vec<u8>) -> Self {
        Self {
            len,
            pos: 0,
            marker_at,
            marker,
        }
    }

    fn fill(&mut self, buf: &mut [u8]) -> usize {
        const LINE: &[u8; 64] =
            b"0123456789,abcdef,0123456789,abcdef,0123456789,abcdef,012345678\n";
        let n = buf.len().min((self.len - self.pos) as usize);
        let mut i = 0;
        while i < n {
            let at = self.pos + i as u64;
            let off = (at % 64) as usize;
            let take = (64 - off).min(n - i);
            buf[i..i + take].copy_from_slice(&LINE[off..off + take]);
            i += take;
        }
        // Overlay the part of the marker that falls in this buffer.
        let (start, end) = (self.pos, self.pos + n as u64);
        let (m0, m1) = (self.marker_at, self.marker_at + self.marker.len() as u64);
        if m0 < end && m1 > start {
            let from = m0.max(start);
            let to = m1.min(end);
            buf[(from - start) as usize..(to - start) as usize]
                .copy_from_slice(&self.marker[(from - m0) as usize..(to - m0) as usize]);
        }
        self.pos += n as u64;
        n
    }
}

impl tokio::io::AsyncRead for Generated {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let n = self.fill(buf.initialize_unfilled());
        buf.advance(n);
        std::task::Poll::Ready(Ok(()))
    }
}

/// Over libclamav's 2 GiB cap, with the marker 1 MiB before the end.
const HUGE: u64 = (2 << 30) + (64 << 20);

fn huge() -> Generated {
    Generated::new(HUGE, HUGE - (1 << 20), eicar())
}

/// More than 2 GiB, generated as it is read, with the marker near the end:
/// the engine must read it all, in bounded memory.
pub async fn finds_eicar_near_the_end_of_a_stream_over_2_gib(make: Make) {
    let mut hasher = <sha2::Sha256 as sha2::Digest>::new();
    let mut g = huge();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = g.fill(&mut buf);
        if n == 0 {
            break;
        }
        sha2::Digest::update(&mut hasher, &buf[..n]);
    }
    let digest: [u8; 32] = sha2::Digest::finalize(hasher).into();
    let scanner = Scanner::new(vec![make(&[digest])], Duration::from_secs(600));
    let ctx = ScanContext {
        filename: "huge.csv".into(),
        declared_format: None,
        allow: Allowances::default(),
    };
    let report = scanner.scan(&ctx, huge()).await;
    assert_eq!(report.size_bytes, HUGE);
    assert_infected(&report.reports[0], "EICAR near the end of 2 GiB+");
}

macro_rules! conformance {
    ($engine:ident, $make:expr) => {
        mod $engine {
            use super::*;
            conformance!(@each $make; finds_eicar, passes_a_clean_csv, passes_an_empty_file,
                finds_eicar_across_a_chunk_edge, finds_eicar_at_the_end_of_a_large_stream,
                finds_eicar_inside_archives, finds_eicar_near_the_end_of_a_stream_over_2_gib);
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

fn yara(_: &[[u8; 32]]) -> Arc<dyn Engine> {
    Arc::new(Yara::new(&[]).expect("the shipped rules compile"))
}

fn clamav(_: &[[u8; 32]]) -> Arc<dyn Engine> {
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
fn hashlist(bad: &[[u8; 32]]) -> Arc<dyn Engine> {
    let dir = tempfile::tempdir().unwrap().keep();
    let list = dir.join("blocklist.sha256");
    let lines: Vec<String> = bad
        .iter()
        .map(|h| format!("{}  sample.bin", hex::encode(h)))
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
        .scan(
            &ScanContext::default(),
            std::io::Cursor::new(b"a,b\n1,2\n".to_vec()),
        )
        .await;
    assert!(matches!(report.reports[0].verdict, Verdict::Error { .. }));
    assert_eq!(report.reports[1].verdict, Verdict::Clean);
    assert!(matches!(
        report.decision(Quorum::All),
        Decision::Unavailable(_)
    ));
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
        async fn scan(&self, _ctx: &ScanContext, _input: Chunks) -> EngineReport {
            std::future::pending().await
        }
    }
    let scanner = Scanner::new(
        vec![Arc::new(Stalled), yara(&[])],
        Duration::from_millis(300),
    );
    let report = scanner
        .scan(
            &ScanContext::default(),
            std::io::Cursor::new(vec![b'x'; 3 << 20]),
        )
        .await;
    assert_eq!(report.reports[0].verdict, Verdict::Timeout);
    assert_eq!(report.reports[1].verdict, Verdict::Clean);
    assert!(matches!(
        report.decision(Quorum::All),
        Decision::Unavailable(_)
    ));
}

fn filetype(_: &[[u8; 32]]) -> Arc<dyn Engine> {
    Arc::new(FileType::new())
}

/// One stored zip member (a local file header and its data).
fn zip_member(name: &str, data: &[u8], flags: u16) -> Vec<u8> {
    let mut m = b"PK\x03\x04".to_vec();
    for v in [20u16, flags, 0, 0, 0] {
        m.extend_from_slice(&v.to_le_bytes()); // version, flags, method, time, date
    }
    m.extend_from_slice(&0u32.to_le_bytes()); // crc (unchecked here)
    for _ in 0..2 {
        m.extend_from_slice(&(data.len() as u32).to_le_bytes());
    }
    m.extend_from_slice(&(name.len() as u16).to_le_bytes());
    m.extend_from_slice(&0u16.to_le_bytes());
    m.extend_from_slice(name.as_bytes());
    m.extend_from_slice(data);
    m
}

#[tokio::test]
async fn filetype_passes_clean_and_empty_csv() {
    passes_a_clean_csv(filetype).await;
    passes_an_empty_file(filetype).await;
}

#[tokio::test]
async fn filetype_refuses_what_a_delivery_must_not_carry() {
    let mut pe = b"MZ\x90\x00".to_vec();
    pe.resize(0x80, 0);
    pe.extend_from_slice(b"PE\0\0");
    let mut big_xlsm = zip_member("[Content_Types].xml", &vec![b'x'; (1 << 20) - 40], 0);
    big_xlsm.extend(zip_member("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0", 0));
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("data.csv", pe, "Executable (a Windows (PE) executable)"),
        (
            "data.csv",
            b"\x7fELF\x02\x01\x01\0\0\0".to_vec(),
            "Executable (an ELF executable)",
        ),
        ("run.csv", b"#!/bin/sh\ncurl x | sh\n".to_vec(), "Script"),
        (
            "book.xlsm",
            [
                zip_member("xl/workbook.xml", b"<x/>", 0),
                zip_member("xl/vbaProject.bin", b"\0", 0),
            ]
            .concat(),
            "Macro (xl/vbaProject.bin)",
        ),
        // The macro member's header straddles the scanner's 1 MiB chunk edge.
        ("big.xlsx", big_xlsm, "Macro (xl/vbaProject.bin)"),
        (
            "secret.zip",
            zip_member("data.csv", b"\x12\x34", 1),
            "Encrypted (data.csv)",
        ),
        (
            "report.csv",
            b"%PDF-1.7\n%\xe2\xe3\n".to_vec(),
            "Mismatch (.csv holds a PDF)",
        ),
        (
            "sheet.xlsx",
            b"id,name\n1,a\n".to_vec(),
            "Mismatch (.xlsx holds text)",
        ),
        // Zip headers inside a CSV make it binary, not a macro archive.
        (
            "odd.csv",
            [b"a,b\n".to_vec(), zip_member("vbaProject.bin", b"x", 1)].concat(),
            "Mismatch (.csv holds unrecognised binary data)",
        ),
    ];
    for (name, data, want) in cases {
        let r = scan_named(filetype(&[]), name, data).await;
        assert_eq!(
            r.verdict,
            Verdict::Infected {
                signature: format!("Airlock.FileType.{want}")
            },
            "{name}"
        );
    }
}

#[tokio::test]
async fn filetype_accepts_matching_content_and_explicit_allowances() {
    let xlsx = [
        zip_member("[Content_Types].xml", b"<Types/>", 0),
        zip_member("xl/workbook.xml", b"<workbook/>", 0),
    ]
    .concat();
    for (name, data) in [
        ("book.xlsx", xlsx),
        ("t.parquet", b"PAR1\x15\x04".to_vec()),
        ("unknown.bin", b"\x00\x01\x02".to_vec()),
        ("utf16.csv", b"\xff\xfea\0,\0b\0".to_vec()),
    ] {
        let r = scan_named(filetype(&[]), name, data).await;
        assert_eq!(r.verdict, Verdict::Clean, "{name}");
    }
    let scanner = Scanner::new(vec![filetype(&[])], Duration::from_secs(60));
    let ctx = ScanContext {
        filename: "tool.exe".into(),
        declared_format: None,
        allow: Allowances {
            executables: true,
            ..Allowances::default()
        },
    };
    let report = scanner
        .scan(&ctx, std::io::Cursor::new(b"MZ\x90\x00".to_vec()))
        .await;
    assert_eq!(report.reports[0].verdict, Verdict::Clean);
}

#[tokio::test]
async fn yara_rules_reload_on_change_and_a_broken_update_keeps_the_old_rules() {
    let dir = tempfile::tempdir().unwrap();
    let rule = |name: &str, marker: &str| {
        format!("rule {name} {{ strings: $m = \"{marker}\" condition: $m }}\n")
    };
    std::fs::write(
        dir.path().join("local.yar"),
        rule("Local_One", "AIRLOCK-MARKER-ONE"),
    )
    .unwrap();
    let engine: Arc<dyn Engine> = Arc::new(Yara::new(&[dir.path()]).unwrap());
    let one = b"id,x\n1,AIRLOCK-MARKER-ONE\n".to_vec();
    let two = b"id,x\n1,AIRLOCK-MARKER-TWO\n".to_vec();
    let before = scan_one(engine.clone(), one.clone()).await;
    assert_eq!(
        before.verdict,
        Verdict::Infected {
            signature: "Local_One".into()
        }
    );
    assert_eq!(
        scan_one(engine.clone(), two.clone()).await.verdict,
        Verdict::Clean
    );

    let both = rule("Local_One", "AIRLOCK-MARKER-ONE") + &rule("Local_Two", "AIRLOCK-MARKER-TWO");
    std::fs::write(dir.path().join("local.yar"), both).unwrap();
    let after = scan_one(engine.clone(), two.clone()).await;
    assert_eq!(
        after.verdict,
        Verdict::Infected {
            signature: "Local_Two".into()
        }
    );
    assert_ne!(
        after.db_version, before.db_version,
        "verdicts name the new rule set"
    );

    std::fs::write(dir.path().join("broken.yar"), "rule broken { condition: }").unwrap();
    let still = scan_one(engine.clone(), two).await;
    assert_eq!(
        still.verdict,
        Verdict::Infected {
            signature: "Local_Two".into()
        }
    );
    assert_eq!(still.db_version, after.db_version);
}

/// How the fault-injecting clamd misbehaves once INSTREAM starts.
#[derive(Clone, Copy)]
enum Fault {
    /// Reads everything and never answers.
    Stall,
    /// Reads this many bytes, then drops the connection.
    HangUpAfter(usize),
}

/// A stand-in for clamd that answers VERSION and then injects `fault`.
/// Only for faults: the real clamd runs the conformance suite above.
async fn faulty_clamd(fault: Fault) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = format!("tcp://{}", listener.local_addr().unwrap());
    // Once it has hung up it is dead: the listener closes.
    let dead = Arc::new(std::sync::atomic::AtomicBool::new(false));
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            if dead.load(std::sync::atomic::Ordering::SeqCst) {
                return;
            }
            let dead = dead.clone();
            tokio::spawn(async move {
                let mut command = Vec::new();
                let mut byte = [0u8; 1];
                while conn.read_exact(&mut byte).await.is_ok() && byte[0] != 0 {
                    command.push(byte[0]);
                }
                if command == b"zVERSION" {
                    let _ = conn.write_all(b"ClamAV 9.9.9/1/today\0").await;
                    return;
                }
                let mut buf = vec![0u8; 64 << 10];
                let mut seen = 0;
                loop {
                    match conn.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => seen += n,
                    }
                    if let Fault::HangUpAfter(limit) = fault
                        && seen >= limit
                    {
                        dead.store(true, std::sync::atomic::Ordering::SeqCst);
                        return; // drops the connection mid-stream
                    }
                }
                std::future::pending::<()>().await;
            });
        }
    });
    addr
}

#[tokio::test]
async fn a_clamd_that_dies_mid_stream_is_an_error_never_clean() {
    let addr = faulty_clamd(Fault::HangUpAfter(256 << 10)).await;
    let clamav: Arc<dyn Engine> =
        Arc::new(ClamAv::new(addr.parse().unwrap(), Duration::from_secs(5)));
    let r = scan_one(clamav, vec![b'x'; 8 << 20]).await;
    assert!(matches!(r.verdict, Verdict::Error { .. }), "{r:?}");
    assert_eq!(r.engine_version, "ClamAV 9.9.9");
}

#[tokio::test]
async fn a_clamd_that_never_answers_times_out_and_holds_the_file() {
    let addr = faulty_clamd(Fault::Stall).await;
    let clamav: Arc<dyn Engine> =
        Arc::new(ClamAv::new(addr.parse().unwrap(), Duration::from_secs(5)));
    let scanner = Scanner::new(vec![clamav, yara(&[])], Duration::from_millis(500));
    let report = scanner
        .scan(
            &ScanContext::default(),
            std::io::Cursor::new(vec![b'x'; 1 << 20]),
        )
        .await;
    assert_eq!(report.reports[0].verdict, Verdict::Timeout);
    assert_eq!(report.reports[1].verdict, Verdict::Clean);
    assert!(matches!(
        report.decision(Quorum::All),
        Decision::Unavailable(_)
    ));
}

#[tokio::test]
async fn a_clamd_too_slow_to_say_its_version_is_a_timeout() {
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = format!("tcp://{}", silent.local_addr().unwrap());
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((conn, _)) = silent.accept().await {
            held.push(conn);
        }
    });
    let clamav: Arc<dyn Engine> = Arc::new(ClamAv::new(
        addr.parse().unwrap(),
        Duration::from_millis(300),
    ));
    assert_eq!(
        scan_one(clamav, b"a,b\n".to_vec()).await.verdict,
        Verdict::Timeout
    );
}

fn clamav_windowed(window: u64) -> Arc<dyn Engine> {
    let addr = std::env::var("AIRLOCK_TEST_CLAMD").expect("AIRLOCK_TEST_CLAMD is not set");
    Arc::new(
        ClamAv::new(addr.parse().unwrap(), Duration::from_secs(5))
            .with_window(window)
            .unwrap(),
    )
}

#[tokio::test]
async fn clamav_scans_long_streams_in_overlapping_windows() {
    let engine = clamav_windowed(4 << 20);
    // The signature's bytes straddle the first 4 MiB window edge: only the
    // overlap puts them whole into one window.
    let mut straddling = vec![b'a'; (4 << 20) - 40];
    straddling.extend_from_slice(&eicar());
    straddling.extend(std::iter::repeat_n(b'z', 6 << 20));
    assert_infected(
        &scan_one(engine.clone(), straddling).await,
        "EICAR across a window edge",
    );

    let mut at_the_end = vec![b'b'; 11 << 20];
    at_the_end.extend_from_slice(&eicar());
    assert_infected(
        &scan_one(engine.clone(), at_the_end).await,
        "EICAR in the last window",
    );

    let clean = scan_one(engine, vec![b'c'; 10 << 20]).await;
    assert_eq!(clean.verdict, Verdict::Clean);
}

#[test]
fn clamav_windows_stay_within_what_clamd_can_scan() {
    let addr: ClamdAddr = "tcp://127.0.0.1:3310".parse().unwrap();
    for bad in [1 << 20, 3 << 30] {
        assert!(
            ClamAv::new(addr.clone(), Duration::from_secs(1))
                .with_window(bad)
                .is_err()
        );
    }
}

#[tokio::test]
async fn a_clamd_pool_skips_members_that_fail_their_health_check() {
    let real: ClamdAddr = std::env::var("AIRLOCK_TEST_CLAMD")
        .expect("AIRLOCK_TEST_CLAMD is not set")
        .parse()
        .unwrap();
    // Nothing listens on port 1.
    let dead: ClamdAddr = "tcp://127.0.0.1:1".parse().unwrap();
    let pool = Arc::new(
        ClamAv::pool(vec![dead.clone(), real.clone()], Duration::from_secs(2))
            .unwrap()
            .with_health_check(Duration::from_secs(3600)),
    );
    assert_eq!(pool.healthy().len(), 2);
    for round in 0..3 {
        let r = scan_one(pool.clone(), eicar()).await;
        assert_infected(&r, &format!("EICAR through the pool, round {round}"));
    }
    // The dead member failed once and is out of the rotation.
    assert_eq!(pool.healthy(), [&real]);

    // A member that dies mid-stream fails that scan (the stream cannot be
    // replayed) and leaves the rotation; the next scan uses the other.
    let flaky: ClamdAddr = faulty_clamd(Fault::HangUpAfter(256 << 10))
        .await
        .parse()
        .unwrap();
    let pool = Arc::new(
        ClamAv::pool(vec![flaky, real.clone()], Duration::from_secs(2))
            .unwrap()
            .with_health_check(Duration::from_secs(3600)),
    );
    let r = scan_one(pool.clone(), vec![b'x'; 8 << 20]).await;
    assert!(matches!(r.verdict, Verdict::Error { .. }), "{r:?}");
    assert_eq!(pool.healthy(), [&real]);
    let mut big = vec![b'x'; 8 << 20];
    big.extend_from_slice(&eicar());
    assert_infected(
        &scan_one(pool.clone(), big).await,
        "EICAR after the failover",
    );

    // When no member answers, the verdict says so: the file is held.
    let none = Arc::new(ClamAv::pool(vec![dead.clone(), dead], Duration::from_secs(1)).unwrap());
    match scan_one(none, b"a\n".to_vec()).await.verdict {
        Verdict::Error { reason } => {
            assert!(
                reason.starts_with("no clamd of the pool of 2 answers"),
                "{reason}"
            )
        }
        other => panic!("{other:?}"),
    }
}

/// A clamd whose StreamMaxLength is smaller than the window: the real clamd
/// refuses the stream, and the verdict is over_limit, never clean.
#[tokio::test]
async fn a_stream_over_clamds_limit_is_over_limit_never_clean() {
    let clamd = clamd::Clamd::start_with(&[("StreamMaxLength", "1M")]);
    let engine: Arc<dyn Engine> = Arc::new(
        ClamAv::new(clamd.addr().parse().unwrap(), Duration::from_secs(10))
            .with_window(MIN_WINDOW_BYTES)
            .unwrap(),
    );
    let small = scan_one(engine.clone(), vec![b'a'; 512 << 10]).await;
    assert_eq!(small.verdict, Verdict::Clean, "within the limit");
    // clamd answers `INSTREAM size limit exceeded` and closes; when the
    // close wins the race with its answer, clamd is still healthy, so the
    // cut is its limit too.
    let r = scan_one(engine, vec![b'a'; 3 << 20]).await;
    assert!(
        matches!(&r.verdict, Verdict::OverLimit { limit } if limit.starts_with("clamd StreamMaxLength")),
        "{r:?}"
    );
}

/// Reads `inner`, running `fault` once when `at` bytes have been read.
struct FaultAt<R> {
    inner: R,
    read: u64,
    at: u64,
    fault: Option<Box<dyn FnOnce() + Send + Unpin>>,
}

impl<R: tokio::io::AsyncRead + Unpin> tokio::io::AsyncRead for FaultAt<R> {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        if self.read >= self.at
            && let Some(fault) = self.fault.take()
        {
            fault();
        }
        let before = buf.filled().len();
        let poll = std::pin::Pin::new(&mut self.inner).poll_read(cx, buf);
        self.read += (buf.filled().len() - before) as u64;
        poll
    }
}

/// The real clamd killed while a stream is being sent to it: the verdict is
/// an error and the file is held, never passed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_clamd_killed_mid_stream_is_an_error_never_clean() {
    let clamd = Arc::new(std::sync::Mutex::new(clamd::Clamd::start()));
    let addr: ClamdAddr = clamd.lock().unwrap().addr().parse().unwrap();
    let engine: Arc<dyn Engine> = Arc::new(ClamAv::new(addr, Duration::from_secs(5)));
    let scanner = Scanner::new(vec![engine, yara(&[])], Duration::from_secs(120));
    let killer = clamd.clone();
    let input = FaultAt {
        inner: Generated::new(256 << 20, (256 << 20) - 1000, eicar()),
        read: 0,
        at: 40 << 20,
        fault: Some(Box::new(move || killer.lock().unwrap().stop())),
    };
    let report = scanner.scan(&ScanContext::default(), input).await;
    assert_eq!(report.size_bytes, 256 << 20);
    match &report.reports[0].verdict {
        Verdict::Error { reason } => assert!(reason.contains("clamd at"), "{reason}"),
        other => panic!("clamd died mid-stream, yet the verdict is {other:?}"),
    }
    // The other engine still did its work, and the file is not passed.
    assert_infected(&report.reports[1], "EICAR at the end, yara");
    assert!(matches!(
        report.decision(Quorum::All),
        Decision::Infected(_)
    ));
    let after = Scanner::new(
        vec![Arc::new(ClamAv::new(
            clamd.lock().unwrap().addr().parse().unwrap(),
            Duration::from_secs(2),
        ))],
        Duration::from_secs(30),
    );
    let down = after
        .scan(
            &ScanContext::default(),
            std::io::Cursor::new(b"a,b\n".to_vec()),
        )
        .await;
    assert!(matches!(
        down.decision(Quorum::All),
        Decision::Unavailable(_)
    ));
}
