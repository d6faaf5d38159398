//! SPEC §8's alerts: a pass over one shop gathers what the rules look at —
//! budgets against the roll-ups' cost, stock against the last ten minutes'
//! claims, unpaid orders, phones and devices behind many customer ids —, and
//! keeps one row per (kind, subject): raised once, updated while it lasts,
//! cleared when it is over, raised again if it comes back. Each raise queues
//! one staff notification through the shop's channel in the same transaction,
//! so passes run twice or side by side notify once.

use chrono::{DateTime, Duration, Utc};
use domain::alerts::{
    AlertKind, PACE_WINDOW_SECONDS, SHARED_BY, SHARED_WINDOW_HOURS, UNPAID_MINUTES, masked_phone,
    over_budget, shared_too_widely, stock_out_within_the_hour,
};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement, Value};
use serde_json::json;

use crate::convert::money;
use crate::db::{placeholder, rows};
use crate::error::Result;
use crate::shops::ShopRecord;

/// Findings of one kind a pass keeps at most (the worst first): a flood of
/// abuse cannot flood the staff's channel.
pub const MAX_PER_KIND: u64 = 100;
/// The notification kind of an alert.
pub const ALERT: &str = "alert";

/// What a pass found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub kind: AlertKind,
    /// The coupon's id, the phone, the device, or `orders`.
    pub subject: String,
    pub coupon_id: Option<i64>,
    /// Cost (fen), seconds to sell out, orders, or customer ids.
    pub figure: i64,
    /// Budget (fen), stock left, minutes unpaid, or the customer ids that alert.
    pub limit: i64,
}

/// An alert as the dashboard shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertRecord {
    pub kind: AlertKind,
    pub subject: String,
    pub coupon_id: Option<i64>,
    pub coupon_name: Option<String>,
    pub figure: i64,
    pub limit: i64,
    pub raised_at: DateTime<Utc>,
    pub checked_at: DateTime<Utc>,
}

/// What a pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Checked {
    pub raised: u64,
    pub cleared: u64,
}

/// What the rules find in the shop at `now`.
pub async fn findings(
    db: &impl ConnectionTrait,
    shop_id: i64,
    now: DateTime<Utc>,
) -> Result<Vec<Finding>> {
    let backend = db.get_database_backend();
    let p = |n| placeholder(backend, n);
    let mut found = Vec::new();

    // Budgets: the roll-ups' cost of each coupon with one.
    for row in rows(
        db,
        format!(
            "SELECT c.id AS id, c.budget_fen AS budget, CAST(SUM(d.cost_fen) AS BIGINT) AS cost \
             FROM coupons c JOIN day_figures d ON d.coupon_id = c.id \
             WHERE c.shop_id = {} AND c.budget_fen > 0 GROUP BY c.id, c.budget_fen \
             HAVING SUM(d.cost_fen) >= c.budget_fen ORDER BY c.id LIMIT {MAX_PER_KIND}",
            p(1)
        ),
        vec![shop_id.into()],
    )
    .await?
    {
        let (id, budget, cost): (i64, i64, i64) = (
            row.try_get("", "id")?,
            row.try_get("", "budget")?,
            row.try_get::<Option<i64>>("", "cost")?.unwrap_or(0),
        );
        if over_budget(money(cost, "cost")?, money(budget, "budget")?) {
            found.push(Finding {
                kind: AlertKind::OverBudget,
                subject: id.to_string(),
                coupon_id: Some(id),
                figure: cost,
                limit: budget,
            });
        }
    }

    // Stock: active coupons with a quantity claimed in the last ten minutes
    // (the 600 seconds up to and including this one).
    let since = now.timestamp() - PACE_WINDOW_SECONDS;
    for row in rows(
        db,
        format!(
            "SELECT c.id AS id, c.quantity AS quantity, c.claimed_count AS claimed, \
             CAST(SUM(t.n) AS BIGINT) AS recent FROM claim_tallies t \
             JOIN coupons c ON c.id = t.coupon_id \
             WHERE c.shop_id = {} AND c.status = 'active' AND c.quantity IS NOT NULL \
             AND t.outcome = 'claimed' AND t.at_second > {} AND t.at_second <= {} \
             GROUP BY c.id, c.quantity, c.claimed_count ORDER BY c.id",
            p(1),
            p(2),
            p(3)
        ),
        vec![shop_id.into(), since.into(), now.timestamp().into()],
    )
    .await?
    {
        let quantity: i64 = row.try_get("", "quantity")?;
        let claimed: i64 = row.try_get("", "claimed")?;
        let recent: i64 = row.try_get::<Option<i64>>("", "recent")?.unwrap_or(0);
        let remaining = (quantity - claimed).max(0) as u64;
        if let Some(seconds) = stock_out_within_the_hour(remaining, recent.max(0) as u64) {
            let id: i64 = row.try_get("", "id")?;
            found.push(Finding {
                kind: AlertKind::StockOut,
                subject: id.to_string(),
                coupon_id: Some(id),
                figure: seconds as i64,
                limit: remaining as i64,
            });
        }
        if found.len() as u64 >= 2 * MAX_PER_KIND {
            break;
        }
    }

    // Orders placed more than two hours ago and still unpaid.
    let unpaid = rows(
        db,
        format!(
            "SELECT COUNT(*) AS n FROM orders WHERE shop_id = {} AND status = 'created' \
             AND created_at < {}",
            p(1),
            p(2)
        ),
        vec![
            shop_id.into(),
            (now - Duration::minutes(UNPAID_MINUTES)).into(),
        ],
    )
    .await?;
    let n: i64 = match unpaid.first() {
        Some(row) => row.try_get("", "n")?,
        None => 0,
    };
    if n > 0 {
        found.push(Finding {
            kind: AlertKind::UnpaidOrders,
            subject: "orders".into(),
            coupon_id: None,
            figure: n,
            limit: UNPAID_MINUTES,
        });
    }

    // One phone behind customer ids that claimed within the day; one device
    // claiming for many customer ids within the day.
    let day_ago = now - Duration::hours(SHARED_WINDOW_HOURS);
    let shared = [
        (
            AlertKind::SharedPhone,
            format!(
                "SELECT phone AS subject, COUNT(*) AS n FROM customers WHERE shop_id = {} \
                 AND phone IS NOT NULL AND last_claimed_at >= {} GROUP BY phone \
                 HAVING COUNT(*) >= {SHARED_BY} ORDER BY 2 DESC, 1 LIMIT {MAX_PER_KIND}",
                p(1),
                p(2)
            ),
        ),
        (
            AlertKind::SharedDevice,
            format!(
                "SELECT device AS subject, COUNT(DISTINCT customer_id) AS n FROM claims \
                 WHERE shop_id = {} AND claimed_at >= {} AND device IS NOT NULL GROUP BY device \
                 HAVING COUNT(DISTINCT customer_id) >= {SHARED_BY} ORDER BY 2 DESC, 1 \
                 LIMIT {MAX_PER_KIND}",
                p(1),
                p(2)
            ),
        ),
    ];
    for (kind, sql) in shared {
        for row in rows(db, sql, vec![shop_id.into(), day_ago.into()]).await? {
            let n: i64 = row.try_get("", "n")?;
            if shared_too_widely(n.max(0) as u64) {
                found.push(Finding {
                    kind,
                    subject: row.try_get("", "subject")?,
                    coupon_id: None,
                    figure: n,
                    limit: SHARED_BY as i64,
                });
            }
        }
    }
    Ok(found)
}

/// Checks the shop: records what is found, clears what is over, and queues a
/// staff notification for each alert raised.
pub async fn check(
    db: &DatabaseConnection,
    shop: &ShopRecord,
    now: DateTime<Utc>,
) -> Result<Checked> {
    let found = findings(db, shop.id, now).await?;
    let channel = crate::notifications::settings(db, shop.id).await?.channel;
    crate::db::write(db, async |tx| {
        let backend = tx.get_database_backend();
        let p = |n| placeholder(backend, n);
        let mut checked = Checked::default();
        for finding in &found {
            let key = || -> Vec<Value> {
                vec![
                    shop.id.into(),
                    finding.kind.as_str().into(),
                    finding.subject.clone().into(),
                ]
            };
            let mut values = key();
            values.extend([
                finding.coupon_id.into(),
                finding.figure.into(),
                finding.limit.into(),
                now.into(),
            ]);
            let inserted = tx
                .execute_raw(Statement::from_sql_and_values(
                    backend,
                    format!(
                        "INSERT INTO alerts (shop_id, kind, subject, coupon_id, figure, limit_value, \
                         raised_at, checked_at) VALUES ({}, {}, {}, {}, {}, {}, {}, {}) \
                         ON CONFLICT (shop_id, kind, subject) DO NOTHING",
                        p(1),
                        p(2),
                        p(3),
                        p(4),
                        p(5),
                        p(6),
                        p(7),
                        p(7)
                    ),
                    values,
                ))
                .await?
                .rows_affected();
            let raised = if inserted == 1 {
                true
            } else {
                let mut values = key();
                values.extend([finding.figure.into(), finding.limit.into(), now.into()]);
                let set = format!(
                    "UPDATE alerts SET figure = {}, limit_value = {}, checked_at = {}",
                    p(4),
                    p(5),
                    p(6)
                );
                let whose = format!(
                    "WHERE shop_id = {} AND kind = {} AND subject = {}",
                    p(1),
                    p(2),
                    p(3)
                );
                let reopened = tx
                    .execute_raw(Statement::from_sql_and_values(
                        backend,
                        format!(
                            "{set}, raised_at = {}, cleared_at = NULL {whose} \
                             AND cleared_at IS NOT NULL",
                            p(6)
                        ),
                        values.clone(),
                    ))
                    .await?
                    .rows_affected();
                if reopened == 0 {
                    tx.execute_raw(Statement::from_sql_and_values(
                        backend,
                        format!("{set} {whose}"),
                        values,
                    ))
                    .await?;
                }
                reopened == 1
            };
            if raised {
                checked.raised += 1;
                notify(tx, shop, channel, finding, now).await?;
            }
        }
        // What is open and was not found again is over.
        let open = rows(
            tx,
            format!(
                "SELECT id, kind, subject FROM alerts WHERE shop_id = {} AND cleared_at IS NULL",
                p(1)
            ),
            vec![shop.id.into()],
        )
        .await?;
        for row in open {
            let (kind, subject): (String, String) =
                (row.try_get("", "kind")?, row.try_get("", "subject")?);
            if found
                .iter()
                .any(|f| f.kind.as_str() == kind && f.subject == subject)
            {
                continue;
            }
            checked.cleared += tx
                .execute_raw(Statement::from_sql_and_values(
                    backend,
                    format!(
                        "UPDATE alerts SET cleared_at = {} WHERE id = {} AND cleared_at IS NULL",
                        p(1),
                        p(2)
                    ),
                    vec![now.into(), row.try_get::<i64>("", "id")?.into()],
                ))
                .await?
                .rows_affected();
        }
        Ok(checked)
    })
    .await
}

/// One staff notification for an alert raised.
async fn notify(
    tx: &impl ConnectionTrait,
    shop: &ShopRecord,
    channel: domain::shop::NotificationChannel,
    finding: &Finding,
    now: DateTime<Utc>,
) -> Result<()> {
    use crate::entities::notification;
    use sea_orm::EntityTrait;
    let coupon_name = match finding.coupon_id {
        Some(id) => crate::lists::coupon_names(tx, [id].into_iter())
            .await?
            .remove(&id),
        None => None,
    };
    let subject = match finding.kind {
        AlertKind::SharedPhone => masked_phone(&finding.subject),
        _ => finding.subject.clone(),
    };
    let payload = json!({
        "kind": ALERT, "shop": shop.slug, "alert": finding.kind.as_str(),
        "subject": subject, "coupon_id": finding.coupon_id, "coupon_name": coupon_name,
        "figure": finding.figure, "limit": finding.limit, "raised_at": now,
    });
    notification::Entity::insert(
        crate::notifications::Queued {
            shop_id: shop.id,
            customer_id: None,
            claim_id: None,
            kind: ALERT,
            lead_hours: 0,
            channel: channel.as_str(),
            payload,
            send_at: now,
        }
        .row(now),
    )
    .exec_without_returning(tx)
    .await?;
    Ok(())
}

/// The shop's alerts in force, oldest raised first, with their coupons' names.
pub async fn open_alerts(db: &impl ConnectionTrait, shop_id: i64) -> Result<Vec<AlertRecord>> {
    let backend = db.get_database_backend();
    let found = rows(
        db,
        format!(
            "SELECT kind, subject, coupon_id, figure, limit_value, raised_at, checked_at \
             FROM alerts WHERE shop_id = {} AND cleared_at IS NULL ORDER BY raised_at, id",
            placeholder(backend, 1)
        ),
        vec![shop_id.into()],
    )
    .await?;
    let coupon_ids: Vec<i64> = found
        .iter()
        .filter_map(|row| row.try_get::<Option<i64>>("", "coupon_id").ok().flatten())
        .collect();
    let names = crate::lists::coupon_names(db, coupon_ids.into_iter()).await?;
    found
        .iter()
        .map(|row| {
            let coupon_id: Option<i64> = row.try_get("", "coupon_id")?;
            Ok(AlertRecord {
                kind: crate::convert::word(&row.try_get::<String>("", "kind")?, "alerts.kind")?,
                subject: row.try_get("", "subject")?,
                coupon_id,
                coupon_name: coupon_id.and_then(|id| names.get(&id).cloned()),
                figure: row.try_get("", "figure")?,
                limit: row.try_get("", "limit_value")?,
                raised_at: row.try_get("", "raised_at")?,
                checked_at: row.try_get("", "checked_at")?,
            })
        })
        .collect()
}

/// Sets or removes a coupon's budget (staff; audited by the caller).
pub async fn set_budget(
    db: &impl ConnectionTrait,
    shop_id: i64,
    coupon_id: i64,
    budget: Option<domain::Money>,
) -> Result<()> {
    let backend = db.get_database_backend();
    let changed = db
        .execute_raw(Statement::from_sql_and_values(
            backend,
            format!(
                "UPDATE coupons SET budget_fen = {} WHERE id = {} AND shop_id = {}",
                placeholder(backend, 1),
                placeholder(backend, 2),
                placeholder(backend, 3)
            ),
            [
                budget.map(|b| b.fen()).into(),
                coupon_id.into(),
                shop_id.into(),
            ],
        ))
        .await?
        .rows_affected();
    if changed == 0 {
        return Err(crate::StoreError::NotFound("coupon"));
    }
    Ok(())
}
