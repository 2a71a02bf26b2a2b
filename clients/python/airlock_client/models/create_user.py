from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.role_name import RoleName
from ..models.zone_name import ZoneName
from ..types import UNSET, Unset

T = TypeVar("T", bound="CreateUser")


@_attrs_define
class CreateUser:
    """A user to create.

    Attributes:
        name (str): 1 to 64 characters, no white space or control character, not starting with `oidc:` (OIDC users'
            names).
        role (RoleName): A user's role.
        expires_in_days (int | None | Unset): The token expires after this many days; absent: it does not.
        zones (list[ZoneName] | Unset): For an analyst, the zones they may read (at least one); empty for
            other roles.
    """

    name: str
    role: RoleName
    expires_in_days: int | None | Unset = UNSET
    zones: list[ZoneName] | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        role = self.role.value

        expires_in_days: int | None | Unset
        if isinstance(self.expires_in_days, Unset):
            expires_in_days = UNSET
        else:
            expires_in_days = self.expires_in_days

        zones: list[str] | Unset = UNSET
        if not isinstance(self.zones, Unset):
            zones = []
            for zones_item_data in self.zones:
                zones_item = zones_item_data.value
                zones.append(zones_item)

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "name": name,
                "role": role,
            }
        )
        if expires_in_days is not UNSET:
            field_dict["expires_in_days"] = expires_in_days
        if zones is not UNSET:
            field_dict["zones"] = zones

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        name = d.pop("name")

        role = RoleName(d.pop("role"))

        def _parse_expires_in_days(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        expires_in_days = _parse_expires_in_days(d.pop("expires_in_days", UNSET))

        _zones = d.pop("zones", UNSET)
        zones: list[ZoneName] | Unset = UNSET
        if _zones is not UNSET:
            zones = []
            for zones_item_data in _zones:
                zones_item = ZoneName(zones_item_data)

                zones.append(zones_item)

        create_user = cls(
            name=name,
            role=role,
            expires_in_days=expires_in_days,
            zones=zones,
        )

        return create_user
