"""Writes Avro object container files with fastavro, an implementation
independent of Airlock's reader: logical types, a union with null, an array,
and every codec of the specification (deflate, snappy, bzip2, xz,
zstandard). Their expected rows are AVRO_ROWS in check.py."""

import sys
from pathlib import Path

import fastavro

from check import AVRO_CODECS, AVRO_ROWS

SCHEMA = {
    "type": "record",
    "name": "Delivery",
    "fields": [
        {"name": "id", "type": "long"},
        {"name": "name", "type": ["null", "string"]},
        {"name": "day", "type": {"type": "int", "logicalType": "date"}},
        {"name": "at", "type": {"type": "long", "logicalType": "timestamp-micros"}},
        {"name": "at_ms", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "amount", "type": {"type": "bytes", "logicalType": "decimal",
                                    "precision": 10, "scale": 2}},
        {"name": "uid", "type": {"type": "string", "logicalType": "uuid"}},
        {"name": "tags", "type": {"type": "array", "items": "string"}},
    ],
}


def main(out: Path) -> None:
    schema = fastavro.parse_schema(SCHEMA)
    for codec in AVRO_CODECS:
        with open(out / f"{codec}.avro", "wb") as f:
            fastavro.writer(f, schema, AVRO_ROWS, codec=codec)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
