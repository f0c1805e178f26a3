//! Excel cell addresses for messages: `Opportunities!F7`, `'Q1 Leads'!B2`, using the
//! sheet's real (0-based internally, 1-based shown) row and column numbers, and the
//! sheets a workbook lists.

/// One sheet of a workbook, as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SheetListing {
    pub name: String,
    /// Hidden or very hidden: `sheet_pattern` leaves it out.
    pub hidden: bool,
}

/// Column letters of a 0-based column index: 0 is `A`, 25 is `Z`, 26 is `AA`.
pub fn column_letters(col: u32) -> String {
    let mut n = u64::from(col) + 1;
    let mut letters = Vec::new();
    while n > 0 {
        let rem = ((n - 1) % 26) as u8;
        letters.push(char::from(b'A' + rem));
        n = (n - 1) / 26;
    }
    letters.iter().rev().collect()
}

/// `Sheet!A1` for 0-based `row` and `col`; the sheet name is quoted as Excel does when
/// it holds anything but letters, digits, `_` and `.`.
pub fn cell_address(sheet: &str, row: u32, col: u32) -> String {
    format!(
        "{}!{}{}",
        quote_sheet(sheet),
        column_letters(col),
        u64::from(row) + 1
    )
}

fn quote_sheet(sheet: &str) -> String {
    let plain = !sheet.is_empty()
        && sheet
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '.');
    if plain {
        sheet.to_string()
    } else {
        format!("'{}'", sheet.replace('\'', "''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters_follow_excel() {
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(701), "ZZ");
        assert_eq!(column_letters(702), "AAA");
        assert_eq!(column_letters(16383), "XFD");
    }

    #[test]
    fn addresses_quote_odd_sheet_names() {
        assert_eq!(cell_address("Opportunities", 6, 5), "Opportunities!F7");
        assert_eq!(cell_address("Q1 Leads", 1, 1), "'Q1 Leads'!B2");
        assert_eq!(cell_address("Bob's", 0, 0), "'Bob''s'!A1");
    }
}
