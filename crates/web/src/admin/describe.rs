//! A coupon in words, as staff would say it: "满99减10，共1000张，每人限领1张，领取后7天有效".

use chrono_tz::Tz;
use domain::{Coupon, KindRules, PrivateCodes, Validity};

use super::i18n::{Lang, T};

/// A moment on the shop's clock: "2026-11-23 16:00".
pub fn local(at: chrono::DateTime<chrono::Utc>, tz: Tz) -> String {
    at.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string()
}

/// A customer as the pages name them: by name, else by their phone's last
/// digits, the storefront's id as secondary text (alone only when nothing else
/// is known).
pub struct Who {
    pub label: String,
    pub id: Option<String>,
}

pub fn who(t: T, customer: &store::lists::CustomerName) -> Who {
    let tail = customer
        .phone_tail
        .as_ref()
        .map(|tail| t.t("customers.phone_tail").replace("{tail}", tail));
    let label = match (&customer.name, tail) {
        (Some(name), Some(tail)) => format!("{name} · {tail}"),
        (Some(name), None) => name.clone(),
        (None, Some(tail)) => tail,
        (None, None) => {
            return Who {
                label: customer.external_id.clone(),
                id: None,
            };
        }
    };
    Who {
        label,
        id: Some(customer.external_id.clone()),
    }
}

/// How a growth tool's coupon reaches customers (SPEC §10), in words; `None`
/// for the kinds customers simply claim. `friend` names a share's friend coupon.
pub fn how_granted(coupon: &Coupon, t: T, friend: Option<&str>) -> Option<String> {
    let zh = t.lang == Lang::Zh;
    Some(match coupon.rules() {
        KindRules::Member(rules) if rules.join_gift => {
            if zh {
                "顾客首次加入会员时自动发放（每人一次）".into()
            } else {
                "Granted when a customer first joins (once each)".into()
            }
        }
        KindRules::Member(_) => {
            if zh {
                "会员可领取".into()
            } else {
                "Members claim it".into()
            }
        }
        KindRules::Reward(rules) => {
            let when = match (rules.trigger, zh) {
                (domain::RewardTrigger::Paid, true) => "付款后",
                (domain::RewardTrigger::Delivered, true) => "确认收货后",
                (domain::RewardTrigger::Paid, false) => "on payment",
                (domain::RewardTrigger::Delivered, false) => "on delivery",
            };
            let members = match (rules.members_only, zh) {
                (true, true) => "，仅限会员",
                (true, false) => ", members only",
                (false, _) => "",
            };
            if zh {
                format!(
                    "订单实付满{}，{when}发放{members}；订单取消或退款时收回",
                    t.money(rules.min_paid)
                )
            } else {
                format!(
                    "Orders paying {} or more, {when}{members}; taken back if the order is cancelled or refunded",
                    t.money(rules.min_paid)
                )
            }
        }
        KindRules::Share(rules) => {
            let new = match (rules.new_customers_only, zh) {
                (true, true) => "（只算新客）",
                (true, false) => " (new customers only)",
                (false, _) => "",
            };
            let gift = match (friend, zh) {
                (Some(name), true) => format!("；每位好友获得「{name}」"),
                (Some(name), false) => format!("; each friend gets “{name}”"),
                (None, _) => String::new(),
            };
            if zh {
                format!("分享给 {} 位好友{new}后发放{gift}", rules.friends)
            } else {
                format!("Once {} friends join a share{new}{gift}", rules.friends)
            }
        }
        _ => return None,
    })
}

/// A time that may not have happened yet: "—" until it has.
pub fn local_opt(at: Option<chrono::DateTime<chrono::Utc>>, tz: Tz) -> String {
    at.map(|at| local(at, tz)).unwrap_or_else(|| "—".into())
}

/// When a claim can be used, as the summary says it ("valid 7 days after claiming").
pub fn validity(coupon: &Coupon, t: T, tz: Tz) -> String {
    match t.lang {
        Lang::Zh => validity_fact(coupon, t, tz),
        Lang::En => format!("valid {}", validity_fact(coupon, t, tz)),
    }
}

/// The same under a "Valid" label: "7 days after claiming" / 领取后7天有效.
pub fn validity_fact(coupon: &Coupon, t: T, tz: Tz) -> String {
    match (coupon.validity(), t.lang) {
        (Validity::Relative { days }, Lang::Zh) => format!("领取后{days}天有效"),
        (Validity::Fixed { from, until }, Lang::Zh) => {
            format!("{}至{}可用", local(from, tz), local(until, tz))
        }
        (Validity::Relative { days }, Lang::En) => format!("{days} days after claiming"),
        (Validity::Fixed { from, until }, Lang::En) => {
            format!("{} to {}", local(from, tz), local(until, tz))
        }
    }
}

/// One line that states the whole coupon.
/// The worst case in money, as staff should see it before saving: the most one
/// order gets and, with a bounded quantity, the most all of them give away.
pub fn exposure(coupon: &Coupon, t: T) -> String {
    use domain::coupon::Exposure;
    match (coupon.exposure(), t.lang) {
        (
            Exposure::Bounded {
                per_order,
                total: Some((n, total)),
            },
            Lang::Zh,
        ) => format!(
            "最多让利 {}（每单最多 {}，{n} 张全部用完）",
            t.money(total),
            t.money(per_order)
        ),
        (
            Exposure::Bounded {
                per_order,
                total: Some((n, total)),
            },
            Lang::En,
        ) => format!(
            "At most {} given away ({} per order, all {n} used)",
            t.money(total),
            t.money(per_order)
        ),
        (
            Exposure::Bounded {
                per_order,
                total: None,
            },
            Lang::Zh,
        ) => {
            format!(
                "每单最多让利 {}，数量不限，总让利不封顶",
                t.money(per_order)
            )
        }
        (
            Exposure::Bounded {
                per_order,
                total: None,
            },
            Lang::En,
        ) => format!(
            "Up to {} per order, unlimited quantity: no cap in all",
            t.money(per_order)
        ),
        (Exposure::ShareOfOrder(off), Lang::Zh) => {
            format!("不封顶：每单最多让利订单金额的 {off}%")
        }
        (Exposure::ShareOfOrder(off), Lang::En) => {
            format!("No cap: up to {off}% off each order")
        }
    }
}

pub fn summary(coupon: &Coupon, t: T, tz: Tz) -> String {
    let limits = coupon.limits();
    let mut parts = Vec::new();
    match t.lang {
        Lang::Zh => {
            parts.push(t.benefit(coupon.benefit()));
            parts.push(match limits.quantity {
                Some(q) => format!("共{q}张"),
                None => "数量不限".into(),
            });
            if let Some(n) = limits.per_customer {
                parts.push(format!("每人限领{n}张"));
            }
            if let Some(n) = limits.per_customer_daily {
                parts.push(format!("每人每天限领{n}张"));
            }
            parts.push(validity(coupon, t, tz));
            match coupon.rules() {
                KindRules::Follower(r) if r.auto_grant => parts.push("关注店铺自动发放".into()),
                KindRules::Repurchase(r) => parts.push(format!(
                    "{}后{}天发放",
                    if r.trigger == domain::RepurchaseTrigger::Delivered {
                        "确认收货"
                    } else {
                        "发货"
                    },
                    r.days_after
                )),
                KindRules::Private(PrivateCodes::Shared { code }) => {
                    parts.push(format!("口令 {code}"))
                }
                KindRules::Private(PrivateCodes::Unique { unique_codes }) => {
                    parts.push(format!("{unique_codes}个一次性券码"))
                }
                _ => {}
            }
            parts.join("，")
        }
        Lang::En => {
            parts.push(t.benefit(coupon.benefit()));
            parts.push(match limits.quantity {
                Some(q) => format!("{q} in all"),
                None => "unlimited".into(),
            });
            if let Some(n) = limits.per_customer {
                parts.push(format!("{n} per customer"));
            }
            if let Some(n) = limits.per_customer_daily {
                parts.push(format!("{n} per customer a day"));
            }
            parts.push(validity(coupon, t, tz));
            match coupon.rules() {
                KindRules::Follower(r) if r.auto_grant => parts.push("granted on follow".into()),
                KindRules::Repurchase(r) => parts.push(format!(
                    "granted {} days after {}",
                    r.days_after,
                    if r.trigger == domain::RepurchaseTrigger::Delivered {
                        "delivery"
                    } else {
                        "shipping"
                    }
                )),
                KindRules::Private(PrivateCodes::Shared { code }) => {
                    parts.push(format!("code {code}"))
                }
                KindRules::Private(PrivateCodes::Unique { unique_codes }) => {
                    parts.push(format!("{unique_codes} one-time codes"))
                }
                _ => {}
            }
            parts.join(", ")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::CouponDraft;
    use serde_json::json;

    #[test]
    fn the_spec_example_reads_as_staff_say_it() {
        let coupon: Coupon = serde_json::from_value::<CouponDraft>(json!({
            "name": "满99减10", "kind": "shop", "scope": {"type": "shop"},
            "benefit": {"type": "amount_off", "threshold": "99.00", "amount": "10.00"},
            "validity": {"type": "relative", "days": 7},
            "claim_from": "2026-11-01T00:00:00+08:00", "claim_until": "2026-11-30T23:59:59+08:00",
            "quantity": 1000, "per_customer_limit": 1
        }))
        .unwrap()
        .validate()
        .unwrap();
        let tz = chrono_tz::Asia::Shanghai;
        assert_eq!(
            summary(&coupon, T::new(Lang::Zh), tz),
            "满99减10，共1000张，每人限领1张，领取后7天有效"
        );
        assert_eq!(
            summary(&coupon, T::new(Lang::En), tz),
            "¥10.00 off orders of ¥99.00, 1000 in all, 1 per customer, valid 7 days after claiming"
        );
    }
}
