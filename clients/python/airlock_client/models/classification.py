from enum import StrEnum


class Classification(StrEnum):
    OFFICIAL = "OFFICIAL"
    OFFICIAL_SENSITIVE = "OFFICIAL-SENSITIVE"
    PUBLIC = "PUBLIC"
    SECRET = "SECRET"
    TOP_SECRET = "TOP-SECRET"

    def __str__(self) -> str:
        return str(self.value)
