//! Personal data per column, from a bounded sample of what is written.
//!
//! The first [`SAMPLE_VALUES`] present values of each column are looked at:
//! text values go through the PII detectors, and a header that names a date
//! of birth makes every sampled value one. Only kinds and counts are kept,
//! never a value.

use std::collections::BTreeMap;

use arrow::array::{Array, AsArray, RecordBatch};
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
            let text = match values.data_type() {
                DataType::Utf8 => Some(values.as_string::<i32>()),
                _ => None,
            };
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
