/*
 * ext4 root file systems with libkir: builds an image from a small tar
 * archive made here in memory, reads it back and lists it, re-images the
 * tree in the debian profile at a fixed size, writes it out as tar again,
 * and runs KIR's resize-rootfs flow on files in a temporary directory
 * (sparse output). Ends with an error case to show status and message.
 *
 *   cc ext4.c $(pkg-config --cflags --libs kir) -o ext4
 *   ./ext4
 *
 * Exits 0 when every check passes, 1 otherwise.
 */
#define _POSIX_C_SOURCE 200809L
#include <kir.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* One 512-byte ustar header: name, mode, owner, size, type, checksum. */
static void tar_header(uint8_t *h, const char *name, unsigned mode, unsigned uid,
                       size_t size, char type) {
    memset(h, 0, 512);
    snprintf((char *)h, 100, "%s", name);
    snprintf((char *)h + 100, 8, "%07o", mode);
    snprintf((char *)h + 108, 8, "%07o", uid);
    snprintf((char *)h + 116, 8, "%07o", uid);
    snprintf((char *)h + 124, 12, "%011lo", (unsigned long)size);
    snprintf((char *)h + 136, 12, "%011lo", 1700000000UL);
    h[156] = (uint8_t)type;
    memcpy(h + 257, "ustar", 6);
    memcpy(h + 263, "00", 2);
    memset(h + 148, ' ', 8);
    unsigned sum = 0;
    for (int i = 0; i < 512; i++) {
        sum += h[i];
    }
    snprintf((char *)h + 148, 8, "%06o", sum);
}

static const char MOTD[] = "built by libkir\n";

/* etc/ (0755) and etc/motd (0640, owner 1000), then the two end blocks. */
static uint8_t *make_tar(size_t *len) {
    *len = 512 * 5;
    uint8_t *tar = calloc(1, *len);
    if (!tar) {
        return NULL;
    }
    tar_header(tar, "etc/", 0755, 0, 0, '5');
    tar_header(tar + 512, "etc/motd", 0640, 1000, strlen(MOTD), '0');
    memcpy(tar + 1024, MOTD, strlen(MOTD));
    return tar;
}

static void list(const kir_ext4_tree *tree) {
    size_t n = kir_ext4_tree_len(tree);
    for (size_t i = 0; i < n; i++) {
        uint32_t uid = 0, gid = 0;
        if (failed("kir_ext4_tree_owner", kir_ext4_tree_owner(tree, i, &uid, &gid))) {
            return;
        }
        printf("  %06o %4u:%-4u %8llu %s\n", (unsigned)kir_ext4_tree_mode(tree, i),
               (unsigned)uid, (unsigned)gid,
               (unsigned long long)kir_ext4_tree_size(tree, i), kir_ext4_tree_path(tree, i));
    }
}

/* resize-rootfs on a tar file in a temporary directory, sparse output. */
static void resize_on_files(const uint8_t *tar, size_t tar_len) {
    char dir[] = "/tmp/kir-ext4-example-XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        failures++;
        return;
    }
    char input[64];
    snprintf(input, sizeof input, "%s/demo.rootfs.tar", dir);
    FILE *f = fopen(input, "wb");
    if (!f || fwrite(tar, 1, tar_len, f) != tar_len || fclose(f) != 0) {
        perror(input);
        failures++;
        return;
    }
    kir_bytes path = {0};
    if (!failed("kir_resize_rootfs",
                kir_resize_rootfs(input, NULL, NULL, KIR_RESIZE_SPARSE, 4000,
                                  KIR_EXT4_PROFILE_COMPAT, dir, &path))) {
        printf("resize-rootfs wrote %s\n", (const char *)path.data);
        CHECK(strstr((const char *)path.data, "demo.new.rootfs.img") != NULL);
        FILE *img = fopen((const char *)path.data, "rb");
        unsigned char magic[4] = {0};
        CHECK(img && fread(magic, 1, 4, img) == 4);
        CHECK(magic[0] == 0x3a && magic[1] == 0xff && magic[2] == 0x26 && magic[3] == 0xed);
        if (img) {
            fclose(img);
        }
        unlink((const char *)path.data);
    }
    kir_bytes_free(&path);
    unlink(input);
    rmdir(dir);
}

int main(void) {
    size_t tar_len = 0;
    uint8_t *tar = make_tar(&tar_len);
    if (!tar) {
        return 1;
    }

    kir_bytes image = {0};
    if (failed("kir_ext4_from_tar", kir_ext4_from_tar(tar, tar_len, KIR_EXT4_PROFILE_COMPAT,
                                                      0, 1 << 20, &image))) {
        free(tar);
        return 1;
    }
    printf("built a %zu-byte ext4 image\n", image.len);

    kir_ext4_tree *tree = NULL;
    if (!failed("kir_ext4_read", kir_ext4_read(image.data, image.len, &tree))) {
        list(tree);
        kir_bytes motd = {0};
        if (!failed("kir_ext4_tree_read", kir_ext4_tree_read(tree, "/etc/motd", &motd))) {
            CHECK(motd.len == strlen(MOTD) && memcmp(motd.data, MOTD, motd.len) == 0);
        }
        kir_bytes_free(&motd);

        kir_bytes again = {0};
        if (!failed("kir_ext4_tree_to_image",
                    kir_ext4_tree_to_image(tree, KIR_EXT4_PROFILE_DEBIAN, 8u << 20, 0, &again))) {
            CHECK(again.len == 8u << 20);
            kir_ext4_tree *back = NULL;
            if (!failed("kir_ext4_read", kir_ext4_read(again.data, again.len, &back))) {
                CHECK(kir_ext4_tree_len(back) == kir_ext4_tree_len(tree));
            }
            kir_ext4_tree_free(back);
        }
        kir_bytes_free(&again);

        kir_bytes out_tar = {0};
        if (!failed("kir_ext4_tree_to_tar", kir_ext4_tree_to_tar(tree, &out_tar))) {
            CHECK(out_tar.len > 0 && out_tar.len % 512 == 0);
        }
        kir_bytes_free(&out_tar);
    }
    kir_ext4_tree_free(tree);
    kir_bytes_free(&image);

    resize_on_files(tar, tar_len);
    free(tar);

    /* An unknown profile is refused with a status and a message. */
    kir_bytes none = {0};
    kir_status status = kir_ext4_from_tar(NULL, 0, 42, 0, 0, &none);
    CHECK(status == KIR_STATUS_ERR_INVALID_ARGUMENT);
    CHECK(none.data == NULL && none.len == 0);
    const char *message = kir_last_error_message();
    CHECK(message != NULL && strstr(message, "profile") != NULL);
    printf("profile 42: %s: %s\n", kir_status_name((uint32_t)status), message ? message : "");

    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("all ext4 checks passed\n");
    return 0;
}
