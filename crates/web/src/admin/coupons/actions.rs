//! A coupon's lifecycle steps (activate, pause, resume, end) and its copy.

use super::*;

/// Activate, pause, resume, end or clone; only for roles that edit shop data.
#[post("/shops/{slug}/coupons/{id}/{action}")]
pub(super) async fn coupon_action(
    state: web::Data<AppState>,
    path: web::Path<(String, i64, String)>,
    change: Change<CsrfForm, may::EditShopData>,
) -> Result<HttpResponse, AdminError> {
    let (_, id, action) = path.into_inner();
    let (staff, shop, _, _) = change.parts();
    let now = state.now();
    if action == "clone" {
        let record = store::coupons::get_coupon(&state.db, shop.id, id)
            .await
            .map_err(|_| staff.fail(Failure::NotFound))?;
        let copy = record
            .coupon
            .copy(staff.t.t("clone.suffix"))
            .map_err(|_| staff.fail(Failure::Internal))?;
        let created = audited_coupon(&state, staff, shop, "clone", None, async |tx| {
            store::coupons::create_coupon_in(tx, shop.id, &copy, CouponStatus::Draft, now).await
        })
        .await?;
        return Ok(redirect(&format!(
            "/shops/{}/coupons/{}",
            shop.slug, created.id
        )));
    }
    let action: LifecycleAction = action.parse().map_err(|_| staff.fail(Failure::NotFound))?;
    let applied = audited_coupon(&state, staff, shop, action.as_str(), Some(id), async |tx| {
        store::coupons::apply_action_in(tx, shop.id, id, action, now).await
    })
    .await;
    match applied {
        // A stale page asked for a step that no longer applies: show the coupon as it is.
        Ok(_) | Err(store::StoreError::Conflict(_)) => {
            Ok(redirect(&format!("/shops/{}/coupons/{id}", shop.slug)))
        }
        Err(store::StoreError::NotFound(_)) => Err(staff.fail(Failure::NotFound)),
        Err(other) => Err(other.into()),
    }
}
