//! Delivery of the notification outbox: DingTalk and WeCom group robots (each in its
//! own JSON format; DingTalk with its signed secret) over HTTPS, and e-mail over SMTP.
//! Each message is claimed by one process before it is sent (see
//! `gongjian_store::notify::claim`), and retried up to five times.

use base64::Engine;
use gongjian_store::Db;
use gongjian_store::notify::{self, Outgoing};
use hmac::{KeyInit, Mac};
use std::time::Duration;

/// What one delivery round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Delivered {
    /// Messages sent.
    pub sent: usize,
    /// Messages that failed this time (retried later, or failed for good).
    pub failed: usize,
}

/// The signed query of a DingTalk robot: `timestamp` in milliseconds and `sign`, the
/// URL-encoded Base64 of HMAC-SHA256 over `"{timestamp}\n{secret}"` keyed by the secret.
pub fn dingtalk_sign(secret: &str, timestamp_ms: i64) -> String {
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(format!("{timestamp_ms}\n{secret}").as_bytes());
    let b64 = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    percent_encode(&b64)
}

fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The JSON body of a robot message (DingTalk and WeCom both take `text` messages of
/// this shape; the title leads so keyword-protected robots accept it).
pub fn robot_body(m: &Outgoing) -> serde_json::Value {
    serde_json::json!({
        "msgtype": "text",
        "text": { "content": format!("【攻坚】{}\n{}", m.title, m.body) }
    })
}

async fn post_robot(client: &reqwest::Client, m: &Outgoing) -> Result<(), String> {
    let mut url = m.target.clone();
    if m.channel == "dingtalk" && !m.secret.is_empty() {
        let ts = chrono::Utc::now().timestamp_millis();
        let sep = if url.contains('?') { '&' } else { '?' };
        url = format!(
            "{url}{sep}timestamp={ts}&sign={}",
            dingtalk_sign(&m.secret, ts)
        );
    }
    let resp = client
        .post(&url)
        .json(&robot_body(m))
        .send()
        .await
        .map_err(|e| format!("request failed: {e}"))?;
    let status = resp.status();
    let v: serde_json::Value = resp
        .json()
        .await
        .map_err(|e| format!("HTTP {status}, not JSON: {e}"))?;
    // Both robots answer {"errcode":0,"errmsg":"ok"} on success.
    match v.get("errcode").and_then(serde_json::Value::as_i64) {
        Some(0) => Ok(()),
        _ => Err(format!("HTTP {status}: {v}")),
    }
}

async fn send_mail(m: &Outgoing) -> Result<(), String> {
    use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
    // The channel's URL and sender come with the message (target is the recipient).
    let (smtp_url, from) = m
        .secret
        .split_once('|')
        .ok_or("channel misconfigured: missing SMTP URL")?;
    let email = Message::builder()
        .from(from.parse().map_err(|e| format!("sender '{from}': {e}"))?)
        .to(m
            .target
            .parse()
            .map_err(|e| format!("recipient '{}': {e}", m.target))?)
        .subject(format!("【攻坚】{}", m.title))
        .header(lettre::message::header::ContentType::TEXT_PLAIN)
        .body(m.body.clone())
        .map_err(|e| e.to_string())?;
    let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp_url)
        .map_err(|e| format!("SMTP URL: {e}"))?
        .timeout(Some(Duration::from_secs(20)))
        .build();
    transport
        .send(email)
        .await
        .map(|_| ())
        .map_err(|e| format!("SMTP: {e}"))
}

/// Sends what is pending in the outbox (at most `limit` messages this round).
pub async fn run(db: &Db, limit: i64) -> Result<Delivered, gongjian_store::StoreError> {
    let batch = notify::claim(db, limit).await?;
    let mut d = Delivered::default();
    if batch.is_empty() {
        return Ok(d);
    }
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(15))
        .build()
        .expect("HTTP client");
    for m in batch {
        let r = match m.channel.as_str() {
            "dingtalk" | "wecom" => post_robot(&client, &m).await,
            "email" => send_mail(&m).await,
            other => Err(format!("unknown channel {other}")),
        };
        match &r {
            Ok(()) => d.sent += 1,
            Err(e) => {
                tracing::warn!(id = m.id, channel = %m.channel, error = %e, "notification not delivered");
                d.failed += 1;
            }
        }
        notify::settle(db, m.id, r.err().as_deref()).await?;
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dingtalk_signature_matches_the_documented_algorithm() {
        // HMAC-SHA256 keyed by the secret over "timestamp\nsecret", Base64, URL-encoded;
        // the expected value was computed independently with Python's hmac module.
        assert_eq!(
            dingtalk_sign("SECabc", 1_700_000_000_000),
            "jcUpW0QmtKduN03n4JqQ0PBosVjqnM8gU7fIIvsDmCM%3D"
        );
    }
}
