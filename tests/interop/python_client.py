"""The generated Python client (clients/python, package airlock_client)
against a running daemon, as a script would use it: an engineer registers
an acquisition, a reviewer approves it, the engineer uploads a file and
waits for its final state, and an analyst finds the dataset by search.
Prints what it saw as JSON for the Rust test (tests/clients.rs) to check.

  python_client.py URL ENGINEER_TOKEN REVIEWER_TOKEN ANALYST_TOKEN
"""

import io
import json
import sys
import time

from airlock_client import AuthenticatedClient
from airlock_client.api.acquisitions import (
    create_acquisition,
    review_acquisition,
    upload_file,
)
from airlock_client.api.datasets import list_datasets
from airlock_client.api.files import get_file
from airlock_client.api.zones import list_zones
from airlock_client.models import (
    Classification,
    DecisionName,
    ErrorBody,
    NewAcquisition,
    ReviewRequest,
    ZoneName,
)
from airlock_client.types import File

FINAL = {"published", "rejected", "held"}


def main(url, engineer_token, reviewer_token, analyst_token):
    engineer = AuthenticatedClient(base_url=url, token=engineer_token)
    reviewer = AuthenticatedClient(base_url=url, token=reviewer_token)
    analyst = AuthenticatedClient(base_url=url, token=analyst_token)
    seen = {}

    seen["zones"] = sorted(z.name for z in list_zones.sync(client=engineer))

    acquisition = create_acquisition.sync(
        client=engineer,
        body=NewAcquisition(
            name="Client survey",
            supplier="ONS field team",
            legal_basis="SRSA 2007 s.45",
            purpose="Testing the generated client",
            personal_data=False,
            retention_days=30,
            target_zone=ZoneName.SANDBOX,
            classification=Classification.OFFICIAL,
        ),
    )
    seen["registered"] = acquisition.state

    # A refusal is the API's one error body, typed.
    refused = review_acquisition.sync(
        acquisition.id,
        client=engineer,
        body=ReviewRequest(decision=DecisionName.APPROVE, reason="my own"),
    )
    seen["own_review"] = refused.code if isinstance(refused, ErrorBody) else repr(refused)

    approved = review_acquisition.sync(
        acquisition.id,
        client=reviewer,
        body=ReviewRequest(decision=DecisionName.APPROVE, reason="ethics and legal basis checked"),
    )
    seen["reviewed"] = approved.state

    csv = b"region,households\nnorth,120\nsouth,95\n"
    accepted = upload_file.sync(
        acquisition.id,
        "client_regions.csv",
        client=engineer,
        body=File(payload=io.BytesIO(csv), file_name="client_regions.csv"),
    )
    deadline = time.monotonic() + 90
    while True:
        delivered = get_file.sync(accepted.id, client=engineer)
        if delivered.state in FINAL or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    seen["file_state"] = delivered.state
    seen["dataset_id"] = delivered.dataset_id

    page = list_datasets.sync(client=analyst, q="client_regions")
    seen["found"] = [d.id for d in page.datasets]
    print(json.dumps(seen))


if __name__ == "__main__":
    main(*sys.argv[1:])
