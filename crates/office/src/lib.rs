//! Spreadsheets for gongjian: tolerant reading of the tables offices send (CSV and
//! xlsx), with every problem reported by sheet, row and column.

pub mod division;
pub mod table;

pub use table::{CellError, Table};
