//! The PII detectors' precision and recall on a generated, labelled corpus:
//! over a thousand values of each kind, in the ways people write them, and
//! realistic negatives (order numbers, dates, amounts, product codes,
//! numbers that fail their check digit, near-miss postcodes and NI
//! numbers). Prints the figures; every kind must reach 0.95 on both.

use std::collections::BTreeMap;

use airlock_policies::pii::{PiiKind, detect};

/// A small deterministic generator (xorshift64*), so the corpus is the same
/// on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn digits(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b'0' + self.below(10) as u8))
            .collect()
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
    fn letter(&mut self, from: &[u8]) -> char {
        char::from(from[self.below(from.len() as u64) as usize])
    }
}

const NAMES: &[&str] = &[
    "ada",
    "grace",
    "alan",
    "j",
    "mary-jane",
    "o'brien",
    "li",
    "sam",
];
const DOMAINS: &[&str] = &[
    "example.org",
    "nhs.net",
    "acme-widgets.co.uk",
    "ons.gov.uk",
    "mail.example.com",
];

fn email(r: &mut Rng) -> String {
    let name = r.pick(NAMES);
    let sep = r.pick(&[".", "_", "+", ""]);
    let n = r.below(1000);
    let value = format!(
        "{name}{sep}{}{n}@{}",
        r.pick(NAMES).replace('\'', ""),
        r.pick(DOMAINS)
    );
    if r.below(4) == 0 {
        value.to_uppercase()
    } else {
        value
    }
}

fn phone(r: &mut Rng) -> String {
    match r.below(11) {
        7 => format!("(020) 7946 {}", r.digits(4)),
        8 => format!("+44-20-7946-{}", r.digits(4)),
        9 => format!("0044 20 7946 {}", r.digits(4)),
        10 => format!("+447700{}", r.digits(6)),
        0 => format!("020 7946 {}", r.digits(4)),
        1 => format!("07700 {}", r.digits(6)),
        2 => format!("+44 7700 {}", r.digits(6)),
        3 => format!("+44 (0)161 496 {}", r.digits(4)),
        4 => format!("0161-496-{}", r.digits(4)),
        5 => format!("+1 415 555 {}", r.digits(4)),
        _ => format!(
            "+33 1 {} {} {} {}",
            r.digits(2),
            r.digits(2),
            r.digits(2),
            r.digits(2)
        ),
    }
}

fn ni_number(r: &mut Rng) -> String {
    loop {
        let a = r.letter(b"ABCEGHJKLMNOPRSTWXYZ");
        let b = r.letter(b"ABCEGHJKLMNPRSTWXYZ");
        let prefix = format!("{a}{b}");
        if ["BG", "GB", "KN", "NK", "NT", "TN", "ZZ"].contains(&prefix.as_str()) {
            continue;
        }
        let d = r.digits(6);
        let s = r.letter(b"ABCD");
        return if r.below(2) == 0 {
            format!("{prefix}{d}{s}")
        } else {
            format!("{prefix} {} {} {} {s}", &d[..2], &d[2..4], &d[4..])
        };
    }
}

/// Nine digits and their mod-11 check digit, or `None` when it would be 10.
fn nhs_check(nine: &str) -> Option<u32> {
    let sum: u32 = nine
        .bytes()
        .zip((2..=10).rev())
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    match 11 - sum % 11 {
        11 => Some(0),
        10 => None,
        c => Some(c),
    }
}

fn nhs_number(r: &mut Rng) -> String {
    loop {
        let nine = format!("{}{}", 1 + r.below(9), r.digits(8));
        if let Some(c) = nhs_check(&nine) {
            let all = format!("{nine}{c}");
            let sep = r.pick(&["", " ", "-"]);
            return format!("{}{sep}{}{sep}{}", &all[..3], &all[3..6], &all[6..]);
        }
    }
}

fn postcode(r: &mut Rng) -> String {
    let first = b"ABCDEFGHIJKLMNOPRSTUWYZ";
    let second = b"ABCDEFGHKLMNOPQRSTUVWXY";
    let inward = |r: &mut Rng| {
        format!(
            "{}{}{}",
            r.below(10),
            r.letter(b"ABDEFGHJLNPQRSTUWXYZ"),
            r.letter(b"ABDEFGHJLNPQRSTUWXYZ")
        )
    };
    let outward = match r.below(6) {
        0 => format!("{}{}", r.letter(first), 1 + r.below(9)),
        1 => format!("{}{}", r.letter(first), 10 + r.below(90)),
        2 => format!(
            "{}{}{}",
            r.letter(first),
            1 + r.below(9),
            r.letter(b"ABCDEFGHJKPSTUW")
        ),
        3 => format!("{}{}{}", r.letter(first), r.letter(second), 1 + r.below(9)),
        4 => format!(
            "{}{}{}",
            r.letter(first),
            r.letter(second),
            10 + r.below(90)
        ),
        _ => format!(
            "{}{}{}{}",
            r.letter(first),
            r.letter(second),
            1 + r.below(9),
            r.letter(b"ABEHMNPRVWXY")
        ),
    };
    let value = format!(
        "{outward}{}{}",
        if r.below(5) == 0 { "" } else { " " },
        inward(r)
    );
    if r.below(5) == 0 {
        value.to_lowercase()
    } else {
        value
    }
}

/// `prefix` then random digits up to `len`, the last a Luhn check digit.
fn luhn_complete(prefix: &str, len: usize, r: &mut Rng) -> String {
    let body = format!("{prefix}{}", r.digits(len - 1 - prefix.len()));
    for check in 0..10 {
        let all = format!("{body}{check}");
        let sum: u32 = all
            .bytes()
            .rev()
            .enumerate()
            .map(|(i, b)| {
                let d = u32::from(b - b'0');
                if i % 2 == 1 {
                    if d * 2 > 9 { d * 2 - 9 } else { d * 2 }
                } else {
                    d
                }
            })
            .sum();
        if sum.is_multiple_of(10) {
            return all;
        }
    }
    unreachable!("one check digit always completes the sum")
}

fn card(r: &mut Rng) -> String {
    let (prefix, len) = match r.below(5) {
        0 => ("4", 16),
        1 => ("5", 16),
        2 => ("37", 15),
        3 => ("6011", 16),
        _ => ("4", 13),
    };
    let prefix = if prefix == "5" {
        format!("5{}", 1 + r.below(5))
    } else {
        prefix.to_owned()
    };
    let n = luhn_complete(&prefix, len, r);
    if len == 15 && r.below(2) == 0 {
        // American Express groups 4-6-5.
        format!("{} {} {}", &n[..4], &n[4..10], &n[10..])
    } else if len == 16 && r.below(2) == 0 {
        let sep = r.pick(&[" ", "-"]);
        format!(
            "{}{sep}{}{sep}{}{sep}{}",
            &n[..4],
            &n[4..8],
            &n[8..12],
            &n[12..]
        )
    } else {
        n
    }
}

fn ipv4(r: &mut Rng) -> String {
    format!(
        "{}.{}.{}.{}",
        1 + r.below(254),
        r.below(256),
        r.below(256),
        1 + r.below(254)
    )
}

fn ipv6(r: &mut Rng) -> String {
    let groups: Vec<String> = (0..8).map(|_| format!("{:x}", r.below(0x10000))).collect();
    if r.below(2) == 0 {
        groups.join(":")
    } else {
        format!("2001:db8::{}:{}", groups[6], groups[7])
    }
}

/// Values that are none of the kinds, some of them close.
fn negative(r: &mut Rng) -> String {
    match r.below(18) {
        0 => format!("ORD-2024-{}", r.digits(6)),
        1 => format!("INV/{}/{}", 2000 + r.below(30), r.digits(4)),
        2 => format!(
            "SKU-{}{}{}-{}",
            r.letter(b"ABCXYZ"),
            r.letter(b"ABCXYZ"),
            r.digits(2),
            r.digits(4)
        ),
        3 => format!(
            "{}-{:02}-{:02}",
            1950 + r.below(75),
            1 + r.below(12),
            1 + r.below(28)
        ),
        4 => format!(
            "{:02}/{:02}/{}",
            1 + r.below(28),
            1 + r.below(12),
            1950 + r.below(75)
        ),
        5 => format!("{}.{:02}", r.below(100_000), r.below(100)),
        6 => format!(
            "{},{},{}.{:02}",
            1 + r.below(9),
            r.digits(3),
            r.digits(3),
            r.below(100)
        ),
        7 => {
            let n = 1 + r.below(9) as usize;
            r.digits(n)
        }
        8 => {
            // Ten digits whose NHS check digit fails.
            loop {
                let nine = format!("{}{}", 1 + r.below(9), r.digits(8));
                let wrong = (nhs_check(&nine).unwrap_or(0) + 1 + r.below(9) as u32) % 10;
                if Some(wrong) != nhs_check(&nine) {
                    return format!("{nine}{wrong}");
                }
            }
        }
        9 => {
            // A Visa-shaped number whose Luhn check fails.
            let good = luhn_complete("4", 16, r);
            let last = u32::from(good.as_bytes()[15] - b'0');
            format!("{}{}", &good[..15], (last + 1 + r.below(9) as u32) % 10)
        }
        10 => r
            .pick(&["north", "London", "n/a", "Truro", "yes", "unknown", "Smith"])
            .to_owned(),
        11 => format!("v{}.{}.{}", r.below(10), r.below(20), r.below(100)),
        12 => format!("{:02}:{:02}:{:02}", r.below(24), r.below(60), r.below(60)),
        13 => format!("QQ{}C", r.digits(6)),
        14 => format!("{}{} {}AA", r.letter(b"QVX"), 1 + r.below(9), r.below(10)),
        16 => match r.below(5) {
            0 => format!("GB{} NWBK 6016 1331 9268 {}", r.digits(2), r.digits(2)),
            1 => format!("{}-{}-{}", r.digits(2), r.digits(2), r.digits(2)),
            2 => format!("00:1A:2B:{}:4D:5E", r.digits(2)),
            3 => format!("2024 01 {:02}", 1 + r.below(28)),
            _ => format!("020 {}", r.digits(4)),
        },
        15 => match r.below(5) {
            // Luhn-valid, but no card issuer starts with 9.
            0 => luhn_complete("9", 16, r),
            // Inward codes never use C, I, K, M, O or V.
            1 => format!("SW1A {}CI", r.below(10)),
            // NI suffixes run A to D.
            2 => format!("AB{}E", r.digits(6)),
            3 => format!("{}@localhost", r.pick(NAMES)),
            _ => format!(
                "2024-01-{:02}T10:{:02}:00+01:00",
                1 + r.below(28),
                r.below(60)
            ),
        },
        _ => format!("REF{}", r.digits(5)),
    }
}

#[test]
fn detectors_reach_095_precision_and_recall_on_each_kind() {
    let mut r = Rng(0x5eed_1234_abcd_0001);
    type Make = fn(&mut Rng) -> String;
    let kinds: [(PiiKind, Make); 8] = [
        (PiiKind::Email, email),
        (PiiKind::Phone, phone),
        (PiiKind::NiNumber, ni_number),
        (PiiKind::NhsNumber, nhs_number),
        (PiiKind::Postcode, postcode),
        (PiiKind::PaymentCard, card),
        (PiiKind::Ipv4, ipv4),
        (PiiKind::Ipv6, ipv6),
    ];
    let mut corpus: Vec<(Option<PiiKind>, String)> = Vec::new();
    for (kind, make) in kinds {
        corpus.extend((0..1000).map(|_| (Some(kind), make(&mut r))));
    }
    corpus.extend((0..4000).map(|_| (None, negative(&mut r))));
    assert!(corpus.len() >= 10_000);

    // kind → (true positives, false positives, false negatives)
    let mut counts: BTreeMap<PiiKind, (u32, u32, u32)> = BTreeMap::new();
    let mut misses = Vec::new();
    for (label, value) in &corpus {
        let found = detect(value);
        if found != *label && misses.len() < 20 {
            misses.push(format!("{value:?}: labelled {label:?}, detected {found:?}"));
        }
        if let Some(k) = label {
            let c = counts.entry(*k).or_default();
            if found == Some(*k) {
                c.0 += 1
            } else {
                c.2 += 1
            }
        }
        if let Some(f) = found.filter(|f| Some(*f) != *label) {
            counts.entry(f).or_default().1 += 1;
        }
    }
    println!(
        "{} values; misclassified, first few: {misses:#?}",
        corpus.len()
    );
    println!("{:14} {:>9} {:>9}", "kind", "precision", "recall");
    let mut failing = Vec::new();
    for (kind, (tp, fp, fn_)) in &counts {
        let precision = f64::from(*tp) / f64::from((tp + fp).max(1));
        let recall = f64::from(*tp) / f64::from((tp + fn_).max(1));
        println!("{:14} {precision:>9.3} {recall:>9.3}", kind.as_str());
        if precision < 0.95 || recall < 0.95 {
            failing.push(kind.as_str());
        }
    }
    assert!(failing.is_empty(), "below 0.95: {failing:?}");
}
