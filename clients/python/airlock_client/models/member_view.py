from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.verdict_view import VerdictView


T = TypeVar("T", bound="MemberView")


@_attrs_define
class MemberView:
    """
    Attributes:
        path (str): The member's path; `inner.zip!/x.csv` for a member of a member.
        sha256 (str):
        size_bytes (int):
        verdicts (list[VerdictView]):
    """

    path: str
    sha256: str
    size_bytes: int
    verdicts: list[VerdictView]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        path = self.path

        sha256 = self.sha256

        size_bytes = self.size_bytes

        verdicts = []
        for verdicts_item_data in self.verdicts:
            verdicts_item = verdicts_item_data.to_dict()
            verdicts.append(verdicts_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "path": path,
                "sha256": sha256,
                "size_bytes": size_bytes,
                "verdicts": verdicts,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.verdict_view import VerdictView  # noqa: PLC0415

        d = dict(src_dict)
        path = d.pop("path")

        sha256 = d.pop("sha256")

        size_bytes = d.pop("size_bytes")

        verdicts = []
        _verdicts = d.pop("verdicts")
        for verdicts_item_data in _verdicts:
            verdicts_item = VerdictView.from_dict(verdicts_item_data)

            verdicts.append(verdicts_item)

        member_view = cls(
            path=path,
            sha256=sha256,
            size_bytes=size_bytes,
            verdicts=verdicts,
        )

        member_view.additional_properties = d
        return member_view

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
