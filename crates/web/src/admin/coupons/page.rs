//! A coupon's page: what it is, how it does, its codes and the steps staff may take.

use super::*;

#[derive(Template)]
#[template(path = "coupon.html")]
struct CouponPage {
    t: T,
    nav: Option<Nav>,
    slug: String,
    id: i64,
    name: String,
    status: &'static str,
    status_class: &'static str,
    summary: String,
    /// The worst case in money.
    exposure: String,
    can_edit: bool,
    editable: bool,
    /// Whether the live drop console is worth opening: the coupon can be claimed.
    live: bool,
    csrf: String,
    actions: Vec<(&'static str, &'static str)>,
    facts: Vec<(&'static str, String)>,
    metrics: CouponMetrics,
    claimed: u64,
    used: u64,
    expired: u64,
    revoked: u64,
    unused: u64,
    /// The budget as typed ("500.00", empty for none), and what it shows.
    budget_value: String,
    budget_shown: String,
    budget_error: bool,
    /// The growth tools' figures (SPEC §10): a share coupon's shares and
    /// friends, a member coupon's members and join gifts.
    growth: Vec<(&'static str, u64)>,
    /// Ended with unused claims left: offer to revoke them.
    may_revoke: bool,
    codes: Option<CodesBox>,
    estimate_link: Option<String>,
}

impl CouponPage {
    /// Our own SVG, built from numbers and escaped labels.
    fn daily_chart(&self) -> askama::filters::Safe<&str> {
        askama::filters::Safe(&self.metrics.daily_chart)
    }
}

/// SPEC §8 for one coupon: a row per channel and the total, and a daily chart.
struct CouponMetrics {
    rows: Vec<MetricRow>,
    total: MetricRow,
    issued: String,
    claim_rate: String,
    daily_chart: String,
    revoked: u64,
    /// Claims still in customers' hands (not: neither used nor expired — a
    /// used claim of an unpaid order is not in hand either).
    unused: u64,
    total_cost: domain::Money,
}

struct MetricRow {
    channel: String,
    claimed: u64,
    used: u64,
    expired: u64,
    use_rate: String,
    cost: String,
    gmv: String,
    roi: String,
    units_per_order: String,
    cost_per_claimer: String,
    next_day: String,
    median_wait: String,
}

async fn coupon_metrics(
    state: &AppState,
    t: T,
    record: &store::coupons::CouponRecord,
    shop: &store::shops::ShopRecord,
) -> Result<CouponMetrics, AdminError> {
    let quantity = record.coupon.limits().quantity.map(u64::from);
    let (total, by_channel) = store::metrics::coupon_tally(&state.db, record.id, quantity).await?;
    let none = || "—".to_owned();
    let row = |channel: String, tally: domain::Tally| {
        let m = domain::Metrics::from_tally(tally);
        MetricRow {
            channel,
            claimed: m.claimed,
            used: m.used,
            expired: m.expired,
            use_rate: m.use_rate.map(|r| format!("{r}%")).unwrap_or_else(none),
            cost: t.money(m.actual_cost),
            gmv: t.money(m.coupon_gmv),
            roi: m.roi.map(|r| r.to_string()).unwrap_or_else(none),
            units_per_order: m
                .units_per_order
                .map(|u| u.to_string())
                .unwrap_or_else(none),
            cost_per_claimer: m.cost_per_claimer.map(|c| t.money(c)).unwrap_or_else(none),
            next_day: m
                .next_day_use_rate
                .map(|r| format!("{r}%"))
                .unwrap_or_else(none),
            median_wait: m
                .median_hours_to_use
                .map(|h| format!("{h} {}", t.t("metrics.hours")))
                .unwrap_or_else(none),
        }
    };
    let all = domain::Metrics::from_tally(total);
    let days =
        store::stats::coupon_days(&state.db, record.id, shop.time_zone, state.now(), 30).await?;
    let columns: Vec<super::chart::Column> = days
        .iter()
        .map(|(day, claims, used)| super::chart::Column {
            value: *claims,
            shown: format!(
                "{} {claims} · {} {used}",
                t.t("coupon.claimed"),
                t.t("coupon.used")
            ),
            label: day.format("%m-%d").to_string(),
        })
        .collect();
    let max = days.iter().map(|d| d.1).max().unwrap_or(0);
    Ok(CouponMetrics {
        revoked: total.revoked,
        unused: total.unused,
        total_cost: total.actual_cost,
        rows: by_channel
            .into_iter()
            .map(|(channel, tally)| row(t.channel(channel).to_owned(), tally))
            .collect(),
        total: row(t.t("metrics.total").to_owned(), total),
        issued: quantity
            .map(|q| q.to_string())
            .unwrap_or_else(|| t.t("coupons.unlimited").to_owned()),
        claim_rate: all.claim_rate.map(|r| format!("{r}%")).unwrap_or_else(none),
        daily_chart: super::chart::columns(
            t.t("metrics.daily"),
            "claims",
            &columns,
            &max.to_string(),
        ),
    })
}

/// The codes section of a private coupon's page.
struct CodesBox {
    summary: String,
    one_time: bool,
    error: Option<String>,
}

async fn codes_box(
    state: &AppState,
    t: T,
    record: &store::coupons::CouponRecord,
    error: Option<String>,
) -> Result<Option<CodesBox>, AdminError> {
    let domain::KindRules::Private(codes) = record.coupon.rules() else {
        return Ok(None);
    };
    let (all, used) = store::codes::code_counts(&state.db, record.id).await?;
    let summary = match codes {
        domain::PrivateCodes::Shared { code } => {
            t.t("codes.shared").replace("{code}", code.as_str())
        }
        domain::PrivateCodes::Unique { .. } => {
            let summary = t
                .t("codes.summary")
                .replace("{all}", &all.to_string())
                .replace("{used}", &used.to_string());
            // Batches are written in chunks after they are asked for.
            let (asked, written) = store::codes::batch_progress(&state.db, record.id).await?;
            if written < asked {
                format!(
                    "{summary} {}",
                    t.t("codes.writing")
                        .replace("{written}", &written.to_string())
                        .replace("{asked}", &asked.to_string())
                )
            } else {
                summary
            }
        }
    };
    Ok(Some(CodesBox {
        summary,
        one_time: matches!(codes, domain::PrivateCodes::Unique { .. }),
        error,
    }))
}

#[derive(Deserialize)]
struct DetailQuery {
    codes_error: Option<u8>,
    budget_error: Option<u8>,
}

#[get("/shops/{slug}/coupons/{id}")]
pub(super) async fn coupon_detail(
    req: HttpRequest,
    state: web::Data<AppState>,
    view: InShop,
    path: web::Path<(String, i64)>,
    query: web::Query<DetailQuery>,
) -> Result<HttpResponse, AdminError> {
    let (_, id) = path.into_inner();
    let (staff, shop, role) = view.parts();
    let t = staff.t;
    let record = store::coupons::get_coupon(&state.db, shop.id, id)
        .await
        .map_err(|_| staff.fail(Failure::NotFound))?;
    let coupon = &record.coupon;
    let metrics = coupon_metrics(&state, t, &record, shop).await?;
    // The side card's counts come from the same tally as the metrics.
    let (used, expired, revoked) = (metrics.total.used, metrics.total.expired, metrics.revoked);
    let unused = metrics.unused;
    let total_cost = metrics.total_cost;
    let tz = shop.time_zone;
    let local = |at| describe::local(at, tz);
    let any = t.t("coupon.everywhere");
    let facts = vec![
        (
            "coupon.kind",
            t.kind_and_scope(coupon.kind(), !coupon.scope().is_shop()),
        ),
        ("coupon.benefit", t.benefit(coupon.benefit())),
        (
            "coupon.scope",
            match coupon.scope() {
                Scope::Shop => t.t("coupon.scope_shop").to_owned(),
                Scope::Items { skus } => skus
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            },
        ),
        ("coupon.validity", describe::validity_fact(coupon, t, tz)),
        (
            "coupon.claim_window",
            format!(
                "{} – {}",
                local(coupon.claim_from()),
                local(coupon.claim_until())
            ),
        ),
        ("coupon.audience", t.audience(coupon.audience())),
        (
            "coupon.channels",
            if coupon.channels().is_empty() {
                any.to_owned()
            } else {
                coupon
                    .channels()
                    .iter()
                    .map(|c| t.channel(*c))
                    .collect::<Vec<_>>()
                    .join(", ")
            },
        ),
        (
            "coupon.regions",
            if coupon.regions().is_empty() {
                any.to_owned()
            } else {
                coupon
                    .regions()
                    .iter()
                    .map(|r| t.region(*r))
                    .collect::<Vec<_>>()
                    .join(", ")
            },
        ),
    ];
    let friend = match coupon.rules() {
        domain::KindRules::Share(domain::coupon::ShareRules {
            friend_coupon_id: Some(id),
            ..
        }) => store::coupons::get_coupon(&state.db, shop.id, *id)
            .await
            .ok()
            .map(|c| c.coupon.name().to_owned()),
        _ => None,
    };
    let mut facts = facts;
    if let Some(how) = describe::how_granted(coupon, t, friend.as_deref()) {
        facts.insert(1, ("coupon.how_granted", how));
    }
    let mut actions: Vec<(&'static str, &'static str)> = record
        .status
        .actions()
        .into_iter()
        .map(|a| (a.as_str(), t.action(a)))
        .collect();
    actions.push(("clone", t.t("action.clone")));
    let page = CouponPage {
        t,
        nav: Some(staff.nav(shop, role, "coupons", req.path())),
        slug: shop.slug.clone(),
        id: record.id,
        name: coupon.name().to_owned(),
        status: t.status(record.status),
        status_class: record.status.as_str(),
        summary: describe::summary(coupon, t, tz),
        exposure: describe::exposure(coupon, t),
        can_edit: role.can(Permission::EditShopData),
        editable: role.can(Permission::EditShopData) && record.status != CouponStatus::Ended,
        live: matches!(record.status, CouponStatus::Active | CouponStatus::Paused),
        csrf: staff.csrf.clone(),
        actions,
        facts: facts
            .into_iter()
            .map(|(key, value)| (t.t(key), value))
            .collect(),
        metrics,
        claimed: record.claimed,
        used,
        expired,
        revoked,
        unused,
        budget_value: record.budget.map(|b| b.to_string()).unwrap_or_default(),
        budget_shown: match record.budget {
            Some(budget) => {
                let cost = total_cost;
                let share = domain::metrics::money_ratio(cost, budget)
                    .map(|r| {
                        let percent = (r * rust_decimal::Decimal::ONE_HUNDRED).round();
                        format!(
                            " · {}",
                            t.t("coupon.budget_used")
                                .replace("{p}", &percent.to_string())
                        )
                    })
                    .unwrap_or_default();
                format!(
                    "{} ({} {}{share})",
                    t.money(budget),
                    t.t("metrics.cost"),
                    t.money(cost)
                )
            }
            None => t.t("coupon.no_budget").to_owned(),
        },
        budget_error: query.budget_error.is_some(),
        growth: growth(&state, t, &record, shop.id).await?,
        may_revoke: record.status == CouponStatus::Ended && unused > 0,
        estimate_link: match coupon.benefit().spec() {
            domain::BenefitSpec::AmountOff { threshold, amount } => Some(format!(
                "/shops/{}/estimate?face_value={amount}&threshold={threshold}&quantity={}",
                shop.slug,
                coupon.limits().quantity.unwrap_or(1000)
            )),
            _ => None,
        },
        codes: codes_box(
            &state,
            t,
            &record,
            query.codes_error.map(|_| t.t("codes.bad_count").to_owned()),
        )
        .await?,
    };
    Ok(render(StatusCode::OK, &page))
}

/// What a share or member coupon brought (SPEC §10), for its page.
async fn growth(
    state: &AppState,
    t: T,
    record: &store::coupons::CouponRecord,
    shop_id: i64,
) -> Result<Vec<(&'static str, u64)>, AdminError> {
    Ok(match record.coupon.rules() {
        domain::KindRules::Share(_) => {
            let figures = store::shares::figures(&state.db, record.id).await?;
            vec![
                (t.t("growth.shares_started"), figures.started),
                (t.t("growth.shares_completed"), figures.completed),
                (t.t("growth.friends_joined"), figures.friends),
                (t.t("growth.new_customers"), figures.new_customers),
            ]
        }
        domain::KindRules::Member(rules) => {
            let mut figures = vec![(
                t.t("growth.members"),
                store::members::count(&state.db, shop_id).await?,
            )];
            if rules.join_gift {
                figures.push((
                    t.t("growth.join_gifts"),
                    store::members::gifts_granted(&state.db, record.id).await?,
                ));
            }
            figures
        }
        _ => Vec::new(),
    })
}

/// The days a coupon's metrics CSV covers at most.
const CSV_DAYS: u32 = 366;

/// SPEC §8: the coupon's figures by day and claim channel as CSV, days on the
/// shop's clock (named in the header), for its claim window up to now (a year
/// at most). One row per day and channel with anything to count.
#[get("/shops/{slug}/coupons/{id}/metrics.csv")]
pub(super) async fn export_metrics(
    state: web::Data<AppState>,
    view: InShop,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, AdminError> {
    let (_, id) = path.into_inner();
    let (staff, shop, _) = view.parts();
    let record = store::coupons::get_coupon(&state.db, shop.id, id)
        .await
        .map_err(|_| staff.fail(Failure::NotFound))?;
    let now = state.now();
    let since = record.coupon.claim_from().min(now);
    let days = u32::try_from((now - since).num_days() + 1)
        .unwrap_or(1)
        .clamp(1, CSV_DAYS);
    let rows =
        store::stats::coupon_days_by_channel(&state.db, id, shop.time_zone, now, days).await?;
    let header = [
        format!("date ({})", shop.time_zone.name()),
        "channel".into(),
        "claimed".into(),
        "used".into(),
        "actual_cost".into(),
    ];
    let lines = rows.iter().map(|row| {
        vec![
            row.day.to_string(),
            row.channel.as_str().to_owned(),
            row.claimed.to_string(),
            row.used.to_string(),
            row.actual_cost.to_string(),
        ]
    });
    Ok(csv_download(
        &format!("coupon-{id}-metrics.csv"),
        &header,
        lines,
    ))
}
