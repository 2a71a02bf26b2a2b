from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.append_to_upload_tus_resumable import AppendToUploadTusResumable
from ...models.error_body import ErrorBody
from ...types import UNSET, File, Response, Unset


def _get_kwargs(
    id: str,
    *,
    body: File | Unset = UNSET,
    tus_resumable: AppendToUploadTusResumable,
    upload_offset: int,
    upload_checksum: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    headers["Tus-Resumable"] = str(tus_resumable)

    headers["Upload-Offset"] = str(upload_offset)

    if not isinstance(upload_checksum, Unset):
        headers["Upload-Checksum"] = upload_checksum

    _kwargs: dict[str, Any] = {
        "method": "patch",
        "url": "/v1/uploads/{id}".format(
            id=quote(str(id), safe=""),
        ),
    }

    if not isinstance(body, Unset):
        _kwargs["content"] = body.payload
    headers["Content-Type"] = "application/offset+octet-stream"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Any | ErrorBody | None:
    if response.status_code == 204:
        response_204 = cast(Any, None)
        return response_204

    if response.status_code == 400:
        response_400 = ErrorBody.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = ErrorBody.from_dict(response.json())

        return response_401

    if response.status_code == 404:
        response_404 = ErrorBody.from_dict(response.json())

        return response_404

    if response.status_code == 409:
        response_409 = ErrorBody.from_dict(response.json())

        return response_409

    if response.status_code == 412:
        response_412 = ErrorBody.from_dict(response.json())

        return response_412

    if response.status_code == 415:
        response_415 = ErrorBody.from_dict(response.json())

        return response_415

    if response.status_code == 429:
        response_429 = ErrorBody.from_dict(response.json())

        return response_429

    if response.status_code == 460:
        response_460 = ErrorBody.from_dict(response.json())

        return response_460

    if response.status_code == 507:
        response_507 = ErrorBody.from_dict(response.json())

        return response_507

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[Any | ErrorBody]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    id: str,
    *,
    client: AuthenticatedClient | Client,
    body: File | Unset = UNSET,
    tus_resumable: AppendToUploadTusResumable,
    upload_offset: int,
    upload_checksum: str | Unset = UNSET,
) -> Response[Any | ErrorBody]:
    """Appends bytes at `Upload-Offset` (`application/offset+octet-stream`,
    optionally `Upload-Checksum: sha256 …`; 460 on a mismatch).

    Args:
        id (str):
        tus_resumable (AppendToUploadTusResumable):
        upload_offset (int):
        upload_checksum (str | Unset):
        body (File | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | ErrorBody]
    """

    kwargs = _get_kwargs(
        id=id,
        body=body,
        tus_resumable=tus_resumable,
        upload_offset=upload_offset,
        upload_checksum=upload_checksum,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    id: str,
    *,
    client: AuthenticatedClient | Client,
    body: File | Unset = UNSET,
    tus_resumable: AppendToUploadTusResumable,
    upload_offset: int,
    upload_checksum: str | Unset = UNSET,
) -> Any | ErrorBody | None:
    """Appends bytes at `Upload-Offset` (`application/offset+octet-stream`,
    optionally `Upload-Checksum: sha256 …`; 460 on a mismatch).

    Args:
        id (str):
        tus_resumable (AppendToUploadTusResumable):
        upload_offset (int):
        upload_checksum (str | Unset):
        body (File | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | ErrorBody
    """

    return sync_detailed(
        id=id,
        client=client,
        body=body,
        tus_resumable=tus_resumable,
        upload_offset=upload_offset,
        upload_checksum=upload_checksum,
    ).parsed


async def asyncio_detailed(
    id: str,
    *,
    client: AuthenticatedClient | Client,
    body: File | Unset = UNSET,
    tus_resumable: AppendToUploadTusResumable,
    upload_offset: int,
    upload_checksum: str | Unset = UNSET,
) -> Response[Any | ErrorBody]:
    """Appends bytes at `Upload-Offset` (`application/offset+octet-stream`,
    optionally `Upload-Checksum: sha256 …`; 460 on a mismatch).

    Args:
        id (str):
        tus_resumable (AppendToUploadTusResumable):
        upload_offset (int):
        upload_checksum (str | Unset):
        body (File | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | ErrorBody]
    """

    kwargs = _get_kwargs(
        id=id,
        body=body,
        tus_resumable=tus_resumable,
        upload_offset=upload_offset,
        upload_checksum=upload_checksum,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    id: str,
    *,
    client: AuthenticatedClient | Client,
    body: File | Unset = UNSET,
    tus_resumable: AppendToUploadTusResumable,
    upload_offset: int,
    upload_checksum: str | Unset = UNSET,
) -> Any | ErrorBody | None:
    """Appends bytes at `Upload-Offset` (`application/offset+octet-stream`,
    optionally `Upload-Checksum: sha256 …`; 460 on a mismatch).

    Args:
        id (str):
        tus_resumable (AppendToUploadTusResumable):
        upload_offset (int):
        upload_checksum (str | Unset):
        body (File | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | ErrorBody
    """

    return (
        await asyncio_detailed(
            id=id,
            client=client,
            body=body,
            tus_resumable=tus_resumable,
            upload_offset=upload_offset,
            upload_checksum=upload_checksum,
        )
    ).parsed
