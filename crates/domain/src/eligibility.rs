//! May this customer claim this coupon now? (SPEC §3). One pure function, checked
//! in the spec's order, answering `Ok` or exactly one reason. The store runs it
//! inside the claiming transaction, with counts read in that transaction.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::calendar::{local_day, local_month};
use crate::claim::ClaimSource;
use crate::coupon::{Coupon, CouponStatus, KindRules};
use crate::vocab::{Audience, Channel, CouponKind, Region, Tag};

/// Why a claim was refused: the `code` of a 409 answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, thiserror::Error)]
#[serde(rename_all = "snake_case")]
pub enum Refusal {
    #[error("the coupon cannot be claimed yet")]
    NotStarted,
    #[error("the coupon can no longer be claimed")]
    Ended,
    #[error("the coupon is paused")]
    Paused,
    #[error("no coupons are left")]
    SoldOut,
    #[error("the customer has claimed this coupon as often as allowed")]
    CustomerLimit,
    #[error("the customer has claimed this coupon as often as allowed today")]
    DailyLimit,
    #[error("the customer has reached the shop's monthly limit of claims")]
    MonthlyCap,
    #[error("the coupon is for new customers only")]
    NotNewCustomer,
    #[error("the coupon is for returning customers only")]
    NotReturningCustomer,
    #[error("the coupon is for followers of the shop only")]
    NotFollower,
    #[error("the coupon is for members of the shop only")]
    NotMember,
    #[error("the coupon is not for this customer")]
    NotInAudience,
    #[error("the coupon cannot be claimed in this channel")]
    ChannelNotAllowed,
    #[error("the coupon is not available in the customer's region")]
    RegionNotAllowed,
    #[error("the code is not valid")]
    InvalidCode,
    #[error("the code has already been used")]
    CodeUsed,
    #[error("the coupon is only ever granted, never claimed")]
    GrantOnly,
}

impl Refusal {
    pub const ALL: [Refusal; 17] = [
        Refusal::NotStarted,
        Refusal::Ended,
        Refusal::Paused,
        Refusal::SoldOut,
        Refusal::CustomerLimit,
        Refusal::DailyLimit,
        Refusal::MonthlyCap,
        Refusal::NotNewCustomer,
        Refusal::NotReturningCustomer,
        Refusal::NotFollower,
        Refusal::NotMember,
        Refusal::NotInAudience,
        Refusal::ChannelNotAllowed,
        Refusal::RegionNotAllowed,
        Refusal::InvalidCode,
        Refusal::CodeUsed,
        Refusal::GrantOnly,
    ];

    /// The refusal a [`Refusal::code`] names.
    pub fn from_code(code: &str) -> Option<Refusal> {
        Refusal::ALL.into_iter().find(|r| r.code() == code)
    }

    pub fn code(self) -> &'static str {
        match self {
            Refusal::NotStarted => "not_started",
            Refusal::Ended => "ended",
            Refusal::Paused => "paused",
            Refusal::SoldOut => "sold_out",
            Refusal::CustomerLimit => "customer_limit",
            Refusal::DailyLimit => "daily_limit",
            Refusal::MonthlyCap => "monthly_cap",
            Refusal::NotNewCustomer => "not_new_customer",
            Refusal::NotReturningCustomer => "not_returning_customer",
            Refusal::NotFollower => "not_follower",
            Refusal::NotMember => "not_member",
            Refusal::NotInAudience => "not_in_audience",
            Refusal::ChannelNotAllowed => "channel_not_allowed",
            Refusal::RegionNotAllowed => "region_not_allowed",
            Refusal::InvalidCode => "invalid_code",
            Refusal::CodeUsed => "code_used",
            Refusal::GrantOnly => "grant_only",
        }
    }
}

/// What we know of the customer at the moment of the claim.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CustomerFacts {
    /// Paid, non-cancelled orders in this shop.
    pub paid_orders: u32,
    pub is_follower: bool,
    /// A current member of the shop's membership.
    pub is_member: bool,
    pub region: Option<Region>,
    pub tags: Vec<Tag>,
}

/// Claims already made, counted in the shop's calendar (see [`ClaimCounts::windows`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClaimCounts {
    /// Claims of this coupon by anyone.
    pub coupon_total: u64,
    /// Claims of this coupon by this customer, used and expired ones included.
    pub by_customer: u32,
    /// Of those, made on the shop's current local day.
    pub by_customer_today: u32,
    /// Claims of any coupon of the shop by this customer in the current local month.
    pub shop_by_customer_this_month: u32,
}

/// The code a customer typed, as found for a private coupon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeCheck {
    /// No code, or one that does not belong to this coupon.
    Missing,
    Valid,
    /// A one-time code someone already used.
    Used,
}

/// Everything the rules look at.
#[derive(Debug, Clone)]
pub struct ClaimAttempt<'a> {
    pub coupon: &'a Coupon,
    pub status: CouponStatus,
    pub customer: &'a CustomerFacts,
    pub counts: ClaimCounts,
    pub channel: Channel,
    pub code: CodeCheck,
    /// A customer's own claim, or a grant (follow, repurchase, staff).
    pub source: ClaimSource,
    /// The shop's monthly cap of claims per customer; `None` = no cap.
    pub monthly_cap: Option<u32>,
    pub now: DateTime<Utc>,
}

/// Checks SPEC §3's rules in order and names the first that fails.
pub fn check_claim(attempt: &ClaimAttempt<'_>) -> Result<(), Refusal> {
    let coupon = attempt.coupon;
    let now = attempt.now;

    // 0. coupons customers cannot claim themselves
    if !attempt.source.may_take(coupon.kind()) {
        return Err(Refusal::GrantOnly);
    }

    // 1. active and inside the claim window
    match attempt.status {
        CouponStatus::Draft => return Err(Refusal::NotStarted),
        CouponStatus::Paused => return Err(Refusal::Paused),
        CouponStatus::Ended => return Err(Refusal::Ended),
        CouponStatus::Active => {}
    }
    if now < coupon.claim_from() {
        return Err(Refusal::NotStarted);
    }
    if now > coupon.claim_until() {
        return Err(Refusal::Ended);
    }

    // 2. quantity left
    let limits = coupon.limits();
    if limits
        .quantity
        .is_some_and(|q| attempt.counts.coupon_total >= u64::from(q))
    {
        return Err(Refusal::SoldOut);
    }

    // 3. per-customer and daily limits
    if limits
        .per_customer
        .is_some_and(|l| attempt.counts.by_customer >= l)
    {
        return Err(Refusal::CustomerLimit);
    }
    if limits
        .per_customer_daily
        .is_some_and(|l| attempt.counts.by_customer_today >= l)
    {
        return Err(Refusal::DailyLimit);
    }

    // 4. the shop's monthly cap
    if attempt
        .monthly_cap
        .is_some_and(|cap| attempt.counts.shop_by_customer_this_month >= cap)
    {
        return Err(Refusal::MonthlyCap);
    }

    // 5. audience
    let customer = attempt.customer;
    match coupon.audience() {
        Audience::All => {}
        Audience::NewCustomers if customer.paid_orders > 0 => {
            return Err(Refusal::NotNewCustomer);
        }
        Audience::ReturningCustomers if customer.paid_orders == 0 => {
            return Err(Refusal::NotReturningCustomer);
        }
        Audience::Followers if !customer.is_follower => return Err(Refusal::NotFollower),
        Audience::Members if !customer.is_member => return Err(Refusal::NotMember),
        Audience::Tag(tag) if !customer.tags.contains(tag) => {
            return Err(Refusal::NotInAudience);
        }
        Audience::NewCustomers
        | Audience::ReturningCustomers
        | Audience::Followers
        | Audience::Members
        | Audience::Tag(_) => {}
    }

    // 6. channel
    if !coupon.channels().is_empty() && !coupon.channels().contains(&attempt.channel) {
        return Err(Refusal::ChannelNotAllowed);
    }

    // 7. region
    if !coupon.regions().is_empty()
        && !customer
            .region
            .is_some_and(|r| coupon.regions().contains(&r))
    {
        return Err(Refusal::RegionNotAllowed);
    }

    // 8. a valid, unused code for private coupons
    if coupon.kind() == CouponKind::Private {
        debug_assert!(matches!(coupon.rules(), KindRules::Private(_)));
        match attempt.code {
            CodeCheck::Valid => {}
            CodeCheck::Missing => return Err(Refusal::InvalidCode),
            CodeCheck::Used => return Err(Refusal::CodeUsed),
        }
    }
    Ok(())
}

impl ClaimCounts {
    /// The local day and month windows (shop's zone) the daily limit and the
    /// monthly cap count in; the store counts claims with `claimed_at` inside them.
    pub fn windows(
        now: DateTime<Utc>,
        tz: Tz,
    ) -> (crate::calendar::Window, crate::calendar::Window) {
        (local_day(now, tz), local_month(now, tz))
    }

    /// Counts from the claim times themselves: this customer's claims of the
    /// coupon, and of every coupon of the shop.
    pub fn from_history(
        coupon_total: u64,
        customer_coupon_claims: &[DateTime<Utc>],
        customer_shop_claims: &[DateTime<Utc>],
        now: DateTime<Utc>,
        tz: Tz,
    ) -> ClaimCounts {
        let (day, month) = ClaimCounts::windows(now, tz);
        let count = |times: &[DateTime<Utc>], window: crate::calendar::Window| {
            times.iter().filter(|t| window.contains(**t)).count() as u32
        };
        ClaimCounts {
            coupon_total,
            by_customer: customer_coupon_claims.len() as u32,
            by_customer_today: count(customer_coupon_claims, day),
            shop_by_customer_this_month: count(customer_shop_claims, month),
        }
    }
}

#[cfg(test)]
#[path = "eligibility_tests.rs"]
mod tests;
