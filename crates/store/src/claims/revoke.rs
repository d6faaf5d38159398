//! Revoking an ended coupon's unused claims (SPEC §2): each becomes `revoked` —
//! no order can use it any more — and its holder gets a notice through the
//! shop's channel. Written in chunks, a transaction each (SPEC §11), so claims
//! of other coupons never wait behind a big revocation; running it again
//! finishes what a stopped run left and revokes nothing twice.

use chrono::{DateTime, Utc};
use domain::{ClaimState, CouponStatus};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde_json::json;

use crate::entities::{claim, coupon, customer, notification};
use crate::error::{Conflict, Result, StoreError};

/// The notice's kind in the outbox.
pub const REVOKED: &str = "claim_revoked";
/// Claims revoked per transaction.
const CHUNK: u64 = 500;

/// How many unused claims the coupon has: what ending it may revoke.
pub async fn unused_count(db: &impl ConnectionTrait, coupon_id: i64) -> Result<u64> {
    use sea_orm::PaginatorTrait;
    Ok(claim::Entity::find()
        .filter(claim::Column::CouponId.eq(coupon_id))
        .filter(claim::Column::State.eq(ClaimState::Unused.as_str()))
        .count(db)
        .await?)
}

/// Revokes every unused claim of an ended coupon of the shop and queues a
/// notice to each holder. Returns how many were revoked.
pub async fn revoke_unused(
    db: &DatabaseConnection,
    shop_id: i64,
    coupon_id: i64,
    now: DateTime<Utc>,
) -> Result<u64> {
    let row = coupon::Entity::find_by_id(coupon_id)
        .filter(coupon::Column::ShopId.eq(shop_id))
        .one(db)
        .await?
        .ok_or(StoreError::NotFound("coupon"))?;
    let status: CouponStatus = crate::convert::word(&row.status, "coupons.status")?;
    if status != CouponStatus::Ended {
        // Only an ended coupon's claims: a live one would hand out new ones.
        return Err(Conflict::CouponStatus(domain::coupon::TransitionError {
            from: status,
            action: domain::LifecycleAction::End,
        })
        .into());
    }
    let shop = crate::shops::get_shop(db, shop_id).await?;
    let channel = crate::notifications::settings(db, shop_id).await?.channel;
    let mut revoked = 0;
    loop {
        let done = crate::db::paced(crate::db::write(db, async |tx| {
            let chunk = claim::Entity::find()
                .filter(claim::Column::CouponId.eq(coupon_id))
                .filter(claim::Column::State.eq(ClaimState::Unused.as_str()))
                .order_by_asc(claim::Column::Id)
                .limit(CHUNK)
                .all(tx)
                .await?;
            if chunk.is_empty() {
                return Ok(None);
            }
            let name = |_: i64| row.name.clone();
            let changed = revoke_in(tx, &shop, &chunk, &name, channel, now).await?;
            Ok(Some(changed))
        }))
        .await?;
        let Some(done) = done else { break };
        revoked += done;
    }
    Ok(revoked)
}

/// Revokes those of `claims` still unused and queues a notice to each of their
/// holders, in the caller's transaction; `coupon_name` names a claim's coupon
/// in the notice. Returns how many were revoked.
pub(crate) async fn revoke_in(
    tx: &impl ConnectionTrait,
    shop: &crate::shops::ShopRecord,
    claims: &[claim::Model],
    coupon_name: &dyn Fn(i64) -> String,
    channel: domain::shop::NotificationChannel,
    now: DateTime<Utc>,
) -> Result<u64> {
    let chunk: Vec<&claim::Model> = claims
        .iter()
        .filter(|c| c.state == ClaimState::Unused.as_str())
        .collect();
    if chunk.is_empty() {
        return Ok(0);
    }
    let backend = tx.get_database_backend();
    let mut values: Vec<sea_orm::Value> = Vec::with_capacity(chunk.len());
    let list: Vec<String> = chunk
        .iter()
        .map(|c| {
            values.push(c.id.into());
            crate::db::placeholder(backend, values.len())
        })
        .collect();
    let changed = tx
        .query_all_raw(sea_orm::Statement::from_sql_and_values(
            backend,
            format!(
                "UPDATE claims SET state = 'revoked' WHERE id IN ({}) AND state = 'unused' {}",
                list.join(", "),
                super::MOVED_RETURNING
            ),
            values,
        ))
        .await?;
    crate::rollups::claims_moved(tx, &changed, crate::rollups::Moved::Revoked).await?;
    let holders = customer::Entity::find()
        .filter(customer::Column::Id.is_in(chunk.iter().map(|c| c.customer_id)))
        .all(tx)
        .await?;
    let notices = chunk.iter().map(|c| {
        let customer = holders
            .iter()
            .find(|h| h.id == c.customer_id)
            .map(|h| h.external_id.as_str())
            .unwrap_or_default();
        crate::notifications::Queued {
            shop_id: shop.id,
            customer_id: Some(c.customer_id),
            claim_id: Some(c.id),
            kind: REVOKED,
            lead_hours: 0,
            channel: channel.as_str(),
            payload: json!({
                "kind": REVOKED, "shop": shop.slug, "customer": customer,
                "claim_id": c.id, "coupon_id": c.coupon_id,
                "coupon_name": coupon_name(c.coupon_id),
            }),
            send_at: now,
        }
        .row(now)
    });
    notification::Entity::insert_many(notices)
        .on_conflict(
            OnConflict::columns([
                notification::Column::ClaimId,
                notification::Column::Kind,
                notification::Column::LeadHours,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(tx)
        .await?;
    Ok(changed.len() as u64)
}
