//! Authorization and publication decisions for Airlock, made by Cedar
//! policies.
//!
//! Key decision: every decision is a question put to a Cedar policy set,
//! built from a principal, an [`Action`] and the facts about the resource
//! that the caller has already loaded. This crate does no I/O: the daemon
//! reads the policy files and hands their text to [`Policies::load`], which
//! validates them against the schema shipped here (`cedar/`) and refuses
//! any error, naming its file and line. The defaults in `cedar/` are
//! compiled in, so a daemon without a policy directory still decides by
//! policy, never by code. The one-way zone rules are not left to policy:
//! `airlock-zones` enforces them whatever the files say.

pub mod cedar;
pub mod pii;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use airlock_zones::{Clearance, ZoneName};

pub use cedar::{
    CheckedFile, Explanation, FileOutcome, Findings, Policies, PolicyFile, TransferFacts,
};

/// A refused request, or a policy set that cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PolicyError {
    /// Refused by policy; the message is what the caller is told.
    #[error("{message}")]
    Denied {
        message: String,
        /// The policies that forbade it (empty when none permitted it).
        policies: Vec<String>,
    },
    #[error("unknown role {0:?} (expected engineer, reviewer, analyst or admin)")]
    UnknownRole(String),
    /// A policy file that does not parse or validate against the schema.
    #[error("{file}:{line}: {message}")]
    Invalid {
        file: String,
        line: usize,
        message: String,
    },
    /// A request the schema refuses: a bug in the caller, never a denial
    /// to pass on.
    #[error("policy request: {0}")]
    Request(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Engineer,
    Reviewer,
    Analyst,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Engineer => "engineer",
            Role::Reviewer => "reviewer",
            Role::Analyst => "analyst",
            Role::Admin => "admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl TryFrom<String> for Role {
    type Error = PolicyError;
    fn try_from(s: String) -> Result<Self, PolicyError> {
        s.parse()
    }
}

impl FromStr for Role {
    type Err = PolicyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "engineer" => Ok(Role::Engineer),
            "reviewer" => Ok(Role::Reviewer),
            "analyst" => Ok(Role::Analyst),
            "admin" => Ok(Role::Admin),
            _ => Err(PolicyError::UnknownRole(s.to_owned())),
        }
    }
}

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Principal {
    pub user_id: String,
    pub name: String,
    pub role: Role,
    /// The zones an analyst is cleared to read.
    pub zones: Clearance,
}

/// What the caller wants to do, with the facts about the resource that the
/// decision needs. Each is one Cedar action of the same snake_case name.
#[derive(Debug, Clone, Copy)]
pub enum Action<'a> {
    ListZones,
    SearchCatalog,
    CreateAcquisition,
    /// Reading the audit log.
    ReadAudit,
    /// Reading the reviewers' queue.
    ListReviews,
    /// Listing users, creating them, disabling them, issuing and revoking
    /// their tokens.
    ManageUsers,
    /// Seeing the scan engines and their signature versions.
    ViewEngines,
    ViewAcquisition {
        owner_id: &'a str,
    },
    DeliverFile {
        acquisition_owner_id: &'a str,
    },
    /// Submitting a draft for review, or closing an acquisition.
    ManageAcquisition {
        owner_id: &'a str,
    },
    /// Approving or rejecting an acquisition.
    ReviewAcquisition {
        owner_id: &'a str,
    },
    /// Reading a delivered file's state, verdicts and errors (quarantine
    /// metadata, never its bytes).
    ViewFile {
        submitter_id: &'a str,
    },
    /// Releasing or rejecting a file that policy held for review.
    ReviewFile {
        submitter_id: &'a str,
    },
    /// Reading a dataset's entry and location; analysts only in zones
    /// they are cleared for.
    ViewDataset {
        zone: &'a ZoneName,
    },
    /// Setting a dataset's tags.
    TagDataset {
        zone: &'a ZoneName,
    },
    /// Reading a dataset's data: an Iceberg table load (which hands out
    /// its files and the zone's read credential) or a download through
    /// Airlock.
    ReadDataset {
        zone: &'a ZoneName,
    },
    /// Asking for a dataset version to move to another zone.
    RequestTransfer(TransferFacts<'a>),
    /// Reading a transfer's state.
    ViewTransfer(TransferFacts<'a>),
    /// A reviewer releasing a transfer that waits for one.
    ReleaseTransfer(TransferFacts<'a>),
    /// Whether a transfer may go without a release.
    TransferWithoutRelease(TransferFacts<'a>),
    /// Whether a file that scanned clean is accepted at all: refused, it
    /// is rejected.
    AcceptFile(CheckedFile<'a>),
    /// Whether an accepted file publishes without a reviewer.
    PublishWithoutReview(CheckedFile<'a>),
}

impl Action<'_> {
    /// The Cedar action's name.
    pub fn name(&self) -> &'static str {
        match self {
            Action::ListZones => "list_zones",
            Action::SearchCatalog => "search_catalog",
            Action::CreateAcquisition => "create_acquisition",
            Action::ReadAudit => "read_audit",
            Action::ListReviews => "list_reviews",
            Action::ManageUsers => "manage_users",
            Action::ViewEngines => "view_engines",
            Action::ViewAcquisition { .. } => "view_acquisition",
            Action::DeliverFile { .. } => "deliver_file",
            Action::ManageAcquisition { .. } => "manage_acquisition",
            Action::ReviewAcquisition { .. } => "review_acquisition",
            Action::ViewFile { .. } => "view_file",
            Action::ReviewFile { .. } => "review_file",
            Action::ViewDataset { .. } => "view_dataset",
            Action::ReadDataset { .. } => "read_dataset",
            Action::TagDataset { .. } => "tag_dataset",
            Action::RequestTransfer(_) => "request_transfer",
            Action::ViewTransfer(_) => "view_transfer",
            Action::ReleaseTransfer(_) => "release_transfer",
            Action::TransferWithoutRelease(_) => "transfer_without_release",
            Action::AcceptFile(_) => "accept_file",
            Action::PublishWithoutReview(_) => "publish_without_review",
        }
    }

    /// What a refusal tells the caller they may not do.
    fn verb(&self) -> &'static str {
        match self {
            Action::ListZones => "list zones",
            Action::SearchCatalog => "search the catalog",
            Action::CreateAcquisition => "register acquisitions",
            Action::ReadAudit => "read the audit log",
            Action::ListReviews => "read the review queue",
            Action::ManageUsers => "manage users",
            Action::ViewEngines => "see the scan engines",
            Action::ViewAcquisition { .. } => "view acquisitions",
            Action::DeliverFile { .. } => "deliver files",
            Action::ManageAcquisition { .. } => "submit or close acquisitions",
            Action::ReviewAcquisition { .. } => "review acquisitions",
            Action::ViewFile { .. } => "view delivered files",
            Action::ReviewFile { .. } => "review files",
            Action::ViewDataset { .. } => "view datasets in this zone",
            Action::ReadDataset { .. } => "read datasets in this zone",
            Action::TagDataset { .. } => "tag datasets",
            Action::RequestTransfer(_) => "request transfers",
            Action::ViewTransfer(_) => "view transfers",
            Action::ReleaseTransfer(_) => "release transfers",
            Action::TransferWithoutRelease(_) => "transfer without a release",
            Action::AcceptFile(_) => "have this file accepted",
            Action::PublishWithoutReview(_) => "publish this file without review",
        }
    }

    /// Every action's name, for `airlock policy explain`.
    pub const NAMES: [&'static str; 22] = [
        "list_zones",
        "search_catalog",
        "create_acquisition",
        "read_audit",
        "list_reviews",
        "manage_users",
        "view_engines",
        "view_acquisition",
        "deliver_file",
        "manage_acquisition",
        "review_acquisition",
        "view_file",
        "review_file",
        "view_dataset",
        "read_dataset",
        "tag_dataset",
        "request_transfer",
        "view_transfer",
        "release_transfer",
        "transfer_without_release",
        "accept_file",
        "publish_without_review",
    ];

    /// The action named `name`, on a resource owned by `owner`, in `zone`,
    /// for the file decisions with `file`'s findings and for transfers
    /// `transfer`.
    pub fn named<'a>(
        name: &str,
        owner: &'a str,
        zone: &'a ZoneName,
        file: CheckedFile<'a>,
        transfer: TransferFacts<'a>,
    ) -> Option<Action<'a>> {
        Some(match name {
            "list_zones" => Action::ListZones,
            "search_catalog" => Action::SearchCatalog,
            "create_acquisition" => Action::CreateAcquisition,
            "read_audit" => Action::ReadAudit,
            "list_reviews" => Action::ListReviews,
            "manage_users" => Action::ManageUsers,
            "view_engines" => Action::ViewEngines,
            "view_acquisition" => Action::ViewAcquisition { owner_id: owner },
            "deliver_file" => Action::DeliverFile {
                acquisition_owner_id: owner,
            },
            "manage_acquisition" => Action::ManageAcquisition { owner_id: owner },
            "review_acquisition" => Action::ReviewAcquisition { owner_id: owner },
            "view_file" => Action::ViewFile {
                submitter_id: owner,
            },
            "review_file" => Action::ReviewFile {
                submitter_id: owner,
            },
            "view_dataset" => Action::ViewDataset { zone },
            "read_dataset" => Action::ReadDataset { zone },
            "tag_dataset" => Action::TagDataset { zone },
            "request_transfer" => Action::RequestTransfer(transfer),
            "view_transfer" => Action::ViewTransfer(transfer),
            "release_transfer" => Action::ReleaseTransfer(transfer),
            "transfer_without_release" => Action::TransferWithoutRelease(transfer),
            "accept_file" => Action::AcceptFile(file),
            "publish_without_review" => Action::PublishWithoutReview(file),
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip() {
        for r in [Role::Engineer, Role::Reviewer, Role::Analyst, Role::Admin] {
            assert_eq!(r.as_str().parse::<Role>().unwrap(), r);
        }
        assert!("root".parse::<Role>().is_err());
    }
}
