//! The catalog: products listed, created, edited and imported from CSV.

use super::*;

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(product_list)
        .service(search_products)
        .service(new_product)
        .service(create_product)
        .service(edit_product)
        .service(update_product)
        .service(import_products)
        .service(upload_products);
}

#[derive(Template)]
#[template(path = "products.html")]
struct ProductsPage {
    t: T,
    nav: Option<Nav>,
    slug: String,
    can_edit: bool,
    csrf: String,
    rows: Vec<(String, String, String)>,
    next_page: Option<String>,
    notice: Option<String>,
    csv: String,
    import_errors: Vec<String>,
}

#[derive(Deserialize)]
struct ProductsQuery {
    after: Option<String>,
    imported: Option<usize>,
}

async fn products_page(
    state: &AppState,
    staff: &SignedIn,
    slug: &str,
    after: Option<&str>,
    notice: Option<String>,
    csv: String,
    import_errors: Vec<String>,
) -> Result<ProductsPage, AdminError> {
    let (shop, role) = staff.shop(slug)?;
    let t = staff.t;
    let list = store::products::list_products(&state.db, shop.id, after, PAGE_SIZE).await?;
    let next_page = (list.len() as u64 == PAGE_SIZE)
        .then(|| list.last())
        .flatten()
        .map(|last| {
            format!(
                "/shops/{}/products?after={}",
                shop.slug,
                urlencode(last.sku.as_str())
            )
        });
    Ok(ProductsPage {
        t,
        nav: Some(staff.nav(
            shop,
            role,
            "products",
            &format!("/shops/{}/products", shop.slug),
        )),
        slug: shop.slug.clone(),
        can_edit: role.can(Permission::EditShopData),
        csrf: staff.csrf.clone(),
        rows: list
            .iter()
            .map(|p| (p.sku.to_string(), p.name.clone(), t.money(p.price)))
            .collect(),
        next_page,
        notice,
        csv,
        import_errors,
    })
}

#[get("/shops/{slug}/products")]
pub(super) async fn product_list(
    state: web::Data<AppState>,
    staff: SignedIn,
    slug: web::Path<String>,
    query: web::Query<ProductsQuery>,
) -> Result<HttpResponse, AdminError> {
    let notice = query
        .imported
        .map(|n| staff.t.t("products.imported").replace("{}", &n.to_string()));
    let page = products_page(
        &state,
        &staff,
        &slug,
        query.after.as_deref(),
        notice,
        String::new(),
        Vec::new(),
    )
    .await?;
    Ok(render(StatusCode::OK, &page))
}

#[derive(Template)]
#[template(path = "product_form.html")]
struct ProductFormPage {
    t: T,
    nav: Option<Nav>,
    slug: String,
    csrf: String,
    title_key: &'static str,
    action: String,
    editing: bool,
    sku: String,
    name: String,
    price: String,
    errors: HashMap<String, String>,
}

#[derive(Deserialize)]
struct ProductForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    sku: String,
    name: String,
    price: String,
}

session::carries_csrf!(ProductForm);

fn product_form(
    staff: &SignedIn,
    shop: &store::shops::ShopRecord,
    role: domain::roles::Role,
    editing: Option<&str>,
    values: (String, String, String),
    errors: HashMap<String, String>,
) -> ProductFormPage {
    let (sku, name, price) = values;
    ProductFormPage {
        t: staff.t,
        nav: Some(staff.nav(
            shop,
            role,
            "products",
            &format!("/shops/{}/products", shop.slug),
        )),
        slug: shop.slug.clone(),
        csrf: staff.csrf.clone(),
        title_key: if editing.is_some() {
            "products.edit"
        } else {
            "products.new"
        },
        action: match editing {
            Some(sku) => format!("/shops/{}/products/{}", shop.slug, urlencode(sku)),
            None => format!("/shops/{}/products", shop.slug),
        },
        editing: editing.is_some(),
        sku,
        name,
        price,
        errors,
    }
}

/// Checks a product's fields; errors by field, in the staff member's language.
fn read_product(
    t: T,
    sku: &str,
    name: &str,
    price: &str,
) -> Result<(Sku, String, domain::Money), HashMap<String, String>> {
    let mut errors = HashMap::new();
    let sku = Sku::parse(sku)
        .map_err(|e| errors.insert("sku".into(), t.reason(&e.into())))
        .ok();
    let name = domain::ids::product_name(name)
        .map_err(|e| errors.insert("name".into(), t.reason(&e.reason)))
        .ok();
    let price = domain::Money::parse(price)
        .map_err(|e| errors.insert("price".into(), t.reason(&e.into())))
        .ok();
    match (sku, name, price) {
        (Some(sku), Some(name), Some(price)) if errors.is_empty() => Ok((sku, name, price)),
        _ => Err(errors),
    }
}

#[derive(Deserialize)]
struct SearchQuery {
    #[serde(default)]
    q: String,
}

/// The coupon form's product picker: up to 20 products whose SKU starts with,
/// or whose name contains, `q` — as JSON `[{sku, name, price}]`.
#[get("/shops/{slug}/products/search")]
pub(super) async fn search_products(
    state: web::Data<AppState>,
    view: InShop,
    query: web::Query<SearchQuery>,
) -> Result<HttpResponse, AdminError> {
    let (_, shop, _) = view.parts();
    let found = store::products::search(&state.db, shop.id, &query.q, 20).await?;
    let answer: Vec<serde_json::Value> = found
        .iter()
        .map(|p| {
            serde_json::json!({
                "sku": p.sku.as_str(), "name": p.name, "price": p.price.to_string(),
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(answer))
}

#[get("/shops/{slug}/products/new")]
pub(super) async fn new_product(view: InShop) -> Result<HttpResponse, AdminError> {
    let (staff, shop, role) = view.parts();
    staff.require(role, Permission::EditShopData)?;
    let page = product_form(staff, shop, role, None, Default::default(), HashMap::new());
    Ok(render(StatusCode::OK, &page))
}

#[post("/shops/{slug}/products")]
pub(super) async fn create_product(
    state: web::Data<AppState>,
    change: Change<ProductForm, may::EditShopData>,
) -> Result<HttpResponse, AdminError> {
    let (staff, shop, role, form) = change.parts();
    match read_product(staff.t, &form.sku, &form.name, &form.price) {
        Ok((sku, name, price)) => {
            audited_product(&state, staff, shop, "create", None, &sku, &name, price).await?;
            Ok(redirect(&format!("/shops/{}/products", shop.slug)))
        }
        Err(errors) => Ok(render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &product_form(
                staff,
                shop,
                role,
                None,
                (form.sku.clone(), form.name.clone(), form.price.clone()),
                errors,
            ),
        )),
    }
}

#[get("/shops/{slug}/products/{sku}/edit")]
pub(super) async fn edit_product(
    state: web::Data<AppState>,
    view: InShop,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AdminError> {
    let (_, sku) = path.into_inner();
    let (staff, shop, role) = view.parts();
    staff.require(role, Permission::EditShopData)?;
    let sku = Sku::parse(&sku).map_err(|_| staff.fail(Failure::NotFound))?;
    let product = store::products::find_product(&state.db, shop.id, &sku)
        .await?
        .ok_or(staff.fail(Failure::NotFound))?;
    let values = (
        product.sku.to_string(),
        product.name.clone(),
        product.price.to_string(),
    );
    let page = product_form(
        staff,
        shop,
        role,
        Some(sku.as_str()),
        values,
        HashMap::new(),
    );
    Ok(render(StatusCode::OK, &page))
}

#[post("/shops/{slug}/products/{sku}")]
pub(super) async fn update_product(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    change: Change<ProductForm, may::EditShopData>,
) -> Result<HttpResponse, AdminError> {
    let (_, sku) = path.into_inner();
    let (staff, shop, role, form) = change.parts();
    let existing = Sku::parse(&sku).map_err(|_| staff.fail(Failure::NotFound))?;
    let Some(product) = store::products::find_product(&state.db, shop.id, &existing).await? else {
        return Err(staff.fail(Failure::NotFound));
    };
    let id = product.id;
    // The SKU is the product's key: an edit changes name and price only.
    match read_product(staff.t, existing.as_str(), &form.name, &form.price) {
        Ok((sku, name, price)) => {
            audited_product(&state, staff, shop, "update", Some(id), &sku, &name, price).await?;
            Ok(redirect(&format!("/shops/{}/products", shop.slug)))
        }
        Err(errors) => Ok(render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &product_form(
                staff,
                shop,
                role,
                Some(existing.as_str()),
                (sku, form.name.clone(), form.price.clone()),
                errors,
            ),
        )),
    }
}

#[derive(Deserialize)]
struct ImportForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    csv: String,
}

/// One CSV line split into fields; double quotes may wrap a field with commas.
fn csv_fields(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => fields.push(std::mem::take(&mut field)),
            c => field.push(c),
        }
    }
    fields.push(field);
    fields.into_iter().map(|f| f.trim().to_owned()).collect()
}

/// Imports products from CSV pasted into the page.
#[post("/shops/{slug}/product-import")]
pub(super) async fn import_products(
    state: web::Data<AppState>,
    staff: SignedIn,
    slug: web::Path<String>,
    form: web::Form<ImportForm>,
) -> Result<HttpResponse, AdminError> {
    import_csv(&state, &staff, &slug, &form.csrf, &form.csv).await
}

#[derive(actix_multipart::form::MultipartForm)]
struct UploadForm {
    #[multipart(rename = "_csrf")]
    csrf: actix_multipart::form::text::Text<String>,
    #[multipart(limit = "4 MiB")]
    file: actix_multipart::form::bytes::Bytes,
}

/// Imports products from an uploaded CSV file (UTF-8, with or without a BOM).
#[post("/shops/{slug}/product-upload")]
pub(super) async fn upload_products(
    state: web::Data<AppState>,
    staff: SignedIn,
    slug: web::Path<String>,
    form: actix_multipart::form::MultipartForm<UploadForm>,
) -> Result<HttpResponse, AdminError> {
    let text = match std::str::from_utf8(&form.file.data) {
        Ok(text) => text.trim_start_matches('\u{feff}').to_owned(),
        Err(_) => {
            let (shop, _) = staff.shop_to_change(&slug, &form.csrf.0, Permission::EditShopData)?;
            let page = products_page(
                &state,
                &staff,
                &shop.slug,
                None,
                None,
                String::new(),
                vec![staff.t.t("products.not_utf8").to_owned()],
            )
            .await?;
            return Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page));
        }
    };
    import_csv(&state, &staff, &slug, &form.csrf.0, &text).await
}

/// Imports products from CSV, all or nothing: any wrong line and none are saved.
async fn import_csv(
    state: &AppState,
    staff: &SignedIn,
    slug: &str,
    csrf: &str,
    csv: &str,
) -> Result<HttpResponse, AdminError> {
    let (shop, _) = staff.shop_to_change(slug, csrf, Permission::EditShopData)?;
    let t = staff.t;
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for (number, line) in csv.lines().enumerate() {
        let fields = csv_fields(line);
        if line.trim().is_empty()
            || (number == 0
                && fields
                    .first()
                    .is_some_and(|f| f.eq_ignore_ascii_case("sku")))
        {
            continue;
        }
        let line_label = match t.lang {
            Lang::Zh => format!("第{}行", number + 1),
            Lang::En => format!("line {}", number + 1),
        };
        if fields.len() != 3 {
            errors.push(format!("{line_label}: sku,name,price"));
            continue;
        }
        match read_product(t, &fields[0], &fields[1], &fields[2]) {
            Ok(row) => rows.push(row),
            Err(found) => {
                let mut reasons: Vec<_> =
                    found.into_iter().map(|(f, r)| format!("{f} {r}")).collect();
                reasons.sort();
                errors.push(format!("{line_label}: {}", reasons.join("; ")));
            }
        }
    }
    if errors.is_empty() && !rows.is_empty() {
        // Every line was checked before anything is written; the writes go in
        // chunks, so claims never wait behind a big file (SPEC §11).
        let now = state.now();
        let written = store::products::import(&state.db, shop.id, &rows, now).await?;
        store::audit::write(&state.db, &staff.actor(shop, now), async |_| {
            // The first SKUs name the import; a whole catalogue would not fit a log line.
            let skus: Vec<String> = rows
                .iter()
                .take(100)
                .map(|(sku, _, _)| sku.to_string())
                .collect();
            let change = store::audit::Change {
                action: "import",
                entity: "product",
                entity_id: None,
                before: None,
                after: Some(serde_json::json!({ "count": written, "skus": skus })),
            };
            Ok(((), change))
        })
        .await?;
        return Ok(redirect(&format!(
            "/shops/{}/products?imported={}",
            shop.slug,
            rows.len()
        )));
    }
    if rows.is_empty() && errors.is_empty() {
        errors.push(t.t("products.none").to_owned());
    }
    let page = products_page(state, staff, slug, None, None, csv.to_owned(), errors).await?;
    Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
}

/// Saves a product (new or edited) and logs it with the change.
#[allow(clippy::too_many_arguments)]
async fn audited_product(
    state: &AppState,
    staff: &SignedIn,
    shop: &store::shops::ShopRecord,
    action: &'static str,
    existing: Option<i64>,
    sku: &Sku,
    name: &str,
    price: domain::Money,
) -> Result<(), AdminError> {
    let now = state.now();
    store::audit::write_row(
        &state.db,
        &staff.actor(shop, now),
        action,
        store::audit::Table::Product,
        existing,
        async |tx| {
            let (saved, _) =
                store::products::upsert_product(tx, shop.id, sku, name, price, now).await?;
            Ok((saved.id, ()))
        },
    )
    .await?;
    Ok(())
}
