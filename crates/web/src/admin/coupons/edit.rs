//! Creating and editing a coupon, and the form's live summary.

use super::*;

/// The label key of a coupon-form field, for messages away from the field.
fn field_label(field: &str) -> Option<&'static str> {
    Some(match field {
        "name" => "coupons.name",
        "kind" => "coupons.kind",
        "benefit.threshold" | "benefit.amount" | "benefit.percent" | "benefit.tiers" => {
            "coupon.benefit"
        }
        "benefit.min_quantity" => "form.min_quantity",
        "benefit.max_discount" => "form.max_discount",
        "scope.skus" | "scope.type" => "coupon.scope",
        "claim_from" => "form.claim_from",
        "claim_until" => "form.claim_until",
        "validity.days" | "validity.from" | "validity.until" => "coupon.validity",
        "quantity" => "form.quantity",
        "per_customer_limit" => "form.per_customer",
        "per_customer_daily_limit" => "form.per_day",
        "audience" | "audience.tag" => "coupon.audience",
        "channels" => "coupon.channels",
        "regions" => "coupon.regions",
        "repurchase.days_after" => "form.days_after",
        "private.code" => "form.shared_code",
        "private.unique_codes" => "form.unique_codes",
        "reward.min_paid" => "form.reward_min_paid",
        "share.friends" => "form.share_friends",
        "share.friend_coupon_id" => "form.share_friend_coupon",
        _ => return None,
    })
}

/// Up to this many products the form lists them all; beyond, it searches.
const SMALL_CATALOGUE: u64 = 40;

#[derive(Template)]
#[template(path = "coupon_form.html")]
struct CouponFormPage {
    t: T,
    nav: Option<Nav>,
    slug: String,
    title_key: &'static str,
    action: String,
    editing: bool,
    csrf: String,
    form: form::FormValues,
    errors: form::FieldErrors,
    summary: Option<String>,
    kinds: Vec<(&'static str, &'static str)>,
    audiences: Vec<(&'static str, &'static str)>,
    channels: Vec<(&'static str, &'static str, bool)>,
    products: Vec<(String, String, bool)>,
    /// Claims customers hold: when any, what they hold is shown frozen.
    frozen: u64,
    /// A catalogue too big to list: the picker searches.
    search: bool,
    /// Every province: code, name, chosen.
    regions: Vec<(String, String, bool)>,
    /// What a share coupon may give each friend: the shop's other coupons (id, name).
    friend_coupons: Vec<(String, String)>,
}

impl CouponFormPage {
    fn v(&self, name: &str) -> &str {
        self.form.get(name)
    }

    /// The provinces ticked, by name ("" for none: everywhere).
    fn chosen_regions(&self) -> String {
        self.regions
            .iter()
            .filter(|(_, _, chosen)| *chosen)
            .map(|(_, name, _)| name.as_str())
            .collect::<Vec<_>>()
            .join("、")
    }

    fn e(&self, name: &str) -> Option<String> {
        self.errors.get(name).map(|reason| self.t.reason(reason))
    }
}

async fn coupon_form_page(
    state: &AppState,
    staff: &SignedIn,
    shop: &store::shops::ShopRecord,
    role: domain::roles::Role,
    form: form::FormValues,
    errors: form::FieldErrors,
    summary: Option<String>,
) -> Result<CouponFormPage, AdminError> {
    let t = staff.t;
    let chosen = form
        .all("scope.skus")
        .into_iter()
        .flat_map(|value| value.split([',', '，', ' ']))
        .filter(|sku| !sku.is_empty())
        .map(str::to_owned)
        .collect::<Vec<_>>();
    // A small catalogue is listed whole; a big one shows what is chosen and a
    // search (the picker asks the server as staff type).
    let first =
        store::products::list_products(&state.db, shop.id, None, SMALL_CATALOGUE + 1).await?;
    let search = first.len() as u64 > SMALL_CATALOGUE;
    let products: Vec<(String, String)> = if search {
        let names = store::products::names(&state.db, shop.id, chosen.iter().cloned()).await?;
        chosen
            .iter()
            .map(|sku| {
                let name = names.get(sku).cloned().unwrap_or_default();
                (sku.clone(), format!("{name} {sku}"))
            })
            .collect()
    } else {
        first
            .iter()
            .map(|p| {
                let sku = p.sku.to_string();
                (
                    sku.clone(),
                    format!("{} {} ({})", p.name, sku, t.money(p.price)),
                )
            })
            .collect()
    };
    let channels_chosen = form
        .all("channels")
        .into_iter()
        .map(str::to_owned)
        .collect::<Vec<_>>();
    let regions_chosen: Vec<String> = form::region_codes(&form)
        .into_iter()
        .map(str::to_owned)
        .collect();
    let regions = domain::Region::all()
        .map(|region| {
            let code = region.to_string();
            let chosen = regions_chosen.contains(&code);
            (code, t.region(region), chosen)
        })
        .collect();
    let friend_coupons = store::coupons::list_coupons(
        &state.db,
        shop.id,
        &CouponFilter {
            limit: 100,
            ..CouponFilter::default()
        },
    )
    .await?
    .into_iter()
    .filter(|c| c.coupon.kind() != CouponKind::Share && c.status != CouponStatus::Ended)
    .map(|c| (c.id.to_string(), c.coupon.name().to_owned()))
    .collect();
    let path = format!("/shops/{}/coupons/new", shop.slug);
    Ok(CouponFormPage {
        t,
        nav: Some(staff.nav(shop, role, "coupons", &path)),
        slug: shop.slug.clone(),
        title_key: "form.title",
        action: format!("/shops/{}/coupons", shop.slug),
        editing: false,
        csrf: staff.csrf.clone(),
        summary,
        kinds: CouponKind::ALL
            .iter()
            .map(|k| (k.as_str(), t.kind(*k)))
            .collect(),
        audiences: [
            "all",
            "new_customers",
            "returning_customers",
            "followers",
            "members",
            "tag",
        ]
        .into_iter()
        .map(|a| {
            (
                a,
                t.t(match a {
                    "all" => "audience.all",
                    "new_customers" => "audience.new_customers",
                    "returning_customers" => "audience.returning_customers",
                    "followers" => "audience.followers",
                    "members" => "audience.members",
                    _ => "audience.tag",
                }),
            )
        })
        .collect(),
        channels: domain::Channel::ALL
            .iter()
            .map(|c| {
                (
                    c.as_str(),
                    t.channel(*c),
                    channels_chosen.iter().any(|x| x == c.as_str()),
                )
            })
            .collect(),
        products: products
            .into_iter()
            .map(|(sku, label)| {
                let checked = chosen.contains(&sku);
                (sku, label, checked)
            })
            .collect(),
        search,
        frozen: 0,
        regions,
        friend_coupons,
        form,
        errors,
    })
}

/// The forms the list's "new coupon" menu opens, one per kind of coupon staff
/// think of (an item coupon is a shop coupon for chosen products): the preset
/// and the label of what it makes.
pub(super) const NEW_FORMS: [(&str, &str); 9] = [
    ("shop", "kind.shop"),
    ("item", "kind.item"),
    ("new_customer", "kind.new_customer"),
    ("follower", "kind.follower"),
    ("repurchase", "kind.repurchase"),
    ("private", "kind.private"),
    ("member", "kind.member"),
    ("reward", "kind.reward"),
    ("share", "kind.share"),
];

#[derive(Deserialize)]
struct NewQuery {
    kind: Option<String>,
}

#[get("/shops/{slug}/coupons/new")]
pub(super) async fn new_coupon(
    state: web::Data<AppState>,
    view: InShop,
    query: web::Query<NewQuery>,
) -> Result<HttpResponse, AdminError> {
    let (staff, shop, role) = view.parts();
    staff.require(role, Permission::EditShopData)?;
    let preset = query
        .kind
        .as_deref()
        .and_then(|k| NEW_FORMS.iter().find(|(preset, _)| *preset == k))
        .map_or("shop", |(preset, _)| *preset);
    // A sensible start: 满99减10, 1000 in all, one each, claimable for 30 days, valid 7 days.
    let now = state.now();
    let start = now - chrono::Duration::minutes(i64::from(chrono::Timelike::minute(&now)));
    let mut values = form::FormValues::default();
    for (name, value) in [
        ("kind", "shop".to_owned()),
        ("benefit.type", "amount_off".to_owned()),
        ("benefit.threshold", "99.00".to_owned()),
        ("benefit.amount", "10.00".to_owned()),
        ("benefit.min_quantity", "1".to_owned()),
        ("scope.type", "shop".to_owned()),
        ("validity.type", "relative".to_owned()),
        ("validity.days", "7".to_owned()),
        ("claim_from", form::local_input(start, shop.time_zone)),
        (
            "claim_until",
            form::local_input(start + chrono::Duration::days(30), shop.time_zone),
        ),
        ("quantity", "1000".to_owned()),
        ("per_customer_limit", "1".to_owned()),
        ("audience", "all".to_owned()),
        ("repurchase.days_after", "7".to_owned()),
        ("follower.auto_grant", "on".to_owned()),
    ] {
        values.set(name, value);
    }
    // Each kind's own start: what it is for is already chosen.
    match preset {
        "item" => values.set("scope.type", "items".to_owned()),
        "new_customer" => {
            values.set("kind", preset.to_owned());
            values.set("audience", "new_customers".to_owned());
        }
        "follower" => {
            values.set("kind", preset.to_owned());
            values.set("audience", "followers".to_owned());
        }
        "member" => {
            values.set("kind", preset.to_owned());
            values.set("audience", "members".to_owned());
            values.set("member.join_gift", "on".to_owned());
        }
        "reward" => {
            values.set("kind", preset.to_owned());
            values.set("reward.min_paid", "199.00".to_owned());
            values.set("reward.trigger", "paid".to_owned());
            values.set("quantity", String::new());
            values.set("per_customer_limit", String::new());
        }
        "share" => {
            values.set("kind", preset.to_owned());
            values.set("share.friends", "3".to_owned());
            values.set("share.new_customers_only", "on".to_owned());
        }
        "repurchase" | "private" => values.set("kind", preset.to_owned()),
        _ => {}
    }
    let page =
        coupon_form_page(&state, staff, shop, role, values, Default::default(), None).await?;
    Ok(render(StatusCode::OK, &page))
}

#[post("/shops/{slug}/coupons")]
pub(super) async fn create_coupon(
    state: web::Data<AppState>,
    change: Change<form::FormValues, may::EditShopData>,
) -> Result<HttpResponse, AdminError> {
    let (staff, shop, role, values) = change.parts();
    let status = if values.get("status") == "draft" {
        CouponStatus::Draft
    } else {
        CouponStatus::Active
    };
    let (errors, summary) = match form::read_coupon(values, shop.time_zone) {
        Ok(coupon) if let Some(deep) = form::unconfirmed_deep_discount(values, &coupon) => (
            std::iter::once(deep).collect(),
            Some(describe::summary(&coupon, staff.t, shop.time_zone)),
        ),
        Ok(coupon) => {
            let now = state.now();
            let created = audited_coupon(&state, staff, shop, "create", None, async |tx| {
                store::coupons::create_coupon_in(tx, shop.id, &coupon, status, now).await
            })
            .await;
            match created {
                Ok(created) => {
                    return Ok(redirect(&format!(
                        "/shops/{}/coupons/{}",
                        shop.slug, created.id
                    )));
                }
                // The design is sound but the shop refuses it (a code already in use).
                Err(store::StoreError::Invalid(found)) => (
                    found
                        .iter()
                        .map(|e| (e.field.clone(), e.reason.clone()))
                        .collect(),
                    Some(describe::summary(&coupon, staff.t, shop.time_zone)),
                ),
                Err(other) => return Err(other.into()),
            }
        }
        Err(errors) => (errors, None),
    };
    // Nothing was written: the form again, with what was typed and the reasons.
    let page = coupon_form_page(&state, staff, shop, role, values.clone(), errors, summary).await?;
    Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
}

/// The form as an edit of coupon `id`.
fn as_edit(mut page: CouponFormPage, id: i64, claimed: u64) -> CouponFormPage {
    page.frozen = claimed;
    page.title_key = "form.edit_title";
    page.action = format!("/shops/{}/coupons/{id}", page.slug);
    page.editing = true;
    page
}

#[get("/shops/{slug}/coupons/{id}/edit")]
pub(super) async fn edit_coupon(
    state: web::Data<AppState>,
    view: InShop,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, AdminError> {
    let (_, id) = path.into_inner();
    let (staff, shop, role) = view.parts();
    staff.require(role, Permission::EditShopData)?;
    let record = store::coupons::get_coupon(&state.db, shop.id, id)
        .await
        .map_err(|_| staff.fail(Failure::NotFound))?;
    let values = form::from_coupon(&record.coupon, shop.time_zone);
    let summary = Some(describe::summary(&record.coupon, staff.t, shop.time_zone));
    let page = coupon_form_page(
        &state,
        staff,
        shop,
        role,
        values,
        Default::default(),
        summary,
    )
    .await?;
    Ok(render(StatusCode::OK, &as_edit(page, id, record.claimed)))
}

/// Saves an edit under SPEC §2's rule: once claimed, what customers hold stays.
#[post("/shops/{slug}/coupons/{id}")]
pub(super) async fn update_coupon(
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    change: Change<form::FormValues, may::EditShopData>,
) -> Result<HttpResponse, AdminError> {
    let (_, id) = path.into_inner();
    let (staff, shop, role, values) = change.parts();
    let detail = format!("/shops/{}/coupons/{id}", shop.slug);
    let errors = match form::read_coupon(values, shop.time_zone) {
        Ok(edited) if let Some(deep) = form::unconfirmed_deep_discount(values, &edited) => {
            std::iter::once(deep).collect()
        }
        Ok(edited) => {
            let now = state.now();
            let updated = audited_coupon(&state, staff, shop, "update", Some(id), async |tx| {
                store::coupons::update_coupon_in(tx, shop.id, id, &edited, now).await
            })
            .await;
            match updated {
                Ok(_) => return Ok(redirect(&detail)),
                Err(store::StoreError::Invalid(found)) => found
                    .iter()
                    .map(|e| (form::field_of(&e.field), e.reason.clone()))
                    .collect(),
                // Ended meanwhile: nothing to edit any more.
                Err(store::StoreError::Conflict(_)) => return Ok(redirect(&detail)),
                Err(store::StoreError::NotFound(_)) => return Err(staff.fail(Failure::NotFound)),
                Err(other) => return Err(other.into()),
            }
        }
        Err(errors) => errors,
    };
    let page = coupon_form_page(&state, staff, shop, role, values.clone(), errors, None).await?;
    let claimed = store::coupons::get_coupon(&state.db, shop.id, id)
        .await
        .map(|r| r.claimed)
        .unwrap_or(0);
    Ok(render(
        StatusCode::UNPROCESSABLE_ENTITY,
        &as_edit(page, id, claimed),
    ))
}

/// The coupon form read as on saving, answered as one line of text: the coupon
/// in words (200), or the first thing to fix (422). Writes nothing.
#[post("/shops/{slug}/coupon-preview")]
pub(super) async fn preview_coupon(
    change: Change<form::FormValues, may::EditShopData>,
) -> Result<HttpResponse, AdminError> {
    let (staff, shop, _, values) = change.parts();
    let text = |status: StatusCode, line: String| {
        HttpResponse::build(status)
            .content_type("text/plain; charset=utf-8")
            .body(line)
    };
    Ok(match form::read_coupon(values, shop.time_zone) {
        // The coupon in words, then its worst case in money on a line of its own.
        Ok(coupon) => text(
            StatusCode::OK,
            format!(
                "{}\n{}",
                describe::summary(&coupon, staff.t, shop.time_zone),
                describe::exposure(&coupon, staff.t)
            ),
        ),
        Err(errors) => {
            let mut errors: Vec<_> = errors.into_iter().collect();
            errors.sort_by(|a, b| a.0.cmp(&b.0));
            // "名称：不能为空" — the field as the form labels it, then why.
            let line = errors
                .first()
                .map(|(field, reason)| match field_label(field) {
                    Some(key) => format!("{}: {}", staff.t.t(key), staff.t.reason(reason)),
                    None => staff.t.reason(reason),
                })
                .unwrap_or_default();
            text(StatusCode::UNPROCESSABLE_ENTITY, line)
        }
    })
}
