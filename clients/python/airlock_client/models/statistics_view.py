from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="StatisticsView")


@_attrs_define
class StatisticsView:
    """What the conversion found of a column's values; a null is unknown (a
    version converted before statistics were kept, or a type they are not
    kept for).

        Attributes:
            bounds_withheld (bool): True when the bounds are withheld because the column holds
                personal data.
            distinct_count (int | None | Unset): Distinct values: exact while few (up to 1,024)…
            distinct_estimate (int | None | Unset): …or estimated past that (HyperLogLog, about 1.6% standard error).
            max_ (None | str | Unset):
            min_ (None | str | Unset): The least and greatest values, cut to 64 characters (a cut or
                inexact one ends in "…"); withheld where personal data was found.
            null_count (int | None | Unset):
            sum_ (None | str | Unset): The sum of a numeric column's values; withheld where personal data
                was found.
    """

    bounds_withheld: bool
    distinct_count: int | None | Unset = UNSET
    distinct_estimate: int | None | Unset = UNSET
    max_: None | str | Unset = UNSET
    min_: None | str | Unset = UNSET
    null_count: int | None | Unset = UNSET
    sum_: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        bounds_withheld = self.bounds_withheld

        distinct_count: int | None | Unset
        if isinstance(self.distinct_count, Unset):
            distinct_count = UNSET
        else:
            distinct_count = self.distinct_count

        distinct_estimate: int | None | Unset
        if isinstance(self.distinct_estimate, Unset):
            distinct_estimate = UNSET
        else:
            distinct_estimate = self.distinct_estimate

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

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "bounds_withheld": bounds_withheld,
            }
        )
        if distinct_count is not UNSET:
            field_dict["distinct_count"] = distinct_count
        if distinct_estimate is not UNSET:
            field_dict["distinct_estimate"] = distinct_estimate
        if max_ is not UNSET:
            field_dict["max"] = max_
        if min_ is not UNSET:
            field_dict["min"] = min_
        if null_count is not UNSET:
            field_dict["null_count"] = null_count
        if sum_ is not UNSET:
            field_dict["sum"] = sum_

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        bounds_withheld = d.pop("bounds_withheld")

        def _parse_distinct_count(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        distinct_count = _parse_distinct_count(d.pop("distinct_count", UNSET))

        def _parse_distinct_estimate(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        distinct_estimate = _parse_distinct_estimate(d.pop("distinct_estimate", UNSET))

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

        statistics_view = cls(
            bounds_withheld=bounds_withheld,
            distinct_count=distinct_count,
            distinct_estimate=distinct_estimate,
            max_=max_,
            min_=min_,
            null_count=null_count,
            sum_=sum_,
        )

        statistics_view.additional_properties = d
        return statistics_view

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
