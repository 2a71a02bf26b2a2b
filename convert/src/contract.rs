//! Holding a delivery to its acquisition's declared schema.
//!
//! Columns are matched by the name the delivery writes. The output has the
//! declared columns in the declared order, each of its declared type, then
//! any undeclared columns as read. A value that does not fit its declared
//! type is never coerced: it is counted, with the position of the first,
//! and written as null, and the whole [`SchemaCheck`] goes to the caller,
//! which decides (by default the file is rejected and nothing published).
//!
//! "Fits" is strict. Text fits where its inferred kind joins into the
//! declared one (so `0123` is no `int64`: its leading zero would be lost, and
//! a zone-less time is no `timestamp_tz`), and a decimal keeps every digit
//! it was given. A typed value (JSON, Parquet, Avro, Excel) fits where it
//! survives the cast to the declared type and back unchanged.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, BooleanArray, RecordBatch, StringArray, new_null_array};
use arrow::compute::kernels::cmp::eq;
use arrow::compute::{CastOptions, can_cast_types, cast_with_options, nullif};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};

use airlock_catalog::{ColumnBreach, ColumnType, Contract, Position, SchemaCheck};

use crate::ConvertError;
use crate::kind::Kind;

/// The Arrow type a declared type is stored as.
pub fn data_type(t: ColumnType) -> DataType {
    match t {
        ColumnType::Bool => DataType::Boolean,
        ColumnType::Int64 => DataType::Int64,
        ColumnType::Float64 => DataType::Float64,
        ColumnType::Decimal { precision, scale } => DataType::Decimal128(precision, scale as i8),
        ColumnType::Date => DataType::Date32,
        ColumnType::Timestamp => DataType::Timestamp(TimeUnit::Microsecond, None),
        ColumnType::TimestampTz => {
            DataType::Timestamp(TimeUnit::Microsecond, Some("+00:00".into()))
        }
        ColumnType::String => DataType::Utf8,
    }
}

/// The text kind a declared type holds, for all but decimals.
fn kind(t: ColumnType) -> Option<Kind> {
    Some(match t {
        ColumnType::Bool => Kind::Bool,
        ColumnType::Int64 => Kind::Int,
        ColumnType::Float64 => Kind::Float,
        ColumnType::Date => Kind::Date,
        ColumnType::Timestamp => Kind::Timestamp,
        ColumnType::TimestampTz => Kind::TimestampUtc,
        ColumnType::String => Kind::Text,
        ColumnType::Decimal { .. } => return None,
    })
}

/// Whether `s` is a plain decimal with at most `scale` digits after the
/// point that are not trailing zeros.
fn decimal_text_fits(s: &str, scale: u8) -> bool {
    let s = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (whole, fraction) = s.split_once('.').unwrap_or((s, ""));
    !(whole.is_empty() && fraction.is_empty())
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.bytes().all(|b| b.is_ascii_digit())
        && fraction.trim_end_matches('0').len() <= scale as usize
}

/// One column cast to its declared type, and which of its values did not
/// fit (present, but null after the cast).
fn conform_column(
    values: &ArrayRef,
    declared: ColumnType,
) -> Result<(ArrayRef, Vec<bool>), ConvertError> {
    let to = data_type(declared);
    let len = values.len();
    if values.data_type() == &to {
        return Ok((values.clone(), vec![false; len]));
    }
    if !can_cast_types(values.data_type(), &to) {
        let misfit = (0..len).map(|i| values.is_valid(i)).collect();
        return Ok((new_null_array(&to, len), misfit));
    }
    let safe = CastOptions {
        safe: true,
        ..Default::default()
    };
    let cast = cast_with_options(values, &to, &safe).map_err(crate::error::invalid)?;
    let mut misfit: Vec<bool> = (0..len)
        .map(|i| values.is_valid(i) && cast.is_null(i))
        .collect();
    if let Some(text) = values.as_any().downcast_ref::<StringArray>() {
        for (i, v) in text.iter().enumerate() {
            let Some(v) = v else { continue };
            let fits = match (declared, kind(declared)) {
                (ColumnType::Decimal { scale, .. }, _) => decimal_text_fits(v, scale),
                (_, Some(k)) => k.join(Kind::of(v)) == k,
                (_, None) => true,
            };
            misfit[i] |= !fits;
        }
    } else if declared != ColumnType::String {
        // Typed values must come back unchanged from the declared type.
        let fits = cast_with_options(&cast, values.data_type(), &safe)
            .and_then(|back| eq(&back, values))
            .ok();
        for (i, m) in misfit.iter_mut().enumerate() {
            let same = fits.as_ref().is_some_and(|f| f.is_valid(i) && f.value(i));
            *m |= values.is_valid(i) && !same;
        }
    }
    let mask = BooleanArray::from(misfit.clone());
    let kept = nullif(&cast, &mask).map_err(crate::error::invalid)?;
    Ok((kept, misfit))
}

/// Where each output column comes from.
#[derive(Debug, Clone)]
enum Slot {
    Declared {
        source: Option<usize>,
        declared: ColumnType,
        nullable: bool,
    },
    Extra(usize),
}

/// What one batch broke, per declared column, at positions located by the
/// caller.
#[derive(Debug, Clone, Default)]
pub struct Found {
    misfits: u64,
    first_misfit: Option<Position>,
    nulls: u64,
    first_null: Option<Position>,
}

/// Casts batches to a contract, counting what does not fit.
#[derive(Debug, Clone)]
pub struct Conformer {
    slots: Vec<Slot>,
    schema: SchemaRef,
    source_names: Vec<String>,
    declared: Vec<(String, ColumnType)>,
    missing: Vec<String>,
    extra: Vec<String>,
}

impl Conformer {
    /// Matches the delivery's columns (`names`, as written; `types`, as
    /// read) to the contract. `normalise` makes the names of undeclared
    /// columns usable, given the declared names before them.
    pub fn new(
        contract: &Contract,
        names: &[String],
        types: &[DataType],
        normalise: impl Fn(Vec<String>) -> Vec<String>,
    ) -> Self {
        let mut taken = vec![false; names.len()];
        let mut slots = Vec::new();
        let mut missing = Vec::new();
        for c in &contract.columns {
            let source = names
                .iter()
                .enumerate()
                .position(|(i, n)| !taken[i] && n == &c.name);
            match source {
                Some(i) => taken[i] = true,
                None => missing.push(c.name.clone()),
            }
            slots.push(Slot::Declared {
                source,
                declared: c.column_type,
                nullable: c.nullable,
            });
        }
        let extras: Vec<usize> = (0..names.len()).filter(|&i| !taken[i]).collect();
        let extra: Vec<String> = extras.iter().map(|&i| names[i].clone()).collect();
        let out_names = normalise(
            contract
                .columns
                .iter()
                .map(|c| c.name.clone())
                .chain(extra.iter().cloned())
                .collect(),
        );
        let mut fields = Vec::new();
        for (c, name) in contract.columns.iter().zip(&out_names) {
            fields.push(Field::new(name, data_type(c.column_type), true));
        }
        for (&i, name) in extras.iter().zip(&out_names[contract.columns.len()..]) {
            fields.push(Field::new(name, types[i].clone(), true));
            slots.push(Slot::Extra(i));
        }
        Self {
            slots,
            schema: Arc::new(Schema::new(fields)),
            source_names: contract
                .columns
                .iter()
                .map(|c| c.name.clone())
                .chain(extra.iter().cloned())
                .collect(),
            declared: contract
                .columns
                .iter()
                .map(|c| (c.name.clone(), c.column_type))
                .collect(),
            missing,
            extra,
        }
    }

    /// The schema of what [`Conformer::apply`] returns.
    pub fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    /// The delivery's name for each output column.
    pub fn source_names(&self) -> &[String] {
        &self.source_names
    }

    /// Casts a batch to the contract; `locate` turns a row of the batch into
    /// its position in the delivery.
    pub fn apply(
        &self,
        batch: &RecordBatch,
        locate: impl Fn(usize) -> Position,
    ) -> Result<(RecordBatch, Vec<Found>), ConvertError> {
        let rows = batch.num_rows();
        let mut columns = Vec::with_capacity(self.slots.len());
        let mut found = Vec::with_capacity(self.declared.len());
        for slot in &self.slots {
            match *slot {
                Slot::Declared {
                    source,
                    declared,
                    nullable,
                } => {
                    let Some(i) = source else {
                        columns.push(new_null_array(&data_type(declared), rows));
                        found.push(Found::default());
                        continue;
                    };
                    let (values, misfit) = conform_column(batch.column(i), declared)?;
                    let mut f = Found::default();
                    for (row, &m) in misfit.iter().enumerate() {
                        if m {
                            f.misfits += 1;
                            f.first_misfit.get_or_insert_with(|| locate(row));
                        } else if !nullable && values.is_null(row) {
                            f.nulls += 1;
                            f.first_null.get_or_insert_with(|| locate(row));
                        }
                    }
                    columns.push(values);
                    found.push(f);
                }
                Slot::Extra(i) => columns.push(batch.column(i).clone()),
            }
        }
        let out =
            RecordBatch::try_new(self.schema.clone(), columns).map_err(crate::error::invalid)?;
        Ok((out, found))
    }

    /// A tally of what batches broke, to add [`Found`]s to in input order.
    pub fn tally(&self) -> Tally {
        Tally {
            found: vec![Found::default(); self.declared.len()],
        }
    }

    /// The check, once every batch is tallied.
    pub fn check(&self, tally: Tally) -> SchemaCheck {
        SchemaCheck {
            missing: self.missing.clone(),
            extra: self.extra.clone(),
            breaches: self
                .declared
                .iter()
                .zip(tally.found)
                .filter(|(_, f)| f.misfits + f.nulls > 0)
                .map(|((column, declared), f)| ColumnBreach {
                    column: column.clone(),
                    declared: *declared,
                    misfits: f.misfits,
                    first_misfit: f.first_misfit,
                    nulls: f.nulls,
                    first_null: f.first_null,
                })
                .collect(),
        }
    }
}

/// What the batches so far broke.
#[derive(Debug, Clone)]
pub struct Tally {
    found: Vec<Found>,
}

impl Tally {
    pub fn add(&mut self, batch: Vec<Found>) {
        for (total, f) in self.found.iter_mut().zip(batch) {
            total.misfits += f.misfits;
            total.nulls += f.nulls;
            total.first_misfit = total.first_misfit.or(f.first_misfit);
            total.first_null = total.first_null.or(f.first_null);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Float64Array, Int64Array};

    fn contract(json: &str) -> Contract {
        serde_json::from_str(json).unwrap()
    }

    fn text(values: &[Option<&str>]) -> ArrayRef {
        Arc::new(StringArray::from(values.to_vec()))
    }

    fn misfits(values: ArrayRef, declared: &str) -> Vec<bool> {
        conform_column(&values, declared.parse().unwrap())
            .unwrap()
            .1
    }

    #[test]
    fn text_fits_only_where_nothing_would_be_lost() {
        let ints = text(&[
            Some("12"),
            Some("-3"),
            Some("0123"),
            Some("2.5"),
            None,
            Some("x"),
        ]);
        assert_eq!(
            misfits(ints, "int64"),
            [false, false, true, true, false, true]
        );
        let floats = text(&[Some("1"), Some("2.5"), Some("1e3"), Some("n/a")]);
        assert_eq!(misfits(floats, "float64"), [false, false, false, true]);
        let money = text(&[
            Some("1.23"),
            Some("1.230"),
            Some("1.234"),
            Some("-7"),
            Some("1e2"),
        ]);
        assert_eq!(
            misfits(money, "decimal(10,2)"),
            [false, false, true, false, true]
        );
        let big = text(&[Some("123456.7")]);
        assert_eq!(misfits(big, "decimal(5,1)"), [true], "past the precision");
        let times = text(&[
            Some("2024-05-01T10:00:00+02:00"),
            Some("2024-05-01 10:00:00"),
            Some("2024-05-01"),
        ]);
        assert_eq!(misfits(times.clone(), "timestamp_tz"), [false, true, true]);
        assert_eq!(misfits(times, "timestamp"), [true, false, false]);
        let flags = text(&[Some("true"), Some("FALSE"), Some("yes")]);
        assert_eq!(misfits(flags, "bool"), [false, false, true]);
        assert_eq!(misfits(text(&[Some("anything")]), "string"), [false]);
    }

    #[test]
    fn typed_values_fit_where_they_survive_the_round_trip() {
        let floats: ArrayRef = Arc::new(Float64Array::from(vec![Some(2.0), Some(2.5), None]));
        assert_eq!(misfits(floats.clone(), "int64"), [false, true, false]);
        assert_eq!(misfits(floats, "decimal(4,1)"), [false, false, false]);
        let ints: ArrayRef = Arc::new(Int64Array::from(vec![1 << 60, (1 << 60) + 1]));
        assert_eq!(
            misfits(ints.clone(), "float64"),
            [false, true],
            "2^60+1 is no float64"
        );
        assert_eq!(misfits(ints, "string"), [false, false]);
    }

    #[test]
    fn a_batch_is_cast_to_the_contract_with_misfits_null_and_counted() {
        let c = contract(
            r#"{"columns":[
                {"name":"id","type":"int64","nullable":false},
                {"name":"amount","type":"decimal(8,2)"},
                {"name":"gone","type":"date"}]}"#,
        );
        let names: Vec<String> = ["amount", "id", "note"].map(String::from).to_vec();
        let types = vec![DataType::Utf8; 3];
        let conformer = Conformer::new(&c, &names, &types, crate::names::normalise);
        let batch = RecordBatch::try_new(
            Arc::new(Schema::new(
                names
                    .iter()
                    .map(|n| Field::new(n, DataType::Utf8, true))
                    .collect::<Vec<_>>(),
            )),
            vec![
                text(&[Some("1.50"), Some("bad"), Some("3")]),
                text(&[Some("1"), None, Some("x")]),
                text(&[Some("a"), Some("b"), Some("c")]),
            ],
        )
        .unwrap();
        let (out, found) = conformer
            .apply(&batch, |row| Position::Line(row as u64 + 2))
            .unwrap();
        let fields: Vec<_> = out
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        assert_eq!(fields, ["id", "amount", "gone", "note"]);
        let ids = out.column(0).as_any().downcast_ref::<Int64Array>().unwrap();
        assert_eq!(ids.iter().collect::<Vec<_>>(), [Some(1), None, None]);
        assert_eq!(out.column(1).null_count(), 1);
        assert_eq!(out.column(2).null_count(), 3);
        let mut tally = conformer.tally();
        tally.add(found.clone());
        tally.add(found);
        let check = conformer.check(tally);
        assert_eq!(check.missing, ["gone"]);
        assert_eq!(check.extra, ["note"]);
        assert_eq!(
            check.findings()[2..],
            [
                "column \"id\": 2 values are not int64, the first at line 4",
                "column \"id\": 2 values are missing (declared not nullable), the first at line 3",
                "column \"amount\": 2 values are not decimal(8,2), the first at line 3",
            ]
        );
    }
}
