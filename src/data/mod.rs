//! Data in: columnar tables and the readers that fill them from CRM exports.

pub mod address;
pub mod coerce;
pub mod error;
pub mod intern;
pub mod quality;
pub mod sample;
pub mod spec;
pub mod table;
