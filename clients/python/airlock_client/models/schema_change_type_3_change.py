from enum import StrEnum


class SchemaChangeType3Change(StrEnum):
    NULLABILITY = "nullability"

    def __str__(self) -> str:
        return str(self.value)
