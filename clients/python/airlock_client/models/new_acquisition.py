from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.allowance import Allowance
from ..models.classification import Classification
from ..models.zone_name import ZoneName
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.contract import Contract


T = TypeVar("T", bound="NewAcquisition")


@_attrs_define
class NewAcquisition:
    """An acquisition as its owner registers it.

    Attributes:
        classification (Classification): A security classification, lowest first.
        legal_basis (str):
        name (str):
        personal_data (bool): Whether deliveries are expected to carry personal data. Personal
            data found in a delivery that did not declare it holds the file for
            review.
        purpose (str):
        retention_days (int): How long its datasets are kept after publication, in days.
        supplier (str):
        target_zone (ZoneName): A configured lake zone.
        allow (list[Allowance] | Unset): Content that scanning refuses unless the acquisition explicitly
            allows it.
        description (str | Unset):
        draft (bool | Unset): Keep it a draft (submit it later with `POST …/submit`); otherwise it
            goes straight to review.
        ethics_ref (str | Unset):
        rounding_base (int | None | Unset): Disclosure control: the multiple the deliveries' counts must be
            rounded to (5 rounds to fives). Reviewers see an integer column
            whose values do not all keep it flagged.
        schema (Contract | None | Unset):
        sheet (None | str | Unset):
    """

    classification: Classification
    legal_basis: str
    name: str
    personal_data: bool
    purpose: str
    retention_days: int
    supplier: str
    target_zone: ZoneName
    allow: list[Allowance] | Unset = UNSET
    description: str | Unset = UNSET
    draft: bool | Unset = UNSET
    ethics_ref: str | Unset = UNSET
    rounding_base: int | None | Unset = UNSET
    schema: Contract | None | Unset = UNSET
    sheet: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.contract import Contract  # noqa: PLC0415

        classification = self.classification.value

        legal_basis = self.legal_basis

        name = self.name

        personal_data = self.personal_data

        purpose = self.purpose

        retention_days = self.retention_days

        supplier = self.supplier

        target_zone = self.target_zone.value

        allow: list[str] | Unset = UNSET
        if not isinstance(self.allow, Unset):
            allow = []
            for allow_item_data in self.allow:
                allow_item = allow_item_data.value
                allow.append(allow_item)

        description = self.description

        draft = self.draft

        ethics_ref = self.ethics_ref

        rounding_base: int | None | Unset
        if isinstance(self.rounding_base, Unset):
            rounding_base = UNSET
        else:
            rounding_base = self.rounding_base

        schema: dict[str, Any] | None | Unset
        if isinstance(self.schema, Unset):
            schema = UNSET
        elif isinstance(self.schema, Contract):
            schema = self.schema.to_dict()
        else:
            schema = self.schema

        sheet: None | str | Unset
        if isinstance(self.sheet, Unset):
            sheet = UNSET
        else:
            sheet = self.sheet

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "classification": classification,
                "legal_basis": legal_basis,
                "name": name,
                "personal_data": personal_data,
                "purpose": purpose,
                "retention_days": retention_days,
                "supplier": supplier,
                "target_zone": target_zone,
            }
        )
        if allow is not UNSET:
            field_dict["allow"] = allow
        if description is not UNSET:
            field_dict["description"] = description
        if draft is not UNSET:
            field_dict["draft"] = draft
        if ethics_ref is not UNSET:
            field_dict["ethics_ref"] = ethics_ref
        if rounding_base is not UNSET:
            field_dict["rounding_base"] = rounding_base
        if schema is not UNSET:
            field_dict["schema"] = schema
        if sheet is not UNSET:
            field_dict["sheet"] = sheet

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.contract import Contract  # noqa: PLC0415

        d = dict(src_dict)
        classification = Classification(d.pop("classification"))

        legal_basis = d.pop("legal_basis")

        name = d.pop("name")

        personal_data = d.pop("personal_data")

        purpose = d.pop("purpose")

        retention_days = d.pop("retention_days")

        supplier = d.pop("supplier")

        target_zone = ZoneName(d.pop("target_zone"))

        _allow = d.pop("allow", UNSET)
        allow: list[Allowance] | Unset = UNSET
        if _allow is not UNSET:
            allow = []
            for allow_item_data in _allow:
                allow_item = Allowance(allow_item_data)

                allow.append(allow_item)

        description = d.pop("description", UNSET)

        draft = d.pop("draft", UNSET)

        ethics_ref = d.pop("ethics_ref", UNSET)

        def _parse_rounding_base(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        rounding_base = _parse_rounding_base(d.pop("rounding_base", UNSET))

        def _parse_schema(data: object) -> Contract | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                schema_type_0 = Contract.from_dict(data)

                return schema_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(Contract | None | Unset, data)

        schema = _parse_schema(d.pop("schema", UNSET))

        def _parse_sheet(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        sheet = _parse_sheet(d.pop("sheet", UNSET))

        new_acquisition = cls(
            classification=classification,
            legal_basis=legal_basis,
            name=name,
            personal_data=personal_data,
            purpose=purpose,
            retention_days=retention_days,
            supplier=supplier,
            target_zone=target_zone,
            allow=allow,
            description=description,
            draft=draft,
            ethics_ref=ethics_ref,
            rounding_base=rounding_base,
            schema=schema,
            sheet=sheet,
        )

        return new_acquisition
