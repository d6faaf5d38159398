use super::*;
use crate::claim::ClaimSource;
use crate::coupon::CouponDraft;
use serde_json::json;

fn utc(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

fn coupon(patch: serde_json::Value) -> Coupon {
    let mut body = json!({"name": "满99减10", "kind": "shop",
     "scope": {"type": "shop"},
     "benefit": {"type": "amount_off", "threshold": "99.00", "amount": "10.00"},
     "validity": {"type": "relative", "days": 7},
     "claim_from": "2026-11-01T00:00:00+08:00", "claim_until": "2026-11-30T23:59:59+08:00",
     "quantity": 100, "per_customer_limit": 3, "per_customer_daily_limit": 1,
     "audience": "all", "channels": [], "regions": []});
    for (key, value) in patch.as_object().unwrap() {
        body[key] = value.clone();
    }
    serde_json::from_value::<CouponDraft>(body)
        .unwrap()
        .validate()
        .unwrap()
}

struct Case {
    coupon: Coupon,
    status: CouponStatus,
    customer: CustomerFacts,
    counts: ClaimCounts,
    channel: Channel,
    code: CodeCheck,
    source: ClaimSource,
    monthly_cap: Option<u32>,
    now: DateTime<Utc>,
}

impl Case {
    fn new(coupon: Coupon) -> Case {
        Case {
            coupon,
            status: CouponStatus::Active,
            customer: CustomerFacts::default(),
            counts: ClaimCounts::default(),
            channel: Channel::LiveRoom,
            code: CodeCheck::Missing,
            source: ClaimSource::Claim,
            monthly_cap: Some(5),
            now: utc("2026-11-15T04:00:00Z"),
        }
    }

    fn check(&self) -> Result<(), Refusal> {
        check_claim(&ClaimAttempt {
            coupon: &self.coupon,
            status: self.status,
            customer: &self.customer,
            counts: self.counts,
            channel: self.channel,
            code: self.code,
            source: self.source,
            monthly_cap: self.monthly_cap,
            now: self.now,
        })
    }
}

#[test]
fn an_ordinary_claim_is_allowed() {
    assert_eq!(Case::new(coupon(json!({}))).check(), Ok(()));
}

#[test]
fn every_reason_is_reachable() {
    let base = || Case::new(coupon(json!({})));
    let mut seen = Vec::new();
    let mut expect = |case: Case, reason: Refusal| {
        assert_eq!(case.check(), Err(reason));
        seen.push(reason);
    };

    let mut c = base();
    c.now = utc("2026-10-31T15:59:59Z");
    expect(c, Refusal::NotStarted);
    let mut c = base();
    c.status = CouponStatus::Draft;
    expect(c, Refusal::NotStarted);
    let mut c = base();
    c.now = utc("2026-11-30T16:00:00Z");
    expect(c, Refusal::Ended);
    let mut c = base();
    c.status = CouponStatus::Ended;
    expect(c, Refusal::Ended);
    let mut c = base();
    c.status = CouponStatus::Paused;
    expect(c, Refusal::Paused);
    let mut c = base();
    c.counts.coupon_total = 100;
    expect(c, Refusal::SoldOut);
    let mut c = base();
    c.counts.by_customer = 3;
    expect(c, Refusal::CustomerLimit);
    let mut c = base();
    c.counts.by_customer = 1;
    c.counts.by_customer_today = 1;
    expect(c, Refusal::DailyLimit);
    let mut c = base();
    c.counts.shop_by_customer_this_month = 5;
    expect(c, Refusal::MonthlyCap);
    let mut c = Case::new(coupon(
        json!({"kind": "new_customer", "audience": "new_customers"}),
    ));
    c.customer.paid_orders = 1;
    expect(c, Refusal::NotNewCustomer);
    let c = Case::new(coupon(json!({"audience": "returning_customers"})));
    expect(c, Refusal::NotReturningCustomer);
    let c = Case::new(coupon(json!({"audience": "followers"})));
    expect(c, Refusal::NotFollower);
    let c = Case::new(coupon(json!({"kind": "member", "audience": "members"})));
    expect(c, Refusal::NotMember);
    let mut member = Case::new(coupon(json!({"kind": "member", "audience": "members",
                                             "member": {"join_gift": true}})));
    member.customer.is_member = true;
    assert_eq!(member.check(), Ok(()), "a member may claim it");
    let c = Case::new(coupon(json!({"audience": "tag:VIP"})));
    expect(c, Refusal::NotInAudience);
    let c = Case::new(coupon(json!({"channels": ["fan_group"]})));
    expect(c, Refusal::ChannelNotAllowed);
    let c = Case::new(coupon(json!({"regions": ["31"]})));
    expect(c, Refusal::RegionNotAllowed);
    let c = Case::new(coupon(
        json!({"kind": "private", "private": {"code": "VIP2026"}}),
    ));
    expect(c, Refusal::InvalidCode);
    let mut c = Case::new(coupon(
        json!({"kind": "private", "private": {"unique_codes": 10}}),
    ));
    c.code = CodeCheck::Used;
    expect(c, Refusal::CodeUsed);
    let repurchase = || {
        coupon(json!({"kind": "repurchase",
                      "repurchase": {"trigger": "delivered", "days_after": 7, "only_purchased_items": false}}))
    };
    expect(Case::new(repurchase()), Refusal::GrantOnly);
    let mut granted = Case::new(repurchase());
    granted.source = ClaimSource::Repurchase;
    assert_eq!(granted.check(), Ok(()), "the grant itself is allowed");

    for reason in Refusal::ALL {
        assert!(seen.contains(&reason), "{reason:?} never produced");
    }
}

#[test]
fn the_matching_customer_passes_each_audience_and_filter() {
    let mut c = Case::new(coupon(
        json!({"audience": "tag:VIP", "channels": ["live_room"], "regions": ["44"]}),
    ));
    c.customer.tags = vec![Tag::parse("VIP").unwrap()];
    c.customer.region = Some(Region::new(44).unwrap());
    assert_eq!(c.check(), Ok(()));
    let mut c = Case::new(coupon(json!({"audience": "followers"})));
    c.customer.is_follower = true;
    assert_eq!(c.check(), Ok(()));
    let mut c = Case::new(coupon(json!({"audience": "returning_customers"})));
    c.customer.paid_orders = 2;
    assert_eq!(c.check(), Ok(()));
    let mut c = Case::new(coupon(
        json!({"kind": "private", "private": {"code": "VIP2026"}}),
    ));
    c.code = CodeCheck::Valid;
    assert_eq!(c.check(), Ok(()));
    let mut c = Case::new(coupon(
        json!({"quantity": null, "per_customer_limit": null, "per_customer_daily_limit": null}),
    ));
    c.monthly_cap = None;
    c.counts = ClaimCounts {
        coupon_total: 1_000_000,
        by_customer: 50,
        by_customer_today: 50,
        shop_by_customer_this_month: 50,
    };
    assert_eq!(c.check(), Ok(()), "unlimited means unlimited");
}

#[test]
fn the_first_failing_rule_is_the_one_named() {
    // Paused, sold out, over the limit and in the wrong channel: paused comes first.
    let mut c = Case::new(coupon(json!({"channels": ["sms"]})));
    c.status = CouponStatus::Paused;
    c.counts.coupon_total = 100;
    c.counts.by_customer = 3;
    assert_eq!(c.check(), Err(Refusal::Paused));
    c.status = CouponStatus::Active;
    assert_eq!(c.check(), Err(Refusal::SoldOut));
    c.counts.coupon_total = 0;
    assert_eq!(c.check(), Err(Refusal::CustomerLimit));
    c.counts.by_customer = 0;
    assert_eq!(c.check(), Err(Refusal::ChannelNotAllowed));
}

#[test]
fn daily_limit_resets_at_shanghai_midnight_not_utc_midnight() {
    let tz = chrono_tz::Asia::Shanghai;
    let coupon = coupon(json!({}));
    // Claimed at 23:50 local (15:50 UTC).
    let earlier = [utc("2026-11-15T15:50:00Z")];
    let at = |now: &str| {
        let now = utc(now);
        let mut c = Case::new(coupon.clone());
        c.now = now;
        c.counts = ClaimCounts::from_history(1, &earlier, &earlier, now, tz);
        c.check()
    };
    // 23:59:59 local: same day.
    assert_eq!(at("2026-11-15T15:59:59Z"), Err(Refusal::DailyLimit));
    // 00:00 local: a new day, though UTC is still on the 15th.
    assert_eq!(at("2026-11-15T16:00:00Z"), Ok(()));
    // UTC midnight changes nothing locally (08:00 on the 16th, still the new day).
    assert_eq!(at("2026-11-16T00:00:00Z"), Ok(()));
}

#[test]
fn daily_limit_in_a_daylight_saving_zone() {
    let tz = chrono_tz::America::New_York;
    let coupon = coupon(json!({
        "claim_from": "2026-10-01T00:00:00Z", "claim_until": "2026-11-30T00:00:00Z"
    }));
    // 2026-11-01 is 25 hours long in New York (clocks fall back at 02:00 EDT → 01:00 EST).
    // Claimed at 00:30 EDT on 11-01 (04:30 UTC).
    let earlier = [utc("2026-11-01T04:30:00Z")];
    let at = |now: &str| {
        let now = utc(now);
        let mut c = Case::new(coupon.clone());
        c.now = now;
        c.counts = ClaimCounts::from_history(1, &earlier, &earlier, now, tz);
        c.check()
    };
    // 23:59 EST on 11-01 is 04:59 UTC on 11-02: 24.5 hours later, still the same local day.
    assert_eq!(at("2026-11-02T04:59:00Z"), Err(Refusal::DailyLimit));
    // 00:00 EST on 11-02 (05:00 UTC): the next day.
    assert_eq!(at("2026-11-02T05:00:00Z"), Ok(()));
}

#[test]
fn monthly_cap_counts_the_local_month() {
    let tz = chrono_tz::Asia::Shanghai;
    let coupon = coupon(json!({
        "claim_from": "2026-11-01T00:00:00+08:00", "claim_until": "2026-12-31T00:00:00+08:00",
        "per_customer_limit": null, "per_customer_daily_limit": null
    }));
    // Five claims of other coupons on 2026-11-30 local, the last at 23:00 local.
    let shop_claims: Vec<_> = (0..5)
        .map(|h| utc(&format!("2026-11-30T{:02}:00:00Z", 11 + h)))
        .collect();
    let at = |now: &str| {
        let now = utc(now);
        let mut c = Case::new(coupon.clone());
        c.now = now;
        c.counts = ClaimCounts::from_history(5, &[], &shop_claims, now, tz);
        c.check()
    };
    assert_eq!(at("2026-11-30T15:59:00Z"), Err(Refusal::MonthlyCap));
    assert_eq!(at("2026-11-30T16:00:00Z"), Ok(()), "December 1st local");
}

#[test]
fn reason_codes_match_the_spec() {
    let codes: Vec<_> = Refusal::ALL.iter().map(|r| r.code()).collect();
    assert_eq!(
        codes,
        [
            "not_started",
            "ended",
            "paused",
            "sold_out",
            "customer_limit",
            "daily_limit",
            "monthly_cap",
            "not_new_customer",
            "not_returning_customer",
            "not_follower",
            "not_member",
            "not_in_audience",
            "channel_not_allowed",
            "region_not_allowed",
            "invalid_code",
            "code_used",
            "grant_only"
        ]
    );
    for reason in Refusal::ALL {
        assert_eq!(serde_json::to_value(reason).unwrap(), reason.code());
    }
}
