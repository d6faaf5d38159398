//! The signed-in person's own account (SPEC §11): changing their password — the
//! first thing an account with a generated password does — and the invitations
//! to shops waiting for their answer.

use super::*;

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(account)
        .service(change_password)
        .service(answer_invitation);
}

struct InvitationRow {
    id: i64,
    shop_name: String,
    role: &'static str,
    invited_at: String,
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
    invitations: Vec<InvitationRow>,
    /// Where "back" goes: their first shop, if any.
    back_to: Option<String>,
}

async fn account_page(
    state: &AppState,
    staff: &SignedIn,
    changed: bool,
    error: Option<String>,
) -> Result<AccountPage, AdminError> {
    let t = staff.t;
    let invitations = store::staff::invitations_of(&state.db, staff.staff.id)
        .await?
        .into_iter()
        .map(|i| InvitationRow {
            id: i.id,
            shop_name: i.shop_name,
            role: t.role(i.role),
            invited_at: describe::local(i.created_at, domain::calendar::DEFAULT_TIME_ZONE),
        })
        .collect();
    Ok(AccountPage {
        t,
        nav: None,
        csrf: staff.csrf.clone(),
        email: staff.staff.email.clone(),
        name: staff.staff.name.clone(),
        must_change: staff.staff.must_change_password,
        changed,
        error,
        invitations,
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
    state: web::Data<AppState>,
    staff: SignedIn,
    query: web::Query<AccountQuery>,
) -> Result<HttpResponse, AdminError> {
    let page = account_page(&state, &staff, query.changed.is_some(), None).await?;
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
            let page = account_page(&state, &staff, false, Some(error)).await?;
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
    }
}

/// `POST /account/invitations/{id}/accept` or `…/decline`.
#[post("/account/invitations/{id}/{answer}")]
async fn answer_invitation(
    state: web::Data<AppState>,
    staff: SignedIn,
    path: web::Path<(i64, String)>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, AdminError> {
    staff.check_csrf(&form.csrf)?;
    let (id, answer) = path.into_inner();
    let accept = match answer.as_str() {
        "accept" => true,
        "decline" => false,
        _ => return Err(staff.fail(Failure::NotFound)),
    };
    let joined = store::staff::answer_invitation(&state.db, staff.staff.id, id, accept)
        .await
        .map_err(|error| match error {
            store::StoreError::NotFound(_) => staff.fail(Failure::NotFound),
            other => other.into(),
        })?;
    Ok(match joined {
        Some(shop) => redirect(&format!("/shops/{}/dashboard", shop.slug)),
        None => redirect("/account"),
    })
}
