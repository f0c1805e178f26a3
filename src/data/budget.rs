//! The memory budget of reading: what a read may store is checked before it is
//! allocated, so a tiny file that describes a huge sheet (repeated rows and columns, a
//! shared-string table of millions of empty strings, a zip bomb) is a clear error
//! naming the file and part, never an abort.
//!
//! The rule, unless the user sets `CHANMIX_MAX_READ_MB`:
//! - a read may store [`FLOOR`] plus [`PER_CONTENT_BYTE`] bytes for each byte of sheet
//!   content it has scanned (decompressed XML, CSV text) — a table never needs more
//!   memory than a few times the markup that describes it — and never more than
//!   [`DEFAULT_CAP`] in all;
//! - a zip part may inflate to at most [`MAX_RATIO`] times its compressed size (above
//!   [`RATIO_FREE`]): spreadsheets compress about 10:1, zip bombs 1000:1.
//!
//! `CHANMIX_MAX_READ_MB=N` replaces both with a flat limit of N MiB, for a file the user
//! trusts. It is an environment setting on purpose: a scenario file comes from anyone,
//! and a limit that a received file could lift would protect nothing.
//!
//! Charging is cheap: each sheet reader takes leases of [`LEASE`] bytes from the shared
//! budget ([`Meter`]), so a cell costs a subtraction, not an atomic operation.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::data::error::DataError;
pub use crate::data::error::LIMIT_VARIABLE;

/// What any read may store, however small its content.
pub const FLOOR: u64 = 64 << 20;
/// Bytes a read may store per byte of content scanned.
pub const PER_CONTENT_BYTE: u64 = 8;
/// What a read may store at most, unless the user raises it.
pub const DEFAULT_CAP: u64 = 4 << 30;
/// Largest ratio of inflated to compressed size of a zip part.
pub const MAX_RATIO: u64 = 200;
/// Parts that inflate to at most this many bytes are not held to [`MAX_RATIO`].
pub const RATIO_FREE: u64 = 32 << 20;
/// Bytes a [`Meter`] takes from the shared budget at a time.
const LEASE: u64 = 1 << 20;

/// The memory budget of one `read_inputs` call, shared by the threads reading its sheets.
#[derive(Debug)]
pub struct ReadBudget {
    /// The user's flat limit in bytes (`CHANMIX_MAX_READ_MB`), replacing the rule.
    flat: Option<u64>,
    /// Bytes of content scanned so far (each grants [`PER_CONTENT_BYTE`] bytes).
    content: AtomicU64,
    /// Bytes charged so far.
    charged: AtomicU64,
}

impl Default for ReadBudget {
    fn default() -> Self {
        ReadBudget::with_flat_limit(None)
    }
}

/// A charge the budget refused: how much was allowed when it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exceeded {
    pub allowed: u64,
    pub content: u64,
    /// Whether the limit is the user's flat one.
    pub flat: bool,
}

impl Exceeded {
    /// The refusal as the error a user sees: `part` of the file at `path`, `what` it was
    /// storing.
    pub fn error(self, path: &Path, part: &str, what: &str) -> DataError {
        let limit_mb = self.allowed.div_ceil(1 << 20);
        let reason = if self.flat {
            format!("more than the {limit_mb} MiB that {LIMIT_VARIABLE} allows")
        } else {
            format!(
                "more than {limit_mb} MiB from {} of content, more than any real sheet needs",
                human_bytes(self.content)
            )
        };
        DataError::ReadLimit {
            path: path.to_path_buf(),
            part: part.to_string(),
            detail: format!("{what} would take {reason}"),
        }
    }
}

/// `12.3 MB`, `850 KB`, `12 bytes`.
pub fn human_bytes(bytes: u64) -> String {
    if bytes >= 1 << 20 {
        format!("{:.1} MB", bytes as f64 / f64::from(1u32 << 20))
    } else if bytes >= 1 << 10 {
        format!("{} KB", bytes >> 10)
    } else {
        format!("{bytes} bytes")
    }
}

impl ReadBudget {
    /// The budget with the user's flat limit in bytes, or the default rule.
    pub fn with_flat_limit(flat: Option<u64>) -> Self {
        ReadBudget {
            flat,
            content: AtomicU64::new(0),
            charged: AtomicU64::new(0),
        }
    }

    /// The budget `CHANMIX_MAX_READ_MB` asks for; a value that is not a positive whole
    /// number of MiB is an error rather than no limit.
    pub fn from_env() -> Result<Self, DataError> {
        ReadBudget::from_setting(std::env::var_os(LIMIT_VARIABLE).as_deref())
    }

    /// The budget a `CHANMIX_MAX_READ_MB` value asks for (`None`: the variable is unset).
    pub fn from_setting(setting: Option<&std::ffi::OsStr>) -> Result<Self, DataError> {
        match setting {
            None => Ok(ReadBudget::default()),
            Some(raw) => {
                let text = raw.to_string_lossy();
                match text.trim().parse::<u64>() {
                    Ok(mb) if mb > 0 => Ok(ReadBudget::with_flat_limit(Some(
                        mb.saturating_mul(1 << 20),
                    ))),
                    _ => Err(DataError::BadReadLimit {
                        variable: LIMIT_VARIABLE.to_string(),
                        given: text.into_owned(),
                    }),
                }
            }
        }
    }

    /// Whether the user replaced the rule with a flat limit.
    pub fn is_flat(&self) -> bool {
        self.flat.is_some()
    }

    /// Records `bytes` of content scanned (each grants [`PER_CONTENT_BYTE`] bytes).
    pub fn note_content(&self, bytes: u64) {
        self.content.fetch_add(bytes, Ordering::Relaxed);
    }

    /// What may be stored now.
    fn allowed(&self, content: u64) -> u64 {
        match self.flat {
            Some(flat) => flat,
            None => FLOOR
                .saturating_add(content.saturating_mul(PER_CONTENT_BYTE))
                .min(DEFAULT_CAP),
        }
    }

    /// Takes `bytes` from the budget, or refuses without taking anything. A refused
    /// charge never shows in the count, even for a moment: another thread's charge
    /// that fits is never refused because of it.
    pub fn reserve(&self, bytes: u64) -> Result<(), Exceeded> {
        let content = self.content.load(Ordering::Relaxed);
        let allowed = self.allowed(content);
        let mut before = self.charged.load(Ordering::Relaxed);
        loop {
            let after = before.saturating_add(bytes);
            if after > allowed {
                return Err(Exceeded {
                    allowed,
                    content,
                    flat: self.is_flat(),
                });
            }
            match self.charged.compare_exchange_weak(
                before,
                after,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return Ok(()),
                Err(now) => before = now,
            }
        }
    }

    /// Checks a zip part before it is inflated: its declared size against
    /// [`MAX_RATIO`] times its compressed size (the zip reader stops any part at its
    /// declared size, so this bounds what the part can produce).
    pub fn check_ratio(&self, inflated: u64, compressed: u64) -> Result<(), String> {
        if self.is_flat() || inflated <= RATIO_FREE {
            return Ok(());
        }
        if inflated / compressed.max(1) > MAX_RATIO {
            return Err(format!(
                "it inflates from {} to {} ({}:1), far more than spreadsheet data compresses; it looks like a zip bomb",
                human_bytes(compressed),
                human_bytes(inflated),
                inflated / compressed.max(1)
            ));
        }
        Ok(())
    }
}

/// One reader's account with a shared [`ReadBudget`]: charges come out of a local lease.
#[derive(Debug, Clone)]
pub struct Meter {
    budget: Arc<ReadBudget>,
    lease: u64,
}

impl Default for Meter {
    fn default() -> Self {
        Meter::new(Arc::new(ReadBudget::default()))
    }
}

impl Meter {
    pub fn new(budget: Arc<ReadBudget>) -> Self {
        Meter { budget, lease: 0 }
    }

    /// The shared budget (for content grants).
    pub fn budget(&self) -> &Arc<ReadBudget> {
        &self.budget
    }

    /// Charges `bytes` about to be stored; refuses before anything is allocated.
    #[inline]
    pub fn charge(&mut self, bytes: u64) -> Result<(), Exceeded> {
        if bytes <= self.lease {
            self.lease -= bytes;
            return Ok(());
        }
        let wanted = bytes.max(LEASE);
        match self.budget.reserve(wanted) {
            Ok(()) => {
                self.lease = self.lease + wanted - bytes;
                Ok(())
            }
            Err(_) if wanted > bytes => {
                self.budget.reserve(bytes - self.lease)?;
                self.lease = 0;
                Ok(())
            }
            Err(e) => Err(e),
        }
    }
}

/// A reader that records every byte it yields as content scanned.
pub struct Counted<R> {
    inner: R,
    budget: Arc<ReadBudget>,
}

impl<R> Counted<R> {
    pub fn new(inner: R, budget: Arc<ReadBudget>) -> Self {
        Counted { inner, budget }
    }
}

impl<R: std::io::Read> std::io::Read for Counted<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(out)?;
        self.budget.note_content(n as u64);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_grants_room_and_the_cap_holds() {
        let budget = Arc::new(ReadBudget::default());
        let mut meter = Meter::new(Arc::clone(&budget));
        // The floor alone: 64 MiB in 1 KiB charges, then one byte more is refused.
        for _ in 0..(FLOOR >> 10) {
            meter.charge(1 << 10).unwrap();
        }
        let refused = meter.charge(1).unwrap_err();
        assert_eq!(refused.allowed, FLOOR);
        assert!(!refused.flat);
        // 1 MiB of content grants 8 MiB more.
        budget.note_content(1 << 20);
        meter.charge(8 << 20).unwrap();
        assert!(meter.charge(1).is_err());
        // However much content, never past the cap.
        budget.note_content(u64::MAX / 16);
        assert!(meter.charge(DEFAULT_CAP).is_err());
    }

    #[test]
    fn a_flat_limit_replaces_the_rule() {
        let budget = Arc::new(ReadBudget::with_flat_limit(Some(2 << 20)));
        let mut meter = Meter::new(Arc::clone(&budget));
        meter.charge(2 << 20).unwrap();
        let refused = meter.charge(1).unwrap_err();
        assert!(refused.flat);
        assert_eq!(refused.allowed, 2 << 20);
        // A flat limit also lifts the ratio rule (the user trusts the file).
        assert!(budget.check_ratio(1 << 40, 1).is_ok());
    }

    #[test]
    fn zip_ratios_above_the_limit_are_refused_past_the_free_size() {
        let budget = ReadBudget::default();
        assert!(budget.check_ratio(RATIO_FREE, 1).is_ok());
        assert!(budget.check_ratio(1 << 30, (1 << 30) / 150).is_ok());
        let message = budget.check_ratio(1 << 30, 1 << 20).unwrap_err();
        assert!(message.contains("(1024:1)"), "{message}");
    }
}
