from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.part_verdict_view import PartVerdictView


T = TypeVar("T", bound="TransferView")


@_attrs_define
class TransferView:
    """
    Attributes:
        created_at (str):
        dataset_id (str):
        from_zone (str):
        id (str):
        reason (str):
        requested_by (str):
        state (str): pending_release, queued, publishing, published or rejected.
        to_zone (str):
        updated_at (str):
        verdicts (list[PartVerdictView]): Every engine's verdict on every part of the copy, once it was
            scanned.
        version (int):
        error (None | str | Unset):
        released_by (None | str | Unset):
        target_dataset_id (None | str | Unset): The version it became in the target zone.
        target_version (int | None | Unset):
    """

    created_at: str
    dataset_id: str
    from_zone: str
    id: str
    reason: str
    requested_by: str
    state: str
    to_zone: str
    updated_at: str
    verdicts: list[PartVerdictView]
    version: int
    error: None | str | Unset = UNSET
    released_by: None | str | Unset = UNSET
    target_dataset_id: None | str | Unset = UNSET
    target_version: int | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        created_at = self.created_at

        dataset_id = self.dataset_id

        from_zone = self.from_zone

        id = self.id

        reason = self.reason

        requested_by = self.requested_by

        state = self.state

        to_zone = self.to_zone

        updated_at = self.updated_at

        verdicts = []
        for verdicts_item_data in self.verdicts:
            verdicts_item = verdicts_item_data.to_dict()
            verdicts.append(verdicts_item)

        version = self.version

        error: None | str | Unset
        if isinstance(self.error, Unset):
            error = UNSET
        else:
            error = self.error

        released_by: None | str | Unset
        if isinstance(self.released_by, Unset):
            released_by = UNSET
        else:
            released_by = self.released_by

        target_dataset_id: None | str | Unset
        if isinstance(self.target_dataset_id, Unset):
            target_dataset_id = UNSET
        else:
            target_dataset_id = self.target_dataset_id

        target_version: int | None | Unset
        if isinstance(self.target_version, Unset):
            target_version = UNSET
        else:
            target_version = self.target_version

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "created_at": created_at,
                "dataset_id": dataset_id,
                "from_zone": from_zone,
                "id": id,
                "reason": reason,
                "requested_by": requested_by,
                "state": state,
                "to_zone": to_zone,
                "updated_at": updated_at,
                "verdicts": verdicts,
                "version": version,
            }
        )
        if error is not UNSET:
            field_dict["error"] = error
        if released_by is not UNSET:
            field_dict["released_by"] = released_by
        if target_dataset_id is not UNSET:
            field_dict["target_dataset_id"] = target_dataset_id
        if target_version is not UNSET:
            field_dict["target_version"] = target_version

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.part_verdict_view import PartVerdictView  # noqa: PLC0415

        d = dict(src_dict)
        created_at = d.pop("created_at")

        dataset_id = d.pop("dataset_id")

        from_zone = d.pop("from_zone")

        id = d.pop("id")

        reason = d.pop("reason")

        requested_by = d.pop("requested_by")

        state = d.pop("state")

        to_zone = d.pop("to_zone")

        updated_at = d.pop("updated_at")

        verdicts = []
        _verdicts = d.pop("verdicts")
        for verdicts_item_data in _verdicts:
            verdicts_item = PartVerdictView.from_dict(verdicts_item_data)

            verdicts.append(verdicts_item)

        version = d.pop("version")

        def _parse_error(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        error = _parse_error(d.pop("error", UNSET))

        def _parse_released_by(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        released_by = _parse_released_by(d.pop("released_by", UNSET))

        def _parse_target_dataset_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        target_dataset_id = _parse_target_dataset_id(d.pop("target_dataset_id", UNSET))

        def _parse_target_version(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        target_version = _parse_target_version(d.pop("target_version", UNSET))

        transfer_view = cls(
            created_at=created_at,
            dataset_id=dataset_id,
            from_zone=from_zone,
            id=id,
            reason=reason,
            requested_by=requested_by,
            state=state,
            to_zone=to_zone,
            updated_at=updated_at,
            verdicts=verdicts,
            version=version,
            error=error,
            released_by=released_by,
            target_dataset_id=target_dataset_id,
            target_version=target_version,
        )

        transfer_view.additional_properties = d
        return transfer_view

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
