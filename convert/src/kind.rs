//! The type lattice of delimited text and workbook cells: each value's
//! narrowest [`Kind`], and a column's the join of its values'.
//!
//! The key decision is never to coerce: a kind holds a value only when the
//! value reads back exactly (no leading zeros lost, no integer past 64
//! bits, no time finer than microseconds), so a column is widened rather
//! than a value changed.

use arrow::compute::kernels::cast_utils::string_to_datetime;
use arrow::datatypes::{DataType, TimeUnit};

/// Arrow's types for delimited text, in a lattice: a column's type is the
/// join of its values' kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Null,
    Bool,
    Int,
    Float,
    Date,
    Timestamp,
    /// A timestamp with a zone or offset: an instant, stored in UTC.
    TimestampUtc,
    Text,
}

impl Kind {
    /// The narrowest kind holding `s`. Integers with a leading zero (codes,
    /// identifiers) are text; so are integers past 64 bits, and times finer
    /// than microseconds, which no numeric or time type would keep exactly.
    pub fn of(s: &str) -> Kind {
        let b = s.as_bytes();
        let Some(&first) = b.first() else {
            return Kind::Null;
        };
        if s.eq_ignore_ascii_case("true") || s.eq_ignore_ascii_case("false") {
            return Kind::Bool;
        }
        let digits = b.strip_prefix(b"-").or(b.strip_prefix(b"+")).unwrap_or(b);
        if !digits.is_empty() && digits.iter().all(u8::is_ascii_digit) {
            let leading_zero = digits.len() > 1 && digits[0] == b'0';
            return match crate::values::int(s) {
                Some(_) if !leading_zero => Kind::Int,
                _ => Kind::Text,
            };
        }
        if (first.is_ascii_digit() || matches!(first, b'-' | b'+' | b'.'))
            && crate::values::float(s).is_some()
        {
            return Kind::Float;
        }
        let date_shape =
            b.len() >= 10 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-' && b[7] == b'-';
        if date_shape && b.len() == 10 && crate::values::date(s).is_some() {
            return Kind::Date;
        }
        if date_shape && b.len() >= 19 && matches!(b[10], b'T' | b' ') {
            if string_to_datetime(&chrono::Utc, s).is_err() {
                return Kind::Text;
            }
            let Some(rest) = s.get(19..) else {
                return Kind::Text;
            };
            let fraction = rest
                .strip_prefix('.')
                .map(|r| r.bytes().take_while(u8::is_ascii_digit).count())
                .unwrap_or(0);
            if fraction > 6 && rest[7..=fraction].bytes().any(|c| c != b'0') {
                return Kind::Text;
            }
            let zone = rest[fraction + usize::from(fraction > 0)..].trim();
            return if zone.is_empty() {
                Kind::Timestamp
            } else {
                Kind::TimestampUtc
            };
        }
        Kind::Text
    }

    pub fn join(self, other: Kind) -> Kind {
        use Kind::*;
        match (self.min(other), self.max(other)) {
            (a, b) if a == b => a,
            (Null, b) => b,
            (Int, Float) => Float,
            (Date, Timestamp) => Timestamp,
            _ => Text,
        }
    }

    pub fn data_type(self) -> DataType {
        match self {
            Kind::Null => DataType::Null,
            Kind::Bool => DataType::Boolean,
            Kind::Int => DataType::Int64,
            Kind::Float => DataType::Float64,
            Kind::Date => DataType::Date32,
            Kind::Timestamp => DataType::Timestamp(TimeUnit::Microsecond, None),
            Kind::TimestampUtc => DataType::Timestamp(TimeUnit::Microsecond, Some("+00:00".into())),
            Kind::Text => DataType::Utf8,
        }
    }

    pub(crate) fn of_type(t: &DataType) -> Kind {
        match t {
            DataType::Null => Kind::Null,
            DataType::Boolean => Kind::Bool,
            DataType::Int64 => Kind::Int,
            DataType::Float64 => Kind::Float,
            DataType::Date32 => Kind::Date,
            DataType::Timestamp(_, None) => Kind::Timestamp,
            DataType::Timestamp(_, Some(_)) => Kind::TimestampUtc,
            _ => Kind::Text,
        }
    }
}
