//! Who is signed in: the `mo_session` cookie (HttpOnly, SameSite=Lax, Secure when
//! configured), the shops they belong to, and the CSRF token their forms carry.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;

use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use domain::roles::{Permission, Role};
use store::shops::ShopRecord;
use store::staff::StaffRecord;

use super::i18n::{Lang, T};
use super::page::{AdminError, Failure, Nav, NavShop};
use crate::state::AppState;

/// A cookie's name: over HTTPS with the `__Host-` prefix, which browsers only
/// accept when `Secure`, from this host, for path `/` — no subdomain or plain
/// HTTP page can set or shadow it.
pub fn cookie_name(name: &'static str, secure: bool) -> String {
    if secure {
        format!("__Host-{name}")
    } else {
        name.to_owned()
    }
}

pub const SESSION_COOKIE: &str = "mo_session";

/// An admin cookie: HttpOnly, path `/`, Secure (and `__Host-`) over HTTPS.
pub fn admin_cookie(
    name: &'static str,
    value: String,
    secure: bool,
    same_site: SameSite,
) -> Cookie<'static> {
    Cookie::build(cookie_name(name, secure), value)
        .path("/")
        .http_only(true)
        .same_site(same_site)
        .secure(secure)
        .finish()
}

/// The same cookie, expired.
pub fn gone_cookie(name: &'static str, secure: bool) -> Cookie<'static> {
    let mut gone = admin_cookie(name, String::new(), secure, SameSite::Lax);
    gone.make_removal();
    gone
}

pub fn session_cookie(token: &str, secure: bool) -> Cookie<'static> {
    let mut cookie = admin_cookie(SESSION_COOKIE, token.to_owned(), secure, SameSite::Lax);
    cookie.set_max_age(CookieDuration::hours(12));
    cookie
}

/// A signed-in staff member.
pub struct SignedIn {
    pub staff: StaffRecord,
    pub csrf: String,
    pub token: String,
    pub shops: Vec<(ShopRecord, Role)>,
    pub t: T,
}

impl SignedIn {
    pub fn lang(&self) -> Lang {
        self.t.lang
    }

    pub fn fail(&self, failure: Failure) -> AdminError {
        AdminError::new(failure, self.lang())
    }

    /// The shop `slug` and the role here; another shop is simply not found.
    pub fn shop(&self, slug: &str) -> Result<(&ShopRecord, Role), AdminError> {
        self.shops
            .iter()
            .find(|(shop, _)| shop.slug == slug)
            .map(|(shop, role)| (shop, *role))
            .ok_or(self.fail(Failure::NotFound))
    }

    /// A state-changing form must carry this session's token.
    pub fn check_csrf(&self, presented: &str) -> Result<(), AdminError> {
        if constant_time_eq(presented.as_bytes(), self.csrf.as_bytes()) {
            Ok(())
        } else {
            Err(self.fail(Failure::Expired))
        }
    }

    /// The shop `slug`, if this staff member's role there allows `permission`.
    pub fn shop_with(
        &self,
        slug: &str,
        permission: Permission,
    ) -> Result<(&ShopRecord, Role), AdminError> {
        let (shop, role) = self.shop(slug)?;
        self.require(role, permission)?;
        Ok((shop, role))
    }

    /// The guard of every change to a shop: the shop must be theirs (404), the
    /// form must carry their CSRF token (403) and their role must allow it (403).
    pub fn shop_to_change(
        &self,
        slug: &str,
        csrf: &str,
        permission: Permission,
    ) -> Result<(&ShopRecord, Role), AdminError> {
        let (shop, role) = self.shop(slug)?;
        self.check_csrf(csrf)?;
        self.require(role, permission)?;
        Ok((shop, role))
    }

    /// This staff member changing `shop` at `at`, for the audit log.
    pub fn actor(
        &self,
        shop: &ShopRecord,
        at: chrono::DateTime<chrono::Utc>,
    ) -> store::audit::Actor {
        store::audit::Actor {
            shop_id: shop.id,
            staff_id: self.staff.id,
            at,
        }
    }

    pub fn require(&self, role: Role, permission: Permission) -> Result<(), AdminError> {
        if role.can(permission) {
            Ok(())
        } else {
            Err(self.fail(Failure::NotAllowed))
        }
    }

    pub fn nav(&self, shop: &ShopRecord, role: Role, section: &'static str, here: &str) -> Nav {
        Nav {
            shops: self
                .shops
                .iter()
                .map(|(s, _)| NavShop {
                    slug: s.slug.clone(),
                    name: s.name.clone(),
                })
                .collect(),
            shop_slug: shop.slug.clone(),
            section,
            manage: role.can(Permission::ManageShop),
            staff_name: self.staff.name.clone(),
            role_name: self.t.role(role),
            csrf: self.csrf.clone(),
            here: here.to_owned(),
        }
    }
}

pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The language for someone not signed in: the browser's.
pub fn browser_lang(req: &HttpRequest) -> Lang {
    Lang::from_accept_language(
        req.headers()
            .get(actix_web::http::header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    )
}

impl FromRequest for SignedIn {
    type Error = AdminError;
    type Future = Pin<Box<dyn Future<Output = Result<SignedIn, AdminError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let secure = state.as_ref().is_some_and(|s| s.secure_cookies);
        let token = req
            .cookie(&cookie_name(SESSION_COOKIE, secure))
            .map(|c| c.value().to_owned());
        let lang = browser_lang(req);
        // A generated password is replaced before anything else (SPEC §11).
        let path = req.path();
        let may_skip_password = matches!(
            path,
            "/" | "/login" | "/account" | "/account/password" | "/logout"
        );
        Box::pin(async move {
            let sign_in = AdminError::new(Failure::SignIn, lang);
            let (Some(state), Some(token)) = (state, token) else {
                return Err(sign_in);
            };
            let Some((staff, csrf)) = store::staff::session(&state.db, &token, state.now()).await?
            else {
                return Err(sign_in);
            };
            if staff.must_change_password && !may_skip_password {
                return Err(AdminError::new(Failure::ChangePassword, lang));
            }
            let shops = store::staff::memberships(&state.db, staff.id).await?;
            let t = T::new(Lang::from_locale(&staff.locale));
            Ok(SignedIn {
                staff,
                csrf,
                token,
                shops,
                t,
            })
        })
    }
}

/// A shop this staff member may see: the `{slug}` of the path, one of theirs
/// (another shop is simply not found).
pub struct InShop {
    staff: SignedIn,
    at: usize,
}

impl InShop {
    /// Who, in which shop, with which role.
    pub fn parts(&self) -> (&SignedIn, &ShopRecord, Role) {
        let (shop, role) = &self.staff.shops[self.at];
        (&self.staff, shop, *role)
    }
}

impl FromRequest for InShop {
    type Error = AdminError;
    type Future = Pin<Box<dyn Future<Output = Result<InShop, AdminError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let signed_in = SignedIn::from_request(req, payload);
        let slug = req.match_info().get("slug").map(str::to_owned);
        Box::pin(async move {
            let staff = signed_in.await?;
            let at = slug
                .and_then(|slug| staff.shops.iter().position(|(shop, _)| shop.slug == slug))
                .ok_or(staff.fail(Failure::NotFound))?;
            Ok(InShop { staff, at })
        })
    }
}

/// A form that carries the session's CSRF token as `_csrf`.
pub trait CarriesCsrf {
    fn csrf(&self) -> &str;
}

/// Forms whose `csrf` field is the `_csrf` input.
macro_rules! carries_csrf {
    ($($form:ty),+ $(,)?) => {
        $(impl $crate::admin::session::CarriesCsrf for $form {
            fn csrf(&self) -> &str {
                &self.csrf
            }
        })+
    };
}
pub(crate) use carries_csrf;

/// What a role must allow for a change ([`Change`]'s second parameter).
pub trait Needs {
    const PERMISSION: Permission;
}

/// The permissions a change may need, as types.
pub mod may {
    use super::{Needs, Permission};

    /// Coupons, products, customers' grants: owners and operators.
    pub struct EditShopData;
    /// Settings, team, API keys: owners.
    pub struct ManageShop;

    impl Needs for EditShopData {
        const PERMISSION: Permission = Permission::EditShopData;
    }
    impl Needs for ManageShop {
        const PERMISSION: Permission = Permission::ManageShop;
    }
}

/// A change to a shop, checked before the handler runs: the shop must be theirs
/// (404), the form `F` must carry their CSRF token (403, "the form expired") and
/// their role must allow `P` (403, "not yours to change").
pub struct Change<F, P> {
    shop: InShop,
    form: F,
    permission: PhantomData<P>,
}

impl<F, P> Change<F, P> {
    /// Who, in which shop, with which role, and what they sent.
    pub fn parts(&self) -> (&SignedIn, &ShopRecord, Role, &F) {
        let (staff, shop, role) = self.shop.parts();
        (staff, shop, role, &self.form)
    }
}

impl<F, P> FromRequest for Change<F, P>
where
    F: serde::de::DeserializeOwned + CarriesCsrf + 'static,
    P: Needs + 'static,
{
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Change<F, P>, actix_web::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let shop = InShop::from_request(req, &mut Payload::None);
        let form = web::Form::<F>::from_request(req, payload);
        Box::pin(async move {
            let shop = shop.await?;
            let form = form.await?.into_inner();
            let (staff, _, role) = shop.parts();
            staff.check_csrf(form.csrf())?;
            staff.require(role, P::PERMISSION)?;
            Ok(Change {
                shop,
                form,
                permission: PhantomData,
            })
        })
    }
}
