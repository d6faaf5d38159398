//! What the API answers, as types that serialize the answer and describe it in
//! the OpenAPI document at once. The coupon itself is serialized by `domain`
//! (the same shape the body takes); [`CouponDoc`] describes that shape, and the
//! API tests validate every answer they receive against the served document, so
//! the two cannot drift apart.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use domain::{Money, Quote};
use serde::Serialize;
use store::claims::ClaimRecord;
use store::products::ProductRecord;
use utoipa::ToSchema;

// The words and text formats the API accepts, so that a request the document
// allows is one the rules accept (a word list is checked against the rules'
// own list by a test below).

/// Money in requests: yuan with at most two decimals, at most 999,999,999.99.
pub const MONEY: &str = r"^(0|[1-9][0-9]{0,8})(\.[0-9]{1,2})?$";
/// A unit price: at most 1,000,000.00 (SPEC §4).
pub const UNIT_PRICE: &str = r"^((0|[1-9][0-9]{0,5})(\.[0-9]{1,2})?|1000000(\.0{1,2})?)$";
/// A storefront id (customer, order) or SKU: 1 to 64 characters, no spaces or
/// control characters.
pub const TOKEN: &str = r"^[^\s\x00-\x1f\x7f-\x9f]{1,64}$";
/// A private code: 4 to 32 letters, digits, `-` or `_`.
pub const CODE: &str = r"^[A-Za-z0-9_-]{4,32}$";
/// What the customer pays, in whole percent: 10 (1折) to 99 (9.9折).
pub const PERCENT: &str = r"^[1-9][0-9](\.0{1,2})?$";

/// A word the rules take, documented as the rules' own list (`ALL`) of that
/// word enum: the document cannot name a word the rules refuse, or miss one.
macro_rules! word_schema {
    ($(#[doc = $doc:literal])* $name:ident = $rules:ty) => {
        $(#[doc = $doc])*
        #[derive(Debug, Serialize)]
        pub struct $name;

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                let doc: &str = concat!($($doc),*);
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::Type::String)
                    .enum_values(Some(<$rules>::ALL.iter().map(|word| word.as_str())))
                    .description((!doc.is_empty()).then(|| doc.trim().to_owned()))
                    .into()
            }
        }

        impl ToSchema for $name {}
    };
}

word_schema! {
    /// Where a claim is made.
    ChannelWord = domain::Channel
}
word_schema! {
    /// How customers get a coupon.
    KindWord = domain::CouponKind
}
word_schema! {
    /// Where a coupon is in its life.
    StatusWord = domain::CouponStatus
}
word_schema! {
    /// What happened to an order.
    EventWord = domain::OrderEvent
}
word_schema! {
    /// What starts a repurchase coupon's wait.
    TriggerWord = domain::RepurchaseTrigger
}
word_schema! {
    /// The order event that earns a reward coupon.
    RewardTriggerWord = domain::RewardTrigger
}

/// Who may claim: a group, or customers with a tag (`tag:VIP`).
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum AudienceWord {
    Group(AudienceGroup),
    Tag(TagAudience),
}

/// Customers with a tag: `tag:` and the tag (1 to 32 characters, no spaces,
/// commas or colons).
#[derive(Debug, Serialize, ToSchema)]
#[schema(pattern = r"^tag:[^\s\x00-\x1f\x7f-\x9f,:]{1,32}$")]
pub struct TagAudience(pub String);

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AudienceGroup {
    All,
    NewCustomers,
    ReturningCustomers,
    Followers,
    Members,
}

/// A claim a customer holds.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClaimAnswer {
    pub id: i64,
    pub coupon_id: i64,
    /// The storefront's customer id.
    pub customer: String,
    #[schema(example = "live_room")]
    pub channel: String,
    /// unused, used, expired or revoked.
    #[schema(example = "unused")]
    pub state: String,
    pub claimed_at: DateTime<Utc>,
    pub valid_from: DateTime<Utc>,
    pub valid_until: DateTime<Utc>,
}

impl ClaimAnswer {
    pub fn new(claim: &ClaimRecord, customer: &str) -> ClaimAnswer {
        ClaimAnswer {
            id: claim.id,
            coupon_id: claim.coupon_id,
            customer: customer.to_owned(),
            channel: claim.channel.as_str().to_owned(),
            state: claim.state.as_str().to_owned(),
            claimed_at: claim.claimed_at,
            valid_from: claim.valid_from,
            valid_until: claim.valid_until,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProductAnswer {
    pub sku: String,
    pub name: String,
    #[schema(value_type = String, example = "99.00")]
    pub price: Money,
    pub updated_at: DateTime<Utc>,
}

impl From<&ProductRecord> for ProductAnswer {
    fn from(product: &ProductRecord) -> Self {
        ProductAnswer {
            sku: product.sku.to_string(),
            name: product.name.clone(),
            price: product.price,
            updated_at: product.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProductPage {
    pub products: Vec<ProductAnswer>,
    /// Pass as `after` for the next page; `null` on the last page.
    pub next_after: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerAnswer {
    pub external_id: String,
    pub region: Option<String>,
    pub tags: Vec<String>,
    pub phone: Option<String>,
    pub name: Option<String>,
    pub is_follower: bool,
}

/// A customer's membership (SPEC §10) and the join gifts granted by this call.
#[derive(Debug, Serialize, ToSchema)]
pub struct MembershipAnswer {
    pub member: bool,
    pub level: Option<String>,
    pub member_since: Option<DateTime<Utc>>,
    pub granted: Vec<ClaimAnswer>,
}

impl MembershipAnswer {
    pub fn new(
        customer: &store::customers::CustomerRecord,
        granted: &[store::claims::ClaimRecord],
    ) -> MembershipAnswer {
        MembershipAnswer {
            member: customer.member.is_some(),
            level: customer.member.as_ref().and_then(|m| m.level.clone()),
            member_since: customer.member.as_ref().map(|m| m.since),
            granted: granted
                .iter()
                .map(|c| ClaimAnswer::new(c, &customer.external_id))
                .collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FollowAnswer {
    pub following: bool,
    /// The follower coupons granted by this follow.
    pub granted: Vec<ClaimAnswer>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnfollowAnswer {
    pub following: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerCoupons {
    /// Coupons this customer may claim now (in the channel asked about).
    pub claimable: Vec<CouponAnswer>,
    /// Unused claims still valid.
    pub held: Vec<ClaimAnswer>,
}

/// A line of a quote.
#[derive(Debug, Serialize, ToSchema)]
pub struct QuotedLineAnswer {
    pub sku: String,
    /// Price (activity price if any) × quantity.
    #[schema(value_type = String, example = "99.00")]
    pub amount: Money,
    /// Its merchant discount: its item claim, or its share of the shop claim.
    #[schema(value_type = String, example = "10.00")]
    pub discount: Money,
    pub claim_id: Option<i64>,
}

/// The best price (SPEC §4).
#[derive(Debug, Serialize, ToSchema)]
pub struct QuoteAnswer {
    #[schema(value_type = String, example = "99.00")]
    pub subtotal: Money,
    #[schema(value_type = String, example = "10.00")]
    pub merchant_discount: Money,
    #[schema(value_type = String, example = "0.00")]
    pub platform_discount: Money,
    #[schema(value_type = String, example = "89.00")]
    pub payable: Money,
    pub lines: Vec<QuotedLineAnswer>,
    /// In the order of the lines that use them.
    pub claims_used: Vec<i64>,
}

impl From<&Quote> for QuoteAnswer {
    fn from(quote: &Quote) -> Self {
        QuoteAnswer {
            subtotal: quote.subtotal,
            merchant_discount: quote.merchant_discount,
            platform_discount: quote.platform_discount,
            payable: quote.payable,
            lines: quote
                .lines
                .iter()
                .map(|line| QuotedLineAnswer {
                    sku: line.sku.to_string(),
                    amount: line.amount,
                    discount: line.discount,
                    claim_id: line.claim_id,
                })
                .collect(),
            claims_used: quote.claims_used.clone(),
        }
    }
}

/// A recorded order: the quote applied, with the order's ids.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrderAnswer {
    #[serde(flatten)]
    pub quote: QuoteAnswer,
    pub order_id: i64,
    pub external_id: String,
    #[schema(example = "created")]
    pub status: String,
}

/// Where an order is after an event.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrderEventAnswer {
    pub order_id: i64,
    pub external_id: String,
    /// created, paid, shipped, delivered, cancelled or refunded.
    pub status: String,
    pub paid_at: Option<DateTime<Utc>>,
    pub shipped_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub refunded_at: Option<DateTime<Utc>>,
}

impl From<&store::orders::OrderRecord> for OrderEventAnswer {
    fn from(order: &store::orders::OrderRecord) -> Self {
        OrderEventAnswer {
            order_id: order.id,
            external_id: order.external_id.clone(),
            status: order.status.as_str().to_owned(),
            paid_at: order.paid_at,
            shipped_at: order.shipped_at,
            delivered_at: order.delivered_at,
            cancelled_at: order.cancelled_at,
            refunded_at: order.refunded_at,
        }
    }
}

/// SPEC §8 figures of a coupon (or of one channel of it).
#[derive(Debug, Serialize, ToSchema)]
pub struct MetricsDoc {
    /// The quantity issued; `null` when unlimited.
    pub issued: Option<u64>,
    pub claimed: u64,
    pub used: u64,
    pub expired: u64,
    /// Unused claims revoked when the coupon was ended.
    pub revoked: u64,
    /// claimed / issued, in percent.
    #[schema(value_type = Option<String>, example = "42.50")]
    pub claim_rate: Option<String>,
    /// used / claimed, in percent.
    #[schema(value_type = Option<String>, example = "65.00")]
    pub use_rate: Option<String>,
    #[schema(value_type = String, example = "120.00")]
    pub actual_cost: String,
    #[schema(value_type = String, example = "980.00")]
    pub coupon_gmv: String,
    /// coupon GMV / actual cost.
    #[schema(value_type = Option<String>, example = "8.17")]
    pub roi: Option<String>,
    /// Units per coupon order (连带购买), two decimals; an order counts once.
    #[schema(value_type = Option<String>, example = "1.45")]
    pub units_per_order: Option<String>,
    /// Actual cost ÷ distinct claimers (领取成本).
    #[schema(value_type = Option<String>, example = "8.57")]
    pub cost_per_claimer: Option<String>,
    /// Used within 24 h of the claim ÷ claimed, in percent (次日核销率).
    #[schema(value_type = Option<String>, example = "30.00")]
    pub next_day_use_rate: Option<String>,
    /// Median hours from claim to use (核销等待时长), one decimal.
    #[schema(value_type = Option<String>, example = "23.5")]
    pub median_hours_to_use: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MetricsAnswer {
    pub coupon_id: i64,
    #[schema(value_type = MetricsDoc)]
    pub metrics: domain::Metrics,
    /// The same figures per claim channel (issued is `null` there).
    #[schema(value_type = BTreeMap<String, MetricsDoc>)]
    pub by_channel: BTreeMap<domain::Channel, domain::Metrics>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CouponPage {
    pub coupons: Vec<CouponAnswer>,
    /// Pass as `before` for the next page; `null` on the last page.
    pub next_before: Option<i64>,
}

// The coupon (SPEC §7), as the body takes it and the answers give it.

#[derive(Debug, Serialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ScopeDoc {
    /// Every line of the order.
    Shop,
    /// One order line of the listed products.
    Items {
        #[schema(min_items = 1, inline)]
        skus: Vec<SkuText>,
    },
}

/// A SKU.
#[derive(Debug, Serialize, ToSchema)]
#[schema(pattern = r"^[^\s\x00-\x1f\x7f-\x9f]{1,64}$")]
pub struct SkuText(pub String);

#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TierDoc {
    #[schema(minimum = 1)]
    pub min_quantity: u32,
    /// What the customer pays, 10 (1折) to 99 (9.9折).
    #[schema(example = "90", pattern = r"^[1-9][0-9](\.[0-9]{1,2})?$")]
    pub percent: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum BenefitDoc {
    /// 满X减Y; threshold "0.00" is 立减.
    AmountOff {
        #[schema(example = "99.00", pattern = r"^(0|[1-9][0-9]{0,8})(\.[0-9]{1,2})?$")]
        threshold: String,
        #[schema(example = "10.00", pattern = r"^(0|[1-9][0-9]{0,8})(\.[0-9]{1,2})?$")]
        amount: String,
    },
    /// Pay `percent` (85 = 8.5折) on at least `min_quantity` units, at most
    /// `max_discount` off.
    PercentOff {
        #[schema(example = "85", pattern = r"^[1-9][0-9](\.[0-9]{1,2})?$")]
        percent: String,
        #[schema(minimum = 1)]
        min_quantity: Option<u32>,
        #[schema(pattern = r"^(0|[1-9][0-9]{0,8})(\.[0-9]{1,2})?$")]
        max_discount: Option<String>,
    },
    /// 多件多折: the deepest tier reached applies.
    TieredPercent {
        #[schema(min_items = 1, max_items = 10)]
        tiers: Vec<TierDoc>,
    },
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ValidityDoc {
    Fixed {
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    },
    /// `days` from the claim.
    Relative {
        #[schema(minimum = 1, maximum = 3650)]
        days: u32,
    },
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FollowerDoc {
    pub auto_grant: bool,
}

/// A reward coupon's settings (满返, SPEC §10).
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RewardDoc {
    /// What an order must pay to earn it.
    #[schema(
        example = "199.00",
        pattern = r"^((0|[1-9][0-9]{0,5})(\.[0-9]{1,2})?|1000000(\.0{1,2})?)$"
    )]
    pub min_paid: String,
    pub trigger: RewardTriggerWord,
    /// Only customers who are members when the order earns it.
    #[schema(nullable = false)]
    pub members_only: Option<bool>,
}

/// A share coupon's settings (分享N人领券, SPEC §10).
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShareDoc {
    /// Friends who must join a share before the sharer is granted the coupon.
    #[schema(minimum = 1, maximum = 100)]
    pub friends: u32,
    /// Only friends with no paid order count.
    #[schema(nullable = false)]
    pub new_customers_only: Option<bool>,
    /// A coupon of this shop each counted friend is granted.
    pub friend_coupon_id: Option<i64>,
}

/// A member coupon's settings (SPEC §10).
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberDoc {
    /// Granted once to each customer on first joining (入会有礼).
    pub join_gift: bool,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RepurchaseDoc {
    pub trigger: TriggerWord,
    #[schema(maximum = 3650)]
    pub days_after: u32,
    #[schema(nullable = false)]
    pub only_purchased_items: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged, deny_unknown_fields)]
pub enum PrivateDoc {
    /// One code shared by all it is handed to.
    Shared {
        #[schema(pattern = r"^[A-Za-z0-9_-]{4,32}$")]
        code: String,
    },
    /// A batch of one-time codes (at most 100,000 a batch).
    Unique {
        #[schema(minimum = 1, maximum = 100000)]
        unique_codes: u32,
    },
}

/// The coupon as staff design it.
#[derive(Debug, Serialize, ToSchema)]
pub struct CouponDoc {
    #[schema(min_length = 1, max_length = 60, pattern = r"\S")]
    pub name: String,
    pub kind: KindWord,
    pub scope: ScopeDoc,
    pub benefit: BenefitDoc,
    pub validity: ValidityDoc,
    pub claim_from: DateTime<Utc>,
    pub claim_until: DateTime<Utc>,
    /// `null`: unlimited.
    #[schema(minimum = 1)]
    pub quantity: Option<u32>,
    #[schema(minimum = 1)]
    pub per_customer_limit: Option<u32>,
    #[schema(minimum = 1)]
    pub per_customer_daily_limit: Option<u32>,
    #[schema(nullable = false)]
    pub audience: Option<AudienceWord>,
    /// Empty: every channel.
    #[schema(nullable = false)]
    pub channels: Option<Vec<ChannelWord>>,
    /// GB/T 2260 province codes; empty: everywhere.
    #[schema(nullable = false, inline)]
    pub regions: Option<Vec<RegionCode>>,
    #[schema(nullable = false)]
    pub follower: Option<FollowerDoc>,
    #[schema(nullable = false)]
    pub repurchase: Option<RepurchaseDoc>,
    #[schema(nullable = false)]
    pub private: Option<PrivateDoc>,
    #[schema(nullable = false)]
    pub member: Option<MemberDoc>,
    #[schema(nullable = false)]
    pub reward: Option<RewardDoc>,
    #[schema(nullable = false)]
    pub share: Option<ShareDoc>,
}

/// A province code of GB/T 2260 (two digits: 11 Beijing, 31 Shanghai, 44 Guangdong).
#[derive(Debug, Serialize, ToSchema)]
#[schema(pattern = r"^(1[1-5]|2[1-3]|3[1-7]|4[1-6]|5[0-4]|6[1-5]|71|8[12])$")]
pub struct RegionCode(pub String);

/// A coupon body: the design, and the status to create it in.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CouponBodyDoc {
    #[schema(min_length = 1, max_length = 60, pattern = r"\S")]
    pub name: String,
    pub kind: KindWord,
    pub scope: ScopeDoc,
    pub benefit: BenefitDoc,
    pub validity: ValidityDoc,
    pub claim_from: DateTime<Utc>,
    pub claim_until: DateTime<Utc>,
    /// `null`: unlimited.
    #[schema(minimum = 1)]
    pub quantity: Option<u32>,
    #[schema(minimum = 1)]
    pub per_customer_limit: Option<u32>,
    #[schema(minimum = 1)]
    pub per_customer_daily_limit: Option<u32>,
    #[schema(nullable = false)]
    pub audience: Option<AudienceWord>,
    #[schema(nullable = false)]
    pub channels: Option<Vec<ChannelWord>>,
    #[schema(nullable = false, inline)]
    pub regions: Option<Vec<RegionCode>>,
    #[schema(nullable = false)]
    pub follower: Option<FollowerDoc>,
    #[schema(nullable = false)]
    pub repurchase: Option<RepurchaseDoc>,
    #[schema(nullable = false)]
    pub private: Option<PrivateDoc>,
    #[schema(nullable = false)]
    pub member: Option<MemberDoc>,
    #[schema(nullable = false)]
    pub reward: Option<RewardDoc>,
    #[schema(nullable = false)]
    pub share: Option<ShareDoc>,
    /// draft (the default) or active.
    #[schema(nullable = false)]
    pub status: Option<StatusWord>,
}

/// A tag of a customer: 1 to 32 characters, no spaces, commas or colons.
#[derive(Debug, Serialize, ToSchema)]
#[schema(pattern = r"^[^\s\x00-\x1f\x7f-\x9f,:]{1,32}$")]
pub struct TagText(pub String);

/// A coupon as the API answers it: the body's fields, then its own.
#[derive(Debug, Serialize, ToSchema)]
pub struct CouponAnswer {
    #[serde(flatten)]
    #[schema(value_type = CouponDoc)]
    pub coupon: domain::CouponDraft,
    pub id: i64,
    #[schema(value_type = StatusWord)]
    pub status: domain::CouponStatus,
    pub claimed: u64,
    /// Claims redeemed on paid orders that still count.
    pub used: u64,
}

impl CouponAnswer {
    pub fn new(record: &store::coupons::CouponRecord, used: u64) -> CouponAnswer {
        CouponAnswer {
            coupon: record.coupon.to_draft(),
            id: record.id,
            status: record.status,
            claimed: record.claimed,
            used,
        }
    }
}

/// A change to a coupon: any fields §2 still allows once customers hold it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CouponPatchDoc {
    pub name: Option<String>,
    pub scope: Option<ScopeDoc>,
    pub benefit: Option<BenefitDoc>,
    pub validity: Option<ValidityDoc>,
    pub claim_from: Option<DateTime<Utc>>,
    pub claim_until: Option<DateTime<Utc>>,
    pub quantity: Option<u32>,
    pub per_customer_limit: Option<u32>,
    pub per_customer_daily_limit: Option<u32>,
    pub audience: Option<String>,
    pub channels: Option<Vec<String>>,
    pub regions: Option<Vec<String>>,
    pub follower: Option<FollowerDoc>,
    pub repurchase: Option<RepurchaseDoc>,
    pub private: Option<PrivateDoc>,
    pub member: Option<MemberDoc>,
    pub reward: Option<RewardDoc>,
    pub share: Option<ShareDoc>,
}

/// An answer as the JSON value the idempotent write path stores.
pub fn to_json(answer: &impl Serialize) -> serde_json::Value {
    serde_json::to_value(answer).expect("an answer serialises")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_words_are_the_rules_words() {
        let schema =
            serde_json::to_value(<ChannelWord as utoipa::PartialSchema>::schema()).unwrap();
        assert_eq!(
            schema["enum"],
            serde_json::json!([
                "live_room",
                "short_video",
                "shop_page",
                "fan_group",
                "sms",
                "customer_service",
                "private_message",
                "coupon_center"
            ])
        );
        assert_eq!(schema["description"], "Where a claim is made.");
        for code in 0..100u8 {
            assert_eq!(
                domain::Region::new(code).is_ok(),
                regex_lite_match(&format!("{code:02}")),
                "region {code:02}: the rules and the documented pattern agree"
            );
        }
    }

    /// The region pattern, by hand: two digits among GB/T 2260's provinces.
    fn regex_lite_match(text: &str) -> bool {
        let n: u32 = text.parse().unwrap_or(0);
        matches!(n, 11..=15 | 21..=23 | 31..=37 | 41..=46 | 50..=54 | 61..=65 | 71 | 81 | 82)
    }
}
