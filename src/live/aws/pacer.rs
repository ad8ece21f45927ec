//! Client-side request pacing as AWS throttles: a token bucket per account and API (Route 53
//! counts every request of an account against one bucket of 50 that refills 10 a second; RDS
//! 300 and 12; KMS a bucket per operation). Every root and region of an account in one run
//! shares its buckets, and accounts never wait for each other. A request takes a token or
//! reserves the next one and sleeps until it arrives, so concurrent reads of one account never
//! trip the limit and the first `burst` requests go at once; throttling that happens anyway is
//! retried by the SDK. Knows nothing of the SDK: callers name the account, service and
//! operation.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

/// One bucket's size and refill rate (`[aws.limits]`).
#[derive(Clone, Copy, Debug, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limit {
    /// Requests that may go at once when the bucket is full (at least 1).
    pub burst: f64,
    /// Tokens added per second; 0 paces nothing.
    pub per_second: f64,
}

/// The limits per service, as AWS documents them for one account (Route 53, RDS) or as
/// conservative defaults where AWS allows far more (KMS, Secrets Manager: per operation).
#[derive(Clone, Debug, PartialEq)]
pub struct Limits {
    pub route53: Limit,
    pub rds: Limit,
    pub kms: Limit,
    pub secretsmanager: Limit,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            // "All Amazon Route 53 API operations combined (account level): 50, 10".
            route53: Limit {
                burst: 50.0,
                per_second: 10.0,
            },
            rds: Limit {
                burst: 300.0,
                per_second: 12.0,
            },
            // AWS allows hundreds to thousands per operation; drift asks for little.
            kms: Limit {
                burst: 50.0,
                per_second: 25.0,
            },
            secretsmanager: Limit {
                burst: 50.0,
                per_second: 25.0,
            },
        }
    }
}

impl Limits {
    /// The limit of `service`, and whether each operation has its own bucket.
    fn of(&self, service: &str) -> Option<(Limit, bool)> {
        match service {
            "route53" => Some((self.route53, false)),
            "rds" => Some((self.rds, false)),
            "kms" => Some((self.kms, true)),
            "secretsmanager" => Some((self.secretsmanager, true)),
            _ => None,
        }
    }
}

/// A token bucket: full at the start. A token is taken at the moment the request goes (never
/// reserved ahead): a request that then waits for something else (a free slot) would reach
/// AWS later than its token said, bunched with the next, and AWS's bucket would refuse one.
pub struct Bucket {
    limit: Limit,
    /// Tokens now, as of `at`.
    state: Mutex<(f64, Option<Instant>)>,
}

impl Bucket {
    pub fn new(limit: Limit) -> Bucket {
        let burst = limit.burst.max(1.0);
        Bucket {
            limit: Limit { burst, ..limit },
            state: Mutex::new((burst, None)),
        }
    }

    /// Takes a token if there is one; else says how long until there is.
    pub fn try_take(&self) -> Result<(), Duration> {
        let rate = self.limit.per_second;
        if !(rate > 0.0 && rate.is_finite()) {
            return Ok(());
        }
        let now = Instant::now();
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let (tokens, at) = *state;
        let tokens = match at {
            Some(at) => {
                (tokens + now.duration_since(at).as_secs_f64() * rate).min(self.limit.burst)
            }
            None => tokens,
        };
        if tokens >= 1.0 {
            *state = (tokens - 1.0, Some(now));
            Ok(())
        } else {
            *state = (tokens, Some(now));
            // At least a millisecond: the clock's resolution must not make a busy loop.
            Err(Duration::from_secs_f64((1.0 - tokens) / rate).max(Duration::from_millis(1)))
        }
    }

    /// Waits until the bucket holds a token, without taking it.
    pub async fn wait_until_ready(&self) {
        loop {
            let wait = {
                let rate = self.limit.per_second;
                if !(rate > 0.0 && rate.is_finite()) {
                    return;
                }
                let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
                let (tokens, at) = *state;
                let tokens = match at {
                    Some(at) => (tokens + at.elapsed().as_secs_f64() * rate).min(self.limit.burst),
                    None => tokens,
                };
                if tokens >= 1.0 {
                    return;
                }
                Duration::from_secs_f64((1.0 - tokens) / rate).max(Duration::from_millis(1))
            };
            tokio::time::sleep(wait).await;
        }
    }

    /// Waits for a token and takes it.
    pub async fn wait(&self) {
        while let Err(d) = self.try_take() {
            tokio::time::sleep(d).await;
        }
    }
}

/// Waits until `bucket` holds a token and `acquire` has given a slot, then takes the token and
/// returns the slot: the token is spent the moment the request can go, so a request that
/// waited for its slot never reaches AWS bunched with the next. Waiting on the bucket holds no
/// slot. `None`: nothing to pace.
pub async fn when_ready<T, F, Fut>(bucket: Option<&Bucket>, mut acquire: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = T>,
{
    loop {
        if let Some(b) = bucket {
            b.wait_until_ready().await;
        }
        let slot = acquire().await;
        match bucket.map(Bucket::try_take) {
            None | Some(Ok(())) => return slot,
            // Another request took the token while this one waited for its slot.
            Some(Err(_)) => drop(slot),
        }
    }
}

/// (account, service, operation or `""`).
type BucketKey = (String, &'static str, &'static str);

/// Every bucket of a run, made on first use: by (account, service), or (account, service,
/// operation) where AWS limits each operation on its own. `""` is the caller's account.
pub struct Pacers {
    limits: Limits,
    buckets: Mutex<HashMap<BucketKey, Arc<Bucket>>>,
}

impl Pacers {
    pub fn new(limits: Limits) -> Pacers {
        Pacers {
            limits,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// The bucket of `account`'s `service` `operation` requests; none for a service drift
    /// does not pace.
    pub fn bucket(
        &self,
        account: Option<&str>,
        service: &'static str,
        operation: &'static str,
    ) -> Option<Arc<Bucket>> {
        let (limit, per_operation) = self.limits.of(service)?;
        let key = (
            account.unwrap_or_default().to_string(),
            service,
            if per_operation { operation } else { "" },
        );
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        Some(
            buckets
                .entry(key)
                .or_insert_with(|| Arc::new(Bucket::new(limit)))
                .clone(),
        )
    }

    /// Waits until `account` may send one `service` `operation` request, and takes its token.
    pub async fn wait(
        &self,
        account: Option<&str>,
        service: &'static str,
        operation: &'static str,
    ) {
        if let Some(b) = self.bucket(account, service, operation) {
            b.wait().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limit(burst: f64, per_second: f64) -> Limit {
        Limit { burst, per_second }
    }

    /// When each of `n` concurrent requests of `account` goes, from the start.
    async fn times(p: &Arc<Pacers>, account: &'static str, n: usize) -> Vec<u128> {
        let start = Instant::now();
        let tasks: Vec<_> = (0..n)
            .map(|_| {
                let p = p.clone();
                tokio::spawn(async move {
                    p.wait(Some(account), "route53", "ListResourceRecordSets")
                        .await;
                    Instant::now()
                })
            })
            .collect();
        let mut at = Vec::new();
        for t in tasks {
            at.push((t.await.expect("task") - start).as_millis());
        }
        at.sort();
        at
    }

    #[tokio::test(start_paused = true)]
    async fn a_burst_goes_at_once_then_the_refill_rate_paces() {
        let limits = Limits {
            route53: limit(3.0, 5.0),
            ..Limits::default()
        };
        let p = Arc::new(Pacers::new(limits));
        // Three at once, then one every 200 ms.
        assert_eq!(
            times(&p, "111111111111", 6).await,
            vec![0, 0, 0, 200, 400, 600]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn accounts_have_their_own_buckets_and_operations_share_routes_53s() {
        let limits = Limits {
            route53: limit(1.0, 2.0),
            ..Limits::default()
        };
        let p = Arc::new(Pacers::new(limits));
        let (a, b) = tokio::join!(times(&p, "111111111111", 3), times(&p, "222222222222", 3));
        assert_eq!(a, vec![0, 500, 1000]);
        assert_eq!(b, vec![0, 500, 1000], "one account never waits for another");
        // Another Route 53 operation of the same account takes from the same bucket.
        let start = Instant::now();
        p.wait(Some("111111111111"), "route53", "ListHostedZones")
            .await;
        assert_eq!(start.elapsed().as_millis(), 500);
    }

    #[tokio::test(start_paused = true)]
    async fn kms_operations_have_a_bucket_each_and_a_full_bucket_refills_no_further() {
        let limits = Limits {
            kms: limit(2.0, 1.0),
            ..Limits::default()
        };
        let p = Pacers::new(limits);
        let start = Instant::now();
        for _ in 0..2 {
            p.wait(None, "kms", "DescribeKey").await;
            p.wait(None, "kms", "GetKeyPolicy").await;
        }
        assert_eq!(start.elapsed(), Duration::ZERO, "two buckets of two");
        p.wait(None, "kms", "DescribeKey").await;
        assert_eq!(start.elapsed().as_millis(), 1000);
        // Idle for a minute: the bucket holds 2 tokens, not 60.
        tokio::time::sleep(Duration::from_secs(60)).await;
        let idle = Instant::now();
        for _ in 0..3 {
            p.wait(None, "kms", "DescribeKey").await;
        }
        assert_eq!(idle.elapsed().as_millis(), 1000);
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_that_waits_for_a_slot_takes_its_token_when_it_goes() {
        // One a second, one at a time; the only slot is busy for the first 3.5 s.
        let bucket = Arc::new(Bucket::new(limit(1.0, 1.0)));
        let slots = Arc::new(tokio::sync::Semaphore::new(1));
        let start = Instant::now();
        let busy = slots.clone().acquire_owned().await.expect("slot");
        let tasks: Vec<_> = (0..3)
            .map(|_| {
                let (bucket, slots) = (bucket.clone(), slots.clone());
                tokio::spawn(async move {
                    let slot = when_ready(Some(&bucket), || slots.clone().acquire_owned()).await;
                    let at = start.elapsed().as_millis();
                    drop(slot);
                    at
                })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(3500)).await;
        drop(busy);
        let mut at = Vec::new();
        for t in tasks {
            at.push(t.await.expect("task"));
        }
        at.sort();
        // Had the tokens been taken before the slot, all three would go at 3.5 s together
        // (AWS would refuse two); taken when each goes, they stay a second apart.
        assert_eq!(at, vec![3500, 4500, 5500]);
    }

    #[tokio::test(start_paused = true)]
    async fn zero_paces_nothing_and_unknown_services_are_not_paced() {
        let limits = Limits {
            route53: limit(1.0, 0.0),
            ..Limits::default()
        };
        let p = Pacers::new(limits);
        let start = Instant::now();
        for _ in 0..10 {
            p.wait(None, "route53", "ListHostedZones").await;
            p.wait(None, "sts", "AssumeRole").await;
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
    }
}
