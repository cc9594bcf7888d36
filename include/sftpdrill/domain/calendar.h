/* calendar.h — business days: weekdays that are not holidays (a holiday file plus extra closures). */
#ifndef SD_CALENDAR_H
#define SD_CALENDAR_H

#include <stddef.h>
#include <time.h>

#include "sftpdrill/base/err.h"

/* Dates are days since 1970-01-01 (proleptic Gregorian): plain integers, easy to step. */
struct sd_closed_day {
	long day;
	char *why;              /* "Labour Day (hk-holidays.txt)", "a declared market closure" */
};

struct sd_calendar {
	struct sd_closed_day *closed;   /* sorted by day, one entry per day (the first reason kept) */
	size_t n, cap;
	/*
	 * The days the holiday files know about (from, to inclusive): their
	 * `covers` lines, else the whole years their dates fall in; 0 when no
	 * file claims any (weekends only, or closures alone).
	 */
	int covered;
	long covers_from, covers_to;
	char covers_files[256];     /* the files that claim it, for messages */
};

/* Parse "YYYY-MM-DD" (exactly) into a day number; returns 0 or -1. */
int sd_date_parse(const char *s, long *day);

/* Format a day number as "YYYY-MM-DD" (buf at least 11 bytes) or "YYYYMMDD" when compact. */
void sd_date_format(long day, int compact, char *buf, size_t len);

/* Day of week: 1 Monday ... 7 Sunday. */
int sd_date_weekday(long day);

/* "Monday" ... "Sunday". */
const char *sd_date_weekday_name(long day);

/* The calendar date at time t in a fixed UTC offset (seconds east), as a day number. */
long sd_date_at(time_t t, long utc_offset);

/*
 * Add the dates of a holiday file: one "YYYY-MM-DD [name]" per line, '#'
 * comments and blank lines ignored; each day's reason is its name and the
 * file's base name. A line "covers YYYY-MM-DD YYYY-MM-DD" says which days the
 * list is complete for; without one, a file with dates covers the whole years
 * they fall in (a file of closures alone, with no dates, claims nothing).
 * Any other line is an error naming FILE:LINE. Returns 0 or -1 with err.
 */
int sd_calendar_load(struct sd_calendar *c, const char *path, struct sd_err *err);

/* Mark one more day closed (a typhoon or rainstorm closure); why may be NULL ("a declared market closure"). */
void sd_calendar_close(struct sd_calendar *c, long day, const char *why);

/*
 * Why day is not a business day: "Saturday 2023-04-22", "Monday 2023-05-01,
 * Labour Day (hk-holidays.txt)"; into buf. Returns 1 when it is not, 0 (buf
 * empty) when it is a business day.
 */
int sd_calendar_why(const struct sd_calendar *c, long day, char *buf, size_t len);

/* Is day a business day (Monday to Friday and not closed)? */
int sd_calendar_is_business(const struct sd_calendar *c, long day);

/*
 * Does the calendar know day's holidays? 1 inside what its holiday files
 * cover, 0 outside (a weekday there may be a holiday nobody listed), -1 when
 * no file claims any coverage.
 */
int sd_calendar_covers(const struct sd_calendar *c, long day);

/*
 * "DAY is after the last day the holiday list covers (2027-12-31,
 * hk-holidays.txt): its holidays are unknown" into buf; 1 when day is
 * outside, 0 (buf empty) when covered or nothing is claimed.
 */
int sd_calendar_uncovered(const struct sd_calendar *c, long day, char *buf, size_t len);

/* The last business day strictly before day (searches at most ten years back; -1 if none). */
long sd_calendar_last_business(const struct sd_calendar *c, long day);

void sd_calendar_release(struct sd_calendar *c);

/*
 * UTC offset in seconds of a time zone a drill may name: "Asia/Hong_Kong"
 * (and "HKT"), "UTC" (and "Z", "GMT"), or a fixed "+HH:MM"/"-HH:MM". Hong Kong
 * has kept UTC+8 without daylight saving since 1979, so no tz database is
 * needed. Returns 0, or -1 for a zone it does not know.
 */
int sd_zone_offset(const char *zone, long *offset);

/* A drill's window: when it opens and closes (UTC), and the zone it was written in. */
struct sd_window {
	time_t start, end;
	long offset;                /* the zone's offset, seconds east of UTC */
	char zone[64];              /* as written: "Asia/Hong_Kong", "+08:00" */
};

/* Parse a drill window "YYYY-MM-DD HH:MM HH:MM ZONE" into w. Returns 0 or -1 with err. */
int sd_window_parse(const char *window, struct sd_window *w, struct sd_err *err);

/*
 * Parse an ISO 8601 time with an offset, "2023-04-15T14:45:00+08:00" (or
 * "...Z"), into a UTC time. Returns 0 or -1.
 */
int sd_iso8601_parse(const char *s, time_t *t);

#endif
