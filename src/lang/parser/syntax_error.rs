//! Turns pest's parse failures into diagnostics a finance analyst can act on:
//! human names for grammar rules, and specific messages for common mistakes.

use pest::error::{ErrorVariant, InputLocation};

use super::Rule;
use super::split::is_ident_byte;
use crate::diagnostic::Code;
use crate::diagnostic::Diagnostic;
use crate::diagnostic::source::{FileId, Span};

/// What kind of thing a grammar rule stands for, in words a finance analyst uses.
fn describe_rule(rule: Rule) -> &'static str {
    match rule {
        Rule::expr
        | Rule::or_expr
        | Rule::and_expr
        | Rule::not_expr
        | Rule::cmp_expr
        | Rule::concat_expr
        | Rule::add_expr
        | Rule::mul_expr
        | Rule::pow_expr
        | Rule::pct_expr
        | Rule::sign_expr
        | Rule::sign_op
        | Rule::op_not
        | Rule::date
        | Rule::number
        | Rule::text
        | Rule::boolean
        | Rule::error_literal
        | Rule::array
        | Rule::paren
        | Rule::call
        | Rule::function_name
        | Rule::qualified
        | Rule::name
        | Rule::argument => "a value (a number, \"text\", a name or a function call)",
        Rule::op_or
        | Rule::op_and
        | Rule::cmp_op
        | Rule::op_concat
        | Rule::add_op
        | Rule::mul_op
        | Rule::op_pow
        | Rule::op_percent
        | Rule::in_tail
        | Rule::op_in
        | Rule::op_not_in
        | Rule::kw_where => "an operator",
        Rule::EOI => "the end of the line",
        Rule::open_paren => "`(`",
        Rule::close_paren => "`)`",
        Rule::open_brace => "`{`",
        Rule::close_brace => "`}`",
        Rule::comma | Rule::row_sep => "`,`",
        Rule::colon => "`:`",
        Rule::equals => "`=`",
        Rule::format | Rule::format_name => "a format such as @percent",
        Rule::kw_group => "`group`",
        Rule::kw_by => "`by`",
        Rule::kw_when => "`when`",
        Rule::flag_clause | Rule::flag_severity | Rule::flag_rank | Rule::flag_topic => {
            "`severity`, `rank by` or `topic`"
        }
        Rule::kw_severity => "`severity`",
        Rule::kw_rank => "`rank by`",
        Rule::kw_topic => "`topic`",
        Rule::kw_order | Rule::group_order => "`order by`",
        Rule::order_direction | Rule::kw_asc | Rule::kw_desc => "`asc` or `desc`",
        Rule::severity_name => "a severity (critical, warning, opportunity, info, data)",
        Rule::topic_name => "a topic name",
        Rule::kw_input
        | Rule::kw_param
        | Rule::kw_table
        | Rule::kw_flag
        | Rule::statement_keyword => "a statement",
        Rule::input_decl
        | Rule::param_decl
        | Rule::group_table
        | Rule::flag_def
        | Rule::column_def
        | Rule::scalar_def
        | Rule::column_target
        | Rule::scalar_name
        | Rule::statement => "a statement",
        Rule::table_name => "a table name",
        Rule::column_name | Rule::column_decl => "a column name",
        Rule::param_name => "a parameter name",
        Rule::type_name => "a column type (number, text, bool, date or any)",
        Rule::optional_mark => "`?`",
        Rule::template => "the message in double quotes",
        _ => "something else",
    }
}

/// `table T = Word by …` where `Word` is not `group`: the offset and text of `Word`.
fn group_left_out(text: &str) -> Option<(usize, &str)> {
    let lead = text.len() - text.trim_start().len();
    let rest = text.get(lead..)?;
    if !rest.get(..6)?.eq_ignore_ascii_case("table ") {
        return None;
    }
    let equals = rest.find('=')?;
    let after = rest.get(equals + 1..)?;
    let word_start = equals + 1 + (after.len() - after.trim_start().len());
    let word_len = rest
        .get(word_start..)?
        .bytes()
        .take_while(|b| is_ident_byte(*b))
        .count();
    let word = rest.get(word_start..word_start + word_len)?;
    let next = rest.get(word_start + word_len..)?.trim_start();
    let next_word: String = next
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect();
    (word_len > 0 && !word.eq_ignore_ascii_case("group") && next_word.eq_ignore_ascii_case("by"))
        .then_some((lead + word_start, word))
}

/// Joins descriptions as "a, b or c".
fn join_or(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} or {}", init.join(", "), last),
    }
}

/// The token found at `pos` of a statement, for messages and the caret.
fn token_at(text: &str, pos: usize) -> (String, usize) {
    let rest = text.get(pos..).unwrap_or("");
    let bytes = rest.as_bytes();
    match bytes.first() {
        None => (String::new(), 0),
        Some(b) if is_ident_byte(*b) => {
            let len = bytes.iter().take_while(|b| is_ident_byte(**b)).count();
            (rest.get(..len).unwrap_or("").to_string(), len)
        }
        Some(b'"') => {
            let len = rest
                .get(1..)
                .and_then(|r| r.find('"'))
                .map_or(rest.len(), |i| i + 2);
            (rest.get(..len).unwrap_or("").to_string(), len)
        }
        Some(_) => {
            for two in ["==", "!=", "&&", "||", "=>", "=<"] {
                if rest.starts_with(two) {
                    return (two.to_string(), 2);
                }
            }
            let c = rest.chars().next().unwrap_or(' ');
            (c.to_string(), c.len_utf8())
        }
    }
}

/// The last token before `pos` (skipping spaces), for "after `+`".
fn token_before(text: &str, pos: usize) -> String {
    let before = text.get(..pos).unwrap_or("").trim_end();
    let bytes = before.as_bytes();
    let Some(&last) = bytes.last() else {
        return String::new();
    };
    if is_ident_byte(last) {
        let len = bytes
            .iter()
            .rev()
            .take_while(|b| is_ident_byte(**b) || **b == b'.')
            .count();
        before.get(before.len() - len..).unwrap_or("").to_string()
    } else {
        before.chars().last().map(String::from).unwrap_or_default()
    }
}

/// `1` and `500 000 …` → `1500000`: the digit groups someone separated with spaces.
fn join_digit_groups(first: &str, rest: &str) -> String {
    let mut joined = first.to_string();
    for group in rest.split(' ') {
        if group.is_empty() || !group.chars().all(|c| c.is_ascii_digit()) {
            break;
        }
        joined.push_str(group);
    }
    joined
}

/// Is `pos` inside the argument list of a function call?
fn inside_call(text: &str, pos: usize) -> bool {
    let mut stack: Vec<bool> = Vec::new();
    let mut in_text = false;
    let bytes = text.as_bytes();
    for (i, b) in bytes.iter().enumerate().take(pos) {
        match b {
            b'"' => in_text = !in_text,
            b'(' if !in_text => {
                let is_call = i > 0 && bytes.get(i - 1).copied().is_some_and(is_ident_byte);
                stack.push(is_call);
            }
            b'{' if !in_text => stack.push(false),
            b')' | b'}' if !in_text => {
                stack.pop();
            }
            _ => {}
        }
    }
    stack.last().copied().unwrap_or(false)
}

const STATEMENT_FORMS: &str = "a statement is one of: `input T (col: type, …)`, `param name = value`, `table T = group Source by col`, `table T = analysis Source by col (name = formula, …)`, `T.col = formula`, `name = formula`, `flag T when condition: \"message\"`";

/// Turns a pest error on one statement into a diagnostic a finance analyst can act on.
pub(super) fn syntax_error(
    error: &pest::error::Error<Rule>,
    text: &str,
    offset: usize,
    file: FileId,
) -> Diagnostic {
    let pos = match error.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    let positives: Vec<Rule> = match &error.variant {
        ErrorVariant::ParsingError { positives, .. } => positives.clone(),
        ErrorVariant::CustomError { .. } => Vec::new(),
    };
    // `table T = Source by key` reads, for the analysis form, `Source` as an analysis
    // and `by` as its source; the author left out `group`.
    if let Some((start, word)) = group_left_out(text) {
        return Diagnostic::error(
            Code::Syntax,
            format!("expected `group`, found `{word}`"),
            Span::new(file, offset + start, offset + start + word.len()),
        )
        .with_label("expected `group` here")
        .with_hint("a grouped table is written: table Channels = group Opportunities by channel");
    }
    let (mut found, mut found_len) = token_at(text, pos);
    let mut pos = pos;
    // `a && b` fails after the first `&`: report the pair as written.
    if pos > 0
        && let Some(pair @ ("&&" | "||" | "==")) = text.get(pos - 1..pos + 1)
    {
        pos -= 1;
        found = pair.to_string();
        found_len = 2;
    }
    let at_end = found.is_empty();
    let span = if at_end {
        // Point at the last token, which is what is left dangling.
        let before = text.get(..pos).unwrap_or("").trim_end();
        let start = before.len() - token_before(text, pos).len();
        Span::new(file, offset + start, offset + before.len())
    } else {
        Span::new(file, offset + pos, offset + pos + found_len)
    };
    let statement_word = text
        .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    let previous = token_before(text, pos);
    let expects = |rule: Rule| positives.contains(&rule);
    let expects_value = positives
        .iter()
        .any(|r| describe_rule(*r).starts_with("a value"));
    let expects_operator = positives.iter().any(|r| describe_rule(*r) == "an operator");
    let in_call = inside_call(text, pos);
    let found_shown = if at_end {
        "the end of the line".to_string()
    } else {
        format!("`{found}`")
    };

    let mut descriptions: Vec<&str> = positives.iter().map(|r| describe_rule(*r)).collect();
    descriptions.sort_unstable();
    descriptions.dedup();
    // Operators first, then the rest, in a stable order.
    descriptions.sort_by_key(|d| match *d {
        s if s.starts_with("a value") => 0,
        "an operator" => 1,
        "the end of the line" => 9,
        _ => 5,
    });
    let expected = join_or(&descriptions);
    let generic = || {
        Diagnostic::error(
            Code::Syntax,
            format!("expected {expected}, found {found_shown}"),
            span,
        )
        .with_label(format!("expected {expected}"))
    };

    // Characters and spellings people bring from other tools.
    if found.starts_with('\'') {
        return Diagnostic::error(Code::StrayCharacter, "text must be in double quotes", span)
            .with_label("single quotes are not used in formulas")
            .with_hint("write \"Closed Won\", not 'Closed Won'");
    }
    match found.as_str() {
        "==" => {
            return Diagnostic::error(Code::Syntax, "`==` is not an operator here", span)
                .with_label("use a single `=`")
                .with_hint("compare with a single `=`, as in Excel: stage = \"Closed Won\"");
        }
        "!=" | "=<" | "=>" => {
            let better = match found.as_str() {
                "!=" => "<>",
                "=<" => "<=",
                _ => ">=",
            };
            return Diagnostic::error(Code::Syntax, format!("`{found}` is not an operator"), span)
                .with_label(format!("write `{better}`"))
                .with_hint(format!(
                    "comparisons are written as in Excel: = <> < <= > >=; use `{better}`"
                ));
        }
        "&&" | "||" => {
            let word = if found == "&&" { "and" } else { "or" };
            return Diagnostic::error(Code::Syntax, format!("`{found}` is not an operator"), span)
                .with_label(format!("write `{word}`"))
                .with_hint(format!("combine conditions with `{word}`; `&` joins text"));
        }
        _ => {}
    }
    let stray = found.chars().next().filter(|c| {
        found.chars().count() == 1
            && (matches!(
                c,
                '$' | '€'
                    | '£'
                    | '¥'
                    | ';'
                    | '['
                    | ']'
                    | '!'
                    | '~'
                    | '`'
                    | '\\'
                    | '|'
                    | '?'
                    | '@'
                    | '.'
                    | ':'
            ) || !c.is_ascii())
    });
    if let Some(c) = stray {
        let allowed_here = (c == ';' && expects(Rule::row_sep))
            || (c == '@' && expects(Rule::format))
            || (c == '?' && expects(Rule::optional_mark))
            || (c == ':' && expects(Rule::colon));
        if !allowed_here {
            let hint = match c {
                '$' | '€' | '£' | '¥' => {
                    "write amounts as plain numbers (1500000); show them as money with @currency"
                }
                ';' => "separate function arguments with `,`",
                '[' | ']' => "group with `(` and `)`; refer to a column as Table.column",
                '!' => "use `<>` for \"not equal\" and `not` to negate a condition",
                '@' => "a format annotation like @percent goes at the end of a definition",
                '.' => "refer to a column as Table.column, with a name on both sides of the dot",
                ':' => {
                    "`:` only ends the condition of a flag: flag Channels when roi < 1: \"message\""
                }
                c if c.is_alphabetic() => {
                    "names use only the letters A-Z and a-z, digits and `_`; text with other letters goes in double quotes"
                }
                _ => "remove this character",
            };
            let mut message = format!("unexpected character `{c}`");
            if expects_operator && !expects_value {
                message.push_str("; expected an operator or the end of the line");
            }
            return Diagnostic::error(Code::StrayCharacter, message, span)
                .with_label("not part of the formula language")
                .with_hint(hint);
        }
    }

    // `where` in the wrong place.
    if found.eq_ignore_ascii_case("where") && !expects(Rule::kw_by) && !expects_value {
        return Diagnostic::error(
            Code::WhereOutsideCall,
            "`where` can only filter a list inside a function call",
            span,
        )
        .with_label("not inside a function's brackets")
        .with_hint("filter the rows an aggregate sees: SUM(Opportunities.amount where is_won)");
    }
    // An operator word where a name or value belongs.
    let lower = found.to_ascii_lowercase();
    if matches!(lower.as_str(), "and" | "or" | "not" | "in" | "where") && expects_value {
        return Diagnostic::error(
            Code::KeywordAsName,
            format!("`{found}` is an operator, not a value"),
            span,
        )
        .with_label(format!("expected a value before or instead of `{found}`"))
        .with_hint(format!(
            "a value is missing before `{found}`; to call the Excel function write `{}(…)` with no space before `(`",
            found.to_ascii_uppercase()
        ));
    }
    if matches!(
        lower.as_str(),
        "input" | "param" | "table" | "flag" | "group" | "by" | "when"
    ) && (expects_value || expects_operator)
        && !expects(Rule::kw_group)
        && !expects(Rule::kw_by)
        && !expects(Rule::kw_when)
    {
        return Diagnostic::error(
            Code::KeywordAsName,
            format!("`{found}` starts a statement and cannot appear inside a formula"),
            span,
        )
        .with_label("a statement keyword")
        .with_hint("each statement goes on its own line; did a previous line end with an operator or a comma?");
    }

    // A line that starts with an operator: the author meant to continue the previous one.
    if text.get(..pos).is_some_and(|t| t.trim().is_empty())
        && ["+", "-", "*", "/", "^", "&", "=", "<", ">", ","].contains(&found.as_str())
    {
        return Diagnostic::error(
            Code::Syntax,
            format!("a statement cannot start with `{found}`"),
            span,
        )
        .with_label("the previous line already ended its statement")
        .with_hint(format!(
            "to continue a formula on the next line, end the previous line with the operator: `revenue {found}` then the rest indented below"
        ));
    }
    // A formula with no name: `SUM(x)` alone on a line.
    if found == "(" && expects(Rule::equals) && !text.get(..pos).unwrap_or("").contains(['=', ' '])
    {
        let name = text.get(..pos).unwrap_or("");
        return Diagnostic::error(
            Code::MissingEquals,
            "a formula on its own line needs a name",
            Span::new(file, offset, offset + pos + 1),
        )
        .with_label(format!("`{name}(…)` is not a definition"))
        .with_hint(format!("give it a name, e.g. `total = {}`", text.trim()))
        .with_hint(STATEMENT_FORMS);
    }

    // Statement-specific expectations.
    if expects(Rule::kw_by) {
        return Diagnostic::error(
            Code::MissingBy,
            format!("expected `by` and the key columns, found {found_shown}"),
            span,
        )
        .with_label("expected `by` here")
        .with_hint("a grouped table is written: table Channels = group Opportunities by channel");
    }
    if expects(Rule::kw_group) {
        return Diagnostic::error(
            Code::Syntax,
            format!("expected `group`, found {found_shown}"),
            span,
        )
        .with_label("expected `group` here")
        .with_hint("a grouped table is written: table Channels = group Opportunities by channel");
    }
    if expects(Rule::kw_when) {
        return Diagnostic::error(
            Code::Syntax,
            format!("expected `when` and a condition, found {found_shown}"),
            span,
        )
        .with_label("expected `when` here")
        .with_hint("a flag is written: flag Channels when roi < 1: \"ROI {roi:0.00} is below 1\"");
    }
    if statement_word == "flag" && expects(Rule::colon) {
        return Diagnostic::error(
            Code::MissingFlagColon,
            format!("expected `:` before the flag message, found {found_shown}"),
            span,
        )
        .with_label("expected `:` here")
        .with_hint("end the condition with `:` and give the message in double quotes: flag Channels when roi < 1: \"ROI is low\"");
    }
    if expects(Rule::template) {
        return Diagnostic::error(
            Code::Syntax,
            format!("expected the flag message in double quotes, found {found_shown}"),
            span,
        )
        .with_label("expected \"message\" here")
        .with_hint("text must be in double quotes: flag Channels when roi < 1: \"ROI is low\"");
    }
    if expects(Rule::equals) && !expects_value {
        let target = text.get(..pos).unwrap_or("").trim();
        return Diagnostic::error(
            Code::MissingEquals,
            format!("expected `=` after `{target}`, found {found_shown}"),
            span,
        )
        .with_label("expected `=` here")
        .with_hint(format!("a definition is written `{target} = formula`"));
    }
    let keyword_forms = [
        ("param", Rule::param_name, "param gross_margin = 72%"),
        (
            "table",
            Rule::table_name,
            "table Channels = group Opportunities by channel",
        ),
        (
            "input",
            Rule::table_name,
            "input Opportunities (opp_id: text, amount: number)",
        ),
        (
            "flag",
            Rule::table_name,
            "flag Channels when roi < 1: \"ROI is low\"",
        ),
    ];
    if let Some((word, _, example)) = keyword_forms.iter().find(|(word, rule, _)| {
        statement_word == *word
            && expects(*rule)
            && text
                .get(..pos)
                .is_some_and(|t| t.trim().eq_ignore_ascii_case(word))
    }) {
        let what = if *word == "param" {
            "a parameter name"
        } else {
            "a table name"
        };
        return Diagnostic::error(
            Code::KeywordAsName,
            format!("expected {what} after `{word}`, found {found_shown}"),
            span,
        )
        .with_label(format!("expected {what} here"))
        .with_hint(format!("`{word}` starts a statement: {example}"))
        .with_hint(format!(
            "`{word}` cannot be used as a name; choose another name"
        ));
    }
    if statement_word == "input" && expects(Rule::comma) && expects(Rule::close_paren) && !at_end {
        return Diagnostic::error(
            Code::Syntax,
            format!("expected `,` or `)`, found {found_shown}"),
            span,
        )
        .with_label("a `,` is missing before this column")
        .with_hint(
            "separate the columns with commas: input Opportunities (opp_id: text, amount: number)",
        );
    }
    if statement_word == "input"
        && (expects(Rule::type_name) || expects(Rule::colon) || expects(Rule::column_decl))
    {
        return generic().with_hint(
            "declare each input column as name: type, e.g. amount: number or close_date: date?",
        );
    }
    if expects(Rule::column_target) || expects(Rule::input_decl) || expects(Rule::statement) {
        return Diagnostic::error(
            Code::Syntax,
            format!("expected a statement, found {found_shown}"),
            span,
        )
        .with_label("no statement starts like this")
        .with_hint(STATEMENT_FORMS);
    }

    // Inside formulas.
    if previous == "@" {
        return Diagnostic::error(
            Code::UnknownFormat,
            "a format name must follow `@`",
            span,
        )
        .with_label("expected a format here")
        .with_hint("formats are @percent, @currency, @date, @integer, @decimal, or an Excel number format in quotes such as @\"0.0x\"");
    }
    if previous.eq_ignore_ascii_case("where") && expects_value {
        return Diagnostic::error(
            Code::Syntax,
            format!("expected the condition after `where`, found {found_shown}"),
            span,
        )
        .with_label("the condition is missing")
        .with_hint("give the rows to keep, e.g. SUM(Opportunities.amount where is_won)");
    }
    if expects(Rule::column_name) && previous.ends_with('.') {
        let before = text.get(..pos).unwrap_or("").trim_end();
        let table = token_before(text, before.len().saturating_sub(1));
        return Diagnostic::error(
            Code::Syntax,
            format!("expected a column name after `{table}.`, found {found_shown}"),
            span,
        )
        .with_label("expected a column name")
        .with_hint("refer to a column as Table.column, e.g. Opportunities.amount");
    }
    if expects(Rule::column_name) && previous.eq_ignore_ascii_case("by") {
        return Diagnostic::error(
            Code::Syntax,
            format!("expected the key columns after `by`, found {found_shown}"),
            span,
        )
        .with_label("expected a column name")
        .with_hint("a grouped table is written: table Channels = group Opportunities by channel");
    }
    if expects(Rule::open_paren) && previous.eq_ignore_ascii_case("in") {
        return Diagnostic::error(
            Code::Syntax,
            format!("expected `(` and a list of values after `IN`, found {found_shown}"),
            span,
        )
        .with_label("expected `(`")
        .with_hint("list the values in brackets: stage IN (\"Closed Won\", \"Closed Lost\")");
    }
    let gap_before = text
        .get(..pos)
        .is_some_and(|t| t.ends_with(|c: char| c.is_whitespace()));
    let previous_is_name = previous
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    if found == "(" && expects_operator && gap_before && previous_is_name {
        return Diagnostic::error(
            Code::Syntax,
            format!("unexpected space between `{previous}` and `(`"),
            span,
        )
        .with_label("remove the space before `(`")
        .with_hint(format!(
            "write function calls as in Excel, with no space: {previous}(…)"
        ));
    }
    let previous_is_number = !previous.is_empty() && previous.chars().all(|c| c.is_ascii_digit());
    if previous_is_number
        && expects_operator
        && gap_before
        && found.starts_with(|c: char| c.is_ascii_digit())
    {
        return Diagnostic::error(
            Code::Syntax,
            format!("expected an operator or the end of the line, found `{found}`"),
            span,
        )
        .with_label("a second number right after the first")
        .with_hint(format!(
            "write numbers without thousands separators: {}",
            join_digit_groups(&previous, text.get(pos..).unwrap_or(""))
        ));
    }
    if previous_is_number && found == "," && !in_call && !expects(Rule::close_brace) {
        return Diagnostic::error(
            Code::Syntax,
            "unexpected `,` after a number",
            span,
        )
        .with_label("a comma outside a function call")
        .with_hint("write decimals with a dot (1.5) and thousands without separators (10000); commas only separate function arguments");
    }
    if expects_value && at_end {
        let message = if previous.is_empty() {
            "the formula is missing".to_string()
        } else {
            format!("the formula ends after `{previous}`; expected a value")
        };
        return Diagnostic::error(Code::Syntax, message, span)
            .with_label(format!("expected a value after `{previous}`"))
            .with_hint("complete the formula, or remove the trailing operator");
    }
    if expects_value && (found == ")" || found == "," || found == "}") {
        return Diagnostic::error(
            Code::Syntax,
            format!("expected a value before `{found}`"),
            span,
        )
        .with_label("a value is missing here")
        .with_hint(if previous == "(" || previous == "," {
            "empty arguments are not allowed; give every argument a value"
        } else {
            "each operator needs a value on both sides"
        });
    }
    if expects_value && !expects_operator {
        let mut diagnostic = Diagnostic::error(
            Code::Syntax,
            format!("expected a value, found {found_shown}"),
            span,
        )
        .with_label(format!("expected a value after `{previous}`"));
        if previous == "=" && found == "=" {
            diagnostic = diagnostic.with_hint("compare with a single `=`");
        } else {
            diagnostic = diagnostic.with_hint("a value is a number, \"text\" in double quotes, a name, Table.column, or a function call like SUM(…)");
        }
        return diagnostic;
    }
    if expects_operator && !at_end {
        // Two values side by side.
        let (message, hint) = if in_call {
            (
                format!("expected an operator, `,` or `)`, found {found_shown}"),
                "did you forget a comma between arguments?",
            )
        } else if expects(Rule::close_paren) {
            (
                format!("expected an operator or `)`, found {found_shown}"),
                "did you forget an operator (+ - * / &) or a `)`?",
            )
        } else if expects(Rule::close_brace) {
            (
                format!("expected `,` or `}}`, found {found_shown}"),
                "separate the values of a list with `,`",
            )
        } else if expects(Rule::order_direction) {
            (
                format!(
                    "expected `asc`, `desc`, an operator, `,` or the end of the line, found {found_shown}"
                ),
                "each `order by` expression may end with `asc` (the default) or `desc`; separate the expressions with `,`",
            )
        } else {
            (
                format!("expected an operator or the end of the line, found {found_shown}"),
                "did you forget an operator (+ - * / &) between the two values? A statement ends at the end of its line.",
            )
        };
        let label = if in_call {
            "a `,` or an operator is missing before this"
        } else {
            "an operator is missing before this"
        };
        let mut diagnostic = Diagnostic::error(Code::Syntax, message, span)
            .with_label(label)
            .with_hint(hint);
        if found.starts_with('"')
            && previous
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            diagnostic = diagnostic
                .with_hint("text must be in double quotes as a whole, e.g. \"Closed Won\"");
        }
        return diagnostic;
    }
    let hint = match statement_word.as_str() {
        _ if in_call => "check the function's brackets and commas",
        "input" => {
            "an input table is written: input Opportunities (opp_id: text, amount: number, close_date: date?)"
        }
        "table" if text.contains('(') => {
            "an analysis table is written: table Plan = optimize Channels by channel (name = formula, …)"
        }
        "table" => "a grouped table is written: table Channels = group Opportunities by channel",
        "flag" => "a flag is written: flag Channels when roi < 1: \"ROI is below 1\"",
        "param" => "a parameter is written: param gross_margin = 72%",
        _ if expects_value || expects_operator => {
            "a formula combines values (numbers, \"text\", names, Table.column, FUNCTION(…)) with operators"
        }
        _ => STATEMENT_FORMS,
    };
    generic().with_hint(hint)
}
