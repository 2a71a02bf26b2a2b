//! Archives built at run time, and the archive layer's bad inputs: each with
//! its expected outcome and reason.

use std::io::Write;

use super::*;

/// One zip entry as it will be written.
pub struct Entry {
    pub name: Vec<u8>,
    pub data: Vec<u8>,
    pub deflate: bool,
    pub flags: u16,
}

pub fn entry(name: &str, data: &[u8]) -> Entry {
    Entry {
        name: name.as_bytes().to_vec(),
        data: data.to_vec(),
        deflate: true,
        flags: 0,
    }
}

pub fn crc32(data: &[u8]) -> u32 {
    let mut crc = flate2::Crc::new();
    crc.update(data);
    crc.sum()
}

pub fn deflate(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// A local file header for `name`.
fn local_header(name: &[u8], flags: u16, method: u16, crc: u32, csize: u32, usize: u32) -> Vec<u8> {
    let mut h = b"PK\x03\x04".to_vec();
    for v in [20u16, flags, method, 0, 0x21] {
        h.extend_from_slice(&v.to_le_bytes()); // version, flags, method, time, date
    }
    for v in [crc, csize, usize] {
        h.extend_from_slice(&v.to_le_bytes());
    }
    h.extend_from_slice(&(name.len() as u16).to_le_bytes());
    h.extend_from_slice(&0u16.to_le_bytes());
    h.extend_from_slice(name);
    h
}

/// A central directory header pointing at `offset`.
fn central_header(name: &[u8], flags: u16, method: u16, sizes: [u32; 3], offset: u32) -> Vec<u8> {
    let mut h = b"PK\x01\x02".to_vec();
    for v in [20u16, 20, flags, method, 0, 0x21] {
        h.extend_from_slice(&v.to_le_bytes());
    }
    for v in sizes {
        h.extend_from_slice(&v.to_le_bytes()); // crc, compressed, uncompressed
    }
    for v in [name.len() as u16, 0, 0, 0, 0] {
        h.extend_from_slice(&v.to_le_bytes()); // name, extra, comment, disk, internal
    }
    h.extend_from_slice(&0u32.to_le_bytes()); // external attributes
    h.extend_from_slice(&offset.to_le_bytes());
    h.extend_from_slice(name);
    h
}

fn end_record(entries: usize, cd_len: usize, cd_offset: usize) -> Vec<u8> {
    let mut h = b"PK\x05\x06".to_vec();
    for v in [0u16, 0, entries as u16, entries as u16] {
        h.extend_from_slice(&v.to_le_bytes());
    }
    h.extend_from_slice(&(cd_len as u32).to_le_bytes());
    h.extend_from_slice(&(cd_offset as u32).to_le_bytes());
    h.extend_from_slice(&0u16.to_le_bytes());
    h
}

/// A well-formed zip of `entries`.
pub fn zip_of(entries: &[Entry]) -> Vec<u8> {
    let (mut out, mut cd) = (Vec::new(), Vec::new());
    for e in entries {
        let offset = out.len() as u32;
        let (method, stored) = if e.deflate {
            (8, deflate(&e.data))
        } else {
            (0, e.data.clone())
        };
        let sizes = [crc32(&e.data), stored.len() as u32, e.data.len() as u32];
        // With a data descriptor (flag 8) the sizes follow the data.
        let descriptor = e.flags & 8 == 8;
        let local = if descriptor { [0; 3] } else { sizes };
        out.extend(local_header(
            &e.name, e.flags, method, local[0], local[1], local[2],
        ));
        out.extend(&stored);
        if descriptor {
            out.extend(b"PK\x07\x08");
            sizes.iter().for_each(|v| out.extend(v.to_le_bytes()));
        }
        cd.extend(central_header(&e.name, e.flags, method, sizes, offset));
    }
    let at = out.len();
    out.extend(&cd);
    out.extend(end_record(entries.len(), cd.len(), at));
    out
}

pub fn zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
    zip_of(&entries.iter().map(|(n, d)| entry(n, d)).collect::<Vec<_>>())
}

/// A ustar archive; names are written as given, unchecked.
pub fn tar(entries: &[(&str, u8, &[u8], &str)]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, kind, data, link) in entries {
        let mut h = tar::Header::new_ustar();
        h.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
        h.as_old_mut().linkname[..link.len()].copy_from_slice(link.as_bytes());
        h.set_entry_type(tar::EntryType::new(*kind));
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append(&h, *data).unwrap();
    }
    b.into_inner().unwrap()
}

/// `data` inside `levels` zips, each holding the next as `level<n>.zip`.
pub fn nested_zip(levels: usize, name: &str, data: &[u8]) -> Vec<u8> {
    let mut inner = zip(&[(name, data)]);
    for level in (1..levels).rev() {
        inner = zip(&[(&format!("level{}.zip", level + 1), &inner)]);
    }
    inner
}

/// A 42.zip-style bomb: `levels` of zips, each holding 16 copies of the
/// level below, over a base of `base_bytes` zeros.
pub fn recursive_bomb(levels: usize, base_bytes: usize) -> Vec<u8> {
    let mut inner = zip(&[("0.dat", &vec![0u8; base_bytes])]);
    for _ in 1..levels {
        let copies: Vec<Entry> = (0..16)
            .map(|i| entry(&format!("{i:x}.zip"), &inner))
            .collect();
        inner = zip_of(&copies);
    }
    inner
}

/// David Fifield's overlapping-entry bomb ("quoted overlap"): the data of
/// each of `n` entries opens with the next entry's local header, quoted in
/// a stored deflate block, and all of them end in one shared kernel of
/// `kernel_bytes` zeros. The central directory lists every entry, so an
/// extracting tool expands the kernel `n` times.
pub fn overlapping_bomb(n: usize, kernel_bytes: usize) -> Vec<u8> {
    let kernel = deflate(&vec![0u8; kernel_bytes]);
    // Built back to front: each header holds the sizes and CRC of all that
    // follows it.
    let mut tail = kernel.clone(); // compressed bytes after the header
    let mut expanded_prefix: Vec<u8> = Vec::new(); // quoted headers, expanded
    let mut headers = Vec::new();
    for i in (0..n).rev() {
        let name = format!("{i}.dat");
        let mut crc = flate2::Crc::new();
        crc.update(&expanded_prefix);
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..kernel_bytes >> 20 {
            crc.update(&zeros);
        }
        let usize = expanded_prefix.len() + kernel_bytes;
        let lh = local_header(
            name.as_bytes(),
            0,
            8,
            crc.sum(),
            tail.len() as u32,
            usize as u32,
        );
        headers.push((name, crc.sum(), tail.len() as u32, usize as u32));
        if i > 0 {
            // The previous entry quotes this header in a stored block.
            let len = lh.len() as u16;
            let mut quoted = vec![0u8];
            quoted.extend_from_slice(&len.to_le_bytes());
            quoted.extend_from_slice(&(!len).to_le_bytes());
            quoted.extend_from_slice(&lh);
            quoted.extend(tail);
            tail = quoted;
            expanded_prefix = [lh, expanded_prefix].concat();
        } else {
            tail = [lh, tail].concat();
        }
    }
    headers.reverse();
    // `tail` is now the whole body; every header's offset follows from the
    // lengths of the quoted headers before it.
    let mut out = tail;
    let mut cd = Vec::new();
    let mut offset = 0usize;
    for (name, crc, csize, usize) in &headers {
        cd.extend(central_header(
            name.as_bytes(),
            0,
            8,
            [*crc, *csize, *usize],
            offset as u32,
        ));
        offset += 30 + name.len() + 5;
    }
    let at = out.len();
    out.extend(&cd);
    out.extend(end_record(headers.len(), cd.len(), at));
    out
}

fn built_in() -> Vec<Arc<dyn Engine>> {
    vec![
        Arc::new(FileType::new()),
        Arc::new(Yara::new(&[]).expect("the shipped rules compile")),
    ]
}

pub async fn scan_with(
    engines: Vec<Arc<dyn Engine>>,
    budgets: Budgets,
    filename: &str,
    data: Vec<u8>,
) -> ScanReport {
    let scanner = Scanner::new(engines, Duration::from_secs(60)).with_archive(budgets);
    let ctx = ScanContext {
        filename: filename.into(),
        declared_format: None,
        allow: Allowances::default(),
    };
    scanner.scan(&ctx, std::io::Cursor::new(data)).await
}

/// The archive layer's verdict on the delivered file.
pub fn archive_verdict(report: &ScanReport) -> &Verdict {
    &report
        .reports
        .iter()
        .find(|r| r.engine == ARCHIVE_ENGINE)
        .expect("the archive layer reports")
        .verdict
}

/// The verdict `engine` gave member `path`.
pub fn member_verdict<'a>(report: &'a ScanReport, path: &str, engine: &str) -> &'a Verdict {
    let member = report
        .members
        .iter()
        .find(|m| m.path == path)
        .unwrap_or_else(|| panic!("no member {path} in {:?}", member_paths(report)));
    &member
        .reports
        .iter()
        .find(|r| r.engine == engine)
        .unwrap_or_else(|| panic!("no {engine} verdict on {path}"))
        .verdict
}

pub fn member_paths(report: &ScanReport) -> Vec<&str> {
    report.members.iter().map(|m| m.path.as_str()).collect()
}

fn assert_refused(report: &ScanReport, signature_prefix: &str) {
    match archive_verdict(report) {
        Verdict::Infected { signature } => assert!(
            signature.starts_with(signature_prefix),
            "expected {signature_prefix}, got {signature}"
        ),
        other => panic!("expected {signature_prefix}, got {other:?}"),
    }
    assert!(matches!(
        report.decision(Quorum::All),
        Decision::Infected(_)
    ));
}

fn assert_over_limit(report: &ScanReport, limit_prefix: &str) {
    match archive_verdict(report) {
        Verdict::OverLimit { limit } => assert!(
            limit.starts_with(limit_prefix),
            "expected {limit_prefix}, got {limit}"
        ),
        other => panic!("expected over_limit {limit_prefix}, got {other:?}"),
    }
    assert!(matches!(
        report.decision(Quorum::All),
        Decision::Unavailable(_)
    ));
}

#[tokio::test]
async fn clean_archives_expand_and_every_member_is_scanned_by_every_engine() {
    let csv = b"id,name\n1,a\n2,b\n";
    let tgz = gzip(&tar(&[
        ("data/a.csv", b'0', csv, ""),
        ("data", b'5', b"", ""),
        ("data/link.csv", b'2', b"", "a.csv"),
    ]));
    let zipped = zip_of(&[
        entry("a.csv", csv),
        Entry {
            deflate: false,
            ..entry("dir/b.csv", csv)
        },
        entry("c.tgz", &tgz),
    ]);
    let report = scan_with(built_in(), Budgets::default(), "bundle.zip", zipped).await;
    assert_eq!(archive_verdict(&report), &Verdict::Clean);
    assert_eq!(
        member_paths(&report),
        [
            "a.csv",
            "dir/b.csv",
            "c.tgz",
            "c.tgz!/c.tar",
            "c.tgz!/c.tar!/data/a.csv"
        ]
    );
    for m in &report.members {
        let engines: Vec<&str> = m.reports.iter().map(|r| r.engine.as_str()).collect();
        assert_eq!(engines, ["filetype", "yara", ARCHIVE_ENGINE], "{}", m.path);
    }
    let a = &report.members[0];
    assert_eq!(a.size_bytes, csv.len() as u64);
    assert_eq!(a.sha256, sha256_hex(csv));
    assert_eq!(report.decision(Quorum::All), Decision::Clean);
}

#[tokio::test]
async fn zips_written_as_streams_with_data_descriptors_expand() {
    // As Java's ZipOutputStream writes them: every entry deflated, sizes in
    // a descriptor after the data, directories included.
    let streamed = zip_of(&[
        Entry {
            flags: 8,
            ..entry("data/", b"")
        },
        Entry {
            flags: 8,
            ..entry("data/a.csv", b"id,v\n1,2\n")
        },
        entry("b.csv", b"x\n"),
    ]);
    let report = scan_with(built_in(), Budgets::default(), "s.zip", streamed).await;
    assert_eq!(archive_verdict(&report), &Verdict::Clean);
    assert_eq!(member_paths(&report), ["data/a.csv", "b.csv"]);
    assert_eq!(report.decision(Quorum::All), Decision::Clean);

    // A stored entry with a descriptor cannot be delimited while streaming:
    // held, never passed unscanned.
    let stored = zip_of(&[Entry {
        flags: 8,
        deflate: false,
        ..entry("a.csv", b"1\n")
    }]);
    assert_over_limit(
        &scan_with(built_in(), Budgets::default(), "t.zip", stored).await,
        "zip entry a.csv is stored with its size only after its data",
    );
}

#[tokio::test]
async fn a_zip_nested_one_deeper_than_the_limit_is_over_limit() {
    let budgets = Budgets {
        max_depth: 3,
        ..Budgets::default()
    };
    let ok = scan_with(built_in(), budgets, "n.zip", nested_zip(3, "x.csv", b"a\n")).await;
    assert_eq!(archive_verdict(&ok), &Verdict::Clean);
    assert_eq!(ok.decision(Quorum::All), Decision::Clean);
    assert!(member_paths(&ok).contains(&"level2.zip!/level3.zip!/x.csv"));

    let deep = scan_with(built_in(), budgets, "n.zip", nested_zip(4, "x.csv", b"a\n")).await;
    assert_eq!(archive_verdict(&deep), &Verdict::Clean);
    assert_eq!(
        member_verdict(&deep, "level2.zip!/level3.zip!/level4.zip", ARCHIVE_ENGINE),
        &Verdict::OverLimit {
            limit: "max_depth: an archive nested deeper than 3 levels".into()
        }
    );
    assert!(
        matches!(deep.decision(Quorum::All), Decision::Unavailable(why) if why[0].contains("max_depth"))
    );
}

#[tokio::test]
async fn a_42_zip_style_bomb_is_stopped_by_its_ratio_in_bounded_work() {
    let bomb = recursive_bomb(4, 64 << 20);
    // 16^3 copies of 64 MiB: 256 GiB if expanded, from well under 1 MiB.
    assert!(bomb.len() < 1 << 20, "{}", bomb.len());
    let report = scan_with(built_in(), Budgets::default(), "42.zip", bomb).await;
    let expanded: u64 = report.members.iter().map(|m| m.size_bytes).sum();
    assert!(
        expanded < 256 << 20,
        "expansion stopped early: {expanded} bytes"
    );
    let stopped = report
        .streams()
        .flat_map(|(_, rs)| rs)
        .filter(|r| matches!(&r.verdict, Verdict::OverLimit { limit } if limit.starts_with("max_ratio")))
        .count();
    assert!(stopped >= 1, "{:#?}", report.reports);
    let decision = report.decision(Quorum::All);
    assert!(matches!(decision, Decision::Unavailable(_)), "{decision:?}");
}

#[tokio::test]
async fn expansion_stops_at_the_byte_time_and_member_budgets() {
    let zipped = zip(&[
        ("a.csv", &vec![b'x'; 3 << 20]),
        ("b.csv", b"1\n"),
        ("c.csv", b"2\n"),
    ]);
    let bytes = Budgets {
        max_expanded_bytes: 2 << 20,
        ..Budgets::default()
    };
    assert_over_limit(
        &scan_with(built_in(), bytes, "a.zip", zipped.clone()).await,
        "max_expanded_bytes",
    );
    let no_time = Budgets {
        max_expand_secs: 0,
        ..Budgets::default()
    };
    assert_over_limit(
        &scan_with(built_in(), no_time, "a.zip", zipped.clone()).await,
        "max_expand_secs",
    );
    let members = Budgets {
        max_members: 2,
        ..Budgets::default()
    };
    assert_over_limit(
        &scan_with(built_in(), members, "a.zip", zipped).await,
        "max_members",
    );
}

#[tokio::test]
async fn an_overlapping_entry_bomb_is_refused() {
    let bomb = overlapping_bomb(10, 32 << 20);
    assert!(bomb.len() < 64 << 10, "{}", bomb.len());
    let report = scan_with(built_in(), Budgets::default(), "overlap.zip", bomb).await;
    assert_refused(
        &report,
        "Airlock.Archive.OverlappingEntries (1.dat lies inside the data of 0.dat)",
    );
    // Only the first entry (which holds the kernel) was expanded; its
    // content opens with the quoted local headers, so it reads as a zip.
    assert!(
        member_paths(&report).iter().all(|p| p.starts_with("0.dat")),
        "{:?}",
        member_paths(&report)
    );
}

#[tokio::test]
async fn unsafe_member_paths_and_links_out_are_refused() {
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "up.zip",
            zip(&[("ok.csv", b"1\n"), ("../../etc/cron.d/x", b"2\n")]),
            "Airlock.Archive.UnsafePath (\"../../etc/cron.d/x\" climbs out with ..)",
        ),
        (
            "abs.zip",
            zip(&[("/etc/passwd", b"x\n")]),
            "Airlock.Archive.UnsafePath (\"/etc/passwd\" is absolute)",
        ),
        (
            "win.zip",
            zip(&[("..\\..\\boot.ini", b"x\n")]),
            "Airlock.Archive.UnsafePath (\"..\\\\..\\\\boot.ini\" climbs out with ..)",
        ),
        (
            "up.tar",
            tar(&[("../x.csv", b'0', b"1\n", "")]),
            "Airlock.Archive.UnsafePath (\"../x.csv\" climbs out with ..)",
        ),
        (
            "link.tar",
            tar(&[("data/x.csv", b'2', b"", "../../etc/shadow")]),
            "Airlock.Archive.LinkOut (data/x.csv -> ../../etc/shadow)",
        ),
        (
            "hard.tar",
            tar(&[("x.csv", b'1', b"", "/etc/shadow")]),
            "Airlock.Archive.LinkOut (x.csv -> /etc/shadow)",
        ),
        (
            "dev.tar",
            tar(&[("null", b'3', b"", "")]),
            "Airlock.Archive.SpecialFile (null is of tar type '3')",
        ),
        (
            "dup.zip",
            zip(&[("a.csv", b"1\n"), ("./a.csv", b"2\n")]),
            "Airlock.Archive.DuplicateMember (a.csv)",
        ),
    ];
    for (name, data, want) in cases {
        let report = scan_with(built_in(), Budgets::default(), name, data).await;
        assert_eq!(
            archive_verdict(&report),
            &Verdict::Infected {
                signature: want.into()
            },
            "{name}"
        );
        assert!(matches!(
            report.decision(Quorum::All),
            Decision::Infected(_)
        ));
    }
}

#[tokio::test]
async fn truncated_and_inconsistent_archives_are_refused() {
    let csv = vec![b'7'; 200_000];
    let gz = gzip(&csv);
    let cut_gz = gz[..gz.len() / 2].to_vec();
    let report = scan_with(built_in(), Budgets::default(), "x.csv.gz", cut_gz).await;
    assert_refused(&report, "Airlock.Archive.Truncated (x.csv:");

    let zipped = zip(&[("a.csv", &csv)]);
    let cut_zip = zipped[..zipped.len() - 30].to_vec();
    assert_refused(
        &scan_with(built_in(), Budgets::default(), "a.zip", cut_zip).await,
        "Airlock.Archive.Truncated (zip:",
    );

    // A central directory entry with no local header before it: what an
    // extracting tool would see, but a streaming scan would not.
    let mut hidden = zip(&[("a.csv", b"1\n")]);
    let cd_at = hidden.len() - 22 - (46 + 5);
    let extra = central_header(b"evil.exe", 0, 0, [0, 4, 4], 4096);
    hidden.splice(cd_at..cd_at, extra.iter().copied());
    let n = hidden.len();
    hidden[n - 22..].copy_from_slice(&end_record(2, 46 + 5 + extra.len(), cd_at));
    assert_refused(
        &scan_with(built_in(), Budgets::default(), "h.zip", hidden).await,
        "Airlock.Archive.HiddenEntry (evil.exe at byte 4096",
    );

    // A CRC that does not match the content.
    let mut bad_crc = zip_of(&[Entry {
        deflate: false,
        ..entry("a.csv", b"hello\n")
    }]);
    bad_crc[14] ^= 0xff;
    assert_refused(
        &scan_with(built_in(), Budgets::default(), "c.zip", bad_crc).await,
        "Airlock.Archive.Corrupt (a.csv: crc",
    );
}

#[tokio::test]
async fn encrypted_members_are_refused_unless_allowed() {
    let secret = zip_of(&[Entry {
        flags: 1,
        deflate: false,
        ..entry("data.csv", b"\x12\x34\x56")
    }]);
    let report = scan_with(built_in(), Budgets::default(), "secret.zip", secret.clone()).await;
    assert_eq!(
        report.reports[0].verdict,
        Verdict::Infected {
            signature: "Airlock.FileType.Encrypted (data.csv)".into()
        }
    );
    // Encrypted content cannot be expanded; it is not passed off as a
    // scanned member.
    assert_eq!(archive_verdict(&report), &Verdict::Clean);
    assert!(report.members.is_empty());

    let scanner =
        Scanner::new(built_in(), Duration::from_secs(60)).with_archive(Budgets::default());
    let ctx = ScanContext {
        filename: "secret.zip".into(),
        declared_format: None,
        allow: Allowances {
            encrypted: true,
            ..Allowances::default()
        },
    };
    let allowed = scanner.scan(&ctx, std::io::Cursor::new(secret)).await;
    assert_eq!(allowed.decision(Quorum::All), Decision::Clean);
}

#[tokio::test]
async fn a_macro_workbook_is_refused_and_its_parts_are_scanned() {
    let xlsm = zip(&[
        ("[Content_Types].xml", b"<Types/>"),
        ("xl/workbook.xml", b"<workbook/>"),
        (
            "xl/vbaProject.bin",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1_\0V\0B\0A\0_\0P\0R\0O\0J\0E\0C\0T\0",
        ),
    ]);
    let report = scan_with(built_in(), Budgets::default(), "book.xlsm", xlsm).await;
    assert_eq!(
        report.reports[0].verdict,
        Verdict::Infected {
            signature: "Airlock.FileType.Macro (xl/vbaProject.bin)".into()
        }
    );
    assert_eq!(
        member_verdict(&report, "xl/vbaProject.bin", "filetype"),
        &Verdict::Infected {
            signature: "Airlock.FileType.Macro (_VBA_PROJECT)".into()
        }
    );
}

#[tokio::test]
async fn a_pe_renamed_csv_inside_an_archive_is_refused() {
    let mut pe = b"MZ\x90\x00".to_vec();
    pe.resize(0x80, 0);
    let report = scan_with(
        built_in(),
        Budgets::default(),
        "bundle.tar.gz",
        gzip(&tar(&[("data.csv", b'0', &pe, "")])),
    )
    .await;
    assert_eq!(
        member_verdict(&report, "bundle.tar!/data.csv", "filetype"),
        &Verdict::Infected {
            signature: "Airlock.FileType.Executable (a Windows (PE) executable)".into()
        }
    );
    assert!(matches!(
        report.decision(Quorum::All),
        Decision::Infected(_)
    ));
}

#[tokio::test]
async fn a_quorum_tolerates_a_down_engine_but_never_a_finding_or_a_limit() {
    let report = |verdicts: Vec<(&str, Verdict)>| ScanReport {
        reports: verdicts
            .into_iter()
            .map(|(engine, verdict)| EngineReport {
                engine: engine.into(),
                verdict,
                engine_version: "1".into(),
                db_version: None,
            })
            .collect(),
        members: vec![],
        size_bytes: 1,
        sha256: String::new(),
    };
    let down = report(vec![
        ("clamav", Verdict::Timeout),
        ("yara", Verdict::Clean),
        ("filetype", Verdict::Clean),
        (ARCHIVE_ENGINE, Verdict::Clean),
    ]);
    assert!(matches!(
        down.decision(Quorum::All),
        Decision::Unavailable(_)
    ));
    assert_eq!(down.decision(Quorum::AtLeast(2)), Decision::Clean);
    // The archive layer's clean is not a content engine's clean.
    assert!(matches!(
        down.decision(Quorum::AtLeast(3)),
        Decision::Unavailable(_)
    ));
    let limit = report(vec![
        ("clamav", Verdict::Clean),
        ("yara", Verdict::OverLimit { limit: "x".into() }),
    ]);
    assert!(matches!(
        limit.decision(Quorum::AtLeast(1)),
        Decision::Unavailable(_)
    ));
    let found = report(vec![
        ("clamav", Verdict::Clean),
        (
            "yara",
            Verdict::Infected {
                signature: "S".into(),
            },
        ),
    ]);
    assert!(matches!(
        found.decision(Quorum::AtLeast(1)),
        Decision::Infected(_)
    ));
    assert!(
        Scanner::new(built_in(), Duration::from_secs(1))
            .with_quorum(Quorum::AtLeast(3))
            .is_err()
    );
}
