"""schemathesis hooks for Airlock's contract test (tests/contract.rs).

- tus appends carry `application/offset+octet-stream`: raw bytes.
- A declared schema's column names are unique, which JSON Schema cannot
  say of objects that differ in other fields; the server refuses a repeat
  with 400 invalid_schema, so generated bodies with one are left out.
"""

import schemathesis
from hypothesis import strategies as st

schemathesis.openapi.media_type("application/offset+octet-stream", st.binary(max_size=4096))


@schemathesis.hook("filter_body").apply_to(method="POST", path="/v1/acquisitions")
def unique_column_names(context, body):
    if not isinstance(body, dict):
        return True
    contract = body.get("schema")
    if not isinstance(contract, dict) or not isinstance(contract.get("columns"), list):
        return True
    names = [c.get("name") for c in contract["columns"] if isinstance(c, dict)]
    return len(names) == len(set(map(repr, names)))
