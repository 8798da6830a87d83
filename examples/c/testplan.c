/*
 * Renders LAVA jobs with libkir's lava-test-plans engine from the templates
 * compiled into the library (a QEMU arm64 and a fastboot board, a boot and an
 * LTP test): one job, then a whole matrix in one parallel call, then a job
 * that fails and names the missing variable, template and line.
 *
 *   cc testplan.c $(pkg-config --cflags --libs kir) -o testplan
 *   ./testplan
 *
 * Exits 0 when every check passes, 1 otherwise.
 */
#include <kir.h>

#include <stdio.h>
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

/* Whether the len bytes at data contain the NUL-terminated needle. */
static int contains(const uint8_t *data, size_t len, const char *needle) {
    size_t n = strlen(needle);
    for (size_t i = 0; n <= len && i <= len - n; i++) {
        if (memcmp(data + i, needle, n) == 0) {
            return 1;
        }
    }
    return 0;
}

/* How many times the NUL-terminated needle occurs in the len bytes at data. */
static size_t count(const uint8_t *data, size_t len, const char *needle) {
    size_t n = strlen(needle), found = 0;
    for (size_t i = 0; n <= len && i <= len - n; i++) {
        if (memcmp(data + i, needle, n) == 0) {
            found++;
        }
    }
    return found;
}

int main(void) {
    /* "variables.ini" is not in the working directory, so it is read from the
     * compiled-in tree, as lava-test-plans reads it from its package. */
    const char *variables[] = {"variables.ini"};
    const char *overrides[] = {"BUILD_NUMBER=7"};

    /* 1. One job: lava-test-plans --device-type dragonboard-845c --test-case boot.yaml */
    kir_bytes job = {NULL, 0};
    if (!failed("kir_testplan_render",
                kir_testplan_render(NULL, "dragonboard-845c", "boot.yaml", variables, 1,
                                    overrides, 1, &job))) {
        CHECK(contains(job.data, job.len, "to: fastboot"));
        CHECK(contains(job.data, job.len, "kir-example-7-boot"));
        printf("dragonboard-845c/boot.yaml: %zu bytes\n", job.len);
    }
    kir_bytes_free(&job);
    CHECK(job.data == NULL && job.len == 0);

    /* 2. A matrix: 2 device types x the smoke plan's 2 tests, validated. */
    static const char request[] =
        "{\"device_types\": [\"qemu-arm64\", \"dragonboard-845c\"],"
        " \"test_plans\": [\"smoke\"],"
        " \"variable_sets\": [[\"variables.ini\"]],"
        " \"validate\": true}";
    kir_bytes result = {NULL, 0};
    if (!failed("kir_testplan_render_matrix",
                kir_testplan_render_matrix((const uint8_t *)request, strlen(request),
                                           &result))) {
        CHECK(count(result.data, result.len, "\"output_path\":") == 4);
        CHECK(count(result.data, result.len, "\"lava_accepts\":true") == 4);
        CHECK(count(result.data, result.len, "\"error\":null") == 4);
        printf("matrix: %zu bytes of JSON for 4 jobs\n", result.len);
    }
    kir_bytes_free(&result);

    /* 3. A missing variable: the status says which family, the message where. */
    const char *partial[] = {"PROJECT_NAME=p", "BUILD_NUMBER=1", "KERNEL_URL=k"};
    kir_status status =
        kir_testplan_render(NULL, "qemu-arm64", "boot.yaml", NULL, 0, partial, 3, &job);
    CHECK(status == KIR_STATUS_ERR_CHECK);
    CHECK(job.data == NULL);
    const char *message = kir_last_error_message();
    CHECK(message != NULL && strstr(message, "'ROOTFS_URL' is undefined (in qemu.jinja2, line"));
    printf("expected failure: %s: %s\n", kir_status_name((uint32_t)status),
           message ? message : "(none)");

    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("all checks passed\n");
    return 0;
}
