//! One's own account (SPEC §11): changing the password — the first thing an
//! account with a generated password does — and joining a shop with an
//! invitation code (`/join`, before or without an account).

use super::*;

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(account)
        .service(change_password)
        .service(join_page)
        .service(join);
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    t: T,
    nav: Option<Nav>,
    csrf: String,
    email: String,
    name: String,
    must_change: bool,
    changed: bool,
    error: Option<String>,
    /// Where "back" goes: their first shop, if any.
    back_to: Option<String>,
}

fn account_page(
    staff: &SignedIn,
    changed: bool,
    error: Option<String>,
) -> Result<AccountPage, AdminError> {
    let t = staff.t;
    Ok(AccountPage {
        t,
        nav: None,
        csrf: staff.csrf.clone(),
        email: staff.staff.email.clone(),
        name: staff.staff.name.clone(),
        must_change: staff.staff.must_change_password,
        changed,
        error,
        back_to: staff
            .shops
            .first()
            .map(|(shop, _)| format!("/shops/{}/dashboard", shop.slug)),
    })
}

#[derive(Deserialize)]
struct AccountQuery {
    changed: Option<String>,
}

#[get("/account")]
async fn account(
    staff: SignedIn,
    query: web::Query<AccountQuery>,
) -> Result<HttpResponse, AdminError> {
    let page = account_page(&staff, query.changed.is_some(), None)?;
    Ok(render(StatusCode::OK, &page))
}

#[derive(Deserialize)]
struct PasswordForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    current: String,
    new: String,
    repeat: String,
}

#[post("/account/password")]
async fn change_password(
    state: web::Data<AppState>,
    staff: SignedIn,
    form: web::Form<PasswordForm>,
) -> Result<HttpResponse, AdminError> {
    staff.check_csrf(&form.csrf)?;
    let t = staff.t;
    let refused = if form.new != form.repeat {
        Some(t.t("account.mismatch").to_owned())
    } else {
        match store::staff::change_password(
            &state.db,
            staff.staff.id,
            &form.current,
            &form.new,
            &staff.token,
        )
        .await?
        {
            Ok(()) => None,
            Err(store::staff::PasswordRefused::WrongCurrent) => {
                Some(t.t("account.wrong_current").to_owned())
            }
            Err(store::staff::PasswordRefused::Invalid(error)) => Some(t.reason(&error.reason)),
        }
    };
    match refused {
        None if staff.staff.must_change_password => Ok(redirect("/")),
        None => Ok(redirect("/account?changed=1")),
        Some(error) => {
            let page = account_page(&staff, false, Some(error))?;
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
    }
}

#[derive(Template)]
#[template(path = "join.html")]
struct JoinPage {
    t: T,
    nav: Option<Nav>,
    csrf: String,
    email: String,
    code: String,
    name: String,
    error: Option<String>,
}

fn join_response(
    status: StatusCode,
    lang: Lang,
    secure: bool,
    typed: Option<&JoinForm>,
    error: Option<String>,
) -> HttpResponse {
    let csrf = store::staff::generate_password();
    let page = JoinPage {
        t: T::new(lang),
        nav: None,
        csrf: csrf.clone(),
        email: typed.map(|f| f.email.clone()).unwrap_or_default(),
        code: typed.map(|f| f.code.clone()).unwrap_or_default(),
        name: typed.map(|f| f.name.clone()).unwrap_or_default(),
        error,
    };
    with_form_token(render(status, &page), csrf, secure)
}

#[get("/join")]
async fn join_page(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    join_response(
        StatusCode::OK,
        browser_lang(&req),
        state.secure_cookies,
        None,
        None,
    )
}

#[derive(Deserialize)]
struct JoinForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    email: String,
    code: String,
    password: String,
    #[serde(default)]
    name: String,
}

/// Joins the invited shop and signs in: an account's own password, or a new
/// account with the password chosen here.
#[post("/join")]
async fn join(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<JoinForm>,
) -> Result<HttpResponse, AdminError> {
    let lang = browser_lang(&req);
    check_form_token(&req, &state, &form.csrf, lang)?;
    let t = T::new(lang);
    let joined = store::staff::join(
        &state.db,
        store::staff::JoinRequest {
            email: &form.email,
            code: &form.code,
            password: &form.password,
            name: &form.name,
        },
        &state.client_address(&req),
        state.now(),
    )
    .await?;
    let refused = |status, error: String| {
        Ok(join_response(
            status,
            lang,
            state.secure_cookies,
            Some(&form),
            Some(error),
        ))
    };
    match joined {
        Ok((_, session, shop)) => {
            let mut response = redirect(&format!("/shops/{}/dashboard", shop.slug));
            let _ = response.add_cookie(&session_cookie(&session.token, state.secure_cookies));
            let _ = response.add_cookie(&gone_cookie(LOGIN_CSRF_COOKIE, state.secure_cookies));
            Ok(response)
        }
        Err(store::staff::JoinRefused::WrongDetails) => refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            t.t("join.wrong").to_owned(),
        ),
        Err(store::staff::JoinRefused::Password(error)) => {
            refused(StatusCode::UNPROCESSABLE_ENTITY, t.reason(&error.reason))
        }
        Err(store::staff::JoinRefused::Locked(until)) => {
            let when = until
                .with_timezone(&domain::calendar::DEFAULT_TIME_ZONE)
                .format("%H:%M:%S");
            refused(
                StatusCode::TOO_MANY_REQUESTS,
                t.t("login.locked").replace("{}", &when.to_string()),
            )
        }
    }
}
