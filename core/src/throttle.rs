//! Sign-in throttling: failures counted per login name and per client
//! address, escalating delays, then a temporary lock; and the hourly
//! quotas, reserved before the work they count.
use crate::config::ThrottleConfig;
use crate::error::Result;
use crate::Core;
use gatehouse_types::error::AppError;

pub use gatehouse_store::throttle::{ThrottleRule, ThrottleState};

/// The rule for one login name (keyed by the name typed, so unknown and
/// known names behave alike).
pub fn login_rule(c: &ThrottleConfig) -> ThrottleRule {
    rule_with(c, c.free_failures, c.lock_after)
}

/// One address may be a whole campus behind NAT: no delays, only a lock
/// after many failures.
pub fn address_rule(c: &ThrottleConfig) -> ThrottleRule {
    rule_with(c, c.address_lock_after, c.address_lock_after)
}

fn rule_with(c: &ThrottleConfig, free_failures: u32, lock_after: u32) -> ThrottleRule {
    ThrottleRule {
        free_failures: free_failures.into(),
        base_delay_seconds: c.base_delay_seconds as i64,
        max_delay_seconds: c.max_delay_seconds as i64,
        lock_after: lock_after.into(),
        lock_seconds: c.lock_minutes as i64 * 60,
        window_seconds: c.window_minutes as i64 * 60,
    }
}

/// Counts one event against each quota before the work, or refuses with
/// the minutes to wait (giving back what it counted) if any is used up.
pub async fn reserve_quotas(state: &Core, keys: &[(String, ThrottleRule)]) -> Result<Vec<i64>> {
    let now = state.clock.unix();
    let mut reserved = Vec::with_capacity(keys.len());
    for (key, rule) in keys {
        match state.store.reserve_attempt(key, rule, now).await? {
            Some(count) => reserved.push(count),
            None => {
                release_quotas(state, &keys[..reserved.len()], &reserved).await?;
                tracing::info!(
                    key = key.split(':').next().unwrap_or_default(),
                    "quota reached"
                );
                let held = state.store.throttle_state(key).await?;
                let wait = held.map_or(0, |h| h.locked_until - now).max(60);
                return Err(AppError::RateLimited {
                    minutes: (wait as u64).div_ceil(60),
                }
                .into());
            }
        }
    }
    Ok(reserved)
}

/// Gives back what `reserve_quotas` counted, for work that did not happen.
pub async fn release_quotas(
    state: &Core,
    keys: &[(String, ThrottleRule)],
    reserved: &[i64],
) -> Result<()> {
    let now = state.clock.unix();
    for ((key, rule), count) in keys.iter().zip(reserved) {
        state.store.release_attempt(key, *count, rule, now).await?;
    }
    Ok(())
}

pub fn login_key(login: &str) -> String {
    format!("login:{}", gatehouse_types::LoginName::key_of(login))
}

pub fn address_key(addr: &str) -> String {
    format!("addr:{addr}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule() -> ThrottleRule {
        ThrottleRule {
            free_failures: 3,
            base_delay_seconds: 2,
            max_delay_seconds: 60,
            lock_after: 10,
            lock_seconds: 900,
            window_seconds: 3600,
        }
    }

    #[test]
    fn the_first_failures_cost_nothing() {
        assert_eq!(rule().locked_until(3, 1000), 1000);
    }

    #[test]
    fn each_further_failure_doubles_the_delay_up_to_the_cap() {
        let r = rule();
        let delays: Vec<i64> = (4..=9).map(|f| r.locked_until(f, 0)).collect();
        assert_eq!(delays, vec![2, 4, 8, 16, 32, 60]);
    }

    #[test]
    fn reaching_the_limit_locks_for_the_configured_time() {
        assert_eq!(rule().locked_until(10, 0), 900);
    }

    #[test]
    fn a_lock_is_reported_in_whole_minutes() {
        let state = ThrottleState {
            failures: 10,
            last_failure_at: 0,
            locked_until: 900,
        };
        assert_eq!(
            rule().refusal(Some(&state), 1),
            Some(AppError::Locked { minutes: 15 })
        );
        assert_eq!(rule().refusal(Some(&state), 900), None);
    }
}
