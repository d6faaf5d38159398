//! Configuration: defaults, then an optional `merchant-ops.toml`, then environment
//! variables (`DATABASE_URL`, `MERCHANT_OPS_*`). Read and checked once at start.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use serde::Deserialize;

pub const DEFAULT_CONFIG_FILE: &str = "merchant-ops.toml";
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";

#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: String,
    pub bind: SocketAddr,
    pub max_connections: u32,
    /// Cron expressions (UTC, with seconds) of the scheduled jobs.
    pub schedules: scheduler::Schedules,
    pub jobs: scheduler::JobSettings,
    /// Session cookies only over HTTPS (set when served behind TLS).
    pub secure_cookies: bool,
    /// What webhook targets may be (SPEC §5): https and public addresses by default.
    pub webhooks: domain::shop::WebhookPolicy,
    /// Reverse proxies whose `X-Forwarded-For` / `Forwarded` are believed; from
    /// anyone else the client address is the socket's peer (SPEC §11).
    pub trusted_proxies: Vec<IpAddr>,
}

/// The file's shape: every key optional, unknown keys refused.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    database_url: Option<String>,
    bind: Option<String>,
    max_connections: Option<u32>,
    schedule_expire_claims: Option<String>,
    schedule_expiry_reminders: Option<String>,
    schedule_repurchase_grants: Option<String>,
    schedule_deliver_notifications: Option<String>,
    schedule_check_alerts: Option<String>,
    job_batch_size: Option<u64>,
    notification_max_attempts: Option<i32>,
    notification_lease_seconds: Option<u32>,
    secure_cookies: Option<bool>,
    webhook_allow_http: Option<bool>,
    webhook_allow_private: Option<bool>,
    trusted_proxies: Option<Vec<String>>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("{key}: {message}")]
    Invalid { key: &'static str, message: String },
}

impl Config {
    /// Loads `file` (it must exist) or, without one, `merchant-ops.toml` if present,
    /// then applies `env` (a lookup, so tests need not touch the process environment).
    pub fn load(
        file: Option<&Path>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let file_config = match file {
            Some(path) => read_file(path)?,
            None if Path::new(DEFAULT_CONFIG_FILE).exists() => {
                read_file(Path::new(DEFAULT_CONFIG_FILE))?
            }
            None => FileConfig::default(),
        };
        let database_url = env("DATABASE_URL")
            .or_else(|| env("MERCHANT_OPS_DATABASE_URL"))
            .or(file_config.database_url)
            .unwrap_or_else(|| store::DEFAULT_DATABASE_URL.to_owned());
        let bind_text = env("MERCHANT_OPS_BIND")
            .or(file_config.bind)
            .unwrap_or_else(|| DEFAULT_BIND.to_owned());
        let bind = bind_text.parse().map_err(|_| ConfigError::Invalid {
            key: "bind",
            message: format!("{bind_text:?} is not an address such as 127.0.0.1:8080"),
        })?;
        let max_connections = match env("MERCHANT_OPS_MAX_CONNECTIONS") {
            Some(text) => text.parse().map_err(|_| ConfigError::Invalid {
                key: "max_connections",
                message: format!("{text:?} is not a number"),
            })?,
            None => file_config.max_connections.unwrap_or(16),
        };
        if max_connections == 0 {
            return Err(ConfigError::Invalid {
                key: "max_connections",
                message: "must be at least 1".into(),
            });
        }
        let defaults = scheduler::Schedules::default();
        let schedule =
            |key: &str, file: Option<String>, default: String| env(key).or(file).unwrap_or(default);
        let schedules = scheduler::Schedules {
            expire_claims: schedule(
                "MERCHANT_OPS_SCHEDULE_EXPIRE_CLAIMS",
                file_config.schedule_expire_claims,
                defaults.expire_claims,
            ),
            expiry_reminders: schedule(
                "MERCHANT_OPS_SCHEDULE_EXPIRY_REMINDERS",
                file_config.schedule_expiry_reminders,
                defaults.expiry_reminders,
            ),
            repurchase_grants: schedule(
                "MERCHANT_OPS_SCHEDULE_REPURCHASE_GRANTS",
                file_config.schedule_repurchase_grants,
                defaults.repurchase_grants,
            ),
            deliver_notifications: schedule(
                "MERCHANT_OPS_SCHEDULE_DELIVER_NOTIFICATIONS",
                file_config.schedule_deliver_notifications,
                defaults.deliver_notifications,
            ),
            check_alerts: schedule(
                "MERCHANT_OPS_SCHEDULE_CHECK_ALERTS",
                file_config.schedule_check_alerts,
                defaults.check_alerts,
            ),
        };
        schedules.check().map_err(|message| ConfigError::Invalid {
            key: "schedule",
            message,
        })?;
        let mut jobs = scheduler::JobSettings::default();
        if let Some(size) = number(&env, "MERCHANT_OPS_JOB_BATCH_SIZE", "job_batch_size")?
            .or(file_config.job_batch_size)
        {
            if size == 0 {
                return Err(ConfigError::Invalid {
                    key: "job_batch_size",
                    message: "must be at least 1".into(),
                });
            }
            jobs.batch_size = size;
        }
        if let Some(attempts) = number(
            &env,
            "MERCHANT_OPS_NOTIFICATION_MAX_ATTEMPTS",
            "notification_max_attempts",
        )?
        .or(file_config.notification_max_attempts)
        {
            if attempts < 1 {
                return Err(ConfigError::Invalid {
                    key: "notification_max_attempts",
                    message: "must be at least 1".into(),
                });
            }
            jobs.max_attempts = attempts.unsigned_abs();
        }
        // How long a sender holds a notification: one that died while sending
        // is sent again after this.
        if let Some(seconds) = number::<u32>(
            &env,
            "MERCHANT_OPS_NOTIFICATION_LEASE_SECONDS",
            "notification_lease_seconds",
        )?
        .or(file_config.notification_lease_seconds)
        {
            if !(1..=3600).contains(&seconds) {
                return Err(ConfigError::Invalid {
                    key: "notification_lease_seconds",
                    message: "must be 1 to 3600".into(),
                });
            }
            jobs.lease = chrono::Duration::seconds(i64::from(seconds));
        }
        let secure_cookies = flag(
            &env,
            "MERCHANT_OPS_SECURE_COOKIES",
            "secure_cookies",
            file_config.secure_cookies,
        )?;
        let webhooks = domain::shop::WebhookPolicy {
            allow_http: flag(
                &env,
                "MERCHANT_OPS_WEBHOOK_ALLOW_HTTP",
                "webhook_allow_http",
                file_config.webhook_allow_http,
            )?,
            allow_private: flag(
                &env,
                "MERCHANT_OPS_WEBHOOK_ALLOW_PRIVATE",
                "webhook_allow_private",
                file_config.webhook_allow_private,
            )?,
        };
        jobs.webhooks = webhooks;
        let trusted_proxies = match env("MERCHANT_OPS_TRUSTED_PROXIES") {
            Some(list) => list
                .split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_owned)
                .collect(),
            None => file_config.trusted_proxies.unwrap_or_default(),
        };
        let trusted_proxies = trusted_proxies
            .iter()
            .map(|text| {
                text.parse::<IpAddr>().map_err(|_| ConfigError::Invalid {
                    key: "trusted_proxies",
                    message: format!("{text:?} is not an IP address"),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        if trusted_proxies.len() > 64 {
            return Err(ConfigError::Invalid {
                key: "trusted_proxies",
                message: "at most 64 addresses".into(),
            });
        }
        Ok(Config {
            database_url,
            bind,
            max_connections,
            schedules,
            jobs,
            secure_cookies,
            webhooks,
            trusted_proxies,
        })
    }

    /// From the real process environment.
    pub fn from_environment(file: Option<&Path>) -> Result<Config, ConfigError> {
        Config::load(file, |key| {
            std::env::var(key).ok().filter(|v| !v.is_empty())
        })
    }

    pub fn pool(&self) -> store::PoolSettings {
        store::PoolSettings {
            max_connections: self.max_connections,
        }
    }
}

fn number<T: std::str::FromStr>(
    env: &impl Fn(&str) -> Option<String>,
    variable: &str,
    key: &'static str,
) -> Result<Option<T>, ConfigError> {
    env(variable)
        .map(|text| {
            text.parse().map_err(|_| ConfigError::Invalid {
                key,
                message: format!("{text:?} is not a number"),
            })
        })
        .transpose()
}

/// A true/false setting: the variable, else the file, else false.
fn flag(
    env: &impl Fn(&str) -> Option<String>,
    variable: &str,
    key: &'static str,
    file: Option<bool>,
) -> Result<bool, ConfigError> {
    match env(variable).as_deref() {
        Some("true" | "1") => Ok(true),
        Some("false" | "0") => Ok(false),
        Some(other) => Err(ConfigError::Invalid {
            key,
            message: format!("{other:?} is not true or false"),
        }),
        None => Ok(file.unwrap_or(false)),
    }
}

fn read_file(path: &Path) -> Result<FileConfig, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_owned(),
        source,
    })?;
    toml::from_str(&text).map_err(|e| ConfigError::Parse {
        path: path.to_owned(),
        message: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |key| map.get(key).cloned()
    }

    #[test]
    fn defaults_without_file_or_environment() {
        let config = Config::load(None, env(&[])).unwrap();
        assert_eq!(config.database_url, store::DEFAULT_DATABASE_URL);
        assert_eq!(config.bind.to_string(), DEFAULT_BIND);
    }

    #[test]
    fn environment_wins_over_the_file() {
        let dir = std::env::temp_dir().join(format!("mo-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("merchant-ops.toml");
        std::fs::write(
            &file,
            "bind = \"127.0.0.1:9000\"\ndatabase_url = \"sqlite://a.db\"\n",
        )
        .unwrap();
        let config = Config::load(Some(&file), env(&[("DATABASE_URL", "sqlite://b.db")])).unwrap();
        assert_eq!(config.bind.to_string(), "127.0.0.1:9000");
        assert_eq!(config.database_url, "sqlite://b.db");
        let config =
            Config::load(Some(&file), env(&[("MERCHANT_OPS_BIND", "0.0.0.0:80")])).unwrap();
        assert_eq!(config.bind.to_string(), "0.0.0.0:80");

        std::fs::write(&file, "bnid = \"x\"\n").unwrap();
        let error = Config::load(Some(&file), env(&[])).unwrap_err();
        assert!(error.to_string().contains("unknown field"), "{error}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn schedules_come_from_the_environment_and_are_checked() {
        let config = Config::load(
            None,
            env(&[("MERCHANT_OPS_SCHEDULE_EXPIRE_CLAIMS", "0 0 * * * *")]),
        )
        .unwrap();
        assert_eq!(config.schedules.expire_claims, "0 0 * * * *");
        assert_eq!(config.schedules.deliver_notifications, "0 * * * * *");
        let error = Config::load(
            None,
            env(&[(
                "MERCHANT_OPS_SCHEDULE_EXPIRY_REMINDERS",
                "every now and then",
            )]),
        )
        .unwrap_err();
        assert!(error.to_string().contains("expiry-reminders"), "{error}");
        let error = Config::load(None, env(&[("MERCHANT_OPS_JOB_BATCH_SIZE", "0")])).unwrap_err();
        assert!(error.to_string().starts_with("job_batch_size"), "{error}");
    }

    #[test]
    fn bad_values_fail_early_with_the_key() {
        let error = Config::load(None, env(&[("MERCHANT_OPS_BIND", "localhost")])).unwrap_err();
        assert!(error.to_string().starts_with("bind:"), "{error}");
        let error = Config::load(None, env(&[("MERCHANT_OPS_MAX_CONNECTIONS", "0")])).unwrap_err();
        assert!(error.to_string().starts_with("max_connections:"), "{error}");
    }
}
