//! "Last modified" in Notejam's words: today, yesterday, a few days ago, else the date.
//! Days are calendar days in UTC, so "Yesterday" means the previous date, not "24 hours ago".

use chrono::{DateTime, Utc};

pub fn smart_date(when: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let days = (now.date_naive() - when.date_naive()).num_days();
    match days {
        0 => format!("Today at {}", when.format("%H:%M")),
        1 => format!("Yesterday at {}", when.format("%H:%M")),
        2..=7 => format!("{days} days ago"),
        _ => when.format("%Y-%m-%d").to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
    }

    #[test]
    fn today_and_yesterday_show_the_time() {
        let now = at(2026, 11, 24, 10, 0);
        assert_eq!(smart_date(at(2026, 11, 24, 0, 5), now), "Today at 00:05");
        assert_eq!(smart_date(at(2026, 11, 23, 23, 59), now), "Yesterday at 23:59");
    }

    #[test]
    fn up_to_a_week_counts_days() {
        let now = at(2026, 11, 24, 10, 0);
        assert_eq!(smart_date(at(2026, 11, 22, 10, 0), now), "2 days ago");
        assert_eq!(smart_date(at(2026, 11, 17, 10, 0), now), "7 days ago");
    }

    #[test]
    fn older_shows_the_date() {
        let now = at(2026, 11, 24, 10, 0);
        assert_eq!(smart_date(at(2026, 11, 16, 10, 0), now), "2026-11-16");
        assert_eq!(smart_date(at(2025, 1, 2, 3, 4), now), "2025-01-02");
    }

    #[test]
    fn a_clock_slightly_ahead_is_still_today() {
        let now = at(2026, 11, 24, 10, 0);
        assert_eq!(smart_date(at(2026, 11, 24, 10, 1), now), "Today at 10:01");
    }
}
