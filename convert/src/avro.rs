//! Avro object container files, read by arrow-avro straight into Arrow
//! record batches, block by block: the writer's schema comes from the
//! file's header, and the codecs suppliers use (deflate, snappy, zstd) are
//! compiled in. Logical types map to Arrow's own: `date` to Date32,
//! `timestamp-millis`/`-micros` to UTC timestamps (`local-timestamp-*` to
//! zone-less ones), `decimal` to Decimal128/256 with its precision and
//! scale. A `uuid` becomes its canonical text, as Spark and Trino expect it,
//! rather than 16 opaque bytes.

use std::io::BufReader;
use std::sync::Arc;

use arrow::array::{ArrayRef, AsArray, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::error::ArrowError;
use arrow_avro::reader::{Reader, ReaderBuilder};

use crate::ConvertError;

pub type Input = Reader<BufReader<Box<dyn std::io::Read + Send>>>;

/// A reader over the file, its header read and checked.
pub fn input(src: &std::path::Path, gzip: bool, batch_rows: usize) -> Result<Input, ConvertError> {
    ReaderBuilder::new()
        .with_batch_size(batch_rows)
        .build(BufReader::new(crate::source::open_raw(src, gzip)?))
        .map_err(|e| ConvertError::Invalid(format!("not a readable Avro file: {e}")))
}

/// Walks the container's framing without decoding a value: the header,
/// then each block's record count, length and sync marker, which must match
/// the header's. Returns the records the blocks hold. A file cut short or
/// with bytes after its last block is refused here, so that a reader
/// stopping early can never pass for a short file.
pub fn count(src: &std::path::Path, gzip: bool) -> Result<i64, ConvertError> {
    use std::io::Read;
    let bad = |what: &str| ConvertError::Invalid(format!("not a readable Avro file: {what}"));
    let mut r = BufReader::new(crate::source::open_raw(src, gzip)?);
    let mut magic = [0u8; 4];
    r.read_exact(&mut magic).map_err(|_| bad("no header"))?;
    if &magic != b"Obj\x01" {
        return Err(bad("no Avro magic"));
    }
    // The metadata map: blocks of (key, value) pairs until an empty one.
    loop {
        let n = long(&mut r)?.ok_or_else(|| bad("the header is cut short"))?;
        if n == 0 {
            break;
        }
        if n < 0 {
            long(&mut r)?; // the block's byte size
        }
        for _ in 0..n.unsigned_abs().saturating_mul(2) {
            let len = long(&mut r)?.ok_or_else(|| bad("the header is cut short"))?;
            skip(&mut r, len).map_err(|_| bad("the header is cut short"))?;
        }
    }
    let mut sync = [0u8; 16];
    r.read_exact(&mut sync)
        .map_err(|_| bad("the header is cut short"))?;
    let (mut records, mut block) = (0i64, 0u64);
    while let Some(n) = long(&mut r)? {
        block += 1;
        let size = long(&mut r)?.ok_or_else(|| bad(&format!("block {block} is cut short")))?;
        if n < 0 || size < 0 {
            return Err(bad(&format!("block {block} has a negative count or size")));
        }
        skip(&mut r, size).map_err(|_| bad(&format!("block {block} is cut short")))?;
        let mut marker = [0u8; 16];
        r.read_exact(&mut marker)
            .map_err(|_| bad(&format!("block {block} is cut short")))?;
        if marker != sync {
            return Err(bad(&format!(
                "block {block} does not end in the file's sync marker"
            )));
        }
        records += n;
    }
    Ok(records)
}

/// A zigzag varint long; `None` at a clean end of input.
fn long(r: &mut impl std::io::Read) -> Result<Option<i64>, ConvertError> {
    let (mut value, mut shift) = (0u64, 0);
    loop {
        let mut byte = [0u8];
        match r.read(&mut byte)? {
            0 if shift == 0 => return Ok(None),
            0 => {
                return Err(ConvertError::Invalid(
                    "not a readable Avro file: cut inside a number".into(),
                ));
            }
            _ => {}
        }
        if shift > 63 {
            return Err(ConvertError::Invalid(
                "not a readable Avro file: a number is too long".into(),
            ));
        }
        value |= u64::from(byte[0] & 0x7f) << shift;
        if byte[0] & 0x80 == 0 {
            return Ok(Some((value >> 1) as i64 ^ -((value & 1) as i64)));
        }
        shift += 7;
    }
}

fn skip(r: &mut impl std::io::Read, len: i64) -> std::io::Result<()> {
    let len = u64::try_from(len).map_err(|_| std::io::ErrorKind::InvalidData)?;
    let copied = std::io::copy(&mut std::io::Read::take(&mut *r, len), &mut std::io::sink())?;
    if copied == len {
        Ok(())
    } else {
        Err(std::io::ErrorKind::UnexpectedEof.into())
    }
}

fn is_uuid(f: &Field) -> bool {
    f.data_type() == &DataType::FixedSizeBinary(16)
        && f.metadata().get("logicalType").map(String::as_str) == Some("uuid")
}

/// The schema as written: UUID columns as text.
pub fn schema(read: &SchemaRef) -> Schema {
    Schema::new_with_metadata(
        read.fields()
            .iter()
            .map(|f| match is_uuid(f) {
                true => Arc::new(Field::new(f.name(), DataType::Utf8, f.is_nullable())),
                false => f.clone(),
            })
            .collect::<Vec<_>>(),
        read.metadata().clone(),
    )
}

/// A batch as read, under `schema` (from [`schema`]).
pub fn batch(schema: &SchemaRef, read: RecordBatch) -> Result<RecordBatch, ArrowError> {
    let columns = read
        .schema()
        .fields()
        .iter()
        .zip(read.columns())
        .map(|(f, col)| match is_uuid(f) {
            true => uuid_text(col),
            false => col.clone(),
        })
        .collect();
    RecordBatch::try_new(schema.clone(), columns)
}

fn uuid_text(col: &ArrayRef) -> ArrayRef {
    let bytes = col.as_fixed_size_binary();
    Arc::new(
        bytes
            .iter()
            .map(|v| {
                v.and_then(|b| uuid::Uuid::from_slice(b).ok())
                    .map(|u| u.hyphenated().to_string())
            })
            .collect::<StringArray>(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Array, FixedSizeBinaryArray, Int64Array};

    #[test]
    fn uuids_become_their_text() {
        let u = uuid::Uuid::from_u128(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef);
        let ids: ArrayRef = Arc::new(
            FixedSizeBinaryArray::try_from_sparse_iter_with_size(
                [Some(u.as_bytes().to_vec()), None].into_iter(),
                16,
            )
            .unwrap(),
        );
        let n: ArrayRef = Arc::new(Int64Array::from(vec![1, 2]));
        let mut meta = std::collections::HashMap::new();
        meta.insert("logicalType".to_string(), "uuid".to_string());
        let read = Arc::new(Schema::new(vec![
            Field::new("id", DataType::FixedSizeBinary(16), true).with_metadata(meta),
            Field::new("n", DataType::Int64, false),
        ]));
        let out = Arc::new(schema(&read));
        assert_eq!(out.field(0).data_type(), &DataType::Utf8);
        let b = batch(&out, RecordBatch::try_new(read, vec![ids, n]).unwrap()).unwrap();
        let text = b.column(0).as_string::<i32>();
        assert_eq!(text.value(0), "01234567-89ab-cdef-0123-456789abcdef");
        assert!(text.is_null(1));
    }
}
