from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="FileAccepted")


@_attrs_define
class FileAccepted:
    """
    Attributes:
        id (str):
        sha256 (str):
        size_bytes (int):
        state (str):
    """

    id: str
    sha256: str
    size_bytes: int
    state: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        sha256 = self.sha256

        size_bytes = self.size_bytes

        state = self.state

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "sha256": sha256,
                "size_bytes": size_bytes,
                "state": state,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        id = d.pop("id")

        sha256 = d.pop("sha256")

        size_bytes = d.pop("size_bytes")

        state = d.pop("state")

        file_accepted = cls(
            id=id,
            sha256=sha256,
            size_bytes=size_bytes,
            state=state,
        )

        file_accepted.additional_properties = d
        return file_accepted

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
