//! A whole run: scenario → rules → inputs → evaluation → workbook, and the comparison
//! of several scenarios that share their inputs.

pub mod inputs;
