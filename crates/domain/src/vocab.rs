//! The small words of a coupon: kinds, channels, regions, audiences, SKUs, tags, codes.
//! Each parses from the text the API and the forms send and refuses anything else.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Declares a closed set of snake_case words with parsing, printing and serde.
macro_rules! word_enum {
    ($(#[$meta:meta])* $name:ident, $what:literal {
        $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)?
    }) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash,
            ::serde::Serialize, ::serde::Deserialize,
        )]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::vocab::UnknownWord;
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                match text {
                    $($text => Ok($name::$variant),)+
                    _ => Err($crate::vocab::UnknownWord {
                        what: $what,
                        expected: &[$($text),+],
                    }),
                }
            }
        }
    };
}
pub(crate) use word_enum;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what}; expected one of: {}", expected.join(", "))]
pub struct UnknownWord {
    pub what: &'static str,
    pub expected: &'static [&'static str],
}

word_enum! {
    /// How customers get a coupon.
    CouponKind, "coupon kind" {
        Shop = "shop",
        NewCustomer = "new_customer",
        Follower = "follower",
        Repurchase = "repurchase",
        Private = "private",
        /// For the shop's members (SPEC §10); with a join gift, granted once
        /// to each customer on first joining.
        Member = "member",
        /// Spend and return (满返, SPEC §10): granted for an order that reached
        /// its amount, once per (order, coupon); withdrawn if the order is not.
        Reward = "reward",
        /// Share to unlock (分享N人领券, SPEC §10): granted to a customer whose
        /// share was joined by enough friends.
        Share = "share",
    }
}

word_enum! {
    /// Where a claim is made.
    Channel, "channel" {
        LiveRoom = "live_room",
        ShortVideo = "short_video",
        ShopPage = "shop_page",
        FanGroup = "fan_group",
        Sms = "sms",
        CustomerService = "customer_service",
        PrivateMessage = "private_message",
        CouponCenter = "coupon_center",
    }
}

word_enum! {
    /// The order event that earns a reward coupon.
    RewardTrigger, "reward trigger" {
        Paid = "paid",
        Delivered = "delivered",
    }
}

word_enum! {
    /// What starts the repurchase clock.
    RepurchaseTrigger, "repurchase trigger" {
        Delivered = "delivered",
        Shipped = "shipped",
    }
}

/// Province-level divisions of GB/T 2260 (first two digits) with their short names.
const PROVINCES: &[(u8, &str)] = &[
    (11, "北京"),
    (12, "天津"),
    (13, "河北"),
    (14, "山西"),
    (15, "内蒙古"),
    (21, "辽宁"),
    (22, "吉林"),
    (23, "黑龙江"),
    (31, "上海"),
    (32, "江苏"),
    (33, "浙江"),
    (34, "安徽"),
    (35, "福建"),
    (36, "江西"),
    (37, "山东"),
    (41, "河南"),
    (42, "湖北"),
    (43, "湖南"),
    (44, "广东"),
    (45, "广西"),
    (46, "海南"),
    (50, "重庆"),
    (51, "四川"),
    (52, "贵州"),
    (53, "云南"),
    (54, "西藏"),
    (61, "陕西"),
    (62, "甘肃"),
    (63, "青海"),
    (64, "宁夏"),
    (65, "新疆"),
    (71, "台湾"),
    (81, "香港"),
    (82, "澳门"),
];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "must be a two-digit province code of GB/T 2260, such as 11 (北京), 31 (上海) or 44 (广东)"
)]
pub struct UnknownRegion;

/// A province, by its GB/T 2260 code ("44" is Guangdong).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Region(u8);

impl Region {
    pub fn new(code: u8) -> Result<Region, UnknownRegion> {
        PROVINCES
            .iter()
            .any(|(c, _)| *c == code)
            .then_some(Region(code))
            .ok_or(UnknownRegion)
    }

    pub fn code(self) -> u8 {
        self.0
    }

    pub fn name_zh(self) -> &'static str {
        PROVINCES
            .iter()
            .find(|(c, _)| *c == self.0)
            .map(|(_, name)| *name)
            .unwrap_or("")
    }

    pub fn all() -> impl Iterator<Item = Region> {
        PROVINCES.iter().map(|(code, _)| Region(*code))
    }
}

impl FromStr for Region {
    type Err = UnknownRegion;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        if text.len() != 2 || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(UnknownRegion);
        }
        Region::new(text.parse().map_err(|_| UnknownRegion)?)
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}", self.0)
    }
}

/// Declares a validated text newtype serialised as a plain string.
macro_rules! text_newtype {
    ($(#[$meta:meta])* $name:ident, $error:ident, $check:expr) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub fn parse(text: &str) -> Result<$name, $error> {
                let check: fn(&str) -> Result<String, $error> = $check;
                check(text).map($name)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = $error;
            fn try_from(text: String) -> Result<Self, Self::Error> {
                $name::parse(&text)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }

        impl FromStr for $name {
            type Err = $error;
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                $name::parse(text)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("must not be empty")]
    Empty,
    #[error("must be at most {0} characters")]
    TooLong(usize),
    #[error("must not contain spaces or control characters")]
    BadCharacter,
    #[error("must be 4 to 32 letters, digits, '-' or '_'")]
    BadCode,
}

fn printable_token(text: &str, max: usize) -> Result<String, TextError> {
    let text = text.trim();
    if text.is_empty() {
        Err(TextError::Empty)
    } else if text.chars().count() > max {
        Err(TextError::TooLong(max))
    } else if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        Err(TextError::BadCharacter)
    } else {
        Ok(text.to_owned())
    }
}

text_newtype! {
    /// A product's stock-keeping unit as the shop's catalog names it.
    Sku, TextError, |text| printable_token(text, 64)
}

text_newtype! {
    /// A customer tag such as `VIP`, used as an audience (`tag:VIP`).
    Tag, TextError, |text| {
        let tag = printable_token(text, 32)?;
        if tag.contains(',') || tag.contains(':') {
            return Err(TextError::BadCharacter);
        }
        Ok(tag)
    }
}

text_newtype! {
    /// A private coupon code. Codes are matched without regard to case and kept upper-case.
    PrivateCode, TextError, |text| {
        let text = text.trim();
        let ok = (4..=32).contains(&text.len())
            && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if ok { Ok(text.to_ascii_uppercase()) } else { Err(TextError::BadCode) }
    }
}

/// Who may claim a coupon.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Audience {
    #[default]
    All,
    /// No paid, non-cancelled order in this shop yet.
    NewCustomers,
    /// At least one paid order in this shop.
    ReturningCustomers,
    Followers,
    /// Current members of the shop's membership (SPEC §10).
    Members,
    /// Customers carrying this tag.
    Tag(Tag),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AudienceError {
    #[error(
        "unknown audience; expected all, new_customers, returning_customers, followers, members or tag:NAME"
    )]
    Unknown,
    #[error("tag {0}")]
    Tag(TextError),
}

impl FromStr for Audience {
    type Err = AudienceError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim() {
            "all" => Ok(Audience::All),
            "new_customers" => Ok(Audience::NewCustomers),
            "returning_customers" => Ok(Audience::ReturningCustomers),
            "followers" => Ok(Audience::Followers),
            "members" => Ok(Audience::Members),
            other => match other.strip_prefix("tag:") {
                Some(tag) => Tag::parse(tag)
                    .map(Audience::Tag)
                    .map_err(AudienceError::Tag),
                None => Err(AudienceError::Unknown),
            },
        }
    }
}

impl fmt::Display for Audience {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Audience::All => f.write_str("all"),
            Audience::NewCustomers => f.write_str("new_customers"),
            Audience::ReturningCustomers => f.write_str("returning_customers"),
            Audience::Followers => f.write_str("followers"),
            Audience::Members => f.write_str("members"),
            Audience::Tag(tag) => write!(f, "tag:{tag}"),
        }
    }
}

impl TryFrom<String> for Audience {
    type Error = AudienceError;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.parse()
    }
}

impl From<Audience> for String {
    fn from(value: Audience) -> String {
        value.to_string()
    }
}

impl Serialize for Region {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Region {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip() {
        for channel in Channel::ALL {
            assert_eq!(channel.as_str().parse::<Channel>().unwrap(), *channel);
            let json = serde_json::to_string(channel).unwrap();
            assert_eq!(serde_json::from_str::<Channel>(&json).unwrap(), *channel);
        }
        let error = "tv".parse::<Channel>().unwrap_err();
        assert!(error.to_string().contains("live_room"), "{error}");
    }

    #[test]
    fn regions_are_province_codes() {
        assert_eq!("44".parse::<Region>().unwrap().name_zh(), "广东");
        assert_eq!("11".parse::<Region>().unwrap().to_string(), "11");
        for bad in ["10", "4", "440", "xx", "99", ""] {
            assert!(bad.parse::<Region>().is_err(), "{bad}");
        }
        assert_eq!(Region::all().count(), 34);
    }

    #[test]
    fn audience_parses_tags() {
        assert_eq!(
            "tag:VIP".parse::<Audience>().unwrap(),
            Audience::Tag(Tag::parse("VIP").unwrap())
        );
        assert_eq!(
            serde_json::to_string(&Audience::NewCustomers).unwrap(),
            "\"new_customers\""
        );
        assert!("tag:".parse::<Audience>().is_err());
        assert!("everyone".parse::<Audience>().is_err());
    }

    #[test]
    fn codes_and_skus() {
        assert_eq!(PrivateCode::parse("vip2026").unwrap().as_str(), "VIP2026");
        assert!(PrivateCode::parse("abc").is_err());
        assert!(PrivateCode::parse("has space").is_err());
        assert!(Sku::parse("").is_err());
        assert!(Sku::parse("A 1").is_err());
        assert_eq!(Sku::parse(" A1 ").unwrap().as_str(), "A1");
    }
}
