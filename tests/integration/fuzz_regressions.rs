//! Every input a fuzz target (fuzz/) crashed or hung on, kept in tests/fuzz_regressions/
//! and replayed through the same code path (tests/integration/support/fuzz_harness.rs),
//! each with the outcome worked out from the input.

use std::path::PathBuf;

use crate::support::command::Chanmix;
use crate::support::fuzz_harness::{self, workbook};
use crate::support::repo;

fn folder(target: &str) -> PathBuf {
    repo().join("tests/fuzz_regressions").join(target)
}

fn input(target: &str, name: &str) -> Vec<u8> {
    let path = folder(target).join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Reads a saved `workbook` input and returns the error message it must give.
fn workbook_error(name: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let result = workbook::run(dir.path(), &input("workbook", name)).expect("not empty");
    workbook::check(&result);
    match result {
        Ok(data) => panic!("{name} read as a table: {:?}", data.quality.counts),
        Err(error) => error.to_string(),
    }
}

/// Inputs with a test below, per target.
const TESTED: &[(&str, &[&str])] = &[
    ("rules", &[]),
    ("scenario", &[]),
    (
        "workbook",
        &[
            "xls_cfb_assert_on_open",
            "xls_cfb_looping_fat",
            "xlsb_header_past_last_column",
        ],
    ),
];

#[test]
fn every_saved_input_has_a_test() {
    for (target, names) in TESTED {
        let mut saved: Vec<String> = std::fs::read_dir(folder(target))
            .map(|entries| {
                entries
                    .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                    .filter(|name| name != ".gitkeep")
                    .collect()
            })
            .unwrap_or_default();
        saved.sort();
        let mut tested: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        tested.sort();
        assert_eq!(saved, tested, "tests/fuzz_regressions/{target}");
    }
}

/// The harness itself, on the files the fuzzers start from: each shipped rule file
/// parses on its own and survives the fmt round trip (checked inside `rules::run`).
#[test]
fn rules_harness_formats_the_shipped_rule_files() {
    let dir = repo().join("rules");
    let mut files = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "rules") {
            continue; // rules/tracking/ and other folders
        }
        let outcome = fuzz_harness::rules::run(&std::fs::read(&path).unwrap());
        assert!(
            outcome.formatted.is_some(),
            "{}: {}",
            path.display(),
            outcome.text
        );
        files += 1;
    }
    assert!(files >= 5, "{files} rule files");
}

/// The shipped scenarios, written where the `scenario` target writes its input, load
/// with their `extends` and check cleanly against the rules they name (as
/// `chanmix check scenarios/*.toml` does), so the fuzzer's seeds reach the checks.
#[test]
fn scenario_harness_checks_the_shipped_scenarios_cleanly() {
    let repo = repo();
    let workspace = fuzz_harness::scenario::Workspace::new(repo);
    for name in ["base.toml", "partner_push.toml", "cost_cutting.toml"] {
        let text = std::fs::read(repo.join("scenarios").join(name)).unwrap();
        let outcome = workspace.run(&text);
        assert!(outcome.loaded, "{name}: {}", outcome.text);
        assert_eq!(outcome.errors, 0, "{name}: {}", outcome.text);
    }
}

/// What a regression test states about an input: the harness reports the codes
/// `chanmix check` gives. An unknown function is E0104 (as `chanmix check --format
/// json` reports it in cli.rs); a scenario without `rules` is S0004 (scenario_errors.rs).
#[test]
fn harness_outcomes_carry_the_diagnostic_codes() {
    let outcome = fuzz_harness::rules::run(b"input T (x: number)\nT.y = SUMM(x)\n");
    assert_eq!(outcome.codes, ["E0104"], "{}", outcome.text);
    assert_eq!(outcome.errors, 1);
    assert!(outcome.formatted.is_some(), "the file parses");

    let repo = repo();
    let workspace = fuzz_harness::scenario::Workspace::new(repo);
    assert!(workspace.scenario.starts_with(workspace.root()));
    let outcome = workspace.run(b"name = \"No rules\"\n");
    assert!(!outcome.loaded);
    assert_eq!(outcome.codes, ["S0004"], "{}", outcome.text);
    assert_eq!(outcome.errors, 1);
}

/// Selector 3 (.xls, report): the 512-byte header of an OLE (CFB) container and 302
/// bytes more. Its DIFAT names sector 0 as the first FAT sector, which the file holds
/// only 302 bytes of; calamine asserts a FAT sector is a whole number of 4-byte
/// entries and panicked inside `Xls::new`, which `Book::open` called outside
/// `catch_unwind` (only sheet reading was guarded): `chanmix run` crashed. Now the
/// panic is caught and the file reported as damaged.
#[test]
fn workbook_xls_cfb_assert_on_open() {
    let message = workbook_error("xls_cfb_assert_on_open");
    assert!(
        message.ends_with(
            "deals.xls is a damaged or truncated workbook (the reader stopped on malformed content); copy or export it again"
        ),
        "{message}"
    );
}

/// Selector 3 (.xls, report): nothing but a 512-byte CFB header whose 109 DIFAT
/// entries are all 0 and whose directory starts at sector 1. calamine caches sectors
/// zero-filled past the end of the file, so its FAT becomes all zeros (every sector
/// "continues in sector 0") and the directory chain 1 → 0 → 0 → … never ends: it
/// copied sector 0 until memory ran out (libFuzzer: out-of-memory). Now the loop is
/// found before calamine reads the file (data::ole).
#[test]
fn workbook_xls_cfb_looping_fat() {
    let message = workbook_error("xls_cfb_looping_fat");
    assert!(
        message.ends_with(
            "deals.xls is a damaged or truncated workbook (a chain of its sectors loops back on itself); copy or export it again"
        ),
        "{message}"
    );
}

/// Selector 2 (.xlsb): a tiny binary workbook whose header row puts a cell at a column
/// index near u32::MAX, which calamine passes on as it is. The builder sized its
/// column-to-slot table by the largest header column (16.9 GB: libFuzzer out-of-memory).
/// Excel's grid ends at column 16,384 (XFD), so such a header is now a damaged sheet.
#[test]
fn workbook_xlsb_header_past_last_column() {
    let message = workbook_error("xlsb_header_past_last_column");
    assert!(
        message.contains("past Excel's last column (XFD, 16384)"),
        "{message}"
    );
}

/// `xls_cfb_assert_on_open` through `chanmix run`, as a user meets it: exit 1 and the
/// one error line. A panic inside calamine that chanmix caught used to be printed
/// by the panic hook anyway ("thread 'main' panicked at …", and a backtrace with
/// `RUST_BACKTRACE`) before the error; `data::reader_panic` keeps it quiet.
#[test]
fn cli_shows_a_reader_panic_as_one_error() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = input("workbook", "xls_cfb_assert_on_open");
    std::fs::write(dir.path().join("deals.xls"), &bytes[1..]).unwrap();
    std::fs::write(
        dir.path().join("deals.rules"),
        "input Deals (deal_id: text)\ndeals = COUNTA(Deals.deal_id)\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("scenario.toml"),
        "rules = [\"deals.rules\"]\n[inputs.tables.Deals]\nfile = \"deals.xls\"\n",
    )
    .unwrap();
    let stderr = Chanmix::new()
        .current_dir(dir.path())
        .args(["run", "scenario.toml", "-o", "out.xlsx"])
        .env("RUST_BACKTRACE", "1")
        .status(1)
        .stderr;
    assert_eq!(
        stderr,
        "error: ./deals.xls is a damaged or truncated workbook (the reader stopped on malformed content); copy or export it again\n"
    );
    assert!(!dir.path().join("out.xlsx").exists());
}
