//! Command-line interface (Chinese and English help): the handlers; the arguments are
//! in `args`.

use clap::Parser;
use gongjian_store::{Actor, Db, audit, migrate};
use std::io::BufRead;
use std::process::ExitCode;

mod args;

pub use args::*;

fn init_logs(format: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("GONGJIAN_LOG")
        .unwrap_or_else(|_| "info,sqlx=warn,sqlx::query=error".into());
    let b = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if format == "json" {
        b.json().init()
    } else {
        b.init()
    }
}

/// Runs the command line and returns the exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logs(&cli.log_format);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let code = match rt.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("错误 / error: {e}");
            ExitCode::FAILURE
        }
    };
    rt.block_on(close_opened());
    code
}

/// The databases the command opened, to close before the process exits.
static OPENED: std::sync::Mutex<Vec<Db>> = std::sync::Mutex::new(Vec::new());

/// Closes the databases the command opened. On SQLite the last connection to close
/// copies the write-ahead log into the database file and removes it; a process that
/// exits with its connections open leaves the whole log (hundreds of megabytes after a
/// large `gen` or import) for the next one to read through.
async fn close_opened() {
    let opened = std::mem::take(&mut *OPENED.lock().unwrap_or_else(|e| e.into_inner()));
    for db in opened {
        db.close().await;
    }
}

/// Connects to `url` without migrating; the database is closed before the process exits.
async fn connect(url: &str) -> Result<Db, Box<dyn std::error::Error>> {
    let db = Db::connect(url)
        .await
        .map_err(|e| format!("无法连接数据库 {url} / cannot open the database: {e}"))?;
    OPENED
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(db.clone());
    Ok(db)
}

/// Connects to `url` and brings its schema up to date.
pub(crate) async fn open(url: &str) -> Result<Db, Box<dyn std::error::Error>> {
    let db = connect(url).await?;
    migrate::run(&db).await?;
    Ok(db)
}

async fn run(cli: Cli) -> Result<ExitCode, Box<dyn std::error::Error>> {
    match cli.command {
        Command::Migrate => {
            let db = connect(&cli.db).await?;
            let applied = migrate::run(&db).await?;
            println!(
                "数据库已是最新（版本 {}），本次应用 {} 个迁移 / schema at version {}, {} applied now",
                migrate::latest_version(),
                applied.len(),
                migrate::latest_version(),
                applied.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve(args) => serve(&cli.db, args).await,
        Command::Import {
            what: ImportWhat::Divisions { file, dry_run },
        } => {
            let db = open(&cli.db).await?;
            let report = crate::import::divisions(&db, &Actor::cli(), &file, dry_run).await?;
            println!("{}", serde_json::to_string_pretty(&report)?);
            Ok(if report.errors.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Command::Import {
            what:
                ImportWhat::Projects {
                    file,
                    sheet,
                    dry_run,
                    valid_only,
                    json: _,
                },
        } => {
            let db = open(&cli.db).await?;
            let (name, bytes) = read_workbook(&file, "ledger.xlsx")?;
            let name = name.as_str();
            let r = gongjian_web::project::ledger::import_bytes(
                &db,
                &Actor::cli(),
                name,
                &bytes,
                sheet.as_deref(),
                dry_run,
                valid_only,
            )
            .await?;
            println!("{}", serde_json::to_string_pretty(&r)?);
            let nothing_written_for_errors = !r.errors.is_empty() && !r.written;
            Ok(if nothing_written_for_errors {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Import {
            what:
                ImportWhat::Reports {
                    file,
                    period,
                    dry_run,
                    valid_only,
                    json: _,
                },
        } => {
            let db = open(&cli.db).await?;
            let (y, m) = gongjian_store::report::parse_period(&period)?;
            let (name, bytes) = read_workbook(&file, "reports.xlsx")?;
            let name = name.as_str();
            let r = gongjian_web::report::import::import_bytes(
                &db,
                &Actor::cli(),
                name,
                &bytes,
                y,
                m,
                dry_run,
                valid_only,
            )
            .await?;
            println!("{}", serde_json::to_string_pretty(&r)?);
            Ok(if !r.errors.is_empty() && !r.written {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Export {
            what: ExportWhat::Projects { format, out, year },
        } => {
            let db = open(&cli.db).await?;
            let format = if out == "-" {
                "json".to_string()
            } else {
                format
            };
            let filter = gongjian_store::project::ProjectFilter {
                year,
                ..Default::default()
            };
            let x =
                gongjian_web::project::ledger::export(&db, &Actor::cli(), &filter, &format).await?;
            if out == "-" {
                use std::io::Write;
                std::io::stdout().write_all(&x.bytes)?;
                println!();
            } else {
                std::fs::write(&out, &x.bytes)
                    .map_err(|e| format!("无法写入 {out} / cannot write {out}: {e}"))?;
                eprintln!(
                    "已导出到 {out}（{} 字节）/ exported to {out}",
                    x.bytes.len()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Export {
            what:
                ExportWhat::Progress {
                    period,
                    division,
                    out,
                },
        } => {
            let db = open(&cli.db).await?;
            let (y, m) = gongjian_store::report::parse_period(&period)?;
            if gongjian_store::report::period(&db, y, m).await?.is_none() {
                return Err(format!("{period} 报送期不存在 / no such period: {period}").into());
            }
            let x = gongjian_web::report::progress_export(
                &db,
                &Actor::cli(),
                y,
                m,
                division.as_deref().filter(|s| !s.is_empty()),
            )
            .await?;
            std::fs::write(&out, &x.bytes)
                .map_err(|e| format!("无法写入 {out} / cannot write {out}: {e}"))?;
            eprintln!(
                "已导出到 {out}（{} 字节）/ exported to {out}",
                x.bytes.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Period { action } => crate::report::period(&cli.db, action).await,
        Command::Problems { action } => {
            crate::supervise::problems(&open(&cli.db).await?, action).await
        }
        Command::Arena { action } => crate::arena::run(&open(&cli.db).await?, action).await,
        Command::Campaign { action } => crate::campaign::run(&open(&cli.db).await?, action).await,
        Command::Tasks { action } => crate::supervise::tasks(&open(&cli.db).await?, action).await,
        Command::Jobs { action } => crate::supervise::jobs_cmd(&open(&cli.db).await?, action).await,
        Command::Notify { action } => {
            crate::supervise::notify_cmd(&open(&cli.db).await?, action).await
        }
        Command::Meeting { action } => {
            let db = open(&cli.db).await?;
            let a = Actor::cli();
            let (x, out) = match action {
                MeetingAction::List => {
                    for (m, n) in gongjian_store::meeting::list(&db, &a).await? {
                        println!(
                            "{}\t{}\t{}\t{n}\t{}",
                            m.id,
                            m.period(),
                            m.title,
                            m.status_zh()
                        );
                    }
                    return Ok(ExitCode::SUCCESS);
                }
                MeetingAction::Briefing { id, out } => (
                    gongjian_web::meeting::briefing_docx(&db, &a, id).await?,
                    out,
                ),
                MeetingAction::Commitments { id, out } => (
                    gongjian_web::meeting::commitments_xlsx(&db, &a, id).await?,
                    out,
                ),
            };
            std::fs::write(&out, &x.bytes)
                .map_err(|e| format!("无法写入 {out} / cannot write {out}: {e}"))?;
            eprintln!(
                "已导出到 {out}（{} 字节）/ exported to {out}",
                x.bytes.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Bulletin {
            period,
            format,
            out,
            font,
        } => {
            let db = open(&cli.db).await?;
            let (y, m) = gongjian_store::report::parse_period(&period)?;
            let f = gongjian_web::bulletin::Format::parse(&format)?;
            let t = std::time::Instant::now();
            let x = gongjian_web::bulletin::export(&db, &Actor::cli(), y, m, f, font.as_deref())
                .await?;
            std::fs::write(&out, &x.bytes)?;
            println!(
                "已写出 {}（{} 字节，用时 {} 毫秒）/ wrote {} ({} bytes in {} ms)",
                out.display(),
                x.bytes.len(),
                t.elapsed().as_millis(),
                out.display(),
                x.bytes.len(),
                t.elapsed().as_millis()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Progress {
            period,
            json,
            recompute,
        } => crate::report::progress(&cli.db, &period, json, recompute).await,
        Command::Gen {
            scale,
            seed,
            projects,
            months,
            problems,
        } => {
            let db = open(&cli.db).await?;
            let province = scale == "province";
            let actor = Actor::cli();
            crate::synth::ensure_world(&db, &actor, province, seed).await?;
            let n = projects.unwrap_or(if province { 50_000 } else { 2_000 });
            let world = crate::synth::world(&db).await?;
            let year = gongjian_store::project::this_year();
            let items = crate::synth::projects(&world, n, seed, year);
            let t = std::time::Instant::now();
            let out = crate::synth::write(&db, &actor, &items).await?;
            println!(
                "已生成 {} 个项目（新增 {}，更新 {}，未变 {}），用时 {:.1} 秒 / generated {} projects in {:.1} s",
                n,
                out.imported,
                out.updated,
                out.skipped,
                t.elapsed().as_secs_f64(),
                n,
                t.elapsed().as_secs_f64()
            );
            let (y, m) = crate::report::last_month();
            let months = months.unwrap_or(if province { 36 } else { m as usize });
            let t = std::time::Instant::now();
            let r =
                crate::synth::reports(&db, &actor, seed, &crate::synth::months_back(y, m, months))
                    .await?;
            println!(
                "已生成 {} 个报送期、{} 份月报，用时 {:.1} 秒 / generated {} periods and {} reports in {:.1} s",
                r.periods,
                r.reports,
                t.elapsed().as_secs_f64(),
                r.periods,
                r.reports,
                t.elapsed().as_secs_f64()
            );
            let t = std::time::Instant::now();
            let g = crate::synth_supervise::generate(
                &db,
                problems.unwrap_or(if province { 100_000 } else { n / 5 }),
                seed,
                gongjian_store::today(),
                0.6,
            )
            .await?;
            let arenas = gongjian_store::arena::list(&db).await?.is_empty();
            if arenas {
                let parts = crate::bench_arenas::create_arenas(&db, &actor).await?;
                println!(
                    "已生成 12 个擂台（各 {} 个参赛单位）/ generated 12 arenas of {} participants",
                    parts.len(),
                    parts.len()
                );
            }
            println!(
                "已生成 {} 个问题、{} 项督办任务，用时 {:.1} 秒 / generated {} problems and {} tasks in {:.1} s",
                g.problems,
                g.tasks,
                t.elapsed().as_secs_f64(),
                g.problems,
                g.tasks,
                t.elapsed().as_secs_f64()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench {
            import_rows,
            projects,
            runs,
            suite,
            submissions,
            clients,
            problems,
            arena_months,
        } => {
            if suite == "all" || suite == "registry" || suite == "import" {
                let lists = suite != "import";
                crate::bench::run(&cli.db, import_rows, projects, runs.max(1), lists).await?;
            }
            if suite == "all" || suite == "arenas" {
                crate::bench_arenas::run(projects, arena_months, runs.max(1)).await?;
            }
            if suite == "all" || suite == "bulletin" {
                crate::bench_bulletin::run(2_000, runs.max(1)).await?;
            }
            if suite == "all" || suite == "problems" {
                crate::bench_problems::run(20_000, problems, runs.max(1)).await?;
            }
            if suite == "all" || suite == "reports" {
                crate::bench_reports::run(projects, runs.max(1), submissions, clients.max(1))
                    .await?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::User {
            action:
                UserAction::Add {
                    username,
                    name,
                    unit,
                    roles,
                    password_stdin: _,
                    must_change_password,
                },
        } => {
            let db = open(&cli.db).await?;
            let mut pw = String::new();
            std::io::stdin().lock().read_line(&mut pw)?;
            let pw = pw.trim_end_matches(['\r', '\n']).to_string();
            let input = gongjian_store::user::UserInput {
                username,
                name,
                unit_code: unit,
                roles,
                password: Some(pw),
                must_change_password: Some(must_change_password),
                ..Default::default()
            };
            let mut tx = db.begin().await?;
            let u = gongjian_store::user::create(&mut tx, &Actor::cli(), &input).await?;
            tx.commit().await?;
            println!(
                "已创建用户 {}（编号 {}，角色 {}）/ user created",
                u.username, u.id, u.roles
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit {
            action: AuditAction::Verify,
        } => {
            let db = connect(&cli.db).await?;
            let v = audit::verify(&db).await?;
            match v.broken {
                None => {
                    println!(
                        "审计链完整，共校验 {} 条记录 / audit chain intact: {} records verified",
                        v.checked, v.checked
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Some(b) => {
                    println!(
                        "审计链已被破坏：第一条问题记录为 {} / audit chain broken at record {}: {}",
                        b.id, b.id, b.reason
                    );
                    Ok(ExitCode::from(2))
                }
            }
        }
    }
}

/// A workbook given on the command line: its file name and bytes.
fn read_workbook(file: &std::path::Path, default: &str) -> Result<(String, Vec<u8>), String> {
    let bytes = std::fs::read(file).map_err(|e| {
        format!(
            "无法读取 {} / cannot read {}: {e}",
            file.display(),
            file.display()
        )
    })?;
    let name = file
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or(default)
        .to_string();
    Ok((name, bytes))
}

async fn serve(url: &str, args: ServeArgs) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let db = open(url).await?;
    if args.demo {
        match crate::demo::load_if_empty(&db).await? {
            Some(logins) => {
                println!(
                    "已载入示例市 / demo city loaded. 演示账号 / demo logins (password: {}):",
                    crate::demo::password()
                );
                for (user, role) in logins {
                    println!("  {user:<14} {role}");
                }
            }
            None => println!(
                "数据库非空，未载入示例数据 / the database is not empty: demo data not loaded"
            ),
        }
    }
    let config = gongjian_web::Config {
        idle_timeout_minutes: args.idle_timeout_minutes,
        login: gongjian_store::auth::LoginPolicy {
            max_failed: args.max_failed_logins,
            lock_minutes: args.lock_minutes,
        },
        secure_cookies: args.secure_cookies,
    };
    let listener = tokio::net::TcpListener::bind(&args.addr)
        .await
        .map_err(|e| {
            format!(
                "无法监听 {} / cannot listen on {}: {e}",
                args.addr, args.addr
            )
        })?;
    let local = listener.local_addr()?;
    if args.job_interval_seconds > 0 {
        let jobs_db = db.clone();
        let every = std::time::Duration::from_secs(args.job_interval_seconds);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                match crate::supervise::run_jobs(&jobs_db, gongjian_store::today()).await {
                    Ok(v) => tracing::info!(report = %v, "jobs ran"),
                    Err(e) => tracing::warn!(error = %e, "jobs failed"),
                }
            }
        });
    }
    println!(
        "攻坚已启动 / gongjian is running: http://{local}/  ({})",
        db.engine()
    );
    tracing::info!(addr = %local, engine = db.engine(), "serving");
    gongjian_web::serve(
        listener,
        gongjian_web::AppState::new(db.clone(), config),
        shutdown_signal(),
    )
    .await?;
    db.close().await;
    println!("已停止 / stopped");
    Ok(ExitCode::SUCCESS)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down: finishing requests in flight");
}
