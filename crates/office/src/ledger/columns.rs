//! The fields of a ledger and the column names they are known by.

use gongjian_domain::money;
use std::collections::BTreeMap;

/// How a column's cells are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Text,
    Money,
    Month(usize),
    Year,
    Years,
    Mu,
    Bool,
    Date,
    List,
    Tag(&'static str),
    Ignored,
}

/// A field of the ledger with the column names it is known by.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    /// Identifier, also used by administrators to add synonyms.
    pub id: &'static str,
    /// Chinese label, used as the export header.
    pub zh: &'static str,
    pub(super) kind: Kind,
    synonyms: &'static [&'static str],
}

const fn f(
    id: &'static str,
    zh: &'static str,
    kind: Kind,
    synonyms: &'static [&'static str],
) -> Field {
    Field {
        id,
        zh,
        kind,
        synonyms,
    }
}

/// Every field the import knows, with its built-in column names.
pub const FIELDS: &[Field] = &[
    f("seq", "序号", Kind::Ignored, &["序号", "编号", "排序"]),
    f(
        "code",
        "项目代码",
        Kind::Text,
        &[
            "项目代码",
            "国家项目代码",
            "项目统一代码",
            "项目编码",
            "赋码",
        ],
    ),
    f(
        "name",
        "项目名称",
        Kind::Text,
        &["项目名称", "项目", "名称"],
    ),
    f(
        "level",
        "项目级别",
        Kind::Text,
        &["项目级别", "级别", "项目层级"],
    ),
    f(
        "category",
        "项目类别",
        Kind::Text,
        &[
            "项目类别",
            "类别",
            "项目类型",
            "行业类别",
            "产业类别",
            "行业",
        ],
    ),
    f(
        "nature",
        "建设性质",
        Kind::Text,
        &["建设性质", "项目性质", "性质"],
    ),
    f(
        "stage",
        "项目阶段",
        Kind::Text,
        &["项目阶段", "建设阶段", "阶段", "项目状态"],
    ),
    f(
        "division",
        "所在地",
        Kind::Text,
        &[
            "所在地",
            "所属县区",
            "县区",
            "所在县区",
            "属地",
            "项目所在地",
            "县市区",
            "所在区县",
        ],
    ),
    f(
        "division_code",
        "区划代码",
        Kind::Text,
        &["区划代码", "所在地代码", "行政区划代码"],
    ),
    f(
        "owner_name",
        "建设单位",
        Kind::Text,
        &["建设单位", "项目单位", "业主单位", "项目业主", "建设主体"],
    ),
    f(
        "owner_credit_code",
        "统一社会信用代码",
        Kind::Text,
        &["统一社会信用代码", "信用代码", "建设单位统一社会信用代码"],
    ),
    f(
        "responsible_unit",
        "责任单位",
        Kind::Text,
        &["责任单位", "牵头单位", "主责单位", "牵头责任单位"],
    ),
    f(
        "cooperating_units",
        "配合单位",
        Kind::List,
        &["配合单位", "协同单位", "协办单位"],
    ),
    f(
        "contact_leader",
        "包保领导",
        Kind::Text,
        &[
            "包保领导",
            "包抓领导",
            "联系领导",
            "市级包抓领导",
            "包联领导",
            "市级领导",
        ],
    ),
    f(
        "members",
        "工作专班",
        Kind::List,
        &["工作专班", "专班成员", "项目专班"],
    ),
    f(
        "plan_doc",
        "推进方案",
        Kind::Text,
        &["推进方案", "工作方案", "实施方案"],
    ),
    f(
        "total_investment",
        "总投资",
        Kind::Money,
        &["总投资", "计划总投资", "项目总投资", "总投资额"],
    ),
    f(
        "annual_plan",
        "年度计划投资",
        Kind::Money,
        &[
            "年度计划投资",
            "年度计划",
            "本年计划投资",
            "年度投资计划",
            "计划投资",
        ],
    ),
    f("m1", "1月", Kind::Month(0), &["1月", "一月"]),
    f("m2", "2月", Kind::Month(1), &["2月", "二月"]),
    f("m3", "3月", Kind::Month(2), &["3月", "三月"]),
    f("m4", "4月", Kind::Month(3), &["4月", "四月"]),
    f("m5", "5月", Kind::Month(4), &["5月", "五月"]),
    f("m6", "6月", Kind::Month(5), &["6月", "六月"]),
    f("m7", "7月", Kind::Month(6), &["7月", "七月"]),
    f("m8", "8月", Kind::Month(7), &["8月", "八月"]),
    f("m9", "9月", Kind::Month(8), &["9月", "九月"]),
    f("m10", "10月", Kind::Month(9), &["10月", "十月"]),
    f("m11", "11月", Kind::Month(10), &["11月", "十一月"]),
    f("m12", "12月", Kind::Month(11), &["12月", "十二月"]),
    f(
        "start_year",
        "开工年份",
        Kind::Year,
        &["开工年份", "开工年度", "起始年份"],
    ),
    f(
        "end_year",
        "竣工年份",
        Kind::Year,
        &["竣工年份", "完工年份", "竣工年度"],
    ),
    f(
        "period",
        "建设年限",
        Kind::Years,
        &[
            "建设年限",
            "建设起止年限",
            "建设期限",
            "起止年限",
            "建设周期",
        ],
    ),
    f(
        "land_mu",
        "用地面积（亩）",
        Kind::Mu,
        &["用地面积", "用地", "占地面积", "用地规模"],
    ),
    f(
        "started",
        "是否开工",
        Kind::Bool,
        &["是否开工", "开工情况", "开工状态"],
    ),
    f(
        "start_date",
        "开工时间",
        Kind::Date,
        &["开工时间", "开工日期", "实际开工时间"],
    ),
    f("tags", "标签", Kind::List, &["标签"]),
    f(
        "special_bond",
        "专项债",
        Kind::Tag("special_bond"),
        &["是否专项债", "专项债项目", "专项债"],
    ),
    f(
        "central_budget",
        "中央预算内",
        Kind::Tag("central_budget"),
        &["中央预算内", "是否中央预算内", "中央预算内项目"],
    ),
    f(
        "showcase",
        "观摩项目",
        Kind::Tag("showcase"),
        &["观摩项目", "是否观摩项目"],
    ),
    f(
        "description",
        "建设内容及规模",
        Kind::Text,
        &[
            "建设内容及规模",
            "建设内容",
            "主要建设内容",
            "项目简介",
            "建设规模及内容",
        ],
    ),
    f(
        "derived",
        "派生或月报数据",
        Kind::Ignored,
        &[
            "完成率",
            "累计完成",
            "本月完成",
            "完成投资",
            "年度完成率",
            "备注",
            "序时进度",
        ],
    ),
];

/// Field ids an administrator may add column names for.
pub fn field_ids() -> Vec<&'static str> {
    FIELDS.iter().map(|f| f.id).collect()
}

/// Column letters as Excel shows them: 0 → A, 26 → AA.
pub fn column_letter(mut i: usize) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (i % 26) as u8);
        if i < 26 {
            break;
        }
        i = i / 26 - 1;
    }
    s.reverse();
    String::from_utf8(s).expect("ascii")
}

/// Header text reduced for matching: no spaces or line breaks, no unit in brackets,
/// full-width brackets and digits normalised.
pub(super) fn norm_header(raw: &str) -> String {
    let s: String = money::normalise_number_text(raw)
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '（' => '(',
            '）' => ')',
            '：' => ':',
            c => c,
        })
        .collect();
    // Drop bracketed units: (万元), (亿元), (亩), (个)…
    let mut out = String::new();
    let mut depth = 0;
    for c in s.chars() {
        match c {
            '(' => depth += 1,
            ')' if depth > 0 => depth -= 1,
            c if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out.trim_end_matches(['*', '※']).to_string()
}

/// The synonym table: built-in names plus the administrator's, normalised.
#[derive(Debug, Clone)]
pub struct Synonyms {
    map: BTreeMap<String, usize>,
}

impl Synonyms {
    /// Built-in names plus extra `(field id, column name)` pairs.
    pub fn new(extra: &[(String, String)]) -> Synonyms {
        let mut map = BTreeMap::new();
        for (i, f) in FIELDS.iter().enumerate() {
            for s in f.synonyms {
                map.insert(norm_header(s), i);
            }
        }
        for (id, s) in extra {
            if let Some(i) = FIELDS.iter().position(|f| f.id == id) {
                map.insert(norm_header(s), i);
            }
        }
        Synonyms { map }
    }

    /// The field a header names, and the plan year it states (`2026年计划投资`).
    pub(super) fn lookup(&self, header: &str) -> Option<(usize, Option<i64>)> {
        let n = norm_header(header);
        if n.is_empty() {
            return None;
        }
        if let Some(i) = self.map.get(&n) {
            return Some((*i, None));
        }
        // "2026年计划投资", "2026年度计划投资", "2026年1月": a year in front.
        let digits: String = n.chars().take_while(char::is_ascii_digit).collect();
        if digits.len() == 4
            && let Some(rest) = n[4..].strip_prefix('年')
        {
            let year = digits.parse().ok();
            let rest = rest.strip_prefix('度').unwrap_or(rest);
            if let Some(i) = self.map.get(rest) {
                return Some((*i, year));
            }
            for alias in ["计划投资", "计划", "投资计划", "计划完成投资"] {
                if rest == alias {
                    return Some((
                        FIELDS
                            .iter()
                            .position(|f| f.id == "annual_plan")
                            .expect("field"),
                        year,
                    ));
                }
            }
        }
        // "1月计划", "1月计划投资": a month of the plan. ("1-10月完成" is not.)
        for suffix in ["计划投资", "计划", "份"] {
            if let Some(m) = n.strip_suffix(suffix)
                && let Some(i) = self.map.get(m)
                && matches!(FIELDS[*i].kind, Kind::Month(_))
            {
                return Some((*i, None));
            }
        }
        // Year-to-date completion ("1-10月完成", "截至10月完成投资"): monthly-report data.
        if n.contains("完成") {
            return Some((
                FIELDS
                    .iter()
                    .position(|f| f.id == "derived")
                    .expect("field"),
                None,
            ));
        }
        None
    }
}
