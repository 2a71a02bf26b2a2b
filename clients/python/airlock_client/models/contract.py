from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.contract_columns_item import ContractColumnsItem


T = TypeVar("T", bound="Contract")


@_attrs_define
class Contract:
    """
    Attributes:
        columns (list[ContractColumnsItem]):
    """

    columns: list[ContractColumnsItem]

    def to_dict(self) -> dict[str, Any]:
        columns = []
        for columns_item_data in self.columns:
            columns_item = columns_item_data.to_dict()
            columns.append(columns_item)

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "columns": columns,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.contract_columns_item import ContractColumnsItem  # noqa: PLC0415

        d = dict(src_dict)
        columns = []
        _columns = d.pop("columns")
        for columns_item_data in _columns:
            columns_item = ContractColumnsItem.from_dict(columns_item_data)

            columns.append(columns_item)

        contract = cls(
            columns=columns,
        )

        return contract
