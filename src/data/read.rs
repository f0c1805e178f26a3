//! `read_inputs`: resolves the `[inputs]` spec to files and sheets, reads the sheets in
//! parallel (only the columns the rules use), merges split sheets, checks keys, and
//! returns typed tables with the data-quality log and the input files' hashes.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::{Hash, Hasher};
use std::io::{IsTerminal, Read};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use sha2::{Digest, Sha256};

use crate::data::address::cell_address;
use crate::data::budget::{Meter, ReadBudget};
use crate::data::builder::{PlannedColumn, ReadPlan, SheetBuilder, SheetPart};
use crate::data::coerce::{CoerceContext, reintern};
use crate::data::csv_read::{CsvSource, read_csv};
use crate::data::error::DataError;
use crate::data::quality::{HIDDEN_SHEET_ACTION, QualityEntry, QualityLog, TableCounts};
use crate::data::spec::{DeclaredType, InputsSpec, TableSpec};
use crate::data::workbook::{
    Book, FileKind, READER_STOPPED, SheetListing, csv_delimiter, csv_sheet_name, resolve,
};
use crate::suggest::Suggestion;
use crate::table::column::{CellRef, ColumnBuilder, ColumnValues};
use crate::table::intern::FxHasher;
use crate::table::{Column, Table};
use crate::value::ValueType;
use crate::value::{Value, format_general};

/// Tables read from the inputs, what was noticed on the way, and which files were read.
#[derive(Debug, Clone, Default)]
pub struct InputData {
    /// One table per input table read, in the spec's (alphabetical) order.
    pub tables: Vec<Table>,
    pub quality: QualityLog,
    /// Every file read, for the Provenance sheet.
    pub files: Vec<InputFile>,
}

impl InputData {
    /// Table by name.
    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.iter().find(|t| &*t.name == name)
    }
}

/// One input file's identity.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct InputFile {
    pub path: PathBuf,
    /// Lower-case hex SHA-256 of the file's bytes.
    pub sha256: String,
    pub bytes: u64,
}

/// One sheet to read for one table.
struct Job {
    table: usize,
    path: PathBuf,
    kind: FileKind,
    sheet: String,
}

/// Reads the tables of `spec`; relative paths are resolved against `base_dir` (the
/// scenario file's directory).
///
/// `wanted` lists, per table, the columns the rules use: only those (plus the key) are
/// read, undeclared ones as `any`, and tables it does not mention are not read at all.
/// Without `wanted`, every declared column is read (every header, as `any`, when a
/// table declares no columns).
///
/// What reading may store is limited by the budget `CHANMIX_MAX_READ_MB` sets (see
/// `data::budget`); [`read_inputs_within`] takes the budget from its caller.
pub fn read_inputs(
    spec: &InputsSpec,
    base_dir: &Path,
    wanted: Option<&BTreeMap<String, BTreeSet<String>>>,
) -> Result<InputData, DataError> {
    read_inputs_within(spec, base_dir, wanted, ReadBudget::from_env()?)
}

/// [`read_inputs`] within `budget`.
pub fn read_inputs_within(
    spec: &InputsSpec,
    base_dir: &Path,
    wanted: Option<&BTreeMap<String, BTreeSet<String>>>,
    budget: ReadBudget,
) -> Result<InputData, DataError> {
    spec.validate()?;
    let budget = Arc::new(budget);
    let mut plans: Vec<ReadPlan> = Vec::new();
    let mut jobs: Vec<Job> = Vec::new();
    let mut skipped: Vec<QualityEntry> = Vec::new();
    let pool = BookPool {
        books: Mutex::default(),
        budget: Arc::clone(&budget),
    };
    for (name, table_spec) in &spec.tables {
        let table_wanted = match wanted {
            Some(map) => match map.get(name) {
                Some(columns) => Some(columns),
                None => continue,
            },
            None => None,
        };
        let plan = plan_table(name, table_spec, table_wanted)?;
        let file = table_spec
            .file
            .as_ref()
            .or(spec.workbook.as_ref())
            .ok_or_else(|| DataError::NoFileGiven {
                table: name.clone(),
            })?;
        let path = resolve(base_dir, file);
        match std::fs::metadata(&path) {
            Ok(meta) if meta.is_file() => {}
            // A FIFO would block the read for ever and a device never end.
            Ok(meta) => {
                return Err(DataError::FileUnreadable {
                    source: std::io::Error::new(
                        std::io::ErrorKind::InvalidInput,
                        format!("it is {}, not a regular file", crate::files::kind_of(&meta)),
                    ),
                    path,
                });
            }
            Err(_) => {
                return Err(DataError::FileNotFound {
                    table: name.clone(),
                    path,
                });
            }
        }
        let kind = FileKind::from_path(&path).ok_or_else(|| DataError::UnknownExtension {
            table: name.clone(),
            path: path.clone(),
            extension: path
                .extension()
                .map(|e| format!(".{}", e.to_string_lossy()))
                .unwrap_or_else(|| "(none)".to_string()),
        })?;
        let sheets = if kind == FileKind::Csv {
            csv_sheets(name, table_spec, &path)?
        } else {
            let book = pool.take_or_open(&path, kind)?;
            let listed = book.sheets();
            pool.put(&path, book);
            let (sheets, hidden) = select_sheets(name, table_spec, &path, &listed)?;
            skipped.extend(hidden.into_iter().map(|sheet| QualityEntry {
                table: name.clone(),
                file: path.clone(),
                cell: sheet,
                column: String::new(),
                raw: String::new(),
                expected: String::new(),
                action: HIDDEN_SHEET_ACTION.to_string(),
            }));
            sheets
        };
        let table = plans.len();
        plans.push(plan);
        jobs.extend(sheets.into_iter().map(|sheet| Job {
            table,
            path: path.clone(),
            kind,
            sheet,
        }));
    }

    let progress = progress_bar();
    let distinct_files: BTreeSet<PathBuf> = jobs.iter().map(|j| j.path.clone()).collect();
    let (parts, files) = rayon::join(
        || {
            // One sheet per task, so an idle core always takes the next sheet (a table
            // split over Leads, Leads_2 … must not queue behind one thread).
            jobs.par_iter()
                .with_max_len(1)
                .map(|job| read_sheet(job, &plans, &pool, &budget, &progress))
                .collect::<Vec<_>>()
        },
        || {
            distinct_files
                .par_iter()
                .map(|path| hash_file(path))
                .collect::<Vec<_>>()
        },
    );
    progress.finish_and_clear();

    // Merge the sheets of each table, in job order (the spec's sheet order).
    let mut by_table: Vec<Vec<SheetPart>> = plans.iter().map(|_| Vec::new()).collect();
    for (job, part) in jobs.iter().zip(parts) {
        if let Some(list) = by_table.get_mut(job.table) {
            list.push(part?);
        }
    }
    let mut data = InputData::default();
    for (plan, parts) in plans.iter().zip(by_table) {
        let (table, entries, counts) = merge_parts(plan, parts)?;
        data.tables.push(table);
        data.quality
            .entries
            .extend(skipped.iter().filter(|e| e.table == plan.name).cloned());
        data.quality.entries.extend(entries);
        data.quality.counts.push(counts);
    }
    data.files = files.into_iter().collect::<Result<_, _>>()?;
    Ok(data)
}

/// Which columns to read, with which types, in which order (key first, then by name).
fn plan_table(
    name: &str,
    spec: &TableSpec,
    wanted: Option<&BTreeSet<String>>,
) -> Result<ReadPlan, DataError> {
    let decls = spec.declared_types(name)?;
    let mut names: BTreeSet<&str> = match wanted {
        Some(columns) => columns.iter().map(String::as_str).collect(),
        None => decls.keys().map(String::as_str).collect(),
    };
    let all_headers = wanted.is_none() && decls.is_empty();
    if let Some(key) = &spec.key {
        names.remove(key.as_str());
    }
    let any = DeclaredType {
        ty: ValueType::Any,
        optional: true,
    };
    let trim = spec.trim_keys.unwrap_or(true);
    let column = |n: &str| PlannedColumn {
        name: n.to_string(),
        decl: decls.get(n).copied().unwrap_or(any),
        trim: trim && spec.trimmed.contains(n),
        date_format: spec.date_format_of(n).map(str::to_string),
    };
    let mut columns: Vec<PlannedColumn> = Vec::new();
    if let Some(key) = &spec.key
        && !all_headers
    {
        columns.push(column(key));
    }
    columns.extend(names.into_iter().map(column));
    Ok(ReadPlan {
        name: name.to_string(),
        columns,
        all_headers,
        key: spec.key.clone(),
        rename: spec.rename.clone(),
        policy: spec.on_bad_cell,
        header_row: spec.header_row.unwrap_or(1).saturating_sub(1),
    })
}

fn csv_sheets(table: &str, spec: &TableSpec, path: &Path) -> Result<Vec<String>, DataError> {
    let option = [
        spec.sheet.as_ref().map(|_| "sheet"),
        spec.sheets.as_ref().map(|_| "sheets"),
        spec.sheet_pattern.as_ref().map(|_| "sheet_pattern"),
    ]
    .into_iter()
    .flatten()
    .next();
    match option {
        Some(option) => Err(DataError::SheetOptionOnCsv {
            table: table.to_string(),
            path: path.to_path_buf(),
            option: option.to_string(),
        }),
        None => Ok(vec![csv_sheet_name(path)]),
    }
}

/// The sheets a table reads, by exact name (case-insensitive as in Excel), list or
/// pattern; and the hidden sheets a pattern matched but leaves out (a hidden backup
/// or scratch sheet must not be summed in). Named sheets are read even when hidden.
fn select_sheets(
    table: &str,
    spec: &TableSpec,
    path: &Path,
    listed: &[SheetListing],
) -> Result<(Vec<String>, Vec<String>), DataError> {
    let available: Vec<String> = listed.iter().map(|s| s.name.clone()).collect();
    if let Some(pattern) = &spec.sheet_pattern {
        let (mut hidden, mut matched): (Vec<String>, Vec<String>) = (Vec::new(), Vec::new());
        for sheet in listed.iter().filter(|s| wildcard_match(pattern, &s.name)) {
            match sheet.hidden {
                true => hidden.push(sheet.name.clone()),
                false => matched.push(sheet.name.clone()),
            }
        }
        if matched.is_empty() {
            return Err(DataError::NoSheetMatches {
                table: table.to_string(),
                path: path.to_path_buf(),
                pattern: pattern.clone(),
                available: listed
                    .iter()
                    .map(|s| match s.hidden {
                        true => format!("{} (hidden)", s.name),
                        false => s.name.clone(),
                    })
                    .collect(),
            });
        }
        matched.sort_by_key(|s| natural_key(s));
        hidden.sort_by_key(|s| natural_key(s));
        return Ok((matched, hidden));
    }
    let available = available.as_slice();
    let wanted: Vec<String> = match (&spec.sheets, &spec.sheet) {
        (Some(list), _) => list.clone(),
        (None, Some(sheet)) => vec![sheet.clone()],
        (None, None) => vec![table.to_string()],
    };
    wanted
        .iter()
        .map(|name| {
            available
                .iter()
                .find(|s| *s == name)
                .or_else(|| {
                    available
                        .iter()
                        .find(|s| s.to_lowercase() == name.to_lowercase())
                })
                .cloned()
                .ok_or_else(|| DataError::SheetNotFound {
                    table: table.to_string(),
                    path: path.to_path_buf(),
                    sheet: name.clone(),
                    suggested: Suggestion::closest(name, available.iter().map(String::as_str)),
                    available: available.to_vec(),
                })
        })
        .collect::<Result<_, _>>()
        .map(|sheets| (sheets, Vec::new()))
}

/// `*` matches any run of characters, `?` one character; case-insensitive like sheet names.
pub fn wildcard_match(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.to_lowercase().chars().collect();
    let n: Vec<char> = name.to_lowercase().chars().collect();
    // Iterative matcher with backtracking to the last `*`.
    let (mut pi, mut ni) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ni));
                pi += 1;
            }
            Some(&c) if c == '?' || Some(&c) == n.get(ni) => {
                pi += 1;
                ni += 1;
            }
            _ => match star {
                Some((sp, sn)) => {
                    pi = sp + 1;
                    ni = sn + 1;
                    star = Some((sp, sn + 1));
                }
                None => return false,
            },
        }
    }
    p.get(pi..)
        .is_some_and(|rest| rest.iter().all(|c| *c == '*'))
}

/// Sort key comparing digit runs as numbers: `Leads` < `Leads_2` < `Leads_10`.
fn natural_key(name: &str) -> Vec<(u8, u128, String)> {
    let mut key = Vec::new();
    let mut chars = name.chars().peekable();
    while let Some(&c) = chars.peek() {
        let digits = c.is_ascii_digit();
        let mut run = String::new();
        while let Some(&d) = chars.peek() {
            if d.is_ascii_digit() != digits {
                break;
            }
            run.push(d);
            chars.next();
        }
        if digits {
            key.push((0, run.parse().unwrap_or(u128::MAX), String::new()));
        } else {
            key.push((1, 0, run.to_lowercase()));
        }
    }
    key
}

/// Opened workbooks to reuse between jobs (opening an .xlsx parses all its shared strings).
struct BookPool {
    books: Mutex<HashMap<PathBuf, Vec<Book>>>,
    /// The read's budget: opening a book counts what it scans.
    budget: Arc<ReadBudget>,
}

impl BookPool {
    fn take_or_open(&self, path: &Path, kind: FileKind) -> Result<Book, DataError> {
        let cached = self.books.lock().ok().and_then(|mut books| {
            let pooled = books.get_mut(path)?;
            match pooled.last().and_then(Book::share) {
                Some(shared) => Some(shared),
                None => pooled.pop(),
            }
        });
        match cached {
            Some(book) => Ok(book),
            None => Book::open(path, kind, &self.budget),
        }
    }

    fn put(&self, path: &Path, book: Book) {
        if let Ok(mut books) = self.books.lock() {
            books.entry(path.to_path_buf()).or_default().push(book);
        }
    }
}

fn progress_bar() -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner();
    if let Ok(style) =
        ProgressStyle::with_template("{spinner} reading inputs: {human_pos} rows ({elapsed})")
    {
        bar.set_style(style);
    }
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    bar
}

/// Reads one sheet. Panics inside the reader library are caught where it is called
/// (`data::reader_panic`); any other panic on the way still becomes an error naming the sheet.
fn read_sheet(
    job: &Job,
    plans: &[ReadPlan],
    pool: &BookPool,
    budget: &Arc<ReadBudget>,
    progress: &ProgressBar,
) -> Result<SheetPart, DataError> {
    let Some(plan) = plans.get(job.table) else {
        return Err(DataError::NoFileGiven {
            table: String::new(),
        });
    };
    let reported = AtomicUsize::new(0);
    let tick = |rows: usize| {
        let before = reported.fetch_max(rows, Ordering::Relaxed);
        progress.inc(rows.saturating_sub(before) as u64);
    };
    let outcome = catch_unwind(AssertUnwindSafe(|| -> Result<SheetPart, DataError> {
        if job.kind == FileKind::Csv {
            let delimiter = csv_delimiter(&job.path)?;
            let source = CsvSource {
                path: &job.path,
                sheet: &job.sheet,
                plan,
                ctx: CoerceContext {
                    date_offset: 0.0,
                    text_only_source: true,
                    decimal_comma: delimiter == b';',
                    errors_as_text: true,
                },
                delimiter,
                budget,
            };
            return read_csv(&source, &tick);
        }
        let mut book = pool.take_or_open(&job.path, job.kind)?;
        let mut builder =
            SheetBuilder::new(plan, job.path.clone(), job.sheet.clone(), book.context())
                .with_meter(Meter::new(Arc::clone(budget)));
        let streamed = book.stream_sheet(&job.path, &job.sheet, &mut builder, &tick);
        pool.put(&job.path, book);
        streamed?;
        builder.finish()
    }));
    let part = outcome.unwrap_or_else(|_| {
        Err(DataError::CorruptSheet {
            path: job.path.clone(),
            sheet: job.sheet.clone(),
            detail: READER_STOPPED.to_string(),
        })
    })?;
    tick(part.counts.rows_kept);
    Ok(part)
}

/// A key value as a hashable identity, borrowed from its column (blanks and errors
/// have none: they are not keys).
#[derive(Debug, PartialEq, Eq, Hash)]
enum KeyValue<'a> {
    Text(&'a str),
    Number(u64),
    Bool(bool),
}

fn key_value(cell: CellRef<'_>) -> Option<KeyValue<'_>> {
    match cell {
        CellRef::Text(t) => Some(KeyValue::Text(t)),
        CellRef::Float(_, n) => Some(KeyValue::Number(n.to_bits())),
        CellRef::Value(value) => match value {
            Value::Text(t) => Some(KeyValue::Text(t.as_str())),
            Value::Number(n) | Value::Date(n) => Some(KeyValue::Number(n.to_bits())),
            Value::Bool(b) => Some(KeyValue::Bool(*b)),
            Value::Blank | Value::Error(_) => None,
        },
    }
}

fn key_hash(key: &KeyValue<'_>) -> u64 {
    let mut hasher = FxHasher::default();
    key.hash(&mut hasher);
    hasher.finish()
}

/// Concatenates a table's sheets, shares their strings, checks the key, sums the counts.
pub(crate) fn merge_parts(
    plan: &ReadPlan,
    parts: Vec<SheetPart>,
) -> Result<(Table, Vec<QualityEntry>, TableCounts), DataError> {
    let mut parts = parts.into_iter();
    let Some(mut first) = parts.next() else {
        return Ok((
            Table::new(&plan.name, 0),
            Vec::new(),
            TableCounts::default(),
        ));
    };
    let names = first.column_names.clone();
    let decls = first.column_decls.clone();
    let mut interners = std::mem::take(&mut first.interners);
    // One sheet: its columns as stored. Several: appended, with strings shared.
    let mut first_columns = std::mem::take(&mut first.columns);
    let mut columns: Vec<ColumnBuilder> = Vec::new();
    let mut entries = std::mem::take(&mut first.entries);
    let mut counts = first.counts.clone();
    let mut not_listed = first.not_listed.clone();
    let mut listed = first.listed.clone();
    // Where each kept row came from: (part, sheet row), only for keyed tables.
    // Where each kept row came from (only for keyed tables): its sheet row, and the
    // first row of each part (4 bytes a row, for naming a duplicate key's cells).
    let mut origins: Vec<u32> = std::mem::take(&mut first.rows);
    let mut part_starts: Vec<usize> = vec![0];
    let mut sheets: Vec<(PathBuf, String, Vec<u32>)> = vec![(
        first.path.clone(),
        first.sheet.clone(),
        first.sheet_columns.clone(),
    )];
    for mut part in parts {
        if columns.is_empty() {
            columns = std::mem::take(&mut first_columns)
                .into_iter()
                .map(|c| {
                    let mut builder = ColumnBuilder::with_capacity(c.len());
                    c.into_values().into_iter().for_each(|v| builder.push(v));
                    builder
                })
                .collect();
        }
        // Same column order as the first sheet (they differ only when reading all headers).
        let mut order = Vec::with_capacity(names.len());
        for name in &names {
            match part.column_names.iter().position(|n| n == name) {
                Some(i) => order.push(i),
                None => {
                    return Err(DataError::MissingColumn {
                        table: plan.name.clone(),
                        path: part.path.clone(),
                        sheet: part.sheet.clone(),
                        column: name.clone(),
                        header_row: plan.header_row + 1,
                        suggested: Suggestion::closest(
                            name,
                            part.column_names.iter().map(String::as_str),
                        ),
                        headers: part.column_names.clone(),
                    });
                }
            }
        }
        for ((target, source), interner) in columns.iter_mut().zip(&order).zip(interners.iter_mut())
        {
            if let Some(part_column) = part.columns.get_mut(*source) {
                let values = std::mem::take(part_column).into_values();
                // Share strings across sheets unless the column is mostly distinct values.
                let share = !interner.gave_up();
                for mut value in values {
                    if share {
                        reintern(&mut value, interner);
                    }
                    target.push(value);
                }
            }
        }
        for (i, source) in order.iter().enumerate() {
            if let (Some(n), Some(extra)) = (not_listed.get_mut(i), part.not_listed.get(*source)) {
                *n += extra;
            }
            if let (Some(n), Some(extra)) = (listed.get_mut(i), part.listed.get(*source)) {
                *n += extra;
            }
        }
        entries.append(&mut part.entries);
        part_starts.push(origins.len());
        origins.extend_from_slice(&part.rows);
        let sheet_columns = order
            .iter()
            .map(|i| part.sheet_columns.get(*i).copied().unwrap_or(0))
            .collect();
        sheets.push((part.path.clone(), part.sheet.clone(), sheet_columns));
        let c = &part.counts;
        counts.rows_read += c.rows_read;
        counts.rows_kept += c.rows_kept;
        counts.rows_rejected += c.rows_rejected;
        counts.blank_rows_skipped += c.blank_rows_skipped;
        counts.cells_reported += c.cells_reported;
        counts.cells_repaired += c.cells_repaired;
    }
    counts.table = plan.name.clone();
    counts.cells_not_listed = not_listed.iter().sum();
    for ((name, n), decl) in names.iter().zip(&not_listed).zip(&decls) {
        if *n > 0 {
            entries.push(QualityEntry {
                table: plan.name.clone(),
                file: first.path.clone(),
                cell: "…".to_string(),
                column: name.clone(),
                raw: String::new(),
                expected: crate::data::coerce::expected_text(decl.ty).to_string(),
                action: format!("{n} more cells in this column not listed (see counts)"),
            });
        }
    }
    let row_count = counts.rows_kept;
    let columns: Vec<ColumnValues> = if columns.is_empty() {
        first_columns
    } else {
        columns.into_iter().map(ColumnBuilder::finish).collect()
    };
    if let Some(key) = &plan.key
        && let Some(key_index) = names.iter().position(|n| n == key)
        && let Some(values) = columns.get(key_index)
    {
        let origins = RowOrigins {
            rows: &origins,
            part_starts: &part_starts,
        };
        check_unique_key(plan, key, key_index, values, &origins, &sheets)?;
    }
    let mut table = Table::new(&plan.name, row_count);
    for ((name, decl), values) in names.iter().zip(&decls).zip(columns) {
        table.columns.push(Column::stored(name, decl.ty, values));
    }
    Ok((table, entries, counts))
}

/// Where each row of a merged table came from.
struct RowOrigins<'a> {
    /// Sheet row of each kept row.
    rows: &'a [u32],
    /// First row of each sheet part, ascending from 0.
    part_starts: &'a [usize],
}

impl RowOrigins<'_> {
    /// The part and sheet row of table row `row`.
    fn of(&self, row: usize) -> Option<(usize, u32)> {
        let part = self
            .part_starts
            .partition_point(|start| *start <= row)
            .checked_sub(1)?;
        Some((part, *self.rows.get(row)?))
    }
}

/// Fails on the first key value seen twice. Rows are indexed by a hash table of row
/// numbers (4 bytes each) whose keys are read from the column where they are stored,
/// so a million text IDs are checked without a copy of them.
fn check_unique_key(
    plan: &ReadPlan,
    key: &str,
    key_index: usize,
    column: &ColumnValues,
    origins: &RowOrigins<'_>,
    sheets: &[(PathBuf, String, Vec<u32>)],
) -> Result<(), DataError> {
    let address = |row: usize| -> String {
        origins
            .of(row)
            .and_then(|(part, sheet_row)| {
                let (_, sheet, cols) = sheets.get(part)?;
                Some(cell_address(
                    sheet,
                    sheet_row,
                    cols.get(key_index).copied().unwrap_or(0),
                ))
            })
            .unwrap_or_else(|| format!("row {}", row + 1))
    };
    let key_at = |row: u32| column.cell(row as usize).and_then(key_value);
    let mut seen: hashbrown::HashTable<u32> = hashbrown::HashTable::with_capacity(column.len());
    for row in 0..column.len() {
        let Ok(row) = u32::try_from(row) else { break };
        let Some(k) = key_at(row) else { continue };
        let hash = key_hash(&k);
        if let Some(first) = seen.find(hash, |other| key_at(*other).as_ref() == Some(&k)) {
            let first = *first as usize;
            let row = row as usize;
            let shown = match column.get(row).unwrap_or_default() {
                Value::Number(n) | Value::Date(n) => format_general(n),
                other => other.to_text().map(|t| t.to_string()).unwrap_or_default(),
            };
            let path = origins
                .of(row)
                .and_then(|(part, _)| sheets.get(part))
                .map(|(p, _, _)| p.clone())
                .unwrap_or_default();
            return Err(DataError::DuplicateKey {
                table: plan.name.clone(),
                path,
                column: key.to_string(),
                value: shown,
                first: address(first),
                second: address(row),
            });
        }
        seen.insert_unique(hash, row, |other| {
            key_at(*other).as_ref().map_or(0, key_hash)
        });
    }
    Ok(())
}

/// SHA-256 and size of a file, streamed.
fn hash_file(path: &Path) -> Result<InputFile, DataError> {
    let unreadable = |source| DataError::FileUnreadable {
        path: path.to_path_buf(),
        source,
    };
    let mut file = crate::files::open_regular(path).map_err(unreadable)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut bytes = 0u64;
    loop {
        let n = file.read(&mut buf).map_err(unreadable)?;
        if n == 0 {
            break;
        }
        hasher.update(buf.get(..n).unwrap_or_default());
        bytes += n as u64;
    }
    let sha256 = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(InputFile {
        path: path.to_path_buf(),
        sha256,
        bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_sheet_names() {
        assert!(wildcard_match("Leads*", "Leads"));
        assert!(wildcard_match("Leads*", "leads_2"));
        assert!(wildcard_match("Lead?_?", "Leads_2"));
        assert!(!wildcard_match("Leads*", "Old Leads"));
        assert!(wildcard_match("*Leads*", "Old Leads 2"));
        assert!(!wildcard_match("Leads", "Leads_2"));
    }

    #[test]
    fn a_duplicate_id_is_found_in_a_text_buffer_column_and_named_by_cell() {
        // 6,000 distinct IDs (stored as one text buffer), then "L-10" again in the
        // second sheet part; the key is sheet column C (index 2).
        let mut ids: Vec<Value> = (0..6_000).map(|i| Value::text(&format!("L-{i}"))).collect();
        ids.push(Value::Blank);
        ids.push(Value::text("L-10"));
        let column = ColumnValues::compact(ids);
        assert_eq!(column.shape_name(), "texts");
        // Part 1 holds rows 0..4000 (sheet rows 1..), part 2 the rest (sheet rows 1..).
        let rows: Vec<u32> = (0..4_000)
            .map(|r| r + 1)
            .chain((0..2_002).map(|r| r + 1))
            .collect();
        let origins = RowOrigins {
            rows: &rows,
            part_starts: &[0, 4_000],
        };
        let sheets = vec![
            (PathBuf::from("a.xlsx"), "Leads".to_string(), vec![0, 0, 2]),
            (
                PathBuf::from("b.xlsx"),
                "Leads 2".to_string(),
                vec![0, 0, 2],
            ),
        ];
        let plan = ReadPlan {
            name: "Leads".to_string(),
            columns: Vec::new(),
            all_headers: false,
            key: Some("lead_id".to_string()),
            rename: BTreeMap::new(),
            policy: crate::data::spec::BadCellPolicy::Report,
            header_row: 0,
        };
        let Err(DataError::DuplicateKey {
            value,
            first,
            second,
            path,
            ..
        }) = check_unique_key(&plan, "lead_id", 2, &column, &origins, &sheets)
        else {
            panic!("the duplicate was not found");
        };
        assert_eq!(value, "L-10");
        // Row 10 is sheet row 11 of part 1 (C12 in Excel's 1-based rows); row 6,001 is
        // the 2,002nd row of part 2 (sheet row 2,002, C2003).
        assert_eq!(first, "Leads!C12");
        assert_eq!(second, "'Leads 2'!C2003");
        assert_eq!(path, PathBuf::from("b.xlsx"));
        // Without the repeat, no error.
        let unique =
            ColumnValues::compact((0..6_000).map(|i| Value::text(&format!("L-{i}"))).collect());
        assert!(check_unique_key(&plan, "lead_id", 2, &unique, &origins, &sheets).is_ok());
    }

    #[test]
    fn natural_order_counts_numbers() {
        let mut sheets = vec!["Leads_10", "Leads_2", "Leads", "Leads_1"];
        sheets.sort_by_key(|s| natural_key(s));
        assert_eq!(sheets, ["Leads", "Leads_1", "Leads_2", "Leads_10"]);
    }
}
