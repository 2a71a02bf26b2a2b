from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="FileSummary")


@_attrs_define
class FileSummary:
    """
    Attributes:
        channel (str): api, tus, folder, bucket or sftp.
        created_at (str):
        filename (str):
        id (str):
        sha256 (str):
        size_bytes (int):
        state (str):
        submitted_by (str):
        error (None | str | Unset): What was wrong, for a rejected file: the offending line or member.
        held_because (None | str | Unset): Why policy held it for a reviewer, while it waits.
        reason (None | str | Unset):
    """

    channel: str
    created_at: str
    filename: str
    id: str
    sha256: str
    size_bytes: int
    state: str
    submitted_by: str
    error: None | str | Unset = UNSET
    held_because: None | str | Unset = UNSET
    reason: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        channel = self.channel

        created_at = self.created_at

        filename = self.filename

        id = self.id

        sha256 = self.sha256

        size_bytes = self.size_bytes

        state = self.state

        submitted_by = self.submitted_by

        error: None | str | Unset
        if isinstance(self.error, Unset):
            error = UNSET
        else:
            error = self.error

        held_because: None | str | Unset
        if isinstance(self.held_because, Unset):
            held_because = UNSET
        else:
            held_because = self.held_because

        reason: None | str | Unset
        if isinstance(self.reason, Unset):
            reason = UNSET
        else:
            reason = self.reason

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "channel": channel,
                "created_at": created_at,
                "filename": filename,
                "id": id,
                "sha256": sha256,
                "size_bytes": size_bytes,
                "state": state,
                "submitted_by": submitted_by,
            }
        )
        if error is not UNSET:
            field_dict["error"] = error
        if held_because is not UNSET:
            field_dict["held_because"] = held_because
        if reason is not UNSET:
            field_dict["reason"] = reason

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        channel = d.pop("channel")

        created_at = d.pop("created_at")

        filename = d.pop("filename")

        id = d.pop("id")

        sha256 = d.pop("sha256")

        size_bytes = d.pop("size_bytes")

        state = d.pop("state")

        submitted_by = d.pop("submitted_by")

        def _parse_error(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        error = _parse_error(d.pop("error", UNSET))

        def _parse_held_because(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        held_because = _parse_held_because(d.pop("held_because", UNSET))

        def _parse_reason(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        reason = _parse_reason(d.pop("reason", UNSET))

        file_summary = cls(
            channel=channel,
            created_at=created_at,
            filename=filename,
            id=id,
            sha256=sha256,
            size_bytes=size_bytes,
            state=state,
            submitted_by=submitted_by,
            error=error,
            held_because=held_because,
            reason=reason,
        )

        file_summary.additional_properties = d
        return file_summary

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
