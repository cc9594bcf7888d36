/* kind.c — the one table of failure kinds. */
#include <string.h>

#include "sftpdrill/buf.h"
#include "sftpdrill/kind.h"

#define F SD_FAIL
#define E SD_ERROR
#define DROPS SD_KIND_DROPS_CONNECTION

static const struct sd_kind_desc kinds[SD_KIND__COUNT] = {
	[SD_KIND_NONE] = { "Error", E, 0, "an error no more precise kind describes (please report it)", NULL },
	[SD_KIND_SKIPPED] = { "Skipped", SD_SKIP, 0,
		"not run because an earlier step on that endpoint failed", NULL },
	[SD_KIND_TARGET_MISMATCH] = { "TargetMismatch", F, 0,
		"the configured address does not resolve to the data centre the session is for",
		"switch your SFTP configuration to this session's data centre, then run again" },
	[SD_KIND_RESOLVE_FAILED] = { "ResolveFailed", F, 0, "a host name does not resolve",
		"check the name, or use the address" },
	[SD_KIND_RESOLVE_TIMEOUT] = { "ResolveTimeout", F, 0,
		"the name resolver did not answer before the connect deadline", "check the resolver (/etc/resolv.conf)" },
	[SD_KIND_CONNECT_REFUSED] = { "ConnectRefused", F, 0, "nothing listens at the address and port",
		"check the port; the address answered but no service listens there" },
	[SD_KIND_CONNECT_TIMEOUT] = { "ConnectTimeout", F, 0,
		"no answer before the connect deadline (packets dropped)",
		"check the route and firewall to the address with your network team" },
	[SD_KIND_CONNECT_UNREACHABLE] = { "ConnectUnreachable", F, 0,
		"the network says there is no route to the address", "check the route to the address" },
	[SD_KIND_CONNECT_FAILED] = { "ConnectFailed", F, 0, "another socket error while connecting", NULL },
	[SD_KIND_BANNER_TIMEOUT] = { "BannerTimeout", F, 0,
		"TCP connected but the server sent no SSH banner before the deadline",
		"a hung service or a proxy in the way: tell the service's operator" },
	[SD_KIND_CONNECTION_CLOSED] = { "ConnectionClosed", F, DROPS,
		"the server closed the connection (before the banner, in the handshake, authentication or an SFTP request)",
		NULL },
	[SD_KIND_KEX_FAILED] = { "KexFailed", F, 0, "key exchange failed: no algorithm both sides accept", NULL },
	[SD_KIND_KEX_TIMEOUT] = { "KexTimeout", F, 0, "key exchange stalled past its deadline", NULL },
	[SD_KIND_HANDSHAKE_FAILED] = { "HandshakeFailed", F, 0, "the SSH handshake failed for another reason", NULL },
	[SD_KIND_HOSTKEY_MISMATCH] = { "HostKeyMismatch", F, 0,
		"the host key differs from known_hosts or the pins (both fingerprints are named); stopped before authentication",
		"do not change known_hosts until the service's operator confirms the new fingerprint" },
	[SD_KIND_HOSTKEY_UNKNOWN] = { "HostKeyUnknown", F, 0,
		"no known_hosts entry or pin for the endpoint: host keys fail closed",
		"verify the fingerprint with the service's operator, then add it (or run once with --trust-on-first-use)" },
	[SD_KIND_HOSTKEY_UNSUPPORTED] = { "HostKeyUnsupported", E, 0,
		"known_hosts holds only host-key types this libssh2 cannot verify", NULL },
	[SD_KIND_HOSTKEY_UNAVAILABLE] = { "HostKeyUnavailable", E, 0,
		"the SSH library gave no host key after the handshake", NULL },
	[SD_KIND_KNOWN_HOSTS_UNREADABLE] = { "KnownHostsUnreadable", E, 0, "the known_hosts file cannot be read",
		"check the known-hosts path in the profile" },
	[SD_KIND_AUTH_REJECTED] = { "AuthRejected", F, 0,
		"the server refused the User ID and key (the methods it accepts are named)",
		"check the User ID and that the key registered with the service is this one" },
	[SD_KIND_AUTH_FAILED] = { "AuthFailed", F, 0, "authentication failed for another reason", NULL },
	[SD_KIND_AUTH_TIMEOUT] = { "AuthTimeout", F, 0, "authentication stalled past its deadline", NULL },
	[SD_KIND_KEY_UNREADABLE] = { "KeyUnreadable", E, 0, "the private key cannot be read or decrypted",
		"check the key path and its passphrase" },
	[SD_KIND_AGENT_UNAVAILABLE] = { "AgentUnavailable", E, 0,
		"`identity ssh-agent`, but no agent answers at SSH_AUTH_SOCK", NULL },
	[SD_KIND_SFTP_INIT_FAILED] = { "SftpInitFailed", F, 0, "logged in, but the SFTP subsystem did not start", NULL },
	[SD_KIND_SFTP_INIT_TIMEOUT] = { "SftpInitTimeout", F, 0, "the SFTP subsystem did not start before its deadline",
		NULL },
	[SD_KIND_COUNT_MISMATCH] = { "CountMismatch", F, 0,
		"the number of files differs from what the drill expects (added and removed names listed)",
		"report unexpected names to the service's operator" },
	[SD_KIND_NO_BASELINE] = { "NoBaseline", F, 0,
		"no manifest was recorded for the last business day (the message says which day and how to record one)",
		NULL },
	[SD_KIND_BASELINE_INVALID] = { "BaselineInvalid", E, 0, "a recorded manifest cannot be read", NULL },
	[SD_KIND_KEY_CHANGED] = { "KeyChanged", F, 0,
		"the user key or a host key differs from the reference recorded at the first `key-unchanged`",
		"keys must not be renewed during the stabilisation period" },
	[SD_KIND_FILE_MISSING] = { "FileMissing", F, 0, "no such file or folder, or no file matches the pattern", NULL },
	[SD_KIND_PERMISSION_DENIED] = { "PermissionDenied", F, 0, "the server refused access to a file or folder",
		NULL },
	[SD_KIND_NOT_A_FILE] = { "NotAFile", F, 0, "the remote path is not a regular file", NULL },
	[SD_KIND_SFTP_ERROR] = { "SftpError", F, 0, "the server answered an SFTP request with another error", NULL },
	[SD_KIND_SFTP_TIMEOUT] = { "SftpTimeout", F, DROPS, "an SFTP request got no answer before its deadline", NULL },
	[SD_KIND_TRANSFER_TIMEOUT] = { "TransferTimeout", F, DROPS, "a download made no progress before its deadline",
		NULL },
	[SD_KIND_STEP_TIMEOUT] = { "StepTimeout", F, DROPS, "the whole step hit its deadline", NULL },
	[SD_KIND_TRANSFER_INTERRUPTED] = { "TransferInterrupted", F, DROPS,
		"the connection was cut during a download; nothing partial is kept", NULL },
	[SD_KIND_SIZE_MISMATCH] = { "SizeMismatch", F, 0,
		"received a different number of bytes than the server reported", NULL },
	[SD_KIND_UNSAFE_NAME] = { "UnsafeName", F, 0,
		"a remote name cannot be a local file name (`/`, `..`, control characters)", NULL },
	[SD_KIND_LOGOUT_FAILED] = { "LogoutFailed", F, 0, "the goodbye to the server failed", NULL },
	[SD_KIND_LOGOUT_TIMEOUT] = { "LogoutTimeout", F, 0, "the goodbye to the server stalled past its deadline",
		NULL },
	[SD_KIND_LOCAL_FILE_CONFLICT] = { "LocalFileConflict", E, 0,
		"a different local file already has that name; it is kept, nothing is overwritten",
		"move the local file away to download again" },
	[SD_KIND_LOCAL_IO_ERROR] = { "LocalIOError", E, 0, "the local disk refused", NULL },
	[SD_KIND_LOCAL_ERROR] = { "LocalError", E, 0, "an operating-system call failed", NULL },
	[SD_KIND_EVIDENCE_CHANGED] = { "EvidenceChanged", E, 0, "a downloaded file changed before the bundle was sealed",
		NULL },
	[SD_KIND_SSH_CONFIG_UNREADABLE] = { "SshConfigUnreadable", E, 0,
		"the OpenSSH client config named for `ssh-config:ALIAS` cannot be read", NULL },
	[SD_KIND_CONFIG_ERROR] = { "ConfigError", E, 0,
		"a drill, profile, holiday file or window cannot be used as written", NULL },
	[SD_KIND_SIGN_KEY_INVALID] = { "SignKeyInvalid", E, 0,
		"the signing key cannot be read or is not an Ed25519 or ECDSA PEM key", NULL },
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

int
sd_kind_lookup(const char *name, enum sd_kind *out)
{
	for (int k = 0; k < SD_KIND__COUNT; k++)
		if (strcmp(kinds[k].name, name) == 0) {
			*out = (enum sd_kind)k;
			return 0;
		}
	return -1;
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
