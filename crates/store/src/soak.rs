//! The invariants a soak checks after processes were killed and restarted
//! under load (SPEC §9: several processes on one PostgreSQL database stay
//! exact). Each is one SQL statement counting the rows that break it — and the
//! daily roll-ups are compared with a rebuild from the rows —; every count
//! must be 0.

use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

use crate::error::Result;

/// (what must hold, rows that break it), for one shop.
pub async fn violations(db: &DatabaseConnection, shop_id: i64) -> Result<Vec<(&'static str, u64)>> {
    let checks: [(&str, String); 9] = [
        (
            "a coupon's claimed counter equals its claims",
            format!(
                "SELECT COUNT(*) FROM coupons c WHERE c.shop_id = {shop_id} AND c.claimed_count <> \
                 (SELECT COUNT(*) FROM claims k WHERE k.coupon_id = c.id)"
            ),
        ),
        (
            "no coupon has more claims than its quantity",
            format!(
                "SELECT COUNT(*) FROM coupons c WHERE c.shop_id = {shop_id} AND c.quantity IS NOT NULL \
                 AND (SELECT COUNT(*) FROM claims k WHERE k.coupon_id = c.id) > c.quantity"
            ),
        ),
        (
            "no customer holds more of a coupon than its per-customer limit",
            format!(
                "SELECT COUNT(*) FROM (SELECT k.coupon_id, k.customer_id FROM claims k \
                 JOIN coupons c ON c.id = k.coupon_id WHERE c.shop_id = {shop_id} \
                 AND c.per_customer_limit IS NOT NULL \
                 GROUP BY k.coupon_id, k.customer_id, c.per_customer_limit \
                 HAVING COUNT(*) > c.per_customer_limit) over_limit"
            ),
        ),
        (
            "one reminder per (claim, lead time)",
            format!(
                "SELECT COUNT(*) FROM (SELECT claim_id, lead_hours FROM notifications \
                 WHERE shop_id = {shop_id} AND kind = '{}' \
                 GROUP BY claim_id, lead_hours HAVING COUNT(*) > 1) twice",
                crate::reminders::REMINDER
            ),
        ),
        (
            "one repurchase decision per (order, coupon)",
            format!(
                "SELECT COUNT(*) FROM (SELECT order_id, coupon_id FROM repurchase_grants \
                 WHERE shop_id = {shop_id} GROUP BY order_id, coupon_id HAVING COUNT(*) > 1) twice"
            ),
        ),
        (
            "every repurchase or reward grant is one claim of that source",
            format!(
                "SELECT ABS((SELECT COUNT(*) FROM repurchase_grants WHERE shop_id = {shop_id} \
                 AND claim_id IS NOT NULL) - (SELECT COUNT(*) FROM claims WHERE shop_id = {shop_id} \
                 AND source IN ('repurchase', 'reward')))"
            ),
        ),
        (
            "a claim is used by one order at most, and a used claim names it",
            format!(
                "SELECT COUNT(*) FROM claims k WHERE k.shop_id = {shop_id} AND ( \
                 (SELECT COUNT(DISTINCT a.order_id) FROM discount_allocations a WHERE a.claim_id = k.id) > 1 \
                 OR (k.state = 'used' AND k.order_id IS NULL))"
            ),
        ),
        (
            "nothing is left in a sender's lease",
            format!(
                "SELECT COUNT(*) FROM notifications WHERE shop_id = {shop_id} AND status = 'sending'"
            ),
        ),
        (
            "nothing due is left queued",
            format!(
                "SELECT COUNT(*) FROM notifications WHERE shop_id = {shop_id} AND status = 'queued' \
                 AND attempts = 0"
            ),
        ),
    ];
    let backend = db.get_database_backend();
    let mut found = Vec::new();
    for (rule, sql) in checks {
        let n = db
            .query_one_raw(Statement::from_string(backend, sql))
            .await?
            .map(|row| row.try_get_by_index::<i64>(0))
            .transpose()?
            .unwrap_or(0);
        found.push((rule, n.unsigned_abs()));
    }
    found.push((
        "the daily roll-ups the writes kept equal those rebuilt from the rows",
        rollups_astray(db, shop_id).await?,
    ));
    Ok(found)
}

/// Roll-up rows that differ from a rebuild (made in a transaction rolled back).
async fn rollups_astray(db: &DatabaseConnection, shop_id: i64) -> Result<u64> {
    use sea_orm::TransactionTrait;
    let kept = crate::rollups::snapshot(db, shop_id).await?;
    let tx = db.begin().await?;
    crate::rollups::rebuild(&tx, shop_id, chrono::Utc::now()).await?;
    let rebuilt = crate::rollups::snapshot(&tx, shop_id).await?;
    tx.rollback().await?;
    let (kept_set, rebuilt_set): (
        std::collections::BTreeSet<&String>,
        std::collections::BTreeSet<&String>,
    ) = (kept.iter().collect(), rebuilt.iter().collect());
    let astray = kept_set.symmetric_difference(&rebuilt_set).count();
    if astray > 0 {
        tracing::warn!(?kept, ?rebuilt, "daily roll-ups astray");
    }
    Ok(astray as u64)
}

/// Notifications marked sent, by id: what the receiver must have seen.
pub async fn sent_ids(db: &DatabaseConnection, shop_id: i64) -> Result<Vec<i64>> {
    let backend = db.get_database_backend();
    db.query_all_raw(Statement::from_string(
        backend,
        format!(
            "SELECT id FROM notifications WHERE shop_id = {shop_id} AND status = 'sent' ORDER BY id"
        ),
    ))
    .await?
    .into_iter()
    .map(|row| Ok(row.try_get_by_index::<i64>(0)?))
    .collect()
}

/// What the soak's shop holds, for the report and the settling wait.
#[derive(Debug, Clone, Default)]
pub struct Counts {
    pub claims: u64,
    pub claims_by_coupon: std::collections::HashMap<i64, u64>,
    pub reminders: u64,
    pub repurchase_grants: u64,
    /// Delivered orders the repurchase pass has not decided on yet.
    pub undecided_deliveries: u64,
}

impl Counts {
    pub fn claims_of(&self, coupon_id: i64) -> u64 {
        self.claims_by_coupon.get(&coupon_id).copied().unwrap_or(0)
    }
}

pub async fn counts(db: &DatabaseConnection, shop_id: i64) -> Result<Counts> {
    let backend = db.get_database_backend();
    let one = async |sql: String| -> Result<u64> {
        Ok(db
            .query_one_raw(Statement::from_string(backend, sql))
            .await?
            .map(|row| row.try_get_by_index::<i64>(0))
            .transpose()?
            .unwrap_or(0)
            .unsigned_abs())
    };
    let claims_by_coupon = db
        .query_all_raw(Statement::from_string(
            backend,
            format!("SELECT coupon_id, COUNT(*) FROM claims WHERE shop_id = {shop_id} GROUP BY coupon_id"),
        ))
        .await?
        .into_iter()
        .map(|row| {
            Ok((
                row.try_get_by_index::<i64>(0)?,
                row.try_get_by_index::<i64>(1)?.unsigned_abs(),
            ))
        })
        .collect::<Result<std::collections::HashMap<_, _>>>()?;
    Ok(Counts {
        claims: claims_by_coupon.values().sum(),
        claims_by_coupon,
        reminders: one(format!(
            "SELECT COUNT(*) FROM notifications WHERE shop_id = {shop_id} AND kind = '{}'",
            crate::reminders::REMINDER
        ))
        .await?,
        repurchase_grants: one(format!(
            "SELECT COUNT(*) FROM repurchase_grants WHERE shop_id = {shop_id}"
        ))
        .await?,
        undecided_deliveries: one(format!(
            "SELECT COUNT(*) FROM orders o WHERE o.shop_id = {shop_id} \
             AND EXISTS (SELECT 1 FROM order_events e WHERE e.order_id = o.id AND e.event_type = 'delivered') \
             AND NOT EXISTS (SELECT 1 FROM repurchase_grants g WHERE g.order_id = o.id)"
        ))
        .await?,
    })
}
