//! Column statistics, gathered while a conversion writes, with no second
//! pass over the data.
//!
//! Null counts and the bounds (min and max) come from the Parquet writer's
//! own row group statistics, which it computes as it encodes anyway: they
//! are folded from each part's footer as the part closes ([`Bounds`]). The
//! writer truncates long strings there (64 bytes), and a truncated bound is
//! shown with a trailing `…`. Distinct values are counted by the encoder
//! threads, beside the encoding of each column's batch ([`Distinct`]):
//! exactly while a column has at most [`EXACT_UP_TO`] distinct values, by a
//! HyperLogLog sketch of 4,096 registers (about 1.6% standard error) past
//! that. Either costs at most a few KiB per column.

use std::cmp::Ordering;
use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};

use arrow::array::{Array, ArrayRef, AsArray, BooleanArray, make_comparator};
use arrow::compute::{SortOptions, cast, concat};
use arrow::datatypes::{DataType, Schema};
use arrow::util::display::{ArrayFormatter, FormatOptions};
use parquet::arrow::arrow_reader::statistics::StatisticsConverter;
use parquet::file::metadata::ParquetMetaData;
use twox_hash::XxHash3_64;

/// Distinct values a column is counted exactly up to.
pub const EXACT_UP_TO: usize = 1024;
/// Characters a bound keeps; a longer one is cut, and ends in `…`.
pub const MAX_VALUE_CHARS: usize = 64;

const PRECISION: u32 = 12;
const REGISTERS: usize = 1 << PRECISION;

/// The values' hashes already are uniform: the set uses them as they are.
#[derive(Debug, Default)]
pub struct Identity(u64);

impl Hasher for Identity {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// How many distinct values a column has: exact while few, then estimated.
#[derive(Debug, Clone)]
pub enum Distinct {
    /// The hashes of every distinct value seen (64-bit hashes: a collision
    /// below [`EXACT_UP_TO`] values is about one chance in 10^13).
    Exact(HashSet<u64, BuildHasherDefault<Identity>>),
    /// A HyperLogLog sketch: per register, the highest rank seen.
    Sketch(Box<[u8; REGISTERS]>),
    /// A type it does not count (nested types).
    Unsupported,
}

/// A count of distinct values, and whether it is exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DistinctCount {
    pub count: u64,
    pub exact: bool,
}

impl Distinct {
    /// Counting for a column of this type.
    pub fn of(data_type: &DataType) -> Self {
        if hashable(data_type) {
            Self::Exact(HashSet::default())
        } else {
            Self::Unsupported
        }
    }

    /// Counts a batch of the column's values (nulls are not values).
    pub fn observe(&mut self, values: &dyn Array) {
        if matches!(self, Self::Unsupported) {
            return;
        }
        match values.data_type() {
            DataType::Dictionary(_, value_type) => {
                // Counted by value: a dictionary may hold values no row uses.
                match cast(values, value_type) {
                    Ok(plain) => self.observe(plain.as_ref()),
                    Err(_) => *self = Self::Unsupported,
                }
            }
            DataType::Utf8 => {
                let a = values.as_string::<i32>();
                a.iter()
                    .flatten()
                    .for_each(|v| self.add(hash(v.as_bytes())));
            }
            DataType::LargeUtf8 => {
                let a = values.as_string::<i64>();
                a.iter()
                    .flatten()
                    .for_each(|v| self.add(hash(v.as_bytes())));
            }
            DataType::Utf8View => {
                let a = values.as_string_view();
                a.iter()
                    .flatten()
                    .for_each(|v| self.add(hash(v.as_bytes())));
            }
            DataType::Binary => values
                .as_binary::<i32>()
                .iter()
                .flatten()
                .for_each(|v| self.add(hash(v))),
            DataType::LargeBinary => values
                .as_binary::<i64>()
                .iter()
                .flatten()
                .for_each(|v| self.add(hash(v))),
            DataType::Boolean => {
                // At most two values: whether each occurs, by bit counts.
                let a: &BooleanArray = values.as_boolean();
                let trues = a.true_count();
                if trues > 0 {
                    self.add(hash(&[1]));
                }
                if a.len() - a.null_count() > trues {
                    self.add(hash(&[0]));
                }
            }
            DataType::FixedSizeBinary(_) => {
                let a = values.as_fixed_size_binary();
                a.iter().flatten().for_each(|v| self.add(hash(v)));
            }
            dt => {
                let Some(width) = dt.primitive_width() else {
                    *self = Self::Unsupported;
                    return;
                };
                let data = values.to_data();
                let bytes = &data.buffers()[0].as_slice()[data.offset() * width..];
                let each = bytes.chunks_exact(width).take(values.len());
                // Eight bytes or fewer: a 64-bit mix of the value itself,
                // a fraction of the cost of hashing its bytes.
                let hash_value = |v: &[u8]| match width {
                    1..=8 => {
                        let mut word = [0u8; 8];
                        word[..width].copy_from_slice(v);
                        mix(u64::from_le_bytes(word))
                    }
                    _ => hash(v),
                };
                if values.null_count() == 0 {
                    each.for_each(|v| self.add(hash_value(v)));
                } else {
                    each.enumerate()
                        .filter(|(i, _)| values.is_valid(*i))
                        .for_each(|(_, v)| self.add(hash_value(v)));
                }
            }
        }
    }

    fn add(&mut self, h: u64) {
        match self {
            Self::Exact(set) => {
                if set.insert(h) && set.len() > EXACT_UP_TO {
                    let mut registers = Box::new([0u8; REGISTERS]);
                    for &h in set.iter() {
                        record(&mut registers, h);
                    }
                    *self = Self::Sketch(registers);
                }
            }
            Self::Sketch(registers) => record(registers, h),
            Self::Unsupported => {}
        }
    }

    /// The count so far; `None` for a type it does not count.
    pub fn count(&self) -> Option<DistinctCount> {
        match self {
            Self::Exact(set) => Some(DistinctCount {
                count: set.len() as u64,
                exact: true,
            }),
            Self::Sketch(registers) => Some(DistinctCount {
                count: estimate(registers),
                exact: false,
            }),
            Self::Unsupported => None,
        }
    }
}

fn hashable(data_type: &DataType) -> bool {
    match data_type {
        DataType::Dictionary(_, v) => hashable(v),
        DataType::Utf8
        | DataType::LargeUtf8
        | DataType::Utf8View
        | DataType::Binary
        | DataType::LargeBinary
        | DataType::FixedSizeBinary(_)
        | DataType::Boolean => true,
        dt => dt.is_primitive(),
    }
}

fn hash(bytes: &[u8]) -> u64 {
    XxHash3_64::oneshot(bytes)
}

/// MurmurHash3's 64-bit finaliser: every input bit flips each output bit
/// with probability one half, which the sketch's registers need. A
/// bijection, so distinct values never collide.
fn mix(mut k: u64) -> u64 {
    k ^= k >> 33;
    k = k.wrapping_mul(0xff51_afd7_ed55_8ccd);
    k ^= k >> 33;
    k = k.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    k ^ (k >> 33)
}

/// A register takes the hash's top bits as its index, and keeps the
/// highest rank (leading zeros of the rest, plus one) it has seen.
fn record(registers: &mut [u8; REGISTERS], h: u64) {
    let index = (h >> (64 - PRECISION)) as usize;
    let rest = h << PRECISION;
    let rank = (rest.leading_zeros() + 1).min(64 - PRECISION + 1) as u8;
    if registers[index] < rank {
        registers[index] = rank;
    }
}

/// HyperLogLog's estimate (Flajolet et al.), with linear counting while
/// registers are still empty, where that is the better estimate. With
/// 64-bit hashes no large-range correction is needed.
fn estimate(registers: &[u8; REGISTERS]) -> u64 {
    let m = REGISTERS as f64;
    let alpha = 0.7213 / (1.0 + 1.079 / m);
    let sum: f64 = registers.iter().map(|&r| (-f64::from(r)).exp2()).sum();
    let raw = alpha * m * m / sum;
    let zeros = registers.iter().filter(|&&r| r == 0).count();
    let e = if raw <= 2.5 * m && zeros > 0 {
        m * (m / zeros as f64).ln()
    } else {
        raw
    };
    e.round() as u64
}

/// One column's bounds so far: its least and greatest values (arrays of
/// one), and whether each is exact.
#[derive(Debug, Default, Clone)]
struct ColumnBounds {
    min: Option<(ArrayRef, bool)>,
    max: Option<(ArrayRef, bool)>,
    /// A part had no statistics for it: the bounds are unknown.
    unknown: bool,
}

/// The bounds of every top-level column, folded from the footers of the
/// parts written.
#[derive(Debug)]
pub struct Bounds {
    columns: Vec<ColumnBounds>,
}

/// A column's bounds, rendered for people; `None` where unknown (a type
/// Parquet keeps no bounds for, or a column of nulls only).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Summary {
    pub min: Option<String>,
    pub max: Option<String>,
}

impl Bounds {
    pub fn new(schema: &Schema) -> Self {
        Self {
            columns: vec![ColumnBounds::default(); schema.fields().len()],
        }
    }

    /// Folds in a closed part's row groups. `schema` is the Arrow schema
    /// the part was written with.
    pub fn absorb(&mut self, schema: &Schema, metadata: &ParquetMetaData) {
        let parquet = metadata.file_metadata().schema_descr();
        for (field, column) in schema.fields().iter().zip(&mut self.columns) {
            if column.unknown {
                continue;
            }
            let folded = StatisticsConverter::try_new(field.name(), schema, parquet)
                .ok()
                .filter(|c| c.parquet_column_index().is_some())
                .and_then(|c| {
                    let groups = metadata.row_groups();
                    let mins = c.row_group_mins(groups).ok()?;
                    let maxes = c.row_group_maxes(groups).ok()?;
                    let min_exact = c.row_group_is_min_value_exact(groups).ok()?;
                    let max_exact = c.row_group_is_max_value_exact(groups).ok()?;
                    let min = fold(column.min.take(), &mins, &min_exact, Ordering::Less)?;
                    let max = fold(column.max.take(), &maxes, &max_exact, Ordering::Greater)?;
                    Some((min, max))
                });
            match folded {
                Some((min, max)) => (column.min, column.max) = (min, max),
                None => {
                    *column = ColumnBounds {
                        unknown: true,
                        ..ColumnBounds::default()
                    }
                }
            }
        }
    }

    /// Per column, what is known.
    pub fn summaries(&self) -> Vec<Summary> {
        self.columns
            .iter()
            .map(|c| {
                if c.unknown {
                    return Summary::default();
                }
                Summary {
                    min: c.min.as_ref().and_then(|(a, exact)| render(a, *exact)),
                    max: c.max.as_ref().and_then(|(a, exact)| render(a, *exact)),
                }
            })
            .collect()
    }
}

/// The extreme (`wanted`: `Less` for the least) of `so_far` and the row
/// groups' `values`, skipping row groups with none (all null). `None` when
/// the values cannot be compared.
#[allow(clippy::type_complexity)]
fn fold(
    so_far: Option<(ArrayRef, bool)>,
    values: &ArrayRef,
    exact: &BooleanArray,
    wanted: Ordering,
) -> Option<Option<(ArrayRef, bool)>> {
    let (candidates, exactness): (ArrayRef, Vec<bool>) = match &so_far {
        Some((a, e)) => {
            let all = concat(&[a.as_ref(), values.as_ref()]).ok()?;
            let mut flags = vec![*e];
            flags.extend((0..exact.len()).map(|i| exact.is_valid(i) && exact.value(i)));
            (all, flags)
        }
        None => (
            values.clone(),
            (0..exact.len())
                .map(|i| exact.is_valid(i) && exact.value(i))
                .collect(),
        ),
    };
    let compare = make_comparator(&candidates, &candidates, SortOptions::default()).ok()?;
    let mut best: Option<usize> = None;
    for i in (0..candidates.len()).filter(|&i| candidates.is_valid(i)) {
        best = match best {
            Some(b) if compare(i, b) != wanted => Some(b),
            _ => Some(i),
        };
    }
    Some(best.map(|b| {
        (
            candidates.slice(b, 1),
            exactness.get(b).copied().unwrap_or(false),
        )
    }))
}

/// A value as people read it, cut to [`MAX_VALUE_CHARS`]; a cut or
/// inexact one ends in `…`.
fn render(value: &ArrayRef, exact: bool) -> Option<String> {
    let options = FormatOptions::default();
    let formatter = ArrayFormatter::try_new(value.as_ref(), &options).ok()?;
    let text = formatter.value(0).try_to_string().ok()?;
    let mut chars = text.chars();
    let mut cut: String = chars.by_ref().take(MAX_VALUE_CHARS).collect();
    if chars.next().is_some() || !exact {
        cut.push('…');
    }
    Some(cut)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{Int64Array, StringArray};

    use super::*;

    #[test]
    fn small_counts_are_exact_and_large_ones_close() {
        let mut d = Distinct::of(&DataType::Int64);
        d.observe(&Int64Array::from(vec![Some(1), None, Some(1), Some(2)]));
        assert_eq!(
            d.count(),
            Some(DistinctCount {
                count: 2,
                exact: true
            })
        );
        let mut d = Distinct::of(&DataType::Int64);
        for start in (0..200_000i64).step_by(10_000) {
            d.observe(&Int64Array::from_iter_values(start..start + 10_000));
            // Repeats change nothing.
            d.observe(&Int64Array::from_iter_values(0..100));
        }
        let c = d.count().unwrap();
        assert!(!c.exact);
        let error = (c.count as f64 - 200_000.0).abs() / 200_000.0;
        assert!(error < 0.05, "estimate {} of 200000", c.count);
    }

    #[test]
    fn the_switch_to_a_sketch_keeps_what_was_counted() {
        let mut d = Distinct::of(&DataType::Utf8);
        let values: Vec<String> = (0..EXACT_UP_TO + 1).map(|i| format!("v{i}")).collect();
        d.observe(&StringArray::from_iter_values(&values));
        let c = d.count().unwrap();
        assert!(!c.exact);
        let error = (c.count as f64 - values.len() as f64).abs() / values.len() as f64;
        assert!(error < 0.05, "estimate {} of {}", c.count, values.len());
    }

    #[test]
    fn nested_types_are_not_counted() {
        let t = DataType::List(Arc::new(arrow::datatypes::Field::new(
            "x",
            DataType::Int64,
            true,
        )));
        assert_eq!(Distinct::of(&t).count(), None);
    }

    #[test]
    fn long_and_inexact_values_are_marked_cut() {
        let long: ArrayRef = Arc::new(StringArray::from(vec!["x".repeat(100)]));
        let shown = render(&long, true).unwrap();
        assert_eq!(shown.chars().count(), MAX_VALUE_CHARS + 1);
        assert!(shown.ends_with('…'));
        let short: ArrayRef = Arc::new(StringArray::from(vec!["abc"]));
        assert_eq!(render(&short, true).unwrap(), "abc");
        assert_eq!(render(&short, false).unwrap(), "abc…");
    }
}
