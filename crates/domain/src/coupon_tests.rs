use super::*;
use serde_json::json;

/// The coupon body of SPEC §7, verbatim.
fn spec_body() -> serde_json::Value {
    json!({"name": "满99减10", "kind": "shop",
     "scope": {"type": "shop"},
     "benefit": {"type": "amount_off", "threshold": "99.00", "amount": "10.00"},
     "validity": {"type": "fixed", "from": "2026-11-01T00:00:00+08:00", "until": "2026-11-30T23:59:59+08:00"},
     "claim_from": "2026-11-01T00:00:00+08:00", "claim_until": "2026-11-30T23:59:59+08:00",
     "quantity": 1000, "per_customer_limit": 1, "per_customer_daily_limit": null,
     "audience": "all", "channels": [], "regions": []})
}

fn draft(patch: serde_json::Value) -> CouponDraft {
    let mut body = spec_body();
    for (key, value) in patch.as_object().unwrap() {
        if value.is_null() {
            body.as_object_mut().unwrap().remove(key);
        } else {
            body[key] = value.clone();
        }
    }
    serde_json::from_value(body).expect("draft parses")
}

fn field_errors(draft: CouponDraft) -> Vec<String> {
    draft
        .validate()
        .expect_err("should be invalid")
        .iter()
        .map(|e| e.field.clone())
        .collect()
}

#[test]
fn the_spec_body_is_a_valid_coupon() {
    let coupon = draft(json!({})).validate().unwrap();
    assert_eq!(coupon.kind(), CouponKind::Shop);
    assert_eq!(coupon.limits().quantity, Some(1000));
    assert_eq!(coupon.benefit().describe_zh(), "满99减10");
    // Serialises back to the same shape (times in UTC) and parses again.
    let value = serde_json::to_value(&coupon).unwrap();
    assert_eq!(value["benefit"]["threshold"], "99.00");
    assert_eq!(value["claim_from"], "2026-10-31T16:00:00Z");
    let again: Coupon = serde_json::from_value(value).unwrap();
    assert_eq!(again, coupon);
}

#[test]
fn each_invalid_field_is_named() {
    let cases = [
        (
            json!({"benefit": {"type": "amount_off", "threshold": "10.00", "amount": "10.00"}}),
            "benefit.amount",
        ),
        (json!({"name": "  "}), "name"),
        (
            json!({"validity": {"type": "fixed", "from": "2026-12-31T00:00:00Z", "until": "2026-12-01T00:00:00Z"}}),
            "validity.until",
        ),
        (
            json!({"validity": {"type": "relative", "days": 0}}),
            "validity.days",
        ),
        (
            json!({"claim_until": "2026-10-01T00:00:00Z"}),
            "claim_until",
        ),
        (
            json!({"scope": {"type": "items", "skus": []}}),
            "scope.skus",
        ),
        (json!({"quantity": 0}), "quantity"),
        (json!({"per_customer_limit": 0}), "per_customer_limit"),
        (
            json!({"per_customer_limit": 1, "per_customer_daily_limit": 2}),
            "per_customer_daily_limit",
        ),
        (json!({"kind": "new_customer"}), "audience"),
        (
            json!({"kind": "follower", "audience": "followers"}),
            "follower",
        ),
        (json!({"follower": {"auto_grant": true}}), "follower"),
        (
            json!({"kind": "repurchase", "repurchase": {"trigger": "delivered", "days_after": 0}}),
            "repurchase.days_after",
        ),
        (json!({"kind": "private"}), "private"),
        (
            json!({"kind": "private", "private": {"unique_codes": 0}}),
            "private.unique_codes",
        ),
        (
            json!({"benefit": {"type": "percent_off", "percent": "85", "min_quantity": 0}}),
            "benefit.min_quantity",
        ),
    ];
    for (patch, field) in cases {
        let fields = field_errors(draft(patch.clone()));
        assert_eq!(fields, vec![field.to_string()], "patch {patch}");
    }
}

#[test]
fn claim_window_may_not_outlast_fixed_validity() {
    let fields = field_errors(draft(json!({"claim_until": "2026-12-31T00:00:00Z"})));
    assert_eq!(fields, ["claim_until"]);
}

#[test]
fn all_errors_are_reported_together() {
    let fields = field_errors(draft(
        json!({"name": "", "quantity": 0, "scope": {"type": "items", "skus": []}}),
    ));
    assert_eq!(fields, ["name", "scope.skus", "quantity"]);
}

#[test]
fn bad_leaf_values_are_refused_while_parsing() {
    for (patch, needle) in [
        (json!({"channels": ["tv"]}), "unknown variant `tv`"),
        (json!({"regions": ["99"]}), "province"),
        (json!({"kind": "lottery"}), "unknown variant"),
        (
            json!({"benefit": {"type": "percent_off", "percent": "100"}}),
            "from 10 (1折) to 99 (9.9折)",
        ),
        (
            json!({"benefit": {"type": "percent_off", "percent": "0.5"}}),
            "from 10 (1折) to 99 (9.9折)",
        ),
        (
            json!({"benefit": {"type": "amount_off", "threshold": "99.00", "amount": "-1.00"}}),
            "negative",
        ),
        (
            json!({"benefit": {"type": "amount_off", "threshold": "99.001", "amount": "1.00"}}),
            "two decimals",
        ),
        (json!({"discount": 1}), "unknown field"),
    ] {
        let mut body = spec_body();
        for (key, value) in patch.as_object().unwrap() {
            body[key] = value.clone();
        }
        let error = serde_json::from_value::<CouponDraft>(body).unwrap_err();
        assert!(error.to_string().contains(needle), "{patch}: {error}");
    }
}

#[test]
fn kind_blocks_round_trip() {
    let follower = draft(
        json!({"kind": "follower", "audience": "followers", "follower": {"auto_grant": true}}),
    )
    .validate()
    .unwrap();
    assert_eq!(
        follower.rules(),
        &KindRules::Follower(FollowerRules { auto_grant: true })
    );
    let private = draft(json!({"kind": "private", "private": {"code": "vip2026"}}))
        .validate()
        .unwrap();
    let value = serde_json::to_value(&private).unwrap();
    assert_eq!(value["private"], json!({"code": "VIP2026"}));
    let batch = draft(json!({"kind": "private", "private": {"unique_codes": 500}}))
        .validate()
        .unwrap();
    assert_eq!(
        batch.rules(),
        &KindRules::Private(PrivateCodes::Unique { unique_codes: 500 })
    );
    assert!(
        serde_json::to_value(&batch)
            .unwrap()
            .get("follower")
            .is_none()
    );
}

#[test]
fn a_relative_claim_lasts_its_days_whenever_the_claim_window_closes() {
    let coupon = draft(json!({"validity": {"type": "relative", "days": 7}}))
        .validate()
        .unwrap();
    let early: DateTime<Utc> = "2026-11-02T00:00:00Z".parse().unwrap();
    assert_eq!(
        coupon.claim_validity(early),
        (early, "2026-11-09T00:00:00Z".parse().unwrap())
    );
    // A minute before the claim window closes: still seven days, not a minute.
    let last_minute = coupon.claim_until() - chrono::Duration::minutes(1);
    assert_eq!(
        coupon.claim_validity(last_minute).1,
        last_minute + chrono::Duration::days(7)
    );
}

#[test]
fn lifecycle_transitions() {
    use CouponStatus::*;
    use LifecycleAction::*;
    assert_eq!(Draft.apply(Activate), Ok(Active));
    assert_eq!(Active.apply(Pause), Ok(Paused));
    assert_eq!(Paused.apply(Resume), Ok(Active));
    assert_eq!(Paused.apply(End), Ok(Ended));
    assert_eq!(Active.apply(End), Ok(Ended));
    let refused = Ended.apply(Resume).unwrap_err();
    assert_eq!(refused.to_string(), "cannot resume a coupon that is ended");
    assert!(Active.apply(Activate).is_err());
    assert!(Draft.apply(Pause).is_err());
    assert!(Paused.apply(Pause).is_err());
    assert_eq!(Ended.actions(), vec![]);
    assert_eq!(Active.actions(), vec![Pause, End]);
}

#[test]
fn held_coupons_are_frozen_except_quantity_up_and_end_later() {
    let original = draft(json!({})).validate().unwrap();
    let edit = |patch| draft(patch).validate().unwrap();

    // Without claims anything goes.
    let cheaper =
        edit(json!({"benefit": {"type": "amount_off", "threshold": "99.00", "amount": "5.00"}}));
    assert!(original.check_edit(&cheaper, false).is_ok());

    let refused = original.check_edit(&cheaper, true).unwrap_err();
    assert_eq!(refused.first().field, "benefit");
    let fields = |patch| {
        original
            .check_edit(&edit(patch), true)
            .err()
            .map(|e| e.iter().map(|f| f.field.clone()).collect::<Vec<_>>())
    };
    assert_eq!(
        fields(json!({"scope": {"type": "items", "skus": ["A1"]}})),
        Some(vec!["scope".into()])
    );
    assert_eq!(
        fields(json!({"audience": "followers"})),
        Some(vec!["audience".into()])
    );
    assert_eq!(
        fields(json!({"quantity": 999})),
        Some(vec!["quantity".into()])
    );
    assert_eq!(
        fields(json!({"claim_until": "2026-11-20T00:00:00Z"})),
        Some(vec!["claim_until".into()])
    );

    // Allowed: more quantity (or unlimited), a later end, a new name, pausing.
    assert_eq!(fields(json!({"quantity": 5000})), None);
    assert_eq!(fields(json!({"quantity": null})), None);
    assert_eq!(fields(json!({"name": "双十二满99减10"})), None);
    assert_eq!(
        fields(json!({
            "validity": {"type": "fixed", "from": "2026-11-01T00:00:00+08:00", "until": "2026-12-31T23:59:59+08:00"},
            "claim_until": "2026-12-31T23:59:59+08:00"
        })),
        None
    );
}

#[test]
fn a_copy_keeps_the_design_renamed_and_never_shares_a_code() {
    let coupon = draft(json!({})).validate().unwrap();
    let copy = coupon.copy(" (副本)").unwrap();
    assert_eq!(copy.name(), "满99减10 (副本)");
    assert_eq!(copy.benefit(), coupon.benefit());
    assert_eq!(copy.limits(), coupon.limits());
    // A long name is shortened so the suffix fits.
    let long = draft(json!({"name": "券".repeat(MAX_NAME_CHARS)}))
        .validate()
        .unwrap();
    let copy = long.copy(" (副本)").unwrap();
    assert_eq!(copy.name().chars().count(), MAX_NAME_CHARS);
    assert!(copy.name().ends_with(" (副本)"));
    // A shared code opens one coupon: the copy gets one-time codes.
    let shared = draft(json!({"kind": "private", "private": {"code": "vip2026"}}))
        .validate()
        .unwrap();
    assert_eq!(
        shared.copy(" (copy)").unwrap().to_draft().private,
        Some(PrivateCodes::Unique { unique_codes: 1 })
    );
}

#[test]
fn the_worst_case_is_stated_in_money() {
    use crate::coupon::Exposure;
    let amount = draft(json!({})).validate().unwrap();
    assert_eq!(
        amount.exposure(),
        Exposure::Bounded {
            per_order: Money::yuan(10),
            total: Some((1000, Money::yuan(10_000)))
        }
    );
    let mut draft = amount.to_draft();
    draft.quantity = None;
    assert_eq!(
        draft.clone().validate().unwrap().exposure(),
        Exposure::Bounded {
            per_order: Money::yuan(10),
            total: None
        }
    );
    draft.benefit = crate::BenefitSpec::PercentOff {
        percent: crate::Percent::parse("85").unwrap(),
        min_quantity: 1,
        max_discount: None,
    };
    assert_eq!(
        draft.validate().unwrap().exposure(),
        Exposure::ShareOfOrder(rust_decimal::Decimal::from(15))
    );
}

#[test]
fn a_reward_is_earned_by_paying_enough_and_membership_when_asked() {
    use crate::coupon::RewardRules;
    let rules = RewardRules {
        min_paid: Money::yuan(199),
        trigger: crate::vocab::RewardTrigger::Paid,
        members_only: false,
    };
    assert!(rules.earned_by(Money::yuan(199), false));
    assert!(!rules.earned_by("198.99".parse().unwrap(), true));
    let members = RewardRules {
        members_only: true,
        ..rules
    };
    assert!(!members.earned_by(Money::yuan(300), false));
    assert!(members.earned_by(Money::yuan(300), true));
}

#[test]
fn a_friend_counts_unless_they_are_the_sharer_share_a_phone_or_bought_before() {
    use crate::coupon::{NotCounted, ShareRules};
    let rules = ShareRules {
        friends: 3,
        new_customers_only: true,
        friend_coupon_id: None,
    };
    let sharer = (1, Some("138-0013-5678"));
    assert_eq!(rules.counts(sharer, (2, Some("13900021234")), 0), Ok(()));
    assert_eq!(rules.counts(sharer, (2, None), 0), Ok(()));
    assert_eq!(rules.counts(sharer, sharer, 0), Err(NotCounted::Sharer));
    assert_eq!(
        rules.counts(sharer, (2, Some("13800135678")), 0),
        Err(NotCounted::SamePhone),
        "the same number, written differently"
    );
    assert_eq!(
        rules.counts(sharer, (2, None), 1),
        Err(NotCounted::NotNewCustomer)
    );
    let anyone = ShareRules {
        new_customers_only: false,
        ..rules
    };
    assert_eq!(anyone.counts(sharer, (2, None), 4), Ok(()));
    assert_eq!(
        anyone.counts((1, Some("")), (2, Some("")), 0),
        Ok(()),
        "empty phones are no match"
    );
}
