//! A client-side request pacer: at most `rate` requests per second, shared by every task that
//! calls one API (Route 53 allows 5 requests per second per account; beyond that it throttles).
//! Requests are spaced evenly rather than bursting, so concurrent zone reads never trip the
//! limit; throttling that happens anyway is retried by the SDK. Knows nothing of AWS.

use std::time::Duration;
use tokio::sync::Mutex;
use tokio::time::Instant;

pub struct Pacer {
    interval: Option<Duration>,
    next: Mutex<Option<Instant>>,
}

impl Pacer {
    /// `rate` requests per second; 0 (or less) paces nothing.
    pub fn new(rate: f64) -> Pacer {
        let interval =
            (rate > 0.0 && rate.is_finite()).then(|| Duration::from_secs_f64(1.0 / rate));
        Pacer {
            interval,
            next: Mutex::new(None),
        }
    }

    /// Waits for this request's turn.
    pub async fn wait(&self) {
        let Some(interval) = self.interval else {
            return;
        };
        let at = {
            let mut next = self.next.lock().await;
            let now = Instant::now();
            let at = next.map_or(now, |n| n.max(now));
            *next = Some(at + interval);
            at
        };
        tokio::time::sleep_until(at).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn requests_are_spaced_by_the_rate() {
        let p = std::sync::Arc::new(Pacer::new(5.0));
        let start = Instant::now();
        let tasks: Vec<_> = (0..6)
            .map(|_| {
                let p = p.clone();
                tokio::spawn(async move {
                    p.wait().await;
                    Instant::now()
                })
            })
            .collect();
        let mut at = Vec::new();
        for t in tasks {
            at.push(t.await.unwrap() - start);
        }
        at.sort();
        // The first goes at once, each next 200 ms after the one before.
        for (i, d) in at.iter().enumerate() {
            assert_eq!(d.as_millis(), 200 * i as u128, "{at:?}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn zero_paces_nothing() {
        let p = Pacer::new(0.0);
        let start = Instant::now();
        for _ in 0..10 {
            p.wait().await;
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
    }
}
