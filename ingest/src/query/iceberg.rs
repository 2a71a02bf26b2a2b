//! The Iceberg REST catalog's reads: namespaces are the lake zones the
//! caller may see datasets in, tables are their published datasets by
//! name, and each published version is a snapshot.
//!
//! Key decision: a table's metadata is composed per load from the
//! catalog, never stored as one file that changes. Each version's own
//! manifest and manifest list were written into the lake when it was
//! published; a load lists the snapshots the caller may read at that
//! moment, so a tainted version, one deleted by retention and one
//! published without Iceberg metadata are simply not there. Field ids are
//! numbered over every published version, so leaving one out moves no
//! column's id. A dataset outside the caller's zones is "not found", as
//! everywhere in the query layer, and every load is audited.

use serde_json::{Value, json};

use airlock_catalog::{Dataset, TableVersion};
use airlock_iceberg::rest::{self, StorageAccess};
use airlock_iceberg::{FieldIds, Snapshot, Table};
use airlock_policies::{Action, Principal};
use airlock_zones::ZoneName;

use super::Reader;
use crate::IngestError;
use crate::stages::iceberg_columns;

/// A loaded table: the `LoadTableResult` body.
pub struct LoadedTable {
    pub body: Value,
}

impl Reader<'_> {
    /// The lake zones the caller may see datasets in.
    pub fn namespaces(self, who: &Principal) -> Result<Vec<ZoneName>, IngestError> {
        self.visible_zones(who)
    }

    /// One namespace, if the caller may see it; a zone they may not is as
    /// missing as one that does not exist.
    pub fn namespace(self, who: &Principal, name: &str) -> Result<ZoneName, IngestError> {
        self.namespaces(who)?
            .into_iter()
            .find(|z| z.as_str() == name)
            .ok_or_else(|| IngestError::NotFound(format!("namespace {name}")))
    }

    /// The names of a namespace's tables: its datasets with at least one
    /// version an Iceberg reader can read.
    pub async fn tables(
        self,
        who: &Principal,
        namespace: &str,
    ) -> Result<Vec<String>, IngestError> {
        let zone = self.namespace(who, namespace)?;
        Ok(self
            .catalog
            .zone_tables(&zone)
            .await?
            .into_iter()
            .map(|d| d.name)
            .collect())
    }

    /// Whether a table exists for the caller (HEAD): no metadata read, no
    /// audit.
    pub async fn table_exists(
        self,
        who: &Principal,
        namespace: &str,
        name: &str,
    ) -> Result<(), IngestError> {
        self.table_dataset(who, namespace, name).await.map(|_| ())
    }

    /// Loads a table: its metadata composed from the versions the caller
    /// may read, and the zone's vended storage access. Audited with the
    /// snapshots served.
    pub async fn load_table(
        self,
        who: &Principal,
        namespace: &str,
        name: &str,
    ) -> Result<LoadedTable, IngestError> {
        let (zone, dataset) = self.table_dataset(who, namespace, name).await?;
        let policies = self
            .policies
            .authorize(who, Action::ReadDataset { zone: &zone })?;
        let versions = self.catalog.table_versions(&dataset.id).await?;
        let location = table_location(&versions, &dataset.name)
            .ok_or_else(|| not_found_table(namespace, name))?;
        let metadata = compose(&dataset, &location, &versions)?
            .ok_or_else(|| not_found_table(namespace, name))?;
        let served: Vec<i64> = servable(&versions).map(|v| v.version).collect();
        let access: Option<StorageAccess> = self.access.vend(&zone);
        self.catalog
            .append_audit(
                &who.user_id,
                "dataset.read",
                &dataset.id,
                json!({"via": "iceberg", "versions": served, "policies": policies,
                       "credentials_vended": access.is_some()}),
            )
            .await?;
        Ok(LoadedTable {
            body: rest::load_table(metadata, access.as_ref()),
        })
    }

    /// The dataset a table names, if the caller may see it.
    async fn table_dataset(
        self,
        who: &Principal,
        namespace: &str,
        name: &str,
    ) -> Result<(ZoneName, Dataset), IngestError> {
        let zone = self.namespace(who, namespace)?;
        let dataset = self
            .catalog
            .dataset_named(&zone, name)
            .await?
            .ok_or_else(|| not_found_table(namespace, name))?;
        Ok((zone, dataset))
    }
}

fn not_found_table(namespace: &str, name: &str) -> IngestError {
    IngestError::NotFound(format!("table {namespace}.{name}"))
}

/// The versions an Iceberg reader may be given: untainted, with their
/// Iceberg metadata in the lake.
fn servable(versions: &[TableVersion]) -> impl Iterator<Item = &TableVersion> {
    versions
        .iter()
        .filter(|v| v.tainted_at.is_none() && v.iceberg_parts.is_some())
}

/// The dataset's directory: its versions' parent (`…/<name>/v<N>/` →
/// `…/<name>/`).
fn table_location(versions: &[TableVersion], name: &str) -> Option<String> {
    let v = versions.last()?;
    let suffix = format!("{name}/v{}/", v.version);
    v.location
        .strip_suffix(&suffix)
        .map(|lake| format!("{lake}{name}/"))
}

/// The table's metadata with a snapshot for each servable version, or
/// `None` when there is none.
fn compose(
    dataset: &Dataset,
    location: &str,
    versions: &[TableVersion],
) -> Result<Option<Value>, IngestError> {
    let columns: Vec<Vec<airlock_iceberg::Column<'_>>> = versions
        .iter()
        .map(|v| iceberg_columns(&v.columns))
        .collect();
    let ids = FieldIds::new(columns.iter().map(Vec::as_slice));
    let snapshots: Vec<Snapshot<'_>> = versions
        .iter()
        .zip(&columns)
        .filter(|(v, _)| v.tainted_at.is_none())
        .filter_map(|(v, columns)| {
            Some(Snapshot {
                version: v.version,
                timestamp_ms: v.created_at,
                manifest_list: airlock_iceberg::manifest_list_uri(&v.location, v.version),
                columns: columns.clone(),
                rows: v.rows,
                files: v.iceberg_parts?,
                size_bytes: v.size_bytes,
            })
        })
        .collect();
    if snapshots.is_empty() {
        return Ok(None);
    }
    let table = Table {
        uuid: &dataset.id,
        location,
    };
    airlock_iceberg::table_metadata(table, &ids, &snapshots)
        .map(Some)
        .map_err(|e| IngestError::Unavailable(format!("composing Iceberg metadata: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use airlock_catalog::{ColumnInfo, Flag};

    fn column(name: &str, data_type: &str) -> ColumnInfo {
        ColumnInfo {
            name: name.into(),
            data_type: data_type.into(),
            nullable: Flag(true),
            source_name: None,
            pii_sampled: 0,
            pii: vec![],
            stats: Default::default(),
        }
    }

    fn version(n: i64, columns: &[(&str, &str)]) -> TableVersion {
        TableVersion {
            version: n,
            location: format!("file:///lake/sandbox/survey/v{n}/"),
            rows: 10 * n,
            size_bytes: 100,
            created_at: 1_000 * n,
            tainted_at: None,
            iceberg_parts: Some(1),
            columns: columns.iter().map(|(n, t)| column(n, t)).collect(),
        }
    }

    fn dataset() -> Dataset {
        Dataset {
            id: "0190-uuid".into(),
            name: "survey".into(),
            zone: "sandbox".parse().unwrap(),
            classification: "OFFICIAL".parse().unwrap(),
            description: String::new(),
            acquisition_id: "a".into(),
            created_at: 0,
        }
    }

    #[test]
    fn tainted_and_metadata_less_versions_are_left_out_and_ids_stay() {
        let mut versions = vec![
            version(1, &[("id", "int64"), ("name", "string")]),
            version(2, &[("id", "int64"), ("score", "float64")]),
            version(
                3,
                &[("id", "int64"), ("name", "string"), ("score", "float64")],
            ),
            version(4, &[("id", "int64"), ("tags", "list<string>")]),
        ];
        versions[1].tainted_at = Some(5);
        versions[3].iceberg_parts = None;
        let location = table_location(&versions, "survey").unwrap();
        assert_eq!(location, "file:///lake/sandbox/survey/");
        let m = compose(&dataset(), &location, &versions).unwrap().unwrap();
        let snapshots: Vec<i64> = m["snapshots"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["snapshot-id"].as_i64().unwrap())
            .collect();
        assert_eq!(snapshots, [1, 3]);
        assert_eq!(m["current-snapshot-id"], 3);
        assert_eq!(
            m["snapshots"][1]["manifest-list"],
            "file:///lake/sandbox/survey/v3/_iceberg/snap-3.avro"
        );
        // score keeps the id the tainted version gave it.
        let v3 = m["schemas"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["schema-id"] == 3)
            .unwrap();
        let ids: Vec<(&str, i64)> = v3["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| (f["name"].as_str().unwrap(), f["id"].as_i64().unwrap()))
            .collect();
        assert_eq!(ids, [("id", 1), ("name", 2), ("score", 3)]);
    }

    #[test]
    fn nothing_servable_is_no_table() {
        let mut versions = vec![version(1, &[("id", "int64")])];
        versions[0].tainted_at = Some(1);
        assert!(
            compose(&dataset(), "file:///lake/x/", &versions)
                .unwrap()
                .is_none()
        );
    }
}
