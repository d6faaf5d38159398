//! The audit log (owners): every change staff made, who and when, and each
//! changed field before → after; filtered by what was changed or by whom.

use store::audit::{AuditFilter, Entry};

use super::*;

const ENTITIES: [&str; 7] = [
    "coupon",
    "code_batch",
    "product",
    "shop",
    "claim",
    "notification",
    "membership",
];

#[derive(Deserialize)]
struct AuditQuery {
    entity: Option<String>,
    staff: Option<i64>,
    before: Option<i64>,
}

struct EntryRow {
    at: String,
    who: String,
    action: &'static str,
    entity: &'static str,
    link: Option<String>,
    entity_id: String,
    changes: Vec<(String, String, String)>,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    t: T,
    nav: Option<Nav>,
    entities: Vec<(&'static str, &'static str, bool)>,
    people: Vec<(i64, String, bool)>,
    rows: Vec<EntryRow>,
    next_page: Option<String>,
}

/// A JSON value as one short line.
fn shown(value: &Option<serde_json::Value>) -> String {
    match value {
        None | Some(serde_json::Value::Null) => "—".into(),
        Some(serde_json::Value::String(text)) => text.chars().take(120).collect(),
        Some(other) => other.to_string().chars().take(120).collect(),
    }
}

fn entry_row(t: T, slug: &str, tz: chrono_tz::Tz, entry: Entry) -> EntryRow {
    let id = entry.entity_id.clone().unwrap_or_default();
    let link = match entry.entity.as_str() {
        "coupon" => Some(format!("/shops/{slug}/coupons/{id}")),
        "product" => Some(format!("/shops/{slug}/products")),
        "shop" => Some(format!("/shops/{slug}/settings")),
        "notification" => Some(format!("/shops/{slug}/notifications")),
        "membership" | "api_key" => Some(format!("/shops/{slug}/team")),
        _ => None,
    };
    EntryRow {
        at: describe::local(entry.at, tz),
        who: entry.staff_name.clone().unwrap_or_else(|| "—".into()),
        action: t.known_or_key("audit.action.", &entry.action),
        entity: t.known_or_key("audit.entity.", &entry.entity),
        link,
        entity_id: id,
        changes: entry
            .changes()
            .into_iter()
            .filter(|(field, _, _)| !matches!(field.as_str(), "id" | "shop_id" | "updated_at"))
            .map(|(field, before, after)| (field, shown(&before), shown(&after)))
            .collect(),
    }
}

#[get("/shops/{slug}/audit")]
pub(super) async fn audit_log(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: SignedIn,
    slug: web::Path<String>,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, AdminError> {
    let (shop, role) = staff.shop_with(&slug, Permission::ManageShop)?;
    let t = staff.t;
    let entity = query
        .entity
        .as_deref()
        .filter(|e| ENTITIES.contains(e) || *e == "api_key");
    let filter = AuditFilter {
        entity: entity.map(str::to_owned),
        staff_id: query.staff,
        before: query.before,
        limit: PAGE_SIZE,
    };
    let entries = store::audit::entries(&state.db, shop.id, &filter).await?;
    let staff_text = query.staff.map(|s| s.to_string());
    let next_page = next_page(
        req.path(),
        entries.len(),
        entries.last().map(|e| e.id),
        &[("entity", entity), ("staff", staff_text.as_deref())],
    );
    let people = store::staff::shop_staff(&state.db, shop.id)
        .await?
        .into_iter()
        .map(|(person, _)| (person.id, person.name, Some(person.id) == query.staff))
        .collect();
    let page = AuditPage {
        t,
        nav: Some(staff.nav(shop, role, "audit", req.path())),
        entities: ENTITIES
            .iter()
            .chain(["api_key"].iter())
            .map(|e| (*e, t.known_or_key("audit.entity.", e), entity == Some(*e)))
            .collect(),
        people,
        rows: entries
            .into_iter()
            .map(|e| entry_row(t, &shop.slug, shop.time_zone, e))
            .collect(),
        next_page,
    };
    Ok(render(StatusCode::OK, &page))
}
