//! A shop's own settings that carry rules: its clock, when reminders go out and
//! when not, its monthly claim cap and profit floor (SPEC §2, §5), and where its
//! notifications go.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use chrono_tz::Tz;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::{Collector, FieldError, Reason, ValidationErrors};
use crate::vocab::TextError;

/// The settings staff set on a shop, each part checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShopSettings {
    pub time_zone: Tz,
    /// Hours before expiry at which holders are reminded, largest first.
    pub reminder_lead_hours: Vec<u32>,
    /// Quiet hours in local minutes of the day: [start, end), wrapping midnight.
    pub quiet_start_minute: u32,
    pub quiet_end_minute: u32,
    /// Claims per customer per local month across the shop; `None` = no cap.
    pub monthly_cap: Option<u32>,
    /// Minimum margin after coupons, in percent.
    pub profit_floor: Option<Decimal>,
}

/// The settings as typed on the settings page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SettingsDraft {
    pub time_zone: String,
    /// "72, 24" (a full-width comma too).
    pub reminder_lead_hours: String,
    /// "22:00".
    pub quiet_start: String,
    pub quiet_end: String,
    /// Empty for no cap.
    pub monthly_cap: String,
    /// "25" or "25%"; empty for none.
    pub profit_floor: String,
}

impl SettingsDraft {
    /// Checks every part; the errors name each field.
    pub fn validate(&self) -> Result<ShopSettings, ValidationErrors> {
        let mut errors = Collector::new();
        let time_zone = errors.keep(crate::calendar::parse_time_zone(&self.time_zone));
        let leads = errors.keep(
            parse_lead_hours(&self.reminder_lead_hours.replace('，', ","))
                .map_err(|reason| FieldError::new("reminder_lead_hours", reason)),
        );
        let clock = |field: &str, text: &str| {
            parse_clock(text).ok_or_else(|| FieldError::new(field, Reason::ClockTime))
        };
        let quiet_start = errors.keep(clock("quiet_start", &self.quiet_start));
        let quiet_end = errors.keep(clock("quiet_end", &self.quiet_end));
        let monthly_cap = errors.keep(match self.monthly_cap.trim() {
            "" => Ok(None),
            text => match text.parse::<u32>() {
                Ok(cap) if cap >= 1 => Ok(Some(cap)),
                _ => Err(FieldError::new("monthly_cap", Reason::AtLeastOneOrEmpty)),
            },
        });
        let profit_floor = errors.keep(match self.profit_floor.trim() {
            "" => Ok(None),
            text => match text.trim_end_matches('%').parse::<Decimal>() {
                Ok(p)
                    if p >= Decimal::ZERO
                        && p < Decimal::ONE_HUNDRED
                        && p.normalize().scale() <= 2 =>
                {
                    Ok(Some(p))
                }
                _ => Err(FieldError::new("profit_floor", Reason::PercentTwoDecimals)),
            },
        });
        match (
            time_zone,
            leads,
            quiet_start,
            quiet_end,
            monthly_cap,
            profit_floor,
        ) {
            (
                Some(time_zone),
                Some(reminder_lead_hours),
                Some(quiet_start_minute),
                Some(quiet_end_minute),
                Some(monthly_cap),
                Some(profit_floor),
            ) => Ok(ShopSettings {
                time_zone,
                reminder_lead_hours,
                quiet_start_minute,
                quiet_end_minute,
                monthly_cap,
                profit_floor,
            }),
            _ => Err(errors
                .finish(|| ())
                .expect_err("a part that failed was recorded")),
        }
    }
}

/// "72, 24" → `[72, 24]`: each 1–720 hours, largest first, once each.
pub fn parse_lead_hours(text: &str) -> Result<Vec<u32>, Reason> {
    let mut hours = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let h: u32 = part
            .parse()
            .map_err(|_| Reason::NotHours(part.to_owned()))?;
        if !(1..=24 * 30).contains(&h) {
            return Err(Reason::LeadHours);
        }
        hours.push(h);
    }
    hours.sort_unstable_by(|a, b| b.cmp(a));
    hours.dedup();
    Ok(hours)
}

/// "22:00" → minutes of the day.
pub fn parse_clock(text: &str) -> Option<u32> {
    let (h, m) = text.trim().split_once(':')?;
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60).then_some(h * 60 + m)
}

crate::vocab::word_enum! {
    /// How a shop's notifications leave: written to the log, or POSTed to a webhook.
    NotificationChannel, "notification channel" {
        Log = "log",
        Webhook = "webhook",
    }
}

/// What the operator allows webhook targets to be (configuration): by default
/// `https://` only, and never an address inside the operator's own network.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WebhookPolicy {
    /// `http://` URLs too (a test rig, a trusted network).
    pub allow_http: bool,
    /// Loopback, private, link-local and metadata addresses too.
    pub allow_private: bool,
}

/// Longest webhook URL accepted.
pub const MAX_WEBHOOK_URL: usize = 2_000;

/// A webhook URL that passed [`WebhookUrl::parse`]. Its host name may still
/// resolve to a forbidden address: the sender checks each address it connects to
/// ([`WebhookPolicy::allows`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct WebhookUrl(String);

impl WebhookUrl {
    pub fn parse(text: &str, policy: WebhookPolicy) -> Result<WebhookUrl, Reason> {
        let text = text.trim();
        if text.len() > MAX_WEBHOOK_URL {
            return Err(TextError::TooLong(MAX_WEBHOOK_URL).into());
        }
        let url = url::Url::parse(text).map_err(|_| Reason::Url)?;
        match url.scheme() {
            "https" => {}
            "http" if policy.allow_http => {}
            _ => return Err(Reason::Https),
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(Reason::UrlCredentials);
        }
        let allowed = match url.host() {
            None => return Err(Reason::UrlHost),
            Some(url::Host::Ipv4(ip)) => policy.allows(IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => policy.allows(IpAddr::V6(ip)),
            Some(url::Host::Domain(name)) => policy.allow_private || !internal_name(name),
        };
        if !allowed {
            return Err(Reason::UrlPrivate);
        }
        Ok(WebhookUrl(url.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl WebhookPolicy {
    /// Whether a webhook may be sent to `ip`.
    pub fn allows(&self, ip: IpAddr) -> bool {
        self.allow_private || public(ip)
    }
}

/// Names that only mean something inside the operator's network.
fn internal_name(name: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost"
        || name.ends_with(".localhost")
        || name.ends_with(".internal")
        || name.ends_with(".local")
        || name == "metadata"
}

/// An address on the public internet: not loopback, private, link-local (which
/// holds the cloud metadata address 169.254.169.254), shared, unspecified,
/// multicast or broadcast; IPv4 inside IPv6 is judged as IPv4.
pub fn public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => public_v4(v4),
            None => public_v6(v6),
        },
    }
}

fn public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_multicast()
        || ip.is_broadcast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || (a == 198 && (18..20).contains(&b)) // benchmarking
        || a >= 240)
}

fn public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local
        || (first & 0xffc0) == 0xfe80 // link-local
        || first == 0x2001 && ip.segments()[1] == 0x0db8 // documentation
        || ip.segments()[..6] == [0, 0, 0, 0, 0, 0]) // IPv4-compatible
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(patch: impl FnOnce(&mut SettingsDraft)) -> SettingsDraft {
        let mut draft = SettingsDraft {
            time_zone: "Asia/Shanghai".into(),
            reminder_lead_hours: "24，72, 24".into(),
            quiet_start: "22:00".into(),
            quiet_end: "08:00".into(),
            monthly_cap: "5".into(),
            profit_floor: "25%".into(),
        };
        patch(&mut draft);
        draft
    }

    #[test]
    fn settings_are_read_as_typed_and_every_bad_part_is_named() {
        let settings = typed(|_| {}).validate().unwrap();
        assert_eq!(settings.reminder_lead_hours, vec![72, 24]);
        assert_eq!(
            (settings.quiet_start_minute, settings.quiet_end_minute),
            (1320, 480)
        );
        assert_eq!(settings.monthly_cap, Some(5));
        assert_eq!(settings.profit_floor, Some(Decimal::new(25, 0)));
        let open = typed(|d| {
            d.monthly_cap = " ".into();
            d.profit_floor = String::new();
            d.reminder_lead_hours = String::new();
        })
        .validate()
        .unwrap();
        assert_eq!((open.monthly_cap, open.profit_floor), (None, None));
        assert!(open.reminder_lead_hours.is_empty());
        let errors = typed(|d| {
            d.time_zone = "Mars/Olympus".into();
            d.reminder_lead_hours = "24, 0".into();
            d.quiet_start = "25:00".into();
            d.quiet_end = "8".into();
            d.monthly_cap = "0".into();
            d.profit_floor = "12.345".into();
        })
        .validate()
        .unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "time_zone",
                "reminder_lead_hours",
                "quiet_start",
                "quiet_end",
                "monthly_cap",
                "profit_floor"
            ]
        );
        assert!(typed(|d| d.profit_floor = "100".into()).validate().is_err());
        assert!(
            typed(|d| d.reminder_lead_hours = "721".into())
                .validate()
                .is_err()
        );
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn only_public_addresses_are_public() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
        ] {
            assert!(!public(ip(private)), "{private}");
        }
        for open in ["8.8.8.8", "203.0.114.1", "2400:3200::1", "::ffff:8.8.8.8"] {
            assert!(public(ip(open)), "{open}");
        }
    }

    #[test]
    fn webhook_urls_are_https_and_outside_by_default() {
        let strict = WebhookPolicy::default();
        assert!(WebhookUrl::parse("https://hooks.example.com/mo?x=1", strict).is_ok());
        for bad in [
            "http://hooks.example.com/mo",
            "ftp://example.com",
            "https://user:pw@example.com/",
            "https://127.0.0.1/hook",
            "https://[::1]/hook",
            "https://169.254.169.254/latest/meta-data",
            "https://localhost:8443/",
            "https://metadata.google.internal/",
            "https://10.0.0.8/",
            "not a url",
        ] {
            assert!(WebhookUrl::parse(bad, strict).is_err(), "{bad}");
        }
        let long = format!("https://example.com/{}", "a".repeat(2_000));
        assert!(WebhookUrl::parse(&long, strict).is_err());
        let open = WebhookPolicy {
            allow_http: true,
            allow_private: true,
        };
        assert!(WebhookUrl::parse("http://127.0.0.1:9000/hook", open).is_ok());
    }
}
