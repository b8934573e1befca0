/* log.h - leveled key=value (or JSON) log lines on stderr. */
#ifndef RHONE_LOG_H
#define RHONE_LOG_H

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };
enum log_format { LOG_FORMAT_TEXT, LOG_FORMAT_JSON };

/* Choose the output format and the lowest level that is printed. */
void log_setup(enum log_format format, enum log_level min);

/* Whether a line at this level would be printed; check before formatting. */
int log_enabled(enum log_level level);

/* Print one line: event is a short snake_case name, fmt yields
 * space-separated key=value pairs; a value holding spaces or quotes is
 * written as key="..." with backslash escapes (see log_q). */
void log_emit(enum log_level level, const char *event, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Quote and escape s for use as a value inside a log_emit format; the
 * result lives in one of a few rotating static buffers. */
const char *log_q(const char *s);

#define log_debug(...) do { if (log_enabled(LOG_DEBUG)) \
	log_emit(LOG_DEBUG, __VA_ARGS__); } while (0)
#define log_info(...) do { if (log_enabled(LOG_INFO)) \
	log_emit(LOG_INFO, __VA_ARGS__); } while (0)
#define log_warn(...) do { if (log_enabled(LOG_WARN)) \
	log_emit(LOG_WARN, __VA_ARGS__); } while (0)
#define log_error(...) do { if (log_enabled(LOG_ERROR)) \
	log_emit(LOG_ERROR, __VA_ARGS__); } while (0)

#endif
