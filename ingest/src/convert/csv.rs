//! Delimited text, parsed in parallel.
//!
//! One thread frames the decoded text into chunks of whole records (about
//! [`CHUNK_BYTES`] each by default), tracking RFC 4180 quoting: outside
//! quotes it reads 64-byte blocks at a time (`find`), and it steps byte by
//! byte only at quotes; a test holds it to a byte-by-byte framer. Text that
//! needs no decoding is framed in a mapping of the file, and its chunks are
//! views of it (`mapped`): no byte is copied before it is parsed. Framing is
//! where the input is judged as text: a record longer than the limit, a row
//! with the wrong number of fields, invalid UTF-8 and a quote left open are
//! refused there, naming their line in the whole file. Worker threads then
//! parse chunks into typed record batches, and the batches are handed on in
//! input order.
//!
//! Types come from a bounded sample (by default the first [`SAMPLE_BYTES`] of whole
//! records), not a pass over the whole file. A later value that does not fit
//! its column's type is never coerced: the chunk holding it is diagnosed
//! value by value, the column is widened just enough (an integer column
//! that meets `2.5` becomes a float column, one that meets `n/a` a string
//! column), and once the pass ends the conversion starts again under the
//! widened types. A file whose sample is representative is read once; any
//! other at most twice.

use std::collections::VecDeque;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex, RwLock};

use memmap2::Mmap;

use arrow::array::{
    Array, ArrayRef, BooleanBuilder, Date32Builder, Float64Builder, Int64Builder, NullArray,
    RecordBatch, StringArray, StringBuilder, TimestampMicrosecondBuilder,
};
use arrow::compute::kernels::cast_utils::string_to_datetime;
use arrow::csv::ReaderBuilder;
use arrow::csv::reader::Format;
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use arrow::error::ArrowError;

use airlock_catalog::{Position, SchemaCheck};

use super::contract::Conformer;
use super::find::{Blocks, Positions};
use super::mapped::{Text, View};
use super::named;
use crate::IngestError;

/// About how much text one chunk holds (it ends on a record boundary).
pub const CHUNK_BYTES: usize = 1 << 20;
/// How much of the file, in whole records, the types are inferred from.
pub const SAMPLE_BYTES: usize = 8 << 20;
/// How much the framer asks its reader for at a time.
const READ_BYTES: usize = 256 << 10;

/// A run of whole records, checked to be UTF-8 once, when it is cut.
pub struct Chunk {
    pub text: Text,
    /// The line of the file the chunk starts on.
    pub first_line: u64,
    /// The chunk starts with the header row.
    pub header: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Quoting {
    FieldStart,
    Unquoted,
    Quoted,
    /// A quote inside a quoted field: closes it, or escapes a second quote.
    QuoteInQuoted,
}

#[derive(PartialEq, Eq)]
enum Event {
    Byte,
    FieldEnd,
    RecordEnd,
}

/// One byte of RFC 4180 as the CSV parser reads it: a quote opens a quoted
/// field only at its start; `\r`, `\n` (and so `\r\n`) end a record outside
/// quotes.
#[inline]
fn step(state: Quoting, b: u8, delimiter: u8) -> (Quoting, Event) {
    use Quoting::*;
    match (state, b) {
        (Quoted, b'"') => (QuoteInQuoted, Event::Byte),
        (Quoted, _) => (Quoted, Event::Byte),
        (_, b'\n' | b'\r') => (FieldStart, Event::RecordEnd),
        (_, d) if d == delimiter => (FieldStart, Event::FieldEnd),
        (FieldStart | QuoteInQuoted, b'"') => (Quoted, Event::Byte),
        _ => (Unquoted, Event::Byte),
    }
}

/// Where a framer's text comes from.
pub enum Input<R> {
    /// A reader (of inflated or transcoded text), read into the framer's
    /// buffers.
    Read(R),
    /// A mapped file, from an offset (past a byte-order mark): chunks are
    /// views of it, and nothing is copied.
    Mapped(Arc<Mmap>, usize),
}

/// Cuts decoded text into chunks of whole records, checking each record.
pub struct Framer<R> {
    input: Input<R>,
    /// Mapped: where `buf` would start in the file, and how far it is
    /// taken to be read.
    from: usize,
    to: usize,
    delimiter: u8,
    limit: usize,
    chunk_bytes: usize,
    /// How much to read (or take of a mapped file) at a time.
    read_bytes: usize,
    header: bool,
    buf: Vec<u8>,
    /// Bytes of `buf` scanned so far.
    scanned: usize,
    /// The end of the last whole record in `buf`.
    boundary: usize,
    state: Quoting,
    fields: usize,
    record_bytes: usize,
    /// Fields per record, from the first.
    width: Option<usize>,
    /// The line at `scanned`, at the current record's start, at `boundary`
    /// and at `buf[0]`.
    line: u64,
    record_line: u64,
    boundary_line: u64,
    chunk_line: u64,
    first: bool,
    eof: bool,
    /// Buffers of parsed chunks, handed back to be read into again: a
    /// fresh buffer per chunk cost a page fault per 4 KiB of the file.
    spare: Vec<Vec<u8>>,
}

fn bad(msg: String) -> IngestError {
    IngestError::InvalidInput(msg)
}

impl<R: std::io::Read> Framer<R> {
    pub fn new(
        input: Input<R>,
        delimiter: u8,
        header: bool,
        limit: usize,
        chunk_bytes: usize,
    ) -> Self {
        let from = match &input {
            Input::Mapped(_, from) => *from,
            Input::Read(_) => 0,
        };
        Self {
            input,
            from,
            to: from,
            delimiter,
            limit,
            chunk_bytes,
            read_bytes: READ_BYTES,
            header,
            buf: Vec::new(),
            scanned: 0,
            boundary: 0,
            state: Quoting::FieldStart,
            fields: 1,
            record_bytes: 0,
            width: None,
            line: 1,
            record_line: 1,
            boundary_line: 1,
            chunk_line: 1,
            first: true,
            eof: false,
            spare: Vec::new(),
        }
    }

    /// Fields per record, once the first record is framed.
    pub fn width(&self) -> Option<usize> {
        self.width
    }

    /// Takes back a chunk's buffer to cut a later chunk into, unless it
    /// grew past twice a chunk's size (a long record) or enough are kept.
    pub fn recycle(&mut self, mut buf: Vec<u8>) {
        if self.spare.len() < 2 && buf.capacity() <= 2 * (self.chunk_bytes + self.read_bytes) {
            buf.clear();
            self.spare.push(buf);
        }
    }

    pub fn next_chunk(&mut self) -> Result<Option<Chunk>, IngestError> {
        loop {
            if self.boundary >= self.chunk_bytes || (self.eof && self.boundary > 0) {
                return self.cut().map(Some);
            }
            if self.eof {
                return Ok(None);
            }
            let n = match &mut self.input {
                Input::Mapped(map, _) => {
                    let n = self.read_bytes.min(map.len() - self.to);
                    self.to += n;
                    n
                }
                Input::Read(inner) => {
                    let len = self.buf.len();
                    self.buf.resize(len + self.read_bytes, 0);
                    let n = match inner.read(&mut self.buf[len..]) {
                        Ok(n) => n,
                        Err(e) => {
                            self.buf.truncate(len);
                            return Err(match e.kind() {
                                std::io::ErrorKind::InvalidData => bad(e.to_string()),
                                _ => IngestError::Io(e),
                            });
                        }
                    };
                    self.buf.truncate(len + n);
                    n
                }
            };
            if n == 0 {
                self.eof = true;
                self.end_of_input()?;
            } else {
                self.scan()?;
            }
        }
    }

    /// Scans the new bytes a run at a time: outside quotes, up to the next
    /// quote, it finds the delimiters and line breaks a block at a time
    /// ([`Blocks`]) and ends a record at each break; inside quotes it
    /// jumps to the closing quote. Only quotes and the bytes after them go
    /// through [`step`].
    fn scan(&mut self) -> Result<(), IngestError> {
        if let Input::Mapped(map, _) = &self.input {
            let map = map.clone();
            return self.scan_from(&map[self.from..self.to]);
        }
        let buf = std::mem::take(&mut self.buf);
        let scanned = self.scan_from(&buf);
        self.buf = buf;
        scanned
    }

    /// How many bytes are read and not yet cut.
    fn unread(&self) -> usize {
        match self.input {
            Input::Mapped(..) => self.to - self.from,
            Input::Read(_) => self.buf.len(),
        }
    }

    fn scan_from(&mut self, buf: &[u8]) -> Result<(), IngestError> {
        let d = self.delimiter;
        let mut i = self.scanned;
        let len = buf.len();
        while i < len {
            let rest = &buf[i..];
            let n = memchr::memchr(b'"', rest).unwrap_or(rest.len());
            if self.state == Quoting::Quoted {
                self.line += newlines(&rest[..n]);
                self.record_bytes += n;
            } else {
                let mut from = 0;
                let groups = [[d; 3], [b'\n', b'\r', b'\r']];
                for (base, [mut delimiters, mut breaks]) in Blocks::new(&rest[..n], groups) {
                    // The delimiters are counted, record by record, not
                    // visited one by one.
                    while breaks != 0 {
                        let bit = breaks.trailing_zeros();
                        breaks &= breaks - 1;
                        let before = (1u64 << bit) - 1;
                        self.fields += (delimiters & before).count_ones() as usize;
                        delimiters &= !before;
                        let at = base + bit as usize;
                        self.record_bytes += at - from;
                        if self.record_bytes > self.limit {
                            return Err(self.too_long());
                        }
                        from = at + 1;
                        if rest[at] == b'\n' {
                            self.line += 1;
                        }
                        self.end_record()?;
                        self.boundary = i + from;
                        self.boundary_line = self.line;
                        self.record_line = self.line;
                        self.state = Quoting::FieldStart;
                    }
                    self.fields += delimiters.count_ones() as usize;
                }
                if n > from {
                    // The run's last byte decides the state it leaves.
                    self.state = if rest[n - 1] == d {
                        Quoting::FieldStart
                    } else {
                        Quoting::Unquoted
                    };
                }
                self.record_bytes += n - from;
            }
            i += n;
            if self.record_bytes > self.limit {
                return Err(self.too_long());
            }
            let Some(&b) = buf.get(i) else {
                break;
            };
            if b == b'\n' {
                self.line += 1;
            }
            let (state, event) = step(self.state, b, d);
            self.state = state;
            i += 1;
            match event {
                Event::Byte => self.record_bytes += 1,
                Event::FieldEnd => {
                    self.record_bytes += 1;
                    self.fields += 1;
                }
                Event::RecordEnd => {
                    self.end_record()?;
                    self.boundary = i;
                    self.boundary_line = self.line;
                    self.record_line = self.line;
                    continue;
                }
            }
            if self.record_bytes > self.limit {
                return Err(self.too_long());
            }
        }
        self.scanned = len;
        Ok(())
    }

    fn too_long(&self) -> IngestError {
        bad(format!(
            "the record starting at line {} is longer than {} bytes{}",
            self.record_line,
            self.limit,
            if self.state == Quoting::Quoted {
                " (is a quote left open?)"
            } else {
                ""
            }
        ))
    }

    /// A record ends: checks its width. Empty lines are no records.
    fn end_record(&mut self) -> Result<(), IngestError> {
        if self.record_bytes > 0 {
            match self.width {
                None => self.width = Some(self.fields),
                Some(w) if w != self.fields => {
                    return Err(bad(format!(
                        "line {}: {} fields where the {} has {w}",
                        self.record_line,
                        self.fields,
                        if self.header { "header" } else { "first row" }
                    )));
                }
                Some(_) => {}
            }
        }
        self.fields = 1;
        self.record_bytes = 0;
        Ok(())
    }

    fn end_of_input(&mut self) -> Result<(), IngestError> {
        if self.state == Quoting::Quoted {
            return Err(bad(format!(
                "line {}: a quote is left open at the end of the file",
                self.record_line
            )));
        }
        // A last record without a line break.
        self.end_record()?;
        self.boundary = self.unread();
        self.boundary_line = self.line;
        Ok(())
    }

    fn cut(&mut self) -> Result<Chunk, IngestError> {
        let first_line = self.chunk_line;
        let not_utf8 = |bytes: &[u8], e: std::str::Utf8Error| {
            let line = first_line + newlines(&bytes[..e.valid_up_to()]);
            bad(format!("line {line}: the text is not valid UTF-8"))
        };
        let text = match &self.input {
            Input::Mapped(map, _) => {
                let range = self.from..self.from + self.boundary;
                self.from = range.end;
                Text::Mapped(
                    View::new(map.clone(), range.clone()).map_err(|e| not_utf8(&map[range], e))?,
                )
            }
            Input::Read(_) => {
                // The next chunk's buffer is sized for it at once, so that
                // reading into it does not move it (unless a record
                // outgrows the chunk): a spare one if it is large enough
                // (growing it would copy all of it), with room for the
                // tails of most records.
                let tail = &self.buf[self.boundary..];
                let need = self.chunk_bytes + self.read_bytes + tail.len();
                let mut rest = match self.spare.pop() {
                    Some(spare) if spare.capacity() >= need => spare,
                    _ => Vec::with_capacity(need.max(self.chunk_bytes + 2 * self.read_bytes)),
                };
                rest.extend_from_slice(tail);
                self.buf.truncate(self.boundary);
                let bytes = std::mem::replace(&mut self.buf, rest);
                Text::Owned(
                    String::from_utf8(bytes).map_err(|e| not_utf8(e.as_bytes(), e.utf8_error()))?,
                )
            }
        };
        self.scanned -= self.boundary.min(self.scanned);
        self.boundary = 0;
        self.chunk_line = self.boundary_line;
        let header = std::mem::replace(&mut self.first, false) && self.header;
        Ok(Chunk {
            text,
            first_line,
            header,
        })
    }
}

fn newlines(bytes: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', bytes).count() as u64
}

/// The line of the file on which record `index` of the chunk (counting a
/// header) starts.
fn line_of(chunk: &Chunk, index: usize, delimiter: u8) -> u64 {
    let mut state = Quoting::FieldStart;
    let (mut line, mut record, mut empty) = (chunk.first_line, 0, true);
    for &b in chunk.text.as_bytes() {
        let (s, event) = step(state, b, delimiter);
        state = s;
        if event == Event::RecordEnd {
            record += usize::from(!empty);
            empty = true;
        } else if empty {
            if record == index {
                return line;
            }
            empty = false;
        }
        if b == b'\n' {
            line += 1;
        }
    }
    line
}

/// Arrow's types for delimited text, in a lattice: a column's type is the
/// join of its values' kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Null,
    Bool,
    Int,
    Float,
    Date,
    Timestamp,
    /// A timestamp with a zone or offset: an instant, stored in UTC.
    TimestampUtc,
    Text,
}

impl Kind {
    /// The narrowest kind holding `s`. Integers with a leading zero (codes,
    /// identifiers) are text; so are integers past 64 bits, and times finer
    /// than microseconds, which no numeric or time type would keep exactly.
    pub fn of(s: &str) -> Kind {
        let b = s.as_bytes();
        let Some(&first) = b.first() else {
            return Kind::Null;
        };
        if s.eq_ignore_ascii_case("true") || s.eq_ignore_ascii_case("false") {
            return Kind::Bool;
        }
        let digits = b.strip_prefix(b"-").or(b.strip_prefix(b"+")).unwrap_or(b);
        if !digits.is_empty() && digits.iter().all(u8::is_ascii_digit) {
            let leading_zero = digits.len() > 1 && digits[0] == b'0';
            return match super::values::int(s) {
                Some(_) if !leading_zero => Kind::Int,
                _ => Kind::Text,
            };
        }
        if (first.is_ascii_digit() || matches!(first, b'-' | b'+' | b'.'))
            && super::values::float(s).is_some()
        {
            return Kind::Float;
        }
        let date_shape =
            b.len() >= 10 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-' && b[7] == b'-';
        if date_shape && b.len() == 10 && super::values::date(s).is_some() {
            return Kind::Date;
        }
        if date_shape && b.len() >= 19 && matches!(b[10], b'T' | b' ') {
            if string_to_datetime(&chrono::Utc, s).is_err() {
                return Kind::Text;
            }
            let Some(rest) = s.get(19..) else {
                return Kind::Text;
            };
            let fraction = rest
                .strip_prefix('.')
                .map(|r| r.bytes().take_while(u8::is_ascii_digit).count())
                .unwrap_or(0);
            if fraction > 6 && rest[7..=fraction].bytes().any(|c| c != b'0') {
                return Kind::Text;
            }
            let zone = rest[fraction + usize::from(fraction > 0)..].trim();
            return if zone.is_empty() {
                Kind::Timestamp
            } else {
                Kind::TimestampUtc
            };
        }
        Kind::Text
    }

    pub fn join(self, other: Kind) -> Kind {
        use Kind::*;
        match (self.min(other), self.max(other)) {
            (a, b) if a == b => a,
            (Null, b) => b,
            (Int, Float) => Float,
            (Date, Timestamp) => Timestamp,
            _ => Text,
        }
    }

    pub fn data_type(self) -> DataType {
        match self {
            Kind::Null => DataType::Null,
            Kind::Bool => DataType::Boolean,
            Kind::Int => DataType::Int64,
            Kind::Float => DataType::Float64,
            Kind::Date => DataType::Date32,
            Kind::Timestamp => DataType::Timestamp(TimeUnit::Microsecond, None),
            Kind::TimestampUtc => DataType::Timestamp(TimeUnit::Microsecond, Some("+00:00".into())),
            Kind::Text => DataType::Utf8,
        }
    }

    fn of_type(t: &DataType) -> Kind {
        match t {
            DataType::Null => Kind::Null,
            DataType::Boolean => Kind::Bool,
            DataType::Int64 => Kind::Int,
            DataType::Float64 => Kind::Float,
            DataType::Date32 => Kind::Date,
            DataType::Timestamp(_, None) => Kind::Timestamp,
            DataType::Timestamp(_, Some(_)) => Kind::TimestampUtc,
            _ => Kind::Text,
        }
    }
}

/// Values of a column that do not fit its type.
#[derive(Debug, Clone)]
pub struct Misfit {
    pub column: usize,
    pub count: u64,
    pub first_line: u64,
    /// The narrowest kind holding the column's values in the chunk.
    pub needed: Kind,
}

/// A parsed chunk.
pub enum Parsed {
    Batches(Vec<RecordBatch>),
    Misfits(Vec<Misfit>),
}

/// How the text is laid out.
#[derive(Clone, Copy)]
pub struct Shape {
    pub delimiter: u8,
    pub width: usize,
    pub batch_rows: usize,
}

fn all_text(width: usize) -> SchemaRef {
    Arc::new(Schema::new(
        (0..width)
            .map(|i| Field::new(format!("c{i}"), DataType::Utf8, true))
            .collect::<Vec<_>>(),
    ))
}

/// Decodes a chunk under `schema`.
fn decode(chunk: &Chunk, schema: SchemaRef, shape: Shape) -> Result<Vec<RecordBatch>, ArrowError> {
    let mut decoder = ReaderBuilder::new(schema)
        .with_format(
            Format::default()
                .with_header(chunk.header)
                .with_delimiter(shape.delimiter),
        )
        .with_batch_size(shape.batch_rows)
        .build_decoder();
    let mut buf = chunk.text.as_bytes();
    let mut out = Vec::new();
    loop {
        let n = decoder.decode(buf)?;
        buf = &buf[n..];
        if n == 0 || decoder.capacity() == 0 {
            match decoder.flush()? {
                Some(b) => out.push(b),
                None if buf.is_empty() => return Ok(out),
                None => {}
            }
        }
    }
}

/// One column being read by [`direct`].
enum Column {
    Text(StringBuilder),
    Bool(BooleanBuilder),
    Int(Int64Builder),
    Float(Float64Builder),
    Date(Date32Builder),
    Time(TimestampMicrosecondBuilder, Option<Arc<str>>),
}

impl Column {
    fn new(t: &DataType, rows: usize, bytes: usize) -> Option<Self> {
        Some(match t {
            DataType::Utf8 => Column::Text(StringBuilder::with_capacity(rows, bytes)),
            DataType::Boolean => Column::Bool(BooleanBuilder::with_capacity(rows)),
            DataType::Int64 => Column::Int(Int64Builder::with_capacity(rows)),
            DataType::Float64 => Column::Float(Float64Builder::with_capacity(rows)),
            DataType::Date32 => Column::Date(Date32Builder::with_capacity(rows)),
            DataType::Timestamp(TimeUnit::Microsecond, zone)
                if zone.as_deref().is_none_or(|z| z == "+00:00") =>
            {
                Column::Time(
                    TimestampMicrosecondBuilder::with_capacity(rows),
                    zone.clone(),
                )
            }
            _ => return None,
        })
    }

    /// Appends one field as arrow's CSV reader would read it: empty is
    /// null; `None` when it does not parse.
    #[inline(always)]
    fn push(&mut self, s: &str) -> Option<()> {
        if s.is_empty() {
            match self {
                Column::Text(b) => b.append_null(),
                Column::Bool(b) => b.append_null(),
                Column::Int(b) => b.append_null(),
                Column::Float(b) => b.append_null(),
                Column::Date(b) => b.append_null(),
                Column::Time(b, _) => b.append_null(),
            }
            return Some(());
        }
        match self {
            Column::Text(b) => b.append_value(s),
            Column::Bool(b) => b.append_value(match s {
                _ if s.eq_ignore_ascii_case("false") => false,
                _ if s.eq_ignore_ascii_case("true") => true,
                _ => return None,
            }),
            Column::Int(b) => b.append_value(super::values::int(s)?),
            Column::Float(b) => b.append_value(super::values::float(s)?),
            Column::Date(b) => b.append_value(super::values::date(s)?),
            Column::Time(b, _) => {
                b.append_value(string_to_datetime(&chrono::Utc, s).ok()?.timestamp_micros())
            }
        }
        Some(())
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            Column::Text(b) => Arc::new(b.finish()),
            Column::Bool(b) => Arc::new(b.finish()),
            Column::Int(b) => Arc::new(b.finish()),
            Column::Float(b) => Arc::new(b.finish()),
            Column::Date(b) => Arc::new(b.finish()),
            Column::Time(b, zone) => Arc::new(b.finish().with_timezone_opt(zone.clone())),
        }
    }
}

/// Reads a chunk without quotes straight from its bytes into `schema`'s
/// columns, skipping the general CSV tokenizer and its copy of every field:
/// the framer has already checked the text is UTF-8 and every record's
/// width. The result is what arrow's reader gives. A chunk holding a quote
/// or a lone `\r`, a column type it does not read, or a value that does not
/// parse is left to arrow's reader (`None`), which then finds the misfits.
fn direct(chunk: &Chunk, schema: &SchemaRef, shape: Shape) -> Option<Vec<RecordBatch>> {
    let text = &*chunk.text;
    if memchr::memchr(b'"', text.as_bytes()).is_some() {
        return None;
    }
    let rows = shape.batch_rows;
    let bytes = text.len().min(rows * 64) / shape.width.max(1);
    let new = || {
        schema
            .fields()
            .iter()
            .map(|f| Column::new(f.data_type(), rows, bytes))
            .collect::<Option<Vec<_>>>()
    };
    let mut columns = new()?;
    let finish = |columns: &mut Vec<Column>| {
        let arrays = columns.iter_mut().map(Column::finish).collect();
        RecordBatch::try_new(schema.clone(), arrays).ok()
    };
    // `\r` only as the first half of `\r\n`.
    let bytes = text.as_bytes();
    for at in memchr::memchr_iter(b'\r', bytes) {
        if bytes.get(at + 1) != Some(&b'\n') {
            return None;
        }
    }
    let width = columns.len();
    let mut out = Vec::new();
    let mut header = chunk.header;
    let (mut column, mut start, mut n) = (0, 0, 0);
    // Every field ends at a delimiter or a line break, found in one pass.
    let last = (!bytes.ends_with(b"\n")).then_some(bytes.len());
    let ends = Positions::new(bytes, [shape.delimiter, b'\n', b'\n']);
    for end in ends.chain(last) {
        let line_end = bytes.get(end).is_none_or(|&b| b == b'\n');
        let mut field = &text[start..end];
        start = end + 1;
        if !line_end {
            if column + 1 >= width {
                return None;
            }
            if !header {
                columns[column].push(field)?;
            }
            column += 1;
            continue;
        }
        field = field.strip_suffix('\r').unwrap_or(field);
        if column == 0 && field.is_empty() {
            continue; // an empty line: no record
        }
        if column + 1 != width {
            return None;
        }
        column = 0;
        if std::mem::take(&mut header) {
            continue;
        }
        columns[width - 1].push(field)?;
        n += 1;
        if n == rows {
            out.push(finish(&mut columns)?);
            n = 0;
        }
    }
    if n > 0 {
        out.push(finish(&mut columns)?);
    }
    Some(out)
}

/// The fields of every record of a chunk, as text.
fn texts(chunk: &Chunk, shape: Shape) -> Result<Vec<RecordBatch>, IngestError> {
    let schema = all_text(shape.width);
    if let Some(batches) = direct(chunk, &schema, shape) {
        return Ok(batches);
    }
    decode(chunk, schema, shape).map_err(|_| {
        bad(format!(
            "near line {}: the records cannot be read as delimited text",
            chunk.first_line
        ))
    })
}

/// Each column's kind over some chunks: the sample.
/// The sample's halves are judged on two threads.
pub fn infer(sample: &[Chunk], shape: Shape) -> Result<Vec<Kind>, IngestError> {
    let judge = |chunks: &[Chunk]| -> Result<Vec<Kind>, IngestError> {
        let mut kinds = vec![Kind::Null; shape.width];
        for chunk in chunks {
            for batch in texts(chunk, shape)? {
                for (kind, col) in kinds.iter_mut().zip(batch.columns()) {
                    let col = col.as_any().downcast_ref::<StringArray>().expect("text");
                    for v in col.iter().flatten() {
                        *kind = kind.join(Kind::of(v));
                    }
                }
            }
        }
        Ok(kinds)
    };
    let (first, second) = sample.split_at(sample.len() / 2);
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| judge(first));
        let b = judge(second);
        (a.join(), b)
    });
    let a = a.map_err(|_| IngestError::Io(std::io::Error::other("type inference panicked")))?;
    Ok(a?.into_iter().zip(b?).map(|(x, y)| x.join(y)).collect())
}

/// The header's fields: the first record of the first chunk.
pub fn header(chunk: &Chunk, shape: Shape) -> Result<Vec<String>, IngestError> {
    let mut decoder = ReaderBuilder::new(all_text(shape.width))
        .with_format(Format::default().with_delimiter(shape.delimiter))
        .with_batch_size(1)
        .build_decoder();
    let row = decoder
        .decode(chunk.text.as_bytes())
        .and_then(|_| decoder.flush())
        .map_err(|_| bad("line 1: the header cannot be read".into()))?
        .ok_or_else(|| bad("the file has no header".into()))?;
    Ok(row
        .columns()
        .iter()
        .map(|c| {
            let c = c.as_any().downcast_ref::<StringArray>().expect("text");
            if c.is_valid(0) {
                c.value(0).to_owned()
            } else {
                String::new()
            }
        })
        .collect())
}

/// Names Parquet and the common engines accept: an empty name becomes
/// `column_N` (its position), a repeated one gets `_2`, `_3`, ….
pub fn normalise(names: Vec<String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    names
        .into_iter()
        .enumerate()
        .map(|(i, n)| {
            let base = if n.trim().is_empty() {
                format!("column_{}", i + 1)
            } else {
                n
            };
            let (mut name, mut k) = (base.clone(), 2);
            while !seen.insert(name.clone()) {
                name = format!("{base}_{k}");
                k += 1;
            }
            name
        })
        .collect()
}

/// Parses a chunk under `schema`, or says which values do not fit it.
pub fn parse(chunk: &Chunk, schema: &SchemaRef, shape: Shape) -> Result<Parsed, IngestError> {
    // Null columns are read as text, to catch a first value.
    let read = Arc::new(Schema::new(
        schema
            .fields()
            .iter()
            .map(|f| match f.data_type() {
                DataType::Null => Field::new(f.name(), DataType::Utf8, true),
                _ => f.as_ref().clone(),
            })
            .collect::<Vec<_>>(),
    ));
    let decoded = match direct(chunk, &read, shape) {
        Some(batches) => Ok(batches),
        None => decode(chunk, read, shape),
    };
    let Ok(batches) = decoded else {
        return diagnose(chunk, schema, shape);
    };
    let nulls: Vec<usize> = (0..schema.fields().len())
        .filter(|&i| schema.field(i).data_type() == &DataType::Null)
        .collect();
    if nulls.is_empty() {
        return Ok(Parsed::Batches(batches));
    }
    let mut out = Vec::with_capacity(batches.len());
    for batch in batches {
        let mut columns = batch.columns().to_vec();
        for &i in &nulls {
            if columns[i].null_count() != columns[i].len() {
                return diagnose(chunk, schema, shape);
            }
            columns[i] = Arc::new(NullArray::new(batch.num_rows())) as ArrayRef;
        }
        out.push(RecordBatch::try_new(schema.clone(), columns).map_err(super::invalid)?);
    }
    Ok(Parsed::Batches(out))
}

/// Finds, value by value, what in a chunk does not fit `schema`.
fn diagnose(chunk: &Chunk, schema: &SchemaRef, shape: Shape) -> Result<Parsed, IngestError> {
    let batches = texts(chunk, shape)?;
    let mut misfits = Vec::new();
    for (c, field) in schema.fields().iter().enumerate() {
        let current = Kind::of_type(field.data_type());
        if current == Kind::Text {
            continue;
        }
        let (mut needed, mut count, mut first) = (current, 0u64, None);
        let mut row = 0usize;
        for batch in &batches {
            let col = batch.column(c).as_any().downcast_ref::<StringArray>();
            for v in col.expect("text").iter() {
                if let Some(v) = v {
                    let kind = Kind::of(v);
                    if current.join(kind) != current {
                        count += 1;
                        first.get_or_insert(row);
                    }
                    needed = needed.join(kind);
                }
                row += 1;
            }
        }
        if let Some(first) = first {
            misfits.push(Misfit {
                column: c,
                count,
                first_line: line_of(chunk, first + usize::from(chunk.header), shape.delimiter),
                needed,
            });
        }
    }
    if misfits.is_empty() {
        return Err(bad(format!(
            "near line {}: a value cannot be read as its column's type",
            chunk.first_line
        )));
    }
    Ok(Parsed::Misfits(misfits))
}

/// Runs the pipeline over the chunks: the framer on one thread, `workers`
/// running `parse`, and `sink` on the calling thread, fed in input order.
pub fn run<R: std::io::Read + Send, P: Send>(
    framer: &mut Framer<R>,
    sample: VecDeque<Chunk>,
    workers: usize,
    parse: impl Fn(&Chunk) -> Result<P, IngestError> + Sync,
    mut sink: impl FnMut(P) -> Result<(), IngestError>,
) -> Result<(), IngestError> {
    type Reply<P> = Receiver<Result<P, IngestError>>;
    let (work_tx, work_rx) = sync_channel::<(Chunk, SyncSender<Result<P, IngestError>>)>(workers);
    let work_rx = &Mutex::new(work_rx);
    let (order_tx, order_rx) = sync_channel::<Reply<P>>(workers * 2);
    // Parsed chunks' buffers, back to the framer.
    let (spare_tx, spare_rx) = sync_channel::<Vec<u8>>(workers + 1);
    let parse = &parse;
    // `move`: should a thread fail to start, the senders go with this
    // closure, so the threads already started see the queues close.
    std::thread::scope(move |s| {
        for _ in 0..workers {
            let spare_tx = spare_tx.clone();
            named("airlock-parse").spawn_scoped(s, move || {
                loop {
                    let job = work_rx.lock().expect("work queue").recv();
                    let Ok((chunk, reply)) = job else { break };
                    let _ = reply.send(parse(&chunk));
                    if let Some(buf) = chunk.text.into_buffer() {
                        let _ = spare_tx.try_send(buf);
                    }
                }
            })?;
        }
        let framing =
            named("airlock-frame").spawn_scoped(s, move || -> Result<(), IngestError> {
                let mut sample = sample;
                loop {
                    for buf in spare_rx.try_iter() {
                        framer.recycle(buf);
                    }
                    let chunk = match sample.pop_front() {
                        Some(c) => c,
                        None => match framer.next_chunk()? {
                            Some(c) => c,
                            None => return Ok(()),
                        },
                    };
                    let (reply, parsed) = sync_channel(1);
                    if work_tx.send((chunk, reply)).is_err() || order_tx.send(parsed).is_err() {
                        return Ok(()); // the sink stopped
                    }
                }
            })?;
        let mut outcome = Ok(());
        for parsed in order_rx.iter() {
            let r = match parsed.recv() {
                Ok(r) => r,
                Err(_) => Err(IngestError::Io(std::io::Error::other(
                    "a CSV parser stopped",
                ))),
            };
            if let Err(e) = r.and_then(&mut sink) {
                outcome = Err(e);
                break;
            }
        }
        drop(order_rx);
        let framed = framing.join().unwrap_or_else(|_| {
            Err(IngestError::Io(std::io::Error::other(
                "the framer panicked",
            )))
        });
        outcome.and(framed)
    })
}

fn schema_of(names: &[String], kinds: &[Kind]) -> SchemaRef {
    Arc::new(Schema::new(
        names
            .iter()
            .zip(kinds)
            .map(|(n, k)| Field::new(n, k.data_type(), true))
            .collect::<Vec<_>>(),
    ))
}

/// What a CSV conversion read: the header as written, the schema, and
/// what the file broke of its contract.
pub struct Read {
    pub source_names: Vec<String>,
    pub schema: SchemaRef,
    pub check: SchemaCheck,
}

/// The start of a pass: the framer, the sample read ahead, the shape and
/// the header as written.
struct Pass<R> {
    framer: Framer<R>,
    sample: VecDeque<Chunk>,
    shape: Shape,
    source_names: Vec<String>,
}

fn begin<R: std::io::Read>(
    input: Input<R>,
    delimiter: u8,
    has_header: bool,
    opts: &super::ConvertOptions,
) -> Result<Pass<R>, IngestError> {
    let mut framer = Framer::new(
        input,
        delimiter,
        has_header,
        opts.max_record_bytes,
        opts.chunk_bytes,
    );
    let mut sample = VecDeque::new();
    let mut sampled = 0;
    while sampled < opts.sample_bytes {
        let Some(chunk) = framer.next_chunk()? else {
            break;
        };
        sampled += chunk.text.len();
        sample.push_back(chunk);
    }
    let Some(width) = framer.width() else {
        return Err(bad("the file holds no records".into()));
    };
    if width > opts.max_columns {
        return Err(bad(format!(
            "the data has {width} columns; at most {} are accepted",
            opts.max_columns
        )));
    }
    let shape = Shape {
        delimiter,
        width,
        batch_rows: opts.batch_rows,
    };
    let source_names = match sample.front() {
        Some(first) if has_header => header(first, shape)?,
        _ => (1..=width).map(|i| format!("column_{i}")).collect(),
    };
    Ok(Pass {
        framer,
        sample,
        shape,
        source_names,
    })
}

/// Converts delimited text from `open` (called again for a second pass)
/// through the writers `writer` makes: the first, or after a widening a
/// second, which is the one returned. Under a contract the types are the
/// declared ones and the file is read once.
pub fn convert<R: std::io::Read + Send>(
    mut open: impl FnMut() -> Result<Input<R>, IngestError>,
    delimiter: u8,
    has_header: bool,
    opts: &super::ConvertOptions,
    mut writer: impl FnMut(SchemaRef) -> super::write::PartWriter,
) -> Result<(Read, super::write::PartWriter), IngestError> {
    let workers = opts.threads.max(1);
    if let Some(contract) = &opts.contract {
        let Pass {
            mut framer,
            sample,
            shape,
            source_names,
        } = begin(open()?, delimiter, has_header, opts)?;
        let conformer = Conformer::new(
            contract,
            &source_names,
            &vec![DataType::Utf8; shape.width],
            normalise,
        );
        let mut out = writer(conformer.schema());
        let mut tally = conformer.tally();
        let conform = |chunk: &Chunk| {
            let mut done = Vec::new();
            let mut offset = usize::from(chunk.header);
            for batch in texts(chunk, shape)? {
                let at = |row| Position::Line(line_of(chunk, offset + row, delimiter));
                done.push(conformer.apply(&batch, at)?);
                offset += batch.num_rows();
            }
            Ok(done)
        };
        let ran = run(&mut framer, sample, workers, conform, |done| {
            for (batch, found) in done {
                tally.add(found);
                out.write(&batch)?;
            }
            Ok(())
        });
        if let Err(e) = ran {
            out.abort();
            return Err(e);
        }
        let read = Read {
            source_names: conformer.source_names().to_vec(),
            schema: conformer.schema(),
            check: conformer.check(tally),
        };
        return Ok((read, out));
    }
    let mut known: Option<Vec<Kind>> = None;
    for pass in 0..2 {
        let Pass {
            mut framer,
            mut sample,
            shape,
            source_names,
        } = begin(open()?, delimiter, has_header, opts)?;
        let names = normalise(source_names.clone());
        let kinds = match &known {
            Some(k) => k.clone(),
            None => infer(sample.make_contiguous(), shape)?,
        };
        let schema = RwLock::new(schema_of(&names, &kinds));
        let mut out = Some(writer(schema_of(&names, &kinds)));
        let mut widened = kinds;
        // The parsers read the schema anew for each chunk, so a widening
        // applies from the next chunk on.
        let parse_chunk = |chunk: &Chunk| {
            let current = schema.read().expect("schema").clone();
            parse(chunk, &current, shape)
        };
        run(&mut framer, sample, workers, parse_chunk, |parsed| {
            match parsed {
                Parsed::Batches(batches) => {
                    if let Some(w) = out.as_mut() {
                        for b in &batches {
                            w.write(b)?;
                        }
                    }
                }
                Parsed::Misfits(misfits) if pass == 0 => {
                    if let Some(w) = out.take() {
                        w.abort();
                    }
                    for m in misfits {
                        tracing::debug!(
                            column = m.column,
                            count = m.count,
                            line = m.first_line,
                            "widening a column"
                        );
                        widened[m.column] = widened[m.column].join(m.needed);
                    }
                    *schema.write().expect("schema") = schema_of(&names, &widened);
                }
                Parsed::Misfits(m) => {
                    return Err(bad(format!(
                        "line {}: a value does not fit its column after widening",
                        m[0].first_line
                    )));
                }
            }
            Ok(())
        })?;
        match out {
            Some(w) => {
                let schema = schema.into_inner().expect("schema");
                return Ok((
                    Read {
                        source_names,
                        schema,
                        check: SchemaCheck::default(),
                    },
                    w,
                ));
            }
            None => known = Some(widened),
        }
    }
    Err(bad("the column types did not settle in two passes".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(text: &str, header: bool) -> Chunk {
        Chunk {
            text: Text::Owned(text.to_owned()),
            first_line: 1,
            header,
        }
    }

    /// A reader handing out a few bytes a read, so that records, quotes and
    /// `\r\n` straddle reads.
    struct Trickle<'a>(&'a [u8], usize);

    impl std::io::Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            let n = self.1.min(out.len()).min(self.0.len());
            out[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    /// The framing a byte at a time through [`step`]: where each record
    /// ends and the line after it, or the error.
    fn framed_bytewise(text: &[u8], d: u8) -> Result<Vec<(usize, u64)>, String> {
        let (mut state, mut line, mut start_line) = (Quoting::FieldStart, 1u64, 1u64);
        let (mut fields, mut bytes, mut width) = (1usize, 0usize, None);
        let mut ends = Vec::new();
        let mut end = |fields: usize, bytes: usize, start_line: u64| match width {
            Some(w) if bytes > 0 && w != fields => {
                Err(format!("line {start_line}: {fields} fields"))
            }
            None if bytes > 0 => {
                width = Some(fields);
                Ok(())
            }
            _ => Ok(()),
        };
        for (i, &b) in text.iter().enumerate() {
            line += u64::from(b == b'\n');
            let (next, event) = step(state, b, d);
            state = next;
            match event {
                Event::Byte => bytes += 1,
                Event::FieldEnd => (bytes, fields) = (bytes + 1, fields + 1),
                Event::RecordEnd => {
                    end(fields, bytes, start_line)?;
                    (fields, bytes, start_line) = (1, 0, line);
                    ends.push((i + 1, line));
                }
            }
        }
        if state == Quoting::Quoted {
            return Err(format!("line {start_line}: a quote is left open"));
        }
        end(fields, bytes, start_line)?;
        Ok(ends)
    }

    /// Each chunk's end and first line, or the error.
    type Framed = Result<Vec<(usize, u64)>, String>;

    /// Frames `text` to the end or the first error, and joins all the
    /// chunks' text. `recycle`: the chunks' buffers go back to the framer,
    /// dirty.
    fn frame<R: std::io::Read>(mut framer: Framer<R>, recycle: bool) -> (Framed, Vec<u8>) {
        let (mut chunks, mut joined) = (Vec::new(), Vec::new());
        loop {
            match framer.next_chunk() {
                Ok(Some(chunk)) => {
                    joined.extend_from_slice(chunk.text.as_bytes());
                    chunks.push((joined.len(), chunk.first_line));
                    if let Some(mut spare) = chunk.text.into_buffer().filter(|_| recycle) {
                        spare.extend_from_slice(b"\"stale,\n");
                        framer.recycle(spare);
                    }
                }
                Ok(None) => return (Ok(chunks), joined),
                Err(e) => return (Err(e.to_string()), joined),
            }
        }
    }

    #[test]
    fn framing_by_blocks_is_framing_byte_by_byte() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let alphabet = b"ab,,,\n\n\r\"";
        let dir = tempfile::tempdir().unwrap();
        for case in 0..500 {
            let len = (case % 300) + 1;
            let text: Vec<u8> = (0..len)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    alphabet[(seed % alphabet.len() as u64) as usize]
                })
                .collect();
            let expected = framed_bytewise(&text, b',');
            let step = case % 7 + 1;
            let shown = String::from_utf8_lossy(&text);
            // Read a few bytes at a time (half the cases into buffers
            // handed back dirty: none of their old bytes may show), and
            // mapped, taking as few bytes at a time.
            let read = Framer::new(
                Input::Read(Trickle(&text, step)),
                b',',
                false,
                usize::MAX,
                1,
            );
            let path = dir.path().join("text");
            std::fs::write(&path, &text).unwrap();
            let file = std::fs::File::open(&path).unwrap();
            let map = super::super::mapped::map(&file).unwrap();
            let mut mapped =
                Framer::<std::io::Empty>::new(Input::Mapped(map, 0), b',', false, usize::MAX, 1);
            mapped.read_bytes = step;
            for (how, (got, joined)) in [
                ("read", frame(read, case % 2 == 1)),
                ("mapped", frame(mapped, false)),
            ] {
                match (&expected, &got) {
                    (Ok(ends), Ok(chunks)) => {
                        let mut start_line = 1;
                        for &(cut, first_line) in chunks {
                            // A chunk starts on the line after the record
                            // before it, and ends where a record does, or
                            // at the end of a last record without a break.
                            assert_eq!(first_line, start_line, "{how} {shown:?}");
                            let line = ends.iter().find(|&&(e, _)| e == cut).map(|&(_, l)| l);
                            assert!(
                                line.is_some() || cut == text.len(),
                                "{how} {shown:?}: cut at {cut}"
                            );
                            start_line = line.unwrap_or(start_line);
                        }
                        assert_eq!(joined, text, "{how} {shown:?}: every byte in a chunk, once");
                    }
                    (Err(want), Err(e)) => {
                        let (line, what) = want.split_once(": ").expect("line: what");
                        assert!(
                            e.contains(line) && e.contains(what),
                            "{how} {shown:?}: {e} / {want}"
                        );
                    }
                    _ => panic!("{how} {shown:?}: {expected:?} but {got:?}"),
                }
            }
        }
    }

    fn schema_of_types(types: &[DataType]) -> SchemaRef {
        Arc::new(Schema::new(
            types
                .iter()
                .enumerate()
                .map(|(i, t)| Field::new(format!("c{i}"), t.clone(), true))
                .collect::<Vec<_>>(),
        ))
    }

    #[test]
    fn reading_directly_gives_what_arrows_reader_gives() {
        let types = [
            DataType::Int64,
            DataType::Float64,
            DataType::Utf8,
            DataType::Boolean,
            DataType::Date32,
            DataType::Timestamp(TimeUnit::Microsecond, None),
            DataType::Timestamp(TimeUnit::Microsecond, Some("+00:00".into())),
        ];
        let schema = schema_of_types(&types);
        let text = "i,f,s,b,d,t,tz\r\n\
                    1,2.5,héllo wörld,true,2024-02-29,2024-02-29 10:11:12.123456,2024-02-29T10:11:12+02:00\r\n\
                    \r\n\
                    -9223372036854775808,-1e10,,FALSE,1970-01-01,1999-12-31T23:59:59,1999-12-31 23:59:59Z\n\
                    ,,x,,,,\n\
                    42,.5, padded ,True,2000-01-01,2000-01-01 00:00:00,2000-01-01 00:00:00.5-05:30";
        for (header, batch_rows) in [(true, 2), (true, 1024)] {
            let shape = Shape {
                delimiter: b',',
                width: types.len(),
                batch_rows,
            };
            let c = chunk(text, header);
            let direct = direct(&c, &schema, shape).expect("read directly");
            let arrow = decode(&c, schema.clone(), shape).unwrap();
            assert_eq!(direct, arrow);
            assert_eq!(direct.iter().map(|b| b.num_rows()).sum::<usize>(), 4);
        }
        let tsv = chunk("1\tx y\n2\t\n", false);
        let shape = Shape {
            delimiter: b'\t',
            width: 2,
            batch_rows: 8,
        };
        let two = schema_of_types(&[DataType::Int64, DataType::Utf8]);
        assert_eq!(
            direct(&tsv, &two, shape).unwrap(),
            decode(&tsv, two.clone(), shape).unwrap()
        );
    }

    #[test]
    fn what_it_cannot_read_is_left_to_arrows_reader() {
        let shape = Shape {
            delimiter: b',',
            width: 2,
            batch_rows: 8,
        };
        let ints = schema_of_types(&[DataType::Int64, DataType::Utf8]);
        for text in [
            "1,\"quoted, text\"\n",
            "1,a\rb\n",
            "x,a\n",
            "1,a,extra\n",
            "1\n",
        ] {
            assert!(
                direct(&chunk(text, false), &ints, shape).is_none(),
                "{text:?}"
            );
        }
        let decimal = schema_of_types(&[DataType::Decimal128(5, 2), DataType::Utf8]);
        assert!(direct(&chunk("1.5,a\n", false), &decimal, shape).is_none());
    }
}
