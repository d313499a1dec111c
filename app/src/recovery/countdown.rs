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

#[cfg(test)]
mod tests {
    use super::mm_ss;

    #[test]
    fn minutes_and_seconds_are_two_digits_each() {
        assert_eq!(mm_ss(600), "10:00");
        assert_eq!(mm_ss(65), "01:05");
        assert_eq!(mm_ss(0), "00:00");
        assert_eq!(mm_ss(-3), "00:00");
    }
}
