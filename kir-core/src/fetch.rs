//! Getting an input from where the user said it is: a local path, a
//! `file://` URL or an `http(s)://` URL (KIR's `curl_me`, without its
//! reuse of stale files in the working directory and with errors reported).

use std::io::Read;
use std::path::PathBuf;

use crate::{Error, Result};

/// Largest input accepted over HTTP (a kernel is tens of MiB, a modules tarball hundreds).
pub const MAX_DOWNLOAD: u64 = 4 << 30;

/// Where an input comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A file on this machine (from a plain path or a `file://` URL).
    Path(PathBuf),
    /// An `http://` or `https://` URL.
    Http(String),
}

impl Source {
    /// Classifies `text`: `http(s)://` URL, `file://` URL (host empty or
    /// `localhost`, percent-escapes decoded), or a local path.
    pub fn parse(text: &str) -> Result<Source> {
        let lower = text.to_ascii_lowercase();
        if lower.starts_with("http://") || lower.starts_with("https://") {
            return Ok(Source::Http(text.to_string()));
        }
        if lower.starts_with("file://") {
            let rest = &text["file://".len()..];
            let path = if let Some(p) = rest.strip_prefix("localhost/") {
                format!("/{p}")
            } else if rest.starts_with('/') {
                rest.to_string()
            } else {
                return Err(Error::Fetch {
                    url: text.into(),
                    reason: "file:// URLs must name a local absolute path".into(),
                });
            };
            return Ok(Source::Path(PathBuf::from(percent_decode(text, &path)?)));
        }
        if let Some((scheme, _)) = text.split_once("://") {
            return Err(Error::Fetch {
                url: text.into(),
                reason: format!(
                    "unsupported scheme {scheme:?} (use a path, file://, http:// or https://)"
                ),
            });
        }
        Ok(Source::Path(PathBuf::from(text)))
    }

    /// The last path segment, for messages and default output names.
    pub fn file_name(&self) -> String {
        let text = match self {
            Source::Path(p) => p.to_string_lossy().into_owned(),
            Source::Http(url) => url.split(['?', '#']).next().unwrap_or(url).to_string(),
        };
        text.rsplit('/').next().unwrap_or(&text).to_string()
    }
}

/// How long a download may wait. A server that accepts the connection and
/// then goes quiet fails the fetch instead of hanging the lab's job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FetchOptions {
    /// Longest wait for the connection (name lookup included).
    pub connect_timeout: std::time::Duration,
    /// Longest silence while reading headers or body; each byte that
    /// arrives starts it again, so large downloads are not cut short.
    pub read_timeout: std::time::Duration,
}

impl Default for FetchOptions {
    fn default() -> Self {
        FetchOptions {
            connect_timeout: std::time::Duration::from_secs(30),
            read_timeout: std::time::Duration::from_secs(60),
        }
    }
}

/// Reads the whole input named by `text` (see [`Source::parse`]), with the
/// default [`FetchOptions`].
pub fn fetch(text: &str) -> Result<Vec<u8>> {
    fetch_with(text, &FetchOptions::default())
}

/// Reads the whole input named by `text` (see [`Source::parse`]).
pub fn fetch_with(text: &str, options: &FetchOptions) -> Result<Vec<u8>> {
    match Source::parse(text)? {
        Source::Path(path) => std::fs::read(&path).map_err(|e| Error::io(path, e)),
        Source::Http(url) => http_get(&url, options),
    }
}

#[cfg(feature = "http")]
fn http_get(url: &str, options: &FetchOptions) -> Result<Vec<u8>> {
    let fail = |reason: String| Error::Fetch {
        url: url.into(),
        reason,
    };
    log::debug!("fetching {url}");
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_resolve(Some(options.connect_timeout))
        .timeout_connect(Some(options.connect_timeout))
        .timeout_per_read(Some(options.read_timeout))
        .build()
        .into();
    let response = agent.get(url).call().map_err(|e| fail(e.to_string()))?;
    let mut body = Vec::new();
    response
        .into_body()
        .into_reader()
        .take(MAX_DOWNLOAD + 1)
        .read_to_end(&mut body)
        .map_err(|e| fail(format!("reading the body: {e}")))?;
    if body.len() as u64 > MAX_DOWNLOAD {
        return Err(fail(format!("larger than {MAX_DOWNLOAD} bytes")));
    }
    Ok(body)
}

#[cfg(not(feature = "http"))]
fn http_get(url: &str, _options: &FetchOptions) -> Result<Vec<u8>> {
    Err(Error::Fetch {
        url: url.into(),
        reason: "kir-core was built without the `http` feature".into(),
    })
}

fn percent_decode(url: &str, text: &str) -> Result<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| Error::Fetch {
                    url: url.into(),
                    reason: format!("bad escape at {i}"),
                })?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| Error::Fetch {
        url: url.into(),
        reason: "escapes decode to non-UTF-8".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_are_classified() {
        assert_eq!(
            Source::parse("Image").unwrap(),
            Source::Path("Image".into())
        );
        assert_eq!(
            Source::parse("file:///tmp/a%20b").unwrap(),
            Source::Path("/tmp/a b".into())
        );
        assert_eq!(
            Source::parse("file://localhost/x").unwrap(),
            Source::Path("/x".into())
        );
        assert!(matches!(
            Source::parse("HTTPS://h/x").unwrap(),
            Source::Http(_)
        ));
        assert!(Source::parse("ftp://h/x").is_err());
        assert!(Source::parse("file://host/x").is_err());
        assert_eq!(
            Source::parse("http://h/a/Image.gz?x=1")
                .unwrap()
                .file_name(),
            "Image.gz"
        );
    }

    #[test]
    fn missing_local_file_names_the_path() {
        let err = fetch("/nonexistent/kir/Image").unwrap_err();
        assert!(err.to_string().contains("/nonexistent/kir/Image"), "{err}");
    }
}
