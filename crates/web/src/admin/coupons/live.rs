//! The live drop console of a coupon (SPEC §6): stock left, the pace of claims
//! over the last minute, refusals by reason and when it sells out at this pace.
//! It reads the per-second tallies the claim batches keep (never the claims) and
//! reloads itself every two seconds with a `<meta http-equiv="refresh">`, so it
//! works without JavaScript on the phone a live room's staff hold.

use domain::live_drop::{PACE_SECONDS, WINDOW_SECONDS};

use super::*;

/// Seconds between reloads while the coupon can be claimed.
const REFRESH_SECONDS: u32 = 2;

struct RefusalRow {
    reason: &'static str,
    code: &'static str,
    minute: u64,
    hour: u64,
}

#[derive(Template)]
#[template(path = "live.html")]
struct LivePage {
    t: T,
    nav: Option<Nav>,
    slug: String,
    id: i64,
    name: String,
    status: &'static str,
    status_class: &'static str,
    /// Seconds between reloads; `None` once the coupon cannot be claimed.
    refresh: Option<u32>,
    as_of: String,
    /// Seconds the pace is measured over.
    pace_seconds: usize,
    remaining: String,
    stock_note: String,
    pace: String,
    last_minute: u64,
    last_hour: u64,
    peak: u64,
    sell_out: String,
    /// Whether `sell_out` is a time rather than words ("sold out", "nobody is claiming").
    sell_out_is_time: bool,
    chart: String,
    refusals: Vec<RefusalRow>,
}

impl LivePage {
    /// Our own SVG, built from numbers and escaped labels.
    fn chart_svg(&self) -> askama::filters::Safe<&str> {
        askama::filters::Safe(&self.chart)
    }
}

#[get("/shops/{slug}/coupons/{id}/live")]
pub(super) async fn live_console(
    req: HttpRequest,
    state: web::Data<AppState>,
    view: InShop,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, AdminError> {
    let (_, id) = path.into_inner();
    let (staff, shop, role) = view.parts();
    let t = staff.t;
    let record = store::coupons::get_coupon(&state.db, shop.id, id)
        .await
        .map_err(|_| staff.fail(Failure::NotFound))?;
    let now = state.now();
    let stock = record.coupon.limits().quantity.map(u64::from);
    let remaining = stock.map(|q| q.saturating_sub(record.claimed));
    let live = store::claims::live_drop(&state.db, record.id, remaining, now).await?;
    let pace = &live.pace;
    let centi = pace.pace_centi();
    let chart = chart::columns(
        t.t("live.chart"),
        "live",
        &pace
            .per_second
            .iter()
            .enumerate()
            .map(|(i, n)| chart::Column {
                value: *n,
                shown: n.to_string(),
                label: seconds_ago(t, WINDOW_SECONDS - i),
            })
            .collect::<Vec<_>>(),
        &pace.peak().to_string(),
    );
    let claimable = matches!(record.status, CouponStatus::Active | CouponStatus::Paused);
    // A time when there is one; otherwise why not, in words.
    let (sell_out, sell_out_is_time) = match (remaining, pace.seconds_to_sell_out()) {
        (_, Some(0)) => (t.t("live.sold_out").to_owned(), false),
        (None, _) => (t.t("live.unlimited").to_owned(), false),
        (Some(_), None) => (t.t("live.no_pace").to_owned(), false),
        (Some(_), Some(seconds)) => (about(t, seconds), true),
    };
    let page = LivePage {
        t,
        nav: Some(staff.nav(shop, role, "coupons", req.path())),
        slug: shop.slug.clone(),
        id: record.id,
        name: record.coupon.name().to_owned(),
        status: t.status(record.status),
        status_class: record.status.as_str(),
        refresh: claimable.then_some(REFRESH_SECONDS),
        as_of: now
            .with_timezone(&shop.time_zone)
            .format("%H:%M:%S")
            .to_string(),
        pace_seconds: PACE_SECONDS,
        remaining: remaining.map_or_else(|| t.t("live.unlimited").to_owned(), |r| r.to_string()),
        stock_note: match stock {
            Some(q) => format!(
                "{} {q} · {} {}",
                t.t("live.stock"),
                t.t("coupon.claimed"),
                record.claimed
            ),
            None => format!("{} {}", t.t("coupon.claimed"), record.claimed),
        },
        pace: format!("{}.{:02}", centi / 100, centi % 100),
        last_minute: pace.last_minute(),
        last_hour: live.claimed_last_hour,
        peak: pace.peak(),
        sell_out,
        sell_out_is_time,
        chart,
        refusals: live
            .refusals
            .iter()
            .map(|(refusal, minute, hour)| RefusalRow {
                reason: t.refusal(*refusal),
                code: refusal.code(),
                minute: *minute,
                hour: *hour,
            })
            .collect(),
    };
    let mut response = render(StatusCode::OK, &page);
    // Every reload must ask again.
    response.headers_mut().insert(
        actix_web::http::header::CACHE_CONTROL,
        actix_web::http::header::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

/// "-37 s" under a column of the chart.
fn seconds_ago(t: T, seconds: usize) -> String {
    match t.lang {
        Lang::Zh => format!("{seconds} 秒前"),
        Lang::En => format!("{seconds} s ago"),
    }
}

/// A wait in words: "约 3 分 20 秒" / "about 3 min 20 s".
fn about(t: T, seconds: u64) -> String {
    let (h, m, s) = (seconds / 3600, seconds % 3600 / 60, seconds % 60);
    match t.lang {
        Lang::Zh if h > 0 => format!("约 {h} 小时 {m} 分"),
        Lang::Zh if m > 0 => format!("约 {m} 分 {s} 秒"),
        Lang::Zh => format!("约 {s} 秒"),
        Lang::En if h > 0 => format!("about {h} h {m} min"),
        Lang::En if m > 0 => format!("about {m} min {s} s"),
        Lang::En => format!("about {s} s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_read_as_people_say_them() {
        let zh = T { lang: Lang::Zh };
        let en = T { lang: Lang::En };
        assert_eq!(about(zh, 40), "约 40 秒");
        assert_eq!(about(zh, 200), "约 3 分 20 秒");
        assert_eq!(about(zh, 7500), "约 2 小时 5 分");
        assert_eq!(about(en, 40), "about 40 s");
        assert_eq!(about(en, 200), "about 3 min 20 s");
        assert_eq!(about(en, 7500), "about 2 h 5 min");
    }
}
