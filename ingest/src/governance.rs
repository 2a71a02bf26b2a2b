//! Governance: what the checks found in a file, put to the policies; and
//! the reviews of acquisitions and held files.
//!
//! A file's evidence (rows, columns, PII counts per column, contract
//! findings, the deciding policies) is what a reviewer judges. It names
//! columns, kinds and counts, never a value, so it may be stored, audited
//! and shown.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use airlock_catalog::{
    Acquisition, AcquisitionState, CatalogStore, Contract, FileRecord, Review, ReviewDecision,
    ReviewSubject,
};
use airlock_convert::Converted;
use airlock_policies::{Action, Findings, Policies, Principal};
use airlock_scanner::Allowances;
use airlock_zones::{Classification, ZoneSet};
use tokio::sync::Notify;

use crate::names::slug;
use crate::wire::{self, AllowanceText, ClassificationText, ContractText, ZoneNameText};
use crate::{IngestError, now_ms};

/// What the checks found in one delivered file.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Evidence {
    /// Why policy held or rejected it.
    pub reason: String,
    /// The policies that decided.
    pub decided_by: Vec<String>,
    /// The facts put to the policies.
    #[schema(value_type = Object)]
    pub findings: Findings,
    /// What the file breaks of its declared schema, one clause each.
    pub schema_check: Vec<String>,
    /// The tables it converts to: one, or one per sheet of a workbook.
    pub tables: Vec<TableEvidence>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TableEvidence {
    /// The sheet, for a workbook.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sheet: Option<String>,
    pub rows: i64,
    pub columns: Vec<ColumnEvidence>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ColumnEvidence {
    pub name: String,
    #[serde(rename = "type")]
    pub data_type: String,
    /// How many values the PII detectors looked at…
    pub pii_sampled: i64,
    /// …and how many were of each kind found (`{"email": 12}`).
    pub pii: std::collections::BTreeMap<String, i64>,
    /// Nulls among its values (absent in evidence kept before statistics
    /// were).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub null_count: Option<i64>,
    /// The least and greatest values as people read them, cut to 64
    /// characters; withheld (absent) where personal data was found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<String>,
    /// Distinct values, exact while few (up to 1,024).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distinct_count: Option<i64>,
    /// The sum of a numeric column; withheld where personal data was
    /// found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sum: Option<String>,
    /// An integer column's least value above zero…
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub least_positive: Option<i64>,
    /// …and the greatest common divisor of its values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_gcd: Option<i64>,
}

/// The facts for the file decisions, from the converted tables.
pub fn findings(acq: &Acquisition, tables: &[(Option<String>, &Converted)]) -> Findings {
    let mut kinds: Vec<String> = Vec::new();
    let mut pii_columns = 0;
    for c in tables.iter().flat_map(|(_, t)| &t.columns) {
        if !c.pii.is_empty() {
            pii_columns += 1;
        }
        kinds.extend(c.pii.iter().map(|p| p.kind.clone()));
    }
    kinds.sort();
    kinds.dedup();
    Findings {
        verdicts: vec!["clean".into()],
        personal_data_declared: acq.personal_data,
        pii_kinds: kinds,
        pii_columns,
        contract_declared: acq.declared_schema.is_some(),
        schema_violations: tables.iter().map(|(_, t)| t.check.violations()).sum(),
        rows: tables.iter().map(|(_, t)| t.rows.max(0) as u64).sum(),
    }
}

/// The contract findings of every table, a workbook's prefixed by sheet.
pub fn schema_check(tables: &[(Option<String>, &Converted)]) -> Vec<String> {
    tables
        .iter()
        .flat_map(|(sheet, t)| {
            t.check.findings().into_iter().map(move |f| match sheet {
                Some(s) if tables.len() > 1 => format!("sheet {s:?}: {f}"),
                _ => f,
            })
        })
        .collect()
}

/// The evidence a reviewer sees.
pub fn evidence(
    reason: String,
    decided_by: Vec<String>,
    findings: Findings,
    tables: &[(Option<String>, &Converted)],
) -> Evidence {
    Evidence {
        reason,
        decided_by,
        findings,
        schema_check: schema_check(tables),
        tables: tables
            .iter()
            .map(|(sheet, t)| TableEvidence {
                sheet: sheet.clone(),
                rows: t.rows,
                columns: t
                    .columns
                    .iter()
                    .map(|c| {
                        // No view ever shows a value of personal data.
                        let bound = |v: &Option<String>| v.clone().filter(|_| c.pii.is_empty());
                        ColumnEvidence {
                            name: c.name.clone(),
                            data_type: c.data_type.clone(),
                            pii_sampled: c.pii_sampled,
                            pii: c.pii.iter().map(|p| (p.kind.clone(), p.count)).collect(),
                            null_count: c.stats.null_count,
                            min: bound(&c.stats.min_value),
                            max: bound(&c.stats.max_value),
                            distinct_count: c.stats.distinct_count,
                            sum: bound(&c.stats.sum_value),
                            least_positive: c.stats.least_positive.filter(|_| c.pii.is_empty()),
                            value_gcd: c.stats.value_gcd.filter(|_| c.pii.is_empty()),
                        }
                    })
                    .collect(),
            })
            .collect(),
    }
}

/// Counts at or under this may identify people (OpenSAFELY's threshold).
pub const SMALL_COUNT: i64 = 7;

/// The disclosure-control flags a reviewer weighs before releasing a
/// column, in the OpenSAFELY manner: an integer column holding a count
/// small enough to identify people, and one whose values are not all
/// rounded to the multiple the acquisition requires (judged from every
/// value: their greatest common divisor).
pub fn disclosure_flags(c: &ColumnEvidence, rounding_base: Option<i64>) -> Vec<String> {
    let mut flags = Vec::new();
    if let Some(least) = c.least_positive.filter(|v| *v <= SMALL_COUNT) {
        flags.push(format!(
            "small counts: values as low as {least} (at or under {SMALL_COUNT} may identify people)"
        ));
    }
    if let (Some(base), Some(gcd)) = (rounding_base, c.value_gcd)
        && gcd % base != 0
    {
        flags.push(format!(
            "not rounded: the acquisition requires multiples of {base}; the values' common divisor is {gcd}"
        ));
    }
    flags
}

/// Why a file waits for review, in words.
pub fn review_reason(f: &Findings) -> String {
    if !f.pii_kinds.is_empty() && !f.personal_data_declared {
        format!(
            "personal data the acquisition did not declare: {} in {} column{}",
            f.pii_kinds.join(", "),
            f.pii_columns,
            if f.pii_columns == 1 { "" } else { "s" }
        )
    } else {
        "no policy lets it publish without review".into()
    }
}

pub(crate) fn review(
    kind: ReviewSubject,
    subject_id: &str,
    who: &Principal,
    decision: ReviewDecision,
    reason: &str,
    policies: Vec<String>,
) -> Result<Review, IngestError> {
    let reason = wire::check_prose("invalid_reason", "reason", reason, 2000, true)?;
    Ok(Review {
        id: uuid::Uuid::now_v7().to_string(),
        subject_kind: kind,
        subject_id: subject_id.to_owned(),
        reviewer_id: who.user_id.clone(),
        decision,
        reason: reason.to_owned(),
        created_at: now_ms(),
        policies,
    })
}

/// The acquisition `who` delivers to: theirs to deliver to, and approved.
/// Returns it with the policies that allowed the delivery. `format`, if
/// given, must be one scanning knows.
pub async fn deliverable(
    catalog: &dyn CatalogStore,
    policies: &Policies,
    who: &Principal,
    acquisition_id: &str,
    format: Option<&str>,
) -> Result<(Acquisition, Vec<String>), IngestError> {
    if let Some(f) = format
        && !airlock_scanner::FileType::FORMATS.contains(&f)
    {
        return Err(IngestError::bad_request(
            "invalid_format",
            format!(
                "unknown format {f:?}: expected one of {}",
                airlock_scanner::FileType::FORMATS.join(", ")
            ),
        ));
    }
    let acq = acquisition(catalog, acquisition_id).await?;
    let decided_by = policies.authorize(
        who,
        Action::DeliverFile {
            acquisition_owner_id: &acq.owner_id,
        },
    )?;
    if acq.state != AcquisitionState::Approved {
        return Err(IngestError::Conflict(format!(
            "acquisition {} is {}; files are accepted only for approved acquisitions",
            acq.id, acq.state
        )));
    }
    Ok((acq, decided_by))
}

/// What governance decisions work with; the API gets it from
/// `App::desk`.
#[derive(Clone, Copy)]
pub struct Desk<'a> {
    pub catalog: &'a dyn CatalogStore,
    pub policies: &'a Policies,
    pub zones: &'a ZoneSet,
    /// Woken when a decision gives the pipeline work.
    pub wake: &'a Notify,
}

/// An acquisition that must exist.
pub async fn acquisition(catalog: &dyn CatalogStore, id: &str) -> Result<Acquisition, IngestError> {
    catalog
        .acquisition(id)
        .await?
        .ok_or_else(|| IngestError::NotFound(format!("acquisition {id}")))
}

/// A reviewer approves or rejects a pending acquisition; nobody decides
/// their own (the `four-eyes` policy).
pub async fn review_acquisition(
    desk: Desk<'_>,
    who: &Principal,
    id: &str,
    decision: ReviewDecision,
    reason: &str,
) -> Result<Acquisition, IngestError> {
    let acq = acquisition(desk.catalog, id).await?;
    let policies = desk.policies.authorize(
        who,
        Action::ReviewAcquisition {
            owner_id: &acq.owner_id,
        },
    )?;
    let r = review(
        ReviewSubject::Acquisition,
        id,
        who,
        decision,
        reason,
        policies,
    )?;
    Ok(desk.catalog.review_acquisition(&r).await?)
}

/// The owner submits a draft for review, or closes an approved
/// acquisition to further deliveries.
pub async fn move_acquisition(
    desk: Desk<'_>,
    who: &Principal,
    id: &str,
    from: AcquisitionState,
    to: AcquisitionState,
) -> Result<Acquisition, IngestError> {
    let acq = acquisition(desk.catalog, id).await?;
    desk.policies.authorize(
        who,
        Action::ManageAcquisition {
            owner_id: &acq.owner_id,
        },
    )?;
    Ok(desk
        .catalog
        .move_acquisition(id, &who.user_id, from, to)
        .await?)
}

/// A reviewer releases or rejects a file that policy held; nobody decides
/// their own delivery. A released file converts again and publishes.
pub async fn review_file(
    desk: Desk<'_>,
    who: &Principal,
    id: &str,
    decision: ReviewDecision,
    reason: &str,
) -> Result<FileRecord, IngestError> {
    let file = desk
        .catalog
        .file(id)
        .await?
        .ok_or_else(|| IngestError::NotFound(format!("file {id}")))?;
    let policies = desk.policies.authorize(
        who,
        Action::ReviewFile {
            submitter_id: &file.submitted_by,
        },
    )?;
    let r = review(ReviewSubject::File, id, who, decision, reason, policies)?;
    let file = desk.catalog.review_file(&r).await?;
    desk.wake.notify_one();
    Ok(file)
}

/// The largest rounding an acquisition may require.
pub const MAX_ROUNDING_BASE: i64 = 1_000_000;

/// An acquisition as its owner registers it.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAcquisition {
    #[schema(schema_with = wire::line_schema::<200>)]
    pub name: String,
    #[serde(default)]
    #[schema(schema_with = wire::optional_prose_schema::<10000>)]
    pub description: String,
    /// Who supplies the data.
    #[schema(schema_with = wire::line_schema::<200>)]
    pub supplier: String,
    /// The legal basis for acquiring it, e.g. a statute and section.
    #[schema(schema_with = wire::prose_schema::<2000>)]
    pub legal_basis: String,
    /// What the data is acquired for.
    #[schema(schema_with = wire::prose_schema::<2000>)]
    pub purpose: String,
    /// Whether deliveries are expected to carry personal data. Personal
    /// data found in a delivery that did not declare it holds the file for
    /// review.
    pub personal_data: bool,
    /// How long its datasets are kept after publication, in days.
    #[schema(minimum = 1, maximum = 36500)]
    pub retention_days: i64,
    /// The ethics review's reference, where one was needed.
    #[serde(default)]
    #[schema(schema_with = wire::optional_line_schema::<200>)]
    pub ethics_ref: String,
    /// Keep it a draft (submit it later with `POST …/submit`); otherwise it
    /// goes straight to review.
    #[serde(default)]
    pub draft: bool,
    /// A lake zone, e.g. `sandbox` or `corporate`.
    #[schema(value_type = ZoneNameText)]
    pub target_zone: String,
    #[schema(value_type = ClassificationText)]
    pub classification: String,
    /// Content that scanning refuses unless the acquisition explicitly
    /// allows it.
    #[serde(default)]
    #[schema(value_type = Vec<AllowanceText>, max_items = 4)]
    pub allow: Vec<String>,
    /// For Excel workbooks: the sheet to publish. Without it a workbook
    /// must hold exactly one sheet.
    #[serde(default)]
    #[schema(schema_with = wire::nullable_line_schema::<200>)]
    pub sheet: Option<String>,
    /// Disclosure control: the multiple the deliveries' counts must be
    /// rounded to (5 rounds to fives). Reviewers see an integer column
    /// whose values do not all keep it flagged.
    #[serde(default)]
    #[schema(minimum = 2, maximum = 1_000_000)]
    pub rounding_base: Option<i64>,
    /// The declared schema (the contract) every delivery must keep:
    /// `{"columns": [{"name": "id", "type": "int64", "nullable": false}, …]}`.
    /// Types: bool, int64, float64, decimal(P,S), date, timestamp,
    /// timestamp_tz, string. Without it, types are inferred.
    #[serde(default)]
    #[schema(value_type = Option<ContractText>)]
    pub schema: Option<Contract>,
}

/// Registers an acquisition, pending review or as a draft, once its
/// record is complete and its zone and classification fit the zones'
/// rules. Files are accepted once a reviewer other than its owner
/// approves it.
pub async fn register_acquisition(
    desk: Desk<'_>,
    who: &Principal,
    req: NewAcquisition,
) -> Result<Acquisition, IngestError> {
    let decided_by = desk.policies.authorize(who, Action::CreateAcquisition)?;
    let name = wire::check_line("invalid_name", "name", &req.name, 200, true)?;
    let description = wire::check_prose(
        "invalid_acquisition",
        "description",
        &req.description,
        10_000,
        false,
    )?;
    let supplier = wire::check_line("invalid_acquisition", "supplier", &req.supplier, 200, true)?;
    let legal_basis = wire::check_prose(
        "invalid_acquisition",
        "legal_basis",
        &req.legal_basis,
        2_000,
        true,
    )?;
    let purpose = wire::check_prose("invalid_acquisition", "purpose", &req.purpose, 2_000, true)?;
    let ethics_ref = wire::check_line(
        "invalid_acquisition",
        "ethics_ref",
        &req.ethics_ref,
        200,
        false,
    )?;
    let sheet = req
        .sheet
        .as_deref()
        .map(|sheet| wire::check_line("invalid_acquisition", "sheet", sheet, 200, false))
        .transpose()?
        .filter(|sheet| !sheet.is_empty());
    if let Some(base) = req
        .rounding_base
        .filter(|b| !(2..=MAX_ROUNDING_BASE).contains(b))
    {
        return Err(IngestError::bad_request(
            "invalid_acquisition",
            format!("rounding_base must be 2-{MAX_ROUNDING_BASE}, not {base}"),
        ));
    }
    if !(1..=36_500).contains(&req.retention_days) {
        return Err(IngestError::bad_request(
            "invalid_acquisition",
            "retention_days must be 1-36500",
        ));
    }
    let classification: Classification = req.classification.parse()?;
    let zone = desk.zones.check_ingest(&req.target_zone, classification)?;
    let unknown = req
        .allow
        .iter()
        .find(|a| !Allowances::NAMES.contains(&a.as_str()));
    if let Some(name) = unknown {
        return Err(IngestError::bad_request(
            "invalid_allow",
            format!(
                "unknown allowance {name:?}: expected one of {}",
                Allowances::NAMES.join(", ")
            ),
        ));
    }
    if req.allow.len() > Allowances::NAMES.len() {
        return Err(IngestError::bad_request(
            "invalid_allow",
            format!("allow names at most {} allowances", Allowances::NAMES.len()),
        ));
    }
    let allow = Allowances::parse(req.allow.iter().map(String::as_str))
        .map_err(|e| IngestError::bad_request("invalid_allow", e))?;
    if let Some(contract) = &req.schema {
        contract
            .validate()
            .map_err(|e| IngestError::bad_request("invalid_schema", e))?;
    }
    let acq = desk
        .catalog
        .create_acquisition(
            &Acquisition {
                id: uuid::Uuid::now_v7().to_string(),
                name: name.to_owned(),
                slug: slug(name, "acquisition"),
                description: description.to_owned(),
                target_zone: zone.name.clone(),
                classification,
                state: match req.draft {
                    true => AcquisitionState::Draft,
                    false => AcquisitionState::PendingReview,
                },
                owner_id: who.user_id.clone(),
                created_at: now_ms(),
                supplier: supplier.to_owned(),
                legal_basis: legal_basis.to_owned(),
                purpose: purpose.to_owned(),
                personal_data: req.personal_data,
                retention_days: Some(req.retention_days),
                ethics_ref: ethics_ref.to_owned(),
                allow,
                sheet: sheet.map(str::to_owned),
                declared_schema: req.schema.as_ref().map(Contract::to_json),
                rounding_base: req.rounding_base,
            },
            &decided_by,
        )
        .await?;
    Ok(acq)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(least_positive: Option<i64>, value_gcd: Option<i64>) -> ColumnEvidence {
        ColumnEvidence {
            name: "n".into(),
            data_type: "int64".into(),
            pii_sampled: 0,
            pii: Default::default(),
            null_count: Some(0),
            min: None,
            max: None,
            distinct_count: None,
            sum: None,
            least_positive,
            value_gcd,
        }
    }

    #[test]
    fn small_and_unrounded_counts_are_flagged() {
        let flags = disclosure_flags(&column(Some(3), Some(1)), Some(5));
        assert_eq!(flags.len(), 2, "{flags:?}");
        assert!(flags[0].contains("as low as 3"), "{flags:?}");
        assert!(flags[1].contains("multiples of 5"), "{flags:?}");
        // Rounded to tens keeps a requirement of fives; above the
        // threshold is no small count; no requirement, no rounding flag.
        assert!(disclosure_flags(&column(Some(10), Some(10)), Some(5)).is_empty());
        assert!(disclosure_flags(&column(Some(8), Some(1)), None).is_empty());
        assert_eq!(
            disclosure_flags(&column(Some(10), Some(5)), Some(10)).len(),
            1
        );
        // Nothing known (a string column, personal data withheld), nothing said.
        assert!(disclosure_flags(&column(None, None), Some(5)).is_empty());
    }
}
