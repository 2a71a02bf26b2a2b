//! Interoperability: a delivery in every input format is converted by
//! Airlock and read back by pyarrow, value by value
//! (`tests/interop/check.py`). The Avro inputs are written by fastavro
//! (`tests/interop/avro.py`) and the workbooks by openpyxl
//! (`tests/interop/xlsx.py`), independently of Airlock's readers.
//! scripts/test.sh installs pyarrow, fastavro and openpyxl into a venv and
//! names its python in `AIRLOCK_TEST_PYTHON`.

use std::io::Write;
use std::sync::Arc;

use arrow::array::{
    ArrayRef, Date32Array, Decimal128Array, RecordBatch, RecordBatchReader,
    TimestampMicrosecondArray,
};
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use parquet::file::reader::{FileReader, SerializedFileReader};

use airlock_convert::{ConvertOptions, Source, to_parquet};

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// A Parquet input with a decimal, a date and a timestamp with a zone.
fn typed_parquet() -> Vec<u8> {
    let amount: ArrayRef = Arc::new(
        Decimal128Array::from(vec![Some(12345), None, Some(-5)])
            .with_precision_and_scale(10, 2)
            .unwrap(),
    );
    let day: ArrayRef = Arc::new(Date32Array::from(vec![20484, 20485, 0]));
    let at: ArrayRef = Arc::new(
        TimestampMicrosecondArray::from(vec![1_769_853_600_000_000, 0, 1])
            .with_timezone("Europe/London"),
    );
    let batch = RecordBatch::try_from_iter([("amount", amount), ("day", day), ("at", at)]).unwrap();
    let mut buf = Vec::new();
    let mut w = parquet::arrow::ArrowWriter::try_new(&mut buf, batch.schema(), None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    buf
}

/// `from` rewritten by parquet-rs with Hadoop-framed LZ4 pages.
fn lz4_hadoop(from: &std::path::Path, to: &std::path::Path) {
    let reader = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(from).unwrap())
        .unwrap()
        .build()
        .unwrap();
    let props = WriterProperties::builder()
        .set_compression(Compression::LZ4)
        .build();
    let file = std::fs::File::create(to).unwrap();
    let mut w = parquet::arrow::ArrowWriter::try_new(file, reader.schema(), Some(props)).unwrap();
    for batch in reader {
        w.write(&batch.unwrap()).unwrap();
    }
    w.close().unwrap();
    assert_eq!(codec_of(to), Compression::LZ4);
}

/// The codec of a Parquet file's first column chunk, from its footer.
fn codec_of(path: &std::path::Path) -> Compression {
    let file = SerializedFileReader::new(std::fs::File::open(path).unwrap()).unwrap();
    file.metadata().row_group(0).column(0).compression()
}

#[tokio::test]
async fn pyarrow_reads_back_every_format_exactly() {
    let python = std::env::var("AIRLOCK_TEST_PYTHON").expect(
        "AIRLOCK_TEST_PYTHON is not set: run the tests with scripts/test.sh, which installs pyarrow",
    );
    let inputs = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let store = Arc::new(LocalFileSystem::new_with_prefix(out.path()).unwrap());
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "types.csv",
            "id,score,day,at,note\n1,1.5,2026-01-31,2026-01-31T10:00:00,café ✓\n2,,2026-02-01,2026-02-01T11:30:05.250,\n-3,1e3,1999-12-31,1999-12-31T23:59:59,\"quoted, \"\"twice\"\"\nline\"\n"
                .as_bytes()
                .to_vec(),
        ),
        (
            "nested.ndjson",
            b"{\"id\": 1, \"who\": {\"name\": \"Ada\", \"tags\": [\"x\", \"y\"]}, \"score\": 2}\n{\"id\": 2, \"who\": {\"name\": \"\xc5\x81ukasz\", \"tags\": []}, \"score\": null}\n{\"id\": 3, \"who\": null, \"score\": 0.5}\n".to_vec(),
        ),
        (
            "array.json",
            b"[\n {\"k\": \"a\", \"v\": [1, 2]},\n {\"k\": \"b\", \"v\": null}\n]\n".to_vec(),
        ),
        (
            "latin1.tsv.gz",
            gzip(b"city\tpop\nK\xf6ln\t1084831\nS\xe3o Paulo\t\n"),
        ),
        ("typed.parquet", typed_parquet()),
    ];
    // Row groups of two rows, each its own part: pyarrow reads a version's
    // directory of parts as one table, in order.
    let opts = ConvertOptions {
        batch_rows: 2,
        row_group_rows: 2,
        row_group_bytes: 1 << 20,
        part_bytes: 1,
        threads: 2,
        chunk_bytes: 64,
        sample_bytes: 64,
        sheet: None,
        max_record_bytes: 1 << 20,
        max_columns: 100,
        contract: None,
        zstd_level: 3,
    };
    for (name, data) in &cases {
        std::fs::write(inputs.path().join(name), data).unwrap();
    }
    // Avro from fastavro and workbooks from openpyxl, writers independent
    // of Airlock's readers.
    let python_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/interop");
    for writer in ["avro.py", "xlsx.py", "parquet.py"] {
        let wrote = std::process::Command::new(&python)
            .arg(format!("{python_dir}/{writer}"))
            .arg(inputs.path())
            .output()
            .expect("running a python writer");
        assert!(
            wrote.status.success(),
            "{writer}: {}",
            String::from_utf8_lossy(&wrote.stderr)
        );
    }
    // pyarrow's lz4 is LZ4_RAW.
    assert_eq!(
        codec_of(&inputs.path().join("codec-lz4.parquet")),
        Compression::LZ4_RAW
    );
    // The older LZ4 codec, Hadoop's framing, which pyarrow no longer
    // writes: the same table, written again by parquet-rs.
    lz4_hadoop(
        &inputs.path().join("codec-none.parquet"),
        &inputs.path().join("codec-lz4-hadoop.parquet"),
    );
    let avro = ["deflate", "snappy", "bzip2", "xz", "zstandard"].map(|c| format!("{c}.avro"));
    let parquet = [
        "none",
        "snappy",
        "gzip",
        "lz4",
        "brotli",
        "zstd",
        "lz4-hadoop",
    ]
    .map(|c| format!("codec-{c}.parquet"));
    let names: Vec<&str> = cases
        .iter()
        .map(|(n, _)| *n)
        .chain(avro.iter().chain(&parquet).map(String::as_str))
        .chain(["single.xlsx", "multi.xlsx"])
        .collect();
    for name in &names {
        let src = inputs.path().join(name);
        let source = Source::of(name, None).expect("a convertible name");
        // The two-sheet workbook publishes the sheet the acquisition names.
        let opts = ConvertOptions {
            sheet: (*name == "multi.xlsx").then(|| "Data".to_owned()),
            ..opts.clone()
        };
        to_parquet(src, source, store.clone(), Path::from(*name), &opts)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    // A workbook of several sheets needs one named, and one that exists.
    for (sheet, want) in [(None, "2 sheets"), (Some("Nope"), "no sheet \"Nope\"")] {
        let opts = ConvertOptions {
            sheet: sheet.map(str::to_owned),
            ..opts.clone()
        };
        let src = inputs.path().join("multi.xlsx");
        let source = Source::of("multi.xlsx", None).unwrap();
        let err = to_parquet(src, source, store.clone(), Path::from("refused"), &opts)
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains(want), "{err}");
    }
    let bogus = inputs.path().join("bogus.xlsx");
    std::fs::write(&bogus, b"PK\x03\x04 not really a workbook").unwrap();
    let err = to_parquet(
        bogus,
        Source::of("bogus.xlsx", None).unwrap(),
        store.clone(),
        Path::from("refused"),
        &opts,
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(err.contains("not a readable .xlsx workbook"), "{err}");

    let run = std::process::Command::new(&python)
        .arg(format!("{python_dir}/check.py"))
        .arg(out.path())
        .output()
        .expect("running the pyarrow check");
    assert!(
        run.status.success(),
        "pyarrow disagrees:\n{}{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    let checked = String::from_utf8_lossy(&run.stdout);
    assert_eq!(checked.lines().count(), names.len(), "{checked}");
}
