//! A private coupon's one-time codes: generating more, exporting them all.

use super::*;

#[derive(Deserialize)]
struct CodesForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    count: String,
}

session::carries_csrf!(CodesForm);

/// The most codes one request generates (they are written in chunks).
const MAX_CODES_PER_BATCH: u32 = 100_000;

#[post("/shops/{slug}/coupons/{id}/codes")]
pub(super) async fn generate_codes(
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    change: Change<CodesForm, may::EditShopData>,
) -> Result<HttpResponse, AdminError> {
    let (_, id) = path.into_inner();
    let (staff, shop, _, form) = change.parts();
    let record = store::coupons::get_coupon(&state.db, shop.id, id)
        .await
        .map_err(|_| staff.fail(Failure::NotFound))?;
    if !matches!(
        record.coupon.rules(),
        domain::KindRules::Private(domain::PrivateCodes::Unique { .. })
    ) {
        return Err(staff.fail(Failure::NotFound));
    }
    let detail = format!("/shops/{}/coupons/{id}", shop.slug);
    match form.count.trim().parse::<u32>() {
        Ok(count) if (1..=MAX_CODES_PER_BATCH).contains(&count) => {
            let now = state.now();
            let actor = staff.actor(shop, now);
            store::audit::write_row(
                &state.db,
                &actor,
                "generate",
                store::audit::Table::CodeBatch,
                None,
                async |tx| {
                    let batch = store::codes::open_batch(tx, id, count, now).await?;
                    Ok((batch, ()))
                },
            )
            .await?;
            // Written after the batch is logged, a chunk per transaction: claims
            // never wait behind a 100,000-code batch.
            store::codes::fill_batches(&state.db, id).await?;
            Ok(redirect(&detail))
        }
        _ => Ok(redirect(&format!("{detail}?codes_error=1"))),
    }
}

/// All of a coupon's codes as CSV, streamed a page at a time: memory stays flat
/// however many codes there are.
#[get("/shops/{slug}/coupons/{id}/codes.csv")]
pub(super) async fn export_codes(
    state: web::Data<AppState>,
    view: InShop,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, AdminError> {
    let (_, id) = path.into_inner();
    let (staff, shop, _) = view.parts();
    let record = store::coupons::get_coupon(&state.db, shop.id, id)
        .await
        .map_err(|_| staff.fail(Failure::NotFound))?;
    if !matches!(record.coupon.rules(), domain::KindRules::Private(_)) {
        return Err(staff.fail(Failure::NotFound));
    }
    let db = state.db.clone();
    // Times on the shop's clock, as every page shows them, named in the header.
    let tz = shop.time_zone;
    let header = web::Bytes::from(format!("code,one_time,used_at ({})\n", tz.name()));
    let pages = futures_util::stream::unfold(Some(0i64), move |after| {
        let db = db.clone();
        async move {
            let after = after?;
            match store::codes::codes_page(&db, id, after, 1000).await {
                Ok(page) if page.is_empty() => None,
                Ok(page) => {
                    let next = page.last().map(|c| c.id);
                    let mut text = String::with_capacity(page.len() * 40);
                    for code in &page {
                        let used = code
                            .used_at
                            .map(|t| t.with_timezone(&tz).format("%Y-%m-%d %H:%M:%S").to_string())
                            .unwrap_or_default();
                        text.push_str(&format!("{},{},{}\n", code.code, code.one_time, used));
                    }
                    Some((Ok::<_, actix_web::Error>(web::Bytes::from(text)), next))
                }
                Err(error) => {
                    tracing::error!(%error, "code export stopped");
                    None
                }
            }
        }
    });
    let body =
        futures_util::stream::once(async move { Ok::<_, actix_web::Error>(header) }).chain(pages);
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"coupon-{id}-codes.csv\""),
        ))
        .streaming(body))
}
