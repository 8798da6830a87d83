//! A LAVA job as typed data.
//!
//! Every struct keeps the keys it does not model in `extra`, so reading a job
//! and writing it back loses nothing; the validator's strict mode is where
//! unknown keys are reported. A modelled key written with an explicit null
//! (`device: null`, `device: ~`, `device:`) reads as `None` and is also kept
//! in `extra` as `device: null`, so it is written back; setting the field
//! later writes the field's value instead. Fields carry LAVA's key names
//! (`-` spelled `_` in Rust where LAVA uses a dash).
//!
//! Below the job's top level, a modelled key whose value has another shape
//! than its field's (a tmpfs deploy's `dtb` given as a URL string, which
//! LAVA's non-strict mode lets pass because tmpfs does not know the key)
//! reads as an absent field and is kept in `extra` as written, so it is
//! written back unchanged; to write the field instead, remove the key from
//! `extra`.
//!
//! ```
//! use lava_job::model::{Action, Job};
//!
//! let job = Job::from_yaml(
//!     "job_name: boot\ndevice_type: qemu\nvisibility: public\n\
//!      timeouts: {job: {minutes: 10}}\n\
//!      actions:\n- boot: {method: qemu, media: tmpfs, custom: kept}\n",
//! )
//! .unwrap();
//! let Action::Boot(boot) = &job.actions[0] else { panic!() };
//! assert_eq!(boot.method.as_str(), "qemu");
//! assert_eq!(boot.extra.get("custom").and_then(|v| v.as_str()), Some("kept"));
//! assert!(job.to_yaml().unwrap().contains("custom: kept"));
//! ```

use indexmap::IndexMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_with::skip_serializing_none;

use crate::value::{
    Mapping, Value, from_value_keeping_misfits, from_value_keeping_nulls, to_value,
};
use crate::{Result, yaml};

/// A whole job definition.
// Limitation: a key the model needs (`job_name`, `timeouts.job`,
// `visibility`, `actions`, an action's `to`/`method`/`name`, a definition's
// `from`/`path`/`name` …) that the job lacks is written back with its default
// (`job_name: ''`, `visibility: public`, `to: ''` …), and a top-level key
// of another shape than the model's (`job_name: [a, list]`, `actions: {}`,
// an action that is not a one-key mapping) keeps the whole job out of the
// model. Jobs LAVA accepts have neither: it refuses both. Deeper down, where
// LAVA lets other shapes pass, the model keeps such a key as written.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Job {
    /// Name shown in LAVA (1 to 200 characters).
    pub job_name: String,
    /// Device type to schedule on (absent in multinode jobs).
    pub device_type: Option<String>,
    /// A specific device.
    pub device: Option<String>,
    /// A specific worker.
    pub worker: Option<String>,
    /// Job, action and connection timeouts.
    pub timeouts: Timeouts,
    /// `high`, `medium`, `low` or 0 to 100.
    pub priority: Option<Priority>,
    /// Who may see the job.
    pub visibility: Visibility,
    /// Device tags the device must have.
    pub tags: Option<Vec<String>>,
    /// Device dictionary overrides (names restricted by LAVA).
    pub context: Option<Mapping>,
    /// Free metadata.
    pub metadata: Option<Mapping>,
    /// Secrets passed to the job.
    pub secrets: Option<Mapping>,
    /// Environment for the job.
    pub environment: Option<Mapping>,
    /// Multinode and xnbd protocols.
    pub protocols: Option<Protocols>,
    /// Notifications when the job ends.
    pub notify: Option<Notify>,
    /// Reboot the device to fastboot at the end.
    pub reboot_to_fastboot: Option<bool>,
    /// The actions, in order.
    pub actions: Vec<Action>,
    /// Keys this model does not know.
    #[serde(flatten)]
    pub extra: Mapping,
}

impl Job {
    /// Reads a job from YAML text (YAML 1.1 typing, as LAVA reads it).
    pub fn from_yaml(text: &str) -> Result<Job> {
        Job::from_value(yaml::from_str(text)?)
    }

    /// Builds a job from a YAML value.
    pub fn from_value(value: Value) -> Result<Job> {
        from_value_keeping_nulls(value)
    }

    /// The job as a YAML value.
    pub fn to_value(&self) -> Result<Value> {
        to_value(self)
    }

    /// The job as YAML text that LAVA reads back as the same data.
    pub fn to_yaml(&self) -> Result<String> {
        Ok(yaml::to_yaml_string(&self.to_value()?))
    }
}

/// Every struct below the job's top level: LAVA's non-strict mode lets many
/// values pass under a key it does not check there (a key the action's method
/// does not know, a multinode role's `request`, `notify.criteria.type` …), so
/// a modelled key of another shape than its field's is kept in `extra` as
/// written (see [`crate::value`]'s reader) instead of refusing the job. Their
/// derived serde code is `remote = "Self"`, called from here.
macro_rules! keeps_misfits_in_extra {
    ($($model:ident),* $(,)?) => {$(
        impl Serialize for $model {
            fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
                $model::serialize(self, s)
            }
        }

        impl<'de> Deserialize<'de> for $model {
            fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
                let value = Value::deserialize(d)?;
                from_value_keeping_misfits(value, $model::deserialize, |m| &mut m.extra)
                    .map_err(serde::de::Error::custom)
            }
        }
    )*};
}

keeps_misfits_in_extra!(
    Timeout,
    Timeouts,
    Protocols,
    Multinode,
    Role,
    Xnbd,
    Notify,
    NotifyCriteria,
    Recipient,
    RecipientTo,
    Callback,
    Deploy,
    Boot,
    Test,
    Command,
    Image,
    Docker,
    AutoLogin,
    TransferOverlay,
    TestDefinition,
);

/// Whether a value field holds nothing: it is then not written (an explicit
/// null is, from `extra`).
fn is_null(value: &Value) -> bool {
    *value == Value::Null
}

/// A timeout: one of the units (LAVA adds them up) and whether the action
/// may be skipped when it expires.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, remote = "Self")]
pub struct Timeout {
    /// Days.
    pub days: Option<u64>,
    /// Hours.
    pub hours: Option<u64>,
    /// Minutes.
    pub minutes: Option<u64>,
    /// Seconds.
    pub seconds: Option<u64>,
    /// Let the job go on when this timeout expires.
    pub skip: Option<bool>,
    /// Keys this model does not know.
    #[serde(flatten)]
    pub extra: Mapping,
}

impl Timeout {
    /// A timeout of so many minutes.
    pub fn minutes(minutes: u64) -> Self {
        Timeout {
            minutes: Some(minutes),
            ..Timeout::default()
        }
    }

    /// A timeout of so many seconds.
    pub fn seconds(seconds: u64) -> Self {
        Timeout {
            seconds: Some(seconds),
            ..Timeout::default()
        }
    }

    /// A timeout of so many hours.
    pub fn hours(hours: u64) -> Self {
        Timeout {
            hours: Some(hours),
            ..Timeout::default()
        }
    }
}

/// The job's `timeouts` block.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, remote = "Self")]
pub struct Timeouts {
    /// The whole job.
    pub job: Timeout,
    /// Default for each action.
    pub action: Option<Timeout>,
    /// Per action name.
    pub actions: Option<IndexMap<String, Timeout>>,
    /// Default for each connection.
    pub connection: Option<Timeout>,
    /// Per connection name.
    pub connections: Option<IndexMap<String, Timeout>>,
    /// How long the job may wait in the queue.
    pub queue: Option<Timeout>,
    /// Keys this model does not know.
    #[serde(flatten)]
    pub extra: Mapping,
}

/// `priority`: a name or a number from 0 to 100.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Priority {
    /// 0 to 100.
    Number(i64),
    /// `high`, `medium` or `low`.
    Name(String),
    /// Anything else (`true`, which LAVA takes as the number 1), kept as
    /// written.
    Other(Value),
}

/// `visibility`.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Visibility {
    /// Everyone.
    #[default]
    Public,
    /// The submitter.
    Personal,
    /// Members of these groups.
    Group(Vec<String>),
    /// Anything else, kept as written.
    Other(Value),
}

impl Serialize for Visibility {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self {
            Visibility::Public => s.serialize_str("public"),
            Visibility::Personal => s.serialize_str("personal"),
            Visibility::Group(groups) => {
                let mut m = IndexMap::new();
                m.insert("group", groups);
                m.serialize(s)
            }
            Visibility::Other(v) => v.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for Visibility {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let value = Value::deserialize(d)?;
        Ok(match value.as_str() {
            Some("public") => Visibility::Public,
            Some("personal") => Visibility::Personal,
            _ => match value.get("group").and_then(Value::as_sequence) {
                Some(groups)
                    if value.as_mapping().is_some_and(|m| m.len() == 1)
                        && groups.iter().all(|g| g.as_str().is_some()) =>
                {
                    Visibility::Group(
                        groups
                            .iter()
                            .filter_map(|g| g.as_str().map(str::to_string))
                            .collect(),
                    )
                }
                _ => Visibility::Other(value),
            },
        })
    }
}

/// `protocols`.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, remote = "Self")]
pub struct Protocols {
    /// Several devices in one job.
    #[serde(rename = "lava-multinode")]
    pub lava_multinode: Option<Multinode>,
    /// Network block device export.
    #[serde(rename = "lava-xnbd")]
    pub lava_xnbd: Option<Xnbd>,
    /// Keys this model does not know.
    #[serde(flatten)]
    pub extra: Mapping,
}

/// `protocols.lava-multinode`.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, remote = "Self")]
pub struct Multinode {
    /// Roles by name.
    pub roles: IndexMap<String, Role>,
    /// How long roles wait for each other.
    pub timeout: Option<Timeout>,
    /// Keys this model does not know.
    #[serde(flatten)]
    pub extra: Mapping,
}

/// One multinode role: devices of a type, or a connection to another role.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, remote = "Self")]
pub struct Role {
    /// Device type of a device role.
    pub device_type: Option<String>,
    /// How many devices (or connections).
    pub count: Option<i64>,
    /// A specific device.
    pub device: Option<String>,
    /// A specific worker.
    pub worker: Option<String>,
    /// Device dictionary overrides.
    pub context: Option<Mapping>,
    /// Device tags.
    pub tags: Option<Vec<String>>,
    /// Environment.
    pub environment: Option<Mapping>,
    /// The job fails when this role fails.
    pub essential: Option<bool>,
    /// Role timeout.
    pub timeout: Option<Timeout>,
    /// Connection of a connection role (e.g. `ssh`).
    pub connection: Option<String>,
    /// Role the connection expects.
    pub expect_role: Option<String>,
    /// Role hosting the connection.
    pub host_role: Option<String>,
    /// Request of a connection role.
    pub request: Option<String>,
    /// Keys this model does not know.
    #[serde(flatten)]
    pub extra: Mapping,
}

/// `protocols.lava-xnbd`.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, remote = "Self")]
pub struct Xnbd {
    /// `auto` or a port number.
    #[serde(skip_serializing_if = "is_null")]
    pub port: Value,
    /// Protocol timeout.
    pub timeout: Option<Timeout>,
    /// Keys this model does not know.
    #[serde(flatten)]
    pub extra: Mapping,
}

/// `notify`.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, remote = "Self")]
pub struct Notify {
    /// When to notify.
    pub criteria: NotifyCriteria,
    /// `verbose`, `quiet` or `status-only`.
    pub verbosity: Option<String>,
    /// Who to notify.
    pub recipients: Option<Vec<Recipient>>,
    /// One callback.
    pub callback: Option<Callback>,
    /// Several callbacks.
    pub callbacks: Option<Vec<Callback>>,
    /// Comparison with earlier jobs.
    pub compare: Option<Mapping>,
    /// Keys this model does not know.
    #[serde(flatten)]
    pub extra: Mapping,
}

/// `notify.criteria`.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, remote = "Self")]
pub struct NotifyCriteria {
    /// Job status that triggers the notification.
    pub status: String,
    /// `regression` or `progression`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Query the job depends on.
    pub dependency_query: Option<String>,
    /// Keys this model does not know.
    #[serde(flatten)]
    pub extra: Mapping,
}

/// One `notify.recipients` entry.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, remote = "Self")]
pub struct Recipient {
    /// Where to send.
    pub to: RecipientTo,
    /// Keys this model does not know.
    #[serde(flatten)]
    pub extra: Mapping,
}

/// `notify.recipients[].to`.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, remote = "Self")]
pub struct RecipientTo {
    /// `email` or `irc`.
    pub method: String,
    /// A LAVA user.
    pub user: Option<String>,
    /// An address.
    pub email: Option<String>,
    /// An IRC handle.
    pub handle: Option<String>,
    /// An IRC server.
    pub server: Option<String>,
    /// Keys this model does not know.
    #[serde(flatten)]
    pub extra: Mapping,
}

/// A notification callback.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, remote = "Self")]
pub struct Callback {
    /// Where to call.
    pub url: String,
    /// `GET` or `POST`.
    pub method: Option<String>,
    /// Token sent along.
    pub token: Option<String>,
    /// Header carrying the token.
    pub header: Option<String>,
    /// `minimal`, `logs`, `results` or `all`.
    pub dataset: Option<String>,
    /// `json` or `urlencoded`.
    #[serde(rename = "content-type")]
    pub content_type: Option<String>,
    /// Keys this model does not know.
    #[serde(flatten)]
    pub extra: Mapping,
}

/// One action of the job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Put images where the device can use them.
    Deploy(Box<Deploy>),
    /// Start the device.
    Boot(Box<Boot>),
    /// Run tests.
    Test(Box<Test>),
    /// Run a device command (power, relays).
    Command(Box<Command>),
}

/// Keys every action may have.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ActionCommon {
    /// Namespace tying deploy, boot and test together.
    pub namespace: Option<String>,
    /// Namespace whose connection the action uses.
    #[serde(rename = "connection-namespace")]
    pub connection_namespace: Option<String>,
    /// Multinode roles the action runs on.
    pub role: Option<Vec<String>>,
    /// The action's timeout.
    pub timeout: Option<Timeout>,
    /// Timeouts of sub-actions by name.
    pub timeouts: Option<IndexMap<String, Timeout>>,
    /// Run the action so many times.
    pub repeat: Option<u64>,
    /// Retry so many times on failure.
    pub failure_retry: Option<u64>,
    /// Seconds between retries.
    pub failure_retry_interval: Option<u64>,
    /// Protocol requests.
    pub protocols: Option<Value>,
}

/// A downloadable file: a URL with checks, or a filesystem image with LAVA
/// overlays, plus the options each deploy method adds.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, remote = "Self")]
pub struct Image {
    /// Where to download it (`http(s)://`, `file://`, `scp://`, `downloads://`…).
    pub url: Option<String>,
    /// HTTP headers for the download.
    pub headers: Option<Mapping>,
    /// `bz2`, `gz`, `xz`, `zip`, `zstd`.
    pub compression: Option<String>,
    /// `tar`.
    pub archive: Option<String>,
    /// Expected MD5.
    pub md5sum: Option<String>,
    /// Expected SHA-256.
    pub sha256sum: Option<String>,
    /// Expected SHA-512.
    pub sha512sum: Option<String>,
    /// Whether a worker cache may serve it.
    pub use_cache: Option<bool>,
    /// Filesystem format (`cpio.newc`, `ext4`, `tar`) when overlays are added.
    pub format: Option<String>,
    /// Partition of the image to modify.
    pub partition: Option<i64>,
    /// Sparse image.
    pub sparse: Option<bool>,
    /// How overlays are written (`auto`, `e2fsprogs`, `guestfs`).
    pub overlay_backend: Option<String>,
    /// Overlays to add (`lava: true` and named archives).
    pub overlays: Option<Mapping>,
    /// Root partition number.
    pub root_partition: Option<i64>,
    /// Fastboot/uuu: apply the LAVA overlay to this image.
    #[serde(rename = "apply-overlay")]
    pub apply_overlay: Option<bool>,
    /// Fastboot: how to reboot after flashing.
    pub reboot: Option<String>,
    /// qemu: argument template for the image.
    pub image_arg: Option<String>,
    /// Kernel type (`image`, `uimage`, `zimage`).
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Ramdisk/NFS: install kernel modules.
    pub install_modules: Option<bool>,
    /// Ramdisk/NFS: install the LAVA overlay.
    pub install_overlay: Option<bool>,
    /// Ramdisk header (`u-boot`).
    pub header: Option<String>,
    /// NFS: path prefix inside the archive.
    pub prefix: Option<String>,
    /// mps: name on the device.
    pub rename: Option<String>,
    /// flasher: download it.
    pub download: Option<bool>,
    /// avh: storage file.
    pub storage_file: Option<String>,
    /// Keys this model does not know.
    #[serde(flatten)]
    pub extra: Mapping,
}

impl Image {
    /// An image at this URL.
    pub fn url(url: impl Into<String>) -> Self {
        Image {
            url: Some(url.into()),
            ..Image::default()
        }
    }
}

/// A docker container to run a step in.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, remote = "Self")]
pub struct Docker {
    /// Image (most places).
    pub image: Option<String>,
    /// Image (fvp boot, docker deploy).
    pub name: Option<String>,
    /// Use a local image, do not pull.
    pub local: Option<bool>,
    /// Container name.
    pub container_name: Option<String>,
    /// Share the network of this container.
    pub network_from: Option<String>,
    /// Registry login.
    pub login: Option<Mapping>,
    /// qemu: binary inside the container.
    pub binary: Option<String>,
    /// downloads postprocess: commands.
    pub steps: Option<Vec<String>>,
    /// downloads postprocess: devices passed in.
    pub devices: Option<Vec<String>>,
    /// Keys this model does not know.
    #[serde(flatten)]
    pub extra: Mapping,
}

/// The image of a `to: docker` deploy, or of usb/u-boot-ums/usbg-ms deploys.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum DeployImage {
    /// A docker image name.
    Name(String),
    /// A downloadable image.
    Url(Box<Image>),
    /// A docker image with options.
    Docker(Box<Docker>),
}

/// A `deploy` action.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, remote = "Self")]
pub struct Deploy {
    /// Deploy method (`tftp`, `fastboot`, `tmpfs`, …; see [`crate::validate::DEPLOY_TO`]).
    pub to: String,
    /// Keys every action may have.
    #[serde(flatten)]
    pub common: ActionCommon,
    /// Operating system of the deployed image (`debian`, `oe`, `android`…).
    pub os: Option<String>,
    /// `ssh` to install LAVA's key.
    pub authorize: Option<String>,
    /// Overlay backend.
    pub overlay_backend: Option<String>,
    /// Images by name.
    pub images: Option<IndexMap<String, Image>>,
    /// One image (usb/sd/sata, u-boot-ums, usbg-ms) or a docker image.
    pub image: Option<DeployImage>,
    /// Kernel.
    pub kernel: Option<Image>,
    /// Device tree.
    pub dtb: Option<Image>,
    /// Device tree overlays.
    pub dtbo: Option<Vec<Image>>,
    /// Kernel modules.
    pub modules: Option<Image>,
    /// Ramdisk (fvp: only install options).
    pub ramdisk: Option<Image>,
    /// Initrd (nbd).
    pub initrd: Option<Image>,
    /// NFS root filesystem.
    pub nfsrootfs: Option<Image>,
    /// NBD root filesystem.
    pub nbdroot: Option<Image>,
    /// An NFS export already in place.
    pub persistent_nfs: Option<Mapping>,
    /// Installer preseed.
    pub preseed: Option<Image>,
    /// TEE image.
    pub tee: Option<Image>,
    /// Firmware (ssh).
    pub firmware: Option<Image>,
    /// Root filesystem (ssh).
    pub rootfs: Option<Image>,
    /// UEFI firmware (tmpfs).
    pub uefi: Option<Image>,
    /// Recovery image (vemsd).
    pub recovery_image: Option<Image>,
    /// Firmware package (avh).
    pub fw_package: Option<Image>,
    /// Further files (tftp).
    pub extra_files: Option<IndexMap<String, Image>>,
    /// Target device (usb/sd/sata).
    pub device: Option<String>,
    /// Download tool (usb/sd/sata).
    pub download: Option<Mapping>,
    /// Writer tool (usb/sd/sata).
    pub writer: Option<Mapping>,
    /// Tool prompts (usb/sd/sata).
    pub tool: Option<Mapping>,
    /// Unique download folder.
    pub uniquify: Option<bool>,
    /// Docker container for the deploy tools.
    pub docker: Option<Docker>,
    /// Post-processing of downloads.
    pub postprocess: Option<Mapping>,
    /// qdl: images.
    pub qcomflash: Option<Value>,
    /// qdl: root filesystem image name.
    pub rootfs_image: Option<String>,
    /// iso-installer: installation settings.
    pub iso: Option<Mapping>,
    /// avh: options.
    pub options: Option<Mapping>,
    /// tmpfs: `monitor`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Keys this model does not know.
    #[serde(flatten)]
    pub extra: Mapping,
}

/// `auto_login` of a boot action.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, remote = "Self")]
pub struct AutoLogin {
    /// Prompt asking for the user name.
    pub login_prompt: String,
    /// User name.
    pub username: String,
    /// Prompt asking for the password.
    pub password_prompt: Option<String>,
    /// Password.
    pub password: Option<String>,
    /// Commands run after logging in.
    pub login_commands: Option<Vec<String>>,
    /// Keys this model does not know.
    #[serde(flatten)]
    pub extra: Mapping,
}

/// `transfer_overlay` of a boot action.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, remote = "Self")]
pub struct TransferOverlay {
    /// Command fetching the overlay.
    pub download_command: Option<String>,
    /// Command unpacking it.
    pub unpack_command: String,
    /// `zmodem` or a custom method.
    pub transfer_method: Option<String>,
    /// Keys this model does not know.
    #[serde(flatten)]
    pub extra: Mapping,
}

/// One string or a list of strings (`prompts`, `commands`, `soft_reboot`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    /// A single string.
    One(String),
    /// Several strings.
    Many(Vec<String>),
    /// Anything else (uuu's list of mappings), kept as written.
    Other(Value),
}

/// A `boot` action.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, remote = "Self")]
pub struct Boot {
    /// Boot method (`u-boot`, `qemu`, `fastboot`, …; see [`crate::validate::BOOT_METHODS`]).
    pub method: String,
    /// Keys every action may have.
    #[serde(flatten)]
    pub common: ActionCommon,
    /// Bootloader commands, or a named command set.
    pub commands: Option<OneOrMany>,
    /// Shell prompts to wait for.
    pub prompts: Option<OneOrMany>,
    /// Logging in.
    pub auto_login: Option<AutoLogin>,
    /// Sending the overlay over the console.
    pub transfer_overlay: Option<TransferOverlay>,
    /// Boot messages (`kernel-start-message`…; ssh: `hostID`, `host_key`).
    pub parameters: Option<Mapping>,
    /// Commands for a soft reboot.
    pub soft_reboot: Option<OneOrMany>,
    /// Do not watch kernel messages.
    pub ignore_kernel_messages: Option<bool>,
    /// Connection (`serial`, `ssh`, new_connection's name).
    pub connection: Option<String>,
    /// Media (qemu `tmpfs`, qemu-iso `img`).
    pub media: Option<String>,
    /// Docker container to boot from.
    pub docker: Option<Docker>,
    /// Which bootloader (bootloader method).
    pub bootloader: Option<String>,
    /// Use a boot script.
    pub use_bootscript: Option<bool>,
    /// Reset the device first.
    pub reset: Option<bool>,
    /// Reset the connection (bootloader method).
    pub reset_connection: Option<bool>,
    /// Reset the device (bootloader method).
    pub reset_device: Option<bool>,
    /// Expect a shell (grub).
    pub expect_shell: Option<bool>,
    /// Messages marking the end of boot (grub).
    pub boot_finished: Option<OneOrMany>,
    /// Extra kernel arguments (depthcharge).
    pub extra_kernel_args: Option<String>,
    /// Command to run (docker, nodebooter, kexec).
    pub command: Option<String>,
    /// Namespace holding the downloads (docker, nodebooter).
    #[serde(rename = "downloads-namespace")]
    pub downloads_namespace: Option<String>,
    /// kexec: message marking the boot.
    pub boot_message: Option<String>,
    /// kexec: kernel.
    pub kernel: Option<String>,
    /// kexec: device tree.
    pub dtb: Option<String>,
    /// kexec: initrd.
    pub initrd: Option<String>,
    /// kexec options, or avh/fvp settings.
    pub options: Option<Vec<String>>,
    /// fvp: console string.
    pub console_string: Option<String>,
    /// fvp: image.
    pub image: Option<String>,
    /// fvp: model arguments.
    pub arguments: Option<Vec<String>>,
    /// fvp: feedback strings.
    pub feedbacks: Option<Vec<String>>,
    /// fvp: license variable.
    pub license_variable: Option<String>,
    /// qdl: firehose programmer.
    pub firehose_program: Option<String>,
    /// qdl: rawprogram file.
    pub rawprogram: Option<String>,
    /// qdl: patch file.
    pub patch: Option<String>,
    /// schroot: the chroot.
    pub schroot: Option<String>,
    /// uefi: shell menu.
    pub shell_menu: Option<String>,
    /// uefi-menu: line separator.
    pub line_separator: Option<String>,
    /// Keys this model does not know.
    #[serde(flatten)]
    pub extra: Mapping,
}

/// A test definition of a `test` action.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, remote = "Self")]
pub struct TestDefinition {
    /// Git URL, archive URL, or (inline) the definition itself.
    #[serde(skip_serializing_if = "is_null")]
    pub repository: Value,
    /// `git`, `url` or `inline`.
    pub from: String,
    /// Path of the YAML inside the repository.
    pub path: String,
    /// Result suite name.
    pub name: String,
    /// Git branch.
    pub branch: Option<String>,
    /// Keep git history.
    pub history: Option<bool>,
    /// Git revision.
    pub revision: Option<String>,
    /// Clone submodules.
    pub recursive: Option<bool>,
    /// Parameters for the definition.
    pub parameters: Option<Mapping>,
    /// Parameters (older spelling).
    pub params: Option<Mapping>,
    /// Archive compression (`from: url`).
    pub compression: Option<String>,
    /// Archive path components to strip.
    #[serde(rename = "strip-components")]
    pub strip_components: Option<i64>,
    /// HTTP headers (`from: url`).
    pub headers: Option<Mapping>,
    /// Install steps to skip.
    pub skip_install: Option<Vec<String>>,
    /// `kmsg` or `stdout`.
    #[serde(rename = "lava-signal")]
    pub lava_signal: Option<String>,
    /// Expected test cases.
    pub expected: Option<Vec<String>>,
    /// Keys this model does not know (e.g. `shallow`).
    #[serde(flatten)]
    pub extra: Mapping,
}

/// A `test` action: definitions (optionally in docker), interactive
/// scripts, monitors or services.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, remote = "Self")]
pub struct Test {
    /// Keys every action may have.
    #[serde(flatten)]
    pub common: ActionCommon,
    /// Test definitions.
    pub definitions: Option<Vec<TestDefinition>>,
    /// Interactive tests.
    pub interactive: Option<Vec<Mapping>>,
    /// Monitors watching the console.
    pub monitors: Option<Vec<Mapping>>,
    /// Services on the worker.
    pub services: Option<Vec<Mapping>>,
    /// Docker test shell.
    pub docker: Option<Docker>,
    /// Namespace holding the downloads.
    #[serde(rename = "downloads-namespace")]
    pub downloads_namespace: Option<String>,
    /// Disconnect the connection before the docker test.
    pub disconnect_connection: Option<bool>,
    /// Keys this model does not know.
    #[serde(flatten)]
    pub extra: Mapping,
}

/// A `command` action.
#[skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, remote = "Self")]
pub struct Command {
    /// Command name from the device dictionary.
    pub name: String,
    /// Keys every action may have.
    #[serde(flatten)]
    pub common: ActionCommon,
    /// Keys this model does not know.
    #[serde(flatten)]
    pub extra: Mapping,
}

impl From<Deploy> for Action {
    fn from(d: Deploy) -> Self {
        Action::Deploy(Box::new(d))
    }
}

impl From<Boot> for Action {
    fn from(b: Boot) -> Self {
        Action::Boot(Box::new(b))
    }
}

impl From<Test> for Action {
    fn from(t: Test) -> Self {
        Action::Test(Box::new(t))
    }
}

impl From<Command> for Action {
    fn from(c: Command) -> Self {
        Action::Command(Box::new(c))
    }
}
