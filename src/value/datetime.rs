//! Excel date serials (1900 date system, with Excel's fictional 1900-02-29) to and
//! from calendar dates.

use chrono::{Datelike, NaiveDate};

/// Serial 0 is 1899-12-31 in Excel's display, but for serials after the fake leap day
/// the real anchor is 1899-12-30.
fn anchor() -> NaiveDate {
    NaiveDate::from_ymd_opt(1899, 12, 30).unwrap_or_default()
}

/// Excel serial of a calendar date (1900 system). Dates before 1900-03-01 follow
/// Excel's numbering (1900-01-01 is 1), which counts the non-existent 1900-02-29 as 60.
pub fn serial_from_date(date: NaiveDate) -> f64 {
    let days = (date - anchor()).num_days() as f64;
    if days < 61.0 { days - 1.0 } else { days }
}

/// Serial from year, month, day; `None` when the date does not exist.
pub fn serial_from_ymd(year: i32, month: u32, day: u32) -> Option<f64> {
    NaiveDate::from_ymd_opt(year, month, day).map(serial_from_date)
}

/// Calendar date of a serial's whole-day part; serial 60 (1900-02-29, which does not
/// exist) maps to 1900-02-28 here; callers needing Excel's exact display handle 60.
/// `None` for negative serials or past year 9999, where Excel shows `#NUM!`.
pub fn date_from_serial(serial: f64) -> Option<NaiveDate> {
    if !serial.is_finite() || !(0.0..2_958_466.0).contains(&serial) {
        return None;
    }
    let whole = serial.floor() as i64;
    let days = if whole < 61 { whole + 1 } else { whole };
    let days = if whole == 60 { 60 } else { days };
    anchor().checked_add_signed(chrono::Duration::days(days))
}

/// Year, month and day of a serial as Excel reports them (serial 60 is 1900-02-29,
/// serial 0 is 1900-01-00).
pub fn ymd_from_serial(serial: f64) -> Option<(i32, u32, u32)> {
    let whole = serial.floor();
    if whole == 60.0 {
        return Some((1900, 2, 29));
    }
    if (0.0..1.0).contains(&serial) {
        return Some((1900, 1, 0));
    }
    date_from_serial(serial).map(|d| (d.year(), d.month(), d.day()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials_match_excel_landmarks() {
        // Landmarks from Excel: 1900-01-01 = 1, 1900-03-01 = 61, 2000-01-01 = 36526, 2025-07-01 = 45839.
        assert_eq!(serial_from_ymd(1900, 1, 1), Some(1.0));
        assert_eq!(serial_from_ymd(1900, 2, 28), Some(59.0));
        assert_eq!(serial_from_ymd(1900, 3, 1), Some(61.0));
        assert_eq!(serial_from_ymd(2000, 1, 1), Some(36526.0));
        assert_eq!(ymd_from_serial(60.0), Some((1900, 2, 29)));
        assert_eq!(ymd_from_serial(61.0), Some((1900, 3, 1)));
        assert_eq!(ymd_from_serial(45839.0), Some((2025, 7, 1)));
    }
}
