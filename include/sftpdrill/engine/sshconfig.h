/* sshconfig.h — what an OpenSSH client config says about a host alias. */
#ifndef SD_SSHCONFIG_H
#define SD_SSHCONFIG_H

#include "sftpdrill/base/err.h"

/*
 * The HostName an OpenSSH client config gives alias (first match wins, as
 * in ssh; Host patterns with * ? and !; Match blocks are not evaluated and
 * their lines are skipped). Without a HostName line the alias itself is the
 * host name. Returns a new string, or NULL with err (SshConfigUnreadable).
 */
char *sd_ssh_config_hostname(const char *path, const char *alias, struct sd_err *err);

#endif
