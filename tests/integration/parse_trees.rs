//! Tree shapes the parser must produce: operator precedence and associativity
//! derived by hand from the table in grammar/GRAMMAR.md, literals, spans, statements.

// Test code: a failed expectation should stop the test loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chanmix::diagnostic::source::SourceMap;
use chanmix::lang::ast::{
    Better, BinaryOp, Expr, ExprKind, ItemKind, RuleFile, SortDirection, TemplatePart, UnaryOp,
};
use chanmix::lang::parser::{parse_expression, parse_rule_file};
use chanmix::value::ErrorKind;

/// An S-expression of the tree, written independently of the formatter.
fn sexp(expr: &Expr) -> String {
    match &expr.kind {
        ExprKind::Number { text, .. } => text.to_string(),
        ExprKind::Text(t) => format!("{t:?}"),
        ExprKind::Bool(b) => b.to_string(),
        ExprKind::Date { serial, .. } => format!("date:{serial}"),
        ExprKind::Error(k) => k.as_str().to_string(),
        ExprKind::Array(rows) => format!(
            "{{{}}}",
            rows.iter().map(|r| list(r)).collect::<Vec<_>>().join("; ")
        ),
        ExprKind::Name(i) => i.name.to_string(),
        ExprKind::Qualified { table, column } => format!("{}.{}", table.name, column.name),
        ExprKind::Unary { op, operand } => {
            let op = match op {
                UnaryOp::Neg => "neg",
                UnaryOp::Plus => "pos",
                UnaryOp::Not => "not",
            };
            format!("({op} {})", sexp(operand))
        }
        ExprKind::Percent(e) => format!("(% {})", sexp(e)),
        ExprKind::Binary { op, lhs, rhs } => {
            format!("({} {} {})", op.symbol(), sexp(lhs), sexp(rhs))
        }
        ExprKind::In {
            needle,
            list: items,
            negated,
        } => format!(
            "({} {} {})",
            if *negated { "notin" } else { "in" },
            sexp(needle),
            list(items)
        ),
        ExprKind::Call { function, args } => {
            if args.is_empty() {
                format!("(call {})", function.name)
            } else {
                format!("(call {} {})", function.name, list(args))
            }
        }
        ExprKind::Where { list, condition } => {
            format!("(where {} {})", sexp(list), sexp(condition))
        }
        ExprKind::Paren(e) => format!("[{}]", sexp(e)),
    }
}

fn list(items: &[Expr]) -> String {
    items.iter().map(sexp).collect::<Vec<_>>().join(" ")
}

fn expr_of(text: &str) -> Expr {
    let mut sources = SourceMap::new();
    let file = sources.add("expr", text);
    match parse_expression(&sources, file) {
        Ok(e) => e,
        Err(d) => panic!("{text:?} did not parse: {d:?}"),
    }
}

fn tree(text: &str) -> String {
    sexp(&expr_of(text))
}

fn rules(text: &str) -> (RuleFile, SourceMap) {
    let mut sources = SourceMap::new();
    let file = sources.add("test.rules", text);
    match parse_rule_file(&sources, file) {
        Ok(r) => (r, sources),
        Err(d) => panic!("did not parse: {d:?}"),
    }
}

#[test]
fn prefix_minus_binds_tighter_than_power() {
    // Excel: -2^2 = 4, i.e. (-2)^2.
    assert_eq!(tree("-2^2"), "(^ (neg 2) 2)");
}

#[test]
fn power_is_left_associative() {
    // Excel: 2^3^2 = 64, i.e. (2^3)^2.
    assert_eq!(tree("2^3^2"), "(^ (^ 2 3) 2)");
}

#[test]
fn multiplication_before_addition() {
    assert_eq!(tree("1+2*3"), "(+ 1 (* 2 3))");
}

#[test]
fn concatenation_is_looser_than_addition() {
    assert_eq!(tree("\"a\"&1+2"), "(& \"a\" (+ 1 2))");
}

#[test]
fn comparison_is_looser_than_concatenation() {
    assert_eq!(tree("a=b&c"), "(= a (& b c))");
}

#[test]
fn not_covers_a_comparison_and_and_covers_not() {
    assert_eq!(tree("not a=b and c"), "(and (not (= a b)) c)");
}

#[test]
fn or_is_loosest() {
    assert_eq!(tree("a or b and c"), "(or a (and b c))");
    assert_eq!(tree("a and b or c"), "(or (and a b) c)");
}

#[test]
fn comparisons_chain_to_the_left() {
    // Excel: 1<2<3 is (1<2)<3.
    assert_eq!(tree("1<2<3"), "(< (< 1 2) 3)");
    assert_eq!(tree("a <> b >= c"), "(>= (<> a b) c)");
}

#[test]
fn subtraction_and_division_are_left_associative() {
    assert_eq!(tree("10-2-3"), "(- (- 10 2) 3)");
    assert_eq!(tree("8/4/2"), "(/ (/ 8 4) 2)");
}

#[test]
fn percent_is_looser_than_sign_and_tighter_than_power() {
    assert_eq!(tree("-5%"), "(% (neg 5))");
    assert_eq!(tree("2^50%"), "(^ 2 (% 50))");
    assert_eq!(tree("5%%"), "(% (% 5))");
    assert_eq!(tree("2*-3^2"), "(* 2 (^ (neg 3) 2))");
}

#[test]
fn in_sits_at_comparison_level() {
    assert_eq!(tree("a & b IN (\"x\", \"y\")"), "(in (& a b) \"x\" \"y\")");
    assert_eq!(
        tree("stage NOT IN (1, 2) = TRUE"),
        "(= (notin stage 1 2) true)"
    );
    assert_eq!(tree("not x in (1)"), "(not (in x 1))");
    assert_eq!(tree("x in(1)"), "(in x 1)");
}

#[test]
fn operator_words_followed_by_a_bracket_are_calls() {
    assert_eq!(tree("AND(a, b)"), "(call AND a b)");
    assert_eq!(tree("not(a)"), "(call not a)");
    assert_eq!(tree("not (a)"), "(not [a])");
    assert_eq!(tree("Or(a, b) and c"), "(and (call Or a b) c)");
}

#[test]
fn calls_keep_dotted_names_and_where_arguments() {
    assert_eq!(tree("STDEV.S(T.x)"), "(call STDEV.S T.x)");
    assert_eq!(
        tree("SUM(Opportunities.amount where is_won and amount > 0)"),
        "(call SUM (where Opportunities.amount (and is_won (> amount 0))))"
    );
    assert_eq!(tree("TODAY()"), "(call TODAY)");
    assert_eq!(tree("TRUE()"), "(call TRUE)");
}

#[test]
fn parentheses_are_kept() {
    assert_eq!(tree("(1+2)*3"), "(* [(+ 1 2)] 3)");
    assert_eq!(tree("((a))"), "[[a]]");
}

#[test]
fn literals() {
    assert_eq!(tree("1e6"), "1e6");
    assert_eq!(tree(".5"), ".5");
    assert_eq!(tree("\"say \"\"hi\"\"\""), "\"say \\\"hi\\\"\"");
    assert_eq!(tree("true & False"), "(& true false)");
    // 2026-06-30 is Excel serial 46203 (days since 1899-12-30, computed with Python's datetime).
    assert_eq!(tree("2026-06-30"), "date:46203");
    // Excel: 1900-01-01 is serial 1, 1900-03-01 is 61 (after the fictional 1900-02-29).
    assert_eq!(tree("1900-01-01"), "date:1");
    assert_eq!(tree("1900-03-01"), "date:61");
    assert_eq!(tree("2026 - 06 - 30"), "(- (- 2026 06) 30)");
    assert_eq!(tree("{1, 2, \"a\"; 3, 4, TRUE}"), "{1 2 \"a\"; 3 4 true}");
    let errors = "#N/A & #DIV/0! & #VALUE! & #REF! & #NAME? & #NUM! & #NULL!";
    assert_eq!(
        tree(errors),
        "(& (& (& (& (& (& #N/A #DIV/0!) #VALUE!) #REF!) #NAME?) #NUM!) #NULL!)"
    );
    assert!(matches!(
        expr_of("#n/a").kind,
        ExprKind::Error(ErrorKind::NA)
    ));
}

#[test]
fn spans_point_at_the_source() {
    let text = "total = SUM(Channels.revenue) * (1 + rate)";
    let mut sources = SourceMap::new();
    let file = sources.add("x.rules", text);
    let Ok(rf) = parse_rule_file(&sources, file) else {
        panic!("parse failed")
    };
    let ItemKind::Scalar(s) = &rf.items[0].kind else {
        panic!("not a scalar")
    };
    let src = sources.get(file).unwrap();
    assert_eq!(src.slice(rf.items[0].span), text);
    assert_eq!(src.slice(s.name.span), "total");
    assert_eq!(src.slice(s.expr.span), "SUM(Channels.revenue) * (1 + rate)");
    let ExprKind::Binary { lhs, rhs, op } = &s.expr.kind else {
        panic!("not binary")
    };
    assert_eq!(*op, BinaryOp::Mul);
    assert_eq!(src.slice(lhs.span), "SUM(Channels.revenue)");
    assert_eq!(src.slice(rhs.span), "(1 + rate)");
    let ExprKind::Call { function, args } = &lhs.kind else {
        panic!("not a call")
    };
    assert_eq!(src.slice(function.span), "SUM");
    assert_eq!(src.slice(args[0].span), "Channels.revenue");
}

#[test]
fn template_holes_have_file_spans() {
    let text = "# c\nflag Channels when roi < 1: \"ROI {roi:0.00}x for {channel & \"\"}\"";
    // A hole may not hold quotes; use one without.
    let text = text.replace(" & \"\"", "");
    let (rf, sources) = rules(&text);
    let ItemKind::Flag(flag) = &rf.items[0].kind else {
        panic!("not a flag")
    };
    let src = sources.get(rf.file).unwrap();
    let holes: Vec<(&str, Option<&str>)> = flag
        .message
        .parts
        .iter()
        .filter_map(|p| match p {
            TemplatePart::Hole { expr, format } => Some((src.slice(expr.span), format.as_deref())),
            TemplatePart::Literal(_) => None,
        })
        .collect();
    assert_eq!(holes, vec![("roi", Some("0.00")), ("channel", None)]);
    assert_eq!(flag.message.parts[0], TemplatePart::Literal("ROI ".into()));
    assert_eq!(src.slice(flag.condition.span), "roi < 1");
}

#[test]
fn template_escapes() {
    let (rf, _) = rules("flag T when x: \"{{a}} \"\"q\"\" }}\"");
    let ItemKind::Flag(flag) = &rf.items[0].kind else {
        panic!("not a flag")
    };
    assert_eq!(
        flag.message.parts,
        vec![TemplatePart::Literal("{a} \"q\" }".into())]
    );
}

#[test]
fn statements_and_keywords_in_any_case() {
    let (rf, _) = rules(
        "INPUT Opps (id: text, amount: Number, close: date?)\n\
         Param rate = -5%  @Percent\n\
         TABLE C = Group Opps BY a, b Where amount > 0\n\
         C.x = 1  @\"0.0x\"\n\
         y = 2\n\
         FLAG C When x > 1: \"hi\"\n\
         TABLE P = Optimize C BY a (budget = 10,\n    lower = x * 2)\n",
    );
    let kinds: Vec<&str> = rf
        .items
        .iter()
        .map(|i| match &i.kind {
            ItemKind::Input(d) => {
                assert_eq!(d.columns.len(), 3);
                assert!(d.columns[2].optional);
                "input"
            }
            ItemKind::Param(p) => {
                assert_eq!(sexp(&p.default), "(% (neg 5))");
                "param"
            }
            ItemKind::GroupTable(g) => {
                assert_eq!(g.keys.len(), 2);
                assert!(g.filter.is_some());
                "table"
            }
            ItemKind::AnalysisTable(t) => {
                assert_eq!(&*t.analysis.name, "Optimize");
                assert_eq!(&*t.source.name, "C");
                assert_eq!(t.keys.len(), 1);
                let args: Vec<(&str, String)> = t
                    .args
                    .iter()
                    .map(|a| (&*a.name.name, sexp(&a.value)))
                    .collect();
                assert_eq!(args, [("budget", "10".into()), ("lower", "(* x 2)".into())]);
                "analysis"
            }
            ItemKind::Column(_) => "column",
            ItemKind::Scalar(_) => "scalar",
            ItemKind::Flag(_) => "flag",
            ItemKind::Script(_) => "script",
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "input", "param", "table", "column", "scalar", "flag", "analysis"
        ]
    );
}

#[test]
fn order_by_keeps_each_expression_and_its_direction_and_fmt_writes_it_back() {
    let text = "TABLE Pipeline = Group Opps BY channel, stage Where amount > 0 ORDER BY channel,\n    XMATCH(stage, {\"a\", \"b\"}) Desc, SUM(Opps.amount) asc\n";
    let (rf, sources) = rules(text);
    let ItemKind::GroupTable(g) = &rf.items[0].kind else {
        panic!("expected a group table, got {:?}", rf.items[0].kind);
    };
    assert!(g.filter.is_some());
    let order: Vec<(String, Option<SortDirection>)> = g
        .order
        .iter()
        .map(|k| (sexp(&k.expr), k.direction))
        .collect();
    assert_eq!(
        order,
        [
            ("channel".to_string(), None),
            (
                "(call XMATCH stage {\"a\" \"b\"})".to_string(),
                Some(SortDirection::Descending)
            ),
            (
                "(call SUM Opps.amount)".to_string(),
                Some(SortDirection::Ascending)
            ),
        ]
    );
    // The canonical form: keywords in lower case, one line, directions as written.
    assert_eq!(
        chanmix::lang::format::format_rule_file(&rf, &sources),
        "table Pipeline = group Opps by channel, stage where amount > 0 order by channel, XMATCH(stage, {\"a\", \"b\"}) desc, SUM(Opps.amount) asc\n"
    );
    // Without `order by` the rows keep key order: nothing is stored.
    let (rf, _) = rules("table C = group Opps by a\n");
    let ItemKind::GroupTable(g) = &rf.items[0].kind else {
        panic!("expected a group table");
    };
    assert!(g.order.is_empty());
}

#[test]
fn statements_continue_after_operators_commas_and_inside_brackets() {
    let (rf, _) = rules("x = 1 +\n  2\ny = SUM(\n  a,\n  b\n)\nz = a and\n b\nw = 3\n");
    assert_eq!(rf.items.len(), 4);
}

#[test]
fn comments_are_collected_with_their_position() {
    let (rf, _) = rules("# own line\nx = #N/A  # trailing\n  # indented own line\n");
    let comments: Vec<(&str, bool)> = rf
        .comments
        .iter()
        .map(|c| (c.text.as_str(), c.trailing))
        .collect();
    assert_eq!(
        comments,
        [
            (" own line", false),
            (" trailing", true),
            (" indented own line", false)
        ]
    );
    let ItemKind::Scalar(s) = &rf.items[0].kind else {
        panic!("not a scalar")
    };
    assert_eq!(sexp(&s.expr), "#N/A");
}

#[test]
fn one_file_reports_several_errors() {
    let mut sources = SourceMap::new();
    let file = sources.add("x.rules", "a = 1 2\nb = 2\nc = (3\nd = 2026-13-01\ne = 4\n");
    let Err(diagnostics) = parse_rule_file(&sources, file) else {
        panic!("should fail")
    };
    let lines: Vec<(usize, &str)> = diagnostics
        .iter()
        .map(|d| {
            (
                sources.get(file).unwrap().line_col(d.primary.span.start).0,
                d.code.as_str(),
            )
        })
        .collect();
    assert_eq!(lines, [(1, "E0001"), (3, "E0004"), (4, "E0003")]);
}

#[test]
fn drawing_annotations_follow_the_number_format_and_fmt_writes_them_in_one_order() {
    let (rf, sources) = rules(
        "T.a = 1  @Bar @PERCENT @lower_is_better\n\
         T.b = 2  @icons @heat\n\
         c = 3  @higher_is_better\n",
    );
    let looks: Vec<(Option<Better>, bool, bool, bool)> = rf
        .items
        .iter()
        .map(|i| {
            let look = match &i.kind {
                ItemKind::Column(c) => c.look,
                ItemKind::Scalar(s) => s.look,
                other => panic!("unexpected {other:?}"),
            };
            (look.better, look.bar, look.icons, look.heat)
        })
        .collect();
    assert_eq!(
        looks,
        [
            (Some(Better::Lower), true, false, false),
            (None, false, true, true),
            (Some(Better::Higher), false, false, false),
        ]
    );
    assert_eq!(
        chanmix::lang::format::format_rule_file(&rf, &sources),
        "T.a = 1  @percent @lower_is_better @bar\n\
         T.b = 2  @icons @heat\n\
         c = 3  @higher_is_better\n"
    );
}
