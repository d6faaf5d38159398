//! merchant-ops' rules, as pure functions: coupons and their validation (SPEC §2),
//! who may claim (§3), the exact best price (§4), metrics and estimates (§8).
//!
//! No I/O, no database, no clock: the time is always a parameter.

pub mod alerts;
pub mod benefit;
pub mod calendar;
pub mod claim;
pub mod coupon;
pub mod eligibility;
pub mod error;
pub mod ids;
pub mod live_drop;
pub mod metrics;
pub mod money;
pub mod order;
pub mod quote;
pub mod reminders;
pub mod roles;
pub mod shop;
pub mod throttle;
pub mod vocab;

pub use benefit::{Benefit, BenefitSpec, Tier};
pub use claim::{ClaimSource, ClaimState};
pub use coupon::{
    Coupon, CouponDraft, CouponStatus, FollowerRules, KindRules, LifecycleAction, Limits,
    PrivateCodes, RepurchaseRules, Scope, Validity,
};
pub use eligibility::{ClaimAttempt, ClaimCounts, CodeCheck, CustomerFacts, Refusal, check_claim};
pub use error::{FieldError, Reason, ValidationErrors};
pub use metrics::{AovComparison, Estimate, EstimateInput, Metrics, Tally, estimate};
pub use money::{Money, Percent};
pub use order::{OrderEvent, OrderStatus};
pub use quote::{ClaimId, HeldClaim, Quote, QuoteError, QuoteLine, QuotedLine, quote};
pub use vocab::{
    Audience, Channel, CouponKind, PrivateCode, Region, RepurchaseTrigger, RewardTrigger, Sku, Tag,
};
