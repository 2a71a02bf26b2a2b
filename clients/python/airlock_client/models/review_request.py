from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

from ..models.decision_name import DecisionName

T = TypeVar("T", bound="ReviewRequest")


@_attrs_define
class ReviewRequest:
    """A reviewer's decision on an acquisition, a held file or a transfer.

    Attributes:
        decision (DecisionName): approve or reject.
        reason (str):
    """

    decision: DecisionName
    reason: str

    def to_dict(self) -> dict[str, Any]:
        decision = self.decision.value

        reason = self.reason

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "decision": decision,
                "reason": reason,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        decision = DecisionName(d.pop("decision"))

        reason = d.pop("reason")

        review_request = cls(
            decision=decision,
            reason=reason,
        )

        return review_request
