//! Personal data per column, from a bounded sample of what is written.
//!
//! The first [`SAMPLE_VALUES`] present values of each column are looked at:
//! text values go through the PII detectors, and a header that names a date
//! of birth makes every sampled value one. Only kinds and counts are kept,
//! never a value.

use std::collections::BTreeMap;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Schema};

use airlock_catalog::PiiCount;
use airlock_policies::pii::{PiiKind, detect, header_kind};

/// Values per column the detectors look at.
pub const SAMPLE_VALUES: u64 = 10_000;

#[derive(Debug, Default)]
struct Column {
    by_header: Option<PiiKind>,
    sampled: u64,
    found: BTreeMap<PiiKind, u64>,
}

/// What the detectors found in each column so far.
#[derive(Debug)]
pub struct Profile {
    columns: Vec<Column>,
}

impl Profile {
    pub fn new(schema: &Schema) -> Self {
        Self {
            columns: schema
                .fields()
                .iter()
                .map(|f| Column {
                    by_header: header_kind(f.name()),
                    ..Column::default()
                })
                .collect(),
        }
    }

    pub fn observe(&mut self, batch: &RecordBatch) {
        for (column, values) in self.columns.iter_mut().zip(batch.columns()) {
            let room = SAMPLE_VALUES - column.sampled;
            if room == 0 {
                continue;
            }
            let present = (0..values.len()).filter(|&i| values.is_valid(i));
            // Text in any of Arrow's forms (large, view, dictionary), as
            // plain strings: at most a batch, while the sample has room.
            let text = match values.data_type() {
                DataType::Utf8 => Some(values.clone()),
                DataType::LargeUtf8 | DataType::Utf8View => cast(values, &DataType::Utf8).ok(),
                DataType::Dictionary(_, v)
                    if matches!(**v, DataType::Utf8 | DataType::LargeUtf8) =>
                {
                    cast(values, &DataType::Utf8).ok()
                }
                _ => None,
            };
            let text = text.as_ref().map(|t| t.as_string::<i32>());
            for i in present.take(room as usize) {
                column.sampled += 1;
                let kind = column
                    .by_header
                    .or_else(|| text.and_then(|t| detect(t.value(i))));
                if let Some(kind) = kind {
                    *column.found.entry(kind).or_default() += 1;
                }
            }
        }
    }

    /// Per column: values sampled, and the count of each kind found.
    pub fn findings(&self) -> Vec<(i64, Vec<PiiCount>)> {
        self.columns
            .iter()
            .map(|c| {
                let found = c
                    .found
                    .iter()
                    .map(|(kind, &count)| PiiCount {
                        kind: kind.to_string(),
                        count: count as i64,
                    })
                    .collect();
                (c.sampled as i64, found)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{ArrayRef, DictionaryArray, LargeStringArray};
    use arrow::datatypes::{Field, Int32Type};

    use super::*;

    #[test]
    fn text_in_any_arrow_form_is_looked_at() {
        let dict: DictionaryArray<Int32Type> = vec!["ada@example.org", "x", "ada@example.org"]
            .into_iter()
            .collect();
        let large = LargeStringArray::from(vec![Some("SW1A 1AA"), None, Some("no")]);
        let columns: Vec<ArrayRef> = vec![Arc::new(dict), Arc::new(large)];
        let schema = Schema::new(vec![
            Field::new("contact", columns[0].data_type().clone(), true),
            Field::new("where", DataType::LargeUtf8, true),
        ]);
        let batch = RecordBatch::try_new(Arc::new(schema.clone()), columns).unwrap();
        let mut profile = Profile::new(&schema);
        profile.observe(&batch);
        let found = profile.findings();
        assert_eq!(found[0].0, 3);
        assert_eq!(
            found[0].1,
            [PiiCount {
                kind: "email".into(),
                count: 2
            }]
        );
        assert_eq!(found[1].0, 2, "nulls are not sampled");
        assert_eq!(
            found[1].1,
            [PiiCount {
                kind: "postcode".into(),
                count: 1
            }]
        );
    }
}
