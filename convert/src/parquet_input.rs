//! Parquet input: a delivered Parquet file is read, every value decoded,
//! and written anew like any other input.
//!
//! The key decision is that re-encoding is a security control: nothing of
//! the delivered file's pages, metadata or key-value properties reaches
//! the lake, only the values. Every compression codec writers use is
//! compiled in, so a file is never refused for how it was compressed.

use arrow::datatypes::Schema;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::{Batches, ConvertError};

/// A Parquet delivery's reader, its footer checked.
fn reader(
    src: &std::path::Path,
) -> Result<ParquetRecordBatchReaderBuilder<std::fs::File>, ConvertError> {
    ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(src)?)
        .map_err(|e| ConvertError::Invalid(format!("not a readable Parquet file: {e}")))
}

/// A Parquet delivery's schema, from its footer.
pub(crate) fn schema(src: &std::path::Path) -> Result<Schema, ConvertError> {
    Ok(reader(src)?.schema().as_ref().clone())
}

/// A Parquet delivery's record batches, `batch_rows` at a time.
pub(crate) fn batches(src: &std::path::Path, batch_rows: usize) -> Result<Batches, ConvertError> {
    Ok(Box::new(
        reader(src)?
            .with_batch_size(batch_rows)
            .build()
            .map_err(|e| ConvertError::Invalid(format!("Parquet: {e}")))?,
    ))
}
