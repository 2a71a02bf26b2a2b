from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.column_view import ColumnView
    from ..models.version_view import VersionView


T = TypeVar("T", bound="DatasetView")


@_attrs_define
class DatasetView:
    """
    Attributes:
        acquisition_id (str):
        classification (str):
        columns (list[ColumnView]):
        description (str):
        id (str):
        name (str):
        tags (list[str]):
        versions (list[VersionView]):
        zone (str):
    """

    acquisition_id: str
    classification: str
    columns: list[ColumnView]
    description: str
    id: str
    name: str
    tags: list[str]
    versions: list[VersionView]
    zone: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        acquisition_id = self.acquisition_id

        classification = self.classification

        columns = []
        for columns_item_data in self.columns:
            columns_item = columns_item_data.to_dict()
            columns.append(columns_item)

        description = self.description

        id = self.id

        name = self.name

        tags = self.tags

        versions = []
        for versions_item_data in self.versions:
            versions_item = versions_item_data.to_dict()
            versions.append(versions_item)

        zone = self.zone

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "acquisition_id": acquisition_id,
                "classification": classification,
                "columns": columns,
                "description": description,
                "id": id,
                "name": name,
                "tags": tags,
                "versions": versions,
                "zone": zone,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.column_view import ColumnView  # noqa: PLC0415
        from ..models.version_view import VersionView  # noqa: PLC0415

        d = dict(src_dict)
        acquisition_id = d.pop("acquisition_id")

        classification = d.pop("classification")

        columns = []
        _columns = d.pop("columns")
        for columns_item_data in _columns:
            columns_item = ColumnView.from_dict(columns_item_data)

            columns.append(columns_item)

        description = d.pop("description")

        id = d.pop("id")

        name = d.pop("name")

        tags = cast(list[str], d.pop("tags"))

        versions = []
        _versions = d.pop("versions")
        for versions_item_data in _versions:
            versions_item = VersionView.from_dict(versions_item_data)

            versions.append(versions_item)

        zone = d.pop("zone")

        dataset_view = cls(
            acquisition_id=acquisition_id,
            classification=classification,
            columns=columns,
            description=description,
            id=id,
            name=name,
            tags=tags,
            versions=versions,
            zone=zone,
        )

        dataset_view.additional_properties = d
        return dataset_view

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
