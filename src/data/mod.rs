//! Data in: columnar tables and the readers that fill them from CRM exports
//! (.xlsx/.xlsm and .ods by our own streaming readers, .xlsb/.xls via calamine, .csv in
//! parallel chunks parsed by the csv crate), with a data-quality log.

// DataError carries file, sheet and column names so its message can stand alone; it is
// built once per failed run, so its size does not matter.
#![allow(clippy::result_large_err)]

pub mod address;
pub mod budget;
pub(crate) mod builder;
pub mod cache;
pub mod coerce;
pub(crate) mod csv_read;
pub mod dates;
pub mod error;
mod key_check;
pub(crate) mod ods;
mod ole;
pub mod profile;
pub mod quality;
pub mod read;
mod reader_panic;
pub mod sample;
mod sheet_rows;
pub mod spec;
pub(crate) mod workbook;
pub(crate) mod xlsx;
pub(crate) mod xml_scan;

pub use budget::ReadBudget;
pub use cache::{CacheError, CacheSummary, CacheUse, InputCache};
pub use error::DataError;
pub use quality::{QualityEntry, QualityLog, TableCounts};
pub use read::{InputData, InputFile, read_inputs, read_inputs_within};
pub use spec::{BadCellPolicy, InputsSpec, TableSpec};
