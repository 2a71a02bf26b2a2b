"""Reads an Airlock dataset as Apache Iceberg with the clients analysts use,
and prints what each one read as JSON, for the Rust test to compare with
the source.

  iceberg.py static METADATA_URI EXTENSION_DIR
      pyiceberg's StaticTable and DuckDB's iceberg_scan on one version's
      own metadata file.

Every table is read whole, its rows sorted, its values as strings (None for
null), so that the test compares values, not types' spellings.
"""

import json
import sys


def rows_of(arrow_table):
    columns = arrow_table.column_names
    rows = [
        [None if v is None else str(v) for v in row.values()]
        for row in arrow_table.to_pylist()
    ]
    rows.sort(key=lambda r: [("" if v is None else v) for v in r])
    return {"columns": columns, "rows": rows}


def duckdb_connection(extension_dir):
    """DuckDB with the iceberg, avro and httpfs extensions from their PyPI
    packages, installed into `extension_dir` (never the home directory)."""
    import duckdb
    from duckdb_extensions import import_extension

    con = duckdb.connect(config={
        "extension_directory": extension_dir,
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": False,
    })
    for ext in ("avro", "httpfs", "iceberg"):
        import_extension(ext, con=con)
        con.execute(f"LOAD {ext}")
    return con


def static(metadata_uri, extension_dir):
    from pyiceberg.table import StaticTable

    table = StaticTable.from_metadata(metadata_uri)
    out = {"pyiceberg": rows_of(table.scan().to_arrow())}
    con = duckdb_connection(extension_dir)
    path = metadata_uri.removeprefix("file://")
    out["duckdb"] = rows_of(con.execute("SELECT * FROM iceberg_scan(?)", [path]).fetch_arrow_table())
    return out


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    print(json.dumps({"static": static}[command](*args)))
