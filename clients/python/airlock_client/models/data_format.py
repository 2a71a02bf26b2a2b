from enum import StrEnum


class DataFormat(StrEnum):
    ARROW = "arrow"
    CSV = "csv"
    PARQUET = "parquet"

    def __str__(self) -> str:
        return str(self.value)
