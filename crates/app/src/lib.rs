//! The `gongjian` command: web server and operator CLI, demo data and imports.

pub mod cli;
pub mod demo;
pub mod import;
