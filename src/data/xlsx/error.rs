//! What can go wrong reading a package: [`OpenFailure`] when opening it (the caller then
//! falls back to calamine, which words the error) and [`XmlError`] in a part's XML (the
//! message shown to the user, inside the error that names the sheet and cell).

use thiserror::Error;

use crate::data::xml_scan::ScanError;

/// Why a package could not be opened by this reader.
#[derive(Debug, Error)]
pub(crate) enum OpenFailure {
    /// The file, or a part of it, cannot be read.
    #[error(transparent)]
    Unreadable(#[from] std::io::Error),
    #[error(transparent)]
    Zip(#[from] zip::result::ZipError),
    #[error("missing part {0}")]
    MissingPart(String),
    #[error("a relationships part that is not one")]
    NotRelationships,
    #[error("a <sheet> without name or id")]
    SheetWithoutNameOrId,
    #[error("the workbook part lists no sheets")]
    NoSheets,
    #[error("a part compressed with {0}, which this reader does not inflate")]
    Compression(String),
    #[error("the styles part is not a stylesheet")]
    NotAStylesheet,
    #[error(transparent)]
    Xml(#[from] XmlError),
}

/// An attribute value of a metadata part that does not decode.
impl From<ScanError> for OpenFailure {
    fn from(error: ScanError) -> Self {
        OpenFailure::Xml(XmlError::Markup(error))
    }
}

/// Why the XML of a part (a worksheet, the shared strings, a metadata part) cannot be read.
#[derive(Debug, Error)]
pub(crate) enum XmlError {
    #[error(transparent)]
    Markup(#[from] ScanError),
    #[error("the XML stops in the middle of an element, as a truncated file does")]
    Truncated,
    #[error("an element longer than {limit_mb} MB")]
    ElementTooLong { limit_mb: usize },
    #[error("the sheet cannot be decompressed: {0}")]
    Inflate(#[source] std::io::Error),
    #[error("the shared strings exceed 4 GiB")]
    SharedStringsTooLarge,
    #[error("a shared-string index '{0}'")]
    SharedStringIndex(String),
    #[error("shared string {index} is referenced but the workbook has only {count}")]
    MissingSharedString { index: u32, count: usize },
    #[error("a cell type '{0}' that Excel does not write")]
    UnknownCellType(String),
    #[error("row {row} comes again after row {after} (rows must be in ascending order, each once)")]
    RowRepeated { row: u32, after: u32 },
    #[error("cell {0} comes twice or out of order in its row")]
    CellRepeated(String),
    #[error("a row number '{0}' out of range")]
    RowOutOfRange(String),
    #[error("a cell reference '{0}' that is not an address")]
    NotAnAddress(String),
}
