//! Pure rules of gongjian. No I/O: everything here is testable in microseconds.
//!
//! Each feature of the brief is a module with the glossary's name.

pub mod access;
pub mod arena;
pub mod attachment;
pub mod bulletin;
pub mod calendar;
pub mod campaign;
pub mod division;
pub mod error;
pub mod money;
pub mod password;
pub mod problem;
pub mod progress;
pub mod project;
pub mod report;
pub mod task;
pub mod text;
pub mod unit;

pub use error::{DomainError, Msg};
