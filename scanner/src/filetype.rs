//! The `filetype` engine: does the content match its name, and is it
//! something a data delivery must never carry?
//!
//! The first block's magic bytes give the content's kind. Executables
//! (PE, ELF, Mach-O), shebang scripts, macro-bearing Office documents and
//! encrypted zip members are refused unless the acquisition allows them;
//! content that contradicts its extension (a PE named `.csv`) is refused
//! always. Zip members are seen through their local headers as they stream
//! past, so a macro project or an encrypted member anywhere in the archive
//! is found without holding the file.

use crate::{Chunks, Engine, EngineReport, ScanContext, Verdict};

/// What the first bytes say the content is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Empty,
    Pe,
    Elf,
    MachO,
    Script,
    Ole2,
    Zip,
    Gzip,
    Tar,
    Pdf,
    Parquet,
    Avro,
    Text,
    Binary,
}

impl Kind {
    fn describe(self) -> &'static str {
        match self {
            Kind::Empty => "empty",
            Kind::Pe => "a Windows (PE) executable",
            Kind::Elf => "an ELF executable",
            Kind::MachO => "a Mach-O executable",
            Kind::Script => "a script with a #! line",
            Kind::Ole2 => "an OLE2 (legacy Office) document",
            Kind::Zip => "a zip archive",
            Kind::Gzip => "gzip data",
            Kind::Tar => "a tar archive",
            Kind::Pdf => "a PDF",
            Kind::Parquet => "Parquet",
            Kind::Avro => "an Avro container",
            Kind::Text => "text",
            Kind::Binary => "unrecognised binary data",
        }
    }
}

/// How many leading bytes decide the kind.
const HEAD_BYTES: usize = 4096;

fn sniff(head: &[u8]) -> Kind {
    let starts = |m: &[u8]| head.starts_with(m);
    if head.is_empty() {
        Kind::Empty
    } else if starts(b"MZ") {
        Kind::Pe
    } else if starts(b"\x7fELF") {
        Kind::Elf
    } else if [
        &b"\xfe\xed\xfa\xce"[..],
        b"\xfe\xed\xfa\xcf",
        b"\xce\xfa\xed\xfe",
        b"\xcf\xfa\xed\xfe",
    ]
    .iter()
    .any(|m| starts(m))
    {
        Kind::MachO
    } else if starts(b"#!") {
        Kind::Script
    } else if starts(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1") {
        Kind::Ole2
    } else if starts(b"PK\x03\x04") || starts(b"PK\x05\x06") {
        Kind::Zip
    } else if starts(b"\x1f\x8b") {
        Kind::Gzip
    } else if head.len() >= 262 && &head[257..262] == b"ustar" {
        Kind::Tar
    } else if starts(b"%PDF-") {
        Kind::Pdf
    } else if starts(b"PAR1") {
        Kind::Parquet
    } else if starts(b"Obj\x01") {
        Kind::Avro
    } else if !head.contains(&0) || utf16_bom(head) {
        Kind::Text
    } else {
        Kind::Binary
    }
}

fn utf16_bom(head: &[u8]) -> bool {
    head.starts_with(b"\xff\xfe") || head.starts_with(b"\xfe\xff")
}

/// The kinds an extension, or a declared format, may hold; `None` for
/// extensions not checked.
fn expected(extension: &str) -> Option<&'static [Kind]> {
    Some(match extension {
        "csv" | "tsv" | "txt" | "json" | "ndjson" | "jsonl" => &[Kind::Text, Kind::Empty],
        "parquet" => &[Kind::Parquet],
        "avro" => &[Kind::Avro],
        "xlsx" | "xlsm" | "docx" | "docm" | "zip" => &[Kind::Zip],
        "xls" | "doc" => &[Kind::Ole2],
        "gz" | "tgz" => &[Kind::Gzip],
        "tar" => &[Kind::Tar],
        "pdf" => &[Kind::Pdf],
        _ => return None,
    })
}

/// Findings gathered while the zip's local headers stream past.
#[derive(Debug, Default)]
struct ZipFindings {
    macro_member: Option<String>,
    encrypted_member: Option<String>,
}

/// Longest local header plus name that is parsed across a chunk edge.
const ZIP_CARRY: usize = 30 + 1024;

/// Looks at every plausible local file header in `buf`.
fn scan_zip_headers(buf: &[u8], found: &mut ZipFindings) {
    let mut at = 0;
    while let Some(pos) = find(&buf[at..], b"PK\x03\x04") {
        let h = at + pos;
        at = h + 4;
        let Some(header) = buf.get(h..h + 30) else {
            break;
        };
        let u16le = |o: usize| u16::from_le_bytes([header[o], header[o + 1]]);
        let (version, flags, method, name_len) = (u16le(4), u16le(6), u16le(8), u16le(26) as usize);
        // Random bytes in compressed data rarely pass these checks.
        let plausible = version <= 63
            && matches!(method, 0 | 8 | 9 | 12 | 14 | 93 | 99)
            && (1..=1024).contains(&name_len);
        let Some(name) = buf.get(h + 30..h + 30 + name_len) else {
            continue;
        };
        if !plausible || name.contains(&0) {
            continue;
        }
        let name = String::from_utf8_lossy(name).into_owned();
        if flags & 1 == 1 || method == 99 {
            found.encrypted_member.get_or_insert(name.clone());
        }
        let lower = name.to_ascii_lowercase();
        if lower.ends_with("vbaproject.bin") || lower.ends_with("vbadata.xml") {
            found.macro_member.get_or_insert(name);
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// `_VBA_PROJECT` in UTF-16LE, as OLE2 directory entries name it.
const OLE_VBA: &[u8] = b"_\0V\0B\0A\0_\0P\0R\0O\0J\0E\0C\0T\0";

#[derive(Default)]
pub struct FileType;

impl FileType {
    /// The formats a delivery may declare.
    pub const FORMATS: [&str; 12] = [
        "csv", "tsv", "txt", "json", "ndjson", "parquet", "avro", "xlsx", "zip", "gz", "tar", "pdf",
    ];

    pub fn new() -> Self {
        Self
    }

    /// The verdict for content of `kind`, named `filename`, with what the
    /// stream revealed.
    fn judge(ctx: &ScanContext, kind: Kind, zip: &ZipFindings, ole_macros: bool) -> Verdict {
        let refuse = |what: &str| Verdict::Infected {
            signature: format!("Airlock.FileType.{what}"),
        };
        let allow = ctx.allow;
        match kind {
            Kind::Pe | Kind::Elf | Kind::MachO if !allow.executables => {
                return refuse(&format!("Executable ({})", kind.describe()));
            }
            Kind::Script if !allow.scripts => return refuse("Script"),
            _ => {}
        }
        if !allow.macros {
            if let Some(member) = &zip.macro_member {
                return refuse(&format!("Macro ({member})"));
            }
            if ole_macros {
                return refuse("Macro (_VBA_PROJECT)");
            }
        }
        if !allow.encrypted
            && let Some(member) = &zip.encrypted_member
        {
            return refuse(&format!("Encrypted ({member})"));
        }
        if let Some(format) = &ctx.declared_format {
            match expected(format) {
                Some(kinds) if kinds.contains(&kind) => {}
                _ => {
                    return refuse(&format!(
                        "Mismatch (declared {format}, holds {})",
                        kind.describe()
                    ));
                }
            }
        }
        let extension = ctx
            .filename
            .rsplit_once('.')
            .map(|(_, e)| e.to_ascii_lowercase())
            .unwrap_or_default();
        match expected(&extension) {
            Some(kinds) if !kinds.contains(&kind) => refuse(&format!(
                "Mismatch (.{extension} holds {})",
                kind.describe()
            )),
            _ => Verdict::Clean,
        }
    }
}

#[async_trait::async_trait]
impl Engine for FileType {
    fn name(&self) -> &'static str {
        "filetype"
    }

    async fn scan(&self, ctx: &ScanContext, mut input: Chunks) -> EngineReport {
        let mut head: Vec<u8> = Vec::with_capacity(HEAD_BYTES);
        let mut kind = None;
        let mut zip = ZipFindings::default();
        let mut ole_macros = false;
        // The tail of the previous chunk, so headers across an edge parse.
        let mut carry: Vec<u8> = Vec::new();
        while let Some(chunk) = input.recv().await {
            if kind.is_none() {
                let want = HEAD_BYTES - head.len();
                head.extend_from_slice(&chunk[..chunk.len().min(want)]);
                if head.len() == HEAD_BYTES {
                    kind = Some(sniff(&head));
                }
            }
            carry.extend_from_slice(&chunk);
            if kind.is_none() || kind == Some(Kind::Zip) {
                scan_zip_headers(&carry, &mut zip);
            }
            if kind.is_none() || kind == Some(Kind::Ole2) {
                ole_macros |= find(&carry, OLE_VBA).is_some();
            }
            let keep = carry.len().min(ZIP_CARRY);
            carry.drain(..carry.len() - keep);
        }
        let kind = kind.unwrap_or_else(|| sniff(&head));
        // What the stream revealed counts only for the container it is in.
        if kind != Kind::Zip {
            zip = ZipFindings::default();
        }
        let ole_macros = ole_macros && kind == Kind::Ole2;
        EngineReport {
            engine: self.name().into(),
            verdict: Self::judge(ctx, kind, &zip, ole_macros),
            engine_version: concat!("airlock-filetype ", env!("CARGO_PKG_VERSION")).into(),
            db_version: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_declarable_format_is_checked() {
        for format in FileType::FORMATS {
            assert!(expected(format).is_some(), "{format}");
        }
    }

    #[test]
    fn content_is_held_to_its_declared_format() {
        let ctx = |declared: &str| ScanContext {
            filename: "data.bin".into(),
            declared_format: Some(declared.into()),
            allow: Default::default(),
        };
        let none = ZipFindings::default();
        assert_eq!(
            FileType::judge(&ctx("csv"), Kind::Text, &none, false),
            Verdict::Clean
        );
        assert_eq!(
            FileType::judge(&ctx("parquet"), Kind::Text, &none, false),
            Verdict::Infected {
                signature: "Airlock.FileType.Mismatch (declared parquet, holds text)".into()
            }
        );
        assert_eq!(
            FileType::judge(&ctx("csv"), Kind::Zip, &none, false),
            Verdict::Infected {
                signature: "Airlock.FileType.Mismatch (declared csv, holds a zip archive)".into()
            }
        );
    }
}
