/*
 * log.h: the only writer to stderr.  One line per event, with a UTC
 * timestamp and level; LOG_DEBUG lines are dropped unless enabled.
 */
#ifndef AXLPROV_LOG_H
#define AXLPROV_LOG_H

#include <stdbool.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

void log_set_level(enum log_level level);
/* Whether lines at this level are written (to skip formatting them). */
bool log_enabled(enum log_level level);
/* Parses "debug", "info", "warn", "error"; -1 when unknown. */
int log_level_parse(const char *s);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
