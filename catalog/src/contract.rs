//! An acquisition's declared schema (its contract) and what a delivery was
//! found to break of it.
//!
//! The contract is stored with the acquisition as JSON. Column types use
//! the names analysts see in the catalog (`int64`, `decimal(12,2)`, …), so a
//! published dataset's columns read back as the contract declared them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::CatalogError;

/// The columns a delivery must have, in the order they are published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contract {
    pub columns: Vec<DeclaredColumn>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeclaredColumn {
    /// The name as the delivery writes it (a CSV header, a JSON key).
    pub name: String,
    #[serde(rename = "type")]
    pub column_type: ColumnType,
    /// Whether a value may be missing.
    #[serde(default = "yes")]
    pub nullable: bool,
}

fn yes() -> bool {
    true
}

/// The most characters in a declared column's name.
pub const MAX_COLUMN_NAME_CHARS: usize = 1000;

/// A declared column's name holds something besides white space: this
/// (unanchored) regular expression finds a character that is not, as
/// `str::trim` counts it.
pub const COLUMN_NAME_PATTERN: &str =
    r"[^\u0009-\u000d\u0020\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]";

/// What [`ColumnType::from_str`] takes, as a regular expression: a plain
/// type's name, or `decimal(P,S)` with 1 <= P <= 38 and S <= P, written
/// without spaces or leading zeros.
pub fn column_type_pattern() -> String {
    let upto = |n: u32| match n {
        0..=9 => format!("[0-{n}]"),
        10..=19 => format!("[0-9]|1[0-{}]", n - 10),
        20..=29 => format!("[0-9]|1[0-9]|2[0-{}]", n - 20),
        _ => format!("[0-9]|[12][0-9]|3[0-{}]", n - 30),
    };
    let decimals: Vec<String> = (1..=38).map(|p| format!("{p},(?:{})", upto(p))).collect();
    format!(
        "^(?:bool|int64|float64|date|timestamp|timestamp_tz|string|decimal\\((?:{})\\))$",
        decimals.join("|")
    )
}

/// The most columns a contract declares.
pub const MAX_DECLARED_COLUMNS: usize = 10_000;

impl Contract {
    /// Checks a contract as declared: at least one column, names non-empty
    /// and unique, decimals within Parquet's 38 digits.
    pub fn validate(&self) -> Result<(), String> {
        if self.columns.is_empty() {
            return Err("a declared schema needs at least one column".into());
        }
        if self.columns.len() > MAX_DECLARED_COLUMNS {
            return Err(format!(
                "a declared schema holds at most {MAX_DECLARED_COLUMNS} columns"
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for c in &self.columns {
            if c.name.trim().is_empty() || c.name.chars().count() > MAX_COLUMN_NAME_CHARS {
                return Err("a declared column's name must be 1-1000 characters, not blank".into());
            }
            if !seen.insert(c.name.as_str()) {
                return Err(format!("column {:?} is declared twice", c.name));
            }
        }
        Ok(())
    }

    /// Parses the stored JSON.
    pub fn from_json(text: &str) -> Result<Self, CatalogError> {
        serde_json::from_str(text)
            .map_err(|e| CatalogError::Corrupt(format!("a declared schema: {e}")))
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a contract serialises")
    }
}

/// A column type a contract can declare.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ColumnType {
    Bool,
    Int64,
    Float64,
    /// Exact decimal: `precision` digits in all (1-38), `scale` after the
    /// point (0-precision).
    Decimal {
        precision: u8,
        scale: u8,
    },
    Date,
    /// Wall-clock time, no zone.
    Timestamp,
    /// An instant: values carry a zone or offset and are stored in UTC.
    TimestampTz,
    String,
}

impl fmt::Display for ColumnType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ColumnType::Bool => f.write_str("bool"),
            ColumnType::Int64 => f.write_str("int64"),
            ColumnType::Float64 => f.write_str("float64"),
            ColumnType::Decimal { precision, scale } => write!(f, "decimal({precision},{scale})"),
            ColumnType::Date => f.write_str("date"),
            ColumnType::Timestamp => f.write_str("timestamp"),
            ColumnType::TimestampTz => f.write_str("timestamp_tz"),
            ColumnType::String => f.write_str("string"),
        }
    }
}

impl FromStr for ColumnType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let known = "bool, int64, float64, decimal(P,S), date, timestamp, timestamp_tz or string";
        Ok(match s {
            "bool" => ColumnType::Bool,
            "int64" => ColumnType::Int64,
            "float64" => ColumnType::Float64,
            "date" => ColumnType::Date,
            "timestamp" => ColumnType::Timestamp,
            "timestamp_tz" => ColumnType::TimestampTz,
            "string" => ColumnType::String,
            other => {
                let Some(args) = other
                    .strip_prefix("decimal(")
                    .and_then(|r| r.strip_suffix(')'))
                else {
                    return Err(format!("unknown column type {other:?}; use {known}"));
                };
                // Written plainly: digits only, no sign, space or leading zero.
                let parse = |p: &str| p.parse::<u8>().ok().filter(|n| n.to_string() == p);
                match args.split_once(',').map(|(p, s)| (parse(p), parse(s))) {
                    Some((Some(precision), Some(scale)))
                        if (1..=38).contains(&precision) && scale <= precision =>
                    {
                        ColumnType::Decimal { precision, scale }
                    }
                    _ => {
                        return Err(format!(
                            "{other:?}: a decimal is decimal(P,S) with 1 <= P <= 38 and S <= P"
                        ));
                    }
                }
            }
        })
    }
}

impl Serialize for ColumnType {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ColumnType {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Where in a delivery something was found: a line of delimited text, or
/// the n-th record (from 1) of any other format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Position {
    Line(u64),
    Record(u64),
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Position::Line(n) => write!(f, "line {n}"),
            Position::Record(n) => write!(f, "record {n}"),
        }
    }
}

/// Values of one declared column that break the contract. Never the
/// values themselves: they may be personal data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ColumnBreach {
    pub column: String,
    pub declared: ColumnType,
    /// Values present but not of the declared type.
    pub misfits: u64,
    pub first_misfit: Option<Position>,
    /// Values missing from a column declared not nullable.
    pub nulls: u64,
    pub first_null: Option<Position>,
}

/// What a delivery breaks of its contract; empty when it keeps it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SchemaCheck {
    /// Declared columns the delivery lacks.
    pub missing: Vec<String>,
    /// Columns the delivery has that were not declared.
    pub extra: Vec<String>,
    pub breaches: Vec<ColumnBreach>,
}

impl SchemaCheck {
    pub fn is_clean(&self) -> bool {
        self.missing.is_empty() && self.extra.is_empty() && self.breaches.is_empty()
    }

    /// How many columns and values break the contract: each missing or
    /// undeclared column, each misfit and each missing value.
    pub fn violations(&self) -> u64 {
        let values: u64 = self.breaches.iter().map(|b| b.misfits + b.nulls).sum();
        (self.missing.len() + self.extra.len()) as u64 + values
    }

    /// Every finding, one clause each, in the delivery's column order.
    pub fn findings(&self) -> Vec<String> {
        let mut out = Vec::new();
        for m in &self.missing {
            out.push(format!("declared column {m:?} is missing"));
        }
        for e in &self.extra {
            out.push(format!("column {e:?} is not declared"));
        }
        for b in &self.breaches {
            if let Some(at) = b.first_misfit {
                out.push(format!(
                    "column {:?}: {} value{} not {}, the first at {at}",
                    b.column,
                    b.misfits,
                    if b.misfits == 1 { " is" } else { "s are" },
                    b.declared
                ));
            }
            if let Some(at) = b.first_null {
                out.push(format!(
                    "column {:?}: {} value{} missing (declared not nullable), the first at {at}",
                    b.column,
                    b.nulls,
                    if b.nulls == 1 { " is" } else { "s are" },
                ));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_column_type_pattern_says_what_parsing_takes() {
        let re = regex::Regex::new(&column_type_pattern()).unwrap();
        let mut types = vec![
            "bool",
            "int64 ",
            "decimal(1,2)",
            "decimal(0,0)",
            "decimal(39,0)",
        ]
        .into_iter()
        .map(String::from)
        .collect::<Vec<_>>();
        for p in 0..=40 {
            for s in [0, 1, 9, 10, 19, 20, 29, 30, 38, 39] {
                types.push(format!("decimal({p},{s})"));
            }
        }
        for t in types {
            assert_eq!(re.is_match(&t), t.parse::<ColumnType>().is_ok(), "{t:?}");
        }
        let name = regex::Regex::new(COLUMN_NAME_PATTERN).unwrap();
        for n in ["a", " a ", " ", "\t\n", "\u{3000}", "\u{85}x", ""] {
            assert_eq!(name.is_match(n), !n.trim().is_empty(), "{n:?}");
        }
    }

    #[test]
    fn column_types_read_back_as_written() {
        for t in [
            "bool",
            "int64",
            "float64",
            "decimal(12,2)",
            "decimal(38,0)",
            "date",
            "timestamp",
            "timestamp_tz",
            "string",
        ] {
            assert_eq!(t.parse::<ColumnType>().unwrap().to_string(), t);
        }
        for loose in [
            "decimal( 5 , 1 )",
            " int64",
            "decimal(05,1)",
            "decimal(+5,1)",
        ] {
            assert!(loose.parse::<ColumnType>().is_err(), "{loose:?}");
        }
        for bad in [
            "int",
            "decimal(39,2)",
            "decimal(4,5)",
            "decimal(0,0)",
            "decimal(a,b)",
        ] {
            assert!(bad.parse::<ColumnType>().is_err(), "{bad}");
        }
    }

    #[test]
    fn contracts_are_checked_as_declared() {
        let parse = |j: &str| serde_json::from_str::<Contract>(j);
        let ok = parse(r#"{"columns":[{"name":"id","type":"int64","nullable":false},{"name":"x","type":"string"}]}"#).unwrap();
        assert!(ok.validate().is_ok());
        assert!(ok.columns[1].nullable);
        assert_eq!(Contract::from_json(&ok.to_json()).unwrap(), ok);
        assert!(parse(r#"{"columns":[{"name":"id","type":"integer"}]}"#).is_err());
        assert!(parse(r#"{"columns":[{"name":"id","type":"int64","pk":true}]}"#).is_err());
        let twice =
            parse(r#"{"columns":[{"name":"a","type":"int64"},{"name":"a","type":"string"}]}"#);
        assert!(twice.unwrap().validate().unwrap_err().contains("twice"));
        assert!(parse(r#"{"columns":[]}"#).unwrap().validate().is_err());
    }

    #[test]
    fn findings_name_columns_counts_and_positions_never_values() {
        let check = SchemaCheck {
            missing: vec!["age".into()],
            extra: vec!["note".into()],
            breaches: vec![ColumnBreach {
                column: "amount".into(),
                declared: ColumnType::Decimal {
                    precision: 10,
                    scale: 2,
                },
                misfits: 3,
                first_misfit: Some(Position::Line(17)),
                nulls: 1,
                first_null: Some(Position::Line(4)),
            }],
        };
        assert!(!check.is_clean());
        assert_eq!(
            check.findings(),
            [
                "declared column \"age\" is missing",
                "column \"note\" is not declared",
                "column \"amount\": 3 values are not decimal(10,2), the first at line 17",
                "column \"amount\": 1 value is missing (declared not nullable), the first at line 4",
            ]
        );
        assert!(SchemaCheck::default().is_clean());
    }
}
