/* session.c — one SSH connection driven non-blocking, every wait bounded by a deadline. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/opensslv.h>

#include "sftpdrill/engine/session.h"
#include "conn.h"
#include "wire.h"
#include "sftpdrill/engine/knownhosts.h"
#include "sftpdrill/engine/negotiate.h"
#include "sftpdrill/engine/net.h"

#ifndef SFTPDRILL_LIBSSH2_ORIGIN
#define SFTPDRILL_LIBSSH2_ORIGIN "origin not recorded"
#endif

/* The key exchange extension by which a server says it does strict key exchange (CVE-2023-48795). */
#define KEX_STRICT_CLIENT "kex-strict-c-v00@openssh.com"
#define KEX_STRICT_SERVER "kex-strict-s-v00@openssh.com"

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
	static char buf[400];

	snprintf(buf, sizeof(buf), "libssh2 %s (%s), %s", libssh2_version(0), SFTPDRILL_LIBSSH2_ORIGIN,
	    OpenSSL_version(OPENSSL_VERSION));
	return buf;
}

int
sd_conn_wait(struct sd_conn *c, int64_t phase_deadline, int64_t step_deadline,
    enum sd_phase phase, enum sd_kind timeout, struct sd_err *err)
{
	int64_t deadline = sd_deadline_min(phase_deadline, step_deadline), left = sd_remaining_ms(deadline);
	struct pollfd pfd = { .fd = c->fd };
	int dir, next = 0, rc;

	if (sd_cancelled(c->cancel) && !c->cleaning)
		return sd_fail(err, SD_KIND_INTERRUPTED, phase, "%s: stopped (signal %d) during %s", c->label,
		    sd_cancelled(c->cancel), sd_phase_name(phase));
	if (left == 0) {
		if (step_deadline != 0 && (phase_deadline == 0 || step_deadline <= phase_deadline))
			return sd_fail(err, SD_KIND_STEP_TIMEOUT, phase, "%s: the step's deadline passed during %s",
			    c->label, sd_phase_name(phase));
		return sd_fail(err, timeout, phase, "%s: no progress in %s before its deadline", c->label,
		    sd_phase_name(phase));
	}
	if (c->ssh != NULL && libssh2_userauth_authenticated(c->ssh))
		libssh2_keepalive_send(c->ssh, &next);
	dir = c->ssh ? libssh2_session_block_directions(c->ssh) : 0;
	if (dir & LIBSSH2_SESSION_BLOCK_INBOUND)
		pfd.events |= POLLIN;
	/* What sftpdrill still has to send for libssh2 is an outbound wait of its own (wire.h). */
	if ((dir & LIBSSH2_SESSION_BLOCK_OUTBOUND) || sd_wire_flush(c) > 0)
		pfd.events |= POLLOUT;
	if (pfd.events == 0)
		pfd.events = POLLIN;
	/* Wake at least once a second so keepalives and deadlines are honoured. */
	rc = poll(&pfd, 1, left > 1000 ? 1000 : (int)left);
	if (rc < 0 && errno != EINTR)
		return sd_fail(err, SD_KIND_LOCAL_ERROR, phase, "poll: %s", strerror(errno));
	if (pfd.revents & POLLOUT)
		sd_wire_flush(c);
	return 0;
}

struct sd_wait
sd_conn_phase_wait(const struct sd_conn *c, enum sd_phase phase, int64_t step_deadline)
{
	const struct sd_timeouts *to = &c->to;
	int64_t ms = phase == SD_PHASE_KEX ? to->kex : phase == SD_PHASE_AUTH ? to->auth :
	    phase == SD_PHASE_SFTP_INIT ? to->sftp_init : to->sftp_op;
	enum sd_kind kind = phase == SD_PHASE_KEX ? SD_KIND_KEX_TIMEOUT : phase == SD_PHASE_AUTH ? SD_KIND_AUTH_TIMEOUT :
	    phase == SD_PHASE_SFTP_INIT ? SD_KIND_SFTP_INIT_TIMEOUT : phase == SD_PHASE_TRANSFER ?
	    SD_KIND_TRANSFER_TIMEOUT : SD_KIND_SFTP_TIMEOUT;

	return (struct sd_wait){ sd_now_ms() + ms, step_deadline, phase, kind };
}

int
sd_conn_cleanup(struct sd_conn *c, int (*op)(struct sd_conn *c, void *arg), void *arg, int64_t deadline,
    enum sd_kind timeout, struct sd_err *err)
{
	struct sd_wait w = { deadline, 0, SD_PHASE_SFTP, timeout };
	int rc, was = c->cleaning;

	if (sd_cancelled(c->cancel))
		w.phase_deadline = sd_deadline_min(deadline, sd_now_ms() + SD_CLEANUP_AFTER_STOP_MS);
	c->cleaning = 1;
	rc = sd_conn_repeat(c, op, arg, &w, err);
	c->cleaning = was;
	return rc;
}

int
sd_conn_repeat(struct sd_conn *c, int (*op)(struct sd_conn *c, void *arg), void *arg, const struct sd_wait *w,
    struct sd_err *err)
{
	for (;;) {
		int rc = op(c, arg);

		if (rc != LIBSSH2_ERROR_EAGAIN)
			return rc;
		if (sd_conn_wait(c, w->phase_deadline, w->step_deadline, w->phase, w->timeout, err) < 0)
			return SD_WAIT_FAILED;
	}
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

int
sd_ssh_is_disconnect(int rc)
{
	return rc == LIBSSH2_ERROR_SOCKET_DISCONNECT || rc == LIBSSH2_ERROR_SOCKET_RECV ||
	    rc == LIBSSH2_ERROR_SOCKET_SEND || rc == LIBSSH2_ERROR_CHANNEL_CLOSED ||
	    rc == LIBSSH2_ERROR_BANNER_RECV;
}

const char *
sd_ssh_message(LIBSSH2_SESSION *s)
{
	char *msg = NULL;

	/* It may quote the server (a disconnect reason): whoever shows it passes it through the sanitiser. */
	libssh2_session_last_error(s, &msg, NULL, 0);
	return msg ? msg : "unknown error";
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

int
sd_ssh_rsa_sha2(void)
{
	/* libssh2 signs and verifies RSA with SHA-256/512 from 1.11 on. */
	return libssh2_version(0x010b00) != NULL;
}

/* Does this libssh2 implement algorithm alg for method? */
static int
supports(LIBSSH2_SESSION *s, int method, const char *alg)
{
	const char **algs = NULL;
	int n = libssh2_session_supported_algs(s, method, &algs), found = 0;

	for (int i = 0; i < n && !found; i++)
		found = strcmp(algs[i], alg) == 0;
	if (n > 0)
		libssh2_free(s, algs);
	return found;
}

/* The items of the comma list wanted that this libssh2 implements for method, in order, each once, into out. */
static void
keep_supported(LIBSSH2_SESSION *s, int method, const char *wanted, struct sd_buf *out)
{
	char *list = sd_xstrdup(wanted), *save = NULL;

	for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save))
		if (supports(s, method, t) && !sd_alg_list_has(sd_buf_str(out), t))
			sd_buf_join(out, ",", t);
	free(list);
}

/*
 * The host-key algorithms to offer for the key types known_hosts has (its
 * order), or the policy's (OpenSSH's order) when none is known (pins only,
 * trust on first use): libssh2 would otherwise pick ECDSA and show a key
 * operators never saw. An RSA key is asked for signed with SHA-2
 * (rsa-sha2-512, then -256); SHA-1 `ssh-rsa` only where the drill allows it.
 */
static void
hostkey_algorithms(struct sd_conn *c, const struct sd_known *known, int allow_sha1, struct sd_buf *out)
{
	char *types = sd_known_prefs(known), *save = NULL;

	c->hostkeys_known = types != NULL;
	if (types == NULL)
		types = sd_xstrdup(sd_alg_policy(SD_ALG_HOSTKEY));
	for (char *t = strtok_r(types, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (strcmp(t, "ssh-rsa") != 0)
			sd_buf_join(out, ",", t);
		else
			sd_buf_join(out, ",", "rsa-sha2-512,rsa-sha2-256");
	}
	if (allow_sha1 && sd_alg_list_has(sd_buf_str(out), "rsa-sha2-256"))
		sd_buf_join(out, ",", "ssh-rsa");
	free(types);
}

/* What the connection offers: one list per category, as set (what this libssh2 has of the policy). */
static void
offer(struct sd_conn *c, enum sd_alg_category cat, const char *list)
{
	static const int method[SD_ALG__COUNT] = { [SD_ALG_KEX] = LIBSSH2_METHOD_KEX,
		[SD_ALG_HOSTKEY] = LIBSSH2_METHOD_HOSTKEY, [SD_ALG_CIPHER_CS] = LIBSSH2_METHOD_CRYPT_CS,
		[SD_ALG_CIPHER_SC] = LIBSSH2_METHOD_CRYPT_SC, [SD_ALG_MAC_CS] = LIBSSH2_METHOD_MAC_CS,
		[SD_ALG_MAC_SC] = LIBSSH2_METHOD_MAC_SC };
	struct sd_buf usable = SD_BUF_INIT(0);

	keep_supported(c->ssh, method[cat], list, &usable);
	/* Nothing left would mean libssh2 offers nothing: keep its defaults then (said as "(libssh2's)"). */
	if (usable.len > 0 && libssh2_session_method_pref(c->ssh, method[cat], usable.p) == 0)
		c->offer[cat] = sd_buf_detach(&usable);
	else
		c->offer[cat] = sd_xstrdup("");
	sd_buf_release(&usable);
}

/* Every category's preference, the host keys' from what is known of the endpoint. */
static int
set_offer(struct sd_conn *c, const struct sd_known *known, int allow_sha1, struct sd_err *err)
{
	struct sd_buf wanted = SD_BUF_INIT(0);
	int rc = 0;

	for (int cat = 0; cat < SD_ALG__COUNT; cat++)
		if (cat != SD_ALG_HOSTKEY)
			offer(c, (enum sd_alg_category)cat, sd_alg_policy((enum sd_alg_category)cat));
	hostkey_algorithms(c, known, allow_sha1, &wanted);
	offer(c, SD_ALG_HOSTKEY, sd_buf_str(&wanted));
	if (c->offer[SD_ALG_HOSTKEY][0] == '\0')
		rc = sd_fail(err, SD_KIND_HOSTKEY_UNSUPPORTED, SD_PHASE_HOSTKEY,
		    "%s: the host key known for it can be verified only with %s, which %s: %s", c->label,
		    sd_buf_str(&wanted), sd_ssh_rsa_sha2() ? "the drill does not allow" : "this libssh2 does not offer",
		    sd_ssh_rsa_sha2() ? "add `allow-sha1 yes` to accept RSA signed with SHA-1" :
		    "build sftpdrill with libssh2 1.11 or later (`make` does so on Debian 12)");
	snprintf(c->info.client_kex, sizeof(c->info.client_kex), "%s", c->offer[SD_ALG_KEX]);
	snprintf(c->info.client_hostkeys, sizeof(c->info.client_hostkeys), "%s", c->offer[SD_ALG_HOSTKEY]);
	snprintf(c->info.client_ciphers, sizeof(c->info.client_ciphers), "%s", c->offer[SD_ALG_CIPHER_CS]);
	snprintf(c->info.client_macs, sizeof(c->info.client_macs), "%s", c->offer[SD_ALG_MAC_CS]);
	sd_buf_release(&wanted);
	return rc;
}

/* A list the server offered, as text for a message. */
static const char *
offered(const struct sd_conn *c, enum sd_kexinit_list list)
{
	return c->kexinit.parsed && c->kexinit.lists[list] ? c->kexinit.lists[list] : "(not seen)";
}

static int
op_handshake(struct sd_conn *c, void *arg)
{
	(void)arg;
	return libssh2_session_handshake(c->ssh, c->fd);
}

static void record_offer(struct sd_conn *c);

/* A key exchange with nothing in common: which category, and both sides' lists for it. */
static void
kex_failed(struct sd_conn *c, int rc, struct sd_err *err)
{
	const char *theirs[SD_ALG__COUNT];
	struct sd_buf why = SD_BUF_INIT(0);
	int cat = -1;

	for (int k = 0; k < SD_ALG__COUNT; k++)
		theirs[k] = c->kexinit.parsed ? c->kexinit.lists[k] : NULL;
	if (!c->kexinit.parsed)
		sd_buf_adds(&why, "the server's offer was not seen");
	else if ((cat = sd_alg_diagnose((const char *const *)c->offer, theirs, &why)) == SD_ALG_HOSTKEY &&
	    c->hostkeys_known)
		sd_buf_adds(&why, " (sftpdrill offers only the host-key types known_hosts has for the endpoint: has the "
		    "server's host key changed type?)");
	else if (cat < 0)
		sd_buf_addf(&why, "each category has an algorithm both sides accept, so the failure is in the exchange "
		    "itself; the server offers key exchange %s, host keys %s", theirs[SD_ALG_KEX], theirs[SD_ALG_HOSTKEY]);
	sd_fail(err, SD_KIND_KEX_FAILED, SD_PHASE_KEX, "%s: key exchange failed (%s): %s", c->label,
	    sd_ssh_message(c->ssh), sd_buf_str(&why));
	err->ssh_code = rc;
	sd_buf_release(&why);
}

static int
handshake(struct sd_conn *c, int64_t step_deadline, struct sd_err *err)
{
	struct sd_wait w = sd_conn_phase_wait(c, SD_PHASE_KEX, step_deadline);
	int rc = sd_conn_repeat(c, op_handshake, NULL, &w, err);

	if (rc == 0 || rc == SD_WAIT_FAILED)
		return rc == 0 ? 0 : -1;
	record_offer(c);
	if (rc == LIBSSH2_ERROR_KEX_FAILURE || rc == LIBSSH2_ERROR_METHOD_NOT_SUPPORTED)
		return kex_failed(c, rc, err), -1;
	if (sd_ssh_is_disconnect(rc))
		sd_fail(err, SD_KIND_CONNECTION_CLOSED, SD_PHASE_KEX,
		    "%s: the connection was closed during the SSH handshake (%s)", c->label, sd_ssh_message(c->ssh));
	else
		sd_fail(err, SD_KIND_HANDSHAKE_FAILED, SD_PHASE_KEX, "%s: SSH handshake failed: %s (libssh2 %d)", c->label,
		    sd_ssh_message(c->ssh), rc);
	err->ssh_code = rc;
	return -1;
}

/* Read known_hosts before any packet is sent: a bad file must stop us early. */
static int
load_known(struct sd_conn *c, const struct sd_conn_opts *o, struct sd_known *known, struct sd_err *err)
{
	if (o->known_hosts == NULL)
		return 0;
	if (sd_known_load(o->known_hosts, o->host, o->port, known, err) < 0) {
		/* With TOFU a known_hosts file that does not exist yet is the one to create. */
		if (!o->trust_on_first_use || access(o->known_hosts, F_OK) == 0)
			return -1;
		sd_err_clear(err);
	}
	for (size_t i = 0; i < known->warnings.n; i++)
		sd_conn_note(c, SD_NOTE_WARNING, SD_PHASE_HOSTKEY, "%s", known->warnings.v[i]);
	sd_conn_note(c, SD_NOTE_PHASE, SD_PHASE_HOSTKEY, "%zu known host key(s) for %s in %s", known->n, c->label,
	    o->known_hosts);
	return 0;
}

/* TCP, then the server's first bytes: each before its deadline. */
static int
reach(struct sd_conn *c, const struct sd_conn_opts *o, int64_t step_deadline, struct sd_err *err)
{
	int64_t t0 = sd_now_ms(), t1;

	sd_conn_note(c, SD_NOTE_PHASE, SD_PHASE_CONNECT, "connecting to %s (deadline %llds)", c->label,
	    (long long)c->to.connect / 1000);
	c->fd = sd_net_connect(o->host, o->port, sd_deadline_min(t0 + c->to.connect, step_deadline), c->cancel,
	    c->info.peer, sizeof(c->info.peer), err);
	if (c->fd < 0)
		return -1;
	t1 = sd_now_ms();
	c->info.connect_s = (double)(t1 - t0) / 1000.0;
	sd_conn_note(c, SD_NOTE_PHASE, SD_PHASE_CONNECT, "TCP connected to %s in %.3fs", c->info.peer,
	    c->info.connect_s);
	if (sd_net_wait_banner(c->fd, t1 + c->to.banner, step_deadline, c->cancel, err) < 0)
		return -1;
	c->info.banner_s = (double)(sd_now_ms() - t1) / 1000.0;
	sd_conn_note(c, SD_NOTE_PHASE, SD_PHASE_BANNER, "the server spoke after %.3fs", c->info.banner_s);
	return 0;
}

static void
copy_method(LIBSSH2_SESSION *s, int which, char *dst, size_t len)
{
	const char *m = libssh2_session_methods(s, which);

	snprintf(dst, len, "%s", m ? m : "");
}

/* An AEAD cipher authenticates itself: whatever MAC libssh2 names beside it is not in use. */
static void
truthful_mac(const char *cipher, char *mac, size_t len)
{
	if (strstr(cipher, "-gcm@openssh.com") || strstr(cipher, "chacha20-poly1305"))
		snprintf(mac, len, "implicit (AEAD cipher)");
}

/* What the server offered, and whether strict key exchange is in force (both sides said so). */
static void
record_offer(struct sd_conn *c)
{
	const struct sd_kexinit *k = &c->kexinit;
	int strict = k->parsed && sd_kexinit_offers(k, SD_KEXINIT_KEX, KEX_STRICT_SERVER) &&
	    supports(c->ssh, LIBSSH2_METHOD_KEX, KEX_STRICT_CLIENT);

	snprintf(c->info.kex_strict, sizeof(c->info.kex_strict), "%s", strict ? "yes" : "no");
	snprintf(c->info.server_kex, sizeof(c->info.server_kex), "%s", offered(c, SD_KEXINIT_KEX));
	snprintf(c->info.server_hostkeys, sizeof(c->info.server_hostkeys), "%s", offered(c, SD_KEXINIT_HOSTKEY));
	snprintf(c->info.server_ciphers, sizeof(c->info.server_ciphers), "%s", offered(c, SD_KEXINIT_CIPHER_SC));
	snprintf(c->info.server_macs, sizeof(c->info.server_macs), "%s", offered(c, SD_KEXINIT_MAC_SC));
}

/* What the handshake settled: banner and algorithms, for the evidence. */
static void
record_negotiated(struct sd_conn *c)
{
	const char *banner = libssh2_session_banner_get(c->ssh);

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
	truthful_mac(c->info.cipher_cs, c->info.mac_cs, sizeof(c->info.mac_cs));
	truthful_mac(c->info.cipher_sc, c->info.mac_sc, sizeof(c->info.mac_sc));
	record_offer(c);
	sd_conn_note(c, SD_NOTE_PHASE, SD_PHASE_KEX,
	    "banner \"%s\"; kex %s, kex-strict: %s, host key %s, cipher %s/%s, mac %s/%s (%.3fs)", c->info.banner,
	    c->info.kex, c->info.kex_strict, c->info.hostkey_alg, c->info.cipher_cs, c->info.cipher_sc, c->info.mac_cs,
	    c->info.mac_sc, c->info.handshake_s);
}

/* The host key against known_hosts and pins; with --trust-on-first-use, a key nobody knew is added. */
static int
verify_hostkey(struct sd_conn *c, const struct sd_conn_opts *o, const struct sd_known *known, struct sd_err *err)
{
	size_t keylen;
	int keytype;
	const unsigned char *key = (const unsigned char *)libssh2_session_hostkey(c->ssh, &keylen, &keytype);

	if (key == NULL)
		return sd_fail(err, SD_KIND_HOSTKEY_UNAVAILABLE, SD_PHASE_HOSTKEY, "%s: no host key after handshake", c->label);
	snprintf(c->info.hostkey_type, sizeof(c->info.hostkey_type), "%s", hostkey_type_name(keytype));
	sd_sha256_fingerprint(key, keylen, c->info.hostkey_fp, sizeof(c->info.hostkey_fp));
	if (sd_hostkey_verify(o->known_hosts ? known : NULL, o->pins, o->host, o->port, c->info.hostkey_type, key,
	    keylen, err) < 0) {
		/* Trust on first use, only when asked, only for a key never seen (never a mismatch). */
		if (!o->trust_on_first_use || o->known_hosts == NULL || !sd_err_is(err, SD_KIND_HOSTKEY_UNKNOWN))
			return -1;
		if (sd_known_append(o->known_hosts, o->host, o->port, c->info.hostkey_type, key, keylen, err) < 0)
			return -1;
		sd_conn_note(c, SD_NOTE_WARNING, SD_PHASE_HOSTKEY,
		    "%s: TRUSTED ON FIRST USE: %s %s added to %s; confirm this fingerprint with the service's operator",
		    c->label, c->info.hostkey_type, c->info.hostkey_fp, o->known_hosts);
		sd_err_clear(err);
	}
	sd_conn_note(c, SD_NOTE_PHASE, SD_PHASE_HOSTKEY, "host key %s %s verified", c->info.hostkey_type,
	    c->info.hostkey_fp);
	return 0;
}

/* libssh2's allocations, with room to spare while it authenticates (conn.h, alloc_slack). */
static LIBSSH2_ALLOC_FUNC(conn_alloc)
{
	const struct sd_conn *c = *abstract;

	return malloc(count + c->alloc_slack);
}

static LIBSSH2_REALLOC_FUNC(conn_realloc)
{
	const struct sd_conn *c = *abstract;

	return realloc(ptr, count + c->alloc_slack);
}

static LIBSSH2_FREE_FUNC(conn_free)
{
	(void)abstract;
	free(ptr);
}

/* A libssh2 session on c->fd, non-blocking, with the algorithms we will accept. */
static int
start_session(struct sd_conn *c, const struct sd_known *known, int allow_sha1, struct sd_err *err)
{
	c->ssh = libssh2_session_init_ex(conn_alloc, conn_free, conn_realloc, c);
	if (c->ssh == NULL)
		return sd_fail(err, SD_KIND_LOCAL_ERROR, SD_PHASE_KEX, "libssh2_session_init failed");
#if LIBSSH2_VERSION_NUM >= 0x010b00
	libssh2_session_callback_set2(c->ssh, LIBSSH2_CALLBACK_RECV, (libssh2_cb_generic *)sd_wire_recv);
	libssh2_session_callback_set2(c->ssh, LIBSSH2_CALLBACK_SEND, (libssh2_cb_generic *)sd_wire_send);
#else
	libssh2_session_callback_set(c->ssh, LIBSSH2_CALLBACK_RECV, (void *)sd_wire_recv);
	libssh2_session_callback_set(c->ssh, LIBSSH2_CALLBACK_SEND, (void *)sd_wire_send);
#endif
	libssh2_session_set_blocking(c->ssh, 0);
	/* Keepalives only go out when we call libssh2_keepalive_send (non-blocking mode). */
	libssh2_keepalive_config(c->ssh, 0, 15);
	return set_offer(c, known, allow_sha1, err);
}

/* What a connection holds besides libssh2's session, freed with it. */
static void
free_conn(struct sd_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	sd_kexinit_release(&c->kexinit);
	sd_wire_release(c);
	for (int cat = 0; cat < SD_ALG__COUNT; cat++)
		free(c->offer[cat]);
	free(c);
}

static void
discard(struct sd_conn *c)
{
	/* No goodbye on failure: after a host-key mismatch we say nothing more to that server. */
	if (c->ssh)
		libssh2_session_free(c->ssh);
	free_conn(c);
}

struct sd_conn *
sd_conn_open(const struct sd_conn_opts *o, int64_t step_deadline, struct sd_conn_info *info, struct sd_err *err)
{
	struct sd_conn *c = sd_xcalloc(1, sizeof(*c));
	struct sd_known known = { 0 };
	int64_t t1;
	int rc;

	*c = (struct sd_conn){ .fd = -1, .to = *o->timeouts, .note = o->note, .note_ctx = o->note_ctx, .cancel = o->cancel,
		.limits = o->limits ? *o->limits : (struct sd_limits){ SD_LIMIT_SIZE, SD_LIMIT_ENTRIES,
		SD_LIMIT_NAMES, SD_LIMIT_INFLIGHT, SD_LIMIT_CHANNELS } };
	snprintf(c->label, sizeof(c->label), "%s", o->label);
	rc = load_known(c, o, &known, err);
	if (rc == 0)
		rc = reach(c, o, step_deadline, err);
	t1 = sd_now_ms();
	if (rc == 0)
		rc = start_session(c, &known, o->allow_sha1, err);
	if (rc == 0)
		rc = handshake(c, step_deadline, err);
	if (rc == 0) {
		c->info.handshake_s = (double)(sd_now_ms() - t1) / 1000.0;
		record_negotiated(c);
		rc = verify_hostkey(c, o, &known, err);
	}
	sd_known_release(&known);
	if (info)
		*info = c->info;
	if (rc == 0)
		return c;
	discard(c);
	return NULL;
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

static int
op_sftp_shutdown(struct sd_conn *c, void *arg)
{
	(void)arg;
	return libssh2_sftp_shutdown(c->sftp);
}

static int
op_disconnect(struct sd_conn *c, void *arg)
{
	(void)arg;
	return libssh2_session_disconnect(c->ssh, "sftpdrill: done");
}

/* The goodbye libssh2 handed over is still queued: out to the socket before it closes, within the deadline. */
static int
op_flush(struct sd_conn *c, void *arg)
{
	(void)arg;
	return sd_wire_flush(c) > 0 ? LIBSSH2_ERROR_EAGAIN : 0;
}

int
sd_conn_close(struct sd_conn *c, int64_t deadline, struct sd_err *err)
{
	struct sd_err ignore;
	int rc = 0;

	if (c == NULL)
		return 0;
	if (c->sftp && sd_conn_cleanup(c, op_sftp_shutdown, NULL, deadline, SD_KIND_LOGOUT_TIMEOUT, &ignore) != 0)
		rc = -1;
	if (c->ssh) {
		int r = sd_conn_cleanup(c, op_disconnect, NULL, deadline, SD_KIND_LOGOUT_TIMEOUT, &ignore);
		if (r == SD_WAIT_FAILED)
			rc = sd_fail(err, SD_KIND_LOGOUT_TIMEOUT, SD_PHASE_SFTP, "%s: the goodbye did not finish before its deadline",
			    c->label);
		else if (r != 0 && rc == 0)
			rc = sd_fail(err, SD_KIND_LOGOUT_FAILED, SD_PHASE_SFTP, "%s: disconnect failed: %s", c->label,
			    sd_ssh_message(c->ssh));
		if (r == 0)
			sd_conn_cleanup(c, op_flush, NULL, deadline, SD_KIND_LOGOUT_TIMEOUT, &ignore);
		libssh2_session_free(c->ssh);
	}
	free_conn(c);
	return rc;
}
