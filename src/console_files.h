/*
 * console_files.h: the administration console's static files (console/ in
 * the repository), built into the binary by tools/embed_console.py as
 * build/console_files.c.  pages.c serves them under /ccmadmin/.
 */
#ifndef AXLPROV_CONSOLE_FILES_H
#define AXLPROV_CONSOLE_FILES_H

#include <stddef.h>

struct console_file {
	const char *name; /* file name under /ccmadmin/, e.g. "app.js" */
	const char *type; /* its Content-Type */
	const char *etag; /* quoted ETag: a hash of the bytes */
	const unsigned char *data;
	size_t len;
};

extern const struct console_file console_files[];
extern const size_t console_files_count;

#endif
