from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.column_evidence import ColumnEvidence


T = TypeVar("T", bound="TableEvidence")


@_attrs_define
class TableEvidence:
    """
    Attributes:
        columns (list[ColumnEvidence]):
        rows (int):
        sheet (None | str | Unset): The sheet, for a workbook.
    """

    columns: list[ColumnEvidence]
    rows: int
    sheet: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        columns = []
        for columns_item_data in self.columns:
            columns_item = columns_item_data.to_dict()
            columns.append(columns_item)

        rows = self.rows

        sheet: None | str | Unset
        if isinstance(self.sheet, Unset):
            sheet = UNSET
        else:
            sheet = self.sheet

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "columns": columns,
                "rows": rows,
            }
        )
        if sheet is not UNSET:
            field_dict["sheet"] = sheet

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.column_evidence import ColumnEvidence  # noqa: PLC0415

        d = dict(src_dict)
        columns = []
        _columns = d.pop("columns")
        for columns_item_data in _columns:
            columns_item = ColumnEvidence.from_dict(columns_item_data)

            columns.append(columns_item)

        rows = d.pop("rows")

        def _parse_sheet(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        sheet = _parse_sheet(d.pop("sheet", UNSET))

        table_evidence = cls(
            columns=columns,
            rows=rows,
            sheet=sheet,
        )

        table_evidence.additional_properties = d
        return table_evidence

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
