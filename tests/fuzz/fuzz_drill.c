/*
 * fuzz_drill.c — libFuzzer target for the drill parser.
 * Built and run by `make fuzz` (clang -fsanitize=fuzzer,address,undefined).
 * Any input that crashed once is kept under tests/fuzz/regressions/ and replayed by `make check`.
 */
#include <stddef.h>
#include <stdint.h>

#include "sftpdrill/language/drill.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sd_diag diag = { 0 };
	struct sd_vars defs = { 0 };
	struct sd_drill *d;

	sd_vars_set(&defs, "RRS_PROFILE", "fuzz.profile", SD_VAR_CMDLINE);
	d = sd_drill_parse_buffer("fuzz.drill", (const char *)data, size, &defs, NULL, &diag);
	sd_drill_free(d);
	sd_diag_release(&diag);
	sd_vars_release(&defs);
	return 0;
}
