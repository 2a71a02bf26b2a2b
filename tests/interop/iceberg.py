"""Reads an Airlock dataset as Apache Iceberg with the clients analysts use,
and prints what each one read as JSON, for the Rust test to compare with
the source.

  iceberg.py static METADATA_URI EXTENSION_DIR
      pyiceberg's StaticTable and DuckDB's iceberg_scan on one version's
      own metadata file.

  iceberg.py rest URI TOKEN NAMESPACE TABLE AGGREGATE EXTENSION_DIR
      Airlock's REST catalog at URI, as the analyst holding TOKEN:
      pyiceberg's RestCatalog lists, loads and scans the table (current
      snapshot and every snapshot by id), and DuckDB ATTACHes the catalog
      and runs AGGREGATE (SQL with {table} for the table's name).

  iceberg.py refused URI TOKEN NAMESPACE TABLE EXTENSION_DIR
      What pyiceberg makes of a caller who may not read the table (or no
      token at all, when TOKEN is "-"): the error each call raised.

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


def rest_catalog(uri, token):
    from pyiceberg.catalog.rest import RestCatalog

    props = {"uri": uri}
    if token != "-":
        props["token"] = token
    return RestCatalog("airlock", **props)


def rest(uri, token, namespace, table_name, aggregate, extension_dir):
    catalog = rest_catalog(uri, token)
    out = {
        "namespaces": sorted(".".join(n) for n in catalog.list_namespaces()),
        "tables": sorted(name for (_, name) in catalog.list_tables(namespace)),
    }
    table = catalog.load_table((namespace, table_name))
    out["current"] = rows_of(table.scan().to_arrow())
    out["snapshots"] = {
        str(s.snapshot_id): rows_of(table.scan(snapshot_id=s.snapshot_id).to_arrow())
        for s in table.snapshots()
    }
    con = duckdb_connection(extension_dir)
    con.execute("CREATE SECRET airlock_token (TYPE iceberg, TOKEN ?)", [token])
    con.execute(
        "ATTACH 'airlock' AS airlock (TYPE iceberg, SECRET airlock_token, ENDPOINT ?)", [uri]
    )
    quoted = f'airlock."{namespace}"."{table_name}"'
    out["duckdb"] = [
        [None if v is None else str(v) for v in row]
        for row in con.execute(aggregate.format(table=quoted)).fetchall()
    ]
    return out


def refused(uri, token, namespace, table_name, extension_dir):
    out = {}
    try:
        catalog = rest_catalog(uri, token)
    except Exception as e:  # noqa: BLE001 - the error's kind is the result
        return {"connect": type(e).__name__}
    for name, call in [
        ("namespaces", lambda: sorted(".".join(n) for n in catalog.list_namespaces())),
        ("tables", lambda: catalog.list_tables(namespace)),
        ("load", lambda: catalog.load_table((namespace, table_name))),
    ]:
        try:
            out[name] = call()
        except Exception as e:  # noqa: BLE001
            out[name] = type(e).__name__
    return out


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    commands = {"static": static, "rest": rest, "refused": refused}
    print(json.dumps(commands[command](*args), default=str))
