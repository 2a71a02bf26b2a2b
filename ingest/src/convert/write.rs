//! The Parquet side of a conversion: record batches in, zstd Parquet parts
//! out, under a staging prefix of a lake.
//!
//! Each row group's columns are encoded in parallel: the top-level columns
//! are dealt to a few lane threads, each owning the column writers of its
//! share, so encoding uses the cores while parsing goes on. A row group
//! closes at `row_group_rows` rows or at about `row_group_bytes` encoded
//! bytes (the lanes' own estimate, a batch or two behind), which also bounds
//! the memory it holds. A part closes at the first row group boundary past
//! `part_bytes`, and the next part starts: `part-00000.parquet`,
//! `part-00001.parquet`, … Parts stream to the object store as they are
//! written (multipart uploads for large ones).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{SyncSender, sync_channel};
use std::thread::JoinHandle;

use arrow::array::{RecordBatch, new_null_array};
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
    open: Option<OpenPart>,
    parts: Vec<Part>,
    nulls: Vec<usize>,
}

struct OpenPart {
    file: SerializedFileWriter<Sink>,
    factory: ArrowRowGroupWriterFactory,
    group: Option<Group>,
    rows: i64,
}

/// A row group being encoded by its lanes.
struct Group {
    lanes: Vec<Lane>,
    rows: usize,
}

/// A top-level column and its leaves' writers, each with its leaf index.
type Share = (usize, Vec<(usize, ArrowColumnWriter)>);

struct Lane {
    tx: SyncSender<RecordBatch>,
    /// The lane's estimate of its columns' encoded size so far.
    bytes: Arc<AtomicUsize>,
    done: JoinHandle<Result<Vec<(usize, ArrowColumnChunk)>, ParquetError>>,
}

impl PartWriter {
    pub fn new(
        store: Arc<dyn ObjectStore>,
        prefix: Path,
        schema: SchemaRef,
        opts: WriteOptions,
    ) -> Self {
        let mut props = WriterProperties::builder().set_compression(Compression::ZSTD(
            ZstdLevel::try_new(3).expect("valid level"),
        ));
        // Dictionaries pay for text (categories, codes); numbers compress
        // about as well plain under zstd, and interning every value costs
        // a fifth of the encoding time.
        for f in schema.fields() {
            if f.data_type().is_numeric() {
                props =
                    props.set_column_dictionary_enabled(ColumnPath::from(f.name().as_str()), false);
            }
        }
        let props = props.build();
        let nulls = vec![0; schema.fields().len()];
        let schema = storable(&schema);
        Self {
            store,
            prefix,
            schema,
            props,
            opts,
            open: None,
            parts: Vec::new(),
            nulls,
        }
    }

    /// Null counts per top-level column so far.
    pub fn nulls(&self) -> &[usize] {
        &self.nulls
    }

    pub fn write(&mut self, batch: &RecordBatch) -> Result<(), IngestError> {
        for (n, col) in self.nulls.iter_mut().zip(batch.columns()) {
            *n += col.null_count();
        }
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
                g => g.insert(Group::start(&part.factory, &self.schema, &self.opts)?),
            };
            let room = self.opts.row_group_rows - group.rows;
            let take = rest.num_rows().min(room);
            let now = rest.slice(0, take);
            rest = rest.slice(take, rest.num_rows() - take);
            group.send(now)?;
            part.rows += take as i64;
            if group.rows >= self.opts.row_group_rows || group.bytes() >= self.opts.row_group_bytes
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
            let chunks = group.close()?;
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
    fn start(
        factory: &ArrowRowGroupWriterFactory,
        schema: &SchemaRef,
        opts: &WriteOptions,
    ) -> Result<Self, IngestError> {
        let writers = factory.create_column_writers(0)?;
        // Deal the top-level columns (each with its leaves) to the lanes.
        let lanes = opts.threads.clamp(1, schema.fields().len().max(1));
        let mut shares: Vec<Vec<Share>> = (0..lanes).map(|_| Vec::new()).collect();
        let mut writers = writers.into_iter().enumerate();
        for (i, field) in schema.fields().iter().enumerate() {
            let leaves = leaf_count(field.data_type());
            shares[i % lanes].push((i, writers.by_ref().take(leaves).collect()));
        }
        let lanes = shares
            .into_iter()
            .map(|share| {
                let (tx, rx) = sync_channel::<RecordBatch>(2);
                let bytes = Arc::new(AtomicUsize::new(0));
                let estimate = bytes.clone();
                let schema = schema.clone();
                let done = std::thread::spawn(move || {
                    let mut share = share;
                    for batch in rx {
                        let mut total = 0;
                        for (i, writers) in &mut share {
                            let leaves = compute_leaves(schema.field(*i), batch.column(*i))?;
                            for ((_, w), leaf) in writers.iter_mut().zip(leaves) {
                                w.write(&leaf)?;
                                total += w.get_estimated_total_bytes();
                            }
                        }
                        estimate.store(total, Ordering::Relaxed);
                    }
                    let mut chunks = Vec::new();
                    for (_, writers) in share {
                        for (leaf, w) in writers {
                            chunks.push((leaf, w.close()?));
                        }
                    }
                    Ok(chunks)
                });
                Lane { tx, bytes, done }
            })
            .collect();
        Ok(Self { lanes, rows: 0 })
    }

    fn send(&mut self, batch: RecordBatch) -> Result<(), IngestError> {
        self.rows += batch.num_rows();
        for lane in &self.lanes {
            if lane.tx.send(batch.clone()).is_err() {
                // The lane failed; closing it reports why.
                return Err(self.fail());
            }
        }
        Ok(())
    }

    fn bytes(&self) -> usize {
        self.lanes
            .iter()
            .map(|l| l.bytes.load(Ordering::Relaxed))
            .sum()
    }

    /// The error of the first failed lane.
    fn fail(&mut self) -> IngestError {
        for lane in std::mem::take(&mut self.lanes) {
            drop(lane.tx);
            if let Err(e) = join(lane.done) {
                return e;
            }
        }
        IngestError::Io(std::io::Error::other("a column encoder stopped"))
    }

    /// The encoded column chunks, in leaf order.
    fn close(self) -> Result<Vec<ArrowColumnChunk>, IngestError> {
        let mut all = Vec::new();
        for lane in self.lanes {
            drop(lane.tx);
            all.extend(join(lane.done)?);
        }
        all.sort_by_key(|(leaf, _)| *leaf);
        Ok(all.into_iter().map(|(_, c)| c).collect())
    }
}

fn join(
    done: JoinHandle<Result<Vec<(usize, ArrowColumnChunk)>, ParquetError>>,
) -> Result<Vec<(usize, ArrowColumnChunk)>, IngestError> {
    match done.join() {
        Ok(r) => Ok(r?),
        Err(_) => Err(IngestError::Io(std::io::Error::other(
            "a column encoder panicked",
        ))),
    }
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
