from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.acquisition_view_schema_type_0 import AcquisitionViewSchemaType0


T = TypeVar("T", bound="AcquisitionView")


@_attrs_define
class AcquisitionView:
    """
    Attributes:
        allow (list[str]):
        classification (str):
        created_at (str):
        description (str):
        ethics_ref (str):
        id (str):
        legal_basis (str):
        name (str):
        owner_id (str):
        personal_data (bool):
        purpose (str):
        slug (str):
        state (str): draft, pending_review, approved, rejected or closed. Files are
            accepted only while approved.
        supplier (str):
        target_zone (str):
        retention_days (int | None | Unset):
        rounding_base (int | None | Unset): The multiple counts must be rounded to, where required.
        schema (AcquisitionViewSchemaType0 | None | Unset):
        sheet (None | str | Unset):
    """

    allow: list[str]
    classification: str
    created_at: str
    description: str
    ethics_ref: str
    id: str
    legal_basis: str
    name: str
    owner_id: str
    personal_data: bool
    purpose: str
    slug: str
    state: str
    supplier: str
    target_zone: str
    retention_days: int | None | Unset = UNSET
    rounding_base: int | None | Unset = UNSET
    schema: AcquisitionViewSchemaType0 | None | Unset = UNSET
    sheet: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.acquisition_view_schema_type_0 import AcquisitionViewSchemaType0  # noqa: PLC0415

        allow = self.allow

        classification = self.classification

        created_at = self.created_at

        description = self.description

        ethics_ref = self.ethics_ref

        id = self.id

        legal_basis = self.legal_basis

        name = self.name

        owner_id = self.owner_id

        personal_data = self.personal_data

        purpose = self.purpose

        slug = self.slug

        state = self.state

        supplier = self.supplier

        target_zone = self.target_zone

        retention_days: int | None | Unset
        if isinstance(self.retention_days, Unset):
            retention_days = UNSET
        else:
            retention_days = self.retention_days

        rounding_base: int | None | Unset
        if isinstance(self.rounding_base, Unset):
            rounding_base = UNSET
        else:
            rounding_base = self.rounding_base

        schema: dict[str, Any] | None | Unset
        if isinstance(self.schema, Unset):
            schema = UNSET
        elif isinstance(self.schema, AcquisitionViewSchemaType0):
            schema = self.schema.to_dict()
        else:
            schema = self.schema

        sheet: None | str | Unset
        if isinstance(self.sheet, Unset):
            sheet = UNSET
        else:
            sheet = self.sheet

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "allow": allow,
                "classification": classification,
                "created_at": created_at,
                "description": description,
                "ethics_ref": ethics_ref,
                "id": id,
                "legal_basis": legal_basis,
                "name": name,
                "owner_id": owner_id,
                "personal_data": personal_data,
                "purpose": purpose,
                "slug": slug,
                "state": state,
                "supplier": supplier,
                "target_zone": target_zone,
            }
        )
        if retention_days is not UNSET:
            field_dict["retention_days"] = retention_days
        if rounding_base is not UNSET:
            field_dict["rounding_base"] = rounding_base
        if schema is not UNSET:
            field_dict["schema"] = schema
        if sheet is not UNSET:
            field_dict["sheet"] = sheet

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.acquisition_view_schema_type_0 import AcquisitionViewSchemaType0  # noqa: PLC0415

        d = dict(src_dict)
        allow = cast(list[str], d.pop("allow"))

        classification = d.pop("classification")

        created_at = d.pop("created_at")

        description = d.pop("description")

        ethics_ref = d.pop("ethics_ref")

        id = d.pop("id")

        legal_basis = d.pop("legal_basis")

        name = d.pop("name")

        owner_id = d.pop("owner_id")

        personal_data = d.pop("personal_data")

        purpose = d.pop("purpose")

        slug = d.pop("slug")

        state = d.pop("state")

        supplier = d.pop("supplier")

        target_zone = d.pop("target_zone")

        def _parse_retention_days(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        retention_days = _parse_retention_days(d.pop("retention_days", UNSET))

        def _parse_rounding_base(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        rounding_base = _parse_rounding_base(d.pop("rounding_base", UNSET))

        def _parse_schema(data: object) -> AcquisitionViewSchemaType0 | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                schema_type_0 = AcquisitionViewSchemaType0.from_dict(data)

                return schema_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(AcquisitionViewSchemaType0 | None | Unset, data)

        schema = _parse_schema(d.pop("schema", UNSET))

        def _parse_sheet(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        sheet = _parse_sheet(d.pop("sheet", UNSET))

        acquisition_view = cls(
            allow=allow,
            classification=classification,
            created_at=created_at,
            description=description,
            ethics_ref=ethics_ref,
            id=id,
            legal_basis=legal_basis,
            name=name,
            owner_id=owner_id,
            personal_data=personal_data,
            purpose=purpose,
            slug=slug,
            state=state,
            supplier=supplier,
            target_zone=target_zone,
            retention_days=retention_days,
            rounding_base=rounding_base,
            schema=schema,
            sheet=sheet,
        )

        acquisition_view.additional_properties = d
        return acquisition_view

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
