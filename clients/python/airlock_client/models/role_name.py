from enum import StrEnum


class RoleName(StrEnum):
    ADMIN = "admin"
    ANALYST = "analyst"
    ENGINEER = "engineer"
    REVIEWER = "reviewer"

    def __str__(self) -> str:
        return str(self.value)
