//! The command line's arguments and subcommands, with their Chinese and English help.

use clap::{Parser, Subcommand};

/// 攻坚：重点工作重大项目调度督查平台 / gongjian: key work and major project supervision.
#[derive(Parser, Debug)]
#[command(name = "gongjian", version)]
pub struct Cli {
    /// 数据库地址：sqlite://文件 或 postgres://… / database URL: sqlite://FILE or postgres://…
    #[arg(
        long,
        global = true,
        env = "GONGJIAN_DB",
        default_value = "sqlite://gongjian.db"
    )]
    pub db: String,
    /// 日志格式：text 或 json / log format: text or json
    #[arg(long, global = true, default_value = "text", value_parser = ["text", "json"])]
    pub log_format: String,
    /// 子命令 / command
    #[command(subcommand)]
    pub command: Command,
}

/// What to do.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// 应用数据库迁移（可重复执行）/ apply database migrations (idempotent)
    Migrate,
    /// 启动网页服务 / run the web application
    Serve(ServeArgs),
    /// 导入数据 / import data
    Import {
        /// 导入什么 / what to import
        #[command(subcommand)]
        what: ImportWhat,
    },
    /// 导出数据 / export data
    Export {
        /// 导出什么 / what to export
        #[command(subcommand)]
        what: ExportWhat,
    },
    /// 生成合成数据（同一种子结果相同）/ fill the database with synthetic data (deterministic per seed)
    Gen {
        /// 规模：city（约 20 个区划、2000 个项目）或 province（约 150 个区划、50000 个项目）/ scale
        #[arg(long, default_value = "city", value_parser = ["city", "province"])]
        scale: String,
        /// 随机种子 / seed
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// 项目数（默认按规模）/ number of projects (default by scale)
        #[arg(long)]
        projects: Option<usize>,
        /// 生成多少个月的月报（截至上月；默认 city 为今年已过月份，province 为 36）/ months of reports up to last month (default: city this year so far, province 36)
        #[arg(long)]
        months: Option<usize>,
        /// 问题数（默认 city 为项目数的五分之一，province 为 100000）/ number of problems (default: city a fifth of the projects, province 100000)
        #[arg(long)]
        problems: Option<usize>,
    },
    /// 报送期：开启、关闭、重算灯号、催报 / reporting periods: open, close, recompute lights, remind
    Period {
        /// 操作 / action
        #[command(subcommand)]
        action: PeriodAction,
    },
    /// 调度会：列出、导出汇报材料（docx）和议定事项清单（xlsx）/ scheduling meetings: list, briefing, commitments
    Meeting {
        /// 操作 / action
        #[command(subcommand)]
        action: MeetingAction,
    },
    /// 月度通报：Word（GB/T 9704 版式）、Excel 附表或 PDF / the monthly bulletin as docx, xlsx or pdf
    Bulletin {
        /// 月份 YYYY-MM / period
        #[arg(long)]
        period: String,
        /// docx、xlsx 或 pdf / format
        #[arg(long, default_value = "docx")]
        format: String,
        /// 输出文件 / output file
        #[arg(long)]
        out: std::path::PathBuf,
        /// PDF 使用的中文字体文件（默认在系统中查找）/ Chinese font file for the PDF (default: found on the system)
        #[arg(long, env = "GONGJIAN_PDF_FONT")]
        font: Option<std::path::PathBuf>,
    },
    /// 序时进度与红黄绿灯 / time-proportional progress and warning lights of a period
    Progress {
        /// 报送期 YYYY-MM / period
        #[arg(long)]
        period: String,
        /// 以 JSON 输出（金额单位万元，字符串）/ print JSON (amounts in 10k yuan as strings)
        #[arg(long)]
        json: bool,
        /// 输出前按当前规则重算（仅限未关闭的报送期）/ recompute first (open periods only)
        #[arg(long)]
        recompute: bool,
    },
    /// 性能基准（导入、列表查询、导出），结果以多次运行的中位数报告 / benchmarks: import, list, export; medians of several runs
    Bench {
        /// 导入基准的行数 / rows of the import benchmark
        #[arg(long, default_value_t = 100_000)]
        import_rows: usize,
        /// 列表与导出基准的项目数 / projects of the list and export benchmarks
        #[arg(long, default_value_t = 50_000)]
        projects: usize,
        /// 每项重复次数 / runs per benchmark
        #[arg(long, default_value_t = 5)]
        runs: usize,
        /// 哪一组：registry（项目库）、import（只测台账导入）、reports（月报）、problems（问题清单与作业）、arenas（擂台赛计分）、bulletin（通报三种格式）或 all / which suite
        #[arg(long, default_value = "all", value_parser = ["all", "registry", "import", "reports", "problems", "arenas", "bulletin"])]
        suite: String,
        /// 月报基准每轮提交的月报数 / reports submitted per run of the reporting benchmark
        #[arg(long, default_value_t = 10_000)]
        submissions: usize,
        /// 并发客户端数 / concurrent clients submitting
        #[arg(long, default_value_t = 32)]
        clients: usize,
        /// 问题清单基准的问题数 / problems of the problem-list benchmark
        #[arg(long, default_value_t = 100_000)]
        problems: usize,
        /// 擂台赛基准生成多少个月的月报 / months of reports of the arena benchmark
        #[arg(long, default_value_t = 6)]
        arena_months: usize,
    },
    /// 问题清单 / problem lists
    Problems {
        /// 操作 / action
        #[command(subcommand)]
        action: ProblemsAction,
    },
    /// 督办任务 / supervised tasks
    Tasks {
        /// 操作 / action
        #[command(subcommand)]
        action: TasksAction,
    },
    /// 后台作业：逾期升级、提醒、外发通知 / background jobs: escalations, reminders, notification delivery
    Jobs {
        /// 操作 / action
        #[command(subcommand)]
        action: JobsAction,
    },
    /// 通知渠道：钉钉、企业微信群机器人、邮件 / notification channels: DingTalk, WeCom robots, e-mail
    Notify {
        /// 操作 / action
        #[command(subcommand)]
        action: NotifyAction,
    },
    /// 擂台赛：列出、计分（可假设）/ arenas: list, score (with what-if)
    Arena {
        /// 操作 / action
        #[command(subcommand)]
        action: ArenaAction,
    },
    /// 攻坚战：列出、查看（周→月→季→年目标链）、新建、填报周完成值 / campaigns: list, show, create, enter a week
    Campaign {
        /// 操作 / action
        #[command(subcommand)]
        action: CampaignAction,
    },
    /// 用户管理 / manage users
    User {
        /// 操作 / action
        #[command(subcommand)]
        action: UserAction,
    },
    /// 审计日志 / audit log
    Audit {
        /// 操作 / action
        #[command(subcommand)]
        action: AuditAction,
    },
}

/// Options of `serve`.
#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    /// 监听地址 / listen address
    #[arg(long, env = "GONGJIAN_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: String,
    /// 数据库为空时载入示例市并打印演示账号 / load the demo city into an empty database and print the demo logins
    #[arg(long)]
    pub demo: bool,
    /// 会话空闲超时（分钟）/ session idle timeout in minutes
    #[arg(long, env = "GONGJIAN_IDLE_TIMEOUT_MINUTES", default_value_t = 30)]
    pub idle_timeout_minutes: i64,
    /// 连续登录失败多少次后锁定 / failed logins before an account locks
    #[arg(long, env = "GONGJIAN_MAX_FAILED_LOGINS", default_value_t = 5)]
    pub max_failed_logins: i64,
    /// 锁定时长（分钟）/ lock duration in minutes
    #[arg(long, env = "GONGJIAN_LOCK_MINUTES", default_value_t = 15)]
    pub lock_minutes: i64,
    /// Cookie 加 Secure 标记（经 HTTPS 提供服务时开启）/ mark cookies Secure (when served over HTTPS)
    #[arg(long, env = "GONGJIAN_SECURE_COOKIES")]
    pub secure_cookies: bool,
    /// 后台作业（逾期升级、提醒、外发通知）间隔秒数，0 为不运行 / seconds between background job runs (0: off)
    #[arg(long, env = "GONGJIAN_JOB_INTERVAL_SECONDS", default_value_t = 300)]
    pub job_interval_seconds: u64,
}

/// Period actions.
#[derive(Subcommand, Debug)]
pub enum PeriodAction {
    /// 开启报送期 / open a period
    Open {
        /// YYYY-MM
        period: String,
        /// 截止日期（默认次月第 5 个工作日）/ deadline (default: 5th working day of the next month)
        #[arg(long)]
        deadline: Option<String>,
    },
    /// 关闭报送期（灯号固定）/ close a period (its lights are kept)
    Close {
        /// YYYY-MM
        period: String,
    },
    /// 按当前规则重算灯号 / recompute the lights
    Lights {
        /// YYYY-MM
        period: String,
    },
    /// 向未报单位发送催报 / remind units that have not reported
    Remind {
        /// YYYY-MM
        period: String,
    },
    /// 列出报送期 / list periods
    List,
}

/// Arena actions.
#[derive(Subcommand, Debug)]
pub enum ArenaAction {
    /// 列出擂台 / list arenas
    List {
        /// 以 JSON 输出 / print JSON
        #[arg(long)]
        json: bool,
    },
    /// 按当前数据计分（不保存）/ score a period from the data as it is (nothing saved)
    Score {
        /// 擂台代码 / arena code
        arena: String,
        /// 期间：YYYY-MM、YYYY-Qn、YYYY-H1 或 YYYY / period
        #[arg(long)]
        period: String,
        /// 假设文件（JSON：[{"participant","indicator","value"|"delta"}]）/ what-if file
        #[arg(long)]
        what_if: Option<String>,
        /// 以 JSON 输出 / print JSON
        #[arg(long)]
        json: bool,
        /// 计算后保存为新版本（与上一版相同则不保存）/ store as a new revision
        #[arg(long)]
        save: bool,
        /// 保存后发布 / publish after saving
        #[arg(long)]
        publish: bool,
    },
    /// 年度积分榜：本年各已发布月份得分之和 / annual leaderboard: published months summed
    Annual {
        /// 擂台代码 / arena code
        arena: String,
        /// 年度 / year
        #[arg(long)]
        year: i32,
        /// 以 JSON 输出 / print JSON
        #[arg(long)]
        json: bool,
    },
    /// 按 JSON 文件新建擂台 / create an arena from a JSON file
    Create {
        /// JSON 文件（见使用手册“擂台赛”）/ JSON file (see the guide)
        #[arg(long)]
        file: String,
    },
    /// 新增计分规则版本（自某月起生效）/ add a rule version valid from a month
    Rule {
        /// 擂台代码 / arena code
        arena: String,
        /// 生效月份 YYYY-MM / first month
        #[arg(long)]
        from: String,
        /// JSON 文件：{"indicators":[…],"flag_rule":{…}} / JSON file
        #[arg(long)]
        file: String,
    },
    /// 填报指标数据（待审核）/ enter a value (to be reviewed)
    Enter {
        /// 擂台代码 / arena code
        arena: String,
        /// 指标代码 / indicator code
        #[arg(long)]
        indicator: String,
        /// 参赛单位代码 / participant unit code
        #[arg(long)]
        unit: String,
        /// 期间 / period
        #[arg(long)]
        period: String,
        /// 数值 / value
        #[arg(long)]
        value: i64,
        /// 数据来源或佐证 / evidence
        #[arg(long)]
        evidence: String,
        /// 同时审核通过 / approve at once
        #[arg(long)]
        approve: bool,
    },
    /// 加减分（分，可为小数，负数为减分）/ bonus or penalty in points (negative: penalty)
    Adjust {
        /// 擂台代码 / arena code
        arena: String,
        /// 期间 / period
        #[arg(long)]
        period: String,
        /// 参赛单位代码 / participant unit code
        #[arg(long)]
        unit: String,
        /// 分数，如 2 或 -1.5 / points
        #[arg(long, allow_hyphen_values = true)]
        points: String,
        /// 理由 / reason
        #[arg(long)]
        reason: String,
    },
}

/// Problem list actions.
#[derive(Subcommand, Debug)]
pub enum ProblemsAction {
    /// 列出问题 / list problems
    List {
        /// 状态：raised、accepted、replied、solved、closed 或 open（未销号）/ status
        #[arg(long)]
        status: Option<String>,
        /// 只列逾期 / overdue only
        #[arg(long)]
        overdue: bool,
        /// 以 JSON 输出 / print JSON
        #[arg(long)]
        json: bool,
        /// 按哪天计算逾期（默认今天）/ the day overdue is counted on (default today)
        #[arg(long)]
        today: Option<String>,
    },
}

/// Task list actions.
#[derive(Subcommand, Debug)]
pub enum TasksAction {
    /// 列出督办任务 / list tasks
    List {
        /// 只列逾期 / overdue only
        #[arg(long)]
        overdue: bool,
        /// 以 JSON 输出 / print JSON
        #[arg(long)]
        json: bool,
        /// 按哪天计算逾期（默认今天）/ the day overdue is counted on (default today)
        #[arg(long)]
        today: Option<String>,
    },
}

/// Job actions.
#[derive(Subcommand, Debug)]
pub enum JobsAction {
    /// 执行到期的作业一次（可多进程同时执行，每项只做一次）/ run what is due once (safe with several processes)
    RunOnce {
        /// 按哪天执行（默认今天）/ the day to run for (default today)
        #[arg(long)]
        today: Option<String>,
        /// 以 JSON 输出 / print JSON
        #[arg(long)]
        json: bool,
    },
}

/// Notification channel actions.
#[derive(Subcommand, Debug)]
pub enum NotifyAction {
    /// 添加渠道 / add a channel
    Add {
        /// dingtalk、wecom 或 email
        #[arg(long, value_parser = ["dingtalk", "wecom", "email"])]
        kind: String,
        /// 机器人 Webhook 地址，或 SMTP 地址（smtps://用户:密码@服务器:465）/ webhook URL or SMTP URL
        #[arg(long)]
        target: String,
        /// 钉钉加签密钥（SEC…），或邮件发件人地址 / DingTalk signing secret, or the e-mail sender
        #[arg(long)]
        secret: Option<String>,
        /// 名称 / name
        #[arg(long)]
        name: Option<String>,
    },
    /// 列出渠道 / list channels
    List,
    /// 删除渠道 / remove a channel
    Remove {
        /// 渠道编号 / channel id
        id: i64,
    },
}

/// Meeting actions.
#[derive(Subcommand, Debug)]
pub enum MeetingAction {
    /// 列出调度会 / list meetings
    List,
    /// 导出会前汇报材料（Word）/ write the briefing (.docx)
    Briefing {
        /// 调度会编号 / meeting id
        id: i64,
        /// 输出文件 / output file
        #[arg(long)]
        out: String,
    },
    /// 导出议定事项清单（Excel）/ write the commitments (.xlsx)
    Commitments {
        /// 调度会编号 / meeting id
        id: i64,
        /// 输出文件 / output file
        #[arg(long)]
        out: String,
    },
}

/// Import targets.
#[derive(Subcommand, Debug)]
pub enum ImportWhat {
    /// 导入行政区划表（CSV 或 xlsx，列：code, name, parent_code, kind）；重复导入只更新不重复 / import a division table; re-running updates, never duplicates
    Divisions {
        /// 文件路径 / file
        file: std::path::PathBuf,
        /// 只检查不写入 / check only, write nothing
        #[arg(long)]
        dry_run: bool,
    },
    /// 导入重点项目台账（xlsx/xls/csv，容忍各地常见版式），按项目代码（无代码按区划内名称）更新，不重复 / import a project ledger; updates by code (or name within its division), never duplicates
    Projects {
        /// 文件路径 / file
        file: std::path::PathBuf,
        /// 只导入这个工作表 / only this sheet
        #[arg(long)]
        sheet: Option<String>,
        /// 只检查不写入 / check only, write nothing
        #[arg(long)]
        dry_run: bool,
        /// 只导入没有错误的行（默认有任何错误则全部不写入）/ write the valid rows even if others have errors
        #[arg(long)]
        valid_only: bool,
        /// 以 JSON 输出结果（默认即 JSON，保留以便脚本显式指定）/ print the report as JSON (the default)
        #[arg(long)]
        json: bool,
    },
    /// 导入某月各单位报送的月报表（xlsx/xls/csv），按项目代码（无代码按名称和所在地）匹配项目，导入即报送 / import a period's monthly reports; rows are matched by project code, else by name within the division, and submitted
    Reports {
        /// 文件路径 / file
        file: std::path::PathBuf,
        /// 报送期 YYYY-MM / period
        #[arg(long)]
        period: String,
        /// 只检查不写入 / check only, write nothing
        #[arg(long)]
        dry_run: bool,
        /// 只导入没有错误的行（默认有任何错误则全部不写入）/ write the valid rows even if others have errors
        #[arg(long)]
        valid_only: bool,
        /// 以 JSON 输出结果（默认即 JSON）/ print the report as JSON (the default)
        #[arg(long)]
        json: bool,
    },
}

/// Export targets.
#[derive(Subcommand, Debug)]
pub enum ExportWhat {
    /// 导出项目台账（xlsx 为打印版式；--out - 把 JSON 写到标准输出）/ export the project table (--out - writes JSON to stdout)
    Projects {
        /// 格式 / format
        #[arg(long, default_value = "xlsx", value_parser = ["xlsx", "csv", "json"])]
        format: String,
        /// 输出文件，- 为标准输出 / output file, - for standard output
        #[arg(long)]
        out: String,
        /// 计划年度（默认今年）/ plan year (default this year)
        #[arg(long)]
        year: Option<i64>,
    },
    /// 导出某月序时进度表（xlsx，灯号着色，按地区分节并小计，另附分地区汇总）/ export a period's progress table with coloured lights
    Progress {
        /// 报送期 YYYY-MM / period
        #[arg(long)]
        period: String,
        /// 只导出该区划及以下（区划代码）/ only this division's subtree
        #[arg(long)]
        division: Option<String>,
        /// 输出文件 / output file
        #[arg(long)]
        out: String,
    },
}

/// User actions.
#[derive(Subcommand, Debug)]
pub enum UserAction {
    /// 新增用户，密码从标准输入读取 / add a user; the password is read from standard input
    Add {
        /// 用户名 / login name
        #[arg(long)]
        username: String,
        /// 姓名 / full name
        #[arg(long)]
        name: String,
        /// 所在单位编码（区划政府单位的编码即区划代码）/ unit code (a division's government unit has the division code)
        #[arg(long)]
        unit: String,
        /// 角色标识，可重复：admin, security_admin, audit_admin, office, supervision, leader, division, department, project_unit, assessor / role, repeatable
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        /// 从标准输入读取密码 / read the password from standard input
        #[arg(long, required = true)]
        password_stdin: bool,
        /// 首次登录须修改密码 / must change the password at first login
        #[arg(long)]
        must_change_password: bool,
    },
}

/// Audit actions.
#[derive(Subcommand, Debug)]
pub enum AuditAction {
    /// 校验审计链，若被篡改则指出第一条问题记录并以非零退出 / verify the audit chain; exits non-zero naming the first bad record
    Verify,
}

/// Campaign actions.
#[derive(Debug, Subcommand)]
pub enum CampaignAction {
    /// 列出攻坚战 / list campaigns
    List {
        /// 以 JSON 输出 / print JSON
        #[arg(long)]
        json: bool,
    },
    /// 以 JSON 输出一项攻坚战：领导小组、成员单位、四个讲清、项目、指标目标链及缺口预警 / a campaign as JSON with its chains and warnings
    Show {
        /// 攻坚战代码 / campaign code
        code: String,
        /// 按哪一天计算（默认今天）/ as of this day (default today)
        #[arg(long)]
        today: Option<String>,
    },
    /// 按 JSON 文件新建攻坚战（格式见使用手册“攻坚战”）/ create a campaign from a JSON file (see the guide)
    Create {
        /// JSON 文件 / JSON file
        #[arg(long)]
        file: String,
    },
    /// 填报某周完成值 / enter what an indicator achieved in a week
    Enter {
        /// 攻坚战代码 / campaign code
        code: String,
        /// 指标代码 / indicator code
        #[arg(long)]
        indicator: String,
        /// 第几周 / week number
        #[arg(long)]
        week: u32,
        /// 本周完成值 / value
        #[arg(long)]
        value: String,
        /// 说明 / note
        #[arg(long, default_value = "")]
        note: String,
        /// 按哪一天校验周次（默认今天）/ as of this day
        #[arg(long)]
        today: Option<String>,
    },
}
