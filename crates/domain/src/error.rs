//! Errors that users see: always in Chinese and English, naming the field at fault.

use std::fmt;

/// A message in both UI languages.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Msg {
    /// Chinese text, shown by default.
    pub zh: String,
    /// English text, shown with the English switch.
    pub en: String,
}

impl Msg {
    /// Builds a message from its two texts.
    pub fn new(zh: impl Into<String>, en: impl Into<String>) -> Self {
        Msg {
            zh: zh.into(),
            en: en.into(),
        }
    }
}

impl fmt::Display for Msg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} / {}", self.zh, self.en)
    }
}

/// A rule of the domain was broken by the input; `field` names the input at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {msg}")]
pub struct DomainError {
    /// The input field (form field or column) that is wrong.
    pub field: &'static str,
    /// What is wrong and what to do, in both languages.
    pub msg: Msg,
}

impl DomainError {
    /// Builds an error for `field`.
    pub fn new(field: &'static str, zh: impl Into<String>, en: impl Into<String>) -> Self {
        DomainError {
            field,
            msg: Msg::new(zh, en),
        }
    }
}
