//! Format detection: what a delivery is, from its name, the format its
//! supplier declared and its first 64 KiB, and how its bytes are opened.
//!
//! The key decision is to trust nothing but the bytes for what can be
//! seen in them (the text encoding, the delimiter, a header row) and the
//! name or declaration for the rest (the layout), so that a file's fate
//! never depends on a guess the scanner did not also make. gzip is
//! inflated on the way in; Parquet and workbooks are read from their
//! ends and cannot be.

use crate::ConvertError;
use crate::error::invalid;
use crate::frame::Input;
use crate::mapped;

/// How a delivery is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Delimited text: CSV, TSV (a `;` or `|` CSV is recognised).
    Delimited { delimiter: u8, header: bool },
    /// JSON objects, one per line (NDJSON), or a JSON array of them.
    Json,
    /// Parquet: read, every value decoded, and written anew.
    Parquet,
    /// An Excel workbook (.xlsx): one sheet, its first row the header.
    Xlsx,
    /// An Avro object container file (any codec: null, deflate, snappy,
    /// zstd), its logical types mapped to Arrow's.
    Avro,
}

/// What the converter reads: a layout, maybe inside gzip, in a text
/// encoding (`None`: UTF-8, or what a byte-order mark says).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Source {
    pub layout: Layout,
    pub gzip: bool,
    pub encoding: Option<&'static encoding_rs::Encoding>,
}

impl Source {
    /// From the file name (`x.csv`, `x.tsv`, `x.ndjson`, `x.jsonl`,
    /// `x.json`, `x.avro`, each maybe `.gz`, and `x.parquet`) and the format its supplier declared, if
    /// any; `None` for what this converter does not read.
    pub fn of(filename: &str, declared: Option<&str>) -> Option<Self> {
        let lower = filename.to_ascii_lowercase();
        let (inner, gzip) = match lower.strip_suffix(".gz") {
            Some(inner) => (inner, true),
            None => (lower.as_str(), declared == Some("gz")),
        };
        let kind = match declared {
            Some(d @ ("csv" | "tsv" | "json" | "ndjson" | "parquet" | "avro" | "xlsx")) => d,
            _ => inner.rsplit_once('.').map(|(_, e)| e).unwrap_or_default(),
        };
        let layout = match kind {
            "csv" => Layout::Delimited {
                delimiter: b',',
                header: true,
            },
            "tsv" => Layout::Delimited {
                delimiter: b'\t',
                header: true,
            },
            "json" | "ndjson" | "jsonl" => Layout::Json,
            // Parquet is read from its footer: it cannot be read inflating.
            "parquet" if !gzip => Layout::Parquet,
            "avro" => Layout::Avro,
            // A workbook is a zip, read by its central directory.
            "xlsx" if !gzip => Layout::Xlsx,
            _ => return None,
        };
        Some(Self {
            layout,
            gzip,
            encoding: None,
        })
    }

    /// Refines the source from its first 64 KiB: the text encoding (a
    /// byte-order mark; else UTF-8 when the bytes show any, else
    /// Windows-1252), and for delimited text the delimiter and whether the
    /// first row is a header (not when every field in it is a number).
    pub(crate) fn sniff(mut self, src: &std::path::Path) -> Result<Self, ConvertError> {
        use std::io::Read;
        let mut head = Vec::new();
        open_raw(src, self.gzip)?
            .take(64 << 10)
            .read_to_end(&mut head)
            .map_err(|e| invalid(e.into()))?;
        if head.is_empty() {
            return Err(ConvertError::Invalid("the file is empty".into()));
        }
        if matches!(self.layout, Layout::Parquet | Layout::Avro | Layout::Xlsx) {
            return Ok(self);
        }
        let bom = [&b"\xef\xbb\xbf"[..], b"\xff\xfe", b"\xfe\xff"]
            .iter()
            .any(|b| head.starts_with(b));
        self.encoding = (!bom && !looks_utf8(&head)).then_some(encoding_rs::WINDOWS_1252);
        if let Layout::Delimited { delimiter, .. } = self.layout {
            let (text, _, _) = self.encoding.unwrap_or(encoding_rs::UTF_8).decode(&head);
            let first = text.lines().next().unwrap_or_default();
            let count = |d: char| {
                first
                    .split('"')
                    .step_by(2)
                    .map(|s| s.matches(d).count())
                    .sum::<usize>()
            };
            let delimiter = if count(delimiter as char) > 0 {
                delimiter
            } else {
                [b',', b';', b'\t', b'|']
                    .into_iter()
                    .max_by_key(|d| count(*d as char))
                    .filter(|d| count(*d as char) > 0)
                    .unwrap_or(delimiter)
            };
            let numeric = |f: &str| f.trim().trim_matches('"').parse::<f64>().is_ok();
            let header = !first.split(delimiter as char).all(numeric);
            self.layout = Layout::Delimited { delimiter, header };
        }
        Ok(self)
    }
}

/// Whether `head` reads as UTF-8: it is valid (but for a sequence cut at
/// its end), or it holds valid non-ASCII UTF-8, so that invalid bytes
/// elsewhere are errors to report, not a sign of another encoding.
fn looks_utf8(head: &[u8]) -> bool {
    match std::str::from_utf8(head) {
        Ok(_) => true,
        Err(e) if e.error_len().is_none() => true,
        Err(_) => head.utf8_chunks().any(|c| !c.valid().is_ascii()),
    }
}

/// Errors of the gzip layer are about the input (corrupt or cut short),
/// not about reading the quarantined file.
struct GzipInput<R>(R);

impl<R: std::io::Read> std::io::Read for GzipInput<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        use std::io::ErrorKind::*;
        self.0.read(buf).map_err(|e| match e.kind() {
            InvalidInput | InvalidData | UnexpectedEof => {
                std::io::Error::new(InvalidData, format!("gzip: {e}"))
            }
            _ => e,
        })
    }
}

/// Delimited text for the framer: UTF-8 that needs neither inflating nor
/// transcoding is mapped (past a UTF-8 byte-order mark, which [`open`]
/// would drop), anything else is read through [`open`].
pub(crate) fn text(
    path: &std::path::Path,
    source: Source,
) -> std::io::Result<Input<Box<dyn std::io::Read + Send>>> {
    if !source.gzip && source.encoding.is_none() {
        match mapped::map(&std::fs::File::open(path)?) {
            Ok(map) if !(map.starts_with(b"\xff\xfe") || map.starts_with(b"\xfe\xff")) => {
                let bom = if map.starts_with(b"\xef\xbb\xbf") {
                    3
                } else {
                    0
                };
                return Ok(Input::Mapped(map, bom));
            }
            Ok(_) => {} // UTF-16, to be transcoded
            // A file system that cannot map files: the file is read.
            Err(e) => tracing::debug!(error = %e, "the file cannot be mapped; reading it"),
        }
    }
    Ok(Input::Read(open(path, source)?))
}

/// The quarantined file as UTF-8: inflated if need be, a byte-order mark
/// dropped, UTF-16 and Windows-1252 transcoded. UTF-8 passes through
/// untouched, so invalid bytes still fail naming their line.
pub(crate) fn open(
    path: &std::path::Path,
    source: Source,
) -> std::io::Result<Box<dyn std::io::Read + Send>> {
    use std::io::Read;
    let mut raw = open_raw(path, source.gzip)?;
    let mut head = Vec::with_capacity(3);
    (&mut raw).take(3).read_to_end(&mut head)?;
    let bom = [&b"\xef\xbb\xbf"[..], b"\xff\xfe", b"\xfe\xff"]
        .iter()
        .any(|b| head.starts_with(b));
    let raw = std::io::Cursor::new(head).chain(raw);
    if source.encoding.is_none() && !bom {
        // UTF-8 as it is: read straight through, in the reader's own
        // sizes (the decoder would copy it in 8 KiB pieces).
        return Ok(Box::new(raw));
    }
    Ok(Box::new(
        encoding_rs_io::DecodeReaderBytesBuilder::new()
            .encoding(source.encoding)
            .bom_override(true)
            .utf8_passthru(true)
            .strip_bom(true)
            .build(raw),
    ))
}

/// The quarantined file, inflated if need be, buffered.
pub(crate) fn open_raw(
    path: &std::path::Path,
    gzip: bool,
) -> std::io::Result<Box<dyn std::io::Read + Send>> {
    let file = std::io::BufReader::with_capacity(1 << 16, std::fs::File::open(path)?);
    Ok(if gzip {
        Box::new(std::io::BufReader::with_capacity(
            1 << 16,
            GzipInput(flate2::read::MultiGzDecoder::new(file)),
        ))
    } else {
        Box::new(file)
    })
}
