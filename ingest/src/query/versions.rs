//! A dataset's published versions as people read them: each with its own
//! columns and their statistics, its lineage, and what changed in its
//! schema from the version before.
//!
//! The key decisions: a schema difference is computed here, when a dataset
//! is viewed, from the columns the catalog keeps per version, so it can
//! never disagree with them; columns are matched by name (a renamed column
//! is one removed and one added). A column where personal data was found
//! shows no least or greatest value, as no view ever shows a value of
//! personal data.

use serde::Serialize;
use utoipa::ToSchema;

use airlock_catalog::{ColumnInfo, VersionDetail, VersionInfo};

use super::rfc3339;

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
    /// Its columns, in order, with their statistics.
    pub columns: Vec<ColumnView>,
    /// What changed in the schema from the version before (empty for the
    /// first, and when nothing did).
    pub changes: Vec<SchemaChange>,
}

#[derive(Serialize, ToSchema)]
pub struct LineageView {
    pub transfer_id: String,
    pub dataset_id: String,
    pub version: i64,
}

impl LineageView {
    /// The version a transfer copied, for a version a transfer made.
    pub fn of(v: &VersionInfo) -> Option<LineageView> {
        match (
            &v.transfer_id,
            &v.transferred_from_dataset,
            v.transferred_from_version,
        ) {
            (Some(transfer_id), Some(dataset_id), Some(version)) => Some(LineageView {
                transfer_id: transfer_id.clone(),
                dataset_id: dataset_id.clone(),
                version,
            }),
            _ => None,
        }
    }
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
    pub statistics: StatisticsView,
}

#[derive(Serialize, ToSchema)]
pub struct PiiView {
    /// email, phone, ni_number, nhs_number, postcode, payment_card, ipv4,
    /// ipv6 or date_of_birth.
    pub kind: String,
    pub count: i64,
}

/// What the conversion found of a column's values; a null is unknown (a
/// version converted before statistics were kept, or a type they are not
/// kept for).
#[derive(Serialize, ToSchema)]
pub struct StatisticsView {
    pub null_count: Option<i64>,
    /// The least and greatest values, cut to 64 characters (a cut or
    /// inexact one ends in "…"); withheld where personal data was found.
    pub min: Option<String>,
    pub max: Option<String>,
    /// True when the bounds are withheld because the column holds
    /// personal data.
    pub bounds_withheld: bool,
    /// Distinct values: exact while few (up to 1,024)…
    pub distinct_count: Option<i64>,
    /// …or estimated past that (HyperLogLog, about 1.6% standard error).
    pub distinct_estimate: Option<i64>,
    /// The sum of a numeric column's values; withheld where personal data
    /// was found.
    pub sum: Option<String>,
}

/// One difference between a version's schema and the one before.
#[derive(Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum SchemaChange {
    Added {
        column: String,
        #[serde(rename = "type")]
        data_type: String,
    },
    Removed {
        column: String,
        #[serde(rename = "type")]
        data_type: String,
    },
    Retyped {
        column: String,
        from: String,
        to: String,
    },
    /// Nulls appeared in a column that had none, or the other way round.
    Nullability {
        column: String,
        from: bool,
        to: bool,
    },
}

impl SchemaChange {
    /// The change in words.
    pub fn describe(&self) -> String {
        let nulls = |n: bool| if n { "nulls" } else { "no nulls" };
        match self {
            SchemaChange::Added { column, data_type } => format!("added {column} ({data_type})"),
            SchemaChange::Removed { column, data_type } => {
                format!("removed {column} ({data_type})")
            }
            SchemaChange::Retyped { column, from, to } => format!("{column}: {from} → {to}"),
            SchemaChange::Nullability { column, from, to } => {
                format!("{column}: {} → {}", nulls(*from), nulls(*to))
            }
        }
    }
}

impl ColumnView {
    pub fn of(c: &ColumnInfo) -> Self {
        let withheld = !c.pii.is_empty();
        let bound = |v: &Option<String>| v.clone().filter(|_| !withheld);
        ColumnView {
            name: c.name.clone(),
            data_type: c.data_type.clone(),
            nullable: c.nullable.0,
            pii_sampled: c.pii_sampled,
            pii: c
                .pii
                .iter()
                .map(|p| PiiView {
                    kind: p.kind.clone(),
                    count: p.count,
                })
                .collect(),
            statistics: StatisticsView {
                null_count: c.stats.null_count,
                min: bound(&c.stats.min_value),
                max: bound(&c.stats.max_value),
                bounds_withheld: withheld
                    && (c.stats.min_value.is_some() || c.stats.max_value.is_some()),
                distinct_count: c.stats.distinct_count,
                distinct_estimate: c.stats.distinct_estimate,
                sum: bound(&c.stats.sum_value),
            },
        }
    }
}

/// The versions, oldest first, each with what changed from the one before.
pub fn version_views(versions: Vec<VersionDetail>) -> Vec<VersionView> {
    let mut views = Vec::with_capacity(versions.len());
    let mut before: Option<Vec<ColumnInfo>> = None;
    for VersionDetail { info: v, columns } in versions {
        let changes = before
            .as_deref()
            .map(|b| schema_changes(b, &columns))
            .unwrap_or_default();
        let transferred_from = LineageView::of(&v);
        views.push(VersionView {
            version: v.version,
            location: v.location,
            rows: v.rows,
            size_bytes: v.size_bytes,
            created_at: rfc3339(v.created_at),
            source_file_ids: vec![v.source_file_id],
            tainted_at: v.tainted_at.map(rfc3339),
            taint_reason: v.taint_reason,
            transferred_from,
            columns: columns.iter().map(ColumnView::of).collect(),
            changes,
        });
        before = Some(columns);
    }
    views
}

/// What changed from `before` to `after`: removed columns in `before`'s
/// order, then added, retyped and nullability changes in `after`'s.
pub fn schema_changes(before: &[ColumnInfo], after: &[ColumnInfo]) -> Vec<SchemaChange> {
    let find = |columns: &'_ [ColumnInfo], name: &str| -> Option<usize> {
        columns.iter().position(|c| c.name == name)
    };
    let mut changes: Vec<SchemaChange> = before
        .iter()
        .filter(|b| find(after, &b.name).is_none())
        .map(|b| SchemaChange::Removed {
            column: b.name.clone(),
            data_type: b.data_type.clone(),
        })
        .collect();
    for a in after {
        let Some(b) = find(before, &a.name).map(|i| &before[i]) else {
            changes.push(SchemaChange::Added {
                column: a.name.clone(),
                data_type: a.data_type.clone(),
            });
            continue;
        };
        if b.data_type != a.data_type {
            changes.push(SchemaChange::Retyped {
                column: a.name.clone(),
                from: b.data_type.clone(),
                to: a.data_type.clone(),
            });
        }
        if b.nullable != a.nullable {
            changes.push(SchemaChange::Nullability {
                column: a.name.clone(),
                from: b.nullable.0,
                to: a.nullable.0,
            });
        }
    }
    changes
}

#[cfg(test)]
mod tests {
    use airlock_catalog::{ColumnStats, Flag, PiiCount};

    use super::*;

    fn column(name: &str, data_type: &str, nullable: bool) -> ColumnInfo {
        ColumnInfo {
            name: name.into(),
            data_type: data_type.into(),
            nullable: Flag(nullable),
            source_name: None,
            pii_sampled: 0,
            pii: Vec::new(),
            stats: ColumnStats::default(),
        }
    }

    #[test]
    fn every_kind_of_change_is_named() {
        let before = [
            column("id", "int64", false),
            column("gone", "string", true),
            column("amount", "int64", false),
            column("note", "string", false),
        ];
        let after = [
            column("id", "int64", false),
            column("amount", "float64", false),
            column("note", "string", true),
            column("region", "string", true),
        ];
        assert_eq!(
            schema_changes(&before, &after),
            [
                SchemaChange::Removed {
                    column: "gone".into(),
                    data_type: "string".into()
                },
                SchemaChange::Retyped {
                    column: "amount".into(),
                    from: "int64".into(),
                    to: "float64".into()
                },
                SchemaChange::Nullability {
                    column: "note".into(),
                    from: false,
                    to: true
                },
                SchemaChange::Added {
                    column: "region".into(),
                    data_type: "string".into()
                },
            ]
        );
        assert!(schema_changes(&after, &after).is_empty());
    }

    #[test]
    fn bounds_of_personal_data_are_withheld() {
        let mut c = column("email", "string", false);
        c.stats.min_value = Some("ada@example.org".into());
        c.stats.max_value = Some("zed@example.org".into());
        c.stats.distinct_count = Some(2);
        let shown = ColumnView::of(&c);
        assert_eq!(shown.statistics.min.as_deref(), Some("ada@example.org"));
        assert!(!shown.statistics.bounds_withheld);
        c.pii.push(PiiCount {
            kind: "email".into(),
            count: 2,
        });
        let shown = ColumnView::of(&c);
        assert_eq!((shown.statistics.min, shown.statistics.max), (None, None));
        assert!(shown.statistics.bounds_withheld);
        assert_eq!(shown.statistics.distinct_count, Some(2));
    }
}
