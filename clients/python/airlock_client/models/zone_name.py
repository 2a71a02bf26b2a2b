from enum import StrEnum


class ZoneName(StrEnum):
    CORPORATE = "corporate"
    SANDBOX = "sandbox"

    def __str__(self) -> str:
        return str(self.value)
