//! A shop's dashboard (SPEC §6): today, 7 and 30 days at a glance, 30-day charts,
//! use rate by channel and the handbook's two health checks.

use domain::metrics::{TARGET_AOV_RATIO, TARGET_CLAIM_TO_USE_PERCENT, percent_of};
use domain::{AovComparison, Money};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use store::stats::DayFigures;

use super::chart::{self, Bar, Column};
use super::*;

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(dashboard).service(export_days);
}

const DAYS: u32 = 30;

/// One row of the at-a-glance table: label, today, 7 days, 30 days.
struct Figure {
    label: &'static str,
    values: [String; 3],
}

/// An alert in force, in words (SPEC §8).
struct AlertLine {
    kind: String,
    text: String,
    /// Where to look: the coupon, the orders, the customers.
    link: Option<String>,
    since: String,
}

/// The handbook's monitoring over 30 days (SPEC §8), one figure a row.
struct Monitor {
    label: &'static str,
    value: String,
}

struct Health {
    label: &'static str,
    value: String,
    target: String,
    /// "ok", "low" or "none" (no data yet): the CSS class and the word shown.
    verdict: &'static str,
    verdict_text: &'static str,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    t: T,
    nav: Option<Nav>,
    today: String,
    active_coupons: u64,
    slug: String,
    /// Current members of the shop's membership.
    members: u64,
    /// Members' share of the last 30 days' coupon GMV: "35.2% (¥x / ¥y)".
    members_gmv: String,
    figures: Vec<Figure>,
    charts: Vec<String>,
    channel_chart: Option<String>,
    health: Vec<Health>,
    alerts: Vec<AlertLine>,
    monitoring: Vec<Monitor>,
}

impl DashboardPage {
    /// The charts are our own SVG, built from numbers and escaped labels.
    fn chart_html(&self, index: usize) -> askama::filters::Safe<&str> {
        askama::filters::Safe(self.charts.get(index).map(String::as_str).unwrap_or(""))
    }

    fn channel_html(&self) -> askama::filters::Safe<&str> {
        askama::filters::Safe(self.channel_chart.as_deref().unwrap_or(""))
    }
}

fn verdict(t: T, healthy: Option<bool>) -> (&'static str, &'static str) {
    match healthy {
        Some(true) => ("ok", t.t("dashboard.ok")),
        Some(false) => ("low", t.t("dashboard.low")),
        None => ("none", t.t("dashboard.no_data")),
    }
}

#[get("/shops/{slug}/dashboard")]
pub(super) async fn dashboard(
    req: HttpRequest,
    state: web::Data<AppState>,
    view: InShop,
) -> Result<HttpResponse, AdminError> {
    let (staff, shop, role) = view.parts();
    let t = staff.t;
    let overview =
        store::stats::shop_overview(&state.db, shop.id, shop.time_zone, state.now(), DAYS).await?;
    let days = &overview.days;
    let windows = [
        DayFigures::total(&days[days.len() - 1..]),
        DayFigures::total(&days[days.len().saturating_sub(7)..]),
        DayFigures::total(days),
    ];
    let row = |label, value: &dyn Fn(&DayFigures) -> String| Figure {
        label,
        values: [value(&windows[0]), value(&windows[1]), value(&windows[2])],
    };
    let figures = vec![
        row(t.t("dashboard.claims"), &|d| d.claims.to_string()),
        row(t.t("dashboard.redemptions"), &|d| d.redemptions.to_string()),
        row(t.t("dashboard.cost"), &|d| t.money(d.cost)),
        row(t.t("dashboard.coupon_gmv"), &|d| t.money(d.coupon_gmv)),
        row(t.t("dashboard.coupon_orders"), &|d| {
            d.coupon_orders.to_string()
        }),
    ];

    let label = |d: &DayFigures| d.day.format("%m-%d").to_string();
    let count_chart = |title: &str, class: &str, value: &dyn Fn(&DayFigures) -> u64| {
        let cols: Vec<Column> = days
            .iter()
            .map(|d| Column {
                value: value(d),
                shown: value(d).to_string(),
                label: label(d),
            })
            .collect();
        let max = cols.iter().map(|c| c.value).max().unwrap_or(0);
        chart::columns(title, class, &cols, &max.to_string())
    };
    let cost_columns: Vec<Column> = days
        .iter()
        .map(|d| Column {
            value: u64::try_from(d.cost.fen()).unwrap_or(0),
            shown: t.money(d.cost),
            label: label(d),
        })
        .collect();
    let max_cost = days.iter().map(|d| d.cost).max().unwrap_or(Money::ZERO);
    let charts = vec![
        count_chart(t.t("dashboard.chart_claims"), "claims", &|d| d.claims),
        count_chart(t.t("dashboard.chart_redemptions"), "redemptions", &|d| {
            d.redemptions
        }),
        chart::columns(
            t.t("dashboard.chart_cost"),
            "cost",
            &cost_columns,
            &t.money(max_cost),
        ),
    ];

    let to_bp = |percent: Decimal| (percent * Decimal::ONE_HUNDRED).to_u64().unwrap_or(0);
    let channel_bars: Vec<Bar> = overview
        .channels
        .iter()
        .map(|c| {
            let rate = percent_of(c.used, c.claimed);
            Bar {
                label: t.channel(c.channel).to_owned(),
                basis_points: rate.map(to_bp).unwrap_or(0),
                shown: match rate {
                    Some(rate) => format!("{rate}% ({}/{})", c.used, c.claimed),
                    None => "—".into(),
                },
            }
        })
        .collect();
    let channel_chart = (!channel_bars.is_empty()).then(|| {
        chart::bars(
            t.t("dashboard.use_by_channel"),
            &channel_bars,
            Some(to_bp(TARGET_CLAIM_TO_USE_PERCENT)),
        )
    });

    let claimed: u64 = overview.channels.iter().map(|c| c.claimed).sum();
    let used: u64 = overview.channels.iter().map(|c| c.used).sum();
    let conversion = percent_of(used, claimed);
    let month = &windows[2];
    let aov = AovComparison::new(
        month.coupon_gmv,
        month.coupon_orders,
        month.plain_gmv,
        month.plain_orders,
    );
    let (conversion_verdict, conversion_text) =
        verdict(t, conversion.map(|c| c > TARGET_CLAIM_TO_USE_PERCENT));
    let (aov_verdict, aov_text) = verdict(t, aov.healthy());
    let none = t.t("dashboard.no_data");
    let health = vec![
        Health {
            label: t.t("dashboard.conversion"),
            value: conversion
                .map(|c| format!("{c}% ({used}/{claimed})"))
                .unwrap_or_else(|| none.to_owned()),
            target: format!("> {TARGET_CLAIM_TO_USE_PERCENT}%"),
            verdict: conversion_verdict,
            verdict_text: conversion_text,
        },
        Health {
            label: t.t("dashboard.aov_ratio"),
            value: match (aov.ratio, aov.coupon_aov, aov.non_coupon_aov) {
                (Some(ratio), Some(with), Some(without)) => {
                    format!("{ratio} ({} / {})", t.money(with), t.money(without))
                }
                _ => none.to_owned(),
            },
            target: format!("≥ {TARGET_AOV_RATIO}"),
            verdict: aov_verdict,
            verdict_text: aov_text,
        },
    ];

    let alerts = alert_lines(
        t,
        &shop.slug,
        shop.time_zone,
        store::alerts::open_alerts(&state.db, shop.id).await?,
    );
    let monitored = domain::Metrics::from_tally(overview.tally);
    let dash = || "—".to_owned();
    let monitoring = vec![
        Monitor {
            label: t.t("metrics.median_wait"),
            value: monitored
                .median_hours_to_use
                .map(|h| format!("{h} {}", t.t("metrics.hours")))
                .unwrap_or_else(dash),
        },
        Monitor {
            label: t.t("metrics.next_day"),
            value: monitored
                .next_day_use_rate
                .map(|r| format!("{r}%"))
                .unwrap_or_else(dash),
        },
        Monitor {
            label: t.t("metrics.units_per_order"),
            value: monitored
                .units_per_order
                .map(|u| u.to_string())
                .unwrap_or_else(dash),
        },
        Monitor {
            label: t.t("metrics.cost_per_claimer"),
            value: monitored
                .cost_per_claimer
                .map(|c| {
                    format!(
                        "{} ({} {})",
                        t.money(c),
                        overview.tally.claimers,
                        t.t("dashboard.claimers")
                    )
                })
                .unwrap_or_else(dash),
        },
    ];

    let page = DashboardPage {
        t,
        nav: Some(staff.nav(shop, role, "dashboard", req.path())),
        today: days
            .last()
            .map(|d| d.day.format("%Y-%m-%d").to_string())
            .unwrap_or_default(),
        active_coupons: overview.active_coupons,
        slug: shop.slug.clone(),
        members: store::members::count(&state.db, shop.id).await?,
        members_gmv: {
            let since = state.now() - chrono::Duration::days(i64::from(DAYS));
            let (total, by_members) =
                store::members::coupon_gmv_share(&state.db, shop.id, since).await?;
            match total.fen() {
                0 => "—".to_owned(),
                all => {
                    let permille = by_members.fen() * 1000 / all;
                    format!(
                        "{}.{}% ({} / {})",
                        permille / 10,
                        permille % 10,
                        t.money(by_members),
                        t.money(total)
                    )
                }
            }
        },
        figures,
        charts,
        channel_chart,
        health,
        alerts,
        monitoring,
    };
    Ok(render(StatusCode::OK, &page))
}

/// Each alert as a merchant reads it: what, how much, where to look.
fn alert_lines(
    t: T,
    slug: &str,
    tz: chrono_tz::Tz,
    alerts: Vec<store::alerts::AlertRecord>,
) -> Vec<AlertLine> {
    use domain::alerts::{AlertKind, masked_phone};
    alerts
        .into_iter()
        .map(|alert| {
            let coupon = alert.coupon_name.clone().unwrap_or_default();
            let n = alert.figure.to_string();
            let (text, link) = match alert.kind {
                AlertKind::OverBudget => (
                    t.t("alert.over_budget_text")
                        .replace("{coupon}", &coupon)
                        .replace("{cost}", &t.fen(alert.figure))
                        .replace("{budget}", &t.fen(alert.limit)),
                    alert
                        .coupon_id
                        .map(|id| format!("/shops/{slug}/coupons/{id}")),
                ),
                AlertKind::StockOut => (
                    t.t("alert.stock_out_text")
                        .replace("{coupon}", &coupon)
                        .replace("{left}", &alert.limit.to_string())
                        .replace("{minutes}", &alert.figure.div_euclid(60).max(1).to_string()),
                    alert
                        .coupon_id
                        .map(|id| format!("/shops/{slug}/coupons/{id}/live")),
                ),
                AlertKind::UnpaidOrders => (
                    t.t("alert.unpaid_orders_text").replace("{n}", &n),
                    Some(format!("/shops/{slug}/orders?status=created")),
                ),
                AlertKind::SharedPhone => (
                    t.t("alert.shared_phone_text")
                        .replace("{phone}", &masked_phone(&alert.subject))
                        .replace("{n}", &n),
                    Some(format!(
                        "/shops/{slug}/customers?q={}",
                        urlencode(&alert.subject)
                    )),
                ),
                AlertKind::SharedDevice => (
                    t.t("alert.shared_device_text")
                        .replace("{device}", &alert.subject)
                        .replace("{n}", &n),
                    None,
                ),
            };
            AlertLine {
                kind: t.word("alert.", alert.kind.as_str()),
                text,
                link,
                since: describe::local(alert.raised_at, tz),
            }
        })
        .collect()
}

/// SPEC §8: the dashboard's 30 days as CSV, a row per day of the shop's clock
/// (the zone named in the header), written with the `csv` crate.
#[get("/shops/{slug}/dashboard.csv")]
pub(super) async fn export_days(
    state: web::Data<AppState>,
    view: InShop,
) -> Result<HttpResponse, AdminError> {
    let (_, shop, _) = view.parts();
    let overview =
        store::stats::shop_overview(&state.db, shop.id, shop.time_zone, state.now(), DAYS).await?;
    let header = [
        format!("date ({})", shop.time_zone.name()),
        "claims".into(),
        "redemptions".into(),
        "actual_cost".into(),
        "coupon_orders".into(),
        "coupon_gmv".into(),
        "plain_orders".into(),
        "plain_gmv".into(),
    ];
    let lines = overview.days.iter().map(|day| {
        vec![
            day.day.to_string(),
            day.claims.to_string(),
            day.redemptions.to_string(),
            day.cost.to_string(),
            day.coupon_orders.to_string(),
            day.coupon_gmv.to_string(),
            day.plain_orders.to_string(),
            day.plain_gmv.to_string(),
        ]
    });
    Ok(csv_download(
        &format!("{}-30-days.csv", shop.slug),
        &header,
        lines,
    ))
}
