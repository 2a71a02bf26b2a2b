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
use std::hash::{BuildHasher, Hasher};

use arrow::array::{Array, ArrayRef, AsArray, BooleanArray, make_comparator};
use arrow::buffer::NullBuffer;
use arrow::compute::{SortOptions, cast, concat};
use arrow::datatypes::{DataType, Schema};
use arrow::util::display::{ArrayFormatter, FormatOptions};
use parquet::arrow::arrow_reader::statistics::StatisticsConverter;
use parquet::file::metadata::ParquetMetaData;

use foldhash::quality::FixedState;
use rand::Rng;

/// Distinct values a column is counted exactly up to.
pub const EXACT_UP_TO: usize = 1024;
/// Characters a bound keeps; a longer one is cut, and ends in `…`.
pub const MAX_VALUE_CHARS: usize = 64;

const PRECISION: u32 = 12;
const REGISTERS: usize = 1 << PRECISION;

/// The hashes of the distinct values seen while they are few: open
/// addressing over a flat table indexed by the hash's low bits (the
/// hashes are uniform already), kept at most half full. It starts at
/// [`FIRST_SLOTS`] and doubles as values arrive, up to twice
/// [`EXACT_UP_TO`]: most columns counted exactly hold a handful of
/// values, and a table that fits in a few cache lines costs them far less
/// than a full one would. Zero marks an empty slot, so a value whose hash
/// is zero is kept as one: a merge of two values one time in 2^64.
#[derive(Debug, Clone)]
pub struct HashSet64 {
    slots: Vec<u64>,
    len: usize,
}

const FIRST_SLOTS: usize = 16;

impl HashSet64 {
    fn new() -> Self {
        Self {
            slots: vec![0; FIRST_SLOTS],
            len: 0,
        }
    }

    /// Adds `h`; whether it was new.
    #[inline]
    fn insert(&mut self, h: u64) -> bool {
        let h = h.max(1);
        let mask = self.slots.len() - 1;
        let mut i = h as usize & mask;
        loop {
            let slot = &mut self.slots[i];
            if *slot == h {
                return false;
            }
            if *slot == 0 {
                *slot = h;
                self.len += 1;
                // Past EXACT_UP_TO the column goes to a sketch instead.
                if 2 * self.len > self.slots.len() && self.len <= EXACT_UP_TO {
                    self.grow();
                }
                return true;
            }
            i = (i + 1) & mask;
        }
    }

    /// Doubles the table, placing every hash anew.
    #[cold]
    fn grow(&mut self) {
        let doubled = vec![0; 2 * self.slots.len()];
        let old = std::mem::replace(&mut self.slots, doubled);
        let mask = self.slots.len() - 1;
        for h in old.into_iter().filter(|&h| h != 0) {
            let mut i = h as usize & mask;
            while self.slots[i] != 0 {
                i = (i + 1) & mask;
            }
            self.slots[i] = h;
        }
    }

    fn iter(&self) -> impl Iterator<Item = u64> + '_ {
        self.slots.iter().copied().filter(|&h| h != 0)
    }
}

/// How many distinct values a column has: exact while few, then estimated.
#[derive(Debug, Clone)]
pub struct Distinct {
    keys: Keys,
    counter: Counter,
}

#[derive(Debug, Clone)]
enum Counter {
    /// The hashes of every distinct value seen (64-bit hashes: a collision
    /// below [`EXACT_UP_TO`] values is about one chance in 10^13).
    Exact(HashSet64),
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
        let counter = if hashable(data_type) {
            Counter::Exact(HashSet64::new())
        } else {
            Counter::Unsupported
        };
        Self {
            keys: Keys::random(),
            counter,
        }
    }

    /// Counts a batch of the column's values (nulls are not values). The
    /// values are read straight from the array's buffers and each hash
    /// goes at once to the table or the sketch, in one loop a batch
    /// monomorphised for both.
    pub fn observe(&mut self, values: &dyn Array) {
        let keys = &self.keys;
        let counted = match &mut self.counter {
            Counter::Unsupported => return,
            Counter::Sketch(registers) => hash_values(values, keys, &mut Registers(registers)),
            Counter::Exact(set) => {
                let mut table = Table {
                    set,
                    overflow: Vec::new(),
                };
                let counted = hash_values(values, keys, &mut table);
                let overflow = table.overflow;
                if counted && set.len > EXACT_UP_TO {
                    // Too many to count exactly: what was counted, and the
                    // rest of the batch, go into a sketch.
                    let mut registers = Box::new([0u8; REGISTERS]);
                    for h in set.iter().chain(overflow) {
                        record(&mut registers, h);
                    }
                    self.counter = Counter::Sketch(registers);
                }
                counted
            }
        };
        if !counted {
            self.counter = Counter::Unsupported;
        }
    }

    /// The count so far; `None` for a type it does not count.
    pub fn count(&self) -> Option<DistinctCount> {
        match &self.counter {
            Counter::Exact(set) => Some(DistinctCount {
                count: set.len as u64,
                exact: true,
            }),
            Counter::Sketch(registers) => Some(DistinctCount {
                count: estimate(registers),
                exact: false,
            }),
            Counter::Unsupported => None,
        }
    }
}

/// Where a batch's hashes go as they are made.
trait Sink {
    fn add(&mut self, h: u64);
}

/// The exact phase: each hash into the table until it holds more than
/// [`EXACT_UP_TO`], the rest of the batch aside for the sketch.
struct Table<'a> {
    set: &'a mut HashSet64,
    overflow: Vec<u64>,
}

impl Sink for Table<'_> {
    #[inline]
    fn add(&mut self, h: u64) {
        if self.set.len <= EXACT_UP_TO {
            self.set.insert(h);
        } else {
            self.overflow.push(h);
        }
    }
}

/// The sketch phase: each hash straight into its register.
struct Registers<'a>(&'a mut [u8; REGISTERS]);

impl Sink for Registers<'_> {
    #[inline]
    fn add(&mut self, h: u64) {
        record(self.0, h);
    }
}

/// Hashes a batch's valid values into `sink`; false for a type not
/// counted.
fn hash_values(values: &dyn Array, keys: &Keys, sink: &mut impl Sink) -> bool {
    let nulls = values.nulls().filter(|n| n.null_count() > 0);
    match values.data_type() {
        DataType::Dictionary(_, value_type) => {
            // Counted by value: a dictionary may hold values no row uses.
            match cast(values, value_type) {
                Ok(plain) => return hash_values(plain.as_ref(), keys, sink),
                Err(_) => return false,
            }
        }
        DataType::Utf8 => {
            let a = values.as_string::<i32>();
            hash_bytes(sink, keys, a.value_offsets(), a.value_data(), nulls);
        }
        DataType::LargeUtf8 => {
            let a = values.as_string::<i64>();
            hash_bytes(sink, keys, a.value_offsets(), a.value_data(), nulls);
        }
        DataType::Binary => {
            let a = values.as_binary::<i32>();
            hash_bytes(sink, keys, a.value_offsets(), a.value_data(), nulls);
        }
        DataType::LargeBinary => {
            let a = values.as_binary::<i64>();
            hash_bytes(sink, keys, a.value_offsets(), a.value_data(), nulls);
        }
        DataType::Utf8View => {
            let a = values.as_string_view();
            a.iter()
                .flatten()
                .for_each(|v| sink.add(keys.bytes(v.as_bytes())));
        }
        DataType::Boolean => {
            // At most two values: whether each occurs, by bit counts.
            let a: &BooleanArray = values.as_boolean();
            let trues = a.true_count();
            let falses = a.len() - a.null_count() - trues;
            for (seen, v) in [(trues > 0, 1u8), (falses > 0, 0u8)] {
                if seen {
                    sink.add(keys.word(u64::from(v)));
                }
            }
        }
        DataType::FixedSizeBinary(_) => {
            let a = values.as_fixed_size_binary();
            a.iter().flatten().for_each(|v| sink.add(keys.bytes(v)));
        }
        dt => {
            let Some(width) = dt.primitive_width() else {
                return false;
            };
            let data = values.to_data();
            let bytes = &data.buffers()[0].as_slice()[data.offset() * width..];
            let bytes = &bytes[..(values.len() * width).min(bytes.len())];
            // Eight bytes or fewer: a 64-bit mix of the value itself, a
            // fraction of the cost of hashing its bytes; read at a width
            // known when compiled.
            match width {
                1 => mix_fixed::<1>(sink, keys, bytes, nulls),
                2 => mix_fixed::<2>(sink, keys, bytes, nulls),
                4 => mix_fixed::<4>(sink, keys, bytes, nulls),
                8 => mix_fixed::<8>(sink, keys, bytes, nulls),
                _ => {
                    let each = bytes.chunks_exact(width).enumerate();
                    each.filter(|(i, _)| nulls.is_none_or(|n| n.is_valid(*i)))
                        .for_each(|(_, v)| sink.add(keys.bytes(v)));
                }
            }
        }
    }
    true
}

/// Hashes the valid values of a primitive array of `N`-byte values.
fn mix_fixed<const N: usize>(
    sink: &mut impl Sink,
    keys: &Keys,
    bytes: &[u8],
    nulls: Option<&NullBuffer>,
) {
    let word = |v: &[u8]| {
        let mut word = [0u8; 8];
        word[..N].copy_from_slice(v);
        keys.word(u64::from_le_bytes(word))
    };
    let all = bytes.chunks_exact(N);
    match nulls {
        None => all.for_each(|v| sink.add(word(v))),
        Some(nulls) => all
            .zip(nulls.iter())
            .filter(|(_, valid)| *valid)
            .for_each(|(v, _)| sink.add(word(v))),
    }
}

/// Hashes the valid values of a variable-width array, read from its
/// offsets and data buffers.
fn hash_bytes<O: arrow::array::OffsetSizeTrait>(
    sink: &mut impl Sink,
    keys: &Keys,
    offsets: &[O],
    data: &[u8],
    nulls: Option<&NullBuffer>,
) {
    let value = |w: &[O]| keys.bytes(&data[w[0].as_usize()..w[1].as_usize()]);
    let all = offsets.windows(2);
    match nulls {
        None => all.for_each(|w| sink.add(value(w))),
        Some(nulls) => all
            .zip(nulls.iter())
            .filter(|(_, valid)| *valid)
            .for_each(|(w, _)| sink.add(value(w))),
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

/// The keys a column's values are hashed under, drawn at random for each
/// column: the hashes are as good as fixed ones for counting, and no one
/// who knows the code can choose values that collide in the table.
#[derive(Debug, Clone)]
struct Keys {
    /// foldhash (quality) for byte strings: a few instructions for the
    /// short strings columns mostly hold, and uniform enough for the
    /// sketch (an inline hash of our own measured 15% more instructions).
    bytes: FixedState,
    word: u64,
}

impl Keys {
    fn random() -> Self {
        let mut rng = rand::rng();
        Self {
            bytes: FixedState::with_seed(rng.random()),
            word: rng.random(),
        }
    }

    /// A value of eight bytes or fewer, as one word: keyed, then mixed (a
    /// bijection, so distinct values never collide).
    #[inline]
    fn word(&self, v: u64) -> u64 {
        mix(v ^ self.word)
    }

    /// The bytes alone, without the length prefix that `Hash` for a slice
    /// adds: one value is hashed at a time, so there is nothing to
    /// separate.
    #[inline]
    fn bytes(&self, bytes: &[u8]) -> u64 {
        let mut hasher = self.bytes.build_hasher();
        hasher.write(bytes);
        hasher.finish()
    }
}

/// MurmurHash3's 64-bit finaliser: every input bit flips each output bit
/// with probability one half, which the sketch's registers need (one
/// folded multiply, three instructions fewer, leaves sequential ids
/// estimated at nearly twice their count). A bijection, so distinct
/// values never collide.
#[inline]
fn mix(mut k: u64) -> u64 {
    k ^= k >> 33;
    k = k.wrapping_mul(0xff51_afd7_ed55_8ccd);
    k ^= k >> 33;
    k = k.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    k ^ (k >> 33)
}

/// A register takes the hash's top bits as its index, and keeps the
/// highest rank (trailing zeros of the other bits, plus one) it has seen:
/// the bits below the index are as uniform as any, and counting from the
/// bottom takes two instructions fewer than from the top.
#[inline]
fn record(registers: &mut [u8; REGISTERS], h: u64) {
    let index = (h >> (64 - PRECISION)) as usize;
    // The bit above the rest caps the rank at 64 - PRECISION and spares
    // the count a case for zero.
    let rank = ((h | (1 << (63 - PRECISION))).trailing_zeros() + 1) as u8;
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

    /// Five standard errors of a 4,096-register sketch (1.04 / 64): the
    /// keys are random, so an estimate is too, and a sound hash misses by
    /// this much about once in two million runs.
    const TOLERANCE: f64 = 5.0 * 1.04 / 64.0;

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
        assert!(error < TOLERANCE, "estimate {} of 200000", c.count);
    }

    #[test]
    fn nulls_and_slices_are_read_from_the_buffers_as_they_lie() {
        let exact = |count| Some(DistinctCount { count, exact: true });
        let mut d = Distinct::of(&DataType::Utf8);
        d.observe(&StringArray::from(vec![
            Some("a"),
            None,
            Some("b"),
            Some("a"),
            None,
        ]));
        assert_eq!(d.count(), exact(2));
        // Zero is a value (its mix is zero, the table's empty mark).
        let mut d = Distinct::of(&DataType::Int32);
        d.observe(&arrow::array::Int32Array::from(vec![
            Some(0),
            None,
            Some(0),
            Some(-1),
        ]));
        assert_eq!(d.count(), exact(2));
        let all = Int64Array::from(vec![Some(1), Some(2), None, Some(3), Some(4), Some(5)]);
        let mut d = Distinct::of(&DataType::Int64);
        d.observe(&all.slice(1, 3));
        assert_eq!(d.count(), exact(2));
        let words = StringArray::from(vec!["x", "y", "z", "y"]);
        let mut d = Distinct::of(&DataType::Utf8);
        d.observe(&words.slice(1, 3));
        assert_eq!(d.count(), exact(2));
    }

    #[test]
    fn the_switch_to_a_sketch_keeps_what_was_counted() {
        let mut d = Distinct::of(&DataType::Utf8);
        let values: Vec<String> = (0..EXACT_UP_TO + 1).map(|i| format!("v{i}")).collect();
        d.observe(&StringArray::from_iter_values(&values));
        let c = d.count().unwrap();
        assert!(!c.exact);
        let error = (c.count as f64 - values.len() as f64).abs() / values.len() as f64;
        assert!(
            error < TOLERANCE,
            "estimate {} of {}",
            c.count,
            values.len()
        );
    }

    #[test]
    fn strings_of_every_length_hash_apart() {
        // Every length through three blocks, each as zeros only (values
        // that differ only in length), with one byte changed at the front,
        // in the middle, and at the back.
        let mut values: Vec<Vec<u8>> = Vec::new();
        for len in 0..=48 {
            values.push(vec![0; len]);
            for at in [0, len / 2, len.saturating_sub(1)] {
                let mut v = vec![0; len.max(1)];
                let last = v.len() - 1;
                v[at.min(last)] = 1;
                values.push(v);
            }
        }
        let expected = values
            .iter()
            .collect::<std::collections::HashSet<_>>()
            .len();
        assert!(expected < EXACT_UP_TO);
        let mut d = Distinct::of(&DataType::Binary);
        d.observe(&arrow::array::BinaryArray::from_iter_values(&values));
        assert_eq!(
            d.count(),
            Some(DistinctCount {
                count: expected as u64,
                exact: true
            })
        );
        // Strings past one block, as columns of addresses hold: the sketch
        // is as close as for numbers.
        let mut d = Distinct::of(&DataType::Utf8);
        for start in (0..200_000).step_by(10_000) {
            let batch = (start..start + 10_000).map(|i| format!("user{i}@example.org"));
            d.observe(&StringArray::from_iter_values(batch));
        }
        let c = d.count().unwrap();
        let error = (c.count as f64 - 200_000.0).abs() / 200_000.0;
        assert!(error < TOLERANCE, "estimate {} of 200000", c.count);
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
