//! Properties of `chanmix fmt`: formatting is idempotent and never changes what a
//! file means (the re-parsed tree equals the original, spans aside), on random rule
//! text from a small generator and on the fixture files.

// Test code: a failed expectation should stop the test loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chanmix::diagnostic::source::SourceMap;
use chanmix::lang::ast::RuleFile;
use chanmix::lang::format::format_rule_file;
use chanmix::lang::parser::parse_rule_file;
use proptest::prelude::*;
use proptest::strategy::Union;

use crate::support::fuzz_harness::rules::meaning;

// ------------------------------------------------------------------ comparison

fn parse(text: &str) -> Result<(RuleFile, SourceMap), String> {
    let mut sources = SourceMap::new();
    let file = sources.add("gen.rules", text);
    match parse_rule_file(&sources, file) {
        Ok(r) => Ok((r, sources)),
        Err(d) => Err(format!("{d:#?}")),
    }
}

/// fmt once, parse again, fmt again: same text, same meaning.
fn check_round_trip(text: &str) -> Result<String, TestCaseError> {
    let (original, sources) = parse(text)
        .map_err(|e| TestCaseError::fail(format!("input did not parse:\n{text}\n{e}")))?;
    let formatted = format_rule_file(&original, &sources);
    let (reparsed, sources2) = parse(&formatted).map_err(|e| {
        TestCaseError::fail(format!("formatted text did not parse:\n{formatted}\n{e}"))
    })?;
    prop_assert_eq!(
        meaning(&original),
        meaning(&reparsed),
        "fmt changed the meaning:\n{}",
        formatted
    );
    let again = format_rule_file(&reparsed, &sources2);
    prop_assert_eq!(&again, &formatted, "fmt is not idempotent");
    Ok(formatted)
}

// ------------------------------------------------------------------ generator

fn pick(items: &'static [&'static str]) -> impl Strategy<Value = String> {
    proptest::sample::select(items).prop_map(str::to_string)
}

/// Space that may sit between two tokens.
fn gap() -> impl Strategy<Value = String> {
    pick(&["", " ", " ", "  "])
}

/// Space after a binary operator or a comma, where a line break is allowed too.
fn wrap() -> impl Strategy<Value = String> {
    pick(&["", " ", " ", "\n    "])
}

fn name() -> impl Strategy<Value = String> {
    pick(&[
        "amount", "stage", "roi", "won", "is_won", "x1", "_tmp", "Revenue",
    ])
}

fn table() -> impl Strategy<Value = String> {
    pick(&["Opportunities", "Channels", "T"])
}

/// A literal; `quotes` is false inside flag-message holes, which cannot hold text.
fn literal(quotes: bool) -> BoxedStrategy<String> {
    let mut options = vec![
        pick(&["0", "12", "1.5", "1e6", ".5", "72", "3E-2", "007"]).boxed(),
        pick(&["TRUE", "false", "True"]).boxed(),
        pick(&["2026-06-30", "2024-02-29", "1900-01-01"]).boxed(),
        pick(&["#N/A", "#DIV/0!", "#value!", "#NAME?", "#NULL!"]).boxed(),
    ];
    if quotes {
        options.push(
            pick(&[
                "\"\"",
                "\"Closed Won\"",
                "\"say \"\"hi\"\"\"",
                "\"a#b {x}\"",
            ])
            .boxed(),
        );
    }
    Union::new(options).boxed()
}

/// A random expression as text, built level by level like the grammar, with random
/// spacing, keyword case and line breaks after operators. In a flag-message hole
/// (`hole`) there are no quotes, no `{…}` arrays and no line breaks.
fn expr(hole: bool) -> BoxedStrategy<String> {
    let quotes = !hole;
    let wrap = move || if hole { gap().boxed() } else { wrap().boxed() };
    let leaf = Union::new(vec![
        literal(quotes),
        name().boxed(),
        (table(), name())
            .prop_map(|(t, c)| format!("{t}.{c}"))
            .boxed(),
    ])
    .boxed();
    let leaf_atom = leaf.clone();
    leaf.prop_recursive(4, 40, 4, move |inner| {
        let args = prop::collection::vec(
            (
                inner.clone(),
                prop::option::of((pick(&["where", "WHERE"]), inner.clone())),
            ),
            0..3,
        )
        .prop_map(|args| {
            args.into_iter()
                .map(|(a, w)| match w {
                    Some((kw, c)) => format!("{a} {kw} {c}"),
                    None => a,
                })
                .collect::<Vec<_>>()
        });
        let call = (
            pick(&[
                "SUM", "sum", "Count", "STDEV.S", "if", "ROUND", "AND", "not",
            ]),
            args,
            wrap(),
        )
            .prop_map(|(f, args, w)| format!("{f}({})", args.join(&format!(",{w}"))));
        let paren = (gap(), inner.clone(), gap()).prop_map(|(a, e, b)| format!("({a}{e}{b})"));
        let array = prop::collection::vec(literal(quotes), 1..4)
            .prop_map(|items| format!("{{{}}}", items.join(", ")));
        let mut atoms = vec![leaf_atom.clone(), call.boxed(), paren.boxed()];
        if !hole {
            atoms.push(array.boxed());
        }
        let atom = Union::new(atoms);
        // sign* atom %*
        let unary = (pick(&["", "", "-", "+", "- "]), atom, pick(&["", "", "%"]))
            .prop_map(|(s, a, p)| format!("{s}{a}{p}"))
            .boxed();
        let arith_op = pick(&["+", "-", "*", "/", "^", "&"]);
        let arith = (
            unary.clone(),
            prop::collection::vec((gap(), arith_op, wrap(), unary), 0..3),
        )
            .prop_map(|(first, rest)| {
                let mut s = first;
                for (g, op, w, operand) in rest {
                    s.push_str(&format!("{g}{op}{w}{operand}"));
                }
                s
            })
            .boxed();
        let cmp_tail = Union::new(vec![
            (
                gap(),
                pick(&["=", "<>", "<", "<=", ">", ">="]),
                wrap(),
                arith.clone(),
            )
                .prop_map(|(g, op, w, rhs)| format!("{g}{op}{w}{rhs}"))
                .boxed(),
            (
                pick(&[" IN ", " in ", " NOT IN ", " not in "]),
                prop::collection::vec(inner.clone(), 1..3),
            )
                .prop_map(|(op, list)| format!("{op}({})", list.join(", ")))
                .boxed(),
        ]);
        let cmp = (arith, prop::collection::vec(cmp_tail, 0..2))
            .prop_map(|(first, rest)| format!("{first}{}", rest.concat()));
        let not = (pick(&["", "", "not ", "NOT "]), cmp)
            .prop_map(|(n, c)| format!("{n}{c}"))
            .boxed();
        (
            not.clone(),
            prop::collection::vec((pick(&[" and ", " or ", " AND ", " Or "]), not), 0..2),
        )
            .prop_map(|(first, rest)| {
                let mut s = first;
                for (op, operand) in rest {
                    s.push_str(&op);
                    s.push_str(&operand);
                }
                s
            })
    })
    .boxed()
}

fn format_annotation() -> impl Strategy<Value = String> {
    pick(&[
        "",
        "",
        "  @percent",
        " @CURRENCY",
        "  @\"0.0x\"",
        "  @\"#,##0 \"\"k\"\"\"",
        " @date",
    ])
}

fn template() -> impl Strategy<Value = String> {
    let part = Union::new(vec![
        pick(&["ROI ", "is low", " — review ", "{{", "}}", "\"\"", ": "]).boxed(),
        expr(true).prop_map(|e| format!("{{{e}}}")).boxed(),
        (expr(true), pick(&["0.00", "0%", "$#,##0", "yyyy-mm"]))
            .prop_map(|(e, f)| format!("{{{e}:{f}}}"))
            .boxed(),
    ]);
    prop::collection::vec(part, 0..4).prop_map(|parts| format!("\"{}\"", parts.concat()))
}

fn statement() -> impl Strategy<Value = String> {
    let types = pick(&[
        "text", "number", "date?", "bool", "any", "Number?", "boolean",
    ]);
    Union::new(vec![
        (
            pick(&["input", "INPUT"]),
            table(),
            prop::collection::vec((name(), types), 1..4),
        )
            .prop_map(|(kw, t, cols)| {
                let cols: Vec<String> = cols
                    .into_iter()
                    .map(|(c, ty)| format!("{c}: {ty}"))
                    .collect();
                format!("{kw} {t} ({})", cols.join(",\n   "))
            })
            .boxed(),
        (
            pick(&["param", "Param"]),
            name(),
            gap(),
            literal(true),
            format_annotation(),
        )
            .prop_map(|(kw, n, g, v, f)| format!("{kw} {n}{g}= -{v}{f}"))
            .boxed(),
        (table(), name(), gap(), expr(false), format_annotation())
            .prop_map(|(t, c, g, e, f)| format!("{t}.{c}{g}={g}{e}{f}"))
            .boxed(),
        (name(), expr(false), format_annotation())
            .prop_map(|(n, e, f)| format!("{n} = {e}{f}"))
            .boxed(),
        (
            table(),
            table(),
            prop::collection::vec(name(), 1..3),
            prop::option::of(expr(false)),
            prop::collection::vec(
                (expr(false), pick(&["", " asc", " DESC", " desc", " Asc"])),
                0..3,
            ),
        )
            .prop_map(|(t, s, keys, filter, order)| {
                let mut line = format!("table {t} = group {s} by {}", keys.join(",  "));
                if let Some(f) = filter {
                    line.push_str(&format!(" WHERE {f}"));
                }
                if !order.is_empty() {
                    let order: Vec<String> = order
                        .into_iter()
                        .map(|(e, d)| format!("({e}){d}"))
                        .collect();
                    line.push_str(&format!(" ORDER  BY {}", order.join(",\n  ")));
                }
                line
            })
            .boxed(),
        (table(), expr(false), template())
            .prop_map(|(t, c, m)| format!("flag {t} when {c}:{m}"))
            .boxed(),
    ])
}

/// A whole file: statements with optional comments and blank lines.
fn rule_file() -> impl Strategy<Value = String> {
    let line = (
        prop::option::of(pick(&["# own-line comment", "#", "   #indented note #2"])),
        statement(),
        prop::option::of(pick(&["# trailing", "#  spaced  "])),
        pick(&["\n", "\n", "\n\n", "\n\n\n", "\n  \n"]),
    )
        .prop_map(|(before, stmt, trailing, after)| {
            let mut s = String::new();
            if let Some(c) = before {
                s.push_str(c.as_str());
                s.push('\n');
            }
            s.push_str(&stmt);
            if let Some(c) = trailing {
                s.push_str("   ");
                s.push_str(&c);
            }
            s.push_str(&after);
            s
        });
    prop::collection::vec(line, 0..6).prop_map(|lines| lines.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn fmt_is_idempotent_and_keeps_the_meaning(text in rule_file()) {
        check_round_trip(&text)?;
    }
}

// ------------------------------------------------------------------ fixtures

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/rules/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn fixtures_round_trip() {
    let dir = format!("{}/tests/fixtures/rules", env!("CARGO_MANIFEST_DIR"));
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).expect("fixture dir") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "rules") {
            let text = std::fs::read_to_string(&path).expect("read fixture");
            if let Err(e) = check_round_trip(&text) {
                panic!("{}: {e}", path.display());
            }
            count += 1;
        }
    }
    assert!(count >= 3, "expected the fixture files, found {count}");
}

/// canonical.rules was written by hand in the canonical layout.
#[test]
fn canonical_fixture_is_unchanged() {
    let text = fixture("canonical.rules");
    let formatted = check_round_trip(&text).expect("round trip");
    assert_eq!(formatted, text);
}

/// Expected output written by hand from the layout rules in format.rs.
#[test]
fn messy_text_gets_the_canonical_layout() {
    let text = "  # header\n\n\n\nPARAM  rate=5%   @PERCENT   #  why\nparam long_name = \"x\"\n\
                T.a=sum( x ,y )+not(b)\nT.bcd = a&\"q\"\"\"  # t\n\nt2 = - 1 +\n   2 # wrapped\n\
                TABLE G = GROUP T BY a,b WHERE NOT x IN(1,2)\n\
                flag G when a<>b:\"v={a:0.0} {{x}}\"\n";
    let expected = "# header\n\nparam rate      = 5%  @percent  #  why\nparam long_name = \"x\"\n\
                    T.a   = SUM(x, y) + NOT(b)\nT.bcd = a & \"q\"\"\"  # t\n\nt2 = -1 + 2  # wrapped\n\
                    table G = group T by a, b where not x IN (1, 2)\n\
                    flag G when a <> b: \"v={a:0.0} {{x}}\"\n";
    let formatted = check_round_trip(text).expect("round trip");
    assert_eq!(formatted, expected);
}

#[test]
fn comments_inside_a_wrapped_statement_move_above_it() {
    let text = "x = SUM(a,  # first\n        b)  # last\n";
    let expected = "# first\nx = SUM(a, b)  # last\n";
    let (original, sources) = parse(text).expect("parses");
    let formatted = format_rule_file(&original, &sources);
    assert_eq!(formatted, expected);
    // The comment is no longer trailing, so compare all but that; fmt stays idempotent.
    let (reparsed, sources2) = parse(&formatted).expect("formatted parses");
    assert_eq!(
        meaning(&reparsed).replace("trailing=false", "trailing=true"),
        meaning(&original)
    );
    assert_eq!(format_rule_file(&reparsed, &sources2), formatted);
}

#[test]
fn windows_line_endings_format_like_unix_ones() {
    let unix = "# c\nparam a = 1  # t\n\nT.x = SUM(a,\n  b)\n";
    let windows = unix.replace('\n', "\r\n");
    let formatted = check_round_trip(unix).expect("unix");
    assert_eq!(check_round_trip(&windows).expect("windows"), formatted);
    assert_eq!(formatted, "# c\nparam a = 1  # t\n\nT.x = SUM(a, b)\n");
}

#[test]
fn empty_and_comment_only_files() {
    assert_eq!(check_round_trip("").expect("empty"), "");
    assert_eq!(check_round_trip("\n\n  \n").expect("blank"), "");
    assert_eq!(
        check_round_trip("#a\n\n\n#b").expect("comments"),
        "#a\n\n#b\n"
    );
}

#[test]
#[ignore = "prints generator samples for a human to read"]
fn show_samples() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    for _ in 0..8 {
        let text = rule_file().new_tree(&mut runner).expect("tree").current();
        println!("-----\n{text}");
        if let Ok((f, s)) = parse(&text) {
            println!("=====\n{}", format_rule_file(&f, &s));
        }
    }
}
