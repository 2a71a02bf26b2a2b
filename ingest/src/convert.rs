//! Conversion to Parquet. The lake never holds the uploaded bytes: every
//! value is parsed and re-encoded, which is itself a security control.
//!
//! CSV and TSV, plain or gzip-compressed, are read twice, both times
//! streaming (a gzip stream is inflated on the way): a first pass infers the schema
//! from every row (so no late value can break the types chosen) and finds
//! ragged rows and bad encodings with their line numbers; the second pass
//! parses record batches on a blocking thread and hands them, through a
//! channel of two, to the async Parquet writer, which streams them to the
//! lake. Memory is bounded by the batch size, not the file size.

use std::path::PathBuf;
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::csv::ReaderBuilder;
use arrow::csv::reader::Format;
use arrow::datatypes::{DataType, SchemaRef};
use arrow::error::ArrowError;
use object_store::buffered::BufWriter;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};
use parquet::arrow::AsyncArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use tokio::sync::mpsc;

use airlock_catalog::{ColumnInfo, Flag};

use crate::IngestError;

#[derive(Debug, Clone)]
pub struct ConvertOptions {
    pub batch_rows: usize,
    pub row_group_rows: usize,
    /// No record (a row, quoted newlines included) may be longer.
    pub max_record_bytes: usize,
    pub max_columns: usize,
}

/// What a conversion produced.
#[derive(Debug, Clone)]
pub struct Converted {
    pub rows: i64,
    pub size_bytes: i64,
    pub columns: Vec<ColumnInfo>,
}

/// Arrow's errors are about the input, except a genuine failure to read the
/// quarantined file, which is worth retrying.
fn invalid(e: ArrowError) -> IngestError {
    let msg = match e {
        ArrowError::IoError(_, io) if io.kind() != std::io::ErrorKind::InvalidData => {
            return IngestError::Io(io);
        }
        ArrowError::IoError(_, io) => io.to_string(),
        ArrowError::CsvError(m) | ArrowError::ParseError(m) => m,
        other => other.to_string(),
    };
    IngestError::InvalidInput(msg)
}

/// Bounds what the CSV parser can be made to buffer: it reads through the
/// bytes as they stream past, tracking RFC 4180 quoting, and fails with
/// `InvalidData`, naming the line, as soon as one record exceeds the limit
/// (a file with no line breaks, or an unterminated quote).
struct RecordGuard<R> {
    inner: R,
    delimiter: u8,
    limit: usize,
    state: Quoting,
    record_bytes: usize,
    line: u64,
    record_line: u64,
}

#[derive(Clone, Copy, PartialEq)]
enum Quoting {
    FieldStart,
    Unquoted,
    Quoted,
    /// A quote inside a quoted field: closes it, or escapes a second quote.
    QuoteInQuoted,
}

impl<R> RecordGuard<R> {
    fn new(inner: R, delimiter: u8, limit: usize) -> Self {
        Self {
            inner,
            delimiter,
            limit,
            state: Quoting::FieldStart,
            record_bytes: 0,
            line: 1,
            record_line: 1,
        }
    }

    fn check(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        use Quoting::*;
        for &b in bytes {
            self.record_bytes += 1;
            if b == b'\n' {
                self.line += 1;
            }
            let ends_record = b == b'\n' && self.state != Quoted;
            self.state = match (self.state, b) {
                (Quoted, b'"') => QuoteInQuoted,
                (Quoted, _) => Quoted,
                (FieldStart, b'"') | (QuoteInQuoted, b'"') => Quoted,
                (_, b'\n') => FieldStart,
                (_, d) if d == self.delimiter => FieldStart,
                _ => Unquoted,
            };
            if ends_record {
                self.record_bytes = 0;
                self.record_line = self.line;
            } else if self.record_bytes > self.limit {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!(
                        "the record starting at line {} is longer than {} bytes{}",
                        self.record_line,
                        self.limit,
                        if self.state == Quoted {
                            " (is a quote left open?)"
                        } else {
                            ""
                        }
                    ),
                ));
            }
        }
        Ok(())
    }
}

impl<R: std::io::Read> std::io::Read for RecordGuard<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.check(&buf[..n])?;
        Ok(n)
    }
}

/// How a delimited text delivery is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tabular {
    pub delimiter: u8,
    pub gzip: bool,
}

impl Tabular {
    /// From the file name (`x.csv`, `x.tsv`, `x.csv.gz`, `x.tsv.gz`) and
    /// the format its supplier declared, if any; `None` for what this
    /// converter does not read.
    pub fn of(filename: &str, declared: Option<&str>) -> Option<Self> {
        let lower = filename.to_ascii_lowercase();
        let (inner, gzip) = match lower.strip_suffix(".gz") {
            Some(inner) => (inner, true),
            None => (lower.as_str(), declared == Some("gz")),
        };
        let kind = match declared {
            Some(d @ ("csv" | "tsv")) => d,
            _ => inner.rsplit_once('.').map(|(_, e)| e).unwrap_or_default(),
        };
        let delimiter = match kind {
            "csv" => b',',
            "tsv" => b'\t',
            _ => return None,
        };
        Some(Self { delimiter, gzip })
    }
}

/// Errors of the gzip layer are about the input (corrupt or cut short),
/// not about reading the quarantined file.
struct GzipInput<R>(R);

impl<R: std::io::Read> std::io::Read for GzipInput<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        use std::io::ErrorKind::*;
        self.0.read(buf).map_err(|e| match e.kind() {
            InvalidInput | InvalidData | UnexpectedEof => {
                std::io::Error::new(InvalidData, format!("gzip: {e}"))
            }
            _ => e,
        })
    }
}

/// The quarantined file, inflated if need be, buffered and guarded.
fn open_guarded(
    path: &std::path::Path,
    source: Tabular,
    opts: &ConvertOptions,
) -> std::io::Result<impl std::io::Read + use<>> {
    let file = std::io::BufReader::with_capacity(1 << 16, std::fs::File::open(path)?);
    let raw: Box<dyn std::io::Read + Send> = if source.gzip {
        Box::new(std::io::BufReader::with_capacity(
            1 << 16,
            GzipInput(flate2::read::MultiGzDecoder::new(file)),
        ))
    } else {
        Box::new(file)
    };
    Ok(std::io::BufReader::new(RecordGuard::new(
        raw,
        source.delimiter,
        opts.max_record_bytes,
    )))
}

/// The name analysts see for an Arrow type.
fn type_name(t: &DataType) -> String {
    match t {
        DataType::Int64 => "int64".into(),
        DataType::Float64 => "float64".into(),
        DataType::Boolean => "bool".into(),
        DataType::Date32 => "date".into(),
        DataType::Timestamp(_, None) => "timestamp".into(),
        DataType::Timestamp(_, Some(_)) => "timestamp_tz".into(),
        DataType::Utf8 | DataType::LargeUtf8 => "string".into(),
        DataType::Null => "null".into(),
        other => other.to_string().to_lowercase(),
    }
}

/// Converts the delimited text at `src` (a header row, UTF-8) to one zstd
/// Parquet object at `dest`.
pub async fn csv_to_parquet(
    src: PathBuf,
    source: Tabular,
    store: Arc<dyn ObjectStore>,
    dest: Path,
    opts: &ConvertOptions,
) -> Result<Converted, IngestError> {
    let format = Format::default()
        .with_header(true)
        .with_delimiter(source.delimiter);
    let infer_src = src.clone();
    let infer_format = format.clone();
    let infer_opts = opts.clone();
    let schema: SchemaRef = tokio::task::spawn_blocking(move || {
        let mut input = open_guarded(&infer_src, source, &infer_opts)?;
        let mut first = [0u8; 1];
        if std::io::Read::read(&mut input, &mut first).map_err(|e| invalid(e.into()))? == 0 {
            return Err(IngestError::InvalidInput("the file is empty".into()));
        }
        let input = std::io::Read::chain(&first[..], input);
        let (schema, _) = infer_format.infer_schema(input, None).map_err(invalid)?;
        let columns = schema.fields().len();
        if columns == 0 {
            return Err(IngestError::InvalidInput(
                "the header row has no columns".into(),
            ));
        }
        if columns > infer_opts.max_columns {
            return Err(IngestError::InvalidInput(format!(
                "the header row has {columns} columns; at most {} are accepted",
                infer_opts.max_columns
            )));
        }
        Ok(Arc::new(schema))
    })
    .await
    .map_err(std::io::Error::other)??;

    let (tx, mut rx) = mpsc::channel::<Result<RecordBatch, ArrowError>>(2);
    let read_schema = schema.clone();
    let read_opts = opts.clone();
    let reader = tokio::task::spawn_blocking(move || -> Result<(), IngestError> {
        let batches = ReaderBuilder::new(read_schema)
            .with_format(format)
            .with_batch_size(read_opts.batch_rows)
            .build(open_guarded(&src, source, &read_opts)?)
            .map_err(invalid)?;
        for batch in batches {
            if tx.blocking_send(batch).is_err() {
                break; // the writer gave up; its error is reported
            }
        }
        Ok(())
    });

    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(
            ZstdLevel::try_new(3).expect("valid level"),
        ))
        .set_max_row_group_row_count(Some(opts.row_group_rows))
        .set_max_row_group_bytes(Some(128 << 20))
        .build();
    let sink = BufWriter::new(store.clone(), dest.clone());
    let mut writer = AsyncArrowWriter::try_new(sink, schema.clone(), Some(props))?;
    let mut rows = 0i64;
    let mut nulls = vec![0usize; schema.fields().len()];
    while let Some(batch) = rx.recv().await {
        let batch = batch.map_err(invalid)?;
        rows += batch.num_rows() as i64;
        for (n, col) in nulls.iter_mut().zip(batch.columns()) {
            *n += col.null_count();
        }
        writer.write(&batch).await?;
    }
    reader.await.map_err(std::io::Error::other)??;
    writer.close().await?;
    let size_bytes = store.head(&dest).await?.size as i64;
    let columns = schema
        .fields()
        .iter()
        .zip(nulls)
        .map(|(f, n)| ColumnInfo {
            name: f.name().clone(),
            data_type: type_name(f.data_type()),
            nullable: Flag(n > 0),
        })
        .collect();
    Ok(Converted {
        rows,
        size_bytes,
        columns,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use object_store::memory::InMemory;
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

    const OPTS: ConvertOptions = ConvertOptions {
        batch_rows: 2,
        row_group_rows: 1000,
        max_record_bytes: 64,
        max_columns: 8,
    };

    async fn convert(csv: &[u8]) -> (Result<Converted, IngestError>, Arc<InMemory>) {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("in.csv");
        std::fs::write(&src, csv).unwrap();
        let store = Arc::new(InMemory::new());
        let csv_source = Tabular {
            delimiter: b',',
            gzip: false,
        };
        let r = csv_to_parquet(
            src,
            csv_source,
            store.clone(),
            Path::from("out.parquet"),
            &OPTS,
        )
        .await;
        (r, store)
    }

    async fn convert_as(data: &[u8], name: &str) -> Result<Converted, IngestError> {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("in");
        std::fs::write(&src, data).unwrap();
        let source = Tabular::of(name, None).expect("a tabular name");
        let store = Arc::new(InMemory::new());
        csv_to_parquet(src, source, store, Path::from("out.parquet"), &OPTS).await
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        use std::io::Write;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn names_and_declared_formats_pick_the_layout() {
        let t = |name, declared| Tabular::of(name, declared).map(|t| (t.delimiter, t.gzip));
        assert_eq!(t("a.csv", None), Some((b',', false)));
        assert_eq!(t("a.TSV", None), Some((b'\t', false)));
        assert_eq!(t("a.csv.gz", None), Some((b',', true)));
        assert_eq!(t("a.tsv.gz", None), Some((b'\t', true)));
        assert_eq!(t("a.txt", Some("tsv")), Some((b'\t', false)));
        assert_eq!(t("a.json", None), None);
        assert_eq!(t("a.gz", None), None);
    }

    #[tokio::test]
    async fn tsv_and_gzip_forms_convert_alike() {
        let tsv = b"id\tname\n1\ta, b\n2\tc\n";
        let plain = convert_as(tsv, "x.tsv").await.unwrap();
        assert_eq!(plain.rows, 2);
        assert_eq!(plain.columns[1].name, "name");
        let zipped = convert_as(&gzip(tsv), "x.tsv.gz").await.unwrap();
        assert_eq!((zipped.rows, zipped.columns), (plain.rows, plain.columns));
        let csv = b"a,b\n1,2\n";
        assert_eq!(convert_as(&gzip(csv), "y.csv.gz").await.unwrap().rows, 1);
    }

    #[tokio::test]
    async fn bad_gzip_is_invalid_input_not_a_retry() {
        let gz = gzip(b"a,b\n1,2\n3,4\n");
        let err = convert_as(&gz[..gz.len() - 6], "t.csv.gz")
            .await
            .unwrap_err();
        assert!(
            matches!(&err, IngestError::InvalidInput(m) if m.contains("gzip")),
            "{err}"
        );
        let err = convert_as(&gzip(b""), "e.csv.gz").await.unwrap_err();
        assert!(
            matches!(&err, IngestError::InvalidInput(m) if m.contains("empty")),
            "{err}"
        );
    }

    #[tokio::test]
    async fn infers_types_and_round_trips() {
        let csv = b"id,score,ok,day,at,name\n1,1.5,true,2026-01-31,2026-01-31T10:00:00,\"a, \"\"quoted\"\"\nline\"\n2,,false,2026-02-01,2026-02-01T11:30:00,b\n3,2.25,true,2026-02-02,2026-02-02T00:00:00,c\n";
        let (r, store) = convert(csv).await;
        let out = r.unwrap();
        assert_eq!(out.rows, 3);
        let types: Vec<_> = out.columns.iter().map(|c| c.data_type.as_str()).collect();
        assert_eq!(
            types,
            ["int64", "float64", "bool", "date", "timestamp", "string"]
        );
        assert_eq!(out.columns[1].nullable, Flag(true));
        assert_eq!(out.columns[0].nullable, Flag(false));

        let bytes = store
            .get(&Path::from("out.parquet"))
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        assert_eq!(out.size_bytes as usize, bytes.len());
        let reader = ParquetRecordBatchReaderBuilder::try_new(bytes)
            .unwrap()
            .build()
            .unwrap();
        let batches: Vec<_> = reader.collect::<Result<_, _>>().unwrap();
        let all = arrow::compute::concat_batches(&batches[0].schema(), &batches).unwrap();
        let names = all
            .column(5)
            .as_any()
            .downcast_ref::<arrow::array::StringArray>()
            .unwrap();
        assert_eq!(names.value(0), "a, \"quoted\"\nline");
        let ids = all
            .column(0)
            .as_any()
            .downcast_ref::<arrow::array::Int64Array>()
            .unwrap();
        assert_eq!(ids.values().to_vec(), vec![1, 2, 3]);
    }

    #[tokio::test]
    async fn ragged_rows_name_their_line() {
        let (r, _) = convert(b"a,b\n1,2\n3\n4,5\n").await;
        let err = r.unwrap_err().to_string();
        assert!(err.contains("line 3"), "{err}");
    }

    #[tokio::test]
    async fn invalid_utf8_names_its_line() {
        let (r, _) = convert(b"a,b\n1,2\n3,\xff\xfe\n").await;
        let err = r.unwrap_err();
        assert!(matches!(err, IngestError::InvalidInput(_)), "{err}");
        assert!(err.to_string().contains("line 3"), "{err}");
    }

    #[tokio::test]
    async fn an_overlong_record_is_refused_naming_its_line() {
        let mut csv = b"a,b\n1,\"short\nquoted\"\n".to_vec();
        csv.extend_from_slice(b"2,");
        csv.extend(std::iter::repeat_n(b'x', 100));
        let (r, _) = convert(&csv).await;
        let err = r.unwrap_err();
        assert!(matches!(err, IngestError::InvalidInput(_)), "{err}");
        assert!(
            err.to_string()
                .contains("record starting at line 4 is longer than 64 bytes"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn an_unterminated_quote_is_refused() {
        let mut csv = b"a,b\n1,\"open\n".to_vec();
        csv.extend(std::iter::repeat_n(b"2,3\n".as_slice(), 40).flatten());
        let (r, _) = convert(&csv).await;
        let err = r.unwrap_err().to_string();
        assert!(
            err.contains("line 2") && err.contains("quote left open"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn stray_and_escaped_quotes_do_not_trip_the_guard() {
        let mut csv = b"a,b\n".to_vec();
        for _ in 0..20 {
            csv.extend_from_slice(b"5\" pipe,\"say \"\"hi\"\"\"\n");
        }
        let (r, _) = convert(&csv).await;
        assert_eq!(r.unwrap().rows, 20);
    }

    #[tokio::test]
    async fn too_many_columns_are_refused() {
        let (r, _) = convert(b"a,b,c,d,e,f,g,h,i\n1,2,3,4,5,6,7,8,9\n").await;
        let err = r.unwrap_err().to_string();
        assert!(err.contains("9 columns"), "{err}");
    }

    #[tokio::test]
    async fn empty_files_are_invalid() {
        let (r, _) = convert(b"").await;
        assert!(matches!(r, Err(IngestError::InvalidInput(m)) if m.contains("empty")));
    }
}
