//! The kinds of file a scenario names, checked when it is loaded so that `check` reports
//! them before any run: inputs with an extension chanmix reads, outputs with their
//! kind's extension (`.xlsx`, `.json`), and nothing named that exists but is not a
//! regular file (a FIFO would block a run, a device never end, a link be written through).

use std::path::Path;

use crate::data::workbook::FileKind;
use crate::diagnostic::source::Span;
use crate::diagnostic::{Code, Diagnostic};
use crate::files::{AtOutput, at_output, has_extension, kind_of};

use super::model::Scenario;

/// Every input and output path of `scenario` checked for its kind (see the module doc).
pub fn check_path_kinds(scenario: &Scenario, diagnostics: &mut Vec<Diagnostic>) {
    let locations = &scenario.locations;
    let mut inputs: Vec<(&Path, String)> = Vec::new();
    if let Some(workbook) = &scenario.inputs.workbook {
        inputs.push((workbook, "inputs.workbook".to_string()));
    }
    for (name, table) in &scenario.inputs.tables {
        if let Some(file) = &table.file {
            inputs.push((file, format!("inputs.tables.{name}.file")));
        }
    }
    for (path, key) in inputs {
        let span = locations.best(&key);
        if FileKind::from_path(path).is_none() {
            diagnostics.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    format!("`{key}` is not a file chanmix reads: {}", path.display()),
                    span,
                )
                .with_label("unknown extension")
                .with_hint("inputs are .xlsx, .xlsm, .xlsb, .xls, .ods or .csv files"),
            );
        } else if let Ok(meta) = std::fs::metadata(path)
            && !meta.is_file()
        {
            diagnostics.push(not_a_file(&key, path, kind_of(&meta), span));
        }
    }
    let outputs = [
        (
            &scenario.output.workbook,
            "output.workbook",
            "xlsx",
            "an .xlsx workbook",
        ),
        (&scenario.output.json, "output.json", "json", "a .json file"),
    ];
    for (path, key, extension, what) in outputs {
        let Some(path) = path else { continue };
        let span = locations.best(key);
        let reported = diagnostics
            .iter()
            .any(|d| d.code == Code::OutputOverwritesInput && d.primary.span == span);
        if reported {
            continue; // it would overwrite an input: one error is enough
        }
        if !has_extension(path, &[extension]) {
            diagnostics.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    format!("`{key}` must name {what}: {}", path.display()),
                    span,
                )
                .with_label(format!("not a .{extension} file"))
                .with_hint(format!("end the path in .{extension}")),
            );
        } else if let Ok(AtOutput::Refused(why)) = at_output(path) {
            diagnostics.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    format!("`{key}` cannot be written: {} — {why}", path.display()),
                    span,
                )
                .with_label("not a regular file"),
            );
        }
    }
}

fn not_a_file(key: &str, path: &Path, kind: &str, span: Span) -> Diagnostic {
    Diagnostic::error(
        Code::InvalidValue,
        format!("`{key}` is {kind}, not a file: {}", path.display()),
        span,
    )
    .with_label("not a regular file")
    .with_hint("name the exported workbook or CSV file itself")
}
