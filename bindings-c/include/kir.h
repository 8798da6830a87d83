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

#ifdef __cplusplus
}  // extern "C"
#endif  // __cplusplus

#endif  /* KIR_H */
