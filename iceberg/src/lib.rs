//! Apache Iceberg for Airlock's lakes: the metadata that lets analysts'
//! own engines (pyiceberg, DuckDB, Spark, Trino) read published datasets.
//!
//! Key decision: Airlock writes Iceberg's three kinds of metadata itself
//! (table metadata JSON, then the manifest list and manifest in Avro)
//! rather than through the `iceberg` crate, which is built on another
//! arrow than the workspace's and costs minutes of build. Each published
//! version gets its own files under `v<N>/_iceberg/`, written before the
//! version's `_SUCCESS` and never rewritten: a self-contained Iceberg
//! table of that version, and the snapshot the REST catalog composes the
//! dataset's history from.

pub mod avro;
pub mod manifest;
pub mod metadata;
pub mod rest;
pub mod schema;

pub use manifest::DataFile;
pub use metadata::{Snapshot, Table, table_metadata};
pub use schema::{Column, FieldIds};

/// What can go wrong making Iceberg metadata.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IcebergError {
    #[error("no Iceberg type for the column type {0}")]
    UnsupportedType(String),
    #[error("the column {0} has no field id")]
    UnknownColumn(String),
    #[error("a table needs at least one snapshot")]
    NoSnapshot,
}

/// The directory, under a version's own, that holds its Iceberg files.
pub const DIR: &str = "_iceberg";

/// A version being published.
#[derive(Debug, Clone)]
pub struct Version<'a> {
    pub table: Table<'a>,
    pub number: i64,
    pub timestamp_ms: i64,
    /// The version's directory, as a URI ending in `/`.
    pub location: &'a str,
    pub columns: Vec<Column<'a>>,
    /// Its parts, by name within `location`, with their rows and sizes.
    pub parts: &'a [(String, i64, i64)],
}

/// Version `number`'s manifest, manifest list and own table metadata, by
/// path within its directory.
pub fn version_file_names(number: i64) -> [String; 3] {
    [
        format!("{DIR}/manifest-{number}.avro"),
        format!("{DIR}/snap-{number}.avro"),
        format!("{DIR}/v{number}.metadata.json"),
    ]
}

/// The URI of version `number`'s manifest list, in its `location`.
pub fn manifest_list_uri(location: &str, number: i64) -> String {
    let [_, list, _] = version_file_names(number);
    format!("{location}{list}")
}

/// The files a version's publication writes, by path relative to its
/// directory: its manifest, its manifest list and its own table metadata
/// (that version alone, current). A retried publication writes them again
/// (its directory cleared first); a published version's are never
/// rewritten.
pub fn version_files(v: &Version<'_>) -> Result<Vec<(String, Vec<u8>)>, IcebergError> {
    let files: Vec<DataFile> = v
        .parts
        .iter()
        .map(|(name, rows, size)| DataFile {
            path: format!("{}{name}", v.location),
            record_count: *rows,
            size_bytes: *size,
        })
        .collect();
    let snapshot = Snapshot {
        version: v.number,
        timestamp_ms: v.timestamp_ms,
        manifest_list: manifest_list_uri(v.location, v.number),
        columns: v.columns.clone(),
        rows: files.iter().map(|f| f.record_count).sum(),
        files: files.len() as i64,
        size_bytes: files.iter().map(|f| f.size_bytes).sum(),
    };
    let ids = FieldIds::new([snapshot.columns.as_slice()]);
    let metadata = table_metadata(v.table, &ids, std::slice::from_ref(&snapshot))?;
    let schema = metadata["schemas"][0].to_string();
    let [manifest_name, list_name, metadata_name] = version_file_names(v.number);
    let manifest = manifest::manifest(&schema, v.number, v.number, v.number, &files);
    let list = manifest::manifest_list(
        v.number,
        v.number,
        &[manifest::ManifestFile {
            path: format!("{}{manifest_name}", v.location),
            length_bytes: manifest.len() as i64,
            snapshot_id: v.number,
            sequence_number: v.number,
            added_files: files.len() as i32,
            added_rows: snapshot.rows,
        }],
    );
    Ok(vec![
        (manifest_name, manifest),
        (list_name, list),
        (metadata_name, metadata.to_string().into_bytes()),
    ])
}
