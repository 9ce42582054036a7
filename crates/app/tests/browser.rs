//! A real browser: headless Debian Chromium (through chromedriver) signs in to the real
//! binary serving the demo city, checks the Chinese home page shows the database's own
//! counts and a drawn chart, and saves screenshots to `test-artifacts/`.
//!
//! Needs `chromium` and `chromium-driver` (`scripts/run-tests` installs them). Set
//! `GONGJIAN_SKIP_BROWSER=1` to skip explicitly on a machine without them.

mod common;

use serde_json::{Value, json};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

struct Kill(Child);
impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

struct Driver {
    http: reqwest::Client,
    base: String,
}

impl Driver {
    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut r = self.http.request(method, format!("{}{path}", self.base));
        if let Some(b) = body {
            r = r.json(&b);
        }
        let v: Value = r
            .send()
            .await
            .expect("chromedriver answers")
            .json()
            .await
            .unwrap();
        if v["value"].get("error").is_some() {
            panic!("webdriver {path}: {v}");
        }
        v["value"].clone()
    }
    async fn go(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", Some(json!({"url": url})))
            .await;
    }
    async fn find(&self, css: &str) -> String {
        let v = self
            .call(
                reqwest::Method::POST,
                "/element",
                Some(json!({"using": "css selector", "value": css})),
            )
            .await;
        v[ELEMENT].as_str().unwrap().to_string()
    }
    async fn type_in(&self, css: &str, text: &str) {
        let e = self.find(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{e}/value"),
            Some(json!({"text": text})),
        )
        .await;
    }
    async fn click(&self, css: &str) {
        let e = self.find(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{e}/click"),
            Some(json!({})),
        )
        .await;
    }
    async fn js(&self, script: &str) -> Value {
        self.call(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({"script": script, "args": []})),
        )
        .await
    }
    async fn screenshot(&self, name: &str) {
        use std::io::Write;
        let b64 = self.call(reqwest::Method::GET, "/screenshot", None).await;
        let png = base64_decode(b64.as_str().unwrap());
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../test-artifacts");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::File::create(dir.join(name))
            .unwrap()
            .write_all(&png)
            .unwrap();
        assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
    }
    /// Waits until `script` returns true (pages load scripts deferred).
    async fn wait_for(&self, script: &str) -> bool {
        for _ in 0..50 {
            if self.js(script).await == json!(true) {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        false
    }
}

fn base64_decode(s: &str) -> Vec<u8> {
    let val = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        _ => 63,
    };
    let bytes: Vec<u8> = s
        .bytes()
        .filter(|c| *c != b'=' && !c.is_ascii_whitespace())
        .collect();
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for chunk in bytes.chunks(4) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, c)| acc | (val(*c) as u32) << (18 - 6 * i));
        out.push((n >> 16) as u8);
        if chunk.len() > 2 {
            out.push((n >> 8) as u8);
        }
        if chunk.len() > 3 {
            out.push(n as u8);
        }
    }
    out
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_signs_in_and_sees_the_chinese_home_page_with_real_counts() {
    if std::env::var("GONGJIAN_SKIP_BROWSER").is_ok() {
        eprintln!("GONGJIAN_SKIP_BROWSER set: browser test skipped");
        return;
    }
    let dir = std::env::temp_dir().join(format!(
        "gongjian-browser-{}",
        &gongjian_store::random_token()[..10]
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let db_url = format!("sqlite://{}/demo.db", dir.display());
    let server = common::serve_demo(&db_url);
    let base = server.base.clone();

    let port = free_port();
    let driver = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    let _driver = Kill(driver.expect("chromedriver is installed (apt-get install chromium chromium-driver), or set GONGJIAN_SKIP_BROWSER=1"));
    let http = reqwest::Client::new();
    let wd = format!("http://127.0.0.1:{port}");
    for _ in 0..50 {
        if http.get(format!("{wd}/status")).send().await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let profile = dir.join("profile");
    let caps = json!({"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {
        "binary": "/usr/bin/chromium",
        "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1366,900",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic", format!("--user-data-dir={}", profile.display())]}}}});
    let s: Value = http
        .post(format!("{wd}/session"))
        .json(&caps)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let sid = s["value"]["sessionId"]
        .as_str()
        .unwrap_or_else(|| panic!("no session: {s}"))
        .to_string();
    let d = Driver {
        http: http.clone(),
        base: format!("{wd}/session/{sid}"),
    };

    d.go(&format!("{base}/")).await;
    assert!(
        d.wait_for("return location.pathname === '/login'").await,
        "anonymous users are sent to the login page"
    );
    d.type_in("#username", "admin").await;
    d.type_in("#password", gongjian::demo::DEFAULT_PASSWORD)
        .await;
    d.click("button[type=submit]").await;
    assert!(
        d.wait_for("return location.pathname === '/' && !!document.querySelector('h1')")
            .await,
        "signed in"
    );
    let lang = d.js("return document.documentElement.lang").await;
    assert_eq!(lang, "zh-CN");
    let h1 = d
        .js("return document.querySelector('h1').textContent")
        .await;
    assert!(h1.as_str().unwrap().starts_with("欢迎"), "{h1}");
    let shown = d.js("return Object.fromEntries([...document.querySelectorAll('[data-count]')].map(e => [e.dataset.count, +e.textContent]))").await;

    // The figures are the database's own.
    let db = gongjian_store::Db::connect(&db_url).await.unwrap();
    let q = |sql: &'static str| {
        let db = db.clone();
        async move {
            gongjian_store::on_db!(&db, c => sqlx::query_scalar::<_, i64>(sql).fetch_one(c).await)
                .unwrap()
        }
    };
    assert_eq!(
        shown["divisions"],
        q("SELECT COUNT(*) FROM division WHERE active = TRUE").await,
        "{shown}"
    );
    assert_eq!(
        shown["units"],
        q("SELECT COUNT(*) FROM unit WHERE active = TRUE").await,
        "{shown}"
    );
    assert_eq!(
        shown["leaders"],
        q("SELECT COUNT(*) FROM leader WHERE active = TRUE").await,
        "{shown}"
    );
    assert!(shown["divisions"].as_i64().unwrap() >= 11);
    d.screenshot("home-admin.png").await;

    // The office sees users too, and the vendored ECharts draws the chart under our CSP.
    d.click("form[action='/logout'] button").await;
    assert!(d.wait_for("return location.pathname === '/login'").await);
    d.type_in("#username", "office").await;
    d.type_in("#password", gongjian::demo::DEFAULT_PASSWORD)
        .await;
    d.click("button[type=submit]").await;
    assert!(
        d.wait_for("return !!document.querySelector('#users-chart[data-drawn=true] canvas')")
            .await,
        "the chart was drawn"
    );
    let users = d
        .js("return +document.querySelector('[data-count=users]').textContent")
        .await;
    assert_eq!(
        users,
        q("SELECT COUNT(*) FROM app_user WHERE active = TRUE").await
    );
    d.screenshot("home-office.png").await;
    d.go(&format!("{base}/org/divisions")).await;
    assert!(
        d.wait_for("return document.querySelectorAll('table.data tbody tr').length >= 38")
            .await
    );
    d.screenshot("divisions.png").await;

    // The project registry: the demo's projects, sortable, and a project page whose
    // plan chart draws its monthly bars and cumulative line.
    d.go(&format!("{base}/projects?sort=total_investment&dir=desc"))
        .await;
    assert!(
        d.wait_for("return document.querySelectorAll('#projects tbody tr').length === 20")
            .await
    );
    let total_text = d
        .js("return document.querySelector('p.count').textContent")
        .await;
    assert!(
        total_text
            .as_str()
            .unwrap()
            .contains(&gongjian::demo::DEMO_PROJECTS.to_string()),
        "{total_text}"
    );
    d.screenshot("projects.png").await;
    d.click("#projects tbody tr:first-child td:nth-child(2) a")
        .await;
    assert!(
        d.wait_for("return !!document.querySelector('#plan .chart[data-drawn=true] canvas')")
            .await,
        "the plan chart was drawn"
    );
    assert!(
        d.wait_for("return document.querySelectorAll('ol.timeline li').length === 4")
            .await
    );
    d.screenshot("project.png").await;
    // The contact leader's name opens the list of that leader's projects, the leader
    // chosen in the filter and every row naming the same leader.
    let leader = d
        .js("return document.querySelector('section.four a[href*=\"leader_id=\"]').textContent")
        .await;
    d.click("section.four a[href*='leader_id=']").await;
    assert!(
        d.wait_for("return location.search.includes('leader_id=') && document.querySelectorAll('#projects tbody tr').length > 0")
            .await
    );
    let (chosen, names) = (
        d.js("const s = document.querySelector('select[name=leader_id]'); return s.options[s.selectedIndex].text")
            .await,
        d.js("return [...new Set([...document.querySelectorAll('#projects tbody tr td:nth-child(8)')].map(td => td.textContent.trim()))]")
            .await,
    );
    let leader = leader.as_str().unwrap().to_string();
    assert!(
        chosen.as_str().unwrap().starts_with(&leader),
        "{chosen} for {leader}"
    );
    assert_eq!(names, serde_json::json!([leader]));

    // Monthly reporting: the office opens the next period from the periods page, a
    // project unit reports with a photo, and the office sees it on the period board.
    d.go(&format!("{base}/periods")).await;
    let next = d
        .js("return document.querySelector('#open-period input[name=period]').value")
        .await;
    let next = next.as_str().unwrap().to_string();
    d.click("#open-period button").await;
    assert!(
        d.wait_for(&format!("return location.pathname === '/periods/{next}'"))
            .await,
        "period {next} opened"
    );
    let photo = dir.join("现场.jpg");
    std::fs::write(
        &photo,
        gongjian_office::photo::sample_jpeg("2026:11:20 10:00:00", 38.4872, 106.2309),
    )
    .unwrap();
    d.click("form[action='/logout'] button").await;
    assert!(d.wait_for("return location.pathname === '/login'").await);
    d.type_in("#username", "xny").await;
    d.type_in("#password", gongjian::demo::DEFAULT_PASSWORD)
        .await;
    d.click("button[type=submit]").await;
    assert!(d.wait_for("return location.pathname === '/'").await);
    d.go(&format!("{base}/reports?period={next}")).await;
    assert!(
        d.wait_for(
            "return document.querySelectorAll('#to-report tbody tr[data-project]').length > 0"
        )
        .await,
        "the unit has projects to report"
    );
    let pid = d
        .js("return document.querySelector('#to-report tbody tr[data-project]').dataset.project")
        .await;
    d.click("#to-report tbody tr[data-project] a.button").await;
    assert!(
        d.wait_for("return !!document.querySelector('#report-form')")
            .await
    );
    d.type_in("#month_amount_wan", "88.5").await;
    d.type_in("#progress_text", "主体结构封顶，开始砌体施工")
        .await;
    d.type_in("#photos", photo.to_str().unwrap()).await;
    d.screenshot("report-form.png").await;
    d.click("#submit-report").await;
    assert!(
        d.wait_for("return document.querySelector('#report-status') && document.querySelector('#report-status').textContent.includes('已报送') && !!document.querySelector('#photos-panel img')")
            .await,
        "submitted with its photo"
    );
    let caption = d
        .js("return document.querySelector('#photos-panel figcaption').textContent")
        .await;
    assert!(caption.as_str().unwrap().contains("38.487200"), "{caption}");
    d.screenshot("report.png").await;
    d.click("form[action='/logout'] button").await;
    assert!(d.wait_for("return location.pathname === '/login'").await);
    d.type_in("#username", "office").await;
    d.type_in("#password", gongjian::demo::DEFAULT_PASSWORD)
        .await;
    d.click("button[type=submit]").await;
    assert!(d.wait_for("return location.pathname === '/'").await);
    d.go(&format!("{base}/periods/{next}")).await;
    assert!(
        d.wait_for("return !!document.querySelector('.chart[data-drawn=true] canvas')")
            .await,
        "the board chart was drawn"
    );
    let submitted = d
        .js("return +document.querySelector('#board tfoot th:nth-child(4)').textContent")
        .await;
    assert_eq!(submitted, 1, "the office's board counts the report");
    d.screenshot("period-board.png").await;
    d.go(&format!("{base}/reports/{}/{next}", pid.as_str().unwrap()))
        .await;
    assert!(
        d.wait_for("return !!document.querySelector('#review button') && !!document.querySelector('#photos-panel img')")
            .await,
        "the office can review the report and see the photo"
    );
    // The lights of the demo's last closed-or-open month, drawn and explained.
    let (ny, nm) = next.split_once('-').unwrap();
    let (ny, nm): (i32, u32) = (ny.parse().unwrap(), nm.parse().unwrap());
    let prev = if nm == 1 {
        format!("{}-12", ny - 1)
    } else {
        format!("{ny}-{:02}", nm - 1)
    };
    d.go(&format!("{base}/lights?period={prev}")).await;
    assert!(
        d.wait_for("return !!document.querySelector('.chart[data-drawn=true] canvas') && document.querySelectorAll('#project-lights tbody tr').length > 50")
            .await,
        "the lights board was drawn"
    );
    let spread = d.js("return ['green','yellow','red'].map(l => document.querySelectorAll(`#project-lights tr[data-light=${l}]`).length)").await;
    assert!(
        spread
            .as_array()
            .unwrap()
            .iter()
            .all(|n| n.as_i64().unwrap() > 0),
        "the demo has green, yellow and red projects: {spread}"
    );
    d.screenshot("lights.png").await;
    // Last month's scheduling meeting: the agenda in table order with decisions.
    d.go(&format!("{base}/meetings")).await;
    assert!(
        d.wait_for("return document.querySelectorAll('#meetings tbody a').length > 0")
            .await,
        "the demo has a meeting"
    );
    d.click("#meetings tbody a").await;
    assert!(
        d.wait_for("return document.querySelectorAll('.agenda-item').length > 0 && document.querySelectorAll('.decisions li[data-decision]').length >= 2")
            .await,
        "the agenda lists projects and decisions"
    );
    let lights = d
        .js("return [...document.querySelectorAll('.agenda-item')].every(e => ['red','yellow'].includes(e.dataset.light))")
        .await;
    assert_eq!(lights, json!(true), "only red and yellow projects");
    d.screenshot("meeting.png").await;
    // The same meeting from the command line: listed, briefing and commitments written.
    let cli = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_gongjian"))
            .args(["--db", &db_url])
            .args(args)
            .env_remove("GONGJIAN_DB")
            .output()
            .unwrap()
    };
    let list = cli(&["meeting", "list"]);
    let list = String::from_utf8_lossy(&list.stdout);
    let id = list.split('\t').next().unwrap().trim().to_string();
    assert!(list.contains("重点项目调度会"), "{list}");
    for (what, file) in [
        ("briefing", "briefing.docx"),
        ("commitments", "commitments.xlsx"),
    ] {
        let out = dir.join(file);
        let o = cli(&["meeting", what, &id, "--out", out.to_str().unwrap()]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert!(std::fs::read(&out).unwrap().starts_with(b"PK"), "{file}");
    }
    // Arenas: a district's score opens into its components and the projects behind them,
    // down to a project's monthly report.
    d.go(&format!("{base}/arenas/xmjs")).await;
    assert!(
        d.wait_for("return document.querySelectorAll('#board tbody tr[data-unit]').length >= 10")
            .await,
        "the scoreboard lists the districts"
    );
    d.screenshot("arena.png").await;
    d.go(&format!("{base}/arenas/xmjs")).await;
    d.click("#board tbody tr[data-unit='990102'] td a").await;
    assert!(
        d.wait_for("return document.querySelectorAll('#components tbody tr[data-indicator]').length === 4 && document.querySelectorAll('#projects-behind a.report-link').length > 0")
            .await,
        "the explanation shows every indicator and the projects behind the figures"
    );
    d.screenshot("arena-explain.png").await;
    d.click("#projects-behind a.report-link").await;
    assert!(
        d.wait_for("return location.pathname.startsWith('/reports/') && !!document.querySelector('#report-view')")
            .await,
        "the drill-down reaches a project's monthly report"
    );
    // A count opens into the projects behind it; the annual leaderboard sums the months.
    d.go(&format!("{base}/arenas/xmjs")).await;
    d.click("#board tbody tr[data-unit='990102'] td a").await;
    assert!(
        d.wait_for(
            "return !!document.querySelector('#components tr[data-indicator=reserve] a.items-link')"
        )
        .await
    );
    d.click("#components tr[data-indicator=reserve] a.items-link")
        .await;
    assert!(
        d.wait_for("return document.querySelectorAll('#items tbody tr').length > 0 && +document.querySelector('#item-count').textContent === document.querySelectorAll('#items tbody tr').length")
            .await,
        "the reserve conversion rate lists its projects"
    );
    d.screenshot("arena-items.png").await;
    d.go(&format!("{base}/arenas/xmjs")).await;
    d.click("#annual-link").await;
    assert!(
        d.wait_for("return document.querySelectorAll('#annual tbody tr[data-unit]').length >= 10")
            .await,
        "the annual leaderboard lists every participant"
    );
    d.go(&format!("{base}/arenas/xmjs/rule")).await;
    assert!(
        d.wait_for("return document.querySelectorAll('#indicators tbody tr').length === 7 && document.querySelector('[name=ind_source_3]').value === 'reserve_conversion'")
            .await,
        "the rule form shows the four indicators and three blank rows"
    );
    d.screenshot("arena-rule.png").await;
    // Problems: the overdue board with the funnel, the per-unit statistics and the
    // problems the demo has escalated; one problem with its history.
    d.go(&format!("{base}/problems/board")).await;
    assert!(
        d.wait_for("return document.querySelectorAll('#problems tbody tr.overdue').length > 0 && document.querySelectorAll('#unit-stats tbody tr[data-unit]').length > 0")
            .await,
        "the board shows overdue problems and unit statistics"
    );
    let shown = d
        .js("return +document.querySelector('#funnel [data-status=overdue] .num').textContent")
        .await;
    let sql = format!(
        "SELECT COUNT(*) FROM problem WHERE status IN ('raised','accepted','replied') AND deadline < '{}'",
        gongjian_store::today()
    );
    let late = q(Box::leak(sql.into_boxed_str())).await;
    assert_eq!(shown, late, "the overdue count is the stored one");
    d.screenshot("problem-board.png").await;
    d.click("#problems tbody tr.overdue td a").await;
    assert!(
        d.wait_for(
            "return document.querySelectorAll('#steps tbody tr[data-action=escalate]').length > 0"
        )
        .await,
        "an overdue problem shows its escalation"
    );
    d.screenshot("problem.png").await;
    d.go(&format!("{base}/tasks")).await;
    assert!(
        d.wait_for("return document.querySelectorAll('#tasks tbody tr[data-task]').length >= 5")
            .await,
        "the task board lists the demo's tasks, meeting decisions included"
    );
    d.screenshot("tasks.png").await;
    // The cockpit as a city leader: every chart has drawn data, the map included.
    d.click("form[action='/logout'] button").await;
    assert!(d.wait_for("return location.pathname === '/login'").await);
    d.type_in("#username", "mayor").await;
    d.type_in("#password", gongjian::demo::DEFAULT_PASSWORD)
        .await;
    d.click("button[type=submit]").await;
    assert!(d.wait_for("return location.pathname === '/'").await);
    const DRAWN: &str = "var els = [...document.querySelectorAll('[data-cockpit]')];\
        return els.length === 6 && els.every(function (e) {\
          if (e.dataset.drawn !== 'true' || !e.querySelector('canvas')) return false;\
          var o = echarts.getInstanceByDom(e).getOption();\
          if (!o.series.every(function (s) { return (s.data || []).length > 0; })) return false;\
          var c = e.querySelector('canvas'), x = c.getContext('2d').getImageData(0, 0, c.width, c.height).data, n = 0;\
          for (var i = 3; i < x.length; i += 16) if (x[i] > 0) n++;\
          return n > 500;\
        });";
    d.go(&format!("{base}/cockpit")).await;
    assert!(
        d.wait_for(DRAWN).await,
        "every cockpit chart is drawn with data: {}",
        d.js("return [...document.querySelectorAll('[data-cockpit]')].map(e => e.dataset.cockpit + ':' + e.dataset.drawn)").await
    );
    d.screenshot("cockpit.png").await;
    // A bar of the lights chart drills down to that division's lights.
    let href = d
        .js("return JSON.parse(document.querySelector('[data-cockpit=lights]').dataset.chart).links[0]")
        .await;
    assert!(
        href.as_str().unwrap().starts_with("/lights?period="),
        "{href}"
    );
    // The big screen at 1920×1080, dark, without navigation.
    d.call(
        reqwest::Method::POST,
        "/window/rect",
        Some(json!({"width": 1920, "height": 1080})),
    )
    .await;
    d.go(&format!("{base}/cockpit/screen")).await;
    assert!(d.wait_for(DRAWN).await, "the big screen draws every chart");
    assert_eq!(
        d.js("return !!document.querySelector('.sidebar')").await,
        json!(false)
    );
    d.screenshot("cockpit-screen.png").await;
    // The demo's hundred-day campaign: its latest week fell short, so its month is named
    // at risk, with the chain of weekly and monthly targets.
    d.call(
        reqwest::Method::POST,
        "/window/rect",
        Some(json!({"width": 1366, "height": 900})),
    )
    .await;
    d.go(&format!("{base}/campaigns/gwgz")).await;
    assert!(
        d.wait_for("return document.querySelectorAll('#i-gw .endangered').length > 0 && document.querySelectorAll('#i-gw table.chain tr[data-level=week]').length >= 14")
            .await,
        "the campaign shows its chain and what is endangered"
    );
    d.screenshot("campaign.png").await;
    let _ = http.delete(format!("{wd}/session/{sid}")).send().await;
    db.close().await;
    let _ = std::fs::remove_dir_all(&dir);
}
