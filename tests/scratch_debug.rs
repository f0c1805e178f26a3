use chanmix::lang::{parser, source::SourceMap};
#[test]
fn chain() {
    let mut sm = SourceMap::new();
    let f = sm.add("a", format!("x = 1{}", " + 1".repeat(2000)));
    let _ = parser::parse_rule_file(&sm, f);
}
#[test]
fn nest() {
    for n in [10, 20, 30, 40, 50, 60, 64] {
        let mut sm = SourceMap::new();
        let f = sm.add("a", format!("x = {}1{}", "(".repeat(n), ")".repeat(n)));
        eprintln!("{n}");
        let _ = parser::parse_rule_file(&sm, f);
    }
}
#[test]
fn nest_shapes() {
    for (open, close) in [
        ("IF(a, ", ")"),
        ("-(1 + ", ")"),
        ("{1, ", "}"),
        ("SUM(x where (", "))"),
        ("not (a = ", ")"),
    ] {
        let mut sm = SourceMap::new();
        let depth = if close.len() == 2 { 32 } else { 64 };
        let text = format!("x = {}1{}", open.repeat(depth), close.repeat(depth));
        let f = sm.add("a", text);
        let r = parser::parse_rule_file(&sm, f);
        eprintln!("{open} {}", r.is_ok());
        if let Ok(r) = r {
            let _ = chanmix::lang::format::format_rule_file(&r, &sm);
        }
    }
}
