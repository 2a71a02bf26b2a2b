from enum import StrEnum


class SchemaChangeType2Change(StrEnum):
    RETYPED = "retyped"

    def __str__(self) -> str:
        return str(self.value)
