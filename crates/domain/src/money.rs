//! Money and other exact quantities. Amounts are whole yuan in an `i64`: never `f64`.
//!
//! Ledgers state money in 万元 (most often), 亿元 or 元, with decimals; we parse the
//! decimal text exactly (integer arithmetic) and show 万元 with two decimals, or four
//! when the amount is not a multiple of 100 yuan, so a round trip never loses a yuan.

use crate::DomainError;

/// A unit in which amounts are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum MoneyUnit {
    /// 元
    Yuan,
    /// 万元
    Wan,
    /// 亿元
    Yi,
}

impl MoneyUnit {
    /// Yuan per unit.
    pub fn factor(self) -> i64 {
        match self {
            Self::Yuan => 1,
            Self::Wan => 10_000,
            Self::Yi => 100_000_000,
        }
    }

    /// The Chinese name of the unit.
    pub fn zh(self) -> &'static str {
        match self {
            Self::Yuan => "元",
            Self::Wan => "万元",
            Self::Yi => "亿元",
        }
    }

    /// Finds a unit named in a header or a unit row: `（亿元）`, `单位：万元`, `(元)`.
    /// The longest name wins, so `万元` is not read as `元`.
    pub fn find_in(text: &str) -> Option<MoneyUnit> {
        if text.contains("亿元") {
            Some(Self::Yi)
        } else if text.contains("万元") {
            Some(Self::Wan)
        } else if text.contains('元') {
            Some(Self::Yuan)
        } else {
            None
        }
    }
}

/// Normalises full-width digits, signs and separators to ASCII; drops thousands
/// separators and spaces.
pub fn normalise_number_text(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.trim().chars() {
        let c = match c {
            '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
            '．' | '。' => '.',
            '－' | '−' => '-',
            '＋' => '+',
            '％' => '%',
            other => other,
        };
        if c == ',' || c == '，' || c == ' ' || c == '\u{3000}' || c == '\u{a0}' {
            continue;
        }
        out.push(c);
    }
    out
}

/// Parses a decimal text to an integer scaled by `scale_digits` decimal places, exactly.
/// Extra decimals are rounded half away from zero. `None` if it is not a number.
pub fn parse_scaled(text: &str, scale_digits: u32) -> Option<i128> {
    let t = text.trim();
    // Plain ASCII digits, signs and points (most cells) need no normalising.
    let s: std::borrow::Cow<'_, str> = if t
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+'))
    {
        t.into()
    } else {
        normalise_number_text(t).into()
    };
    let (neg, body) = match s.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, s.strip_prefix('+').unwrap_or(&s)),
    };
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    if (int.is_empty() && frac.is_empty())
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
        || int.len() > 20
    {
        return None;
    }
    // At most 20 digits before the point: no overflow.
    let mut v: i128 = 0;
    for b in int.bytes() {
        v = v * 10 + i128::from(b - b'0');
    }
    let fd = frac.as_bytes();
    for i in 0..scale_digits as usize {
        v = v * 10 + fd.get(i).map_or(0, |b| i128::from(b - b'0'));
    }
    if fd.get(scale_digits as usize).is_some_and(|b| *b >= b'5') {
        v += 1;
    }
    Some(if neg { -v } else { v })
}

/// Parses an amount written in `unit` to whole yuan. Negative amounts are refused.
pub fn parse_money(
    field: &'static str,
    label: &str,
    text: &str,
    unit: MoneyUnit,
) -> Result<i64, DomainError> {
    // Scale by 8 decimals (enough for 亿元 → 元), then divide by what the unit lacks.
    let scaled = parse_scaled(text, 8).ok_or_else(|| {
        DomainError::new(
            field,
            format!("“{label}”应为数字（{}），当前为“{text}”。", unit.zh()),
            format!("{field} must be a number in {}, got '{text}'.", unit.zh()),
        )
    })?;
    let per_yuan = 100_000_000 / i128::from(unit.factor());
    let yuan = (scaled + per_yuan / 2 * scaled.signum()) / per_yuan;
    if yuan < 0 {
        return Err(DomainError::new(
            field,
            format!("“{label}”不能为负数，当前为“{text}”。"),
            format!("{field} cannot be negative, got '{text}'."),
        ));
    }
    i64::try_from(yuan).map_err(|_| {
        DomainError::new(
            field,
            format!("“{label}”数额过大：“{text}”。"),
            format!("{field} is too large: '{text}'."),
        )
    })
}

/// Whole yuan as 万元 text: two decimals, or four when needed to be exact.
pub fn wan(yuan: i64) -> String {
    let mut s = String::with_capacity(16);
    push_wan(&mut s, yuan);
    s
}

/// Appends [`wan`]'s text to `out` (for texts built from many figures at once).
pub fn push_wan(out: &mut String, yuan: i64) {
    if yuan < 0 {
        out.push('-');
    }
    let a = yuan.unsigned_abs();
    let (int, frac) = (a / 10_000, a % 10_000);
    push_digits(out, int, 1);
    out.push('.');
    if frac % 100 == 0 {
        push_digits(out, frac / 100, 2);
    } else {
        push_digits(out, frac, 4);
    }
}

/// Appends `n` in decimal, padded with zeros to at least `width` digits.
pub fn push_digits(out: &mut String, mut n: u64, width: usize) {
    let mut buf = [b'0'; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let start = i.min(buf.len() - width.min(buf.len()));
    out.push_str(std::str::from_utf8(&buf[start..]).expect("ASCII digits"));
}

/// Whole yuan as 万元 with thousands separators and two decimals, for pages.
pub fn wan_grouped(yuan: i64) -> String {
    let s = wan(yuan);
    let (int, frac) = s.split_once('.').unwrap_or((&s, "00"));
    let (sign, digits) = match int.strip_prefix('-') {
        Some(d) => ("-", d),
        None => ("", int),
    };
    let mut grouped = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    format!("{sign}{grouped}.{}", &frac[..2.min(frac.len())])
}

/// Land area in hundredths of a mu (亩), from decimal text.
pub fn parse_mu(field: &'static str, text: &str) -> Result<i64, DomainError> {
    let v = parse_scaled(text, 2)
        .filter(|v| *v >= 0)
        .and_then(|v| i64::try_from(v).ok());
    v.ok_or_else(|| {
        DomainError::new(
            field,
            format!("用地面积应为不小于 0 的数字（亩），当前为“{text}”。"),
            format!("land area must be a non-negative number of mu, got '{text}'."),
        )
    })
}

/// Hundredths of a mu as text: `12.5` → `"12.50"`.
pub fn mu(centi: i64) -> String {
    format!("{}.{:02}", centi / 100, centi % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_parse_exactly_in_each_unit() {
        assert_eq!(
            parse_money("x", "x", "125,000.00", MoneyUnit::Wan).unwrap(),
            1_250_000_000
        );
        assert_eq!(
            parse_money("x", "x", "１２.５", MoneyUnit::Yi).unwrap(),
            1_250_000_000
        );
        assert_eq!(parse_money("x", "x", "0.0001", MoneyUnit::Wan).unwrap(), 1);
        assert_eq!(parse_money("x", "x", "3", MoneyUnit::Yuan).unwrap(), 3);
        // 0.1 + 0.2 is exactly 0.3 here, unlike f64.
        assert_eq!(
            parse_money("x", "x", "0.3", MoneyUnit::Wan).unwrap(),
            parse_money("x", "x", "0.1", MoneyUnit::Wan).unwrap()
                + parse_money("x", "x", "0.2", MoneyUnit::Wan).unwrap()
        );
    }

    #[test]
    fn plain_ascii_numbers_read_as_normalised_ones() {
        // Plain ASCII texts skip normalising; a leading separator forces it. Both agree.
        for t in [
            "0",
            "12",
            "12.5",
            " 12.5 ",
            "+5",
            "-5",
            ".5",
            "5.",
            "1.005",
            "0.000000005",
            "0.000000004",
            "99999999999999999999",
            "1.2.3",
            "",
            "-",
            "+-1",
            "1e5",
            "abc",
        ] {
            for scale in [0, 2, 8] {
                assert_eq!(
                    parse_scaled(t, scale),
                    parse_scaled(&format!(",{t}"), scale),
                    "{t:?} at {scale}"
                );
            }
        }
        assert_eq!(parse_scaled(" 12.5 ", 2), Some(1250));
        assert_eq!(parse_scaled("1.005", 2), Some(101));
        assert_eq!(parse_scaled("-0.125", 2), Some(-13));
        assert_eq!(parse_scaled(".5", 0), Some(1));
        assert_eq!(parse_scaled("1.2.3", 2), None);
    }

    #[test]
    fn bad_amounts_name_the_field() {
        let e = parse_money("total_investment", "总投资", "-5", MoneyUnit::Wan).unwrap_err();
        assert_eq!(e.field, "total_investment");
        assert!(e.msg.zh.contains("负数"));
        assert!(parse_money("x", "x", "abc", MoneyUnit::Wan).is_err());
        assert!(parse_money("x", "x", "1.2.3", MoneyUnit::Wan).is_err());
        assert!(parse_money("x", "x", "", MoneyUnit::Wan).is_err());
        assert!(parse_money("x", "x", "99999999999999999999", MoneyUnit::Yi).is_err());
    }

    #[test]
    fn wan_text_round_trips() {
        assert_eq!(wan(1_250_000_000), "125000.00");
        assert_eq!(wan(12_345), "1.2345");
        assert_eq!(wan(100), "0.01");
        assert_eq!(wan(0), "0.00");
        for y in [0, 1, 99, 100, 12_345, 1_250_000_000, 987_654_321] {
            assert_eq!(
                parse_money("x", "x", &wan(y), MoneyUnit::Wan).unwrap(),
                y,
                "{y}"
            );
        }
        // The digit writer agrees with the formatting machinery it replaced, sign,
        // padding and the widest values included.
        for y in [
            -1,
            -100,
            -12_345,
            5,
            10_000,
            10_001,
            10_100,
            i64::MAX,
            i64::MIN,
            i64::MIN + 1,
        ] {
            let a = y.unsigned_abs();
            let (int, frac) = (a / 10_000, a % 10_000);
            let body = if frac % 100 == 0 {
                format!("{int}.{:02}", frac / 100)
            } else {
                format!("{int}.{frac:04}")
            };
            let expect = if y < 0 { format!("-{body}") } else { body };
            assert_eq!(wan(y), expect, "{y}");
        }
        let mut s = String::new();
        push_digits(&mut s, 7, 3);
        push_digits(&mut s, 12_345, 2);
        push_digits(&mut s, u64::MAX, 1);
        assert_eq!(s, format!("00712345{}", u64::MAX));
        assert_eq!(wan_grouped(1_250_000_000), "125,000.00");
        assert_eq!(wan_grouped(5_000), "0.50");
    }

    #[test]
    fn units_are_found_in_headers() {
        assert_eq!(MoneyUnit::find_in("总投资（亿元）"), Some(MoneyUnit::Yi));
        assert_eq!(MoneyUnit::find_in("单位：万元"), Some(MoneyUnit::Wan));
        assert_eq!(MoneyUnit::find_in("金额(元)"), Some(MoneyUnit::Yuan));
        assert_eq!(MoneyUnit::find_in("总投资"), None);
    }

    #[test]
    fn land_area() {
        assert_eq!(parse_mu("land_mu", "125.5").unwrap(), 12_550);
        assert!(parse_mu("land_mu", "-1").is_err());
        assert_eq!(mu(12_550), "125.50");
    }
}
