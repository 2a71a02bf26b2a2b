from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.pii_view import PiiView
    from ..models.statistics_view import StatisticsView


T = TypeVar("T", bound="ColumnView")


@_attrs_define
class ColumnView:
    """
    Attributes:
        name (str):
        nullable (bool): Whether any null was seen.
        pii (list[PiiView]): …and how many were personal data, by kind. Never the values.
        pii_sampled (int): How many values the PII detectors looked at (the first 10,000
            present ones)…
        statistics (StatisticsView): What the conversion found of a column's values; a null is unknown (a
            version converted before statistics were kept, or a type they are not
            kept for).
        type_ (str): int64, float64, bool, date, timestamp, string, …
    """

    name: str
    nullable: bool
    pii: list[PiiView]
    pii_sampled: int
    statistics: StatisticsView
    type_: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        nullable = self.nullable

        pii = []
        for pii_item_data in self.pii:
            pii_item = pii_item_data.to_dict()
            pii.append(pii_item)

        pii_sampled = self.pii_sampled

        statistics = self.statistics.to_dict()

        type_ = self.type_

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "name": name,
                "nullable": nullable,
                "pii": pii,
                "pii_sampled": pii_sampled,
                "statistics": statistics,
                "type": type_,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.pii_view import PiiView  # noqa: PLC0415
        from ..models.statistics_view import StatisticsView  # noqa: PLC0415

        d = dict(src_dict)
        name = d.pop("name")

        nullable = d.pop("nullable")

        pii = []
        _pii = d.pop("pii")
        for pii_item_data in _pii:
            pii_item = PiiView.from_dict(pii_item_data)

            pii.append(pii_item)

        pii_sampled = d.pop("pii_sampled")

        statistics = StatisticsView.from_dict(d.pop("statistics"))

        type_ = d.pop("type")

        column_view = cls(
            name=name,
            nullable=nullable,
            pii=pii,
            pii_sampled=pii_sampled,
            statistics=statistics,
            type_=type_,
        )

        column_view.additional_properties = d
        return column_view

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
