//! Files and inputs from anyone (issue #18): outputs that cannot clobber a device, a
//! FIFO, a link or someone else's file; inputs that are never a device or a FIFO (and
//! never echoed when they are not what they claim); `fmt` that keeps links, modes,
//! BOMs and line ends and never writes what it would reject; texts over Excel's cell
//! limit shortened and listed, not fatal; terminal escapes shown, not obeyed; and an
//! input cache whose entries cannot be forged without the user's key.
//!
//! Every case runs the real binary in a folder of its own, each with a time limit, so
//! a read that blocks on a FIFO fails the test instead of hanging it. Cases that need
//! root (device nodes) skip visibly elsewhere and fail under `CI=true`.

// Test helpers outside #[test] fns fail loudly on purpose.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use chanmix::data::{CacheUse, InputCache, read_inputs};

use crate::support::command::{Chanmix, Ran};
use crate::support::{spec, xlsx};

const RULES: &str = "input Deals (deal_id: text, channel: text, amount: number)

table Channels = group Deals by channel
Channels.revenue = SUM(Deals.amount)

total_revenue = SUM(Channels.revenue)
";

const CSV: &str = "deal_id,channel,amount\nD-1,Direct,100\nD-2,Partner,250\nD-3,Direct,50\n";

const SCENARIO: &str = "name  = \"hostile\"
rules = [\"deals.rules\"]

[inputs.tables.Deals]
file = \"deals.csv\"
key  = \"deal_id\"
";

/// A folder with `deals.rules`, `deals.csv`, `scenario.toml` (plus `extra` TOML at its
/// end) and an empty `out/`.
fn case(extra: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("deals.rules"), RULES).unwrap();
    std::fs::write(dir.path().join("deals.csv"), CSV).unwrap();
    std::fs::write(
        dir.path().join("scenario.toml"),
        format!("{SCENARIO}{extra}"),
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("out")).unwrap();
    dir
}

/// `chanmix ARGS` in `dir` with a cache of its own, stopped (and the test failed) if
/// it runs for more than a minute.
fn chanmix(dir: &Path, args: &[&str]) -> Ran {
    Chanmix::new()
        .current_dir(dir)
        .cache_dir(dir.join("cache"))
        .args(args)
        .spawn()
        .wait_at_most(Duration::from_secs(60))
}

fn mkfifo(path: &Path) {
    let done = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap();
    assert!(done.success(), "mkfifo {}", path.display());
}

/// What a path is, links not followed.
fn kind(path: &Path) -> &'static str {
    let file_type = std::fs::symlink_metadata(path).unwrap().file_type();
    if file_type.is_symlink() {
        "link"
    } else if file_type.is_fifo() {
        "fifo"
    } else if file_type.is_char_device() {
        "char device"
    } else if file_type.is_socket() {
        "socket"
    } else if file_type.is_dir() {
        "folder"
    } else {
        "file"
    }
}

/// The names in a folder, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().mode() & 0o7777
}

/// Whether this process may make device nodes; when not, says so where `cargo test`
/// shows it and skips, except under `CI=true` (CI runs as root), where it fails.
fn root_or_skip(test: &str) -> bool {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        return true;
    }
    let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false");
    assert!(!ci, "{test} needs root under CI (device nodes)");
    use std::io::Write;
    let _ = std::io::stderr()
        .write_all(format!("SKIPPED root-only check in {test}: not running as root\n").as_bytes());
    false
}

/// Checks that a run failed (exit 1) saying `what`.
#[track_caller]
fn failed_saying(ran: &Ran, what: &str) {
    assert_eq!(
        ran.code(),
        Some(1),
        "`{}` must fail saying {what:?}:\n{}",
        ran.shown,
        ran.stderr
    );
    assert!(
        ran.stderr.contains(what),
        "`{}` must say {what:?}:\n{}",
        ran.shown,
        ran.stderr
    );
}

// ------------------------------------------------------------------ outputs

#[test]
fn output_onto_a_fifo_is_refused_and_the_fifo_stays() {
    let dir = case("");
    let fifo = dir.path().join("out/fifo.xlsx");
    mkfifo(&fifo);
    let ran = chanmix(dir.path(), &["run", "scenario.toml", "-o", "out/fifo.xlsx"]);
    assert_eq!(ran.code(), Some(1), "{}", ran.stderr);
    assert_eq!(
        ran.stderr,
        "error: refusing to write out/fifo.xlsx: it is a FIFO (named pipe); chanmix only replaces regular files\n"
    );
    assert_eq!(kind(&fifo), "fifo");
    assert_eq!(names(&dir.path().join("out")), ["fifo.xlsx"]);
    // compare checks the same way.
    let ran = chanmix(
        dir.path(),
        &[
            "compare",
            "scenario.toml",
            "scenario.toml",
            "-o",
            "out/fifo.xlsx",
        ],
    );
    failed_saying(&ran, "it is a FIFO");
    assert_eq!(kind(&fifo), "fifo");
}

#[test]
fn output_onto_dev_null_is_refused_and_dev_null_stays() {
    // As root a regression here would replace the machine's /dev/null: root runs the
    // same check on a device node of its own (the next test).
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        return;
    }
    let dir = case("");
    let before = std::fs::metadata("/dev/null").unwrap();
    let ran = chanmix(dir.path(), &["run", "scenario.toml", "-o", "/dev/null"]);
    assert_eq!(ran.code(), Some(1), "{}", ran.stderr);
    assert_eq!(
        ran.stderr,
        "error: refusing to write /dev/null: it is a character device; chanmix only replaces regular files\n"
    );
    let after = std::fs::metadata("/dev/null").unwrap();
    assert!(after.file_type().is_char_device());
    assert_eq!((after.ino(), after.rdev()), (before.ino(), before.rdev()));
}

#[test]
fn output_onto_a_device_node_with_the_right_extension_is_refused() {
    if !root_or_skip("output_onto_a_device_node_with_the_right_extension_is_refused") {
        return;
    }
    let dir = case("");
    let device = dir.path().join("out/device.xlsx");
    // The same device as /dev/null (character 1, 3).
    let done = std::process::Command::new("mknod")
        .arg(&device)
        .args(["c", "1", "3"])
        .status()
        .unwrap();
    assert!(done.success());
    let ran = chanmix(
        dir.path(),
        &["run", "scenario.toml", "-o", "out/device.xlsx"],
    );
    failed_saying(
        &ran,
        "refusing to write out/device.xlsx: it is a character device; chanmix only replaces regular files\n",
    );
    assert_eq!(kind(&device), "char device");
    let ran = chanmix(
        dir.path(),
        &[
            "sample-data",
            "--rows",
            "5",
            "--out",
            "out/device.xlsx",
            "--force",
        ],
    );
    assert_eq!(ran.code(), Some(1), "--force never replaces a device");
    assert_eq!(kind(&device), "char device");
}

#[test]
fn output_onto_a_socket_or_a_folder_is_refused() {
    let dir = case("");
    let socket = dir.path().join("out/socket.xlsx");
    let _listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    let ran = chanmix(
        dir.path(),
        &["run", "scenario.toml", "-o", "out/socket.xlsx", "--force"],
    );
    failed_saying(&ran, "it is a socket");
    assert_eq!(kind(&socket), "socket");
    let folder = dir.path().join("out/folder.xlsx");
    std::fs::create_dir(&folder).unwrap();
    let ran = chanmix(
        dir.path(),
        &["run", "scenario.toml", "-o", "out/folder.xlsx"],
    );
    failed_saying(&ran, "it is a folder");
    assert_eq!(names(&folder), Vec::<String>::new());
}

#[test]
fn output_onto_a_symlink_is_refused_and_neither_link_nor_target_changes() {
    let dir = case("");
    let target = dir.path().join("precious.xlsx");
    std::fs::write(&target, "keep me").unwrap();
    let link = dir.path().join("out/link.xlsx");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let ran = chanmix(
        dir.path(),
        &["run", "scenario.toml", "-o", "out/link.xlsx", "--force"],
    );
    failed_saying(&ran, "it is a symbolic link (to ");
    assert_eq!(kind(&link), "link");
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep me");
}

#[test]
fn only_chanmix_workbooks_are_replaced_without_force_and_modes_are_kept() {
    let dir = case("");
    let out = dir.path().join("out/report.xlsx");
    std::fs::write(&out, "the user's own notes").unwrap();
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o600)).unwrap();
    let ran = chanmix(
        dir.path(),
        &["run", "scenario.toml", "-o", "out/report.xlsx"],
    );
    assert_eq!(ran.code(), Some(1), "{}", ran.stderr);
    assert_eq!(
        ran.stderr,
        "error: refusing to replace out/report.xlsx: chanmix did not write it (it is not an .xlsx workbook) — choose another path, or pass --force to replace it\n"
    );
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        "the user's own notes"
    );
    // --force replaces it; the file keeps its owner-only mode.
    chanmix(
        dir.path(),
        &["run", "scenario.toml", "-o", "out/report.xlsx", "--force"],
    )
    .expect_code(0);
    assert_eq!(mode(&out), 0o600);
    // Now it is chanmix's: the next run replaces it without --force, mode still kept.
    let first = std::fs::read(&out).unwrap();
    chanmix(
        dir.path(),
        &["run", "scenario.toml", "-o", "out/report.xlsx"],
    )
    .expect_code(0);
    assert_eq!(mode(&out), 0o600);
    assert_eq!(std::fs::read(&out).unwrap(), first);
    assert_eq!(names(&dir.path().join("out")), ["report.xlsx"]);
}

/// `path`'s workbook with `docProps/core.xml` replaced by `core`.
fn with_core_properties(path: &Path, core: &str) {
    let bytes = std::fs::read(path).unwrap();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).unwrap();
        let name = entry.name().unwrap().to_string();
        out.start_file(name.as_str(), zip::write::SimpleFileOptions::default())
            .unwrap();
        if name == "docProps/core.xml" {
            std::io::Write::write_all(&mut out, core.as_bytes()).unwrap();
        } else {
            std::io::copy(&mut entry, &mut out).unwrap();
        }
    }
    std::fs::write(path, out.finish().unwrap().into_inner()).unwrap();
}

#[test]
fn a_workbook_someone_saved_after_chanmix_wrote_it_needs_force() {
    let dir = case("");
    let out = dir.path().join("out/report.xlsx");
    chanmix(
        dir.path(),
        &["run", "scenario.toml", "-o", "out/report.xlsx"],
    )
    .expect_code(0);
    // What Excel leaves after Ana saved her edits: the author stays, "last saved by" is hers.
    with_core_properties(
        &out,
        "<cp:coreProperties><dc:creator>chanmix</dc:creator>\
         <cp:lastModifiedBy>Ana</cp:lastModifiedBy></cp:coreProperties>",
    );
    let edited = std::fs::read(&out).unwrap();
    let ran = chanmix(
        dir.path(),
        &["run", "scenario.toml", "-o", "out/report.xlsx"],
    );
    failed_saying(
        &ran,
        "chanmix did not write it (it was saved by \"Ana\" after chanmix wrote it)",
    );
    assert_eq!(std::fs::read(&out).unwrap(), edited);
}

#[test]
fn a_scenario_output_outside_its_folder_is_checked_the_same_way() {
    let root = tempfile::tempdir().unwrap();
    let nested = root.path().join("a/b");
    std::fs::create_dir_all(&nested).unwrap();
    std::fs::write(nested.join("deals.rules"), RULES).unwrap();
    std::fs::write(nested.join("deals.csv"), CSV).unwrap();
    let victim = root.path().join("victim.xlsx");
    std::fs::write(&victim, "not a workbook").unwrap();
    for written in ["../../victim.xlsx", victim.to_str().unwrap()] {
        std::fs::write(
            nested.join("scenario.toml"),
            format!("{SCENARIO}\n[output]\nworkbook = \"{written}\"\n"),
        )
        .unwrap();
        let ran = chanmix(&nested, &["run", "scenario.toml"]);
        failed_saying(&ran, "chanmix did not write it");
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "not a workbook");
    }
    // Any extension is refused by `check` already.
    std::fs::write(
        nested.join("scenario.toml"),
        format!("{SCENARIO}\n[output]\nworkbook = \"../../.bashrc\"\n"),
    )
    .unwrap();
    let ran = chanmix(&nested, &["check", "scenario.toml"]);
    failed_saying(
        &ran,
        "[S0007] Error: `output.workbook` must name an .xlsx workbook",
    );
}

#[test]
fn output_json_is_written_or_rejected_by_check() {
    let dir = case("\n[output]\njson = \"out/result.json\"\n");
    let ran = chanmix(dir.path(), &["run", "scenario.toml"]);
    assert_eq!(ran.code(), Some(0), "{}", ran.stderr);
    assert!(
        ran.stderr.contains("\nwrote out/result.json\n"),
        "{}",
        ran.stderr
    );
    assert!(
        ran.stdout.is_empty(),
        "the file, not stdout: {}",
        ran.stdout
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("out/result.json")).unwrap())
            .unwrap();
    // 100 + 250 + 50, by hand.
    assert_eq!(json["scalars"]["total_revenue"], 400.0);
    assert!(json["generator"].as_str().unwrap().starts_with("chanmix "));
    // Its own JSON is replaced; someone else's is not.
    chanmix(dir.path(), &["run", "scenario.toml"]).expect_code(0);
    std::fs::write(dir.path().join("out/result.json"), "{\"mine\": true}").unwrap();
    let ran = chanmix(dir.path(), &["run", "scenario.toml"]);
    failed_saying(
        &ran,
        "chanmix did not write it (it is JSON that chanmix did not write)",
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("out/result.json")).unwrap(),
        "{\"mine\": true}"
    );
    // A JSON path without .json is an error `check` finds.
    let dir = case("\n[output]\njson = \"out/result.txt\"\n");
    let ran = chanmix(dir.path(), &["check", "scenario.toml"]);
    failed_saying(&ran, "`output.json` must name a .json file: out/result.txt");
}

#[test]
fn an_output_needs_its_extension() {
    let dir = case("");
    let ran = chanmix(
        dir.path(),
        &["run", "scenario.toml", "-o", "out/report.csv"],
    );
    assert_eq!(ran.code(), Some(1), "{}", ran.stderr);
    assert_eq!(
        ran.stderr,
        "error: cannot write out/report.csv: a workbook must end in .xlsx — choose a path like out/report.xlsx\n"
    );
    assert!(names(&dir.path().join("out")).is_empty());
}

#[test]
fn sample_data_replaces_only_sample_and_chanmix_workbooks() {
    let dir = case("");
    let args = ["sample-data", "--rows", "5", "--out", "out/s.xlsx"];
    chanmix(dir.path(), &args).expect_code(0);
    chanmix(dir.path(), &args).expect_code(0);
    std::fs::write(dir.path().join("out/s.xlsx"), "mine").unwrap();
    let ran = chanmix(dir.path(), &args);
    failed_saying(&ran, "chanmix did not write it");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("out/s.xlsx")).unwrap(),
        "mine"
    );
    let mut forced = args.to_vec();
    forced.push("--force");
    chanmix(dir.path(), &forced).expect_code(0);
    // A run workbook may be replaced by a sample and the other way round.
    chanmix(dir.path(), &["run", "scenario.toml", "-o", "out/s.xlsx"]).expect_code(0);
    chanmix(dir.path(), &args).expect_code(0);
}

// ------------------------------------------------------------------ inputs

#[test]
fn a_rule_path_that_is_not_a_rule_file_is_never_read_or_echoed() {
    let dir = case("");
    std::fs::write(
        dir.path().join("secret.txt"),
        "TOP-SECRET-LINE = 1\nanother secret line\n",
    )
    .unwrap();
    for rules in ["secret.txt", "/etc/passwd"] {
        std::fs::write(
            dir.path().join("scenario.toml"),
            SCENARIO.replace("[\"deals.rules\"]", &format!("[\"{rules}\"]")),
        )
        .unwrap();
        for args in [
            &["run", "scenario.toml", "-o", "out/x.xlsx"][..],
            &["check", "scenario.toml"],
        ] {
            let ran = chanmix(dir.path(), args);
            failed_saying(&ran, "it is not a rule file (rule files end in .rules)");
            assert!(!ran.stderr.contains("SECRET"), "{}", ran.stderr);
            assert!(!ran.stderr.contains("secret line"), "{}", ran.stderr);
            assert!(!ran.stderr.contains("root:"), "{}", ran.stderr);
        }
    }
    // Named directly, too.
    let ran = chanmix(dir.path(), &["check", "secret.txt"]);
    assert_eq!(ran.code(), Some(1));
    assert_eq!(
        ran.stderr,
        "error: cannot read secret.txt: it is not a rule file (rule files end in .rules)\n"
    );
}

#[test]
fn a_fifo_or_device_as_rule_file_scenario_or_input_fails_at_once() {
    let dir = case("");
    // A rule file that is a FIFO.
    std::fs::remove_file(dir.path().join("deals.rules")).unwrap();
    mkfifo(&dir.path().join("deals.rules"));
    for args in [
        &["run", "scenario.toml", "-o", "out/x.xlsx"][..],
        &["check", "scenario.toml"],
        &["check", "deals.rules"],
        &["fmt", "deals.rules"],
    ] {
        let ran = chanmix(dir.path(), args);
        failed_saying(&ran, "it is a FIFO (named pipe), not a regular file");
    }
    std::fs::remove_file(dir.path().join("deals.rules")).unwrap();
    std::fs::write(dir.path().join("deals.rules"), RULES).unwrap();

    // An input that is a FIFO, or a link to /dev/zero.
    std::fs::remove_file(dir.path().join("deals.csv")).unwrap();
    mkfifo(&dir.path().join("deals.csv"));
    let ran = chanmix(dir.path(), &["run", "scenario.toml", "-o", "out/x.xlsx"]);
    failed_saying(
        &ran,
        "`inputs.tables.Deals.file` is a FIFO (named pipe), not a file",
    );
    std::fs::remove_file(dir.path().join("deals.csv")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", dir.path().join("deals.csv")).unwrap();
    let ran = chanmix(dir.path(), &["run", "scenario.toml", "-o", "out/x.xlsx"]);
    failed_saying(&ran, "is a character device, not a file");

    // `extends` naming a FIFO, /dev/zero, or a .toml link to it.
    mkfifo(&dir.path().join("base.toml"));
    std::os::unix::fs::symlink("/dev/zero", dir.path().join("zero.toml")).unwrap();
    let expected = [
        ("base.toml", "it is a FIFO (named pipe), not a regular file"),
        (
            "/dev/zero",
            "it is not a scenario file (scenario files end in .toml)",
        ),
        ("zero.toml", "it is a character device, not a regular file"),
    ];
    for (target, reason) in expected {
        std::fs::write(
            dir.path().join("child.toml"),
            format!("extends = \"{target}\"\n"),
        )
        .unwrap();
        let ran = chanmix(dir.path(), &["check", "child.toml"]);
        failed_saying(
            &ran,
            &format!(
                "[S0005] Error: cannot read `{target}`, which this scenario extends: {reason}"
            ),
        );
    }
    // The scenario itself must be a .toml file.
    let ran = chanmix(dir.path(), &["run", "deals.rules", "-o", "out/x.xlsx"]);
    failed_saying(
        &ran,
        "cannot read scenario file deals.rules: it is not a scenario file (scenario files end in .toml)",
    );
}

// ------------------------------------------------------------------ fmt

#[test]
fn fmt_formats_rule_files_only_with_one_line_for_anything_else() {
    let ran = Chanmix::new()
        .args(["fmt", "--check", "rules/", "scenarios/base.toml"])
        .spawn()
        .wait_at_most(Duration::from_secs(60));
    assert_eq!(ran.code(), Some(1), "{}", ran.stderr);
    assert_eq!(
        ran.stderr,
        "error: cannot read scenarios/base.toml: it is not a rule file (rule files end in .rules)\n"
    );
    assert_eq!(ran.stdout, "", "the shipped rules are formatted");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "x=1\n").unwrap();
    let ran = chanmix(dir.path(), &["fmt", "notes.txt"]);
    assert_eq!(ran.code(), Some(1));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("notes.txt")).unwrap(),
        "x=1\n"
    );
}

#[test]
fn fmt_writes_through_links_keeps_hard_links_and_permissions() {
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("real.rules");
    std::fs::write(&real, "x = 1+2\n").unwrap();
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o640)).unwrap();
    let link = dir.path().join("link.rules");
    std::os::unix::fs::symlink("real.rules", &link).unwrap();
    let hard = dir.path().join("hard.rules");
    std::fs::hard_link(&real, &hard).unwrap();
    let inode = std::fs::metadata(&real).unwrap().ino();

    chanmix(dir.path(), &["fmt", "link.rules"]).expect_code(0);
    assert_eq!(kind(&link), "link");
    assert_eq!(std::fs::read_to_string(&real).unwrap(), "x = 1 + 2\n");
    assert_eq!(std::fs::read_to_string(&hard).unwrap(), "x = 1 + 2\n");
    assert_eq!(std::fs::metadata(&real).unwrap().ino(), inode);
    assert_eq!(std::fs::metadata(&real).unwrap().nlink(), 2);
    assert_eq!(mode(&real), 0o640);

    // A file with one name is replaced atomically, keeping its mode.
    let solo = dir.path().join("solo.rules");
    std::fs::write(&solo, "y=3\n").unwrap();
    std::fs::set_permissions(&solo, std::fs::Permissions::from_mode(0o600)).unwrap();
    chanmix(dir.path(), &["fmt", "solo.rules"]).expect_code(0);
    assert_eq!(std::fs::read_to_string(&solo).unwrap(), "y = 3\n");
    assert_eq!(mode(&solo), 0o600);
    assert_eq!(
        names(dir.path()),
        ["hard.rules", "link.rules", "real.rules", "solo.rules"],
        "no temporary file left"
    );
}

#[test]
fn fmt_never_writes_a_statement_it_would_reject() {
    let dir = tempfile::tempdir().unwrap();
    // 9,980 arguments: 19,987 characters as written, 29,966 with a space after each
    // comma — past the parser's 20,000.
    let long = format!("total = SUM({})", vec!["1"; 9_980].join(","));
    assert!(long.len() < 20_000 && long.len() + 9_979 > 20_000);
    let text = format!("small=1+1\n{long}\n");
    std::fs::write(dir.path().join("long.rules"), &text).unwrap();
    chanmix(dir.path(), &["check", "long.rules"]).expect_code(0);
    chanmix(dir.path(), &["fmt", "long.rules"]).expect_code(0);
    let formatted = std::fs::read_to_string(dir.path().join("long.rules")).unwrap();
    // The short statement is formatted; the long one stays as written.
    assert_eq!(formatted, format!("small = 1 + 1\n{long}\n"));
    chanmix(dir.path(), &["check", "long.rules"]).expect_code(0);
    chanmix(dir.path(), &["fmt", "--check", "long.rules"]).expect_code(0);
}

#[test]
fn fmt_accepts_and_keeps_a_bom_and_windows_line_ends() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("windows.rules");
    std::fs::write(
        &path,
        "\u{feff}param a = 1\r\nx = a+1   # note\r\n\r\n\r\n# end\r\n",
    )
    .unwrap();
    chanmix(dir.path(), &["check", "windows.rules"]).expect_code(0);
    chanmix(dir.path(), &["fmt", "--check", "windows.rules"]).expect_code(1);
    chanmix(dir.path(), &["fmt", "windows.rules"]).expect_code(0);
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "\u{feff}param a = 1\r\nx = a + 1  # note\r\n\r\n# end\r\n"
    );
    chanmix(dir.path(), &["fmt", "--check", "windows.rules"]).expect_code(0);
}

// ------------------------------------------------------------------ long text

#[test]
fn texts_over_excels_cell_limit_are_shortened_listed_and_whole_in_json() {
    let long_channel = "L".repeat(40_000);
    let dir = case("");
    std::fs::write(
        dir.path().join("scenario.toml"),
        format!("description = \"{}\"\n{SCENARIO}", "D".repeat(40_000)),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("deals.csv"),
        format!("deal_id,channel,amount\nD-1,{long_channel},100\nD-2,Direct,5\n"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("deals.rules"),
        format!("{RULES}flag Channels when revenue > 50: \"{{channel}}\"\n"),
    )
    .unwrap();
    let ran = chanmix(
        dir.path(),
        &["run", "scenario.toml", "-o", "out/r.xlsx", "--json"],
    );
    assert_eq!(ran.code(), Some(0), "{}", ran.stderr);
    // The JSON keeps every text whole.
    let json: serde_json::Value = serde_json::from_str(&ran.stdout).unwrap();
    assert_eq!(json["flags"].as_array().unwrap().len(), 1, "{}", ran.stderr);
    assert_eq!(json["flags"][0]["message"], long_channel.as_str());
    // The workbook holds them shortened to exactly a cell's worth, marked at the cut.
    let bytes = std::fs::read(dir.path().join("out/r.xlsx")).unwrap();
    let channels = xlsx::values(&bytes, "Channels");
    let row = (0..channels.height() as u32)
        .find(|r| matches!(xlsx::at(&channels, *r, 0), calamine::Data::String(s) if s.starts_with("LLL")))
        .expect("the long channel's row");
    let calamine::Data::String(cell) = xlsx::at(&channels, row, 0) else {
        unreachable!()
    };
    assert_eq!(cell.chars().count(), 32_767);
    assert!(cell.ends_with(
        " … [cut: 40,000 characters in all — the run's JSON output has the whole text]"
    ));
    // Data Quality names each shortened cell; the console too.
    let quality = xlsx::values(&bytes, "Data Quality");
    let listed: Vec<String> = (0..quality.height() as u32)
        .filter_map(|r| match xlsx::at(&quality, r, 1) {
            calamine::Data::String(s) if s == "this workbook" => {
                Some(xlsx::at(&quality, r, 2).to_string())
            }
            _ => None,
        })
        .collect();
    let channel_cell = format!("'Channels'!A{}", row + 1);
    assert!(listed.contains(&channel_cell), "{listed:?}");
    assert!(
        listed.iter().any(|c| c.starts_with("'Recommendations'!")),
        "{listed:?}"
    );
    assert!(
        listed.iter().any(|c| c.starts_with("'Dashboard'!")),
        "{listed:?}"
    );
    assert!(
        ran.stderr.contains(
            "texts longer than an Excel cell holds (32,767 characters) were shortened in the workbook"
        ),
        "{}",
        ran.stderr
    );
    assert!(
        ran.stderr
            .contains(&format!("  {channel_cell} (40,000 characters)\n")),
        "{}",
        ran.stderr
    );
    // `check` warned about the description before any run.
    let ran = chanmix(dir.path(), &["check", "scenario.toml"]);
    assert_eq!(ran.code(), Some(0), "{}", ran.stderr);
    assert!(
        ran.stderr.contains(
            "[S0020] Warning: `description` is 40000 characters long; an Excel cell holds 32767"
        ),
        "{}",
        &ran.stderr[..ran.stderr.len().min(2000)]
    );
}

// ------------------------------------------------------------------ terminal

/// Every ESC in `text` starts a colour sequence (`ESC [ digits ; … m`).
fn only_colour_escapes(text: &str) -> bool {
    text.match_indices('\u{1b}').all(|(at, _)| {
        let rest = &text[at + 1..];
        rest.strip_prefix('[').is_some_and(|params| {
            let digits = params
                .bytes()
                .take_while(|b| b.is_ascii_digit() || *b == b';')
                .count();
            params.as_bytes().get(digits) == Some(&b'm')
        })
    })
}

/// Checks that no ESC or BEL reached the output and that `escaped` shows them.
#[track_caller]
fn shows_escaped(ran: &Ran, escaped: &str) {
    assert!(
        !ran.stderr.contains(['\u{1b}', '\u{7}']),
        "{:?}",
        ran.stderr
    );
    assert!(ran.stderr.contains(escaped), "{:?}", ran.stderr);
}

#[test]
fn escape_sequences_from_paths_and_files_are_shown_not_obeyed() {
    let dir = case("");
    // An output path that would retitle the terminal.
    let evil = "out/\u{1b}]0;pwned\u{7}.xlsx";
    let ran = chanmix(dir.path(), &["run", "scenario.toml", "-o", evil]);
    assert_eq!(ran.code(), Some(0), "{}", ran.stderr);
    shows_escaped(&ran, "wrote out/\\x1B]0;pwned\\x07.xlsx\n");
    // Rule text shown in a diagnostic: a comment that clears the screen, on a line
    // with an error.
    std::fs::write(
        dir.path().join("evil.rules"),
        "x = 1 +  # \u{1b}[2J\u{1b}]0;pwned\u{7}\n",
    )
    .unwrap();
    let ran = chanmix(dir.path(), &["check", "evil.rules"]);
    assert_eq!(ran.code(), Some(1), "{}", ran.stderr);
    shows_escaped(&ran, "\\x1B[2J\\x1B]0;pwned\\x07");
    // With colour on, only chanmix's own colour sequences reach the terminal.
    let ran = chanmix(dir.path(), &["check", "--color", "always", "evil.rules"]);
    assert!(ran.stderr.contains('\u{1b}'), "coloured: {:?}", ran.stderr);
    assert!(only_colour_escapes(&ran.stderr), "{:?}", ran.stderr);
    // A header from the data, echoed in an error.
    std::fs::write(
        dir.path().join("deals.csv"),
        "deal_id,chan\u{1b}]0;x\u{7}nel,amount\nD-1,Direct,1\n",
    )
    .unwrap();
    let ran = chanmix(dir.path(), &["run", "scenario.toml", "-o", "out/y.xlsx"]);
    assert_eq!(ran.code(), Some(1), "{}", ran.stderr);
    shows_escaped(&ran, "chan\\x1B]0;x\\x07nel");
}

// ------------------------------------------------------------------ cache

/// Where an entry's header keeps the payload's checksum, and where the payload starts:
/// magic (8), format version (4), reserved (4), key (32), payload length (8), checksum (32).
const CHECKSUM_AT: usize = 56;
const PAYLOAD_AT: usize = 88;

#[test]
fn an_entry_changed_with_a_recomputed_checksum_is_a_miss_with_the_right_result() {
    let data = tempfile::tempdir().unwrap();
    std::fs::write(data.path().join("deals.csv"), CSV).unwrap();
    let spec = spec(
        r#"
    [tables.Deals]
    file = "deals.csv"
    key = "deal_id"
    columns = { deal_id = "text", channel = "text", amount = "number" }
"#,
    );
    let cache_dir = tempfile::tempdir().unwrap();
    let cache = InputCache::at(cache_dir.path());
    let cold = read_inputs(&spec, data.path(), None).unwrap();
    assert_eq!(
        cache.read_inputs(&spec, data.path(), None).unwrap().1,
        CacheUse::Stored
    );
    let entry = std::fs::read_dir(cache_dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with(".chanmix-cache"))
        .unwrap();
    let good = std::fs::read(&entry).unwrap();
    let payload_len = good.len() - PAYLOAD_AT;
    // One bit flipped in every byte position of the payload in turn (a different bit
    // each time), the header's checksum recomputed the way anyone without the key
    // would: plain BLAKE3, or BLAKE3 keyed with a key of their own.
    let mut tried = 0;
    for position in 0..payload_len {
        for forged_key in [None, Some([0x5Au8; 32])] {
            let mut bytes = good.clone();
            bytes[PAYLOAD_AT + position] ^= 1 << (position % 8);
            let payload = &bytes[PAYLOAD_AT..];
            let checksum = match forged_key {
                None => blake3::hash(payload),
                Some(key) => blake3::keyed_hash(&key, payload),
            };
            bytes[CHECKSUM_AT..PAYLOAD_AT].copy_from_slice(checksum.as_bytes());
            std::fs::write(&entry, &bytes).unwrap();
            let (read, used) = cache.read_inputs(&spec, data.path(), None).unwrap();
            assert_eq!(used, CacheUse::Stored, "byte {position}: a miss, replaced");
            assert_eq!(read.tables, cold.tables, "byte {position}");
            assert_eq!(read.quality, cold.quality, "byte {position}");
            tried += 1;
        }
    }
    assert!(tried >= 200, "only {tried} mutations");
    // The untouched entry is a hit.
    std::fs::write(&entry, &good).unwrap();
    assert_eq!(
        cache.read_inputs(&spec, data.path(), None).unwrap().1,
        CacheUse::Hit
    );
}

#[test]
fn the_cache_folder_is_made_private_and_a_shared_one_is_not_used() {
    let dir = case("");
    let cache = dir.path().join("cache");
    chanmix(dir.path(), &["run", "scenario.toml", "-o", "out/a.xlsx"]).expect_code(0);
    assert_eq!(mode(&cache), 0o700);
    assert_eq!(mode(&cache.join("secret.key")), 0o600);
    // A folder anyone may write to: the run reads the files, stores nothing, and says why.
    std::fs::set_permissions(&cache, std::fs::Permissions::from_mode(0o777)).unwrap();
    chanmix(dir.path(), &["cache", "clear"]).expect_code(0);
    let ran = chanmix(dir.path(), &["run", "scenario.toml", "-o", "out/a.xlsx"]);
    assert_eq!(ran.code(), Some(0), "{}", ran.stderr);
    assert!(
        ran.stderr.contains("is writable by other users (mode 777)"),
        "{}",
        ran.stderr
    );
    assert_eq!(names(&cache), ["secret.key"]);
}

/// This machine's tag in the cache's temporary file names: the first 8 hex digits of
/// the BLAKE3 of its host name.
fn host_tag() -> String {
    let mut buffer = [0u8; 256];
    // SAFETY: gethostname writes at most `len` bytes into the buffer.
    assert_eq!(
        unsafe { libc::gethostname(buffer.as_mut_ptr().cast(), buffer.len()) },
        0
    );
    let end = buffer.iter().position(|b| *b == 0).unwrap();
    blake3::hash(&buffer[..end]).to_hex()[..8].to_string()
}

#[test]
fn a_killed_runs_temporary_file_is_removed_by_the_next_run() {
    let dir = case("");
    let cache = dir.path().join("cache");
    std::fs::create_dir(&cache).unwrap();
    std::fs::set_permissions(&cache, std::fs::Permissions::from_mode(0o700)).unwrap();
    // A process that has ended (and been reaped): its pid names no process now.
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let dead = child.id();
    child.wait().unwrap();
    let host = host_tag();
    let orphan = format!(".{host}.{dead}.AbC123.chanmix-cache.tmp");
    let alive = format!(".{host}.{}.XyZ789.chanmix-cache.tmp", std::process::id());
    let elsewhere = format!(".00000000.{dead}.QqQ111.chanmix-cache.tmp");
    for name in [&orphan, &alive, &elsewhere] {
        std::fs::write(cache.join(name), vec![0u8; 4096]).unwrap();
    }
    chanmix(dir.path(), &["run", "scenario.toml", "-o", "out/a.xlsx"]).expect_code(0);
    let left = names(&cache);
    assert!(!left.contains(&orphan), "{left:?}");
    assert!(
        left.contains(&alive),
        "a live writer's file stays: {left:?}"
    );
    assert!(
        left.contains(&elsewhere),
        "another machine's file stays (until a day old): {left:?}"
    );
}

#[test]
fn a_cache_entry_that_is_a_fifo_does_not_hang_the_run() {
    let dir = case("");
    let cache = dir.path().join("cache");
    chanmix(dir.path(), &["run", "scenario.toml", "-o", "out/a.xlsx"]).expect_code(0);
    let entry: PathBuf = std::fs::read_dir(&cache)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with(".chanmix-cache"))
        .unwrap();
    std::fs::remove_file(&entry).unwrap();
    mkfifo(&entry);
    let ran = chanmix(dir.path(), &["run", "scenario.toml", "-o", "out/b.xlsx"]);
    assert_eq!(ran.code(), Some(0), "{}", ran.stderr);
    assert_eq!(
        std::fs::read(dir.path().join("out/a.xlsx")).unwrap(),
        std::fs::read(dir.path().join("out/b.xlsx")).unwrap()
    );
}
