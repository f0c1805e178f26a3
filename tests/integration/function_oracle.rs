//! The LibreOffice oracle for the function library: builds a workbook of every case in
//! tests/oracle/cases.txt, lets LibreOffice recalculate it, and checks our engine against it.
//!
//! * `libreoffice_agrees_with_expected_file` writes the workbook (lists on one sheet, each
//!   case as a live formula on another), lets LibreOffice recalculate it
//!   (`support::soffice`), reads LibreOffice's values with calamine and compares them to
//!   tests/oracle/expected.tsv (`UPDATE_ORACLE=1` rewrites that file instead).
//! * `engine_matches_libreoffice` evaluates every case with chanmix and compares it to
//!   expected.tsv (relative tolerance 1e-9 for numbers; exact for text, booleans, errors).
//!   Cases where LibreOffice deviates from Excel carry an `excel:` note in cases.txt;
//!   there the engine must give Excel's value (see tests/oracle/README.md).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use calamine::{Data, Reader};
use chanmix::functions::CallContext;
use chanmix::table::{Column, Table};
use chanmix::value::ValueType;
use chanmix::value::{ErrorKind, Value};

use crate::support;

const ORACLE_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/oracle");

// ---------------------------------------------------------------------------
// Fixtures: lists and cases

/// One list column of lists.tsv.
#[derive(Debug, Clone)]
struct ListColumn {
    table: String,
    column: String,
    values: Vec<Value>,
}

fn parse_cell(cell: &str) -> Value {
    let cell = cell.trim();
    if cell == "_" || cell.is_empty() {
        return Value::Blank;
    }
    if let Some(text) = cell.strip_prefix('"').and_then(|c| c.strip_suffix('"')) {
        return Value::text(text);
    }
    if cell == "TRUE" || cell == "FALSE" {
        return Value::Bool(cell == "TRUE");
    }
    if let Some(kind) = ErrorKind::parse(cell) {
        return Value::error(kind);
    }
    if let Some(date) = cell.strip_prefix('d') {
        let d = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").expect("date cell");
        return Value::Date(chanmix::value::datetime::serial_from_date(d));
    }
    Value::Number(cell.parse().unwrap_or_else(|_| panic!("bad cell {cell:?}")))
}

fn load_lists() -> Vec<ListColumn> {
    let text = std::fs::read_to_string(format!("{ORACLE_DIR}/lists.tsv")).expect("lists.tsv");
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|line| {
            let mut cells = line.split('\t');
            let name = cells.next().expect("name");
            let (table, column) = name.split_once('.').expect("Table.column");
            ListColumn {
                table: table.to_string(),
                column: column.to_string(),
                values: cells.map(parse_cell).collect(),
            }
        })
        .collect()
}

/// The lists as chanmix tables (one table per distinct table name).
fn tables(lists: &[ListColumn]) -> Vec<Table> {
    let mut out: Vec<Table> = Vec::new();
    for l in lists {
        let pos = match out.iter().position(|t| *t.name == *l.table) {
            Some(p) => p,
            None => {
                out.push(Table::new(&l.table, l.values.len()));
                out.len() - 1
            }
        };
        out[pos].set_column(Column::new(&l.column, ValueType::Any, l.values.clone()));
    }
    out
}

#[derive(Debug, Clone)]
struct Case {
    formula: String,
    /// Excel's value where LibreOffice deviates from it.
    excel: Option<String>,
}

fn load_cases() -> Vec<Case> {
    let text = std::fs::read_to_string(format!("{ORACLE_DIR}/cases.txt")).expect("cases.txt");
    let cases: Vec<Case> = text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|line| match line.split_once('\t') {
            Some((formula, note)) => Case {
                formula: formula.trim().to_string(),
                excel: Some(
                    note.trim()
                        .strip_prefix("excel:")
                        .expect("note must be `excel: VALUE`")
                        .trim()
                        .to_string(),
                ),
            },
            None => Case {
                formula: line.trim().to_string(),
                excel: None,
            },
        })
        .collect();
    let mut seen = std::collections::HashSet::new();
    for c in &cases {
        assert!(
            seen.insert(c.formula.clone()),
            "duplicate case {}",
            c.formula
        );
    }
    cases
}

// ---------------------------------------------------------------------------
// Expected values

/// A spreadsheet result as the oracle records it.
#[derive(Debug, Clone, PartialEq)]
enum Expected {
    Number(f64),
    Text(String),
    Bool(bool),
    Error(String),
    Blank,
}

impl Expected {
    fn kind(&self) -> &'static str {
        match self {
            Expected::Number(_) => "number",
            Expected::Text(_) => "text",
            Expected::Bool(_) => "bool",
            Expected::Error(_) => "error",
            Expected::Blank => "blank",
        }
    }

    fn payload(&self) -> String {
        match self {
            Expected::Number(n) => format!("{n:?}"),
            Expected::Text(t) => escape(t),
            Expected::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
            Expected::Error(e) => e.clone(),
            Expected::Blank => String::new(),
        }
    }

    fn parse(kind: &str, payload: &str) -> Expected {
        match kind {
            "number" => Expected::Number(payload.parse().expect("number")),
            "text" => Expected::Text(unescape(payload)),
            "bool" => Expected::Bool(payload == "TRUE"),
            "error" => Expected::Error(payload.to_string()),
            _ => Expected::Blank,
        }
    }

    /// Parses an `excel:` note: a number, "text", TRUE/FALSE or an error.
    fn from_note(note: &str) -> Expected {
        if let Some(t) = note.strip_prefix('"').and_then(|n| n.strip_suffix('"')) {
            Expected::Text(t.to_string())
        } else if note == "TRUE" || note == "FALSE" {
            Expected::Bool(note == "TRUE")
        } else if note.starts_with('#') {
            Expected::Error(note.to_string())
        } else {
            Expected::Number(note.parse().expect("numeric excel note"))
        }
    }

    fn from_value(v: &Value) -> Expected {
        match v {
            Value::Number(n) | Value::Date(n) => Expected::Number(*n),
            Value::Text(t) => Expected::Text(t.to_string()),
            Value::Bool(b) => Expected::Bool(*b),
            Value::Error(e) => Expected::Error(e.kind.as_str().to_string()),
            Value::Blank => Expected::Blank,
        }
    }

    fn from_cell(cell: &Data) -> Expected {
        match cell {
            Data::Int(i) => Expected::Number(*i as f64),
            Data::Float(f) => Expected::Number(*f),
            Data::String(s) => Expected::Text(s.clone()),
            Data::Bool(b) => Expected::Bool(*b),
            Data::DateTime(d) => Expected::Number(d.as_f64()),
            Data::DateTimeIso(s) | Data::DurationIso(s) => Expected::Text(s.clone()),
            Data::Error(e) => Expected::Error(e.to_string()),
            Data::Empty => Expected::Blank,
        }
    }

    /// Whether our value `ours` agrees with this (LibreOffice or Excel) value. A blank
    /// result reads as 0 or "" in a cell, as in the spreadsheet.
    fn agrees(&self, ours: &Expected) -> bool {
        match (self, ours) {
            (Expected::Number(a), Expected::Number(b)) => {
                a == b || (a - b).abs() <= 1e-9 * a.abs().max(b.abs())
            }
            (Expected::Number(a), Expected::Blank) => *a == 0.0,
            (Expected::Text(a), Expected::Blank) => a.is_empty(),
            (a, b) => a == b,
        }
    }
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('\t', "\\t")
        .replace('\n', "\\n")
}

fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('t') => out.push('\t'),
                Some('n') => out.push('\n'),
                Some(other) => out.push(other),
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn expected_path() -> PathBuf {
    PathBuf::from(format!("{ORACLE_DIR}/expected.tsv"))
}

/// expected.tsv: `id<TAB>formula<TAB>type<TAB>value`, keyed by formula.
fn load_expected() -> HashMap<String, Expected> {
    let text = std::fs::read_to_string(expected_path())
        .expect("tests/oracle/expected.tsv missing: run with UPDATE_ORACLE=1 and LibreOffice");
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|line| {
            let parts: Vec<&str> = line.splitn(4, '\t').collect();
            assert_eq!(parts.len(), 4, "bad expected line {line:?}");
            (unescape(parts[1]), Expected::parse(parts[2], parts[3]))
        })
        .collect()
}

fn write_expected(cases: &[Case], values: &[Expected]) {
    let mut out = String::from(
        "# LibreOffice's values for tests/oracle/cases.txt (UPDATE_ORACLE=1 cargo test --test integration function_oracle::).\n\
         # id\tformula\ttype\tvalue\n",
    );
    for (i, (case, value)) in cases.iter().zip(values).enumerate() {
        let _ = writeln!(
            out,
            "{}\t{}\t{}\t{}",
            i + 1,
            escape(&case.formula),
            value.kind(),
            value.payload()
        );
    }
    std::fs::write(expected_path(), out).expect("write expected.tsv");
}

// ---------------------------------------------------------------------------
// The workbook LibreOffice recalculates

fn column_letters(mut index: usize) -> String {
    let mut s = String::new();
    index += 1;
    while index > 0 {
        let rem = (index - 1) % 26;
        s.insert(0, (b'A' + rem as u8) as char);
        index = (index - 1) / 26;
    }
    s
}

/// Replaces each `Table.column` (outside string literals) with `replace(table, column)`.
fn map_references(formula: &str, replace: &dyn Fn(&str, &str) -> Option<String>) -> String {
    let chars: Vec<char> = formula.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '"' {
            out.push(c);
            i += 1;
            while i < chars.len() {
                out.push(chars[i]);
                i += 1;
                if chars[i - 1] == '"' {
                    if chars.get(i) == Some(&'"') {
                        out.push('"');
                        i += 1;
                    } else {
                        break;
                    }
                }
            }
            continue;
        }
        if c.is_ascii_alphabetic()
            && (i == 0 || !(chars[i - 1].is_ascii_alphanumeric() || chars[i - 1] == '_'))
        {
            let start = i;
            while i < chars.len()
                && (chars[i].is_ascii_alphanumeric() || chars[i] == '_' || chars[i] == '.')
            {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let replaced = word.split_once('.').and_then(|(t, col)| replace(t, col));
            out.push_str(&replaced.unwrap_or(word));
            continue;
        }
        out.push(c);
        i += 1;
    }
    out
}

fn excel_formula(formula: &str, lists: &[ListColumn]) -> String {
    let formula = let_parameters(formula);
    let mapped = map_references(&formula, &|table, column| {
        let index = lists
            .iter()
            .position(|l| l.table == table && l.column == column)?;
        let rows = lists[index].values.len();
        let letters = column_letters(index);
        Some(format!("Lists!${letters}$2:${letters}${}", rows + 1))
    });
    map_tables(&mapped, lists)
}

/// A bare table name (`VLOOKUP(x, K, 2, FALSE)`) as the range of all its columns,
/// which lists.tsv keeps side by side (`Lists!$R$2:$T$5`), outside strings.
fn map_tables(formula: &str, lists: &[ListColumn]) -> String {
    let chars: Vec<char> = formula.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    let mut in_text = false;
    while i < chars.len() {
        let c = chars[i];
        if c == '"' {
            in_text = !in_text;
        }
        let starts_word = !in_text
            && c.is_ascii_alphabetic()
            && (i == 0
                || !(chars[i - 1].is_ascii_alphanumeric()
                    || matches!(chars[i - 1], '_' | '.' | '$' | '!' | '#')));
        if !starts_word {
            out.push(c);
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
            i += 1;
        }
        let word: String = chars[start..i].iter().collect();
        let followed = chars.get(i).copied();
        let columns: Vec<usize> = lists
            .iter()
            .enumerate()
            .filter(|(_, l)| l.table == word)
            .map(|(index, _)| index)
            .collect();
        match (columns.first(), columns.last(), followed) {
            (Some(first), Some(last), next) if !matches!(next, Some('(' | '.' | '!')) => {
                let rows = lists[*first].values.len();
                assert_eq!(
                    last - first + 1,
                    columns.len(),
                    "{word}'s columns are not side by side"
                );
                out.push_str(&format!(
                    "Lists!${}$2:${}${}",
                    column_letters(*first),
                    column_letters(*last),
                    rows + 1
                ));
            }
            _ => out.push_str(&word),
        }
    }
    out
}

/// LET's names carry the `_xlpm.` prefix in a file (as LAMBDA's parameters do):
/// `LET(x, 2, x * 3)` is stored as `LET(_xlpm.x, 2, _xlpm.x * 3)`.
fn let_parameters(formula: &str) -> String {
    let Some(at) = formula.find("LET(") else {
        return formula.to_string();
    };
    // The names: every other argument before the last, at the LET's own depth.
    let inner = &formula[at + 4..];
    let mut depth = 0;
    let mut in_text = false;
    let mut args = vec![String::new()];
    for c in inner.chars() {
        match c {
            '"' => in_text = !in_text,
            '(' | '{' if !in_text => depth += 1,
            ')' | '}' if !in_text && depth == 0 => break,
            ')' | '}' if !in_text => depth -= 1,
            ',' if !in_text && depth == 0 => {
                args.push(String::new());
                continue;
            }
            _ => {}
        }
        if let Some(last) = args.last_mut() {
            last.push(c);
        }
    }
    let names: Vec<String> = args[..args.len() - 1]
        .iter()
        .step_by(2)
        .map(|a| a.trim().to_string())
        .collect();
    // Replace each name as a whole word outside strings.
    let chars: Vec<char> = formula.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    let mut in_text = false;
    while i < chars.len() {
        let c = chars[i];
        if c == '"' {
            in_text = !in_text;
        }
        if !in_text
            && (c.is_ascii_alphabetic() || c == '_')
            && (i == 0
                || !(chars[i - 1].is_ascii_alphanumeric() || matches!(chars[i - 1], '_' | '.')))
        {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let call_or_column = matches!(chars.get(i), Some('(' | '.'));
            if names.contains(&word) && !call_or_column {
                out.push_str("_xlpm.");
            }
            out.push_str(&word);
            continue;
        }
        out.push(c);
        i += 1;
    }
    out
}

fn build_workbook(path: &Path, lists: &[ListColumn], cases: &[Case]) {
    use rust_xlsxwriter::{Format, Formula, Workbook};
    let mut workbook = Workbook::new();
    let date_format = Format::new().set_num_format("yyyy-mm-dd");
    let sheet = workbook.add_worksheet();
    sheet.set_name("Lists").expect("name");
    for (col, list) in lists.iter().enumerate() {
        let col = col as u16;
        sheet
            .write_string(0, col, format!("{}.{}", list.table, list.column))
            .expect("header");
        for (row, v) in list.values.iter().enumerate() {
            let row = row as u32 + 1;
            match v {
                Value::Number(n) => {
                    sheet.write_number(row, col, *n).expect("number");
                }
                Value::Date(n) => {
                    sheet
                        .write_number_with_format(row, col, *n, &date_format)
                        .expect("date");
                }
                Value::Text(t) => {
                    sheet.write_string(row, col, t.to_string()).expect("text");
                }
                Value::Bool(b) => {
                    sheet.write_boolean(row, col, *b).expect("bool");
                }
                Value::Error(e) => {
                    // An error cell: a formula that yields it.
                    let f = match e.kind {
                        ErrorKind::Div0 => "1/0",
                        ErrorKind::NA => "NA()",
                        ErrorKind::Value => "\"a\"+1",
                        ErrorKind::Num => "SQRT(-1)",
                        _ => "NA()",
                    };
                    sheet.write_formula(row, col, f).expect("error");
                }
                Value::Blank => {}
            }
        }
    }
    let sheet = workbook.add_worksheet();
    sheet.set_name("Cases").expect("name");
    sheet.write_string(0, 0, "formula").expect("header");
    sheet.write_string(0, 1, "LibreOffice").expect("header");
    for (i, case) in cases.iter().enumerate() {
        let row = i as u32 + 1;
        sheet
            .write_string(row, 0, case.formula.clone())
            .expect("text");
        let formula = Formula::new(excel_formula(&case.formula, lists));
        sheet.write_formula(row, 1, formula).expect("formula");
    }
    workbook.save(path).expect("save workbook");
}

fn libreoffice_values(lists: &[ListColumn], cases: &[Case]) -> Vec<Expected> {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("oracle.xlsx");
    build_workbook(&input, lists, cases);
    let recalculated = support::soffice::recalculate(&input, &dir.path().join("out"))
        .unwrap_or_else(|e| panic!("{e}"));
    let mut workbook = calamine::open_workbook_auto(recalculated).expect("open result");
    let range = workbook.worksheet_range("Cases").expect("Cases sheet");
    (0..cases.len())
        .map(|i| {
            range
                .get_value((i as u32 + 1, 1))
                .map_or(Expected::Blank, Expected::from_cell)
        })
        .collect()
}

#[test]
fn libreoffice_agrees_with_expected_file() {
    if support::soffice::skip_reason().is_some() {
        return;
    }
    let lists = load_lists();
    let cases = load_cases();
    let values = libreoffice_values(&lists, &cases);
    if std::env::var_os("UPDATE_ORACLE").is_some() {
        write_expected(&cases, &values);
        return;
    }
    let expected = load_expected();
    let mut problems = Vec::new();
    for (case, lo) in cases.iter().zip(&values) {
        match expected.get(&case.formula) {
            Some(want) if want.agrees(lo) => {}
            Some(want) => problems.push(format!(
                "{}: expected.tsv {want:?}, LibreOffice now {lo:?}",
                case.formula
            )),
            None => problems.push(format!(
                "{}: missing from expected.tsv (UPDATE_ORACLE=1)",
                case.formula
            )),
        }
    }
    assert!(
        problems.is_empty(),
        "{} differences:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn engine_matches_libreoffice() {
    let lists = load_lists();
    let tables = tables(&lists);
    let cases = load_cases();
    assert!(
        cases.len() >= 300,
        "the oracle should keep at least 300 cases"
    );
    let expected = load_expected();
    let ctx = CallContext {
        as_of: Some(46_000.0),
    };
    let mut problems = Vec::new();
    for case in &cases {
        let Some(lo) = expected.get(&case.formula) else {
            problems.push(format!(
                "{}: missing from expected.tsv (UPDATE_ORACLE=1)",
                case.formula
            ));
            continue;
        };
        let want = case
            .excel
            .as_deref()
            .map_or_else(|| lo.clone(), Expected::from_note);
        match chanmix::eval::evaluate_formula(&case.formula, &tables, &ctx) {
            Ok(v) => {
                let ours = Expected::from_value(&v);
                if !want.agrees(&ours) {
                    problems.push(format!("{}  want {want:?}  got {ours:?}", case.formula));
                }
            }
            Err(e) => problems.push(format!("{}: engine error {e}", case.formula)),
        }
    }
    assert!(
        problems.is_empty(),
        "{} of {} cases differ:\n{}",
        problems.len(),
        cases.len(),
        problems.join("\n")
    );
}

#[test]
fn tables_and_let_names_are_written_as_excel_stores_them() {
    let lists = load_lists();
    // K's three columns sit side by side in lists.tsv: K.key is the 18th list (R).
    assert_eq!(
        excel_formula("VLOOKUP(\"K\", K, 2, FALSE)", &lists),
        "VLOOKUP(\"K\", Lists!$R$2:$T$5, 2, FALSE)"
    );
    assert_eq!(
        excel_formula("LET(x, 2, y, x + 1, x * y)", &lists),
        "LET(_xlpm.x, 2, _xlpm.y, _xlpm.x + 1, _xlpm.x * _xlpm.y)"
    );
}

#[test]
fn references_map_to_absolute_ranges_outside_strings() {
    let lists = load_lists();
    let f = excel_formula("SUM(L1.v) & \"L1.v\" & STDEV.S(N.v)", &lists);
    assert_eq!(
        f,
        "SUM(Lists!$A$2:$A$7) & \"L1.v\" & STDEV.S(Lists!$E$2:$E$11)"
    );
}
