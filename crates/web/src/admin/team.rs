//! Staff and API keys (owners only): add someone with a role (a new account's
//! password is shown once), change a role, take someone off the shop; create an
//! API key (shown once) and revoke one. A shop always keeps an owner.

use domain::roles::Role;
use store::audit::Actor;

use super::*;

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(team)
        .service(add_staff)
        .service(change_staff)
        .service(create_key)
        .service(revoke_key);
}

const ROLES: [Role; 3] = [Role::Owner, Role::Operator, Role::Viewer];

struct MemberRow {
    id: i64,
    name: String,
    email: String,
    role: &'static str,
    is_me: bool,
}

struct KeyRow {
    id: i64,
    prefix: String,
    label: String,
    created_at: String,
    last_used: String,
    revoked: Option<String>,
}

#[derive(Template)]
#[template(path = "team.html")]
struct TeamPage {
    t: T,
    nav: Option<Nav>,
    slug: String,
    csrf: String,
    roles: Vec<(&'static str, &'static str)>,
    members: Vec<MemberRow>,
    /// Invitations not answered yet: email, role, when.
    invited: Vec<(String, &'static str, String)>,
    keys: Vec<KeyRow>,
    /// Shown once: a new account's password or a new API key.
    secret: Option<(String, String)>,
    notice: Option<String>,
    error: Option<String>,
    form: form::FormValues,
}

impl TeamPage {
    fn v(&self, name: &str) -> &str {
        self.form.get(name)
    }
}

/// What to show above the lists after a change.
#[derive(Default)]
struct Outcome {
    secret: Option<(String, String)>,
    notice: Option<String>,
    error: Option<String>,
    form: form::FormValues,
}

async fn team_page(
    state: &AppState,
    staff: &SignedIn,
    slug: &str,
    outcome: Outcome,
) -> Result<TeamPage, AdminError> {
    let (shop, role) = staff.shop_with(slug, Permission::ManageShop)?;
    let t = staff.t;
    let tz = shop.time_zone;
    let members = store::staff::shop_staff(&state.db, shop.id).await?;
    let keys = store::api_keys::list_api_keys(&state.db, shop.id).await?;
    let invited = store::staff::shop_invitations(&state.db, shop)
        .await?
        .into_iter()
        .map(|i| (i.email, t.role(i.role), describe::local(i.expires_at, tz)))
        .collect();
    Ok(TeamPage {
        t,
        nav: Some(staff.nav(shop, role, "team", &format!("/shops/{}/team", shop.slug))),
        slug: shop.slug.clone(),
        csrf: staff.csrf.clone(),
        roles: ROLES.iter().map(|r| (r.as_str(), t.role(*r))).collect(),
        members: members
            .into_iter()
            .map(|(person, role)| MemberRow {
                is_me: person.id == staff.staff.id,
                id: person.id,
                name: person.name,
                email: person.email,
                role: role.as_str(),
            })
            .collect(),
        invited,
        keys: keys
            .into_iter()
            .map(|key| KeyRow {
                id: key.id,
                prefix: format!("mo_{}_…", key.prefix),
                label: key.label,
                created_at: describe::local(key.created_at, tz),
                last_used: describe::local_opt(key.last_used_at, tz),
                revoked: key.revoked_at.map(|at| describe::local(at, tz)),
            })
            .collect(),
        secret: outcome.secret,
        notice: outcome.notice,
        error: outcome.error,
        form: outcome.form,
    })
}

#[get("/shops/{slug}/team")]
pub(super) async fn team(
    state: web::Data<AppState>,
    staff: SignedIn,
    slug: web::Path<String>,
) -> Result<HttpResponse, AdminError> {
    let page = team_page(&state, &staff, &slug, Outcome::default()).await?;
    Ok(render(StatusCode::OK, &page))
}

/// Renders the page after a change: 200 when it worked, 422 with the reason when not.
async fn after_change(
    state: &AppState,
    staff: &SignedIn,
    slug: &str,
    result: Result<Outcome, store::StoreError>,
    form: form::FormValues,
) -> Result<HttpResponse, AdminError> {
    let t = staff.t;
    let (status, outcome) = match result {
        Ok(outcome) => (StatusCode::OK, outcome),
        Err(store::StoreError::NotFound(_)) => return Err(staff.fail(Failure::NotFound)),
        Err(store::StoreError::Invalid(errors)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Outcome {
                error: Some(
                    errors
                        .iter()
                        .map(|e| {
                            format!(
                                "{}: {}",
                                t.t(&format!("team.{}", e.field)),
                                t.reason(&e.reason)
                            )
                        })
                        .collect::<Vec<_>>()
                        .join("; "),
                ),
                form,
                ..Outcome::default()
            },
        ),
        Err(store::StoreError::Conflict(reason)) => (
            StatusCode::CONFLICT,
            Outcome {
                error: Some(team_conflict(t, &reason)),
                form,
                ..Outcome::default()
            },
        ),
        Err(other) => return Err(other.into()),
    };
    let page = team_page(state, staff, slug, outcome).await?;
    Ok(render(status, &page))
}

fn team_conflict(t: T, conflict: &store::Conflict) -> String {
    match conflict {
        store::Conflict::LastOwner => t.t("team.last_owner").to_owned(),
        store::Conflict::AlreadyInShop(_) => t.t("team.already_member").to_owned(),
        other => other.to_string(),
    }
}

fn role_from(values: &form::FormValues) -> Result<Role, store::StoreError> {
    values
        .get("role")
        .parse::<Role>()
        .map_err(|_| store::StoreError::invalid("role", domain::Reason::Role))
}

#[post("/shops/{slug}/team/staff")]
pub(super) async fn add_staff(
    state: web::Data<AppState>,
    slug: web::Path<String>,
    change: Change<form::FormValues, may::ManageShop>,
) -> Result<HttpResponse, AdminError> {
    let (staff, shop, _, values) = change.parts();
    let actor = staff.actor(shop, state.now());
    let t = staff.t;
    let result = async {
        let role = role_from(values)?;
        let email = values.get("email");
        store::audit::write(&state.db, &actor, async |tx| {
            let invited = store::staff::invite(
                tx,
                store::staff::Joining { email, role },
                shop.id,
                staff.staff.id,
                actor.at,
            )
            .await?;
            let change = store::audit::Change::new("invite", "invitation", invited.id).after(Some(
                serde_json::json!({"email": invited.email, "role": role.as_str()}),
            ));
            Ok((invited, change))
        })
        .await
    }
    .await
    .map(|invited| Outcome {
        // The same answer whether the email has an account or not.
        secret: Some((
            t.t("team.invitation_once")
                .replace("{email}", &invited.email)
                .replace(
                    "{until}",
                    &describe::local(invited.expires_at, shop.time_zone),
                ),
            invited.code,
        )),
        ..Outcome::default()
    });
    after_change(&state, staff, &slug, result, values.clone()).await
}

/// `POST …/team/staff/{id}/role` (change the role) or `…/remove`.
#[post("/shops/{slug}/team/staff/{id}/{action}")]
pub(super) async fn change_staff(
    state: web::Data<AppState>,
    path: web::Path<(String, i64, String)>,
    change: Change<form::FormValues, may::ManageShop>,
) -> Result<HttpResponse, AdminError> {
    let (slug, id, action) = path.into_inner();
    let (staff, shop, _, values) = change.parts();
    let actor: Actor = staff.actor(shop, state.now());
    let result = match action.as_str() {
        "role" => match role_from(values) {
            Ok(role) => {
                store::audit::write(&state.db, &actor, async |tx| {
                    let before = store::staff::membership_row(tx, id, shop.id).await?;
                    store::staff::change_role(tx, id, shop.id, role).await?;
                    let after = store::staff::membership_row(tx, id, shop.id).await?;
                    let change = store::audit::Change::new("change_role", "membership", id)
                        .before(before)
                        .after(after);
                    Ok(((), change))
                })
                .await
            }
            Err(error) => Err(error),
        },
        "remove" => {
            store::audit::write(&state.db, &actor, async |tx| {
                let before = store::staff::membership_row(tx, id, shop.id).await?;
                store::staff::remove_from_shop(tx, id, shop.id).await?;
                Ok((
                    (),
                    store::audit::Change::new("remove", "membership", id).before(before),
                ))
            })
            .await
        }
        _ => return Err(staff.fail(Failure::NotFound)),
    };
    if result.is_ok() && id == staff.staff.id && action == "remove" {
        // Took themselves off the shop: nothing here to show them any more.
        return Ok(redirect("/"));
    }
    let result = result.map(|()| Outcome {
        notice: Some(staff.t.t("team.saved").to_owned()),
        ..Outcome::default()
    });
    after_change(&state, staff, &slug, result, form::FormValues::default()).await
}

#[post("/shops/{slug}/team/keys")]
pub(super) async fn create_key(
    state: web::Data<AppState>,
    slug: web::Path<String>,
    change: Change<form::FormValues, may::ManageShop>,
) -> Result<HttpResponse, AdminError> {
    let (staff, shop, _, values) = change.parts();
    let actor = staff.actor(shop, state.now());
    let label = values.get("label").to_owned();
    let result = store::audit::write_row(
        &state.db,
        &actor,
        "create",
        store::audit::Table::ApiKey,
        None,
        async |tx| store::api_keys::create_api_key(tx, shop.id, &label, actor.at).await,
    )
    .await
    .map(|key| Outcome {
        secret: Some((staff.t.t("team.key_once").to_owned(), key)),
        ..Outcome::default()
    });
    after_change(&state, staff, &slug, result, form::FormValues::default()).await
}

#[post("/shops/{slug}/team/keys/{id}/revoke")]
pub(super) async fn revoke_key(
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    change: Change<CsrfForm, may::ManageShop>,
) -> Result<HttpResponse, AdminError> {
    let (_, id) = path.into_inner();
    let (staff, shop, _, _) = change.parts();
    let actor = staff.actor(shop, state.now());
    let result = store::audit::write_row(
        &state.db,
        &actor,
        "revoke",
        store::audit::Table::ApiKey,
        Some(id),
        async |tx| {
            store::api_keys::revoke_api_key(tx, shop.id, id, actor.at).await?;
            Ok((id, ()))
        },
    )
    .await
    .map(|()| {
        // The key stops working in this process now, in others within seconds.
        crate::api::auth::forget_keys();
        Outcome {
            notice: Some(staff.t.t("team.saved").to_owned()),
            ..Outcome::default()
        }
    });
    after_change(
        &state,
        staff,
        &shop.slug,
        result,
        form::FormValues::default(),
    )
    .await
}
