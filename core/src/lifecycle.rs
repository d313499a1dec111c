//! When an account ends (its `valid_until` plus its role's grace, seeds 003
//! and 004) and when its password is due (`password_max_age_days`, seed
//! 002), with the reminder email sent before.
use std::sync::Arc;
use std::time::Duration;

use time::macros::format_description;
use time::{Date, Month};

use crate::config::Config;
use crate::notices;
use crate::Core;
use gatehouse_store::{Account, StoreResult};

const DAY: i64 = 86_400;

/// The last day the account may sign in and reset its password; None when
/// it has no end date.
pub fn last_day(config: &Config, account: &Account) -> Option<Date> {
    let until = Date::parse(
        account.valid_until.as_deref()?,
        format_description!("[year]-[month]-[day]"),
    )
    .ok()?;
    let grace = config
        .lifecycle
        .grace
        .get(account.role.as_str())
        .copied()
        .unwrap_or_default();
    Some(add_months(until, grace.months) + time::Duration::days(i64::from(grace.days)))
}

/// Calendar months later, on the same day or the month's last one.
fn add_months(date: Date, months: u32) -> Date {
    let index = date.year() * 12 + i32::from(u8::from(date.month())) - 1 + months as i32;
    let year = index.div_euclid(12);
    let later = u8::try_from(index.rem_euclid(12) + 1)
        .ok()
        .and_then(|m| Month::try_from(m).ok())
        .and_then(|month| {
            let day = date.day().min(month.length(year));
            Date::from_calendar_date(year, month, day).ok()
        });
    later.unwrap_or(Date::MAX)
}

/// Past its last day: no sign-in, no reset.
pub fn ended(state: &Core, account: &Account) -> bool {
    last_day(&state.config, account).is_some_and(|last| state.clock.now().date() > last)
}

/// Whole days until the password is due (negative once overdue); None
/// without a maximum age or a password.
pub fn password_days_left(state: &Core, account: &Account) -> Option<i64> {
    let max = i64::from(state.config.password_max_age_days?);
    let changed = account.password_changed_at?;
    Some((changed + max * DAY - state.clock.unix()).div_euclid(DAY))
}

/// The days left when the "password due soon" banner shows.
pub fn reminder_days_left(state: &Core, account: &Account) -> Option<i64> {
    let window = i64::from(state.config.lifecycle.password_reminder_days);
    password_days_left(state, account).filter(|left| (0..window).contains(left))
}

/// Queues one reminder email for each active account whose password comes
/// due within the reminder window and has not had one for this password.
/// Safe to run on several instances at once: each reminder is claimed in
/// the database. Returns how many were queued.
pub async fn send_password_reminders(state: &Core) -> StoreResult<usize> {
    let Some(max) = state.config.password_max_age_days.map(i64::from) else {
        return Ok(0);
    };
    let window = i64::from(state.config.lifecycle.password_reminder_days).min(max);
    let now = state.clock.unix();
    let due = state
        .store
        .accounts_due_reminder(now - max * DAY, now - (max - window) * DAY)
        .await?;
    let mut queued = 0;
    for account in due {
        let (Some(changed), Some(left)) = (
            account.password_changed_at,
            password_days_left(state, &account),
        ) else {
            continue;
        };
        let mail = notices::password_reminder(state, &account, left);
        if state
            .store
            .record_password_reminder(account.id, changed, &mail, now)
            .await?
        {
            queued += 1;
        }
    }
    if queued > 0 {
        state.mail_wakeup.notify_one();
    }
    Ok(queued)
}

/// Looks for due reminders every hour while the server runs.
pub fn spawn_reminders(state: Arc<Core>) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(3600));
        loop {
            every.tick().await;
            if let Err(e) = send_password_reminders(&state).await {
                tracing::warn!("password reminders: {e}");
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::add_months;
    use time::macros::date;

    #[test]
    fn months_are_calendar_months() {
        assert_eq!(add_months(date!(2026 - 07 - 31), 18), date!(2028 - 01 - 31));
        assert_eq!(add_months(date!(2026 - 08 - 31), 18), date!(2028 - 02 - 29));
        assert_eq!(add_months(date!(2026 - 12 - 15), 1), date!(2027 - 01 - 15));
        assert_eq!(add_months(date!(2026 - 12 - 15), 0), date!(2026 - 12 - 15));
    }
}
