/* timeouts.h — the deadline of each connection phase, shared by the drill and the connection. */
#ifndef SD_TIMEOUTS_H
#define SD_TIMEOUTS_H

#include <stdint.h>

/* Phase deadlines in milliseconds (defaults in docs/drill-language.md). */
struct sd_timeouts {
	int64_t connect, banner, kex, auth, sftp_init, sftp_op, step;
};

#endif
