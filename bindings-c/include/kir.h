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

#ifdef __cplusplus
}  // extern "C"
#endif  // __cplusplus

#endif  /* KIR_H */
