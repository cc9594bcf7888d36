/* session.c — one SSH connection driven non-blocking, every wait bounded by a deadline. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/opensslv.h>

#include "conn.h"
#include "sftpdrill/knownhosts.h"
#include "sftpdrill/net.h"
#include "sftpdrill/userkey.h"

/* Host-key algorithms libssh2 1.10 can verify; others in known_hosts cannot be offered. */
static const char *const supported_hostkeys[] = {
	"ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
	"ssh-rsa", "ssh-dss", NULL
};

int
sd_ssh_global_init(void)
{
	return libssh2_init(0) == 0 ? 0 : -1;
}

void
sd_ssh_global_exit(void)
{
	libssh2_exit();
}

const char *
sd_library_versions(void)
{
	static char buf[160];

	snprintf(buf, sizeof(buf), "libssh2 %s, %s", libssh2_version(0),
	    OpenSSL_version(OPENSSL_VERSION));
	return buf;
}

int
sd_conn_wait(struct sd_conn *c, int64_t phase_deadline, int64_t step_deadline,
    enum sd_phase phase, enum sd_kind timeout, struct sd_err *err)
{
	int64_t deadline = sd_deadline_min(phase_deadline, step_deadline), left;
	struct pollfd pfd = { .fd = c->fd };
	int dir, next = 0, rc;

	left = sd_remaining_ms(deadline);
	if (left == 0) {
		if (step_deadline != 0 && (phase_deadline == 0 || step_deadline <= phase_deadline))
			return sd_fail(err, SD_KIND_STEP_TIMEOUT, phase,
			    "%s: the step's deadline passed during %s", c->label, sd_phase_name(phase));
		return sd_fail(err, timeout, phase, "%s: no progress in %s before its deadline",
		    c->label, sd_phase_name(phase));
	}
	if (c->ssh != NULL && libssh2_userauth_authenticated(c->ssh))
		libssh2_keepalive_send(c->ssh, &next);
	dir = c->ssh ? libssh2_session_block_directions(c->ssh) : 0;
	if (dir & LIBSSH2_SESSION_BLOCK_INBOUND)
		pfd.events |= POLLIN;
	if (dir & LIBSSH2_SESSION_BLOCK_OUTBOUND)
		pfd.events |= POLLOUT;
	if (pfd.events == 0)
		pfd.events = POLLIN;
	/* Wake at least once a second so keepalives and deadlines are honoured. */
	rc = poll(&pfd, 1, left > 1000 ? 1000 : (int)left);
	if (rc < 0 && errno != EINTR)
		return sd_fail(err, SD_KIND_LOCAL_ERROR, phase, "poll: %s", strerror(errno));
	return 0;
}

void
sd_conn_note(struct sd_conn *c, enum sd_note_kind kind, enum sd_phase phase, const char *fmt, ...)
{
	va_list ap;
	char msg[1024];

	if (c->note == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->note(c->note_ctx, kind, phase, msg);
}

static const char *
hostkey_type_name(int t)
{
	switch (t) {
	case LIBSSH2_HOSTKEY_TYPE_RSA: return "ssh-rsa";
	case LIBSSH2_HOSTKEY_TYPE_DSS: return "ssh-dss";
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_256: return "ecdsa-sha2-nistp256";
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_384: return "ecdsa-sha2-nistp384";
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_521: return "ecdsa-sha2-nistp521";
	case LIBSSH2_HOSTKEY_TYPE_ED25519: return "ssh-ed25519";
	default: return "unknown";
	}
}

static void
copy_method(LIBSSH2_SESSION *s, int which, char *dst, size_t len)
{
	const char *m = libssh2_session_methods(s, which);

	snprintf(dst, len, "%s", m ? m : "");
}

int
sd_ssh_is_disconnect(int rc)
{
	return rc == LIBSSH2_ERROR_SOCKET_DISCONNECT || rc == LIBSSH2_ERROR_SOCKET_RECV ||
	    rc == LIBSSH2_ERROR_SOCKET_SEND || rc == LIBSSH2_ERROR_CHANNEL_CLOSED ||
	    rc == LIBSSH2_ERROR_BANNER_RECV;
}

static const char *
ssh_message(LIBSSH2_SESSION *s)
{
	char *msg = NULL;

	libssh2_session_last_error(s, &msg, NULL, 0);
	return msg ? msg : "unknown error";
}

/*
 * Offer only the host-key types known_hosts has for this endpoint, known
 * order first. With none known (pins only, or trust on first use) offer
 * OpenSSH's own order, ed25519 first, so the key seen is the one `ssh` and
 * `ssh-keyscan` show operators; libssh2 1.10 would otherwise pick ECDSA.
 */
static int
set_hostkey_prefs(struct sd_conn *c, const struct sd_known *known, struct sd_err *err)
{
	char *prefs = sd_known_prefs(known), *save = NULL, *t;
	struct sd_buf usable = SD_BUF_INIT(0);
	int rc = 0;

	if (prefs == NULL)
		prefs = sd_xstrdup("ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,ssh-rsa");
	for (t = strtok_r(prefs, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		int ok = 0;
		for (size_t i = 0; supported_hostkeys[i]; i++)
			ok |= strcmp(t, supported_hostkeys[i]) == 0;
		if (ok)
			sd_buf_join(&usable, ",", t);
	}
	if (usable.len == 0)
		rc = sd_fail(err, SD_KIND_HOSTKEY_UNSUPPORTED, SD_PHASE_HOSTKEY,
		    "%s: known_hosts holds only key types this libssh2 cannot verify", c->label);
	else if (libssh2_session_method_pref(c->ssh, LIBSSH2_METHOD_HOSTKEY, usable.p) != 0)
		rc = sd_fail(err, SD_KIND_HOSTKEY_UNSUPPORTED, SD_PHASE_HOSTKEY,
		    "%s: libssh2 refused host-key preference %s", c->label, usable.p);
	free(prefs);
	sd_buf_release(&usable);
	return rc;
}

static int
handshake(struct sd_conn *c, const struct sd_known *known, int64_t step_deadline, struct sd_err *err)
{
	int64_t deadline = sd_now_ms() + c->to.kex;
	int rc;

	while ((rc = libssh2_session_handshake(c->ssh, c->fd)) == LIBSSH2_ERROR_EAGAIN)
		if (sd_conn_wait(c, deadline, step_deadline, SD_PHASE_KEX, SD_KIND_KEX_TIMEOUT, err) < 0)
			return -1;
	if (rc == 0)
		return 0;
	if (rc == LIBSSH2_ERROR_KEX_FAILURE || rc == LIBSSH2_ERROR_METHOD_NOT_SUPPORTED) {
		char *prefs = sd_known_prefs(known);
		sd_fail(err, SD_KIND_KEX_FAILED, SD_PHASE_KEX,
		    "%s: key exchange failed (%s)%s%s%s", c->label, ssh_message(c->ssh),
		    prefs ? "; only the host-key types in known_hosts were offered: " : "",
		    prefs ? prefs : "", prefs ? " — the server may have changed its host-key type" : "");
		free(prefs);
		return -1;
	}
	if (sd_ssh_is_disconnect(rc))
		return sd_fail(err, SD_KIND_CONNECTION_CLOSED, SD_PHASE_KEX,
		    "%s: the connection was closed during the SSH handshake (%s)", c->label, ssh_message(c->ssh));
	return sd_fail(err, SD_KIND_HANDSHAKE_FAILED, SD_PHASE_KEX, "%s: SSH handshake failed: %s (libssh2 %d)",
	    c->label, ssh_message(c->ssh), rc);
}

struct sd_conn *
sd_conn_open(const struct sd_conn_opts *o, int64_t step_deadline, struct sd_conn_info *info,
    struct sd_err *err)
{
	struct sd_conn *c = sd_xcalloc(1, sizeof(*c));
	struct sd_known known = { 0 };
	const char *key, *banner;
	size_t keylen;
	int keytype;
	int64_t t0 = sd_now_ms(), t1;

	c->fd = -1;
	c->to = *o->timeouts;
	c->note = o->note;
	c->note_ctx = o->note_ctx;
	snprintf(c->label, sizeof(c->label), "%s", o->label);
	/* Read known_hosts before any packet is sent: a bad file must stop us early. */
	if (o->known_hosts != NULL) {
		if (sd_known_load(o->known_hosts, o->host, o->port, &known, err) < 0) {
			/* With TOFU a known_hosts file that does not exist yet is the one to create. */
			if (!o->trust_on_first_use || access(o->known_hosts, F_OK) == 0)
				goto fail;
			sd_err_clear(err);
		}
		for (size_t i = 0; i < known.warnings.n; i++)
			sd_conn_note(c, SD_NOTE_WARNING, SD_PHASE_HOSTKEY, "%s", known.warnings.v[i]);
		sd_conn_note(c, SD_NOTE_PHASE, SD_PHASE_HOSTKEY, "%zu known host key(s) for %s in %s",
		    known.n, c->label, o->known_hosts);
	}
	sd_conn_note(c, SD_NOTE_PHASE, SD_PHASE_CONNECT, "connecting to %s (deadline %llds)", c->label,
	    (long long)c->to.connect / 1000);
	c->fd = sd_net_connect(o->host, o->port, sd_deadline_min(t0 + c->to.connect, step_deadline),
	    c->info.peer, sizeof(c->info.peer), err);
	if (c->fd < 0)
		goto fail;
	t1 = sd_now_ms();
	c->info.connect_s = (double)(t1 - t0) / 1000.0;
	sd_conn_note(c, SD_NOTE_PHASE, SD_PHASE_CONNECT, "TCP connected to %s in %.3fs", c->info.peer, c->info.connect_s);
	if (sd_net_wait_banner(c->fd, t1 + c->to.banner, step_deadline, err) < 0)
		goto fail;
	c->info.banner_s = (double)(sd_now_ms() - t1) / 1000.0;
	sd_conn_note(c, SD_NOTE_PHASE, SD_PHASE_BANNER, "the server spoke after %.3fs", c->info.banner_s);
	c->ssh = libssh2_session_init();
	if (c->ssh == NULL) {
		sd_fail(err, SD_KIND_LOCAL_ERROR, SD_PHASE_KEX, "libssh2_session_init failed");
		goto fail;
	}
	libssh2_session_set_blocking(c->ssh, 0);
	/* Keepalives only go out when we call libssh2_keepalive_send (non-blocking mode). */
	libssh2_keepalive_config(c->ssh, 0, 15);
	if (set_hostkey_prefs(c, &known, err) < 0)
		goto fail;
	if (handshake(c, &known, step_deadline, err) < 0)
		goto fail;
	c->info.handshake_s = (double)(sd_now_ms() - t1) / 1000.0;
	banner = libssh2_session_banner_get(c->ssh);
	if (banner) {
		char *p = sd_printable(banner, strlen(banner));
		snprintf(c->info.banner, sizeof(c->info.banner), "%s", p);
		free(p);
	}
	copy_method(c->ssh, LIBSSH2_METHOD_KEX, c->info.kex, sizeof(c->info.kex));
	copy_method(c->ssh, LIBSSH2_METHOD_HOSTKEY, c->info.hostkey_alg, sizeof(c->info.hostkey_alg));
	copy_method(c->ssh, LIBSSH2_METHOD_CRYPT_CS, c->info.cipher_cs, sizeof(c->info.cipher_cs));
	copy_method(c->ssh, LIBSSH2_METHOD_CRYPT_SC, c->info.cipher_sc, sizeof(c->info.cipher_sc));
	copy_method(c->ssh, LIBSSH2_METHOD_MAC_CS, c->info.mac_cs, sizeof(c->info.mac_cs));
	copy_method(c->ssh, LIBSSH2_METHOD_MAC_SC, c->info.mac_sc, sizeof(c->info.mac_sc));
	key = libssh2_session_hostkey(c->ssh, &keylen, &keytype);
	if (key == NULL) {
		sd_fail(err, SD_KIND_HOSTKEY_UNAVAILABLE, SD_PHASE_HOSTKEY, "%s: no host key after handshake", c->label);
		goto fail;
	}
	snprintf(c->info.hostkey_type, sizeof(c->info.hostkey_type), "%s", hostkey_type_name(keytype));
	sd_sha256_fingerprint((const unsigned char *)key, keylen, c->info.hostkey_fp, sizeof(c->info.hostkey_fp));
	sd_conn_note(c, SD_NOTE_PHASE, SD_PHASE_KEX, "banner \"%s\"; kex %s, host key %s, cipher %s/%s, mac %s/%s (%.3fs)",
	    c->info.banner, c->info.kex, c->info.hostkey_alg, c->info.cipher_cs, c->info.cipher_sc,
	    c->info.mac_cs, c->info.mac_sc, c->info.handshake_s);
	if (sd_hostkey_verify(o->known_hosts ? &known : NULL, o->pins, c->info.hostkey_type,
	    (const unsigned char *)key, keylen, c->label, err) < 0) {
		/* Trust on first use, only when asked, only for a key never seen (never a mismatch). */
		if (!o->trust_on_first_use || o->known_hosts == NULL || !sd_err_is(err, SD_KIND_HOSTKEY_UNKNOWN))
			goto fail;
		if (sd_known_append(o->known_hosts, o->host, o->port, c->info.hostkey_type,
		    (const unsigned char *)key, keylen, err) < 0)
			goto fail;
		sd_conn_note(c, SD_NOTE_WARNING, SD_PHASE_HOSTKEY,
		    "%s: TRUSTED ON FIRST USE: %s %s added to %s; confirm this fingerprint with the service's operator",
		    c->label, c->info.hostkey_type, c->info.hostkey_fp, o->known_hosts);
		sd_err_clear(err);
	}
	sd_conn_note(c, SD_NOTE_PHASE, SD_PHASE_HOSTKEY, "host key %s %s verified", c->info.hostkey_type,
	    c->info.hostkey_fp);
	sd_known_release(&known);
	if (info)
		*info = c->info;
	return c;
fail:
	if (info)
		*info = c->info;
	sd_known_release(&known);
	/* No goodbye on failure: after a host-key mismatch we say nothing more to that server. */
	if (c->ssh)
		libssh2_session_free(c->ssh);
	if (c->fd >= 0)
		close(c->fd);
	free(c);
	return NULL;
}

/* The methods the server accepts for user, or "" if it could not be asked. */
static void
auth_methods(struct sd_conn *c, const char *user, int64_t step_deadline, char *out, size_t len)
{
	int64_t deadline = sd_now_ms() + c->to.auth;
	char *list;
	struct sd_err ignore;

	out[0] = '\0';
	while ((list = libssh2_userauth_list(c->ssh, user, (unsigned)strlen(user))) == NULL &&
	    libssh2_session_last_errno(c->ssh) == LIBSSH2_ERROR_EAGAIN)
		if (sd_conn_wait(c, deadline, step_deadline, SD_PHASE_AUTH, SD_KIND_AUTH_TIMEOUT, &ignore) < 0)
			return;
	if (list)
		snprintf(out, len, "%s", list);
}

/* Public-key login with each identity ssh-agent holds, in the agent's order. */
static int
login_agent(struct sd_conn *c, const char *user, const char *methods, int64_t step_deadline, struct sd_err *err)
{
	LIBSSH2_AGENT *agent = libssh2_agent_init(c->ssh);
	struct libssh2_agent_publickey *id = NULL;
	int64_t deadline = sd_now_ms() + c->to.auth;
	int rc = -1, tried = 0, r;

	if (agent == NULL || libssh2_agent_connect(agent) != 0) {
		sd_fail(err, SD_KIND_AGENT_UNAVAILABLE, SD_PHASE_AUTH,
		    "identity ssh-agent: no agent answers (is SSH_AUTH_SOCK set and the agent running?)");
		goto out;
	}
	if (libssh2_agent_list_identities(agent) != 0) {
		sd_fail(err, SD_KIND_AGENT_UNAVAILABLE, SD_PHASE_AUTH, "ssh-agent did not list its keys");
		goto out;
	}
	while (libssh2_agent_get_identity(agent, &id, id) == 0) {
		tried++;
		sd_userkey_blob_fingerprint(id->blob, id->blob_len, c->info.userkey_type, sizeof(c->info.userkey_type),
		    c->info.userkey_fp, sizeof(c->info.userkey_fp));
		sd_conn_note(c, SD_NOTE_PHASE, SD_PHASE_AUTH, "trying agent key %s %s", c->info.userkey_type,
		    c->info.userkey_fp);
		while ((r = libssh2_agent_userauth(agent, user, id)) == LIBSSH2_ERROR_EAGAIN)
			if (sd_conn_wait(c, deadline, step_deadline, SD_PHASE_AUTH, SD_KIND_AUTH_TIMEOUT, err) < 0)
				goto out;
		if (r == 0) {
			rc = 0;
			goto out;
		}
		if (sd_ssh_is_disconnect(r)) {
			sd_fail(err, SD_KIND_CONNECTION_CLOSED, SD_PHASE_AUTH,
			    "%s: the connection was cut during authentication (not a key rejection)", c->label);
			goto out;
		}
	}
	snprintf(c->info.userkey_type, sizeof(c->info.userkey_type), "agent");
	snprintf(c->info.userkey_fp, sizeof(c->info.userkey_fp), "none accepted");
	sd_fail(err, SD_KIND_AUTH_REJECTED, SD_PHASE_AUTH, "%s: the server rejected user \"%s\" with each of the %d key(s) in ssh-agent (server accepts: %s)",
	    c->label, user, tried, methods[0] ? methods : "unknown");
out:
	if (agent != NULL) {
		libssh2_agent_disconnect(agent);
		libssh2_agent_free(agent);
	}
	return rc;
}

int
sd_conn_login(struct sd_conn *c, const char *user, const char *keyfile,
    const char *passphrase, int64_t step_deadline, struct sd_err *err)
{
	int64_t deadline = sd_now_ms() + c->to.auth;
	char methods[256];
	int rc;

	if (strcmp(keyfile, "ssh-agent") == 0) {
		auth_methods(c, user, step_deadline, methods, sizeof(methods));
		if (!libssh2_userauth_authenticated(c->ssh) && login_agent(c, user, methods, step_deadline, err) < 0)
			return -1;
		goto sftp;
	}
	if (access(keyfile, R_OK) != 0)
		return sd_fail(err, SD_KIND_KEY_UNREADABLE, SD_PHASE_AUTH, "cannot read private key %s: %s",
		    keyfile, strerror(errno));
	if (sd_userkey_fingerprint(keyfile, c->info.userkey_type, sizeof(c->info.userkey_type),
	    c->info.userkey_fp, sizeof(c->info.userkey_fp)) < 0) {
		snprintf(c->info.userkey_type, sizeof(c->info.userkey_type), "unknown");
		snprintf(c->info.userkey_fp, sizeof(c->info.userkey_fp), "unknown (no %s.pub)", keyfile);
	}
	sd_conn_note(c, SD_NOTE_PHASE, SD_PHASE_AUTH, "user \"%s\", key %s %s", user,
	    c->info.userkey_type, c->info.userkey_fp);
	while ((rc = libssh2_userauth_publickey_fromfile_ex(c->ssh, user, (unsigned)strlen(user),
	    NULL, keyfile, passphrase)) == LIBSSH2_ERROR_EAGAIN)
		if (sd_conn_wait(c, deadline, step_deadline, SD_PHASE_AUTH, SD_KIND_AUTH_TIMEOUT, err) < 0)
			return -1;
	/* Which methods the server takes is asked only to explain a refusal: a round trip saved otherwise. */
	if (rc == LIBSSH2_ERROR_AUTHENTICATION_FAILED || rc == LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED)
		auth_methods(c, user, step_deadline, methods, sizeof(methods));
	if (rc == LIBSSH2_ERROR_FILE || rc == LIBSSH2_ERROR_METHOD_NOT_SUPPORTED)
		return sd_fail(err, SD_KIND_KEY_UNREADABLE, SD_PHASE_AUTH, "cannot use private key %s: %s (%s)",
		    keyfile, ssh_message(c->ssh), sd_userkey_encrypted(keyfile) ?
		    (passphrase ? "the passphrase is wrong" : "the key is encrypted: set its passphrase in RRS_KEY_PASSPHRASE or the profile's passphrase-env variable, or run on a terminal to be asked") :
		    "a key format this libssh2 cannot read");
	if (sd_ssh_is_disconnect(rc))
		return sd_fail(err, SD_KIND_CONNECTION_CLOSED, SD_PHASE_AUTH,
		    "%s: the connection was cut during authentication (not a key rejection): %s",
		    c->label, ssh_message(c->ssh));
	if (rc == LIBSSH2_ERROR_AUTHENTICATION_FAILED || rc == LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED) {
		const char *rsa_note = "";
#if LIBSSH2_VERSION_NUM < 0x010b00
		if (strcmp(c->info.userkey_type, "ssh-rsa") == 0)
			rsa_note = ". This libssh2 (< 1.11) signs RSA keys only with SHA-1 (ssh-rsa), which OpenSSH 8.8 and later refuse by default:"
			    " use an ed25519 or ECDSA key, or build with libssh2 1.11 or later";
#endif
		return sd_fail(err, SD_KIND_AUTH_REJECTED, SD_PHASE_AUTH,
		    "%s: the server rejected user \"%s\" with key %s %s (server accepts: %s)%s",
		    c->label, user, c->info.userkey_type, c->info.userkey_fp,
		    methods[0] ? methods : "unknown", rsa_note);
	}
	if (rc != 0)
		return sd_fail(err, SD_KIND_AUTH_FAILED, SD_PHASE_AUTH, "%s: authentication failed: %s (libssh2 %d)",
		    c->label, ssh_message(c->ssh), rc);
sftp:
	deadline = sd_now_ms() + c->to.sftp_init;
	while ((c->sftp = libssh2_sftp_init(c->ssh)) == NULL &&
	    libssh2_session_last_errno(c->ssh) == LIBSSH2_ERROR_EAGAIN)
		if (sd_conn_wait(c, deadline, step_deadline, SD_PHASE_SFTP_INIT, SD_KIND_SFTP_INIT_TIMEOUT, err) < 0)
			return -1;
	if (c->sftp == NULL)
		return sd_fail(err, SD_KIND_SFTP_INIT_FAILED, SD_PHASE_SFTP_INIT,
		    "%s: logged in, but the SFTP subsystem did not start: %s", c->label, ssh_message(c->ssh));
	sd_conn_note(c, SD_NOTE_PHASE, SD_PHASE_SFTP_INIT, "authenticated; SFTP subsystem started");
	return 0;
}

int
sd_conn_logged_in(const struct sd_conn *c)
{
	return c != NULL && c->sftp != NULL;
}

const struct sd_conn_info *
sd_conn_get_info(const struct sd_conn *c)
{
	return &c->info;
}

int
sd_conn_close(struct sd_conn *c, int64_t deadline, struct sd_err *err)
{
	int rc = 0, r;

	if (c == NULL)
		return 0;
	if (c->sftp) {
		while ((r = libssh2_sftp_shutdown(c->sftp)) == LIBSSH2_ERROR_EAGAIN)
			if (sd_conn_wait(c, deadline, 0, SD_PHASE_SFTP, SD_KIND_LOGOUT_TIMEOUT, err) < 0)
				break;
		if (r != 0)
			rc = -1;
	}
	if (c->ssh) {
		while ((r = libssh2_session_disconnect(c->ssh, "sftpdrill: done")) == LIBSSH2_ERROR_EAGAIN)
			if (sd_conn_wait(c, deadline, 0, SD_PHASE_SFTP, SD_KIND_LOGOUT_TIMEOUT, err) < 0)
				break;
		if (r != 0 && rc == 0) {
			rc = -1;
			sd_fail(err, SD_KIND_LOGOUT_FAILED, SD_PHASE_SFTP, "%s: disconnect failed: %s", c->label, ssh_message(c->ssh));
		}
		libssh2_session_free(c->ssh);
	}
	if (c->fd >= 0)
		close(c->fd);
	free(c);
	return rc;
}
