from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="DatasetSummary")


@_attrs_define
class DatasetSummary:
    """
    Attributes:
        classification (str):
        description (str):
        id (str):
        name (str):
        tags (list[str]):
        zone (str):
    """

    classification: str
    description: str
    id: str
    name: str
    tags: list[str]
    zone: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        classification = self.classification

        description = self.description

        id = self.id

        name = self.name

        tags = self.tags

        zone = self.zone

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "classification": classification,
                "description": description,
                "id": id,
                "name": name,
                "tags": tags,
                "zone": zone,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        classification = d.pop("classification")

        description = d.pop("description")

        id = d.pop("id")

        name = d.pop("name")

        tags = cast(list[str], d.pop("tags"))

        zone = d.pop("zone")

        dataset_summary = cls(
            classification=classification,
            description=description,
            id=id,
            name=name,
            tags=tags,
            zone=zone,
        )

        dataset_summary.additional_properties = d
        return dataset_summary

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
