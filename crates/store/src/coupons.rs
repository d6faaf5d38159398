//! Coupons: stored column by column (money in fen, percents in basis points) and
//! read back through the domain's validation, so a stored coupon is always valid.

use chrono::{DateTime, Utc};
use domain::Reason;
use domain::benefit::{BenefitSpec, Tier};
use domain::{
    Coupon, CouponDraft, CouponKind, CouponStatus, FollowerRules, KindRules, LifecycleAction,
    PrivateCodes, RepurchaseRules, Scope, Validity,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};

use crate::codes;
use crate::convert::{self, basis_points, from_json, money, money_opt, to_json, word};
use crate::db::write;
use crate::entities::{claim, coupon};
use crate::error::{Conflict, Result, StoreError};

/// A stored coupon: its design, where it is in its life, and how many were claimed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CouponRecord {
    pub id: i64,
    pub shop_id: i64,
    pub coupon: Coupon,
    pub status: CouponStatus,
    pub claimed: u64,
    /// What staff allow it to cost (an alert once its actual cost reaches it).
    pub budget: Option<domain::Money>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Serialize, Deserialize)]
struct StoredTier {
    min_quantity: u32,
    percent_bp: i32,
}

/// Writes every field of `coupon` into `row` (status and counters untouched).
fn fill(row: &mut coupon::ActiveModel, coupon: &Coupon) {
    row.name = Set(coupon.name().to_owned());
    row.kind = Set(coupon.kind().as_str().to_owned());
    match coupon.scope() {
        Scope::Shop => {
            row.scope_type = Set("shop".into());
            row.scope_skus = Set("[]".into());
        }
        Scope::Items { skus } => {
            row.scope_type = Set("items".into());
            row.scope_skus = Set(to_json(skus));
        }
    }
    let (mut threshold, mut amount, mut percent, mut min_quantity, mut max_discount, mut tiers) =
        (None, None, None, None, None, None);
    let benefit_type = match coupon.benefit().spec() {
        BenefitSpec::AmountOff {
            threshold: t,
            amount: a,
        } => {
            threshold = Some(t.fen());
            amount = Some(a.fen());
            "amount_off"
        }
        BenefitSpec::PercentOff {
            percent: p,
            min_quantity: q,
            max_discount: m,
        } => {
            percent = Some(basis_points(*p));
            min_quantity = Some(*q as i32);
            max_discount = m.map(|m| m.fen());
            "percent_off"
        }
        BenefitSpec::TieredPercent { tiers: t } => {
            let stored: Vec<StoredTier> = t
                .iter()
                .map(|tier| StoredTier {
                    min_quantity: tier.min_quantity,
                    percent_bp: basis_points(tier.percent),
                })
                .collect();
            tiers = Some(to_json(&stored));
            "tiered_percent"
        }
    };
    row.benefit_type = Set(benefit_type.into());
    row.threshold_fen = Set(threshold);
    row.amount_fen = Set(amount);
    row.percent_bp = Set(percent);
    row.min_quantity = Set(min_quantity);
    row.max_discount_fen = Set(max_discount);
    row.tiers = Set(tiers);
    match coupon.validity() {
        Validity::Fixed { from, until } => {
            row.validity_type = Set("fixed".into());
            row.valid_from = Set(Some(from));
            row.valid_until = Set(Some(until));
            row.valid_days = Set(None);
        }
        Validity::Relative { days } => {
            row.validity_type = Set("relative".into());
            row.valid_from = Set(None);
            row.valid_until = Set(None);
            row.valid_days = Set(Some(days as i32));
        }
    }
    row.claim_from = Set(coupon.claim_from());
    row.claim_until = Set(coupon.claim_until());
    let limits = coupon.limits();
    row.quantity = Set(limits.quantity.map(i64::from));
    row.per_customer_limit = Set(limits.per_customer.map(|v| v as i32));
    row.per_customer_daily_limit = Set(limits.per_customer_daily.map(|v| v as i32));
    row.audience = Set(coupon.audience().to_string());
    row.channels = Set(to_json(&coupon.channels()));
    row.regions = Set(to_json(&coupon.regions()));
    let (mut auto_grant, mut trigger, mut days_after, mut only_purchased, mut code, mut unique) =
        (None, None, None, None, None, None);
    let mut join_gift = None;
    let (mut min_paid, mut reward_trigger, mut members_only) = (None, None, None);
    let (mut friends, mut new_only, mut friend_coupon) = (None, None, None);
    match coupon.rules() {
        KindRules::Shop | KindRules::NewCustomer => {}
        KindRules::Follower(rules) => auto_grant = Some(rules.auto_grant),
        KindRules::Repurchase(rules) => {
            trigger = Some(rules.trigger.as_str().to_owned());
            days_after = Some(rules.days_after as i32);
            only_purchased = Some(rules.only_purchased_items);
        }
        KindRules::Private(PrivateCodes::Shared { code: c }) => code = Some(c.to_string()),
        KindRules::Private(PrivateCodes::Unique { unique_codes }) => {
            unique = Some(*unique_codes as i32)
        }
        KindRules::Member(rules) => join_gift = Some(rules.join_gift),
        KindRules::Reward(rules) => {
            min_paid = Some(rules.min_paid.fen());
            reward_trigger = Some(rules.trigger.as_str().to_owned());
            members_only = Some(rules.members_only);
        }
        KindRules::Share(rules) => {
            friends = Some(rules.friends as i32);
            new_only = Some(rules.new_customers_only);
            friend_coupon = rules.friend_coupon_id;
        }
    }
    row.share_friends = Set(friends);
    row.share_new_customers_only = Set(new_only);
    row.share_friend_coupon_id = Set(friend_coupon);
    row.member_join_gift = Set(join_gift);
    row.reward_min_paid_fen = Set(min_paid);
    row.reward_trigger = Set(reward_trigger);
    row.reward_members_only = Set(members_only);
    row.follower_auto_grant = Set(auto_grant);
    row.repurchase_trigger = Set(trigger);
    row.repurchase_days_after = Set(days_after);
    row.repurchase_only_purchased = Set(only_purchased);
    row.private_code = Set(code);
    row.private_unique_codes = Set(unique);
}

fn required<T>(value: Option<T>, column: &str) -> Result<T> {
    value.ok_or_else(|| StoreError::Corrupt(format!("coupons.{column} is missing")))
}

/// Reads a row back into a domain coupon, through the same validation as input.
pub(crate) fn from_row(row: coupon::Model) -> Result<CouponRecord> {
    let benefit = match row.benefit_type.as_str() {
        "amount_off" => BenefitSpec::AmountOff {
            threshold: money(
                required(row.threshold_fen, "threshold_fen")?,
                "threshold_fen",
            )?,
            amount: money(required(row.amount_fen, "amount_fen")?, "amount_fen")?,
        },
        "percent_off" => BenefitSpec::PercentOff {
            percent: convert::percent(required(row.percent_bp, "percent_bp")?, "percent_bp")?,
            min_quantity: required(row.min_quantity, "min_quantity")? as u32,
            max_discount: money_opt(row.max_discount_fen, "max_discount_fen")?,
        },
        "tiered_percent" => {
            let stored: Vec<StoredTier> =
                from_json(&required(row.tiers.clone(), "tiers")?, "tiers")?;
            BenefitSpec::TieredPercent {
                tiers: stored
                    .into_iter()
                    .map(|t| {
                        Ok(Tier {
                            min_quantity: t.min_quantity,
                            percent: convert::percent(t.percent_bp, "tiers")?,
                        })
                    })
                    .collect::<Result<_>>()?,
            }
        }
        other => return Err(StoreError::Corrupt(format!("benefit_type {other}"))),
    };
    let scope = match row.scope_type.as_str() {
        "shop" => Scope::Shop,
        "items" => Scope::Items {
            skus: from_json(&row.scope_skus, "scope_skus")?,
        },
        other => return Err(StoreError::Corrupt(format!("scope_type {other}"))),
    };
    let validity = match row.validity_type.as_str() {
        "fixed" => Validity::Fixed {
            from: required(row.valid_from, "valid_from")?,
            until: required(row.valid_until, "valid_until")?,
        },
        "relative" => Validity::Relative {
            days: required(row.valid_days, "valid_days")? as u32,
        },
        other => return Err(StoreError::Corrupt(format!("validity_type {other}"))),
    };
    let kind: CouponKind = word(&row.kind, "kind")?;
    let follower = row
        .follower_auto_grant
        .map(|auto_grant| FollowerRules { auto_grant });
    let repurchase = match (&row.repurchase_trigger, row.repurchase_days_after) {
        (Some(trigger), Some(days)) => Some(RepurchaseRules {
            trigger: word(trigger, "repurchase_trigger")?,
            days_after: days as u32,
            only_purchased_items: row.repurchase_only_purchased.unwrap_or(false),
        }),
        _ => None,
    };
    let private = match (&row.private_code, row.private_unique_codes) {
        (Some(code), _) => Some(PrivateCodes::Shared {
            code: word(code, "private_code")?,
        }),
        (None, Some(n)) => Some(PrivateCodes::Unique {
            unique_codes: n as u32,
        }),
        (None, None) => None,
    };
    let draft = CouponDraft {
        name: row.name,
        kind,
        scope,
        benefit,
        validity,
        claim_from: row.claim_from,
        claim_until: row.claim_until,
        quantity: row.quantity.map(convert::count),
        per_customer_limit: row.per_customer_limit.map(|v| v as u32),
        per_customer_daily_limit: row.per_customer_daily_limit.map(|v| v as u32),
        audience: word(&row.audience, "audience")?,
        channels: from_json(&row.channels, "channels")?,
        regions: from_json(&row.regions, "regions")?,
        follower,
        repurchase,
        private,
        member: row
            .member_join_gift
            .map(|join_gift| domain::coupon::MemberRules { join_gift }),
        reward: match (row.reward_min_paid_fen, &row.reward_trigger) {
            (Some(fen), Some(trigger)) => Some(domain::coupon::RewardRules {
                min_paid: money(fen, "reward_min_paid_fen")?,
                trigger: word(trigger, "reward_trigger")?,
                members_only: row.reward_members_only.unwrap_or(false),
            }),
            _ => None,
        },
        share: row.share_friends.map(|friends| domain::coupon::ShareRules {
            friends: friends.unsigned_abs(),
            new_customers_only: row.share_new_customers_only.unwrap_or(false),
            friend_coupon_id: row.share_friend_coupon_id,
        }),
    };
    let coupon = draft
        .validate()
        .map_err(|e| StoreError::Corrupt(format!("coupon {}: {e}", row.id)))?;
    Ok(CouponRecord {
        id: row.id,
        shop_id: row.shop_id,
        coupon,
        status: CouponStatus::parse(&row.status).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        claimed: u64::try_from(row.claimed_count).unwrap_or(0),
        budget: money_opt(row.budget_fen, "budget_fen")?,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

/// Saves a new coupon (as `draft` or `active`), with its private codes.
pub async fn create_coupon(
    db: &DatabaseConnection,
    shop_id: i64,
    coupon: &Coupon,
    status: CouponStatus,
    now: DateTime<Utc>,
) -> Result<CouponRecord> {
    let created = write(db, async |tx| {
        create_coupon_in(tx, shop_id, coupon, status, now).await
    })
    .await?;
    codes::fill_batches(db, created.id).await?;
    Ok(created)
}

/// [`create_coupon`] inside the caller's write transaction; one-time codes are
/// only asked for here: the caller writes them after its commit
/// (`codes::fill_batches`).
/// A share coupon's friend coupon is another coupon of the same shop, not a
/// share coupon itself.
async fn check_friend_coupon(
    tx: &impl ConnectionTrait,
    shop_id: i64,
    coupon: &Coupon,
) -> Result<()> {
    let KindRules::Share(domain::coupon::ShareRules {
        friend_coupon_id: Some(friend),
        ..
    }) = coupon.rules()
    else {
        return Ok(());
    };
    let found = coupon::Entity::find_by_id(*friend)
        .filter(coupon::Column::ShopId.eq(shop_id))
        .one(tx)
        .await?;
    match found {
        Some(row) if row.kind != domain::CouponKind::Share.as_str() => Ok(()),
        _ => Err(StoreError::invalid(
            "share.friend_coupon_id",
            Reason::FriendCoupon,
        )),
    }
}

pub async fn create_coupon_in(
    tx: &impl ConnectionTrait,
    shop_id: i64,
    coupon: &Coupon,
    status: CouponStatus,
    now: DateTime<Utc>,
) -> Result<CouponRecord> {
    if !matches!(status, CouponStatus::Draft | CouponStatus::Active) {
        return Err(StoreError::invalid("status", Reason::NewCouponStatus));
    }
    check_friend_coupon(tx, shop_id, coupon).await?;
    let mut row = coupon::ActiveModel {
        shop_id: Set(shop_id),
        status: Set(status.as_str().to_owned()),
        claimed_count: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    fill(&mut row, coupon);
    let saved = row.insert(tx).await?;
    match coupon.rules() {
        KindRules::Private(PrivateCodes::Shared { code }) => {
            codes::add_shared_code(tx, shop_id, saved.id, code).await?;
        }
        KindRules::Private(PrivateCodes::Unique { unique_codes }) => {
            codes::open_batch(tx, saved.id, *unique_codes, now).await?;
        }
        _ => {}
    }
    from_row(saved)
}

async fn find_row(
    db: &impl ConnectionTrait,
    shop_id: i64,
    coupon_id: i64,
) -> Result<coupon::Model> {
    coupon::Entity::find_by_id(coupon_id)
        .filter(coupon::Column::ShopId.eq(shop_id))
        .one(db)
        .await?
        .ok_or(StoreError::NotFound("coupon"))
}

pub async fn get_coupon(
    db: &impl ConnectionTrait,
    shop_id: i64,
    coupon_id: i64,
) -> Result<CouponRecord> {
    from_row(find_row(db, shop_id, coupon_id).await?)
}

/// What the coupon list shows: filters and a keyset cursor (ids below `before`).
#[derive(Debug, Clone, Default)]
pub struct CouponFilter {
    pub kind: Option<CouponKind>,
    pub status: Option<CouponStatus>,
    /// Part of the name, case as typed.
    pub name: Option<String>,
    pub before: Option<i64>,
    pub limit: u64,
}

/// Newest first; fetch `limit` and use the last id as the next `before`.
pub async fn list_coupons(
    db: &impl ConnectionTrait,
    shop_id: i64,
    filter: &CouponFilter,
) -> Result<Vec<CouponRecord>> {
    let mut query = coupon::Entity::find().filter(coupon::Column::ShopId.eq(shop_id));
    if let Some(kind) = filter.kind {
        query = query.filter(coupon::Column::Kind.eq(kind.as_str()));
    }
    if let Some(status) = filter.status {
        query = query.filter(coupon::Column::Status.eq(status.as_str()));
    }
    if let Some(name) = filter.name.as_deref().filter(|n| !n.trim().is_empty()) {
        query = query.filter(coupon::Column::Name.contains(name.trim()));
    }
    if let Some(before) = filter.before {
        query = query.filter(coupon::Column::Id.lt(before));
    }
    let rows = query
        .order_by_desc(coupon::Column::Id)
        .limit(filter.limit.clamp(1, 500))
        .all(db)
        .await?;
    rows.into_iter().map(from_row).collect()
}

/// Replaces a coupon's design, under SPEC §2's rule: once it has claims, only the
/// quantity may rise, the ends move later, and the name and filters change.
pub async fn update_coupon(
    db: &DatabaseConnection,
    shop_id: i64,
    coupon_id: i64,
    edited: &Coupon,
    now: DateTime<Utc>,
) -> Result<CouponRecord> {
    let updated = write(db, async |tx| {
        update_coupon_in(tx, shop_id, coupon_id, edited, now).await
    })
    .await?;
    codes::fill_batches(db, updated.id).await?;
    Ok(updated)
}

/// [`update_coupon`] inside the caller's write transaction (new one-time codes
/// are written after the commit, as for [`create_coupon_in`]).
pub async fn update_coupon_in(
    tx: &impl ConnectionTrait,
    shop_id: i64,
    coupon_id: i64,
    edited: &Coupon,
    now: DateTime<Utc>,
) -> Result<CouponRecord> {
    let row = lock_row(tx, shop_id, coupon_id).await?;
    let current = from_row(row.clone())?;
    if current.status == CouponStatus::Ended {
        return Err(Conflict::CouponEnded.into());
    }
    current.coupon.check_edit(edited, current.claimed > 0)?;
    check_friend_coupon(tx, shop_id, edited).await?;
    if edited.rules() != current.coupon.rules() && current.claimed == 0 {
        // The code set-up changes with the design: replace the codes.
        codes::delete_codes(tx, coupon_id).await?;
        match edited.rules() {
            KindRules::Private(PrivateCodes::Shared { code }) => {
                codes::add_shared_code(tx, shop_id, coupon_id, code).await?
            }
            KindRules::Private(PrivateCodes::Unique { unique_codes }) => {
                codes::open_batch(tx, coupon_id, *unique_codes, now).await?;
            }
            _ => {}
        }
    }
    let mut active: coupon::ActiveModel = row.into();
    fill(&mut active, edited);
    active.updated_at = Set(now);
    from_row(active.update(tx).await?)
}

/// Activates, pauses, resumes or ends a coupon.
pub async fn apply_action(
    db: &DatabaseConnection,
    shop_id: i64,
    coupon_id: i64,
    action: LifecycleAction,
    now: DateTime<Utc>,
) -> Result<CouponRecord> {
    write(db, async |tx| {
        apply_action_in(tx, shop_id, coupon_id, action, now).await
    })
    .await
}

/// [`apply_action`] inside the caller's write transaction.
pub async fn apply_action_in(
    tx: &impl ConnectionTrait,
    shop_id: i64,
    coupon_id: i64,
    action: LifecycleAction,
    now: DateTime<Utc>,
) -> Result<CouponRecord> {
    let row = lock_row(tx, shop_id, coupon_id).await?;
    let status =
        CouponStatus::parse(&row.status).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let next = status.apply(action).map_err(Conflict::from)?;
    let mut active: coupon::ActiveModel = row.into();
    active.status = Set(next.as_str().to_owned());
    active.updated_at = Set(now);
    from_row(active.update(tx).await?)
}

/// The coupon row, locked for the rest of the transaction (PostgreSQL; SQLite's
/// write transaction holds the whole database already).
pub(crate) async fn lock_row(
    db: &impl ConnectionTrait,
    shop_id: i64,
    coupon_id: i64,
) -> Result<coupon::Model> {
    coupon::Entity::find_by_id(coupon_id)
        .filter(coupon::Column::ShopId.eq(shop_id))
        .lock_exclusive()
        .one(db)
        .await?
        .ok_or(StoreError::NotFound("coupon"))
}

/// Redeemed claims (SPEC §8: on a paid order that still counts) of each of these
/// coupons (absent: none), in one query of the roll-ups.
pub async fn used_counts(
    db: &impl ConnectionTrait,
    coupon_ids: impl Iterator<Item = i64>,
) -> Result<std::collections::HashMap<i64, u64>> {
    let ids: Vec<i64> = coupon_ids.collect();
    if ids.is_empty() {
        return Ok(Default::default());
    }
    let backend = db.get_database_backend();
    let list: Vec<String> = (1..=ids.len())
        .map(|i| crate::db::placeholder(backend, i))
        .collect();
    let rows = db
        .query_all_raw(sea_orm::Statement::from_sql_and_values(
            backend,
            format!(
                "SELECT coupon_id, CAST(SUM(used) AS BIGINT) AS n FROM day_figures \
                 WHERE coupon_id IN ({}) GROUP BY coupon_id",
                list.join(", "),
            ),
            ids.iter()
                .map(|&id| id.into())
                .collect::<Vec<sea_orm::Value>>(),
        ))
        .await?;
    let mut counts = std::collections::HashMap::new();
    for row in rows {
        let n: i64 = row.try_get("", "n")?;
        counts.insert(
            row.try_get::<i64>("", "coupon_id")?,
            u64::try_from(n).unwrap_or(0),
        );
    }
    Ok(counts)
}

/// Claims of a coupon by state: (unused, used, expired).
pub async fn claim_states(db: &impl ConnectionTrait, coupon_id: i64) -> Result<(u64, u64, u64)> {
    let count = |state: &'static str| {
        claim::Entity::find()
            .filter(claim::Column::CouponId.eq(coupon_id))
            .filter(claim::Column::State.eq(state))
            .count(db)
    };
    Ok((
        count("unused").await?,
        count("used").await?,
        count("expired").await?,
    ))
}
