//! A shop's own settings that carry rules: where its notifications go (SPEC §5).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde::{Deserialize, Serialize};

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
    pub fn parse(text: &str, policy: WebhookPolicy) -> Result<WebhookUrl, &'static str> {
        let text = text.trim();
        if text.len() > MAX_WEBHOOK_URL {
            return Err("must be at most 2000 characters");
        }
        let url =
            url::Url::parse(text).map_err(|_| "must be a URL such as https://example.com/hook")?;
        match url.scheme() {
            "https" => {}
            "http" if policy.allow_http => {}
            _ => return Err("must start with https://"),
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err("must not carry a user name or password");
        }
        let allowed = match url.host() {
            None => return Err("must name a host"),
            Some(url::Host::Ipv4(ip)) => policy.allows(IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => policy.allows(IpAddr::V6(ip)),
            Some(url::Host::Domain(name)) => policy.allow_private || !internal_name(name),
        };
        if !allowed {
            return Err("must not point at a loopback, private or metadata address");
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
