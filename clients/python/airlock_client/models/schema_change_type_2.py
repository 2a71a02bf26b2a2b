from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.schema_change_type_2_change import SchemaChangeType2Change

T = TypeVar("T", bound="SchemaChangeType2")


@_attrs_define
class SchemaChangeType2:
    """
    Attributes:
        change (SchemaChangeType2Change):
        column (str):
        from_ (str):
        to (str):
    """

    change: SchemaChangeType2Change
    column: str
    from_: str
    to: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        change = self.change.value

        column = self.column

        from_ = self.from_

        to = self.to

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "change": change,
                "column": column,
                "from": from_,
                "to": to,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        change = SchemaChangeType2Change(d.pop("change"))

        column = d.pop("column")

        from_ = d.pop("from")

        to = d.pop("to")

        schema_change_type_2 = cls(
            change=change,
            column=column,
            from_=from_,
            to=to,
        )

        schema_change_type_2.additional_properties = d
        return schema_change_type_2

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
