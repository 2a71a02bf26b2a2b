from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.acquisition_view import AcquisitionView
    from ..models.held_file_view import HeldFileView
    from ..models.transfer_view import TransferView


T = TypeVar("T", bound="ReviewQueue")


@_attrs_define
class ReviewQueue:
    """
    Attributes:
        acquisitions (list[AcquisitionView]): Acquisitions waiting for approval, oldest first.
        files (list[HeldFileView]): Files that policy held, oldest first, each with its evidence.
        transfers (list[TransferView]): Transfers waiting for a release (every export), oldest first.
    """

    acquisitions: list[AcquisitionView]
    files: list[HeldFileView]
    transfers: list[TransferView]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        acquisitions = []
        for acquisitions_item_data in self.acquisitions:
            acquisitions_item = acquisitions_item_data.to_dict()
            acquisitions.append(acquisitions_item)

        files = []
        for files_item_data in self.files:
            files_item = files_item_data.to_dict()
            files.append(files_item)

        transfers = []
        for transfers_item_data in self.transfers:
            transfers_item = transfers_item_data.to_dict()
            transfers.append(transfers_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "acquisitions": acquisitions,
                "files": files,
                "transfers": transfers,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.acquisition_view import AcquisitionView  # noqa: PLC0415
        from ..models.held_file_view import HeldFileView  # noqa: PLC0415
        from ..models.transfer_view import TransferView  # noqa: PLC0415

        d = dict(src_dict)
        acquisitions = []
        _acquisitions = d.pop("acquisitions")
        for acquisitions_item_data in _acquisitions:
            acquisitions_item = AcquisitionView.from_dict(acquisitions_item_data)

            acquisitions.append(acquisitions_item)

        files = []
        _files = d.pop("files")
        for files_item_data in _files:
            files_item = HeldFileView.from_dict(files_item_data)

            files.append(files_item)

        transfers = []
        _transfers = d.pop("transfers")
        for transfers_item_data in _transfers:
            transfers_item = TransferView.from_dict(transfers_item_data)

            transfers.append(transfers_item)

        review_queue = cls(
            acquisitions=acquisitions,
            files=files,
            transfers=transfers,
        )

        review_queue.additional_properties = d
        return review_queue

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
