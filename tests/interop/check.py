"""Reads Airlock's Parquet output with pyarrow and compares every value with
what the inputs (built by convert/tests/interop.rs) hold. Exits non-zero at the
first difference. Prints one line per file checked."""

import datetime as dt
import decimal
import sys
import uuid
from pathlib import Path

import pyarrow.parquet as pq

UTC = dt.timezone.utc

AVRO_ROWS = [
    {"id": 1, "name": "Zoë", "day": dt.date(2026, 1, 31),
     "at": dt.datetime(2026, 1, 31, 10, 0, 0, 1, tzinfo=UTC),
     "at_ms": dt.datetime(2026, 1, 31, 10, 0, 0, 123000, tzinfo=UTC),
     "amount": decimal.Decimal("123.45"),
     "uid": "0f8fad5b-d9cb-469f-a165-70867728950e", "tags": ["x", "y"]},
    {"id": -2, "name": None, "day": dt.date(1970, 1, 1),
     "at": dt.datetime(1970, 1, 1, tzinfo=UTC),
     "at_ms": dt.datetime(1999, 12, 31, 23, 59, 59, tzinfo=UTC),
     "amount": decimal.Decimal("-0.05"),
     "uid": str(uuid.UUID(int=1)), "tags": []},
]

XLSX_ROWS = [
    {"id": 1, "name": "Zoë", "score": 1.5, "day": dt.date(2026, 1, 31),
     "at": dt.datetime(2026, 1, 31, 10, 0, 0), "ok": True, "code": "007"},
    {"id": 2, "name": None, "score": 2.0, "day": dt.date(1970, 1, 1),
     "at": dt.datetime(1999, 12, 31, 23, 59, 59), "ok": False, "code": "x"},
]

# One table, written by pyarrow in every Parquet codec writers use (and by
# parquet-rs as Hadoop-framed LZ4, the older LZ4 codec): parquet.py.
PARQUET_CODECS = ("none", "snappy", "gzip", "lz4", "brotli", "zstd")
PARQUET_ROWS = [
    {"id": i, "name": None if i % 7 == 0 else f"name {i} ✓",
     "score": None if i % 5 == 0 else i / 4,
     "day": dt.date(2026, 1, 1) + dt.timedelta(days=i),
     "at": dt.datetime(2026, 1, 1, tzinfo=UTC) + dt.timedelta(seconds=i * 3601, microseconds=i),
     "amount": decimal.Decimal(i * 101) / 100,
     "tags": [f"t{j}" for j in range(i % 3)]}
    for i in range(200)
]

# Avro as fastavro writes it, in every codec of the specification.
AVRO_CODECS = ("deflate", "snappy", "bzip2", "xz", "zstandard")

EXPECTED = {
    "single.xlsx": XLSX_ROWS,
    "multi.xlsx": XLSX_ROWS,
    **{f"{codec}.avro": AVRO_ROWS for codec in AVRO_CODECS},
    **{f"codec-{codec}.parquet": PARQUET_ROWS for codec in PARQUET_CODECS},
    "codec-lz4-hadoop.parquet": PARQUET_ROWS,
    "types.csv": [
        {"id": 1, "score": 1.5, "day": dt.date(2026, 1, 31),
         "at": dt.datetime(2026, 1, 31, 10, 0, 0), "note": "café ✓"},
        {"id": 2, "score": None, "day": dt.date(2026, 2, 1),
         "at": dt.datetime(2026, 2, 1, 11, 30, 5, 250000), "note": None},
        {"id": -3, "score": 1000.0, "day": dt.date(1999, 12, 31),
         "at": dt.datetime(1999, 12, 31, 23, 59, 59), "note": 'quoted, "twice"\nline'},
    ],
    "nested.ndjson": [
        {"id": 1, "who": {"name": "Ada", "tags": ["x", "y"]}, "score": 2.0},
        {"id": 2, "who": {"name": "Łukasz", "tags": []}, "score": None},
        {"id": 3, "who": None, "score": 0.5},
    ],
    "array.json": [
        {"k": "a", "v": [1, 2]},
        {"k": "b", "v": None},
    ],
    "latin1.tsv.gz": [
        {"city": "Köln", "pop": 1084831},
        {"city": "São Paulo", "pop": None},
    ],
    "typed.parquet": [
        {"amount": decimal.Decimal("123.45"), "day": dt.date(2026, 1, 31),
         "at": dt.datetime(2026, 1, 31, 10, 0, tzinfo=UTC)},
        {"amount": None, "day": dt.date(2026, 2, 1),
         "at": dt.datetime(1970, 1, 1, tzinfo=UTC)},
        {"amount": decimal.Decimal("-0.05"), "day": dt.date(1970, 1, 1),
         "at": dt.datetime(1970, 1, 1, 0, 0, 0, 1, tzinfo=UTC)},
    ],
}


def main(out: Path) -> int:
    for name, want in EXPECTED.items():
        parts = sorted((out / name).iterdir())
        if name == "types.csv" and len(parts) < 2:
            print(f"{name}: {len(parts)} part, want several", file=sys.stderr)
            return 1
        table = pq.read_table(out / name)
        got = table.to_pylist()
        if got != want:
            print(f"{name}: schema {table.schema}", file=sys.stderr)
            for i, (g, w) in enumerate(zip(got, want)):
                if g != w:
                    print(f"{name} row {i}: got {g!r}, want {w!r}", file=sys.stderr)
            if len(got) != len(want):
                print(f"{name}: {len(got)} rows, want {len(want)}", file=sys.stderr)
            return 1
        if name == "typed.parquet":
            tz = table.schema.field("at").type.tz
            if tz != "Europe/London":
                print(f"{name}: the zone became {tz!r}", file=sys.stderr)
                return 1
        print(f"{name}: {len(got)} rows match")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
