//! The monthly bulletin's wording (通报措辞): each paragraph is a template with named
//! placeholders such as `{完成率}` that are filled from the period's figures. An admin may
//! reword a template without a rebuild, but may only use the placeholders that paragraph
//! offers: figures come from data, never from the template.

use crate::DomainError;
use std::collections::BTreeMap;

mod compose;
#[cfg(test)]
mod tests;

pub use compose::*;

/// One paragraph of the bulletin whose wording can be changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paragraph {
    /// Stable key (stored as `bulletin.template.<key>`).
    pub key: &'static str,
    /// What the paragraph is, for the settings page.
    pub title: &'static str,
    /// The placeholders it may use.
    pub placeholders: &'static [&'static str],
    /// The wording shipped with the product.
    pub default: &'static str,
}

/// Every paragraph, in the order they appear in the bulletin.
pub const PARAGRAPHS: &[Paragraph] = &[
    Paragraph {
        key: "overview",
        title: "总体情况",
        placeholders: &[
            "城市",
            "年",
            "月",
            "项目数",
            "年度计划",
            "累计完成",
            "序时目标",
            "完成率",
            "差额",
        ],
        default: "{年}年1—{月}月，{城市}{项目数}个重点项目年度计划投资{年度计划}万元，累计完成投资{累计完成}万元，按序时进度应完成{序时目标}万元，完成序时进度的{完成率}，{差额}。",
    },
    Paragraph {
        key: "lights",
        title: "亮灯情况",
        placeholders: &["规则", "绿灯", "黄灯", "红灯", "未亮灯"],
        default: "按照{规则}，绿灯项目{绿灯}个、黄灯项目{黄灯}个、红灯项目{红灯}个，未编制年度计划的项目{未亮灯}个。",
    },
    Paragraph {
        key: "divisions",
        title: "分县区情况",
        placeholders: &[
            "县区数",
            "达到序时",
            "最高县区",
            "最高完成率",
            "最低县区",
            "最低完成率",
        ],
        default: "分县区看，{县区数}个县区中{达到序时}个达到序时进度。完成序时进度比例最高的是{最高县区}（{最高完成率}），最低的是{最低县区}（{最低完成率}）。",
    },
    Paragraph {
        key: "arena",
        title: "擂台赛（每个擂台一段）",
        placeholders: &[
            "擂台",
            "期间",
            "参赛数",
            "第一名",
            "第一名得分",
            "最后一名",
            "最后一名得分",
        ],
        default: "{擂台}（{期间}）共{参赛数}个单位参赛，{第一名}以{第一名得分}分位列第一，{最后一名}以{最后一名得分}分排名末位。",
    },
    Paragraph {
        key: "flags",
        title: "红黄旗",
        placeholders: &["擂台", "期间", "红旗", "黄旗"],
        default: "{擂台}（{期间}）红旗单位：{红旗}；黄旗单位：{黄旗}。",
    },
    Paragraph {
        key: "arena_none",
        title: "本期无已发布的擂台赛成绩",
        placeholders: &["年", "月"],
        default: "{年}年{月}月的擂台赛成绩尚未发布，待发布后另行通报。",
    },
    Paragraph {
        key: "lagging",
        title: "滞后项目",
        placeholders: &["月", "红灯", "黄灯"],
        default: "截至{月}月底，红灯项目{红灯}个、黄灯项目{黄灯}个，名单及原因如下。请项目责任单位逐一分析原因，倒排工期，加快推进。",
    },
    Paragraph {
        key: "lagging_none",
        title: "本期无滞后项目",
        placeholders: &["月"],
        default: "截至{月}月底，没有红灯、黄灯项目。",
    },
    Paragraph {
        key: "overdue",
        title: "问题和督办事项",
        placeholders: &[
            "问题总数",
            "已销号",
            "逾期问题",
            "任务总数",
            "任务办结",
            "逾期任务",
        ],
        default: "问题清单共有问题{问题总数}个，已验收销号{已销号}个，逾期未办{逾期问题}个；督办任务{任务总数}项，已办结{任务办结}项，逾期未办结{逾期任务}项。逾期情况按单位列示如下。",
    },
    Paragraph {
        key: "commend",
        title: "通报表扬",
        placeholders: &["单位"],
        default: "{单位}完成序时进度、擂台赛成绩靠前或问题办理及时，予以通报表扬。",
    },
    Paragraph {
        key: "commend_none",
        title: "本期无表扬单位",
        placeholders: &[],
        default: "本期暂无符合通报表扬条件的单位。",
    },
    Paragraph {
        key: "criticise",
        title: "通报批评",
        placeholders: &["单位"],
        default: "{单位}进度滞后、擂台赛获黄旗或有逾期未办事项，予以通报批评。请上述单位于3个工作日内向市重点项目调度办书面说明原因，限期整改。",
    },
    Paragraph {
        key: "criticise_none",
        title: "本期无批评单位",
        placeholders: &[],
        default: "本期没有进度滞后或逾期未办的单位。",
    },
    Paragraph {
        key: "closing",
        title: "结束语",
        placeholders: &["年", "月"],
        default: "各县区、各部门要对照本通报，认真查找差距，压实责任，确保完成{年}年度目标任务。",
    },
];

/// The paragraph with a key.
pub fn paragraph(key: &str) -> Option<&'static Paragraph> {
    PARAGRAPHS.iter().find(|p| p.key == key)
}

/// The placeholders a text uses, in order; an error for an unclosed or empty brace.
fn placeholders(text: &str) -> Result<Vec<&str>, DomainError> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find(['{', '}']) {
        if rest[i..].starts_with('}') {
            return Err(DomainError::new(
                "template",
                format!(
                    "措辞中有多余的“}}”（第 {} 个字）",
                    text[..text.len() - rest.len() + i].chars().count() + 1
                ),
                "The wording has a stray '}'.",
            ));
        }
        let after = &rest[i + 1..];
        let Some(j) = after.find('}') else {
            return Err(DomainError::new(
                "template",
                "措辞中的“{”没有对应的“}”",
                "A '{' in the wording is not closed by '}'.",
            ));
        };
        let name = &after[..j];
        if name.is_empty() || name.contains('{') {
            return Err(DomainError::new(
                "template",
                "措辞中有空的或嵌套的占位符“{}”",
                "The wording has an empty or nested placeholder.",
            ));
        }
        out.push(name);
        rest = &after[j + 1..];
    }
    Ok(out)
}

/// Checks a new wording for a paragraph: not empty, not too long, and using only the
/// placeholders that paragraph offers.
pub fn check(key: &str, text: &str) -> Result<(), DomainError> {
    let Some(p) = paragraph(key) else {
        return Err(DomainError::new(
            "key",
            format!("没有名为“{key}”的通报段落"),
            format!("There is no bulletin paragraph '{key}'."),
        ));
    };
    if text.trim().is_empty() {
        return Err(DomainError::new(
            "template",
            format!("“{}”的措辞不能为空", p.title),
            format!("The wording of '{}' must not be empty.", p.key),
        ));
    }
    if text.chars().count() > 1000 {
        return Err(DomainError::new(
            "template",
            "措辞不能超过 1000 字",
            "The wording must not exceed 1,000 characters.",
        ));
    }
    for name in placeholders(text)? {
        if !p.placeholders.contains(&name) {
            let offered = if p.placeholders.is_empty() {
                "（无）".to_string()
            } else {
                p.placeholders
                    .iter()
                    .map(|n| format!("{{{n}}}"))
                    .collect::<Vec<_>>()
                    .join("、")
            };
            return Err(DomainError::new(
                "template",
                format!(
                    "“{}”不能使用占位符 {{{name}}}，可用的有：{offered}",
                    p.title
                ),
                format!(
                    "'{}' cannot use the placeholder {{{name}}}; it offers: {offered}",
                    p.key
                ),
            ));
        }
    }
    Ok(())
}

/// Fills a wording with figures. Every placeholder it uses must have a value: a missing
/// one is an error rather than an empty gap in an official document.
pub fn fill(text: &str, values: &BTreeMap<&str, String>) -> Result<String, DomainError> {
    let mut out = String::with_capacity(text.len() + 64);
    let mut rest = text;
    placeholders(text)?;
    while let Some(i) = rest.find('{') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let j = after.find('}').expect("checked above");
        let name = &after[..j];
        match values.get(name) {
            Some(v) => out.push_str(v),
            None => {
                return Err(DomainError::new(
                    "template",
                    format!("占位符 {{{name}}} 没有对应的数据"),
                    format!("The placeholder {{{name}}} has no figure."),
                ));
            }
        }
        rest = &after[j + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Joins unit names the way bulletins list them: `甲、乙和丙`.
pub fn list_units(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{}和{last}", init.join("、")),
    }
}
