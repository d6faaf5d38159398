//! A coupon's lifecycle steps (activate, pause, resume, end — revoking its
//! unused claims if staff ask), revoking an ended coupon's unused claims, and
//! its copy.

use super::*;

#[derive(Deserialize)]
pub(super) struct ActionForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    /// On ending: also revoke the unused claims ("1").
    #[serde(default)]
    revoke: String,
    /// The budget to set (yuan; empty or 0 removes it).
    #[serde(default)]
    budget: String,
}

session::carries_csrf!(ActionForm);

/// Revokes an ended coupon's unused claims and logs how many (SPEC §2).
async fn audited_revoke(
    state: &AppState,
    staff: &SignedIn,
    shop: &store::shops::ShopRecord,
    id: i64,
) -> Result<u64, store::StoreError> {
    let now = state.now();
    let revoked = store::claims::revoke_unused(&state.db, shop.id, id, now).await?;
    store::audit::write(&state.db, &staff.actor(shop, now), async |_| {
        let change = store::audit::Change::new("revoke", "coupon", id)
            .after(Some(serde_json::json!({ "revoked_claims": revoked })));
        Ok(((), change))
    })
    .await?;
    Ok(revoked)
}

/// Activate, pause, resume, end, revoke or clone; only for roles that edit shop data.
#[post("/shops/{slug}/coupons/{id}/{action}")]
pub(super) async fn coupon_action(
    state: web::Data<AppState>,
    path: web::Path<(String, i64, String)>,
    change: Change<ActionForm, may::EditShopData>,
) -> Result<HttpResponse, AdminError> {
    let (_, id, action) = path.into_inner();
    let (staff, shop, _, form) = change.parts();
    let now = state.now();
    let detail = format!("/shops/{}/coupons/{id}", shop.slug);
    if action == "revoke" {
        return match audited_revoke(&state, staff, shop, id).await {
            Ok(_) | Err(store::StoreError::Conflict(_)) => Ok(redirect(&detail)),
            Err(store::StoreError::NotFound(_)) => Err(staff.fail(Failure::NotFound)),
            Err(other) => Err(other.into()),
        };
    }
    if action == "budget" {
        // SPEC §8: past its budget a coupon raises an alert; not a claim rule,
        // so it may change whatever the coupon's state.
        let budget = match form.budget.trim() {
            "" => None,
            text => match domain::Money::parse(text) {
                Ok(amount) if amount.is_zero() => None,
                Ok(amount) => Some(amount),
                Err(_) => return Ok(redirect(&format!("{detail}?budget_error=1#budget"))),
            },
        };
        return match audited_coupon(&state, staff, shop, "budget", Some(id), async |tx| {
            store::alerts::set_budget(tx, shop.id, id, budget).await?;
            store::coupons::get_coupon(tx, shop.id, id).await
        })
        .await
        {
            Ok(_) => Ok(redirect(&detail)),
            Err(store::StoreError::NotFound(_)) => Err(staff.fail(Failure::NotFound)),
            Err(other) => Err(other.into()),
        };
    }
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
        Ok(_) if action == LifecycleAction::End && form.revoke == "1" => {
            audited_revoke(&state, staff, shop, id).await?;
            Ok(redirect(&detail))
        }
        // A stale page asked for a step that no longer applies: show the coupon as it is.
        Ok(_) | Err(store::StoreError::Conflict(_)) => Ok(redirect(&detail)),
        Err(store::StoreError::NotFound(_)) => Err(staff.fail(Failure::NotFound)),
        Err(other) => Err(other.into()),
    }
}
