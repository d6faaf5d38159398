//! The coupon form: its field names are the validation paths of SPEC §7's body
//! (`benefit.amount`, `validity.days`, `scope.skus` …), so every error — from
//! reading a field or from the domain's rules — lands next to its field.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDateTime, Timelike, Utc};
use chrono_tz::Tz;
use domain::Reason;
use domain::benefit::{BenefitSpec, Tier};
use domain::error::Collector;
use domain::{
    Audience, Channel, CouponDraft, CouponKind, FollowerRules, Money, Percent, PrivateCode,
    PrivateCodes, Region, RepurchaseRules, Scope, Sku, Validity,
};

/// What the browser sent, as name → values (checkboxes repeat a name).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(from = "Vec<(String, String)>")]
pub struct FormValues(Vec<(String, String)>);

impl From<Vec<(String, String)>> for FormValues {
    fn from(pairs: Vec<(String, String)>) -> FormValues {
        FormValues(pairs)
    }
}

impl super::session::CarriesCsrf for FormValues {
    fn csrf(&self) -> &str {
        self.get("_csrf")
    }
}

impl FormValues {
    pub fn new(pairs: Vec<(String, String)>) -> FormValues {
        FormValues(pairs)
    }

    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .unwrap_or("")
    }

    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    pub fn has(&self, name: &str, value: &str) -> bool {
        self.0.iter().any(|(k, v)| k == name && v == value)
    }

    pub fn into_pairs(self) -> Vec<(String, String)> {
        self.0
    }

    pub fn set(&mut self, name: &str, value: String) {
        self.0.retain(|(k, _)| k != name);
        self.0.push((name.to_owned(), value));
    }
}

/// Field name → the reason it is wrong.
pub type FieldErrors = HashMap<String, Reason>;

/// `datetime-local` in the shop's zone ("2026-11-23T16:00", with seconds when
/// the time has them: "2026-11-30T23:59:59").
pub fn local_input(at: DateTime<Utc>, tz: Tz) -> String {
    let local = at.with_timezone(&tz);
    if local.second() == 0 {
        local.format("%Y-%m-%dT%H:%M").to_string()
    } else {
        local.format("%Y-%m-%dT%H:%M:%S").to_string()
    }
}

/// A stored time as the form shows it: the input, and beside it (`NAME.was`) the
/// exact stored value, so that a time saved unchanged stays exactly what it was
/// (to the nanosecond), whatever the input can show.
fn time_inputs(name: &str, at: DateTime<Utc>, tz: Tz) -> [(String, String); 2] {
    [
        (name.to_owned(), local_input(at, tz)),
        (format!("{name}.was"), at.to_rfc3339()),
    ]
}

/// A time field: the stored value if the input still shows it, else what was typed.
fn time_field(form: &FormValues, name: &str, tz: Tz) -> Result<DateTime<Utc>, Reason> {
    let typed = form.get(name);
    let was = DateTime::parse_from_rfc3339(form.get(&format!("{name}.was")))
        .map(|t| t.with_timezone(&Utc));
    match was {
        Ok(was) if local_input(was, tz) == typed => Ok(was),
        _ => parse_local(typed, tz),
    }
}

fn parse_local(text: &str, tz: Tz) -> Result<DateTime<Utc>, Reason> {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S"))
        .map(|local| domain::calendar::local_to_utc(local, tz))
        .map_err(|_| Reason::DateTime)
}

fn optional_count(text: &str) -> Result<Option<u32>, Reason> {
    if text.is_empty() {
        Ok(None)
    } else {
        text.parse()
            .map(Some)
            .map_err(|_| Reason::WholeNumberOrEmpty)
    }
}

fn count(text: &str) -> Result<u32, Reason> {
    text.parse().map_err(|_| Reason::WholeNumber)
}

/// A percent discount deeper than 5折 not yet confirmed: the field to show the
/// confirmation at and what to confirm (the largest discount one order gets).
/// `None` when there is nothing to confirm.
pub fn unconfirmed_deep_discount(
    form: &FormValues,
    coupon: &domain::Coupon,
) -> Option<(String, Reason)> {
    if form.get("benefit.confirm_deep") == "1" {
        return None;
    }
    let deep = coupon.benefit().deep_discount()?;
    Some(("benefit.confirm_deep".to_owned(), Reason::Unconfirmed(deep)))
}

/// Reads the form into a coupon draft and checks it; errors by field name.
pub fn read_coupon(form: &FormValues, tz: Tz) -> Result<domain::Coupon, FieldErrors> {
    let mut errors = Collector::new();
    let kind = errors.check("kind", form.get("kind").parse::<CouponKind>());
    let money =
        |errors: &mut Collector, name: &str| errors.check(name, Money::parse(form.get(name)));

    let benefit = match form.get("benefit.type") {
        "percent_off" => {
            // Typed in 折 (8.5), stored as the percent paid (85).
            let percent = errors.check(
                "benefit.percent",
                Percent::from_zhe(form.get("benefit.percent")).map_err(|_| Reason::Zhe),
            );
            let min_quantity = match form.get("benefit.min_quantity") {
                "" => Some(1),
                text => errors.check("benefit.min_quantity", count(text)),
            };
            let max_discount = match form.get("benefit.max_discount") {
                "" => Some(None),
                text => errors
                    .check("benefit.max_discount", Money::parse(text))
                    .map(Some),
            };
            match (percent, min_quantity, max_discount) {
                (Some(percent), Some(min_quantity), Some(max_discount)) => {
                    Some(BenefitSpec::PercentOff {
                        percent,
                        min_quantity,
                        max_discount,
                    })
                }
                _ => None,
            }
        }
        "tiered_percent" => {
            // "2:9, 3:8" — units and 折.
            let mut tiers = Vec::new();
            let mut ok = true;
            for part in form
                .get("benefit.tiers")
                .split([',', '，'])
                .map(str::trim)
                .filter(|p| !p.is_empty())
            {
                let parsed = part.split_once([':', '：']).and_then(|(q, p)| {
                    Some(Tier {
                        min_quantity: q.trim().parse().ok()?,
                        percent: Percent::from_zhe(p.trim()).ok()?,
                    })
                });
                match parsed {
                    Some(tier) => tiers.push(tier),
                    None => ok = false,
                }
            }
            if !ok {
                errors.push("benefit.tiers", Reason::TierText);
                None
            } else {
                Some(BenefitSpec::TieredPercent { tiers })
            }
        }
        _ => {
            let threshold = match form.get("benefit.threshold") {
                "" => Some(Money::ZERO),
                _ => money(&mut errors, "benefit.threshold"),
            };
            let amount = money(&mut errors, "benefit.amount");
            match (threshold, amount) {
                (Some(threshold), Some(amount)) => {
                    Some(BenefitSpec::AmountOff { threshold, amount })
                }
                _ => None,
            }
        }
    };

    let scope = if form.get("scope.type") == "items" {
        let skus: Vec<Sku> = form
            .all("scope.skus")
            .iter()
            // Ticked boxes, or SKUs typed in one field (the picker without JavaScript).
            .flat_map(|value| value.split([',', '，', ' ']))
            .filter_map(|s| Sku::parse(s).ok())
            .collect();
        Scope::Items { skus }
    } else {
        Scope::Shop
    };

    let validity = if form.get("validity.type") == "fixed" {
        let from = errors.check("validity.from", time_field(form, "validity.from", tz));
        let until = errors.check("validity.until", time_field(form, "validity.until", tz));
        from.zip(until)
            .map(|(from, until)| Validity::Fixed { from, until })
    } else {
        errors
            .check("validity.days", count(form.get("validity.days")))
            .map(|days| Validity::Relative { days })
    };
    let claim_from = errors.check("claim_from", time_field(form, "claim_from", tz));
    let claim_until = errors.check("claim_until", time_field(form, "claim_until", tz));
    let quantity = errors.check("quantity", optional_count(form.get("quantity")));
    let per_customer = errors.check(
        "per_customer_limit",
        optional_count(form.get("per_customer_limit")),
    );
    let per_day = errors.check(
        "per_customer_daily_limit",
        optional_count(form.get("per_customer_daily_limit")),
    );

    // New-customer, follower and member coupons are for exactly those
    // customers: the kind decides, whatever the audience field says (SPEC §2).
    let audience = match (kind, form.get("audience")) {
        (Some(CouponKind::NewCustomer), _) => Some(Audience::NewCustomers),
        (Some(CouponKind::Follower), _) => Some(Audience::Followers),
        (Some(CouponKind::Member), _) => Some(Audience::Members),
        (_, "tag") => errors.check(
            "audience.tag",
            format!("tag:{}", form.get("audience.tag")).parse::<Audience>(),
        ),
        (_, other) => errors.check("audience", other.parse::<Audience>()),
    };
    let channels: Vec<Channel> = form
        .all("channels")
        .iter()
        .filter_map(|c| c.parse().ok())
        .collect();
    let mut regions = Vec::new();
    for code in region_codes(form) {
        match code.parse::<Region>() {
            Ok(region) => regions.push(region),
            Err(_) => errors.push("regions", Reason::RegionCode(code.to_owned())),
        }
    }

    let (mut follower, mut repurchase, mut private, mut member) = (None, None, None, None);
    let (mut reward, mut share) = (None, None);
    match kind {
        Some(CouponKind::Share) => {
            let friends = errors.check("share.friends", count(form.get("share.friends")));
            let friend_coupon_id = match form.get("share.friend_coupon_id").trim() {
                "" => Some(None),
                id => errors
                    .check("share.friend_coupon_id", count(id))
                    .map(|id| Some(i64::from(id))),
            };
            if let (Some(friends), Some(friend_coupon_id)) = (friends, friend_coupon_id) {
                share = Some(domain::coupon::ShareRules {
                    friends,
                    new_customers_only: form.has("share.new_customers_only", "on"),
                    friend_coupon_id,
                });
            }
        }
        Some(CouponKind::Reward) => {
            let min_paid =
                errors.check("reward.min_paid", Money::parse(form.get("reward.min_paid")));
            let trigger = errors.check("reward.trigger", form.get("reward.trigger").parse());
            if let (Some(min_paid), Some(trigger)) = (min_paid, trigger) {
                reward = Some(domain::coupon::RewardRules {
                    min_paid,
                    trigger,
                    members_only: form.has("reward.members_only", "on"),
                });
            }
        }
        Some(CouponKind::Member) => {
            member = Some(domain::coupon::MemberRules {
                join_gift: form.has("member.join_gift", "on"),
            });
        }
        Some(CouponKind::Follower) => {
            follower = Some(FollowerRules {
                auto_grant: form.has("follower.auto_grant", "on"),
            });
        }
        Some(CouponKind::Repurchase) => {
            let trigger =
                errors.check("repurchase.trigger", form.get("repurchase.trigger").parse());
            let days = errors.check(
                "repurchase.days_after",
                count(form.get("repurchase.days_after")),
            );
            if let (Some(trigger), Some(days_after)) = (trigger, days) {
                repurchase = Some(RepurchaseRules {
                    trigger,
                    days_after,
                    only_purchased_items: form.has("repurchase.only_purchased_items", "on"),
                });
            }
        }
        Some(CouponKind::Private) => {
            private = if form.get("private.mode") == "unique" {
                errors
                    .check(
                        "private.unique_codes",
                        count(form.get("private.unique_codes")),
                    )
                    .map(|unique_codes| PrivateCodes::Unique { unique_codes })
            } else {
                errors
                    .check("private.code", PrivateCode::parse(form.get("private.code")))
                    .map(|code| PrivateCodes::Shared { code })
            };
        }
        _ => {}
    }

    let read = (|| {
        Some(CouponDraft {
            name: form.get("name").to_owned(),
            kind: kind?,
            scope,
            benefit: benefit?,
            validity: validity?,
            claim_from: claim_from?,
            claim_until: claim_until?,
            quantity: quantity?,
            per_customer_limit: per_customer?,
            per_customer_daily_limit: per_day?,
            audience: audience?,
            channels,
            regions,
            follower,
            repurchase,
            private,
            member,
            reward,
            share,
        })
    })();
    let collected: FieldErrors = match errors.finish(|| ()) {
        Ok(()) => FieldErrors::new(),
        Err(found) => found
            .iter()
            .map(|e| (e.field.clone(), e.reason.clone()))
            .collect(),
    };
    match read {
        Some(draft) if collected.is_empty() => draft.validate().map_err(|found| {
            found
                .iter()
                .map(|e| (field_of(&e.field), e.reason.clone()))
                .collect()
        }),
        _ => Err(collected),
    }
}

/// The province codes chosen: ticked boxes, each also read as a typed list
/// ("31, 44") as the API's shape would have it.
pub fn region_codes(form: &FormValues) -> Vec<&str> {
    form.all("regions")
        .into_iter()
        .flat_map(|value| value.split([',', '，', ' ']))
        .filter(|code| !code.is_empty())
        .collect()
}

/// The form field a domain error belongs to (`benefit.tiers[1].percent` →
/// `benefit.tiers`; a frozen `benefit` → its amount field).
pub fn field_of(path: &str) -> String {
    match path.find('[') {
        Some(at) => path[..at].to_owned(),
        None => match path {
            "follower" => "follower.auto_grant".into(),
            "repurchase" => "repurchase.days_after".into(),
            "private" => "private.code".into(),
            "benefit" => "benefit.amount".into(),
            "scope" => "scope.skus".into(),
            "validity" => "validity.days".into(),
            other => other.to_owned(),
        },
    }
}

/// The form filled in with a coupon, for editing it.
pub fn from_coupon(coupon: &domain::Coupon, tz: Tz) -> FormValues {
    let mut form = FormValues::default();
    let mut set = |name: &str, value: String| form.0.push((name.to_owned(), value));
    set("name", coupon.name().to_owned());
    set("kind", coupon.kind().as_str().to_owned());
    match coupon.benefit().spec() {
        BenefitSpec::AmountOff { threshold, amount } => {
            set("benefit.type", "amount_off".into());
            set("benefit.threshold", threshold.to_string());
            set("benefit.amount", amount.to_string());
        }
        BenefitSpec::PercentOff {
            percent,
            min_quantity,
            max_discount,
        } => {
            set("benefit.type", "percent_off".into());
            set("benefit.percent", percent.as_zhe().to_string());
            set("benefit.min_quantity", min_quantity.to_string());
            set(
                "benefit.max_discount",
                max_discount.map(|m| m.to_string()).unwrap_or_default(),
            );
        }
        BenefitSpec::TieredPercent { tiers } => {
            set("benefit.type", "tiered_percent".into());
            set(
                "benefit.tiers",
                tiers
                    .iter()
                    .map(|t| format!("{}:{}", t.min_quantity, t.percent.as_zhe()))
                    .collect::<Vec<_>>()
                    .join(", "),
            );
        }
    }
    match coupon.scope() {
        Scope::Shop => set("scope.type", "shop".into()),
        Scope::Items { skus } => {
            set("scope.type", "items".into());
            for sku in skus {
                set("scope.skus", sku.to_string());
            }
        }
    }
    match coupon.validity() {
        Validity::Relative { days } => {
            set("validity.type", "relative".into());
            set("validity.days", days.to_string());
        }
        Validity::Fixed { from, until } => {
            set("validity.type", "fixed".into());
            for (name, value) in time_inputs("validity.from", from, tz)
                .into_iter()
                .chain(time_inputs("validity.until", until, tz))
            {
                set(&name, value);
            }
        }
    }
    for (name, value) in time_inputs("claim_from", coupon.claim_from(), tz)
        .into_iter()
        .chain(time_inputs("claim_until", coupon.claim_until(), tz))
    {
        set(&name, value);
    }
    let limits = coupon.limits();
    let text = |n: Option<u32>| n.map(|n| n.to_string()).unwrap_or_default();
    set("quantity", text(limits.quantity));
    set("per_customer_limit", text(limits.per_customer));
    set("per_customer_daily_limit", text(limits.per_customer_daily));
    match coupon.audience() {
        Audience::Tag(tag) => {
            set("audience", "tag".into());
            set("audience.tag", tag.to_string());
        }
        other => set("audience", other.to_string()),
    }
    for channel in coupon.channels() {
        set("channels", channel.as_str().to_owned());
    }
    set(
        "regions",
        coupon
            .regions()
            .iter()
            .map(|r| r.to_string())
            .collect::<Vec<_>>()
            .join(", "),
    );
    match coupon.rules() {
        domain::KindRules::Follower(rules) if rules.auto_grant => {
            set("follower.auto_grant", "on".into())
        }
        domain::KindRules::Repurchase(rules) => {
            set("repurchase.trigger", rules.trigger.as_str().to_owned());
            set("repurchase.days_after", rules.days_after.to_string());
            if rules.only_purchased_items {
                set("repurchase.only_purchased_items", "on".into());
            }
        }
        domain::KindRules::Private(PrivateCodes::Shared { code }) => {
            set("private.mode", "code".into());
            set("private.code", code.to_string());
        }
        domain::KindRules::Private(PrivateCodes::Unique { unique_codes }) => {
            set("private.mode", "unique".into());
            set("private.unique_codes", unique_codes.to_string());
        }
        domain::KindRules::Member(rules) if rules.join_gift => set("member.join_gift", "on".into()),
        domain::KindRules::Share(rules) => {
            set("share.friends", rules.friends.to_string());
            if rules.new_customers_only {
                set("share.new_customers_only", "on".into());
            }
            if let Some(id) = rules.friend_coupon_id {
                set("share.friend_coupon_id", id.to_string());
            }
        }
        domain::KindRules::Reward(rules) => {
            set("reward.min_paid", rules.min_paid.to_string());
            set("reward.trigger", rules.trigger.as_str().to_owned());
            if rules.members_only {
                set("reward.members_only", "on".into());
            }
        }
        _ => {}
    }
    form
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> FormValues {
        let mut values = vec![
            ("name", "满99减10"),
            ("kind", "shop"),
            ("benefit.type", "amount_off"),
            ("benefit.threshold", "99"),
            ("benefit.amount", "10"),
            ("scope.type", "shop"),
            ("validity.type", "relative"),
            ("validity.days", "7"),
            ("claim_from", "2026-11-23T00:00"),
            ("claim_until", "2026-12-23T00:00"),
            ("quantity", "1000"),
            ("per_customer_limit", "1"),
            ("per_customer_daily_limit", ""),
            ("audience", "all"),
        ];
        for (k, v) in pairs {
            values.retain(|(name, _)| name != k);
            values.push((k, v));
        }
        FormValues::new(
            values
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
        )
    }

    const TZ: Tz = chrono_tz::Asia::Shanghai;

    #[test]
    fn a_plain_form_is_the_spec_coupon() {
        let coupon = read_coupon(&form(&[]), TZ).unwrap();
        assert_eq!(coupon.benefit().describe_zh(), "满99减10");
        assert_eq!(
            coupon.claim_from(),
            "2026-11-22T16:00:00Z".parse::<DateTime<Utc>>().unwrap(),
            "local midnight"
        );
        assert_eq!(coupon.limits().per_customer_daily, None);
    }

    #[test]
    fn errors_land_on_their_fields() {
        let errors = read_coupon(&form(&[("benefit.amount", "100")]), TZ).unwrap_err();
        assert!(errors.contains_key("benefit.amount"), "{errors:?}");
        let errors = read_coupon(
            &form(&[
                ("benefit.amount", "1.001"),
                ("quantity", "lots"),
                ("claim_until", "soon"),
            ]),
            TZ,
        )
        .unwrap_err();
        let mut fields: Vec<_> = errors.keys().cloned().collect();
        fields.sort();
        assert_eq!(fields, ["benefit.amount", "claim_until", "quantity"]);
        let errors = read_coupon(
            &form(&[
                ("benefit.type", "tiered_percent"),
                ("benefit.tiers", "2:80, 3:90"),
            ]),
            TZ,
        )
        .unwrap_err();
        assert!(errors.contains_key("benefit.tiers"), "{errors:?}");
        let errors = read_coupon(&form(&[("scope.type", "items")]), TZ).unwrap_err();
        assert!(errors.contains_key("scope.skus"));
    }

    #[test]
    fn a_coupon_fills_the_form_it_came_from() {
        for extra in [
            &[][..],
            &[
                ("kind", "private"),
                ("private.mode", "unique"),
                ("private.unique_codes", "50"),
            ][..],
            &[
                ("kind", "repurchase"),
                ("repurchase.trigger", "shipped"),
                ("repurchase.days_after", "9"),
                ("scope.type", "items"),
                ("scope.skus", "A1"),
                ("audience", "tag"),
                ("audience.tag", "VIP"),
                ("benefit.type", "tiered_percent"),
                ("benefit.tiers", "2:9, 3:8"),
                ("regions", "31, 44"),
            ][..],
            &[
                ("validity.type", "fixed"),
                ("validity.from", "2026-11-23T00:00"),
                ("validity.until", "2027-01-01T00:00"),
                ("benefit.type", "percent_off"),
                ("benefit.percent", "8.5"),
                ("benefit.max_discount", "20.00"),
            ][..],
        ] {
            let coupon = read_coupon(&form(extra), TZ).unwrap();
            let again = read_coupon(&from_coupon(&coupon, TZ), TZ).unwrap();
            assert_eq!(again, coupon, "{extra:?}");
        }
    }

    #[test]
    fn provinces_are_ticked_or_typed() {
        let mut pairs = form(&[]).into_pairs();
        pairs.extend([
            ("regions".into(), "44".into()),
            ("regions".into(), "31".into()),
        ]);
        let ticked = read_coupon(&FormValues::new(pairs), TZ).unwrap();
        let typed = read_coupon(&form(&[("regions", "31，44")]), TZ).unwrap();
        assert_eq!(ticked.regions(), typed.regions());
        assert_eq!(ticked.regions().len(), 2);
        let errors = read_coupon(&form(&[("regions", "99")]), TZ).unwrap_err();
        assert!(errors.contains_key("regions"));
    }

    #[test]
    fn kind_blocks_come_from_their_fields() {
        let coupon = read_coupon(
            &form(&[
                ("kind", "private"),
                ("private.mode", "code"),
                ("private.code", "vip2026"),
            ]),
            TZ,
        )
        .unwrap();
        assert_eq!(
            coupon.rules(),
            &domain::KindRules::Private(PrivateCodes::Shared {
                code: PrivateCode::parse("VIP2026").unwrap()
            })
        );
        let coupon = read_coupon(
            &form(&[
                ("kind", "follower"),
                ("audience", "followers"),
                ("follower.auto_grant", "on"),
            ]),
            TZ,
        )
        .unwrap();
        assert_eq!(
            coupon.rules(),
            &domain::KindRules::Follower(FollowerRules { auto_grant: true })
        );
        // The kind decides who a new-customer or follower coupon is for,
        // whatever the audience field still says.
        let coupon =
            read_coupon(&form(&[("kind", "new_customer"), ("audience", "all")]), TZ).unwrap();
        assert_eq!(coupon.audience(), &domain::Audience::NewCustomers);
        let coupon = read_coupon(
            &form(&[
                ("kind", "follower"),
                ("audience", "tag"),
                ("audience.tag", "VIP"),
            ]),
            TZ,
        )
        .unwrap();
        assert_eq!(coupon.audience(), &domain::Audience::Followers);
    }
}
