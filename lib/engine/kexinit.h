/* kexinit.h — private to lib/: what the server offered in its first KEXINIT, read off the wire as it arrives. */
#ifndef SD_KEXINIT_H
#define SD_KEXINIT_H

#include <stddef.h>

#include "sftpdrill/base/buf.h"

/* The name-lists of a KEXINIT (RFC 4253 §7.1), in order. */
enum sd_kexinit_list {
	SD_KEXINIT_KEX, SD_KEXINIT_HOSTKEY, SD_KEXINIT_CIPHER_CS, SD_KEXINIT_CIPHER_SC, SD_KEXINIT_MAC_CS,
	SD_KEXINIT_MAC_SC, SD_KEXINIT_COMP_CS, SD_KEXINIT_COMP_SC, SD_KEXINIT_LANG_CS, SD_KEXINIT_LANG_SC,
	SD_KEXINIT__LISTS
};

/*
 * Watches the bytes a server sends until its first KEXINIT is whole: the
 * identification lines, then one binary packet (still in clear). Bounded:
 * at most 64 KiB are kept, then it gives up. libssh2 keeps what the server
 * offered to itself; this is how sftpdrill learns it (strict key exchange,
 * the algorithms to name when none agree).
 */
struct sd_kexinit {
	struct sd_buf seen;
	int done;                   /* parsed, or given up */
	int parsed;                 /* lists hold the server's offer */
	char *lists[SD_KEXINIT__LISTS];
};

/* Feed bytes received from the server; cheap once done. */
void sd_kexinit_feed(struct sd_kexinit *k, const void *data, size_t len);

/* Does list name algorithm (exactly, as one comma-separated item)? */
int sd_kexinit_offers(const struct sd_kexinit *k, enum sd_kexinit_list list, const char *algorithm);

void sd_kexinit_release(struct sd_kexinit *k);

#endif
