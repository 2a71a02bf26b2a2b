//! The converter's one error type. It says whose fault a failure is, and
//! nothing about HTTP: the daemon maps it (`ConvertError::public`).
//!
//! The key decision is the split between [`ConvertError::Invalid`], the
//! delivered data cannot be read as what it claims to be (the file is
//! rejected, and the message, which names lines, records and columns but
//! never a value, is what its supplier reads), and every other variant, a
//! failure of this machine or its lake that is worth retrying.

/// Why a conversion failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConvertError {
    /// The delivered data cannot be read as what it claims to be.
    #[error("{0}")]
    Invalid(String),
    /// Reading the quarantined file failed.
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
    /// Writing to the lake failed.
    #[error("lake: {0}")]
    Lake(#[from] object_store::Error),
    /// Encoding Parquet failed.
    #[error("writing Parquet: {0}")]
    Parquet(#[from] parquet::errors::ParquetError),
}

/// Arrow's errors are about the input, except a genuine failure to read the
/// quarantined file, which is worth retrying.
pub(crate) fn invalid(e: arrow::error::ArrowError) -> ConvertError {
    use arrow::error::ArrowError;
    let msg = match e {
        ArrowError::IoError(_, io) if io.kind() != std::io::ErrorKind::InvalidData => {
            return ConvertError::Io(io);
        }
        ArrowError::IoError(_, io) => io.to_string(),
        ArrowError::CsvError(m) | ArrowError::ParseError(m) | ArrowError::JsonError(m) => m,
        other => other.to_string(),
    };
    ConvertError::Invalid(msg)
}
