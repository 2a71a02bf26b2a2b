//! A published version's data, streamed through Airlock to a caller
//! cleared for its zone, as Parquet, CSV or an Arrow IPC stream: the read
//! path for people without an engine of their own.
//!
//! Key decision: the bytes never pass through memory whole. A version of
//! one part goes out as that part's own bytes, straight from the lake; a
//! version of several parts, and every other format, is re-encoded batch
//! by batch ([`crate::parts::batches`]) on a task that sends bounded
//! chunks down a bounded channel, so a slow client slows the reading of
//! the lake, and memory stays at a few batches and one row group whatever
//! the version's size. A failure mid-stream ends the response with an
//! error, never a clean end a client would take for the whole.

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use bytes::Bytes;
use futures::stream::BoxStream;
use futures::{Stream, StreamExt, TryStreamExt};
use object_store::ObjectStoreExt;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use serde_json::json;
use tokio::sync::mpsc;

use airlock_policies::{Action, Principal};

use super::Reader;
use crate::{IngestError, parts};

/// What a version is streamed as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum DataFormat {
    Parquet,
    Csv,
    /// The Arrow IPC streaming format.
    Arrow,
}

impl DataFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            DataFormat::Parquet => "parquet",
            DataFormat::Csv => "csv",
            DataFormat::Arrow => "arrow",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            DataFormat::Parquet => "application/vnd.apache.parquet",
            DataFormat::Csv => "text/csv; charset=utf-8",
            DataFormat::Arrow => "application/vnd.apache.arrow.stream",
        }
    }
}

/// A version's data on its way out.
pub struct VersionData {
    pub format: DataFormat,
    /// `<dataset>-v<N>.<format>`.
    pub filename: String,
    pub body: BoxStream<'static, Result<Bytes, IngestError>>,
}

/// Bytes gathered before a chunk is sent.
const CHUNK_BYTES: usize = 1 << 20;
/// Chunks in flight between the encoder and the client.
const CHUNKS_IN_FLIGHT: usize = 4;

impl Reader<'_> {
    /// Streams version `version` of dataset `id` as `format`, for a caller
    /// who may read it; audited before the first byte.
    pub async fn version_data(
        self,
        who: &Principal,
        id: &str,
        version: i64,
        format: DataFormat,
    ) -> Result<VersionData, IngestError> {
        let d = self.visible_dataset(who, id).await?;
        let zone = &d.dataset.zone;
        let policies = self.policies.authorize(who, Action::ReadDataset { zone })?;
        let v = d
            .versions
            .iter()
            .map(|v| &v.info)
            .find(|v| v.version == version)
            .ok_or_else(|| IngestError::NotFound(format!("version {version} of dataset {id}")))?;
        if v.tainted_at.is_some() {
            return Err(IngestError::Conflict(format!(
                "version {version} of dataset {id} is withdrawn: a rescan found {}",
                v.taint_reason.as_deref().unwrap_or("a threat")
            )));
        }
        let lake = self.lakes.get(zone.as_str())?;
        let parts = parts::version_parts(lake, &d.dataset.name, version).await?;
        if parts.is_empty() {
            return Err(IngestError::Unavailable(format!(
                "the lake holds no parts of {} version {version}",
                d.dataset.name
            )));
        }
        self.catalog
            .append_audit(
                &who.user_id,
                "dataset.read",
                &d.dataset.id,
                json!({"via": "download", "version": version, "format": format.as_str(),
                       "policies": policies}),
            )
            .await?;
        let store = lake.store.clone();
        let body = match (format, parts.as_slice()) {
            (DataFormat::Parquet, [only]) => store
                .get(&only.location)
                .await?
                .into_stream()
                .map_err(IngestError::from)
                .boxed(),
            _ => {
                let (schema, batches) = parts::batches(store, parts).await?;
                encoded(format, schema, batches)
            }
        };
        Ok(VersionData {
            format,
            filename: format!("{}-v{version}.{}", d.dataset.name, format.as_str()),
            body,
        })
    }
}

/// `batches` encoded as `format` by a task of its own, in chunks of about
/// [`CHUNK_BYTES`].
fn encoded(
    format: DataFormat,
    schema: SchemaRef,
    batches: impl Stream<Item = Result<RecordBatch, IngestError>> + Send + 'static,
) -> BoxStream<'static, Result<Bytes, IngestError>> {
    let (tx, rx) = mpsc::channel(CHUNKS_IN_FLIGHT);
    tokio::spawn(async move {
        if let Err(e) = encode(format, schema, batches, &tx).await {
            tracing::warn!(error = %e, "streaming a version failed");
            let _ = tx.send(Err(e)).await;
        }
    });
    receiver_stream(rx)
}

fn receiver_stream(
    mut rx: mpsc::Receiver<Result<Bytes, IngestError>>,
) -> BoxStream<'static, Result<Bytes, IngestError>> {
    futures::stream::poll_fn(move |cx| rx.poll_recv(cx)).boxed()
}

/// One encoder per format, all writing into a `Vec` that is drained into
/// the channel once it holds a chunk.
enum Encoder {
    Parquet(ArrowWriter<Vec<u8>>),
    /// CSV has no state between batches but whether the header went out:
    /// a writer per batch, into one buffer.
    Csv {
        buffer: Vec<u8>,
        header: bool,
    },
    Arrow(arrow::ipc::writer::StreamWriter<Vec<u8>>),
}

impl Encoder {
    fn new(format: DataFormat, schema: &SchemaRef) -> Result<Self, IngestError> {
        Ok(match format {
            DataFormat::Parquet => {
                let props = WriterProperties::builder()
                    .set_compression(Compression::ZSTD(ZstdLevel::default()))
                    .set_max_row_group_row_count(Some(64 * 1024))
                    .build();
                Encoder::Parquet(ArrowWriter::try_new(
                    Vec::new(),
                    schema.clone(),
                    Some(props),
                )?)
            }
            DataFormat::Csv => Encoder::Csv {
                buffer: Vec::new(),
                header: true,
            },
            DataFormat::Arrow => Encoder::Arrow(
                arrow::ipc::writer::StreamWriter::try_new(Vec::new(), schema)
                    .map_err(arrow_error)?,
            ),
        })
    }

    fn write(&mut self, batch: &RecordBatch) -> Result<(), IngestError> {
        match self {
            Encoder::Parquet(w) => w.write(batch)?,
            Encoder::Csv { buffer, header } => {
                arrow::csv::WriterBuilder::new()
                    .with_header(std::mem::take(header))
                    .build(buffer)
                    .write(batch)
                    .map_err(arrow_error)?;
            }
            Encoder::Arrow(w) => w.write(batch).map_err(arrow_error)?,
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<(), IngestError> {
        match self {
            Encoder::Parquet(w) => {
                w.finish()?;
            }
            Encoder::Csv { .. } => {}
            Encoder::Arrow(w) => w.finish().map_err(arrow_error)?,
        }
        Ok(())
    }

    /// The bytes written so far, taken out.
    fn buffer(&mut self) -> &mut Vec<u8> {
        match self {
            Encoder::Parquet(w) => w.inner_mut(),
            Encoder::Csv { buffer, .. } => buffer,
            Encoder::Arrow(w) => w.get_mut(),
        }
    }
}

fn arrow_error(e: arrow::error::ArrowError) -> IngestError {
    IngestError::Unavailable(format!("encoding a version: {e}"))
}

async fn encode(
    format: DataFormat,
    schema: SchemaRef,
    batches: impl Stream<Item = Result<RecordBatch, IngestError>> + Send,
    tx: &mpsc::Sender<Result<Bytes, IngestError>>,
) -> Result<(), IngestError> {
    let mut encoder = Encoder::new(format, &schema)?;
    let mut batches = std::pin::pin!(batches);
    // An empty version still has its CSV header and its schema.
    encoder.write(&RecordBatch::new_empty(schema.clone()))?;
    while let Some(batch) = batches.try_next().await? {
        encoder.write(&batch)?;
        if encoder.buffer().len() >= CHUNK_BYTES && !send(&mut encoder, tx).await {
            return Ok(());
        }
    }
    encoder.finish()?;
    send(&mut encoder, tx).await;
    Ok(())
}

/// Sends what the encoder holds; `false` when the client went away.
async fn send(encoder: &mut Encoder, tx: &mpsc::Sender<Result<Bytes, IngestError>>) -> bool {
    let chunk = Bytes::from(std::mem::take(encoder.buffer()));
    chunk.is_empty() || tx.send(Ok(chunk)).await.is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn formats_are_read_by_the_names_they_are_given() {
        for f in [DataFormat::Parquet, DataFormat::Csv, DataFormat::Arrow] {
            let read: DataFormat = serde_json::from_value(serde_json::json!(f.as_str())).unwrap();
            assert_eq!(read, f);
        }
        assert!(serde_json::from_value::<DataFormat>(serde_json::json!("xlsx")).is_err());
    }

    #[tokio::test]
    async fn every_format_round_trips_batches_in_chunks() {
        use arrow::array::{Int64Array, StringArray};
        use arrow::datatypes::{DataType, Field, Schema};
        let schema: SchemaRef = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Int64, false),
            Field::new("name", DataType::Utf8, true),
        ]));
        let batch = |from: i64| {
            RecordBatch::try_new(
                schema.clone(),
                vec![
                    Arc::new(Int64Array::from_iter_values(from..from + 3)),
                    Arc::new(StringArray::from(vec![Some("a"), None, Some("c,d")])),
                ],
            )
            .unwrap()
        };
        let batches = || futures::stream::iter([Ok(batch(0)), Ok(batch(3))]);
        let collect = |s: BoxStream<'static, Result<Bytes, IngestError>>| async move {
            let chunks: Vec<Bytes> = s.try_collect().await.unwrap();
            chunks.concat()
        };

        let csv = collect(encoded(DataFormat::Csv, schema.clone(), batches())).await;
        let csv = String::from_utf8(csv).unwrap();
        assert_eq!(csv.lines().count(), 7, "{csv}");
        assert!(csv.starts_with("id,name\n0,a\n1,\n2,\"c,d\"\n"), "{csv}");

        let ipc = collect(encoded(DataFormat::Arrow, schema.clone(), batches())).await;
        let reader = arrow::ipc::reader::StreamReader::try_new(&ipc[..], None).unwrap();
        let rows: usize = reader.map(|b| b.unwrap().num_rows()).sum();
        assert_eq!(rows, 6);

        let pq = collect(encoded(DataFormat::Parquet, schema.clone(), batches())).await;
        let reader =
            parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(Bytes::from(pq))
                .unwrap()
                .build()
                .unwrap();
        let rows: usize = reader.map(|b| b.unwrap().num_rows()).sum();
        assert_eq!(rows, 6);
    }

    #[tokio::test]
    async fn a_failure_mid_stream_ends_it_with_an_error() {
        use arrow::datatypes::{DataType, Field, Schema};
        let schema: SchemaRef =
            Arc::new(Schema::new(vec![Field::new("id", DataType::Int64, false)]));
        let failing = futures::stream::iter([Err(IngestError::Unavailable("lake gone".into()))]);
        let out: Vec<Result<Bytes, IngestError>> =
            encoded(DataFormat::Csv, schema, failing).collect().await;
        assert!(matches!(out.last(), Some(Err(IngestError::Unavailable(_)))));
    }
}
