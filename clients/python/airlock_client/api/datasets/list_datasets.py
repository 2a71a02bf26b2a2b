from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.classification import Classification
from ...models.dataset_page import DatasetPage
from ...models.error_body import ErrorBody
from ...models.zone_name import ZoneName
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    q: str | Unset = UNSET,
    zone: ZoneName | Unset = UNSET,
    classification: Classification | Unset = UNSET,
    tag: str | Unset = UNSET,
    limit: int | Unset = UNSET,
    offset: int | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["q"] = q

    json_zone: str | Unset = UNSET
    if not isinstance(zone, Unset):
        json_zone = zone.value

    params["zone"] = json_zone

    json_classification: str | Unset = UNSET
    if not isinstance(classification, Unset):
        json_classification = classification.value

    params["classification"] = json_classification

    params["tag"] = tag

    params["limit"] = limit

    params["offset"] = offset

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/datasets",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> DatasetPage | ErrorBody | None:
    if response.status_code == 200:
        response_200 = DatasetPage.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = ErrorBody.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = ErrorBody.from_dict(response.json())

        return response_401

    if response.status_code == 422:
        response_422 = ErrorBody.from_dict(response.json())

        return response_422

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[DatasetPage | ErrorBody]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    q: str | Unset = UNSET,
    zone: ZoneName | Unset = UNSET,
    classification: Classification | Unset = UNSET,
    tag: str | Unset = UNSET,
    limit: int | Unset = UNSET,
    offset: int | Unset = UNSET,
) -> Response[DatasetPage | ErrorBody]:
    """Searches the published datasets the caller may see; ranked, filtered
    and paged. Audited with the query.

    Args:
        q (str | Unset):
        zone (ZoneName | Unset): A configured lake zone.
        classification (Classification | Unset): A security classification, lowest first.
        tag (str | Unset):
        limit (int | Unset):
        offset (int | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[DatasetPage | ErrorBody]
    """

    kwargs = _get_kwargs(
        q=q,
        zone=zone,
        classification=classification,
        tag=tag,
        limit=limit,
        offset=offset,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    q: str | Unset = UNSET,
    zone: ZoneName | Unset = UNSET,
    classification: Classification | Unset = UNSET,
    tag: str | Unset = UNSET,
    limit: int | Unset = UNSET,
    offset: int | Unset = UNSET,
) -> DatasetPage | ErrorBody | None:
    """Searches the published datasets the caller may see; ranked, filtered
    and paged. Audited with the query.

    Args:
        q (str | Unset):
        zone (ZoneName | Unset): A configured lake zone.
        classification (Classification | Unset): A security classification, lowest first.
        tag (str | Unset):
        limit (int | Unset):
        offset (int | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        DatasetPage | ErrorBody
    """

    return sync_detailed(
        client=client,
        q=q,
        zone=zone,
        classification=classification,
        tag=tag,
        limit=limit,
        offset=offset,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    q: str | Unset = UNSET,
    zone: ZoneName | Unset = UNSET,
    classification: Classification | Unset = UNSET,
    tag: str | Unset = UNSET,
    limit: int | Unset = UNSET,
    offset: int | Unset = UNSET,
) -> Response[DatasetPage | ErrorBody]:
    """Searches the published datasets the caller may see; ranked, filtered
    and paged. Audited with the query.

    Args:
        q (str | Unset):
        zone (ZoneName | Unset): A configured lake zone.
        classification (Classification | Unset): A security classification, lowest first.
        tag (str | Unset):
        limit (int | Unset):
        offset (int | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[DatasetPage | ErrorBody]
    """

    kwargs = _get_kwargs(
        q=q,
        zone=zone,
        classification=classification,
        tag=tag,
        limit=limit,
        offset=offset,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    q: str | Unset = UNSET,
    zone: ZoneName | Unset = UNSET,
    classification: Classification | Unset = UNSET,
    tag: str | Unset = UNSET,
    limit: int | Unset = UNSET,
    offset: int | Unset = UNSET,
) -> DatasetPage | ErrorBody | None:
    """Searches the published datasets the caller may see; ranked, filtered
    and paged. Audited with the query.

    Args:
        q (str | Unset):
        zone (ZoneName | Unset): A configured lake zone.
        classification (Classification | Unset): A security classification, lowest first.
        tag (str | Unset):
        limit (int | Unset):
        offset (int | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        DatasetPage | ErrorBody
    """

    return (
        await asyncio_detailed(
            client=client,
            q=q,
            zone=zone,
            classification=classification,
            tag=tag,
            limit=limit,
            offset=offset,
        )
    ).parsed
