from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="PartVerdictView")


@_attrs_define
class PartVerdictView:
    """One engine's verdict on one part of a transfer's copy.

    Attributes:
        engine (str):
        engine_version (str):
        scanned_at (str):
        verdict (str): clean, infected, over_limit, error or timeout.
        part (str): The source part the copy was scanned from.
        db_version (None | str | Unset):
        detail (None | str | Unset):
        member (str | Unset): The archive member it is about; absent for the file itself.
    """

    engine: str
    engine_version: str
    scanned_at: str
    verdict: str
    part: str
    db_version: None | str | Unset = UNSET
    detail: None | str | Unset = UNSET
    member: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        engine = self.engine

        engine_version = self.engine_version

        scanned_at = self.scanned_at

        verdict = self.verdict

        part = self.part

        db_version: None | str | Unset
        if isinstance(self.db_version, Unset):
            db_version = UNSET
        else:
            db_version = self.db_version

        detail: None | str | Unset
        if isinstance(self.detail, Unset):
            detail = UNSET
        else:
            detail = self.detail

        member = self.member

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "engine": engine,
                "engine_version": engine_version,
                "scanned_at": scanned_at,
                "verdict": verdict,
                "part": part,
            }
        )
        if db_version is not UNSET:
            field_dict["db_version"] = db_version
        if detail is not UNSET:
            field_dict["detail"] = detail
        if member is not UNSET:
            field_dict["member"] = member

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        engine = d.pop("engine")

        engine_version = d.pop("engine_version")

        scanned_at = d.pop("scanned_at")

        verdict = d.pop("verdict")

        part = d.pop("part")

        def _parse_db_version(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        db_version = _parse_db_version(d.pop("db_version", UNSET))

        def _parse_detail(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        detail = _parse_detail(d.pop("detail", UNSET))

        member = d.pop("member", UNSET)

        part_verdict_view = cls(
            engine=engine,
            engine_version=engine_version,
            scanned_at=scanned_at,
            verdict=verdict,
            part=part,
            db_version=db_version,
            detail=detail,
            member=member,
        )

        part_verdict_view.additional_properties = d
        return part_verdict_view

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
