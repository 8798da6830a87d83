/*
 * libkir: kir's C API (Android boot images, vendor_boot, cpio, KIR recipes).
 *
 * Generated from bindings-c/src by cbindgen; do not edit. Regenerate with
 *   KIR_BLESS=1 cargo test -p kir-c --test header
 *
 * Conventions:
 *  - Every symbol starts with kir_ (types kir_*, constants KIR_*).
 *  - Fallible functions return kir_status and write results through
 *    out-parameters, which are cleared first. On failure,
 *    kir_last_error_message() describes what went wrong and where.
 *  - Objects returned through a `**out` parameter are owned by the caller and
 *    freed with the matching kir_<object>_free(); every _free accepts NULL.
 *  - Buffers returned in a kir_bytes are freed with kir_bytes_free(), never
 *    with free().
 *  - Pointer parameters are borrowed for the duration of the call only.
 */

#ifndef KIR_H
#define KIR_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#define KIR_VERSION_MAJOR 0
#define KIR_VERSION_MINOR 1
#define KIR_VERSION_PATCH 0


/**
 * `kir_resize_rootfs` flag: empty `<modules_path>/lib/modules` first (KIR's `-c`).
 */
#define KIR_RESIZE_CLEAR_MODULES 1

/**
 * `kir_resize_rootfs` flag: write an Android sparse image `<name>.img` (KIR's `-s`).
 */
#define KIR_RESIZE_SPARSE 2

/**
 * `kir_resize_rootfs` flag: xz-compress the final image (KIR's `-z`).
 */
#define KIR_RESIZE_XZ 4

/**
 * Outcome of a fallible kir_* function.
 *
 * Values are part of the ABI: a value keeps its meaning forever, new values
 * are only ever added, and a removed one is never reused. 10-19 mirror the
 * error families of the core library, 20-29 are reserved for the LAVA job,
 * test plan and build plan libraries.
 */
typedef enum kir_status {
  /**
   * Success.
   */
  KIR_STATUS_OK = 0,
  /**
   * A required pointer argument was NULL.
   */
  KIR_STATUS_ERR_NULL = 1,
  /**
   * A string argument was not valid UTF-8.
   */
  KIR_STATUS_ERR_UTF8 = 2,
  /**
   * An argument was refused (out of range, unknown name, bad combination).
   */
  KIR_STATUS_ERR_INVALID_ARGUMENT = 3,
  /**
   * Input does not follow its format; the message names the offset and field.
   */
  KIR_STATUS_ERR_MALFORMED = 10,
  /**
   * Input is well formed but uses something kir does not implement.
   */
  KIR_STATUS_ERR_UNSUPPORTED = 11,
  /**
   * An input check failed (wrong kind of file, inputs that disagree).
   */
  KIR_STATUS_ERR_CHECK = 12,
  /**
   * A recipe (device profile) is missing or invalid.
   */
  KIR_STATUS_ERR_RECIPE = 13,
  /**
   * An archive entry would be written outside its destination.
   */
  KIR_STATUS_ERR_UNSAFE_PATH = 14,
  /**
   * Fetching a URL failed.
   */
  KIR_STATUS_ERR_FETCH = 15,
  /**
   * Reading or writing a file failed.
   */
  KIR_STATUS_ERR_IO = 16,
  /**
   * An error of a kind this version of the library has no status for.
   */
  KIR_STATUS_ERR_OTHER = 98,
  /**
   * A bug inside kir: a panic was caught at the API boundary.
   */
  KIR_STATUS_ERR_PANIC = 99,
} kir_status;

/**
 * Output formats of `kir_buildplan_expand` (values never change).
 */
enum kir_plan_format
#if defined(__cplusplus) || __STDC_VERSION__ >= 202311L
  : uint32_t
#endif // defined(__cplusplus) || __STDC_VERSION__ >= 202311L
 {
  /**
   * A plain TuxSuite plan (matrix expanded).
   */
  KIR_PLAN_FORMAT_TUXSUITE = 0,
  /**
   * A JSON list of tuxmake/tuxrun command lines.
   */
  KIR_PLAN_FORMAT_JSON = 1,
  /**
   * A GitLab CI child pipeline.
   */
  KIR_PLAN_FORMAT_GITLAB = 2,
  /**
   * TuxSuite's own expansion (plan items and local command lines) as JSON.
   */
  KIR_PLAN_FORMAT_EXPANSION = 3,
};
#ifndef __cplusplus
#if __STDC_VERSION__ >= 202311L
typedef enum kir_plan_format kir_plan_format;
#else
typedef uint32_t kir_plan_format;
#endif // __STDC_VERSION__ >= 202311L
#endif // __cplusplus

/**
 * ext4 feature sets (values never change).
 */
enum kir_ext4_profile
#if defined(__cplusplus) || __STDC_VERSION__ >= 202311L
  : uint32_t
#endif // defined(__cplusplus) || __STDC_VERSION__ >= 202311L
 {
  /**
   * Journal, extents, flex_bg, htree, ...: readable by every ext4 kernel,
   * U-Boot and GRUB.
   */
  KIR_EXT4_PROFILE_COMPAT = 0,
  /**
   * compat + 64bit + metadata_csum, as mke2fs 1.47 makes by default.
   */
  KIR_EXT4_PROFILE_DEBIAN = 1,
};
#ifndef __cplusplus
#if __STDC_VERSION__ >= 202311L
typedef enum kir_ext4_profile kir_ext4_profile;
#else
typedef uint32_t kir_ext4_profile;
#endif // __STDC_VERSION__ >= 202311L
#endif // __cplusplus

/**
 * A parsed boot.img (header v0–v4).
 */
typedef struct kir_boot_image kir_boot_image;

/**
 * A file tree read from an ext4 image: entries in path order, parents
 * before children (the root `/` first).
 */
typedef struct kir_ext4_tree kir_ext4_tree;

/**
 * mkbootimg's options, being filled in by the caller.
 */
typedef struct kir_mkbootimg_args kir_mkbootimg_args;

/**
 * A parsed vendor_boot.img (header v3 or v4).
 */
typedef struct kir_vendor_boot_image kir_vendor_boot_image;

/**
 * A byte buffer owned by the caller: `data` points to `len` bytes (NULL when
 * `len` is 0). Free it with `kir_bytes_free`, never with `free()`.
 */
typedef struct kir_bytes {
  /**
   * First byte, or NULL for an empty buffer.
   */
  uint8_t *data;
  /**
   * Number of bytes.
   */
  size_t len;
} kir_bytes;

/**
 * One vendor ramdisk of a kir_vendor_boot_image, borrowed from it: valid
 * until the image is freed.
 */
typedef struct kir_vendor_ramdisk_view {
  /**
   * `ramdisk_type`: 0 none, 1 platform, 2 recovery, 3 dlkm.
   */
  uint32_t ramdisk_type;
  /**
   * `ramdisk_name`, NUL-terminated.
   */
  const char *name;
  /**
   * `board_id`: sixteen words.
   */
  uint32_t board_id[16];
  /**
   * The ramdisk bytes.
   */
  const uint8_t *data;
  /**
   * Number of bytes at `data`.
   */
  size_t len;
} kir_vendor_ramdisk_view;

#ifdef __cplusplus
extern "C" {
#endif // __cplusplus

/**
 * The library's version ("MAJOR.MINOR.PATCH"), a static string.
 *
 * Compare with the KIR_VERSION_* macros to detect a header/library mismatch.
 */
const char *kir_version(void);

/**
 * The message of the last failed kir_* call on this thread, or NULL if the
 * last call succeeded.
 *
 * The text names what was wrong and where (offset and field for malformed
 * input). It is owned by the library and valid until the next kir_* call on
 * the same thread; copy it to keep it.
 */
const char *kir_last_error_message(void);

/**
 * The name of a status value ("KIR_STATUS_ERR_MALFORMED"), a static string;
 * "KIR_STATUS_UNKNOWN" for a value this library does not define.
 */
const char *kir_status_name(uint32_t status);

/**
 * Frees a buffer returned by the library and resets it to empty
 * (data NULL, len 0). Accepts NULL and an already empty buffer.
 *
 * # Safety
 * `bytes` must be NULL or point to a kir_bytes that is empty or was filled
 * by this library and not changed since.
 */
void kir_bytes_free(struct kir_bytes *bytes);

/**
 * Creates a set of mkbootimg options holding mkbootimg's defaults (header
 * version 0, base 0x10000000, page size 2048, ...). Free it with
 * kir_mkbootimg_args_free.
 *
 * # Safety
 * `out` must be NULL or point to writable memory for a pointer.
 */
enum kir_status kir_mkbootimg_args_new(struct kir_mkbootimg_args **out);

/**
 * Frees options made by kir_mkbootimg_args_new; NULL is ignored.
 *
 * # Safety
 * `args` must be NULL or a live handle from kir_mkbootimg_args_new.
 */
void kir_mkbootimg_args_free(struct kir_mkbootimg_args *args);

/**
 * Sets a file option to a copy of `len` bytes at `data` (NULL with len 0
 * is an empty file, which differs from an absent one). `option` is one of
 * "kernel", "ramdisk", "second", "dtb", "recovery_dtbo", "vendor_ramdisk",
 * "vendor_bootconfig", "boot_signature".
 *
 * # Safety
 * `args` must be a live handle, `option` NULL or a NUL-terminated string,
 * `data` NULL or `len` readable bytes.
 */
enum kir_status kir_mkbootimg_args_set_file(struct kir_mkbootimg_args *args,
                                            const char *option,
                                            const uint8_t *data,
                                            size_t len);

/**
 * Sets a text option: "cmdline", "vendor_cmdline", "board",
 * "os_version" ("A.B.C") or "os_patch_level" ("YYYY-MM[-DD]").
 *
 * # Safety
 * `args` must be a live handle; `option` and `value` NULL or NUL-terminated strings.
 */
enum kir_status kir_mkbootimg_args_set_string(struct kir_mkbootimg_args *args,
                                              const char *option,
                                              const char *value);

/**
 * Sets a number option: "header_version", "pagesize", "base",
 * "kernel_offset", "ramdisk_offset", "second_offset", "dtb_offset",
 * "tags_offset".
 *
 * # Safety
 * `args` must be a live handle; `option` NULL or a NUL-terminated string.
 */
enum kir_status kir_mkbootimg_args_set_int(struct kir_mkbootimg_args *args,
                                           const char *option,
                                           uint64_t value);

/**
 * Appends a v4 vendor ramdisk fragment (mkbootimg's `--ramdisk_type`,
 * `--ramdisk_name`, `--board_idN`, `--vendor_ramdisk_fragment`). `board_id`
 * is NULL (all zero) or 16 words; `ramdisk_type` 0 none, 1 platform,
 * 2 recovery, 3 dlkm.
 *
 * # Safety
 * `args` must be a live handle, `name` NULL or a NUL-terminated string,
 * `board_id` NULL or 16 readable words, `data` NULL or `len` readable bytes.
 */
enum kir_status kir_mkbootimg_args_add_vendor_ramdisk(struct kir_mkbootimg_args *args,
                                                      uint32_t ramdisk_type,
                                                      const char *name,
                                                      const uint32_t *board_id,
                                                      const uint8_t *data,
                                                      size_t len);

/**
 * Builds the boot.img the options describe, byte for byte what AOSP
 * mkbootimg writes. Free `out` with kir_bytes_free.
 *
 * # Safety
 * `args` must be a live handle; `out` NULL or a writable kir_bytes.
 */
enum kir_status kir_mkbootimg_boot_image(const struct kir_mkbootimg_args *args,
                                         struct kir_bytes *out);

/**
 * Builds the vendor_boot.img the options describe (header v3 or v4). Free
 * `out` with kir_bytes_free.
 *
 * # Safety
 * `args` must be a live handle; `out` NULL or a writable kir_bytes.
 */
enum kir_status kir_mkbootimg_vendor_boot_image(const struct kir_mkbootimg_args *args,
                                                struct kir_bytes *out);

/**
 * Parses a boot.img; every size and offset is checked against the input.
 * Free the result with kir_boot_image_free.
 *
 * # Safety
 * `data` must be NULL or `len` readable bytes; `out` NULL or writable.
 */
enum kir_status kir_boot_image_parse(const uint8_t *data, size_t len, struct kir_boot_image **out);

/**
 * Frees an image from kir_boot_image_parse; NULL is ignored.
 *
 * # Safety
 * `image` must be NULL or a live handle from kir_boot_image_parse.
 */
void kir_boot_image_free(struct kir_boot_image *image);

/**
 * `header_version` (0 when `image` is NULL, as for every accessor).
 *
 * # Safety
 * `image` must be NULL or a live handle.
 */
uint32_t kir_boot_image_header_version(const struct kir_boot_image *image);

/**
 * `page_size` (4096 for v3/v4).
 *
 * # Safety
 * `image` must be NULL or a live handle.
 */
uint32_t kir_boot_image_page_size(const struct kir_boot_image *image);

/**
 * `kernel_addr` (v0–v2).
 *
 * # Safety
 * `image` must be NULL or a live handle.
 */
uint32_t kir_boot_image_kernel_addr(const struct kir_boot_image *image);

/**
 * `ramdisk_addr` (v0–v2).
 *
 * # Safety
 * `image` must be NULL or a live handle.
 */
uint32_t kir_boot_image_ramdisk_addr(const struct kir_boot_image *image);

/**
 * `second_addr` (v0–v2).
 *
 * # Safety
 * `image` must be NULL or a live handle.
 */
uint32_t kir_boot_image_second_addr(const struct kir_boot_image *image);

/**
 * `tags_addr` (v0–v2).
 *
 * # Safety
 * `image` must be NULL or a live handle.
 */
uint32_t kir_boot_image_tags_addr(const struct kir_boot_image *image);

/**
 * `dtb_addr` (v2).
 *
 * # Safety
 * `image` must be NULL or a live handle.
 */
uint64_t kir_boot_image_dtb_addr(const struct kir_boot_image *image);

/**
 * The kernel command line (v0–v2: `cmdline` and `extra_cmdline` joined),
 * borrowed from the image; NULL when `image` is NULL.
 *
 * # Safety
 * `image` must be NULL or a live handle.
 */
const char *kir_boot_image_cmdline(const struct kir_boot_image *image);

/**
 * The board name (v0–v2), borrowed from the image.
 *
 * # Safety
 * `image` must be NULL or a live handle.
 */
const char *kir_boot_image_name(const struct kir_boot_image *image);

/**
 * The Android version "A.B.C" from `os_version`, or "" when not set;
 * borrowed from the image.
 *
 * # Safety
 * `image` must be NULL or a live handle.
 */
const char *kir_boot_image_os_version(const struct kir_boot_image *image);

/**
 * The security patch level "YYYY-MM" from `os_version`, or "" when not
 * set; borrowed from the image.
 *
 * # Safety
 * `image` must be NULL or a live handle.
 */
const char *kir_boot_image_os_patch_level(const struct kir_boot_image *image);

/**
 * Points `*data`/`*len` at one part of the image, borrowed from it:
 * "kernel", "ramdisk", "second", "recovery_dtbo", "dtb" or
 * "boot_signature". An absent part is empty (`*data` NULL, `*len` 0).
 *
 * # Safety
 * `image` must be NULL or a live handle, `part` NULL or a NUL-terminated
 * string, `data` and `len` NULL or writable.
 */
enum kir_status kir_boot_image_part(const struct kir_boot_image *image,
                                    const char *part,
                                    const uint8_t **data,
                                    size_t *len);

/**
 * Writes the image again (AOSP mkbootimg's layout). Free `out` with kir_bytes_free.
 *
 * # Safety
 * `image` must be NULL or a live handle; `out` NULL or a writable kir_bytes.
 */
enum kir_status kir_boot_image_to_bytes(const struct kir_boot_image *image, struct kir_bytes *out);

/**
 * Parses a vendor_boot.img; every size and offset is checked against the
 * input. Free the result with kir_vendor_boot_image_free.
 *
 * # Safety
 * `data` must be NULL or `len` readable bytes; `out` NULL or writable.
 */
enum kir_status kir_vendor_boot_image_parse(const uint8_t *data,
                                            size_t len,
                                            struct kir_vendor_boot_image **out);

/**
 * Frees an image from kir_vendor_boot_image_parse; NULL is ignored.
 *
 * # Safety
 * `image` must be NULL or a live handle from kir_vendor_boot_image_parse.
 */
void kir_vendor_boot_image_free(struct kir_vendor_boot_image *image);

/**
 * `header_version` (3 or 4; 0 when `image` is NULL, as for every accessor).
 *
 * # Safety
 * `image` must be NULL or a live handle.
 */
uint32_t kir_vendor_boot_image_header_version(const struct kir_vendor_boot_image *image);

/**
 * `page_size`.
 *
 * # Safety
 * `image` must be NULL or a live handle.
 */
uint32_t kir_vendor_boot_image_page_size(const struct kir_vendor_boot_image *image);

/**
 * `kernel_addr`.
 *
 * # Safety
 * `image` must be NULL or a live handle.
 */
uint32_t kir_vendor_boot_image_kernel_addr(const struct kir_vendor_boot_image *image);

/**
 * `ramdisk_addr`.
 *
 * # Safety
 * `image` must be NULL or a live handle.
 */
uint32_t kir_vendor_boot_image_ramdisk_addr(const struct kir_vendor_boot_image *image);

/**
 * `tags_addr`.
 *
 * # Safety
 * `image` must be NULL or a live handle.
 */
uint32_t kir_vendor_boot_image_tags_addr(const struct kir_vendor_boot_image *image);

/**
 * `dtb_addr`.
 *
 * # Safety
 * `image` must be NULL or a live handle.
 */
uint64_t kir_vendor_boot_image_dtb_addr(const struct kir_vendor_boot_image *image);

/**
 * The vendor command line, borrowed from the image; NULL when `image` is NULL.
 *
 * # Safety
 * `image` must be NULL or a live handle.
 */
const char *kir_vendor_boot_image_cmdline(const struct kir_vendor_boot_image *image);

/**
 * The board name, borrowed from the image.
 *
 * # Safety
 * `image` must be NULL or a live handle.
 */
const char *kir_vendor_boot_image_name(const struct kir_vendor_boot_image *image);

/**
 * Number of vendor ramdisks (v3: 0 or 1).
 *
 * # Safety
 * `image` must be NULL or a live handle.
 */
size_t kir_vendor_boot_image_ramdisk_count(const struct kir_vendor_boot_image *image);

/**
 * Describes vendor ramdisk `index` (0-based) in `*out`, borrowed from the image.
 *
 * # Safety
 * `image` must be NULL or a live handle; `out` NULL or writable.
 */
enum kir_status kir_vendor_boot_image_ramdisk(const struct kir_vendor_boot_image *image,
                                              size_t index,
                                              struct kir_vendor_ramdisk_view *out);

/**
 * Points `*data`/`*len` at "dtb" or "bootconfig", borrowed from the image.
 *
 * # Safety
 * `image` must be NULL or a live handle, `part` NULL or a NUL-terminated
 * string, `data` and `len` NULL or writable.
 */
enum kir_status kir_vendor_boot_image_part(const struct kir_vendor_boot_image *image,
                                           const char *part,
                                           const uint8_t **data,
                                           size_t *len);

/**
 * Writes the image again (AOSP mkbootimg's layout). Free `out` with kir_bytes_free.
 *
 * # Safety
 * `image` must be NULL or a live handle; `out` NULL or a writable kir_bytes.
 */
enum kir_status kir_vendor_boot_image_to_bytes(const struct kir_vendor_boot_image *image,
                                               struct kir_bytes *out);

/**
 * Plans a tuxmake build: `argv[0..argc]` are tuxmake's options (without
 * the program name, plus `--timestamp EPOCH` and `--dynamic NAME=VALUE`).
 * On success `*out` holds the plan.json text; free it with kir_bytes_free.
 * A refused request returns KIR_STATUS_ERR_UNSUPPORTED (unknown or
 * unsupported names) or KIR_STATUS_ERR_INVALID_ARGUMENT (refused values).
 *
 * # Safety
 * `argv` must point to `argc` NUL-terminated strings (NULL only when
 * `argc` is 0); `out` must point to a writable kir_bytes.
 */
enum kir_status kir_buildplan_tuxmake(const char *const *argv, size_t argc, struct kir_bytes *out);

/**
 * Expands a TuxSuite plan (`plan[0..len]`, YAML; the matrix syntax is
 * allowed) the way TuxSuite does, with default local options (tree `.`,
 * output `output`, runtime podman), rendered as `format` (a
 * kir_plan_format value). On success `*out` holds the text; free it with
 * kir_bytes_free. An invalid plan returns KIR_STATUS_ERR_MALFORMED with the
 * file, job, key and line in kir_last_error_message().
 *
 * # Safety
 * `plan` must point to `len` readable bytes (NULL only when `len` is 0);
 * `out` must point to a writable kir_bytes.
 */
enum kir_status kir_buildplan_expand(const uint8_t *plan,
                                     size_t len,
                                     uint32_t format,
                                     struct kir_bytes *out);

/**
 * Builds an ext4 image from the uncompressed tar archive `tar[0..len]`
 * (owners, modes, devices, hard links and xattrs from its headers).
 * `profile` is a kir_ext4_profile value. The image is `size_bytes` long, or
 * when that is 0 sized from the content plus `slack_bytes` of free space.
 * On success `*out` holds the image; free it with kir_bytes_free.
 *
 * # Safety
 * `tar` must point to `len` readable bytes (NULL only when `len` is 0);
 * `out` must point to a writable kir_bytes.
 */
enum kir_status kir_ext4_from_tar(const uint8_t *tar,
                                  size_t len,
                                  uint32_t profile,
                                  uint64_t size_bytes,
                                  uint64_t slack_bytes,
                                  struct kir_bytes *out);

/**
 * Reads the ext4 image `image[0..len]` (ours or mke2fs's, checksums
 * verified) into a tree; free it with kir_ext4_tree_free. A malformed
 * image returns KIR_STATUS_ERR_MALFORMED naming the field and offset.
 *
 * # Safety
 * `image` must point to `len` readable bytes (NULL only when `len` is 0);
 * `out` must point to a writable pointer.
 */
enum kir_status kir_ext4_read(const uint8_t *image, size_t len, struct kir_ext4_tree **out);

/**
 * Frees a tree; NULL is allowed.
 *
 * # Safety
 * `tree` must be NULL or a tree from kir_ext4_read not freed yet.
 */
void kir_ext4_tree_free(struct kir_ext4_tree *tree);

/**
 * Number of entries in the tree (the root `/` included); 0 for NULL.
 *
 * # Safety
 * `tree` must be NULL or a live tree.
 */
size_t kir_ext4_tree_len(const struct kir_ext4_tree *tree);

/**
 * Path of entry `index` (absolute, `/` first), borrowed from the tree;
 * NULL for a NULL tree or an index past the end.
 *
 * # Safety
 * `tree` must be NULL or a live tree.
 */
const char *kir_ext4_tree_path(const struct kir_ext4_tree *tree, size_t index);

/**
 * Mode of entry `index`: file type and permission bits as in `st_mode`
 * (0 for a NULL tree or an index past the end).
 *
 * # Safety
 * `tree` must be NULL or a live tree.
 */
uint32_t kir_ext4_tree_mode(const struct kir_ext4_tree *tree, size_t index);

/**
 * Owner (uid, gid) of entry `index`, written to `*uid` and `*gid`.
 *
 * # Safety
 * `tree` must be a live tree; `uid` and `gid` must point to writable uint32_t.
 */
enum kir_status kir_ext4_tree_owner(const struct kir_ext4_tree *tree,
                                    size_t index,
                                    uint32_t *uid,
                                    uint32_t *gid);

/**
 * Size of entry `index`: bytes of a file (holes included), length of a
 * symlink's target, 0 otherwise (and for a NULL tree or a bad index).
 *
 * # Safety
 * `tree` must be NULL or a live tree.
 */
uint64_t kir_ext4_tree_size(const struct kir_ext4_tree *tree, size_t index);

/**
 * Content of the regular file at `path` (holes as zeros), or the target of
 * the symlink at `path`, into `*out`; free it with kir_bytes_free.
 * KIR_STATUS_ERR_INVALID_ARGUMENT when nothing is there or it is another kind.
 *
 * # Safety
 * `tree` must be a live tree, `path` a NUL-terminated string, `out` a
 * writable kir_bytes.
 */
enum kir_status kir_ext4_tree_read(const struct kir_ext4_tree *tree,
                                   const char *path,
                                   struct kir_bytes *out);

/**
 * Writes the tree as a fresh ext4 image (re-imaging: any size, either
 * profile; `size_bytes` 0 sizes it from the content plus `slack_bytes`).
 * On success `*out` holds the image; free it with kir_bytes_free.
 *
 * # Safety
 * `tree` must be a live tree; `out` a writable kir_bytes.
 */
enum kir_status kir_ext4_tree_to_image(const struct kir_ext4_tree *tree,
                                       uint32_t profile,
                                       uint64_t size_bytes,
                                       uint64_t slack_bytes,
                                       struct kir_bytes *out);

/**
 * Writes the tree as an uncompressed pax tar archive into `*out`; free it
 * with kir_bytes_free.
 *
 * # Safety
 * `tree` must be a live tree; `out` a writable kir_bytes.
 */
enum kir_status kir_ext4_tree_to_tar(const struct kir_ext4_tree *tree, struct kir_bytes *out);

/**
 * KIR's resize_rootfs.sh on files: reads `rootfs` (.ext4 or .tar, plain or
 * .gz/.xz/.zst), lays the tarball `overlay` (NULL: none) under
 * `modules_path` (NULL: "/"), and writes a fresh image with
 * `extra_size_kib` KiB free into `output_dir`. `flags` ORs
 * KIR_RESIZE_CLEAR_MODULES, KIR_RESIZE_SPARSE and KIR_RESIZE_XZ. On success
 * `*out_path` holds the path of the image written, NUL-terminated (`len`
 * counts the NUL; free it with kir_bytes_free). Outputs go through temporary files; nothing is left
 * behind on failure and the input is never modified.
 *
 * # Safety
 * `rootfs` and `output_dir` must be NUL-terminated strings, `overlay` and
 * `modules_path` NULL or NUL-terminated, `out_path` a writable kir_bytes.
 */
enum kir_status kir_resize_rootfs(const char *rootfs,
                                  const char *overlay,
                                  const char *modules_path,
                                  uint32_t flags,
                                  uint64_t extra_size_kib,
                                  uint32_t profile,
                                  const char *output_dir,
                                  struct kir_bytes *out_path);

/**
 * Validates a LAVA job (`job[0..len]`, YAML) as LAVA's schema does
 * (`strict` refuses unknown keys), plus the checks LAVA's server and
 * dispatcher make. On success `*out` holds a JSON report
 * `{"valid", "lava_accepts", "issues": [{"kind", "severity", "path", "line",
 * "column", "message"}]}`; free it with kir_bytes_free. An invalid job is
 * still KIR_STATUS_OK: the verdict is in the report.
 *
 * # Safety
 * `job` must point to `len` readable bytes (NULL only when `len` is 0);
 * `out` must point to a writable kir_bytes.
 */
enum kir_status kir_lava_validate(const uint8_t *job,
                                  size_t len,
                                  bool strict,
                                  struct kir_bytes *out);

/**
 * Reads a LAVA job (`job[0..len]`, YAML) into kir's typed model and writes
 * it back as YAML that LAVA's YAML 1.1 reader reads as the same data
 * (unknown keys kept). A job with a top-level key of the wrong type returns
 * KIR_STATUS_ERR_MALFORMED; deeper down, such a key is kept as written, as
 * LAVA's non-strict mode lets it pass.
 *
 * # Safety
 * `job` must point to `len` readable bytes (NULL only when `len` is 0);
 * `out` must point to a writable kir_bytes.
 */
enum kir_status kir_lava_job_normalize(const uint8_t *job, size_t len, struct kir_bytes *out);

/**
 * Builds a LAVA job from JSON (`json[0..len]`, the job's keys as LAVA names
 * them) through kir's typed model and writes it as LAVA YAML: the way to
 * write jobs from C. Invalid JSON or a shape the model refuses returns
 * KIR_STATUS_ERR_MALFORMED.
 *
 * # Safety
 * `json` must point to `len` readable bytes (NULL only when `len` is 0);
 * `out` must point to a writable kir_bytes.
 */
enum kir_status kir_lava_job_from_json(const uint8_t *json, size_t len, struct kir_bytes *out);

/**
 * Encodes `data[0..len]` as a sparse image with `block_size`-byte blocks
 * (a multiple of 4; img2simg uses 4096) and img2simg's rules, so the bytes
 * are the ones img2simg writes. On success `*out` holds the image; free it
 * with kir_bytes_free.
 *
 * # Safety
 * `data` must point to `len` readable bytes (NULL only when `len` is 0);
 * `out` must point to a writable kir_bytes.
 */
enum kir_status kir_sparse_encode(const uint8_t *data,
                                  size_t len,
                                  uint32_t block_size,
                                  struct kir_bytes *out);

/**
 * Expands the sparse image `data[0..len]`, checking every chunk size, the
 * block total and the checksums; DONT_CARE blocks read as zeros. On success
 * `*out` holds the raw image; free it with kir_bytes_free. A malformed
 * image returns KIR_STATUS_ERR_MALFORMED with the chunk and offset in
 * kir_last_error_message.
 *
 * # Safety
 * As kir_sparse_encode.
 */
enum kir_status kir_sparse_decode(const uint8_t *data, size_t len, struct kir_bytes *out);

/**
 * Builds the disk image described by the TOML text `layout` (the format of
 * `kir disk-image`) at the path `output`; relative paths in the layout
 * start at `base_dir`.
 *
 * # Safety
 * `layout`, `base_dir` and `output` must be NUL-terminated strings.
 */
enum kir_status kir_disk_image(const char *layout, const char *base_dir, const char *output);

/**
 * Renders one test case for one device type as `lava-test-plans --dry-run`
 * writes it. `template_path` is the root of a lava-test-plans template tree, or
 * NULL for the compiled-in templates; `variables[0..variables_len]` are
 * variable files merged left to right, then the `KEY=VALUE` items
 * `overwrite_variables[0..overwrite_len]`. On success `*out` holds the job's
 * YAML (UTF-8, not NUL-terminated); free it with kir_bytes_free. A template
 * error returns KIR_STATUS_ERR_CHECK (undefined variable),
 * KIR_STATUS_ERR_INVALID_ARGUMENT (unknown device type or test) or
 * KIR_STATUS_ERR_MALFORMED (template or job syntax), and
 * kir_last_error_message() names the variable, the template and the line.
 *
 * # Safety
 * `template_path` must be NULL or a NUL-terminated string; `device_type` and
 * `test` NUL-terminated strings; `variables` and `overwrite_variables` must
 * point to their count of NUL-terminated strings (NULL only when the count
 * is 0); `out` must point to a writable kir_bytes.
 */
enum kir_status kir_testplan_render(const char *template_path,
                                    const char *device_type,
                                    const char *test,
                                    const char *const *variables,
                                    size_t variables_len,
                                    const char *const *overwrite_variables,
                                    size_t overwrite_len,
                                    struct kir_bytes *out);

/**
 * Renders a matrix of jobs in parallel: every device type × test × variable
 * set. `request[0..len]` is a JSON object with `device_types` (required) and
 * optionally `tests`, `test_plans`, `variable_sets` (a list of lists of
 * variable files), `overwrite_variables`, `template_path` (absent or null: the
 * compiled-in templates), `testplan_path`, `testcase_path`,
 * `testplan_device_path`, `overlays` (`[{"url", "path"}]`), `validate` (check
 * each job with LAVA's rules) and `raw` (also return the raw render). Unknown
 * keys are refused.
 *
 * On success `*out` holds a JSON object `{"jobs": [...]}`, one entry per job,
 * device-major: `device_type`, `test`, and either `output_path` and `yaml`
 * (plus `raw`, and `lava_accepts` and `lava_errors` when asked) or `error`
 * (`kind`, `message`, `variable`, `template`, `file`, `line`, `column`,
 * `reason`). A job that fails does not stop the others and the call still
 * returns KIR_STATUS_OK. The call fails only when the matrix is unusable: bad
 * JSON (KIR_STATUS_ERR_INVALID_ARGUMENT), no device type or test, an
 * unreadable variables file or test plan.
 *
 * # Safety
 * `request` must point to `len` readable bytes (NULL only when `len` is 0);
 * `out` must point to a writable kir_bytes.
 */
enum kir_status kir_testplan_render_matrix(const uint8_t *request,
                                           size_t len,
                                           struct kir_bytes *out);

#ifdef __cplusplus
}  // extern "C"
#endif  // __cplusplus

#endif  /* KIR_H */
