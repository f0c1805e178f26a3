//! Excel number-format rendering (`0.00`, `#,##0`, `0%`, `$#,##0`, `yyyy-mm-dd`, `0;(0)` …)
//! used by TEXT() and by flag message templates such as `{roi:0.00}`.

use crate::functions::math::{RoundMode, round_digits};
use crate::value::datetime::ymd_from_serial;
use crate::value::format_general;

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

const WEEKDAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

/// One piece of a format section.
#[derive(Debug, Clone, PartialEq)]
enum Token {
    /// Text shown as is (quoted text, `\x`, `$`, spaces …).
    Literal(String),
    /// A digit placeholder: `0` (always shown), `#` (optional), `?` (space when absent).
    Digit(char),
    Point,
    Comma,
    Percent,
    /// Scientific notation marker; `true` when the exponent always shows its sign (`E+`).
    Exponent(bool),
    /// A run of one date/time letter (`yyyy`, `mmm`, `dd`, `hh`, `ss`), lower-cased.
    DatePart(char, usize),
    /// `AM/PM` (`true`) or `A/P` (`false`).
    AmPm(bool),
    /// Elapsed time in brackets (`[h]`, `[mm]`, `[ss]`): the whole duration in that
    /// unit, not the clock reading (1.5 days is `[h]` 36).
    Elapsed(char, usize),
    /// `@`: the text itself.
    TextValue,
    /// `General`.
    General,
}

/// Renders `value` with an Excel number format. `None` when the format cannot be
/// rendered (e.g. a negative number with a date format), which TEXT reports as `#VALUE!`.
pub fn format_number(value: f64, format: &str) -> Option<String> {
    if !value.is_finite() {
        return None;
    }
    let sections = split_sections(format);
    let (section, value, show_minus) = match sections.as_slice() {
        [] => ("General", value, value < 0.0),
        [only] => (*only, value, value < 0.0),
        [pos, neg] => {
            if value < 0.0 {
                (*neg, -value, false)
            } else {
                (*pos, value, false)
            }
        }
        [pos, neg, zero, ..] => {
            if value > 0.0 {
                (*pos, value, false)
            } else if value < 0.0 {
                (*neg, -value, false)
            } else {
                (*zero, value, false)
            }
        }
    };
    let tokens = tokenize(section);
    if tokens
        .iter()
        .any(|t| matches!(t, Token::DatePart(..) | Token::AmPm(_) | Token::Elapsed(..)))
    {
        return format_date(value, &tokens);
    }
    if let Some(fraction) = Fraction::parse(&tokens) {
        let body = fraction.render(value.abs());
        let shows_nonzero = body.chars().any(|c| c.is_ascii_digit() && c != '0');
        return Some(if show_minus && shows_nonzero {
            format!("-{body}")
        } else {
            body
        });
    }
    let body = format_numeric(value.abs(), &tokens);
    // A one-section format shows the minus sign in front, unless every shown digit is
    // zero (LibreOffice renders TEXT(-0.4, "0") as "0").
    let shows_nonzero = body.chars().any(|c| c.is_ascii_digit() && c != '0');
    Some(if show_minus && shows_nonzero {
        format!("-{body}")
    } else {
        body
    })
}

/// Renders text with the text section of a format (`@` replaced by the text); a
/// format without a text section returns the text unchanged.
pub fn format_text(text: &str, format: &str) -> String {
    let sections = split_sections(format);
    let section = match sections.as_slice() {
        [_, _, _, text_section, ..] => Some(*text_section),
        [only] if only.contains('@') => Some(*only),
        _ => None,
    };
    let Some(section) = section else {
        return text.to_string();
    };
    tokenize(section)
        .into_iter()
        .map(|t| match t {
            Token::TextValue => text.to_string(),
            Token::Literal(s) => s,
            _ => String::new(),
        })
        .collect()
}

/// Splits a format at `;` outside quotes and escapes.
fn split_sections(format: &str) -> Vec<&str> {
    let mut sections = Vec::new();
    let mut start = 0;
    let mut in_quotes = false;
    let mut escaped = false;
    for (i, c) in format.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' if !in_quotes => escaped = true,
            '"' => in_quotes = !in_quotes,
            ';' if !in_quotes => {
                sections.push(format.get(start..i).unwrap_or(""));
                start = i + 1;
            }
            _ => {}
        }
    }
    sections.push(format.get(start..).unwrap_or(""));
    sections
}

fn tokenize(section: &str) -> Vec<Token> {
    let chars: Vec<char> = section.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    let rest_starts_with = |i: usize, word: &str| {
        let w: Vec<char> = word.chars().collect();
        chars
            .get(i..i + w.len())
            .is_some_and(|s| s.iter().zip(&w).all(|(a, b)| a.eq_ignore_ascii_case(b)))
    };
    while let Some(&c) = chars.get(i) {
        match c {
            '"' => {
                let mut lit = String::new();
                i += 1;
                while let Some(&q) = chars.get(i) {
                    i += 1;
                    if q == '"' {
                        break;
                    }
                    lit.push(q);
                }
                tokens.push(Token::Literal(lit));
                continue;
            }
            '\\' => {
                if let Some(&next) = chars.get(i + 1) {
                    tokens.push(Token::Literal(next.to_string()));
                }
                i += 2;
                continue;
            }
            '_' => {
                tokens.push(Token::Literal(" ".to_string()));
                i += 2;
                continue;
            }
            '*' => {
                i += 2;
                continue;
            }
            '[' => {
                let start = i + 1;
                while let Some(&b) = chars.get(i) {
                    i += 1;
                    if b == ']' {
                        break;
                    }
                }
                // `[h]`, `[mm]`, `[ss]` are elapsed time; colors, conditions and
                // locales are not rendered.
                let closed = chars.get(i.wrapping_sub(1)) == Some(&']') && i > start;
                let inside = chars.get(start..i.saturating_sub(1)).unwrap_or_default();
                if let Some(&first) = inside.first().filter(|_| closed) {
                    let letter = first.to_ascii_lowercase();
                    if matches!(letter, 'h' | 'm' | 's')
                        && inside.iter().all(|c| c.to_ascii_lowercase() == letter)
                    {
                        tokens.push(Token::Elapsed(letter, inside.len()));
                    }
                }
                continue;
            }
            '0' | '#' | '?' => tokens.push(Token::Digit(c)),
            '.' => tokens.push(Token::Point),
            ',' => tokens.push(Token::Comma),
            '%' => tokens.push(Token::Percent),
            '@' => tokens.push(Token::TextValue),
            'E' | 'e' if matches!(chars.get(i + 1), Some('+') | Some('-')) => {
                tokens.push(Token::Exponent(chars.get(i + 1) == Some(&'+')));
                i += 2;
                continue;
            }
            _ if rest_starts_with(i, "AM/PM") => {
                tokens.push(Token::AmPm(true));
                i += 5;
                continue;
            }
            _ if rest_starts_with(i, "A/P") => {
                tokens.push(Token::AmPm(false));
                i += 3;
                continue;
            }
            _ if rest_starts_with(i, "General") => {
                tokens.push(Token::General);
                i += 7;
                continue;
            }
            'y' | 'Y' | 'm' | 'M' | 'd' | 'D' | 'h' | 'H' | 's' | 'S' => {
                let letter = c.to_ascii_lowercase();
                let mut run = 0;
                while chars
                    .get(i + run)
                    .is_some_and(|x| x.to_ascii_lowercase() == letter)
                {
                    run += 1;
                }
                tokens.push(Token::DatePart(letter, run));
                i += run;
                continue;
            }
            other => tokens.push(Token::Literal(other.to_string())),
        }
        i += 1;
    }
    tokens
}

fn format_numeric(value: f64, tokens: &[Token]) -> String {
    if tokens.contains(&Token::General) {
        return tokens
            .iter()
            .map(|t| match t {
                Token::General => format_general(value),
                Token::Literal(s) => s.clone(),
                _ => String::new(),
            })
            .collect();
    }
    let exponent_at = tokens.iter().position(|t| matches!(t, Token::Exponent(_)));
    let mantissa_tokens = &tokens[..exponent_at.unwrap_or(tokens.len())];
    let point_at = mantissa_tokens.iter().position(|t| *t == Token::Point);
    let int_end = point_at.unwrap_or(mantissa_tokens.len());
    let is_digit = |t: &Token| matches!(t, Token::Digit(_));
    let int_digits: Vec<char> = mantissa_tokens[..int_end]
        .iter()
        .filter_map(|t| match t {
            Token::Digit(c) => Some(*c),
            _ => None,
        })
        .collect();
    let frac_digits: Vec<char> = mantissa_tokens
        .get(int_end..)
        .unwrap_or(&[])
        .iter()
        .filter_map(|t| match t {
            Token::Digit(c) => Some(*c),
            _ => None,
        })
        .collect();
    if int_digits.is_empty() && frac_digits.is_empty() && exponent_at.is_none() {
        // No placeholders: only literals (and a percent sign).
        return tokens
            .iter()
            .map(|t| match t {
                Token::Literal(s) => s.clone(),
                Token::Percent => "%".to_string(),
                Token::TextValue => format_general(value),
                _ => String::new(),
            })
            .collect();
    }
    // Commas: between integer placeholders they group thousands; after the last
    // digit placeholder each one divides by 1000 (`#,##0,"k"`, `0.0,,"M"`).
    let last_digit = mantissa_tokens.iter().rposition(is_digit);
    let mut grouping = false;
    let mut scale_commas = 0;
    for (i, t) in mantissa_tokens.iter().enumerate() {
        if *t == Token::Comma {
            if last_digit.is_some_and(|last| i > last) {
                scale_commas += 1;
            } else if i < int_end && mantissa_tokens[..i].iter().any(is_digit) {
                grouping = true;
            }
        }
    }
    let percents = tokens.iter().filter(|t| **t == Token::Percent).count();
    let mut v = value * 100f64.powi(percents as i32) / 1000f64.powi(scale_commas);
    let decimals = frac_digits.len();
    let mut exponent_text = String::new();
    if let (Some(at), Some(Token::Exponent(always_sign))) =
        (exponent_at, exponent_at.and_then(|at| tokens.get(at)))
    {
        let int_count = int_digits.len().max(1) as i32;
        let mut e = if v == 0.0 {
            0
        } else {
            v.abs().log10().floor() as i32 - (int_count - 1)
        };
        let mut mantissa = round_digits(v / 10f64.powi(e), decimals as i32, RoundMode::HalfAway);
        if mantissa >= 10f64.powi(int_count) {
            e += 1;
            mantissa = round_digits(v / 10f64.powi(e), decimals as i32, RoundMode::HalfAway);
        }
        v = mantissa;
        let exp_width = tokens[at + 1..].iter().filter(|t| is_digit(t)).count();
        let sign = if e < 0 {
            "-"
        } else if *always_sign {
            "+"
        } else {
            ""
        };
        exponent_text = format!("E{sign}{:0width$}", e.abs(), width = exp_width);
    }
    let (int_part, frac_part) = fixed_digits(v, decimals);
    let int_text = integer_text(&int_part, &int_digits, grouping);
    let frac_text = fraction_text(&frac_part, &frac_digits);

    let mut out = String::new();
    let mut int_done = false;
    let mut frac_done = false;
    for (i, t) in tokens.iter().enumerate() {
        let in_exponent = exponent_at.is_some_and(|at| i > at);
        match t {
            Token::Literal(s) => out.push_str(s),
            Token::Percent => out.push('%'),
            // Each run of placeholders prints its whole part once, at its first digit.
            Token::Digit(_) => {
                let slot = if in_exponent {
                    None
                } else if point_at.is_none_or(|p| i < p) {
                    Some((&mut int_done, &int_text))
                } else {
                    Some((&mut frac_done, &frac_text))
                };
                if let Some((done, part)) = slot.filter(|(done, _)| !**done) {
                    out.push_str(part);
                    *done = true;
                }
            }
            Token::Point if point_at == Some(i) => {
                if !int_done {
                    out.push_str(&int_text);
                    int_done = true;
                }
                out.push('.');
            }
            Token::Exponent(_) => {
                out.push_str(&exponent_text);
                exponent_text.clear();
            }
            Token::TextValue => out.push_str(&format_general(value)),
            _ => {}
        }
    }
    out
}

/// The decimal digits of `|value|` rounded (halves away from zero) to `decimals`
/// places, as (integer part, fraction part). Only 15 significant digits are real, as
/// in Excel: further digits print as zeros (0.1 + 0.2 shows as 0.30000000000000000).
fn fixed_digits(value: f64, decimals: usize) -> (String, String) {
    let zeros = |n: usize| "0".repeat(n);
    let scientific = format!("{:.14e}", value.abs());
    let parsed = scientific
        .split_once('e')
        .and_then(|(m, e)| Some((m, e.parse::<i64>().ok()?)));
    let Some((mantissa, exponent)) = parsed.filter(|_| value != 0.0 && value.is_finite()) else {
        return ("0".to_string(), zeros(decimals));
    };
    let significant: Vec<u8> = mantissa
        .bytes()
        .filter(u8::is_ascii_digit)
        .map(|b| b - b'0')
        .collect();
    // Digits of value × 10^decimals, before rounding.
    let keep = exponent + 1 + decimals as i64;
    let mut digits: Vec<u8> = if keep <= 0 {
        Vec::new()
    } else {
        (0..keep as usize)
            .map(|i| significant.get(i).copied().unwrap_or(0))
            .collect()
    };
    let next = if keep < 0 {
        0
    } else {
        significant.get(keep as usize).copied().unwrap_or(0)
    };
    if next >= 5 {
        // Carry the round-up through the kept digits.
        let mut i = digits.len();
        loop {
            if i == 0 {
                digits.insert(0, 1);
                break;
            }
            i -= 1;
            if let Some(d) = digits.get_mut(i) {
                if *d == 9 {
                    *d = 0;
                } else {
                    *d += 1;
                    break;
                }
            }
        }
    }
    while digits.len() <= decimals {
        digits.insert(0, 0);
    }
    let split = digits.len() - decimals;
    let text: String = digits.iter().map(|d| char::from(b'0' + d)).collect();
    let (int_part, frac_part) = text.split_at(split);
    (int_part.to_string(), frac_part.to_string())
}

/// The integer digits laid into the integer placeholders: zero-padded to the `0`
/// count, space-padded for `?`, a lone 0 dropped when no `0` placeholder asks for it.
fn integer_text(digits: &str, placeholders: &[char], grouping: bool) -> String {
    let zeros = placeholders.iter().filter(|c| **c == '0').count();
    let spaces = placeholders.iter().filter(|c| **c == '?').count();
    let mut d = digits.trim_start_matches('0').to_string();
    if d.len() < zeros {
        d = format!("{}{}", "0".repeat(zeros - d.len()), d);
    }
    if grouping && d.len() > 3 {
        let bytes: Vec<char> = d.chars().collect();
        let mut grouped = String::new();
        for (i, ch) in bytes.iter().enumerate() {
            if i > 0 && (bytes.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(*ch);
        }
        d = grouped;
    }
    if d.len() < zeros + spaces {
        d = format!("{}{}", " ".repeat(zeros + spaces - d.len()), d);
    }
    d
}

/// The fraction digits: trailing zeros at `#` positions dropped, at `?` positions spaces.
fn fraction_text(digits: &str, placeholders: &[char]) -> String {
    let mut chars: Vec<char> = digits.chars().collect();
    let mut end = chars.len();
    while end > 0 {
        let j = end - 1;
        if chars.get(j) != Some(&'0') {
            break;
        }
        match placeholders.get(j) {
            Some('#') => {
                chars.truncate(j);
            }
            Some('?') => {
                if let Some(slot) = chars.get_mut(j) {
                    *slot = ' ';
                }
            }
            _ => break,
        }
        end = j;
    }
    chars.into_iter().collect()
}

fn format_date(value: f64, tokens: &[Token]) -> Option<String> {
    if value < 0.0 {
        return None;
    }
    // Time to the millisecond (absorbing binary noise: 0.75 is 18:00, not 17:59:59.99),
    // then whole seconds shown truncated, as LibreOffice shows 0.999999 as 23:59.
    let mut days = value.floor();
    let mut seconds = (((value - days) * 86_400_000.0).round() / 1000.0).floor();
    if seconds >= 86400.0 {
        days += 1.0;
        seconds -= 86400.0;
    }
    let elapsed_seconds = days * 86_400.0 + seconds;
    let elapsed = tokens.iter().any(|t| matches!(t, Token::Elapsed(..)));
    // Elapsed time past the calendar's end has no date, and needs none.
    let (year, month, day) = match ymd_from_serial(days) {
        Some(ymd) => ymd,
        None if elapsed && days < 1e12 => (1900, 1, 1),
        None => return None,
    };
    let weekday = ((days as i64 + 6) % 7) as usize;
    let hour = (seconds / 3600.0).floor() as u32;
    let minute = ((seconds % 3600.0) / 60.0).floor() as u32;
    let second = (seconds % 60.0) as u32;
    let twelve_hour = tokens.iter().any(|t| matches!(t, Token::AmPm(_)));

    let date_parts: Vec<(usize, char)> = tokens
        .iter()
        .enumerate()
        .filter_map(|(i, t)| match t {
            Token::DatePart(c, _) | Token::Elapsed(c, _) => Some((i, *c)),
            _ => None,
        })
        .collect();

    // `m`/`mm` right after an hour or right before a second means minutes.
    let is_minutes = |index: usize| {
        let pos = date_parts.iter().position(|(i, _)| *i == index);
        let prev = pos
            .and_then(|p| p.checked_sub(1))
            .and_then(|p| date_parts.get(p));
        let next = pos.and_then(|p| date_parts.get(p + 1));
        prev.is_some_and(|(_, c)| *c == 'h') || next.is_some_and(|(_, c)| *c == 's')
    };

    let mut out = String::new();
    for (i, t) in tokens.iter().enumerate() {
        match t {
            Token::Literal(s) => out.push_str(s),
            Token::DatePart('y', n) => {
                if *n <= 2 {
                    out.push_str(&format!("{:02}", year.rem_euclid(100)));
                } else {
                    out.push_str(&format!("{year:04}"));
                }
            }
            Token::DatePart('m', n) if *n <= 2 && is_minutes(i) => {
                out.push_str(&pad(minute, *n));
            }
            Token::DatePart('m', n) => {
                let name = MONTHS.get(month.checked_sub(1)? as usize)?;
                match n {
                    1 | 2 => out.push_str(&pad(month, *n)),
                    3 => out.push_str(name.get(..3)?),
                    5 => out.push_str(name.get(..1)?),
                    _ => out.push_str(name),
                }
            }
            Token::DatePart('d', n) => {
                let name = WEEKDAYS.get(weekday)?;
                match n {
                    1 | 2 => out.push_str(&pad(day, *n)),
                    3 => out.push_str(name.get(..3)?),
                    _ => out.push_str(name),
                }
            }
            Token::Elapsed(unit, n) => {
                let per = match unit {
                    'h' => 3600.0,
                    'm' => 60.0,
                    _ => 1.0,
                };
                let whole = (elapsed_seconds / per).floor();
                let digits = format!("{whole:.0}");
                out.push_str(&format!("{digits:0>n$}"));
            }
            Token::DatePart('h', n) => {
                let h = if twelve_hour {
                    match hour % 12 {
                        0 => 12,
                        h => h,
                    }
                } else {
                    hour
                };
                out.push_str(&pad(h, *n));
            }
            Token::DatePart('s', n) => out.push_str(&pad(second, *n)),
            Token::AmPm(full) => {
                let am = hour < 12;
                out.push_str(match (full, am) {
                    (true, true) => "AM",
                    (true, false) => "PM",
                    (false, true) => "A",
                    (false, false) => "P",
                });
            }
            Token::Digit(c) => out.push(*c),
            Token::Point => out.push('.'),
            Token::Comma => out.push(','),
            Token::Percent => out.push('%'),
            _ => {}
        }
    }
    Some(out)
}

/// A fraction format (`# ?/?`, `# ??/??`, `?/8`, `0 ?/100`): an optional integer part,
/// then numerator placeholders, `/`, and denominator placeholders or a fixed denominator.
#[derive(Debug)]
struct Fraction {
    /// Integer placeholders (none: an improper fraction, `?/?` shows 1.5 as 3/2).
    whole: Vec<char>,
    /// What stands between the integer part and the numerator (usually a space).
    gap: String,
    numerator: Vec<char>,
    denominator: Denominator,
    /// Literals after the fraction.
    suffix: String,
}

#[derive(Debug)]
enum Denominator {
    /// At most this many digits, best approximation (`??` allows up to 99).
    Digits(Vec<char>),
    /// Always this denominator (`?/8`).
    Fixed(u64),
}

impl Fraction {
    /// The fraction layout of a section's tokens, if it is one.
    fn parse(tokens: &[Token]) -> Option<Fraction> {
        let slash = tokens
            .iter()
            .position(|t| matches!(t, Token::Literal(s) if s == "/"))?;
        let (before, after) = (tokens.get(..slash)?, tokens.get(slash + 1..)?);
        // Numerator: the run of placeholders just before the slash.
        let num_start = before
            .iter()
            .rposition(|t| !matches!(t, Token::Digit(_)))
            .map_or(0, |i| i + 1);
        let numerator: Vec<char> = digits_of(before.get(num_start..)?);
        if numerator.is_empty() {
            return None;
        }
        let head = before.get(..num_start)?;
        let whole: Vec<char> = digits_of(head);
        let gap: String = head
            .iter()
            .skip_while(|t| !matches!(t, Token::Digit(_)) && !whole.is_empty())
            .filter_map(|t| match t {
                Token::Literal(s) => Some(s.as_str()),
                _ => None,
            })
            .collect();
        if head
            .iter()
            .any(|t| !matches!(t, Token::Digit(_) | Token::Literal(_)))
        {
            return None;
        }
        let den_end = after
            .iter()
            .position(|t| !matches!(t, Token::Digit(_) | Token::Literal(_)))
            .unwrap_or(after.len());
        let den_tokens = after.get(..den_end)?;
        let digit_run = den_tokens
            .iter()
            .position(|t| !matches!(t, Token::Digit(_)))
            .unwrap_or(den_tokens.len());
        let (denominator, rest) = if digit_run > 0 {
            // Placeholders, unless they are all `0`-free literal digits… `?/8` tokenizes
            // 8 as a literal, so a run of placeholders is a digit count.
            (
                Denominator::Digits(digits_of(den_tokens.get(..digit_run)?)),
                den_tokens.get(digit_run..)?,
            )
        } else {
            let fixed: String = den_tokens
                .iter()
                .map_while(|t| match t {
                    Token::Literal(s) if s.chars().all(|c| c.is_ascii_digit()) => Some(s.as_str()),
                    _ => None,
                })
                .collect();
            let count = den_tokens
                .iter()
                .take_while(
                    |t| matches!(t, Token::Literal(s) if s.chars().all(|c| c.is_ascii_digit())),
                )
                .count();
            let value: u64 = fixed.parse().ok().filter(|d| *d > 0)?;
            (Denominator::Fixed(value), den_tokens.get(count..)?)
        };
        if after.len() > den_end {
            return None;
        }
        let suffix = rest
            .iter()
            .filter_map(|t| match t {
                Token::Literal(s) => Some(s.as_str()),
                _ => None,
            })
            .collect();
        let gap = if whole.is_empty() { String::new() } else { gap };
        Some(Fraction {
            whole,
            gap,
            numerator,
            denominator,
            suffix,
        })
    }

    /// `value` (not negative) in this layout.
    fn render(&self, value: f64) -> String {
        let (mut whole, fraction) = if self.whole.is_empty() {
            (0.0, value)
        } else {
            (value.trunc(), value.fract())
        };
        let (mut num, den) = match &self.denominator {
            Denominator::Fixed(d) => ((fraction * *d as f64).round() as u64, *d),
            Denominator::Digits(places) => {
                let max = 10u64.saturating_pow(places.len().min(9) as u32) - 1;
                best_fraction(fraction, max.max(1))
            }
        };
        if !self.whole.is_empty() && num >= den && den > 0 {
            whole += (num / den) as f64;
            num %= den;
        }
        let whole_text = if self.whole.is_empty() {
            String::new()
        } else {
            integer_text(&format!("{whole:.0}"), &self.whole, false)
        };
        let den_places: &[char] = match &self.denominator {
            Denominator::Digits(places) => places,
            Denominator::Fixed(_) => &[],
        };
        if num == 0 && !self.whole.is_empty() {
            // A whole number: the fraction's places turn into spaces (as `?` do).
            let blank = self.numerator.len() + 1 + den_places.len().max(den.to_string().len());
            let whole_text = if whole_text.trim().is_empty() {
                "0".to_string()
            } else {
                whole_text
            };
            return format!(
                "{whole_text}{}{}{}",
                self.gap,
                " ".repeat(blank),
                self.suffix
            );
        }
        let num_text = integer_text(&num.to_string(), &self.numerator, false);
        let mut den_text = den.to_string();
        let width = den_places.len();
        if den_text.len() < width {
            let pad = den_places.iter().skip(den_text.len()).map(|c| match c {
                '0' => '0',
                '?' => ' ',
                _ => '\0',
            });
            den_text.extend(pad.filter(|c| *c != '\0'));
        }
        let gap = if whole_text.trim().is_empty() {
            ""
        } else {
            self.gap.as_str()
        };
        let whole_text = whole_text.trim_start();
        format!(
            "{whole_text}{gap}{}/{den_text}{}",
            num_text.trim_start(),
            self.suffix
        )
    }
}

/// The placeholder characters of a run of tokens.
fn digits_of(tokens: &[Token]) -> Vec<char> {
    tokens
        .iter()
        .filter_map(|t| match t {
            Token::Digit(c) => Some(*c),
            _ => None,
        })
        .collect()
}

/// The closest fraction to `x` (0 ≤ x) with a denominator of at most `max`, by
/// continued fractions (convergents, then the best semiconvergent; on a tie the
/// convergent, which has the smaller denominator).
fn best_fraction(x: f64, max: u64) -> (u64, u64) {
    let whole = x.floor();
    let frac = x - whole;
    let (mut p0, mut q0, mut p1, mut q1) = (0u64, 1u64, 1u64, 0u64);
    let mut rest = frac;
    for _ in 0..64 {
        let a = rest.floor();
        if !(0.0..1e18).contains(&a) {
            break;
        }
        let a = a as u64;
        let q2 = q0.saturating_add(a.saturating_mul(q1));
        if q2 > max {
            break;
        }
        (p0, q0, p1, q1) = (p1, q1, p0.saturating_add(a.saturating_mul(p1)), q2);
        let remainder = rest - a as f64;
        if remainder <= 1e-12 {
            break;
        }
        rest = 1.0 / remainder;
    }
    let (num, den) = match (max - q0).checked_div(q1) {
        None => (0, 1),
        Some(k) => {
            let semi = (p0 + k * p1, q0 + k * q1);
            let error = |(n, d): (u64, u64)| (frac - n as f64 / d as f64).abs();
            if error((p1, q1)) <= error(semi) {
                (p1, q1)
            } else {
                semi
            }
        }
    };
    let whole = whole as u64;
    (whole.saturating_mul(den).saturating_add(num), den)
}

fn pad(n: u32, width: usize) -> String {
    if width >= 2 {
        format!("{n:02}")
    } else {
        n.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(v: f64, fmt: &str) -> String {
        format_number(v, fmt).unwrap_or_else(|| "<none>".to_string())
    }

    #[test]
    fn numeric_formats_follow_excel() {
        // Worked by hand from Excel's format rules.
        assert_eq!(f(1234.567, "0"), "1235");
        assert_eq!(f(1234.567, "0.00"), "1234.57");
        assert_eq!(f(1234.567, "#,##0"), "1,235");
        assert_eq!(f(1234567.891, "#,##0.00"), "1,234,567.89");
        assert_eq!(f(0.256, "0%"), "26%");
        assert_eq!(f(0.256, "0.0%"), "25.6%");
        assert_eq!(f(-1234.5, "$#,##0"), "-$1,235");
        assert_eq!(f(1.5, "0.00\"x\""), "1.50x");
        assert_eq!(f(1.5, "0.0\\x"), "1.5x");
        assert_eq!(f(12345.0, "#,##0,\"k\""), "12k");
        assert_eq!(f(-5.0, "0;(0)"), "(5)");
        assert_eq!(f(5.0, "0;(0)"), "5");
        assert_eq!(f(0.5, "#.00"), ".50");
        assert_eq!(f(1.0, "0.##"), "1.");
        assert_eq!(f(12345.678, "0.00E+00"), "1.23E+04");
    }

    #[test]
    fn date_formats_follow_excel() {
        // 45839 is 2025-07-01, a Tuesday; 45839.75 is 18:00.
        assert_eq!(f(45839.0, "yyyy-mm-dd"), "2025-07-01");
        assert_eq!(f(45839.0, "mmm yyyy"), "Jul 2025");
        assert_eq!(f(45839.0, "dd/mm/yyyy"), "01/07/2025");
        assert_eq!(f(45839.0, "mmmm"), "July");
        assert_eq!(f(45839.0, "ddd"), "Tue");
        assert_eq!(f(45839.75, "hh:mm"), "18:00");
        assert_eq!(f(45839.75, "h:mm AM/PM"), "6:00 PM");
        assert_eq!(format_number(-1.0, "yyyy"), None);
    }

    #[test]
    fn elapsed_time_counts_the_whole_duration() {
        // 1.5 days is 36 hours; 0.5 days is 720 minutes; 1.25 days 108,000 seconds.
        assert_eq!(f(1.5, "[h]:mm"), "36:00");
        assert_eq!(f(1.5 + 30.0 / 1440.0, "[h]:mm:ss"), "36:30:00");
        assert_eq!(f(0.5, "[mm]:ss"), "720:00");
        assert_eq!(f(1.25, "[ss]"), "108000");
        assert_eq!(f(0.25, "[hh]"), "06");
        // A color in brackets is still ignored.
        assert_eq!(f(1.5, "[Red]0.0"), "1.5");
    }

    #[test]
    fn fractions_follow_excel() {
        // Worked by hand: 0.5 = 1/2; 1.25 = 1 1/4; 1/3 with two digits; 0.3 with one
        // digit is 2/7 (0.2857, closer than 1/3); improper without an integer part.
        assert_eq!(f(0.5, "# ?/?"), "1/2");
        assert_eq!(f(1.25, "# ?/?"), "1 1/4");
        assert_eq!(f(1.0 / 3.0, "# ??/??"), "1/3 ");
        assert_eq!(f(0.3, "# ?/?"), "2/7");
        assert_eq!(f(1.5, "?/?"), "3/2");
        assert_eq!(f(0.75, "# ?/8"), "6/8");
        assert_eq!(f(-1.25, "# ?/?"), "-1 1/4");
        assert_eq!(f(2.0, "# ?/?"), "2    ");
        assert_eq!(best_fraction(0.23, 99), (20, 87));
        assert_eq!(best_fraction(0.001, 9), (0, 1));
        assert_eq!(best_fraction(0.999, 9), (1, 1));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(20000))]
        #[test]
        fn any_format_renders_without_panicking(
            value in proptest::prelude::any::<f64>(),
            format in "[ -~]{0,24}",
        ) {
            let _ = format_number(value, &format);
            let _ = format_text("text", &format);
        }

        #[test]
        fn formats_of_placeholders_render_any_number(
            value in -1e20..1e20f64,
            format in "[0#?.,%\\-$E+ymdhs:/ \"x;]{0,16}",
        ) {
            let _ = format_number(value, &format);
        }
    }
}
