from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.data_format import DataFormat
from ...models.error_body import ErrorBody
from ...types import UNSET, Response, Unset


def _get_kwargs(
    id: str,
    version: int,
    *,
    format_: DataFormat | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    json_format_: str | Unset = UNSET
    if not isinstance(format_, Unset):
        json_format_ = format_.value

    params["format"] = json_format_

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/datasets/{id}/versions/{version}/data".format(
            id=quote(str(id), safe=""),
            version=quote(str(version), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> ErrorBody | str | None:
    if response.status_code == 200:
        response_200 = response.text
        return response_200

    if response.status_code == 400:
        response_400 = ErrorBody.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = ErrorBody.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = ErrorBody.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = ErrorBody.from_dict(response.json())

        return response_404

    if response.status_code == 409:
        response_409 = ErrorBody.from_dict(response.json())

        return response_409

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[ErrorBody | str]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    id: str,
    version: int,
    *,
    client: AuthenticatedClient | Client,
    format_: DataFormat | Unset = UNSET,
) -> Response[ErrorBody | str]:
    """A published version's data, streamed: Parquet, CSV or an Arrow IPC
    stream. Audited.

    Args:
        id (str):
        version (int):
        format_ (DataFormat | Unset): What a version is streamed as.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | str]
    """

    kwargs = _get_kwargs(
        id=id,
        version=version,
        format_=format_,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    id: str,
    version: int,
    *,
    client: AuthenticatedClient | Client,
    format_: DataFormat | Unset = UNSET,
) -> ErrorBody | str | None:
    """A published version's data, streamed: Parquet, CSV or an Arrow IPC
    stream. Audited.

    Args:
        id (str):
        version (int):
        format_ (DataFormat | Unset): What a version is streamed as.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | str
    """

    return sync_detailed(
        id=id,
        version=version,
        client=client,
        format_=format_,
    ).parsed


async def asyncio_detailed(
    id: str,
    version: int,
    *,
    client: AuthenticatedClient | Client,
    format_: DataFormat | Unset = UNSET,
) -> Response[ErrorBody | str]:
    """A published version's data, streamed: Parquet, CSV or an Arrow IPC
    stream. Audited.

    Args:
        id (str):
        version (int):
        format_ (DataFormat | Unset): What a version is streamed as.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | str]
    """

    kwargs = _get_kwargs(
        id=id,
        version=version,
        format_=format_,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    id: str,
    version: int,
    *,
    client: AuthenticatedClient | Client,
    format_: DataFormat | Unset = UNSET,
) -> ErrorBody | str | None:
    """A published version's data, streamed: Parquet, CSV or an Arrow IPC
    stream. Audited.

    Args:
        id (str):
        version (int):
        format_ (DataFormat | Unset): What a version is streamed as.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | str
    """

    return (
        await asyncio_detailed(
            id=id,
            version=version,
            client=client,
            format_=format_,
        )
    ).parsed
