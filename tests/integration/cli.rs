//! The `chanmix` binary as a user runs it: exit codes, what is printed, and that files
//! are written (or refused) as promised.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs chanmix in `dir` with `args`.
fn chanmix(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_chanmix"))
        .current_dir(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .env("CHANMIX_CACHE_DIR", TEST_CACHE_DIR)
        .output()
        .unwrap()
}

/// The input cache of spawned runs: under target/, never the user's home cache.
const TEST_CACHE_DIR: &str = concat!(env!("CARGO_TARGET_TMPDIR"), "/chanmix-test-cache");

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).to_string()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).to_string()
}

/// A temp folder holding a copy of the shipped rules, scenarios and sample.
fn project_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for folder in ["rules", "scenarios", "scenarios/data"] {
        std::fs::create_dir_all(dir.path().join(folder)).unwrap();
        for entry in std::fs::read_dir(repo().join(folder)).unwrap() {
            let path = entry.unwrap().path();
            if path.is_file() {
                std::fs::copy(
                    &path,
                    dir.path().join(folder).join(path.file_name().unwrap()),
                )
                .unwrap();
            }
        }
    }
    std::fs::create_dir_all(dir.path().join("out")).unwrap();
    dir
}

#[test]
fn shipped_rules_and_scenarios_check_clean() {
    let output = chanmix(
        &repo(),
        &[
            "check",
            "rules",
            "scenarios/base.toml",
            "scenarios/partner_push.toml",
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("no problems found"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn shipped_rules_are_in_canonical_layout() {
    let output = chanmix(&repo(), &["fmt", "--check", "rules"]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "run `chanmix fmt rules`: {}",
        stdout(&output)
    );
}

#[test]
fn a_typo_is_reported_with_file_line_column_and_a_suggestion() {
    let dir = project_copy();
    let path = dir.path().join("rules/channel_performance.rules");
    let text = std::fs::read_to_string(&path).unwrap();
    let broken = text.replace("IFERROR(revenue / won, 0)", "IFERROR(revenue / wno, 0)");
    assert_ne!(text, broken, "the fixture line must exist");
    std::fs::write(&path, &broken).unwrap();
    // The line the typo is on, counted here independently of the engine.
    let line = broken
        .lines()
        .position(|l| l.contains("revenue / wno"))
        .unwrap()
        + 1;
    let column = broken.lines().nth(line - 1).unwrap().find("wno").unwrap() + 1;

    let output = chanmix(dir.path(), &["check", "rules"]);
    assert_eq!(output.status.code(), Some(1));
    let text = stderr(&output);
    assert!(
        text.contains(&format!("rules/channel_performance.rules:{line}:{column}")),
        "{text}"
    );
    assert!(text.contains("did you mean `won`?"), "{text}");
    assert!(
        text.contains("revenue / wno"),
        "the source line is shown: {text}"
    );
}

#[test]
fn json_diagnostics_for_editors() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a.rules"),
        "input T (x: number)\nT.y = SUMM(x)\n",
    )
    .unwrap();
    let output = chanmix(dir.path(), &["check", "--format", "json", "a.rules"]);
    assert_eq!(output.status.code(), Some(1));
    let parsed: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let first = &parsed[0];
    assert_eq!(first["code"], "E0104");
    assert_eq!(first["line"], 2);
    assert_eq!(first["column"], 7);
}

#[test]
fn warnings_fail_only_when_denied() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a.rules"),
        "param unused = 1\ninput T (x: number)\nT.y = x * 2\n",
    )
    .unwrap();
    assert_eq!(
        chanmix(dir.path(), &["check", "a.rules"]).status.code(),
        Some(0)
    );
    assert_eq!(
        chanmix(dir.path(), &["check", "--deny-warnings", "a.rules"])
            .status
            .code(),
        Some(1)
    );
}

#[test]
fn fmt_rewrites_once_and_check_mode_reports() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.rules");
    std::fs::write(
        &path,
        "input T (x: number)\nT.y=round( x*2 ,1)   # doubled\n",
    )
    .unwrap();
    let check = chanmix(dir.path(), &["fmt", "--check", "a.rules"]);
    assert_eq!(check.status.code(), Some(1));
    assert!(stdout(&check).contains("a.rules is not formatted"));
    assert_eq!(
        chanmix(dir.path(), &["fmt", "a.rules"]).status.code(),
        Some(0)
    );
    let formatted = std::fs::read_to_string(&path).unwrap();
    assert!(
        formatted.contains("T.y = ROUND(x * 2, 1)  # doubled"),
        "{formatted}"
    );
    assert_eq!(
        chanmix(dir.path(), &["fmt", "--check", "a.rules"])
            .status
            .code(),
        Some(0)
    );
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(chanmix(&repo(), &["frobnicate"]).status.code(), Some(2));
    assert_eq!(
        chanmix(&repo(), &["compare", "scenarios/base.toml"])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn run_writes_the_workbook_and_json() {
    let dir = project_copy();
    let output = chanmix(dir.path(), &["run", "scenarios/base.toml", "--json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(dir.path().join("out/base.xlsx").is_file());
    let json: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let channels = json["tables"]["Channels"].as_array().unwrap();
    let sum: f64 = channels
        .iter()
        .map(|c| c["revenue"].as_f64().unwrap())
        .sum();
    let total = json["scalars"]["total_revenue"].as_f64().unwrap();
    assert!((sum - total).abs() < 1e-6 * total, "{sum} vs {total}");
}

#[test]
fn run_never_overwrites_an_input() {
    let dir = project_copy();
    let sample = dir.path().join("scenarios/data/crm_sample.xlsx");
    let before = std::fs::read(&sample).unwrap();
    let output = chanmix(
        dir.path(),
        &[
            "run",
            "scenarios/base.toml",
            "-o",
            "scenarios/data/crm_sample.xlsx",
        ],
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("crm_sample.xlsx"),
        "{}",
        stderr(&output)
    );
    assert_eq!(
        std::fs::read(&sample).unwrap(),
        before,
        "the input is untouched"
    );
}

#[test]
fn run_into_a_missing_folder_is_a_clear_error() {
    let dir = project_copy();
    let output = chanmix(
        dir.path(),
        &["run", "scenarios/base.toml", "-o", "nowhere/x.xlsx"],
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("the folder nowhere does not exist"),
        "{}",
        stderr(&output)
    );
    assert!(!dir.path().join("nowhere").exists());
}

#[test]
fn sample_data_is_byte_identical_for_the_same_seed() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["a.xlsx", "b.xlsx"] {
        let output = chanmix(
            dir.path(),
            &["sample-data", "--rows", "300", "--seed", "9", "--out", name],
        );
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    }
    assert_eq!(
        std::fs::read(dir.path().join("a.xlsx")).unwrap(),
        std::fs::read(dir.path().join("b.xlsx")).unwrap()
    );
}

#[test]
fn the_readme_rule_example_checks_clean() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let example = readme
        .split("```text\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("README has a ```text rule example");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("example.rules"), example).unwrap();
    let output = chanmix(dir.path(), &["check", "--deny-warnings", "example.rules"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}
