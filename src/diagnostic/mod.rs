//! The one diagnostic type every stage reports with: a stable code, a message,
//! a primary span, secondary labelled spans and hints. Rendering lives in `render`.

pub mod code;
pub mod render;
pub mod source;

use crate::suggest::Suggestion;
pub use code::Code;
use source::Span;

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

/// A span with a short note, e.g. "first defined here".
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

/// A problem found in a rule or scenario file.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Diagnostic {
    /// Stable code, e.g. `E0201`; documented in ARCHITECTURE.md.
    pub code: Code,
    pub severity: Severity,
    pub message: String,
    /// Where the problem is; the note says what is wrong right there.
    pub primary: Label,
    /// Related places (the other definition, the rest of a cycle …).
    pub secondary: Vec<Label>,
    /// How to fix it.
    pub hints: Vec<String>,
}

impl Diagnostic {
    pub fn error(code: Code, message: impl Into<String>, span: Span) -> Self {
        Diagnostic {
            code,
            severity: Severity::Error,
            message: message.into(),
            primary: Label {
                span,
                message: String::new(),
            },
            secondary: Vec::new(),
            hints: Vec::new(),
        }
    }

    pub fn warning(code: Code, message: impl Into<String>, span: Span) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, message, span)
        }
    }

    /// Sets the note shown under the caret.
    pub fn with_label(mut self, message: impl Into<String>) -> Self {
        self.primary.message = message.into();
        self
    }

    pub fn with_secondary(mut self, span: Span, message: impl Into<String>) -> Self {
        self.secondary.push(Label {
            span,
            message: message.into(),
        });
        self
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hints.push(hint.into());
        self
    }

    /// Adds "did you mean …?" when there is a suggestion.
    pub fn with_suggestion(mut self, suggestion: Option<Suggestion>) -> Self {
        if let Some(suggestion) = suggestion {
            self.hints.push(suggestion.to_string());
        }
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}
