//! The broken-inputs corpus: every folder under tests/broken/ is one case run through the
//! real binary — exit 1, a pinned message, no output or temp file left, inputs untouched.

// Test helpers outside #[test] fns fail loudly on purpose.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../broken/generate.rs"]
mod generate;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::support::command::{Chanmix, Ran};

fn corpus() -> PathBuf {
    crate::support::repo().join("tests/broken")
}

/// Every file under `root` (relative path → SHA-256), folders listed with an empty hash.
fn tree_hashes(root: &Path) -> BTreeMap<String, String> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let relative = path.strip_prefix(root).unwrap().display().to_string();
            if path.is_dir() {
                out.insert(format!("{relative}/"), String::new());
                walk(root, &path, out);
            } else {
                let digest = Sha256::digest(std::fs::read(&path).unwrap());
                let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
                out.insert(relative, hex);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

/// A case copied into a fresh temp folder (`case/`), with an empty output folder
/// (`out/`) beside it, so nothing the run does can touch the committed corpus.
struct Workspace {
    _temp: tempfile::TempDir,
    root: PathBuf,
    case: PathBuf,
    out: PathBuf,
}

fn workspace(name: &str) -> Workspace {
    let temp = tempfile::tempdir().unwrap();
    // Resolved, so messages that print canonical paths normalize the same way.
    let root = temp.path().canonicalize().unwrap();
    let case = root.join("case");
    let out = root.join("out");
    std::fs::create_dir_all(&out).unwrap();
    copy_dir(&corpus().join(name), &case);
    Workspace {
        _temp: temp,
        root,
        case,
        out,
    }
}

fn copy_dir(from: &Path, to: &Path) {
    assert!(from.is_dir(), "no case folder {}", from.display());
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

/// The command line of a case: its `args` file (one argument per line, `{out}` is the
/// output folder), else `run scenario.toml -o {out}/out.xlsx`.
fn case_args(ws: &Workspace) -> Vec<String> {
    let text = std::fs::read_to_string(ws.case.join("args"))
        .unwrap_or_else(|_| "run\nscenario.toml\n-o\n{out}/out.xlsx\n".to_string());
    text.lines()
        .filter(|l| !l.is_empty())
        .map(|l| l.replace("{out}", &ws.out.display().to_string()))
        .collect()
}

/// Runs chanmix in `dir`. A case with a `file_size_limit_kb` file runs under that
/// `ulimit -f`, so writes fail with EFBIG as on a full disk.
fn chanmix(dir: &Path, args: &[String]) -> Ran {
    let command = Chanmix::new().current_dir(dir).args(args);
    match std::fs::read_to_string(dir.join("file_size_limit_kb")) {
        Ok(limit) => command.file_size_limit_kb(&limit),
        Err(_) => command,
    }
    .output()
}

/// Temp paths replaced by `<case>` and `<out>` so snapshots are stable.
fn normalize(ws: &Workspace, text: &str) -> String {
    let text = text
        .replace(&ws.case.display().to_string(), "<case>")
        .replace(&ws.out.display().to_string(), "<out>")
        .replace(&ws.root.display().to_string(), "<tmp>")
        // NUL bytes (from UTF-16 files) would make the snapshot a binary file.
        .replace('\0', "\\0");
    hide_temp_names(&text)
}

/// Replaces the random part of atomic-write temp files (`.chanmix-AbC123.tmp`).
fn hide_temp_names(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find(".chanmix-") {
        let after = &rest[at + ".chanmix-".len()..];
        match after.find(".tmp") {
            Some(end) if end <= 16 && after[..end].chars().all(char::is_alphanumeric) => {
                out.push_str(&rest[..at]);
                out.push_str(".chanmix-<random>.tmp");
                rest = &after[end + ".tmp".len()..];
            }
            _ => {
                out.push_str(&rest[..at + ".chanmix-".len()]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Runs a broken case and checks the promises; returns the normalized stderr.
fn run_broken(name: &str) -> String {
    let ws = workspace(name);
    let before = tree_hashes(&ws.root);
    let args = case_args(&ws);
    let output = chanmix(&ws.case, &args);
    let stderr = normalize(&ws, &output.stderr);
    assert_eq!(
        output.code(),
        Some(1),
        "{name}: `chanmix {}` must exit 1 (bad input), got {:?}\n{stderr}",
        args.join(" "),
        output.exit
    );
    assert!(
        !stderr.contains("panicked"),
        "{name}: chanmix panicked\n{stderr}"
    );
    // Nothing written anywhere: no workbook, no temp file, no input changed.
    assert_eq!(
        tree_hashes(&ws.root),
        before,
        "{name}: files were written or changed\n{stderr}"
    );
    assert!(
        output.stdout.is_empty(),
        "{name}: nothing on stdout: {}",
        output.stdout
    );
    stderr
}

/// One `#[test]` per broken case: the message is pinned in
/// tests/integration/snapshots/integration__broken_inputs__<case>.snap.
macro_rules! broken {
    ($($(#[$attr:meta])* $name:ident,)*) => {
        $(
            #[test]
            $(#[$attr])*
            fn $name() {
                let stderr = run_broken(stringify!($name));
                insta::assert_snapshot!(stringify!($name), stderr);
            }
        )*
        /// Every case folder has a test (and every test a folder).
        const BROKEN_CASES: &[&str] = &[$(stringify!($name)),*];
    };
}

broken! {
    // CSV exports
    csv_bad_bool,
    csv_bad_date,
    #[ignore = "src/data: invalid UTF-8 in a CSV is silently replaced (`Parten\u{FFFD}r`), no line named"]
    csv_bad_utf8,
    csv_blank_required_cell,
    csv_duplicate_header,
    csv_duplicate_key,
    csv_empty_file,
    csv_missing_column,
    csv_ragged_rows,
    csv_text_in_number_column,
    input_file_missing,
    input_unknown_extension,
    unknown_column_type,
    // Workbooks
    xlsx_truncated,
    xlsx_is_a_text_file,
    xlsx_no_sheets,
    xlsx_empty_sheet,
    xlsx_sheet_not_found,
    xlsx_missing_column,
    xlsx_encrypted,
    xls_encrypted,
    xls_random_bytes,
    ods_truncated,
    xlsx_zip_without_workbook,
    xlsx_sheet_xml_cut,
    xlsx_text_in_number_column,
    xlsx_text_in_date_column,
    xlsx_number_in_bool_column,
    xlsx_error_value_in_number_column,
    xlsx_blank_in_required_column,
    xlsx_nan_and_infinity_cells,
    // Rule files
    rule_parse_error,
    rule_unknown_function,
    rule_file_missing,
    rule_file_invalid_utf8,
    rule_cycle_three_files,
    rule_nested_500_deep,
    rule_nested_100000_parens,
    check_rule_file_binary,
    // Scenario files
    scenario_unknown_key,
    scenario_unknown_table_key,
    scenario_toml_syntax,
    scenario_empty_file,
    scenario_invalid_utf8,
    scenario_bad_policy,
    extends_cycle,
    // Where the output goes
    output_is_input,
    output_is_scenario,
    output_is_rule_file,
    output_folder_missing,
    output_is_a_folder,
    output_under_a_file,
    output_under_proc,
    compare_output_is_input,
    output_disk_full,
    scenario_no_output,
    // More scenario and rule mistakes
    extends_missing,
    rule_text_times_number,
    header_row_past_the_data,
    csv_with_sheet_option,
    scenario_param_misspelled,
    scenario_param_wrong_type,
    scenario_as_of_not_a_date,
    dashboard_unknown_table,
    dashboard_unknown_kpi,
    dashboard_unknown_kpi_comparison,
    xlsx_date_out_of_range,
    xlsx_cell_in_last_row_and_column,
    csv_stray_quote,
    csv_utf16,
    rule_name_too_long,
    xlsx_shared_string_index_out_of_range,
    xlsx_bad_cell_reference,
    ods_is_really_xlsx,
    xlsb_random_bytes,
    fmt_rule_file_binary,
    xlsx_styles_not_xml,
    xlsx_unknown_cell_type,
}

/// Cases that are valid input at the edge of what a workbook holds: the run succeeds.
const SUCCESS_CASES: &[&str] = &[
    "csv_headers_only",
    "xlsx_headers_only",
    "xlsx_huge_numbers",
    "xlsx_longest_text_cell",
    "rule_text_over_excel_limit",
    "rule_numeric_edge_values",
    "rule_file_empty",
    "csv_many_groups",
    "xlsx_dimension_claims_whole_sheet",
];

/// Runs a case expected to succeed with `--json`; checks the workbook was written (and
/// no temp file left) and the inputs are untouched; returns the parsed JSON.
fn run_success(name: &str) -> serde_json::Value {
    let ws = workspace(name);
    let before = tree_hashes(&ws.case);
    let mut args = case_args(&ws);
    args.push("--json".to_string());
    let output = chanmix(&ws.case, &args);
    let stderr = normalize(&ws, &output.stderr);
    assert_eq!(output.code(), Some(0), "{name}: {stderr}");
    assert_eq!(tree_hashes(&ws.case), before, "{name}: inputs changed");
    let written: Vec<String> = tree_hashes(&ws.out).into_keys().collect();
    assert_eq!(written, vec!["out.xlsx".to_string()], "{name}: {stderr}");
    serde_json::from_str(&output.stdout).unwrap()
}

fn table<'a>(json: &'a serde_json::Value, name: &str) -> &'a Vec<serde_json::Value> {
    json["tables"][name]
        .as_array()
        .unwrap_or_else(|| panic!("no table {name} in {json}"))
}

#[test]
fn csv_headers_only() {
    // A header row and no data is a valid, empty export: no channels, revenue 0.
    let json = run_success("csv_headers_only");
    assert!(table(&json, "Channels").is_empty(), "{json}");
    assert_eq!(json["scalars"]["total_revenue"], 0.0);
}

#[test]
fn xlsx_headers_only() {
    let json = run_success("xlsx_headers_only");
    assert!(table(&json, "Channels").is_empty(), "{json}");
    assert_eq!(json["scalars"]["total_revenue"], 0.0);
}

#[test]
fn xlsx_huge_numbers() {
    // Direct: 1e308 + 1e308 overflows a double; Excel's SUM gives #NUM! there.
    // Partner: the won deal's cell caches -0; Excel shows the sum as 0, never "-0".
    let json = run_success("xlsx_huge_numbers");
    let channels = table(&json, "Channels");
    assert_eq!(channels[0]["channel"], "Direct");
    assert_eq!(channels[0]["revenue"]["error"], "#NUM!", "{json}");
    assert_eq!(channels[1]["channel"], "Partner");
    assert_eq!(channels[1]["revenue"], 0.0, "{json}");
    assert!(
        !channels[1]["revenue"].to_string().starts_with('-'),
        "{json}"
    );
}

#[test]
fn xlsx_longest_text_cell() {
    let json = run_success("xlsx_longest_text_cell");
    let channels = table(&json, "Channels");
    let channel = channels[0]["channel"].as_str().unwrap();
    assert!(
        channel.len() == generate::EXCEL_MAX_TEXT,
        "{}",
        channel.len()
    );
}

#[test]
fn rule_text_over_excel_limit() {
    // Excel's `&` gives #VALUE! when the result is longer than 32,767 characters.
    let json = run_success("rule_text_over_excel_limit");
    let channels = table(&json, "Channels");
    // Not printed on failure: the label would be 32,768 characters.
    assert!(
        channels[0]["label"]["error"] == "#VALUE!",
        "label is not #VALUE!"
    );
}

#[test]
fn rule_numeric_edge_values() {
    // Excel: -0 shows as 0; 1E+308*10 → #NUM!; SQRT(-1) → #NUM!; 0/0 → #DIV/0!.
    let json = run_success("rule_numeric_edge_values");
    let scalars = &json["scalars"];
    assert_eq!(scalars["negative_zero"], 0.0, "{json}");
    assert!(
        !scalars["negative_zero"].to_string().starts_with('-'),
        "{json}"
    );
    assert_eq!(scalars["overflow"]["error"], "#NUM!", "{json}");
    assert_eq!(scalars["root_of_minus"]["error"], "#NUM!", "{json}");
    assert_eq!(scalars["zero_by_zero"]["error"], "#DIV/0!", "{json}");
}

#[test]
fn rule_file_empty() {
    // No rules is a valid (if useless) program: the run writes a workbook of inputs
    // only, and warns that the declared input table is never read.
    let json = run_success("rule_file_empty");
    assert_eq!(json["tables"], serde_json::json!({}), "{json}");
}

#[test]
fn xlsx_dimension_claims_whole_sheet() {
    // The <dimension> tag claims A1:XFD1048576; only the 3 real rows count:
    // Direct won 1000 + 400, Partner lost.
    let json = run_success("xlsx_dimension_claims_whole_sheet");
    assert_eq!(table(&json, "Channels").len(), 2, "{json}");
    assert_eq!(json["scalars"]["total_revenue"], 1400.0, "{json}");
}

#[test]
fn csv_many_groups() {
    let json = run_success("csv_many_groups");
    let channels = table(&json, "Channels");
    assert_eq!(channels.len(), generate::GROUP_COUNT);
    // Rows are "D-i, Channel i, amount i % 997", all won: the total by hand.
    let expected: f64 = (0..generate::GROUP_COUNT).map(|i| (i % 997) as f64).sum();
    assert_eq!(json["scalars"]["total_revenue"], expected);
}

/// An output folder the user cannot write to. As root (CI containers) chmod does not
/// stop writing, so there the run succeeds; otherwise it must fail cleanly.
#[test]
fn output_folder_read_only() {
    use std::os::unix::fs::PermissionsExt;
    let ws = workspace("output_folder_missing");
    let locked = ws.out.join("locked");
    std::fs::create_dir(&locked).unwrap();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o555)).unwrap();
    let root_ignores_modes = std::fs::write(locked.join("probe"), b"").is_ok();
    let _ = std::fs::remove_file(locked.join("probe"));
    let args: Vec<String> = ["run", "scenario.toml", "-o"]
        .iter()
        .map(|s| s.to_string())
        .chain([locked.join("out.xlsx").display().to_string()])
        .collect();
    let output = chanmix(&ws.case, &args);
    let stderr = normalize(&ws, &output.stderr);
    let left: Vec<String> = tree_hashes(&locked).into_keys().collect();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).unwrap();
    if root_ignores_modes {
        assert_eq!(output.code(), Some(0), "{stderr}");
        assert_eq!(left, vec!["out.xlsx".to_string()], "{stderr}");
    } else {
        assert_eq!(output.code(), Some(1), "{stderr}");
        assert!(left.is_empty(), "{left:?}");
        assert!(stderr.contains("<out>/locked/out.xlsx"), "{stderr}");
    }
}

#[test]
fn every_case_folder_has_a_test() {
    let mut folders: Vec<String> = std::fs::read_dir(corpus())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .map(|p| p.file_name().unwrap().to_string_lossy().to_string())
        .collect();
    folders.sort();
    let mut tested: Vec<String> = BROKEN_CASES
        .iter()
        .chain(SUCCESS_CASES)
        .map(|s| s.to_string())
        .collect();
    tested.sort();
    assert_eq!(folders, tested);
    assert!(
        BROKEN_CASES.len() >= 30,
        "the corpus holds at least 30 cases"
    );
}

/// The committed binary inputs are exactly what the generator writes.
#[test]
fn generated_inputs_match_their_generator() {
    for (case, name, bytes) in generate::generated_files().unwrap() {
        let path = corpus().join(case).join(name);
        let committed = std::fs::read(&path).unwrap_or_default();
        assert!(
            committed == bytes,
            "{} differs from the generator: run `cargo test --test integration -- --ignored broken_inputs::regenerate_broken_inputs`",
            path.display()
        );
    }
}

/// Rewrites the generated inputs (run after changing tests/broken/generate.rs).
#[test]
#[ignore = "writes into tests/broken; run by hand after changing the generator"]
fn regenerate_broken_inputs() {
    generate::write_all(&corpus()).unwrap();
}
