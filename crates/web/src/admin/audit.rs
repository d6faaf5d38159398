//! The audit log (owners): every change staff made, who and when, and each
//! changed field before → after; filtered by what was changed or by whom.

use store::audit::{AuditFilter, Entry};

use super::*;

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(audit_log);
}

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
    action: String,
    entity: String,
    link: Option<String>,
    entity_id: String,
    changes: Vec<(String, String, String)>,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    t: T,
    nav: Option<Nav>,
    entities: Vec<(&'static str, String, bool)>,
    people: Vec<(i64, String, bool)>,
    rows: Vec<EntryRow>,
    next_page: Option<String>,
}

/// Where the words a field stores are translated.
fn word_prefixes(field: &str) -> Option<&'static [&'static str]> {
    Some(match field {
        "status" => &["status.", "notification_status."],
        "role" => &["role."],
        "kind" => &["kind."],
        "benefit_type" => &["benefit_type."],
        "scope_type" => &["scope_type."],
        "validity_type" => &["validity_type."],
        "audience" => &["audience."],
        "notification_channel" => &["settings.channel_"],
        _ => return None,
    })
}

/// A stored value as staff read it: fen as ¥, basis points as %, minutes of
/// the day as a time, anything else as one short line.
fn shown(t: T, tz: chrono_tz::Tz, field: &str, value: &Option<serde_json::Value>) -> String {
    use serde_json::Value;
    match value {
        None | Some(Value::Null) => "—".into(),
        Some(Value::Number(n)) if field.ends_with("_fen") && n.as_i64().is_some() => {
            let fen = n.as_i64().unwrap_or(0);
            t.fen(fen)
        }
        Some(Value::Number(n)) if field.ends_with("_bp") && n.as_i64().is_some() => {
            format!(
                "{}%",
                rust_decimal::Decimal::new(n.as_i64().unwrap_or(0), 2).normalize()
            )
        }
        Some(Value::Number(n)) if field.ends_with("_minute") && n.as_u64().is_some() => {
            let minute = n.as_u64().unwrap_or(0);
            format!("{:02}:{:02}", minute / 60, minute % 60)
        }
        Some(Value::String(word)) if word_prefixes(field).is_some() => {
            // Stored words (a status, a kind, a benefit type …) as the pages say them.
            word_prefixes(field)
                .unwrap_or_default()
                .iter()
                .find_map(|prefix| t.lookup(&format!("{prefix}{word}")))
                .map(str::to_owned)
                .unwrap_or_else(|| word.clone())
        }
        Some(Value::String(text)) => match chrono::DateTime::parse_from_rfc3339(text) {
            Ok(at) => describe::local(at.with_timezone(&chrono::Utc), tz),
            Err(_) => text.chars().take(120).collect(),
        },
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
        action: t.word("audit.action.", &entry.action),
        entity: t.word("audit.entity.", &entry.entity),
        link,
        entity_id: id,
        changes: entry
            .changes()
            .into_iter()
            .filter(|(field, _, _)| {
                !matches!(field.as_str(), "id" | "shop_id" | "staff_id" | "updated_at")
            })
            .map(|(field, before, after)| {
                (
                    t.word("field.", &field),
                    shown(t, tz, &field, &before),
                    shown(t, tz, &field, &after),
                )
            })
            .collect(),
    }
}

#[get("/shops/{slug}/audit")]
pub(super) async fn audit_log(
    req: HttpRequest,
    state: web::Data<AppState>,
    view: InShop,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, AdminError> {
    let (staff, shop, role) = view.parts();
    staff.require(role, Permission::ManageShop)?;
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
            .map(|e| (*e, t.word("audit.entity.", e), entity == Some(*e)))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::admin::i18n::Lang;

    #[test]
    fn stored_words_read_as_the_pages_say_them() {
        let zh = T::new(Lang::Zh);
        let tz = chrono_tz::Asia::Shanghai;
        let word = |text: &str| Some(serde_json::Value::String(text.into()));
        assert_eq!(
            shown(zh, tz, "benefit_type", &word("amount_off")),
            "满减 / 立减"
        );
        assert_eq!(shown(zh, tz, "kind", &word("new_customer")), "新人券");
        assert_eq!(shown(zh, tz, "scope_type", &word("items")), "指定商品");
        assert_eq!(shown(zh, tz, "status", &word("paused")), "已暂停");
        assert_eq!(shown(zh, tz, "audience", &word("followers")), "粉丝");
        // A word without a translation is shown as stored, not dropped.
        assert_eq!(shown(zh, tz, "kind", &word("someday")), "someday");
        let en = T::new(Lang::En);
        assert_eq!(
            shown(en, tz, "benefit_type", &word("tiered_percent")),
            "Tiered"
        );
    }
}
