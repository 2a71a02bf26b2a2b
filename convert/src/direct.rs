//! The direct typed reader: a chunk without quotes read straight into
//! typed columns in one pass.
//!
//! The key decision is to be exact or step aside: it gives precisely what
//! arrow's CSV reader gives (a test holds it to that), and for any chunk
//! it cannot read so (quotes, a value that does not parse) it returns
//! `None` and arrow's reader, or the diagnosis, takes over.

use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanBuilder, Date32Builder, Float64Builder, Int64Builder, RecordBatch,
    StringBuilder, TimestampMicrosecondBuilder,
};
use arrow::compute::kernels::cast_utils::string_to_datetime;
use arrow::datatypes::{DataType, SchemaRef, TimeUnit};

use crate::find::Positions;
use crate::frame::{Chunk, Shape};

/// One column being read by [`direct`].
enum Column {
    Text(StringBuilder),
    Bool(BooleanBuilder),
    Int(Int64Builder),
    Float(Float64Builder),
    Date(Date32Builder),
    Time(TimestampMicrosecondBuilder, Option<Arc<str>>),
}

impl Column {
    fn new(t: &DataType, rows: usize, bytes: usize) -> Option<Self> {
        Some(match t {
            DataType::Utf8 => Column::Text(StringBuilder::with_capacity(rows, bytes)),
            DataType::Boolean => Column::Bool(BooleanBuilder::with_capacity(rows)),
            DataType::Int64 => Column::Int(Int64Builder::with_capacity(rows)),
            DataType::Float64 => Column::Float(Float64Builder::with_capacity(rows)),
            DataType::Date32 => Column::Date(Date32Builder::with_capacity(rows)),
            DataType::Timestamp(TimeUnit::Microsecond, zone)
                if zone.as_deref().is_none_or(|z| z == "+00:00") =>
            {
                Column::Time(
                    TimestampMicrosecondBuilder::with_capacity(rows),
                    zone.clone(),
                )
            }
            _ => return None,
        })
    }

    /// Appends one field as arrow's CSV reader would read it: empty is
    /// null; `None` when it does not parse.
    #[inline(always)]
    fn push(&mut self, s: &str) -> Option<()> {
        if s.is_empty() {
            match self {
                Column::Text(b) => b.append_null(),
                Column::Bool(b) => b.append_null(),
                Column::Int(b) => b.append_null(),
                Column::Float(b) => b.append_null(),
                Column::Date(b) => b.append_null(),
                Column::Time(b, _) => b.append_null(),
            }
            return Some(());
        }
        match self {
            Column::Text(b) => b.append_value(s),
            Column::Bool(b) => b.append_value(match s {
                _ if s.eq_ignore_ascii_case("false") => false,
                _ if s.eq_ignore_ascii_case("true") => true,
                _ => return None,
            }),
            Column::Int(b) => b.append_value(crate::values::int(s)?),
            Column::Float(b) => b.append_value(crate::values::float(s)?),
            Column::Date(b) => b.append_value(crate::values::date(s)?),
            Column::Time(b, _) => {
                b.append_value(string_to_datetime(&chrono::Utc, s).ok()?.timestamp_micros())
            }
        }
        Some(())
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            Column::Text(b) => Arc::new(b.finish()),
            Column::Bool(b) => Arc::new(b.finish()),
            Column::Int(b) => Arc::new(b.finish()),
            Column::Float(b) => Arc::new(b.finish()),
            Column::Date(b) => Arc::new(b.finish()),
            Column::Time(b, zone) => Arc::new(b.finish().with_timezone_opt(zone.clone())),
        }
    }
}

/// Reads a chunk without quotes straight from its bytes into `schema`'s
/// columns, skipping the general CSV tokenizer and its copy of every field:
/// the framer has already checked the text is UTF-8 and every record's
/// width. The result is what arrow's reader gives. A chunk holding a quote
/// or a lone `\r`, a column type it does not read, or a value that does not
/// parse is left to arrow's reader (`None`), which then finds the misfits.
pub(crate) fn direct(chunk: &Chunk, schema: &SchemaRef, shape: Shape) -> Option<Vec<RecordBatch>> {
    let text = &*chunk.text;
    if memchr::memchr(b'"', text.as_bytes()).is_some() {
        return None;
    }
    let rows = shape.batch_rows;
    let bytes = text.len().min(rows * 64) / shape.width.max(1);
    let new = || {
        schema
            .fields()
            .iter()
            .map(|f| Column::new(f.data_type(), rows, bytes))
            .collect::<Option<Vec<_>>>()
    };
    let mut columns = new()?;
    let finish = |columns: &mut Vec<Column>| {
        let arrays = columns.iter_mut().map(Column::finish).collect();
        RecordBatch::try_new(schema.clone(), arrays).ok()
    };
    // `\r` only as the first half of `\r\n`.
    let bytes = text.as_bytes();
    for at in memchr::memchr_iter(b'\r', bytes) {
        if bytes.get(at + 1) != Some(&b'\n') {
            return None;
        }
    }
    let width = columns.len();
    let mut out = Vec::new();
    let mut header = chunk.header;
    let (mut column, mut start, mut n) = (0, 0, 0);
    // Every field ends at a delimiter or a line break, found in one pass.
    let last = (!bytes.ends_with(b"\n")).then_some(bytes.len());
    let ends = Positions::new(bytes, [shape.delimiter, b'\n', b'\n']);
    for end in ends.chain(last) {
        let line_end = bytes.get(end).is_none_or(|&b| b == b'\n');
        let mut field = &text[start..end];
        start = end + 1;
        if !line_end {
            if column + 1 >= width {
                return None;
            }
            if !header {
                columns[column].push(field)?;
            }
            column += 1;
            continue;
        }
        field = field.strip_suffix('\r').unwrap_or(field);
        if column == 0 && field.is_empty() {
            continue; // an empty line: no record
        }
        if column + 1 != width {
            return None;
        }
        column = 0;
        if std::mem::take(&mut header) {
            continue;
        }
        columns[width - 1].push(field)?;
        n += 1;
        if n == rows {
            out.push(finish(&mut columns)?);
            n = 0;
        }
    }
    if n > 0 {
        out.push(finish(&mut columns)?);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::datatypes::{Field, Schema};

    use crate::csv::decode;
    use crate::mapped::Text;

    fn chunk(text: &str, header: bool) -> Chunk {
        Chunk {
            text: Text::Owned(text.to_owned()),
            first_line: 1,
            header,
        }
    }

    fn schema_of_types(types: &[DataType]) -> SchemaRef {
        Arc::new(Schema::new(
            types
                .iter()
                .enumerate()
                .map(|(i, t)| Field::new(format!("c{i}"), t.clone(), true))
                .collect::<Vec<_>>(),
        ))
    }

    #[test]
    fn reading_directly_gives_what_arrows_reader_gives() {
        let types = [
            DataType::Int64,
            DataType::Float64,
            DataType::Utf8,
            DataType::Boolean,
            DataType::Date32,
            DataType::Timestamp(TimeUnit::Microsecond, None),
            DataType::Timestamp(TimeUnit::Microsecond, Some("+00:00".into())),
        ];
        let schema = schema_of_types(&types);
        let text = "i,f,s,b,d,t,tz\r\n\
                    1,2.5,héllo wörld,true,2024-02-29,2024-02-29 10:11:12.123456,2024-02-29T10:11:12+02:00\r\n\
                    \r\n\
                    -9223372036854775808,-1e10,,FALSE,1970-01-01,1999-12-31T23:59:59,1999-12-31 23:59:59Z\n\
                    ,,x,,,,\n\
                    42,.5, padded ,True,2000-01-01,2000-01-01 00:00:00,2000-01-01 00:00:00.5-05:30";
        for (header, batch_rows) in [(true, 2), (true, 1024)] {
            let shape = Shape {
                delimiter: b',',
                width: types.len(),
                batch_rows,
            };
            let c = chunk(text, header);
            let direct = direct(&c, &schema, shape).expect("read directly");
            let arrow = decode(&c, schema.clone(), shape).unwrap();
            assert_eq!(direct, arrow);
            assert_eq!(direct.iter().map(|b| b.num_rows()).sum::<usize>(), 4);
        }
        let tsv = chunk("1\tx y\n2\t\n", false);
        let shape = Shape {
            delimiter: b'\t',
            width: 2,
            batch_rows: 8,
        };
        let two = schema_of_types(&[DataType::Int64, DataType::Utf8]);
        assert_eq!(
            direct(&tsv, &two, shape).unwrap(),
            decode(&tsv, two.clone(), shape).unwrap()
        );
    }

    #[test]
    fn what_it_cannot_read_is_left_to_arrows_reader() {
        let shape = Shape {
            delimiter: b',',
            width: 2,
            batch_rows: 8,
        };
        let ints = schema_of_types(&[DataType::Int64, DataType::Utf8]);
        for text in [
            "1,\"quoted, text\"\n",
            "1,a\rb\n",
            "x,a\n",
            "1,a,extra\n",
            "1\n",
        ] {
            assert!(
                direct(&chunk(text, false), &ints, shape).is_none(),
                "{text:?}"
            );
        }
        let decimal = schema_of_types(&[DataType::Decimal128(5, 2), DataType::Utf8]);
        assert!(direct(&chunk("1.5,a\n", false), &decimal, shape).is_none());
    }
}
