//! What each fuzz target (fuzz/fuzz_targets/) does with one input, shared with
//! tests/integration/fuzz_regressions.rs so a saved crashing input replays exactly the same path.
//!
//! Each `run` panics only where the fuzz target should report a bug: the library
//! panicking, or a property of its result failing (fmt round trip, column lengths).

/// `rules`: bytes as one rule file, through `chanmix check` and `chanmix fmt`.
pub mod rules {
    use chanmix::diagnostic::render::{render_json, render_text};
    use chanmix::diagnostic::source::SourceMap;
    use chanmix::lang::ast::{Expr, ExprKind, ItemKind, RuleFile, TemplatePart};
    use chanmix::lang::format::format_rule_file;
    use chanmix::lang::parser::parse_rule_file;
    use chanmix::lang::program::check_sources;

    /// What checking (and formatting) one rule file gave.
    #[derive(Debug)]
    pub struct Outcome {
        /// Codes of the diagnostics, in order (`E0015` …).
        pub codes: Vec<String>,
        pub errors: usize,
        /// The diagnostics as `chanmix check` prints them.
        pub text: String,
        /// The file in fmt's layout, when it parses.
        pub formatted: Option<String>,
    }

    pub fn run(data: &[u8]) -> Outcome {
        // `chanmix check` refuses a file that is not UTF-8 before parsing; lossy
        // decoding lets every input reach the parser.
        let text = String::from_utf8_lossy(data).into_owned();
        let mut sources = SourceMap::new();
        sources.add("fuzz.rules", text);

        // `chanmix check fuzz.rules`: parse and check as one program, render both ways.
        let program = check_sources(sources, &[]);
        let text = render_text(&program.diagnostics, &program.sources, false);
        let _ = render_json(&program.diagnostics, &program.sources);
        let formatted = match program.files.as_slice() {
            [file] => Some(format_round_trip(file, &program.sources)),
            _ => None,
        };
        Outcome {
            codes: program
                .diagnostics
                .iter()
                .map(|d| d.code.to_string())
                .collect(),
            errors: program.error_count(),
            text,
            formatted,
        }
    }

    /// `chanmix fmt` on a file that parsed: the result parses, means the same, and
    /// formatting it again changes nothing.
    fn format_round_trip(file: &RuleFile, sources: &SourceMap) -> String {
        let formatted = format_rule_file(file, sources);
        let mut again = SourceMap::new();
        let id = again.add("formatted.rules", formatted.clone());
        let reparsed = match parse_rule_file(&again, id) {
            Ok(reparsed) => reparsed,
            Err(diagnostics) => panic!(
                "fmt wrote text that does not parse:\n{formatted}\n{}",
                render_text(&diagnostics, &again, false)
            ),
        };
        assert_eq!(
            formatted,
            format_rule_file(&reparsed, &again),
            "fmt is not idempotent"
        );
        assert_eq!(
            meaning(file),
            meaning(&reparsed),
            "fmt changed what the file means:\n{formatted}"
        );
        formatted
    }

    /// What a file means: its items' Debug form without spans, function names
    /// upper-cased (fmt writes them as Excel does), and its comments (text and whether
    /// they trail code). Also the oracle of tests/integration/fmt_properties.rs.
    pub fn meaning(file: &RuleFile) -> String {
        let mut file = file.clone();
        for item in &mut file.items {
            match &mut item.kind {
                ItemKind::Param(p) => normalize(&mut p.default),
                ItemKind::GroupTable(g) => {
                    g.filter.iter_mut().for_each(normalize);
                    g.order.iter_mut().for_each(|k| normalize(&mut k.expr));
                }
                ItemKind::AnalysisTable(t) => {
                    t.analysis.name = t.analysis.name.to_ascii_lowercase().into();
                    t.args.iter_mut().for_each(|a| normalize(&mut a.value));
                }
                ItemKind::Column(c) => normalize(&mut c.expr),
                ItemKind::Scalar(s) => normalize(&mut s.expr),
                ItemKind::Flag(f) => {
                    normalize(&mut f.condition);
                    f.rank_by.iter_mut().for_each(normalize);
                    for part in &mut f.message.parts {
                        if let TemplatePart::Hole { expr, .. } = part {
                            normalize(expr);
                        }
                    }
                }
                ItemKind::Input(_) | ItemKind::Script(_) => {}
            }
        }
        let mut text = format!("{:?}", file.items);
        for c in &file.comments {
            text.push_str(&format!("\ncomment {:?} trailing={}", c.text, c.trailing));
        }
        strip_spans(&text)
    }

    fn normalize(expr: &mut Expr) {
        match &mut expr.kind {
            ExprKind::Call { function, args } => {
                function.name = function.name.to_ascii_uppercase().into();
                args.iter_mut().for_each(normalize);
            }
            ExprKind::Array(rows) => rows.iter_mut().flatten().for_each(normalize),
            ExprKind::Unary { operand, .. } => normalize(operand),
            ExprKind::Percent(e) | ExprKind::Paren(e) => normalize(e),
            ExprKind::Binary { lhs, rhs, .. } => {
                normalize(lhs);
                normalize(rhs);
            }
            ExprKind::In { needle, list, .. } => {
                normalize(needle);
                list.iter_mut().for_each(normalize);
            }
            ExprKind::Where { list, condition } => {
                normalize(list);
                normalize(condition);
            }
            _ => {}
        }
    }

    /// Removes every `Span { .. }` from a Debug dump (spans hold no nested braces).
    fn strip_spans(text: &str) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(at) = rest.find("Span {") {
            out.push_str(&rest[..at]);
            rest = &rest[at..];
            match rest.find('}') {
                Some(end) => rest = &rest[end + 1..],
                None => break,
            }
        }
        out.push_str(rest);
        out
    }
}

/// `scenario`: bytes as a scenario file beside the shipped ones, through
/// `chanmix check scenario.toml`, and checked against the shipped rules.
pub mod scenario {
    use std::path::{Path, PathBuf};

    use chanmix::diagnostic::render::{render_json, render_text};
    use chanmix::diagnostic::source::SourceMap;
    use chanmix::lang::plan::Plan;
    use chanmix::lang::program::{expand_rule_paths, load_rule_files};
    use chanmix::pipeline::inputs::request_for_plan;
    use chanmix::scenario::{check_against_plan, load_scenario, load_scenario_rules};

    /// A temporary folder laid out like the repository: `rules/` (a link to the
    /// shipped rules) and `scenarios/` (links to the shipped scenario files and their
    /// `data/`), where the input is written as `scenarios/fuzz.toml`. So the shipped
    /// scenarios work as inputs unchanged, and `extends = "base.toml"` or
    /// `rules = ["../rules"]` reach the shipped files.
    pub struct Workspace {
        _root: tempfile::TempDir,
        pub scenario: PathBuf,
        /// The shipped rules, compiled once.
        pub shipped: Plan,
    }

    impl Workspace {
        /// The temporary folder (removed when the workspace is dropped).
        pub fn root(&self) -> &Path {
            self._root.path()
        }

        /// `repo` is the repository root (the folder holding `rules/` and `scenarios/`).
        pub fn new(repo: &Path) -> Workspace {
            let root = tempfile::Builder::new()
                .prefix("chanmix-fuzz-scenario-")
                .tempdir()
                .expect("temp dir");
            let scenarios = root.path().join("scenarios");
            std::fs::create_dir(&scenarios).expect("scenarios folder");
            let rules = repo.join("rules").canonicalize().expect("repo rules/");
            std::os::unix::fs::symlink(&rules, root.path().join("rules")).expect("link rules/");
            for entry in std::fs::read_dir(repo.join("scenarios")).expect("repo scenarios/") {
                let path = entry.expect("entry").path();
                let name = path.file_name().expect("file name").to_owned();
                std::os::unix::fs::symlink(&path, scenarios.join(name)).expect("link");
            }
            let rule_paths = expand_rule_paths(&[rules]).expect("shipped rule files");
            let program = load_rule_files(&rule_paths, &[], &chanmix::analysis::vocabulary())
                .expect("read shipped rules");
            let shipped = program.plan.expect("the shipped rules check cleanly");
            Workspace {
                _root: root,
                scenario: scenarios.join("fuzz.toml"),
                shipped,
            }
        }
    }

    /// What loading and checking one scenario gave.
    #[derive(Debug)]
    pub struct Outcome {
        /// Whether the file (and what it extends) loaded into a scenario.
        pub loaded: bool,
        pub codes: Vec<String>,
        pub errors: usize,
        /// The diagnostics as `chanmix check` prints them.
        pub text: String,
    }

    impl Workspace {
        pub fn run(&self, data: &[u8]) -> Outcome {
            std::fs::write(&self.scenario, data).expect("write the scenario");
            // `chanmix check fuzz.toml` (pipeline::prepare): load with `extends`, load and
            // check the rules it names, check the scenario against them.
            let mut sources = SourceMap::new();
            let (loaded, diagnostics, sources) = match load_scenario(&self.scenario, &mut sources) {
                Err(diagnostics) => (false, diagnostics, sources),
                Ok(scenario) => {
                    // Against the shipped rules whatever `rules` says (spans point into
                    // another source map, so these are not rendered).
                    for diagnostic in check_against_plan(&scenario, &self.shipped) {
                        let _ = diagnostic.message.len();
                    }
                    let _ = request_for_plan(&self.shipped, &scenario.inputs);
                    let program = load_scenario_rules(
                        &scenario,
                        sources,
                        &[],
                        &chanmix::analysis::vocabulary(),
                    );
                    let mut diagnostics = program.diagnostics;
                    if let Some(plan) = &program.plan {
                        diagnostics.extend(check_against_plan(&scenario, plan));
                        let _ = request_for_plan(plan, &scenario.inputs);
                    }
                    (true, diagnostics, program.sources)
                }
            };
            let text = render_text(&diagnostics, &sources, false);
            let _ = render_json(&diagnostics, &sources);
            Outcome {
                loaded,
                codes: diagnostics.iter().map(|d| d.code.to_string()).collect(),
                errors: diagnostics.iter().filter(|d| d.is_error()).count(),
                text,
            }
        }
    }
}

/// `workbook`: bytes as an input file read through `read_inputs` as a run reads it.
pub mod workbook {
    use std::collections::{BTreeMap, BTreeSet};
    use std::path::{Path, PathBuf};

    use chanmix::data::{BadCellPolicy, DataError, InputData, InputsSpec, TableSpec, read_inputs};

    pub const EXTENSIONS: [&str; 6] = ["xlsx", "xlsm", "xlsb", "xls", "ods", "csv"];
    pub const POLICIES: [BadCellPolicy; 3] = [
        BadCellPolicy::Report,
        BadCellPolicy::RejectRow,
        BadCellPolicy::Fail,
    ];

    /// The table read: every column type, required and optional columns, a key, and a
    /// `rename` (the seeds in fuzz/seeds/workbook have these headers).
    pub const COLUMNS: [(&str, &str); 7] = [
        ("deal_id", "text"),
        ("channel", "text"),
        ("amount", "number"),
        ("created", "date?"),
        ("won", "bool?"),
        ("note", "text?"),
        ("status", "any"),
    ];

    /// An input's first byte picks the extension (its value mod 6: .xlsx, .xlsm,
    /// .xlsb, .xls, .ods, .csv) and the bad-cell policy (value / 6 mod 3: report,
    /// reject-row, fail); the rest is the file.
    pub fn decode(data: &[u8]) -> Option<(&'static str, BadCellPolicy, &[u8])> {
        let (&selector, bytes) = data.split_first()?;
        let extension = EXTENSIONS[usize::from(selector) % EXTENSIONS.len()];
        let policy = POLICIES[usize::from(selector) / EXTENSIONS.len() % POLICIES.len()];
        Some((extension, policy, bytes))
    }

    /// Writes the input into `folder` as `deals.<ext>` and reads table `Deals` from it.
    /// `None` for an empty input.
    pub fn run(folder: &Path, data: &[u8]) -> Option<Result<InputData, DataError>> {
        let (extension, policy, bytes) = decode(data)?;
        let file = PathBuf::from(format!("deals.{extension}"));
        std::fs::write(folder.join(&file), bytes).expect("write the input");
        let table = TableSpec {
            key: Some("deal_id".to_string()),
            columns: COLUMNS
                .iter()
                .map(|(name, ty)| (name.to_string(), ty.to_string()))
                .collect(),
            rename: BTreeMap::from([("Deal Amount".to_string(), "amount".to_string())]),
            on_bad_cell: policy,
            ..TableSpec::default()
        };
        let spec = InputsSpec {
            workbook: Some(file),
            tables: BTreeMap::from([("Deals".to_string(), table)]),
        };
        // As a run asks: only the columns the rules use (here: all of them).
        let wanted = BTreeMap::from([(
            "Deals".to_string(),
            COLUMNS
                .iter()
                .map(|(name, _)| name.to_string())
                .collect::<BTreeSet<_>>(),
        )]);
        Some(read_inputs(&spec, folder, Some(&wanted)))
    }

    /// What the evaluator and the report rely on: equally long columns, counts that
    /// add up, every error with a message.
    pub fn check(result: &Result<InputData, DataError>) {
        match result {
            Ok(data) => {
                for (table, counts) in data.tables.iter().zip(&data.quality.counts) {
                    assert_eq!(table.row_count, counts.rows_kept, "rows kept");
                    for column in &table.columns {
                        assert_eq!(column.len(), table.row_count, "column length");
                    }
                }
                for entry in &data.quality.entries {
                    assert!(!entry.cell.is_empty(), "a log entry without its cell");
                }
            }
            Err(error) => assert!(!error.to_string().is_empty(), "an error without a message"),
        }
    }
}
