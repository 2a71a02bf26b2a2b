from enum import StrEnum


class Allowance(StrEnum):
    ENCRYPTED = "encrypted"
    EXECUTABLES = "executables"
    MACROS = "macros"
    SCRIPTS = "scripts"

    def __str__(self) -> str:
        return str(self.value)
