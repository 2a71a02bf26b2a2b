from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="Tags")


@_attrs_define
class Tags:
    """A dataset's tags, replaced whole.

    Attributes:
        tags (list[str]): Each 1 to 64 of a-z, 0-9, '-', '_' and '.', starting with a letter
            or digit; at most 32.
    """

    tags: list[str]

    def to_dict(self) -> dict[str, Any]:
        tags = self.tags

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "tags": tags,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        tags = cast(list[str], d.pop("tags"))

        tags = cls(
            tags=tags,
        )

        return tags
