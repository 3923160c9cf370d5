/*
 * kiln_json.c - a tiny streaming JSON writer for --json output, manifests and
 * logs. It always produces valid JSON: strings are escaped per RFC 8259 and
 * bytes that are not valid UTF-8 are written as \u00XX (their Latin-1 value),
 * because file names and SWF text fields are not guaranteed to be UTF-8.
 */
#include "kiln.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void kiln_json_init(kiln_json *j, FILE *fp, int pretty)
{
	memset(j, 0, sizeof *j);
	j->fp = fp;
	j->pretty = pretty;
	j->first[0] = 1;
}

/* Length of a valid UTF-8 sequence at s (max n bytes), or 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t len;
	unsigned min;
	if (c < 0x80) return 1;
	if ((c & 0xE0) == 0xC0) { len = 2; min = 0x80; c &= 0x1F; }
	else if ((c & 0xF0) == 0xE0) { len = 3; min = 0x800; c &= 0x0F; }
	else if ((c & 0xF8) == 0xF0) { len = 4; min = 0x10000; c &= 0x07; }
	else return 0;
	if (len > n) return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80) return 0;
		c = (c << 6) | (s[i] & 0x3F);
	}
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return 0;
	return len;
}

void kiln_json_write_string(FILE *fp, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	fputc('"', fp);
	for (size_t i = 0; i < n;) {
		/* Runs of plain printable ASCII go out in one call: this writer sits
		 * on the hot path of `info --json` over whole corpora. */
		size_t j = i;
		while (j < n && s[j] >= 0x20 && s[j] < 0x80 && s[j] != '"' && s[j] != '\\') j++;
		if (j > i) { fwrite(s + i, 1, j - i, fp); i = j; continue; }
		unsigned c = s[i];
		if (c == '"' || c == '\\') { fputc('\\', fp); fputc(c, fp); i++; continue; }
		if (c < 0x20) {
			switch (c) {
			case '\n': fputs("\\n", fp); break;
			case '\r': fputs("\\r", fp); break;
			case '\t': fputs("\\t", fp); break;
			case '\b': fputs("\\b", fp); break;
			case '\f': fputs("\\f", fp); break;
			default: fprintf(fp, "\\u%04x", c);
			}
			i++;
			continue;
		}
		size_t len = utf8_len(s + i, n - i);
		if (len == 0) { fprintf(fp, "\\u%04x", c); i++; continue; }
		fwrite(s + i, 1, len, fp);
		i += len;
	}
	fputc('"', fp);
}

/* Separator, indentation and "key": before a value. */
static void pre(kiln_json *j, const char *key)
{
	if (!j->first[j->depth]) fputc(',', j->fp);
	j->first[j->depth] = 0;
	if (j->pretty && j->depth > 0) {
		fputc('\n', j->fp);
		for (int i = 0; i < j->depth; i++) fputs("  ", j->fp);
	}
	if (key) {
		kiln_json_write_string(j->fp, key, strlen(key));
		fputs(j->pretty ? ": " : ":", j->fp);
	}
}

static void open_(kiln_json *j, const char *key, char c)
{
	pre(j, key);
	fputc(c, j->fp);
	if (j->depth < (int)sizeof j->first - 1) j->depth++;
	j->first[j->depth] = 1;
}

static void close_(kiln_json *j, char c)
{
	int empty = j->first[j->depth];
	if (j->depth > 0) j->depth--;
	if (j->pretty && !empty) {
		fputc('\n', j->fp);
		for (int i = 0; i < j->depth; i++) fputs("  ", j->fp);
	}
	fputc(c, j->fp);
}

void kiln_json_obj_begin(kiln_json *j, const char *key) { open_(j, key, '{'); }
void kiln_json_obj_end(kiln_json *j) { close_(j, '}'); }
void kiln_json_arr_begin(kiln_json *j, const char *key) { open_(j, key, '['); }
void kiln_json_arr_end(kiln_json *j) { close_(j, ']'); }

void kiln_json_str(kiln_json *j, const char *key, const char *s)
{
	if (!s) { kiln_json_null(j, key); return; }
	kiln_json_strn(j, key, s, strlen(s));
}

void kiln_json_strn(kiln_json *j, const char *key, const char *s, size_t n)
{
	pre(j, key);
	kiln_json_write_string(j->fp, s, n);
}

void kiln_json_u64(kiln_json *j, const char *key, uint64_t v)
{
	/* Digits by hand: fprintf's format parsing dominated large JSON outputs. */
	char buf[24], *p = buf + sizeof buf;
	do { *--p = (char)('0' + v % 10); v /= 10; } while (v);
	pre(j, key);
	fwrite(p, 1, (size_t)(buf + sizeof buf - p), j->fp);
}

void kiln_json_i64(kiln_json *j, const char *key, int64_t v)
{
	pre(j, key);
	fprintf(j->fp, "%lld", (long long)v);
}

void kiln_json_double(kiln_json *j, const char *key, double v)
{
	pre(j, key);
	if (!isfinite(v)) { fputs("null", j->fp); return; }
	/* %.17g round-trips; trim to %.10g when that is exact, for readability. */
	char buf[64];
	snprintf(buf, sizeof buf, "%.10g", v);
	if (strtod(buf, NULL) != v) snprintf(buf, sizeof buf, "%.17g", v);
	fputs(buf, j->fp);
}

void kiln_json_bool(kiln_json *j, const char *key, int v)
{
	pre(j, key);
	fputs(v ? "true" : "false", j->fp);
}

void kiln_json_null(kiln_json *j, const char *key)
{
	pre(j, key);
	fputs("null", j->fp);
}

void kiln_json_raw(kiln_json *j, const char *key, const char *json)
{
	pre(j, key);
	fputs(json && *json ? json : "null", j->fp);
}

void kiln_json_end_line(kiln_json *j)
{
	fputc('\n', j->fp);
	j->depth = 0;
	j->first[0] = 1;
}
