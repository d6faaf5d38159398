//! The shop's local calendar. Times are stored in UTC; "today" and "this month"
//! are the shop's, computed from its IANA time zone (daylight saving included).

use chrono::{
    DateTime, Datelike, Days, LocalResult, Months, NaiveDate, NaiveDateTime, Offset, TimeZone, Utc,
};
use chrono_tz::Tz;

use crate::error::FieldError;

/// The zone a new shop gets.
pub const DEFAULT_TIME_ZONE: Tz = chrono_tz::Asia::Shanghai;

pub fn parse_time_zone(text: &str) -> Result<Tz, FieldError> {
    text.trim()
        .parse::<Tz>()
        .map_err(|_| FieldError::new("time_zone", crate::error::Reason::TimeZone))
}

/// A half-open span of time `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

impl Window {
    pub fn contains(&self, at: DateTime<Utc>) -> bool {
        self.start <= at && at < self.end
    }
}

/// The local calendar day that contains `now`.
pub fn local_day(now: DateTime<Utc>, tz: Tz) -> Window {
    let date = now.with_timezone(&tz).date_naive();
    let next = date + Days::new(1);
    Window {
        start: start_of_day(date, tz),
        end: start_of_day(next, tz),
    }
}

/// The local calendar month that contains `now`.
pub fn local_month(now: DateTime<Utc>, tz: Tz) -> Window {
    let date = now.with_timezone(&tz).date_naive();
    let first = date.with_day(1).expect("day 1 exists");
    let next = first + Months::new(1);
    Window {
        start: start_of_day(first, tz),
        end: start_of_day(next, tz),
    }
}

/// The first instant whose local date is `date`. Midnight can be skipped by a
/// daylight-saving jump (the day then starts at the end of the gap) or occur
/// twice (the day starts at the first).
pub fn start_of_day(date: NaiveDate, tz: Tz) -> DateTime<Utc> {
    local_to_utc(date.and_hms_opt(0, 0, 0).expect("midnight exists"), tz)
}

/// The instant a local wall-clock time names: the earlier one when the clock
/// shows it twice, the end of the gap when a jump skips it.
pub fn local_to_utc(local: NaiveDateTime, tz: Tz) -> DateTime<Utc> {
    for minutes in 0..=24 * 60 {
        let candidate = local + chrono::Duration::minutes(minutes);
        match tz.from_local_datetime(&candidate) {
            LocalResult::Single(at) | LocalResult::Ambiguous(at, _) => {
                return at.with_timezone(&Utc);
            }
            LocalResult::None => continue,
        }
    }
    // No zone skips a whole day; fall back to reading the time as UTC.
    Utc.from_utc_datetime(&local)
}

/// The last `days` local calendar days up to and including the one holding `now`,
/// oldest first, and the instant the first of them starts.
pub fn last_days(now: DateTime<Utc>, tz: Tz, days: u32) -> (Vec<NaiveDate>, DateTime<Utc>) {
    let today = now.with_timezone(&tz).date_naive();
    let first = today - Days::new(u64::from(days.max(1) - 1));
    let dates = first.iter_days().take(days.max(1) as usize).collect();
    (dates, start_of_day(first, tz))
}

/// The zone's offsets from UTC between `start` and `end`, as (from, seconds east
/// of UTC) with the first `from` equal to `start`: one entry unless the clocks
/// change in between. Lets a database without time-zone rules (SQLite) turn UTC
/// instants into local dates exactly, one fixed offset per stretch.
pub fn offsets_between(
    tz: Tz,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Vec<(DateTime<Utc>, i32)> {
    let offset_at = |at: DateTime<Utc>| {
        tz.offset_from_utc_datetime(&at.naive_utc())
            .fix()
            .local_minus_utc()
    };
    let mut stretches = vec![(start, offset_at(start))];
    // Clocks change on a quarter hour everywhere; look at each one.
    let step = chrono::Duration::minutes(15);
    let mut at = start;
    while at < end {
        let next = (at + step).min(end);
        let offset = offset_at(next);
        if offset != stretches.last().expect("one stretch at least").1 {
            // The change lies in (at, next]: find its minute.
            let mut minute = at;
            while offset_at(minute) != offset {
                minute += chrono::Duration::minutes(1);
            }
            stretches.push((minute, offset));
        }
        at = next;
    }
    stretches
}

/// Times we store: from 1970 through 9999. Beyond four-digit years a time no
/// longer sorts as text (SQLite keeps times as text), and none of them is a real
/// coupon's or order's time.
pub fn check_storable(at: DateTime<Utc>) -> Result<(), crate::error::Reason> {
    use chrono::Datelike;
    if (1970..=9999).contains(&at.year()) {
        Ok(())
    } else {
        Err(crate::error::Reason::Year)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn offsets_change_once_across_a_clock_change() {
        let tz = chrono_tz::America::New_York;
        let stretches =
            offsets_between(tz, utc("2026-10-20T00:00:00Z"), utc("2026-11-20T00:00:00Z"));
        assert_eq!(
            stretches,
            vec![
                (utc("2026-10-20T00:00:00Z"), -4 * 3600),
                (utc("2026-11-01T06:00:00Z"), -5 * 3600)
            ]
        );
        let shanghai = offsets_between(
            chrono_tz::Asia::Shanghai,
            utc("2026-10-20T00:00:00Z"),
            utc("2026-11-20T00:00:00Z"),
        );
        assert_eq!(shanghai, vec![(utc("2026-10-20T00:00:00Z"), 8 * 3600)]);
    }

    #[test]
    fn the_last_thirty_days_end_today_in_the_shop() {
        // 2026-11-23 17:00 UTC is already the 24th in Shanghai.
        let (days, start) = last_days(utc("2026-11-23T17:00:00Z"), chrono_tz::Asia::Shanghai, 30);
        assert_eq!(days.len(), 30);
        assert_eq!(days.last().unwrap().to_string(), "2026-11-24");
        assert_eq!(days[0].to_string(), "2026-10-26");
        assert_eq!(start, utc("2026-10-25T16:00:00Z"));
    }

    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn shanghai_day_starts_at_16_utc() {
        let tz = chrono_tz::Asia::Shanghai;
        let just_before = utc("2026-11-23T15:59:59Z"); // 23:59:59 local
        let at_midnight = utc("2026-11-23T16:00:00Z"); // 00:00 local, next day
        let day = local_day(just_before, tz);
        assert_eq!(day.start, utc("2026-11-22T16:00:00Z"));
        assert_eq!(day.end, at_midnight);
        assert!(!day.contains(at_midnight));
        assert_eq!(local_day(at_midnight, tz).start, at_midnight);
    }

    #[test]
    fn month_crosses_at_local_midnight() {
        let tz = chrono_tz::Asia::Shanghai;
        // 2026-11-30 23:30 local is still November; 00:00 on 12-01 is December.
        let november = local_month(utc("2026-11-30T15:30:00Z"), tz);
        assert_eq!(november.start, utc("2026-10-31T16:00:00Z"));
        assert_eq!(november.end, utc("2026-11-30T16:00:00Z"));
        let december = local_month(utc("2026-11-30T16:00:00Z"), tz);
        assert_eq!(december.start, utc("2026-11-30T16:00:00Z"));
        assert_eq!(december.end, utc("2026-12-31T16:00:00Z"));
    }

    #[test]
    fn daylight_saving_days_are_23_and_25_hours() {
        let tz = chrono_tz::America::New_York;
        // 2026-03-08: clocks jump 02:00 → 03:00.
        let spring = local_day(utc("2026-03-08T12:00:00Z"), tz);
        assert_eq!(spring.start, utc("2026-03-08T05:00:00Z"));
        assert_eq!(spring.end - spring.start, chrono::Duration::hours(23));
        // 2026-11-01: clocks fall back 02:00 → 01:00.
        let autumn = local_day(utc("2026-11-01T12:00:00Z"), tz);
        assert_eq!(autumn.start, utc("2026-11-01T04:00:00Z"));
        assert_eq!(autumn.end - autumn.start, chrono::Duration::hours(25));
    }

    #[test]
    fn a_skipped_midnight_starts_the_day_after_the_gap() {
        // Santiago moves its clocks forward at 00:00 (to 01:00) in September.
        let tz = chrono_tz::America::Santiago;
        let day = local_day(utc("2026-09-06T12:00:00Z"), tz);
        assert_eq!(
            day.start.with_timezone(&tz).format("%H:%M").to_string(),
            "01:00"
        );
    }

    #[test]
    fn zones_parse_by_iana_name() {
        assert_eq!(parse_time_zone("Asia/Shanghai").unwrap(), DEFAULT_TIME_ZONE);
        assert_eq!(
            parse_time_zone("Mars/Olympus").unwrap_err().field,
            "time_zone"
        );
    }
}
