from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_body import ErrorBody
from ...models.file_accepted import FileAccepted
from ...models.file_format import FileFormat
from ...types import UNSET, File, Response, Unset


def _get_kwargs(
    id: str,
    filename: str,
    *,
    body: File | Unset = UNSET,
    format_: FileFormat | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    params: dict[str, Any] = {}

    json_format_: str | Unset = UNSET
    if not isinstance(format_, Unset):
        json_format_ = format_.value

    params["format"] = json_format_

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "put",
        "url": "/v1/acquisitions/{id}/files/{filename}".format(
            id=quote(str(id), safe=""),
            filename=quote(str(filename), safe=""),
        ),
        "params": params,
    }

    if not isinstance(body, Unset):
        _kwargs["content"] = body.payload
    headers["Content-Type"] = "application/octet-stream"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorBody | FileAccepted | None:
    if response.status_code == 200:
        response_200 = FileAccepted.from_dict(response.json())

        return response_200

    if response.status_code == 202:
        response_202 = FileAccepted.from_dict(response.json())

        return response_202

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

    if response.status_code == 413:
        response_413 = ErrorBody.from_dict(response.json())

        return response_413

    if response.status_code == 429:
        response_429 = ErrorBody.from_dict(response.json())

        return response_429

    if response.status_code == 503:
        response_503 = ErrorBody.from_dict(response.json())

        return response_503

    if response.status_code == 507:
        response_507 = ErrorBody.from_dict(response.json())

        return response_507

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[ErrorBody | FileAccepted]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    id: str,
    filename: str,
    *,
    client: AuthenticatedClient | Client,
    body: File | Unset = UNSET,
    format_: FileFormat | Unset = UNSET,
) -> Response[ErrorBody | FileAccepted]:
    """Delivers a file: the raw body is streamed to quarantine and hashed, made
    durable and recorded before the answer. `202` for a new delivery; `200`
    with the earlier record when the same bytes were already delivered.

    Args:
        id (str):
        filename (str):
        format_ (FileFormat | Unset): A delivery's format, where its file name does not tell it.
        body (File | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | FileAccepted]
    """

    kwargs = _get_kwargs(
        id=id,
        filename=filename,
        body=body,
        format_=format_,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    id: str,
    filename: str,
    *,
    client: AuthenticatedClient | Client,
    body: File | Unset = UNSET,
    format_: FileFormat | Unset = UNSET,
) -> ErrorBody | FileAccepted | None:
    """Delivers a file: the raw body is streamed to quarantine and hashed, made
    durable and recorded before the answer. `202` for a new delivery; `200`
    with the earlier record when the same bytes were already delivered.

    Args:
        id (str):
        filename (str):
        format_ (FileFormat | Unset): A delivery's format, where its file name does not tell it.
        body (File | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | FileAccepted
    """

    return sync_detailed(
        id=id,
        filename=filename,
        client=client,
        body=body,
        format_=format_,
    ).parsed


async def asyncio_detailed(
    id: str,
    filename: str,
    *,
    client: AuthenticatedClient | Client,
    body: File | Unset = UNSET,
    format_: FileFormat | Unset = UNSET,
) -> Response[ErrorBody | FileAccepted]:
    """Delivers a file: the raw body is streamed to quarantine and hashed, made
    durable and recorded before the answer. `202` for a new delivery; `200`
    with the earlier record when the same bytes were already delivered.

    Args:
        id (str):
        filename (str):
        format_ (FileFormat | Unset): A delivery's format, where its file name does not tell it.
        body (File | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | FileAccepted]
    """

    kwargs = _get_kwargs(
        id=id,
        filename=filename,
        body=body,
        format_=format_,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    id: str,
    filename: str,
    *,
    client: AuthenticatedClient | Client,
    body: File | Unset = UNSET,
    format_: FileFormat | Unset = UNSET,
) -> ErrorBody | FileAccepted | None:
    """Delivers a file: the raw body is streamed to quarantine and hashed, made
    durable and recorded before the answer. `202` for a new delivery; `200`
    with the earlier record when the same bytes were already delivered.

    Args:
        id (str):
        filename (str):
        format_ (FileFormat | Unset): A delivery's format, where its file name does not tell it.
        body (File | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | FileAccepted
    """

    return (
        await asyncio_detailed(
            id=id,
            filename=filename,
            client=client,
            body=body,
            format_=format_,
        )
    ).parsed
