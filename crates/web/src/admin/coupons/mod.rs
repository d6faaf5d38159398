//! Coupon pages, one file per concern: the list, a coupon's page, its lifecycle
//! steps, the create and edit form, its one-time codes and the live drop console.

mod actions;
mod codes;
mod edit;
mod list;
mod live;
mod page;

use super::*;

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(list::coupons)
        .service(edit::new_coupon)
        .service(edit::create_coupon)
        .service(page::coupon_detail)
        .service(live::live_console)
        .service(edit::edit_coupon)
        .service(edit::update_coupon)
        // Before coupon_action, whose {action} would take "codes" too.
        .service(edit::preview_coupon)
        .service(codes::generate_codes)
        .service(codes::export_codes)
        .service(page::export_metrics)
        .service(actions::coupon_action);
}

/// A change to a coupon by this staff member, logged with it.
async fn audited_coupon(
    state: &AppState,
    staff: &SignedIn,
    shop: &store::shops::ShopRecord,
    action: &'static str,
    existing: Option<i64>,
    work: impl AsyncFnOnce(
        &store::DatabaseTransaction,
    ) -> Result<store::coupons::CouponRecord, store::StoreError>,
) -> Result<store::coupons::CouponRecord, store::StoreError> {
    let actor = staff.actor(shop, state.now());
    let saved = store::audit::write_row(
        &state.db,
        &actor,
        action,
        store::audit::Table::Coupon,
        existing,
        async |tx| {
            let saved = work(tx).await?;
            Ok((saved.id, saved))
        },
    )
    .await?;
    // One-time codes asked for are written after the commit, in chunks.
    store::codes::fill_batches(&state.db, saved.id).await?;
    Ok(saved)
}
