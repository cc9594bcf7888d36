/* userkey.h — private key files: their public half, fingerprint and encryption, read without libssh2. */
#ifndef SD_USERKEY_H
#define SD_USERKEY_H

#include <stddef.h>

/*
 * The public half of a private key file: from KEY.pub if present, otherwise
 * from an OpenSSH-format private key's unencrypted header. Fills type and
 * SHA256 fingerprint; returns 0, or -1 if neither could be read.
 */
int sd_userkey_fingerprint(const char *keyfile, char *type, size_t typelen, char *fp, size_t fplen);

/* Is the private key file encrypted (OpenSSH format with a cipher, or encrypted PEM)? */
int sd_userkey_encrypted(const char *keyfile);

/*
 * Type and SHA256 fingerprint of a public key in SSH wire format (an agent's
 * identity, a .pub file's blob). Returns 0, or -1 if blob is not a key.
 */
int sd_userkey_blob_fingerprint(const unsigned char *blob, size_t len, char *type, size_t typelen, char *fp,
    size_t fplen);

#endif
