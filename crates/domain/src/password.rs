//! The password policy: at least 8 characters drawn from 3 of the 4 classes.

use crate::DomainError;

/// Minimum password length in characters.
pub const MIN_LEN: usize = 8;

/// Checks a new password against the policy; the message says exactly what is missing.
pub fn check_policy(pw: &str) -> Result<(), DomainError> {
    let classes = [
        pw.chars().any(|c| c.is_ascii_uppercase()),
        pw.chars().any(|c| c.is_ascii_lowercase()),
        pw.chars().any(|c| c.is_ascii_digit()),
        pw.chars().any(|c| !c.is_ascii_alphanumeric()),
    ];
    let n = classes.iter().filter(|b| **b).count();
    if pw.chars().count() < MIN_LEN || n < 3 {
        return Err(DomainError::new(
            "password",
            format!(
                "密码至少 {MIN_LEN} 位，且包含大写字母、小写字母、数字、符号中的至少 3 类（当前 {} 位、{n} 类）。",
                pw.chars().count()
            ),
            format!(
                "A password needs at least {MIN_LEN} characters from 3 of: upper case, lower case, digits, symbols (this one has {} characters, {n} classes).",
                pw.chars().count()
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy() {
        assert!(check_policy("Abcdefg1").is_ok());
        assert!(check_policy("abcdefg1!").is_ok());
        assert!(check_policy("Abc1!").is_err(), "too short");
        assert!(check_policy("abcdefgh1").is_err(), "two classes");
        assert!(check_policy("ABCDEFGHI").is_err());
        assert!(
            check_policy("密码密码密码密码1a").is_ok(),
            "CJK counts as a symbol class"
        );
    }
}
