/* util.c — clocks, hashing, encodings and small string helpers. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <linux/fs.h>
#include <openssl/evp.h>

#include "sftpdrill/base/util.h"

int64_t
sd_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
sd_remaining_ms(int64_t deadline)
{
	int64_t left;

	if (deadline == 0)
		return INT64_MAX;
	left = deadline - sd_now_ms();
	return left > 0 ? left : 0;
}

int64_t
sd_deadline_min(int64_t a, int64_t b)
{
	if (a == 0)
		return b;
	if (b == 0)
		return a;
	return a < b ? a : b;
}

void
sd_utc_iso(time_t t, char *buf, size_t len)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
}

void
sd_hex(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

void
sd_sha256_fingerprint(const unsigned char *blob, size_t len, char *out, size_t outlen)
{
	unsigned char md[32];
	unsigned char b64[48];
	unsigned int mdlen = 0;
	int n;

	EVP_Digest(blob, len, md, &mdlen, EVP_sha256(), NULL);
	n = EVP_EncodeBlock(b64, md, (int)mdlen);
	while (n > 0 && b64[n - 1] == '=')
		n--;
	b64[n] = '\0';
	snprintf(out, outlen, "SHA256:%s", (const char *)b64);
}

unsigned char *
sd_base64_decode(const char *in, size_t inlen, size_t *outlen)
{
	char *padded;
	unsigned char *out;
	size_t plen = inlen, pad = 0;
	int n;

	if (inlen == 0 || inlen > (1u << 30))
		return NULL;
	for (size_t i = 0; i < inlen; i++) {
		char c = in[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '='))
			return NULL;
	}
	/* EVP_DecodeBlock wants padded input; OpenSSH fingerprints come unpadded. */
	while ((plen + pad) % 4 != 0)
		pad++;
	padded = sd_xmalloc(plen + pad + 1);
	memcpy(padded, in, plen);
	memset(padded + plen, '=', pad);
	plen += pad;
	out = sd_xmalloc(plen / 4 * 3 + 1);
	n = EVP_DecodeBlock(out, (unsigned char *)padded, (int)plen);
	if (n < 0) {
		free(padded);
		free(out);
		return NULL;
	}
	/* EVP_DecodeBlock counts padding bytes as zero output; take them off. */
	for (size_t i = plen; i > 0 && padded[i - 1] == '='; i--)
		n--;
	free(padded);
	*outlen = (size_t)n;
	return out;
}

int
sd_sha256_stream(int in, int out, char hex[65])
{
	unsigned char buf[65536], md[32];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	ssize_t n;
	int rc = -1, saved;

	if (ctx == NULL || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
		errno = ENOMEM;
		goto out;
	}
	for (n = read(in, buf, sizeof(buf)); n != 0; n = read(in, buf, sizeof(buf))) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			goto out;
		}
		EVP_DigestUpdate(ctx, buf, (size_t)n);
		for (ssize_t off = 0; out >= 0 && off < n; ) {
			ssize_t w = write(out, buf + off, (size_t)(n - off));
			if (w < 0 && errno != EINTR)
				goto out;
			if (w > 0)
				off += w;
		}
	}
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	sd_hex(md, mdlen, hex);
	rc = 0;
out:
	saved = errno;
	EVP_MD_CTX_free(ctx);
	errno = saved;
	return rc;
}

void
sd_sha256_hex(const void *data, size_t len, char hex[65])
{
	unsigned char md[32];
	unsigned int mdlen = 0;

	EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
	sd_hex(md, mdlen, hex);
}

int
sd_open_regular(const char *path, int flags)
{
	int oflags = O_CLOEXEC | O_NONBLOCK | (flags & SD_NOFOLLOW ? O_NOFOLLOW : 0) |
	    (flags & SD_APPEND ? O_WRONLY | O_APPEND | O_CREAT : O_RDONLY);
	int fd = open(path, oflags, 0600), saved;
	struct stat st;

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		saved = S_ISREG(st.st_mode) ? errno : EINVAL;
		close(fd);
		errno = saved;
		return -1;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
}

FILE *
sd_fopen_regular(const char *path, int flags)
{
	int fd = sd_open_regular(path, flags & SD_NOFOLLOW), saved;
	FILE *f = fd >= 0 ? fdopen(fd, "r") : NULL;

	if (fd >= 0 && f == NULL) {
		saved = errno;
		close(fd);
		errno = saved;
	}
	return f;
}

int
sd_sha256_file(const char *path, char hex[65])
{
	int fd = sd_open_regular(path, 0), rc, saved;

	if (fd < 0)
		return -1;
	rc = sd_sha256_stream(fd, -1, hex);
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

void
sd_endpoint_dirname(const char *label, char *out, size_t len)
{
	size_t i = 0;

	for (const char *p = label; *p && i + 1 < len; p++)
		out[i++] = (*p == ':' || *p == '/' || *p == '[' || *p == ']') ? '_' : *p;
	out[i] = '\0';
}

size_t
sd_utf8_decode(const unsigned char *p, size_t n, uint32_t *cp)
{
	size_t need;
	uint32_t c;

	if (n == 0)
		return 0;
	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if ((p[0] & 0xe0) == 0xc0) {
		need = 2;
		c = p[0] & 0x1f;
	} else if ((p[0] & 0xf0) == 0xe0) {
		need = 3;
		c = p[0] & 0x0f;
	} else if ((p[0] & 0xf8) == 0xf0) {
		need = 4;
		c = p[0] & 0x07;
	} else
		return 0;
	if (n < need)
		return 0;
	for (size_t i = 1; i < need; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (p[i] & 0x3f);
	}
	if ((need == 2 && c < 0x80) || (need == 3 && c < 0x800) || (need == 4 && c < 0x10000) || c > 0x10ffff ||
	    (c >= 0xd800 && c <= 0xdfff) || c == 0xfffe || c == 0xffff)
		return 0;
	*cp = c;
	return need;
}

int
sd_char_is_control(uint32_t cp)
{
	/* C0, DEL, C1; bidi embeddings, overrides, isolates and marks; line and paragraph separators. */
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x061c || cp == 0x200e || cp == 0x200f ||
	    (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

/* The hidden temporary name sd_create_temp gives a file on its way in: ".NAME.sftpdrill-XXXXXXXX". */
int
sd_is_temp_name(const char *name)
{
	size_t n = strlen(name);
	const char *tag = ".sftpdrill-";

	if (n < 20 || name[0] != '.' || strncmp(name + n - 19, tag, 11) != 0)
		return 0;
	return strspn(name + n - 8, "0123456789abcdef") == 8;
}

int
sd_safe_local_name(const char *name)
{
	const unsigned char *p = (const unsigned char *)name;
	size_t len = strlen(name), k;
	uint32_t cp;

	if (len == 0 || len > SD_NAME_MAX || strcmp(name, ".") == 0 || strcmp(name, "..") == 0 || sd_is_temp_name(name))
		return 0;
	for (size_t i = 0; i < len; i += k) {
		k = sd_utf8_decode(p + i, len - i, &cp);
		if (k == 0 || sd_char_is_control(cp) || cp == '/' || cp == '\\')
			return 0;
	}
	return 1;
}

/* Copy s escaping what must never be shown raw; keep_ws keeps tab, LF and CR. */
static char *
clean_text(const char *s, size_t len, int keep_ws)
{
	const unsigned char *p = (const unsigned char *)s;
	struct sd_buf out = SD_BUF_INIT(0);
	size_t i = 0, k;
	uint32_t cp = 0;

	while (i < len) {
		k = sd_utf8_decode(p + i, len - i, &cp);
		if (k == 0)
			sd_buf_addf(&out, "\\x%02x", p[i]);
		else if (sd_char_is_control(cp) && !(keep_ws && (cp == '\t' || cp == '\n' || cp == '\r')))
			sd_buf_addf(&out, cp < 0x80 ? "\\x%02x" : "\\u%04x", (unsigned)cp);
		else
			sd_buf_add(&out, p + i, k);
		i += k ? k : 1;
	}
	return sd_buf_detach(&out);
}

char *
sd_printable(const char *s, size_t len)
{
	return clean_text(s, len, 0);
}

char *
sd_xml_text(const char *s)
{
	return clean_text(s, strlen(s), 1);
}

int
sd_mkdirs(const char *path)
{
	char *p = sd_xstrdup(path);
	int rc = 0;

	for (char *s = p + 1; ; s++) {
		if (*s == '/' || *s == '\0') {
			char c = *s;
			*s = '\0';
			if (mkdir(p, 0755) < 0 && errno != EEXIST) {
				rc = -1;
				break;
			}
			*s = c;
			if (c == '\0')
				break;
		}
	}
	free(p);
	return rc;
}

/*
 * A temporary file exists, unlocked, between its creation and its writer's
 * lock: the stale-file sweep of another endpoint of the same run (a parallel
 * backup into one folder) must not find it then. Within the process the two
 * take turns; across processes, a sweep leaves a file that is empty and a
 * minute old or less.
 */
static pthread_mutex_t temps = PTHREAD_MUTEX_INITIALIZER;

#define YOUNG_TEMP_S 60

static int create_temp(const char *dir, const char *name, char **tmp);

int
sd_create_temp(const char *dir, const char *name, char **tmp)
{
	int fd;

	pthread_mutex_lock(&temps);
	fd = create_temp(dir, name, tmp);
	pthread_mutex_unlock(&temps);
	return fd;
}

static int
create_temp(const char *dir, const char *name, char **tmp)
{
	/* ".NAME.sftpdrill-XXXXXXXX" must stay within NAME_MAX whatever the name's length. */
	int keep = (int)strlen(name) > SD_NAME_MAX - 20 ? SD_NAME_MAX - 20 : (int)strlen(name);

	for (int i = 0; i < 100; i++) {
		unsigned int r;
		int fd;

		if (getrandom(&r, sizeof(r), 0) != sizeof(r))
			r = (unsigned int)getpid() * 2654435761u ^ (unsigned int)i;
		*tmp = sd_xasprintf("%s/.%.*s.sftpdrill-%08x", dir, keep, name, r);
		fd = open(*tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
		/* Locked while it is ours: a later run knows an unlocked one was left by a crash. */
		if (fd >= 0) {
			flock(fd, LOCK_EX | LOCK_NB);
			return fd;
		}
		free(*tmp);
		*tmp = NULL;
		if (errno != EEXIST)
			return -1;
	}
	errno = EEXIST;
	return -1;
}

void
sd_remove_stale_temps(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	pthread_mutex_lock(&temps);
	for (de = d ? readdir(d) : NULL; de != NULL; de = readdir(d)) {
		struct stat st;
		char *path;
		int fd;

		if (!sd_is_temp_name(de->d_name))
			continue;
		path = sd_xasprintf("%s/%s", dir, de->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
		/*
		 * Its writer holds a lock while it lives: a lock we can take means it died, unless the file is
		 * being born in another process (empty and young).
		 */
		if (fd >= 0 && fstat(fd, &st) == 0 && !(st.st_size == 0 && time(NULL) - st.st_mtime <= YOUNG_TEMP_S) &&
		    flock(fd, LOCK_EX | LOCK_NB) == 0)
			unlink(path);
		if (fd >= 0)
			close(fd);
		free(path);
	}
	pthread_mutex_unlock(&temps);
	if (d)
		closedir(d);
}

FILE *
sd_atomic_open(const char *path, char **tmp)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash ? sd_xstrndup(path, (size_t)(slash - path)) : sd_xstrdup(".");
	int fd = sd_create_temp(dir[0] ? dir : "/", slash ? slash + 1 : path, tmp);
	FILE *f;

	free(dir);
	if (fd < 0)
		return NULL;
	f = fdopen(fd, "w");
	if (f == NULL) {
		int saved = errno;
		close(fd);
		unlink(*tmp);
		free(*tmp);
		*tmp = NULL;
		errno = saved;
	}
	return f;
}

int
sd_atomic_commit(FILE *f, char *tmp, const char *path)
{
	int ok = f != NULL, saved;

	/* Renamed while still open, so the temporary file is never unlocked under its own name. */
	if (f != NULL)
		ok = fflush(f) == 0 && !ferror(f) && fsync(fileno(f)) == 0;
	ok = ok && tmp != NULL && rename(tmp, path) == 0;
	saved = errno;
	if (f != NULL && fclose(f) != 0 && ok) {
		ok = 0;
		saved = errno;
	}
	if (!ok && tmp != NULL)
		unlink(tmp);
	free(tmp);
	errno = ok ? 0 : (saved ? saved : EIO);
	return ok ? 0 : -1;
}

int
sd_write_atomic(const char *path, const void *data, size_t len)
{
	char *tmp;
	FILE *f = sd_atomic_open(path, &tmp);

	if (f != NULL && len > 0 && fwrite(data, 1, len, f) != len) {
		int saved = errno;
		fclose(f);
		unlink(tmp);
		free(tmp);
		errno = saved;
		return -1;
	}
	return f == NULL ? -1 : sd_atomic_commit(f, tmp, path);
}

/* Edit distance, for "did you mean" suggestions; small inputs only. */
static int
distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	int row[64];

	if (la >= 63 || lb >= 63)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		row[j] = (int)j;
	for (size_t i = 1; i <= la; i++) {
		int prev = row[0];
		row[0] = (int)i;
		for (size_t j = 1; j <= lb; j++) {
			int tmp = row[j], best = prev + (a[i - 1] != b[j - 1]);
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			prev = tmp;
		}
	}
	return row[lb];
}

const char *
sd_suggest(const char *word, const char *const *cands)
{
	const char *best = NULL;
	int bestd = 3;

	for (size_t i = 0; cands[i] != NULL; i++) {
		int d = distance(word, cands[i]);
		if (d < bestd) {
			bestd = d;
			best = cands[i];
		}
	}
	return best;
}

const void *
sd_table_find(const void *table, size_t n, size_t size, const char *name)
{
	for (size_t i = 0; i < n; i++) {
		const void *entry = (const char *)table + i * size;
		if (strcmp(*(const char *const *)entry, name) == 0)
			return entry;
	}
	return NULL;
}

void
sd_table_names(const void *table, size_t n, size_t size, const char **names)
{
	for (size_t i = 0; i < n; i++)
		names[i] = *(const char *const *)((const char *)table + i * size);
	names[n] = NULL;
}

int
sd_copy_file(const char *src, const char *dst, char hex[65])
{
	int in = sd_open_regular(src, 0), out = -1, rc = -1, saved;

	if (in >= 0)
		out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0666);
	/* A reflink shares blocks copy-on-write: the working copy can change, the bundle's cannot. */
	if (out >= 0 && ioctl(out, FICLONE, in) == 0)
		rc = sd_sha256_stream(in, -1, hex) == 0 && fsync(out) == 0 ? 0 : -1;
	else if (out >= 0)
		rc = sd_sha256_stream(in, out, hex) == 0 && fsync(out) == 0 ? 0 : -1;
	saved = errno;
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	if (rc < 0 && out >= 0)
		unlink(dst);
	errno = saved;
	return rc;
}

int
sd_fingerprint_ok(const char *s)
{
	if (strncmp(s, "SHA256:", 7) != 0 || strlen(s + 7) != 43)
		return 0;
	for (const char *p = s + 7; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '+' && *p != '/')
			return 0;
	return 1;
}

/* One remote path component as a local folder name: itself when safe, else every byte as %XX. */
static void
folder_component(const char *p, size_t n, struct sd_buf *out)
{
	char *part = sd_xstrndup(p, n);

	if (sd_safe_local_name(part) && strchr(part, '%') == NULL && strcmp(part, "~") != 0)
		sd_buf_adds(out, part);
	else
		for (size_t i = 0; i < n; i++)
			sd_buf_addf(out, "%%%02X", (unsigned char)p[i]);
	free(part);
}

char *
sd_remote_folder_path(const char *remote_dir)
{
	struct sd_buf out = SD_BUF_INIT(0);
	const char *p = remote_dir;

	/* A folder relative to the login folder is not the one of the same name under the root. */
	if (*p != '/')
		sd_buf_adds(&out, "~");
	while (*p) {
		size_t n;
		p += strspn(p, "/");
		n = strcspn(p, "/");
		if (n > 0 && !(n == 1 && p[0] == '.')) {
			if (out.len > 0)
				sd_buf_adds(&out, "/");
			folder_component(p, n, &out);
		}
		p += n;
	}
	return sd_buf_detach(&out);
}
