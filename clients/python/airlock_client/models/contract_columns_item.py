from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="ContractColumnsItem")


@_attrs_define
class ContractColumnsItem:
    """
    Attributes:
        name (str): As the delivery writes it (a CSV header, a JSON key).
        type_ (str): bool, int64, float64, decimal(P,S) (1 <= P <= 38, S <= P), date, timestamp, timestamp_tz or string.
        nullable (bool | Unset): Whether a value may be missing. Default: True.
    """

    name: str
    type_: str
    nullable: bool | Unset = True

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        type_ = self.type_

        nullable = self.nullable

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "name": name,
                "type": type_,
            }
        )
        if nullable is not UNSET:
            field_dict["nullable"] = nullable

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        name = d.pop("name")

        type_ = d.pop("type")

        nullable = d.pop("nullable", UNSET)

        contract_columns_item = cls(
            name=name,
            type_=type_,
            nullable=nullable,
        )

        return contract_columns_item
