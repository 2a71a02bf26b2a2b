from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="UserView")


@_attrs_define
class UserView:
    """
    Attributes:
        created_at (str):
        id (str):
        live_tokens (int): Tokens neither revoked nor expired.
        name (str):
        role (str): engineer, reviewer, analyst or admin.
        zones (list[str]): For an analyst, the zones they may read.
        disabled_at (None | str | Unset): When the user was disabled; absent while enabled.
    """

    created_at: str
    id: str
    live_tokens: int
    name: str
    role: str
    zones: list[str]
    disabled_at: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        created_at = self.created_at

        id = self.id

        live_tokens = self.live_tokens

        name = self.name

        role = self.role

        zones = self.zones

        disabled_at: None | str | Unset
        if isinstance(self.disabled_at, Unset):
            disabled_at = UNSET
        else:
            disabled_at = self.disabled_at

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "created_at": created_at,
                "id": id,
                "live_tokens": live_tokens,
                "name": name,
                "role": role,
                "zones": zones,
            }
        )
        if disabled_at is not UNSET:
            field_dict["disabled_at"] = disabled_at

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        created_at = d.pop("created_at")

        id = d.pop("id")

        live_tokens = d.pop("live_tokens")

        name = d.pop("name")

        role = d.pop("role")

        zones = cast(list[str], d.pop("zones"))

        def _parse_disabled_at(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        disabled_at = _parse_disabled_at(d.pop("disabled_at", UNSET))

        user_view = cls(
            created_at=created_at,
            id=id,
            live_tokens=live_tokens,
            name=name,
            role=role,
            zones=zones,
            disabled_at=disabled_at,
        )

        user_view.additional_properties = d
        return user_view

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
