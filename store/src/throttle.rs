//! Throttle counters as stored, and the rule that says when a key may
//! try again.
use gatehouse_types::AppError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct ThrottleState {
    pub failures: i64,
    pub last_failure_at: i64,
    pub locked_until: i64,
}

/// When a key with a given number of recent failures may try again.
#[derive(Debug, Clone)]
pub struct ThrottleRule {
    pub free_failures: i64,
    pub base_delay_seconds: i64,
    pub max_delay_seconds: i64,
    pub lock_after: i64,
    pub lock_seconds: i64,
    pub window_seconds: i64,
}

impl ThrottleRule {
    /// An hourly quota: no delays, a stop for an hour once `per_hour`
    /// events are counted (messages sent, flows started).
    pub fn hourly(per_hour: u32) -> Self {
        ThrottleRule {
            free_failures: per_hour.into(),
            base_delay_seconds: 0,
            max_delay_seconds: 0,
            lock_after: per_hour.into(),
            lock_seconds: 3600,
            window_seconds: 3600,
        }
    }

    pub fn locked_until(&self, failures: i64, now: i64) -> i64 {
        if failures >= self.lock_after {
            return now + self.lock_seconds;
        }
        let delayed = failures - self.free_failures;
        if delayed <= 0 || self.base_delay_seconds == 0 {
            return now;
        }
        let doubling = u32::try_from(delayed - 1).unwrap_or(u32::MAX).min(20);
        let delay = self
            .base_delay_seconds
            .saturating_mul(1_i64 << doubling)
            .min(self.max_delay_seconds);
        now + delay
    }

    /// The error to answer with while `state` holds the key back, if it does.
    pub fn refusal(&self, state: Option<&ThrottleState>, now: i64) -> Option<AppError> {
        let state = state?;
        let wait = state.locked_until - now;
        if wait <= 0 {
            return None;
        }
        if state.failures >= self.lock_after {
            Some(AppError::Locked {
                minutes: (wait as u64).div_ceil(60),
            })
        } else {
            Some(AppError::Throttled {
                seconds: wait as u64,
            })
        }
    }
}
