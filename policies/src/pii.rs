//! Detectors of personal data in single values and column headers.
//!
//! Each detector is a small hand-written parser of one shape, with the
//! check digit where the shape has one (NHS numbers: mod 11; payment cards:
//! Luhn and an issuer prefix), so that order numbers, product codes and
//! numbers that fail their checksum are not reported. A value is one kind
//! or none: the kinds' shapes do not overlap. Dates of birth cannot be told
//! from other dates by value, so they are found by header.
//!
//! Findings carry a kind, never the value.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A kind of personal data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PiiKind {
    Email,
    /// A UK number, or an international one written with `+` or `00`.
    Phone,
    /// A UK National Insurance number.
    NiNumber,
    /// An NHS number whose mod-11 check digit holds.
    NhsNumber,
    /// A UK postcode.
    Postcode,
    /// A payment card number: a known issuer prefix and the Luhn check.
    PaymentCard,
    Ipv4,
    Ipv6,
    /// A date of birth, known by its column's header.
    DateOfBirth,
}

impl PiiKind {
    pub const ALL: [PiiKind; 9] = [
        PiiKind::Email,
        PiiKind::Phone,
        PiiKind::NiNumber,
        PiiKind::NhsNumber,
        PiiKind::Postcode,
        PiiKind::PaymentCard,
        PiiKind::Ipv4,
        PiiKind::Ipv6,
        PiiKind::DateOfBirth,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PiiKind::Email => "email",
            PiiKind::Phone => "phone",
            PiiKind::NiNumber => "ni_number",
            PiiKind::NhsNumber => "nhs_number",
            PiiKind::Postcode => "postcode",
            PiiKind::PaymentCard => "payment_card",
            PiiKind::Ipv4 => "ipv4",
            PiiKind::Ipv6 => "ipv6",
            PiiKind::DateOfBirth => "date_of_birth",
        }
    }
}

impl fmt::Display for PiiKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The kind of personal data a value is, if any.
pub fn detect(value: &str) -> Option<PiiKind> {
    let v = value.trim();
    if v.is_empty() || v.len() > 320 {
        return None;
    }
    if v.contains('@') {
        return is_email(v).then_some(PiiKind::Email);
    }
    if v.contains(':') {
        return is_ipv6(v).then_some(PiiKind::Ipv6);
    }
    if v.parse::<std::net::Ipv4Addr>().is_ok() {
        return Some(PiiKind::Ipv4);
    }
    if is_ni_number(v) {
        return Some(PiiKind::NiNumber);
    }
    if is_postcode(v) {
        return Some(PiiKind::Postcode);
    }
    // The numeric kinds: digits with separators, told apart by length,
    // prefix and check digit.
    let digits = numeric(v)?;
    if is_card(&digits, v) {
        Some(PiiKind::PaymentCard)
    } else if is_nhs_number(&digits, v) {
        Some(PiiKind::NhsNumber)
    } else if is_phone(&digits, v) {
        Some(PiiKind::Phone)
    } else {
        None
    }
}

/// The kind of personal data a column holds by its header alone: dates of
/// birth (`dob`, `date_of_birth`, `BirthDate`, …).
pub fn header_kind(header: &str) -> Option<PiiKind> {
    let words = words(header);
    let has = |w: &str| words.iter().any(|x| x == w);
    let dob = has("dob") || has("birthdate") || has("birthday") || (has("birth") && has("date"));
    dob.then_some(PiiKind::DateOfBirth)
}

/// A header's words, lower case: split at anything not alphanumeric and at
/// a lower-to-upper case change (`dateOfBirth`).
fn words(header: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut lower_before = false;
    for c in header.chars() {
        if !c.is_alphanumeric() {
            out.push(String::new());
            lower_before = false;
            continue;
        }
        if c.is_uppercase() && lower_before {
            out.push(String::new());
        }
        lower_before = c.is_lowercase();
        out.last_mut().expect("one word").extend(c.to_lowercase());
    }
    out.retain(|w| !w.is_empty());
    out
}

fn is_email(v: &str) -> bool {
    let Some((local, domain)) = v.split_once('@') else {
        return false;
    };
    let local_ok = (1..=64).contains(&local.len())
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._%+-'".contains(&b));
    let labels: Vec<&str> = domain.split('.').collect();
    let tld = labels.last().copied().unwrap_or_default();
    local_ok
        && labels.len() >= 2
        && domain.len() <= 253
        && labels.iter().all(|l| {
            (1..=63).contains(&l.len())
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        && tld.len() >= 2
        && tld.bytes().all(|b| b.is_ascii_alphabetic())
}

fn is_ipv6(v: &str) -> bool {
    v.matches(':').count() >= 2 && v.parse::<std::net::Ipv6Addr>().is_ok()
}

/// The value upper-cased, without spaces.
fn compact(v: &str) -> Vec<u8> {
    v.bytes()
        .filter(|b| *b != b' ')
        .map(|b| b.to_ascii_uppercase())
        .collect()
}

/// `QQ 12 34 56 C`: two prefix letters (not D, F, I, Q, U or V; the second
/// not O; not BG, GB, KN, NK, NT, TN or ZZ), six digits, a suffix A-D.
fn is_ni_number(v: &str) -> bool {
    let s = compact(v);
    if s.len() != 9 {
        return false;
    }
    let (a, b) = (s[0], s[1]);
    let bad_first = b"DFIQUV".contains(&a);
    let bad_second = b"DFIOQUV".contains(&b);
    let banned = [b"BG", b"GB", b"KN", b"NK", b"NT", b"TN", b"ZZ"]
        .iter()
        .any(|p| s.starts_with(*p));
    a.is_ascii_uppercase()
        && b.is_ascii_uppercase()
        && !bad_first
        && !bad_second
        && !banned
        && s[2..8].iter().all(u8::is_ascii_digit)
        && b"ABCD".contains(&s[8])
}

/// A UK postcode: an outward code (A9, A99, A9A, AA9, AA99 or AA9A) and an
/// inward code (9AA), the space optional; or GIR 0AA.
fn is_postcode(v: &str) -> bool {
    let s = compact(v);
    if s == b"GIR0AA" {
        return true;
    }
    if !(5..=7).contains(&s.len()) || v.trim().matches(' ').count() > 1 {
        return false;
    }
    let (outward, inward) = s.split_at(s.len() - 3);
    let inward_ok = inward[0].is_ascii_digit()
        && inward[1..]
            .iter()
            .all(|c| c.is_ascii_uppercase() && !b"CIKMOV".contains(c));
    let letter = |c: u8, not: &[u8]| c.is_ascii_uppercase() && !not.contains(&c);
    let digit = |c: u8| c.is_ascii_digit();
    let first = |a: u8| letter(a, b"QVX");
    let second = |b: u8| letter(b, b"IJZ");
    let outward_ok = match *outward {
        // A9, A99, A9A
        [a, d] => first(a) && digit(d),
        [a, d, e] if digit(d) && digit(e) => first(a),
        [a, d, l] if digit(d) => first(a) && letter(l, b"ILMNOQRVXZ"),
        // AA9, AA99, AA9A
        [a, b, d] => first(a) && second(b) && digit(d),
        [a, b, d, e] if digit(e) => first(a) && second(b) && digit(d),
        [a, b, d, l] => first(a) && second(b) && digit(d) && letter(l, b"CDFGIJKLOQSTUZ"),
        _ => false,
    };
    outward_ok && inward_ok
}

/// The digits of a value made only of digits and the separators numbers
/// are written with (spaces, hyphens, dots, brackets, a leading `+`);
/// `None` for anything else.
fn numeric(v: &str) -> Option<Vec<u8>> {
    let mut digits = Vec::with_capacity(v.len());
    for (i, b) in v.bytes().enumerate() {
        match b {
            b'0'..=b'9' => digits.push(b - b'0'),
            b' ' | b'-' | b'.' | b'(' | b')' => {}
            b'+' if i == 0 => {}
            _ => return None,
        }
    }
    (!digits.is_empty()).then_some(digits)
}

/// Separators only between groups of digits, never a `+` or bracket.
fn grouped_only(v: &str) -> bool {
    v.bytes()
        .all(|b| b.is_ascii_digit() || b == b' ' || b == b'-')
}

fn luhn(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            match i % 2 {
                1 if d * 2 > 9 => d * 2 - 9,
                1 => d * 2,
                _ => d,
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// 13-19 digits of a known issuer (Visa, Mastercard, American Express,
/// Discover, JCB, Maestro, UnionPay, Diners) that pass the Luhn check.
fn is_card(digits: &[u8], v: &str) -> bool {
    let prefix = |n: usize| digits[..n].iter().fold(0u32, |a, &d| a * 10 + u32::from(d));
    let issuer = match digits.len() {
        13..=19 => {
            digits[0] == 4
                || (51..=55).contains(&prefix(2))
                || (2221..=2720).contains(&prefix(4))
                || matches!(prefix(2), 34 | 37 | 36 | 38 | 65 | 62)
                || prefix(4) == 6011
                || (3528..=3589).contains(&prefix(4))
                || matches!(prefix(2), 50 | 56..=58 | 63 | 67)
        }
        _ => false,
    };
    issuer && grouped_only(v) && luhn(digits)
}

/// Ten digits (`943 476 5919`) whose mod-11 check digit holds.
fn is_nhs_number(digits: &[u8], v: &str) -> bool {
    if digits.len() != 10 || !grouped_only(v) {
        return false;
    }
    let sum: u32 = digits[..9]
        .iter()
        .zip((2..=10).rev())
        .map(|(&d, w)| u32::from(d) * w)
        .sum();
    let check = match 11 - sum % 11 {
        11 => 0,
        10 => return false,
        c => c,
    };
    check == u32::from(digits[9])
}

/// A UK number (`020 7946 0958`, `07700 900123`, `+44 (0)20 …`), or an
/// international one written with `+` or `00` and 8-15 digits (E.164).
fn is_phone(digits: &[u8], v: &str) -> bool {
    let international = v.starts_with('+') || v.starts_with("00");
    let national: &[u8] = if v.starts_with('+') && digits.starts_with(&[4, 4]) {
        // +44 (0)20 …: the trunk zero in brackets is not dialled.
        let rest = &digits[2..];
        if v.contains("(0)") { &rest[1..] } else { rest }
    } else if v.starts_with("0044") {
        &digits[4..]
    } else if !international {
        match digits.strip_prefix(&[0]) {
            Some(rest) => rest,
            None => return false,
        }
    } else {
        let n = digits.len() - usize::from(v.starts_with("00")) * 2;
        return (8..=15).contains(&n) && digits[usize::from(v.starts_with("00")) * 2] != 0;
    };
    // UK: ten digits after the trunk zero, geographic (1, 2), non-geographic
    // (3), mobile (7) or freephone and service (8).
    national.len() == 10 && matches!(national[0], 1 | 2 | 3 | 7 | 8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_detector_knows_its_shape() {
        let cases = [
            ("ada.lovelace+notes@example.co.uk", Some(PiiKind::Email)),
            ("not an @ email", None),
            ("a@b", None),
            ("020 7946 0958", Some(PiiKind::Phone)),
            ("+44 (0)20 7946 0958", Some(PiiKind::Phone)),
            ("07700 900123", Some(PiiKind::Phone)),
            ("+1 415 555 2671", Some(PiiKind::Phone)),
            ("12345678901", None),
            ("QQ 12 34 56 C", None),
            ("AB 12 34 56 C", Some(PiiKind::NiNumber)),
            ("BG123456A", None),
            ("943 476 5919", Some(PiiKind::NhsNumber)),
            ("943 476 5918", None),
            ("SW1A 1AA", Some(PiiKind::Postcode)),
            ("EC1A1BB", Some(PiiKind::Postcode)),
            ("M1 1AE", Some(PiiKind::Postcode)),
            ("QA1 1AA", None),
            ("4111 1111 1111 1111", Some(PiiKind::PaymentCard)),
            ("4111 1111 1111 1112", None),
            ("192.168.0.1", Some(PiiKind::Ipv4)),
            ("256.1.1.1", None),
            ("2001:db8::8a2e:370:7334", Some(PiiKind::Ipv6)),
            ("12:30:00", None),
            ("2024-01-31", None),
        ];
        for (value, kind) in cases {
            assert_eq!(detect(value), kind, "{value}");
        }
    }

    #[test]
    fn dates_of_birth_are_known_by_header() {
        for h in [
            "dob",
            "DOB",
            "date_of_birth",
            "DateOfBirth",
            "birth date",
            "Birthday",
            "patient_dob",
        ] {
            assert_eq!(header_kind(h), Some(PiiKind::DateOfBirth), "{h}");
        }
        for h in [
            "date",
            "birthplace",
            "double",
            "dobson_score",
            "admission_date",
        ] {
            assert_eq!(header_kind(h), None, "{h}");
        }
    }
}
