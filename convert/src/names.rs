//! The names analysts see: columns' and types'.
//!
//! The key decision is that a delivered column name is kept as metadata
//! (`source_name`) and never trusted as an identifier: an empty or
//! repeated name gets a name every engine accepts.

use arrow::datatypes::DataType;

/// Names Parquet and the common engines accept: an empty name becomes
/// `column_N` (its position), a repeated one gets `_2`, `_3`, ….
pub fn normalise(names: Vec<String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    names
        .into_iter()
        .enumerate()
        .map(|(i, n)| {
            let base = if n.trim().is_empty() {
                format!("column_{}", i + 1)
            } else {
                n
            };
            let (mut name, mut k) = (base.clone(), 2);
            while !seen.insert(name.clone()) {
                name = format!("{base}_{k}");
                k += 1;
            }
            name
        })
        .collect()
}

/// The name analysts see for an Arrow type.
pub fn type_name(t: &DataType) -> String {
    match t {
        DataType::Int64 => "int64".into(),
        DataType::Float64 => "float64".into(),
        DataType::Boolean => "bool".into(),
        DataType::Date32 => "date".into(),
        DataType::Timestamp(_, None) => "timestamp".into(),
        DataType::Timestamp(_, Some(_)) => "timestamp_tz".into(),
        DataType::Utf8 | DataType::LargeUtf8 => "string".into(),
        DataType::Null => "null".into(),
        DataType::Decimal128(p, s) => format!("decimal({p},{s})"),
        other => other.to_string().to_lowercase(),
    }
}
