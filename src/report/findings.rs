//! The rules' findings in a run workbook: the Recommendations sheet (most severe first,
//! then by value at stake, each with the metric and threshold that fired); the data
//! checks (`severity data`) go to the Data Quality sheet instead (`sheets`).

use rust_xlsxwriter::{Color, Format, FormatUnderline, Url, Worksheet, XlsxError};

use crate::eval::engine::FlagHit;
use crate::lang::ast::Severity;
use crate::report::cells::Styles;
use crate::report::layout::{FIRST_ENTRY_ROW, Layout, RECOMMENDATIONS};
use crate::report::sheets::list_sheet;
use crate::report::text::plural;
use crate::report::{ReportError, RunReport};

/// The findings a reader acts on (every severity but `data`), in the evaluation's order.
pub fn recommendations(flags: &[FlagHit]) -> impl Iterator<Item = &FlagHit> {
    flags.iter().filter(|f| f.severity != Severity::Data)
}

/// Every finding, most severe first, then the largest value at stake, each linked to the
/// row it was raised on; then what the analyses noted.
pub fn recommendations_sheet(
    report: &RunReport,
    layout: &Layout,
    styles: &Styles,
) -> Result<Worksheet, ReportError> {
    let flags: Vec<&FlagHit> = recommendations(&report.result.flags).collect();
    // What analyses said (a budget left unspent, a fit that extrapolates) follows the
    // flags, subject "note".
    let notes: Vec<(&str, &str)> = report
        .result
        .analyses
        .iter()
        .flat_map(|a| {
            let table = report.plan.tables.get(a.table).map_or("", |t| &*t.name);
            a.notes.iter().map(move |n| (table, n.as_str()))
        })
        .collect();
    let mut note = match flags.len() {
        0 => "No rule flagged anything in this run.".to_string(),
        1 => "1 finding from the rules' flags.".to_string(),
        n => format!(
            "{n} findings from the rules' flags: most severe first, then the largest value at stake."
        ),
    };
    let superseded: usize = flags.iter().map(|f| f.superseded).sum();
    if superseded > 0 {
        note.push_str(&format!(
            " {} left out: a row keeps only the most severe finding of a topic.",
            plural(superseded, "finding")
        ));
    }
    if !notes.is_empty() {
        note.push_str(&format!(
            " Then {} from the analyses.",
            plural(notes.len(), "note")
        ));
    }
    let (mut sheet, mut widths) = list_sheet(
        RECOMMENDATIONS,
        &note,
        &[
            "#",
            "Table",
            "Subject",
            "Finding and recommendation",
            "Severity",
            "Fired on (metric and threshold)",
            "Value at stake",
        ],
        (6, 40),
        styles,
    )?;
    sheet.set_tab_color(Color::RGB(0xC00000));
    let header_row = FIRST_ENTRY_ROW - 1;
    let link_format = Format::new()
        .set_bold()
        .set_font_color(Color::RGB(0x0563C1))
        .set_underline(FormatUnderline::Single);
    let money = Format::new().set_num_format("$#,##0");
    for (i, hit) in flags.iter().enumerate() {
        let row = FIRST_ENTRY_ROW + u32::try_from(i).map_err(|_| XlsxError::RowColumnLimitError)?;
        sheet.write_number(row, 0, (i + 1) as f64)?;
        sheet.write_string(row, 1, &*hit.table)?;
        // The subject links to its row on the table's sheet.
        match layout.flag_target(report, hit) {
            Some(target) => {
                let link = Url::new(format!("internal:{target}")).set_text(&hit.subject);
                sheet.write_url_with_format(row, 2, link, &link_format)?;
            }
            None => {
                sheet.write_string_with_format(row, 2, &hit.subject, &Format::new().set_bold())?;
            }
        }
        sheet.write_string_with_format(row, 3, &hit.message, &styles.wrap)?;
        sheet.write_string(row, 4, hit.severity.as_str())?;
        sheet.write_string_with_format(row, 5, &hit.fired, &styles.wrap)?;
        if let Some(stake) = hit.stake {
            sheet.write_number_with_format(row, 6, stake, &money)?;
        }
        widths.see(1, &hit.table);
        widths.see(2, &hit.subject);
        widths.see(4, hit.severity.as_str());
    }
    for (i, (table, text)) in notes.iter().enumerate() {
        let index = flags.len() + i;
        let row =
            FIRST_ENTRY_ROW + u32::try_from(index).map_err(|_| XlsxError::RowColumnLimitError)?;
        sheet.write_number(row, 0, (index + 1) as f64)?;
        sheet.write_string(row, 1, *table)?;
        sheet.write_string_with_format(row, 2, "note", &Format::new().set_italic())?;
        sheet.write_string_with_format(row, 3, *text, &styles.wrap)?;
        widths.see(1, table);
    }
    widths.apply(&mut sheet)?;
    sheet.set_column_width(3, 100)?;
    sheet.set_column_width(5, 45)?;
    sheet.set_column_width(6, 14)?;
    sheet.set_freeze_panes(FIRST_ENTRY_ROW, 0)?;
    let entries = flags.len() + notes.len();
    if entries > 0 {
        let last = header_row + u32::try_from(entries).unwrap_or(0);
        sheet.autofilter(header_row, 0, last, 6)?;
    }
    Ok(sheet)
}
