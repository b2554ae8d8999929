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

/// Parses a `Retry-After` value: either delay-seconds (a non-negative number; fractions
/// are accepted) or an HTTP-date (RFC 9110 section 5.6.7: IMF-fixdate, the obsolete RFC 850
/// form and asctime), read against the current time. Anything else gives `None`, falling
/// back to backoff. A huge value saturates (the policy caps it at `max_backoff_ms`); it
/// never panics, whatever the server sends.
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    parse_retry_after_at(value, std::time::SystemTime::now())
}

/// [`parse_retry_after`] with the current time given: an HTTP-date in the past (or now)
/// is a zero wait.
pub fn parse_retry_after_at(value: &str, now: std::time::SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<f64>() {
        if !(secs.is_finite() && secs >= 0.0) {
            return None;
        }
        return Some(Duration::try_from_secs_f64(secs).unwrap_or(Duration::MAX));
    }
    let at = parse_http_date(value)?;
    let now = now
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    Some(Duration::from_secs(at.saturating_sub(now)))
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Seconds since the Unix epoch of an HTTP-date (`None` if malformed or before 1970).
fn parse_http_date(s: &str) -> Option<u64> {
    let parts: Vec<&str> = s.split_ascii_whitespace().collect();
    let (day, month, year, time) = match parts.as_slice() {
        // IMF-fixdate: `Sun, 06 Nov 1994 08:49:37 GMT`.
        [wd, d, m, y, t, "GMT"] if wd.ends_with(',') && wd.len() == 4 => {
            (*d, *m, parse_u64(y, 4)?, *t)
        }
        // RFC 850: `Sunday, 06-Nov-94 08:49:37 GMT` (two-digit years read as 19xx/20xx,
        // whichever is not more than 50 years in the future; RFC 9110 section 5.6.7).
        [wd, dmy, t, "GMT"] if wd.ends_with(',') => {
            let mut it = dmy.split('-');
            let (d, m, y) = (it.next()?, it.next()?, it.next()?);
            if it.next().is_some() {
                return None;
            }
            let y2 = parse_u64(y, 2)?;
            let y = if y2 >= 70 { 1900 + y2 } else { 2000 + y2 };
            (d, m, y, *t)
        }
        // asctime: `Sun Nov  6 08:49:37 1994`.
        [wd, m, d, t, y] if wd.len() == 3 => (*d, *m, parse_u64(y, 4)?, *t),
        _ => return None,
    };
    let day = if day.len() <= 2 {
        parse_u64(day, day.len())?
    } else {
        return None;
    };
    let month = MONTHS.iter().position(|m| *m == month)? as u64 + 1;
    let mut hms = time.split(':');
    let (h, mi, se) = (
        parse_u64(hms.next()?, 2)?,
        parse_u64(hms.next()?, 2)?,
        parse_u64(hms.next()?, 2)?,
    );
    if hms.next().is_some() || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let month_days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if year < 1970 || day == 0 || day > month_days[month as usize - 1] {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some(days * 86_400 + h * 3600 + mi * 60 + se)
}

/// Exactly `len` ASCII digits.
fn parse_u64(s: &str, len: usize) -> Option<u64> {
    (s.len() == len && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

/// Days from 1970-01-01 to a proleptic Gregorian date (year >= 1970; H. Hinnant's
/// algorithm).
fn days_from_civil(year: u64, month: u64, day: u64) -> u64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y / 400;
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
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

    /// Regression: `Retry-After: 1e20` panicked in `Duration::from_secs_f64` inside a worker
    /// thread, killing the process.
    #[test]
    fn huge_retry_after_saturates_instead_of_panicking() {
        let p = RetryPolicy {
            initial_backoff_ms: 10,
            max_backoff_ms: 5000,
            ..RetryPolicy::default()
        };
        for v in [
            "1e20",
            "1e300",
            "18446744073709551616",
            "1.7976931348623157e308",
        ] {
            let ra = parse_retry_after(v);
            assert_eq!(ra, Some(Duration::MAX), "{v}");
            assert_eq!(p.delay("r", 1, ra), Duration::from_secs(5), "{v}");
        }
        for v in ["-1", "NaN", "inf", "-inf", "", "soon", "1e400"] {
            assert_eq!(parse_retry_after(v), None, "{v}");
        }
    }

    /// Regression: the HTTP-date form of `Retry-After` was ignored.
    #[test]
    fn http_date_retry_after_is_read_against_now() {
        use std::time::{SystemTime, UNIX_EPOCH};
        // 1994-11-06T08:49:37Z, the example of RFC 9110.
        let t = 784_111_777;
        let now = UNIX_EPOCH + Duration::from_secs(t - 30);
        for v in [
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
        ] {
            assert_eq!(
                parse_retry_after_at(v, now),
                Some(Duration::from_secs(30)),
                "{v}"
            );
        }
        let later = UNIX_EPOCH + Duration::from_secs(t + 100);
        assert_eq!(
            parse_retry_after_at("Sun, 06 Nov 1994 08:49:37 GMT", later),
            Some(Duration::ZERO)
        );
        assert_eq!(
            parse_retry_after_at("Thu, 01 Jan 1970 00:00:00 GMT", UNIX_EPOCH),
            Some(Duration::ZERO)
        );
        assert_eq!(
            parse_retry_after_at("Tue, 29 Feb 2000 00:00:01 GMT", UNIX_EPOCH),
            Some(Duration::from_secs(951_782_401))
        );
        for bad in [
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 31 Feb 1994 08:49:37 GMT",
            "Sun, 06 Foo 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 24:49:37 GMT",
            "Sun, 06 Nov 1969 08:49:37 GMT",
            "Sun, 06 Nov 99999999999999999999 08:49:37 GMT",
            "Sun, 6 Nov 1994 8:49:37:00 GMT",
            "Sun,",
        ] {
            assert_eq!(parse_retry_after_at(bad, SystemTime::now()), None, "{bad}");
        }
        // A far-future date is a long (capped later) wait, not a panic.
        assert!(parse_retry_after_at("Fri, 31 Dec 9999 23:59:59 GMT", UNIX_EPOCH).is_some());
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
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO),
            "a date in the past is no wait"
        );
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
