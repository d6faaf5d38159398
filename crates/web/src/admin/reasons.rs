//! Why a field is invalid, in the staff member's language. Matched on the
//! variant, never on text: a reason the rules add without a translation here
//! does not compile. English is the reason's own wording (the API's too).

use domain::money::{MoneyError, PercentError};
use domain::vocab::{AudienceError, TextError};
use domain::{QuoteError, Reason};

use super::i18n::{Lang, T};

impl T {
    pub fn reason(&self, reason: &Reason) -> String {
        if self.lang == Lang::En {
            return reason.to_string();
        }
        use Reason::*;
        match reason {
            Positive => "必须大于 0".into(),
            AtLeast(n) => format!("至少为 {n}"),
            AtMost(n) => format!("最多为 {n}"),
            Between(a, b) => format!("须在 {a} 到 {b} 之间"),
            DaysBetween(a, b) => format!("须在 {a} 到 {b} 天之间"),
            AtLeastOneDay => "至少 1 天".into(),
            WholeNumber => "请填写整数".into(),
            WholeNumberOrEmpty => "请填写整数，留空表示不限".into(),
            AtLeastOneOrEmpty => "至少为 1，留空表示不限".into(),
            Percent => "请填写 0 到 100 之间的百分比".into(),
            PercentTwoDecimals => "请填写 0 到 100 之间的百分比，最多两位小数".into(),
            Characters(a, b) => format!("须为 {a} 到 {b} 个字符"),
            Token => "须为 1 到 64 个字符，不含空格".into(),
            Slug => "须为 2 到 64 个小写字母、数字或 -".into(),
            Email => "请填写邮箱地址".into(),
            SamePassword => "新密码不能与当前密码相同".into(),
            TooManyInvitations(n) => format!("最多同时有 {n} 个未使用的邀请，请等部分被使用或过期"),
            Locale => "须为 zh-CN 或 en".into(),
            Role => "须为店主、运营或只读".into(),
            Text(error) => text(error),
            Word(word) => format!("无法识别（可选：{}）", word.expected.join("、")),
            Region(_) => "请填写省份代码，如 11（北京）、31（上海）、44（广东）".into(),
            RegionCode(code) => {
                format!("{code}：请填写省份代码，如 11（北京）、31（上海）、44（广东）")
            }
            Audience(AudienceError::Unknown) => "无法识别的人群".into(),
            Audience(AudienceError::Tag(error)) => format!("标签{}", text(error)),
            Money(error) => match error {
                MoneyError::NotANumber => "请填写金额，如 99.00".into(),
                MoneyError::Negative => "不能为负数".into(),
                MoneyError::TooManyDecimals => "最多两位小数（分）".into(),
                MoneyError::TooLarge => format!("最多 {}.00", domain::money::MAX_YUAN),
            },
            PercentPaid(error) => match error {
                PercentError::NotANumber | PercentError::OutOfRange => {
                    "须在 1.0 折到 9.9 折之间".into()
                }
                PercentError::NotWhole => "最多一位小数，如 8.5 折".into(),
            },
            Zhe => "须为 1.0 到 9.9 折，最多一位小数".into(),
            TierText => "阶梯写作 件数:折，如 2:9, 3:8（1.0 到 9.9 折）".into(),
            Unconfirmed(deep) => {
                let zhe = deep.deepest.as_zhe();
                match deep.cap {
                    Some(cap) => {
                        format!("{zhe} 折低于 5 折：每单最多优惠 ¥{cap}。确认无误请勾选后再保存")
                    }
                    None => format!(
                        "{zhe} 折低于 5 折且不封顶：每单最多优惠订单金额的 {}%。确认无误请勾选后再保存",
                        deep.off_percent()
                    ),
                }
            }
            BelowThreshold(threshold) => format!(
                "减的金额必须小于门槛 ¥{threshold}（满X减Y 要求 Y < X；无门槛请把门槛填 0）"
            ),
            BelowTheThreshold => "面值必须小于门槛（满X减Y 要求 Y < X）".into(),
            CapOrEmpty => "须大于 0，留空表示不封顶".into(),
            NoTiers => "至少需要一个阶梯".into(),
            TooManyTiers(n) => format!("最多 {n} 个阶梯"),
            TierUnitsRise => "件数必须大于上一个阶梯".into(),
            TierPercentFalls => "比例必须低于上一个阶梯（件数越多折扣越大）".into(),
            DateTime => "请填写日期和时间".into(),
            Year => "时间须在 1970 年到 9999 年之间".into(),
            ClockTime => "请填写时间，如 22:00".into(),
            TimeZone => "未知时区，请填写如 Asia/Shanghai".into(),
            LeadHours => "每个提醒时间须在 1 到 720 小时之间".into(),
            NotHours(part) => format!("“{part}”不是小时数"),
            NoProducts => "商品券至少要选一个商品".into(),
            AfterValidityStart => "必须晚于开始可用时间".into(),
            ClaimAfterValidity => "不能晚于可用结束时间（领了也用不了）".into(),
            AfterClaimFrom => "必须晚于开始领取时间".into(),
            AbovePerCustomer => "不能超过每人限领".into(),
            KindAudience { kind, audience } => {
                format!("{}只能发给{}", self.kind(*kind), self.audience(audience))
            }
            Misplaced(kind) => format!("只有{}有这一项", self.kind(*kind)),
            FollowerRules => "粉丝券需要设置是否自动发放".into(),
            RepurchaseRules => "复购券需要设置触发条件和天数".into(),
            RewardRules => "满返券需要设置实付门槛和发放时机".into(),
            ShareRules => "分享券需要设置邀请好友人数".into(),
            FriendCoupon => "须为本店的其他优惠券（不能是分享券）".into(),
            PrivateRules => "私密券需要一个口令或一批一次性码".into(),
            CodeTaken => "本店已有优惠券使用这个口令".into(),
            NewCouponStatus => "新建的优惠券只能是草稿或进行中".into(),
            Quote(error) => match error {
                QuoteError::NoLines => "订单至少要有一行商品".into(),
                QuoteError::TooManyLines => {
                    format!("订单最多 {} 行商品", domain::quote::MAX_LINES)
                }
                QuoteError::Quantity(_) => {
                    format!("件数须在 1 到 {} 之间", domain::quote::MAX_QUANTITY)
                }
                QuoteError::UnitPrice(_) | QuoteError::ActivityPrice(_) => "最多 1000000.00".into(),
                QuoteError::Subtotal => "订单金额最多 100000000.00".into(),
            },
            ClaimNotHeld(id) => format!("券 {id} 不属于这位顾客"),
            ClaimNotValid(id) => format!("券 {id} 现在不可用"),
            ClaimAddsNothing(id) => format!("券 {id} 不适用于这个订单，或不带来优惠"),
            Frozen => "已有顾客领取，不能再修改".into(),
            OnlyLater => "已有顾客领取，只能延后".into(),
            OnlyMore => "已有顾客领取，只能增加".into(),
            Url => "请填写网址，如 https://example.com/hook".into(),
            Https => "必须以 https:// 开头".into(),
            UrlCredentials => "网址中不能带用户名或密码".into(),
            UrlHost => "网址必须包含主机名".into(),
            UrlPrivate => "不能指向本机、内网或云元数据地址".into(),
            WebhookNeeded => "发送 Webhook 需要填写地址".into(),
        }
    }
}

fn text(error: &TextError) -> String {
    match error {
        TextError::Empty => "不能为空".into(),
        TextError::TooLong(n) => format!("最多 {n} 个字符"),
        TextError::BadCharacter => "不能包含空格或控制字符".into(),
        TextError::BadCode => "须为 4 到 32 位字母、数字、- 或 _".into(),
    }
}

#[cfg(test)]
mod tests {
    use domain::benefit::DeepDiscount;
    use domain::{CouponKind, Money, Percent};

    use super::*;

    #[test]
    fn reasons_read_in_chinese_and_in_their_own_english() {
        let zh = T::new(Lang::Zh);
        let en = T::new(Lang::En);
        let deep = DeepDiscount {
            deepest: Percent::parse("30").unwrap(),
            cap: Some(Money::yuan(50)),
        };
        let cases = [
            (
                Reason::Unconfirmed(deep),
                "3 折低于 5 折：每单最多优惠 ¥50.00",
            ),
            (Reason::BelowThreshold(Money::yuan(99)), "门槛 ¥99.00"),
            (
                Reason::KindAudience {
                    kind: CouponKind::NewCustomer,
                    audience: domain::Audience::NewCustomers,
                },
                "新人券只能发给",
            ),
            (Reason::Money(MoneyError::TooManyDecimals), "最多两位小数"),
            (Reason::RegionCode("99".into()), "99：请填写省份代码"),
            (Reason::Text(TextError::TooLong(60)), "最多 60 个字符"),
        ];
        for (reason, expected) in cases {
            assert!(
                zh.reason(&reason).contains(expected),
                "{}",
                zh.reason(&reason)
            );
            assert_eq!(en.reason(&reason), reason.to_string());
        }
        assert_eq!(
            en.reason(&Reason::Unconfirmed(deep)),
            "3折 is below 5折: up to ¥50.00 off each order. Tick to confirm, then save"
        );
    }
}
