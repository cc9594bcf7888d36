/* transport.c — the real transport: SSH with libssh2 (session.c, sftp.c) over TCP (net.c). */
#include "sftpdrill/engine/net.h"
#include "sftpdrill/engine/transport.h"

const struct sd_transport sd_transport_ssh = {
	.open = sd_conn_open,
	.login = sd_conn_login,
	.logged_in = sd_conn_logged_in,
	.info = sd_conn_get_info,
	.list = sd_sftp_list,
	.stat = sd_sftp_stat,
	.download = sd_sftp_download,
	.close = sd_conn_close,
	.resolve = sd_net_resolve,
};
