//! Iceberg schemas from the columns Airlock records for each version, with
//! field ids that stay put across versions, and the name mapping that
//! ties Airlock's Parquet columns (written without field ids) to them.
//!
//! Key decision: a column's field id is given by its name, in the order
//! names first appear across the table's versions, and never changes. So
//! the name mapping (`schema.name-mapping.default`) is one list for the
//! whole table, and a reader of any snapshot resolves each part's columns
//! by name to that snapshot's schema. A column whose type changed between
//! versions keeps its id: each snapshot carries its own schema, and
//! readers read a snapshot with the schema it names.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::IcebergError;

/// A column as the catalog records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column<'a> {
    pub name: &'a str,
    /// Airlock's type name (`int64`, `float64`, `bool`, `date`,
    /// `timestamp`, `timestamp_tz`, `string`, `decimal(p,s)`, …).
    pub data_type: &'a str,
    pub nullable: bool,
}

/// The Iceberg type of an Airlock type name.
pub fn iceberg_type(data_type: &str) -> Result<String, IcebergError> {
    let t = match data_type {
        "int64" => "long",
        "int32" | "int16" | "int8" | "uint8" | "uint16" => "int",
        "float64" => "double",
        "float32" => "float",
        "bool" => "boolean",
        "date" => "date",
        "timestamp" => "timestamp",
        "timestamp_tz" => "timestamptz",
        "string" => "string",
        // A column with no value yet: Parquet holds only nulls, which read
        // as any type; text is what a later value most often widens to.
        "null" => "string",
        "binary" | "largebinary" => "binary",
        d if d.starts_with("decimal(") && d.ends_with(')') => return Ok(d.to_owned()),
        other => return Err(IcebergError::UnsupportedType(other.to_owned())),
    };
    Ok(t.to_owned())
}

/// Field ids by column name, for every version's columns, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldIds {
    ids: BTreeMap<String, i32>,
    last: i32,
}

impl FieldIds {
    pub fn new<'a>(versions: impl IntoIterator<Item = &'a [Column<'a>]>) -> FieldIds {
        let mut ids = FieldIds::default();
        for columns in versions {
            for c in columns {
                if !ids.ids.contains_key(c.name) {
                    ids.last += 1;
                    ids.ids.insert(c.name.to_owned(), ids.last);
                }
            }
        }
        ids
    }

    /// The highest id given, Iceberg's `last-column-id`.
    pub fn last(&self) -> i32 {
        self.last
    }

    fn id(&self, name: &str) -> Result<i32, IcebergError> {
        self.ids
            .get(name)
            .copied()
            .ok_or_else(|| IcebergError::UnknownColumn(name.to_owned()))
    }

    /// The table's `schema.name-mapping.default`: each id with its name.
    pub fn name_mapping(&self) -> String {
        let mut by_id: Vec<(&i32, &String)> = self.ids.iter().map(|(n, i)| (i, n)).collect();
        by_id.sort();
        let mapping: Vec<Value> = by_id
            .into_iter()
            .map(|(id, name)| json!({"field-id": id, "names": [name]}))
            .collect();
        Value::Array(mapping).to_string()
    }

    /// The Iceberg schema `schema_id` of one version's columns.
    pub fn schema(&self, schema_id: i64, columns: &[Column<'_>]) -> Result<Value, IcebergError> {
        let fields = columns
            .iter()
            .map(|c| {
                Ok(json!({
                    "id": self.id(c.name)?,
                    "name": c.name,
                    "required": !c.nullable,
                    "type": iceberg_type(c.data_type)?,
                }))
            })
            .collect::<Result<Vec<_>, IcebergError>>()?;
        Ok(json!({"type": "struct", "schema-id": schema_id, "fields": fields}))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col<'a>(name: &'a str, data_type: &'a str) -> Column<'a> {
        Column {
            name,
            data_type,
            nullable: true,
        }
    }

    #[test]
    fn ids_follow_names_across_versions_and_never_move() {
        let v1 = [col("id", "int64"), col("name", "string")];
        let v2 = [
            col("name", "string"),
            col("score", "float64"),
            col("id", "string"),
        ];
        let ids = FieldIds::new([&v1[..], &v2[..]]);
        assert_eq!(ids.last(), 3);
        let s2 = ids.schema(2, &v2).unwrap();
        let got: Vec<(i64, &str, &str)> = s2["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["id"].as_i64().unwrap(),
                    f["name"].as_str().unwrap(),
                    f["type"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (2, "name", "string"),
                (3, "score", "double"),
                (1, "id", "string")
            ]
        );
        assert_eq!(
            ids.name_mapping(),
            r#"[{"field-id":1,"names":["id"]},{"field-id":2,"names":["name"]},{"field-id":3,"names":["score"]}]"#
        );
    }

    #[test]
    fn a_type_iceberg_lacks_is_named_in_the_error() {
        let ids = FieldIds::new([&[col("tags", "list<string>")][..]]);
        let err = ids.schema(1, &[col("tags", "list<string>")]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "no Iceberg type for the column type list<string>"
        );
    }
}
