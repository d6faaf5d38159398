//! A coupon as staff design it (SPEC §2): built from a [`CouponDraft`] by
//! [`CouponDraft::validate`], which names every invalid field.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::benefit::{Benefit, BenefitSpec};
use crate::error::{Collector, FieldError, Reason, ValidationErrors};
use crate::money::Money;
use crate::vocab::{
    Audience, Channel, CouponKind, PrivateCode, Region, RepurchaseTrigger, Sku, TextError,
};

pub const MAX_NAME_CHARS: usize = 60;
pub const MAX_VALID_DAYS: u32 = 3650;
pub const MAX_REPURCHASE_DAYS: u32 = 365;
pub const MAX_UNIQUE_CODES: u32 = 100_000;

/// What a coupon discounts.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Scope {
    /// Every line of the shop's order.
    Shop,
    /// One order line whose product is listed.
    Items { skus: Vec<Sku> },
}

impl Scope {
    pub fn applies_to(&self, sku: &Sku) -> bool {
        match self {
            Scope::Shop => true,
            Scope::Items { skus } => skus.contains(sku),
        }
    }

    pub fn is_shop(&self) -> bool {
        matches!(self, Scope::Shop)
    }
}

/// When a claim may be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Validity {
    /// The same window for every claim.
    Fixed {
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    },
    /// `days` from the moment of the claim.
    Relative { days: u32 },
}

impl Validity {
    /// The window of a claim made at `claimed_at`. A relative claim lasts its days
    /// from the claim, whenever the claim window closes (SPEC §2: the window bounds
    /// when one can claim, not how long a claim lasts).
    pub fn resolve(&self, claimed_at: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
        match *self {
            Validity::Fixed { from, until } => (from, until),
            Validity::Relative { days } => {
                (claimed_at, claimed_at + Duration::days(i64::from(days)))
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FollowerRules {
    /// Grant a claim automatically when a customer follows the shop (once per customer).
    pub auto_grant: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RepurchaseRules {
    pub trigger: RepurchaseTrigger,
    pub days_after: u32,
    /// Only discount the products the earlier order bought.
    #[serde(default)]
    pub only_purchased_items: bool,
}

impl RepurchaseRules {
    /// What a claim granted for an order that bought `bought` discounts: the
    /// coupon's scope, or with `only_purchased_items` just the products the order
    /// bought (of the coupon's, for an item coupon; each line on its own, for a
    /// shop coupon). `None` when the order bought none of the coupon's products.
    pub fn claim_scope(&self, coupon: &Scope, bought: &[Sku]) -> Option<Scope> {
        if !self.only_purchased_items {
            return Some(coupon.clone());
        }
        let mut skus: Vec<Sku> = bought
            .iter()
            .filter(|sku| coupon.applies_to(sku))
            .cloned()
            .collect();
        skus.sort();
        skus.dedup();
        (!skus.is_empty()).then_some(Scope::Items { skus })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemberRules {
    /// Granted once to each customer when they first join (入会有礼); leaving
    /// and joining again grants nothing new.
    pub join_gift: bool,
}

/// Spend and return (满返, SPEC §10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RewardRules {
    /// What the order's customer must pay (its payable amount) to earn it.
    pub min_paid: Money,
    pub trigger: crate::vocab::RewardTrigger,
    /// Only for customers who are members when the order earns it.
    #[serde(default)]
    pub members_only: bool,
}

impl RewardRules {
    /// Whether an order paying `paid`, by a customer who is (or not) a
    /// member, earns the reward.
    pub fn earned_by(&self, paid: Money, is_member: bool) -> bool {
        paid >= self.min_paid && (is_member || !self.members_only)
    }
}

/// Share to unlock (分享N人领券, SPEC §10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShareRules {
    /// Friends who must join a share before the sharer is granted the coupon.
    pub friends: u32,
    /// Only friends with no paid order in the shop count.
    #[serde(default)]
    pub new_customers_only: bool,
    /// A coupon of this shop each counted friend is granted.
    #[serde(default)]
    pub friend_coupon_id: Option<i64>,
}

/// The most friends a share may ask for.
pub const MAX_SHARE_FRIENDS: u32 = 100;

/// Why a friend's join does not count towards a share (SPEC §10).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotCounted {
    /// The sharer joining their own share.
    Sharer,
    /// A friend with the sharer's phone number.
    SamePhone,
    /// The share asks for new customers; this friend has paid an order.
    NotNewCustomer,
    /// This friend already counted for a share of this coupon.
    AlreadyCounted,
}

impl NotCounted {
    pub fn code(self) -> &'static str {
        match self {
            NotCounted::Sharer => "sharer",
            NotCounted::SamePhone => "same_phone",
            NotCounted::NotNewCustomer => "not_new_customer",
            NotCounted::AlreadyCounted => "already_counted",
        }
    }
}

impl ShareRules {
    /// Whether a friend counts, before the once-per-coupon check: not the
    /// sharer, not the sharer's phone, and new when the share asks for it.
    pub fn counts(
        &self,
        sharer: (i64, Option<&str>),
        friend: (i64, Option<&str>),
        friend_paid_orders: u32,
    ) -> Result<(), NotCounted> {
        if sharer.0 == friend.0 {
            return Err(NotCounted::Sharer);
        }
        let digits = |p: &str| p.chars().filter(char::is_ascii_digit).collect::<String>();
        if let (Some(a), Some(b)) = (sharer.1, friend.1)
            && !digits(a).is_empty()
            && digits(a) == digits(b)
        {
            return Err(NotCounted::SamePhone);
        }
        if self.new_customers_only && friend_paid_orders > 0 {
            return Err(NotCounted::NotNewCustomer);
        }
        Ok(())
    }
}

/// How a private coupon is claimed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged, deny_unknown_fields)]
pub enum PrivateCodes {
    /// One code shared by everyone it is handed to.
    Shared { code: PrivateCode },
    /// A batch of this many one-time codes, each usable once.
    Unique { unique_codes: u32 },
}

/// Kind-specific settings; exactly the block the kind needs.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum KindRules {
    Shop,
    NewCustomer,
    Follower(FollowerRules),
    Repurchase(RepurchaseRules),
    Private(PrivateCodes),
    Member(MemberRules),
    Reward(RewardRules),
    Share(ShareRules),
}

impl KindRules {
    pub fn kind(&self) -> CouponKind {
        match self {
            KindRules::Shop => CouponKind::Shop,
            KindRules::NewCustomer => CouponKind::NewCustomer,
            KindRules::Follower(_) => CouponKind::Follower,
            KindRules::Repurchase(_) => CouponKind::Repurchase,
            KindRules::Private(_) => CouponKind::Private,
            KindRules::Member(_) => CouponKind::Member,
            KindRules::Reward(_) => CouponKind::Reward,
            KindRules::Share(_) => CouponKind::Share,
        }
    }
}

/// A coupon as the API body and the admin form give it (SPEC §7), unchecked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CouponDraft {
    pub name: String,
    pub kind: CouponKind,
    pub scope: Scope,
    pub benefit: BenefitSpec,
    pub validity: Validity,
    pub claim_from: DateTime<Utc>,
    pub claim_until: DateTime<Utc>,
    /// Total claims allowed; `None` = unlimited.
    #[serde(default)]
    pub quantity: Option<u32>,
    #[serde(default)]
    pub per_customer_limit: Option<u32>,
    #[serde(default)]
    pub per_customer_daily_limit: Option<u32>,
    #[serde(default)]
    pub audience: Audience,
    /// Empty = every channel.
    #[serde(default)]
    pub channels: Vec<Channel>,
    /// Empty = every region.
    #[serde(default)]
    pub regions: Vec<Region>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follower: Option<FollowerRules>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repurchase: Option<RepurchaseRules>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private: Option<PrivateCodes>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member: Option<MemberRules>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reward: Option<RewardRules>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub share: Option<ShareRules>,
}

/// Claim limits: `None` means unlimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Limits {
    pub quantity: Option<u32>,
    pub per_customer: Option<u32>,
    pub per_customer_daily: Option<u32>,
}

/// A checked coupon design. Build it with [`CouponDraft::validate`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "CouponDraft", into = "CouponDraft")]
pub struct Coupon {
    name: String,
    rules: KindRules,
    scope: Scope,
    benefit: Benefit,
    validity: Validity,
    claim_from: DateTime<Utc>,
    claim_until: DateTime<Utc>,
    limits: Limits,
    audience: Audience,
    channels: Vec<Channel>,
    regions: Vec<Region>,
}

impl CouponDraft {
    /// Checks every field and the rules between them; the errors name each field.
    pub fn validate(self) -> Result<Coupon, ValidationErrors> {
        let mut errors = Collector::new();

        let name = self.name.trim().to_owned();
        if name.is_empty() {
            errors.push("name", TextError::Empty);
        } else if name.chars().count() > MAX_NAME_CHARS {
            errors.push("name", TextError::TooLong(MAX_NAME_CHARS));
        }

        let benefit = match Benefit::new(self.benefit) {
            Ok(benefit) => Some(benefit),
            Err(benefit_errors) => {
                for e in benefit_errors.iter() {
                    errors.push(format!("benefit.{}", e.field), e.reason.clone());
                }
                None
            }
        };

        let scope = match self.scope {
            Scope::Items { skus } if skus.is_empty() => {
                errors.push("scope.skus", Reason::NoProducts);
                Scope::Items { skus }
            }
            Scope::Items { skus } => Scope::Items {
                skus: sorted_unique(skus),
            },
            Scope::Shop => Scope::Shop,
        };

        let mut times = vec![
            ("claim_from", self.claim_from),
            ("claim_until", self.claim_until),
        ];
        if let Validity::Fixed { from, until } = self.validity {
            times.extend([("validity.from", from), ("validity.until", until)]);
        }
        for (field, at) in times {
            if let Err(reason) = crate::calendar::check_storable(at) {
                errors.push(field, reason);
            }
        }

        match self.validity {
            Validity::Fixed { from, until } => {
                if until <= from {
                    errors.push("validity.until", Reason::AfterValidityStart);
                }
                if self.claim_until > until {
                    errors.push("claim_until", Reason::ClaimAfterValidity);
                }
            }
            Validity::Relative { days } => {
                if days == 0 {
                    errors.push("validity.days", Reason::AtLeastOneDay);
                } else if days > MAX_VALID_DAYS {
                    errors.push("validity.days", Reason::AtMost(MAX_VALID_DAYS));
                }
            }
        }
        if self.claim_until <= self.claim_from {
            errors.push("claim_until", Reason::AfterClaimFrom);
        }

        let limits = Limits {
            quantity: self.quantity,
            per_customer: self.per_customer_limit,
            per_customer_daily: self.per_customer_daily_limit,
        };
        for (field, value) in [
            ("quantity", limits.quantity),
            ("per_customer_limit", limits.per_customer),
            ("per_customer_daily_limit", limits.per_customer_daily),
        ] {
            if value == Some(0) {
                errors.push(field, Reason::AtLeastOneOrEmpty);
            }
        }
        if let (Some(daily), Some(total)) = (limits.per_customer_daily, limits.per_customer)
            && daily > total
        {
            errors.push("per_customer_daily_limit", Reason::AbovePerCustomer);
        }

        let blocks = KindBlocks {
            follower: self.follower,
            repurchase: self.repurchase,
            private: self.private,
            member: self.member,
            reward: self.reward,
            share: self.share,
        };
        let rules = kind_rules(self.kind, blocks, &mut errors);
        let required_audience = match self.kind {
            CouponKind::NewCustomer => Some(Audience::NewCustomers),
            CouponKind::Follower => Some(Audience::Followers),
            CouponKind::Member => Some(Audience::Members),
            _ => None,
        };
        if let Some(required) = required_audience
            && self.audience != required
        {
            errors.push(
                "audience",
                Reason::KindAudience {
                    kind: self.kind,
                    audience: required,
                },
            );
        }

        errors.finish(|| Coupon {
            name,
            rules: rules.expect("kind rules are present when there are no errors"),
            scope,
            benefit: benefit.expect("benefit is valid when there are no errors"),
            validity: self.validity,
            claim_from: self.claim_from,
            claim_until: self.claim_until,
            limits,
            audience: self.audience,
            channels: sorted_unique(self.channels),
            regions: sorted_unique(self.regions),
        })
    }
}

fn sorted_unique<T: Ord>(mut items: Vec<T>) -> Vec<T> {
    items.sort();
    items.dedup();
    items
}

/// The kind-specific blocks a draft may carry; one (at most) belongs to its kind.
struct KindBlocks {
    follower: Option<FollowerRules>,
    repurchase: Option<RepurchaseRules>,
    private: Option<PrivateCodes>,
    member: Option<MemberRules>,
    reward: Option<RewardRules>,
    share: Option<ShareRules>,
}

fn kind_rules(kind: CouponKind, blocks: KindBlocks, errors: &mut Collector) -> Option<KindRules> {
    let KindBlocks {
        follower,
        repurchase,
        private,
        member,
        reward,
        share,
    } = blocks;
    let mut misplaced = |field: &str, present: bool, own: CouponKind| {
        if present && kind != own {
            errors.push(field, Reason::Misplaced(own));
        }
    };
    misplaced("follower", follower.is_some(), CouponKind::Follower);
    misplaced("repurchase", repurchase.is_some(), CouponKind::Repurchase);
    misplaced("private", private.is_some(), CouponKind::Private);
    misplaced("member", member.is_some(), CouponKind::Member);
    misplaced("reward", reward.is_some(), CouponKind::Reward);
    misplaced("share", share.is_some(), CouponKind::Share);

    match kind {
        CouponKind::Shop => Some(KindRules::Shop),
        CouponKind::NewCustomer => Some(KindRules::NewCustomer),
        CouponKind::Follower => match follower {
            Some(rules) => Some(KindRules::Follower(rules)),
            None => {
                errors.push("follower", Reason::FollowerRules);
                None
            }
        },
        CouponKind::Repurchase => match repurchase {
            Some(rules) if rules.days_after == 0 || rules.days_after > MAX_REPURCHASE_DAYS => {
                errors.push(
                    "repurchase.days_after",
                    Reason::DaysBetween(1, MAX_REPURCHASE_DAYS),
                );
                None
            }
            Some(rules) => Some(KindRules::Repurchase(rules)),
            None => {
                errors.push("repurchase", Reason::RepurchaseRules);
                None
            }
        },
        CouponKind::Private => match private {
            Some(PrivateCodes::Unique { unique_codes })
                if unique_codes == 0 || unique_codes > MAX_UNIQUE_CODES =>
            {
                errors.push("private.unique_codes", Reason::Between(1, MAX_UNIQUE_CODES));
                None
            }
            Some(codes) => Some(KindRules::Private(codes)),
            None => {
                errors.push("private", Reason::PrivateRules);
                None
            }
        },
        // Without the block: a members-only coupon, no join gift.
        CouponKind::Member => Some(KindRules::Member(
            member.unwrap_or(MemberRules { join_gift: false }),
        )),
        CouponKind::Reward => match reward {
            Some(rules) => Some(KindRules::Reward(rules)),
            None => {
                errors.push("reward", Reason::RewardRules);
                None
            }
        },
        CouponKind::Share => match share {
            Some(rules) if rules.friends == 0 || rules.friends > MAX_SHARE_FRIENDS => {
                errors.push("share.friends", Reason::Between(1, MAX_SHARE_FRIENDS));
                None
            }
            Some(rules) => Some(KindRules::Share(rules)),
            None => {
                errors.push("share", Reason::ShareRules);
                None
            }
        },
    }
}

impl Coupon {
    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn kind(&self) -> CouponKind {
        self.rules.kind()
    }
    pub fn rules(&self) -> &KindRules {
        &self.rules
    }
    pub fn scope(&self) -> &Scope {
        &self.scope
    }
    pub fn benefit(&self) -> &Benefit {
        &self.benefit
    }

    /// The most this coupon can give away, for the worst case staff should see
    /// before saving: per order, and in all when its quantity is bounded.
    pub fn exposure(&self) -> Exposure {
        let per_order = match self.benefit.spec() {
            BenefitSpec::AmountOff { amount, .. } => Some(*amount),
            BenefitSpec::PercentOff {
                max_discount: Some(cap),
                ..
            } => Some(*cap),
            BenefitSpec::PercentOff { percent, .. } => {
                return Exposure::ShareOfOrder(
                    rust_decimal::Decimal::ONE_HUNDRED - percent.value(),
                );
            }
            BenefitSpec::TieredPercent { tiers } => {
                let deepest = tiers.iter().map(|t| t.percent.value()).min();
                return Exposure::ShareOfOrder(
                    rust_decimal::Decimal::ONE_HUNDRED - deepest.unwrap_or_default(),
                );
            }
        };
        let per_order = per_order.unwrap_or(Money::ZERO);
        Exposure::Bounded {
            per_order,
            total: self.limits.quantity.and_then(|quantity| {
                per_order
                    .checked_mul(quantity)
                    .map(|total| (quantity, total))
            }),
        }
    }
    pub fn validity(&self) -> Validity {
        self.validity
    }
    pub fn claim_from(&self) -> DateTime<Utc> {
        self.claim_from
    }
    pub fn claim_until(&self) -> DateTime<Utc> {
        self.claim_until
    }
    pub fn limits(&self) -> Limits {
        self.limits
    }
    pub fn audience(&self) -> &Audience {
        &self.audience
    }
    /// Empty = every channel.
    pub fn channels(&self) -> &[Channel] {
        &self.channels
    }
    /// Empty = every region.
    pub fn regions(&self) -> &[Region] {
        &self.regions
    }

    /// The validity window of a claim made at `claimed_at` (see [`Validity::resolve`]).
    pub fn claim_validity(&self, claimed_at: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
        self.validity.resolve(claimed_at)
    }

    pub fn to_draft(&self) -> CouponDraft {
        CouponDraft::from(self.clone())
    }

    /// A copy to start a new coupon from: the same design, its name ending in
    /// `suffix` (the name shortened to fit), and one-time codes where this one
    /// has a shared code — a code opens one coupon, so staff choose a new one.
    pub fn copy(&self, suffix: &str) -> Result<Coupon, ValidationErrors> {
        let mut draft = self.to_draft();
        let keep = MAX_NAME_CHARS.saturating_sub(suffix.chars().count());
        draft.name = format!(
            "{}{suffix}",
            draft.name.chars().take(keep).collect::<String>()
        );
        if let Some(PrivateCodes::Shared { .. }) = draft.private {
            draft.private = Some(PrivateCodes::Unique { unique_codes: 1 });
        }
        draft.validate()
    }

    /// Checks an edit of a coupon customers may already hold (SPEC §2): once it has
    /// claims, what they hold — kind, benefit, scope, audience, code, when it starts —
    /// is frozen; the quantity may only rise and the ends may only move later.
    pub fn check_edit(&self, edited: &Coupon, has_claims: bool) -> Result<(), ValidationErrors> {
        if !has_claims {
            return Ok(());
        }
        const FROZEN: Reason = Reason::Frozen;
        let mut errors = Collector::new();
        if edited.kind() != self.kind() {
            errors.push("kind", FROZEN);
        }
        if edited.benefit != self.benefit {
            errors.push("benefit", FROZEN);
        }
        if edited.scope != self.scope {
            errors.push("scope", FROZEN);
        }
        if edited.audience != self.audience {
            errors.push("audience", FROZEN);
        }
        if let (KindRules::Private(old), KindRules::Private(new)) = (&self.rules, &edited.rules)
            && old != new
        {
            errors.push("private", FROZEN);
        }
        if edited.claim_from != self.claim_from {
            errors.push("claim_from", FROZEN);
        }
        match (self.validity, edited.validity) {
            (Validity::Fixed { from, until }, Validity::Fixed { from: f, until: u }) => {
                if f != from {
                    errors.push("validity.from", FROZEN);
                }
                if u < until {
                    errors.push("validity.until", Reason::OnlyLater);
                }
            }
            (Validity::Relative { days }, Validity::Relative { days: d }) => {
                if d < days {
                    errors.push("validity.days", Reason::OnlyLater);
                }
            }
            _ => errors.push("validity", FROZEN),
        }
        if edited.claim_until < self.claim_until {
            errors.push("claim_until", Reason::OnlyLater);
        }
        let lowered = match (self.limits.quantity, edited.limits.quantity) {
            (_, None) => false,
            (None, Some(_)) => true,
            (Some(old), Some(new)) => new < old,
        };
        if lowered {
            errors.push("quantity", Reason::OnlyMore);
        }
        errors.finish(|| ())
    }
}

impl TryFrom<CouponDraft> for Coupon {
    type Error = ValidationErrors;
    fn try_from(draft: CouponDraft) -> Result<Self, Self::Error> {
        draft.validate()
    }
}

impl From<Coupon> for CouponDraft {
    fn from(coupon: Coupon) -> Self {
        let (mut follower, mut repurchase, mut private, mut member) = (None, None, None, None);
        let (mut reward, mut share) = (None, None);
        match coupon.rules.clone() {
            KindRules::Follower(rules) => follower = Some(rules),
            KindRules::Repurchase(rules) => repurchase = Some(rules),
            KindRules::Private(codes) => private = Some(codes),
            KindRules::Member(rules) => member = Some(rules),
            KindRules::Reward(rules) => reward = Some(rules),
            KindRules::Share(rules) => share = Some(rules),
            KindRules::Shop | KindRules::NewCustomer => {}
        }
        CouponDraft {
            name: coupon.name,
            kind: coupon.rules.kind(),
            scope: coupon.scope,
            benefit: coupon.benefit.into(),
            validity: coupon.validity,
            claim_from: coupon.claim_from,
            claim_until: coupon.claim_until,
            quantity: coupon.limits.quantity,
            per_customer_limit: coupon.limits.per_customer,
            per_customer_daily_limit: coupon.limits.per_customer_daily,
            audience: coupon.audience,
            channels: coupon.channels,
            regions: coupon.regions,
            follower,
            repurchase,
            private,
            member,
            reward,
            share,
        }
    }
}

crate::vocab::word_enum! {
    /// Where a coupon is in its life (SPEC §2): draft → active ⇄ paused → ended.
    CouponStatus, "coupon status" {
        Draft = "draft",
        Active = "active",
        Paused = "paused",
        Ended = "ended",
    }
}

crate::vocab::word_enum! {
    /// What staff do to a coupon's status.
    LifecycleAction, "action" {
        Activate = "activate",
        Pause = "pause",
        Resume = "resume",
        End = "end",
    }
}

/// The most a coupon can give away ([`Coupon::exposure`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exposure {
    /// At most `per_order` off an order; with a bounded quantity, `total` for
    /// all of them used (the quantity, the money).
    Bounded {
        per_order: Money,
        total: Option<(u32, Money)>,
    },
    /// No cap: up to this percent of each order.
    ShareOfOrder(rust_decimal::Decimal),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("cannot {action} a coupon that is {from}")]
pub struct TransitionError {
    pub from: CouponStatus,
    pub action: LifecycleAction,
}

impl CouponStatus {
    /// The status as the API's `status` field, its error naming the field.
    pub fn parse(text: &str) -> Result<CouponStatus, FieldError> {
        text.parse()
            .map_err(|unknown: crate::vocab::UnknownWord| FieldError::new("status", unknown))
    }

    pub fn apply(self, action: LifecycleAction) -> Result<CouponStatus, TransitionError> {
        use CouponStatus::*;
        use LifecycleAction::*;
        match (self, action) {
            (Draft, Activate) => Ok(Active),
            (Active, Pause) => Ok(Paused),
            (Paused, Resume) => Ok(Active),
            (Draft | Active | Paused, End) => Ok(Ended),
            (from, action) => Err(TransitionError { from, action }),
        }
    }

    /// The actions staff can take from here, for buttons.
    pub fn actions(self) -> Vec<LifecycleAction> {
        LifecycleAction::ALL
            .iter()
            .copied()
            .filter(|action| self.apply(*action).is_ok())
            .collect()
    }
}

#[cfg(test)]
#[path = "coupon_tests.rs"]
mod tests;
