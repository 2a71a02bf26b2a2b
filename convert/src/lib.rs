//! Conversion to Parquet. The lake never holds the uploaded bytes: every
//! value is parsed and re-encoded, which is itself a security control.
//!
//! The key decision is a pipeline of bounded stages over a stream, so
//! memory stays flat as files grow and both cores work: delimited text is
//! framed into chunks of whole records ([`frame`]) and parsed on worker
//! threads ([`csv`], [`direct`]); JSON, Avro and Parquet are read as one
//! stream of batches; and the Parquet writer ([`write`]) encodes each row
//! group's columns on a pool of threads and cuts the output into parts. A
//! gzip stream is inflated on the way in. CSV types come from a bounded
//! sample and are widened, never coerced, when a later value does not fit
//! ([`kind`]). JSON types come from a pass over every record (a JSON
//! reader given a narrower schema would drop data silently), and nested
//! objects become Arrow structs and arrays lists.
//!
//! This crate knows files, lakes and the catalog's model of a schema, and
//! nothing of HTTP, workers or leases: the daemon calls [`to_parquet`] on
//! a quarantined file and records what it returns.

mod avro;
mod contract;
pub mod csv;
mod direct;
mod error;
mod find;
pub mod frame;
mod json;
mod kind;
mod mapped;
pub mod names;
mod parquet_input;
mod profile;
mod source;
pub mod stats;
pub mod sums;
mod values;
pub mod write;
mod xlsx;

use std::path::PathBuf;
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::{DataType, SchemaRef};
use arrow::error::ArrowError;
use object_store::ObjectStore;
use object_store::path::Path;

use airlock_catalog::{ColumnInfo, ColumnStats, Contract, Flag, Position, SchemaCheck};

pub use error::ConvertError;
use error::invalid;
use source::text;
pub use source::{Layout, Source};
use write::{Part, PartWriter, WriteOptions};

#[derive(Debug, Clone)]
pub struct ConvertOptions {
    pub batch_rows: usize,
    pub row_group_rows: usize,
    /// A row group closes at about this many encoded bytes.
    pub row_group_bytes: usize,
    /// A part closes at the first row group boundary past this size.
    pub part_bytes: usize,
    /// Parser and encoder threads.
    pub threads: usize,
    /// Delimited text is parsed in chunks of about this many bytes…
    pub chunk_bytes: usize,
    /// …and its types inferred from the first chunks up to this size.
    pub sample_bytes: usize,
    /// The workbook sheet to read, as the acquisition names it.
    pub sheet: Option<String>,
    /// No record (a row, quoted newlines included) may be longer.
    pub max_record_bytes: usize,
    pub max_columns: usize,
    /// The acquisition's declared schema: its types replace inference.
    pub contract: Option<Contract>,
    /// The Parquet pages' zstd level.
    pub zstd_level: i32,
}

/// The daemon's defaults: what `airlock serve` converts with when its
/// configuration says nothing.
impl Default for ConvertOptions {
    fn default() -> Self {
        Self {
            batch_rows: 8192,
            row_group_rows: 1_000_000,
            row_group_bytes: 16 << 20,
            part_bytes: 512 << 20,
            threads: std::thread::available_parallelism().map_or(2, |n| n.get()),
            chunk_bytes: frame::CHUNK_BYTES,
            sample_bytes: csv::SAMPLE_BYTES,
            sheet: None,
            max_record_bytes: 16 << 20,
            max_columns: 16_384,
            contract: None,
            zstd_level: 3,
        }
    }
}

/// What a conversion produced.
#[derive(Debug, Clone)]
pub struct Converted {
    pub rows: i64,
    pub size_bytes: i64,
    pub columns: Vec<ColumnInfo>,
    /// In order; a version is the directory of them.
    pub parts: Vec<Part>,
    /// What the delivery broke of its contract (empty without one).
    pub check: SchemaCheck,
}

/// A converter thread, named for `top -H` and profiles.
fn named(name: &str) -> std::thread::Builder {
    std::thread::Builder::new().name(name.into())
}

/// A JSON, Parquet or Avro source's schema, from every record; checks it
/// is usable.
fn infer(
    src: &std::path::Path,
    source: Source,
    opts: &ConvertOptions,
) -> Result<SchemaRef, ConvertError> {
    let schema = match source.layout {
        Layout::Json => json::schema(src, source, opts)?,
        Layout::Parquet => parquet_input::schema(src)?,
        Layout::Avro => avro::schema(&avro::input(src, source.gzip, opts.batch_rows)?.schema()),
        Layout::Delimited { .. } | Layout::Xlsx => unreachable!("read by their own modules"),
    };
    let columns = schema.fields().len();
    if columns == 0 {
        return Err(ConvertError::Invalid("the data has no columns".into()));
    }
    if columns > opts.max_columns {
        return Err(ConvertError::Invalid(format!(
            "the data has {columns} columns; at most {} are accepted",
            opts.max_columns
        )));
    }
    Ok(Arc::new(schema))
}

type Batches = Box<dyn Iterator<Item = Result<RecordBatch, ArrowError>> + Send>;

/// A JSON, Parquet or Avro source's record batches under `schema`.
fn batches(
    src: &std::path::Path,
    source: Source,
    schema: SchemaRef,
    opts: &ConvertOptions,
) -> Result<Batches, ConvertError> {
    match source.layout {
        Layout::Parquet => parquet_input::batches(src, opts.batch_rows),
        Layout::Json => json::batches(src, source, schema, opts),
        Layout::Avro => {
            let input = avro::input(src, source.gzip, opts.batch_rows)?;
            Ok(Box::new(
                input.map(move |b| b.and_then(|b| avro::batch(&schema, b))),
            ))
        }
        Layout::Delimited { .. } | Layout::Xlsx => unreachable!("read by their own modules"),
    }
}

/// The writing end for typed sources (all but delimited text): batches
/// go to the writer as read, or first through the contract.
struct Typed {
    out: PartWriter,
    conform: Option<(contract::Conformer, contract::Tally)>,
    schema: SchemaRef,
    /// The delivery's name for each output column.
    source_names: Vec<String>,
    /// Records written so far.
    rows: i64,
}

impl Typed {
    fn new(
        opts: &ConvertOptions,
        names: &[String],
        schema: &SchemaRef,
        writer: impl FnOnce(SchemaRef) -> PartWriter,
    ) -> Self {
        match &opts.contract {
            Some(c) => {
                let types: Vec<DataType> = schema
                    .fields()
                    .iter()
                    .map(|f| f.data_type().clone())
                    .collect();
                let conformer = contract::Conformer::new(c, names, &types, names::normalise);
                let tally = conformer.tally();
                Self {
                    out: writer(conformer.schema()),
                    schema: conformer.schema(),
                    source_names: conformer.source_names().to_vec(),
                    conform: Some((conformer, tally)),
                    rows: 0,
                }
            }
            None => Self {
                out: writer(schema.clone()),
                schema: schema.clone(),
                source_names: names.to_vec(),
                conform: None,
                rows: 0,
            },
        }
    }

    fn write(&mut self, batch: &RecordBatch) -> Result<(), ConvertError> {
        let before = self.rows as u64;
        self.rows += batch.num_rows() as i64;
        match &mut self.conform {
            None => self.out.write(batch),
            Some((conformer, tally)) => {
                let at = |row: usize| Position::Record(before + row as u64 + 1);
                let (batch, found) = conformer.apply(batch, at)?;
                tally.add(found);
                self.out.write(&batch)
            }
        }
    }

    /// The conversion's result once reading ended with `read`.
    fn end(
        self,
        read: Result<(), ConvertError>,
    ) -> Result<(SchemaRef, Vec<String>, PartWriter, SchemaCheck), ConvertError> {
        if let Err(e) = read {
            self.out.abort();
            return Err(e);
        }
        let check = match self.conform {
            Some((conformer, tally)) => conformer.check(tally),
            None => SchemaCheck::default(),
        };
        Ok((self.schema, self.source_names, self.out, check))
    }
}

/// The tables a delivery holds, to publish each as its own dataset: one
/// (`None`), or for a workbook every sheet with values, or only the sheet
/// `named`.
pub async fn tables(
    src: PathBuf,
    source: Source,
    named: Option<String>,
) -> Result<Vec<Option<String>>, ConvertError> {
    if source.layout != Layout::Xlsx {
        return Ok(vec![None]);
    }
    tokio::task::spawn_blocking(move || {
        Ok(xlsx::tables(&src, named.as_deref())?
            .into_iter()
            .map(Some)
            .collect())
    })
    .await
    .map_err(std::io::Error::other)?
}

/// Converts the delivery at `src` to zstd Parquet parts under `prefix`.
pub async fn to_parquet(
    src: PathBuf,
    source: Source,
    store: Arc<dyn ObjectStore>,
    prefix: Path,
    opts: &ConvertOptions,
) -> Result<Converted, ConvertError> {
    let opts = opts.clone();
    let runtime = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
        let _uploads = runtime.enter();
        let source = source.sniff(&src)?;
        let layout = WriteOptions {
            row_group_rows: opts.row_group_rows,
            row_group_bytes: opts.row_group_bytes,
            part_bytes: opts.part_bytes,
            threads: opts.threads,
            zstd_level: opts.zstd_level,
        };
        let writer =
            |schema| PartWriter::new(store.clone(), prefix.clone(), schema, layout.clone());
        let (schema, source_names, out, check) = match source.layout {
            Layout::Delimited { delimiter, header } => {
                let (read, out) =
                    csv::convert(|| Ok(text(&src, source)?), delimiter, header, &opts, writer)?;
                (read.schema, read.source_names, out, read.check)
            }
            Layout::Xlsx => {
                let name = xlsx::sheet(&src, opts.sheet.as_deref())?;
                let sheet = xlsx::shape(&src, &name, opts.max_columns)?;
                let mut typed = Typed::new(&opts, &sheet.source_names, &sheet.schema, writer);
                let read = xlsx::rows(&src, &sheet, opts.batch_rows, |b| typed.write(&b));
                typed.end(read)?
            }
            Layout::Json | Layout::Parquet | Layout::Avro => {
                let declared = match source.layout {
                    Layout::Avro => Some(avro::count(&src, source.gzip)?),
                    _ => None,
                };
                let schema = infer(&src, source, &opts)?;
                let names: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
                let mut typed = Typed::new(&opts, &names, &schema, writer);
                let read = batches(&src, source, schema.clone(), &opts).and_then(|batches| {
                    for batch in batches {
                        typed.write(&batch.map_err(invalid)?)?;
                    }
                    match declared {
                        Some(d) if d != typed.rows => Err(ConvertError::Invalid(format!(
                            "the Avro file's blocks hold {d} records but {} could be read",
                            typed.rows
                        ))),
                        _ => Ok(()),
                    }
                });
                typed.end(read)?
            }
        };
        let nulls = out.nulls().to_vec();
        let found = out.profile().findings();
        let written = out.finish()?;
        let parts = written.parts;
        let columns = schema
            .fields()
            .iter()
            .zip(nulls)
            .zip(found)
            .zip(written.bounds.into_iter().zip(written.distinct))
            .zip(written.sums)
            .enumerate()
            .map(
                |(i, ((((f, n), (pii_sampled, pii)), (bounds, distinct)), sums))| ColumnInfo {
                    name: f.name().clone(),
                    data_type: names::type_name(f.data_type()),
                    nullable: Flag(n > 0),
                    source_name: Some(source_names[i].clone()).filter(|s| s != f.name()),
                    pii_sampled,
                    pii,
                    stats: ColumnStats {
                        null_count: Some(n as i64),
                        min_value: bounds.min,
                        max_value: bounds.max,
                        distinct_count: distinct.filter(|d| d.exact).map(|d| d.count as i64),
                        distinct_estimate: distinct.filter(|d| !d.exact).map(|d| d.count as i64),
                        sum_value: sums.sum,
                        least_positive: sums.least_positive,
                        value_gcd: sums.gcd,
                    },
                },
            )
            .collect();
        Ok(Converted {
            rows: parts.iter().map(|p| p.rows).sum(),
            size_bytes: parts.iter().map(|p| p.size_bytes).sum(),
            columns,
            parts,
            check,
        })
    })
    .await
    .map_err(std::io::Error::other)?
}

#[cfg(test)]
mod tests {
    use super::*;
    use object_store::ObjectStoreExt;
    use object_store::memory::InMemory;
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

    const OPTS: ConvertOptions = ConvertOptions {
        batch_rows: 2,
        row_group_rows: 1000,
        row_group_bytes: 1 << 20,
        part_bytes: 1 << 30,
        threads: 2,
        chunk_bytes: 64,
        sample_bytes: 128,
        sheet: None,
        max_record_bytes: 64,
        max_columns: 8,
        contract: None,
        zstd_level: 3,
    };

    async fn convert(csv: &[u8]) -> (Result<Converted, ConvertError>, Arc<InMemory>) {
        convert_with(csv, &OPTS).await
    }

    async fn convert_with(
        csv: &[u8],
        opts: &ConvertOptions,
    ) -> (Result<Converted, ConvertError>, Arc<InMemory>) {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("in.csv");
        std::fs::write(&src, csv).unwrap();
        let store = Arc::new(InMemory::new());
        let csv_source = Source {
            layout: Layout::Delimited {
                delimiter: b',',
                header: true,
            },
            gzip: false,
            encoding: None,
        };
        let r = to_parquet(src, csv_source, store.clone(), Path::from("out"), opts).await;
        (r, store)
    }

    async fn convert_as(data: &[u8], name: &str) -> Result<Converted, ConvertError> {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("in");
        std::fs::write(&src, data).unwrap();
        let source = Source::of(name, None).expect("a convertible name");
        let store = Arc::new(InMemory::new());
        to_parquet(src, source, store, Path::from("out"), &OPTS).await
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        use std::io::Write;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn names_and_declared_formats_pick_the_layout() {
        let t = |name, declared| Source::of(name, declared).map(|t| (t.layout, t.gzip));
        let csv = Layout::Delimited {
            delimiter: b',',
            header: true,
        };
        let tsv = Layout::Delimited {
            delimiter: b'\t',
            header: true,
        };
        assert_eq!(t("a.csv", None), Some((csv, false)));
        assert_eq!(t("a.TSV", None), Some((tsv, false)));
        assert_eq!(t("a.csv.gz", None), Some((csv, true)));
        assert_eq!(t("a.tsv.gz", None), Some((tsv, true)));
        assert_eq!(t("a.txt", Some("tsv")), Some((tsv, false)));
        assert_eq!(t("a.jsonl.gz", None), Some((Layout::Json, true)));
        assert_eq!(t("a.json", None), Some((Layout::Json, false)));
        assert_eq!(t("a.xml", None), None);
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

    /// Every row of the single Parquet part a conversion wrote, as JSON.
    async fn rows_of(data: &[u8], name: &str) -> (Converted, Vec<serde_json::Value>) {
        let opts = ConvertOptions {
            max_record_bytes: 1 << 10,
            ..OPTS
        };
        rows_with(data, name, &opts).await
    }

    async fn rows_with(
        data: &[u8],
        name: &str,
        opts: &ConvertOptions,
    ) -> (Converted, Vec<serde_json::Value>) {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("in");
        std::fs::write(&src, data).unwrap();
        let store = Arc::new(InMemory::new());
        let source = Source::of(name, None).unwrap();
        let out = to_parquet(src, source, store.clone(), Path::from("o"), opts)
            .await
            .unwrap();
        let bytes = store
            .get(&Path::from("o/part-00000.parquet"))
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        let batches: Vec<RecordBatch> = ParquetRecordBatchReaderBuilder::try_new(bytes)
            .unwrap()
            .build()
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let mut w = arrow::json::ArrayWriter::new(Vec::new());
        w.write_batches(&batches.iter().collect::<Vec<_>>())
            .unwrap();
        w.finish().unwrap();
        (out, serde_json::from_slice(&w.into_inner()).unwrap())
    }

    #[tokio::test]
    async fn ndjson_and_json_arrays_keep_nesting_and_values() {
        let ndjson = b"{\"id\": 1, \"who\": {\"name\": \"Ada\", \"tags\": [\"x\", \"y\"]}, \"score\": 3}\n\n{\"id\": 2, \"who\": {\"name\": \"Grace\\n\\\"G\\\"\", \"tags\": []}, \"score\": 4.5}\n";
        let (out, rows) = rows_of(ndjson, "people.ndjson").await;
        assert_eq!(out.rows, 2);
        let types: Vec<_> = out.columns.iter().map(|c| c.data_type.as_str()).collect();
        assert_eq!(types[0], "int64");
        assert!(types[1].starts_with("struct"), "{types:?}");
        assert_eq!(
            types[2], "float64",
            "ints and floats in one column are floats"
        );
        assert_eq!(rows[0]["who"]["tags"], serde_json::json!(["x", "y"]));
        assert_eq!(rows[1]["who"]["name"], "Grace\n\"G\"");
        assert_eq!(rows[1]["score"], 4.5);

        // The same records as a pretty-printed array, brackets and commas in
        // strings included.
        let array =
            b"[\n  {\"id\": 1, \"note\": \"a, [b]\"},\n  {\"id\": 2,\n   \"note\": \"}{\"}\n]\n";
        let (out, rows) = rows_of(array, "notes.json").await;
        assert_eq!(out.rows, 2);
        assert_eq!(rows[0]["note"], "a, [b]");
        assert_eq!(rows[1]["note"], "}{");
        let (gz, _) = rows_of(&gzip(array), "notes.json.gz").await;
        assert_eq!(gz.rows, 2);
    }

    #[tokio::test]
    async fn bad_json_names_its_line_never_its_value() {
        let cases: [(&[u8], &str, &str); 5] = [
            (
                b"{\"a\": 1}\n{\"a\": 2,}\n",
                "x.ndjson",
                "record starting at line 2 does not parse",
            ),
            (
                b"{\"a\": 1}\n\"secret-value\"\n",
                "x.ndjson",
                "value starting at line 2 is not an object",
            ),
            (b"[{\"a\": 1},\n{\"a\": 2}\n", "x.json", "not closed"),
            (
                b"[{\"a\": 1}] {\"b\": 2}\n",
                "x.json",
                "text after the top-level JSON array",
            ),
            (b"[{\"a\": 1},,{\"a\": 2}]", "x.json", "an empty element"),
        ];
        for (data, name, want) in cases {
            let err = convert_as(data, name).await.unwrap_err();
            assert!(matches!(err, ConvertError::Invalid(_)), "{name}: {err}");
            let msg = err.to_string();
            assert!(msg.contains(want), "{name}: {msg}");
            assert!(!msg.contains("secret-value"), "{msg}");
        }
        let mut long = b"{\"a\": 1}\n{\"a\": \"".to_vec();
        long.extend(std::iter::repeat_n(b'x', 100));
        long.extend_from_slice(b"\"}\n");
        let err = convert_as(&long, "x.ndjson").await.unwrap_err().to_string();
        assert!(
            err.contains("record starting at line 2 is longer than 64 bytes"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn encodings_are_detected_and_converted_to_utf8() {
        let want = serde_json::json!([{"id": 1, "name": "café"}, {"id": 2, "name": "Zoë"}]);
        let utf8 = "id,name\n1,café\n2,Zoë\n";
        let utf16 = |be: bool| {
            let mut out = if be {
                vec![0xfe, 0xff]
            } else {
                vec![0xff, 0xfe]
            };
            for u in utf8.encode_utf16() {
                out.extend(if be { u.to_be_bytes() } else { u.to_le_bytes() });
            }
            out
        };
        let cases: [(&str, Vec<u8>); 5] = [
            ("utf-8", utf8.as_bytes().to_vec()),
            (
                "utf-8 with a BOM",
                [&b"\xef\xbb\xbf"[..], utf8.as_bytes()].concat(),
            ),
            ("utf-16le", utf16(false)),
            ("utf-16be", utf16(true)),
            ("windows-1252", b"id,name\n1,caf\xe9\n2,Zo\xeb\n".to_vec()),
        ];
        for (what, data) in cases {
            let (out, rows) = rows_of(&data, "people.csv").await;
            assert_eq!(out.columns[0].name, "id", "{what}");
            assert_eq!(serde_json::Value::from(rows), want, "{what}");
        }
    }

    #[tokio::test]
    async fn delimiters_and_headerless_files_are_recognised() {
        let (out, rows) = rows_of(b"id;price;label\n1;2.5;a,b\n", "eu.csv").await;
        assert_eq!(out.columns.len(), 3);
        assert_eq!(rows[0]["label"], "a,b");
        let (out, rows) = rows_of(b"1,2.5\n2,3.5\n", "numbers.csv").await;
        assert_eq!(out.rows, 2, "the first row is data, not a header");
        assert_eq!(out.columns[0].name, "column_1");
        assert_eq!(rows[1]["column_2"], 3.5);
    }

    #[tokio::test]
    async fn parquet_is_decoded_and_written_anew() {
        use arrow::array::{ArrayRef, Int64Array, ListArray, StringArray};
        use arrow::datatypes::Int32Type;
        let ids: ArrayRef = Arc::new(Int64Array::from(vec![Some(1), None, Some(3)]));
        let names: ArrayRef = Arc::new(StringArray::from(vec!["a", "b", "ç"]));
        let tags: ArrayRef = Arc::new(ListArray::from_iter_primitive::<Int32Type, _, _>(vec![
            Some(vec![Some(1), Some(2)]),
            Some(vec![]),
            None,
        ]));
        let batch =
            RecordBatch::try_from_iter([("id", ids), ("name", names), ("tags", tags)]).unwrap();
        let mut buf = Vec::new();
        let mut w = parquet::arrow::ArrowWriter::try_new(&mut buf, batch.schema(), None).unwrap();
        w.write(&batch).unwrap();
        w.close().unwrap();
        let (out, rows) = rows_of(&buf, "in.parquet").await;
        assert_eq!(out.rows, 3);
        assert_eq!(out.columns[0].nullable, Flag(true));
        assert_eq!(
            serde_json::Value::from(rows),
            serde_json::json!([
                {"id": 1, "name": "a", "tags": [1, 2]},
                {"name": "b", "tags": []},
                {"id": 3, "name": "ç"}
            ])
        );

        let mut broken = buf.clone();
        let mid = broken.len() / 2;
        broken[mid..mid + 16].fill(0xff);
        broken.truncate(broken.len() - 10);
        let err = convert_as(&broken, "x.parquet").await.unwrap_err();
        assert!(matches!(err, ConvertError::Invalid(_)), "{err}");
    }

    #[tokio::test]
    async fn parquet_in_every_codec_writers_use_is_read() {
        use arrow::array::{ArrayRef, Int64Array, StringArray};
        use parquet::basic::{BrotliLevel, Compression, GzipLevel, ZstdLevel};
        use parquet::file::properties::WriterProperties;
        let ids: ArrayRef = Arc::new(Int64Array::from_iter_values(0..500));
        let names: ArrayRef = Arc::new(StringArray::from_iter_values(
            (0..500).map(|i| format!("name {i}")),
        ));
        let batch = RecordBatch::try_from_iter([("id", ids), ("name", names)]).unwrap();
        for codec in [
            Compression::UNCOMPRESSED,
            Compression::SNAPPY,
            Compression::GZIP(GzipLevel::default()),
            Compression::LZ4,
            Compression::LZ4_RAW,
            Compression::BROTLI(BrotliLevel::default()),
            Compression::ZSTD(ZstdLevel::default()),
        ] {
            let props = WriterProperties::builder()
                .set_compression(codec)
                .set_data_page_row_count_limit(64)
                .build();
            let mut buf = Vec::new();
            let mut w = parquet::arrow::ArrowWriter::try_new(&mut buf, batch.schema(), Some(props))
                .unwrap();
            w.write(&batch).unwrap();
            w.close().unwrap();
            let (out, rows) = rows_of(&buf, "in.parquet").await;
            assert_eq!(out.rows, 500, "{codec}");
            assert_eq!(rows[499]["name"], "name 499", "{codec}");
        }
    }

    #[tokio::test]
    async fn bad_gzip_is_invalid_input_not_a_retry() {
        let gz = gzip(b"a,b\n1,2\n3,4\n");
        let err = convert_as(&gz[..gz.len() - 6], "t.csv.gz")
            .await
            .unwrap_err();
        assert!(
            matches!(&err, ConvertError::Invalid(m) if m.contains("gzip")),
            "{err}"
        );
        let err = convert_as(&gzip(b""), "e.csv.gz").await.unwrap_err();
        assert!(
            matches!(&err, ConvertError::Invalid(m) if m.contains("empty")),
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
            .get(&Path::from("out/part-00000.parquet"))
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
        // UTF-8 (the é) with a broken sequence later: an error, not Latin-1.
        let mut csv = "a,b\n1,é\n3,".as_bytes().to_vec();
        csv.extend_from_slice(b"\xff\xfe\n");
        let (r, _) = convert(&csv).await;
        let err = r.unwrap_err();
        assert!(matches!(err, ConvertError::Invalid(_)), "{err}");
        assert!(err.to_string().contains("line 3"), "{err}");
    }

    #[tokio::test]
    async fn an_overlong_record_is_refused_naming_its_line() {
        let mut csv = b"a,b\n1,\"short\nquoted\"\n".to_vec();
        csv.extend_from_slice(b"2,");
        csv.extend(std::iter::repeat_n(b'x', 100));
        let (r, _) = convert(&csv).await;
        let err = r.unwrap_err();
        assert!(matches!(err, ConvertError::Invalid(_)), "{err}");
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
        assert!(matches!(r, Err(ConvertError::Invalid(m)) if m.contains("empty")));
    }

    #[tokio::test]
    async fn a_late_value_widens_its_column_and_is_never_coerced() {
        // The sample is the first 128 bytes: every later value is read
        // under types inferred without it.
        let mut csv = String::from("id,amount,code,flag,note,empty\n");
        for i in 0..40 {
            csv += &format!("{i},{i},{i},true,x,\n");
        }
        csv += "40,2.5,n/a,true,y,7\n41,3,5,false,z,\n";
        let (out, rows) = rows_of(csv.as_bytes(), "late.csv").await;
        let types: Vec<_> = out.columns.iter().map(|c| c.data_type.as_str()).collect();
        assert_eq!(
            types,
            ["int64", "float64", "string", "bool", "string", "int64"]
        );
        assert_eq!(out.rows, 42);
        assert_eq!(rows[40]["amount"], 2.5);
        assert_eq!(rows[3]["amount"], 3.0);
        assert_eq!(rows[40]["code"], "n/a");
        assert_eq!(rows[41]["code"], "5");
        assert_eq!(rows[40]["empty"], 7);
        assert!(rows[0].get("empty").is_none());
    }

    fn under(contract: &str) -> ConvertOptions {
        ConvertOptions {
            max_record_bytes: 1 << 10,
            contract: Some(serde_json::from_str(contract).unwrap()),
            ..OPTS
        }
    }

    fn names_and_types(out: &Converted) -> Vec<(&str, &str)> {
        out.columns
            .iter()
            .map(|c| (c.name.as_str(), c.data_type.as_str()))
            .collect()
    }

    #[tokio::test]
    async fn a_contract_fixes_the_types_and_counts_what_breaks_it() {
        // Records of two lines each, across many 64-byte chunks: positions
        // are lines of the whole file.
        let mut csv = String::from("amount,id,note\n");
        for i in 0..30 {
            csv += &format!("{i}.50,{i},\"a\nb\"\n");
        }
        csv += "oops,31,x\n1.234,,y\n";
        let opts = under(
            r#"{"columns":[{"name":"id","type":"int64","nullable":false},
                {"name":"amount","type":"decimal(8,2)"},{"name":"gone","type":"date"}]}"#,
        );
        let (out, rows) = rows_with(csv.as_bytes(), "c.csv", &opts).await;
        assert_eq!(
            names_and_types(&out),
            [
                ("id", "int64"),
                ("amount", "decimal(8,2)"),
                ("gone", "date"),
                ("note", "string")
            ]
        );
        assert_eq!(out.rows, 32);
        assert_eq!(
            out.check.findings(),
            [
                "declared column \"gone\" is missing",
                "column \"note\" is not declared",
                "column \"id\": 1 value is missing (declared not nullable), the first at line 63",
                "column \"amount\": 2 values are not decimal(8,2), the first at line 62",
            ]
        );
        assert_eq!(rows[29]["id"], 29);
        assert_eq!(rows[29]["note"], "a\nb");
        assert!(
            rows[30].get("amount").is_none(),
            "a misfit is never coerced"
        );
        assert!(rows[31].get("amount").is_none());

        // A delivery that keeps its contract is clean.
        let opts = under(
            r#"{"columns":[{"name":"id","type":"int64"},{"name":"when","type":"timestamp_tz"}]}"#,
        );
        let csv = "when,id\n2026-01-31T10:00:00Z,1\n2026-01-31T12:00:00+02:00,\n";
        let (out, rows) = rows_with(csv.as_bytes(), "ok.csv", &opts).await;
        assert!(out.check.is_clean(), "{:?}", out.check);
        assert_eq!(
            names_and_types(&out),
            [("id", "int64"), ("when", "timestamp_tz")]
        );
        assert_eq!(rows[0]["when"], rows[1]["when"]);
    }

    #[tokio::test]
    async fn typed_formats_are_held_to_the_contract_by_record() {
        let ndjson = b"{\"id\": 1, \"score\": 2.5}\n{\"id\": \"x\", \"score\": 3}\n";
        let opts =
            under(r#"{"columns":[{"name":"id","type":"int64"},{"name":"score","type":"int64"}]}"#);
        let (out, rows) = rows_with(ndjson, "t.ndjson", &opts).await;
        assert_eq!(names_and_types(&out), [("id", "int64"), ("score", "int64")]);
        assert_eq!(
            out.check.findings(),
            [
                "column \"id\": 1 value is not int64, the first at record 2",
                "column \"score\": 1 value is not int64, the first at record 1",
            ]
        );
        assert_eq!(rows[0]["id"], 1);
        assert_eq!(rows[1]["score"], 3);
    }

    #[tokio::test]
    async fn personal_data_is_counted_per_column_by_kind_never_kept() {
        let csv = "id,contact,dob,note\n\
                   1,ada@example.org,1990-01-31,943 476 5919\n\
                   2,020 7946 0958,1985-06-01,fine\n\
                   3,grace@example.org,,SW1A 1AA\n";
        let (out, _) = rows_of(csv.as_bytes(), "people.csv").await;
        let found: Vec<(i64, Vec<(&str, i64)>)> = out
            .columns
            .iter()
            .map(|c| {
                let kinds = c.pii.iter().map(|p| (p.kind.as_str(), p.count)).collect();
                (c.pii_sampled, kinds)
            })
            .collect();
        assert_eq!(
            found,
            [
                (3, vec![]),
                (3, vec![("email", 2), ("phone", 1)]),
                (2, vec![("date_of_birth", 2)]),
                (3, vec![("nhs_number", 1), ("postcode", 1)]),
            ]
        );
    }

    #[tokio::test]
    async fn codes_keep_their_zeros_and_zoned_times_are_instants() {
        let csv = "zip,at\n02134,2026-01-31T10:00:00Z\n10001,2026-01-31T12:00:00+02:00\n";
        let (out, rows) = rows_of(csv.as_bytes(), "codes.csv").await;
        let types: Vec<_> = out.columns.iter().map(|c| c.data_type.as_str()).collect();
        assert_eq!(types, ["string", "timestamp_tz"]);
        assert_eq!(rows[0]["zip"], "02134");
        assert_eq!(rows[0]["at"], rows[1]["at"], "the same instant");
    }

    #[tokio::test]
    async fn line_numbers_count_the_whole_file_across_chunks() {
        // The é makes it UTF-8, so a bad byte is an error, not Latin-1.
        let mut csv = String::from("a,bé\r\n");
        for i in 2..80 {
            csv += &format!("{i},\"x\ny\"\r\n");
        }
        // Every record above spans two lines: the next is line 158.
        let mut ragged = csv.clone().into_bytes();
        ragged.extend_from_slice(b"1,2,3\n");
        let err = convert_as(&ragged, "r.csv").await.unwrap_err().to_string();
        assert!(
            err.contains("line 158: 3 fields where the header has 2"),
            "{err}"
        );
        let mut broken = csv.clone().into_bytes();
        broken.extend_from_slice(b"1,\xff\n");
        let err = convert_as(&broken, "u.csv").await.unwrap_err().to_string();
        assert!(err.contains("line 158"), "{err}");
        // Blank lines are no records, CRLF ends one like LF.
        csv += "\r\n\n80,z\n";
        assert_eq!(convert_as(csv.as_bytes(), "ok.csv").await.unwrap().rows, 79);
    }

    #[tokio::test]
    async fn empty_and_repeated_names_are_renamed_and_remembered() {
        let (out, rows) = rows_of(b"id,,id,name\n1,2,3,x\n", "names.csv").await;
        let names: Vec<_> = out
            .columns
            .iter()
            .map(|c| (c.name.as_str(), c.source_name.as_deref()))
            .collect();
        assert_eq!(
            names,
            [
                ("id", None),
                ("column_2", Some("")),
                ("id_2", Some("id")),
                ("name", None)
            ]
        );
        assert_eq!(rows[0]["id_2"], 3);
    }

    #[tokio::test]
    async fn row_groups_and_parts_are_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("in.csv");
        let mut csv = String::from("n,word\n");
        for i in 0..10 {
            csv += &format!("{i},w{i}\n");
        }
        std::fs::write(&src, csv).unwrap();
        let store = Arc::new(InMemory::new());
        let opts = ConvertOptions {
            row_group_rows: 3,
            part_bytes: 1,
            ..OPTS
        };
        let source = Source::of("in.csv", None).unwrap();
        let out = to_parquet(src, source, store.clone(), Path::from("v"), &opts)
            .await
            .unwrap();
        let rows: Vec<i64> = out.parts.iter().map(|p| p.rows).collect();
        assert_eq!(rows, [3, 3, 3, 1], "one row group per part here");
        let mut seen = Vec::new();
        for part in &out.parts {
            let bytes = store
                .get(&Path::from("v").join(part.name.as_str()))
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap();
            assert_eq!(bytes.len() as i64, part.size_bytes);
            let reader = ParquetRecordBatchReaderBuilder::try_new(bytes).unwrap();
            assert_eq!(reader.metadata().num_row_groups(), 1);
            for batch in reader.build().unwrap() {
                let batch = batch.unwrap();
                let n = batch
                    .column(0)
                    .as_any()
                    .downcast_ref::<arrow::array::Int64Array>();
                seen.extend(n.unwrap().values().iter().copied());
            }
        }
        assert_eq!(seen, (0..10).collect::<Vec<i64>>(), "in input order");
        assert_eq!(
            out.size_bytes,
            out.parts.iter().map(|p| p.size_bytes).sum::<i64>()
        );
    }

    /// An Avro object container file from arrow-avro's own writer.
    fn ocf(
        batch: &RecordBatch,
        codec: Option<arrow_avro::compression::CompressionCodec>,
    ) -> Vec<u8> {
        use arrow_avro::writer::{WriterBuilder, format::AvroOcfFormat};
        let mut w = WriterBuilder::new(batch.schema().as_ref().clone())
            .with_compression(codec)
            .build::<_, AvroOcfFormat>(Vec::new())
            .unwrap();
        w.write(batch).unwrap();
        w.finish().unwrap();
        w.into_inner()
    }

    #[tokio::test]
    async fn avro_converts_with_every_codec_and_keeps_logical_types() {
        use arrow::array::TimestampMicrosecondArray;
        use arrow::array::{ArrayRef, Date32Array, Decimal128Array, Int64Array, StringArray};
        use arrow_avro::compression::CompressionCodec;
        let columns: Vec<(&str, ArrayRef)> = vec![
            ("id", Arc::new(Int64Array::from(vec![Some(1), None]))),
            ("name", Arc::new(StringArray::from(vec!["Zoë", "b"]))),
            ("day", Arc::new(Date32Array::from(vec![20484, 0]))),
            (
                "at",
                Arc::new(
                    TimestampMicrosecondArray::from(vec![1_769_853_600_000_001, 0])
                        .with_timezone("+00:00"),
                ),
            ),
            (
                "amount",
                Arc::new(
                    Decimal128Array::from(vec![Some(12345), Some(-5)])
                        .with_precision_and_scale(10, 2)
                        .unwrap(),
                ),
            ),
        ];
        let batch = RecordBatch::try_from_iter(columns).unwrap();
        let mut seen = Vec::new();
        for codec in [
            None,
            Some(CompressionCodec::Deflate),
            Some(CompressionCodec::Snappy),
            Some(CompressionCodec::ZStandard),
        ] {
            let (out, rows) = rows_of(&ocf(&batch, codec), "people.avro").await;
            let types: Vec<_> = out.columns.iter().map(|c| c.data_type.as_str()).collect();
            assert_eq!(
                types,
                ["int64", "string", "date", "timestamp_tz", "decimal(10,2)"],
                "{codec:?}"
            );
            seen.push(rows);
        }
        assert!(seen.windows(2).all(|w| w[0] == w[1]), "{seen:?}");
        assert_eq!(seen[0][0]["name"], "Zoë");
        assert_eq!(seen[0][0]["amount"], 123.45);
        assert_eq!(seen[0][1]["day"], "1970-01-01");

        let whole = ocf(&batch, Some(CompressionCodec::Deflate));
        let err = convert_as(&whole[..whole.len() - 8], "cut.avro")
            .await
            .unwrap_err();
        assert!(matches!(err, ConvertError::Invalid(_)), "{err}");
        let err = convert_as(b"not avro at all", "fake.avro")
            .await
            .unwrap_err();
        assert!(
            matches!(&err, ConvertError::Invalid(m) if m.contains("Avro")),
            "{err}"
        );
        let zipped = rows_of(&gzip(&whole), "people.avro.gz").await.1;
        assert_eq!(zipped, seen[0]);
    }
}
