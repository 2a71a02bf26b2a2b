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
    Acquisition, AcquisitionState, FileRecord, Review, ReviewDecision, ReviewSubject,
};
use airlock_policies::{Action, Findings, Principal};

use crate::{App, IngestError, now_ms};
use airlock_convert::Converted;

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
                    .map(|c| ColumnEvidence {
                        name: c.name.clone(),
                        data_type: c.data_type.clone(),
                        pii_sampled: c.pii_sampled,
                        pii: c.pii.iter().map(|p| (p.kind.clone(), p.count)).collect(),
                    })
                    .collect(),
            })
            .collect(),
    }
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
    let reason = reason.trim();
    if reason.is_empty() || reason.len() > 2000 {
        return Err(IngestError::bad_request(
            "invalid_reason",
            "a review needs a reason of 1-2000 bytes",
        ));
    }
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
    app: &App,
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
    let acq = app.acquisition(acquisition_id).await?;
    let decided_by = app.policies.authorize(
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

/// A reviewer approves or rejects a pending acquisition; nobody decides
/// their own (the `four-eyes` policy).
pub async fn review_acquisition(
    app: &App,
    who: &Principal,
    id: &str,
    decision: ReviewDecision,
    reason: &str,
) -> Result<Acquisition, IngestError> {
    let acq = app.acquisition(id).await?;
    let policies = app.policies.authorize(
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
    Ok(app.catalog.review_acquisition(&r).await?)
}

/// The owner submits a draft for review, or closes an approved
/// acquisition to further deliveries.
pub async fn move_acquisition(
    app: &App,
    who: &Principal,
    id: &str,
    from: AcquisitionState,
    to: AcquisitionState,
) -> Result<Acquisition, IngestError> {
    let acq = app.acquisition(id).await?;
    app.policies.authorize(
        who,
        Action::ManageAcquisition {
            owner_id: &acq.owner_id,
        },
    )?;
    Ok(app
        .catalog
        .move_acquisition(id, &who.user_id, from, to)
        .await?)
}

/// A reviewer releases or rejects a file that policy held; nobody decides
/// their own delivery. A released file converts again and publishes.
pub async fn review_file(
    app: &App,
    who: &Principal,
    id: &str,
    decision: ReviewDecision,
    reason: &str,
) -> Result<FileRecord, IngestError> {
    let file = app
        .catalog
        .file(id)
        .await?
        .ok_or_else(|| IngestError::NotFound(format!("file {id}")))?;
    let policies = app.policies.authorize(
        who,
        Action::ReviewFile {
            submitter_id: &file.submitted_by,
        },
    )?;
    let r = review(ReviewSubject::File, id, who, decision, reason, policies)?;
    let file = app.catalog.review_file(&r).await?;
    app.wake.notify_one();
    Ok(file)
}
