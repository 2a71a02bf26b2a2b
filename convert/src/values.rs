//! Numbers and dates in delimited text, read as arrow's CSV reader reads
//! them, faster for the common forms. Most values in real files are a few
//! digits with an optional minus and decimal point, or an ISO date; those
//! are read here in plain loops, and every other form (signs, exponents,
//! whitespace, too many digits, `inf`, `NaN`, other date layouts, dates
//! that do not exist) goes to arrow's own parser. The two agree on every
//! input (tests compare them on generated strings and on every day of
//! chosen years), so which one read a value never shows.

use arrow::compute::kernels::cast_utils::Parser;
use arrow::datatypes::{Date32Type, Float64Type, Int64Type};

/// Powers of ten, each exact as a double (and as a u64), for up to the 19
/// digits [`digits`] reads.
const POWERS: [f64; 20] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19,
];

/// The digits of `digits` as a number, if all are ASCII digits and there
/// are at most 19 of them (no overflow).
#[inline]
fn digits(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() || digits.len() > 19 {
        return None;
    }
    let mut n = 0u64;
    for &c in digits {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        n = n * 10 + u64::from(d);
    }
    Some(n)
}

/// A leading minus, and the rest.
#[inline]
fn sign(s: &str) -> (bool, &[u8]) {
    match s.as_bytes() {
        [b'-', rest @ ..] => (true, rest),
        all => (false, all),
    }
}

/// `s` as arrow's CSV reader reads an Int64.
#[inline]
pub fn int(s: &str) -> Option<i64> {
    let (negative, rest) = sign(s);
    match digits(rest).and_then(|n| i64::try_from(n).ok()) {
        Some(n) if negative => Some(-n),
        Some(n) => Some(n),
        None => Int64Type::parse(s),
    }
}

/// `s` as arrow's CSV reader reads a Float64. A decimal of at most 19
/// digits on either side of the point whose digits make an integer below
/// 2^53 is that integer (exact as a double) divided by a power of ten
/// (also exact), and IEEE division rounds the quotient correctly: the
/// nearest double, as any correct parser gives (Clinger's fast path).
#[inline]
pub fn float(s: &str) -> Option<f64> {
    let (negative, rest) = sign(s);
    let (whole, fraction) = match rest.iter().position(|&c| c == b'.') {
        Some(dot) => (&rest[..dot], Some(&rest[dot + 1..])),
        None => (rest, None),
    };
    let fast = (|| {
        let w = digits(whole)?;
        let Some(fraction) = fraction else {
            return (w < 1 << 53).then_some(w as f64);
        };
        let f = digits(fraction)?;
        let scale = *POWERS.get(fraction.len())?;
        let n = w
            .checked_mul(scale as u64)
            .and_then(|w| w.checked_add(f))
            .filter(|&n| n < 1 << 53)?;
        Some(n as f64 / scale)
    })();
    match fast {
        Some(v) if negative => Some(-v),
        Some(v) => Some(v),
        None => Float64Type::parse(s),
    }
}

/// `s` as arrow's CSV reader reads a Date32: days since 1970-01-01.
pub fn date(s: &str) -> Option<i32> {
    iso_date(s.as_bytes()).or_else(|| Date32Type::parse(s))
}

/// A `YYYY-MM-DD` date that exists, in days since 1970-01-01: the
/// proleptic Gregorian calendar, counted in 400-year eras of 146,097 days
/// from 1 March, so that a leap day ends its year.
fn iso_date(b: &[u8]) -> Option<i32> {
    let b: &[u8; 10] = b.try_into().ok()?;
    let d = |i: usize| i32::from(b[i].wrapping_sub(b'0'));
    let digit = |i: usize| d(i) <= 9;
    let shape = digit(0) && digit(1) && digit(2) && digit(3) && b[4] == b'-';
    if !(shape && digit(5) && digit(6) && b[7] == b'-' && digit(8) && digit(9)) {
        return None;
    }
    let year = d(0) * 1000 + d(1) * 100 + d(2) * 10 + d(3);
    let (month, day) = (d(5) * 10 + d(6), d(8) * 10 + d(9));
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days_in_month = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        1..=12 => 31,
        _ => return None,
    };
    if !(1..=days_in_month).contains(&day) {
        return None;
    }
    // One era later, so that January and February of year 0 stay positive.
    let year = year + 400 - i32::from(month <= 2);
    let month = (month + 9) % 12;
    let of_era = year % 400;
    let of_era = of_era * 365 + of_era / 4 - of_era / 100 + (153 * month + 2) / 5 + day - 1;
    // 719,468 days from 0000-03-01 to 1970-01-01, and the era added above.
    Some((year / 400) * 146_097 + of_era - 719_468 - 146_097)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Strings near and far from the fast forms: digits, points, signs,
    /// exponents, spaces, letters, long runs.
    fn samples() -> impl Iterator<Item = String> {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let alphabet = b"0123456789012345678901234567890123456789..--+eE x";
        let mut fixed: Vec<String> = [
            "0",
            "-0",
            "-0.0",
            "0.0",
            "1.",
            ".5",
            "-.5",
            "1e5",
            "1.5e-3",
            "+7",
            " 7",
            "7 ",
            "inf",
            "-inf",
            "NaN",
            "nan",
            "--1",
            "1-",
            "1..2",
            "-",
            ".",
            "",
            "00012.50",
            "9007199254740991",
            "9007199254740992",
            "9007199254740993",
            "-9007199254740993",
            "9223372036854775807",
            "9223372036854775808",
            "-9223372036854775808",
            "-9223372036854775809",
            "18446744073709551616",
            "99999999999999999999",
            "0.30000000000000004",
            "123456789012.3456789",
            "1.7976931348623157e308",
            "0.0000000000000000000001",
            "0.00000000000000000000001",
            "4.35",
            "2.675",
        ]
        .map(String::from)
        .to_vec();
        fixed.reverse();
        std::iter::from_fn(move || {
            if let Some(s) = fixed.pop() {
                return Some(s);
            }
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let len = 1 + (state % 24) as usize;
            let mut pick = state;
            Some(
                (0..len)
                    .map(|i| {
                        if i % 8 == 0 {
                            pick = pick.rotate_left(29) ^ state;
                        }
                        let c = alphabet[(pick % alphabet.len() as u64) as usize];
                        pick /= alphabet.len() as u64;
                        // Mostly digits with at most one point, as data holds.
                        if !state.is_multiple_of(3) && !c.is_ascii_digit() && i > 0 {
                            b'0' + (pick % 10) as u8
                        } else {
                            c
                        }
                    })
                    .map(char::from)
                    .collect(),
            )
        })
    }

    #[test]
    fn numbers_are_read_as_arrow_reads_them() {
        let mut fast = 0;
        for s in samples().take(200_000) {
            let want = Float64Type::parse(&s);
            let got = float(&s);
            assert_eq!(
                got.map(f64::to_bits),
                want.map(f64::to_bits),
                "float {s:?}: {got:?} against arrow's {want:?}"
            );
            assert_eq!(int(&s), Int64Type::parse(&s), "int {s:?}");
            fast += usize::from(want.is_some());
        }
        // The generator reaches the values both read, not only refusals.
        assert!(fast > 50_000, "{fast}");
    }

    #[test]
    fn dates_are_read_as_arrow_reads_them() {
        let years = [
            0, 1, 3, 4, 99, 100, 399, 400, 1582, 1899, 1900, 1969, 1970, 2000, 2024,
        ];
        let mut read = 0;
        for year in years.into_iter().chain([2100, 9999]) {
            // Every month and day, and the ones that do not exist.
            for month in 0..=13 {
                for day in 0..=32 {
                    let s = format!("{year:04}-{month:02}-{day:02}");
                    assert_eq!(date(&s), Date32Type::parse(&s), "{s}");
                    read += usize::from(date(&s).is_some());
                }
            }
        }
        // Of these years 0, 4, 400, 2000 and 2024 are leap years; 100, 1900
        // and 2100 are not.
        assert_eq!(read, 17 * 365 + 5, "every day that exists");
        for s in [
            "2024-02-29T10:00:00",
            "2024-2-29",
            "+2024-02-29",
            "2024/02/29",
            " 2024-02-29",
            "2024-02-29 ",
            "2024-0a-01",
            "20240229",
            "",
            "-0001-01-01",
        ] {
            assert_eq!(date(s), Date32Type::parse(s), "{s:?}");
        }
    }
}
