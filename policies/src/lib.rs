//! Authorization decisions for Airlock.
//!
//! Key decision: every decision is a pure function of a principal, an action
//! and the facts about the resource that the caller has already loaded. This
//! crate does no I/O, so every rule is unit-testable and the HTTP layer cannot
//! forget to ask: a handler that touches a resource must name an [`Action`].
//!
//! Today the rules are a role matrix in Rust; the governance work replaces
//! the matrix with Cedar policy files behind the same [`authorize`] call.

pub mod pii;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A refused request, with the reason shown to the caller.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PolicyError {
    #[error("{role} may not {action}")]
    RoleDenied { role: Role, action: &'static str },
    #[error("only the acquisition's owner may deliver files to it")]
    NotOwner,
    #[error("unknown role {0:?} (expected engineer, reviewer, analyst or admin)")]
    UnknownRole(String),
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
    pub zones: Vec<String>,
}

/// What the caller wants to do, with the facts about the resource that the
/// decision needs.
#[derive(Debug, Clone, Copy)]
pub enum Action<'a> {
    ListZones,
    CreateAcquisition,
    ViewAcquisition {
        owner_id: &'a str,
    },
    DeliverFile {
        acquisition_owner_id: &'a str,
    },
    /// Reading a delivered file's state, verdicts and errors (quarantine
    /// metadata, never its bytes).
    ViewFile {
        submitter_id: &'a str,
    },
    SearchCatalog,
    /// Reading a dataset's entry and location; analysts only in zones
    /// they are cleared for.
    ViewDataset {
        zone: &'a str,
    },
    /// Reading the audit log.
    ReadAudit,
}

impl Action<'_> {
    fn verb(&self) -> &'static str {
        match self {
            Action::ListZones => "list zones",
            Action::CreateAcquisition => "register acquisitions",
            Action::ViewAcquisition { .. } => "view acquisitions",
            Action::DeliverFile { .. } => "deliver files",
            Action::ViewFile { .. } => "view delivered files",
            Action::SearchCatalog => "search the catalog",
            Action::ViewDataset { .. } => "view datasets in this zone",
            Action::ReadAudit => "read the audit log",
        }
    }
}

/// Allows or refuses `action` for `who`.
pub fn authorize(who: &Principal, action: Action<'_>) -> Result<(), PolicyError> {
    use Role::*;
    let deny = || PolicyError::RoleDenied {
        role: who.role,
        action: action.verb(),
    };
    match (action, who.role) {
        (Action::ListZones | Action::SearchCatalog, _) => Ok(()),
        (Action::ViewDataset { zone }, Analyst) if !who.zones.iter().any(|z| z == zone) => {
            Err(deny())
        }
        (Action::ViewDataset { .. }, _) => Ok(()),
        (Action::CreateAcquisition, Engineer) => Ok(()),
        (Action::ReadAudit, Admin) => Ok(()),
        (
            Action::DeliverFile {
                acquisition_owner_id,
            },
            Engineer,
        ) => {
            if acquisition_owner_id == who.user_id {
                Ok(())
            } else {
                Err(PolicyError::NotOwner)
            }
        }
        // Engineers see their own; reviewers and admins see everything they
        // may have to judge. Analysts never see quarantine.
        (
            Action::ViewAcquisition { owner_id: id } | Action::ViewFile { submitter_id: id },
            role,
        ) => match role {
            Reviewer | Admin => Ok(()),
            Engineer if id == who.user_id => Ok(()),
            _ => Err(deny()),
        },
        _ => Err(deny()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(role: Role, id: &str) -> Principal {
        Principal {
            user_id: id.into(),
            name: id.into(),
            role,
            zones: vec!["sandbox".into()],
        }
    }

    #[test]
    fn only_engineers_register_and_deliver() {
        assert!(authorize(&p(Role::Engineer, "e"), Action::CreateAcquisition).is_ok());
        for r in [Role::Reviewer, Role::Analyst, Role::Admin] {
            assert!(authorize(&p(r, "x"), Action::CreateAcquisition).is_err());
            assert!(
                authorize(
                    &p(r, "x"),
                    Action::DeliverFile {
                        acquisition_owner_id: "x"
                    }
                )
                .is_err()
            );
        }
    }

    #[test]
    fn analysts_read_only_datasets_in_zones_they_are_cleared_for() {
        let sandbox = Action::ViewDataset { zone: "sandbox" };
        let corporate = Action::ViewDataset { zone: "corporate" };
        assert!(authorize(&p(Role::Analyst, "a"), sandbox).is_ok());
        let err = authorize(&p(Role::Analyst, "a"), corporate).unwrap_err();
        assert_eq!(
            err.to_string(),
            "analyst may not view datasets in this zone"
        );
        for r in [Role::Engineer, Role::Reviewer, Role::Admin] {
            assert!(authorize(&p(r, "x"), corporate).is_ok());
        }
    }

    #[test]
    fn only_admins_read_the_audit_log() {
        assert!(authorize(&p(Role::Admin, "a"), Action::ReadAudit).is_ok());
        for r in [Role::Engineer, Role::Reviewer, Role::Analyst] {
            let err = authorize(&p(r, "x"), Action::ReadAudit).unwrap_err();
            assert!(
                err.to_string().ends_with("may not read the audit log"),
                "{err}"
            );
        }
    }

    #[test]
    fn engineers_deliver_only_to_their_own_acquisitions() {
        let e = p(Role::Engineer, "e1");
        assert!(
            authorize(
                &e,
                Action::DeliverFile {
                    acquisition_owner_id: "e1"
                }
            )
            .is_ok()
        );
        assert_eq!(
            authorize(
                &e,
                Action::DeliverFile {
                    acquisition_owner_id: "e2"
                }
            ),
            Err(PolicyError::NotOwner)
        );
    }

    #[test]
    fn quarantine_metadata_is_not_for_analysts_or_other_engineers() {
        let view = Action::ViewFile { submitter_id: "e1" };
        assert!(authorize(&p(Role::Engineer, "e1"), view).is_ok());
        assert!(authorize(&p(Role::Engineer, "e2"), view).is_err());
        assert!(authorize(&p(Role::Reviewer, "r"), view).is_ok());
        assert!(authorize(&p(Role::Admin, "a"), view).is_ok());
        let err = authorize(&p(Role::Analyst, "a"), view).unwrap_err();
        assert_eq!(err.to_string(), "analyst may not view delivered files");
    }

    #[test]
    fn roles_round_trip() {
        for r in [Role::Engineer, Role::Reviewer, Role::Analyst, Role::Admin] {
            assert_eq!(r.as_str().parse::<Role>().unwrap(), r);
        }
        assert!("root".parse::<Role>().is_err());
    }
}
