//! When an expiry reminder goes out (SPEC §5): when it is due, unless that falls
//! in the shop's quiet hours — then when they end, or at once if the claim would
//! expire before they end. Quiet hours are local to the shop.

use chrono::{DateTime, Days, Duration, NaiveTime, Timelike, Utc};
use chrono_tz::Tz;

use crate::calendar::local_to_utc;

/// Local quiet hours `[start, end)` in minutes of the day; they may wrap past
/// midnight (22:00–08:00). `start == end` means none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuietHours {
    pub start_minute: u32,
    pub end_minute: u32,
}

impl QuietHours {
    /// 22:00–08:00, the default of SPEC §5.
    pub const DEFAULT: QuietHours = QuietHours {
        start_minute: 22 * 60,
        end_minute: 8 * 60,
    };

    pub fn contains(&self, minute_of_day: u32) -> bool {
        let (start, end) = (self.start_minute, self.end_minute);
        if start == end {
            false
        } else if start < end {
            start <= minute_of_day && minute_of_day < end
        } else {
            minute_of_day >= start || minute_of_day < end
        }
    }

    /// When quiet hours that contain `at` end, or `None` if `at` is not quiet.
    pub fn end_after(&self, at: DateTime<Utc>, tz: Tz) -> Option<DateTime<Utc>> {
        let local = at.with_timezone(&tz);
        let minute = local.hour() * 60 + local.minute();
        if !self.contains(minute) {
            return None;
        }
        let end_time = NaiveTime::from_hms_opt(self.end_minute / 60, self.end_minute % 60, 0)
            .expect("a minute of the day");
        let mut date = local.date_naive();
        if self.start_minute > self.end_minute && minute >= self.start_minute {
            date = date + Days::new(1); // the evening part: they end tomorrow morning
        }
        Some(local_to_utc(date.and_time(end_time), tz))
    }

    /// When a reminder due at `due`, for a claim expiring at `expires`, goes out.
    pub fn send_at(&self, due: DateTime<Utc>, expires: DateTime<Utc>, tz: Tz) -> DateTime<Utc> {
        match self.end_after(due, tz) {
            Some(end) if end < expires => end,
            // Waiting would let the claim expire first: send at once.
            Some(_) | None => due,
        }
    }
}

/// The reminder lead time a claim is due for at `now`: the shortest lead time
/// (hours) not shorter than what is left of the claim. `None` while no lead
/// time is reached yet, or once the claim has expired.
pub fn due_lead(lead_hours: &[u32], now: DateTime<Utc>, expires: DateTime<Utc>) -> Option<u32> {
    if expires <= now {
        return None;
    }
    lead_hours
        .iter()
        .copied()
        .filter(|&lead| expires - Duration::hours(i64::from(lead)) <= now)
        .min()
}

/// The claims one lead time reminds of, as an expiry window `(from, until]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeadWindow {
    pub lead_hours: u32,
    pub from: DateTime<Utc>,
    pub until: DateTime<Utc>,
}

/// The windows a reminder pass at `now` scans, shortest lead first: each claim
/// gets the reminder of the shortest lead time it is within ([`due_lead`]), so
/// lead L covers claims expiring in (now + the next shorter lead, now + L].
/// Duplicate lead times count once.
pub fn lead_windows(lead_hours: &[u32], now: DateTime<Utc>) -> Vec<LeadWindow> {
    let mut leads = lead_hours.to_vec();
    leads.sort_unstable();
    leads.dedup();
    let mut shorter = 0u32;
    leads
        .into_iter()
        .map(|lead| {
            let window = LeadWindow {
                lead_hours: lead,
                from: now + Duration::hours(i64::from(shorter)),
                until: now + Duration::hours(i64::from(lead)),
            };
            shorter = lead;
            window
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_windows_give_each_claim_its_due_lead_once() {
        let now = utc("2026-11-23T08:00:00Z");
        let leads = [72, 24, 24, 2];
        let windows = lead_windows(&leads, now);
        assert_eq!(
            windows.iter().map(|w| w.lead_hours).collect::<Vec<_>>(),
            vec![2, 24, 72]
        );
        // Every expiry, minute by minute over four days: in exactly the window
        // of the lead due_lead gives it, or in none when none is due.
        for minute in 0..(4 * 24 * 60) {
            let expires = now + Duration::minutes(minute);
            let within: Vec<u32> = windows
                .iter()
                .filter(|w| w.from < expires && expires <= w.until)
                .map(|w| w.lead_hours)
                .collect();
            assert_eq!(
                within.first().copied(),
                due_lead(&leads, now, expires),
                "{expires}"
            );
            assert!(within.len() <= 1);
        }
    }

    fn utc(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    const SHANGHAI: Tz = chrono_tz::Asia::Shanghai;

    #[test]
    fn quiet_hours_wrap_midnight() {
        let q = QuietHours::DEFAULT;
        assert!(q.contains(22 * 60));
        assert!(q.contains(23 * 60 + 59));
        assert!(q.contains(0));
        assert!(q.contains(7 * 60 + 59));
        assert!(!q.contains(8 * 60));
        assert!(!q.contains(21 * 60 + 59));
        let day = QuietHours {
            start_minute: 12 * 60,
            end_minute: 14 * 60,
        };
        assert!(day.contains(13 * 60) && !day.contains(14 * 60) && !day.contains(11 * 60));
        assert!(
            !QuietHours {
                start_minute: 0,
                end_minute: 0
            }
            .contains(0)
        );
    }

    #[test]
    fn a_reminder_due_in_the_evening_waits_for_the_morning() {
        // Due 23:00 local (15:00 UTC); quiet hours end 08:00 local next day (00:00 UTC).
        let due = utc("2026-11-23T15:00:00Z");
        let expires = utc("2026-11-24T15:00:00Z");
        assert_eq!(
            QuietHours::DEFAULT.send_at(due, expires, SHANGHAI),
            utc("2026-11-24T00:00:00Z")
        );
        // Due 03:00 local (19:00 UTC the day before): the same morning.
        let due = utc("2026-11-23T19:00:00Z");
        assert_eq!(
            QuietHours::DEFAULT.send_at(due, utc("2026-11-25T00:00:00Z"), SHANGHAI),
            utc("2026-11-24T00:00:00Z")
        );
    }

    #[test]
    fn a_claim_expiring_before_quiet_hours_end_is_reminded_at_once() {
        let due = utc("2026-11-23T15:00:00Z"); // 23:00 local
        let expires = utc("2026-11-23T22:00:00Z"); // 06:00 local
        assert_eq!(QuietHours::DEFAULT.send_at(due, expires, SHANGHAI), due);
    }

    #[test]
    fn outside_quiet_hours_it_goes_when_due() {
        let due = utc("2026-11-23T04:00:00Z"); // 12:00 local
        assert_eq!(
            QuietHours::DEFAULT.send_at(due, due + Duration::hours(24), SHANGHAI),
            due
        );
    }

    #[test]
    fn quiet_hours_end_across_a_daylight_saving_change() {
        // New York, quiet 22:00–08:00; 2026-11-01 falls back at 02:00.
        let tz = chrono_tz::America::New_York;
        let due = utc("2026-11-01T03:00:00Z"); // 23:00 EDT on 10-31
        let end = QuietHours::DEFAULT.send_at(due, due + Duration::days(2), tz);
        assert_eq!(end, utc("2026-11-01T13:00:00Z"), "08:00 EST");
    }

    #[test]
    fn the_shortest_reached_lead_time_is_due() {
        let now = utc("2026-11-23T00:00:00Z");
        let leads = [72, 24];
        assert_eq!(due_lead(&leads, now, now + Duration::hours(100)), None);
        assert_eq!(due_lead(&leads, now, now + Duration::hours(72)), Some(72));
        assert_eq!(due_lead(&leads, now, now + Duration::hours(30)), Some(72));
        assert_eq!(due_lead(&leads, now, now + Duration::hours(24)), Some(24));
        assert_eq!(due_lead(&leads, now, now + Duration::hours(1)), Some(24));
        assert_eq!(due_lead(&leads, now, now), None, "expired");
        assert_eq!(due_lead(&[], now, now + Duration::hours(1)), None);
    }
}
