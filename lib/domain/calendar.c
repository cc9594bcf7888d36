/* calendar.c — business-day arithmetic on plain day numbers. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sftpdrill/domain/calendar.h"
#include "sftpdrill/base/util.h"

/* Days from civil date (Howard Hinnant's algorithm, public domain description). */
static long
days_from_civil(long y, unsigned m, unsigned d)
{
	long era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long)doe - 719468;
}

static void
civil_from_days(long z, long *y, unsigned *m, unsigned *d)
{
	long era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (long)yoe + era * 400 + (*m <= 2);
}

int
sd_date_parse(const char *s, long *day)
{
	static const unsigned mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	long y;
	unsigned m, d;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return -1;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return -1;
	y = strtol(s, NULL, 10);
	m = (unsigned)strtoul(s + 5, NULL, 10);
	d = (unsigned)strtoul(s + 8, NULL, 10);
	if (y < 1970 || y > 9999 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return -1;
	if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return -1;
	*day = days_from_civil(y, m, d);
	return 0;
}

void
sd_date_format(long day, int compact, char *buf, size_t len)
{
	long y;
	unsigned m, d;

	civil_from_days(day, &y, &m, &d);
	snprintf(buf, len, compact ? "%04ld%02u%02u" : "%04ld-%02u-%02u", y, m, d);
}

int
sd_date_weekday(long day)
{
	/* 1970-01-01 was a Thursday (4). */
	long w = (day % 7 + 7 + 3) % 7;

	return (int)w + 1;
}

long
sd_date_at(time_t t, long utc_offset)
{
	long long s = (long long)t + utc_offset;

	return (long)(s >= 0 ? s / 86400 : (s - 86399) / 86400);
}

const char *
sd_date_weekday_name(long day)
{
	static const char *const names[] = { "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
		"Sunday" };

	return names[sd_date_weekday(day) - 1];
}

/* The index of day in c->closed, or where it would go (*found says which). */
static size_t
find_closed(const struct sd_calendar *c, long day, int *found)
{
	size_t lo = 0, hi = c->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (c->closed[mid].day < day)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < c->n && c->closed[lo].day == day;
	return lo;
}

void
sd_calendar_close(struct sd_calendar *c, long day, const char *why)
{
	int found;
	size_t at = find_closed(c, day, &found);

	if (found)
		return;
	SD_GROW(c->closed, c->n + 1, c->cap);
	memmove(&c->closed[at + 1], &c->closed[at], (c->n - at) * sizeof(*c->closed));
	c->closed[at] = (struct sd_closed_day){ day, sd_xstrdup(why ? why : "a declared market closure") };
	c->n++;
}

/* "covers FROM TO": 1 parsed (from, to set), 0 not such a line, -1 malformed. */
static int
covers_line(const char *p, long *from, long *to)
{
	char a[11], b[11];

	if (strncmp(p, "covers", 6) != 0 || (p[6] != ' ' && p[6] != '\t'))
		return 0;
	p += 6 + strspn(p + 6, " \t");
	snprintf(a, sizeof(a), "%s", p);
	p += strlen(a);
	p += strspn(p, " \t");
	snprintf(b, sizeof(b), "%s", p);
	p += strlen(b);
	if (sd_date_parse(a, from) < 0 || sd_date_parse(b, to) < 0 || *to < *from || p[strspn(p, " \t\r\n")] != '\0')
		return -1;
	return 1;
}

/* What one file claims to cover, added to the calendar's (the span of all of them). */
static void
claim(struct sd_calendar *c, long from, long to, const char *base)
{
	if (!c->covered || from < c->covers_from)
		c->covers_from = from;
	if (!c->covered || to > c->covers_to)
		c->covers_to = to;
	c->covered = 1;
	if (strstr(c->covers_files, base) == NULL && strlen(c->covers_files) + strlen(base) + 3 < sizeof(c->covers_files))
		snprintf(c->covers_files + strlen(c->covers_files), sizeof(c->covers_files) - strlen(c->covers_files), "%s%s",
		    c->covers_files[0] ? ", " : "", base);
}

/* The first and last day of day's year. */
static void
year_of(long day, long *first, long *last)
{
	long y;
	unsigned m, d;

	civil_from_days(day, &y, &m, &d);
	*first = days_from_civil(y, 1, 1);
	*last = days_from_civil(y, 12, 31);
}

int
sd_calendar_covers(const struct sd_calendar *c, long day)
{
	if (c == NULL || !c->covered)
		return -1;
	return day >= c->covers_from && day <= c->covers_to;
}

int
sd_calendar_uncovered(const struct sd_calendar *c, long day, char *buf, size_t len)
{
	char d[16], edge[16];
	int after;

	buf[0] = '\0';
	if (sd_calendar_covers(c, day) != 0)
		return 0;
	after = day > c->covers_to;
	sd_date_format(day, 0, d, sizeof(d));
	sd_date_format(after ? c->covers_to : c->covers_from, 0, edge, sizeof(edge));
	snprintf(buf, len, "%s is %s the %s day the holiday list covers (%s, %s): its holidays are unknown; add that "
	    "year's gazetted holidays to the list (and its `covers` line)", d, after ? "after" : "before",
	    after ? "last" : "first", edge, c->covers_files);
	return 1;
}

int
sd_calendar_load(struct sd_calendar *c, const char *path, struct sd_err *err)
{
	FILE *f = sd_fopen_regular(path, 0);
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	char *line = NULL, *why;
	size_t cap = 0;
	int lineno = 0, rc = 0, declared = 0;
	long first = 0, last = 0, from, to;
	int dates = 0;

	if (f == NULL)
		return sd_fail(err, SD_KIND_CONFIG_ERROR, SD_PHASE_CONFIG, "cannot read holiday file %s: %s",
		    path, strerror(errno));
	while (getline(&line, &cap, f) >= 0) {
		char *p = line, date[11];
		long day;

		lineno++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '#' || *p == '\n' || *p == '\r' || *p == '\0')
			continue;
		switch (covers_line(p, &from, &to)) {
		case 1:
			claim(c, from, to, base);
			declared = 1;
			continue;
		case -1:
			rc = sd_fail(err, SD_KIND_CONFIG_ERROR, SD_PHASE_CONFIG,
			    "%s:%d: expected `covers YYYY-MM-DD YYYY-MM-DD` (first and last day the list is complete for)",
			    path, lineno);
			goto out;
		}
		snprintf(date, sizeof(date), "%s", p);
		if (sd_date_parse(date, &day) < 0 || (p[10] != '\0' && p[10] != ' ' && p[10] != '\t' &&
		    p[10] != '\n' && p[10] != '\r')) {
			rc = sd_fail(err, SD_KIND_CONFIG_ERROR, SD_PHASE_CONFIG,
			    "%s:%d: expected `YYYY-MM-DD name` or `covers YYYY-MM-DD YYYY-MM-DD`", path, lineno);
			break;
		}
		p += 10;
		p += strspn(p, " \t");
		p[strcspn(p, "\r\n")] = '\0';
		why = sd_xasprintf("%s (%s)", *p ? p : "a holiday", base);
		sd_calendar_close(c, day, why);
		free(why);
		first = dates == 0 || day < first ? day : first;
		last = dates == 0 || day > last ? day : last;
		dates++;
	}
	/* Without a `covers` line, the whole years its dates fall in. */
	if (rc == 0 && !declared && dates > 0) {
		long ignore;
		year_of(first, &from, &ignore);
		year_of(last, &ignore, &to);
		claim(c, from, to, base);
	}
out:
	free(line);
	fclose(f);
	return rc;
}

int
sd_calendar_is_business(const struct sd_calendar *c, long day)
{
	int found = 0;

	if (sd_date_weekday(day) > 5)
		return 0;
	if (c != NULL)
		find_closed(c, day, &found);
	return !found;
}

int
sd_calendar_why(const struct sd_calendar *c, long day, char *buf, size_t len)
{
	char date[16];
	int found = 0;
	size_t at = c ? find_closed(c, day, &found) : 0;

	buf[0] = '\0';
	if (!found && sd_date_weekday(day) <= 5)
		return 0;
	sd_date_format(day, 0, date, sizeof(date));
	/* A weekend day is closed whatever a file says of it: the weekday alone is the reason. */
	snprintf(buf, len, "%s %s%s%s", sd_date_weekday_name(day), date, found && sd_date_weekday(day) <= 5 ? ", " : "",
	    found && sd_date_weekday(day) <= 5 ? c->closed[at].why : "");
	return 1;
}

long
sd_calendar_last_business(const struct sd_calendar *c, long day)
{
	for (long d = day - 1; d > day - 3660; d--)
		if (sd_calendar_is_business(c, d))
			return d;
	return -1;
}

void
sd_calendar_release(struct sd_calendar *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->closed[i].why);
	free(c->closed);
	memset(c, 0, sizeof(*c));
}

/* "+HH:MM", "-HH:MM", "+HHMM" or "+HH"; returns 0 or -1. */
static int
parse_offset(const char *z, long *offset)
{
	int h = 0, m = 0, sign;
	char c;

	if (*z != '+' && *z != '-')
		return -1;
	sign = *z == '-' ? -1 : 1;
	if (!(sscanf(z + 1, "%2d:%2d%c", &h, &m, &c) == 2 || (strlen(z + 1) == 4 && sscanf(z + 1, "%2d%2d", &h, &m) == 2) ||
	    (strlen(z + 1) == 2 && sscanf(z + 1, "%2d", &h) == 1)) || h > 14 || m > 59)
		return -1;
	*offset = sign * (h * 3600L + m * 60L);
	return 0;
}

int
sd_zone_offset(const char *zone, long *offset)
{
	if (strcmp(zone, "Asia/Hong_Kong") == 0 || strcmp(zone, "HKT") == 0 || strcmp(zone, "Hongkong") == 0) {
		*offset = 8 * 3600;
		return 0;
	}
	if (strcmp(zone, "UTC") == 0 || strcmp(zone, "Z") == 0 || strcmp(zone, "GMT") == 0 || strcmp(zone, "Etc/UTC") == 0) {
		*offset = 0;
		return 0;
	}
	return parse_offset(zone, offset);
}

int
sd_window_parse(const char *window, struct sd_window *w, struct sd_err *err)
{
	char date[16], a[8], b[8];
	int h1, m1, h2, m2;
	long day;

	memset(w, 0, sizeof(*w));
	if (sscanf(window, "%15s %7s %7s %63s", date, a, b, w->zone) != 4 || sd_date_parse(date, &day) < 0 ||
	    sscanf(a, "%d:%d", &h1, &m1) != 2 || sscanf(b, "%d:%d", &h2, &m2) != 2)
		return sd_fail(err, SD_KIND_CONFIG_ERROR, SD_PHASE_CONFIG, "bad window `%s`", window);
	if (sd_zone_offset(w->zone, &w->offset) < 0)
		return sd_fail(err, SD_KIND_CONFIG_ERROR, SD_PHASE_CONFIG,
		    "unknown time zone `%s` (use Asia/Hong_Kong, UTC or an offset such as +08:00)", w->zone);
	w->start = (time_t)(day * 86400L + h1 * 3600L + m1 * 60L - w->offset);
	w->end = (time_t)(day * 86400L + h2 * 3600L + m2 * 60L - w->offset);
	return 0;
}

int
sd_iso8601_parse(const char *s, time_t *t)
{
	char date[11];
	int h, m, sec, n = 0;
	long day, offset = 0;

	if (strlen(s) < 19 || s[10] != 'T')
		return -1;
	memcpy(date, s, 10);
	date[10] = '\0';
	if (sd_date_parse(date, &day) < 0 || sscanf(s + 11, "%2d:%2d:%2d%n", &h, &m, &sec, &n) != 3 || n != 8 ||
	    h > 23 || m > 59 || sec > 60)
		return -1;
	if (strcmp(s + 19, "Z") != 0 && parse_offset(s + 19, &offset) < 0)
		return -1;
	*t = (time_t)(day * 86400L + h * 3600L + m * 60L + sec - offset);
	return 0;
}
