//! The sheet row each kept row of a table came from, for naming a duplicate key's
//! cells: stored as runs of consecutive sheet rows, so a clean file's ten million rows
//! are one run rather than 40 MB of row numbers.

/// Sheet rows of kept rows, in order, as runs: a run starting at kept row `start`
/// holds sheet rows `first`, `first + 1`, … up to the next run's start.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct SheetRows {
    /// `(start, first)` of each run: its first kept row and that row's sheet row.
    runs: Vec<(usize, u32)>,
    len: usize,
}

impl SheetRows {
    /// Kept rows noted.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Notes the next kept row, read from sheet row `row`.
    pub fn push(&mut self, row: u32) {
        let continues = self.runs.last().is_some_and(|&(start, first)| {
            u64::from(first) + (self.len - start) as u64 == u64::from(row)
        });
        if !continues {
            self.runs.push((self.len, row));
        }
        self.len += 1;
    }

    /// The sheet row of kept row `index`.
    pub fn get(&self, index: usize) -> Option<u32> {
        if index >= self.len {
            return None;
        }
        let run = self.runs.partition_point(|(start, _)| *start <= index);
        let &(start, first) = self.runs.get(run.checked_sub(1)?)?;
        u32::try_from(u64::from(first) + (index - start) as u64).ok()
    }

    /// Appends `more`'s rows after these.
    pub fn extend_from(&mut self, more: &SheetRows) {
        for (at, &(start, first)) in more.runs.iter().enumerate() {
            let end = more.runs.get(at + 1).map_or(more.len, |next| next.0);
            self.push(first);
            // The rest of the run continues the run just pushed to.
            self.len += end - start - 1;
        }
    }

    /// Every kept row's sheet row, in order (tests compare them).
    #[cfg(test)]
    pub fn to_vec(&self) -> Vec<u32> {
        (0..self.len).filter_map(|i| self.get(i)).collect()
    }
}

impl FromIterator<u32> for SheetRows {
    fn from_iter<I: IntoIterator<Item = u32>>(rows: I) -> Self {
        let mut sheet_rows = SheetRows::default();
        for row in rows {
            sheet_rows.push(row);
        }
        sheet_rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_come_back_as_pushed_and_appended() {
        // Runs, single rows, a row repeated (a new run), and a jump back.
        let first = [1, 2, 3, 7, 8, 8, 20, 4, 5];
        let second = [6, 7, 100, 101];
        let mut rows: SheetRows = first.iter().copied().collect();
        assert_eq!(rows.to_vec(), first);
        rows.extend_from(&second.iter().copied().collect());
        let all: Vec<u32> = first.iter().chain(&second).copied().collect();
        assert_eq!(rows.to_vec(), all);
        assert_eq!(rows.len(), all.len());
        assert_eq!(rows.get(all.len()), None);
        // 4, 5 then 6, 7 continue one run across the append.
        assert_eq!(rows.runs.len(), 6);
    }

    #[test]
    fn a_clean_file_is_one_run() {
        let rows: SheetRows = (1..=1_000_000).collect();
        assert_eq!(rows.runs.len(), 1);
        assert_eq!(rows.get(999_999), Some(1_000_000));
    }
}
