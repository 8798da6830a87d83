/*
 * Builds an Android boot image (header v2, as KIR does for the e850-96
 * board) from in-memory parts with libkir, parses it back and checks every
 * field; then shows how a failure reports its status and message.
 *
 *   cc bootimg.c $(pkg-config --cflags --libs kir) -o bootimg
 *   ./bootimg [OUTPUT.img]
 *
 * Exits 0 when every check passes, 1 otherwise.
 */
#include <kir.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0;

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, \
                    #cond);                                                    \
            failures++;                                                        \
        }                                                                      \
    } while (0)

/* Prints the failed call's status and message; returns 1 when it failed. */
static int failed(const char *what, kir_status status) {
    if (status == KIR_STATUS_OK) {
        return 0;
    }
    const char *message = kir_last_error_message();
    fprintf(stderr, "%s: %s: %s\n", what, kir_status_name((uint32_t)status),
            message ? message : "(no message)");
    failures++;
    return 1;
}

static int same_bytes(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len) {
    return a_len == b_len && (a_len == 0 || memcmp(a, b, a_len) == 0);
}

int main(int argc, char **argv) {
    static uint8_t kernel[123457];
    static const uint8_t dtb[] = {0xd0, 0x0d, 0xfe, 0xed, 0x00, 0x00, 0x00, 0x28};
    const char *cmdline = "rw androidboot.hardware=exynos850 earlycon";
    for (size_t i = 0; i < sizeof kernel; i++) {
        kernel[i] = (uint8_t)(i * 7u + 3u);
    }

    printf("libkir %s (header %d.%d.%d)\n", kir_version(), KIR_VERSION_MAJOR,
           KIR_VERSION_MINOR, KIR_VERSION_PATCH);

    /* 1. mkbootimg --header_version 2 --kernel ... --dtb ... --tags_offset 0 --dtb_offset 0 */
    kir_mkbootimg_args *args = NULL;
    if (failed("kir_mkbootimg_args_new", kir_mkbootimg_args_new(&args))) {
        return 1;
    }
    failed("header_version", kir_mkbootimg_args_set_int(args, "header_version", 2));
    failed("tags_offset", kir_mkbootimg_args_set_int(args, "tags_offset", 0));
    failed("dtb_offset", kir_mkbootimg_args_set_int(args, "dtb_offset", 0));
    failed("kernel", kir_mkbootimg_args_set_file(args, "kernel", kernel, sizeof kernel));
    failed("dtb", kir_mkbootimg_args_set_file(args, "dtb", dtb, sizeof dtb));
    failed("cmdline", kir_mkbootimg_args_set_string(args, "cmdline", cmdline));
    failed("os_version", kir_mkbootimg_args_set_string(args, "os_version", "10"));
    failed("os_patch_level", kir_mkbootimg_args_set_string(args, "os_patch_level", "2019-12-01"));

    kir_bytes image = {0};
    if (failed("kir_mkbootimg_boot_image", kir_mkbootimg_boot_image(args, &image))) {
        kir_mkbootimg_args_free(args);
        return 1;
    }
    kir_mkbootimg_args_free(args);
    CHECK(image.len == (1 + 61 + 1) * 2048); /* header, kernel (61 pages), dtb */
    CHECK(memcmp(image.data, "ANDROID!", 8) == 0);

    if (argc > 1) {
        FILE *f = fopen(argv[1], "wb");
        CHECK(f != NULL);
        if (f) {
            CHECK(fwrite(image.data, 1, image.len, f) == image.len);
            fclose(f);
        }
    }

    /* 2. Parse it back. */
    kir_boot_image *parsed = NULL;
    if (!failed("kir_boot_image_parse", kir_boot_image_parse(image.data, image.len, &parsed))) {
        const uint8_t *part = NULL;
        size_t len = 0;
        CHECK(kir_boot_image_header_version(parsed) == 2);
        CHECK(kir_boot_image_page_size(parsed) == 2048);
        CHECK(kir_boot_image_kernel_addr(parsed) == 0x10008000u);
        CHECK(kir_boot_image_ramdisk_addr(parsed) == 0);
        CHECK(kir_boot_image_tags_addr(parsed) == 0x10000000u);
        CHECK(kir_boot_image_dtb_addr(parsed) == 0x10000000u);
        CHECK(strcmp(kir_boot_image_cmdline(parsed), cmdline) == 0);
        CHECK(strcmp(kir_boot_image_os_version(parsed), "10.0.0") == 0);
        CHECK(strcmp(kir_boot_image_os_patch_level(parsed), "2019-12") == 0);
        failed("kernel part", kir_boot_image_part(parsed, "kernel", &part, &len));
        CHECK(same_bytes(part, len, kernel, sizeof kernel));
        failed("dtb part", kir_boot_image_part(parsed, "dtb", &part, &len));
        CHECK(same_bytes(part, len, dtb, sizeof dtb));
        failed("ramdisk part", kir_boot_image_part(parsed, "ramdisk", &part, &len));
        CHECK(part == NULL && len == 0);

        kir_bytes again = {0};
        failed("kir_boot_image_to_bytes", kir_boot_image_to_bytes(parsed, &again));
        CHECK(same_bytes(again.data, again.len, image.data, image.len));
        kir_bytes_free(&again);
        kir_boot_image_free(parsed);
    }

    /* 3. Failures: a status, a message naming offset and field, no output. */
    kir_boot_image *bad = (kir_boot_image *)&failures; /* must be reset to NULL */
    kir_status status = kir_boot_image_parse(image.data, 4096, &bad);
    CHECK(status == KIR_STATUS_ERR_MALFORMED);
    CHECK(bad == NULL);
    CHECK(kir_last_error_message() != NULL &&
          strstr(kir_last_error_message(), "kernel_size") != NULL);
    printf("truncated image: %s: %s\n", kir_status_name((uint32_t)status), kir_last_error_message());

    CHECK(kir_boot_image_parse(NULL, 10, &bad) == KIR_STATUS_ERR_NULL);
    CHECK(kir_boot_image_parse(image.data, image.len, NULL) == KIR_STATUS_ERR_NULL);
    CHECK(kir_boot_image_header_version(NULL) == 0);
    CHECK(kir_mkbootimg_args_set_int(NULL, "base", 0) == KIR_STATUS_ERR_NULL);
    kir_boot_image_free(NULL);
    kir_bytes_free(NULL);

    kir_bytes_free(&image);
    CHECK(image.data == NULL && image.len == 0);

    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("boot image v2: built, parsed back, identical on rewrite\n");
    return 0;
}
