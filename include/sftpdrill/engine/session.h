/* session.h — one SSH connection: TCP, banner, key exchange, host-key check, login, SFTP start. */
#ifndef SD_SESSION_H
#define SD_SESSION_H

#include <stdint.h>

#include "sftpdrill/base/cancel.h"
#include "sftpdrill/base/err.h"
#include "sftpdrill/base/bounds.h"
#include "sftpdrill/base/util.h"

/* An open connection; opaque. */
struct sd_conn;

/* What a connection learnt, for evidence. Strings are printable (see sd_printable). */
struct sd_conn_info {
	char peer[80];              /* address actually connected, "addr:port" */
	char banner[256];           /* server identification string */
	char hostkey_type[40];
	char hostkey_fp[64];        /* SHA256:... */
	char kex[64], hostkey_alg[64];
	char cipher_cs[64], cipher_sc[64], mac_cs[64], mac_sc[64]; /* an AEAD cipher's MAC says "implicit" */
	char kex_strict[8];         /* "yes": strict key exchange (the Terrapin mitigation) is in force; "no" */
	char server_kex[512], server_hostkeys[512], server_ciphers[512], server_macs[512]; /* what it offered */
	char client_kex[512], client_hostkeys[512], client_ciphers[512], client_macs[512]; /* what sftpdrill offered */
	char userkey_type[40];
	char userkey_fp[64];
	double connect_s, banner_s, handshake_s;
};

/* What a connection tells its caller as it goes: progress of a phase, or a warning. */
enum sd_note_kind { SD_NOTE_PHASE, SD_NOTE_WARNING };
typedef void (*sd_note_fn)(void *ctx, enum sd_note_kind kind, enum sd_phase phase, const char *msg);

/* Where and how to connect. The strings are borrowed for the call. */
struct sd_conn_opts {
	const char *host;
	int port;
	const char *label;          /* "host:port", for messages */
	const char *known_hosts;    /* OpenSSH known_hosts file, or NULL when pins alone decide */
	const struct sd_strv *pins; /* SHA256 fingerprints that are also accepted, or NULL */
	const struct sd_timeouts *timeouts;
	const struct sd_limits *limits;
	int trust_on_first_use;     /* an unknown key is appended to known_hosts instead of failing */
	int allow_sha1;             /* also accept RSA host keys signed with SHA-1 (`ssh-rsa`) */
	const struct sd_cancel *cancel; /* every wait ends with Interrupted once set; may be NULL; kept */
	sd_note_fn note;            /* may be NULL; kept for the connection's life */
	void *note_ctx;
};


/*
 * Connect, wait for the banner, exchange keys and verify the host key, each
 * phase before its deadline and all before step_deadline. On success returns
 * the connection (close with sd_conn_close); on failure NULL and err, with
 * whatever was learnt so far in *info. Each phase is reported to o->note;
 * known_hosts lines that were skipped are reported as warnings.
 */
struct sd_conn *sd_conn_open(const struct sd_conn_opts *o, int64_t step_deadline,
    struct sd_conn_info *info, struct sd_err *err);

/* Who logs in, and with what. Strings are borrowed for the call. */
struct sd_login {
	const char *user;
	const char *identity;       /* private key file, or "ssh-agent" for the agent's keys */
	const char *passphrase;     /* the key's passphrase, or NULL */
};

/*
 * Authenticate with l and start the SFTP subsystem. Kinds: AuthRejected,
 * AuthFailed, KeyUnreadable, AgentUnavailable, ConnectionClosed,
 * AuthTimeout, SftpInitFailed, SftpInitTimeout.
 */
int sd_conn_login(struct sd_conn *c, const struct sd_login *l, int64_t step_deadline, struct sd_err *err);

/* Is the connection logged in with SFTP running? */
int sd_conn_logged_in(const struct sd_conn *c);

/* The connection's evidence record (also kept up to date after login). */
const struct sd_conn_info *sd_conn_get_info(const struct sd_conn *c);

/*
 * Close SFTP and say goodbye to the server (bounded by deadline), then free.
 * Returns 0 if the goodbye was clean; c is freed either way. NULL is fine.
 */
int sd_conn_close(struct sd_conn *c, int64_t deadline, struct sd_err *err);

/*
 * The libssh2 actually running (and where the build took it from) and OpenSSL, e.g.
 * "libssh2 1.11.1 (Debian source package libssh2 1.11.1-1+deb13u2, ...), OpenSSL 3.0.19 ..."; static storage.
 */
const char *sd_library_versions(void);

/* Does the libssh2 running sign and verify RSA with SHA-2 (rsa-sha2-256/512)? 1.11 and later do. */
int sd_ssh_rsa_sha2(void);

/* Process-wide set-up of libssh2; call once before any thread starts. Returns 0 or -1. */
int sd_ssh_global_init(void);
void sd_ssh_global_exit(void);

#endif
