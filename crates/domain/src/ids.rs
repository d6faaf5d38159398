//! The identifiers people and storefronts type: a storefront's customer id, a
//! shop's slug, a staff member's email, a product's name. Each check names the
//! field it guards, so the API and the forms show the reason next to it.

use crate::error::{FieldError, Reason};

/// A storefront's customer id: 1–64 characters, no spaces or control characters.
pub fn customer_ref(text: &str) -> Result<(), FieldError> {
    let ok = !text.is_empty()
        && text.chars().count() <= 64
        && !text.chars().any(|c| c.is_control() || c.is_whitespace());
    if ok {
        Ok(())
    } else {
        Err(FieldError::new("customer", Reason::Token))
    }
}

/// The device a storefront says a claim came from (an id of its own making):
/// 1–64 characters, no spaces or control characters.
pub fn device(text: &str) -> Result<(), FieldError> {
    customer_ref(text).map_err(|_| FieldError::new("device", Reason::Token))
}

/// A shop slug: 2–64 lower-case letters, digits and '-', as in URLs.
pub fn shop_slug(text: &str) -> Result<(), FieldError> {
    let ok = (2..=64).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !text.starts_with('-');
    if ok {
        Ok(())
    } else {
        Err(FieldError::new("slug", Reason::Slug))
    }
}

/// A staff member's email, trimmed and lower-cased.
pub fn email(text: &str) -> Result<String, FieldError> {
    let email = text.trim().to_lowercase();
    let ok = email.len() <= 254
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.starts_with('.')
        })
        && !email.chars().any(char::is_whitespace);
    if ok {
        Ok(email)
    } else {
        Err(FieldError::new("email", Reason::Email))
    }
}

/// A product's name, trimmed: 1–200 characters.
pub fn product_name(text: &str) -> Result<String, FieldError> {
    let name = text.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(FieldError::new("name", Reason::Characters(1, 200)));
    }
    Ok(name.to_owned())
}

/// What the storefront calls a customer (a nickname), trimmed: 1–40 characters
/// without control characters.
pub fn customer_name(text: &str) -> Result<String, FieldError> {
    let name = text.trim();
    if name.is_empty() || name.chars().count() > 40 || name.chars().any(char::is_control) {
        return Err(FieldError::new("name", Reason::Characters(1, 40)));
    }
    Ok(name.to_owned())
}

/// A membership level as the storefront names it ("金卡"), trimmed: 1–32
/// characters without control characters; empty means none.
pub fn member_level(text: &str) -> Result<Option<String>, FieldError> {
    let level = text.trim();
    if level.is_empty() {
        return Ok(None);
    }
    if level.chars().count() > 32 || level.chars().any(char::is_control) {
        return Err(FieldError::new("level", Reason::Characters(1, 32)));
    }
    Ok(Some(level.to_owned()))
}

/// The last four digits of a phone number, as staff recognise a customer on
/// the phone ("尾号 5678"); `None` when it holds fewer than four digits.
pub fn phone_tail(phone: &str) -> Option<String> {
    let digits: Vec<char> = phone.chars().filter(char::is_ascii_digit).collect();
    (digits.len() >= 4).then(|| digits[digits.len() - 4..].iter().collect())
}

/// The shortest and longest password staff may choose.
pub const PASSWORD_CHARS: (usize, usize) = (10, 128);

/// A password staff choose: 10 to 128 characters, not only spaces. (Bounded so
/// that hashing it costs the same whatever is sent.)
pub fn new_password(text: &str) -> Result<(), FieldError> {
    let chars = text.chars().count();
    if text.trim().is_empty() || chars < PASSWORD_CHARS.0 || chars > PASSWORD_CHARS.1 {
        return Err(FieldError::new(
            "new_password",
            Reason::Characters(PASSWORD_CHARS.0 as u32, PASSWORD_CHARS.1 as u32),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_checked_as_typed() {
        assert!(customer_ref("c-1").is_ok());
        assert!(customer_ref(&"x".repeat(64)).is_ok());
        for bad in ["", "a b", "tab\there", &"x".repeat(65)] {
            assert_eq!(customer_ref(bad).unwrap_err().field, "customer", "{bad:?}");
        }
        assert!(new_password("correct horse").is_ok());
        for bad in ["short", "          ", &"x".repeat(129)] {
            assert_eq!(new_password(bad).unwrap_err().field, "new_password");
        }
        assert!(shop_slug("demo-shop").is_ok());
        for bad in ["a", "-demo", "Demo", "demo shop", "店铺", &"a".repeat(65)] {
            assert!(shop_slug(bad).is_err(), "{bad}");
        }
        assert_eq!(email(" Owner@Example.COM ").unwrap(), "owner@example.com");
        for bad in [
            "owner",
            "@example.com",
            "owner@example",
            "owner@.com",
            "a b@example.com",
        ] {
            assert!(email(bad).is_err(), "{bad}");
        }
        assert_eq!(customer_name(" 小美 ").unwrap(), "小美");
        for bad in ["  ", "a\nb", &"名".repeat(41)] {
            assert_eq!(customer_name(bad).unwrap_err().field, "name", "{bad:?}");
        }
        assert_eq!(phone_tail("+86 138-0013-5678").as_deref(), Some("5678"));
        assert_eq!(phone_tail("123"), None);
        assert_eq!(product_name("  口红  ").unwrap(), "口红");
        assert!(product_name("   ").is_err());
        assert!(product_name(&"字".repeat(201)).is_err());
    }
}
