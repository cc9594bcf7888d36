/* kexinit.c — reading the server's first KEXINIT as it streams in. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kexinit.h"
#include "sftpdrill/base/util.h"

#define SEEN_MAX (64 * 1024)
#define PACKET_MAX 35000        /* RFC 4253 §6.1: what every implementation must accept */
#define SSH_MSG_KEXINIT 20

static uint32_t
get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Where binary packets start: after the "SSH-" identification line (lines before it are allowed). 0 if not yet. */
static size_t
after_banner(const char *s, size_t len)
{
	size_t line = 0;

	while (line < len) {
		const char *nl = memchr(s + line, '\n', len - line);
		if (nl == NULL)
			return 0;
		if (len - line >= 4 && memcmp(s + line, "SSH-", 4) == 0)
			return (size_t)(nl - s) + 1;
		line = (size_t)(nl - s) + 1;
	}
	return 0;
}

/* Parse the KEXINIT payload p[0..len): message number, cookie, ten name-lists. */
static int
parse_payload(struct sd_kexinit *k, const unsigned char *p, size_t len)
{
	size_t at = 17;

	if (len < at || p[0] != SSH_MSG_KEXINIT)
		return -1;
	for (int i = 0; i < SD_KEXINIT__LISTS; i++) {
		uint32_t n;
		if (len - at < 4)
			return -1;
		n = get32(p + at);
		at += 4;
		if (n > len - at)
			return -1;
		/* Names are the server's bytes: kept only as text that is safe to show. */
		k->lists[i] = sd_printable((const char *)p + at, n);
		at += n;
	}
	return 0;
}

static void
try_parse(struct sd_kexinit *k)
{
	const unsigned char *s = (const unsigned char *)k->seen.p;
	size_t start = after_banner(k->seen.p, k->seen.len), plen, padding;

	if (start == 0 || k->seen.len - start < 5)
		return;
	plen = get32(s + start);
	if (plen < 16 || plen > PACKET_MAX) {
		k->done = 1;
		return;
	}
	if (k->seen.len - start < 4 + plen)
		return;
	padding = s[start + 4];
	k->done = 1;
	if (padding + 1 <= plen && parse_payload(k, s + start + 5, plen - 1 - padding) == 0)
		k->parsed = 1;
}

void
sd_kexinit_feed(struct sd_kexinit *k, const void *data, size_t len)
{
	if (k->done)
		return;
	k->seen.max = SEEN_MAX;
	if (sd_buf_add(&k->seen, data, len) < 0)
		k->done = 1;
	else
		try_parse(k);
	if (k->done)
		sd_buf_release(&k->seen);
}

int
sd_kexinit_offers(const struct sd_kexinit *k, enum sd_kexinit_list list, const char *algorithm)
{
	size_t n = strlen(algorithm);
	const char *p = k->parsed ? k->lists[list] : NULL;

	while (p != NULL && *p) {
		size_t item = strcspn(p, ",");
		if (item == n && strncmp(p, algorithm, n) == 0)
			return 1;
		p += item + (p[item] == ',');
	}
	return 0;
}

void
sd_kexinit_release(struct sd_kexinit *k)
{
	sd_buf_release(&k->seen);
	for (int i = 0; i < SD_KEXINIT__LISTS; i++)
		free(k->lists[i]);
	memset(k, 0, sizeof(*k));
}
