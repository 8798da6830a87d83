//! LAVA's job schema (`lava_common/schemas`, the revision the project's
//! corpus verdicts come from) written in the rule language of
//! [`super::engine`]. Rules and names follow LAVA's; the layout is ours.

use super::engine::{Key, KeyMatch, Pattern, Schema};

/// The context variables LAVA lets a job set (qemu, u-boot and general ones).
pub const CONTEXT_VARIABLES: &[&str] = &[
    "arch",
    "boot_console",
    "boot_root",
    "cpu",
    "extra_options",
    "guestfs_driveid",
    "guestfs_interface",
    "guestfs_size",
    "machine",
    "memory",
    "model",
    "monitor",
    "netdevice",
    "no_kvm",
    "no_network",
    "serial",
    "vga",
    "booti_dtb_addr",
    "booti_kernel_addr",
    "booti_ramdisk_addr",
    "bootm_dtb_addr",
    "bootm_kernel_addr",
    "bootm_ramdisk_addr",
    "bootz_dtb_addr",
    "bootz_kernel_addr",
    "bootz_ramdisk_addr",
    "deploy_character_delay",
    "boot_character_delay",
    "boot_retry",
    "bootloader_prompt",
    "console_device",
    "custom_kernel_args",
    "extra_kernel_args",
    "extra_nfsroot_args",
    "failure_retry",
    "kernel_loglevel",
    "kernel_start_message",
    "lava_test_results_dir",
    "menu_interrupt_prompt",
    "mustang_menu_list",
    "test_character_delay",
    "tftp_mac_address",
    "uboot_extra_error_message",
    "uboot_needs_interrupt",
    "uboot_altbank",
];

/// Every `deploy: to:` LAVA has a schema for.
pub const DEPLOY_TO: &[&str] = &[
    "avh",
    "docker",
    "download",
    "downloads",
    "fastboot",
    "flasher",
    "fvp",
    "iso-installer",
    "mps",
    "musca",
    "nbd",
    "nfs",
    "overlay",
    "qdl",
    "recovery",
    "sata",
    "sd",
    "ssh",
    "tftp",
    "tmpfs",
    "u-boot-ums",
    "usb",
    "usbg-ms",
    "uuu",
    "vemsd",
];

/// Every `boot: method:` LAVA has a schema for.
pub const BOOT_METHODS: &[&str] = &[
    "avh",
    "barebox",
    "bootloader",
    "cmsis-dap",
    "depthcharge",
    "dfu",
    "docker",
    "fastboot",
    "fvp",
    "gdb",
    "grub",
    "grub-efi",
    "ipxe",
    "jlink",
    "kexec",
    "minimal",
    "monitor",
    "musca",
    "new_connection",
    "nodebooter",
    "openocd",
    "pyocd",
    "qdl",
    "qemu",
    "qemu-iso",
    "qemu-nfs",
    "recovery",
    "schroot",
    "ssh",
    "u-boot",
    "uefi",
    "uefi-menu",
    "uuu",
];

// ---- small constructors -------------------------------------------------

fn key(matcher: KeyMatch, required: bool, value: Schema) -> Key {
    Key {
        matcher,
        required,
        msg: None,
        group: None,
        value,
    }
}

fn req(name: &'static str, value: Schema) -> Key {
    key(KeyMatch::Lit(name), true, value)
}

fn opt(name: &'static str, value: Schema) -> Key {
    key(KeyMatch::Lit(name), false, value)
}

fn req_msg(name: &'static str, msg: &'static str, value: Schema) -> Key {
    Key {
        msg: Some(msg),
        ..req(name, value)
    }
}

fn exclusive(name: &'static str, group: &'static str, value: Schema) -> Key {
    Key {
        group: Some(group),
        ..opt(name, value)
    }
}

fn any_str_key(required: bool, msg: Option<&'static str>, value: Schema) -> Key {
    Key {
        msg,
        ..key(KeyMatch::Str, required, value)
    }
}

fn map(keys: Vec<Key>) -> Schema {
    Schema::Map {
        keys,
        closed: false,
    }
}

/// `{**a, **b}`: keys of `b` replace the values of equal keys of `a`, which
/// keep their place and their required flag (a Python dict keeps the first
/// key object).
fn merged(mut a: Vec<Key>, b: Vec<Key>) -> Vec<Key> {
    for k in b {
        let same = a
            .iter_mut()
            .find(|existing| match (&existing.matcher, &k.matcher) {
                (KeyMatch::Lit(x), KeyMatch::Lit(y)) => x == y,
                _ => false,
            });
        match same {
            Some(existing) => existing.value = k.value,
            None => a.push(k),
        }
    }
    a
}

fn any(alternatives: Vec<Schema>) -> Schema {
    Schema::Any(alternatives, None)
}

fn lits(values: &[&'static str]) -> Schema {
    any(values.iter().map(|v| Schema::Lit(v)).collect())
}

fn list(item: Schema) -> Schema {
    Schema::List(vec![item])
}

fn str_len(min: usize, max: Option<usize>) -> Schema {
    Schema::All(vec![Schema::Str, Schema::Length { min, max }])
}

fn at_least(min: i64) -> Schema {
    Schema::Range {
        min: Some(min),
        max: None,
    }
}

fn str_or_list() -> Schema {
    any(vec![Schema::Str, list(Schema::Str)])
}

fn method(name: &'static str) -> Key {
    req(
        "method",
        Schema::Msg(
            Box::new(Schema::Lit(name)),
            format!("'method' should be '{name}'"),
        ),
    )
}

// ---- top level ----------------------------------------------------------

fn context(extra: &[String]) -> Schema {
    let mut names: Vec<String> = CONTEXT_VARIABLES.iter().map(|s| s.to_string()).collect();
    names.extend(extra.iter().cloned());
    Schema::Map {
        keys: vec![key(
            KeyMatch::In(names),
            false,
            any(vec![
                Schema::Int,
                Schema::Str,
                Schema::List(vec![Schema::Int, Schema::Str]),
            ]),
        )],
        closed: true,
    }
}

fn notify() -> Schema {
    let callback = || {
        map(vec![
            req("url", Schema::Str),
            opt("method", lits(&["GET", "POST"])),
            opt("token", Schema::Str),
            opt("header", Schema::Str),
            opt("dataset", lits(&["minimal", "logs", "results", "all"])),
            opt("content-type", lits(&["json", "urlencoded"])),
        ])
    };
    map(vec![
        req(
            "criteria",
            any(vec![
                map(vec![req("status", Schema::Lit("all"))]),
                map(vec![
                    req(
                        "status",
                        lits(&["finished", "running", "complete", "canceled", "incomplete"]),
                    ),
                    opt("dependency_query", Schema::Str),
                ]),
                map(vec![
                    req("status", lits(&["complete", "incomplete"])),
                    opt("type", lits(&["regression", "progression"])),
                ]),
            ]),
        ),
        opt("verbosity", lits(&["verbose", "quiet", "status-only"])),
        opt(
            "recipients",
            list(map(vec![req(
                "to",
                map(vec![
                    req("method", lits(&["email", "irc"])),
                    opt("user", Schema::Str),
                    opt("email", Schema::Str),
                    opt("handle", Schema::Str),
                    opt("server", Schema::Str),
                ]),
            )])),
        ),
        exclusive("callback", "callback", callback()),
        exclusive("callbacks", "callback", list(callback())),
        opt(
            "compare",
            map(vec![
                opt("blacklist", list(Schema::Str)),
                opt(
                    "query",
                    any(vec![
                        map(vec![req("username", Schema::Str), req("name", Schema::Str)]),
                        map(vec![
                            req("entity", Schema::Str),
                            opt(
                                "conditions",
                                map(vec![any_str_key(false, None, Schema::Str)]),
                            ),
                        ]),
                    ]),
                ),
            ]),
        ),
    ])
}

fn multinode(extra_context: &[String]) -> Schema {
    let device_role = map(vec![
        req("device_type", Schema::Str),
        req("count", at_least(0)),
        opt("device", Schema::Str),
        opt("worker", Schema::Str),
        opt("context", context(extra_context)),
        opt("tags", list(Schema::Str)),
        opt("environment", Schema::Dict),
        opt("essential", Schema::Bool),
        opt("timeout", Schema::Timeout),
    ]);
    let connection_role = map(vec![
        req("connection", Schema::Str),
        req("count", at_least(0)),
        req("expect_role", Schema::Str),
        req("host_role", Schema::Str),
        opt("essential", Schema::Bool),
        opt("request", Schema::Str),
        opt("tags", list(Schema::Str)),
        opt("timeout", Schema::Timeout),
        opt("context", context(extra_context)),
    ]);
    map(vec![
        req(
            "roles",
            map(vec![any_str_key(
                false,
                None,
                any(vec![device_role, connection_role]),
            )]),
        ),
        opt("timeout", Schema::Timeout),
    ])
}

/// The whole-job schema, before the cross checks and the action schemas.
pub(crate) fn job(extra_context: &[String]) -> Schema {
    let timeouts_by_name = || map(vec![any_str_key(false, None, Schema::Timeout)]);
    map(vec![
        req("job_name", str_len(1, Some(200))),
        opt("device_type", str_len(1, Some(200))),
        opt("device", str_len(1, Some(200))),
        opt("worker", str_len(1, Some(200))),
        req(
            "timeouts",
            map(vec![
                req("job", Schema::Timeout),
                opt("action", Schema::Timeout),
                opt("actions", timeouts_by_name()),
                opt("connection", Schema::Timeout),
                opt("connections", timeouts_by_name()),
                opt("queue", Schema::Timeout),
            ]),
        ),
        req(
            "visibility",
            any(vec![
                Schema::Lit("public"),
                Schema::Lit("personal"),
                map(vec![opt("group", list(Schema::Str))]),
            ]),
        ),
        opt("context", context(extra_context)),
        opt(
            "metadata",
            map(vec![any_str_key(false, None, Schema::Anything)]),
        ),
        opt(
            "priority",
            any(vec![
                Schema::Lit("high"),
                Schema::Lit("medium"),
                Schema::Lit("low"),
                Schema::Range {
                    min: Some(0),
                    max: Some(100),
                },
            ]),
        ),
        opt("tags", list(Schema::Str)),
        opt("secrets", map(vec![any_str_key(false, None, Schema::Str)])),
        opt("environment", Schema::Dict),
        opt(
            "protocols",
            map(vec![
                opt("lava-multinode", multinode(extra_context)),
                opt(
                    "lava-xnbd",
                    map(vec![
                        req("port", any(vec![Schema::Lit("auto"), Schema::Int])),
                        opt("timeout", Schema::Timeout),
                    ]),
                ),
            ]),
        ),
        opt("notify", notify()),
        opt("reboot_to_fastboot", Schema::Bool),
        req(
            "actions",
            list(map(vec![key(
                KeyMatch::OneOf(&["boot", "command", "deploy", "test"]),
                false,
                Schema::Dict,
            )])),
        ),
    ])
}

// ---- shared action parts -----------------------------------------------

fn action() -> Vec<Key> {
    vec![
        opt(
            "namespace",
            Schema::All(vec![
                Schema::Str,
                Schema::Msg(
                    Box::new(Schema::NotIn(&["common", "docker-test-shell"])),
                    "'common' and 'docker-test-shell' are reserved namespace names".into(),
                ),
            ]),
        ),
        opt("connection-namespace", Schema::Str),
        opt("protocols", Schema::Anything),
        opt("role", list(Schema::Str)),
        opt("timeout", Schema::Timeout),
        opt(
            "timeouts",
            map(vec![any_str_key(false, None, Schema::Timeout)]),
        ),
        opt("repeat", at_least(1)),
        opt("failure_retry", at_least(1)),
        opt("failure_retry_interval", at_least(1)),
    ]
}

fn docker(image_key: &'static str) -> Vec<Key> {
    vec![
        req(
            image_key,
            Schema::Msg(
                Box::new(Schema::Match(Pattern::DockerImage)),
                "Invalid docker image name".into(),
            ),
        ),
        opt("local", Schema::Bool),
        opt("container_name", Schema::Str),
        opt("network_from", Schema::Str),
        opt(
            "login",
            map(vec![
                req("registry", Schema::Str),
                req("user", Schema::Str),
                req("password", Schema::Str),
            ]),
        ),
    ]
}

fn url_base() -> Vec<Key> {
    vec![
        req("url", Schema::Str),
        opt("headers", Schema::Dict),
        opt(
            "compression",
            any(vec![
                Schema::Lit("bz2"),
                Schema::Lit("gz"),
                Schema::Lit("xz"),
                Schema::Lit("zip"),
                Schema::Lit("zstd"),
                Schema::Null,
            ]),
        ),
        opt("archive", Schema::Lit("tar")),
        opt("md5sum", Schema::Str),
        opt("sha256sum", Schema::Str),
        opt("sha512sum", Schema::Str),
        opt("use_cache", Schema::Bool),
    ]
}

/// A downloadable image: a URL and its checks, or the same with a
/// filesystem `format` and LAVA `overlays` to add to it.
fn url(extra: Vec<Key>) -> Schema {
    let plain = merged(url_base(), extra.clone());
    let overlay_entry = map(merged(
        url_base(),
        vec![
            req("format", lits(&["file", "tar"])),
            req("path", Schema::Str),
        ],
    ));
    let with_overlays = merged(
        merged(url_base(), extra),
        vec![
            req("format", lits(&["cpio.newc", "ext4", "tar"])),
            opt("partition", Schema::Int),
            opt("sparse", Schema::Bool),
            opt("overlay_backend", lits(&["auto", "e2fsprogs", "guestfs"])),
            req(
                "overlays",
                map(vec![
                    opt("lava", Schema::Bool),
                    any_str_key(false, None, overlay_entry),
                ]),
            ),
        ],
    );
    any(vec![map(plain), map(with_overlays)])
}

fn images(extra: Vec<Key>) -> Schema {
    map(vec![any_str_key(
        true,
        Some("'images' is empty"),
        url(extra),
    )])
}

fn deploy_base() -> Vec<Key> {
    merged(
        action(),
        vec![
            opt("os", Schema::Str),
            opt("authorize", Schema::Lit("ssh")),
            opt("overlay_backend", lits(&["auto", "e2fsprogs", "guestfs"])),
        ],
    )
}

fn deploy(keys: Vec<Key>) -> Schema {
    map(merged(deploy_base(), keys))
}

fn auto_login() -> Schema {
    any(vec![
        map(vec![
            req("login_prompt", str_len(1, None)),
            req("username", Schema::Str),
            opt("login_commands", list(str_len(1, None))),
        ]),
        map(vec![
            req("login_prompt", str_len(1, None)),
            req("username", Schema::Str),
            req("password_prompt", Schema::Str),
            req("password", Schema::Str),
            opt("login_commands", list(Schema::Str)),
        ]),
    ])
}

fn transfer_overlay() -> Schema {
    any(vec![
        map(vec![
            req("download_command", Schema::Str),
            req("unpack_command", Schema::Str),
            opt("transfer_method", Schema::Str),
        ]),
        map(vec![
            req("transfer_method", lits(&["zmodem"])),
            req("unpack_command", Schema::Str),
        ]),
    ])
}

fn prompts() -> Schema {
    any(vec![str_len(1, None), list(str_len(1, None))])
}

fn boot_base() -> Vec<Key> {
    merged(
        action(),
        vec![
            opt(
                "parameters",
                map(vec![
                    opt("bootloader-final-message", Schema::Str),
                    opt("kernel-start-message", Schema::Str),
                    opt("shutdown-message", Schema::Str),
                ]),
            ),
            opt("soft_reboot", str_or_list()),
            opt("ignore_kernel_messages", Schema::Bool),
        ],
    )
}

fn boot(name: &'static str, keys: Vec<Key>) -> Schema {
    map(merged(boot_base(), merged(vec![method(name)], keys)))
}

/// Keys most interactive boot methods share.
fn console_keys() -> Vec<Key> {
    vec![
        opt("prompts", prompts()),
        opt("auto_login", auto_login()),
        opt("transfer_overlay", transfer_overlay()),
    ]
}

// ---- deploy ----------------------------------------------------------------

/// The schema of one `deploy` action, by its `to`.
pub(crate) fn deploy_schema(to: &str) -> Option<Schema> {
    let kernel_type = || opt("type", lits(&["image", "uimage", "zimage"]));
    Some(match to {
        "avh" => {
            let extra = vec![
                opt("format", Schema::Lit("ext4")),
                opt("root_partition", at_least(0)),
                opt("type", Schema::Lit("image")),
            ];
            let pkg_extra = merged(extra.clone(), vec![opt("storage_file", Schema::Str)]);
            let base = vec![
                req("to", Schema::Lit("avh")),
                opt(
                    "options",
                    map(vec![
                        opt("model", Schema::Str),
                        opt("api_endpoint", Schema::Str),
                        opt("project_name", Schema::Str),
                    ]),
                ),
            ];
            any(vec![
                deploy(merged(base.clone(), vec![req("images", images(extra))])),
                deploy(merged(base, vec![req("fw_package", url(pkg_extra))])),
            ])
        }
        "docker" => {
            let image = docker("name");
            deploy(vec![
                req("to", Schema::Lit("docker")),
                req(
                    "image",
                    any(vec![
                        Schema::Msg(
                            Box::new(Schema::Match(Pattern::DockerImage)),
                            "Invalid docker image name".into(),
                        ),
                        map(image),
                    ]),
                ),
                opt("repeat", at_least(1)),
            ])
        }
        "download" => deploy(vec![
            req("to", Schema::Lit("download")),
            req("images", images(vec![])),
        ]),
        "downloads" => deploy(vec![
            req("to", Schema::Lit("downloads")),
            req("images", images(vec![])),
            opt("uniquify", Schema::Bool),
            opt(
                "postprocess",
                map(vec![req(
                    "docker",
                    map(merged(
                        docker("image"),
                        vec![
                            req("steps", list(Schema::Str)),
                            opt("devices", list(Schema::Str)),
                        ],
                    )),
                )]),
            ),
        ]),
        "fastboot" => deploy(vec![
            req("to", Schema::Lit("fastboot")),
            req(
                "images",
                images(vec![
                    opt("apply-overlay", Schema::Bool),
                    opt("root_partition", at_least(0)),
                    opt("sparse", Schema::Bool),
                    opt(
                        "reboot",
                        lits(&[
                            "hard-reset",
                            "fastboot-reboot",
                            "fastboot-reboot-bootloader",
                            "fastboot-reboot-fastboot",
                        ]),
                    ),
                ]),
            ),
            opt("docker", map(docker("image"))),
        ]),
        "flasher" => deploy(vec![
            req("to", Schema::Lit("flasher")),
            req(
                "images",
                map(vec![any_str_key(
                    false,
                    None,
                    url(vec![opt("download", Schema::Bool)]),
                )]),
            ),
            opt("uniquify", Schema::Bool),
        ]),
        "fvp" => deploy(vec![
            req("to", Schema::Lit("fvp")),
            opt(
                "ramdisk",
                map(vec![
                    opt("install_overlay", Schema::Bool),
                    opt("compression", Schema::Str),
                    opt("header", Schema::Lit("u-boot")),
                ]),
            ),
            opt("uniquify", Schema::Bool),
            req("images", images(vec![])),
        ]),
        "iso-installer" => deploy(vec![
            req("to", Schema::Lit("iso-installer")),
            req(
                "images",
                map(vec![
                    req("iso", url(vec![opt("image_arg", Schema::Str)])),
                    req("preseed", url(vec![])),
                ]),
            ),
            req(
                "iso",
                map(vec![
                    req("installation_size", Schema::Str),
                    opt("kernel", Schema::Str),
                    opt("initrd", Schema::Str),
                ]),
            ),
        ]),
        "mps" => deploy(vec![
            req("to", Schema::Lit("mps")),
            req(
                "images",
                Schema::All(vec![
                    map(vec![
                        opt("recovery_image", url(vec![])),
                        key(
                            KeyMatch::Match(Pattern::TestBinary),
                            false,
                            url(vec![opt("rename", Schema::Str)]),
                        ),
                    ]),
                    Schema::Length { min: 1, max: None },
                ]),
            ),
        ]),
        "musca" => deploy(vec![
            req("to", Schema::Lit("musca")),
            req(
                "images",
                map(vec![req_msg(
                    "test_binary",
                    "'images' has no 'test_binary' entry",
                    url(vec![]),
                )]),
            ),
        ]),
        "nbd" => deploy(vec![
            req("to", Schema::Lit("nbd")),
            req_msg(
                "kernel",
                "needs a kernel to deploy",
                url(vec![kernel_type()]),
            ),
            req("nbdroot", url(vec![])),
            req("initrd", url(vec![])),
            opt("dtb", url(vec![])),
        ]),
        "nfs" => any(vec![
            map(merged(
                vec![
                    req("to", Schema::Lit("nfs")),
                    opt("nfsrootfs", url(vec![])),
                    opt("modules", url(vec![])),
                ],
                deploy_base(),
            )),
            map(merged(
                vec![
                    req("to", Schema::Lit("nfs")),
                    req("images", images(vec![opt("image_arg", Schema::Str)])),
                ],
                deploy_base(),
            )),
        ]),
        "overlay" => deploy(vec![req("to", Schema::Lit("overlay"))]),
        "qdl" => deploy(vec![
            req("to", Schema::Lit("qdl")),
            req(
                "qcomflash",
                any(vec![
                    map(vec![
                        key(KeyMatch::Str, false, url(vec![])),
                        opt("apply-overlay", Schema::Bool),
                    ]),
                    Schema::Length { min: 1, max: None },
                ]),
            ),
            opt("uniquify", Schema::Bool),
            opt("rootfs_image", Schema::Str),
        ]),
        "recovery" => deploy(vec![
            req("to", Schema::Lit("recovery")),
            req("images", images(vec![])),
        ]),
        "sata" | "sd" | "usb" => {
            let tool = || {
                map(vec![
                    req("tool", Schema::Str),
                    req("options", Schema::Str),
                    req("prompt", Schema::Str),
                ])
            };
            deploy(vec![
                req("to", lits(&["sata", "sd", "usb"])),
                exclusive(
                    "images",
                    "image",
                    map(vec![
                        req("image", url(vec![])),
                        any_str_key(false, None, url(vec![])),
                    ]),
                ),
                exclusive(
                    "image",
                    "image",
                    url(vec![opt("root_partition", Schema::Int)]),
                ),
                req("device", Schema::Str),
                opt("download", tool()),
                opt("writer", tool()),
                opt("tool", map(vec![req("prompts", list(Schema::Str))])),
                opt("uniquify", Schema::Bool),
            ])
        }
        "ssh" => deploy(vec![
            req("to", Schema::Lit("ssh")),
            opt("firmware", url(vec![])),
            opt("kernel", url(vec![])),
            opt("rootfs", url(vec![])),
            opt("modules", url(vec![])),
        ]),
        "tftp" => {
            let install = || {
                vec![
                    opt("install_modules", Schema::Bool),
                    opt("install_overlay", Schema::Bool),
                ]
            };
            deploy(vec![
                req("to", Schema::Lit("tftp")),
                opt("kernel", url(vec![kernel_type()])),
                opt("dtb", url(vec![])),
                opt("dtbo", list(url(vec![]))),
                opt("modules", url(vec![])),
                opt("preseed", url(vec![])),
                opt(
                    "ramdisk",
                    url(merged(
                        install(),
                        vec![opt("header", Schema::Lit("u-boot"))],
                    )),
                ),
                exclusive(
                    "nfsrootfs",
                    "nfs",
                    url(merged(install(), vec![opt("prefix", Schema::Str)])),
                ),
                exclusive(
                    "persistent_nfs",
                    "nfs",
                    map(vec![
                        req("address", Schema::Str),
                        opt("install_overlay", Schema::Bool),
                    ]),
                ),
                opt("tee", url(vec![])),
                opt(
                    "extra_files",
                    map(vec![key(KeyMatch::Extra, false, url(vec![]))]),
                ),
            ])
        }
        "tmpfs" => deploy(vec![
            req("to", Schema::Lit("tmpfs")),
            req("images", images(vec![opt("image_arg", Schema::Str)])),
            opt("type", Schema::Lit("monitor")),
            opt("uefi", url(vec![])),
        ]),
        "u-boot-ums" => deploy(vec![
            req("to", Schema::Lit("u-boot-ums")),
            req("image", url(vec![opt("root_partition", at_least(0))])),
        ]),
        "usbg-ms" => map(merged(
            vec![req("to", Schema::Lit("usbg-ms")), req("image", url(vec![]))],
            deploy_base(),
        )),
        "uuu" => deploy(vec![
            req("to", Schema::Lit("uuu")),
            req(
                "images",
                Schema::All(vec![
                    map(vec![
                        req("boot", url(vec![])),
                        key(
                            KeyMatch::Str,
                            false,
                            url(vec![
                                opt("apply-overlay", Schema::Bool),
                                opt("root_partition", at_least(0)),
                            ]),
                        ),
                    ]),
                    Schema::Length { min: 1, max: None },
                ]),
            ),
            opt("uniquify", Schema::Bool),
        ]),
        "vemsd" => deploy(vec![
            req("to", Schema::Lit("vemsd")),
            req("recovery_image", url(vec![])),
        ]),
        _ => return None,
    })
}

// ---- boot ------------------------------------------------------------------

fn grub_keys() -> Vec<Key> {
    vec![
        req("commands", str_or_list()),
        opt("auto_login", auto_login()),
        opt("boot_finished", str_or_list()),
        opt("reset", Schema::Bool),
        opt("expect_shell", Schema::Bool),
        opt("prompts", prompts()),
        opt("use_bootscript", Schema::Bool),
        opt("transfer_overlay", transfer_overlay()),
    ]
}

/// The schema of one `boot` action, by its `method`.
pub(crate) fn boot_schema(name: &str) -> Option<Schema> {
    let canonical = BOOT_METHODS.iter().copied().find(|m| *m == name)?;
    let keys: Vec<Key> = match canonical {
        "avh" => vec![
            opt(
                "bootargs",
                map(vec![
                    opt("normal", Schema::Str),
                    opt("restore", Schema::Str),
                ]),
            ),
            opt("docker", map(docker("image"))),
            req("prompts", prompts()),
            opt("auto_login", auto_login()),
        ],
        "barebox" => merged(vec![req("commands", str_or_list())], console_keys()),
        "ipxe" => merged(
            vec![req("commands", str_or_list())],
            merged(console_keys(), vec![opt("use_bootscript", Schema::Bool)]),
        ),
        "bootloader" => vec![
            req("bootloader", Schema::Str),
            opt("commands", list(Schema::Str)),
            opt("use_bootscript", Schema::Bool),
            opt("prompts", prompts()),
            opt("reset_connection", Schema::Bool),
            opt("reset_device", Schema::Bool),
            opt("reset", Schema::Bool),
        ],
        "cmsis-dap" | "dfu" | "monitor" | "openocd" | "pyocd" => vec![],
        "depthcharge" => merged(
            vec![
                req("commands", str_or_list()),
                opt("extra_kernel_args", Schema::Str),
                opt("use_bootscript", Schema::Bool),
            ],
            console_keys(),
        ),
        "docker" | "nodebooter" => vec![
            req("command", Schema::Str),
            opt("prompts", prompts()),
            opt("downloads-namespace", Schema::Str),
        ],
        "fastboot" => merged(
            vec![
                opt("commands", list(Schema::Str)),
                opt("use_bootscript", Schema::Bool),
            ],
            merged(console_keys(), vec![opt("docker", map(docker("image")))]),
        ),
        "fvp" => vec![
            opt("use_telnet", Schema::Bool),
            req("console_string", Schema::Str),
            opt("feedbacks", list(Schema::Str)),
            req("image", Schema::Str),
            opt("license_variable", Schema::Str),
            opt("environment", list(Schema::Str)),
            opt("ubl_license", Schema::Str),
            opt("version_string", Schema::Str),
            req("arguments", list(Schema::Str)),
            opt("prompts", prompts()),
            req("docker", map(docker("name"))),
            opt("transfer_overlay", transfer_overlay()),
            opt("auto_login", auto_login()),
            opt("erpc_app", Schema::Str),
            opt("commands", list(Schema::Str)),
        ],
        "gdb" => vec![req("commands", Schema::Str), opt("container", Schema::Str)],
        "grub" | "grub-efi" => grub_keys(),
        "jlink" => vec![
            opt("prompts", list(Schema::Str)),
            opt("commands", list(Schema::Str)),
            opt("coretype", Schema::Str),
        ],
        "kexec" => vec![
            req("boot_message", Schema::Str),
            opt("prompts", prompts()),
            opt("auto_login", auto_login()),
            opt("deploy", Schema::Bool),
            opt("command", Schema::Str),
            opt("kernel", Schema::Str),
            opt("dtb", Schema::Str),
            opt("initrd", Schema::Str),
            opt("options", list(Schema::Str)),
            opt("kernel-config", Schema::Str),
            opt("transfer_overlay", transfer_overlay()),
            opt("on_panic", Schema::Bool),
        ],
        "minimal" => merged(
            console_keys(),
            vec![
                opt("pre_power_command", Schema::Bool),
                opt("pre_os_command", Schema::Bool),
                opt("reset", Schema::Bool),
            ],
        ),
        "musca" => vec![opt("prompts", prompts())],
        "new_connection" => merged(vec![req("connection", Schema::Str)], console_keys()),
        "qdl" => vec![
            req("firehose_program", Schema::Str),
            req("rawprogram", Schema::Str),
            opt("patch", Schema::Str),
            opt("path", Schema::Str),
            opt("storage", Schema::Str),
            opt("debug", Schema::Bool),
            opt("docker", map(docker("image"))),
        ],
        "qemu" => merged(
            vec![
                opt("connection", Schema::Lit("serial")),
                opt("media", Schema::Lit("tmpfs")),
            ],
            merged(
                console_keys(),
                vec![opt(
                    "docker",
                    map(merged(docker("image"), vec![opt("binary", Schema::Str)])),
                )],
            ),
        ),
        "qemu-iso" => vec![
            req("media", Schema::Lit("img")),
            opt("prompts", prompts()),
            opt("auto_login", auto_login()),
        ],
        "qemu-nfs" => merged(
            vec![opt("connection", Schema::Lit("serial"))],
            console_keys(),
        ),
        "recovery" => vec![req("commands", lits(&["recovery", "exit"]))],
        "schroot" => vec![
            opt("prompts", prompts()),
            req("connection", Schema::Lit("ssh")),
            req("schroot", Schema::Str),
        ],
        "ssh" => vec![
            opt("prompts", prompts()),
            opt(
                "parameters",
                map(vec![
                    opt("hostID", Schema::Str),
                    opt("host_key", Schema::Str),
                ]),
            ),
        ],
        "u-boot" => merged(
            vec![
                req("commands", str_or_list()),
                opt("reset", Schema::Bool),
                opt("use_bootscript", Schema::Bool),
            ],
            console_keys(),
        ),
        "uefi" => vec![
            req("commands", str_or_list()),
            opt("shell_menu", Schema::Str),
            opt("prompts", prompts()),
            opt("auto_login", auto_login()),
        ],
        "uefi-menu" => vec![
            opt("commands", Schema::Str),
            opt("line_separator", Schema::Str),
            opt("prompts", prompts()),
            opt("auto_login", auto_login()),
        ],
        "uuu" => vec![
            req(
                "commands",
                any(vec![
                    Schema::Str,
                    list(map(vec![any_str_key(false, None, Schema::Str)])),
                ]),
            ),
            opt("docker", map(docker("image"))),
            opt("skip_uuu_if_bootloader_valid", Schema::Bool),
        ],
        _ => return None,
    };
    Some(boot(canonical, keys))
}

// ---- test and command ------------------------------------------------------

fn test_name() -> Schema {
    Schema::Match(Pattern::TestName)
}

fn testdef() -> Schema {
    map(vec![
        req(
            "metadata",
            map(vec![
                req("format", Schema::Lit("Lava-Test Test Definition 1.0")),
                req("name", Schema::Str),
                opt("description", Schema::Str),
                opt("environment", list(Schema::Str)),
                opt("devices", list(Schema::Str)),
                opt("maintainer", list(Schema::Str)),
                opt("scope", list(Schema::Str)),
                opt("os", list(Schema::Str)),
            ]),
        ),
        opt(
            "install",
            map(vec![
                opt("deps", list(Schema::Str)),
                key(
                    KeyMatch::Match(Pattern::DepsDistro),
                    false,
                    list(Schema::Str),
                ),
                opt(
                    "git-repos",
                    list(any(vec![
                        Schema::Str,
                        map(vec![
                            opt("url", Schema::Str),
                            opt("branch", Schema::Str),
                            opt("destination", Schema::Str),
                        ]),
                    ])),
                ),
                opt("keys", list(Schema::Str)),
                opt("steps", list(Schema::Str)),
                opt("sources", list(Schema::Str)),
            ]),
        ),
        opt("parameters", Schema::Dict),
        opt("params", Schema::Dict),
        opt(
            "parse",
            map(vec![opt(
                "fixupdict",
                map(vec![any_str_key(
                    false,
                    None,
                    lits(&["pass", "fail", "skip", "unknown"]),
                )]),
            )]),
        ),
        opt("run", map(vec![req("steps", list(Schema::Str))])),
        opt("expected", list(Schema::Str)),
    ])
}

fn definition_common() -> Vec<Key> {
    vec![
        req("path", Schema::Str),
        req("name", test_name()),
        opt(
            "skip_install",
            list(lits(&[
                "keys",
                "sources",
                "deps",
                "steps",
                "git-repos",
                "all",
            ])),
        ),
        opt("lava-signal", lits(&["kmsg", "stdout"])),
        opt("expected", list(Schema::Str)),
    ]
}

fn definitions() -> Vec<Key> {
    let git = merged(
        vec![
            req("repository", Schema::Str),
            req("from", Schema::Lit("git")),
            opt("branch", Schema::Str),
            opt("history", Schema::Bool),
            opt("revision", Schema::Str),
            opt("parameters", Schema::Dict),
            opt("params", Schema::Dict),
            opt("recursive", Schema::Bool),
        ],
        definition_common(),
    );
    let from_url = merged(
        vec![
            req("repository", Schema::Str),
            req("from", Schema::Lit("url")),
            opt("compression", Schema::Str),
            opt("strip-components", Schema::Int),
            opt("parameters", Schema::Dict),
            opt("params", Schema::Dict),
            opt("headers", Schema::Dict),
        ],
        definition_common(),
    );
    let inline = merged(
        vec![
            req("repository", testdef()),
            req("from", Schema::Lit("inline")),
        ],
        definition_common(),
    );
    merged(
        action(),
        vec![req(
            "definitions",
            list(any(vec![map(git), map(from_url), map(inline)])),
        )],
    )
}

/// The schema of one `test` action, by its shape; `None` when the action has
/// none of the keys that choose one.
pub(crate) fn test_schema(shape: TestShape) -> Schema {
    match shape {
        TestShape::Definitions => map(definitions()),
        TestShape::Docker => map(merged(
            definitions(),
            vec![
                req("docker", map(docker("image"))),
                opt("downloads-namespace", Schema::Str),
                opt("disconnect_connection", Schema::Bool),
            ],
        )),
        TestShape::Interactive => {
            let message = || str_len(1, None);
            let script = map(vec![
                opt("command", any(vec![Schema::Str, Schema::Null])),
                opt("delay", Schema::Int),
                opt("lava-send", Schema::Str),
                opt("lava-sync", Schema::Str),
                opt("lava-wait", Schema::Str),
                opt("lava-wait-all", Schema::Str),
                opt("name", test_name()),
                opt("wait_for_prompt", Schema::Bool),
                opt("successes", list(map(vec![req("message", message())]))),
                opt(
                    "failures",
                    list(map(vec![
                        req("message", message()),
                        opt(
                            "exception",
                            lits(&["InfrastructureError", "JobError", "TestError"]),
                        ),
                        opt("error", message()),
                    ])),
                ),
            ]);
            map(merged(
                action(),
                vec![req(
                    "interactive",
                    list(map(vec![
                        req("name", test_name()),
                        req("prompts", list(message())),
                        opt("echo", Schema::Lit("discard")),
                        opt("expected", list(message())),
                        req("script", list(script)),
                    ])),
                )],
            ))
        }
        TestShape::Monitors => map(merged(
            action(),
            vec![req(
                "monitors",
                list(map(vec![
                    req("name", test_name()),
                    req("start", Schema::Str),
                    req("end", Schema::Str),
                    req("pattern", Schema::Str),
                    opt(
                        "fixupdict",
                        map(vec![any_str_key(
                            false,
                            None,
                            lits(&["pass", "fail", "skip", "unknown"]),
                        )]),
                    ),
                    opt("expected", list(Schema::Str)),
                ])),
            )],
        )),
        TestShape::Services => {
            let common = vec![
                req("name", test_name()),
                req("repository", Schema::Str),
                req("path", Schema::Str),
                opt("service", Schema::Str),
            ];
            let git = merged(
                vec![
                    req("from", Schema::Lit("git")),
                    opt("branch", Schema::Str),
                    opt("history", Schema::Bool),
                    opt("revision", Schema::Str),
                    opt("recursive", Schema::Bool),
                ],
                common.clone(),
            );
            let from_url = merged(
                vec![
                    req("from", Schema::Lit("url")),
                    opt("compression", Schema::Str),
                    opt("headers", Schema::Dict),
                ],
                common,
            );
            map(merged(
                action(),
                vec![req("services", list(any(vec![map(git), map(from_url)])))],
            ))
        }
    }
}

/// Which test schema applies, chosen by the keys present, as LAVA chooses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TestShape {
    Definitions,
    Docker,
    Interactive,
    Monitors,
    Services,
}

/// The schema of a `command` action.
pub(crate) fn command_schema() -> Schema {
    map(merged(action(), vec![req("name", Schema::Str)]))
}
