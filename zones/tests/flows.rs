//! A property test of the one-way rules: random zone configurations, and
//! random sequences of transfers in those that validate, never move data
//! from a non-sensitive zone into a sensitive one (directly or through
//! other zones) nor into a zone whose ceiling is below the data's
//! classification.

use airlock_zones::{Classification, Zone, ZoneKind, ZoneSet};

/// xorshift64*: a deterministic generator, so a failure replays.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n as u64) as usize
    }
}

const KINDS: [ZoneKind; 3] = [
    ZoneKind::Ingest,
    ZoneKind::Sensitive,
    ZoneKind::NonSensitive,
];

/// Two to six zones of random kinds and ceilings, each accepting from a
/// random subset of the others; the first is an ingest zone.
fn config(r: &mut Rng) -> Vec<Zone> {
    let n = 2 + r.below(5);
    let names: Vec<String> = (0..n).map(|i| format!("z{i}")).collect();
    (0..n)
        .map(|i| Zone {
            name: names[i].parse().unwrap(),
            kind: if i == 0 {
                ZoneKind::Ingest
            } else {
                KINDS[r.below(3)]
            },
            ceiling: Classification::ALL[r.below(Classification::ALL.len())],
            lake: None,
            accepts_from: (0..n)
                .filter(|&j| r.below(3) == 0 && j != i || (j == 0 && r.below(2) == 0))
                .map(|j| names[j].parse().unwrap())
                .collect(),
        })
        .collect()
}

/// A dataset copy: where it is, its classification, and whether it ever
/// lived in a non-sensitive zone.
struct Held {
    zone: String,
    classification: Classification,
    been_non_sensitive: bool,
}

#[test]
fn random_transfers_never_open_a_forbidden_flow() {
    let mut r = Rng(0xa1b2_c3d4_e5f6_0718);
    let (mut valid, mut moved) = (0, 0);
    for _ in 0..50_000 {
        let zones = config(&mut r);
        let Ok(set) = ZoneSet::new(zones) else {
            continue;
        };
        valid += 1;
        let names: Vec<String> = set.iter().map(|z| z.name.to_string()).collect();
        let kind = |name: &str| set.get(name).unwrap().kind;
        // Deliveries from outside, as ingestion allows them.
        let mut held: Vec<Held> = Vec::new();
        for _ in 0..8 {
            let zone = &names[r.below(names.len())];
            let c = Classification::ALL[r.below(Classification::ALL.len())];
            if let Ok(z) = set.check_ingest(zone, c) {
                assert!(c <= z.ceiling, "ingested above the ceiling of {zone}");
                held.push(Held {
                    zone: zone.clone(),
                    classification: c,
                    been_non_sensitive: z.kind == ZoneKind::NonSensitive,
                });
            }
        }
        // Then random transfers of random copies.
        for _ in 0..200 {
            if held.is_empty() {
                break;
            }
            let h = &held[r.below(held.len())];
            let to = &names[r.below(names.len())];
            let Ok(dst) = set.check_transfer(&h.zone, to, h.classification) else {
                continue;
            };
            moved += 1;
            assert!(
                h.classification <= dst.ceiling,
                "{to} holds data above its ceiling"
            );
            assert!(
                !(h.been_non_sensitive && dst.kind == ZoneKind::Sensitive),
                "data from a non-sensitive zone reached sensitive {to} (via {})",
                h.zone
            );
            assert_ne!(kind(to), ZoneKind::Ingest);
            let been = h.been_non_sensitive || dst.kind == ZoneKind::NonSensitive;
            held.push(Held {
                zone: to.clone(),
                classification: h.classification,
                been_non_sensitive: been,
            });
        }
    }
    println!("{valid} valid configurations, {moved} transfers allowed");
    // The generator must reach the interesting cases, or the test proves
    // nothing.
    assert!(valid > 2000, "only {valid} configurations validated");
    assert!(moved > 2000, "only {moved} transfers were allowed");
}

#[test]
fn the_defaults_refuse_sandbox_to_corporate_and_anything_above_a_ceiling() {
    let set = ZoneSet::defaults();
    for c in Classification::ALL {
        assert!(set.check_transfer("sandbox", "corporate", c).is_err());
        assert!(set.check_transfer("corporate", "trusted", c).is_err());
    }
    assert!(
        set.check_ingest("sandbox", Classification::OfficialSensitive)
            .is_err()
    );
}
