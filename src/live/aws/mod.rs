//! Reads the live state from AWS: the account id (STS, through the SDK, which also resolves
//! credentials, profiles and roles), KMS keys by alias, Route 53 zones by name with every
//! record, RDS instances by identifier, Secrets Manager secrets, CloudFront distributions and
//! load balancers through drift's own signed client (`rest`, `xml`: a few read operations
//! each, so the build does not carry an SDK crate per service), and S3 (the state object and
//! the buckets) through the SDK. Produces the snapshot sections (the APIs' own shapes); never
//! writes anything to AWS.
//!
//! Endpoints come only from the SDK's own settings (`AWS_ENDPOINT_URL`,
//! `AWS_ENDPOINT_URL_KMS`, `AWS_ENDPOINT_URL_ROUTE_53`, …). One HTTPS client (rustls + ring)
//! is shared by every service client.

pub mod buckets;
pub mod cloudfront;
pub mod credentials;
pub mod elb;
pub mod kms;
pub mod pacer;
pub mod rds;
pub mod rest;
pub mod route53;
pub mod s3;
pub mod secrets;
pub mod xml;

use crate::config::AwsConfig;
use crate::error::Error;
use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// A request's place among those in flight: held until the request's answer is read.
#[must_use = "the slot must be held while the request is sent"]
pub struct Slot(#[allow(dead_code)] Option<tokio::sync::OwnedSemaphorePermit>);

/// The caller, as STS reports it.
#[derive(Clone, Debug)]
pub struct Identity {
    pub account: String,
    pub arn: Option<String>,
    pub user_id: Option<String>,
}

/// Shared AWS configuration plus a request counter (for the note and benchmarks).
#[derive(Clone)]
pub struct Session {
    pub sdk: aws_config::SdkConfig,
    pub concurrency: usize,
    pub requests: Arc<AtomicUsize>,
    /// The token buckets every request waits on, per account and API (`[aws.limits]`).
    pub pacers: Arc<pacer::Pacers>,
    /// At most `[aws] max_in_flight` requests at once, all accounts together (each account
    /// also at most `concurrency` calls at once).
    in_flight: Arc<tokio::sync::Semaphore>,
    /// `[aws] operation_timeout_secs`: also bounds what the SDK's own timeout does not cover
    /// (an S3 object's body, read after the answer's headers).
    pub operation_timeout: Duration,
    /// One credentials provider per role, shared by every service and region read through
    /// it: its credentials are cached once, so each account costs one `AssumeRole`.
    roles: Arc<tokio::sync::Mutex<std::collections::HashMap<String, SharedCredentialsProvider>>>,
    /// The HTTPS client of the APIs read without an SDK crate.
    rest: rest::Client,
}

impl Session {
    /// The configuration and credentials drift reads AWS with. The credential chain is asked
    /// once here, so that a machine without credentials gets one error saying what was tried,
    /// not one per API call.
    pub async fn load(cfg: &AwsConfig) -> Result<Session, Error> {
        let http = aws_smithy_http_client::Builder::new()
            .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
            .build_https();
        let attempts = cfg.max_attempts.unwrap_or(3).max(1);
        let retry = match cfg.retry_mode.as_deref() {
            Some("adaptive") => RetryConfig::adaptive().with_max_attempts(attempts),
            _ => RetryConfig::standard().with_max_attempts(attempts),
        };
        let operation_timeout = Duration::from_secs(cfg.operation_timeout_secs.unwrap_or(60));
        let timeouts = TimeoutConfig::builder()
            .connect_timeout(Duration::from_secs(5))
            .operation_attempt_timeout(Duration::from_secs(cfg.attempt_timeout_secs.unwrap_or(10)))
            .operation_timeout(operation_timeout)
            .build();
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .http_client(http)
            .retry_config(retry)
            .timeout_config(timeouts);
        if let Some(r) = &cfg.region {
            loader = loader.region(aws_config::Region::new(r.clone()));
        }
        if let Some(p) = &cfg.profile {
            loader = loader.profile_name(p);
        }
        let sdk = loader.load().await;
        credentials::check(&sdk, cfg.profile.as_deref())
            .await
            .map_err(Error::Credentials)?;
        Ok(Session {
            sdk,
            concurrency: cfg.concurrency.unwrap_or(8).max(1),
            requests: Arc::new(AtomicUsize::new(0)),
            pacers: Arc::new(pacer::Pacers::new(cfg.limits())),
            in_flight: Arc::new(tokio::sync::Semaphore::new(
                cfg.max_in_flight.unwrap_or(64).max(1),
            )),
            operation_timeout,
            roles: Default::default(),
            rest: rest::Client::new()?,
        })
    }

    /// Waits until `account` (`None`: the caller's) may send one request of `service`'s
    /// `operation` under its limits and a slot among the requests in flight is free; the
    /// request is sent while the returned slot is held. A request waiting on its account's
    /// budget holds no slot another account could use, and takes its token only once it holds
    /// a slot: AWS sees it when drift's bucket says it goes.
    pub async fn pace(
        &self,
        account: Option<&str>,
        service: &'static str,
        operation: &'static str,
    ) -> Slot {
        let bucket = self.pacers.bucket(account, service, operation);
        let slot =
            pacer::when_ready(bucket.as_deref(), || self.in_flight.clone().acquire_owned()).await;
        Slot(slot.ok())
    }

    /// Paces, then counts, one request about to be sent (the held slot returned).
    pub async fn call(
        &self,
        account: Option<&str>,
        service: &'static str,
        operation: &'static str,
    ) -> Slot {
        let slot = self.pace(account, service, operation).await;
        self.count();
        slot
    }

    /// Counts one API request.
    pub fn count(&self) {
        self.requests.fetch_add(1, Ordering::Relaxed);
    }

    pub fn region(&self) -> Option<String> {
        self.sdk.region().map(|r| r.to_string())
    }

    /// The shared configuration for an account and region: with `role_arn`, credentials from
    /// STS `AssumeRole` (session name `drift`) on top of the usual chain.
    pub async fn in_place(
        &self,
        role_arn: Option<&str>,
        region: Option<&str>,
    ) -> aws_config::SdkConfig {
        let base = self.in_region(region);
        let Some(role) = role_arn else {
            return base;
        };
        let provider = {
            let mut roles = self.roles.lock().await;
            match roles.get(role) {
                Some(p) => p.clone(),
                None => {
                    // STS is asked in the region of the first place read through the role.
                    let provider = aws_config::sts::AssumeRoleProvider::builder(role)
                        .session_name("drift")
                        .configure(&base)
                        .build()
                        .await;
                    let shared = SharedCredentialsProvider::new(provider);
                    roles.insert(role.to_string(), shared.clone());
                    shared
                }
            }
        };
        base.to_builder().credentials_provider(provider).build()
    }

    /// Where a request goes, for errors: the region (or the default one), and the account and
    /// role when another account is read through a role.
    pub fn place(&self, account: Option<&str>, region: Option<&str>, role: Option<&str>) -> String {
        let region = region
            .map(str::to_string)
            .or_else(|| self.region())
            .unwrap_or_else(|| "no region set".into());
        match (account, role) {
            (Some(a), Some(r)) => format!("region {region}, account {a} through role {r}"),
            (Some(a), None) => format!("region {region}, account {a}"),
            (None, Some(r)) => format!("region {region}, through role {r}"),
            (None, None) => format!("region {region}, the caller's account"),
        }
    }

    /// The shared configuration for `region` (`None`: the default region).
    pub fn in_region(&self, region: Option<&str>) -> aws_config::SdkConfig {
        match region {
            Some(r) => self
                .sdk
                .to_builder()
                .region(aws_config::Region::new(r.to_string()))
                .build(),
            None => self.sdk.clone(),
        }
    }

    /// Who drift runs as, from STS `GetCallerIdentity`: the account id, the caller's ARN and
    /// user id (what `data "aws_caller_identity"` gives the code).
    pub async fn identity(&self) -> Result<Identity, Error> {
        let sts = aws_sdk_sts::Client::new(&self.sdk);
        self.count();
        let out = sts.get_caller_identity().send().await.map_err(|e| {
            aws_error("sts", "GetCallerIdentity", e).at(&self.place(None, None, None))
        })?;
        let account = out
            .account()
            .map(str::to_string)
            .ok_or_else(|| Error::Aws {
                service: "sts",
                operation: "GetCallerIdentity",
                message: "the response has no account id".into(),
            })?;
        Ok(Identity {
            account,
            arn: out.arn().map(str::to_string),
            user_id: out.user_id().map(str::to_string),
        })
    }
}

/// An SDK error with its whole chain of causes (the SDK's Display says only "service error"),
/// each by its Display: never Rust's Debug form.
pub fn aws_error(
    service: &'static str,
    operation: &'static str,
    e: impl std::error::Error,
) -> Error {
    Error::Aws {
        service,
        operation,
        message: crate::error::chain(&e),
    }
}
