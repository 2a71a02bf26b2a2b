//! The `archive` engine: zip, gzip and tar (and so tar.gz) expanded as they
//! stream past, each member handed to every engine as a stream of its own.
//!
//! Key decisions:
//! - Archives are read front to back, never seeked, so a member nested at
//!   any depth is scanned in bounded memory while the delivered file is
//!   still being read. Nothing is extracted to disk.
//! - Zip is walked by its local headers (which is what streaming readers
//!   see) and the central directory at the end is then checked against them
//!   (which is what extracting tools see). An entry the walk did not see,
//!   one that points into another entry's data (the overlapping-entry bomb)
//!   or a name that differs between the two is refused: every byte a tool
//!   could extract must have been scanned.
//! - Budgets (depth, member count, expanded bytes, expansion ratio, wall
//!   time) hold for the whole tree of one delivered file. Hitting one is an
//!   `over_limit` verdict, which holds the file; a structural fault (unsafe
//!   path, link out, overlap, truncation, corruption) is an `infected`
//!   verdict under an `Airlock.Archive.*` signature, which rejects it.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::io::{self, BufRead, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::{Buf, Bytes};
use flate2::Crc;
use flate2::bufread::{DeflateDecoder, MultiGzDecoder};

use crate::{Chunks, Verdict};

/// Budgets for expanding one delivered file, over every nesting level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budgets {
    /// How many archive levels may be opened: 1 expands the delivered
    /// archive but not an archive inside it.
    pub max_depth: u32,
    /// Members (files) over all levels.
    pub max_members: u64,
    /// Bytes produced by expansion, summed over all levels.
    pub max_expanded_bytes: u64,
    /// Expanded bytes per delivered byte, enforced past
    /// [`RATIO_GRACE_BYTES`].
    pub max_ratio: u64,
    /// Wall time for the whole expansion.
    pub max_expand_secs: u64,
}

impl Default for Budgets {
    fn default() -> Self {
        Self {
            max_depth: 6,
            max_members: 10_000,
            max_expanded_bytes: 64 << 30,
            max_ratio: 200,
            max_expand_secs: 1800,
        }
    }
}

/// Expansion below this many bytes is never refused for its ratio: small
/// files compress well without being bombs.
pub const RATIO_GRACE_BYTES: u64 = 16 << 20;

/// Why expansion stopped early.
#[derive(Debug)]
pub(crate) enum Stop {
    /// A budget was hit: `over_limit`.
    Limit(String),
    /// The archive is unsafe or malformed: `infected` with this signature.
    Refused(String),
    /// Reading a member failed; the format decides what that means.
    Io(io::Error),
    /// The scan itself failed: `error`.
    Failed(String),
}

fn refused(kind: &str, what: impl fmt::Display) -> Stop {
    Stop::Refused(format!("Airlock.Archive.{kind} ({what})"))
}

/// A decoding error while reading `member`: truncation when the input ran
/// out, corruption otherwise.
fn malformed(e: io::Error, member: &str, at_eof: bool) -> Stop {
    if e.kind() == io::ErrorKind::UnexpectedEof || at_eof {
        refused("Truncated", format!("{member}: {e}"))
    } else {
        refused("Corrupt", format!("{member}: {e}"))
    }
}

/// The budgets' running account for one delivered file, shared by every
/// level of its expansion.
pub(crate) struct Expansion {
    pub budgets: Budgets,
    deadline: Instant,
    members: AtomicU64,
    expanded: AtomicU64,
    /// Bytes of the delivered file read so far: the ratio's denominator.
    pub delivered: AtomicU64,
}

impl Expansion {
    pub fn new(budgets: Budgets) -> Self {
        Self {
            budgets,
            deadline: Instant::now() + Duration::from_secs(budgets.max_expand_secs),
            members: AtomicU64::new(0),
            expanded: AtomicU64::new(0),
            delivered: AtomicU64::new(0),
        }
    }

    pub fn count_member(&self) -> Result<(), Stop> {
        let n = self.members.fetch_add(1, Ordering::Relaxed) + 1;
        if n > self.budgets.max_members {
            return Err(Stop::Limit(format!(
                "max_members: more than {} members",
                self.budgets.max_members
            )));
        }
        self.check_time()
    }

    /// Accounts for `bytes` more expanded output.
    pub fn charge(&self, bytes: u64) -> Result<(), Stop> {
        let b = &self.budgets;
        let expanded = self.expanded.fetch_add(bytes, Ordering::Relaxed) + bytes;
        if expanded > b.max_expanded_bytes {
            return Err(Stop::Limit(format!(
                "max_expanded_bytes: more than {} bytes expanded",
                b.max_expanded_bytes
            )));
        }
        let delivered = self.delivered.load(Ordering::Relaxed).max(1);
        if expanded > RATIO_GRACE_BYTES && expanded / delivered > b.max_ratio {
            return Err(Stop::Limit(format!(
                "max_ratio: {expanded} bytes expanded from {delivered} delivered, over {}:1",
                b.max_ratio
            )));
        }
        self.check_time()
    }

    pub fn check_time(&self) -> Result<(), Stop> {
        if Instant::now() > self.deadline {
            return Err(Stop::Limit(format!(
                "max_expand_secs: expansion took over {} s",
                self.budgets.max_expand_secs
            )));
        }
        Ok(())
    }
}

/// A member's path inside its archive, validated: relative, no `..`, no
/// drive letter, no NUL or control characters. Backslashes count as
/// separators; `.` and empty components are dropped.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MemberPath(String);

impl MemberPath {
    pub fn parse(raw: &[u8]) -> Result<Self, String> {
        let text = String::from_utf8_lossy(raw);
        let shown = || format!("{text:?}");
        if text.chars().any(char::is_control) {
            return Err(format!("{} holds a control character", shown()));
        }
        let unified = text.replace('\\', "/");
        let bytes = unified.as_bytes();
        if unified.starts_with('/') || (bytes.len() >= 2 && bytes[1] == b':') {
            return Err(format!("{} is absolute", shown()));
        }
        let mut parts = Vec::new();
        for part in unified.split('/') {
            match part {
                "" | "." => {}
                ".." => return Err(format!("{} climbs out with ..", shown())),
                p => parts.push(p),
            }
        }
        if parts.is_empty() {
            return Err(format!("{} names nothing", shown()));
        }
        Ok(Self(parts.join("/")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for MemberPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A link's target must stay inside the archive: resolved against the
/// link's own directory it may not climb above the root.
fn check_link(member: &MemberPath, target: &[u8]) -> Result<(), Stop> {
    let target = String::from_utf8_lossy(target).replace('\\', "/");
    let out = || refused("LinkOut", format!("{member} -> {target}"));
    if target.starts_with('/') || target.as_bytes().get(1) == Some(&b':') {
        return Err(out());
    }
    let mut depth = member.as_str().matches('/').count() as i64;
    for part in target.split('/') {
        match part {
            "" | "." => {}
            ".." => depth -= 1,
            _ => depth += 1,
        }
        if depth < 0 {
            return Err(out());
        }
    }
    Ok(())
}

/// Hands one member's bytes to the engines; returns how many it read.
pub(crate) type Sink<'a> = dyn FnMut(&MemberPath, &mut dyn Read) -> Result<u64, Stop> + 'a;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Zip,
    Gzip,
    Tar,
}

fn sniff(head: &[u8]) -> Option<Format> {
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        Some(Format::Zip)
    } else if head.starts_with(b"\x1f\x8b") {
        Some(Format::Gzip)
    } else if head.len() >= 262 && &head[257..262] == b"ustar" {
        Some(Format::Tar)
    } else {
        None
    }
}

/// Expands the stream if it is an archive, feeding each member to `sink`.
/// `container` is the stream's own name; `depth` its nesting level (0 for
/// the delivered file).
pub(crate) fn expand(
    input: Chunks,
    container: &str,
    depth: u32,
    exp: &Expansion,
    sink: &mut Sink,
) -> Verdict {
    let mut r = ChunkReader::new(input);
    let Some(format) = sniff(r.peek(512)) else {
        return Verdict::Clean;
    };
    let result = if depth >= exp.budgets.max_depth {
        Err(Stop::Limit(format!(
            "max_depth: an archive nested deeper than {} levels",
            exp.budgets.max_depth
        )))
    } else {
        match format {
            Format::Zip => walk_zip(&mut r, exp, sink),
            Format::Gzip => gunzip(&mut r, container, sink),
            Format::Tar => walk_tar(&mut r, sink),
        }
    };
    match result {
        Ok(()) => Verdict::Clean,
        Err(Stop::Limit(limit)) => Verdict::OverLimit { limit },
        Err(Stop::Refused(signature)) => Verdict::Infected { signature },
        Err(Stop::Failed(reason)) => Verdict::Error { reason },
        Err(Stop::Io(e)) => Verdict::Infected {
            signature: format!("Airlock.Archive.Corrupt ({container}: {e})"),
        },
    }
}

/// The name of a gzip stream's content: `x.csv.gz` holds `x.csv`, `x.tgz`
/// holds `x.tar`.
fn gunzipped_name(container: &str) -> MemberPath {
    let base = container.rsplit('/').next().unwrap_or(container);
    let lower = base.to_ascii_lowercase();
    let name = if lower.ends_with(".tgz") {
        format!("{}.tar", &base[..base.len() - 4])
    } else if lower.ends_with(".gz") && base.len() > 3 {
        base[..base.len() - 3].to_owned()
    } else {
        base.to_owned()
    };
    MemberPath::parse(name.as_bytes()).unwrap_or_else(|_| MemberPath("content".into()))
}

fn gunzip(r: &mut ChunkReader, container: &str, sink: &mut Sink) -> Result<(), Stop> {
    let name = gunzipped_name(container);
    let mut decoder = MultiGzDecoder::new(&mut *r);
    match sink(&name, &mut decoder) {
        Err(Stop::Io(e)) => Err(malformed(e, name.as_str(), r.at_eof())),
        other => other.map(|_| ()),
    }
}

fn walk_tar(r: &mut ChunkReader, sink: &mut Sink) -> Result<(), Stop> {
    let mut archive = tar::Archive::new(r);
    let mut names = HashSet::new();
    let entries = archive
        .entries()
        .map_err(|e| refused("Corrupt", format!("tar: {e}")))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| refused("Corrupt", format!("tar: {e}")))?;
        let kind = entry.header().entry_type();
        if kind.is_pax_global_extensions() || kind.is_pax_local_extensions() || kind.is_dir() {
            continue;
        }
        let path =
            MemberPath::parse(&entry.path_bytes()).map_err(|why| refused("UnsafePath", why))?;
        if kind.is_symlink() || kind.is_hard_link() {
            let target = entry.link_name_bytes().unwrap_or_default();
            check_link(&path, &target)?;
            continue;
        }
        if !(kind.is_file() || kind.is_contiguous() || kind.is_gnu_sparse()) {
            return Err(refused(
                "SpecialFile",
                format!("{path} is of tar type {:?}", kind.as_byte() as char),
            ));
        }
        if !names.insert(path.clone()) {
            return Err(refused("DuplicateMember", &path));
        }
        let want = entry.size();
        let got = match sink(&path, &mut entry) {
            Err(Stop::Io(e)) => return Err(malformed(e, path.as_str(), false)),
            other => other?,
        };
        if got != want {
            return Err(refused(
                "Truncated",
                format!("{path}: {got} of its {want} bytes present"),
            ));
        }
    }
    Ok(())
}

const ZIP_LOCAL: u64 = 0x0403_4b50;
const ZIP_CENTRAL: u64 = 0x0201_4b50;
const ZIP_END: u64 = 0x0605_4b50;
const ZIP64_END: u64 = 0x0606_4b50;
const ZIP64_LOCATOR: u64 = 0x0706_4b50;
const ZIP_SIGNATURE: u64 = 0x0505_4b50;
const ZIP_DESCRIPTOR: u64 = 0x0807_4b50;

/// A local entry as the walk saw it: its header's offset and where its data
/// ended.
struct Local {
    name: MemberPath,
    end: u64,
    referenced: bool,
}

fn le16(b: &[u8], at: usize) -> u64 {
    u16::from_le_bytes([b[at], b[at + 1]]) as u64
}

fn le32(b: &[u8], at: usize) -> u64 {
    u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes")) as u64
}

/// Replaces the 32-bit fields that are saturated with their values from the
/// zip64 extra field (id 1), in the order the format gives them.
fn zip64_fields(extra: &[u8], fields: &mut [&mut u64]) {
    let mut at = 0;
    while at + 4 <= extra.len() {
        let (id, len) = (le16(extra, at), le16(extra, at + 2) as usize);
        let body = &extra[at + 4..(at + 4 + len).min(extra.len())];
        if id == 1 {
            let mut off = 0;
            for f in fields.iter_mut() {
                if **f == 0xFFFF_FFFF && off + 8 <= body.len() {
                    **f = u64::from_le_bytes(body[off..off + 8].try_into().expect("8 bytes"));
                    off += 8;
                }
            }
            return;
        }
        at += 4 + len;
    }
}

/// A reader that computes the CRC-32 of what passes through.
struct Crc32<R> {
    inner: R,
    crc: Crc,
}

impl<R: Read> Read for Crc32<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.crc.update(&buf[..n]);
        Ok(n)
    }
}

fn walk_zip(r: &mut ChunkReader, exp: &Expansion, sink: &mut Sink) -> Result<(), Stop> {
    let mut locals: HashMap<u64, Local> = HashMap::new();
    let mut names = HashSet::new();
    // After a budget is hit, members are no longer expanded but the walk
    // goes on where it can, so the central directory is still checked.
    let mut limit: Option<Stop> = None;
    let truncated = || {
        refused(
            "Truncated",
            "zip: the stream ends before its central directory",
        )
    };
    loop {
        let offset = r.pos;
        let Some(sig) = r.read_u32()? else {
            return Err(truncated());
        };
        match sig {
            ZIP_LOCAL => {
                let h = r.read_vec(26)?.ok_or_else(truncated)?;
                let (flags, method) = (le16(&h, 2), le16(&h, 4));
                let (crc, mut csize, mut usize_) = (le32(&h, 10), le32(&h, 14), le32(&h, 18));
                let raw_name = r.read_vec(le16(&h, 22) as usize)?.ok_or_else(truncated)?;
                let extra = r.read_vec(le16(&h, 24) as usize)?.ok_or_else(truncated)?;
                let zip64 = csize == 0xFFFF_FFFF || usize_ == 0xFFFF_FFFF;
                zip64_fields(&extra, &mut [&mut usize_, &mut csize]);
                let path =
                    MemberPath::parse(&raw_name).map_err(|why| refused("UnsafePath", why))?;
                if !names.insert(path.clone()) {
                    return Err(refused("DuplicateMember", &path));
                }
                let is_dir = matches!(raw_name.last(), Some(b'/' | b'\\'));
                let encrypted = flags & 1 == 1 || method == 99;
                let descriptor = flags & 8 == 8;
                let start = r.pos;
                let expand = limit.is_none() && !is_dir && !encrypted;
                let seen = if expand && matches!(method, 0 | 8) {
                    match zip_member(r, &path, method, descriptor, csize, sink) {
                        Ok(seen) => Some(seen),
                        Err(stop @ Stop::Limit(_)) if !descriptor => {
                            limit = Some(stop);
                            r.skip((start + csize).saturating_sub(r.pos))?;
                            None
                        }
                        Err(Stop::Io(e)) => return Err(malformed(e, path.as_str(), r.at_eof())),
                        Err(other) => return Err(other),
                    }
                } else if descriptor {
                    // Only a deflate stream says where it ends: inflate it
                    // unseen (a directory, or after a budget was hit).
                    if method != 8 || encrypted {
                        return Err(limit.unwrap_or_else(|| {
                            Stop::Limit(format!(
                                "zip entry {path} (method {method}) gives its size only after its data"
                            ))
                        }));
                    }
                    if let Err(e) = discard(DeflateDecoder::new(&mut *r), exp) {
                        return Err(match e {
                            Stop::Io(e) => malformed(e, path.as_str(), r.at_eof()),
                            other => other,
                        });
                    }
                    read_descriptor(r, zip64)?.ok_or_else(truncated)?;
                    None
                } else {
                    if expand {
                        limit = Some(Stop::Limit(format!(
                            "zip entry {path} uses compression method {method}, which is not supported"
                        )));
                    }
                    if !r.skip(csize)? {
                        return Err(truncated());
                    }
                    None
                };
                exp.check_time()?;
                if let Some(got) = seen {
                    let want = if descriptor {
                        read_descriptor(r, zip64)?.ok_or_else(truncated)?
                    } else {
                        (crc, csize, usize_)
                    };
                    if got != want {
                        return Err(refused(
                            "Corrupt",
                            format!(
                                "{path}: crc {:08x}, {} bytes stored and {} expanded, but the zip \
                                 says {:08x}, {} and {}",
                                got.0, got.1, got.2, want.0, want.1, want.2
                            ),
                        ));
                    }
                }
                locals.insert(
                    offset,
                    Local {
                        name: path,
                        end: r.pos,
                        referenced: false,
                    },
                );
            }
            ZIP_CENTRAL => {
                check_central(r, &mut locals)?;
                return limit.map_or(Ok(()), Err);
            }
            ZIP_END => {
                // An empty archive: the end record with no directory.
                return if locals.is_empty() {
                    Ok(())
                } else {
                    Err(refused(
                        "HiddenEntry",
                        "zip: entries with no central directory",
                    ))
                };
            }
            other => {
                return Err(refused(
                    "Corrupt",
                    format!("zip: unexpected record {other:08x} at byte {offset}"),
                ));
            }
        }
    }
}

/// Expands one stored or deflated member into `sink`. Returns (crc,
/// stored size, expanded size) as seen.
fn zip_member(
    r: &mut ChunkReader,
    path: &MemberPath,
    method: u64,
    descriptor: bool,
    csize: u64,
    sink: &mut Sink,
) -> Result<(u64, u64, u64), Stop> {
    let start = r.pos;
    let (expanded, crc) = match (method, descriptor) {
        (0, true) => {
            return Err(Stop::Limit(format!(
                "zip entry {path} is stored with its size only after its data"
            )));
        }
        (0, false) => crc_sink(path, (&mut *r).take(csize), sink)?,
        (_, true) => crc_sink(path, DeflateDecoder::new(&mut *r), sink)?,
        (_, false) => crc_sink(path, DeflateDecoder::new((&mut *r).take(csize)), sink)?,
    };
    if method == 0 && expanded != csize {
        return Err(refused(
            "Truncated",
            format!("{path}: {expanded} of its {csize} bytes present"),
        ));
    }
    Ok((crc, r.pos - start, expanded))
}

/// Reads `inner` to its end without looking, within the time budget.
fn discard(mut inner: impl Read, exp: &Expansion) -> Result<(), Stop> {
    let mut buf = vec![0u8; 64 << 10];
    while inner.read(&mut buf).map_err(Stop::Io)? > 0 {
        exp.check_time()?;
    }
    Ok(())
}

/// Feeds `inner` to `sink`, returning (bytes, CRC-32).
fn crc_sink(path: &MemberPath, inner: impl Read, sink: &mut Sink) -> Result<(u64, u64), Stop> {
    let mut reader = Crc32 {
        inner,
        crc: Crc::new(),
    };
    let n = sink(path, &mut reader)?;
    Ok((n, reader.crc.sum() as u64))
}

/// Reads a data descriptor: (crc, stored size, expanded size).
fn read_descriptor(r: &mut ChunkReader, zip64: bool) -> Result<Option<(u64, u64, u64)>, Stop> {
    let size = if zip64 { 8 } else { 4 };
    let Some(first) = r.read_u32()? else {
        return Ok(None);
    };
    let crc = if first == ZIP_DESCRIPTOR {
        match r.read_u32()? {
            Some(c) => c,
            None => return Ok(None),
        }
    } else {
        first
    };
    let Some(b) = r.read_vec(2 * size)? else {
        return Ok(None);
    };
    let num = |at: usize| {
        if zip64 {
            u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"))
        } else {
            le32(&b, at)
        }
    };
    Ok(Some((crc, num(0), num(size))))
}

/// Checks the central directory (the first header's signature already
/// read) against the local entries the walk saw.
fn check_central(r: &mut ChunkReader, locals: &mut HashMap<u64, Local>) -> Result<(), Stop> {
    let truncated = || refused("Truncated", "zip: the central directory is cut short");
    let mut sig = ZIP_CENTRAL;
    let mut entries = 0u64;
    loop {
        match sig {
            ZIP_CENTRAL => {
                let h = r.read_vec(42)?.ok_or_else(truncated)?;
                let raw_name = r.read_vec(le16(&h, 24) as usize)?.ok_or_else(truncated)?;
                let extra = r.read_vec(le16(&h, 26) as usize)?.ok_or_else(truncated)?;
                if !r.skip(le16(&h, 28))? {
                    return Err(truncated());
                }
                let (mut csize, mut usize_, mut offset) =
                    (le32(&h, 16), le32(&h, 20), le32(&h, 38));
                zip64_fields(&extra, &mut [&mut usize_, &mut csize, &mut offset]);
                let name = String::from_utf8_lossy(&raw_name).into_owned();
                let unix_mode = le32(&h, 34) >> 16;
                if le16(&h, 0) >> 8 == 3 && unix_mode & 0o170000 == 0o120000 {
                    return Err(refused("Link", format!("{name} is a symbolic link")));
                }
                match locals.get_mut(&offset) {
                    Some(local) if local.referenced => {
                        return Err(refused(
                            "OverlappingEntries",
                            format!("{name} shares its data with {}", local.name),
                        ));
                    }
                    Some(local) => {
                        if MemberPath::parse(&raw_name).ok().as_ref() != Some(&local.name) {
                            return Err(refused(
                                "Inconsistent",
                                format!(
                                    "the central directory names {name:?} what the local header names {}",
                                    local.name
                                ),
                            ));
                        }
                        local.referenced = true;
                    }
                    None => {
                        let inside = locals
                            .iter()
                            .find(|(start, l)| **start < offset && offset < l.end);
                        return Err(match inside {
                            Some((_, l)) => refused(
                                "OverlappingEntries",
                                format!("{name} lies inside the data of {}", l.name),
                            ),
                            None => refused(
                                "HiddenEntry",
                                format!(
                                    "{name} at byte {offset} has no local header in the stream"
                                ),
                            ),
                        });
                    }
                }
                entries += 1;
            }
            ZIP_SIGNATURE => {
                let len = r.read_vec(2)?.ok_or_else(truncated)?;
                if !r.skip(le16(&len, 0))? {
                    return Err(truncated());
                }
            }
            ZIP64_END => {
                let len = r.read_vec(8)?.ok_or_else(truncated)?;
                let len = u64::from_le_bytes(len[..8].try_into().expect("8 bytes"));
                if !r.skip(len)? {
                    return Err(truncated());
                }
            }
            ZIP64_LOCATOR => {
                if !r.skip(16)? {
                    return Err(truncated());
                }
            }
            ZIP_END => {
                let h = r.read_vec(18)?.ok_or_else(truncated)?;
                if le16(&h, 0) != 0 || le16(&h, 2) != 0 {
                    return Err(Stop::Limit(
                        "multi-volume zip archives are not supported".into(),
                    ));
                }
                let total = le16(&h, 6);
                if total != 0xFFFF && total != entries {
                    return Err(refused(
                        "Inconsistent",
                        format!(
                            "zip: the end record counts {total} entries, the directory {entries}"
                        ),
                    ));
                }
                if let Some(l) = locals.values().find(|l| !l.referenced) {
                    return Err(refused(
                        "HiddenEntry",
                        format!("{} is missing from the central directory", l.name),
                    ));
                }
                return Ok(());
            }
            other => {
                return Err(refused(
                    "Corrupt",
                    format!("zip: unexpected record {other:08x} in the central directory"),
                ));
            }
        }
        sig = r.read_u32()?.ok_or_else(truncated)?;
    }
}

/// The stream's chunks as a blocking [`BufRead`] that counts what it
/// consumed. Used only on a blocking thread.
pub(crate) struct ChunkReader {
    rx: Chunks,
    cur: Bytes,
    ended: bool,
    /// Bytes consumed so far.
    pub pos: u64,
}

impl ChunkReader {
    fn new(rx: Chunks) -> Self {
        Self {
            rx,
            cur: Bytes::new(),
            ended: false,
            pos: 0,
        }
    }

    /// At least `n` bytes unless the stream is shorter, without consuming.
    fn peek(&mut self, n: usize) -> &[u8] {
        while self.cur.len() < n && !self.ended {
            match self.rx.blocking_recv() {
                Some(c) => {
                    let mut joined = Vec::with_capacity(self.cur.len() + c.len());
                    joined.extend_from_slice(&self.cur);
                    joined.extend_from_slice(&c);
                    self.cur = joined.into();
                }
                None => self.ended = true,
            }
        }
        &self.cur
    }

    fn at_eof(&mut self) -> bool {
        self.fill_buf().map(|b| b.is_empty()).unwrap_or(true)
    }

    /// Exactly `n` bytes, or `None` if the stream ends first.
    fn read_vec(&mut self, n: usize) -> Result<Option<Vec<u8>>, Stop> {
        let mut v = Vec::with_capacity(n);
        (&mut *self)
            .take(n as u64)
            .read_to_end(&mut v)
            .map_err(Stop::Io)?;
        Ok((v.len() == n).then_some(v))
    }

    fn read_u32(&mut self) -> Result<Option<u64>, Stop> {
        Ok(self.read_vec(4)?.map(|b| le32(&b, 0)))
    }

    /// Skips `n` bytes; false if the stream ended first.
    fn skip(&mut self, n: u64) -> Result<bool, Stop> {
        let copied = io::copy(&mut (&mut *self).take(n), &mut io::sink()).map_err(Stop::Io)?;
        Ok(copied == n)
    }
}

impl Read for ChunkReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let avail = self.fill_buf()?;
        let n = avail.len().min(buf.len());
        buf[..n].copy_from_slice(&avail[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for ChunkReader {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        while self.cur.is_empty() && !self.ended {
            match self.rx.blocking_recv() {
                Some(c) => self.cur = c,
                None => self.ended = true,
            }
        }
        Ok(&self.cur)
    }

    fn consume(&mut self, n: usize) {
        self.cur.advance(n);
        self.pos += n as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_paths_are_confined() {
        let ok = |raw: &str| MemberPath::parse(raw.as_bytes()).unwrap().0;
        assert_eq!(ok("a/b.csv"), "a/b.csv");
        assert_eq!(ok("./a//b.csv"), "a/b.csv");
        assert_eq!(ok("dir\\x.csv"), "dir/x.csv");
        assert_eq!(ok("dir/"), "dir");
        for bad in [
            "../x",
            "a/../../x",
            "/etc/passwd",
            "C:/x",
            "c:\\x",
            "..\\x",
            "a\0b",
            "",
            "./",
        ] {
            assert!(MemberPath::parse(bad.as_bytes()).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn links_stay_inside() {
        let m = |p: &str| MemberPath::parse(p.as_bytes()).unwrap();
        assert!(check_link(&m("a/link"), b"b.csv").is_ok());
        assert!(check_link(&m("a/link"), b"../b.csv").is_ok());
        assert!(check_link(&m("a/link"), b"../../b.csv").is_err());
        assert!(check_link(&m("link"), b"/etc/passwd").is_err());
        assert!(check_link(&m("link"), b"x/../../y").is_err());
    }

    #[test]
    fn gzip_content_is_named_from_its_container() {
        assert_eq!(gunzipped_name("x.csv.gz").0, "x.csv");
        assert_eq!(gunzipped_name("dir/x.TGZ").0, "x.tar");
        assert_eq!(gunzipped_name("x.bin").0, "x.bin");
        assert_eq!(gunzipped_name(".gz").0, ".gz");
    }
}
