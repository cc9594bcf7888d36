/* target.c — where the participant's own SFTP configuration points, against a data centre's addresses. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "sftpdrill/engine/sshconfig.h"
#include "sftpdrill/run/target.h"

#define SSH_CONFIG_PREFIX "ssh-config:"

/* The addresses target-host names, through the client config where an entry says ssh-config:ALIAS. */
static int
resolve_configured(const struct sd_drill *d, const struct sd_transport *t, int64_t deadline,
    const struct sd_cancel *cancel, struct sd_strv *found, struct sd_err *err)
{
	for (size_t i = 0; i < d->target_hosts.n; i++) {
		const char *name = d->target_hosts.v[i].host;
		char *alias = NULL;
		int rc;

		if (strncmp(name, SSH_CONFIG_PREFIX, strlen(SSH_CONFIG_PREFIX)) == 0) {
			if (d->ssh_config == NULL)
				return sd_fail(err, SD_KIND_CONFIG_ERROR, SD_PHASE_CONFIG,
				    "target-host %s, but no `ssh-config` file is named", name);
			alias = sd_ssh_config_hostname(d->ssh_config, name + strlen(SSH_CONFIG_PREFIX), err);
			if (alias == NULL)
				return -1;
			name = alias;
		}
		rc = t->resolve(name, deadline, cancel, found, err);
		free(alias);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* Do two address lists hold the same addresses (order aside)? */
static int
same_addresses(const struct sd_strv *a, const struct sd_strv *b)
{
	if (a->n != b->n)
		return 0;
	for (size_t i = 0; i < a->n; i++) {
		int hit = 0;
		for (size_t k = 0; k < b->n && !hit; k++)
			hit = strcmp(a->v[i], b->v[k]) == 0;
		if (!hit)
			return 0;
	}
	return 1;
}

int
sd_target_check(const struct sd_drill *d, const char *set_name, const struct sd_transport *t, int64_t deadline,
    const struct sd_cancel *cancel, struct sd_target_check *out, struct sd_err *err)
{
	const struct sd_endpoint_set *set = sd_drill_set(d, set_name);
	struct sd_strv found = { 0 }, want = { 0 };
	int rc = resolve_configured(d, t, deadline, cancel, &found, err);

	*out = (struct sd_target_check){ .configured = SD_BUF_INIT(0), .expected = SD_BUF_INIT(0) };
	for (size_t i = 0; rc == 0 && set != NULL && i < set->n; i++)
		rc = t->resolve(set->v[i].host, deadline, cancel, &want, err);
	for (size_t i = 0; i < found.n; i++)
		sd_buf_join(&out->configured, ", ", found.v[i]);
	for (size_t i = 0; i < want.n; i++)
		sd_buf_join(&out->expected, ", ", want.v[i]);
	out->matches = rc == 0 && same_addresses(&found, &want);
	sd_strv_release(&found);
	sd_strv_release(&want);
	return rc;
}

const char *
sd_target_session_set(const struct sd_drill *d)
{
	for (size_t i = 0; i < d->nsteps; i++)
		if (d->steps[i].verb == SD_VERB_EXPECT_TARGET)
			return d->steps[i].arg;
	return d->target;
}

void
sd_target_check_release(struct sd_target_check *c)
{
	sd_buf_release(&c->configured);
	sd_buf_release(&c->expected);
}
