/* version.c — the version the build passed in, in one place. */
#include "sftpdrill/base/version.h"

#ifndef SFTPDRILL_VERSION
#error "SFTPDRILL_VERSION is passed in by the Makefile (its VERSION)"
#endif

const char *
sd_version(void)
{
	return SFTPDRILL_VERSION;
}

const char *
sd_tool(void)
{
	return "sftpdrill " SFTPDRILL_VERSION;
}
