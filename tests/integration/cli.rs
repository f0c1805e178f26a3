//! The `chanmix` binary as a user runs it: exit codes, what is printed, and that files
//! are written (or refused) as promised.

use crate::support::command::Chanmix;
use crate::support::repo;

/// A temp folder holding a copy of the shipped rules, scenarios and sample.
fn project_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for folder in ["rules", "rules/plans", "scenarios", "scenarios/data"] {
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
    let ran = Chanmix::new()
        .args([
            "check",
            "rules",
            "scenarios/base.toml",
            "scenarios/partner_push.toml",
        ])
        .success();
    assert!(ran.stderr.contains("no problems found"), "{}", ran.stderr);
}

#[test]
fn shipped_rules_are_in_canonical_layout() {
    let ran = Chanmix::new().args(["fmt", "--check", "rules"]).output();
    assert_eq!(
        ran.code(),
        Some(0),
        "run `chanmix fmt rules`: {}",
        ran.stdout
    );
}

#[test]
fn a_typo_is_reported_with_file_line_column_and_a_suggestion() {
    let dir = project_copy();
    let path = dir.path().join("rules/channel_performance.rules");
    let text = std::fs::read_to_string(&path).unwrap();
    let broken = text.replace(
        "IF(won > 0, revenue / won, \"\")",
        "IF(won > 0, revenue / wno, \"\")",
    );
    assert_ne!(text, broken, "the fixture line must exist");
    std::fs::write(&path, &broken).unwrap();
    // The line the typo is on, counted here independently of the engine.
    let line = broken
        .lines()
        .position(|l| l.contains("revenue / wno"))
        .unwrap()
        + 1;
    let column = broken.lines().nth(line - 1).unwrap().find("wno").unwrap() + 1;

    let text = Chanmix::new()
        .current_dir(dir.path())
        .args(["check", "rules"])
        .status(1)
        .stderr;
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
    let ran = Chanmix::new()
        .current_dir(dir.path())
        .args(["check", "--format", "json", "a.rules"])
        .status(1);
    let parsed: serde_json::Value = serde_json::from_str(&ran.stdout).unwrap();
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
    let check = || Chanmix::new().current_dir(dir.path()).arg("check");
    check().arg("a.rules").status(0);
    check().args(["--deny-warnings", "a.rules"]).status(1);
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
    let fmt = || Chanmix::new().current_dir(dir.path()).arg("fmt");
    let check = fmt().args(["--check", "a.rules"]).status(1);
    assert!(check.stdout.contains("a.rules is not formatted"));
    fmt().arg("a.rules").status(0);
    let formatted = std::fs::read_to_string(&path).unwrap();
    assert!(
        formatted.contains("T.y = ROUND(x * 2, 1)  # doubled"),
        "{formatted}"
    );
    fmt().args(["--check", "a.rules"]).status(0);
}

#[test]
fn usage_errors_exit_2() {
    Chanmix::new().arg("frobnicate").status(2);
    Chanmix::new()
        .args(["compare", "scenarios/base.toml"])
        .status(2);
}

#[test]
fn run_writes_the_workbook_and_json() {
    let dir = project_copy();
    let ran = Chanmix::new()
        .current_dir(dir.path())
        .args(["run", "scenarios/base.toml", "--json"])
        .success();
    assert!(dir.path().join("out/base.xlsx").is_file());
    let json: serde_json::Value = serde_json::from_str(&ran.stdout).unwrap();
    let channels = json["tables"]["Channels"].as_array().unwrap();
    let sum: f64 = channels
        .iter()
        .map(|c| c["revenue"].as_f64().unwrap())
        .sum();
    let total = json["scalars"]["total_bookings"].as_f64().unwrap();
    assert!((sum - total).abs() < 1e-6 * total, "{sum} vs {total}");
}

#[test]
fn run_never_overwrites_an_input() {
    let dir = project_copy();
    let sample = dir.path().join("scenarios/data/crm_sample.xlsx");
    let before = std::fs::read(&sample).unwrap();
    let ran = Chanmix::new()
        .current_dir(dir.path())
        .args([
            "run",
            "scenarios/base.toml",
            "-o",
            "scenarios/data/crm_sample.xlsx",
        ])
        .status(1);
    assert!(ran.stderr.contains("crm_sample.xlsx"), "{}", ran.stderr);
    assert_eq!(
        std::fs::read(&sample).unwrap(),
        before,
        "the input is untouched"
    );
}

#[test]
fn run_into_a_missing_folder_is_a_clear_error() {
    let dir = project_copy();
    let ran = Chanmix::new()
        .current_dir(dir.path())
        .args(["run", "scenarios/base.toml", "-o", "nowhere/x.xlsx"])
        .status(1);
    assert!(
        ran.stderr.contains("the folder nowhere does not exist"),
        "{}",
        ran.stderr
    );
    assert!(!dir.path().join("nowhere").exists());
}

#[test]
fn sample_data_is_byte_identical_for_the_same_seed() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["a.xlsx", "b.xlsx"] {
        Chanmix::new()
            .current_dir(dir.path())
            .args(["sample-data", "--rows", "300", "--seed", "9", "--out", name])
            .success();
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
    Chanmix::new()
        .current_dir(dir.path())
        .args(["check", "--deny-warnings", "example.rules"])
        .success();
}
