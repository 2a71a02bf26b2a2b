//! The authorization matrix: every role against every action, for the
//! caller's own resources and others', in each lake zone, checked against a
//! table of expectations written out here. A change of policy must change
//! this table, in review, where it is plain to read.

use airlock_policies::{Action, Principal, Role, authorize};

const ROLES: [Role; 4] = [Role::Engineer, Role::Reviewer, Role::Analyst, Role::Admin];

/// One row per action: E, R, N (analyst) and A (admin), `y` allowed, `-`
/// refused. `own`: the resource is the caller's; `sandbox` / `corporate`:
/// its zone (the analyst is cleared for the sandbox only).
const EXPECTED: &[(&str, &str)] = &[
    ("list zones", "yyyy"),
    ("create acquisition", "y---"),
    ("view own acquisition", "yy-y"),
    ("view other's acquisition", "-y-y"),
    ("deliver to own acquisition", "y---"),
    ("deliver to other's acquisition", "----"),
    ("view own file", "yy-y"),
    ("view other's file", "-y-y"),
    ("search the catalog", "yyyy"),
    ("view sandbox dataset", "yyyy"),
    ("view corporate dataset", "yy-y"),
    ("read the audit log", "---y"),
];

fn action<'a>(name: &str, me: &'a str, other: &'a str) -> Action<'a> {
    match name {
        "list zones" => Action::ListZones,
        "create acquisition" => Action::CreateAcquisition,
        "view own acquisition" => Action::ViewAcquisition { owner_id: me },
        "view other's acquisition" => Action::ViewAcquisition { owner_id: other },
        "deliver to own acquisition" => Action::DeliverFile {
            acquisition_owner_id: me,
        },
        "deliver to other's acquisition" => Action::DeliverFile {
            acquisition_owner_id: other,
        },
        "view own file" => Action::ViewFile { submitter_id: me },
        "view other's file" => Action::ViewFile {
            submitter_id: other,
        },
        "search the catalog" => Action::SearchCatalog,
        "view sandbox dataset" => Action::ViewDataset { zone: "sandbox" },
        "view corporate dataset" => Action::ViewDataset { zone: "corporate" },
        "read the audit log" => Action::ReadAudit,
        other => panic!("no action {other:?} in the matrix"),
    }
}

#[test]
fn every_role_and_action_decides_as_the_table_says() {
    let mut wrong = Vec::new();
    for (name, row) in EXPECTED {
        assert_eq!(row.len(), ROLES.len(), "{name}");
        for (role, want) in ROLES.iter().zip(row.chars()) {
            let who = Principal {
                user_id: "me".into(),
                name: "me".into(),
                role: *role,
                zones: match role {
                    Role::Analyst => vec!["sandbox".into()],
                    _ => vec![],
                },
            };
            let allowed = authorize(&who, action(name, "me", "someone-else")).is_ok();
            if allowed != (want == 'y') {
                wrong.push(format!("{role:?} {name}: allowed = {allowed}"));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "decisions that differ from the table: {wrong:#?}"
    );
}
