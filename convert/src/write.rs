//! The Parquet side of a conversion: record batches in, zstd Parquet parts
//! out, under a staging prefix of a lake.
//!
//! Each row group's columns are encoded in parallel by a few encoder
//! threads, which take turns at whichever column has a batch waiting
//! ([`Encoders`]), so encoding keeps the cores busy whatever the columns
//! cost, while parsing goes on. A row group closes at `row_group_rows` rows
//! or at about `row_group_bytes` encoded bytes (the encoders' own estimate,
//! a few batches behind), which also bounds the memory it holds. A part
//! closes at the first row group boundary past `part_bytes`, and the next
//! part starts: `part-00000.parquet`, `part-00001.parquet`, … Parts stream
//! to the object store as they are written (multipart uploads for large
//! ones).

use std::collections::{HashSet, VecDeque};
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch, new_null_array};
use arrow::datatypes::{DataType, FieldRef, Schema, SchemaRef};
use object_store::buffered::BufWriter;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_writer::{
    ArrowColumnChunk, ArrowColumnWriter, ArrowRowGroupWriterFactory, compute_leaves,
};
use parquet::basic::{Compression, ZstdLevel};
use parquet::errors::ParquetError;
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::ColumnPath;
use tokio_util::io::SyncIoBridge;

use crate::ConvertError;
use crate::stats::{Bounds, Distinct, DistinctCount, Summary};
use crate::sums::{Summed, Tally};

/// How the output is laid out.
#[derive(Debug, Clone)]
pub struct WriteOptions {
    pub row_group_rows: usize,
    pub row_group_bytes: usize,
    pub part_bytes: usize,
    /// Encoder threads for a row group's columns.
    pub threads: usize,
    /// zstd's level, 1 to 22 (checked with the configuration).
    pub zstd_level: i32,
}

/// One written part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    pub name: String,
    pub rows: i64,
    pub size_bytes: i64,
}

pub fn part_name(index: usize) -> String {
    format!("part-{index:05}.parquet")
}

type Sink = SyncIoBridge<BufWriter>;

/// Writes record batches as Parquet parts under `prefix`. It blocks: run it
/// on a blocking thread, inside a Tokio runtime (the uploads run on it).
pub struct PartWriter {
    store: Arc<dyn ObjectStore>,
    prefix: Path,
    schema: SchemaRef,
    props: WriterProperties,
    opts: WriteOptions,
    /// Started with the first batch.
    encoders: Option<Encoders>,
    open: Option<OpenPart>,
    parts: Vec<Part>,
    nulls: Vec<usize>,
    /// Personal data per column, from a sample of what is written.
    profile: crate::profile::Profile,
    /// Each column's bounds, from the closed parts' footers.
    bounds: Bounds,
}

/// What a writer wrote: its parts, and per column its bounds, distinct
/// values and sums.
#[derive(Debug)]
pub struct Written {
    pub parts: Vec<Part>,
    pub bounds: Vec<Summary>,
    /// `None` for a column of a type not counted.
    pub distinct: Vec<Option<DistinctCount>>,
    pub sums: Vec<Summed>,
}

/// What the encoder threads count of one column as they encode it.
struct Counts {
    distinct: Distinct,
    tally: Tally,
}

impl Counts {
    fn of(data_type: &arrow::datatypes::DataType) -> Counts {
        Counts {
            distinct: Distinct::of(data_type),
            tally: Tally::of(data_type),
        }
    }
}

struct OpenPart {
    file: SerializedFileWriter<Sink>,
    factory: ArrowRowGroupWriterFactory,
    /// Rows of the row group being encoded, if one is.
    group: Option<usize>,
    rows: i64,
}

/// A top-level column's leaves' writers, each with its leaf index.
type Leaves = Vec<(usize, ArrowColumnWriter)>;

type Chunks = Vec<(usize, ArrowColumnChunk)>;

/// Batches a column may have waiting before the writer waits for the
/// encoders: this bounds the memory held ahead of them (a few MiB), while
/// leaving room for a costly column to fall behind the others for a while
/// without stopping the writer, and with it the encoders of every other
/// column (at 2, 1.83 cores were busy on average; at 8, 1.87).
const DEPTH: usize = 8;

/// The encoder threads. They take turns at whichever column of the open
/// row group has a batch waiting, one column's batch at a time, so every
/// thread stays busy whatever the columns cost: a column of free text can
/// cost twenty of booleans, and columns dealt to threads in a fixed share
/// left one thread idle while the other worked through its text. A
/// column's batches are encoded in order, by one thread at a time. The same
/// threads encode every row group of a writer, so the memory they allocate
/// is reused (threads spawned per row group spread it over more malloc
/// arenas, and RSS grew with file size).
struct Encoders {
    shared: Arc<Shared>,
}

struct Shared {
    state: Mutex<State>,
    /// Encoders wait here for a column with a message.
    work: Condvar,
    /// The writer waits here for room, or for a row group's chunks.
    done: Condvar,
}

#[derive(Default)]
struct State {
    columns: Vec<Column>,
    /// Columns with a message waiting and no encoder on them, in turn.
    ready: VecDeque<usize>,
    /// Encoders waiting for work, and what the writer waits for: a
    /// condvar is notified only when someone waits on it for what just
    /// happened (waking the writer at every message cost twelve thousand
    /// futile wake-ups a GiB).
    idle: usize,
    writer: Awaits,
    stop: bool,
    /// Distinct values and sums per top-level column, over every row
    /// group; `None` while an encoder has it.
    counts: Vec<Option<Counts>>,
}

#[derive(Default, Clone, Copy, PartialEq, Eq)]
enum Awaits {
    #[default]
    Nothing,
    /// Room in a column's inbox.
    Room(usize),
    /// Every column closed.
    Closed,
}

/// A top-level column of the row group being encoded.
struct Column {
    field: FieldRef,
    /// `None` while an encoder has them.
    leaves: Option<Leaves>,
    inbox: VecDeque<Message>,
    /// In `ready`, or being encoded.
    busy: bool,
    /// Its estimated encoded size so far.
    bytes: usize,
    /// The first failure: later batches are skipped, and closing reports it.
    failed: Option<ParquetError>,
    /// Its chunks, once closed.
    closed: Option<Result<Chunks, ParquetError>>,
}

enum Message {
    Batch(ArrayRef),
    Close,
}

fn lock(shared: &Shared) -> MutexGuard<'_, State> {
    // Nothing panics while holding the lock; a poisoned one is still whole.
    shared.state.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Encoders {
    fn spawn(threads: usize) -> std::io::Result<Self> {
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            work: Condvar::new(),
            done: Condvar::new(),
        });
        let encoders = Self { shared };
        for _ in 0..threads.max(1) {
            let shared = encoders.shared.clone();
            // On failure, dropping `encoders` stops those already started.
            crate::named("airlock-encode").spawn(move || encode_columns(&shared))?;
        }
        Ok(encoders)
    }

    /// Starts a row group with its columns' writers.
    fn start(&self, columns: Vec<(FieldRef, Leaves)>) {
        let mut st = lock(&self.shared);
        if st.counts.is_empty() {
            st.counts = columns
                .iter()
                .map(|(f, _)| Some(Counts::of(f.data_type())))
                .collect();
        }
        st.columns = columns
            .into_iter()
            .map(|(field, leaves)| Column {
                field,
                leaves: Some(leaves),
                inbox: VecDeque::new(),
                busy: false,
                bytes: 0,
                failed: None,
                closed: None,
            })
            .collect();
    }

    /// Hands each column of `batch` to the encoders, each once it has room.
    fn send(&self, batch: &RecordBatch) {
        let mut st = lock(&self.shared);
        for (i, array) in batch.columns().iter().enumerate() {
            while st.columns[i].inbox.len() >= DEPTH {
                self.wake_encoders(&st);
                st = self.wait(st, Awaits::Room(i));
            }
            post(&mut st, i, Message::Batch(array.clone()));
        }
        self.wake_encoders(&st);
    }

    fn wake_encoders(&self, st: &State) {
        if st.idle > 0 {
            self.shared.work.notify_all();
        }
    }

    /// The encoders' estimate of the row group's encoded size.
    fn bytes(&self) -> usize {
        lock(&self.shared).columns.iter().map(|c| c.bytes).sum()
    }

    /// Closes the row group: its encoded chunks, in leaf order.
    fn close(&self) -> Result<Vec<ArrowColumnChunk>, ParquetError> {
        let mut st = lock(&self.shared);
        for i in 0..st.columns.len() {
            post(&mut st, i, Message::Close);
        }
        self.wake_encoders(&st);
        while st.columns.iter().any(|c| c.closed.is_none()) {
            st = self.wait(st, Awaits::Closed);
        }
        let mut all = Vec::new();
        for column in std::mem::take(&mut st.columns) {
            all.extend(column.closed.expect("waited for above")?);
        }
        all.sort_by_key(|(leaf, _)| *leaf);
        Ok(all.into_iter().map(|(_, c)| c).collect())
    }

    /// Distinct values and sums per column so far (after `close`, every
    /// batch's).
    fn counts(&self) -> (Vec<Option<DistinctCount>>, Vec<Summed>) {
        let st = lock(&self.shared);
        st.counts
            .iter()
            .map(|c| match c {
                Some(c) => (c.distinct.count(), c.tally.summed()),
                None => (None, Summed::default()),
            })
            .unzip()
    }

    fn wait<'a>(&self, mut st: MutexGuard<'a, State>, what: Awaits) -> MutexGuard<'a, State> {
        st.writer = what;
        let mut st = self
            .shared
            .done
            .wait(st)
            .unwrap_or_else(PoisonError::into_inner);
        st.writer = Awaits::Nothing;
        st
    }
}

impl Drop for Encoders {
    fn drop(&mut self) {
        lock(&self.shared).stop = true;
        self.shared.work.notify_all();
    }
}

fn post(st: &mut State, column: usize, message: Message) {
    let c = &mut st.columns[column];
    c.inbox.push_back(message);
    if !c.busy {
        c.busy = true;
        st.ready.push_back(column);
    }
}

/// An encoder thread: takes the next ready column's oldest message, works
/// on it without the lock, and puts the column back.
fn encode_columns(shared: &Shared) {
    let mut st = lock(shared);
    loop {
        if st.stop {
            return;
        }
        let Some(i) = st.ready.pop_front() else {
            st.idle += 1;
            st = shared.work.wait(st).unwrap_or_else(PoisonError::into_inner);
            st.idle -= 1;
            continue;
        };
        let message = st.columns[i]
            .inbox
            .pop_front()
            .expect("a ready column has a message");
        if st.writer == Awaits::Room(i) {
            shared.done.notify_one();
        }
        let c = &mut st.columns[i];
        match (message, c.failed.take()) {
            // A failed column skips its later batches and reports at close.
            (Message::Batch(_), Some(e)) => c.failed = Some(e),
            (Message::Close, Some(e)) => c.closed = Some(Err(e)),
            (message, None) => {
                let is_close = matches!(message, Message::Close);
                let mut leaves = c.leaves.take().unwrap_or_default();
                let field = c.field.clone();
                let mut counts = st.counts.get_mut(i).and_then(Option::take);
                drop(st);
                // A panic in the encoder is a failure of this column, never
                // a writer left waiting for it.
                let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| match message {
                    Message::Batch(array) => {
                        encode(&field, &mut leaves, &array)?;
                        // Counted here, in parallel with the other columns,
                        // while the batch is in cache.
                        if let Some(c) = &mut counts {
                            c.distinct.observe(array.as_ref());
                            c.tally.observe(array.as_ref());
                        }
                        Ok(None)
                    }
                    Message::Close => close(std::mem::take(&mut leaves)).map(Some),
                }))
                .unwrap_or_else(|_| Err(ParquetError::General("a column encoder panicked".into())));
                let bytes = leaves
                    .iter()
                    .map(|(_, w)| w.get_estimated_total_bytes())
                    .sum();
                st = lock(shared);
                if let Some(slot) = st.counts.get_mut(i) {
                    *slot = counts;
                }
                let c = &mut st.columns[i];
                (c.leaves, c.bytes) = (Some(leaves), bytes);
                match outcome {
                    Ok(None) => {}
                    Ok(Some(chunks)) => c.closed = Some(Ok(chunks)),
                    Err(e) if is_close => c.closed = Some(Err(e)),
                    Err(e) => c.failed = Some(e),
                }
            }
        }
        let c = &mut st.columns[i];
        if c.inbox.is_empty() {
            c.busy = false;
        } else {
            st.ready.push_back(i);
        }
        if st.writer == Awaits::Closed && st.columns[i].closed.is_some() {
            shared.done.notify_one();
        }
    }
}

/// Writes one column's values of a batch.
fn encode(field: &FieldRef, leaves: &mut Leaves, array: &ArrayRef) -> Result<(), ParquetError> {
    for ((_, w), leaf) in leaves.iter_mut().zip(compute_leaves(field, array)?) {
        w.write(&leaf)?;
    }
    Ok(())
}

fn close(leaves: Leaves) -> Result<Chunks, ParquetError> {
    leaves
        .into_iter()
        .map(|(leaf, w)| Ok((leaf, w.close()?)))
        .collect()
}

/// zstd, and a dictionary for every column but `plain`. A dictionary, as
/// in DuckDB, polars and pyarrow, hands zstd small indices for repeated
/// values, which costs less to compress than the values (measured with
/// bench/convert.sh). A column whose dictionary outgrows its page limit
/// falls back to plain for the rest of the row group.
fn properties(plain: &[String], level: i32) -> WriterProperties {
    let level = ZstdLevel::try_new(level).unwrap_or_default();
    let mut props = WriterProperties::builder().set_compression(Compression::ZSTD(level));
    for name in plain {
        props = props.set_column_dictionary_enabled(ColumnPath::new(vec![name.clone()]), false);
    }
    props.build()
}

/// Whether a column's values in a sample repeat enough for a dictionary to
/// pay: fewer than nine in ten of them distinct. Unique ids, emails, free text and
/// measurements are written plain, which spares hashing every value into a
/// dictionary the writer would abandon at its page limit anyway (the
/// interning was a quarter of the conversion's CPU in a profile). Types it
/// cannot judge keep the dictionary.
fn repeats(col: &dyn Array) -> bool {
    let present = col.len() - col.null_count();
    if present < 64 {
        return true;
    }
    let data = col.to_data();
    let mut seen: HashSet<&[u8]> = HashSet::with_capacity(present);
    match col.data_type() {
        DataType::Utf8 => seen.extend(col.as_string::<i32>().iter().flatten().map(str::as_bytes)),
        DataType::LargeUtf8 => {
            seen.extend(col.as_string::<i64>().iter().flatten().map(str::as_bytes))
        }
        DataType::Utf8View => seen.extend(col.as_string_view().iter().flatten().map(str::as_bytes)),
        dt if dt.is_primitive() => {
            let Some(width) = dt.primitive_width() else {
                return true;
            };
            let values = &data.buffers()[0].as_slice()[data.offset() * width..];
            seen.extend(
                values
                    .chunks_exact(width)
                    .take(col.len())
                    .enumerate()
                    .filter(|(i, _)| col.is_valid(*i))
                    .map(|(_, v)| v),
            );
        }
        _ => return true,
    }
    seen.len() * 10 < present * 9
}

impl PartWriter {
    pub fn new(
        store: Arc<dyn ObjectStore>,
        prefix: Path,
        schema: SchemaRef,
        opts: WriteOptions,
    ) -> Self {
        let props = properties(&[], opts.zstd_level);
        let nulls = vec![0; schema.fields().len()];
        let profile = crate::profile::Profile::new(&schema);
        let schema = storable(&schema);
        let bounds = Bounds::new(&schema);
        Self {
            store,
            prefix,
            encoders: None,
            schema,
            props,
            opts,
            open: None,
            parts: Vec::new(),
            nulls,
            profile,
            bounds,
        }
    }

    /// Null counts per top-level column so far.
    pub fn nulls(&self) -> &[usize] {
        &self.nulls
    }

    /// What the PII detectors found per column so far.
    pub fn profile(&self) -> &crate::profile::Profile {
        &self.profile
    }

    pub fn write(&mut self, batch: &RecordBatch) -> Result<(), ConvertError> {
        if self.open.is_none() && self.parts.is_empty() && batch.num_rows() > 0 {
            // Before the first part: the first batch decides which columns
            // get a dictionary.
            let plain: Vec<String> = self
                .schema
                .fields()
                .iter()
                .zip(batch.columns())
                .filter(|(_, col)| !repeats(col.as_ref()))
                .map(|(f, _)| f.name().clone())
                .collect();
            self.props = properties(&plain, self.opts.zstd_level);
        }
        for (n, col) in self.nulls.iter_mut().zip(batch.columns()) {
            // Logical: a column of Arrow's null type has no null buffer.
            *n += col.logical_null_count();
        }
        self.profile.observe(batch);
        let mut rest = RecordBatch::try_new(
            self.schema.clone(),
            batch
                .columns()
                .iter()
                .map(|c| match c.data_type() {
                    DataType::Null => new_null_array(&DataType::Utf8, c.len()),
                    _ => c.clone(),
                })
                .collect(),
        )
        .map_err(crate::error::invalid)?;
        if self.encoders.is_none() {
            let threads = self
                .opts
                .threads
                .clamp(1, self.schema.fields().len().max(1));
            self.encoders = Some(Encoders::spawn(threads)?);
        }
        while rest.num_rows() > 0 {
            self.part()?;
            let encoders = self.encoders.as_ref().expect("started above");
            let part = self.open.as_mut().expect("opened above");
            let rows = match &mut part.group {
                Some(rows) => rows,
                rows => {
                    let index = part.file.flushed_row_groups().len();
                    encoders.start(columns(&self.schema, &part.factory, index)?);
                    rows.insert(0)
                }
            };
            let take = rest.num_rows().min(self.opts.row_group_rows - *rows);
            encoders.send(&rest.slice(0, take));
            rest = rest.slice(take, rest.num_rows() - take);
            *rows += take;
            part.rows += take as i64;
            if *rows >= self.opts.row_group_rows || encoders.bytes() >= self.opts.row_group_bytes {
                self.end_group()?;
            }
        }
        Ok(())
    }

    /// Closes the last part; returns every part written, with the
    /// columns' statistics.
    pub fn finish(mut self) -> Result<Written, ConvertError> {
        if self.open.is_some() || self.parts.is_empty() {
            // An empty input still makes one (empty) part with the schema.
            self.part()?;
            self.end_part()?;
        }
        let (distinct, sums) = match &self.encoders {
            Some(encoders) => encoders.counts(),
            None => self
                .schema
                .fields()
                .iter()
                .map(|f| {
                    let c = Counts::of(f.data_type());
                    (c.distinct.count(), c.tally.summed())
                })
                .unzip(),
        };
        Ok(Written {
            parts: std::mem::take(&mut self.parts),
            bounds: self.bounds.summaries(),
            distinct,
            sums,
        })
    }

    /// Gives up: deletes the parts written, abandons the open one.
    pub fn abort(mut self) {
        let handle = tokio::runtime::Handle::current();
        if let Some(mut part) = self.open.take() {
            let upload: &mut BufWriter = part.file.inner_mut().as_mut();
            let _ = handle.block_on(upload.abort());
        }
        for part in &self.parts {
            let path = self.prefix.clone().join(part.name.as_str());
            if let Err(e) = handle.block_on(self.store.delete(&path)) {
                tracing::warn!(error = %e, %path, "could not delete an abandoned part");
            }
        }
    }

    fn part(&mut self) -> Result<&mut OpenPart, ConvertError> {
        if self.open.is_none() {
            let path = self.prefix.clone().join(part_name(self.parts.len()));
            let sink = SyncIoBridge::new(BufWriter::new(self.store.clone(), path));
            // ArrowWriter embeds the Arrow schema in the footer, so readers
            // get the exact Arrow types back (zones, unsigned, large types).
            let (file, factory) =
                ArrowWriter::try_new(sink, self.schema.clone(), Some(self.props.clone()))?
                    .into_serialized_writer()?;
            self.open = Some(OpenPart {
                file,
                factory,
                group: None,
                rows: 0,
            });
        }
        Ok(self.open.as_mut().expect("opened above"))
    }

    fn end_group(&mut self) -> Result<(), ConvertError> {
        let Some(part) = self.open.as_mut() else {
            return Ok(());
        };
        if part.group.take().is_some() {
            let encoders = self.encoders.as_ref().expect("a row group was started");
            let chunks = encoders.close()?;
            let mut rg = part.file.next_row_group()?;
            for chunk in chunks {
                chunk.append_to_row_group(&mut rg)?;
            }
            rg.close()?;
            if part.file.bytes_written() >= self.opts.part_bytes {
                self.end_part()?;
            }
        }
        Ok(())
    }

    fn end_part(&mut self) -> Result<(), ConvertError> {
        self.end_group()?;
        let Some(part) = self.open.take() else {
            return Ok(());
        };
        let mut file = part.file;
        let metadata = file.finish()?;
        self.bounds.absorb(&self.schema, &metadata);
        let size_bytes = file.bytes_written() as i64;
        // The footer is written and flushed: complete the upload.
        file.inner_mut().shutdown()?;
        self.parts.push(Part {
            name: part_name(self.parts.len()),
            rows: part.rows,
            size_bytes,
        });
        Ok(())
    }
}

/// A new row group's writers, by top-level column.
fn columns(
    schema: &Schema,
    factory: &ArrowRowGroupWriterFactory,
    row_group: usize,
) -> Result<Vec<(FieldRef, Leaves)>, ParquetError> {
    let mut writers = factory
        .create_column_writers(row_group)?
        .into_iter()
        .enumerate();
    Ok(schema
        .fields()
        .iter()
        .map(|f| {
            let leaves = leaf_count(f.data_type());
            (f.clone(), writers.by_ref().take(leaves).collect())
        })
        .collect())
}

/// The schema as stored: a column with no values at all (Arrow's null type)
/// is stored as a string column of nulls, which every engine reads.
fn storable(schema: &SchemaRef) -> SchemaRef {
    Arc::new(Schema::new_with_metadata(
        schema
            .fields()
            .iter()
            .map(|f| match f.data_type() {
                DataType::Null => Arc::new(f.as_ref().clone().with_data_type(DataType::Utf8)),
                _ => f.clone(),
            })
            .collect::<Vec<_>>(),
        schema.metadata().clone(),
    ))
}

/// How many Parquet leaf columns an Arrow type becomes.
fn leaf_count(t: &arrow::datatypes::DataType) -> usize {
    use arrow::datatypes::DataType::*;
    match t {
        Struct(fields) => fields.iter().map(|f| leaf_count(f.data_type())).sum(),
        List(f) | LargeList(f) | FixedSizeList(f, _) | ListView(f) | LargeListView(f) => {
            leaf_count(f.data_type())
        }
        Map(f, _) => leaf_count(f.data_type()),
        Dictionary(_, v) => leaf_count(v),
        RunEndEncoded(_, v) => leaf_count(v.data_type()),
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Float64Array, Int64Array, StringArray};

    #[test]
    fn only_columns_that_repeat_keep_a_dictionary() {
        let ids = Int64Array::from_iter_values(0..1000);
        assert!(!repeats(&ids), "unique ids go plain");
        let codes = Int64Array::from_iter_values((0..1000).map(|i| i % 7));
        assert!(repeats(&codes));
        let emails = StringArray::from_iter_values((0..1000).map(|i| format!("u{i}@example.org")));
        assert!(!repeats(&emails));
        let regions = StringArray::from_iter_values((0..1000).map(|i| ["north", "south"][i % 2]));
        assert!(repeats(&regions));
        // Too few values to judge: keep the dictionary.
        assert!(repeats(&Int64Array::from_iter_values(0..10)));
        // Nulls are not values; a slice is judged on its own values.
        let sparse = Float64Array::from_iter((0..1000).map(|i| (i % 10 == 0).then_some(i as f64)));
        assert!(!repeats(&sparse));
        let tail = codes.slice(500, 500);
        assert!(repeats(&tail));
        let unique_tail =
            Int64Array::from_iter_values((0..1000).map(|i| if i < 500 { 1 } else { i }));
        assert!(!repeats(&unique_tail.slice(500, 500)));
    }

    /// A row group's encoders and a file to append their chunks to.
    fn encoders(schema: &SchemaRef) -> (Encoders, SerializedFileWriter<Vec<u8>>) {
        let (file, factory) = ArrowWriter::try_new(Vec::new(), schema.clone(), None)
            .unwrap()
            .into_serialized_writer()
            .unwrap();
        let encoders = Encoders::spawn(2).unwrap();
        encoders.start(columns(schema, &factory, 0).unwrap());
        (encoders, file)
    }

    #[test]
    fn encoders_keep_each_columns_batches_in_order_whatever_they_cost() {
        use arrow::array::{BooleanArray, StructArray};
        use arrow::datatypes::Field;
        use parquet::arrow::arrow_reader::ParquetRecordBatchReader;

        // One costly column among cheap ones, and a nested one with two
        // leaves in the middle, so chunks come back out of leaf order.
        let point = DataType::Struct(
            vec![
                Field::new("x", DataType::Int64, false),
                Field::new("y", DataType::Int64, false),
            ]
            .into(),
        );
        let schema: SchemaRef = Arc::new(Schema::new(vec![
            Field::new("text", DataType::Utf8, false),
            Field::new("point", point, false),
            Field::new("flag", DataType::Boolean, false),
            Field::new("n", DataType::Int64, false),
        ]));
        let batch = |start: i64| {
            let rows = start..start + 1000;
            let ints =
                |f: fn(i64) -> i64| Arc::new(Int64Array::from_iter_values(rows.clone().map(f)));
            let point = StructArray::new(
                match schema.field(1).data_type() {
                    DataType::Struct(f) => f.clone(),
                    _ => unreachable!(),
                },
                vec![ints(|i| i), ints(|i| -i)],
                None,
            );
            RecordBatch::try_new(
                schema.clone(),
                vec![
                    Arc::new(StringArray::from_iter_values(
                        rows.clone().map(|i| format!("{i} {}", "words ".repeat(20))),
                    )),
                    Arc::new(point),
                    Arc::new(BooleanArray::from_iter(
                        rows.clone().map(|i| Some(i % 3 == 0)),
                    )),
                    ints(|i| i * 7),
                ],
            )
            .unwrap()
        };
        let (encoders, mut file) = encoders(&schema);
        let batches: Vec<_> = (0..20).map(|b| batch(b * 1000)).collect();
        for b in &batches {
            encoders.send(b);
        }
        assert!(encoders.bytes() > 0);
        let mut rg = file.next_row_group().unwrap();
        for chunk in encoders.close().unwrap() {
            chunk.append_to_row_group(&mut rg).unwrap();
        }
        rg.close().unwrap();
        let bytes = bytes::Bytes::from(file.into_inner().unwrap());
        let read: Vec<_> = ParquetRecordBatchReader::try_new(bytes, 20_000)
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let expected = arrow::compute::concat_batches(&schema, &batches).unwrap();
        let got = arrow::compute::concat_batches(&schema, &read).unwrap();
        assert_eq!(got, expected);
    }

    #[test]
    fn a_failing_column_fails_the_row_group_and_nobody_waits_forever() {
        use arrow::datatypes::Field;
        let schema: SchemaRef = Arc::new(Schema::new(vec![
            Field::new("a", DataType::Int64, false),
            Field::new("b", DataType::Int64, false),
        ]));
        let (encoders, _file) = encoders(&schema);
        let good = Arc::new(Int64Array::from_iter_values(0..10)) as ArrayRef;
        // A column of the wrong type: its encoder errs or panics.
        let wrong = Arc::new(StringArray::from_iter_values(
            (0..10).map(|i| i.to_string()),
        ));
        let odd = Arc::new(Schema::new(vec![
            Field::new("a", DataType::Int64, false),
            Field::new("b", DataType::Utf8, false),
        ]));
        // More than fit in an inbox, so the writer also waits for room.
        for _ in 0..DEPTH * 3 {
            encoders.send(
                &RecordBatch::try_new(odd.clone(), vec![good.clone(), wrong.clone()]).unwrap(),
            );
        }
        assert!(encoders.close().is_err());
        // The threads are still there for the next row group.
        let (_file, factory) = ArrowWriter::try_new(Vec::new(), schema.clone(), None)
            .unwrap()
            .into_serialized_writer()
            .unwrap();
        encoders.start(columns(&schema, &factory, 0).unwrap());
        encoders.send(&RecordBatch::try_new(schema.clone(), vec![good.clone(), good]).unwrap());
        assert_eq!(encoders.close().unwrap().len(), 2);
    }

    #[test]
    fn plain_columns_have_their_dictionary_switched_off() {
        let props = properties(&["id".into()], 3);
        assert!(!props.dictionary_enabled(&ColumnPath::new(vec!["id".into()])));
        assert!(props.dictionary_enabled(&ColumnPath::new(vec!["region".into()])));
    }
}
