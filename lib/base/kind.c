/* kind.c — the one table of failure kinds. */
#include <string.h>

#include "sftpdrill/base/buf.h"
#include "sftpdrill/base/kind.h"
#include "sftpdrill/base/util.h"

static const struct sd_kind_desc kinds[SD_KIND__COUNT] = {
#define KIND(id, name, status, flags, meaning, hint) { name, status, flags, meaning, hint },
#include "sftpdrill/base/kinds.def"
#undef KIND
};

const struct sd_kind_desc *
sd_kind(enum sd_kind k)
{
	if ((unsigned)k >= SD_KIND__COUNT)
		k = SD_KIND_NONE;
	return &kinds[k];
}

const char *
sd_kind_name(enum sd_kind k)
{
	return sd_kind(k)->name;
}

const char *
sd_status_name(enum sd_status st)
{
	static const char *const names[] = {
		[SD_PASS] = "passed", [SD_FAIL] = "failed", [SD_ERROR] = "error", [SD_SKIP] = "skipped",
	};

	return (unsigned)st < sizeof(names) / sizeof(names[0]) ? names[st] : "unknown";
}

void
sd_kind_doc_row(enum sd_kind k, struct sd_buf *out)
{
	static const char *const verdict[] = {
		[SD_PASS] = "passed", [SD_FAIL] = "failure", [SD_ERROR] = "error", [SD_SKIP] = "skipped",
	};
	const struct sd_kind_desc *d = sd_kind(k);

	sd_buf_addf(out, "| `%s` | %s | %s |\n", d->name, verdict[d->status], d->meaning);
}
