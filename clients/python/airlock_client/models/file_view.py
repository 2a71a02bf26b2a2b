from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.evidence import Evidence
    from ..models.member_view import MemberView
    from ..models.output_view import OutputView
    from ..models.review_view import ReviewView
    from ..models.verdict_view import VerdictView


T = TypeVar("T", bound="FileView")


@_attrs_define
class FileView:
    """
    Attributes:
        acquisition_id (str):
        attempts (int):
        channel (str):
        created_at (str):
        datasets (list[OutputView]): …and every published version it became: one per sheet of a
            workbook.
        filename (str):
        id (str):
        members (list[MemberView]): Every member of an archive, at any depth, with every engine's
            verdict on it.
        reviews (list[ReviewView]): The reviews of the file: who decided, what and why.
        sha256 (str):
        size_bytes (int):
        state (str): received, scanning, checking, converting, awaiting_review,
            published, rejected or held.
        updated_at (str):
        verdicts (list[VerdictView]): Every engine's verdict on the file itself.
        dataset_id (None | str | Unset): The dataset version it became (the first, for a workbook of
            several sheets)…
        declared_format (None | str | Unset): The format the supplier declared, if any.
        error (None | str | Unset):
        evidence (Evidence | None | Unset):
        reason (None | str | Unset): Why it was rejected: infected, policy, invalid, contract (it breaks the declared
            schema) or reviewer.
        version (int | None | Unset):
    """

    acquisition_id: str
    attempts: int
    channel: str
    created_at: str
    datasets: list[OutputView]
    filename: str
    id: str
    members: list[MemberView]
    reviews: list[ReviewView]
    sha256: str
    size_bytes: int
    state: str
    updated_at: str
    verdicts: list[VerdictView]
    dataset_id: None | str | Unset = UNSET
    declared_format: None | str | Unset = UNSET
    error: None | str | Unset = UNSET
    evidence: Evidence | None | Unset = UNSET
    reason: None | str | Unset = UNSET
    version: int | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.evidence import Evidence  # noqa: PLC0415

        acquisition_id = self.acquisition_id

        attempts = self.attempts

        channel = self.channel

        created_at = self.created_at

        datasets = []
        for datasets_item_data in self.datasets:
            datasets_item = datasets_item_data.to_dict()
            datasets.append(datasets_item)

        filename = self.filename

        id = self.id

        members = []
        for members_item_data in self.members:
            members_item = members_item_data.to_dict()
            members.append(members_item)

        reviews = []
        for reviews_item_data in self.reviews:
            reviews_item = reviews_item_data.to_dict()
            reviews.append(reviews_item)

        sha256 = self.sha256

        size_bytes = self.size_bytes

        state = self.state

        updated_at = self.updated_at

        verdicts = []
        for verdicts_item_data in self.verdicts:
            verdicts_item = verdicts_item_data.to_dict()
            verdicts.append(verdicts_item)

        dataset_id: None | str | Unset
        if isinstance(self.dataset_id, Unset):
            dataset_id = UNSET
        else:
            dataset_id = self.dataset_id

        declared_format: None | str | Unset
        if isinstance(self.declared_format, Unset):
            declared_format = UNSET
        else:
            declared_format = self.declared_format

        error: None | str | Unset
        if isinstance(self.error, Unset):
            error = UNSET
        else:
            error = self.error

        evidence: dict[str, Any] | None | Unset
        if isinstance(self.evidence, Unset):
            evidence = UNSET
        elif isinstance(self.evidence, Evidence):
            evidence = self.evidence.to_dict()
        else:
            evidence = self.evidence

        reason: None | str | Unset
        if isinstance(self.reason, Unset):
            reason = UNSET
        else:
            reason = self.reason

        version: int | None | Unset
        if isinstance(self.version, Unset):
            version = UNSET
        else:
            version = self.version

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "acquisition_id": acquisition_id,
                "attempts": attempts,
                "channel": channel,
                "created_at": created_at,
                "datasets": datasets,
                "filename": filename,
                "id": id,
                "members": members,
                "reviews": reviews,
                "sha256": sha256,
                "size_bytes": size_bytes,
                "state": state,
                "updated_at": updated_at,
                "verdicts": verdicts,
            }
        )
        if dataset_id is not UNSET:
            field_dict["dataset_id"] = dataset_id
        if declared_format is not UNSET:
            field_dict["declared_format"] = declared_format
        if error is not UNSET:
            field_dict["error"] = error
        if evidence is not UNSET:
            field_dict["evidence"] = evidence
        if reason is not UNSET:
            field_dict["reason"] = reason
        if version is not UNSET:
            field_dict["version"] = version

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.evidence import Evidence  # noqa: PLC0415
        from ..models.member_view import MemberView  # noqa: PLC0415
        from ..models.output_view import OutputView  # noqa: PLC0415
        from ..models.review_view import ReviewView  # noqa: PLC0415
        from ..models.verdict_view import VerdictView  # noqa: PLC0415

        d = dict(src_dict)
        acquisition_id = d.pop("acquisition_id")

        attempts = d.pop("attempts")

        channel = d.pop("channel")

        created_at = d.pop("created_at")

        datasets = []
        _datasets = d.pop("datasets")
        for datasets_item_data in _datasets:
            datasets_item = OutputView.from_dict(datasets_item_data)

            datasets.append(datasets_item)

        filename = d.pop("filename")

        id = d.pop("id")

        members = []
        _members = d.pop("members")
        for members_item_data in _members:
            members_item = MemberView.from_dict(members_item_data)

            members.append(members_item)

        reviews = []
        _reviews = d.pop("reviews")
        for reviews_item_data in _reviews:
            reviews_item = ReviewView.from_dict(reviews_item_data)

            reviews.append(reviews_item)

        sha256 = d.pop("sha256")

        size_bytes = d.pop("size_bytes")

        state = d.pop("state")

        updated_at = d.pop("updated_at")

        verdicts = []
        _verdicts = d.pop("verdicts")
        for verdicts_item_data in _verdicts:
            verdicts_item = VerdictView.from_dict(verdicts_item_data)

            verdicts.append(verdicts_item)

        def _parse_dataset_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        dataset_id = _parse_dataset_id(d.pop("dataset_id", UNSET))

        def _parse_declared_format(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        declared_format = _parse_declared_format(d.pop("declared_format", UNSET))

        def _parse_error(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        error = _parse_error(d.pop("error", UNSET))

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

        def _parse_reason(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        reason = _parse_reason(d.pop("reason", UNSET))

        def _parse_version(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        version = _parse_version(d.pop("version", UNSET))

        file_view = cls(
            acquisition_id=acquisition_id,
            attempts=attempts,
            channel=channel,
            created_at=created_at,
            datasets=datasets,
            filename=filename,
            id=id,
            members=members,
            reviews=reviews,
            sha256=sha256,
            size_bytes=size_bytes,
            state=state,
            updated_at=updated_at,
            verdicts=verdicts,
            dataset_id=dataset_id,
            declared_format=declared_format,
            error=error,
            evidence=evidence,
            reason=reason,
            version=version,
        )

        file_view.additional_properties = d
        return file_view

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
