//! What the scheduled jobs read and write, in bounded batches. Every write is
//! idempotent by construction — conditional updates, unique keys with
//! `ON CONFLICT DO NOTHING`, leases taken by compare-and-set — so passes may be
//! repeated, aborted or run side by side without losing or doubling anything.

use chrono::{DateTime, Duration, Utc};
use domain::Channel;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, Statement,
};
use serde_json::json;

use crate::claims::{self, ClaimSource, ClaimState, ClaimTarget};
use crate::coupons::CouponRecord;
use crate::db::placeholder;
use crate::entities::{
    claim, coupon, customer, notification, order, order_line, repurchase_grant, shop,
};
use crate::error::{Conflict, Result, StoreError};
use crate::notifications::NotificationRecord;
use crate::shops::ShopRecord;

pub const REMINDER: &str = "expiry_reminder";

/// Marks up to `limit` unused claims past their validity as expired; returns
/// how many. Run until it returns 0.
pub async fn expire_batch(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<u64> {
    let backend = db.get_database_backend();
    let (p1, p2) = (placeholder(backend, 1), placeholder(backend, 2));
    let sql = format!(
        "UPDATE claims SET state = 'expired', expired_at = {p1} \
         WHERE state = 'unused' AND valid_until < {p1} AND id IN \
         (SELECT id FROM claims WHERE state = 'unused' AND valid_until < {p1} \
          ORDER BY valid_until LIMIT {p2})"
    );
    let result = db
        .execute_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [now.into(), (limit as i64).into()],
        ))
        .await?;
    Ok(result.rows_affected())
}

pub async fn all_shops(db: &impl ConnectionTrait) -> Result<Vec<ShopRecord>> {
    shop::Entity::find()
        .order_by_asc(shop::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(crate::shops::from_row)
        .collect()
}

/// An unused claim a reminder is due for.
#[derive(Debug, Clone)]
pub struct DueClaim {
    pub claim_id: i64,
    pub customer_id: i64,
    pub customer: String,
    pub coupon_id: i64,
    pub coupon_name: String,
    pub valid_until: DateTime<Utc>,
}

/// Unused claims of the shop expiring in `(from, until]` with no reminder for
/// `lead_hours` yet, in expiry order after the keyset cursor `after`.
pub async fn due_reminders(
    db: &impl ConnectionTrait,
    shop_id: i64,
    lead_hours: u32,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
    after: Option<(DateTime<Utc>, i64)>,
    limit: u64,
) -> Result<Vec<DueClaim>> {
    let backend = db.get_database_backend();
    let p = |n| placeholder(backend, n);
    let (after_until, after_id) = after.unwrap_or((from, 0));
    let sql = format!(
        "SELECT c.id AS claim_id, c.customer_id, cu.external_id AS customer, c.coupon_id, \
         co.name AS coupon_name, c.valid_until \
         FROM claims c JOIN customers cu ON cu.id = c.customer_id \
         JOIN coupons co ON co.id = c.coupon_id \
         WHERE c.shop_id = {shop} AND c.state = 'unused' \
         AND c.valid_until > {from} AND c.valid_until <= {until} \
         AND (c.valid_until > {au} OR (c.valid_until = {au} AND c.id > {ai})) \
         AND NOT EXISTS (SELECT 1 FROM notifications n WHERE n.claim_id = c.id \
             AND n.kind = '{REMINDER}' AND n.lead_hours = {lead}) \
         ORDER BY c.valid_until, c.id LIMIT {limit}",
        shop = p(1),
        from = p(2),
        until = p(3),
        au = p(4),
        ai = p(5),
        lead = p(6),
        limit = p(7),
    );
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [
                shop_id.into(),
                from.into(),
                until.into(),
                after_until.into(),
                after_id.into(),
                (lead_hours as i32).into(),
                (limit as i64).into(),
            ],
        ))
        .await?;
    rows.iter()
        .map(|row| {
            Ok(DueClaim {
                claim_id: row.try_get("", "claim_id")?,
                customer_id: row.try_get("", "customer_id")?,
                customer: row.try_get("", "customer")?,
                coupon_id: row.try_get("", "coupon_id")?,
                coupon_name: row.try_get("", "coupon_name")?,
                valid_until: row.try_get("", "valid_until")?,
            })
        })
        .collect()
}

/// Queues one reminder per (claim, lead time); a reminder already queued — by
/// an earlier or a concurrent pass — is left as it is. Returns how many were new.
pub async fn queue_reminders(
    db: &impl ConnectionTrait,
    shop: &ShopRecord,
    channel: &str,
    lead_hours: u32,
    due: &[(DueClaim, DateTime<Utc>)],
    now: DateTime<Utc>,
) -> Result<u64> {
    if due.is_empty() {
        return Ok(0);
    }
    // Bind variables are limited (32766 on SQLite): insert in chunks.
    let mut created = 0;
    for chunk in due.chunks(1000) {
        created += insert_reminders(db, shop, channel, lead_hours, chunk, now).await?;
    }
    Ok(created)
}

async fn insert_reminders(
    db: &impl ConnectionTrait,
    shop: &ShopRecord,
    channel: &str,
    lead_hours: u32,
    due: &[(DueClaim, DateTime<Utc>)],
    now: DateTime<Utc>,
) -> Result<u64> {
    let rows = due
        .iter()
        .map(|(claim, send_at)| notification::ActiveModel {
            shop_id: Set(shop.id),
            customer_id: Set(claim.customer_id),
            claim_id: Set(Some(claim.claim_id)),
            kind: Set(REMINDER.into()),
            lead_hours: Set(lead_hours as i32),
            channel: Set(channel.to_owned()),
            payload: Set(json!({
                "kind": REMINDER, "shop": shop.slug, "customer": claim.customer,
                "claim_id": claim.claim_id, "coupon_id": claim.coupon_id,
                "coupon_name": claim.coupon_name, "valid_until": claim.valid_until,
                "lead_hours": lead_hours,
            })
            .to_string()),
            status: Set("queued".into()),
            attempts: Set(0),
            next_attempt_at: Set(*send_at),
            last_error: Set(None),
            created_at: Set(now),
            sent_at: Set(None),
            ..Default::default()
        });
    Ok(notification::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::columns([
                notification::Column::ClaimId,
                notification::Column::Kind,
                notification::Column::LeadHours,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(db)
        .await?)
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

/// When the claim a message is about expires, while it is still unused and
/// unexpired at `now`; `None` once it is used, expired or revoked.
pub async fn claim_open_until(
    db: &impl ConnectionTrait,
    claim_id: i64,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>> {
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

/// Active repurchase coupons of every shop.
pub async fn active_repurchase_coupons(db: &impl ConnectionTrait) -> Result<Vec<CouponRecord>> {
    coupon::Entity::find()
        .filter(coupon::Column::Kind.eq("repurchase"))
        .filter(coupon::Column::Status.eq("active"))
        .order_by_asc(coupon::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(crate::coupons::from_row)
        .collect()
}

/// Orders due a grant of `coupon` at `now`: delivered (or shipped) at least
/// `days_after` days ago, not cancelled or refunded, not decided yet, and due
/// no earlier than the coupon's claim window opens (a new repurchase coupon does
/// not reach back over the shop's whole history).
pub async fn repurchase_candidates(
    db: &impl ConnectionTrait,
    coupon: &CouponRecord,
    now: DateTime<Utc>,
    after_order_id: i64,
    limit: u64,
) -> Result<Vec<crate::orders::OrderRecord>> {
    let domain::KindRules::Repurchase(rules) = coupon.coupon.rules() else {
        return Ok(Vec::new());
    };
    let wait = Duration::days(i64::from(rules.days_after));
    // A delivered order was shipped, even if the storefront never said so.
    let trigger: Expr = match rules.trigger {
        domain::RepurchaseTrigger::Delivered => Expr::col(order::Column::DeliveredAt),
        domain::RepurchaseTrigger::Shipped => sea_orm::sea_query::Func::coalesce([
            Expr::col(order::Column::ShippedAt),
            Expr::col(order::Column::DeliveredAt),
        ])
        .into(),
    };
    let decided = sea_orm::sea_query::Query::select()
        .column(repurchase_grant::Column::OrderId)
        .from(repurchase_grant::Entity)
        .and_where(repurchase_grant::Column::CouponId.eq(coupon.id))
        .to_owned();
    order::Entity::find()
        .filter(order::Column::ShopId.eq(coupon.shop_id))
        .filter(trigger.clone().lte(now - wait))
        .filter(trigger.gte(coupon.coupon.claim_from() - wait))
        .filter(order::Column::CancelledAt.is_null())
        .filter(order::Column::RefundedAt.is_null())
        .filter(order::Column::Id.gt(after_order_id))
        .filter(order::Column::Id.not_in_subquery(decided))
        .order_by_asc(order::Column::Id)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(crate::orders::order_from_row)
        .collect()
}

/// How a repurchase grant went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GrantOutcome {
    Granted(i64),
    /// Refused by the claiming rules (the reason's code), or `not_purchased`.
    Refused(String),
    /// Another pass decided it first.
    AlreadyDecided,
}

/// Decides the grant of `coupon` for `order`, exactly once: the decision row is
/// written first (unique per order and coupon), then the claim under the same
/// rules as any claim, and the outcome recorded — all in one transaction.
pub async fn grant_repurchase(
    db: &DatabaseConnection,
    shop: &ShopRecord,
    coupon: &CouponRecord,
    order: &crate::orders::OrderRecord,
    now: DateTime<Utc>,
) -> Result<GrantOutcome> {
    crate::db::write(db, async |tx| {
        let fresh = repurchase_grant::Entity::insert(repurchase_grant::ActiveModel {
            shop_id: Set(shop.id),
            order_id: Set(order.id),
            coupon_id: Set(coupon.id),
            customer_id: Set(order.customer_id),
            claim_id: Set(None),
            outcome: Set("pending".into()),
            decided_at: Set(now),
            ..Default::default()
        })
        .on_conflict(
            OnConflict::columns([
                repurchase_grant::Column::OrderId,
                repurchase_grant::Column::CouponId,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(tx)
        .await?;
        if fresh == 0 {
            return Ok(GrantOutcome::AlreadyDecided);
        }
        let bought: Vec<domain::Sku> = order_line::Entity::find()
            .filter(order_line::Column::OrderId.eq(order.id))
            .all(tx)
            .await?
            .iter()
            .map(|line| crate::convert::word(&line.sku, "order_lines.sku"))
            .collect::<Result<_>>()?;
        let scope = match coupon.coupon.rules() {
            domain::KindRules::Repurchase(rules) => {
                rules.claim_scope(coupon.coupon.scope(), &bought)
            }
            _ => Some(coupon.coupon.scope().clone()),
        };
        let outcome = if let Some(scope) = scope {
            let buyer = customer::Entity::find_by_id(order.customer_id)
                .lock_exclusive()
                .one(tx)
                .await?
                .ok_or(StoreError::NotFound("customer"))?;
            // Repurchase coupons reach customers by message: SMS unless the
            // coupon names its channels.
            let channel = coupon
                .coupon
                .channels()
                .first()
                .copied()
                .unwrap_or(Channel::Sms);
            // A claim narrower than its coupon records the products it discounts.
            let narrowed = match &scope {
                domain::Scope::Items { skus } if &scope != coupon.coupon.scope() => {
                    Some(skus.as_slice())
                }
                _ => None,
            };
            match claims::claim_in(
                tx,
                shop,
                &buyer,
                claims::Ask {
                    target: &ClaimTarget::Coupon(coupon.id),
                    channel,
                    source: ClaimSource::Repurchase,
                    skus: narrowed,
                },
                now,
            )
            .await?
            {
                Ok(claim) => GrantOutcome::Granted(claim.id),
                Err(refusal) => GrantOutcome::Refused(refusal.code().to_owned()),
            }
        } else {
            GrantOutcome::Refused("not_purchased".into())
        };
        let (claim_id, text) = match &outcome {
            GrantOutcome::Granted(id) => (Some(*id), "granted".to_owned()),
            GrantOutcome::Refused(code) => (None, code.clone()),
            GrantOutcome::AlreadyDecided => unreachable!("decided above"),
        };
        repurchase_grant::Entity::update_many()
            .col_expr(repurchase_grant::Column::ClaimId, Expr::value(claim_id))
            .col_expr(repurchase_grant::Column::Outcome, Expr::value(text))
            .filter(repurchase_grant::Column::OrderId.eq(order.id))
            .filter(repurchase_grant::Column::CouponId.eq(coupon.id))
            .exec(tx)
            .await?;
        Ok(outcome)
    })
    .await
}

/// Sets the shop's reminder lead times and quiet hours.
pub async fn set_reminder_settings(
    db: &impl ConnectionTrait,
    shop_id: i64,
    lead_hours: &[u32],
    quiet: domain::reminders::QuietHours,
) -> Result<()> {
    let row = shop::Entity::find_by_id(shop_id)
        .one(db)
        .await?
        .ok_or(StoreError::NotFound("shop"))?;
    let mut active: shop::ActiveModel = row.into();
    active.reminder_lead_hours = Set(lead_hours
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(","));
    active.quiet_start_minute = Set(quiet.start_minute as i32);
    active.quiet_end_minute = Set(quiet.end_minute as i32);
    active.update(db).await?;
    Ok(())
}
