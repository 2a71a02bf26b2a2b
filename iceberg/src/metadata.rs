//! Iceberg table metadata (format version 2) for a dataset: one snapshot
//! per version, each with its own schema, the latest current.
//!
//! Key decision: metadata is a pure function of what the catalog records
//! (the versions, their columns, row counts and times). The same function
//! writes each version's own metadata file at publish time and composes
//! the table the REST catalog serves, from the versions a caller may read
//! at that moment: a tainted or deleted version is simply left out.

use serde_json::{Value, json};

use crate::IcebergError;
use crate::schema::{Column, FieldIds};

/// The table: a dataset.
#[derive(Debug, Clone, Copy)]
pub struct Table<'a> {
    /// The dataset's id, a UUID, which Iceberg's `table-uuid` is.
    pub uuid: &'a str,
    /// The dataset's directory in its lake, as a URI.
    pub location: &'a str,
}

/// A snapshot: a published version.
#[derive(Debug, Clone)]
pub struct Snapshot<'a> {
    /// The version number, which is also the snapshot id and sequence
    /// number.
    pub version: i64,
    pub timestamp_ms: i64,
    /// The URI of the version's manifest list.
    pub manifest_list: String,
    pub columns: Vec<Column<'a>>,
    pub rows: i64,
    pub files: i64,
    pub size_bytes: i64,
}

/// The table's metadata with `snapshots` (oldest first; at least one),
/// the last of them current, numbering columns by `ids` (given over every
/// version the table ever had, so that leaving a version out moves no
/// column's id).
pub fn table_metadata(
    table: Table<'_>,
    ids: &FieldIds,
    snapshots: &[Snapshot<'_>],
) -> Result<Value, IcebergError> {
    let Some(current) = snapshots.last() else {
        return Err(IcebergError::NoSnapshot);
    };
    let schemas = snapshots
        .iter()
        .map(|s| ids.schema(s.version, &s.columns))
        .collect::<Result<Vec<_>, _>>()?;
    let mut parent = None;
    let mut entries = Vec::with_capacity(snapshots.len());
    for s in snapshots {
        let mut entry = json!({
            "snapshot-id": s.version,
            "sequence-number": s.version,
            "timestamp-ms": s.timestamp_ms,
            "manifest-list": s.manifest_list,
            "schema-id": s.version,
            "summary": {
                // Each version replaces the data of the one before.
                "operation": if parent.is_none() { "append" } else { "overwrite" },
                "added-data-files": s.files.to_string(),
                "added-records": s.rows.to_string(),
                "added-files-size": s.size_bytes.to_string(),
                "total-data-files": s.files.to_string(),
                "total-records": s.rows.to_string(),
                "total-files-size": s.size_bytes.to_string(),
                "total-delete-files": "0",
                "total-position-deletes": "0",
                "total-equality-deletes": "0",
            },
        });
        if let Some(p) = parent {
            entry["parent-snapshot-id"] = json!(p);
        }
        entries.push(entry);
        parent = Some(s.version);
    }
    let log: Vec<Value> = snapshots
        .iter()
        .map(|s| json!({"snapshot-id": s.version, "timestamp-ms": s.timestamp_ms}))
        .collect();
    Ok(json!({
        "format-version": 2,
        "table-uuid": table.uuid,
        "location": table.location,
        "last-sequence-number": current.version,
        "last-updated-ms": current.timestamp_ms,
        "last-column-id": ids.last(),
        "current-schema-id": current.version,
        "schemas": schemas,
        "default-spec-id": 0,
        "partition-specs": [{"spec-id": 0, "fields": []}],
        "last-partition-id": 999,
        "default-sort-order-id": 0,
        "sort-orders": [{"order-id": 0, "fields": []}],
        "properties": {
            "schema.name-mapping.default": ids.name_mapping(),
        },
        "current-snapshot-id": current.version,
        "refs": {"main": {"snapshot-id": current.version, "type": "branch"}},
        "snapshots": entries,
        "snapshot-log": log,
        "metadata-log": [],
    }))
}
