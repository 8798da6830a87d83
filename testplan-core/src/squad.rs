//! Submitting jobs to SQUAD (qa-reports): where and what to send.
//!
//! lava-test-plans posts each job to
//! `{server}/api/submitjob/{team}/{project}/{build}/{environment}` with an
//! `Auth-Token` header and two form fields: `definition` (the job) and `backend`
//! (the LAVA server's host name, which is how SQUAD names its LAVA backends).
//! This module builds that request; the caller sends it.

use crate::error::{Error, Result};

/// Where jobs go and under which names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SquadOptions {
    /// SQUAD server; `https://` is added when no scheme is given.
    pub server: String,
    /// SQUAD team (group).
    pub team: String,
    /// SQUAD project; may not contain `/`.
    pub project: String,
    /// Build id.
    pub build: String,
    /// Environment; empty means `env_prefix + device_type + env_suffix`.
    pub environment: String,
    /// Prefix of the default environment name.
    pub env_prefix: String,
    /// Suffix of the default environment name.
    pub env_suffix: String,
    /// LAVA server URL; `https://` is added when no scheme is given.
    pub lava_server: String,
}

/// One submission: URL, token header and form fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submission {
    /// The API endpoint.
    pub url: String,
    /// The server base URL (for the job links printed after submission).
    pub server_base: String,
    /// Form fields in order: `definition`, `backend`.
    pub form: Vec<(String, String)>,
}

fn with_scheme(url: &str) -> String {
    if url.starts_with("http://") || url.starts_with("https://") {
        url.to_string()
    } else {
        format!("https://{url}")
    }
}

/// The host (and port) part of a URL.
fn netloc(url: &str) -> &str {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    &rest[..end]
}

impl SquadOptions {
    /// Checks the options the Python tool checks before submitting.
    pub fn check(&self) -> Result<()> {
        if self.project.contains('/') {
            return Err(Error::InvalidArgument(
                "--qa-server-project can not contain a slash in the name".into(),
            ));
        }
        if self.server.is_empty() {
            return Err(Error::InvalidArgument(
                "QA-reports server not specified".into(),
            ));
        }
        if self.lava_server.is_empty() {
            return Err(Error::InvalidArgument("Lava server not specified".into()));
        }
        Ok(())
    }

    /// The environment name a job for `device_type` is filed under.
    pub fn environment_for(&self, device_type: &str) -> String {
        if self.environment.is_empty() {
            format!("{}{}{}", self.env_prefix, device_type, self.env_suffix)
        } else {
            self.environment.clone()
        }
    }

    /// The request that submits `definition` for `device_type`.
    pub fn submission(&self, device_type: &str, definition: &str) -> Submission {
        let base = with_scheme(&self.server);
        let url = format!(
            "{base}/api/submitjob/{}/{}/{}/{}",
            self.team,
            self.project,
            self.build,
            self.environment_for(device_type)
        );
        let lava = with_scheme(&self.lava_server);
        Submission {
            url,
            server_base: base,
            form: vec![
                ("definition".into(), definition.to_string()),
                ("backend".into(), netloc(&lava).to_string()),
            ],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts() -> SquadOptions {
        SquadOptions {
            server: "qa.example.org".into(),
            team: "team".into(),
            project: "proj".into(),
            build: "b1".into(),
            env_prefix: "pre-".into(),
            env_suffix: "-suf".into(),
            lava_server: "https://lava.example.org/RPC2/".into(),
            ..Default::default()
        }
    }

    #[test]
    fn default_environment_wraps_device_type() {
        let s = opts().submission("x15", "job");
        assert_eq!(
            s.url,
            "https://qa.example.org/api/submitjob/team/proj/b1/pre-x15-suf"
        );
        assert_eq!(
            s.form[1],
            ("backend".to_string(), "lava.example.org".to_string())
        );
    }

    #[test]
    fn explicit_environment_wins() {
        let o = SquadOptions {
            environment: "env".into(),
            ..opts()
        };
        assert!(o.submission("x15", "job").url.ends_with("/b1/env"));
    }

    #[test]
    fn slash_in_project_is_refused() {
        let o = SquadOptions {
            project: "a/b".into(),
            ..opts()
        };
        assert!(o.check().is_err());
    }
}
