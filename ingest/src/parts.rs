//! A published version's Parquet parts, read back from its lake: their
//! list, their footers, and their rows as a stream of record batches.
//!
//! Key decision: parts are read through object_store range requests
//! ([`PartReader`], parquet's `AsyncFileReader`), never fetched whole, so
//! reading a version back holds one row group's columns at a time,
//! whatever its size, on every lake backend alike.

use std::ops::Range;
use std::sync::Arc;

use arrow::record_batch::RecordBatch;
use bytes::Bytes;
use futures::future::BoxFuture;
use futures::{FutureExt, Stream, StreamExt, TryFutureExt, TryStreamExt};
use object_store::{ObjectMeta, ObjectStore, ObjectStoreExt};
use parquet::arrow::ParquetRecordBatchStreamBuilder;
use parquet::arrow::arrow_reader::ArrowReaderOptions;
use parquet::arrow::async_reader::AsyncFileReader;
use parquet::errors::ParquetError;
use parquet::file::metadata::{ParquetMetaData, ParquetMetaDataReader};

use crate::IngestError;
use crate::lake::Lake;

/// Rows per batch when a version is streamed back.
pub const BATCH_ROWS: usize = 8192;

/// One Parquet part in a lake, read by ranges.
#[derive(Clone)]
pub struct PartReader {
    store: Arc<dyn ObjectStore>,
    meta: ObjectMeta,
}

impl PartReader {
    pub fn new(store: Arc<dyn ObjectStore>, meta: ObjectMeta) -> Self {
        Self { store, meta }
    }
}

fn external(e: object_store::Error) -> ParquetError {
    ParquetError::External(Box::new(e))
}

impl AsyncFileReader for PartReader {
    fn get_bytes(&mut self, range: Range<u64>) -> BoxFuture<'_, parquet::errors::Result<Bytes>> {
        self.store
            .get_range(&self.meta.location, range)
            .map_err(external)
            .boxed()
    }

    fn get_byte_ranges(
        &mut self,
        ranges: Vec<Range<u64>>,
    ) -> BoxFuture<'_, parquet::errors::Result<Vec<Bytes>>> {
        async move {
            self.store
                .get_ranges(&self.meta.location, &ranges)
                .await
                .map_err(external)
        }
        .boxed()
    }

    fn get_metadata<'a>(
        &'a mut self,
        _options: Option<&'a ArrowReaderOptions>,
    ) -> BoxFuture<'a, parquet::errors::Result<Arc<ParquetMetaData>>> {
        async move {
            let size = self.meta.size;
            let metadata = ParquetMetaDataReader::new()
                .load_and_finish(self, size)
                .await?;
            Ok(Arc::new(metadata))
        }
        .boxed()
    }
}

/// A version's parts (`part-NNNNN.parquet`), in order.
pub async fn version_parts(
    lake: &Lake,
    dataset: &str,
    version: i64,
) -> Result<Vec<ObjectMeta>, IngestError> {
    let prefix = Lake::version_prefix(dataset, version);
    let mut parts: Vec<ObjectMeta> = lake
        .store
        .list(Some(&prefix))
        .try_filter(|m| {
            let name = m.location.filename().unwrap_or_default();
            futures::future::ready(name.starts_with("part-") && name.ends_with(".parquet"))
        })
        .try_collect()
        .await?;
    parts.sort_by(|a, b| a.location.cmp(&b.location));
    Ok(parts)
}

/// The rows a part holds, from its footer alone.
pub async fn part_rows(lake: &Lake, part: &ObjectMeta) -> Result<i64, IngestError> {
    let mut reader = PartReader::new(lake.store.clone(), part.clone());
    let metadata = reader.get_metadata(None).await?;
    Ok(metadata.file_metadata().num_rows())
}

/// Every row of `parts`, in order, as record batches of at most
/// [`BATCH_ROWS`] rows; the schema is the first part's.
pub async fn batches(
    store: Arc<dyn ObjectStore>,
    parts: Vec<ObjectMeta>,
) -> Result<
    (
        arrow::datatypes::SchemaRef,
        impl Stream<Item = Result<RecordBatch, IngestError>> + Send + 'static,
    ),
    IngestError,
> {
    let Some(first) = parts.first() else {
        return Err(IngestError::NotFound("the version's parts".into()));
    };
    let schema =
        ParquetRecordBatchStreamBuilder::new(PartReader::new(store.clone(), first.clone()))
            .await?
            .schema()
            .clone();
    let stream = futures::stream::iter(parts)
        .then(move |part| {
            let reader = PartReader::new(store.clone(), part);
            async move {
                let stream = ParquetRecordBatchStreamBuilder::new(reader)
                    .await?
                    .with_batch_size(BATCH_ROWS)
                    .build()?;
                Ok::<_, IngestError>(stream.map_err(IngestError::from))
            }
        })
        .try_flatten();
    Ok((schema, stream))
}
