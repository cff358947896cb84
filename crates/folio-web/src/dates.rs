//! "Last modified" in Notejam's words: today, yesterday, a few days ago, else the date.
//! Days are calendar days in UTC, so "Yesterday" means the previous date, not "24 hours ago".

use std::fmt;

use chrono::{DateTime, Datelike, Timelike, Utc};

/// A date as the note lists show it. Formatting is done on display, straight into the page,
/// so a list of 500 notes allocates no string per row.
#[derive(Clone, Copy, Debug)]
pub struct SmartDate {
    when: DateTime<Utc>,
    days_ago: i64,
}

pub fn smart_date(when: DateTime<Utc>, now: DateTime<Utc>) -> SmartDate {
    SmartDate {
        when,
        days_ago: (now.date_naive() - when.date_naive()).num_days(),
    }
}

impl fmt::Display for SmartDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (hour, minute) = (self.when.hour(), self.when.minute());
        match self.days_ago {
            0 => write!(f, "Today at {hour:02}:{minute:02}"),
            1 => write!(f, "Yesterday at {hour:02}:{minute:02}"),
            days @ 2..=7 => write!(f, "{days} days ago"),
            _ => write!(
                f,
                "{:04}-{:02}-{:02}",
                self.when.year(),
                self.when.month(),
                self.when.day()
            ),
        }
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
        assert_eq!(
            smart_date(at(2026, 11, 24, 0, 5), now).to_string(),
            "Today at 00:05"
        );
        assert_eq!(
            smart_date(at(2026, 11, 23, 23, 59), now).to_string(),
            "Yesterday at 23:59"
        );
    }

    #[test]
    fn up_to_a_week_counts_days() {
        let now = at(2026, 11, 24, 10, 0);
        assert_eq!(smart_date(at(2026, 11, 22, 10, 0), now).to_string(), "2 days ago");
        assert_eq!(smart_date(at(2026, 11, 17, 10, 0), now).to_string(), "7 days ago");
    }

    #[test]
    fn older_shows_the_date() {
        let now = at(2026, 11, 24, 10, 0);
        assert_eq!(smart_date(at(2026, 11, 16, 10, 0), now).to_string(), "2026-11-16");
        assert_eq!(smart_date(at(2025, 1, 2, 3, 4), now).to_string(), "2025-01-02");
    }

    #[test]
    fn a_clock_slightly_ahead_is_still_today() {
        let now = at(2026, 11, 24, 10, 0);
        assert_eq!(
            smart_date(at(2026, 11, 24, 10, 1), now).to_string(),
            "Today at 10:01"
        );
    }
}
