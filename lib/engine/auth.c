/* auth.c — logging in on an open connection: a key file or ssh-agent, then the SFTP subsystem. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conn.h"
#include "sftpdrill/engine/userkey.h"

/* What the auth calls below need from their caller. */
struct auth_call {
	const char *user;
	const char *identity, *passphrase;
	LIBSSH2_AGENT *agent;
	struct libssh2_agent_publickey *id;
	char *methods;              /* userauth_list's answer */
};

static int
op_userauth_list(struct sd_conn *c, void *arg)
{
	struct auth_call *a = arg;

	a->methods = libssh2_userauth_list(c->ssh, a->user, (unsigned)strlen(a->user));
	return a->methods ? 0 : libssh2_session_last_errno(c->ssh);
}

static int
op_agent_userauth(struct sd_conn *c, void *arg)
{
	struct auth_call *a = arg;

	(void)c;
	return libssh2_agent_userauth(a->agent, a->user, a->id);
}

static int
op_publickey(struct sd_conn *c, void *arg)
{
	struct auth_call *a = arg;

	return libssh2_userauth_publickey_fromfile_ex(c->ssh, a->user, (unsigned)strlen(a->user), NULL, a->identity,
	    a->passphrase);
}

/* The methods the server accepts for user, or "" if it could not be asked. */
static void
auth_methods(struct sd_conn *c, const char *user, int64_t step_deadline, char *out, size_t len)
{
	struct auth_call a = { .user = user };
	struct sd_wait w = sd_conn_phase_wait(c, SD_PHASE_AUTH, step_deadline);
	struct sd_err ignore;

	out[0] = '\0';
	/* The server's words: shown only through the sanitiser. */
	if (sd_conn_repeat(c, op_userauth_list, &a, &w, &ignore) == 0 && a.methods) {
		char *shown = sd_printable(a.methods, strlen(a.methods));
		snprintf(out, len, "%s", shown);
		free(shown);
	}
}

/* One agent identity; 0 logged in, 1 refused, -1 with err. */
static int
try_agent_key(struct sd_conn *c, LIBSSH2_AGENT *agent, struct libssh2_agent_publickey *id, const char *user,
    int64_t step_deadline, struct sd_err *err)
{
	struct auth_call a = { .user = user, .agent = agent, .id = id };
	struct sd_wait w = sd_conn_phase_wait(c, SD_PHASE_AUTH, step_deadline);
	int r;

	sd_userkey_blob_fingerprint(id->blob, id->blob_len, c->info.userkey_type, sizeof(c->info.userkey_type),
	    c->info.userkey_fp, sizeof(c->info.userkey_fp));
	sd_conn_note(c, SD_NOTE_PHASE, SD_PHASE_AUTH, "trying agent key %s %s", c->info.userkey_type, c->info.userkey_fp);
	r = sd_conn_repeat(c, op_agent_userauth, &a, &w, err);
	if (r == 0 || r == SD_WAIT_FAILED)
		return r == 0 ? 0 : -1;
	if (sd_ssh_is_disconnect(r)) {
		sd_fail(err, SD_KIND_CONNECTION_CLOSED, SD_PHASE_AUTH,
		    "%s: the connection was cut during authentication (not a key rejection)", c->label);
		err->ssh_code = r;
		return -1;
	}
	return 1;
}

/* Public-key login with each identity ssh-agent holds, in the agent's order. */
static int
login_agent(struct sd_conn *c, const char *user, int64_t step_deadline, struct sd_err *err)
{
	LIBSSH2_AGENT *agent = libssh2_agent_init(c->ssh);
	struct libssh2_agent_publickey *id = NULL;
	char methods[256];
	int rc = -1, tried = 0, r = 1;

	if (agent == NULL || libssh2_agent_connect(agent) != 0) {
		sd_fail(err, SD_KIND_AGENT_UNAVAILABLE, SD_PHASE_AUTH,
		    "identity ssh-agent: no agent answers (is SSH_AUTH_SOCK set and the agent running?)");
		goto out;
	}
	if (libssh2_agent_list_identities(agent) != 0) {
		sd_fail(err, SD_KIND_AGENT_UNAVAILABLE, SD_PHASE_AUTH, "ssh-agent did not list its keys");
		goto out;
	}
	while (r == 1 && libssh2_agent_get_identity(agent, &id, id) == 0) {
		tried++;
		r = try_agent_key(c, agent, id, user, step_deadline, err);
	}
	rc = r == 1 ? -1 : r;
	if (r == 1) {
		auth_methods(c, user, step_deadline, methods, sizeof(methods));
		snprintf(c->info.userkey_type, sizeof(c->info.userkey_type), "agent");
		snprintf(c->info.userkey_fp, sizeof(c->info.userkey_fp), "none accepted");
		sd_fail(err, SD_KIND_AUTH_REJECTED, SD_PHASE_AUTH,
		    "%s: the server rejected user \"%s\" with each of the %d key(s) in ssh-agent (server accepts: %s)",
		    c->label, user, tried, methods[0] ? methods : "unknown");
	}
out:
	if (agent != NULL) {
		libssh2_agent_disconnect(agent);
		libssh2_agent_free(agent);
	}
	return rc;
}

/*
 * A refused RSA key with a libssh2 that signs RSA only with SHA-1 (< 1.11):
 * the signature, not the key, is what OpenSSH 8.8 and later refuse.
 */
static int
sha1_signature(const struct sd_conn *c)
{
#if LIBSSH2_VERSION_NUM < 0x010b00
	return strcmp(c->info.userkey_type, "ssh-rsa") == 0;
#else
	(void)c;
	return 0;
#endif
}

/* The verdict on a public-key attempt that did not succeed. */
static int
key_failure(struct sd_conn *c, const struct sd_login *l, int rc, int64_t step_deadline, struct sd_err *err)
{
	char methods[256];

	if ((rc == LIBSSH2_ERROR_FILE || rc == LIBSSH2_ERROR_METHOD_NOT_SUPPORTED) && l->passphrase &&
	    sd_userkey_encrypted(l->identity))
		sd_fail(err, SD_KIND_PASSPHRASE_WRONG, SD_PHASE_AUTH, "the passphrase is wrong for private key %s (the SSH "
		    "library says: %s)", l->identity, sd_ssh_message(c->ssh));
	else if (rc == LIBSSH2_ERROR_FILE || rc == LIBSSH2_ERROR_METHOD_NOT_SUPPORTED)
		sd_fail(err, SD_KIND_KEY_UNREADABLE, SD_PHASE_AUTH, "%s %s%s (the SSH library says: %s)",
		    !sd_userkey_encrypted(l->identity) ? "this libssh2 cannot read the format of private key" :
		    l->passphrase ? "the passphrase is wrong for private key" : "no passphrase was given for the encrypted "
		    "private key", l->identity, l->passphrase || !sd_userkey_encrypted(l->identity) ? "" : ": set the "
		    "environment variable the profile's passphrase-env names (RRS_KEY_PASSPHRASE), or run on a terminal to "
		    "be asked", sd_ssh_message(c->ssh));
	else if (sd_ssh_is_disconnect(rc))
		sd_fail(err, SD_KIND_CONNECTION_CLOSED, SD_PHASE_AUTH,
		    "%s: the connection was cut during authentication (not a key rejection): %s", c->label,
		    sd_ssh_message(c->ssh));
	else if (rc == LIBSSH2_ERROR_AUTHENTICATION_FAILED || rc == LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED) {
		/* Which methods the server takes is asked only to explain a refusal: a round trip saved otherwise. */
		auth_methods(c, l->user, step_deadline, methods, sizeof(methods));
		if (sha1_signature(c))
			sd_fail(err, SD_KIND_RSA_SHA1_REFUSED, SD_PHASE_AUTH,
			    "%s: the server rejected user \"%s\" with key %s %s (server accepts: %s). This libssh2 (< 1.11) "
			    "signs RSA keys only with SHA-1 (ssh-rsa), which OpenSSH 8.8 and later refuse by default: build "
			    "sftpdrill with libssh2 1.11 or later (`make` does so on Debian 12)", c->label, l->user,
			    c->info.userkey_type, c->info.userkey_fp, methods[0] ? methods : "unknown");
		else
			sd_fail(err, SD_KIND_AUTH_REJECTED, SD_PHASE_AUTH,
			    "%s: the server rejected user \"%s\" with key %s %s (server accepts: %s)", c->label, l->user,
			    c->info.userkey_type, c->info.userkey_fp, methods[0] ? methods : "unknown");
	} else
		sd_fail(err, SD_KIND_AUTH_FAILED, SD_PHASE_AUTH, "%s: authentication failed: %s (libssh2 %d)", c->label,
		    sd_ssh_message(c->ssh), rc);
	err->ssh_code = rc;
	return -1;
}

/* Public-key login with a private key file. */
static int
login_keyfile(struct sd_conn *c, const struct sd_login *l, int64_t step_deadline, struct sd_err *err)
{
	struct auth_call a = { .user = l->user, .identity = l->identity, .passphrase = l->passphrase };
	struct sd_wait w = sd_conn_phase_wait(c, SD_PHASE_AUTH, step_deadline);
	int rc, fd = sd_open_regular(l->identity, 0);

	/* libssh2 would block on a FIFO and read a device forever: a key is a regular file. */
	if (fd < 0)
		return sd_fail(err, SD_KIND_KEY_UNREADABLE, SD_PHASE_AUTH, "cannot read private key %s: %s", l->identity,
		    errno == EINVAL ? "not a regular file" : strerror(errno));
	close(fd);
	if (sd_userkey_fingerprint(l->identity, c->info.userkey_type, sizeof(c->info.userkey_type), c->info.userkey_fp,
	    sizeof(c->info.userkey_fp)) < 0) {
		/* No public half to read: a PEM header still tells the type. */
		if (sd_userkey_type(l->identity, c->info.userkey_type, sizeof(c->info.userkey_type)) < 0)
			snprintf(c->info.userkey_type, sizeof(c->info.userkey_type), "unknown");
		snprintf(c->info.userkey_fp, sizeof(c->info.userkey_fp), "unknown (no %s.pub)", l->identity);
	}
	sd_conn_note(c, SD_NOTE_PHASE, SD_PHASE_AUTH, "user \"%s\", key %s %s", l->user, c->info.userkey_type,
	    c->info.userkey_fp);
	rc = sd_conn_repeat(c, op_publickey, &a, &w, err);
	if (rc == 0 || rc == SD_WAIT_FAILED)
		return rc == 0 ? 0 : -1;
	return key_failure(c, l, rc, step_deadline, err);
}

static int
op_sftp_init(struct sd_conn *c, void *arg)
{
	(void)arg;
	c->sftp = libssh2_sftp_init(c->ssh);
	return c->sftp ? 0 : libssh2_session_last_errno(c->ssh);
}

static int
start_sftp(struct sd_conn *c, int64_t step_deadline, struct sd_err *err)
{
	struct sd_wait w = sd_conn_phase_wait(c, SD_PHASE_SFTP_INIT, step_deadline);

	if (sd_conn_repeat(c, op_sftp_init, NULL, &w, err) == SD_WAIT_FAILED)
		return -1;
	if (c->sftp == NULL)
		return sd_fail(err, SD_KIND_SFTP_INIT_FAILED, SD_PHASE_SFTP_INIT,
		    "%s: logged in, but the SFTP subsystem did not start: %s", c->label, sd_ssh_message(c->ssh));
	sd_conn_note(c, SD_NOTE_PHASE, SD_PHASE_SFTP_INIT, "authenticated; SFTP subsystem started");
	return 0;
}

int
sd_conn_login(struct sd_conn *c, const struct sd_login *l, int64_t step_deadline, struct sd_err *err)
{
	int rc;

	/* libssh2's RSA signature choice overruns a buffer on a server that repeats a name: room for it (conn.h). */
	c->alloc_slack = LIBSSH2_PACKET_MAXPAYLOAD;
	if (strcmp(l->identity, "ssh-agent") == 0)
		rc = libssh2_userauth_authenticated(c->ssh) ? 0 : login_agent(c, l->user, step_deadline, err);
	else
		rc = login_keyfile(c, l, step_deadline, err);
	c->alloc_slack = 0;
	return rc < 0 ? -1 : start_sftp(c, step_deadline, err);
}
