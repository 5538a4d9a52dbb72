/*
 * uuid.c: converting between AXL's uuid text and the database's.
 */
#include "uuid.h"

#include <ctype.h>
#include <string.h>

bool
uuid_parse(const char *in, char out[UUID_DB_LEN + 1])
{
	const char *s = in;
	size_t n;
	bool braces;

	if (in == NULL)
		return false;
	while (isspace((unsigned char) *s))
		s++;
	n = strlen(s);
	while (n > 0 && isspace((unsigned char) s[n - 1]))
		n--;
	braces = n > 0 && s[0] == '{';
	if (braces) {
		if (n != UUID_DB_LEN + 2 || s[n - 1] != '}')
			return false;
		s++;
		n -= 2;
	}
	if (n != UUID_DB_LEN)
		return false;
	for (size_t i = 0; i < UUID_DB_LEN; i++) {
		bool dash = (i == 8 || i == 13 || i == 18 || i == 23);
		unsigned char c = (unsigned char) s[i];

		if (dash ? c != '-' : !isxdigit(c))
			return false;
		out[i] = (char) tolower(c);
	}
	out[UUID_DB_LEN] = '\0';
	return true;
}

void
uuid_format(const char *db, char out[UUID_AXL_LEN + 1])
{
	size_t j = 0;

	out[j++] = '{';
	for (const char *p = db; *p != '\0' && j < UUID_AXL_LEN - 1; p++) {
		if (*p == '{' || *p == '}')
			continue;
		out[j++] = (char) toupper((unsigned char) *p);
	}
	out[j++] = '}';
	out[j] = '\0';
}
