//! Data in: columnar tables and the readers that fill them from CRM exports.

pub mod table;
pub mod sample;
