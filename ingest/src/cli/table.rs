//! Plain text tables for the client commands' human output: columns as
//! wide as their widest cell (cut at a bound, with `…`), no colour, so the
//! output reads the same in a terminal, a log or a pipe.

use serde_json::Value;

/// The widest a cell is shown.
const MAX_CELL_CHARS: usize = 48;

/// A table with a header row.
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(header: &[&str]) -> Self {
        Self {
            header: header.iter().map(|h| h.to_uppercase()).collect(),
            rows: Vec::new(),
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub fn render(&self) -> String {
        let cut: Vec<Vec<String>> = std::iter::once(&self.header)
            .chain(&self.rows)
            .map(|row| row.iter().map(|c| fit(c)).collect())
            .collect();
        let columns = self.header.len();
        let widths: Vec<usize> = (0..columns)
            .map(|i| {
                cut.iter()
                    .map(|r| r.get(i).map_or(0, |c| c.chars().count()))
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let mut out = String::new();
        for row in &cut {
            let line: Vec<String> = (0..columns)
                .map(|i| {
                    let cell = row.get(i).map_or("", String::as_str);
                    format!("{cell:<width$}", width = widths[i])
                })
                .collect();
            out.push_str(line.join("  ").trim_end());
            out.push('\n');
        }
        out
    }
}

/// One line, at most [`MAX_CELL_CHARS`] characters.
fn fit(cell: &str) -> String {
    let line = cell.replace(['\n', '\r', '\t'], " ");
    if line.chars().count() <= MAX_CELL_CHARS {
        line
    } else {
        let mut cut: String = line.chars().take(MAX_CELL_CHARS - 1).collect();
        cut.push('…');
        cut
    }
}

/// A JSON field as a cell: strings bare, arrays joined, absent empty.
pub fn cell(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(cell).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

/// Label-value lines for one record's chosen fields (empty ones left out).
pub fn fields(record: &Value, names: &[&str]) -> String {
    let mut t = Table::new(&["field", "value"]);
    for name in names {
        let value = cell(&record[*name]);
        if !value.is_empty() {
            t.row(vec![(*name).to_owned(), value]);
        }
    }
    // No header for a record: it reads as "label  value".
    t.render()
        .lines()
        .skip(1)
        .map(|l| format!("{l}\n"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn columns_line_up_and_long_cells_are_cut() {
        let mut t = Table::new(&["name", "state"]);
        t.row(vec!["a.csv".into(), "published".into()]);
        t.row(vec!["x".repeat(60), "rejected\nagain".into()]);
        let out = t.render();
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0], format!("{:<48}  STATE", "NAME"));
        assert_eq!(lines[1], format!("{:<48}  published", "a.csv"));
        assert_eq!(lines[2], format!("{}…  rejected again", "x".repeat(47)));
    }

    #[test]
    fn records_show_their_present_fields() {
        let record = json!({"id": "f1", "state": "held", "reason": null, "tags": ["a", "b"]});
        let out = fields(&record, &["id", "state", "reason", "tags"]);
        assert_eq!(out, "id     f1\nstate  held\ntags   a, b\n");
    }
}
