//! Calls into a reader library (calamine) that may panic on a malformed file: the
//! panic is caught and its message kept off stderr, so the user sees one clear error.
//!
//! Rust prints a panic (and a backtrace with `RUST_BACKTRACE`) from the panic hook,
//! before any `catch_unwind` gets it. The hook installed here stays silent for panics
//! inside [`catch_reader_panic`] on the same thread and hands every other panic to
//! the hook that was there before (so a bug in chanmix still shows, and a fuzzer
//! still sees it as a crash).

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Once;

thread_local! {
    /// Whether this thread is inside [`catch_reader_panic`].
    static IN_READER: Cell<bool> = const { Cell::new(false) };
}

/// Wraps the panic hook once per process (see the module docs).
fn install_hook() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !IN_READER.with(Cell::get) {
                previous(info);
            }
        }));
    });
}

/// Runs `read` (a call into a reader library); `None` if it panicked.
pub(crate) fn catch_reader_panic<T>(read: impl FnOnce() -> T) -> Option<T> {
    install_hook();
    let outer = IN_READER.with(|flag| flag.replace(true));
    let outcome = catch_unwind(AssertUnwindSafe(read));
    IN_READER.with(|flag| flag.set(outer));
    outcome.ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_none_and_the_flag_is_reset() {
        let caught: Option<u8> = catch_reader_panic(|| panic!("malformed"));
        assert_eq!(caught, None);
        assert_eq!(catch_reader_panic(|| 7), Some(7));
        assert!(!IN_READER.with(Cell::get));
    }
}
