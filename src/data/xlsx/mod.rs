//! Fast .xlsx/.xlsm reading: opens the package once (sheet list, date system, which
//! cell styles are dates, shared strings) and streams a worksheet's XML straight out of
//! the zip, decoding only the cells of columns the rules use.
//!
//! Why our own reader: at Excel's row limit reading is nearly all of a run's time, and
//! a general XML parser spends most of it on cells nobody asked for. Anything this
//! reader does not understand when opening a package (an unusual layout, an encrypted
//! or damaged file) makes [`crate::data::workbook::Book`] fall back to calamine, which
//! also words the error.
//!
//! [`package`] opens the zip and reads the metadata parts, [`styles`] tells which cell
//! styles are dates, [`shared_strings`] reads the string table, [`stream`] feeds a
//! part's XML to a scanner in windows ([`prefetch`] inflating it on a second thread for
//! big sheets), [`scan`] reads a worksheet's cells, and [`error`] says what can go wrong.

mod error;
mod package;
mod prefetch;
mod scan;
mod shared_strings;
mod stream;
mod styles;

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use crate::data::budget::Counted;
use crate::data::builder::SheetBuilder;
use crate::data::error::DataError;

pub(crate) use error::XmlError;
pub(crate) use stream::{Step, stream_elements, unfinished};

use package::open_zip;
use prefetch::{PREFETCH_FROM, PrefetchReader};
use scan::{SheetFailure, SheetScan};
use shared_strings::SharedStrings;
use styles::NumberKind;

/// One sheet listed in the workbook.
#[derive(Debug, Clone)]
struct SheetEntry {
    name: String,
    /// Zip entry of its XML; `None` for chart sheets and other non-worksheets.
    part: Option<String>,
    /// `state="hidden"` or `"veryHidden"`.
    hidden: bool,
}

/// An opened .xlsx/.xlsm package, ready to stream any of its worksheets.
#[derive(Debug)]
pub(crate) struct XlsxPackage {
    sheets: Vec<SheetEntry>,
    date_1904: bool,
    styles: Vec<NumberKind>,
    shared: SharedStrings,
    /// Lower-cased entry name -> entry name as stored (OPC part names are case-insensitive).
    entries: HashMap<String, String>,
}

impl XlsxPackage {
    /// Sheets in workbook order, with whether each is hidden.
    pub fn sheets(&self) -> Vec<crate::data::address::SheetListing> {
        self.sheets
            .iter()
            .map(|s| crate::data::address::SheetListing {
                name: s.name.clone(),
                hidden: s.hidden,
            })
            .collect()
    }

    /// Whether dates count from 1904 (old Mac workbooks).
    pub fn is_1904(&self) -> bool {
        self.date_1904
    }

    /// Streams every cell of `sheet` into `builder`, in row order.
    pub fn stream_sheet(
        &self,
        path: &Path,
        sheet: &str,
        builder: &mut SheetBuilder<'_>,
        progress: &dyn Fn(usize),
    ) -> Result<(), DataError> {
        self.stream_sheet_prefetching_from(path, sheet, builder, progress, PREFETCH_FROM)
    }

    /// [`Self::stream_sheet`], inflating on a second thread when the sheet's compressed
    /// XML has at least `prefetch_from` bytes.
    pub(crate) fn stream_sheet_prefetching_from(
        &self,
        path: &Path,
        sheet: &str,
        builder: &mut SheetBuilder<'_>,
        progress: &dyn Fn(usize),
        prefetch_from: u64,
    ) -> Result<(), DataError> {
        let corrupt = |detail: String| DataError::corrupt_sheet(path, sheet, detail);
        let entry = self
            .sheets
            .iter()
            .find(|s| s.name == sheet)
            .ok_or_else(|| corrupt("the sheet is not in the workbook".to_string()))?;
        let part = entry.part.as_deref().ok_or_else(|| {
            corrupt("it is a chart or dialog sheet, not a worksheet with cells".to_string())
        })?;
        let name = self
            .entry_name(part)
            .ok_or_else(|| corrupt(format!("the package has no part {part}")))?;
        let mut zip = open_zip(path).map_err(|e| corrupt(e.to_string()))?;
        let reader = zip.by_name(&name).map_err(|e| corrupt(e.to_string()))?;
        let prefetch = reader.compressed_size() >= prefetch_from;
        let budget = Arc::clone(builder.meter().budget());
        let mut scan = SheetScan::new(self, builder, progress, reader.size());
        let outcome = if prefetch {
            drop(reader);
            std::thread::scope(|threads| {
                let reader = Counted::new(PrefetchReader::start(threads, path, &name), budget);
                stream_elements(reader, |buf, eof| scan.scan(buf, eof))
            })
        } else {
            stream_elements(Counted::new(reader, budget), |buf, eof| scan.scan(buf, eof))
        };
        match outcome {
            Ok(()) => Ok(()),
            Err(SheetFailure::Data(e)) => Err(e),
            Err(SheetFailure::Xml(detail)) => {
                Err(corrupt(format!("{detail}, near {}", scan.address(sheet))))
            }
            Err(SheetFailure::SharedBudget(exceeded)) => Err(exceeded.error(
                path,
                "shared strings (xl/sharedStrings.xml)",
                &format!("the strings that sheet '{sheet}' uses"),
            )),
        }
    }
}
