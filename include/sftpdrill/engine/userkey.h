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

/*
 * The SSH key type of a private key file ("ssh-rsa", "ssh-ed25519", ...): from
 * its public half, else from a PEM header ("BEGIN RSA PRIVATE KEY"). Returns
 * 0, or -1 when the file does not say.
 */
int sd_userkey_type(const char *keyfile, char *type, size_t typelen);

/* Is the private key file encrypted (OpenSSH format with a cipher, or encrypted PEM)? */
int sd_userkey_encrypted(const char *keyfile);

/*
 * Type and SHA256 fingerprint of a public key in SSH wire format (an agent's
 * identity, a .pub file's blob). Returns 0, or -1 if blob is not a key.
 */
int sd_userkey_blob_fingerprint(const unsigned char *blob, size_t len, char *type, size_t typelen, char *fp,
    size_t fplen);

#endif
