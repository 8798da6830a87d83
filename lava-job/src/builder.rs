//! Writing jobs from code.
//!
//! ```
//! use lava_job::builder::JobBuilder;
//! use lava_job::model::{Boot, Deploy, Image, Test, TestDefinition, Timeout};
//! use lava_job::validate::Options;
//!
//! let job = JobBuilder::new("smoke on qemu", "qemu", Timeout::minutes(30))
//!     .priority_number(50)
//!     .tag("kvm")
//!     .context("arch", "arm64")
//!     .action(Deploy::to("tmpfs").image("rootfs", Image::url("https://example.com/rootfs.ext4.xz").compression("xz")))
//!     .action(Boot::method("qemu").media("tmpfs").prompts(["root@debian:~#"]).timeout(Timeout::minutes(5)))
//!     .action(Test::definitions([TestDefinition::git(
//!         "https://github.com/Linaro/test-definitions.git",
//!         "automated/linux/smoke/smoke.yaml",
//!         "smoke-tests",
//!     )]))
//!     .build();
//! let report = job.validate(&Options { strict: true, ..Options::default() }).unwrap();
//! assert!(report.is_valid(), "{:?}", report.issues);
//! ```

use crate::Result;
use crate::model::{
    Action, AutoLogin, Boot, Command, Deploy, Image, Job, Multinode, OneOrMany, Priority,
    Protocols, Role, Test, TestDefinition, Timeout, Visibility,
};
use crate::validate::{Options, Report, validate_str};
use crate::value::{Mapping, Value};

/// Builds a [`Job`] step by step.
#[derive(Debug, Clone)]
pub struct JobBuilder {
    job: Job,
}

impl JobBuilder {
    /// A job for one device type, with its overall timeout.
    pub fn new(
        job_name: impl Into<String>,
        device_type: impl Into<String>,
        job_timeout: Timeout,
    ) -> Self {
        let mut job = Job {
            job_name: job_name.into(),
            device_type: Some(device_type.into()),
            ..Job::default()
        };
        job.timeouts.job = job_timeout;
        JobBuilder { job }
    }

    /// A multinode job; add its roles with [`JobBuilder::role`].
    pub fn multinode(job_name: impl Into<String>, job_timeout: Timeout) -> Self {
        let mut job = Job {
            job_name: job_name.into(),
            ..Job::default()
        };
        job.timeouts.job = job_timeout;
        JobBuilder { job }
    }

    /// Runs on this device only.
    pub fn device(mut self, device: impl Into<String>) -> Self {
        self.job.device = Some(device.into());
        self
    }

    /// Default timeout of each action.
    pub fn action_timeout(mut self, t: Timeout) -> Self {
        self.job.timeouts.action = Some(t);
        self
    }

    /// Timeout of one named action.
    pub fn named_action_timeout(mut self, name: impl Into<String>, t: Timeout) -> Self {
        self.job
            .timeouts
            .actions
            .get_or_insert_with(Default::default)
            .insert(name.into(), t);
        self
    }

    /// Default timeout of each connection.
    pub fn connection_timeout(mut self, t: Timeout) -> Self {
        self.job.timeouts.connection = Some(t);
        self
    }

    /// How long the job may wait for a device.
    pub fn queue_timeout(mut self, t: Timeout) -> Self {
        self.job.timeouts.queue = Some(t);
        self
    }

    /// Priority from 0 to 100.
    pub fn priority_number(mut self, priority: i64) -> Self {
        self.job.priority = Some(Priority::Number(priority));
        self
    }

    /// Priority `high`, `medium` or `low`.
    pub fn priority_name(mut self, priority: impl Into<String>) -> Self {
        self.job.priority = Some(Priority::Name(priority.into()));
        self
    }

    /// Who may see the job (public when not set).
    pub fn visibility(mut self, visibility: Visibility) -> Self {
        self.job.visibility = visibility;
        self
    }

    /// A device tag the device must have.
    pub fn tag(mut self, tag: impl Into<String>) -> Self {
        self.job.tags.get_or_insert_with(Vec::new).push(tag.into());
        self
    }

    /// A device dictionary override (see [`crate::validate::CONTEXT_VARIABLES`]).
    pub fn context(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.job
            .context
            .get_or_insert_with(Mapping::new)
            .insert(name.into(), value.into());
        self
    }

    /// A metadata entry.
    pub fn metadata(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.job
            .metadata
            .get_or_insert_with(Mapping::new)
            .insert(name.into(), value.into());
        self
    }

    /// A secret.
    pub fn secret(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.job
            .secrets
            .get_or_insert_with(Mapping::new)
            .insert(name.into(), value.into());
        self
    }

    /// A multinode role.
    pub fn role(mut self, name: impl Into<String>, role: Role) -> Self {
        let protocols = self.job.protocols.get_or_insert_with(Protocols::default);
        protocols
            .lava_multinode
            .get_or_insert_with(Multinode::default)
            .roles
            .insert(name.into(), role);
        self
    }

    /// The next action.
    pub fn action(mut self, action: impl Into<Action>) -> Self {
        self.job.actions.push(action.into());
        self
    }

    /// The job.
    pub fn build(self) -> Job {
        self.job
    }
}

impl Job {
    /// Validates the job as LAVA would; positions refer to [`Job::to_yaml`]'s text.
    pub fn validate(&self, options: &Options) -> Result<Report> {
        Ok(validate_str(&self.to_yaml()?, options))
    }
}

impl Role {
    /// A role of `count` devices of a type.
    pub fn devices(device_type: impl Into<String>, count: i64) -> Self {
        Role {
            device_type: Some(device_type.into()),
            count: Some(count),
            ..Role::default()
        }
    }
}

impl Image {
    /// Sets the compression (`gz`, `xz`, `zstd`, `bz2`, `zip`).
    pub fn compression(mut self, compression: impl Into<String>) -> Self {
        self.compression = Some(compression.into());
        self
    }

    /// Sets the expected SHA-256.
    pub fn sha256sum(mut self, sum: impl Into<String>) -> Self {
        self.sha256sum = Some(sum.into());
        self
    }
}

macro_rules! common_setters {
    ($t:ty) => {
        impl $t {
            /// Puts the action in a namespace.
            pub fn namespace(mut self, namespace: impl Into<String>) -> Self {
                self.common.namespace = Some(namespace.into());
                self
            }

            /// Sets the action's timeout.
            pub fn timeout(mut self, t: Timeout) -> Self {
                self.common.timeout = Some(t);
                self
            }

            /// Runs the action on these multinode roles.
            pub fn roles<I: IntoIterator<Item = S>, S: Into<String>>(mut self, roles: I) -> Self {
                self.common.role = Some(roles.into_iter().map(Into::into).collect());
                self
            }
        }
    };
}

common_setters!(Deploy);
common_setters!(Boot);
common_setters!(Test);
common_setters!(Command);

impl Deploy {
    /// A deploy with this method (`tftp`, `tmpfs`, `fastboot`…).
    pub fn to(to: impl Into<String>) -> Self {
        Deploy {
            to: to.into(),
            ..Deploy::default()
        }
    }

    /// Adds a named image.
    pub fn image(mut self, name: impl Into<String>, image: Image) -> Self {
        self.images
            .get_or_insert_with(Default::default)
            .insert(name.into(), image);
        self
    }

    /// Sets the kernel.
    pub fn kernel(mut self, image: Image) -> Self {
        self.kernel = Some(image);
        self
    }

    /// Sets the device tree.
    pub fn dtb(mut self, image: Image) -> Self {
        self.dtb = Some(image);
        self
    }

    /// Sets the ramdisk.
    pub fn ramdisk(mut self, image: Image) -> Self {
        self.ramdisk = Some(image);
        self
    }

    /// Sets the NFS root filesystem.
    pub fn nfsrootfs(mut self, image: Image) -> Self {
        self.nfsrootfs = Some(image);
        self
    }

    /// Sets the kernel modules.
    pub fn modules(mut self, image: Image) -> Self {
        self.modules = Some(image);
        self
    }

    /// Sets the operating system of the images.
    pub fn os(mut self, os: impl Into<String>) -> Self {
        self.os = Some(os.into());
        self
    }
}

impl Boot {
    /// A boot with this method (`u-boot`, `qemu`, `fastboot`…).
    pub fn method(method: impl Into<String>) -> Self {
        Boot {
            method: method.into(),
            ..Boot::default()
        }
    }

    /// Bootloader commands, or the name of a command set (`ramdisk`, `nfs`).
    pub fn commands(mut self, commands: impl Into<String>) -> Self {
        self.commands = Some(OneOrMany::One(commands.into()));
        self
    }

    /// Shell prompts to wait for.
    pub fn prompts<I: IntoIterator<Item = S>, S: Into<String>>(mut self, prompts: I) -> Self {
        self.prompts = Some(OneOrMany::Many(
            prompts.into_iter().map(Into::into).collect(),
        ));
        self
    }

    /// Logs in as this user at this prompt.
    pub fn auto_login(
        mut self,
        login_prompt: impl Into<String>,
        username: impl Into<String>,
    ) -> Self {
        self.auto_login = Some(AutoLogin {
            login_prompt: login_prompt.into(),
            username: username.into(),
            ..AutoLogin::default()
        });
        self
    }

    /// Sets the media (qemu: `tmpfs`).
    pub fn media(mut self, media: impl Into<String>) -> Self {
        self.media = Some(media.into());
        self
    }
}

impl Test {
    /// A test action running these definitions.
    pub fn definitions<I: IntoIterator<Item = TestDefinition>>(definitions: I) -> Self {
        Test {
            definitions: Some(definitions.into_iter().collect()),
            ..Test::default()
        }
    }
}

impl TestDefinition {
    /// A definition from a git repository.
    pub fn git(
        repository: impl Into<String>,
        path: impl Into<String>,
        name: impl Into<String>,
    ) -> Self {
        TestDefinition {
            repository: Value::String(repository.into()),
            from: "git".to_string(),
            path: path.into(),
            name: name.into(),
            ..TestDefinition::default()
        }
    }

    /// A definition from an archive URL.
    pub fn url(
        repository: impl Into<String>,
        path: impl Into<String>,
        name: impl Into<String>,
    ) -> Self {
        TestDefinition {
            from: "url".to_string(),
            ..TestDefinition::git(repository, path, name)
        }
    }

    /// Sets a parameter.
    pub fn parameter(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.parameters
            .get_or_insert_with(Mapping::new)
            .insert(name.into(), value.into());
        self
    }
}

impl Command {
    /// A device command by name (from the device dictionary).
    pub fn named(name: impl Into<String>) -> Self {
        Command {
            name: name.into(),
            ..Command::default()
        }
    }
}
