from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

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
        distinct_count (int | None | Unset): Distinct values, exact while few (up to 1,024).
        least_positive (int | None | Unset): An integer column's least value above zero…
        max_ (None | str | Unset):
        min_ (None | str | Unset): The least and greatest values as people read them, cut to 64
            characters; withheld (absent) where personal data was found.
        null_count (int | None | Unset): Nulls among its values (absent in evidence kept before statistics
            were).
        sum_ (None | str | Unset): The sum of a numeric column; withheld where personal data was
            found.
        value_gcd (int | None | Unset): …and the greatest common divisor of its values.
    """

    name: str
    pii: ColumnEvidencePii
    pii_sampled: int
    type_: str
    distinct_count: int | None | Unset = UNSET
    least_positive: int | None | Unset = UNSET
    max_: None | str | Unset = UNSET
    min_: None | str | Unset = UNSET
    null_count: int | None | Unset = UNSET
    sum_: None | str | Unset = UNSET
    value_gcd: int | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        pii = self.pii.to_dict()

        pii_sampled = self.pii_sampled

        type_ = self.type_

        distinct_count: int | None | Unset
        if isinstance(self.distinct_count, Unset):
            distinct_count = UNSET
        else:
            distinct_count = self.distinct_count

        least_positive: int | None | Unset
        if isinstance(self.least_positive, Unset):
            least_positive = UNSET
        else:
            least_positive = self.least_positive

        max_: None | str | Unset
        if isinstance(self.max_, Unset):
            max_ = UNSET
        else:
            max_ = self.max_

        min_: None | str | Unset
        if isinstance(self.min_, Unset):
            min_ = UNSET
        else:
            min_ = self.min_

        null_count: int | None | Unset
        if isinstance(self.null_count, Unset):
            null_count = UNSET
        else:
            null_count = self.null_count

        sum_: None | str | Unset
        if isinstance(self.sum_, Unset):
            sum_ = UNSET
        else:
            sum_ = self.sum_

        value_gcd: int | None | Unset
        if isinstance(self.value_gcd, Unset):
            value_gcd = UNSET
        else:
            value_gcd = self.value_gcd

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
        if distinct_count is not UNSET:
            field_dict["distinct_count"] = distinct_count
        if least_positive is not UNSET:
            field_dict["least_positive"] = least_positive
        if max_ is not UNSET:
            field_dict["max"] = max_
        if min_ is not UNSET:
            field_dict["min"] = min_
        if null_count is not UNSET:
            field_dict["null_count"] = null_count
        if sum_ is not UNSET:
            field_dict["sum"] = sum_
        if value_gcd is not UNSET:
            field_dict["value_gcd"] = value_gcd

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.column_evidence_pii import ColumnEvidencePii  # noqa: PLC0415

        d = dict(src_dict)
        name = d.pop("name")

        pii = ColumnEvidencePii.from_dict(d.pop("pii"))

        pii_sampled = d.pop("pii_sampled")

        type_ = d.pop("type")

        def _parse_distinct_count(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        distinct_count = _parse_distinct_count(d.pop("distinct_count", UNSET))

        def _parse_least_positive(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        least_positive = _parse_least_positive(d.pop("least_positive", UNSET))

        def _parse_max_(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        max_ = _parse_max_(d.pop("max", UNSET))

        def _parse_min_(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        min_ = _parse_min_(d.pop("min", UNSET))

        def _parse_null_count(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        null_count = _parse_null_count(d.pop("null_count", UNSET))

        def _parse_sum_(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        sum_ = _parse_sum_(d.pop("sum", UNSET))

        def _parse_value_gcd(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        value_gcd = _parse_value_gcd(d.pop("value_gcd", UNSET))

        column_evidence = cls(
            name=name,
            pii=pii,
            pii_sampled=pii_sampled,
            type_=type_,
            distinct_count=distinct_count,
            least_positive=least_positive,
            max_=max_,
            min_=min_,
            null_count=null_count,
            sum_=sum_,
            value_gcd=value_gcd,
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
