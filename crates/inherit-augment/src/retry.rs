//! Retry timing: exponential backoff with seeded jitter, honouring `Retry-After`.

use std::time::Duration;

use inherit_core::{derive_seed, seeded_rng};
use rand::RngExt;
use serde::{Deserialize, Serialize};

use crate::error::Result;

/// When to retry a failed request, and how long to wait.
///
/// | name | default | range |
/// |---|---|---|
/// | `max_retries` | 5 | any (0 = one attempt only) |
/// | `initial_backoff_ms` | 500 | >= 1 |
/// | `max_backoff_ms` | 30000 | >= `initial_backoff_ms`; also caps `Retry-After` |
/// | `seed` | 0 | any; seeds the jitter |
///
/// Before retry `r` (1-based) the wait is `min(max, initial * 2^(r-1))` scaled by a jitter
/// factor drawn uniformly from [0.5, 1] ("equal jitter"), so clients that failed together
/// do not retry together. A server's `Retry-After` (in seconds) raises the wait to at
/// least that long (capped at `max_backoff_ms`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// Wait before the first retry, in milliseconds (before jitter).
    pub initial_backoff_ms: u64,
    /// Longest wait, in milliseconds.
    pub max_backoff_ms: u64,
    /// Jitter seed.
    pub seed: u64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 5,
            initial_backoff_ms: 500,
            max_backoff_ms: 30_000,
            seed: 0,
        }
    }
}

impl RetryPolicy {
    /// Checks the ranges in the table above.
    pub fn check(&self) -> Result<()> {
        if self.initial_backoff_ms == 0 {
            return Err(
                inherit_core::Error::invalid("initial_backoff_ms", "must be at least 1").into(),
            );
        }
        if self.max_backoff_ms < self.initial_backoff_ms {
            return Err(inherit_core::Error::invalid(
                "max_backoff_ms",
                format!(
                    "must be >= initial_backoff_ms ({}), got {}",
                    self.initial_backoff_ms, self.max_backoff_ms
                ),
            )
            .into());
        }
        Ok(())
    }

    /// The wait before retry number `retry` (1-based) of the request identified by
    /// `request` (a stable name, for the jitter stream), given the server's
    /// `Retry-After`, if any.
    pub fn delay(&self, request: &str, retry: u32, retry_after: Option<Duration>) -> Duration {
        let exp = retry.saturating_sub(1).min(62);
        let base = self
            .initial_backoff_ms
            .saturating_mul(1u64 << exp)
            .min(self.max_backoff_ms);
        let mut rng = seeded_rng(derive_seed(self.seed, &format!("retry/{request}/{retry}")));
        let jitter: f64 = rng.random_range(0.5..=1.0);
        let backoff = Duration::from_millis((base as f64 * jitter).round() as u64);
        let cap = Duration::from_millis(self.max_backoff_ms);
        match retry_after {
            Some(ra) => backoff.max(ra.min(cap)),
            None => backoff,
        }
    }
}

/// Parses a `Retry-After` value given in seconds (the HTTP-date form is not supported and
/// gives `None`, falling back to backoff).
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let secs: f64 = value.trim().parse().ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_within_jitter_and_is_capped() {
        let p = RetryPolicy {
            initial_backoff_ms: 100,
            max_backoff_ms: 1000,
            ..RetryPolicy::default()
        };
        for (retry, base) in [
            (1u32, 100u64),
            (2, 200),
            (3, 400),
            (4, 800),
            (5, 1000),
            (9, 1000),
        ] {
            let d = p.delay("r0", retry, None).as_millis() as u64;
            assert!(
                d >= base / 2 && d <= base,
                "retry {retry}: {d} ms not in [{}, {base}]",
                base / 2
            );
        }
        assert_eq!(p.delay("r0", 2, None), p.delay("r0", 2, None), "seeded");
    }

    #[test]
    fn retry_after_raises_the_wait_up_to_the_cap() {
        let p = RetryPolicy {
            initial_backoff_ms: 10,
            max_backoff_ms: 5000,
            ..RetryPolicy::default()
        };
        assert_eq!(
            p.delay("r", 1, parse_retry_after("2")),
            Duration::from_secs(2)
        );
        assert_eq!(
            p.delay("r", 1, parse_retry_after("3600")),
            Duration::from_secs(5)
        );
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert!(
            RetryPolicy {
                initial_backoff_ms: 0,
                ..RetryPolicy::default()
            }
            .check()
            .is_err()
        );
    }
}
