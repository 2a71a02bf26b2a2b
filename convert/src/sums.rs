//! What a disclosure review asks of a numeric column's values, kept by
//! the encoder threads beside the distinct count, in the same pass while
//! the batch is in cache: the sum, and for integers the least positive
//! value (is there a small count?) and the greatest common divisor of
//! every value (are they rounded, and to what?).
//!
//! The key decision: the divisor is folded only until it reaches 1, which
//! most integer columns do within their first values, so only a column
//! whose values all share a factor (rounded counts) keeps paying for it.
//! Each batch is summed by arrow's vectorised kernel; integers then add up
//! exactly in 128 bits, and floats' batch sums with Neumaier's
//! compensation. Non-finite floats are left out.

use arrow::array::{Array, AsArray, PrimitiveArray};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Float64Type, Int64Type};

/// The running figures of one column.
#[derive(Debug, Clone)]
pub enum Tally {
    Integers {
        sum: i128,
        /// `i64::MAX` while no positive value was seen.
        least_positive: i64,
        /// 0 while every value seen was 0.
        gcd: u64,
    },
    Floats {
        sum: f64,
        compensation: f64,
    },
    /// A type that is not summed.
    Other,
}

/// A column's figures once written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summed {
    /// The sum as people read it; `None` for a type not summed.
    pub sum: Option<String>,
    /// The least value above zero, for an integer column that has one.
    pub least_positive: Option<i64>,
    /// The greatest common divisor of every value of an integer column
    /// (0 when all are 0).
    pub gcd: Option<i64>,
}

impl Tally {
    /// The figures kept for a column of this type.
    pub fn of(data_type: &DataType) -> Tally {
        use DataType::*;
        match data_type {
            Int8 | Int16 | Int32 | Int64 | UInt8 | UInt16 | UInt32 => Tally::Integers {
                sum: 0,
                least_positive: i64::MAX,
                gcd: 0,
            },
            Float16 | Float32 | Float64 => Tally::Floats {
                sum: 0.0,
                compensation: 0.0,
            },
            _ => Tally::Other,
        }
    }

    /// Adds a batch of the column's values (nulls are not values).
    pub fn observe(&mut self, values: &dyn Array) {
        match self {
            Tally::Integers {
                sum,
                least_positive,
                gcd,
            } => {
                let Some(ints) = as_type::<Int64Type>(values, &DataType::Int64) else {
                    *self = Tally::Other;
                    return;
                };
                observe_integers(&ints, sum, least_positive, gcd);
            }
            Tally::Floats { sum, compensation } => {
                let Some(floats) = as_type::<Float64Type>(values, &DataType::Float64) else {
                    *self = Tally::Other;
                    return;
                };
                // The batch by arrow's vectorised kernel; its non-finite
                // values (which would poison it) are left out one by one.
                let batch = match arrow::compute::sum(&floats) {
                    Some(s) if s.is_finite() => s,
                    Some(_) => floats.iter().flatten().filter(|v| v.is_finite()).sum(),
                    None => 0.0,
                };
                neumaier(sum, compensation, batch);
            }
            Tally::Other => {}
        }
    }

    pub fn summed(&self) -> Summed {
        match self {
            Tally::Integers {
                sum,
                least_positive,
                gcd,
            } => Summed {
                sum: Some(sum.to_string()),
                least_positive: Some(*least_positive).filter(|v| *v != i64::MAX),
                gcd: i64::try_from(*gcd).ok(),
            },
            Tally::Floats { sum, compensation } => Summed {
                sum: Some(format!("{}", sum + compensation)),
                least_positive: None,
                gcd: None,
            },
            Tally::Other => Summed::default(),
        }
    }
}

/// The values as one primitive type (cast when narrower; a cast is a
/// copy, so a batch of the type itself is only borrowed).
fn as_type<T: arrow::datatypes::ArrowPrimitiveType>(
    values: &dyn Array,
    to: &DataType,
) -> Option<PrimitiveArray<T>> {
    if values.data_type() == to {
        return Some(values.as_primitive::<T>().clone());
    }
    cast(values, to).ok().map(|a| a.as_primitive::<T>().clone())
}

/// Adds `v` to a compensated sum: the low-order bits each addition
/// loses are kept apart (Neumaier).
fn neumaier(sum: &mut f64, compensation: &mut f64, v: f64) {
    let t = *sum + v;
    *compensation += if sum.abs() >= v.abs() {
        (*sum - t) + v
    } else {
        (v - t) + *sum
    };
    *sum = t;
}

fn observe_integers(
    ints: &PrimitiveArray<Int64Type>,
    sum: &mut i128,
    least: &mut i64,
    gcd: &mut u64,
) {
    *sum += if ints.null_count() == 0 {
        exact_sum(ints.values())
    } else {
        ints.iter().flatten().map(i128::from).sum()
    };
    // Branch-free: a non-positive value leaves the least as it is.
    let least_of = |m: i64, v: i64| m.min(if v > 0 { v } else { i64::MAX });
    let batch_least = if ints.null_count() == 0 {
        ints.values().iter().fold(i64::MAX, |m, &v| least_of(m, v))
    } else {
        ints.iter().flatten().fold(i64::MAX, least_of)
    };
    *least = (*least).min(batch_least);
    if *gcd != 1 {
        for v in ints.iter().flatten() {
            let v = v.unsigned_abs();
            // A value the divisor already divides leaves it as it is.
            if *gcd != 0 && v % *gcd == 0 {
                continue;
            }
            *gcd = gcd_of(*gcd, v);
            if *gcd == 1 {
                break;
            }
        }
    }
}

/// The exact sum of a batch, in a loop the compiler vectorises with the
/// baseline x86-64 instructions: each value as unsigned 64 bits is split
/// into its high and low 32, which cannot overflow 64-bit lanes over fewer
/// than 2^31 values, and each negative value's two's complement is taken
/// back by counting them.
fn exact_sum(values: &[i64]) -> i128 {
    const LOW: u64 = 0xffff_ffff;
    let mut total: i128 = 0;
    for chunk in values.chunks(1 << 30) {
        let (mut high, mut low, mut negative) = (0u64, 0u64, 0u64);
        for &v in chunk {
            let u = v as u64;
            high += u >> 32;
            low += u & LOW;
            negative += u >> 63;
        }
        total += (i128::from(high) << 32) + i128::from(low) - (i128::from(negative) << 64);
    }
    total
}

/// Stein's binary algorithm.
fn gcd_of(a: u64, b: u64) -> u64 {
    if a == 0 || b == 0 {
        return a | b;
    }
    let shift = (a | b).trailing_zeros();
    let (mut a, mut b) = (a >> a.trailing_zeros(), b);
    loop {
        b >>= b.trailing_zeros();
        if a > b {
            std::mem::swap(&mut a, &mut b);
        }
        b -= a;
        if b == 0 {
            return a << shift;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Float64Array, Int32Array, Int64Array, StringArray};

    fn summed(data_type: DataType, batches: &[&dyn Array]) -> Summed {
        let mut t = Tally::of(&data_type);
        for b in batches {
            t.observe(*b);
        }
        t.summed()
    }

    #[test]
    fn integers_sum_exactly_with_their_least_positive_and_divisor() {
        let a = Int64Array::from(vec![Some(10), None, Some(-25), Some(i64::MAX)]);
        let b = Int64Array::from(vec![Some(i64::MAX), Some(0), Some(15)]);
        let s = summed(DataType::Int64, &[&a, &b]);
        let expect = 2 * i128::from(i64::MAX);
        assert_eq!(
            s.sum,
            Some(expect.to_string()),
            "10 - 25 + 15 cancel; no overflow"
        );
        assert_eq!(s.least_positive, Some(10));
        assert_eq!(s.gcd, Some(1));
        let rounded = Int32Array::from(vec![Some(35), None, Some(-10), Some(0), Some(1205)]);
        let s = summed(DataType::Int32, &[&rounded]);
        assert_eq!(
            (s.sum.as_deref(), s.least_positive, s.gcd),
            (Some("1230"), Some(35), Some(5))
        );
        let zeros = Int64Array::from(vec![0, 0]);
        let s = summed(DataType::Int64, &[&zeros]);
        assert_eq!((s.least_positive, s.gcd), (None, Some(0)));
    }

    #[test]
    fn floats_sum_with_compensation_and_other_types_not_at_all() {
        // Batches are added with compensation: the ones survive beside
        // 1e16, which a plain sum of the three would lose.
        let big = Float64Array::from(vec![1e16]);
        let ones = Float64Array::from(vec![1.0; 1000]);
        let back = Float64Array::from(vec![Some(-1e16), None, Some(f64::NAN)]);
        let s = summed(DataType::Float64, &[&big, &ones, &back]);
        assert_eq!(s.sum.as_deref(), Some("1000"));
        let s = StringArray::from(vec!["a"]);
        assert_eq!(summed(DataType::Utf8, &[&s]), Summed::default());
    }

    #[test]
    fn the_split_sum_is_exact_at_the_extremes() {
        let cases: [&[i64]; 4] = [
            &[i64::MAX, i64::MAX, 1],
            &[i64::MIN, i64::MIN, -1],
            &[i64::MIN, i64::MAX, 0, -7, 7, 123_456_789_012],
            &[],
        ];
        for values in cases {
            let plain: i128 = values.iter().map(|&v| i128::from(v)).sum();
            assert_eq!(exact_sum(values), plain, "{values:?}");
        }
    }

    #[test]
    fn the_binary_gcd_agrees_with_euclid() {
        fn euclid(a: u64, b: u64) -> u64 {
            if b == 0 { a } else { euclid(b, a % b) }
        }
        for a in 0..200u64 {
            for b in [0u64, 1, 2, 5, 12, 35, 96, 1 << 40, u64::MAX] {
                assert_eq!(gcd_of(a, b), euclid(a, b), "{a} {b}");
            }
        }
    }
}
