//! Spreadsheets for gongjian: tolerant reading of the tables offices send (CSV and
//! xlsx), with every problem reported by sheet, row and column, and the printable
//! workbooks leaders expect.

pub mod bulletin;
pub mod division;
pub mod docx;
pub mod ledger;
pub mod ledger_export;
pub mod pdf;
pub mod photo;
pub mod progress_export;
pub mod table;
pub mod table_export;

pub use table::{CellError, Table};
