//! Validation errors that name the field and the reason, so a form can show the
//! message next to the input and the API can answer `{"field": ..., "message": ...}`.
//! A reason is a [`Reason`], never prose: the API says it in English (its
//! `Display`), the admin in the staff member's language by matching the variant,
//! so a reason without a translation does not compile.

use std::fmt;

use serde::Serialize;

use crate::money::{Money, MoneyError, PercentError};
use crate::vocab::{AudienceError, TextError, UnknownRegion, UnknownWord};

/// One invalid field: `field` is a path such as `benefit.amount` or `tiers[1].percent`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub reason: Reason,
}

impl FieldError {
    pub fn new(field: impl Into<String>, reason: impl Into<Reason>) -> FieldError {
        FieldError {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// Why a field is invalid: every reason the rules, the store and the forms give.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Reason {
    // Numbers and counts.
    #[error("must be more than 0")]
    Positive,
    #[error("must be at least {0}")]
    AtLeast(u32),
    #[error("must be at most {0}")]
    AtMost(u32),
    #[error("must be between {0} and {1}")]
    Between(u32, u32),
    #[error("must be between {0} and {1} days")]
    DaysBetween(u32, u32),
    #[error("must be at least 1 day")]
    AtLeastOneDay,
    #[error("must be a whole number")]
    WholeNumber,
    #[error("must be a whole number, or empty for unlimited")]
    WholeNumberOrEmpty,
    #[error("must be at least 1, or empty for unlimited")]
    AtLeastOneOrEmpty,
    #[error("must be between 0 and 100 (percent)")]
    Percent,
    #[error("must be a percent from 0 to 100, at most two decimals")]
    PercentTwoDecimals,
    // Text and identifiers.
    #[error("must be {0} to {1} characters")]
    Characters(u32, u32),
    #[error("must be 1 to 64 characters without spaces")]
    Token,
    #[error("must be 2 to 64 lower-case letters, digits or '-'")]
    Slug,
    #[error("must be an email address")]
    Email,
    #[error("must differ from the current password")]
    SamePassword,
    #[error("at most {0} invitations may wait at once; let some expire or be used first")]
    TooManyInvitations(u32),
    #[error("must be zh-CN or en")]
    Locale,
    #[error("must be owner, operator or viewer")]
    Role,
    #[error(transparent)]
    Text(#[from] TextError),
    #[error(transparent)]
    Word(#[from] UnknownWord),
    #[error(transparent)]
    Region(#[from] UnknownRegion),
    #[error("{0}: {UnknownRegion}")]
    RegionCode(String),
    #[error(transparent)]
    Audience(#[from] AudienceError),
    // Money and discounts.
    #[error(transparent)]
    Money(#[from] MoneyError),
    #[error(transparent)]
    PercentPaid(#[from] PercentError),
    #[error("must be 1.0 to 9.9折, at most one decimal")]
    Zhe,
    #[error("write tiers as units:折, e.g. 2:9, 3:8 (1.0 to 9.9折)")]
    TierText,
    #[error("{0}. Tick to confirm, then save")]
    Unconfirmed(crate::benefit::DeepDiscount),
    #[error("must be less than the threshold {0} (满X减Y needs Y < X; use threshold 0 for 立减)")]
    BelowThreshold(Money),
    #[error("must be less than the threshold (满X减Y needs Y < X)")]
    BelowTheThreshold,
    #[error("must be more than 0, or empty for no cap")]
    CapOrEmpty,
    #[error("needs at least one tier")]
    NoTiers,
    #[error("must have at most {0} tiers")]
    TooManyTiers(usize),
    #[error("must be more than the previous tier's")]
    TierUnitsRise,
    #[error("must be lower than the previous tier's (more units, deeper discount)")]
    TierPercentFalls,
    // Times.
    #[error("must be a date and time")]
    DateTime,
    #[error("must be a time from 1970 through 9999")]
    Year,
    #[error("must be a time such as 22:00")]
    ClockTime,
    #[error("unknown time zone; use an IANA name such as Asia/Shanghai")]
    TimeZone,
    #[error("each lead time must be between 1 and 720 hours")]
    LeadHours,
    #[error("{0:?} is not a number of hours")]
    NotHours(String),
    // A coupon's rules between fields.
    #[error("an item coupon needs at least one product")]
    NoProducts,
    #[error("must be after the start of validity")]
    AfterValidityStart,
    #[error("must not be after validity ends (the claim could never be used)")]
    ClaimAfterValidity,
    #[error("must be after claim_from")]
    AfterClaimFrom,
    #[error("must not exceed the per-customer limit")]
    AbovePerCustomer,
    #[error("a {kind} coupon is for {audience} only")]
    KindAudience {
        kind: crate::CouponKind,
        audience: crate::Audience,
    },
    #[error("only a {0} coupon has this block")]
    Misplaced(crate::CouponKind),
    #[error("a follower coupon needs {{\"auto_grant\": true|false}}")]
    FollowerRules,
    #[error("a repurchase coupon needs a trigger and days_after")]
    RepurchaseRules,
    #[error("a private coupon needs a shared code or a number of unique codes")]
    PrivateRules,
    #[error("a reward coupon needs min_paid and a trigger (paid or delivered)")]
    RewardRules,
    #[error("a share coupon needs the number of friends")]
    ShareRules,
    #[error("must be another coupon of this shop, not a share coupon")]
    FriendCoupon,
    #[error("another coupon of this shop already uses this code")]
    CodeTaken,
    #[error("a new coupon is draft or active")]
    NewCouponStatus,
    // Orders.
    #[error(transparent)]
    Quote(#[from] crate::QuoteError),
    #[error("claim {0} is not held by this customer")]
    ClaimNotHeld(i64),
    #[error("claim {0} is not valid now")]
    ClaimNotValid(i64),
    #[error("claim {0} does not apply to this order, or adds no discount")]
    ClaimAddsNothing(i64),
    // Editing a coupon customers hold (SPEC §2).
    #[error("cannot change once customers hold this coupon")]
    Frozen,
    #[error("can only be extended once claimed")]
    OnlyLater,
    #[error("can only be raised once claimed")]
    OnlyMore,
    // Webhook addresses.
    #[error("must be a URL such as https://example.com/hook")]
    Url,
    #[error("must start with https://")]
    Https,
    #[error("must not carry a user name or password")]
    UrlCredentials,
    #[error("must name a host")]
    UrlHost,
    #[error("must not point at a loopback, private or metadata address")]
    UrlPrivate,
    #[error("is needed to send webhooks")]
    WebhookNeeded,
}

impl Serialize for Reason {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.reason)
    }
}

impl std::error::Error for FieldError {}

/// Every invalid field of one input, in the order the fields were checked.
/// Never empty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct ValidationErrors(Vec<FieldError>);

impl ValidationErrors {
    pub fn first(&self) -> &FieldError {
        &self.0[0]
    }

    pub fn iter(&self) -> impl Iterator<Item = &FieldError> {
        self.0.iter()
    }

    /// The reason given for `field`, if that field is invalid.
    pub fn for_field(&self, field: &str) -> Option<&Reason> {
        self.0.iter().find(|e| e.field == field).map(|e| &e.reason)
    }
}

impl From<FieldError> for ValidationErrors {
    fn from(error: FieldError) -> Self {
        ValidationErrors(vec![error])
    }
}

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ValidationErrors {}

/// Collects field errors while a whole input is checked, so the user sees them all.
#[derive(Debug, Default)]
pub struct Collector(Vec<FieldError>);

impl Collector {
    pub fn new() -> Collector {
        Collector::default()
    }

    pub fn push(&mut self, field: impl Into<String>, reason: impl Into<Reason>) {
        self.0.push(FieldError::new(field, reason));
    }

    /// Keeps the value when `result` is Ok, records the error under `field` otherwise.
    pub fn check<T, E: Into<Reason>>(
        &mut self,
        field: impl Into<String>,
        result: Result<T, E>,
    ) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                self.push(field, error);
                None
            }
        }
    }

    /// Keeps the value when `result` is Ok, records its field error otherwise.
    pub fn keep<T>(&mut self, result: Result<T, FieldError>) -> Option<T> {
        result.map_err(|error| self.0.push(error)).ok()
    }

    pub fn extend(&mut self, errors: ValidationErrors) {
        self.0.extend(errors.0);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn finish<T>(self, value: impl FnOnce() -> T) -> Result<T, ValidationErrors> {
        if self.0.is_empty() {
            Ok(value())
        } else {
            Err(ValidationErrors(self.0))
        }
    }
}
