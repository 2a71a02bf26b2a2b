from enum import StrEnum


class SchemaChangeType0Change(StrEnum):
    ADDED = "added"

    def __str__(self) -> str:
        return str(self.value)
