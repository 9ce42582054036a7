//! The `gongjian` command: web server and operator CLI, demo data and imports.

pub mod arena;
pub mod bench;
pub mod bench_arenas;
pub mod bench_bulletin;
pub mod bench_problems;
pub mod bench_reports;
pub mod campaign;
pub mod cli;
pub mod deliver;
pub mod demo;
pub mod demo_arenas;
pub mod demo_campaigns;
pub mod demo_supervise;
pub mod import;
pub mod report;
pub mod supervise;
pub mod synth;
pub mod synth_supervise;

/// Imports ledger bytes as the command line does (used by the benchmark).
pub async fn import_ledger(
    db: &gongjian_store::Db,
    xlsx: &[u8],
) -> Result<gongjian_web::project::ledger::ImportReport, gongjian_store::StoreError> {
    gongjian_web::project::ledger::import_bytes(
        db,
        &gongjian_store::Actor::cli(),
        "ledger.xlsx",
        xlsx,
        None,
        false,
        false,
    )
    .await
}
