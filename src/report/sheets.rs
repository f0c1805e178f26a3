//! The list sheets of a run workbook: one formatted sheet per grouped table (live
//! formulas where possible), Metrics, Recommendations, Assumptions, Data Quality, Provenance.

use rust_xlsxwriter::{
    Color, ConditionalFormat2ColorScale, ConditionalFormat3ColorScale, ConditionalFormatCustomIcon,
    ConditionalFormatDataBar, ConditionalFormatIconSet, ConditionalFormatIconType,
    ConditionalFormatType, Format, FormatAlign, Note, Worksheet, XlsxError,
};

use crate::data::quality::QualityLog;
use crate::eval::engine::FlagHit;
use crate::lang::ast::Severity;
use crate::lang::ast::{Better, FormatKind, Look};
use crate::lang::plan::{ColumnOrigin, TableId, TableKind};
use crate::report::cells::{
    Styles, Widths, column_display, display_text, format_code, number_format,
    write_formula_or_value, write_value,
};
use crate::report::describe::describe;
use crate::report::formula::translate;
use crate::report::issues::DataIssues;
use crate::report::layout::{
    ASSUMPTIONS, DATA_QUALITY, FIRST_ENTRY_ROW, Layout, METRICS, PROVENANCE, table_data,
};
use crate::report::long_text::{CellText, MAX_CELL_CHARS, shortened_so_far, thousands};
use crate::report::text::{plural, tool_name};
use crate::report::{Provenance, ReportError, RunReport};
use crate::value::Value;
use crate::value::ValueType;

/// Rows sampled for column widths (content past this rarely changes the fit).
const WIDTH_SAMPLE_ROWS: usize = 2_000;

/// A sheet titled with its name, a note below the title, printed landscape.
pub(super) fn titled(name: &str, note: &str, styles: &Styles) -> Result<Worksheet, XlsxError> {
    let mut sheet = Worksheet::new();
    sheet.set_name(name)?;
    sheet.write_text_with_format(0, 0, name, &styles.title)?;
    sheet.write_text_with_format(1, 0, note, &styles.subtitle)?;
    sheet.set_row_height(0, 26)?;
    sheet.set_landscape().set_print_fit_to_pages(1, 0);
    Ok(sheet)
}

pub(super) fn headers(
    sheet: &mut Worksheet,
    row: u32,
    names: &[&str],
    styles: &Styles,
    widths: &mut Widths,
) -> Result<(), XlsxError> {
    for (i, name) in names.iter().enumerate() {
        let column = u16::try_from(i).unwrap_or(u16::MAX);
        sheet.write_text_with_format(row, column, name, &styles.header)?;
        widths.see(column, name);
    }
    Ok(())
}

/// A titled list sheet whose header row sits just above [`FIRST_ENTRY_ROW`]; its column
/// widths are fitted between `min` and `max` characters.
pub(super) fn list_sheet(
    name: &str,
    note: &str,
    columns: &[&str],
    (min, max): (usize, usize),
    styles: &Styles,
) -> Result<(Worksheet, Widths), XlsxError> {
    let mut sheet = titled(name, note, styles)?;
    let mut widths = Widths::new(min, max);
    headers(
        &mut sheet,
        FIRST_ENTRY_ROW - 1,
        columns,
        styles,
        &mut widths,
    )?;
    Ok((sheet, widths))
}

/// One grouped table: header, keys first, every column formatted by its annotation,
/// formula columns as live Excel formulas where they translate.
pub fn table_sheet(
    report: &RunReport,
    layout: &Layout,
    id: TableId,
    name: &str,
    styles: &Styles,
) -> Result<Worksheet, ReportError> {
    let plan = report.plan;
    let mut sheet = Worksheet::new();
    sheet.set_name(name)?;
    sheet.set_tab_color(Color::RGB(0x2E75B6));
    sheet.set_landscape();
    sheet.set_repeat_rows(0, 0)?;
    let Some(table_plan) = plan.tables.get(id) else {
        return Ok(sheet);
    };
    let data = table_data(report, id);
    let rows = layout.cells.tables.get(&id).map_or(0, |c| c.rows);
    let keys = table_plan.key_count();
    let mut widths = Widths::new(8, 60);
    // Readable headers are words; the rule name stays in the header's note.
    let shown: Vec<String> = table_plan
        .columns
        .iter()
        .map(|c| {
            if report.readable_headers {
                crate::report::text::humanize(&c.name)
            } else {
                c.name.to_string()
            }
        })
        .collect();
    let names: Vec<&str> = shown.iter().map(String::as_str).collect();
    headers(&mut sheet, 0, &names, styles, &mut widths)?;
    sheet.set_row_height(0, 20)?;
    // Numbers are right-aligned, so their headers are too.
    let right = styles.header.clone().set_align(FormatAlign::Right);
    for (c, column_plan) in table_plan.columns.iter().enumerate() {
        if c >= keys && matches!(column_plan.ty, ValueType::Number | ValueType::Date) {
            let column = u16::try_from(c).map_err(|_| XlsxError::RowColumnLimitError)?;
            sheet.write_text_with_format(0, column, &shown[c], &right)?;
        }
    }

    for (c, column_plan) in table_plan.columns.iter().enumerate() {
        let column = u16::try_from(c).map_err(|_| XlsxError::RowColumnLimitError)?;
        let (kind, is_date) = column_display(plan, id, c);
        let kind = kind.as_ref();
        let mut format = number_format(kind, is_date);
        if c < keys {
            format = format.set_bold();
        }
        let code = format_code(kind, is_date);
        let formula = match &column_plan.origin {
            ColumnOrigin::Formula(node) => translate(&layout.cells, Some(id), node),
            _ => None,
        };
        // The header's note says how the column was made.
        let definition = match (&column_plan.origin, &table_plan.kind) {
            (ColumnOrigin::Formula(node), _) => {
                let how = if formula.is_some() {
                    "Each cell is a live Excel formula."
                } else {
                    "Computed by chanmix from the source rows; the cells hold the results."
                };
                let meaning = plan
                    .docs
                    .columns
                    .get(&(id, c))
                    .map_or_else(String::new, |doc| format!("{doc}\n\n"));
                Some(format!(
                    "{meaning}{} = {}\n\n{how}",
                    column_plan.name,
                    describe(plan, Some(id), node)
                ))
            }
            (ColumnOrigin::GroupKey(source_column), TableKind::Grouped { source, .. }) => {
                plan.tables.get(*source).map(|source_table| {
                    let name = source_table
                        .columns
                        .get(*source_column)
                        .map_or("?", |c| &*c.name);
                    format!("One row per distinct {}.{name}.", source_table.name)
                })
            }
            _ => None,
        };
        let definition = match definition {
            _ if !report.readable_headers => definition,
            Some(text) => Some(format!(
                "`{}` in the rules and --json.\n\n{text}",
                column_plan.name
            )),
            None => Some(format!("`{}` in the rules and --json.", column_plan.name)),
        };
        if let Some(text) = definition {
            let lines = text.chars().count() / 40 + 3;
            let note = Note::new(text)
                .set_author("chanmix")
                .add_author_prefix(false)
                .set_width(300)
                .set_height(u32::try_from(lines * 16).unwrap_or(200));
            sheet.insert_note(0, column, &note)?;
        }
        let Some(values) = data.and_then(|t| t.column(&column_plan.name)) else {
            continue;
        };
        for (r, value) in values.values().iter().take(rows).enumerate() {
            let row = u32::try_from(r + 1).map_err(|_| XlsxError::RowColumnLimitError)?;
            let text = formula.as_ref().map(|f| f.render(row + 1));
            write_formula_or_value(&mut sheet, row, column, text.as_deref(), value, &format)?;
            if r < WIDTH_SAMPLE_ROWS {
                widths.see(column, &display_text(value, code.as_deref()));
            }
        }
        if rows >= 2 && c >= keys {
            let last = u32::try_from(rows).map_err(|_| XlsxError::RowColumnLimitError)?;
            draw(&mut sheet, column, last, column_plan.look, kind)?;
        }
    }
    let key_columns = u16::try_from(keys).unwrap_or(0);
    sheet.set_freeze_panes(1, key_columns)?;
    // Printed: narrow tables fit the page width; wide ones run over pages with the keys
    // repeated on each.
    if table_plan.columns.len() <= 15 {
        sheet.set_print_fit_to_pages(1, 0);
    } else if key_columns > 0 {
        sheet.set_repeat_columns(0, key_columns - 1)?;
    }
    if !table_plan.columns.is_empty() {
        let last_column = u16::try_from(table_plan.columns.len() - 1).unwrap_or(u16::MAX);
        let last_row = u32::try_from(rows).unwrap_or(0);
        sheet.autofilter(0, 0, last_row, last_column)?;
    }
    widths.apply(&mut sheet)?;
    Ok(sheet)
}

/// Conditional formats over rows 1..=last of `column` as the rules' annotations ask
/// (see `Look`): a colour scale only where a direction says which end is good, bars,
/// arrows, a neutral heat scale. Currency columns with no annotation keep data bars.
fn draw(
    sheet: &mut Worksheet,
    column: u16,
    last: u32,
    look: Look,
    kind: Option<&FormatKind>,
) -> Result<(), XlsxError> {
    const RED: u32 = 0xF8696B;
    const GREEN: u32 = 0x63BE7B;
    if let Some(better) = look.better {
        let (low, high) = match better {
            Better::Higher => (RED, GREEN),
            Better::Lower => (GREEN, RED),
        };
        let scale = ConditionalFormat3ColorScale::new()
            .set_minimum_color(Color::RGB(low))
            .set_midpoint_color(Color::RGB(0xFFEB84))
            .set_maximum_color(Color::RGB(high));
        sheet.add_conditional_format(1, column, last, column, &scale)?;
    }
    if look.heat {
        let scale = ConditionalFormat2ColorScale::new()
            .set_minimum_color(Color::RGB(0xF7FBFF))
            .set_maximum_color(Color::RGB(0x2171B5));
        sheet.add_conditional_format(1, column, last, column, &scale)?;
    }
    if look.icons {
        let icons = ConditionalFormatIconSet::new()
            .set_icon_type(ConditionalFormatIconType::ThreeArrows)
            // Excel's thresholds are "at least"; the first icon takes everything below
            // the second: down below 0, flat from 0, up above 0.
            .set_icons(&[
                ConditionalFormatCustomIcon::new().set_rule(ConditionalFormatType::Number, 0),
                ConditionalFormatCustomIcon::new().set_rule(ConditionalFormatType::Number, 0),
                ConditionalFormatCustomIcon::new()
                    .set_rule(ConditionalFormatType::Number, 0)
                    .set_greater_than(true),
            ]);
        sheet.add_conditional_format(1, column, last, column, &icons)?;
    }
    let plain = look == Look::default();
    if look.bar || (plain && matches!(kind, Some(FormatKind::Currency))) {
        let bar = ConditionalFormatDataBar::new().set_fill_color(Color::RGB(0x5B9BD5));
        sheet.add_conditional_format(1, column, last, column, &bar)?;
    }
    Ok(())
}

/// Every scalar of the rules, a live formula where it translates.
pub fn metrics_sheet(
    report: &RunReport,
    layout: &Layout,
    styles: &Styles,
) -> Result<Worksheet, ReportError> {
    let plan = report.plan;
    let (mut sheet, mut widths) = list_sheet(
        METRICS,
        "Single values computed by the rules (totals, portfolio ratios).",
        &["Metric", "Value", "Definition", "Meaning"],
        (10, 60),
        styles,
    )?;
    for (i, scalar) in plan.scalars.iter().enumerate() {
        let row = FIRST_ENTRY_ROW + u32::try_from(i).map_err(|_| XlsxError::RowColumnLimitError)?;
        // Results come in plan order: look at the same position first (a search by
        // name per value made 100,000 named values quadratic).
        let value = report
            .result
            .scalars
            .get(i)
            .filter(|(name, _)| *name == scalar.name)
            .map(|(_, value)| value)
            .or_else(|| report.result.scalar(&scalar.name))
            .cloned()
            .unwrap_or_default();
        let kind = scalar.format.as_ref().map(|f| &f.kind);
        let is_date = scalar.ty == ValueType::Date;
        let format = number_format(kind, is_date);
        let formula = translate(&layout.cells, None, &scalar.node).map(|f| f.render(row + 1));
        sheet.write_text(row, 0, &scalar.name)?;
        widths.see(0, &scalar.name);
        write_formula_or_value(&mut sheet, row, 1, formula.as_deref(), &value, &format)?;
        widths.see(
            1,
            &display_text(&value, format_code(kind, is_date).as_deref()),
        );
        let definition = describe(plan, None, &scalar.node);
        sheet.write_text_with_format(row, 2, &definition, &styles.subtitle)?;
        widths.see(2, &definition);
        if let Some(doc) = plan.docs.scalars.get(&i) {
            sheet.write_text_with_format(row, 3, doc, &styles.wrap)?;
        }
    }
    sheet.set_freeze_panes(FIRST_ENTRY_ROW, 0)?;
    widths.apply(&mut sheet)?;
    sheet.set_column_width(3, 90)?;
    Ok(sheet)
}

/// Every param, the value the run used, and where it came from.
pub fn assumptions_sheet(
    report: &RunReport,
    layout: &Layout,
    styles: &Styles,
) -> Result<Worksheet, ReportError> {
    let (mut sheet, mut widths) = list_sheet(
        ASSUMPTIONS,
        "Every param the rules used, its value in this run, and where the value came from. Formulas on the table sheets point here.",
        &["Param", "Value", "Source", "Meaning"],
        (10, 70),
        styles,
    )?;
    let lines = layout
        .params
        .iter()
        .filter_map(|line| Some((line, report.plan.params.get(line.param)?)));
    for (i, (line, param)) in lines.enumerate() {
        let row = FIRST_ENTRY_ROW + u32::try_from(i).map_err(|_| XlsxError::RowColumnLimitError)?;
        let kind = param.format.as_ref().map(|f| &f.kind);
        let is_date = matches!(line.value, Value::Date(_));
        let format = number_format(kind, is_date);
        sheet.write_text(row, 0, &param.name)?;
        write_value(&mut sheet, row, 1, &line.value, &format)?;
        sheet.write_text(row, 2, &line.source)?;
        if let Some(doc) = report.plan.docs.params.get(&line.param) {
            sheet.write_text_with_format(row, 3, doc, &styles.wrap)?;
        }
        widths.see(0, &param.name);
        widths.see(
            1,
            &display_text(&line.value, format_code(kind, is_date).as_deref()),
        );
        widths.see(2, &line.source);
    }
    sheet.set_freeze_panes(FIRST_ENTRY_ROW, 0)?;
    widths.apply(&mut sheet)?;
    sheet.set_column_width(3, 90)?;
    Ok(sheet)
}

/// The zero-based sheet row of the first issue in the Data Quality sheet's "Problems
/// in the data" table (the console summary names these rows).
pub fn first_issue_row(quality: &QualityLog) -> u32 {
    FIRST_ENTRY_ROW + u32::try_from(quality.counts.len()).unwrap_or(0) + 3
}

/// Per-table read counts, then the problems found in the data (one row each, as the
/// console summary lists them), the rules' data checks, then every cell the readers
/// repaired, kept as an error or blank, or rejected.
pub fn quality_sheet(
    quality: &QualityLog,
    issues: &DataIssues,
    flags: &[FlagHit],
    styles: &Styles,
) -> Result<Worksheet, ReportError> {
    let shortened = shortened_so_far();
    let own_long_texts = quality
        .entries
        .iter()
        .flat_map(|e| [&e.table, &e.cell, &e.column, &e.raw, &e.expected, &e.action])
        .filter(|text| text.encode_utf16().count() > MAX_CELL_CHARS)
        .count();
    let cut = shortened.len() + own_long_texts;
    let mut note = match (issues.problems(), quality.entries.is_empty()) {
        (0, true) => "No problem found in the data; no cell needed repair.".to_string(),
        (0, false) => format!(
            "No problem found in the data; {} cells were repaired or noted, each listed below.",
            quality.entries.len()
        ),
        (problems, _) => format!(
            "{} found in the data (each also printed by `chanmix run`); the cells involved are listed below.",
            plural(problems, "problem")
        ),
    };
    if cut > 0 {
        note.push_str(&format!(
            " {} longer than an Excel cell holds (32,767 characters) {} shortened in this workbook; {} listed below too.",
            plural(cut, "text"),
            if cut == 1 { "was" } else { "were" },
            if cut == 1 { "it is" } else { "each is" }
        ));
    }
    let (mut sheet, mut widths) = list_sheet(
        DATA_QUALITY,
        &note,
        &[
            "Table",
            "Rows read",
            "Rows kept",
            "Rows rejected",
            "Blank rows skipped",
            "Cells reported",
            "Cells repaired",
            "Cells not listed",
        ],
        (8, 50),
        styles,
    )?;
    let mut row = FIRST_ENTRY_ROW - 1;
    let integer = Format::new().set_num_format("#,##0");
    for counts in &quality.counts {
        row += 1;
        sheet.write_text(row, 0, &counts.table)?;
        widths.see(0, &counts.table);
        let numbers = [
            counts.rows_read,
            counts.rows_kept,
            counts.rows_rejected,
            counts.blank_rows_skipped,
            counts.cells_reported,
            counts.cells_repaired,
            counts.cells_not_listed,
        ];
        for (i, n) in numbers.iter().enumerate() {
            let column = u16::try_from(i + 1).unwrap_or(u16::MAX);
            sheet.write_number_with_format(row, column, *n as f64, &integer)?;
        }
    }
    row += 2;
    sheet.write_text_with_format(row, 0, "Problems in the data", &styles.section)?;
    row += 1;
    headers(
        &mut sheet,
        row,
        &[
            "Severity",
            "Kind",
            "Where",
            "Value",
            "Rows",
            "What happened",
        ],
        styles,
        &mut widths,
    )?;
    debug_assert_eq!(row + 1, first_issue_row(quality));
    if issues.is_empty() {
        row += 1;
        sheet.write_text(row, 0, "none")?;
    }
    for issue in &issues.issues {
        row += 1;
        let texts = [
            issue.severity.as_str(),
            issue.kind,
            issue.place.as_str(),
            issue.value.as_str(),
        ];
        for (i, text) in texts.iter().enumerate() {
            let column = u16::try_from(i).unwrap_or(u16::MAX);
            sheet.write_text(row, column, text)?;
            widths.see(column, text);
        }
        sheet.write_number_with_format(row, 4, issue.count as f64, &integer)?;
        sheet.write_text(row, 5, &issue.message)?;
        widths.see(5, &issue.message);
    }
    row = rule_checks(&mut sheet, row, flags, styles, &mut widths)?;
    row += 2;
    sheet.write_text_with_format(row, 0, "Cells", &styles.section)?;
    row += 1;
    headers(
        &mut sheet,
        row,
        &[
            "Table", "File", "Cell", "Column", "Found", "Expected", "Action",
        ],
        styles,
        &mut widths,
    )?;
    for entry in &quality.entries {
        row += 1;
        let file = entry.file.display().to_string();
        let texts = [
            &entry.table,
            &file,
            &entry.cell,
            &entry.column,
            &entry.raw,
            &entry.expected,
            &entry.action,
        ];
        for (i, text) in texts.iter().enumerate() {
            let column = u16::try_from(i).unwrap_or(u16::MAX);
            sheet.write_text(row, column, text.as_str())?;
            widths.see(column, text);
        }
    }
    let own = shortened_so_far().split_off(shortened.len());
    for cut in shortened.iter().chain(&own) {
        row += 1;
        let found = format!("text of {} characters", thousands(cut.characters));
        let cell = format!("'{}'!{}", cut.sheet, cut.cell);
        let texts = [
            "",
            "this workbook",
            cell.as_str(),
            "",
            found.as_str(),
            "at most 32,767 characters (an Excel cell's limit)",
            "shortened, marked at the cut; the run's JSON output (--json) has the whole text",
        ];
        for (i, text) in texts.iter().enumerate() {
            let column = u16::try_from(i).unwrap_or(u16::MAX);
            sheet.write_text(row, column, text)?;
            widths.see(column, text);
        }
    }
    widths.apply(&mut sheet)?;
    Ok(sheet)
}

/// What the run was made from: tool version, as_of, every file with hash and size.
pub fn provenance_sheet(
    provenance: &Provenance,
    styles: &Styles,
) -> Result<Worksheet, ReportError> {
    let mut sheet = titled(
        PROVENANCE,
        "What this workbook was computed from. The same files and version give the same workbook, byte for byte. \
         Input tables are not copied here (they can hold a million rows): the files below are the record.",
        styles,
    )?;
    let mut widths = Widths::new(10, 80);
    let bold = Format::new().set_bold();
    let as_of = provenance.as_of.map_or_else(
        || "not set".to_string(),
        |d| d.format("%Y-%m-%d").to_string(),
    );
    let facts = [
        ("Tool", tool_name(&provenance.tool_version)),
        ("As of", as_of),
    ];
    let mut row = FIRST_ENTRY_ROW - 1;
    for (label, value) in &facts {
        sheet.write_text_with_format(row, 0, label, &bold)?;
        sheet.write_text(row, 1, value)?;
        widths.see(0, label);
        row += 1;
    }
    row += 1;
    headers(
        &mut sheet,
        row,
        &["Kind", "Path", "SHA-256", "Bytes"],
        styles,
        &mut widths,
    )?;
    let integer = Format::new().set_num_format("#,##0");
    let files = [
        ("scenario", &provenance.scenario_files),
        ("rules", &provenance.rule_files),
        ("input", &provenance.input_files),
    ];
    for (kind, list) in files {
        for file in list {
            row += 1;
            let path = file.path.display().to_string();
            sheet.write_text(row, 0, kind)?;
            sheet.write_text(row, 1, &path)?;
            sheet.write_text(row, 2, &file.sha256)?;
            sheet.write_number_with_format(row, 3, file.bytes as f64, &integer)?;
            widths.see(1, &path);
            widths.see(2, &file.sha256);
            widths.see(3, &file.bytes.to_string());
        }
    }
    widths.apply(&mut sheet)?;
    Ok(sheet)
}

/// The "Checks the rules made" section of the Data Quality sheet (flags with `severity
/// data`), two rows below `row`; returns the last row written.
fn rule_checks(
    sheet: &mut Worksheet,
    row: u32,
    flags: &[FlagHit],
    styles: &Styles,
    widths: &mut Widths,
) -> Result<u32, XlsxError> {
    let checks: Vec<&FlagHit> = flags
        .iter()
        .filter(|f| f.severity == Severity::Data)
        .collect();
    let mut row = row + 2;
    let title = match checks.len() {
        0 => "Checks the rules made on the data: nothing to report".to_string(),
        n => format!("Checks the rules made on the data ({n})"),
    };
    sheet.write_text_with_format(row, 0, &title, &styles.section)?;
    if checks.is_empty() {
        return Ok(row);
    }
    row += 1;
    headers(sheet, row, &["Table", "Subject", "Finding"], styles, widths)?;
    for hit in checks {
        row += 1;
        sheet.write_text(row, 0, &hit.table)?;
        sheet.write_text(row, 1, &hit.subject)?;
        sheet.write_text(row, 2, &hit.message)?;
        widths.see(0, &hit.table);
        widths.see(1, &hit.subject);
    }
    Ok(row)
}
