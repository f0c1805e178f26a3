//! Excel number formats (placeholder until the function library lands).

/// Formats a number with an Excel number format; `None` if the format is not understood.
pub fn format_number(_value: f64, _format: &str) -> Option<String> {
    None
}
