/* vars.h — drill variables: ${NAME} values from -D, files and the environment, some marked secret. */
#ifndef SD_VARS_H
#define SD_VARS_H

#include <stddef.h>

/* Where a value came from; BUILTIN (e.g. BUSINESS_DATE) ranks with CMDLINE over files. */
enum sd_var_origin { SD_VAR_CMDLINE, SD_VAR_BUILTIN, SD_VAR_FILE, SD_VAR_ENV };

struct sd_var {
	char *name;
	char *value;
	enum sd_var_origin origin;
	int secret;
	int used;               /* a file referred to it or set it */
};

struct sd_vars {
	struct sd_var *v;
	size_t n, cap;
};

/* Is name a valid variable name ([A-Za-z_][A-Za-z0-9_]*)? */
int sd_var_name_ok(const char *name, size_t len);

/* Set name=value with the given origin, replacing any earlier value. */
void sd_vars_set(struct sd_vars *vs, const char *name, const char *value,
    enum sd_var_origin origin);

/* The variable named name (length len), or NULL. */
struct sd_var *sd_vars_find(const struct sd_vars *vs, const char *name, size_t len);

/* Mark name secret (creating no value); returns 0, or -1 if name is unknown. */
int sd_vars_mark_secret(struct sd_vars *vs, const char *name);

/* Add the value of every secret variable to r. */
struct sd_redactor;
void sd_vars_secrets(const struct sd_vars *vs, struct sd_redactor *r);

/* Copy all of src into dst (dst must be empty or initialised). */
void sd_vars_copy(struct sd_vars *dst, const struct sd_vars *src);

/* Free all variables. */
void sd_vars_release(struct sd_vars *vs);

#endif
