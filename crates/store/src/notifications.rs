//! Notifications (SPEC §5): where a shop's go — the channel, the webhook URL and
//! the secret that signs each webhook (shown once, when it is made) — and the
//! outbox: what is due, the lease a sender takes by compare-and-set, the outcome
//! of each attempt, and staff's retry of a failed one.

use chrono::{DateTime, Utc};
use domain::Reason;
use domain::shop::{NotificationChannel, WebhookPolicy, WebhookUrl};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

use crate::claims::ClaimState;
use crate::entities::{claim, notification, shop};
use crate::error::{Conflict, Result, StoreError};
use crate::lists::{CustomerName, Page, customer_names, trimmed};

/// A shop's notification settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationSettings {
    pub channel: NotificationChannel,
    pub webhook_url: Option<String>,
    pub webhook_secret: Option<String>,
}

/// Characters of a webhook secret (≈ 190 bits).
const SECRET_LENGTH: usize = 32;

pub async fn settings(db: &impl ConnectionTrait, shop_id: i64) -> Result<NotificationSettings> {
    let row = shop::Entity::find_by_id(shop_id)
        .one(db)
        .await?
        .ok_or(StoreError::NotFound("shop"))?;
    Ok(NotificationSettings {
        channel: crate::convert::word(&row.notification_channel, "shops.notification_channel")?,
        webhook_url: row.webhook_url,
        webhook_secret: row.webhook_secret,
    })
}

/// Sets the channel and (for `webhook`) the URL, checked against `policy`. The
/// secret is made apart ([`rotate_secret`]): it is shown only once.
pub async fn configure(
    db: &impl ConnectionTrait,
    shop_id: i64,
    channel: NotificationChannel,
    url: Option<&str>,
    policy: WebhookPolicy,
) -> Result<()> {
    let url = match (channel, url.map(str::trim).filter(|u| !u.is_empty())) {
        (_, Some(text)) => Some(
            WebhookUrl::parse(text, policy)
                .map_err(|reason| StoreError::invalid("webhook_url", reason))?,
        ),
        (NotificationChannel::Webhook, None) => {
            return Err(StoreError::invalid("webhook_url", Reason::WebhookNeeded));
        }
        (NotificationChannel::Log, None) => None,
    };
    let row = shop::Entity::find_by_id(shop_id)
        .one(db)
        .await?
        .ok_or(StoreError::NotFound("shop"))?;
    let mut active: shop::ActiveModel = row.into();
    active.notification_channel = Set(channel.as_str().to_owned());
    active.webhook_url = Set(url.map(|u| u.as_str().to_owned()));
    active.update(db).await?;
    Ok(())
}

/// A new webhook secret, replacing the old one at once; returned here, the only time.
pub async fn rotate_secret(db: &impl ConnectionTrait, shop_id: i64) -> Result<String> {
    let row = shop::Entity::find_by_id(shop_id)
        .one(db)
        .await?
        .ok_or(StoreError::NotFound("shop"))?;
    let secret = crate::api_keys::random_text(SECRET_LENGTH);
    let mut active: shop::ActiveModel = row.into();
    active.webhook_secret = Set(Some(secret.clone()));
    active.update(db).await?;
    Ok(secret)
}

/// One message in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationRecord {
    pub id: i64,
    pub shop_id: i64,
    /// `None` for a notification to staff (an alert).
    pub customer_id: Option<i64>,
    pub claim_id: Option<i64>,
    /// What it is about (`expiry_reminder`, …).
    pub kind: String,
    pub lead_hours: u32,
    /// Where it goes: the shop's channel when it was queued.
    pub channel: String,
    /// The JSON body sent.
    pub payload: String,
    /// queued, sending, sent, dropped or failed.
    pub status: String,
    pub attempts: u32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

pub(crate) fn from_row(row: crate::entities::notification::Model) -> NotificationRecord {
    NotificationRecord {
        id: row.id,
        shop_id: row.shop_id,
        customer_id: row.customer_id,
        claim_id: row.claim_id,
        kind: row.kind,
        lead_hours: crate::convert::count(i64::from(row.lead_hours)),
        channel: row.channel,
        payload: row.payload,
        status: row.status,
        attempts: crate::convert::count(i64::from(row.attempts)),
        next_attempt_at: row.next_attempt_at,
        last_error: row.last_error,
        created_at: row.created_at,
        sent_at: row.sent_at,
    }
}

/// Notifications whose time has come: queued ones, and ones whose sender's
/// lease ran out (it died while sending).
pub async fn due_notifications(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<NotificationRecord>> {
    Ok(notification::Entity::find()
        .filter(notification::Column::Status.is_in(["queued", "sending"]))
        .filter(notification::Column::NextAttemptAt.lte(now))
        .order_by_asc(notification::Column::NextAttemptAt)
        .order_by_asc(notification::Column::Id)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(crate::notifications::from_row)
        .collect())
}

/// The outbox's backlog for `/metrics`: how many wait to be sent (counted up to
/// `cap`, so a scrape stays cheap however far behind it is) and since when the
/// longest-waiting one has been due. Both read the `(status, next_attempt_at)`
/// index.
pub async fn backlog(db: &impl ConnectionTrait, cap: u64) -> Result<(u64, Option<DateTime<Utc>>)> {
    let waiting = || {
        notification::Entity::find()
            .filter(notification::Column::Status.is_in(["queued", "sending"]))
    };
    // COUNT(*) over the limited query: at most `cap` index entries read.
    let counted = waiting()
        .select_only()
        .column(notification::Column::Id)
        .limit(cap)
        .count(db)
        .await?;
    let oldest = waiting()
        .select_only()
        .column(notification::Column::NextAttemptAt)
        .order_by_asc(notification::Column::NextAttemptAt)
        .limit(1)
        .into_tuple::<DateTime<Utc>>()
        .one(db)
        .await?;
    Ok((counted, oldest))
}

/// Takes the notification for sending until `until`; false if another sender
/// took it first.
pub async fn lease(
    db: &impl ConnectionTrait,
    seen: &NotificationRecord,
    until: DateTime<Utc>,
) -> Result<bool> {
    let result = notification::Entity::update_many()
        .col_expr(notification::Column::Status, Expr::value("sending"))
        .col_expr(notification::Column::NextAttemptAt, Expr::value(until))
        .filter(notification::Column::Id.eq(seen.id))
        .filter(notification::Column::Status.eq(seen.status.clone()))
        .filter(notification::Column::NextAttemptAt.eq(seen.next_attempt_at))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Until when a message is worth sending at `now`: a reminder while its claim
/// is still unused and unexpired (`None` once it is used, expired or revoked);
/// a notice that a claim was revoked, and a message about no claim, always.
pub async fn send_until(
    db: &impl ConnectionTrait,
    notification: &NotificationRecord,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>> {
    let claim_id = match notification.claim_id {
        Some(_) if notification.kind == crate::claims::REVOKED => {
            return Ok(Some(DateTime::<Utc>::MAX_UTC));
        }
        Some(claim_id) => claim_id,
        None => return Ok(Some(DateTime::<Utc>::MAX_UTC)),
    };
    Ok(claim::Entity::find_by_id(claim_id)
        .one(db)
        .await?
        .filter(|c| c.state == ClaimState::Unused.as_str() && c.valid_until > now)
        .map(|c| c.valid_until))
}

/// The outcome of one attempt to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    Sent {
        at: DateTime<Utc>,
    },
    /// The claim was used, expired or revoked first: not sent, never will be.
    Dropped,
    /// Failed; try again at the given time.
    Retry {
        at: DateTime<Utc>,
        error: String,
    },
    /// Failed for the last time.
    Failed {
        error: String,
    },
    /// Not tried: the shop's quiet hours; queued again for when they end. The
    /// attempt does not count.
    Deferred {
        at: DateTime<Utc>,
    },
}

pub async fn record_delivery(
    db: &impl ConnectionTrait,
    id: i64,
    attempts: u32,
    outcome: &Delivery,
) -> Result<()> {
    let update = notification::Entity::update_many().filter(notification::Column::Id.eq(id));
    let update = match outcome {
        Delivery::Deferred { .. } => update,
        _ => update.col_expr(
            notification::Column::Attempts,
            Expr::value(i32::try_from(attempts).unwrap_or(i32::MAX)),
        ),
    };
    let update = match outcome {
        Delivery::Sent { at } => update
            .col_expr(notification::Column::Status, Expr::value("sent"))
            .col_expr(notification::Column::SentAt, Expr::value(Some(*at))),
        Delivery::Dropped => update.col_expr(notification::Column::Status, Expr::value("dropped")),
        Delivery::Retry { at, error } => update
            .col_expr(notification::Column::Status, Expr::value("queued"))
            .col_expr(notification::Column::NextAttemptAt, Expr::value(*at))
            .col_expr(
                notification::Column::LastError,
                Expr::value(Some(error.clone())),
            ),
        Delivery::Failed { error } => update
            .col_expr(notification::Column::Status, Expr::value("failed"))
            .col_expr(
                notification::Column::LastError,
                Expr::value(Some(error.clone())),
            ),
        Delivery::Deferred { at } => update
            .col_expr(notification::Column::Status, Expr::value("queued"))
            .col_expr(notification::Column::NextAttemptAt, Expr::value(*at)),
    };
    update.exec(db).await?;
    Ok(())
}

/// Puts a failed notification back in the queue (staff's "retry").
pub async fn retry_notification(
    db: &impl ConnectionTrait,
    shop_id: i64,
    id: i64,
    now: DateTime<Utc>,
) -> Result<()> {
    let result = notification::Entity::update_many()
        .col_expr(notification::Column::Status, Expr::value("queued"))
        .col_expr(notification::Column::Attempts, Expr::value(0))
        .col_expr(notification::Column::NextAttemptAt, Expr::value(now))
        .filter(notification::Column::Id.eq(id))
        .filter(notification::Column::ShopId.eq(shop_id))
        .filter(notification::Column::Status.eq("failed"))
        .exec(db)
        .await?;
    if result.rows_affected == 0 {
        return Err(Conflict::NotFailed.into());
    }
    Ok(())
}

/// The outbox, optionally one status only, with each customer's name.
pub async fn outbox(
    db: &impl ConnectionTrait,
    shop_id: i64,
    status: Option<&str>,
    page: Page,
) -> Result<Vec<(crate::notifications::NotificationRecord, CustomerName)>> {
    let mut query = notification::Entity::find().filter(notification::Column::ShopId.eq(shop_id));
    if let Some(status) = trimmed(status) {
        query = query.filter(notification::Column::Status.eq(status));
    }
    if let Some(before) = page.before {
        query = query.filter(notification::Column::Id.lt(before));
    }
    let rows = query
        .order_by_desc(notification::Column::Id)
        .limit(page.limit())
        .all(db)
        .await?;
    let customers = customer_names(db, rows.iter().filter_map(|n| n.customer_id)).await?;
    Ok(rows
        .into_iter()
        .map(|n| {
            let customer = n
                .customer_id
                .and_then(|id| customers.get(&id).cloned())
                .unwrap_or_default();
            (crate::notifications::from_row(n), customer)
        })
        .collect())
}

/// A message for the outbox: queued, to go at `send_at` through `channel`.
pub(crate) struct Queued<'a> {
    pub shop_id: i64,
    /// `None` for staff.
    pub customer_id: Option<i64>,
    pub claim_id: Option<i64>,
    pub kind: &'a str,
    pub lead_hours: u32,
    pub channel: &'a str,
    pub payload: serde_json::Value,
    pub send_at: DateTime<Utc>,
}

impl Queued<'_> {
    /// The outbox row, written at `now`.
    pub(crate) fn row(self, now: DateTime<Utc>) -> notification::ActiveModel {
        use sea_orm::Set;
        notification::ActiveModel {
            shop_id: Set(self.shop_id),
            customer_id: Set(self.customer_id),
            claim_id: Set(self.claim_id),
            kind: Set(self.kind.to_owned()),
            lead_hours: Set(i32::try_from(self.lead_hours).unwrap_or(i32::MAX)),
            channel: Set(self.channel.to_owned()),
            payload: Set(self.payload.to_string()),
            status: Set("queued".into()),
            attempts: Set(0),
            next_attempt_at: Set(self.send_at),
            last_error: Set(None),
            created_at: Set(now),
            sent_at: Set(None),
            ..Default::default()
        }
    }
}
