//! A countdown that the server renders at its first frame and the browser
//! then ticks, measured against the wall clock so a throttled background
//! tab does not fall behind.
use leptos::prelude::*;

/// Seconds left from `from`, falling once a second in the browser.
pub fn seconds_left(from: i64) -> ReadSignal<i64> {
    let (left, set_left) = signal(from);
    #[cfg(any(feature = "hydrate", feature = "csr"))]
    Effect::new(move |_| {
        use web_sys::js_sys::Date;
        let started = Date::now();
        let tick = gloo_timers::callback::Interval::new(1000, move || {
            let elapsed = ((Date::now() - started) / 1000.0).floor() as i64;
            set_left.set((from - elapsed).max(0));
        });
        // Dropped, and so stopped, when the step leaves the page.
        StoredValue::new_local(tick);
    });
    #[cfg(not(any(feature = "hydrate", feature = "csr")))]
    let _ = set_left;
    left
}

/// `mm:ss`.
pub fn mm_ss(seconds: i64) -> String {
    let s = seconds.max(0);
    format!("{:02}:{:02}", s / 60, s % 60)
}

/// What a screen reader is told of the countdown: the whole minutes left,
/// which change once a minute (the visible `mm:ss` is `aria-live="off"`
/// so it is not read every second).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Announce {
    Minutes(i64),
    LastMinute,
    Over,
}

pub fn announced(seconds: i64) -> Announce {
    match seconds {
        s if s <= 0 => Announce::Over,
        s if s <= 60 => Announce::LastMinute,
        s => Announce::Minutes((s + 59) / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::{announced, mm_ss, Announce};

    #[test]
    fn a_screen_reader_hears_the_countdown_once_a_minute() {
        assert_eq!(announced(600), Announce::Minutes(10));
        assert_eq!(announced(599), Announce::Minutes(10));
        assert_eq!(announced(541), Announce::Minutes(10));
        assert_eq!(announced(540), Announce::Minutes(9));
        assert_eq!(announced(61), Announce::Minutes(2));
        assert_eq!(announced(60), Announce::LastMinute);
        assert_eq!(announced(1), Announce::LastMinute);
        assert_eq!(announced(0), Announce::Over);
        // Over 600 seconds the text changes 10 times, not 600.
        let changes = (0..600)
            .filter(|s| announced(*s) != announced(s + 1))
            .count();
        assert_eq!(changes, 10);
    }

    #[test]
    fn minutes_and_seconds_are_two_digits_each() {
        assert_eq!(mm_ss(600), "10:00");
        assert_eq!(mm_ss(65), "01:05");
        assert_eq!(mm_ss(0), "00:00");
        assert_eq!(mm_ss(-3), "00:00");
    }
}
