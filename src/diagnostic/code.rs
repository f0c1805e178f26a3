//! The registry of every diagnostic code a user can see: one enum, one stable code
//! string each, one line saying what it means. Rule files, scenarios and the checker
//! all take their codes from here; ARCHITECTURE.md and grammar/GRAMMAR.md list them.

use std::fmt;

/// Declares the codes: `Variant = "E0001", "what it means"`.
macro_rules! codes {
    ($($(#[$doc:meta])* $variant:ident = $code:literal, $meaning:literal;)*) => {
        /// A stable diagnostic code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code {
            $($(#[$doc])* $variant,)*
        }

        impl Code {
            /// Every code, in registry order.
            pub const ALL: &[Code] = &[$(Code::$variant,)*];

            /// The code as users see it, e.g. `E0101`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $code,)*
                }
            }

            /// One line saying what the code means (the documentation tables).
            pub fn meaning(self) -> &'static str {
                match self {
                    $(Code::$variant => $meaning,)*
                }
            }
        }
    };
}

codes! {
    // Syntax (the parser): grammar/GRAMMAR.md lists these.
    Syntax = "E0001", "syntax error: the text does not fit the grammar here";
    UnterminatedText = "E0002", "text without its closing `\"`";
    InvalidDate = "E0003", "a date that does not exist";
    UnbalancedBracket = "E0004", "a bracket without its partner";
    MissingEquals = "E0005", "a definition without its `=`";
    UnknownFormat = "E0006", "`@something` that is not a known format";
    WhereOutsideCall = "E0007", "`where` outside a function argument";
    MissingBy = "E0008", "`table … = group …` without `by`";
    MissingFlagColon = "E0009", "`flag … when …` without the `:` before the message";
    BadTemplate = "E0010", "a bad `{…}` hole in a flag message";
    UnknownType = "E0011", "an input column type that does not exist";
    KeywordAsName = "E0012", "an operator word used where a name is expected";
    StrayCharacter = "E0013", "a character that has no meaning in the language";
    NumberOutOfRange = "E0014", "a number too large to represent";
    TooDeep = "E0015", "brackets nested too deeply to be a real formula";
    NameTooLong = "E0016", "a name longer than Excel allows";
    ConflictingAnnotations = "E0017", "annotations that contradict each other (two number formats, higher and lower better)";
    UnknownSeverity = "E0018", "a flag `severity` word that is not a severity";
    // Meaning (the checker).
    UnknownTable = "E0101", "unknown table";
    UnknownColumn = "E0102", "unknown column of a table";
    UnknownName = "E0103", "unknown name";
    UnknownFunction = "E0104", "unknown function";
    WrongArity = "E0105", "wrong number of arguments";
    DefinedTwice = "E0106", "defined more than once";
    Cycle = "E0107", "dependency cycle";
    WrongOperandType = "E0108", "operand of the wrong type (text in arithmetic, text as a condition)";
    NeverEqual = "E0109", "comparison between types that are never equal";
    ListWhereValue = "E0110", "a list where one value is needed";
    ValueWhereList = "E0111", "a single value where a list is needed";
    MixedLists = "E0112", "lists over different rows combined";
    MisplacedWhere = "E0113", "`where` misuse";
    ParamNotLiteral = "E0114", "param default is not a literal";
    BadGroupKey = "E0115", "bad group key";
    RowValueInList = "E0116", "this row's column mixed into another table's list";
    UnknownAnalysis = "E0117", "unknown analysis in `table T = <analysis> Source (…)`";
    BadAnalysisArgument = "E0118", "an analysis argument that is unknown, missing, repeated or of the wrong type";
    AnalysisUsage = "E0119", "an analysis used in a way it cannot run (its own message says why)";
    AnalysisFailed = "E0120", "an analysis could not compute its table from this data (its message says why)";
    ScriptUnusable = "E0121", "a `script` that cannot be read or compiled (rhai syntax, a limit, not a .rhai file)";
    ScriptNameClash = "E0122", "a script function whose name is a built-in's or another script's";
    TableLookupShape = "E0130", "VLOOKUP/HLOOKUP: a table or array and column (row) number that cannot work together";
    BadLet = "E0131", "LET: a name expected, or a name bound twice";
    BadOrder = "E0132", "`order by` that cannot order a grouped table's rows (it reads the table's own rows)";
    UnusedParam = "W0101", "param never used";
    // Scenario files.
    TomlSyntax = "S0001", "scenario: TOML syntax error";
    UnknownKey = "S0002", "scenario: unknown key (with \"did you mean\")";
    WrongValueType = "S0003", "scenario: value of the wrong type";
    MissingKey = "S0004", "scenario: required key missing";
    ExtendsUnreadable = "S0005", "scenario: `extends` file cannot be read";
    ExtendsCycle = "S0006", "scenario: `extends` cycle";
    InvalidValue = "S0007", "scenario: invalid value";
    RulesNotFound = "S0008", "scenario: rule files not found";
    ScenarioUnreadable = "S0009", "scenario file cannot be read";
    UnknownParam = "S0010", "scenario: unknown param";
    ParamType = "S0011", "scenario: param of the wrong type";
    InputUnmapped = "S0012", "scenario: an input table of the rules is not mapped";
    ColumnTypeConflict = "S0013", "scenario: column type contradicts the rules' `input` declaration";
    InputUnused = "S0014", "scenario: input table the rules never use";
    DashboardTable = "S0015", "scenario: dashboard names an unknown table";
    DashboardColumn = "S0016", "scenario: dashboard names an unknown column";
    DashboardKpi = "S0017", "scenario: dashboard names an unknown KPI";
    ColumnUnknown = "S0018", "scenario (warning): `rename`, `columns` or `key` name a column the rules never read";
    OutputOverwritesInput = "S0019", "scenario: the output would overwrite an input";
    InputUnreadable = "S0031", "data: an input file, sheet, header or cell cannot be read as the scenario maps it";
    LongText = "S0020", "scenario (warning): a text longer than an Excel cell holds";
    OmitTable = "S0021", "scenario: `[output] omit_tables` names an unknown table, or one the dashboard draws";
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Tools and tests compare a code with its written form (`code == "E0101"`).
impl PartialEq<&str> for Code {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl serde::Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_well_formed() {
        let mut seen = std::collections::HashSet::new();
        for code in Code::ALL {
            let text = code.as_str();
            assert!(seen.insert(text), "{text} twice");
            assert_eq!(text.len(), 5, "{text}");
            assert!(matches!(&text[..1], "E" | "W" | "S"), "{text}");
            assert!(text[1..].chars().all(|c| c.is_ascii_digit()), "{text}");
        }
    }

    #[test]
    fn every_code_is_documented() {
        let docs = [
            include_str!("../../ARCHITECTURE.md"),
            include_str!("../../grammar/GRAMMAR.md"),
        ]
        .concat();
        for code in Code::ALL {
            assert!(
                docs.contains(&format!("| {} |", code.as_str())),
                "{code} is missing from the code tables of ARCHITECTURE.md / grammar/GRAMMAR.md"
            );
        }
    }
}
