"""Writes the same table as Parquet once per codec that writers use, with
pyarrow: uncompressed, snappy (pyarrow's default), gzip, lz4 (LZ4_RAW),
brotli and zstd. Airlock must take every one; their expected rows are
PARQUET_ROWS in check.py."""

import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from check import PARQUET_CODECS, PARQUET_ROWS

SCHEMA = pa.schema([
    ("id", pa.int64()),
    ("name", pa.string()),
    ("score", pa.float64()),
    ("day", pa.date32()),
    ("at", pa.timestamp("us", tz="UTC")),
    ("amount", pa.decimal128(10, 2)),
    ("tags", pa.list_(pa.string())),
])


def main(out: Path) -> None:
    table = pa.Table.from_pylist(PARQUET_ROWS, schema=SCHEMA)
    for codec in PARQUET_CODECS:
        # Small pages and row groups, so every codec is met many times.
        pq.write_table(table, out / f"codec-{codec}.parquet", compression=codec,
                       row_group_size=50, data_page_size=256)
        # pyarrow says LZ4 for its LZ4_RAW pages (the Rust side checks the
        # footer's codec).
        want = {"none": "UNCOMPRESSED"}.get(codec, codec.upper())
        got = pq.ParquetFile(out / f"codec-{codec}.parquet").metadata \
            .row_group(0).column(0).compression
        if got != want:
            raise SystemExit(f"pyarrow wrote {got} for {codec}, not {want}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
