/*
 * kiln_json.c - a tiny streaming JSON writer for --json output, manifests and
 * logs. It always produces valid JSON: strings are escaped per RFC 8259 and
 * bytes that are not valid UTF-8 are written as \u00XX (their Latin-1 value),
 * because file names and SWF text fields are not guaranteed to be UTF-8.
 *
 * The writer sits on the hot path of `kiln-swf info --json` over whole
 * corpora, so each call assembles its output (separator, key, value) in a
 * buffer and hands it to stdio in one fwrite: a field used to be five or
 * six stdio calls. Every call still writes all of its output before it
 * returns, so callers may mix their own writes with the writer's; only
 * kiln_json_hold() defers output, to the end of each top-level value.
 */
#include "kiln.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* What one call writes, gathered before it goes to the stream: a buffer on
 * the stack, or the writer's own under kiln_json_hold(). */
typedef struct out {
	FILE *fp;
	char *b;
	size_t n, cap;
	char local[512];
} out;

static void out_flush(out *o)
{
	if (o->n) fwrite(o->b, 1, o->n, o->fp);
	o->n = 0;
}

static void out_put(out *o, const void *p, size_t n)
{
	if (o->n + n > o->cap) {
		out_flush(o);
		if (n > o->cap) { fwrite(p, 1, n, o->fp); return; }
	}
	memcpy(o->b + o->n, p, n);
	o->n += n;
}

static void out_c(out *o, char c)
{
	if (o->n == o->cap) out_flush(o);
	o->b[o->n++] = c;
}

/* \u00XX, lower-case hex: a control byte or a byte that is not UTF-8. */
static void out_u00(out *o, unsigned c)
{
	static const char hex[] = "0123456789abcdef";
	char e[6] = { '\\', 'u', '0', '0', hex[c >> 4 & 15], hex[c & 15] };
	out_put(o, e, sizeof e);
}

void kiln_json_init(kiln_json *j, FILE *fp, int pretty)
{
	/* Not a memset of the whole struct: buf is only read up to held. */
	j->fp = fp;
	j->depth = 0;
	memset(j->first, 0, sizeof j->first);
	j->first[0] = 1;
	j->pretty = pretty;
	j->hold = 0;
	j->held = 0;
}

void kiln_json_hold(kiln_json *j) { j->hold = 1; }

/* Start a call's output: after what is held, or in a fresh stack buffer. */
static void begin(kiln_json *j, out *o)
{
	o->fp = j->fp;
	if (j->hold) { o->b = j->buf; o->n = j->held; o->cap = sizeof j->buf; }
	else { o->b = o->local; o->n = 0; o->cap = sizeof o->local; }
}

/* End a call: write its output, or keep holding it while a value is open. */
static void end(kiln_json *j, out *o)
{
	if (j->hold && j->depth > 0) { j->held = o->n; return; }
	out_flush(o);
	j->held = 0;
}

size_t kiln_utf8_len(const unsigned char *s, size_t n, uint32_t *cp)
{
	unsigned c = s[0];
	size_t len;
	unsigned min;
	if (c < 0x80) { if (cp) *cp = c; return 1; }
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
	if (cp) *cp = c;
	return len;
}

/* Bytes written as they are inside a string: printable ASCII but '"' and
 * '\\'. NUL is not plain, which ends a copy at a C string's end. */
static const unsigned char plain[256] = {
	[0x20 ... 0x21] = 1, [0x23 ... 0x5b] = 1, [0x5d ... 0x7f] = 1,
};

/* Nonzero when any of the 8 bytes in v is not plain: >= 0x80, < 0x20, '"'
 * or '\\' (the usual has-zero-byte bit tricks; exact, never a false "no"). */
static uint64_t special8(uint64_t v)
{
	const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
	uint64_t q = v ^ (ones * '"'), b = v ^ (ones * '\\');
	return (v | ((v - ones * 0x20) & ~v) | ((q - ones) & ~q) | ((b - ones) & ~b)) & high;
}

static void escape(out *o, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	out_c(o, '"');
	for (size_t i = 0; i < n;) {
		/* Plain bytes go straight into the buffer, eight at a time while
		 * they last, as many as fit. */
		size_t room = o->cap - o->n, lim = n - i < room ? n - i : room, k = 0;
		char *d = o->b + o->n;
		for (; k + 8 <= lim; k += 8) {
			uint64_t v;
			memcpy(&v, s + i + k, 8);
			if (special8(v)) break;
			memcpy(d + k, &v, 8);
		}
		while (k < lim && plain[s[i + k]]) { d[k] = (char)s[i + k]; k++; }
		o->n += k;
		i += k;
		if (i == n) break;
		if (k == lim) { out_flush(o); continue; }      /* the buffer is full */
		unsigned c = s[i];
		if (c == '"' || c == '\\') { out_c(o, '\\'); out_c(o, (char)c); i++; continue; }
		if (c < 0x20) {
			switch (c) {
			case '\n': out_put(o, "\\n", 2); break;
			case '\r': out_put(o, "\\r", 2); break;
			case '\t': out_put(o, "\\t", 2); break;
			case '\b': out_put(o, "\\b", 2); break;
			case '\f': out_put(o, "\\f", 2); break;
			default: out_u00(o, c);
			}
			i++;
			continue;
		}
		size_t len = kiln_utf8_len(s + i, n - i, NULL);
		if (len == 0) { out_u00(o, c); i++; continue; }
		out_put(o, s + i, len);
		i += len;
	}
	out_c(o, '"');
}

/* A key: nearly always a short plain literal, copied up to its NUL in one
 * pass; anything else goes through escape(). */
static void key_out(out *o, const char *key)
{
	const unsigned char *s = (const unsigned char *)key;
	if (o->cap - o->n >= 66) {
		char *d = o->b + o->n;
		size_t k = 0;
		d[0] = '"';
		while (k < 64 && plain[s[k]]) { d[1 + k] = (char)s[k]; k++; }
		if (!s[k]) { d[1 + k] = '"'; o->n += k + 2; return; }
	}
	escape(o, key, strlen(key));
}

void kiln_json_write_string(FILE *fp, const char *s, size_t n)
{
	out o;
	o.fp = fp;
	o.b = o.local;
	o.n = 0;
	o.cap = sizeof o.local;
	escape(&o, s, n);
	out_flush(&o);
}

static void indent(out *o, int depth)
{
	out_c(o, '\n');
	for (int i = 0; i < depth; i++) out_put(o, "  ", 2);
}

/* Starts a call's output with the separator, indentation and "key":. */
static void pre(kiln_json *j, out *o, const char *key)
{
	begin(j, o);
	if (!j->first[j->depth]) out_c(o, ',');
	j->first[j->depth] = 0;
	if (j->pretty && j->depth > 0) indent(o, j->depth);
	if (key) {
		key_out(o, key);
		if (j->pretty) out_put(o, ": ", 2);
		else out_c(o, ':');
	}
}

static void open_(kiln_json *j, const char *key, char c)
{
	out o;
	pre(j, &o, key);
	out_c(&o, c);
	if (j->depth < (int)sizeof j->first - 1) j->depth++;
	j->first[j->depth] = 1;
	end(j, &o);
}

static void close_(kiln_json *j, char c)
{
	out o;
	begin(j, &o);
	int empty = j->first[j->depth];
	if (j->depth > 0) j->depth--;
	if (j->pretty && !empty) indent(&o, j->depth);
	out_c(&o, c);
	end(j, &o);
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
	out o;
	pre(j, &o, key);
	escape(&o, s, n);
	end(j, &o);
}

/* Decimal digits of v, by hand: fprintf's format parsing dominated large
 * JSON outputs. */
static void put_u64(out *o, uint64_t v)
{
	char buf[24], *p = buf + sizeof buf;
	do { *--p = (char)('0' + v % 10); v /= 10; } while (v);
	out_put(o, p, (size_t)(buf + sizeof buf - p));
}

void kiln_json_u64(kiln_json *j, const char *key, uint64_t v)
{
	out o;
	pre(j, &o, key);
	put_u64(&o, v);
	end(j, &o);
}

void kiln_json_i64(kiln_json *j, const char *key, int64_t v)
{
	out o;
	pre(j, &o, key);
	if (v < 0) out_c(&o, '-');
	put_u64(&o, v < 0 ? 0 - (uint64_t)v : (uint64_t)v);
	end(j, &o);
}

/* A multiple of 1/256 below 65536 in magnitude (SWF's 8.8 frame rates,
 * whole numbers) written by hand: exactly what the %.10g / %.17g rule
 * below prints for it, since its exact decimal (at most 13 significant
 * digits, 8 after the point) is either what %.10g gives or, when %.10g
 * must round, what %.17g gives. Returns 0 for any other value. */
static int put_dyadic(out *o, double v)
{
	double a = fabs(v), s = a * 256;
	if (!(a < 65536) || s != floor(s)) return 0;
	uint32_t k = (uint32_t)s;
	if (signbit(v)) out_c(o, '-');
	put_u64(o, k >> 8);
	uint32_t frac = (k & 255) * 390625u;    /* 1/256 = 0.00390625: 8 digits */
	if (frac) {
		char d[9];
		d[0] = '.';
		for (int i = 8; i >= 1; i--) { d[i] = (char)('0' + frac % 10); frac /= 10; }
		size_t len = 9;
		while (d[len - 1] == '0') len--;
		out_put(o, d, len);
	}
	return 1;
}

void kiln_json_double(kiln_json *j, const char *key, double v)
{
	out o;
	pre(j, &o, key);
	if (!isfinite(v)) {
		out_put(&o, "null", 4);
	} else if (!put_dyadic(&o, v)) {
		/* %.17g round-trips; trim to %.10g when that is exact, for readability. */
		char buf[64];
		snprintf(buf, sizeof buf, "%.10g", v);
		if (strtod(buf, NULL) != v) snprintf(buf, sizeof buf, "%.17g", v);
		out_put(&o, buf, strlen(buf));
	}
	end(j, &o);
}

void kiln_json_bool(kiln_json *j, const char *key, int v)
{
	out o;
	pre(j, &o, key);
	if (v) out_put(&o, "true", 4);
	else out_put(&o, "false", 5);
	end(j, &o);
}

void kiln_json_null(kiln_json *j, const char *key)
{
	out o;
	pre(j, &o, key);
	out_put(&o, "null", 4);
	end(j, &o);
}

void kiln_json_raw(kiln_json *j, const char *key, const char *json)
{
	out o;
	pre(j, &o, key);
	if (json && *json) out_put(&o, json, strlen(json));
	else out_put(&o, "null", 4);
	end(j, &o);
}

void kiln_json_end_line(kiln_json *j)
{
	/* Anything still held (a value left open) goes out first. */
	if (j->held) fwrite(j->buf, 1, j->held, j->fp);
	j->held = 0;
	fputc('\n', j->fp);
	j->depth = 0;
	j->first[0] = 1;
}
