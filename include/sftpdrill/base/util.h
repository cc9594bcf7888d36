/* util.h — clocks, hashing, encodings and small string helpers shared by the library. */
#ifndef SD_UTIL_H
#define SD_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "sftpdrill/base/alloc.h"
#include "sftpdrill/base/buf.h"

/* Milliseconds on the monotonic clock; deadlines are compared against this. */
int64_t sd_now_ms(void);

/* Milliseconds left until deadline (0 if passed); a deadline of 0 means none (INT64_MAX left). */
int64_t sd_remaining_ms(int64_t deadline);

/* The earlier of two deadlines, where 0 means "no deadline". */
int64_t sd_deadline_min(int64_t a, int64_t b);

/* Format t as YYYY-MM-DDTHH:MM:SS in UTC into buf (at least 20 bytes). */
void sd_utc_iso(time_t t, char *buf, size_t len);


/*
 * Copy the regular file src to the new file dst (never through a link, never
 * over an existing file), computing its SHA-256 into hex (65 bytes): a
 * reflink where the file system shares blocks, else a copy; fsync'd. A
 * failed copy leaves no dst. Returns 0, or -1 with errno.
 */
int sd_copy_file(const char *src, const char *dst, char hex[65]);


/* OpenSSH-style fingerprint "SHA256:<unpadded base64>" of blob into out (at least 52 bytes). */
void sd_sha256_fingerprint(const unsigned char *blob, size_t len, char *out, size_t outlen);

/* Is s a well-formed OpenSSH SHA256 fingerprint ("SHA256:" + 43 base64 chars)? */
int sd_fingerprint_ok(const char *s);

/* Lower-case hex of n bytes into out (at least 2n+1 bytes). */
void sd_hex(const unsigned char *in, size_t n, char *out);

/* Decode standard base64 (padding optional); returns a new buffer (caller frees) or NULL if invalid. */
unsigned char *sd_base64_decode(const char *in, size_t inlen, size_t *outlen);

/* sd_open_regular's flags. */
#define SD_NOFOLLOW 1           /* a symbolic link is refused (ELOOP), not followed */
#define SD_APPEND 2             /* open for appending, created (0600) if missing */

/*
 * Open path only if it is a regular file: for reading, or (SD_APPEND) for
 * appending. O_NONBLOCK while opening, so a FIFO cannot hang the open;
 * fstat then refuses FIFOs, devices and folders (errno EINVAL). The
 * descriptor is blocking on return. Local files the tool reads or appends
 * to are opened only this way. Returns the descriptor, or -1 with errno.
 */
int sd_open_regular(const char *path, int flags);

/* The same as a stdio stream for reading ("re"); NULL with errno. */
FILE *sd_fopen_regular(const char *path, int flags);

/* SHA-256 of len bytes as lower-case hex (65 bytes). */
void sd_sha256_hex(const void *data, size_t len, char hex[65]);

/* SHA-256 of a local regular file as hex (65 bytes); 0 on success, -1 with errno set. */
int sd_sha256_file(const char *path, char hex[65]);

/*
 * Read fd in to its end, hashing with SHA-256 into hex, and when out >= 0
 * write everything read to out as well: a copy and its hash in one pass.
 * 0, or -1 with errno.
 */
int sd_sha256_stream(int in, int out, char hex[65]);

/* A folder name for an endpoint "host:port" that is safe on any file system: "host_port". */
void sd_endpoint_dirname(const char *label, char *out, size_t len);

/*
 * Where the files of a remote folder go under an endpoint's local folder, so that two remote
 * folders never share one: its components as nested folders ("/reports/daily" gives
 * "reports/daily", "/" gives ""), a relative folder under "~" ("reports" gives "~/reports"),
 * a component that is no safe local name (.., a control character, a %) as %XX bytes.
 * Caller frees.
 */
char *sd_remote_folder_path(const char *remote_dir);

/* The longest name a local file may have (NAME_MAX on Linux). */
#define SD_NAME_MAX 255

/* Decode the UTF-8 character at p (at most n bytes) into *cp; its length, or 0 if invalid. */
size_t sd_utf8_decode(const unsigned char *p, size_t n, uint32_t *cp);

/*
 * Is cp a character that must never reach a terminal or a report raw: C0
 * and DEL, C1 (U+0080-U+009F), bidirectional controls (U+061C, U+200E/F,
 * U+202A-U+202E, U+2066-U+2069) and the line/paragraph separators?
 */
int sd_char_is_control(uint32_t cp);

/* Is name one of the hidden temporary names of files on their way in (".NAME.sftpdrill-XXXXXXXX")? */
int sd_is_temp_name(const char *name);

/*
 * Is a remote file name safe to use as a single local path component?
 * Rejects empty names, ".", "..", names with '/' or '\\', invalid UTF-8,
 * control characters (sd_char_is_control), names longer than SD_NAME_MAX
 * bytes, and the tool's own temporary names. Remote names never become
 * local paths unchecked.
 */
int sd_safe_local_name(const char *name);

/*
 * The one sanitiser for text that came from outside (a server, a file):
 * invalid UTF-8 bytes and control characters are shown as visible escapes
 * (\\x1b, \\u202e), never passed through; everything else is kept.
 * Returns a new string; caller frees.
 */
char *sd_printable(const char *s, size_t len);

/* The same for text XML and HTML carry: tab, LF and CR are kept. Caller frees. */
char *sd_xml_text(const char *s);

/*
 * Create a new hidden file ".NAME.sftpdrill-XXXXXXXX" in dir for writing
 * (O_EXCL, random suffix, mode 0666 less the umask; NAME cut so the whole
 * stays within SD_NAME_MAX; locked with flock while open, see
 * sd_remove_stale_temps). *tmp receives its path
 * (caller frees). Returns the descriptor, or -1 with errno.
 */
int sd_create_temp(const char *dir, const char *name, char **tmp);

/*
 * Remove the hidden temporary files a crashed or killed run left in dir
 * (".NAME.sftpdrill-XXXXXXXX"): each is locked by its writer while it
 * lives, so only those no live process holds are removed.
 */
void sd_remove_stale_temps(const char *dir);

/*
 * Writing a file so that its final name only ever shows complete content:
 * sd_atomic_open makes a temporary file beside path; sd_atomic_commit
 * flushes, fsyncs, closes and renames it to path, or removes it on any
 * failure (f may be NULL after a failed open). commit frees tmp. Both
 * return 0 / NULL-or-stream and set errno on failure.
 */
FILE *sd_atomic_open(const char *path, char **tmp);
int sd_atomic_commit(FILE *f, char *tmp, const char *path);

/* Write len bytes to path through sd_atomic_open/commit; 0 or -1 with errno. */
int sd_write_atomic(const char *path, const void *data, size_t len);

/* The candidate (NULL-terminated list) closest to word within edit distance 2, or NULL: "did you mean". */
const char *sd_suggest(const char *word, const char *const *cands);

/*
 * Tables of kinds (failure kinds, verbs, directives, commands) are arrays of
 * n structs of size bytes whose first member is `const char *name`.
 * sd_table_find returns the entry named name, or NULL; sd_table_names fills
 * names[0..n] with the names and a final NULL, for sd_suggest.
 */
const void *sd_table_find(const void *table, size_t n, size_t size, const char *name);
void sd_table_names(const void *table, size_t n, size_t size, const char **names);

/* Create a directory and its parents (mode 0755); 0 or -1 with errno. */
int sd_mkdirs(const char *path);

#endif
