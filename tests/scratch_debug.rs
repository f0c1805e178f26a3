use chanmix::lang::{format, parser, render, source::SourceMap};
#[test]
fn show() {
    let text = std::fs::read_to_string("/tmp/in.rules").unwrap();
    for (n, stmt) in text.split("\n%%\n").enumerate() {
        let mut sm = SourceMap::new();
        let f = sm.add(format!("rules/demo{n}.rules"), stmt.to_string());
        match parser::parse_rule_file(&sm, f) {
            Ok(rf) => println!("{}", format::format_rule_file(&rf, &sm)),
            Err(d) => println!("{}", render::render_text(&d, &sm, false)),
        }
    }
}
