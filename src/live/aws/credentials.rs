//! Resolves the AWS credentials once, before drift's first request, and turns a failure into
//! one line a person can act on: which sources were tried (environment, the profile in which
//! files, SSO and `credential_process` through that profile, web identity, container and
//! instance metadata) and, when the named profile does not exist, that profile and the ones
//! that do. It reads the shared files only for their section names; it never prints, stores or
//! logs a credential, and it never calls an AWS API itself (the SDK's chain does).

use aws_credential_types::provider::ProvideCredentials;
use aws_credential_types::provider::error::CredentialsError;
use std::path::PathBuf;

/// Where the profile name came from, for the message.
enum ProfileFrom {
    Config,
    Environment,
    Default,
}

/// Asks the SDK's credential chain for credentials once. `Err` is the whole message.
pub async fn check(sdk: &aws_config::SdkConfig, configured: Option<&str>) -> Result<(), String> {
    let Some(provider) = sdk.credentials_provider() else {
        return Err("no AWS credential provider is configured".into());
    };
    match provider.provide_credentials().await {
        Ok(_) => Ok(()),
        Err(e) => Err(explain(&e, configured, &|k| std::env::var(k).ok())),
    }
}

/// The message for a failed resolution. `env` reads an environment variable (a parameter so
/// the wording is testable without touching the process's environment).
fn explain(
    e: &CredentialsError,
    configured: Option<&str>,
    env: &dyn Fn(&str) -> Option<String>,
) -> String {
    let set = |k: &str| env(k).is_some_and(|v| !v.is_empty());
    let (profile, from) = match (configured, env("AWS_PROFILE").filter(|p| !p.is_empty())) {
        (Some(p), _) => (p.to_string(), ProfileFrom::Config),
        (None, Some(p)) => (p, ProfileFrom::Environment),
        (None, None) => ("default".to_string(), ProfileFrom::Default),
    };
    let home = env("HOME").map(PathBuf::from);
    let config_file = env("AWS_CONFIG_FILE")
        .map(PathBuf::from)
        .or_else(|| home.as_ref().map(|h| h.join(".aws/config")));
    let credentials_file = env("AWS_SHARED_CREDENTIALS_FILE")
        .map(PathBuf::from)
        .or_else(|| home.as_ref().map(|h| h.join(".aws/credentials")));
    let config = SharedFile::read(config_file, true);
    let credentials = SharedFile::read(credentials_file, false);

    let named = !matches!(from, ProfileFrom::Default);
    if named && !config.has(&profile) && !credentials.has(&profile) {
        let origin = match from {
            ProfileFrom::Config => "`[aws] profile` in drift.toml",
            _ => "AWS_PROFILE",
        };
        let mut known: Vec<&str> = config
            .profiles
            .iter()
            .chain(&credentials.profiles)
            .map(String::as_str)
            .collect();
        known.sort_unstable();
        known.dedup();
        let known = if known.is_empty() {
            "no profiles are defined there".to_string()
        } else {
            format!("the profiles there are {}", quoted(&known))
        };
        return format!(
            "AWS profile `{profile}` (from {origin}) does not exist: it is in neither {} nor {}; {known}",
            config.describe(),
            credentials.describe()
        );
    }

    match e {
        CredentialsError::CredentialsNotLoaded(_) => {
            let environment = if set("AWS_ACCESS_KEY_ID") {
                "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not"
            } else {
                "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set"
            };
            let web = if set("AWS_WEB_IDENTITY_TOKEN_FILE") {
                "AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not"
            } else {
                "AWS_WEB_IDENTITY_TOKEN_FILE is not set"
            };
            let container = if set("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")
                || set("AWS_CONTAINER_CREDENTIALS_FULL_URI")
            {
                "the endpoint gave none"
            } else {
                "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and _FULL_URI are not set"
            };
            let imds = match env("AWS_EC2_METADATA_DISABLED") {
                Some(v) if v.eq_ignore_ascii_case("true") => {
                    "disabled by AWS_EC2_METADATA_DISABLED"
                }
                _ => "no answer: not on EC2, or no instance role",
            };
            format!(
                "no AWS credentials found. Tried: the environment ({environment}); profile `{profile}` in {} and {}, with its SSO, credential_process and role settings (no credentials there); web identity ({web}); container credentials ({container}); EC2 instance metadata ({imds}). Set one of these, or name a profile with `[aws] profile` in drift.toml or AWS_PROFILE",
                config.describe(),
                credentials.describe()
            )
        }
        other => format!(
            "AWS credentials could not be loaded (profile `{profile}`): {}",
            crate::error::chain(other)
        ),
    }
}

/// `a, `b` and `c`` style list.
fn quoted(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One of the shared files: its path, whether it exists, and the profile names it defines.
struct SharedFile {
    path: Option<PathBuf>,
    exists: bool,
    profiles: Vec<String>,
}

impl SharedFile {
    /// Reads the section names of a shared file. In the config file a profile is
    /// `[profile NAME]` (and `[default]`); in the credentials file it is `[NAME]`.
    fn read(path: Option<PathBuf>, is_config: bool) -> SharedFile {
        let text = path.as_ref().and_then(|p| std::fs::read_to_string(p).ok());
        let mut profiles = Vec::new();
        for line in text.as_deref().unwrap_or("").lines() {
            let line = line.trim();
            let Some(inner) = line.strip_prefix('[').and_then(|l| l.split(']').next()) else {
                continue;
            };
            let inner = inner.trim();
            let name = if is_config {
                match inner.strip_prefix("profile") {
                    Some(rest) if rest.starts_with(char::is_whitespace) => rest.trim(),
                    _ if inner == "default" => inner,
                    _ => continue,
                }
            } else {
                inner
            };
            if !name.is_empty() {
                profiles.push(name.to_string());
            }
        }
        SharedFile {
            exists: text.is_some(),
            path,
            profiles,
        }
    }

    fn has(&self, profile: &str) -> bool {
        self.profiles.iter().any(|p| p == profile)
    }

    fn describe(&self) -> String {
        match &self.path {
            None => "(no home directory)".into(),
            Some(p) if self.exists => format!("{}", p.display()),
            Some(p) => format!("{} (no such file)", p.display()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_credential_types::provider::error::CredentialsError;

    fn env_of(pairs: &[(&str, String)]) -> impl Fn(&str) -> Option<String> + use<> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        move |k| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
    }

    #[test]
    fn a_named_profile_that_does_not_exist_is_named_with_the_ones_that_do() {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = dir.path().join("config");
        std::fs::write(
            &config,
            "[default]\nregion = x\n[profile dev]\nregion = y\n[sso-session s]\n",
        )
        .expect("write");
        let env = env_of(&[
            ("AWS_CONFIG_FILE", config.display().to_string()),
            ("HOME", dir.path().display().to_string()),
            ("AWS_PROFILE", "prod".into()),
        ]);
        let e = CredentialsError::not_loaded("no providers in chain provided credentials");
        let m = explain(&e, None, &env);
        assert!(
            m.starts_with("AWS profile `prod` (from AWS_PROFILE) does not exist"),
            "{m}"
        );
        assert!(m.contains(&config.display().to_string()), "{m}");
        assert!(m.contains("credentials (no such file)"), "{m}");
        assert!(m.contains("`default`, `dev`"), "{m}");
        assert!(!m.contains("`s`"), "an sso-session is not a profile: {m}");
        // The same name given in drift.toml says so.
        let m = explain(&e, Some("prod"), &env);
        assert!(m.contains("(from `[aws] profile` in drift.toml)"), "{m}");
        // A profile that exists is not reported missing.
        let m = explain(&e, Some("dev"), &env);
        assert!(m.starts_with("no AWS credentials found"), "{m}");
        assert!(m.contains("profile `dev`"), "{m}");
    }

    #[test]
    fn no_credentials_lists_every_source_tried() {
        let env = env_of(&[
            ("HOME", "/nonexistent-home".into()),
            ("AWS_EC2_METADATA_DISABLED", "true".into()),
        ]);
        let e = CredentialsError::not_loaded("no providers in chain provided credentials");
        let m = explain(&e, None, &env);
        for part in [
            "no AWS credentials found",
            "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set",
            "profile `default` in /nonexistent-home/.aws/config (no such file)",
            "/nonexistent-home/.aws/credentials (no such file)",
            "SSO",
            "web identity (AWS_WEB_IDENTITY_TOKEN_FILE is not set)",
            "container credentials",
            "instance metadata (disabled by AWS_EC2_METADATA_DISABLED)",
        ] {
            assert!(m.contains(part), "missing {part:?} in {m}");
        }
        assert!(!m.contains('\n'), "{m}");
    }

    #[test]
    fn other_failures_carry_their_chain_without_debug_formatting() {
        let e = CredentialsError::invalid_configuration("profile `a` has a cycle: a -> b -> a");
        let m = explain(&e, Some("a"), &|k| {
            (k == "HOME").then(|| "/nonexistent-home".to_string())
        });
        // `a` does not exist in any file: that is what is said first.
        assert!(m.contains("does not exist"), "{m}");
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(dir.path().join(".aws")).expect("mkdir");
        std::fs::write(dir.path().join(".aws/credentials"), "[a]\n").expect("write");
        let home = dir.path().display().to_string();
        let m = explain(&e, Some("a"), &|k| (k == "HOME").then(|| home.clone()));
        assert_eq!(m.matches("cycle").count(), 1, "{m}");
        assert!(
            m.starts_with("AWS credentials could not be loaded (profile `a`)"),
            "{m}"
        );
        assert!(!m.contains("{ ") && !m.contains("Some("), "{m}");
    }
}
