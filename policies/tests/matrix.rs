//! The authorization matrix: every role against every action, for the
//! caller's own resources and others', in each lake zone, checked against a
//! table of expectations written out here. A change of policy must change
//! this table, in review, where it is plain to read.

use airlock_policies::{Action, CheckedFile, Findings, Policies, Principal, Role, TransferFacts};
use airlock_zones::{Classification, ZoneName};

const ROLES: [Role; 4] = [Role::Engineer, Role::Reviewer, Role::Analyst, Role::Admin];

/// One row per action: E, R, N (analyst) and A (admin), `y` allowed, `-`
/// refused. `own`: the resource is the caller's; `other's`: someone
/// else's; `sandbox` / `corporate`: its zone (the analyst is cleared for
/// the sandbox only).
const EXPECTED: &[(&str, &str)] = &[
    ("list_zones", "yyyy"),
    ("search_catalog", "yyyy"),
    ("create_acquisition", "yy--"),
    ("read_audit", "---y"),
    ("manage_users", "---y"),
    ("view_engines", "---y"),
    ("list_reviews", "-y-y"),
    ("view_acquisition own", "yy-y"),
    ("view_acquisition other's", "-y-y"),
    ("deliver_file own", "yy--"),
    ("deliver_file other's", "----"),
    ("manage_acquisition own", "yy-y"),
    ("manage_acquisition other's", "---y"),
    ("review_acquisition own", "----"),
    ("review_acquisition other's", "-y--"),
    ("view_file own", "yy-y"),
    ("view_file other's", "-y-y"),
    ("review_file own", "----"),
    ("review_file other's", "-y--"),
    ("view_dataset sandbox", "yyyy"),
    ("view_dataset corporate", "yy-y"),
    ("read_dataset sandbox", "yyyy"),
    ("read_dataset corporate", "yy-y"),
    ("tag_dataset sandbox", "yy--"),
    ("tag_dataset corporate", "yy--"),
    ("request_transfer own", "yy--"),
    ("view_transfer own", "yy-y"),
    ("view_transfer other's", "-y-y"),
    ("release_transfer own", "----"),
    ("release_transfer other's", "-y--"),
];

#[test]
fn every_role_and_action_decides_as_the_table_says() {
    let policies = Policies::embedded().unwrap();
    let findings = Findings::default();
    let zone_named = |z: &str| -> ZoneName { z.parse().unwrap() };
    let (sandbox, corporate) = (zone_named("sandbox"), zone_named("corporate"));
    let file = CheckedFile {
        submitter_id: "me",
        zone: &sandbox,
        classification: Classification::Official,
        findings: &findings,
    };
    let mut wrong = Vec::new();
    for (row_name, row) in EXPECTED {
        assert_eq!(row.len(), ROLES.len(), "{row_name}");
        let (name, on) = row_name.split_once(' ').unwrap_or((row_name, ""));
        // Actions on no zone are given one they ignore.
        let (owner, zone) = match on {
            "own" => ("me", sandbox.clone()),
            "other's" => ("someone-else", sandbox.clone()),
            "" => ("", sandbox.clone()),
            zone => ("", zone_named(zone)),
        };
        let transfer = TransferFacts {
            requester_id: owner,
            from_zone: &corporate,
            to_zone: &sandbox,
            classification: Some(Classification::Official),
            export: true,
        };
        let action = Action::named(name, owner, &zone, file, transfer).expect(name);
        for (role, want) in ROLES.iter().zip(row.chars()) {
            let who = Principal {
                user_id: "me".into(),
                name: "me".into(),
                role: *role,
                zones: match role {
                    Role::Analyst => "sandbox".parse().unwrap(),
                    _ => Default::default(),
                },
            };
            let allowed = policies.authorize(&who, action).is_ok();
            if allowed != (want == 'y') {
                wrong.push(format!("{role:?} {row_name}: allowed = {allowed}"));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "decisions that differ from the table: {wrong:#?}"
    );
}

#[test]
fn the_table_covers_every_request_action() {
    let file_decisions = [
        "accept_file",
        "publish_without_review",
        "transfer_without_release",
    ];
    for name in Action::NAMES {
        let in_table = EXPECTED
            .iter()
            .any(|(row, _)| row.split(' ').next() == Some(name));
        assert!(
            in_table || file_decisions.contains(&name),
            "{name} has no row in the matrix"
        );
    }
}
