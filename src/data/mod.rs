//! Data in: columnar tables and the readers that fill them from CRM exports.

pub mod sample;
pub mod table;
