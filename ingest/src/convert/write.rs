//! The Parquet side of a conversion: record batches in, zstd Parquet parts
//! out, under a staging prefix of a lake.
//!
//! Each row group's columns are encoded in parallel: the top-level columns
//! are dealt to a few lane threads, each owning the column writers of its
//! share, so encoding uses the cores while parsing goes on. The lanes live
//! as long as the writer. A row group
//! closes at `row_group_rows` rows or at about `row_group_bytes` encoded
//! bytes (the lanes' own estimate, a batch or two behind), which also bounds
//! the memory it holds. A part closes at the first row group boundary past
//! `part_bytes`, and the next part starts: `part-00000.parquet`,
//! `part-00001.parquet`, … Parts stream to the object store as they are
//! written (multipart uploads for large ones).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{SyncSender, sync_channel};

use std::collections::HashSet;

use arrow::array::{Array, AsArray, RecordBatch, new_null_array};
use arrow::datatypes::{DataType, Schema, SchemaRef};
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

use crate::IngestError;

/// How the output is laid out.
#[derive(Debug, Clone)]
pub struct WriteOptions {
    pub row_group_rows: usize,
    pub row_group_bytes: usize,
    pub part_bytes: usize,
    /// Lane threads encoding a row group's columns.
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
    lanes: Vec<Lane>,
    open: Option<OpenPart>,
    parts: Vec<Part>,
    nulls: Vec<usize>,
    /// Personal data per column, from a sample of what is written.
    profile: super::profile::Profile,
}

struct OpenPart {
    file: SerializedFileWriter<Sink>,
    factory: ArrowRowGroupWriterFactory,
    group: Option<Group>,
    rows: i64,
}

/// A row group being encoded by the lanes: its rows so far.
struct Group {
    rows: usize,
}

/// A top-level column and its leaves' writers, each with its leaf index.
type Share = (usize, Vec<(usize, ArrowColumnWriter)>);

type Chunks = Vec<(usize, ArrowColumnChunk)>;

/// What a lane is asked to do.
enum Job {
    /// Encode a new row group's share of the columns.
    Start(Vec<Share>),
    Batch(RecordBatch),
    /// Close the row group, answering with its encoded chunks.
    Close(SyncSender<Result<Chunks, ParquetError>>),
}

/// A lane thread. The same lanes encode every row group of a writer, so the
/// memory they allocate is reused; threads spawned per row group would
/// each spread it over another malloc arena, and RSS grew with file size.
struct Lane {
    tx: SyncSender<Job>,
    /// The lane's estimate of its columns' encoded size so far.
    bytes: Arc<AtomicUsize>,
}

impl Lane {
    fn spawn(schema: SchemaRef) -> Self {
        let (tx, rx) = sync_channel::<Job>(2);
        let bytes = Arc::new(AtomicUsize::new(0));
        let estimate = bytes.clone();
        std::thread::spawn(move || {
            let (mut share, mut failed) = (Vec::<Share>::new(), None);
            // Ends when the writer drops its lanes.
            for job in rx {
                match job {
                    Job::Start(s) => (share, failed) = (s, None),
                    Job::Batch(batch) if failed.is_none() => {
                        match encode(&schema, &mut share, &batch) {
                            Ok(total) => estimate.store(total, Ordering::Relaxed),
                            Err(e) => failed = Some(e),
                        }
                    }
                    Job::Batch(_) => {}
                    Job::Close(reply) => {
                        let share = std::mem::take(&mut share);
                        let _ = reply.send(match failed.take() {
                            Some(e) => Err(e),
                            None => close(share),
                        });
                    }
                }
            }
        });
        Self { tx, bytes }
    }
}

/// Writes a batch's columns of `share`; returns their estimated size.
fn encode(
    schema: &Schema,
    share: &mut [Share],
    batch: &RecordBatch,
) -> Result<usize, ParquetError> {
    let mut total = 0;
    for (i, writers) in share {
        let leaves = compute_leaves(schema.field(*i), batch.column(*i))?;
        for ((_, w), leaf) in writers.iter_mut().zip(leaves) {
            w.write(&leaf)?;
            total += w.get_estimated_total_bytes();
        }
    }
    Ok(total)
}

fn close(share: Vec<Share>) -> Result<Chunks, ParquetError> {
    let mut chunks = Vec::new();
    for (_, writers) in share {
        for (leaf, w) in writers {
            chunks.push((leaf, w.close()?));
        }
    }
    Ok(chunks)
}

fn stopped() -> IngestError {
    IngestError::Io(std::io::Error::other("a column encoder stopped"))
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
        let profile = super::profile::Profile::new(&schema);
        let schema = storable(&schema);
        Self {
            store,
            prefix,
            lanes: (0..opts.threads.clamp(1, schema.fields().len().max(1)))
                .map(|_| Lane::spawn(schema.clone()))
                .collect(),
            schema,
            props,
            opts,
            open: None,
            parts: Vec::new(),
            nulls,
            profile,
        }
    }

    /// Null counts per top-level column so far.
    pub fn nulls(&self) -> &[usize] {
        &self.nulls
    }

    /// What the PII detectors found per column so far.
    pub fn profile(&self) -> &super::profile::Profile {
        &self.profile
    }

    pub fn write(&mut self, batch: &RecordBatch) -> Result<(), IngestError> {
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
            *n += col.null_count();
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
        .map_err(super::invalid)?;
        while rest.num_rows() > 0 {
            self.part()?;
            let part = self.open.as_mut().expect("opened above");
            let group = match &mut part.group {
                Some(g) => g,
                g => g.insert(Group::start(&self.lanes, &part.factory, &self.schema)?),
            };
            let room = self.opts.row_group_rows - group.rows;
            let take = rest.num_rows().min(room);
            let now = rest.slice(0, take);
            rest = rest.slice(take, rest.num_rows() - take);
            group.send(&self.lanes, now)?;
            part.rows += take as i64;
            if group.rows >= self.opts.row_group_rows
                || bytes(&self.lanes) >= self.opts.row_group_bytes
            {
                self.end_group()?;
            }
        }
        Ok(())
    }

    /// Closes the last part; returns every part written.
    pub fn finish(mut self) -> Result<Vec<Part>, IngestError> {
        if self.open.is_some() || self.parts.is_empty() {
            // An empty input still makes one (empty) part with the schema.
            self.part()?;
            self.end_part()?;
        }
        Ok(self.parts)
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

    fn part(&mut self) -> Result<&mut OpenPart, IngestError> {
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

    fn end_group(&mut self) -> Result<(), IngestError> {
        let Some(part) = self.open.as_mut() else {
            return Ok(());
        };
        if let Some(group) = part.group.take() {
            let chunks = group.close(&self.lanes)?;
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

    fn end_part(&mut self) -> Result<(), IngestError> {
        self.end_group()?;
        let Some(part) = self.open.take() else {
            return Ok(());
        };
        let mut file = part.file;
        file.finish()?;
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

impl Group {
    /// Deals the top-level columns (each with its leaves) to the lanes.
    fn start(
        lanes: &[Lane],
        factory: &ArrowRowGroupWriterFactory,
        schema: &SchemaRef,
    ) -> Result<Self, IngestError> {
        let mut shares: Vec<Vec<Share>> = lanes.iter().map(|_| Vec::new()).collect();
        let mut writers = factory.create_column_writers(0)?.into_iter().enumerate();
        for (i, field) in schema.fields().iter().enumerate() {
            let leaves = leaf_count(field.data_type());
            shares[i % lanes.len()].push((i, writers.by_ref().take(leaves).collect()));
        }
        for (lane, share) in lanes.iter().zip(shares) {
            // The last group is closed, so its lane no longer updates this.
            lane.bytes.store(0, Ordering::Relaxed);
            lane.tx.send(Job::Start(share)).map_err(|_| stopped())?;
        }
        Ok(Self { rows: 0 })
    }

    fn send(&mut self, lanes: &[Lane], batch: RecordBatch) -> Result<(), IngestError> {
        self.rows += batch.num_rows();
        for lane in lanes {
            lane.tx
                .send(Job::Batch(batch.clone()))
                .map_err(|_| stopped())?;
        }
        Ok(())
    }

    /// The encoded column chunks, in leaf order.
    fn close(self, lanes: &[Lane]) -> Result<Vec<ArrowColumnChunk>, IngestError> {
        let mut replies = Vec::with_capacity(lanes.len());
        for lane in lanes {
            let (reply, chunks) = sync_channel(1);
            lane.tx.send(Job::Close(reply)).map_err(|_| stopped())?;
            replies.push(chunks);
        }
        let mut all = Vec::new();
        for chunks in replies {
            all.extend(chunks.recv().map_err(|_| stopped())??);
        }
        all.sort_by_key(|(leaf, _)| *leaf);
        Ok(all.into_iter().map(|(_, c)| c).collect())
    }
}

/// The lanes' estimate of the open row group's encoded size.
fn bytes(lanes: &[Lane]) -> usize {
    lanes.iter().map(|l| l.bytes.load(Ordering::Relaxed)).sum()
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

    #[test]
    fn plain_columns_have_their_dictionary_switched_off() {
        let props = properties(&["id".into()], 3);
        assert!(!props.dictionary_enabled(&ColumnPath::new(vec!["id".into()])));
        assert!(props.dictionary_enabled(&ColumnPath::new(vec!["region".into()])));
    }
}
