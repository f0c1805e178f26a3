//! Text dates whose layout the export does not say: `03/01/2017` is 3 January in a
//! day/month export and 1 March in a month/day one. A column's layout comes from the
//! scenario (`date_format = "%d/%m/%Y"`), else from the column itself: a date that
//! reads only one way (`15/02/2017`) decides it for the whole column, and a column
//! where every date reads both ways is refused rather than guessed. ISO text
//! (`2017-03-01`) and Excel serials are read the same way whatever the layout.

use chrono::format::{Item, StrftimeItems};
use chrono::{NaiveDate, NaiveDateTime, Timelike};

use crate::data::coerce::{date_text, parse_date_text, parse_plain_number};
use crate::value::datetime::{serial_from_date, serial_from_ymd, ymd_from_serial};

/// Checks a chrono date format for a scenario: it must parse and name a day, a month
/// and a year. The message says what is wrong.
pub fn check_date_format(format: &str) -> Result<(), String> {
    let mut day = false;
    let mut month = false;
    let mut year = false;
    for item in StrftimeItems::new(format) {
        match item {
            Item::Error => {
                return Err(format!(
                    "\"{format}\" is not a date format (chrono's, as in \"%d/%m/%Y\")"
                ));
            }
            Item::Numeric(numeric, _) => {
                use chrono::format::Numeric as N;
                match numeric {
                    N::Day | N::Ordinal => day = true,
                    N::Month => month = true,
                    N::Year | N::YearMod100 => year = true,
                    _ => {}
                }
                if matches!(numeric, N::Ordinal) {
                    month = true;
                }
            }
            Item::Fixed(fixed) => {
                use chrono::format::Fixed as F;
                if matches!(fixed, F::ShortMonthName | F::LongMonthName) {
                    month = true;
                }
            }
            _ => {}
        }
    }
    if day && month && year {
        Ok(())
    } else {
        Err(format!(
            "\"{format}\" does not name a day, a month and a year (e.g. \"%d/%m/%Y\" for 31/01/2017)"
        ))
    }
}

/// A date read with the scenario's format, or in a layout that reads only one way (ISO
/// text, `01.03.2017` day first) or as an Excel serial. `None` when it is none of
/// these: a `03/01/2017` that does not fit the format is not read some other way.
pub fn parse_with_format(text: &str, format: &str) -> Option<f64> {
    let text = text.trim();
    if let Ok(moment) = NaiveDateTime::parse_from_str(text, format) {
        let time = moment.time();
        let fraction = f64::from(time.num_seconds_from_midnight()) / 86_400.0;
        return Some(serial_from_date(moment.date()) + fraction);
    }
    if let Ok(date) = NaiveDate::parse_from_str(text, format) {
        return Some(serial_from_date(date));
    }
    if two_readings(text).is_none()
        && let Some(serial) = parse_date_text(text)
    {
        return Some(serial);
    }
    iso_or_serial(text)
}

/// ISO text (`2017-03-01`, `2017/03/01`, with a time) or a serial written as text.
fn iso_or_serial(text: &str) -> Option<f64> {
    let starts_with_year = text.len() >= 5
        && text.as_bytes().iter().take(4).all(u8::is_ascii_digit)
        && matches!(text.as_bytes().get(4), Some(b'-' | b'/'));
    if starts_with_year {
        return parse_date_text(text);
    }
    parse_plain_number(text).filter(|n| (1.0..2_958_466.0).contains(n))
}

/// How a text date with two small numbers before the year can be read.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Reading {
    /// Only one reading exists (or both give the same date): this serial.
    One(f64),
    /// Day first only (`15/02/2017`): its serial.
    DayFirst(f64),
    /// Month first only (`02/15/2017`): its serial.
    MonthFirst(f64),
    /// Both readings exist and differ: the month-first serial, to swap if the
    /// column turns out to be day first.
    Both(f64),
    /// Neither reading is a date.
    Neither,
}

/// `a/b/yyyy` (also with `-`, and an optional time): the two readings; `None` when the
/// text is not laid out that way (ISO, `01.03.2017`, words …).
pub fn two_readings(text: &str) -> Option<Reading> {
    let text = text.trim();
    let (date, time) = match text.find([' ', 'T']) {
        Some(i) => (&text[..i], text[i + 1..].trim()),
        None => (text, ""),
    };
    let sep = if date.contains('/') {
        '/'
    } else if date.contains('-') {
        '-'
    } else {
        return None;
    };
    let parts: Vec<&str> = date.split(sep).collect();
    let [a, b, year] = parts.as_slice() else {
        return None;
    };
    let small = |p: &str| (1..=2).contains(&p.len()) && p.bytes().all(|c| c.is_ascii_digit());
    if !small(a) || !small(b) || year.len() != 4 || !year.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let (a, b, year): (u32, u32, i32) = (a.parse().ok()?, b.parse().ok()?, year.parse().ok()?);
    let fraction = if time.is_empty() {
        0.0
    } else {
        // Reuse the general reader for the time part, on an ISO date.
        let day = parse_date_text(&format!("2000-01-01 {time}"))?;
        day - day.floor()
    };
    let month_first = serial_from_ymd(year, a, b).map(|s| s + fraction);
    let day_first = serial_from_ymd(year, b, a).map(|s| s + fraction);
    Some(match (day_first, month_first) {
        (Some(d), Some(m)) if d == m => Reading::One(d),
        (Some(_), Some(m)) => Reading::Both(m),
        (Some(d), None) => Reading::DayFirst(d),
        (None, Some(m)) => Reading::MonthFirst(m),
        (None, None) => Reading::Neither,
    })
}

/// The day-first serial of a month-first one (`Reading::Both`): day and month swapped.
pub fn swap_day_and_month(serial: f64) -> Option<f64> {
    let (y, m, d) = ymd_from_serial(serial)?;
    let swapped = serial_from_ymd(y, d, m)?;
    Some(swapped + (serial - serial.floor()))
}

/// What one column's text dates showed about their layout.
#[derive(Debug, Clone, Default)]
pub struct LayoutEvidence {
    /// The first date that reads only day first: (cell, text).
    pub day_first: Option<(String, String)>,
    /// The first date that reads only month first.
    pub month_first: Option<(String, String)>,
    /// The first date that reads both ways.
    pub ambiguous: Option<(String, String)>,
    /// Rows (of the sheet's kept rows) whose date was stored month first but reads
    /// both ways.
    pub both_rows: Vec<u32>,
}

/// What a column's evidence decides.
#[derive(Debug, Clone, PartialEq)]
pub enum Layout {
    /// No two-way dates: nothing to decide.
    Undecided,
    DayFirst,
    MonthFirst,
}

impl LayoutEvidence {
    pub fn note(&mut self, reading: Reading, cell: impl FnOnce() -> String, text: &str) {
        let slot = match reading {
            Reading::DayFirst(_) => &mut self.day_first,
            Reading::MonthFirst(_) => &mut self.month_first,
            Reading::Both(_) => &mut self.ambiguous,
            Reading::One(_) | Reading::Neither => return,
        };
        if slot.is_none() {
            *slot = Some((cell(), text.to_string()));
        }
    }

    /// The column's layout, or why it cannot be decided.
    pub fn decide(&self) -> Result<Layout, LayoutProblem> {
        match (&self.day_first, &self.month_first) {
            (Some(day), Some(month)) => Err(LayoutProblem::Mixed {
                day_first: day.clone(),
                month_first: month.clone(),
            }),
            (Some(_), None) => Ok(Layout::DayFirst),
            (None, Some(_)) => Ok(Layout::MonthFirst),
            (None, None) => match &self.ambiguous {
                Some(example) => Err(LayoutProblem::Ambiguous {
                    example: example.clone(),
                }),
                None => Ok(Layout::Undecided),
            },
        }
    }
}

/// Why a column's date layout cannot be decided from its dates.
#[derive(Debug, Clone, PartialEq)]
pub enum LayoutProblem {
    /// Every two-way date reads both ways: (cell, text) of the first.
    Ambiguous { example: (String, String) },
    /// Some dates read only day first, others only month first.
    Mixed {
        day_first: (String, String),
        month_first: (String, String),
    },
}

/// `2017-01-03 or 2017-03-01`: both readings of an ambiguous text date, for messages.
pub fn both_readings_text(text: &str) -> String {
    match two_readings(text) {
        Some(Reading::Both(month_first)) => {
            let day_first = swap_day_and_month(month_first).unwrap_or(month_first);
            format!(
                "{} (day first) or {} (month first)",
                date_text(day_first.floor()),
                date_text(month_first.floor())
            )
        }
        _ => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_readings_of_slashed_dates() {
        // Serials from Excel: 2017-01-03 is 42738, 2017-03-01 is 42795, 2017-02-15 is 42781.
        assert_eq!(two_readings("03/01/2017"), Some(Reading::Both(42795.0)));
        assert_eq!(swap_day_and_month(42795.0), Some(42738.0));
        assert_eq!(two_readings("15/02/2017"), Some(Reading::DayFirst(42781.0)));
        assert_eq!(
            two_readings("02/15/2017"),
            Some(Reading::MonthFirst(42781.0))
        );
        assert_eq!(two_readings("5/5/2017"), Some(Reading::One(42860.0)));
        assert_eq!(two_readings("31/31/2017"), Some(Reading::Neither));
        assert_eq!(two_readings("2017-03-01"), None);
        assert_eq!(two_readings("01.03.2017"), None);
        assert_eq!(
            two_readings("15-02-2017 12:00"),
            Some(Reading::DayFirst(42781.5))
        );
    }

    #[test]
    fn formats_read_their_layout_and_iso_and_serials() {
        assert_eq!(parse_with_format("03/01/2017", "%d/%m/%Y"), Some(42738.0));
        assert_eq!(parse_with_format("03/01/2017", "%m/%d/%Y"), Some(42795.0));
        assert_eq!(parse_with_format("2017-03-01", "%d/%m/%Y"), Some(42795.0));
        assert_eq!(parse_with_format("42795", "%d/%m/%Y"), Some(42795.0));
        assert_eq!(parse_with_format("1 Mar 2017", "%d %b %Y"), Some(42795.0));
        assert_eq!(
            parse_with_format("03/01/2017 18:00", "%d/%m/%Y %H:%M"),
            Some(42738.75)
        );
        assert_eq!(parse_with_format("13/13/2017", "%d/%m/%Y"), None);
        // A layout that reads one way only is read whatever the format; one that reads
        // two ways must fit the format.
        assert_eq!(parse_with_format("01.03.2017", "%m/%d/%Y"), Some(42795.0));
        assert_eq!(parse_with_format("15/02/2017", "%m/%d/%Y"), None);
        assert_eq!(parse_with_format("3/1/2017", "%d/%m/%Y"), Some(42738.0));
    }

    #[test]
    fn formats_must_name_day_month_and_year() {
        assert!(check_date_format("%d/%m/%Y").is_ok());
        assert!(check_date_format("%d %b %y").is_ok());
        assert!(check_date_format("%m/%Y").is_err());
        assert!(check_date_format("%Q/%m/%Y").is_err());
    }

    #[test]
    fn evidence_decides_or_refuses() {
        let mut evidence = LayoutEvidence::default();
        evidence.note(Reading::Both(1.0), || "A2".into(), "03/01/2017");
        assert!(matches!(
            evidence.decide(),
            Err(LayoutProblem::Ambiguous { .. })
        ));
        evidence.note(Reading::DayFirst(1.0), || "A3".into(), "15/02/2017");
        assert_eq!(evidence.decide(), Ok(Layout::DayFirst));
        evidence.note(Reading::MonthFirst(1.0), || "A4".into(), "02/15/2017");
        assert!(matches!(
            evidence.decide(),
            Err(LayoutProblem::Mixed { .. })
        ));
    }
}
