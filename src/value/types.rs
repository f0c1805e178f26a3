//! The one type enum: the declared type of an input column and the static type of
//! every expression the checker sees.

/// What kind of value a column holds or an expression produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ValueType {
    Number,
    Text,
    Bool,
    Date,
    /// Anything; no coercion, no static type checks.
    Any,
}

impl ValueType {
    /// The spelling used in `input` declarations and scenario `columns`.
    pub fn as_str(self) -> &'static str {
        match self {
            ValueType::Number => "number",
            ValueType::Text => "text",
            ValueType::Bool => "bool",
            ValueType::Date => "date",
            ValueType::Any => "any",
        }
    }

    /// Parses a declared type (case-insensitive; `boolean` is `bool`).
    pub fn parse(text: &str) -> Option<ValueType> {
        match text.to_ascii_lowercase().as_str() {
            "number" => Some(ValueType::Number),
            "text" => Some(ValueType::Text),
            "bool" | "boolean" => Some(ValueType::Bool),
            "date" => Some(ValueType::Date),
            "any" => Some(ValueType::Any),
            _ => None,
        }
    }

    /// The type in a sentence: "expected a number".
    pub fn describe(self) -> &'static str {
        match self {
            ValueType::Number => "a number",
            ValueType::Text => "text",
            ValueType::Bool => "a boolean",
            ValueType::Date => "a date",
            ValueType::Any => "a value",
        }
    }

    /// Numbers and dates both take part in arithmetic.
    pub fn is_numeric(self) -> bool {
        matches!(self, ValueType::Number | ValueType::Date)
    }
}
