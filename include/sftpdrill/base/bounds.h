/* bounds.h — what one connection may spend: a deadline per phase, and caps on what a server may send. */
#ifndef SD_BOUNDS_H
#define SD_BOUNDS_H

#include <stddef.h>
#include <stdint.h>

/* Phase deadlines in milliseconds (defaults in docs/drill-language.md). */
struct sd_timeouts {
	int64_t connect, banner, kex, auth, sftp_init, sftp_op, step;
};

/*
 * Caps on what a server may send (`limit` in a drill; defaults in
 * docs/drill-language.md): whatever it sends, memory and disk stay bounded.
 */
struct sd_limits {
	uint64_t max_size;          /* bytes of a file whose size the server did not announce (FileTooLarge) */
	uint64_t max_entries;       /* entries of one listing (ListingTooLarge) */
	uint64_t max_names;         /* bytes of names of one listing (ListingTooLarge) */
	uint64_t max_inflight;      /* file handles open at once on one connection (servers that cap them) */
	uint64_t max_channels;      /* SFTP channels a batch of downloads opens on one connection (1 to 10) */
};

#define SD_LIMIT_SIZE ((uint64_t)4 << 30)
#define SD_LIMIT_ENTRIES ((uint64_t)250000)
#define SD_LIMIT_NAMES ((uint64_t)16 << 20)
#define SD_LIMIT_INFLIGHT ((uint64_t)16)
#define SD_LIMIT_CHANNELS ((uint64_t)10)

#endif
