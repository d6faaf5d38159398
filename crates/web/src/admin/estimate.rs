//! The pre-launch estimate of SPEC §8.

use super::*;

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(estimate_page).service(estimate_from_form);
}

#[derive(Template)]
#[template(path = "estimate.html")]
struct EstimatePage {
    t: T,
    nav: Option<Nav>,
    slug: String,
    form: form::FormValues,
    errors: HashMap<String, String>,
    result: Option<EstimateResult>,
}

impl EstimatePage {
    fn v(&self, name: &str) -> &str {
        self.form.get(name)
    }
}

struct EstimateResult {
    facts: Vec<(&'static str, String)>,
    below_floor: bool,
    floor_warning: String,
    aov_below_threshold: bool,
}

/// The pre-launch calculator (SPEC §8). A GET: it computes, it writes nothing.
#[get("/shops/{slug}/estimate")]
pub(super) async fn estimate_page(
    view: InShop,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, AdminError> {
    let (staff, shop, role) = view.parts();
    let t = staff.t;
    let mut values = form::FormValues::new(query.into_inner());
    for (name, default) in [("use_rate", "30"), ("aov", "120.00"), ("margin", "40")] {
        if values.get(name).is_empty() {
            values.set(name, default.to_owned());
        }
    }
    let mut errors = HashMap::new();
    let mut result = None;
    if !values.get("face_value").is_empty() {
        let money = |errors: &mut HashMap<String, String>, name: &str| {
            let text = values.get(name);
            domain::Money::parse(if text.is_empty() { "0" } else { text })
                .map_err(|e| errors.insert(name.to_owned(), t.reason(&e.into())))
                .ok()
        };
        let percent = |errors: &mut HashMap<String, String>, name: &str| {
            values
                .get(name)
                .trim_end_matches('%')
                .parse::<rust_decimal::Decimal>()
                .map_err(|_| errors.insert(name.to_owned(), t.reason(&Reason::Percent)))
                .ok()
        };
        let face_value = money(&mut errors, "face_value");
        let threshold = money(&mut errors, "threshold");
        let aov = money(&mut errors, "aov");
        let quantity = values
            .get("quantity")
            .parse::<u32>()
            .map_err(|_| errors.insert("quantity".into(), t.reason(&Reason::WholeNumber)))
            .ok();
        let use_rate = percent(&mut errors, "use_rate");
        let margin = percent(&mut errors, "margin");
        if let (
            Some(face_value),
            Some(threshold),
            Some(quantity),
            Some(use_rate),
            Some(aov),
            Some(margin),
        ) = (face_value, threshold, quantity, use_rate, aov, margin)
        {
            let input = domain::EstimateInput {
                face_value,
                threshold,
                quantity,
                expected_use_rate: use_rate,
                average_order_value: aov,
                gross_margin: margin,
            };
            match domain::estimate(&input, shop.profit_floor) {
                Ok(e) => {
                    let percent_text = |p: Option<rust_decimal::Decimal>| {
                        p.map(|p| format!("{p}%"))
                            .unwrap_or_else(|| t.t("estimate.none").to_owned())
                    };
                    result = Some(EstimateResult {
                        facts: vec![
                            (t.t("estimate.issuance_cost"), t.money(e.issuance_cost)),
                            (t.t("estimate.expected_uses"), e.expected_uses.to_string()),
                            (t.t("estimate.expected_cost"), t.money(e.expected_cost)),
                            (t.t("estimate.expected_gmv"), t.money(e.expected_gmv)),
                            (
                                t.t("estimate.roi"),
                                e.roi
                                    .map(|r| r.to_string())
                                    .unwrap_or_else(|| t.t("estimate.none").to_owned()),
                            ),
                            (t.t("estimate.margin_after"), percent_text(e.margin_after)),
                        ],
                        below_floor: e.below_profit_floor,
                        floor_warning: t
                            .t("estimate.floor_warning")
                            .replace(
                                "{margin}",
                                &e.margin_after.map(|m| m.to_string()).unwrap_or_default(),
                            )
                            .replace(
                                "{floor}",
                                &shop
                                    .profit_floor
                                    .map(|f| f.normalize().to_string())
                                    .unwrap_or_default(),
                            ),
                        aov_below_threshold: e.aov_below_threshold,
                    });
                }
                Err(found) => {
                    for error in found.iter() {
                        let field = match error.field.as_str() {
                            "expected_use_rate" => "use_rate",
                            "average_order_value" => "aov",
                            "gross_margin" => "margin",
                            other => other,
                        };
                        errors.insert(field.to_owned(), t.reason(&error.reason));
                    }
                }
            }
        }
    }
    let page = EstimatePage {
        t,
        nav: Some(staff.nav(
            shop,
            role,
            "estimate",
            &format!("/shops/{}/estimate", shop.slug),
        )),
        slug: shop.slug.clone(),
        form: values,
        errors,
        result,
    };
    Ok(render(StatusCode::OK, &page))
}

/// "Estimate this coupon" from the coupon form: what is typed there (saved or
/// not) opens the estimate, filled in. Nothing is written.
#[post("/shops/{slug}/estimate")]
pub(super) async fn estimate_from_form(
    view: InShop,
    body: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AdminError> {
    let (staff, shop, _) = view.parts();
    let values = form::FormValues::new(body.into_inner());
    staff.check_csrf(values.get("_csrf"))?;
    let mut query = Vec::new();
    for (to, from) in [
        ("face_value", "benefit.amount"),
        ("threshold", "benefit.threshold"),
        ("quantity", "quantity"),
    ] {
        let value = values.get(from).trim();
        if !value.is_empty() {
            query.push(format!("{to}={}", urlencode(value)));
        }
    }
    Ok(redirect(&format!(
        "/shops/{}/estimate?{}",
        shop.slug,
        query.join("&")
    )))
}
