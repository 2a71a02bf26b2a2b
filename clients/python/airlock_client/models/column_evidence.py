from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.column_evidence_pii import ColumnEvidencePii


T = TypeVar("T", bound="ColumnEvidence")


@_attrs_define
class ColumnEvidence:
    """
    Attributes:
        name (str):
        pii (ColumnEvidencePii): …and how many were of each kind found (`{"email": 12}`).
        pii_sampled (int): How many values the PII detectors looked at…
        type_ (str):
    """

    name: str
    pii: ColumnEvidencePii
    pii_sampled: int
    type_: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        pii = self.pii.to_dict()

        pii_sampled = self.pii_sampled

        type_ = self.type_

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "name": name,
                "pii": pii,
                "pii_sampled": pii_sampled,
                "type": type_,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.column_evidence_pii import ColumnEvidencePii  # noqa: PLC0415

        d = dict(src_dict)
        name = d.pop("name")

        pii = ColumnEvidencePii.from_dict(d.pop("pii"))

        pii_sampled = d.pop("pii_sampled")

        type_ = d.pop("type")

        column_evidence = cls(
            name=name,
            pii=pii,
            pii_sampled=pii_sampled,
            type_=type_,
        )

        column_evidence.additional_properties = d
        return column_evidence

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
