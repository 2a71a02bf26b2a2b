//! Excel workbooks (.xlsx), read with calamine's streaming cell reader: the
//! sheet's XML is walked cell by cell, never loaded as a grid. A sheet is
//! read twice: once for its width and each column's kind (the same lattice
//! as delimited text, from Excel's typed cells), then into record batches.
//!
//! The first row is the header. Excel keeps every number as a double; a
//! column whose numbers are all whole (and exact in a double) is an integer
//! column, as pandas reads it. Cells formatted as dates become dates, or
//! timestamps when any has a time of day. An error cell (`#DIV/0!`) is kept
//! as its text, which makes its column text: nothing is turned into a null
//! that was not empty.

use std::io::BufReader;
use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanBuilder, Date32Builder, Float64Builder, Int64Builder, RecordBatch,
    StringBuilder, TimestampMicrosecondBuilder,
};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use calamine::{DataRef, Reader, Xlsx};

use crate::ConvertError;
use crate::kind::Kind;
use crate::names::normalise;

type Book = Xlsx<BufReader<std::fs::File>>;

fn bad(msg: String) -> ConvertError {
    ConvertError::Invalid(msg)
}

fn book(src: &std::path::Path) -> Result<Book, ConvertError> {
    let file = BufReader::new(std::fs::File::open(src)?);
    Xlsx::new(file).map_err(|e| bad(format!("not a readable .xlsx workbook: {e}")))
}

/// The sheet to read: the one named, else the only one.
pub fn sheet(src: &std::path::Path, named: Option<&str>) -> Result<String, ConvertError> {
    let names = book(src)?.sheet_names();
    match named {
        Some(n) if names.iter().any(|s| s == n) => Ok(n.to_owned()),
        Some(n) => Err(bad(format!(
            "the workbook has no sheet {n:?}; its sheets are {names:?}"
        ))),
        None if names.len() == 1 => Ok(names[0].clone()),
        None => Err(bad(format!(
            "the workbook has {} sheets ({names:?}); name the one to read",
            names.len()
        ))),
    }
}

/// The sheets to publish, each as its own table: the one the acquisition
/// names, else every sheet with a value in it, in the workbook's order.
pub fn tables(src: &std::path::Path, named: Option<&str>) -> Result<Vec<String>, ConvertError> {
    if named.is_some() {
        return Ok(vec![sheet(src, named)?]);
    }
    let mut book = book(src)?;
    let mut out = Vec::new();
    for name in book.sheet_names() {
        let mut any = false;
        cells(&mut book, &name, |_, _, _| {
            any = true;
            Ok(false)
        })?;
        if any {
            out.push(name);
        }
    }
    if out.is_empty() {
        return Err(bad("the workbook holds no values".into()));
    }
    Ok(out)
}

/// Every cell of the sheet with a value, in order, as (row, column,
/// value), until `each` says stop (`false`).
fn cells(
    book: &mut Book,
    sheet: &str,
    mut each: impl FnMut(u32, u32, &DataRef<'_>) -> Result<bool, ConvertError>,
) -> Result<(), ConvertError> {
    let mut reader = book
        .worksheet_cells_reader(sheet)
        .map_err(|e| bad(format!("sheet {sheet:?}: {e}")))?;
    while let Some(cell) = reader
        .next_cell()
        .map_err(|e| bad(format!("sheet {sheet:?}: {e}")))?
    {
        let (row, col) = cell.get_position();
        if *cell.get_value() != DataRef::Empty && !each(row, col, cell.get_value())? {
            break;
        }
    }
    Ok(())
}

/// The kind of one cell.
fn kind(v: &DataRef<'_>) -> Kind {
    match v {
        DataRef::Empty => Kind::Null,
        DataRef::Int(_) => Kind::Int,
        DataRef::Float(f) if f.fract() == 0.0 && f.abs() < 2f64.powi(53) => Kind::Int,
        DataRef::Float(_) => Kind::Float,
        DataRef::Bool(_) => Kind::Bool,
        DataRef::DateTime(d) if d.is_datetime() => match d.as_datetime() {
            Some(t) if t.time() == chrono::NaiveTime::MIN => Kind::Date,
            Some(_) => Kind::Timestamp,
            None => Kind::Text,
        },
        DataRef::DateTimeIso(s) => match Kind::of(s) {
            k @ (Kind::Date | Kind::Timestamp) => k,
            _ => Kind::Text,
        },
        _ => Kind::Text,
    }
}

fn text(v: &DataRef<'_>) -> Option<String> {
    Some(match v {
        DataRef::Empty => return None,
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
        DataRef::SharedString(s) => (*s).to_owned(),
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) if f.fract() == 0.0 && f.abs() < 2f64.powi(53) => (*f as i64).to_string(),
        DataRef::Float(f) => f.to_string(),
        DataRef::Bool(b) => b.to_string(),
        DataRef::DateTime(d) => match d.as_datetime() {
            Some(t) if d.is_datetime() => t.format("%Y-%m-%dT%H:%M:%S%.f").to_string(),
            _ => d.as_f64().to_string(),
        },
        DataRef::Error(e) => e.to_string(),
    })
}

fn micros(v: &DataRef<'_>) -> Option<chrono::NaiveDateTime> {
    match v {
        DataRef::DateTime(d) => d.as_datetime(),
        DataRef::DateTimeIso(s) => {
            arrow::compute::kernels::cast_utils::string_to_datetime(&chrono::Utc, s)
                .ok()
                .map(|t| t.naive_utc())
        }
        _ => None,
    }
}

/// The sheet's shape: its first row, width, header and column kinds.
pub struct Sheet {
    pub name: String,
    first_row: u32,
    first_col: u32,
    pub source_names: Vec<String>,
    pub schema: SchemaRef,
}

/// Reads the sheet once for its shape.
pub fn shape(src: &std::path::Path, name: &str, max_columns: usize) -> Result<Sheet, ConvertError> {
    let mut book = book(src)?;
    let (mut first_row, mut first_col, mut last_col) = (None::<u32>, u32::MAX, 0u32);
    let mut header: Vec<(u32, String)> = Vec::new();
    let mut kinds: Vec<(u32, Kind)> = Vec::new();
    cells(&mut book, name, |row, col, v| {
        let top = *first_row.get_or_insert(row);
        first_col = first_col.min(col);
        last_col = last_col.max(col);
        if last_col - first_col.min(last_col) >= max_columns as u32 {
            return Err(bad(format!(
                "sheet {name:?} has more than {max_columns} columns"
            )));
        }
        if row == top {
            header.push((col, text(v).unwrap_or_default()));
        } else {
            kinds.push((col, kind(v)));
            // Fold as we go, so memory is per column, not per cell.
            if kinds.len() > 4096 {
                fold(&mut kinds);
            }
        }
        Ok(true)
    })?;
    let Some(first_row) = first_row else {
        return Err(bad(format!("sheet {name:?} is empty")));
    };
    fold(&mut kinds);
    let width = (last_col - first_col + 1) as usize;
    let mut names = vec![String::new(); width];
    for (col, h) in header {
        names[(col - first_col) as usize] = h;
    }
    let mut column_kinds = vec![Kind::Null; width];
    for (col, k) in kinds {
        let c = &mut column_kinds[(col - first_col) as usize];
        *c = c.join(k);
    }
    let fields: Vec<Field> = normalise(names.clone())
        .into_iter()
        .zip(&column_kinds)
        .map(|(n, k)| match k {
            // A column with a header and no values at all.
            Kind::Null => Field::new(n, DataType::Utf8, true),
            k => Field::new(n, k.data_type(), true),
        })
        .collect();
    Ok(Sheet {
        name: name.to_owned(),
        first_row,
        first_col,
        source_names: names,
        schema: Arc::new(Schema::new(fields)),
    })
}

/// Folds (column, kind) pairs to one per column.
fn fold(kinds: &mut Vec<(u32, Kind)>) {
    kinds.sort_by_key(|(c, _)| *c);
    kinds.dedup_by(|next, kept| {
        if next.0 == kept.0 {
            kept.1 = kept.1.join(next.1);
            true
        } else {
            false
        }
    });
}

/// A column being built.
enum Column {
    Bool(BooleanBuilder),
    Int(Int64Builder),
    Float(Float64Builder),
    Date(Date32Builder),
    Timestamp(TimestampMicrosecondBuilder),
    Text(StringBuilder),
}

impl Column {
    fn new(t: &DataType) -> Self {
        match t {
            DataType::Boolean => Self::Bool(BooleanBuilder::new()),
            DataType::Int64 => Self::Int(Int64Builder::new()),
            DataType::Float64 => Self::Float(Float64Builder::new()),
            DataType::Date32 => Self::Date(Date32Builder::new()),
            DataType::Timestamp(TimeUnit::Microsecond, None) => {
                Self::Timestamp(TimestampMicrosecondBuilder::new())
            }
            _ => Self::Text(StringBuilder::new()),
        }
    }

    /// Appends a cell the shape pass has typed this column for.
    fn push(&mut self, v: Option<&DataRef<'_>>) {
        let v = v.filter(|v| **v != DataRef::Empty);
        match self {
            Self::Bool(b) => b.append_option(v.and_then(|v| match v {
                DataRef::Bool(x) => Some(*x),
                _ => None,
            })),
            Self::Int(b) => b.append_option(v.and_then(|v| match v {
                DataRef::Int(i) => Some(*i),
                DataRef::Float(f) => Some(*f as i64),
                _ => None,
            })),
            Self::Float(b) => b.append_option(v.and_then(|v| match v {
                DataRef::Int(i) => Some(*i as f64),
                DataRef::Float(f) => Some(*f),
                _ => None,
            })),
            Self::Date(b) => b.append_option(v.and_then(micros).map(|t| {
                (t.date() - chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch")).num_days()
                    as i32
            })),
            Self::Timestamp(b) => {
                b.append_option(v.and_then(micros).map(|t| t.and_utc().timestamp_micros()))
            }
            Self::Text(b) => b.append_option(v.and_then(text)),
        }
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            Self::Bool(b) => Arc::new(b.finish()),
            Self::Int(b) => Arc::new(b.finish()),
            Self::Float(b) => Arc::new(b.finish()),
            Self::Date(b) => Arc::new(b.finish()),
            Self::Timestamp(b) => Arc::new(b.finish()),
            Self::Text(b) => Arc::new(b.finish()),
        }
    }
}

/// Reads the sheet's rows below the header into batches of `batch_rows`,
/// handing each to `sink`.
pub fn rows(
    src: &std::path::Path,
    sheet: &Sheet,
    batch_rows: usize,
    mut sink: impl FnMut(RecordBatch) -> Result<(), ConvertError>,
) -> Result<(), ConvertError> {
    let mut book = book(src)?;
    let width = sheet.schema.fields().len();
    let mut columns: Vec<Column> = sheet
        .schema
        .fields()
        .iter()
        .map(|f| Column::new(f.data_type()))
        .collect();
    // The row being gathered: its index and its cells so far.
    let mut row: Vec<Option<DataRef<'static>>> = vec![None; width];
    let (mut current, mut pending) = (None::<u32>, 0usize);
    let schema = sheet.schema.clone();
    let mut flush_row = |row: &mut Vec<Option<DataRef<'static>>>,
                         columns: &mut Vec<Column>,
                         pending: &mut usize|
     -> Result<(), ConvertError> {
        for (c, v) in columns.iter_mut().zip(row.iter_mut()) {
            c.push(v.take().as_ref());
        }
        *pending += 1;
        if *pending == batch_rows {
            let arrays = columns.iter_mut().map(Column::finish).collect();
            sink(RecordBatch::try_new(schema.clone(), arrays).map_err(crate::error::invalid)?)?;
            *pending = 0;
        }
        Ok(())
    };
    cells(&mut book, &sheet.name, |r, col, v| {
        if r <= sheet.first_row {
            return Ok(true);
        }
        // A new row: the last one is complete. Rows with no cells at all
        // never appear, so empty rows are no records.
        if current != Some(r) {
            if current.is_some() {
                flush_row(&mut row, &mut columns, &mut pending)?;
            }
            current = Some(r);
        }
        let owned = match v {
            DataRef::SharedString(s) => DataRef::String((*s).to_owned()),
            DataRef::String(s) => DataRef::String(s.clone()),
            DataRef::Int(i) => DataRef::Int(*i),
            DataRef::Float(f) => DataRef::Float(*f),
            DataRef::Bool(b) => DataRef::Bool(*b),
            DataRef::DateTime(d) => DataRef::DateTime(*d),
            DataRef::DateTimeIso(s) => DataRef::DateTimeIso(s.clone()),
            DataRef::DurationIso(s) => DataRef::DurationIso(s.clone()),
            DataRef::Error(e) => DataRef::Error(e.clone()),
            DataRef::Empty => DataRef::Empty,
        };
        row[(col - sheet.first_col) as usize] = Some(owned);
        Ok(true)
    })?;
    if current.is_some() {
        flush_row(&mut row, &mut columns, &mut pending)?;
    }
    if pending > 0 {
        let arrays = columns.iter_mut().map(Column::finish).collect();
        sink(RecordBatch::try_new(schema, arrays).map_err(crate::error::invalid)?)?;
    }
    Ok(())
}
