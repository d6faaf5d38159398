//! The notification outbox: every reminder with its status, attempts and last
//! error, filtered by status; a failed one can be sent again.

use store::lists::Page;

use super::*;

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(notification_list).service(retry_notification);
}

const STATUSES: [&str; 5] = ["queued", "sending", "sent", "failed", "dropped"];

#[derive(Deserialize)]
struct ListQuery {
    status: Option<String>,
    before: Option<i64>,
}

struct NotificationRow {
    id: i64,
    /// `None`: a message to staff (an alert).
    customer_id: Option<i64>,
    customer: super::describe::Who,
    kind: String,
    /// The coupon the message is about, from its payload.
    about: String,
    channel: String,
    status: String,
    status_class: String,
    attempts: u32,
    last_error: String,
    created_at: String,
    next_attempt: String,
    failed: bool,
}

#[derive(Template)]
#[template(path = "notifications.html")]
struct NotificationsPage {
    t: T,
    nav: Option<Nav>,
    slug: String,
    statuses: Vec<(&'static str, String, bool)>,
    rows: Vec<NotificationRow>,
    can_retry: bool,
    csrf: String,
    here: String,
    next_page: Option<String>,
}

#[get("/shops/{slug}/notifications")]
pub(super) async fn notification_list(
    req: HttpRequest,
    state: web::Data<AppState>,
    view: InShop,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AdminError> {
    let (staff, shop, role) = view.parts();
    let t = staff.t;
    let tz = shop.time_zone;
    let status = query.status.as_deref().filter(|s| STATUSES.contains(s));
    let page = Page {
        before: query.before,
        limit: PAGE_SIZE,
    };
    let found = store::notifications::outbox(&state.db, shop.id, status, page).await?;
    let next_page = next_page(
        req.path(),
        found.len(),
        found.last().map(|(n, _)| n.id),
        &[("status", status)],
    );
    let rows = found
        .into_iter()
        .map(|(n, customer)| NotificationRow {
            id: n.id,
            customer_id: n.customer_id,
            customer: super::describe::who(t, &customer),
            kind: t.word("notification.", &n.kind),
            about: serde_json::from_str::<serde_json::Value>(&n.payload)
                .ok()
                .and_then(|p| {
                    let alert = p["alert"].as_str().map(|kind| t.word("alert.", kind));
                    match (alert, p["coupon_name"].as_str()) {
                        (Some(alert), Some(coupon)) => Some(format!("{alert} · {coupon}")),
                        (Some(alert), None) => Some(alert),
                        (None, coupon) => coupon.map(str::to_owned),
                    }
                })
                .unwrap_or_default(),
            channel: t.word("notify_channel.", &n.channel),
            status: t.word("notification_status.", &n.status),
            failed: n.status == "failed",
            status_class: n.status,
            attempts: n.attempts,
            last_error: n.last_error.unwrap_or_default(),
            created_at: describe::local(n.created_at, tz),
            next_attempt: describe::local(n.next_attempt_at, tz),
        })
        .collect();
    let here = match req.query_string() {
        "" => req.path().to_owned(),
        query => format!("{}?{query}", req.path()),
    };
    let page = NotificationsPage {
        t,
        nav: Some(staff.nav(shop, role, "notifications", req.path())),
        slug: shop.slug.clone(),
        statuses: STATUSES
            .iter()
            .map(|s| (*s, t.word("notification_status.", s), status == Some(*s)))
            .collect(),
        rows,
        can_retry: role.can(Permission::EditShopData),
        csrf: staff.csrf.clone(),
        here,
        next_page,
    };
    Ok(render(StatusCode::OK, &page))
}

#[derive(Deserialize)]
struct RetryForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    back: Option<String>,
}

session::carries_csrf!(RetryForm);

/// Queues a failed notification again (attempts start over).
#[post("/shops/{slug}/notifications/{id}/retry")]
pub(super) async fn retry_notification(
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    change: Change<RetryForm, may::EditShopData>,
) -> Result<HttpResponse, AdminError> {
    let (_, id) = path.into_inner();
    let (staff, shop, _, form) = change.parts();
    let now = state.now();
    let retried = store::audit::write_row(
        &state.db,
        &staff.actor(shop, now),
        "retry",
        store::audit::Table::Notification,
        Some(id),
        async |tx| {
            store::notifications::retry_notification(tx, shop.id, id, now).await?;
            Ok((id, ()))
        },
    )
    .await;
    match retried {
        // Retried, or no longer failed (a stale page): show the outbox as it is.
        Ok(()) | Err(store::StoreError::Conflict(_)) => {}
        Err(other) => return Err(other.into()),
    }
    let back = form
        .back
        .as_deref()
        .filter(|b| b.starts_with(&format!("/shops/{}/notifications", shop.slug)))
        .map(str::to_owned)
        .unwrap_or_else(|| format!("/shops/{}/notifications", shop.slug));
    Ok(redirect(&back))
}
