//! What LAVA's server or dispatcher refuses although the schema lets it
//! through. Each check reports its own [`IssueKind`]; all are errors in
//! both modes, since the job would fail once submitted.

use crate::yaml::{Node, NodeValue};

use super::engine::Findings;
use super::{IssueKind, Path, action_parts};

/// URL schemes LAVA's download actions know.
const URL_SCHEMES: &[&str] = &["http", "https", "file", "scp", "rclone", "downloads"];

/// Boot methods that start images a deploy must have provided first.
const BOOTS_NEEDING_DEPLOY: &[&str] = &["qemu", "qemu-nfs", "qemu-iso", "docker", "fvp", "avh"];

/// Deploys that leave something a fastboot boot can start.
const FASTBOOT_DEPLOYS: &[&str] = &["fastboot", "downloads"];

/// One action as the dispatcher sees it.
struct Step<'a> {
    index: usize,
    kind: &'a str,
    body: &'a Node,
    namespace: &'a str,
    roles: Vec<&'a str>,
}

impl Step<'_> {
    fn path(&self) -> Path {
        Path::default()
            .key("actions")
            .index(self.index)
            .key(self.kind)
    }

    fn str_field(&self, key: &str) -> Option<&str> {
        self.body.get(key).and_then(Node::as_str)
    }

    /// Whether an earlier step shares a role (an action without roles has
    /// them all) and the namespace `ns`.
    fn shares_with(&self, other: &Step<'_>, ns: &str) -> bool {
        let everyone = |roles: &[&str]| roles.contains(&"*");
        other.namespace == ns
            && (everyone(&self.roles)
                || everyone(&other.roles)
                || other.roles.iter().any(|r| self.roles.contains(r)))
    }
}

pub(crate) fn check(root: &Node, out: &mut Findings) {
    let Some(actions) = root.get("actions").and_then(Node::items) else {
        return;
    };
    let steps: Vec<Step<'_>> = actions
        .iter()
        .enumerate()
        .filter_map(|(index, a)| {
            let (kind, body) = action_parts(a)?;
            body.entries()?;
            let roles = body
                .get("role")
                .and_then(Node::items)
                .map(|r| r.iter().filter_map(Node::as_str).collect())
                .unwrap_or_else(|| vec!["*"]);
            Some(Step {
                index,
                kind,
                body,
                namespace: body
                    .get("namespace")
                    .and_then(Node::as_str)
                    .unwrap_or("common"),
                roles,
            })
        })
        .collect();

    for (n, step) in steps.iter().enumerate() {
        let earlier = &steps[..n];
        match step.kind {
            "deploy" => {
                check_urls(step.body, &step.path(), out);
                check_fastboot_image_options(step, out);
            }
            "boot" => check_boot_order(step, earlier, out),
            "test" => {
                check_test_order(step, earlier, out);
                check_test_names(step, earlier, out);
                check_shallow_revision(step, out);
            }
            _ => {}
        }
    }
}

fn check_boot_order(step: &Step<'_>, earlier: &[Step<'_>], out: &mut Findings) {
    let Some(method) = step.str_field("method") else {
        return;
    };
    let deploys = || {
        earlier
            .iter()
            .filter(|e| e.kind == "deploy" && step.shares_with(e, step.namespace))
    };
    if BOOTS_NEEDING_DEPLOY.contains(&method) && deploys().next().is_none() {
        out.error(
            IssueKind::ActionOrder,
            &step.path(),
            step.body.mark,
            format!(
                "boot method {method} starts deployed images, but nothing is deployed before it in namespace {:?}",
                step.namespace
            ),
        );
    }
    if method == "fastboot"
        && !deploys().any(|d| {
            d.str_field("to")
                .is_some_and(|to| FASTBOOT_DEPLOYS.contains(&to))
        })
    {
        out.error(
            IssueKind::FastbootWithoutFastbootDeploy,
            &step.path(),
            step.body.mark,
            format!(
                "fastboot boot in namespace {:?} without an earlier `deploy: to: fastboot` (or downloads) there",
                step.namespace
            ),
        );
    }
}

/// Tests run on a booted system: one booted in their namespace, in the
/// namespace named by their `connection-namespace`, or reached through a
/// boot sharing that connection; a `deploy: to: ssh` gives a secondary ssh
/// connection without a boot. Docker test shells and worker services need
/// no booted device.
fn check_test_order(step: &Step<'_>, earlier: &[Step<'_>], out: &mut Findings) {
    if step.body.get("docker").is_some() || step.body.get("services").is_some() {
        return;
    }
    let target = step
        .str_field("connection-namespace")
        .unwrap_or(step.namespace);
    let connected = earlier.iter().any(|e| {
        let reaches = |ns: &str| {
            step.shares_with(e, ns)
                || (e.str_field("connection-namespace") == Some(target)
                    && step.shares_with(e, e.namespace))
        };
        match e.kind {
            "boot" => reaches(target) || reaches(step.namespace),
            "deploy" => e.str_field("to") == Some("ssh") && reaches(step.namespace),
            _ => false,
        }
    });
    if !connected {
        out.error(
            IssueKind::ActionOrder,
            &step.path(),
            step.body.mark,
            format!(
                "test action before any boot in namespace {target:?}: there is nothing to run it on"
            ),
        );
    }
}

/// The dispatcher accepts `^[\w\d_-]+$` for definition and service names.
fn dispatcher_name_ok(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
}

fn named_items<'a>(step: &Step<'a>, list: &str) -> Vec<(usize, &'a Node)> {
    step.body
        .get(list)
        .and_then(Node::items)
        .unwrap_or_default()
        .iter()
        .enumerate()
        .filter_map(|(i, d)| {
            d.get("name")
                .filter(|n| n.as_str().is_some())
                .map(|n| (i, n))
        })
        .collect()
}

fn check_test_names(step: &Step<'_>, earlier: &[Step<'_>], out: &mut Findings) {
    for list in ["definitions", "services"] {
        let mut seen: Vec<String> = earlier
            .iter()
            .filter(|e| {
                e.kind == "test" && list == "definitions" && step.shares_with(e, step.namespace)
            })
            .flat_map(|e| named_items(e, list))
            .filter_map(|(_, n)| n.as_str().map(str::to_string))
            .collect();
        for (i, name_node) in named_items(step, list) {
            let name = name_node.as_str().unwrap_or_default();
            let path = step.path().key(list).index(i).key("name");
            // The schema already refuses other characters; only the dot slips through.
            if !dispatcher_name_ok(name)
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
            {
                out.error(
                    IssueKind::TestDefinitionName,
                    &path,
                    name_node.mark,
                    format!(
                        "{name:?}: LAVA's dispatcher allows only letters, digits, '_' and '-' here"
                    ),
                );
            }
            if seen.iter().any(|s| s == name) {
                out.error(
                    IssueKind::DuplicateTestName,
                    &path,
                    name_node.mark,
                    format!(
                        "{name:?} is used twice in namespace {:?}; LAVA needs unique names",
                        step.namespace
                    ),
                );
            }
            seen.push(name.to_string());
        }
    }
}

fn check_shallow_revision(step: &Step<'_>, out: &mut Findings) {
    for (i, def) in step
        .body
        .get("definitions")
        .and_then(Node::items)
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        let shallow = def.get("shallow");
        if def.get("revision").is_some()
            && shallow.is_some_and(|s| s.value == NodeValue::Bool(true))
        {
            out.error(
                IssueKind::ShallowCloneWithRevision,
                &step.path().key("definitions").index(i).key("shallow"),
                shallow.map_or(def.mark, |s| s.mark),
                "a revision cannot be checked out of a shallow clone; LAVA refuses `shallow: true` with `revision`",
            );
        }
    }
}

/// Python's `urlparse` scheme: letters first, then letters, digits, `+-.`,
/// ending at the first colon.
fn url_scheme(url: &str) -> Option<String> {
    let colon = url.find(':')?;
    let scheme = &url[..colon];
    let first_ok = scheme
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic());
    let rest_ok = scheme
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    (first_ok && rest_ok).then(|| scheme.to_ascii_lowercase())
}

fn check_urls(node: &Node, path: &Path, out: &mut Findings) {
    match &node.value {
        NodeValue::Mapping(entries) => {
            for (k, v) in entries {
                let Some(key) = k.as_str() else {
                    continue;
                };
                let child = path.key(key);
                match (key, v.as_str()) {
                    ("url", Some(url)) => check_url(url, v, &child, out),
                    _ => check_urls(v, &child, out),
                }
            }
        }
        NodeValue::Sequence(items) => {
            for (i, item) in items.iter().enumerate() {
                check_urls(item, &path.index(i), out);
            }
        }
        _ => {}
    }
}

fn check_url(url: &str, node: &Node, path: &Path, out: &mut Findings) {
    match url_scheme(url) {
        None => out.error(
            IssueKind::UrlWithoutScheme,
            path,
            node.mark,
            format!(
                "{url:?} has no scheme; LAVA downloads only {}",
                URL_SCHEMES.join(", ")
            ),
        ),
        Some(scheme) if !URL_SCHEMES.contains(&scheme.as_str()) => out.error(
            IssueKind::UnsupportedUrlScheme,
            path,
            node.mark,
            format!(
                "LAVA cannot download {scheme}:// URLs; it knows {}",
                URL_SCHEMES.join(", ")
            ),
        ),
        Some(_) => {}
    }
}

/// `reboot` on an image is a fastboot deploy option; elsewhere LAVA ignores
/// it (non-strict) and the device is never rebooted the way the job asks.
fn check_fastboot_image_options(step: &Step<'_>, out: &mut Findings) {
    if step.str_field("to") == Some("fastboot") {
        return;
    }
    for (k, image) in step
        .body
        .get("images")
        .and_then(Node::entries)
        .unwrap_or_default()
    {
        if let Some(reboot) = image.get("reboot") {
            out.error(
                IssueKind::FastbootWithoutFastbootDeploy,
                &step
                    .path()
                    .key("images")
                    .key(k.as_str().unwrap_or("?"))
                    .key("reboot"),
                reboot.mark,
                "`reboot` is a fastboot image option; this deploy is not `to: fastboot`",
            );
        }
    }
}
