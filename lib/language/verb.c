/* verb.c — the verb table: each verb's keyword, argument shape and needs. */
#include <stddef.h>

#include "sftpdrill/base/util.h"
#include "sftpdrill/language/verb.h"

static const struct sd_verb_desc verbs[SD_VERB__COUNT] = {
	[SD_VERB_EXPECT_TARGET] = { "expect-target", SD_ARGS_SET, 0,
		"expect-target SET" },
	[SD_VERB_CONNECT] = { "connect", SD_ARGS_NONE, SD_VERB_NETWORK | SD_VERB_CONNECTS | SD_VERB_OPENS,
		"connect" },
	[SD_VERB_LOGIN] = { "login", SD_ARGS_NONE, SD_VERB_NETWORK | SD_VERB_CONNECTS | SD_VERB_LOGS_IN | SD_VERB_OPENS,
		"login" },
	[SD_VERB_COUNT] = { "count", SD_ARGS_COUNT, SD_VERB_NETWORK | SD_VERB_CONNECTS | SD_VERB_LOGS_IN,
		"count DIR (==|>=|<=) (N|baseline(last-business-day))" },
	[SD_VERB_DOWNLOAD] = { "download", SD_ARGS_REMOTE_TO, SD_VERB_NETWORK | SD_VERB_CONNECTS | SD_VERB_LOGS_IN,
		"download DIR/PATTERN [to LOCAL-DIR]" },
	[SD_VERB_LOGOUT] = { "logout", SD_ARGS_NONE, SD_VERB_NETWORK | SD_VERB_NEEDS_OPEN,
		"logout" },
	[SD_VERB_SNAPSHOT] = { "snapshot", SD_ARGS_OPTIONAL_DIR, SD_VERB_NETWORK | SD_VERB_CONNECTS | SD_VERB_LOGS_IN,
		"snapshot [DIR]" },
	[SD_VERB_KEY_UNCHANGED] = { "key-unchanged", SD_ARGS_NONE, SD_VERB_NETWORK | SD_VERB_CONNECTS | SD_VERB_LOGS_IN,
		"key-unchanged" },
	[SD_VERB_NO_MISSED_DAYS] = { "no-missed-days", SD_ARGS_NONE, 0,
		"no-missed-days" },
	[SD_VERB_STAT] = { "stat", SD_ARGS_PATH, SD_VERB_NETWORK | SD_VERB_CONNECTS | SD_VERB_LOGS_IN,
		"stat PATH" },
};

const struct sd_verb_desc *
sd_verb(enum sd_verb v)
{
	return &verbs[(unsigned)v < SD_VERB__COUNT ? v : SD_VERB_CONNECT];
}

const char *
sd_verb_name(enum sd_verb v)
{
	return sd_verb(v)->name;
}

int
sd_verb_lookup(const char *name)
{
	const struct sd_verb_desc *d = sd_table_find(verbs, SD_VERB__COUNT, sizeof(verbs[0]), name);

	return d ? (int)(d - verbs) : -1;
}

void
sd_verb_names(const char **names)
{
	sd_table_names(verbs, SD_VERB__COUNT, sizeof(verbs[0]), names);
}
