//! Delimited text, parsed in parallel: the passes over a file.
//!
//! [`frame`](crate::frame) cuts the text into chunks of whole records on
//! one thread; worker threads parse chunks into typed record batches
//! (straight into typed columns by [`direct`](crate::direct) when they
//! can, else by arrow's reader), and the batches are handed on in input
//! order.
//!
//! The key decision: types come from a bounded sample (by default the
//! first [`SAMPLE_BYTES`] of whole records), not a pass over the whole
//! file. A later value that does not fit its column's type is never
//! coerced: the chunk holding it is diagnosed value by value, the column
//! is widened just enough (an integer column that meets `2.5` becomes a
//! float column, one that meets `n/a` a string column), and once the pass
//! ends the conversion starts again under the widened types. A file whose
//! sample is representative is read once; any other at most twice.

use std::collections::VecDeque;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex, RwLock};

use arrow::array::{Array, ArrayRef, NullArray, RecordBatch, StringArray};
use arrow::csv::ReaderBuilder;
use arrow::csv::reader::Format;
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::error::ArrowError;

use airlock_catalog::{Position, SchemaCheck};

use crate::contract::Conformer;
use crate::direct::direct;
use crate::frame::{Chunk, Framer, Input, Shape, invalid_text, line_of};
use crate::kind::Kind;
use crate::names::normalise;
use crate::{ConvertError, ConvertOptions, named};

/// How much of the file, in whole records, the types are inferred from.
pub const SAMPLE_BYTES: usize = 8 << 20;

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

fn all_text(width: usize) -> SchemaRef {
    Arc::new(Schema::new(
        (0..width)
            .map(|i| Field::new(format!("c{i}"), DataType::Utf8, true))
            .collect::<Vec<_>>(),
    ))
}

/// Decodes a chunk under `schema`.
pub(crate) fn decode(
    chunk: &Chunk,
    schema: SchemaRef,
    shape: Shape,
) -> Result<Vec<RecordBatch>, ArrowError> {
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

/// The fields of every record of a chunk, as text.
fn texts(chunk: &Chunk, shape: Shape) -> Result<Vec<RecordBatch>, ConvertError> {
    let schema = all_text(shape.width);
    if let Some(batches) = direct(chunk, &schema, shape) {
        return Ok(batches);
    }
    decode(chunk, schema, shape).map_err(|_| {
        invalid_text(format!(
            "near line {}: the records cannot be read as delimited text",
            chunk.first_line
        ))
    })
}

/// Each column's kind over some chunks: the sample.
/// The sample's halves are judged on two threads.
pub fn infer(sample: &[Chunk], shape: Shape) -> Result<Vec<Kind>, ConvertError> {
    let judge = |chunks: &[Chunk]| -> Result<Vec<Kind>, ConvertError> {
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
    let a = a.map_err(|_| ConvertError::Io(std::io::Error::other("type inference panicked")))?;
    Ok(a?.into_iter().zip(b?).map(|(x, y)| x.join(y)).collect())
}

/// The header's fields: the first record of the first chunk.
pub fn header(chunk: &Chunk, shape: Shape) -> Result<Vec<String>, ConvertError> {
    let mut decoder = ReaderBuilder::new(all_text(shape.width))
        .with_format(Format::default().with_delimiter(shape.delimiter))
        .with_batch_size(1)
        .build_decoder();
    let row = decoder
        .decode(chunk.text.as_bytes())
        .and_then(|_| decoder.flush())
        .map_err(|_| invalid_text("line 1: the header cannot be read".into()))?
        .ok_or_else(|| invalid_text("the file has no header".into()))?;
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

/// Parses a chunk under `schema`, or says which values do not fit it.
pub fn parse(chunk: &Chunk, schema: &SchemaRef, shape: Shape) -> Result<Parsed, ConvertError> {
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
        out.push(RecordBatch::try_new(schema.clone(), columns).map_err(crate::error::invalid)?);
    }
    Ok(Parsed::Batches(out))
}

/// Finds, value by value, what in a chunk does not fit `schema`.
fn diagnose(chunk: &Chunk, schema: &SchemaRef, shape: Shape) -> Result<Parsed, ConvertError> {
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
        return Err(invalid_text(format!(
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
    parse: impl Fn(&Chunk) -> Result<P, ConvertError> + Sync,
    mut sink: impl FnMut(P) -> Result<(), ConvertError>,
) -> Result<(), ConvertError> {
    type Reply<P> = Receiver<Result<P, ConvertError>>;
    let (work_tx, work_rx) = sync_channel::<(Chunk, SyncSender<Result<P, ConvertError>>)>(workers);
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
            named("airlock-frame").spawn_scoped(s, move || -> Result<(), ConvertError> {
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
                Err(_) => Err(ConvertError::Io(std::io::Error::other(
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
            Err(ConvertError::Io(std::io::Error::other(
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
pub struct CsvTable {
    pub source_names: Vec<String>,
    pub schema: SchemaRef,
    pub check: SchemaCheck,
}

/// The start of a pass: the framer, the sample read ahead, the shape and
/// the header as written.
struct Opened<R> {
    framer: Framer<R>,
    sample: VecDeque<Chunk>,
    shape: Shape,
    source_names: Vec<String>,
}

fn begin<R: std::io::Read>(
    input: Input<R>,
    delimiter: u8,
    has_header: bool,
    opts: &ConvertOptions,
) -> Result<Opened<R>, ConvertError> {
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
        return Err(invalid_text("the file holds no records".into()));
    };
    if width > opts.max_columns {
        return Err(invalid_text(format!(
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
    Ok(Opened {
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
    mut open: impl FnMut() -> Result<Input<R>, ConvertError>,
    delimiter: u8,
    has_header: bool,
    opts: &ConvertOptions,
    mut writer: impl FnMut(SchemaRef) -> crate::write::PartWriter,
) -> Result<(CsvTable, crate::write::PartWriter), ConvertError> {
    let workers = opts.threads.max(1);
    if let Some(contract) = &opts.contract {
        let Opened {
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
        let read = CsvTable {
            source_names: conformer.source_names().to_vec(),
            schema: conformer.schema(),
            check: conformer.check(tally),
        };
        return Ok((read, out));
    }
    let mut known: Option<Vec<Kind>> = None;
    for pass in 0..2 {
        let Opened {
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
                    return Err(invalid_text(format!(
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
                    CsvTable {
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
    Err(invalid_text(
        "the column types did not settle in two passes".into(),
    ))
}
