from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.column_view import ColumnView
    from ..models.lineage_view import LineageView
    from ..models.schema_change_type_0 import SchemaChangeType0
    from ..models.schema_change_type_1 import SchemaChangeType1
    from ..models.schema_change_type_2 import SchemaChangeType2
    from ..models.schema_change_type_3 import SchemaChangeType3


T = TypeVar("T", bound="VersionView")


@_attrs_define
class VersionView:
    """
    Attributes:
        changes (list[SchemaChangeType0 | SchemaChangeType1 | SchemaChangeType2 | SchemaChangeType3]): What changed in
            the schema from the version before (empty for the
            first, and when nothing did).
        columns (list[ColumnView]): Its columns, in order, with their statistics.
        created_at (str):
        location (str):
        rows (int):
        size_bytes (int):
        source_file_ids (list[str]):
        version (int):
        taint_reason (None | str | Unset):
        tainted_at (None | str | Unset): Set when a rescan flagged a source file after publication: when,
            and what was found.
        transferred_from (LineageView | None | Unset):
    """

    changes: list[SchemaChangeType0 | SchemaChangeType1 | SchemaChangeType2 | SchemaChangeType3]
    columns: list[ColumnView]
    created_at: str
    location: str
    rows: int
    size_bytes: int
    source_file_ids: list[str]
    version: int
    taint_reason: None | str | Unset = UNSET
    tainted_at: None | str | Unset = UNSET
    transferred_from: LineageView | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.lineage_view import LineageView  # noqa: PLC0415
        from ..models.schema_change_type_0 import SchemaChangeType0  # noqa: PLC0415
        from ..models.schema_change_type_1 import SchemaChangeType1  # noqa: PLC0415
        from ..models.schema_change_type_2 import SchemaChangeType2  # noqa: PLC0415

        changes = []
        for changes_item_data in self.changes:
            changes_item: dict[str, Any]
            if isinstance(changes_item_data, SchemaChangeType0):
                changes_item = changes_item_data.to_dict()
            elif isinstance(changes_item_data, SchemaChangeType1):
                changes_item = changes_item_data.to_dict()
            elif isinstance(changes_item_data, SchemaChangeType2):
                changes_item = changes_item_data.to_dict()
            else:
                changes_item = changes_item_data.to_dict()

            changes.append(changes_item)

        columns = []
        for columns_item_data in self.columns:
            columns_item = columns_item_data.to_dict()
            columns.append(columns_item)

        created_at = self.created_at

        location = self.location

        rows = self.rows

        size_bytes = self.size_bytes

        source_file_ids = self.source_file_ids

        version = self.version

        taint_reason: None | str | Unset
        if isinstance(self.taint_reason, Unset):
            taint_reason = UNSET
        else:
            taint_reason = self.taint_reason

        tainted_at: None | str | Unset
        if isinstance(self.tainted_at, Unset):
            tainted_at = UNSET
        else:
            tainted_at = self.tainted_at

        transferred_from: dict[str, Any] | None | Unset
        if isinstance(self.transferred_from, Unset):
            transferred_from = UNSET
        elif isinstance(self.transferred_from, LineageView):
            transferred_from = self.transferred_from.to_dict()
        else:
            transferred_from = self.transferred_from

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "changes": changes,
                "columns": columns,
                "created_at": created_at,
                "location": location,
                "rows": rows,
                "size_bytes": size_bytes,
                "source_file_ids": source_file_ids,
                "version": version,
            }
        )
        if taint_reason is not UNSET:
            field_dict["taint_reason"] = taint_reason
        if tainted_at is not UNSET:
            field_dict["tainted_at"] = tainted_at
        if transferred_from is not UNSET:
            field_dict["transferred_from"] = transferred_from

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.column_view import ColumnView  # noqa: PLC0415
        from ..models.lineage_view import LineageView  # noqa: PLC0415
        from ..models.schema_change_type_0 import SchemaChangeType0  # noqa: PLC0415
        from ..models.schema_change_type_1 import SchemaChangeType1  # noqa: PLC0415
        from ..models.schema_change_type_2 import SchemaChangeType2  # noqa: PLC0415
        from ..models.schema_change_type_3 import SchemaChangeType3  # noqa: PLC0415

        d = dict(src_dict)
        changes = []
        _changes = d.pop("changes")
        for changes_item_data in _changes:

            def _parse_changes_item(
                data: object,
            ) -> SchemaChangeType0 | SchemaChangeType1 | SchemaChangeType2 | SchemaChangeType3:
                try:
                    if not isinstance(data, dict):
                        raise TypeError()
                    componentsschemas_schema_change_type_0 = SchemaChangeType0.from_dict(data)

                    return componentsschemas_schema_change_type_0
                except (TypeError, ValueError, AttributeError, KeyError):
                    pass
                try:
                    if not isinstance(data, dict):
                        raise TypeError()
                    componentsschemas_schema_change_type_1 = SchemaChangeType1.from_dict(data)

                    return componentsschemas_schema_change_type_1
                except (TypeError, ValueError, AttributeError, KeyError):
                    pass
                try:
                    if not isinstance(data, dict):
                        raise TypeError()
                    componentsschemas_schema_change_type_2 = SchemaChangeType2.from_dict(data)

                    return componentsschemas_schema_change_type_2
                except (TypeError, ValueError, AttributeError, KeyError):
                    pass
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_schema_change_type_3 = SchemaChangeType3.from_dict(data)

                return componentsschemas_schema_change_type_3

            changes_item = _parse_changes_item(changes_item_data)

            changes.append(changes_item)

        columns = []
        _columns = d.pop("columns")
        for columns_item_data in _columns:
            columns_item = ColumnView.from_dict(columns_item_data)

            columns.append(columns_item)

        created_at = d.pop("created_at")

        location = d.pop("location")

        rows = d.pop("rows")

        size_bytes = d.pop("size_bytes")

        source_file_ids = cast(list[str], d.pop("source_file_ids"))

        version = d.pop("version")

        def _parse_taint_reason(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        taint_reason = _parse_taint_reason(d.pop("taint_reason", UNSET))

        def _parse_tainted_at(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        tainted_at = _parse_tainted_at(d.pop("tainted_at", UNSET))

        def _parse_transferred_from(data: object) -> LineageView | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                transferred_from_type_0 = LineageView.from_dict(data)

                return transferred_from_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(LineageView | None | Unset, data)

        transferred_from = _parse_transferred_from(d.pop("transferred_from", UNSET))

        version_view = cls(
            changes=changes,
            columns=columns,
            created_at=created_at,
            location=location,
            rows=rows,
            size_bytes=size_bytes,
            source_file_ids=source_file_ids,
            version=version,
            taint_reason=taint_reason,
            tainted_at=tainted_at,
            transferred_from=transferred_from,
        )

        version_view.additional_properties = d
        return version_view

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
