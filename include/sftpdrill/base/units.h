/* units.h — the one grammar for durations and sizes, in drills and on the command line alike. */
#ifndef SD_UNITS_H
#define SD_UNITS_H

#include <stddef.h>
#include <stdint.h>

/*
 * A duration: digits and a unit, ms, s, m or min, h ("500ms", "30s", "5m",
 * "2min", "1h"). A bare number is refused (is "5" seconds or minutes?).
 * Returns milliseconds, or -1 when malformed or longer than a day.
 */
int64_t sd_duration_parse(const char *s);

/* A duration as its shortest exact text in that grammar ("90s", "5m", "250ms"); buf at least 24 bytes. */
void sd_duration_format(int64_t ms, char *buf, size_t len);

/* A count or size: digits and an optional unit (B, KiB, MiB, GiB, TiB); 0, or -1 if malformed. */
int sd_size_parse(const char *s, uint64_t *out);

#endif
