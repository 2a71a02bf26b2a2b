from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.evidence_findings import EvidenceFindings
    from ..models.table_evidence import TableEvidence


T = TypeVar("T", bound="Evidence")


@_attrs_define
class Evidence:
    """What the checks found in one delivered file.

    Attributes:
        decided_by (list[str]): The policies that decided.
        findings (EvidenceFindings): The facts put to the policies.
        reason (str): Why policy held or rejected it.
        schema_check (list[str]): What the file breaks of its declared schema, one clause each.
        tables (list[TableEvidence]): The tables it converts to: one, or one per sheet of a workbook.
    """

    decided_by: list[str]
    findings: EvidenceFindings
    reason: str
    schema_check: list[str]
    tables: list[TableEvidence]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        decided_by = self.decided_by

        findings = self.findings.to_dict()

        reason = self.reason

        schema_check = self.schema_check

        tables = []
        for tables_item_data in self.tables:
            tables_item = tables_item_data.to_dict()
            tables.append(tables_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "decided_by": decided_by,
                "findings": findings,
                "reason": reason,
                "schema_check": schema_check,
                "tables": tables,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.evidence_findings import EvidenceFindings  # noqa: PLC0415
        from ..models.table_evidence import TableEvidence  # noqa: PLC0415

        d = dict(src_dict)
        decided_by = cast(list[str], d.pop("decided_by"))

        findings = EvidenceFindings.from_dict(d.pop("findings"))

        reason = d.pop("reason")

        schema_check = cast(list[str], d.pop("schema_check"))

        tables = []
        _tables = d.pop("tables")
        for tables_item_data in _tables:
            tables_item = TableEvidence.from_dict(tables_item_data)

            tables.append(tables_item)

        evidence = cls(
            decided_by=decided_by,
            findings=findings,
            reason=reason,
            schema_check=schema_check,
            tables=tables,
        )

        evidence.additional_properties = d
        return evidence

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
