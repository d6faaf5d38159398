//! Shop settings: time zone, reminders, quiet hours, monthly cap, profit floor;
//! and where notifications go (the log or a webhook, with its signing secret).

use super::*;

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(settings_page)
        .service(save_settings)
        .service(save_notifications)
        .service(rotate_webhook_secret);
}

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    t: T,
    nav: Option<Nav>,
    slug: String,
    csrf: String,
    can_edit: bool,
    saved: bool,
    form: form::FormValues,
    errors: HashMap<String, String>,
    /// Whether the shop has a webhook signing secret.
    has_secret: bool,
    /// A new webhook secret, shown this once.
    secret: Option<String>,
}

impl SettingsPage {
    fn v(&self, name: &str) -> &str {
        self.form.get(name)
    }
}

fn minutes_text(minute: u32) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

fn settings_values(
    shop: &store::shops::ShopRecord,
    notify: &store::notifications::NotificationSettings,
) -> form::FormValues {
    let mut values = form::FormValues::default();
    values.set("notify.channel", notify.channel.as_str().to_owned());
    values.set(
        "notify.webhook_url",
        notify.webhook_url.clone().unwrap_or_default(),
    );
    values.set("time_zone", shop.time_zone.name().to_owned());
    values.set(
        "reminder_lead_hours",
        shop.reminder_lead_hours
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(", "),
    );
    values.set("quiet_start", minutes_text(shop.quiet_start_minute));
    values.set("quiet_end", minutes_text(shop.quiet_end_minute));
    values.set(
        "monthly_cap",
        shop.monthly_cap.map(|c| c.to_string()).unwrap_or_default(),
    );
    values.set(
        "profit_floor",
        shop.profit_floor
            .map(|p| p.normalize().to_string())
            .unwrap_or_default(),
    );
    values
}

#[derive(Deserialize)]
struct SavedQuery {
    saved: Option<u8>,
}

/// The settings page of `shop`, with what was typed (`form`) and its errors.
async fn page(
    state: &AppState,
    staff: &SignedIn,
    slug: &str,
    form: Option<form::FormValues>,
    errors: HashMap<String, String>,
) -> Result<SettingsPage, AdminError> {
    let (shop, role) = staff.shop(slug)?;
    let notify = store::notifications::settings(&state.db, shop.id).await?;
    let mut values = settings_values(shop, &notify);
    for (name, value) in form.map(|f| f.into_pairs()).unwrap_or_default() {
        values.set(&name, value);
    }
    Ok(SettingsPage {
        t: staff.t,
        nav: Some(staff.nav(
            shop,
            role,
            "settings",
            &format!("/shops/{}/settings", shop.slug),
        )),
        slug: shop.slug.clone(),
        csrf: staff.csrf.clone(),
        can_edit: role.can(Permission::ManageShop),
        saved: false,
        form: values,
        errors,
        has_secret: notify.webhook_secret.is_some(),
        secret: None,
    })
}

/// Everyone may read the settings; only owners change them.
#[get("/shops/{slug}/settings")]
pub(super) async fn settings_page(
    state: web::Data<AppState>,
    staff: SignedIn,
    slug: web::Path<String>,
    query: web::Query<SavedQuery>,
) -> Result<HttpResponse, AdminError> {
    let page = SettingsPage {
        saved: query.saved.is_some(),
        ..page(&state, &staff, &slug, None, HashMap::new()).await?
    };
    Ok(render(StatusCode::OK, &page))
}

/// Owners choose where notifications go: the log, or a webhook URL (https, on
/// the public internet unless the operator allows more; SPEC §5).
#[post("/shops/{slug}/settings/notifications")]
pub(super) async fn save_notifications(
    state: web::Data<AppState>,
    slug: web::Path<String>,
    change: Change<form::FormValues, may::ManageShop>,
) -> Result<HttpResponse, AdminError> {
    let (staff, shop, _, values) = change.parts();
    let channel = values
        .get("notify.channel")
        .parse::<domain::shop::NotificationChannel>()
        .unwrap_or(domain::shop::NotificationChannel::Log);
    let url = values.get("notify.webhook_url").to_owned();
    let saved = store::audit::write_row(
        &state.db,
        &staff.actor(shop, state.now()),
        "update",
        store::audit::Table::Shop,
        Some(shop.id),
        async |tx| {
            store::notifications::configure(tx, shop.id, channel, Some(&url), state.webhooks)
                .await?;
            Ok((shop.id, ()))
        },
    )
    .await;
    match saved {
        Ok(()) => Ok(redirect(&format!("/shops/{}/settings?saved=1", shop.slug))),
        Err(store::StoreError::Invalid(errors)) => {
            let first = errors.first();
            let errors = HashMap::from([(
                format!("notify.{}", first.field),
                staff.t.reason(&first.reason),
            )]);
            let page = page(&state, staff, &slug, Some(values.clone()), errors).await?;
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(other) => Err(other.into()),
    }
}

/// A new webhook signing secret, shown once on the page that answers.
#[post("/shops/{slug}/settings/webhook-secret")]
pub(super) async fn rotate_webhook_secret(
    state: web::Data<AppState>,
    change: Change<CsrfForm, may::ManageShop>,
) -> Result<HttpResponse, AdminError> {
    let (staff, shop, _, _) = change.parts();
    let secret = store::audit::write_row(
        &state.db,
        &staff.actor(shop, state.now()),
        "rotate_secret",
        store::audit::Table::Shop,
        Some(shop.id),
        async |tx| {
            Ok((
                shop.id,
                store::notifications::rotate_secret(tx, shop.id).await?,
            ))
        },
    )
    .await?;
    let page = SettingsPage {
        secret: Some(secret),
        has_secret: true,
        ..page(&state, staff, &shop.slug, None, HashMap::new()).await?
    };
    let mut response = render(StatusCode::OK, &page);
    response.headers_mut().insert(
        actix_web::http::header::CACHE_CONTROL,
        actix_web::http::header::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

fn read_settings(
    values: &form::FormValues,
    t: T,
) -> Result<domain::shop::ShopSettings, HashMap<String, String>> {
    let draft = domain::shop::SettingsDraft {
        time_zone: values.get("time_zone").to_owned(),
        reminder_lead_hours: values.get("reminder_lead_hours").to_owned(),
        quiet_start: values.get("quiet_start").to_owned(),
        quiet_end: values.get("quiet_end").to_owned(),
        monthly_cap: values.get("monthly_cap").to_owned(),
        profit_floor: values.get("profit_floor").to_owned(),
    };
    draft.validate().map_err(|errors| {
        errors
            .iter()
            .map(|e| (e.field.clone(), t.reason(&e.reason)))
            .collect()
    })
}

#[post("/shops/{slug}/settings")]
pub(super) async fn save_settings(
    state: web::Data<AppState>,
    slug: web::Path<String>,
    change: Change<form::FormValues, may::ManageShop>,
) -> Result<HttpResponse, AdminError> {
    let (staff, shop, _, values) = change.parts();
    match read_settings(values, staff.t) {
        Ok(settings) => {
            store::audit::write_row(
                &state.db,
                &staff.actor(shop, state.now()),
                "update",
                store::audit::Table::Shop,
                Some(shop.id),
                async |tx| {
                    let saved = store::shops::update_settings(tx, shop.id, &settings).await?;
                    Ok((saved.id, ()))
                },
            )
            .await?;
            Ok(redirect(&format!("/shops/{}/settings?saved=1", shop.slug)))
        }
        Err(errors) => {
            let page = page(&state, staff, &slug, Some(values.clone()), errors).await?;
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
    }
}
