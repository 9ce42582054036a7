//! Notifications: every message goes to the in-app inbox of the active users of the
//! units concerned and, when channels are configured, into the outbox for delivery by
//! e-mail (one message per user with an address) and group robots (DingTalk, WeCom: one
//! message per robot). The outbox is sent by `gongjian jobs run-once` and the server's
//! job loop; delivery itself lives in the binary.

use crate::{Actor, Db, Result, Tx, Val, audit, exec_tx, on_db, on_tx, row_struct};
use chrono::{DateTime, Utc};
use gongjian_domain::DomainError;
use gongjian_domain::access::Permission;

/// Channel kinds.
pub const KINDS: [(&str, &str); 3] = [
    ("dingtalk", "钉钉群机器人"),
    ("wecom", "企业微信群机器人"),
    ("email", "电子邮件（SMTP）"),
];

/// Sends a message to the users of `units` (duplicates ignored). Returns how many
/// inbox messages were written.
pub async fn to_units(
    tx: &mut Tx,
    units: &[i64],
    title: &str,
    body: &str,
    link: &str,
) -> Result<usize> {
    Notifier::default().send(tx, units, title, body, link).await
}

/// Sends many messages in one transaction, reading the channels and each unit's users
/// once (the background jobs send thousands).
#[derive(Default)]
pub struct Notifier {
    channels: Option<Vec<(i64, String, String)>>,
    users: std::collections::HashMap<i64, Vec<(i64, Option<String>)>>,
}

impl Notifier {
    /// Like [`to_units`].
    pub async fn send(
        &mut self,
        tx: &mut Tx,
        units: &[i64],
        title: &str,
        body: &str,
        link: &str,
    ) -> Result<usize> {
        let mut units: Vec<i64> = units.to_vec();
        units.sort_unstable();
        units.dedup();
        let now = crate::now();
        if self.channels.is_none() {
            self.channels = Some(
                on_tx!(tx, c => sqlx::query_as("SELECT id, kind, target FROM notify_channel WHERE active = TRUE ORDER BY id").fetch_all(c).await)?,
            );
        }
        let channels = self.channels.clone().unwrap_or_default();
        let email = channels.iter().find(|c| c.1 == "email").map(|c| c.0);
        let mut rows = Vec::new();
        let mut mails = Vec::new();
        for unit in units {
            if let std::collections::hash_map::Entry::Vacant(slot) = self.users.entry(unit) {
                let users: Vec<(i64, Option<String>)> = on_tx!(tx, c => sqlx::query_as("SELECT id, email FROM app_user WHERE unit_id = $1 AND active = TRUE ORDER BY id").bind(unit).fetch_all(c).await)?;
                slot.insert(users);
            }
            for (uid, addr) in &self.users[&unit] {
                rows.push(vec![
                    Val::I(*uid),
                    Val::S(title.to_string()),
                    Val::S(body.to_string()),
                    Val::OS(Some(link.to_string())),
                    Val::T(now),
                ]);
                if let (Some(ch), Some(addr)) = (email, addr.as_ref().filter(|a| a.contains('@'))) {
                    mails.push((ch, addr.clone()));
                }
            }
        }
        let n = rows.len();
        crate::sql::insert_rows(
            tx,
            "INSERT INTO notice (user_id, title, body, link, created_at)",
            rows,
        )
        .await?;
        for (ch, addr) in mails {
            enqueue(tx, "email", ch, &addr, title, body).await?;
        }
        for (id, kind, target) in channels.iter().filter(|c| c.1 != "email") {
            enqueue(tx, kind, *id, target, title, body).await?;
        }
        Ok(n)
    }
}

async fn enqueue(
    tx: &mut Tx,
    kind: &str,
    channel: i64,
    target: &str,
    title: &str,
    body: &str,
) -> Result<()> {
    exec_tx!(tx, c => sqlx::query("INSERT INTO outbox (channel, channel_id, target, title, body, status, created_at) VALUES ($1, $2, $3, $4, $5, 'pending', $6)")
        .bind(kind).bind(channel).bind(target).bind(title).bind(body).bind(crate::now()).execute(c).await)?;
    Ok(())
}

row_struct! {
    /// A configured channel.
    #[derive(Debug, Clone, serde::Serialize)]
    pub struct Channel {
        pub id: i64,
        pub kind: String,
        pub name: String,
        pub target: String,
        pub secret: String,
        pub active: bool,
    }
}

impl Channel {
    /// The target with any password hidden, for pages and listings.
    pub fn target_shown(&self) -> String {
        match self.target.split_once('@') {
            Some((head, tail)) if self.kind == "email" && head.contains(':') => {
                let scheme_end = head.find("://").map_or(0, |i| i + 3);
                let user = head[scheme_end..].split(':').next().unwrap_or("");
                format!("{}{user}:***@{tail}", &head[..scheme_end])
            }
            _ => self.target.clone(),
        }
    }
}

/// Every channel.
pub async fn channels(db: &Db) -> Result<Vec<Channel>> {
    Ok(
        on_db!(db, c => sqlx::query_as("SELECT id, kind, name, target, secret, active FROM notify_channel ORDER BY id").fetch_all(c).await)?,
    )
}

/// Adds a channel: `dingtalk`/`wecom` with the robot's webhook URL (and for DingTalk
/// its signing secret, `SEC…`), or `email` with an SMTP URL
/// (`smtp://user:password@host:587` with STARTTLS, `smtps://…:465`) and the sender
/// address as `secret`.
pub async fn add_channel(
    tx: &mut Tx,
    actor: &Actor,
    kind: &str,
    name: &str,
    target: &str,
    secret: &str,
) -> Result<i64> {
    actor.access.require(Permission::ProblemAdmin)?;
    let kind = kind.trim();
    if !KINDS.iter().any(|k| k.0 == kind) {
        return Err(DomainError::new(
            "kind",
            format!("通知渠道“{kind}”无效，可选 dingtalk、wecom、email。"),
            format!("unknown channel kind '{kind}'"),
        )
        .into());
    }
    let target = target.trim();
    let ok = match kind {
        "email" => target.starts_with("smtp://") || target.starts_with("smtps://"),
        _ => target.starts_with("https://") || target.starts_with("http://"),
    };
    if !ok {
        return Err(DomainError::new(
            "target",
            if kind == "email" {
                "邮件渠道的地址应为 smtp://用户名:密码@服务器:587 或 smtps://…:465。".to_string()
            } else {
                "机器人地址应为 https:// 开头的 Webhook 地址。".to_string()
            },
            format!("'{target}' is not a valid address for {kind}"),
        )
        .into());
    }
    if kind == "email" && !secret.contains('@') {
        return Err(DomainError::new(
            "secret",
            "邮件渠道须填写发件人地址，例如 gongjian@example.gov.cn。",
            "An e-mail channel needs the sender address.",
        )
        .into());
    }
    let name = if name.trim().is_empty() {
        KINDS.iter().find(|k| k.0 == kind).map_or(kind, |k| k.1)
    } else {
        name.trim()
    };
    let id: i64 = on_tx!(tx, c => sqlx::query_scalar("INSERT INTO notify_channel (kind, name, target, secret, active, created_at) VALUES ($1, $2, $3, $4, TRUE, $5) RETURNING id")
        .bind(kind).bind(name).bind(target).bind(secret.trim()).bind(crate::now()).fetch_one(c).await)?;
    audit::record(
        tx,
        actor,
        "create",
        "notify_channel",
        id,
        None,
        Some(&serde_json::json!({"kind": kind, "name": name})),
    )
    .await?;
    Ok(id)
}

/// Removes a channel (and its undelivered messages).
pub async fn remove_channel(tx: &mut Tx, actor: &Actor, id: i64) -> Result<()> {
    actor.access.require(Permission::ProblemAdmin)?;
    exec_tx!(tx, c => sqlx::query("DELETE FROM outbox WHERE channel_id = $1 AND status <> 'sent'").bind(id).execute(c).await)?;
    let n = exec_tx!(tx, c => sqlx::query("DELETE FROM notify_channel WHERE id = $1").bind(id).execute(c).await)?;
    if n == 0 {
        return Err(crate::StoreError::not_found("通知渠道", "channel", id));
    }
    audit::record(tx, actor, "delete", "notify_channel", id, None, None).await?;
    Ok(())
}

row_struct! {
    /// A message waiting in (or sent from) the outbox, with its channel's secret.
    #[derive(Debug, Clone, serde::Serialize)]
    pub struct Outgoing {
        pub id: i64,
        pub channel: String,
        pub target: String,
        pub secret: String,
        pub title: String,
        pub body: String,
        pub attempts: i64,
        pub status: String,
        pub created_at: DateTime<Utc>,
    }
}

/// The most attempts made before a message is marked failed.
pub const MAX_ATTEMPTS: i64 = 5;

/// Claims up to `limit` pending messages for delivery: each is claimed by exactly one
/// process (a conditional update), so two servers never send the same message twice.
pub async fn claim(db: &Db, limit: i64) -> Result<Vec<Outgoing>> {
    let ids: Vec<i64> = on_db!(db, c => sqlx::query_scalar("SELECT id FROM outbox WHERE status = 'pending' ORDER BY id LIMIT $1").bind(limit).fetch_all(c).await)?;
    let mut out = Vec::new();
    for id in ids {
        let mut tx = db.begin().await?;
        let n = exec_tx!(&mut tx, c => sqlx::query("UPDATE outbox SET status = 'sending', attempts = attempts + 1 WHERE id = $1 AND status = 'pending'").bind(id).execute(c).await)?;
        if n == 1 {
            let m: Outgoing = on_tx!(&mut tx, c => sqlx::query_as(
                "SELECT o.id, o.channel, o.target, \
                 CASE WHEN o.channel = 'email' THEN COALESCE(ch.target, '') || '|' || COALESCE(ch.secret, '') ELSE COALESCE(ch.secret, '') END AS secret, o.title, o.body, o.attempts, o.status, o.created_at \
                 FROM outbox o LEFT JOIN notify_channel ch ON ch.id = o.channel_id WHERE o.id = $1")
                .bind(id).fetch_one(c).await)?;
            out.push(m);
        }
        tx.commit().await?;
    }
    Ok(out)
}

/// Records the outcome of one delivery: sent, or back to pending (failed after
/// [`MAX_ATTEMPTS`]).
pub async fn settle(db: &Db, id: i64, error: Option<&str>) -> Result<()> {
    let mut tx = db.begin().await?;
    match error {
        None => {
            exec_tx!(&mut tx, c => sqlx::query("UPDATE outbox SET status = 'sent', sent_at = $1, last_error = NULL WHERE id = $2").bind(crate::now()).bind(id).execute(c).await)?;
        }
        Some(e) => {
            exec_tx!(&mut tx, c => sqlx::query("UPDATE outbox SET status = CASE WHEN attempts >= $1 THEN 'failed' ELSE 'pending' END, last_error = $2 WHERE id = $3")
                .bind(MAX_ATTEMPTS).bind(e).bind(id).execute(c).await)?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// Outbox messages, newest first, for the admin page and tests.
pub async fn outbox(db: &Db, limit: i64) -> Result<Vec<Outgoing>> {
    Ok(on_db!(db, c => sqlx::query_as(
        "SELECT o.id, o.channel, o.target, '' AS secret, o.title, o.body, o.attempts, o.status, o.created_at FROM outbox o ORDER BY o.id DESC LIMIT $1")
        .bind(limit).fetch_all(c).await)?)
}
