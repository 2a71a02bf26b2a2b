//! Published datasets: search, and one dataset with its versions, their
//! lineage and the latest version's columns. Reading a dataset is
//! audited.

use serde::Serialize;
use utoipa::ToSchema;

use airlock_catalog::DatasetDetail;
use airlock_policies::{Action, Principal};

use super::{Reader, rfc3339};
use crate::IngestError;

impl Reader<'_> {
    /// Published datasets the caller may see, whose name or description
    /// holds `text` (case-insensitive), or all of them.
    pub async fn datasets(
        self,
        who: &Principal,
        text: Option<&str>,
    ) -> Result<Vec<DatasetSummary>, IngestError> {
        self.policies.authorize(who, Action::SearchCatalog)?;
        let found = self.catalog.list_datasets(text).await?;
        Ok(found
            .into_iter()
            .filter(|d| {
                self.policies
                    .authorize(who, Action::ViewDataset { zone: &d.zone })
                    .is_ok()
            })
            .map(|d| DatasetSummary {
                id: d.id,
                name: d.name,
                zone: d.zone.to_string(),
                classification: d.classification.to_string(),
                description: d.description,
            })
            .collect())
    }

    /// A dataset with its published versions and the latest version's
    /// columns; outside the caller's zones it does not exist.
    pub async fn dataset(self, who: &Principal, id: &str) -> Result<DatasetView, IngestError> {
        let d = self.visible_dataset(who, id).await?;
        let policies = self.policies.authorize(
            who,
            Action::ViewDataset {
                zone: &d.dataset.zone,
            },
        )?;
        // Reading where the data lives is audited, with what allowed it.
        self.catalog
            .append_audit(
                &who.user_id,
                "dataset.read",
                &d.dataset.id,
                serde_json::json!({"policies": policies}),
            )
            .await?;
        Ok(DatasetView {
            id: d.dataset.id,
            name: d.dataset.name,
            zone: d.dataset.zone.to_string(),
            classification: d.dataset.classification.to_string(),
            description: d.dataset.description,
            acquisition_id: d.dataset.acquisition_id,
            versions: d
                .versions
                .into_iter()
                .map(|v| VersionView {
                    version: v.version,
                    location: v.location,
                    rows: v.rows,
                    size_bytes: v.size_bytes,
                    created_at: rfc3339(v.created_at),
                    source_file_ids: vec![v.source_file_id],
                    tainted_at: v.tainted_at.map(rfc3339),
                    taint_reason: v.taint_reason,
                    transferred_from: match (
                        v.transfer_id,
                        v.transferred_from_dataset,
                        v.transferred_from_version,
                    ) {
                        (Some(transfer_id), Some(dataset_id), Some(version)) => Some(LineageView {
                            transfer_id,
                            dataset_id,
                            version,
                        }),
                        _ => None,
                    },
                })
                .collect(),
            columns: d
                .columns
                .into_iter()
                .map(|c| ColumnView {
                    name: c.name,
                    data_type: c.data_type,
                    nullable: c.nullable.0,
                    pii_sampled: c.pii_sampled,
                    pii: c
                        .pii
                        .into_iter()
                        .map(|p| PiiView {
                            kind: p.kind,
                            count: p.count,
                        })
                        .collect(),
                })
                .collect(),
        })
    }
}

impl Reader<'_> {
    /// A published dataset the caller may see. Out of the caller's
    /// clearance a dataset does not exist, so its name and zone do not
    /// leak.
    pub(super) async fn visible_dataset(
        self,
        who: &Principal,
        id: &str,
    ) -> Result<DatasetDetail, IngestError> {
        let not_found = || IngestError::NotFound(format!("dataset {id}"));
        let d = self.catalog.dataset(id).await?.ok_or_else(not_found)?;
        self.policies
            .authorize(
                who,
                Action::ViewDataset {
                    zone: &d.dataset.zone,
                },
            )
            .map_err(|_| not_found())?;
        Ok(d)
    }
}

#[derive(Serialize, ToSchema)]
pub struct DatasetSummary {
    pub id: String,
    pub name: String,
    pub zone: String,
    pub classification: String,
    pub description: String,
}

#[derive(Serialize, ToSchema)]
pub struct VersionView {
    pub version: i64,
    pub location: String,
    pub rows: i64,
    pub size_bytes: i64,
    pub created_at: String,
    pub source_file_ids: Vec<String>,
    /// Set when a rescan flagged a source file after publication: when,
    /// and what was found.
    pub tainted_at: Option<String>,
    pub taint_reason: Option<String>,
    /// For a copy a transfer made: the transfer and the version it copied.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transferred_from: Option<LineageView>,
}

#[derive(Serialize, ToSchema)]
pub struct LineageView {
    pub transfer_id: String,
    pub dataset_id: String,
    pub version: i64,
}

#[derive(Serialize, ToSchema)]
pub struct ColumnView {
    pub name: String,
    /// int64, float64, bool, date, timestamp, string, …
    #[serde(rename = "type")]
    pub data_type: String,
    /// Whether any null was seen.
    pub nullable: bool,
    /// How many values the PII detectors looked at (the first 10,000
    /// present ones)…
    pub pii_sampled: i64,
    /// …and how many were personal data, by kind. Never the values.
    pub pii: Vec<PiiView>,
}

#[derive(Serialize, ToSchema)]
pub struct PiiView {
    /// email, phone, ni_number, nhs_number, postcode, payment_card, ipv4,
    /// ipv6 or date_of_birth.
    pub kind: String,
    pub count: i64,
}

#[derive(Serialize, ToSchema)]
pub struct DatasetView {
    pub id: String,
    pub name: String,
    pub zone: String,
    pub classification: String,
    pub description: String,
    pub acquisition_id: String,
    pub versions: Vec<VersionView>,
    pub columns: Vec<ColumnView>,
}
