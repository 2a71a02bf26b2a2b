from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

from ..models.zone_name import ZoneName
from ..types import UNSET, Unset

T = TypeVar("T", bound="TransferRequest")


@_attrs_define
class TransferRequest:
    """
    Attributes:
        dataset_id (str):
        to_zone (ZoneName): A configured lake zone.
        version (int): The published version's number.
        reason (str | Unset):
    """

    dataset_id: str
    to_zone: ZoneName
    version: int
    reason: str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        dataset_id = self.dataset_id

        to_zone = self.to_zone.value

        version = self.version

        reason = self.reason

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "dataset_id": dataset_id,
                "to_zone": to_zone,
                "version": version,
            }
        )
        if reason is not UNSET:
            field_dict["reason"] = reason

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        dataset_id = d.pop("dataset_id")

        to_zone = ZoneName(d.pop("to_zone"))

        version = d.pop("version")

        reason = d.pop("reason", UNSET)

        transfer_request = cls(
            dataset_id=dataset_id,
            to_zone=to_zone,
            version=version,
            reason=reason,
        )

        return transfer_request
