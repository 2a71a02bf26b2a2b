//! The Cedar policy set: loading and validating policy files, and putting
//! each [`Action`] to it as a Cedar request.
//!
//! Policies are named by their `@id` annotation, or else by file and line
//! (`access.cedar:12`), so an explanation or an audit event points at the
//! text that decided. A refusal tells the caller the `@reason` of the
//! policy that forbade it, or that their role may not do it.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use cedar_policy::{
    Authorizer, Context, Decision, Effect, Entities, Entity, EntityId, EntityTypeName, EntityUid,
    PolicyId, PolicySet, Request, RestrictedExpression, Schema, ValidationMode, Validator,
};
use miette::Diagnostic;
use serde::{Deserialize, Serialize};

use airlock_zones::{Classification, ZoneName};

use crate::{Action, PolicyError, Principal};

/// The schema every policy set is validated against: the shape of the
/// requests this crate builds.
pub const SCHEMA: &str = include_str!("../cedar/airlock.cedarschema");
const SCHEMA_FILE: &str = "airlock.cedarschema";

/// One policy file's name and text.
#[derive(Debug, Clone)]
pub struct PolicyFile {
    pub name: String,
    pub text: String,
}

impl PolicyFile {
    /// The policies shipped with Airlock (`policies/cedar/*.cedar`), used
    /// when no policy directory is configured.
    pub fn defaults() -> Vec<PolicyFile> {
        [
            ("access.cedar", include_str!("../cedar/access.cedar")),
            ("publish.cedar", include_str!("../cedar/publish.cedar")),
        ]
        .into_iter()
        .map(|(name, text)| PolicyFile {
            name: name.into(),
            text: text.into(),
        })
        .collect()
    }
}

/// What the checks found in a converted file: the context of the
/// `accept_file` and `publish_without_review` decisions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Findings {
    #[serde(default)]
    pub verdicts: Vec<String>,
    #[serde(default)]
    pub personal_data_declared: bool,
    #[serde(default)]
    pub pii_kinds: Vec<String>,
    #[serde(default)]
    pub pii_columns: u64,
    #[serde(default)]
    pub contract_declared: bool,
    #[serde(default)]
    pub schema_violations: u64,
    #[serde(default)]
    pub rows: u64,
}

/// A checked file, as the file decisions see it.
#[derive(Debug, Clone, Copy)]
pub struct CheckedFile<'a> {
    pub submitter_id: &'a str,
    pub zone: &'a ZoneName,
    pub classification: Classification,
    pub findings: &'a Findings,
}

/// A requested transfer, as its decisions see it.
#[derive(Debug, Clone, Copy)]
pub struct TransferFacts<'a> {
    pub requester_id: &'a str,
    pub from_zone: &'a ZoneName,
    pub to_zone: &'a ZoneName,
    /// The dataset's; `None` where it is not known (a view of the
    /// transfer, a source no longer published).
    pub classification: Option<Classification>,
    /// From a sensitive zone into a non-sensitive one.
    pub export: bool,
}

/// What becomes of a checked file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileOutcome {
    /// Published at once.
    Publish { policies: Vec<String> },
    /// Held for a reviewer: no policy lets it publish without one.
    Review { policies: Vec<String> },
    /// Refused, with the forbidding policy's reason.
    Reject {
        reason: String,
        policies: Vec<String>,
    },
}

/// Which policies decided a request, and how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Explanation {
    pub action: &'static str,
    pub allowed: bool,
    /// Policies that were satisfied: the permits when allowed, the forbids
    /// when refused by one, else none.
    pub permitted_by: Vec<String>,
    pub forbidden_by: Vec<String>,
    /// Policies that failed to evaluate (they count as not satisfied).
    pub errors: Vec<String>,
    /// What a refused caller is told.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verdict = if self.allowed { "allow" } else { "deny" };
        writeln!(f, "{}: {verdict}", self.action)?;
        for p in &self.permitted_by {
            writeln!(f, "  permitted by {p}")?;
        }
        for p in &self.forbidden_by {
            writeln!(f, "  forbidden by {p}")?;
        }
        if !self.allowed && self.forbidden_by.is_empty() {
            writeln!(f, "  no policy permits it")?;
        }
        for e in &self.errors {
            writeln!(f, "  error: {e}")?;
        }
        if let Some(m) = &self.message {
            writeln!(f, "  the caller is told: {m}")?;
        }
        Ok(())
    }
}

/// A validated policy set.
pub struct Policies {
    set: PolicySet,
    schema: Schema,
    /// Where each policy is written: `access.cedar:12`.
    places: HashMap<PolicyId, String>,
    authorizer: Authorizer,
}

impl fmt::Debug for Policies {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Policies")
            .field("policies", &self.places.len())
            .finish()
    }
}

/// The 1-based line of byte `offset` in `text`.
fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// The first labelled line of a Cedar diagnostic, and its message with the
/// help Cedar offers.
fn diagnostic(text: &str, d: &dyn Diagnostic, fallback_line: usize) -> (usize, String) {
    let line = d
        .labels()
        .and_then(|mut l| l.next())
        .map(|l| line_of(text, l.offset()))
        .unwrap_or(fallback_line);
    let mut message = d.to_string();
    if let Some(help) = d.help() {
        message.push_str(&format!(" ({help})"));
    }
    (line, message)
}

fn uid(kind: &str, id: &str) -> Result<EntityUid, PolicyError> {
    let kind = EntityTypeName::from_str(kind).map_err(|e| PolicyError::Request(e.to_string()))?;
    Ok(EntityUid::from_type_name_and_id(kind, EntityId::new(id)))
}

fn text_set(items: &[String]) -> RestrictedExpression {
    RestrictedExpression::new_set(items.iter().cloned().map(RestrictedExpression::new_string))
}

fn long(n: u64) -> RestrictedExpression {
    RestrictedExpression::new_long(i64::try_from(n).unwrap_or(i64::MAX))
}

impl Policies {
    /// The shipped policies.
    pub fn embedded() -> Result<Policies, PolicyError> {
        Self::load(&PolicyFile::defaults())
    }

    /// Parses `files` and validates them, strictly, against [`SCHEMA`].
    /// The first error names its file and line.
    pub fn load(files: &[PolicyFile]) -> Result<Policies, PolicyError> {
        let (schema, _warnings) = Schema::from_cedarschema_str(SCHEMA).map_err(|e| {
            let (line, message) = diagnostic(SCHEMA, &e, 1);
            PolicyError::Invalid {
                file: SCHEMA_FILE.into(),
                line,
                message,
            }
        })?;
        let mut set = PolicySet::new();
        let mut places: HashMap<PolicyId, String> = HashMap::new();
        let mut sources: HashMap<PolicyId, (&PolicyFile, usize)> = HashMap::new();
        for file in files {
            let invalid = |line, message| PolicyError::Invalid {
                file: file.name.clone(),
                line,
                message,
            };
            let parsed = PolicySet::from_str(&file.text).map_err(|e| {
                let (line, message) = diagnostic(&file.text, &e, 1);
                invalid(line, message)
            })?;
            if parsed.templates().next().is_some() {
                return Err(invalid(1, "policy templates are not supported".into()));
            }
            // Parsed policies are named policy0, policy1, … in the order
            // written; find each one's text to know its line.
            let mut policies: Vec<_> = parsed.policies().collect();
            policies.sort_by_key(|p| {
                p.id()
                    .to_string()
                    .trim_start_matches("policy")
                    .parse::<usize>()
                    .unwrap_or(usize::MAX)
            });
            let mut from = 0;
            for policy in policies {
                let text = policy.to_cedar().unwrap_or_default();
                let at = file.text[from..].find(&text).map_or(from, |i| from + i);
                from = at + text.len();
                let line = line_of(&file.text, at);
                let place = format!("{}:{line}", file.name);
                let id = PolicyId::new(policy.annotation("id").unwrap_or(&place));
                if let Some(earlier) = places.get(&id) {
                    return Err(invalid(
                        line,
                        format!("policy id {id} is already used at {earlier}"),
                    ));
                }
                set.add(policy.new_id(id.clone()))
                    .map_err(|e| invalid(line, e.to_string()))?;
                places.insert(id.clone(), place);
                sources.insert(id, (file, line));
            }
        }
        let result = Validator::new(schema.clone()).validate(&set, ValidationMode::Strict);
        if let Some(e) = result.validation_errors().next() {
            let (file, line) = sources[e.policy_id()];
            let (line, message) = diagnostic(&file.text, e, line);
            return Err(PolicyError::Invalid {
                file: file.name.clone(),
                line,
                message,
            });
        }
        Ok(Policies {
            set,
            schema,
            places,
            authorizer: Authorizer::new(),
        })
    }

    /// How many policies the set holds.
    pub fn len(&self) -> usize {
        self.places.len()
    }

    pub fn is_empty(&self) -> bool {
        self.places.is_empty()
    }

    /// Allows `action` for `who`, returning the policies that permitted
    /// it (for the audit log), or refuses it with the reason to show.
    pub fn authorize(
        &self,
        who: &Principal,
        action: Action<'_>,
    ) -> Result<Vec<String>, PolicyError> {
        let e = self.explain(who, action)?;
        match e.message {
            None => Ok(e.permitted_by),
            Some(message) => Err(PolicyError::Denied {
                message,
                policies: e.forbidden_by,
            }),
        }
    }

    /// Decides what becomes of a file that scanned clean: rejected if
    /// `accept_file` is refused, published if `publish_without_review` is
    /// allowed, else held for a reviewer.
    pub fn decide_file(
        &self,
        submitter: &Principal,
        file: CheckedFile<'_>,
    ) -> Result<FileOutcome, PolicyError> {
        let accept = self.explain(submitter, Action::AcceptFile(file))?;
        if !accept.allowed {
            return Ok(FileOutcome::Reject {
                reason: accept
                    .message
                    .unwrap_or_else(|| "no policy accepts the file".into()),
                policies: accept.forbidden_by,
            });
        }
        let publish = self.explain(submitter, Action::PublishWithoutReview(file))?;
        Ok(if publish.allowed {
            FileOutcome::Publish {
                policies: publish.permitted_by,
            }
        } else {
            FileOutcome::Review {
                policies: publish.forbidden_by,
            }
        })
    }

    /// Puts `action` to the policy set and reports which policies decided.
    pub fn explain(&self, who: &Principal, action: Action<'_>) -> Result<Explanation, PolicyError> {
        let (request, entities) = self.request(who, action)?;
        let response = self
            .authorizer
            .is_authorized(&request, &self.set, &entities);
        let allowed = response.decision() == Decision::Allow;
        let mut permitted_by = Vec::new();
        let mut forbidden_by = Vec::new();
        let mut reasons = Vec::new();
        for id in response.diagnostics().reason() {
            let named = format!("{id} ({})", self.places[id]);
            match self.set.policy(id).map(|p| p.effect()) {
                Some(Effect::Forbid) => {
                    reasons.extend(self.set.annotation(id, "reason").map(str::to_owned));
                    forbidden_by.push(named);
                }
                _ => permitted_by.push(named),
            }
        }
        let errors = response
            .diagnostics()
            .errors()
            .map(|e| e.to_string())
            .collect();
        let message = (!allowed).then(|| {
            reasons.sort();
            reasons
                .into_iter()
                .next()
                .unwrap_or_else(|| format!("{} may not {}", who.role, action.verb()))
        });
        Ok(Explanation {
            action: action.name(),
            allowed,
            permitted_by,
            forbidden_by,
            errors,
            message,
        })
    }

    /// The Cedar request for `action` by `who`, and the entities it names.
    fn request(
        &self,
        who: &Principal,
        action: Action<'_>,
    ) -> Result<(Request, Entities), PolicyError> {
        let err = |e: &dyn fmt::Display| PolicyError::Request(e.to_string());
        let principal = uid("User", &who.user_id)?;
        let user = Entity::new(
            principal.clone(),
            HashMap::from([
                (
                    "role".to_owned(),
                    RestrictedExpression::new_string(who.role.as_str().into()),
                ),
                (
                    "zones".to_owned(),
                    RestrictedExpression::new_set(
                        who.zones
                            .zones()
                            .iter()
                            .map(|z| RestrictedExpression::new_string(z.to_string())),
                    ),
                ),
            ]),
            Default::default(),
        )
        .map_err(|e| err(&e))?;
        let owned = |kind: &str, owner: &str| -> Result<_, PolicyError> {
            Ok((
                uid(kind, "")?,
                vec![(
                    "owner".to_owned(),
                    RestrictedExpression::new_entity_uid(uid("User", owner)?),
                )],
            ))
        };
        // A file being viewed has no zone or classification facts yet.
        let zoned = |kind: &str,
                     zone: Option<&ZoneName>,
                     classification: Option<Classification>|
         -> Result<_, PolicyError> {
            Ok((
                uid(kind, "")?,
                vec![
                    (
                        "zone".to_owned(),
                        RestrictedExpression::new_string(zone.map_or("", ZoneName::as_str).into()),
                    ),
                    (
                        "classification".to_owned(),
                        RestrictedExpression::new_string(
                            classification.map_or("", Classification::as_str).into(),
                        ),
                    ),
                ],
            ))
        };
        let mut context = Context::empty();
        let (resource, attrs) = match action {
            Action::ListZones | Action::SearchCatalog | Action::CreateAcquisition => {
                (uid("Airlock", "catalog")?, vec![])
            }
            Action::ReadAudit => (uid("Airlock", "audit")?, vec![]),
            Action::ListReviews => (uid("Airlock", "reviews")?, vec![]),
            Action::ManageUsers => (uid("Airlock", "users")?, vec![]),
            Action::ViewEngines => (uid("Airlock", "engines")?, vec![]),
            Action::ViewAcquisition { owner_id }
            | Action::ManageAcquisition { owner_id }
            | Action::ReviewAcquisition { owner_id }
            | Action::DeliverFile {
                acquisition_owner_id: owner_id,
            } => owned("Acquisition", owner_id)?,
            Action::ViewFile { submitter_id } | Action::ReviewFile { submitter_id } => {
                let (uid, mut attrs) = owned("File", submitter_id)?;
                attrs.extend(zoned("File", None, None)?.1);
                (uid, attrs)
            }
            Action::ViewDataset { zone }
            | Action::ReadDataset { zone }
            | Action::TagDataset { zone } => zoned("Dataset", Some(zone), None)?,
            Action::RequestTransfer(t)
            | Action::ViewTransfer(t)
            | Action::ReleaseTransfer(t)
            | Action::TransferWithoutRelease(t) => {
                let (uid, mut attrs) = owned("Transfer", t.requester_id)?;
                let text =
                    |k: &str, v: &str| (k.to_owned(), RestrictedExpression::new_string(v.into()));
                attrs.extend([
                    text("from_zone", t.from_zone.as_str()),
                    text("to_zone", t.to_zone.as_str()),
                    text(
                        "classification",
                        t.classification.map_or("", Classification::as_str),
                    ),
                    (
                        "export".to_owned(),
                        RestrictedExpression::new_bool(t.export),
                    ),
                ]);
                (uid, attrs)
            }
            Action::AcceptFile(file) | Action::PublishWithoutReview(file) => {
                let f = file.findings;
                context = Context::from_pairs([
                    ("verdicts".to_owned(), text_set(&f.verdicts)),
                    (
                        "personal_data_declared".to_owned(),
                        RestrictedExpression::new_bool(f.personal_data_declared),
                    ),
                    ("pii_kinds".to_owned(), text_set(&f.pii_kinds)),
                    ("pii_columns".to_owned(), long(f.pii_columns)),
                    (
                        "contract_declared".to_owned(),
                        RestrictedExpression::new_bool(f.contract_declared),
                    ),
                    ("schema_violations".to_owned(), long(f.schema_violations)),
                    ("rows".to_owned(), long(f.rows)),
                ])
                .map_err(|e| err(&e))?;
                let (uid, mut attrs) = owned("File", file.submitter_id)?;
                attrs.extend(zoned("File", Some(file.zone), Some(file.classification))?.1);
                (uid, attrs)
            }
        };
        let resource_entity = Entity::new(
            resource.clone(),
            attrs.into_iter().collect(),
            Default::default(),
        )
        .map_err(|e| err(&e))?;
        let entities = Entities::from_entities([user, resource_entity], Some(&self.schema))
            .map_err(|e| err(&e))?;
        let action_uid = uid("Action", action.name())?;
        let request = Request::new(principal, action_uid, resource, context, Some(&self.schema))
            .map_err(|e| err(&e))?;
        Ok((request, entities))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Role;

    fn who(role: Role, id: &str) -> Principal {
        Principal {
            user_id: id.into(),
            name: id.into(),
            role,
            zones: "sandbox".parse().unwrap(),
        }
    }

    fn load(text: &str) -> Result<Policies, PolicyError> {
        let mut files = PolicyFile::defaults();
        files.push(PolicyFile {
            name: "local.cedar".into(),
            text: text.into(),
        });
        Policies::load(&files)
    }

    #[test]
    fn the_shipped_policies_validate_and_are_named_by_their_ids() {
        let p = Policies::embedded().unwrap();
        assert!(p.len() >= 10, "{p:?}");
        let e = p
            .explain(&who(Role::Admin, "a"), Action::ReadAudit)
            .unwrap();
        assert!(e.allowed);
        let text = include_str!("../cedar/access.cedar");
        let line = text
            .lines()
            .position(|l| l == "@id(\"admins-read-the-audit-log\")")
            .unwrap()
            + 1;
        assert_eq!(
            e.permitted_by,
            [format!("admins-read-the-audit-log (access.cedar:{line})")]
        );
    }

    #[test]
    fn a_broken_file_is_refused_with_its_file_and_line() {
        let cases = [
            // A syntax error.
            (
                "\n\npermit (principal, action, resource) when { ;",
                3,
                "unexpected token",
            ),
            // An attribute the schema does not know.
            (
                "permit (principal, action == Action::\"view_dataset\", resource)\n\
                 when {\n  resource.owner == principal };",
                3,
                "owner",
            ),
            // An action the schema does not know.
            (
                "// local rules\n\n\npermit (principal, action == Action::\"delete_lake\", resource);",
                4,
                "delete_lake",
            ),
            // A second policy of the same id.
            (
                "@id(\"four-eyes\")\npermit (principal, action, resource);",
                1,
                "already used at access.cedar:",
            ),
        ];
        for (text, line, needle) in cases {
            match load(text) {
                Err(PolicyError::Invalid {
                    file,
                    line: at,
                    message,
                }) => {
                    assert_eq!((file.as_str(), at), ("local.cedar", line), "{message}");
                    assert!(message.contains(needle), "{needle:?} not in {message:?}");
                }
                other => panic!("{text:?} loaded: {other:?}"),
            }
        }
    }

    #[test]
    fn a_forbid_tells_the_caller_its_reason_and_names_itself() {
        let p = Policies::embedded().unwrap();
        let me = who(Role::Reviewer, "r1");
        match p.authorize(&me, Action::ReviewFile { submitter_id: "r1" }) {
            Err(PolicyError::Denied { message, policies }) => {
                assert_eq!(message, "nobody may review what they submitted themselves");
                assert_eq!(policies.len(), 1);
                assert!(
                    policies[0].starts_with("four-eyes (access.cedar:"),
                    "{policies:?}"
                );
            }
            other => panic!("{other:?}"),
        }
        let err = p
            .authorize(
                &who(Role::Engineer, "e1"),
                Action::DeliverFile {
                    acquisition_owner_id: "e2",
                },
            )
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "only the acquisition's owner may deliver files to it"
        );
        // Refused because nothing permits it: the role is named.
        let err = p
            .authorize(
                &who(Role::Analyst, "n"),
                Action::ViewDataset {
                    zone: &"corporate".parse().unwrap(),
                },
            )
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "analyst may not view datasets in this zone"
        );
    }

    fn decide(p: &Policies, findings: &Findings) -> FileOutcome {
        let file = CheckedFile {
            submitter_id: "e1",
            zone: &"sandbox".parse().unwrap(),
            classification: Classification::Official,
            findings,
        };
        p.decide_file(&who(Role::Engineer, "e1"), file).unwrap()
    }

    #[test]
    fn files_publish_wait_for_review_or_are_rejected_as_the_policies_say() {
        let p = Policies::embedded().unwrap();
        let clean = Findings {
            verdicts: vec!["clean".into()],
            rows: 10,
            ..Findings::default()
        };
        assert!(matches!(decide(&p, &clean), FileOutcome::Publish { .. }));

        let undeclared = Findings {
            pii_kinds: vec!["email".into()],
            pii_columns: 1,
            ..clean.clone()
        };
        match decide(&p, &undeclared) {
            FileOutcome::Review { .. } => {}
            other => panic!("{other:?}"),
        }
        let declared = Findings {
            personal_data_declared: true,
            ..undeclared.clone()
        };
        assert!(matches!(decide(&p, &declared), FileOutcome::Publish { .. }));

        let breach = Findings {
            contract_declared: true,
            schema_violations: 3,
            ..declared
        };
        match decide(&p, &breach) {
            FileOutcome::Reject { reason, policies } => {
                assert_eq!(reason, "the file breaks the acquisition's declared schema");
                assert!(
                    policies[0].starts_with("reject-contract-breaches"),
                    "{policies:?}"
                );
            }
            other => panic!("{other:?}"),
        }

        // A local policy can let contract breaches through to a reviewer.
        let lenient = Policies::load(&[
            PolicyFile {
                name: "access.cedar".into(),
                text: include_str!("../cedar/access.cedar").into(),
            },
            PolicyFile {
                name: "publish.cedar".into(),
                text: "permit (principal, action == Action::\"accept_file\", resource);\n\
                       permit (principal, action == Action::\"publish_without_review\", resource)\n\
                       when { context.schema_violations == 0 };"
                    .into(),
            },
        ])
        .unwrap();
        match decide(&lenient, &breach) {
            FileOutcome::Review { policies } => assert!(policies.is_empty()),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn exports_wait_for_a_release_and_other_transfers_need_none() {
        let p = Policies::embedded().unwrap();
        let (corporate, sandbox, archive): (ZoneName, ZoneName, ZoneName) = (
            "corporate".parse().unwrap(),
            "sandbox".parse().unwrap(),
            "archive".parse().unwrap(),
        );
        let facts = |export| TransferFacts {
            requester_id: "e1",
            from_zone: &corporate,
            to_zone: if export { &sandbox } else { &archive },
            classification: Some(Classification::Official),
            export,
        };
        let e = who(Role::Engineer, "e1");
        assert!(
            p.authorize(&e, Action::TransferWithoutRelease(facts(true)))
                .is_err()
        );
        assert!(
            p.authorize(&e, Action::TransferWithoutRelease(facts(false)))
                .is_ok()
        );
        let err = p
            .authorize(
                &who(Role::Reviewer, "e1"),
                Action::ReleaseTransfer(facts(true)),
            )
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "nobody may review what they submitted themselves"
        );
        assert!(
            p.authorize(
                &who(Role::Reviewer, "r1"),
                Action::ReleaseTransfer(facts(true))
            )
            .is_ok()
        );
    }

    #[test]
    fn explanations_print_the_deciding_policies() {
        let p = Policies::embedded().unwrap();
        let e = p
            .explain(
                &who(Role::Reviewer, "r1"),
                Action::ReviewAcquisition { owner_id: "r1" },
            )
            .unwrap();
        let text = e.to_string();
        assert!(text.starts_with("review_acquisition: deny\n"), "{text}");
        assert!(
            text.contains("forbidden by four-eyes (access.cedar:"),
            "{text}"
        );
        assert!(
            text.contains("the caller is told: nobody may review what they submitted themselves"),
            "{text}"
        );
    }
}
