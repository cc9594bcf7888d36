/* version.h — sftpdrill's version: the build passes it in once (Makefile's VERSION), everyone asks here. */
#ifndef SD_VERSION_H
#define SD_VERSION_H

/* "0.2.0". */
const char *sd_version(void);

/* "sftpdrill 0.2.0": what reports name as their tool. */
const char *sd_tool(void);

#endif
