from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="ZoneView")


@_attrs_define
class ZoneView:
    """
    Attributes:
        accepts_from (list[str]):
        ceiling (str):
        kind (str):
        name (str):
    """

    accepts_from: list[str]
    ceiling: str
    kind: str
    name: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        accepts_from = self.accepts_from

        ceiling = self.ceiling

        kind = self.kind

        name = self.name

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "accepts_from": accepts_from,
                "ceiling": ceiling,
                "kind": kind,
                "name": name,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        accepts_from = cast(list[str], d.pop("accepts_from"))

        ceiling = d.pop("ceiling")

        kind = d.pop("kind")

        name = d.pop("name")

        zone_view = cls(
            accepts_from=accepts_from,
            ceiling=ceiling,
            kind=kind,
            name=name,
        )

        zone_view.additional_properties = d
        return zone_view

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
