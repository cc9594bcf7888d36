/* step.c — what a verb's handler and the runner do with the endpoint they work on: record, tell, mask. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sftpdrill/domain/baseline.h"
#include "step.h"

/* An event about s's endpoint and step (kind and the rest from ev), in plain words, under the run's lock. */
static void
emit_full(struct sd_step_ctx *s, const struct sd_event *ev)
{
	struct sd_event full = *ev;

	full.drill = s->d->name;
	full.endpoint = s->ep ? s->ep->label : NULL;
	full.suite = s->suite;
	full.step = s->step ? s->step->name : NULL;
	full.verb = s->step ? sd_verb_name(s->step->verb) : NULL;
	full.arg = s->step ? s->step->arg : NULL;
	ev = &full;
	if (s->o->on_event) {
		pthread_mutex_lock(s->lock);
		s->o->on_event(s->o->ctx, ev);
		pthread_mutex_unlock(s->lock);
	}
}

/*
 * Every text recorded or shown: secrets masked first (a secret may hold a
 * control character), then the one sanitiser (sd_printable; detail keeps its
 * line breaks). Whatever a server sent, no writer receives a control character.
 */
char *
sd_step_text(const struct sd_step_ctx *s, const char *text, int multiline)
{
	char *masked = sd_redact(s->o->redact, text), *clean;

	clean = multiline ? sd_xml_text(masked) : sd_printable(masked, strlen(masked));
	free(masked);
	return clean;
}

void
sd_step_emit(struct sd_step_ctx *s, enum sd_event_kind kind, const char *message)
{
	char *masked = message ? sd_step_text(s, message, 0) : NULL;

	emit_full(s, &(struct sd_event){ .kind = kind, .message = masked });
	free(masked);
}

void
sd_step_emit_result(struct sd_step_ctx *s, enum sd_event_kind kind, const struct sd_case *c)
{
	emit_full(s, &(struct sd_event){ .kind = kind, .result = c });
}

void
sd_step_note(void *ctx, enum sd_note_kind kind, enum sd_phase phase, const char *msg)
{
	struct sd_step_ctx *s = ctx;
	char *masked = sd_step_text(s, msg, 0);

	emit_full(s, &(struct sd_event){ .kind = kind == SD_NOTE_WARNING ? SD_EV_WARNING : SD_EV_PHASE,
		.message = masked,
		.phase = phase });
	free(masked);
}

char *
sd_step_account(const struct sd_step_ctx *s)
{
	return sd_account_dir(s->d->baseline_dir, s->d->service, s->d->user ? s->d->user : "");
}

void
sd_step_progress(void *ctx, uint64_t done, uint64_t total)
{
	struct sd_step_ctx *s = ctx;

	emit_full(s, &(struct sd_event){ .kind = SD_EV_PROGRESS, .done = done, .total = total,
		.phase = SD_PHASE_TRANSFER });
}

void
sd_step_prop(struct sd_step_ctx *s, const char *name, const char *value)
{
	char *masked = value ? sd_step_text(s, value, 0) : NULL;

	sd_suite_prop(s->suite, name, masked);
	free(masked);
}

void
sd_step_add_file(struct sd_step_ctx *s, const char *path, const char *evidence, const char *sha256)
{
	pthread_mutex_lock(s->lock);
	sd_run_add_file(s->run, path, s->ep->label, evidence, sha256);
	pthread_mutex_unlock(s->lock);
}

void
sd_step_record_conn(struct sd_step_ctx *s, const struct sd_conn_info *i)
{
#define INFO(f) offsetof(struct sd_conn_info, f)
	static const struct { const char *name; size_t off; } fields[] = {
		{ "peer.address", INFO(peer) }, { "server.banner", INFO(banner) }, { "hostkey.type", INFO(hostkey_type) },
		{ "hostkey.sha256", INFO(hostkey_fp) }, { "kex", INFO(kex) }, { "hostkey.algorithm", INFO(hostkey_alg) },
		{ "cipher.client-to-server", INFO(cipher_cs) }, { "cipher.server-to-client", INFO(cipher_sc) },
		{ "mac.client-to-server", INFO(mac_cs) }, { "mac.server-to-client", INFO(mac_sc) },
		{ "userkey.type", INFO(userkey_type) }, { "userkey.sha256", INFO(userkey_fp) },
		{ "kex.strict", INFO(kex_strict) }, { "server.kex-algorithms", INFO(server_kex) },
		{ "server.hostkey-algorithms", INFO(server_hostkeys) }, { "server.ciphers", INFO(server_ciphers) },
		{ "server.macs", INFO(server_macs) }, { "client.kex-algorithms", INFO(client_kex) },
		{ "client.hostkey-algorithms", INFO(client_hostkeys) }, { "client.ciphers", INFO(client_ciphers) },
		{ "client.macs", INFO(client_macs) },
	};
#undef INFO
	char buf[64];

	for (size_t k = 0; k < sizeof(fields) / sizeof(fields[0]); k++)
		sd_step_prop(s, fields[k].name, (const char *)i + fields[k].off);
	if (i->peer[0]) {
		snprintf(buf, sizeof(buf), "%.3f", i->connect_s);
		sd_step_prop(s, "time.connect", buf);
	}
	if (i->banner[0]) {
		snprintf(buf, sizeof(buf), "%.3f", i->banner_s);
		sd_step_prop(s, "time.banner", buf);
	}
}

int
sd_step_connect(struct sd_step_ctx *s, struct sd_err *err)
{
	struct sd_strv pins = { 0 };
	struct sd_conn_info info = { 0 };
	struct sd_conn_opts co = { .host = s->ep->host, .port = s->ep->port, .label = s->ep->label,
		.known_hosts = s->d->known_hosts, .pins = &pins, .timeouts = &s->d->timeouts, .limits = &s->d->limits,
		.trust_on_first_use = s->o->trust_on_first_use, .allow_sha1 = s->d->allow_sha1, .cancel = s->o->cancel,
		.note = sd_step_note, .note_ctx = s };

	if (s->conn != NULL)
		return 0;
	sd_drill_pins_for(s->d, s->ep, &pins);
	s->conn = s->t->open(&co, s->deadline, &info, err);
	sd_strv_release(&pins);
	sd_step_record_conn(s, &info);
	return s->conn ? 0 : -1;
}

int
sd_step_login(struct sd_step_ctx *s, struct sd_err *err)
{
	int rc;

	if (s->t->logged_in(s->conn))
		return 0;
	sd_step_prop(s, "user", s->d->user);
	rc = s->t->login(s->conn, &(struct sd_login){ .user = s->d->user, .identity = s->d->identity,
		.passphrase = *s->passphrase }, s->deadline, err);
	/* A wrong passphrase typed on a terminal is asked for again, as ssh does: three tries in all. */
	for (int attempt = 2; rc < 0 && attempt <= 3 && sd_err_is(err, SD_KIND_PASSPHRASE_WRONG) &&
	    s->o->ask_passphrase != NULL && !s->o->parallel; attempt++) {
		const char *again;
		pthread_mutex_lock(s->lock);
		again = s->o->ask_passphrase(s->o->ask_ctx, s->d->identity, attempt);
		pthread_mutex_unlock(s->lock);
		if (again == NULL)
			break;
		*s->passphrase = again;
		sd_err_clear(err);
		rc = s->t->login(s->conn, &(struct sd_login){ .user = s->d->user, .identity = s->d->identity,
			.passphrase = again }, s->deadline, err);
	}
	sd_step_record_conn(s, s->t->info(s->conn));
	return rc;
}

void
sd_step_drop(struct sd_step_ctx *s)
{
	s->t->close(s->conn, sd_now_ms() + 1000, NULL);
	s->conn = NULL;
}
