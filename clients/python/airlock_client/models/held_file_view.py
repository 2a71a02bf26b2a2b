from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.acquisition_view import AcquisitionView
    from ..models.evidence import Evidence
    from ..models.user_ref import UserRef
    from ..models.verdict_view import VerdictView


T = TypeVar("T", bound="HeldFileView")


@_attrs_define
class HeldFileView:
    """
    Attributes:
        acquisition (AcquisitionView):
        channel (str):
        filename (str):
        held_at (str):
        id (str):
        sha256 (str):
        size_bytes (int):
        submitted_by (UserRef):
        verdicts (list[VerdictView]): Every engine's verdict on the file and its members.
        evidence (Evidence | None | Unset):
    """

    acquisition: AcquisitionView
    channel: str
    filename: str
    held_at: str
    id: str
    sha256: str
    size_bytes: int
    submitted_by: UserRef
    verdicts: list[VerdictView]
    evidence: Evidence | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.evidence import Evidence  # noqa: PLC0415

        acquisition = self.acquisition.to_dict()

        channel = self.channel

        filename = self.filename

        held_at = self.held_at

        id = self.id

        sha256 = self.sha256

        size_bytes = self.size_bytes

        submitted_by = self.submitted_by.to_dict()

        verdicts = []
        for verdicts_item_data in self.verdicts:
            verdicts_item = verdicts_item_data.to_dict()
            verdicts.append(verdicts_item)

        evidence: dict[str, Any] | None | Unset
        if isinstance(self.evidence, Unset):
            evidence = UNSET
        elif isinstance(self.evidence, Evidence):
            evidence = self.evidence.to_dict()
        else:
            evidence = self.evidence

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "acquisition": acquisition,
                "channel": channel,
                "filename": filename,
                "held_at": held_at,
                "id": id,
                "sha256": sha256,
                "size_bytes": size_bytes,
                "submitted_by": submitted_by,
                "verdicts": verdicts,
            }
        )
        if evidence is not UNSET:
            field_dict["evidence"] = evidence

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.acquisition_view import AcquisitionView  # noqa: PLC0415
        from ..models.evidence import Evidence  # noqa: PLC0415
        from ..models.user_ref import UserRef  # noqa: PLC0415
        from ..models.verdict_view import VerdictView  # noqa: PLC0415

        d = dict(src_dict)
        acquisition = AcquisitionView.from_dict(d.pop("acquisition"))

        channel = d.pop("channel")

        filename = d.pop("filename")

        held_at = d.pop("held_at")

        id = d.pop("id")

        sha256 = d.pop("sha256")

        size_bytes = d.pop("size_bytes")

        submitted_by = UserRef.from_dict(d.pop("submitted_by"))

        verdicts = []
        _verdicts = d.pop("verdicts")
        for verdicts_item_data in _verdicts:
            verdicts_item = VerdictView.from_dict(verdicts_item_data)

            verdicts.append(verdicts_item)

        def _parse_evidence(data: object) -> Evidence | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                evidence_type_0 = Evidence.from_dict(data)

                return evidence_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(Evidence | None | Unset, data)

        evidence = _parse_evidence(d.pop("evidence", UNSET))

        held_file_view = cls(
            acquisition=acquisition,
            channel=channel,
            filename=filename,
            held_at=held_at,
            id=id,
            sha256=sha256,
            size_bytes=size_bytes,
            submitted_by=submitted_by,
            verdicts=verdicts,
            evidence=evidence,
        )

        held_file_view.additional_properties = d
        return held_file_view

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
