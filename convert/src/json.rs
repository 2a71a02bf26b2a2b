//! JSON: NDJSON and JSON arrays of objects, nested values kept as Arrow
//! structs and lists.
//!
//! The key decision is to frame any JSON layout into one record per line
//! as it streams ([`JsonFramer`]), so one bounded reader serves both, and
//! to take the types from every record: arrow-json given a narrower
//! schema would drop fields silently.

use arrow::datatypes::{Schema, SchemaRef};
use arrow::error::ArrowError;

use crate::error::invalid;
use crate::source::{Source, open};
use crate::{Batches, ConvertError, ConvertOptions};

/// Reads JSON as one record per line, whatever its layout: a top-level
/// array's brackets and separating commas become line breaks, and line
/// breaks inside a record become spaces (outside strings they are only
/// whitespace). It bounds each record's length like [`RecordGuard`], and
/// notes the input line each record starts on, for error messages.
struct JsonFramer<R> {
    inner: R,
    limit: usize,
    line: u64,
    /// Bytes of the current record so far; 0 between records.
    record_bytes: usize,
    depth: u32,
    in_string: bool,
    escaped: bool,
    /// `None` until the first value: then whether it is an array.
    array: Option<bool>,
    /// The top-level array has closed: only whitespace may follow.
    closed: bool,
    /// Input lines on which the records framed so far start.
    starts: std::collections::VecDeque<u64>,
}

impl<R> JsonFramer<R> {
    fn new(inner: R, limit: usize) -> Self {
        Self {
            inner,
            limit,
            line: 1,
            record_bytes: 0,
            depth: 0,
            in_string: false,
            escaped: false,
            array: None,
            closed: false,
            starts: Default::default(),
        }
    }

    fn frame(&mut self, buf: &mut [u8]) -> std::io::Result<()> {
        let bad = |msg: String| std::io::Error::new(std::io::ErrorKind::InvalidData, msg);
        for b in buf.iter_mut() {
            let byte = *b;
            if byte == b'\n' {
                self.line += 1;
            }
            if self.in_string {
                self.record_bytes += 1;
                match (self.escaped, byte) {
                    (true, _) => self.escaped = false,
                    (false, b'\\') => self.escaped = true,
                    (false, b'"') => self.in_string = false,
                    _ => {}
                }
            } else if byte.is_ascii_whitespace() {
                if self.record_bytes > 0 {
                    self.record_bytes += 1;
                    *b = b' ';
                } else if byte == b'\r' {
                    *b = b' ';
                }
            } else if self.closed {
                return Err(bad(format!(
                    "line {}: text after the top-level JSON array",
                    self.line
                )));
            } else if self.array.is_none() && byte == b'[' {
                self.array = Some(true);
                *b = b' ';
            } else if self.array == Some(true)
                && self.depth == 0
                && self.record_bytes == 0
                && byte == b']'
            {
                self.closed = true;
                *b = b'\n';
            } else if self.array == Some(true)
                && self.depth == 0
                && self.record_bytes > 0
                && matches!(byte, b',' | b']')
            {
                self.record_bytes = 0;
                self.closed = byte == b']';
                *b = b'\n';
            } else if self.array == Some(true)
                && self.depth == 0
                && self.record_bytes == 0
                && byte == b','
            {
                return Err(bad(format!(
                    "line {}: an empty element in the JSON array",
                    self.line
                )));
            } else {
                self.array.get_or_insert(false);
                if self.record_bytes == 0 {
                    self.starts.push_back(self.line);
                }
                self.record_bytes += 1;
                match byte {
                    b'"' => self.in_string = true,
                    b'{' | b'[' => self.depth += 1,
                    b'}' | b']' => self.depth = self.depth.saturating_sub(1),
                    _ => {}
                }
            }
            // In NDJSON a record ends with its line.
            if self.array == Some(false) && self.depth == 0 && !self.in_string && byte == b'\n' {
                self.record_bytes = 0;
                *b = b'\n';
            }
            if self.record_bytes > self.limit {
                return Err(bad(format!(
                    "the JSON record starting at line {} is longer than {} bytes",
                    self.starts.back().copied().unwrap_or(self.line),
                    self.limit
                )));
            }
        }
        Ok(())
    }
}

impl<R: std::io::Read> std::io::Read for JsonFramer<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 && self.array == Some(true) && !self.closed {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "the JSON array is not closed: is the file cut short?",
            ));
        }
        self.frame(&mut buf[..n])?;
        Ok(n)
    }
}

/// Infers a JSON delivery's schema from every record, parsed one at a time,
/// naming the line of the first that does not parse.
pub(crate) fn schema(
    src: &std::path::Path,
    source: Source,
    opts: &ConvertOptions,
) -> Result<Schema, ConvertError> {
    use std::io::BufRead;
    let mut reader =
        std::io::BufReader::new(JsonFramer::new(open(src, source)?, opts.max_record_bytes));
    let mut line = String::new();
    let records = std::iter::from_fn(|| {
        loop {
            line.clear();
            match reader.read_line(&mut line) {
                Ok(0) => return None,
                Ok(_) if line.trim().is_empty() => continue,
                Ok(_) => {}
                Err(e) => return Some(Err(ArrowError::from(e))),
            }
            let at = reader.get_mut().starts.pop_front().unwrap_or_default();
            // Errors name the line, never the value: it may be personal data.
            return Some(
                match serde_json::from_str::<serde_json::Value>(line.trim()) {
                    Ok(v) if v.is_object() => Ok(v),
                    Ok(_) => Err(ArrowError::JsonError(format!(
                        "the JSON value starting at line {at} is not an object; each record must be one"
                    ))),
                    Err(e) => Err(ArrowError::JsonError(format!(
                        "the JSON record starting at line {at} does not parse: {e}"
                    ))),
                },
            );
        }
    });
    arrow::json::reader::infer_json_schema_from_iterator(records).map_err(invalid)
}

/// A JSON delivery's record batches under `schema`.
pub(crate) fn batches(
    src: &std::path::Path,
    source: Source,
    schema: SchemaRef,
    opts: &ConvertOptions,
) -> Result<Batches, ConvertError> {
    Ok(Box::new(
        // A column inferred as text from mixed values keeps its numbers
        // and booleans as the text they were written as.
        arrow::json::ReaderBuilder::new(schema)
            .with_coerce_primitive(true)
            .with_batch_size(opts.batch_rows)
            .build(std::io::BufReader::new(JsonFramer::new(
                open(src, source)?,
                opts.max_record_bytes,
            )))
            .map_err(invalid)?,
    ))
}
