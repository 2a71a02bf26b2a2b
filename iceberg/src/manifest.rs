//! A version's manifest (its Parquet parts, each an added data file) and
//! its snapshot's manifest list (that one manifest), in Avro, with the
//! field ids and file metadata of the Iceberg v2 specification.
//!
//! Key decision: one snapshot per published version, whose manifest list
//! names only that version's manifest. A version replaces the data of the
//! one before, so a reader of snapshot `n` reads version `n`'s parts and
//! nothing else, and a version deleted by retention takes its own
//! manifest and manifest list with it.

use serde_json::json;

use crate::avro::{Encoder, container};

/// One Parquet part of a version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataFile {
    /// Its full URI (`file:///…`, `s3://…`).
    pub path: String,
    pub record_count: i64,
    pub size_bytes: i64,
}

/// The manifest file a manifest list names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestFile {
    pub path: String,
    pub length_bytes: i64,
    pub snapshot_id: i64,
    pub sequence_number: i64,
    pub added_files: i32,
    pub added_rows: i64,
}

fn optional(id: i32, name: &str, t: serde_json::Value) -> serde_json::Value {
    json!({"name": name, "type": ["null", t], "default": null, "field-id": id})
}

fn required(id: i32, name: &str, t: serde_json::Value) -> serde_json::Value {
    json!({"name": name, "type": t, "field-id": id})
}

/// A `map<int, T>` as Iceberg stores it in Avro: an array of key/value
/// records.
fn int_map(record: &str, key_id: i32, value_id: i32, value: &str) -> serde_json::Value {
    json!({
        "type": "array", "logicalType": "map",
        "items": {"type": "record", "name": record, "fields": [
            {"name": "key", "type": "int", "field-id": key_id},
            {"name": "value", "type": value, "field-id": value_id},
        ]},
    })
}

fn entry_schema() -> String {
    let data_file = json!({
        "type": "record", "name": "r2", "fields": [
            required(134, "content", json!("int")),
            required(100, "file_path", json!("string")),
            required(101, "file_format", json!("string")),
            required(102, "partition", json!({"type": "record", "name": "r102", "fields": []})),
            required(103, "record_count", json!("long")),
            required(104, "file_size_in_bytes", json!("long")),
            optional(108, "column_sizes", int_map("k117_v118", 117, 118, "long")),
            optional(109, "value_counts", int_map("k119_v120", 119, 120, "long")),
            optional(110, "null_value_counts", int_map("k121_v122", 121, 122, "long")),
            optional(137, "nan_value_counts", int_map("k138_v139", 138, 139, "long")),
            optional(125, "lower_bounds", int_map("k126_v127", 126, 127, "bytes")),
            optional(128, "upper_bounds", int_map("k129_v130", 129, 130, "bytes")),
            optional(131, "key_metadata", json!("bytes")),
            optional(132, "split_offsets", json!({"type": "array", "items": "long", "element-id": 133})),
            optional(135, "equality_ids", json!({"type": "array", "items": "int", "element-id": 136})),
            optional(140, "sort_order_id", json!("int")),
        ],
    });
    json!({
        "type": "record", "name": "manifest_entry", "fields": [
            required(0, "status", json!("int")),
            optional(1, "snapshot_id", json!("long")),
            optional(3, "sequence_number", json!("long")),
            optional(4, "file_sequence_number", json!("long")),
            required(2, "data_file", data_file),
        ],
    })
    .to_string()
}

fn list_schema() -> String {
    json!({
        "type": "record", "name": "manifest_file", "fields": [
            required(500, "manifest_path", json!("string")),
            required(501, "manifest_length", json!("long")),
            required(502, "partition_spec_id", json!("int")),
            required(517, "content", json!("int")),
            required(515, "sequence_number", json!("long")),
            required(516, "min_sequence_number", json!("long")),
            required(503, "added_snapshot_id", json!("long")),
            required(504, "added_files_count", json!("int")),
            required(505, "existing_files_count", json!("int")),
            required(506, "deleted_files_count", json!("int")),
            required(512, "added_rows_count", json!("long")),
            required(513, "existing_rows_count", json!("long")),
            required(514, "deleted_rows_count", json!("long")),
            optional(507, "partitions", json!({"type": "array", "element-id": 508, "items": {
                "type": "record", "name": "r508", "fields": [
                    required(509, "contains_null", json!("boolean")),
                    optional(518, "contains_nan", json!("boolean")),
                    optional(510, "lower_bound", json!("bytes")),
                    optional(511, "upper_bound", json!("bytes")),
                ]}})),
            optional(519, "key_metadata", json!("bytes")),
        ],
    })
    .to_string()
}

/// The manifest of one snapshot's data files, all added by it.
/// `schema_json` is the table schema the files were written with.
pub fn manifest(
    schema_json: &str,
    schema_id: i64,
    snapshot_id: i64,
    sequence: i64,
    files: &[DataFile],
) -> Vec<u8> {
    let mut e = Encoder::default();
    for f in files {
        e.int(1) // ADDED
            .some()
            .long(snapshot_id)
            .some()
            .long(sequence)
            .some()
            .long(sequence);
        e.int(0) // DATA
            .string(&f.path)
            .string("PARQUET")
            // The unpartitioned partition tuple has no fields.
            .long(f.record_count)
            .long(f.size_bytes);
        for _ in 0..10 {
            e.null(); // metrics, key metadata, split offsets, equality ids, sort order
        }
    }
    let schema_id = schema_id.to_string();
    container(
        &entry_schema(),
        &[
            ("schema", schema_json),
            ("schema-id", &schema_id),
            ("partition-spec", "[]"),
            ("partition-spec-id", "0"),
            ("format-version", "2"),
            ("content", "data"),
        ],
        files.len(),
        &e.into_bytes(),
    )
}

/// The manifest list of a snapshot.
pub fn manifest_list(snapshot_id: i64, sequence: i64, manifests: &[ManifestFile]) -> Vec<u8> {
    let mut e = Encoder::default();
    for m in manifests {
        e.string(&m.path)
            .long(m.length_bytes)
            .int(0)
            .int(0)
            .long(m.sequence_number)
            .long(m.sequence_number)
            .long(m.snapshot_id)
            .int(m.added_files)
            .int(0)
            .int(0)
            .long(m.added_rows)
            .long(0)
            .long(0)
            .null()
            .null();
    }
    let snapshot = snapshot_id.to_string();
    let sequence = sequence.to_string();
    container(
        &list_schema(),
        &[
            ("snapshot-id", &snapshot),
            ("sequence-number", &sequence),
            ("format-version", "2"),
        ],
        manifests.len(),
        &e.into_bytes(),
    )
}

#[cfg(test)]
mod tests {
    use arrow::array::{Array, AsArray};
    use arrow::datatypes::Int64Type;
    use arrow_avro::reader::ReaderBuilder;

    use super::*;

    fn read(bytes: Vec<u8>) -> arrow::record_batch::RecordBatch {
        let mut reader = ReaderBuilder::new()
            .build(std::io::Cursor::new(bytes))
            .unwrap();
        let batch = reader.next().unwrap().unwrap();
        assert!(reader.next().is_none());
        batch
    }

    #[test]
    fn a_manifest_reads_back_as_the_parts_it_names() {
        let files = [
            DataFile {
                path: "file:///lake/ds/v3/part-00000.parquet".into(),
                record_count: 10,
                size_bytes: 1234,
            },
            DataFile {
                path: "file:///lake/ds/v3/part-00001.parquet".into(),
                record_count: 5,
                size_bytes: 999,
            },
        ];
        let batch = read(manifest(r#"{"type":"struct"}"#, 3, 3, 3, &files));
        assert_eq!(batch.num_rows(), 2);
        let data_file = batch.column_by_name("data_file").unwrap().as_struct();
        let paths = data_file
            .column_by_name("file_path")
            .unwrap()
            .as_string::<i32>();
        assert_eq!(paths.value(1), "file:///lake/ds/v3/part-00001.parquet");
        let rows = data_file
            .column_by_name("record_count")
            .unwrap()
            .as_primitive::<Int64Type>();
        assert_eq!((rows.value(0), rows.value(1)), (10, 5));
        let snapshot = batch
            .column_by_name("snapshot_id")
            .unwrap()
            .as_primitive::<Int64Type>();
        assert_eq!(snapshot.value(0), 3);
        assert_eq!(
            data_file
                .column_by_name("lower_bounds")
                .unwrap()
                .null_count(),
            2
        );
    }

    #[test]
    fn a_manifest_list_reads_back_with_its_counts() {
        let m = ManifestFile {
            path: "s3://b/ds/v2/_iceberg/manifest-2.avro".into(),
            length_bytes: 4321,
            snapshot_id: 2,
            sequence_number: 2,
            added_files: 3,
            added_rows: 300,
        };
        let batch = read(manifest_list(2, 2, &[m]));
        let path = batch
            .column_by_name("manifest_path")
            .unwrap()
            .as_string::<i32>();
        assert_eq!(path.value(0), "s3://b/ds/v2/_iceberg/manifest-2.avro");
        let rows = batch
            .column_by_name("added_rows_count")
            .unwrap()
            .as_primitive::<Int64Type>();
        assert_eq!(rows.value(0), 300);
    }

    #[test]
    fn the_same_parts_give_the_same_bytes() {
        let f = [DataFile {
            path: "file:///x/part-00000.parquet".into(),
            record_count: 1,
            size_bytes: 1,
        }];
        assert_eq!(manifest("{}", 1, 1, 1, &f), manifest("{}", 1, 1, 1, &f));
    }
}
