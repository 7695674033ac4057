//! Retry back-off and request/token rate limits shared by all worker threads.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// HTTP statuses worth a retry: timeouts, conflicts, rate limits, server errors.
pub fn retryable(status: u16) -> bool {
    matches!(status, 408 | 409 | 429 | 500 | 502 | 503 | 504)
}

/// Exponential back-off with full jitter: before retry n (0-based) the client
/// sleeps a uniform time in [0, min(cap, base·2ⁿ)], or exactly the server's
/// `Retry-After` (capped) when it sent one.
#[derive(Debug)]
pub struct Backoff {
    base: Duration,
    cap: Duration,
    retry_after_cap: Duration,
    rng: Mutex<ChaCha8Rng>,
}

impl Backoff {
    /// Creates a back-off whose jitter comes from ChaCha8 seeded with `seed`.
    pub fn new(base: Duration, cap: Duration, retry_after_cap: Duration, seed: u64) -> Self {
        Backoff {
            base,
            cap,
            retry_after_cap,
            rng: Mutex::new(ChaCha8Rng::seed_from_u64(seed)),
        }
    }

    /// Returns the pause before retry `n`; `retry_after` is the server's value in seconds.
    pub fn delay(&self, n: u32, retry_after: Option<u64>) -> Duration {
        if let Some(seconds) = retry_after {
            return Duration::from_secs(seconds).min(self.retry_after_cap);
        }
        let ceiling = self
            .base
            .saturating_mul(1u32 << n.min(20))
            .min(self.cap)
            .as_secs_f64();
        let fraction: f64 = self
            .rng
            .lock()
            .map(|mut rng| rng.random::<f64>())
            .unwrap_or(1.0);
        Duration::from_secs_f64(ceiling * fraction)
    }
}

/// Request-per-minute spacing and a tokens-per-minute bucket.
///
/// A request debits an estimate (prompt characters / 4 + max tokens) before it
/// is sent. [`Limiter::settle`] then corrects the bucket with the server's usage.
#[derive(Debug)]
pub struct Limiter {
    rpm: Option<u32>,
    tpm: Option<u64>,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    next_start: Instant,
    tokens: f64,
    refilled: Instant,
}

impl Limiter {
    /// Creates a limiter; `None` means unlimited.
    pub fn new(rpm: Option<u32>, tpm: Option<u64>) -> Self {
        let now = Instant::now();
        Limiter {
            rpm,
            tpm,
            state: Mutex::new(State {
                next_start: now,
                tokens: tpm.unwrap_or(0) as f64,
                refilled: now,
            }),
        }
    }

    /// Blocks until a request costing `tokens` may start.
    pub fn acquire(&self, tokens: u64) {
        loop {
            let wait = self.try_acquire(tokens);
            if wait.is_zero() {
                return;
            }
            std::thread::sleep(wait);
        }
    }

    /// Debits the request and returns zero, or returns how long to wait.
    fn try_acquire(&self, tokens: u64) -> Duration {
        let Ok(mut s) = self.state.lock() else {
            return Duration::ZERO;
        };
        let now = Instant::now();
        if now < s.next_start {
            return s.next_start - now;
        }
        if let Some(tpm) = self.tpm {
            let rate = tpm as f64 / 60.0;
            s.tokens = (s.tokens + rate * (now - s.refilled).as_secs_f64()).min(tpm as f64);
            s.refilled = now;
            let need = (tokens as f64).min(tpm as f64);
            if s.tokens < need {
                return Duration::from_secs_f64((need - s.tokens) / rate);
            }
            s.tokens -= tokens as f64;
        }
        if let Some(rpm) = self.rpm {
            s.next_start = now + Duration::from_secs_f64(60.0 / f64::from(rpm.max(1)));
        }
        Duration::ZERO
    }

    /// Returns the difference between the estimate and the real usage to the bucket.
    pub fn settle(&self, estimated: u64, used: u64) {
        if let (Some(tpm), Ok(mut s)) = (self.tpm, self.state.lock()) {
            s.tokens = (s.tokens + estimated as f64 - used as f64).min(tpm as f64);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_stays_below_the_ceiling_and_is_seeded() {
        let a = Backoff::new(
            Duration::from_secs(1),
            Duration::from_secs(60),
            Duration::from_secs(120),
            7,
        );
        let b = Backoff::new(
            Duration::from_secs(1),
            Duration::from_secs(60),
            Duration::from_secs(120),
            7,
        );
        for n in 0..8 {
            let d = a.delay(n, None);
            assert_eq!(d, b.delay(n, None));
            assert!(d <= Duration::from_secs(1 << n).min(Duration::from_secs(60)));
        }
        assert_eq!(a.delay(0, Some(500)), Duration::from_secs(120));
        assert_eq!(a.delay(0, Some(1)), Duration::from_secs(1));
    }

    #[test]
    fn rpm_spaces_request_starts() {
        let limiter = Limiter::new(Some(600), None);
        assert!(limiter.try_acquire(0).is_zero());
        let wait = limiter.try_acquire(0);
        assert!(wait > Duration::from_millis(50));
        assert!(wait <= Duration::from_millis(100));
    }

    #[test]
    fn tpm_bucket_blocks_when_empty() {
        let limiter = Limiter::new(None, Some(600));
        assert!(limiter.try_acquire(600).is_zero());
        let wait = limiter.try_acquire(60);
        assert!(wait > Duration::from_secs(5), "{wait:?}");
        limiter.settle(600, 0);
        assert!(limiter.try_acquire(60).is_zero());
    }
}
