from enum import StrEnum


class FileFormat(StrEnum):
    AVRO = "avro"
    CSV = "csv"
    GZ = "gz"
    JSON = "json"
    NDJSON = "ndjson"
    PARQUET = "parquet"
    PDF = "pdf"
    TAR = "tar"
    TSV = "tsv"
    TXT = "txt"
    XLSX = "xlsx"
    ZIP = "zip"

    def __str__(self) -> str:
        return str(self.value)
