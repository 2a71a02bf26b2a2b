from enum import StrEnum


class SchemaChangeType1Change(StrEnum):
    REMOVED = "removed"

    def __str__(self) -> str:
        return str(self.value)
