from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.audit_view_detail import AuditViewDetail


T = TypeVar("T", bound="AuditView")


@_attrs_define
class AuditView:
    """
    Attributes:
        action (str):
        actor (str): A user id, or `system:<daemon>` for pipeline steps.
        at (str):
        detail (AuditViewDetail): The event's facts; never secrets or data values.
        hash_ (str):
        prev_hash (str):
        seq (int):
        subject (str):
    """

    action: str
    actor: str
    at: str
    detail: AuditViewDetail
    hash_: str
    prev_hash: str
    seq: int
    subject: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        action = self.action

        actor = self.actor

        at = self.at

        detail = self.detail.to_dict()

        hash_ = self.hash_

        prev_hash = self.prev_hash

        seq = self.seq

        subject = self.subject

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "action": action,
                "actor": actor,
                "at": at,
                "detail": detail,
                "hash": hash_,
                "prev_hash": prev_hash,
                "seq": seq,
                "subject": subject,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.audit_view_detail import AuditViewDetail  # noqa: PLC0415

        d = dict(src_dict)
        action = d.pop("action")

        actor = d.pop("actor")

        at = d.pop("at")

        detail = AuditViewDetail.from_dict(d.pop("detail"))

        hash_ = d.pop("hash")

        prev_hash = d.pop("prev_hash")

        seq = d.pop("seq")

        subject = d.pop("subject")

        audit_view = cls(
            action=action,
            actor=actor,
            at=at,
            detail=detail,
            hash_=hash_,
            prev_hash=prev_hash,
            seq=seq,
            subject=subject,
        )

        audit_view.additional_properties = d
        return audit_view

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
