//! CSV framing: decoded text cut into chunks of whole records, each record
//! checked as text.
//!
//! One thread frames the text into chunks (about [`CHUNK_BYTES`] each by
//! default), tracking RFC 4180 quoting: outside quotes it reads 64-byte
//! blocks at a time (`find`), and it steps byte by byte only at quotes; a
//! test holds it to a byte-by-byte framer. Text that needs no decoding is
//! framed in a mapping of the file, and its chunks are views of it
//! (`mapped`): no byte is copied before it is parsed.
//!
//! The key decision is that framing is where the input is judged as text:
//! a record longer than the limit, a row with the wrong number of fields,
//! invalid UTF-8 and a quote left open are refused here, naming their line
//! in the whole file, so the parsers downstream see only whole, valid
//! records and can work on chunks in any order.

use std::sync::Arc;

use memmap2::Mmap;

use crate::ConvertError;
use crate::find::Blocks;
use crate::mapped::{Text, View};

/// About how much text one chunk holds (it ends on a record boundary).
pub const CHUNK_BYTES: usize = 1 << 20;
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

/// How the text is laid out.
#[derive(Clone, Copy)]
pub struct Shape {
    pub delimiter: u8,
    pub width: usize,
    pub batch_rows: usize,
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

pub(crate) fn invalid_text(msg: String) -> ConvertError {
    ConvertError::Invalid(msg)
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

    pub fn next_chunk(&mut self) -> Result<Option<Chunk>, ConvertError> {
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
                                std::io::ErrorKind::InvalidData => invalid_text(e.to_string()),
                                _ => ConvertError::Io(e),
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
    fn scan(&mut self) -> Result<(), ConvertError> {
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

    fn scan_from(&mut self, buf: &[u8]) -> Result<(), ConvertError> {
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

    fn too_long(&self) -> ConvertError {
        invalid_text(format!(
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
    fn end_record(&mut self) -> Result<(), ConvertError> {
        if self.record_bytes > 0 {
            match self.width {
                None => self.width = Some(self.fields),
                Some(w) if w != self.fields => {
                    return Err(invalid_text(format!(
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

    fn end_of_input(&mut self) -> Result<(), ConvertError> {
        if self.state == Quoting::Quoted {
            return Err(invalid_text(format!(
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

    fn cut(&mut self) -> Result<Chunk, ConvertError> {
        let first_line = self.chunk_line;
        let not_utf8 = |bytes: &[u8], e: std::str::Utf8Error| {
            let line = first_line + newlines(&bytes[..e.valid_up_to()]);
            invalid_text(format!("line {line}: the text is not valid UTF-8"))
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
pub(crate) fn line_of(chunk: &Chunk, index: usize, delimiter: u8) -> u64 {
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

#[cfg(test)]
mod tests {
    use super::*;

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
            let map = crate::mapped::map(&file).unwrap();
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
}
