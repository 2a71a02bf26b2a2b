from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_body import ErrorBody
from ...models.transfer_request import TransferRequest
from ...models.transfer_view import TransferView
from ...types import Response


def _get_kwargs(
    *,
    body: TransferRequest,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/transfers",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorBody | TransferView | None:
    if response.status_code == 202:
        response_202 = TransferView.from_dict(response.json())

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

    if response.status_code == 422:
        response_422 = ErrorBody.from_dict(response.json())

        return response_422

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[ErrorBody | TransferView]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: TransferRequest,
) -> Response[ErrorBody | TransferView]:
    """Requests a copy of a published dataset version in another zone. Only
    along configured flows, at or below the target's ceiling, never from a
    non-sensitive zone into a sensitive one (422 `zone_rule`). An export
    (sensitive into non-sensitive) waits for a reviewer's release; the copy
    is scanned, re-encoded and checked again before it is published.

    Args:
        body (TransferRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | TransferView]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    body: TransferRequest,
) -> ErrorBody | TransferView | None:
    """Requests a copy of a published dataset version in another zone. Only
    along configured flows, at or below the target's ceiling, never from a
    non-sensitive zone into a sensitive one (422 `zone_rule`). An export
    (sensitive into non-sensitive) waits for a reviewer's release; the copy
    is scanned, re-encoded and checked again before it is published.

    Args:
        body (TransferRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | TransferView
    """

    return sync_detailed(
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: TransferRequest,
) -> Response[ErrorBody | TransferView]:
    """Requests a copy of a published dataset version in another zone. Only
    along configured flows, at or below the target's ceiling, never from a
    non-sensitive zone into a sensitive one (422 `zone_rule`). An export
    (sensitive into non-sensitive) waits for a reviewer's release; the copy
    is scanned, re-encoded and checked again before it is published.

    Args:
        body (TransferRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | TransferView]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    body: TransferRequest,
) -> ErrorBody | TransferView | None:
    """Requests a copy of a published dataset version in another zone. Only
    along configured flows, at or below the target's ceiling, never from a
    non-sensitive zone into a sensitive one (422 `zone_rule`). An export
    (sensitive into non-sensitive) waits for a reviewer's release; the copy
    is scanned, re-encoded and checked again before it is published.

    Args:
        body (TransferRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | TransferView
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed
