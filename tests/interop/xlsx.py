"""Writes Excel workbooks with openpyxl, as suppliers' tools make them:
typed cells, dates and times, an empty cell, a code with a leading zero, and
a second sheet. Their expected rows are XLSX_ROWS in check.py."""

import sys
from pathlib import Path

import openpyxl

from check import XLSX_ROWS


def main(out: Path) -> None:
    book = openpyxl.Workbook()
    notes = book.active
    notes.title = "Notes"
    notes.append(["read me first"])
    data = book.create_sheet("Data")
    header = list(XLSX_ROWS[0].keys())
    data.append(header)
    for row in XLSX_ROWS:
        data.append([row[k] for k in header])
    book.save(out / "multi.xlsx")
    # The same rows as a one-sheet workbook, which needs no sheet named.
    book.remove(notes)
    book.save(out / "single.xlsx")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
