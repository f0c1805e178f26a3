//! `read_inputs`: resolves the `[inputs]` spec to files and sheets, reads the sheets in
//! parallel (only the columns the rules use), merges split sheets, checks keys, and
//! returns typed tables with the data-quality log and the input files' hashes.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{IsTerminal, Read};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use sha2::{Digest, Sha256};

use crate::data::budget::{Meter, ReadBudget};
use crate::data::builder::{PlannedColumn, ReadPlan, SheetBuilder, SheetPart};
use crate::data::coerce::{CoerceContext, reintern};
use crate::data::csv_read::{CsvSource, read_csv};
use crate::data::error::DataError;
use crate::data::key_check::{RowOrigins, check_unique_key};
use crate::data::quality::{
    FILLED_ACTION, HIDDEN_SHEET_ACTION, QualityEntry, QualityLog, ROW_NUMBERS_ACTION, TableCounts,
};
use crate::data::spec::{DeclaredType, InputsSpec, TableSpec};
use crate::data::workbook::{
    Book, FileKind, READER_STOPPED, SheetListing, csv_delimiter, csv_sheet_name, resolve,
};
use crate::suggest::Suggestion;
use crate::table::column::{ColumnBuilder, ColumnValues};
use crate::table::{Column, Table};
use crate::value::{Value, ValueType};

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
    // Per plan: the filled columns the rules read (name, the text every row gets).
    let mut fills: Vec<Vec<(String, String)>> = Vec::new();
    // Per plan: the row-numbered columns the rules read.
    let mut numbered: Vec<Vec<String>> = Vec::new();
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
        fills.push(
            table_spec
                .fill
                .iter()
                .filter(|(column, _)| table_wanted.is_none_or(|w| w.contains(*column)))
                .map(|(column, text)| (column.clone(), text.clone()))
                .collect(),
        );
        numbered.push(
            table_spec
                .row_numbers
                .iter()
                .filter(|column| table_wanted.is_none_or(|w| w.contains(*column)))
                .cloned()
                .collect(),
        );
        jobs.extend(sheets.into_iter().map(|sheet| Job {
            table,
            path: path.clone(),
            kind,
            sheet,
        }));
    }

    let progress = progress_bar();
    let distinct_files: BTreeSet<PathBuf> = jobs.iter().map(|j| j.path.clone()).collect();
    // A CSV file's reader reads every byte of it and hashes it on the way.
    let csv_files: BTreeSet<&PathBuf> = jobs
        .iter()
        .filter(|j| j.kind == FileKind::Csv)
        .map(|j| &j.path)
        .collect();
    let (parts, hashed) = rayon::join(
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
                .filter(|path| !csv_files.contains(path))
                .map(|path| hash_file(path).map(|file| (path.clone(), file)))
                .collect::<Result<BTreeMap<_, _>, _>>()
        },
    );
    progress.finish_and_clear();

    // Merge the sheets of each table, in job order (the spec's sheet order).
    let mut by_table: Vec<Vec<SheetPart>> = plans.iter().map(|_| Vec::new()).collect();
    let mut digests: BTreeMap<PathBuf, InputFile> = BTreeMap::new();
    for (job, part) in jobs.iter().zip(parts) {
        let mut part = part?;
        if let Some((sha256, bytes)) = part.file_digest.take() {
            digests.entry(job.path.clone()).or_insert(InputFile {
                path: job.path.clone(),
                sha256,
                bytes,
            });
        }
        if let Some(list) = by_table.get_mut(job.table) {
            list.push(part);
        }
    }
    let mut data = InputData::default();
    for (((plan, parts), filled), numbered) in plans.iter().zip(by_table).zip(&fills).zip(&numbered)
    {
        let (mut table, entries, counts) = merge_parts(plan, parts)?;
        for column in numbered {
            let values = (1..=table.row_count)
                .map(|n| Value::text(n.to_string().as_str()))
                .collect();
            table.set_column(Column::new(column, ValueType::Text, values));
            let entry = made_column_entry(&plan.name, column, "", ROW_NUMBERS_ACTION);
            data.quality.entries.push(entry);
        }
        for (column, text) in filled {
            let values = vec![Value::text(text.as_str()); table.row_count];
            table.set_column(Column::new(column, ValueType::Text, values));
            let entry = made_column_entry(&plan.name, column, text, FILLED_ACTION);
            data.quality.entries.push(entry);
        }
        data.tables.push(table);
        data.quality
            .entries
            .extend(skipped.iter().filter(|e| e.table == plan.name).cloned());
        data.quality.entries.extend(entries);
        data.quality.counts.push(counts);
    }
    let mut hashed = hashed?;
    hashed.append(&mut digests);
    data.files = distinct_files
        .iter()
        .map(|path| match hashed.remove(path) {
            Some(file) => Ok(file),
            None => hash_file(path),
        })
        .collect::<Result<_, _>>()?;
    Ok(data)
}

/// The data-quality entry of a column the scenario makes instead of the export
/// (`fill`, `row_numbers`): no file or cell, the text it gives, what was done.
fn made_column_entry(table: &str, column: &str, raw: &str, action: &str) -> QualityEntry {
    QualityEntry {
        table: table.to_string(),
        file: PathBuf::new(),
        cell: String::new(),
        column: column.to_string(),
        raw: raw.to_string(),
        expected: String::new(),
        action: action.to_string(),
    }
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
    // Filled columns come from the scenario, not the file.
    for filled in spec.fill.keys().chain(&spec.row_numbers) {
        names.remove(filled.as_str());
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
    // A row-numbered key is made after reading: its values differ by construction.
    let key = spec.key.clone().filter(|k| !spec.row_numbers.contains(k));
    if let Some(key) = &key
        && !all_headers
    {
        columns.push(column(key));
    }
    columns.extend(names.into_iter().map(column));
    Ok(ReadPlan {
        name: name.to_string(),
        columns,
        all_headers,
        key,
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
    // first row of each part (for naming a duplicate key's cells).
    let mut origins = std::mem::take(&mut first.rows);
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
        origins.extend_from(&part.rows);
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
    fn natural_order_counts_numbers() {
        let mut sheets = vec!["Leads_10", "Leads_2", "Leads", "Leads_1"];
        sheets.sort_by_key(|s| natural_key(s));
        assert_eq!(sheets, ["Leads", "Leads_1", "Leads_2", "Leads_10"]);
    }
}
