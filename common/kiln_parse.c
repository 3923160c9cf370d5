/*
 * kiln_parse.c - strict parsing of numbers, sizes, rationals and dimensions
 * for command-line options and config files. Everything is range checked and
 * the whole string must be consumed; there is no atoi in Kiln.
 */
#include "kiln.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* strtoull accepts leading space, '+' and '-' (wrapping negatives); reject them. */
static int digits_start(const char *s) { return s && isdigit((unsigned char)s[0]); }

int kiln_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	if (!digits_start(s)) return -1;
	errno = 0;
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max) return -1;
	*out = v;
	return 0;
}

int kiln_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out)
{
	if (!s || !(digits_start(s) || (s[0] == '-' && isdigit((unsigned char)s[1])))) return -1;
	errno = 0;
	char *end;
	long long v = strtoll(s, &end, 10);
	if (errno || *end || v < min || v > max) return -1;
	*out = v;
	return 0;
}

int kiln_parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	if (!digits_start(s)) return -1;
	errno = 0;
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno) return -1;
	unsigned shift = 0;
	if (*end) {
		switch (toupper((unsigned char)*end)) {
		case 'K': shift = 10; break;
		case 'M': shift = 20; break;
		case 'G': shift = 30; break;
		case 'T': shift = 40; break;
		case 'B': shift = 0; break;
		default: return -1;
		}
		if (toupper((unsigned char)*end) != 'B') {
			end++;
			if (*end == 'i' || *end == 'I') end++;
			if (*end == 'B' || *end == 'b') end++;
		} else {
			end++;
		}
		if (*end) return -1;
	}
	if (shift && v > (UINT64_MAX >> shift)) return -1;
	v <<= shift;
	if (v < min || v > max) return -1;
	*out = v;
	return 0;
}

int kiln_parse_double(const char *s, double min, double max, double *out)
{
	if (!s || !*s || isspace((unsigned char)*s)) return -1;
	errno = 0;
	char *end;
	double v = strtod(s, &end);
	if (errno || *end || !isfinite(v) || v < min || v > max) return -1;
	*out = v;
	return 0;
}

static int64_t gcd64(int64_t a, int64_t b)
{
	while (b) { int64_t t = a % b; a = b; b = t; }
	return a;
}

int kiln_parse_rational(const char *s, int64_t *num, int64_t *den)
{
	const int64_t lim = INT64_C(1) << 40;
	int64_t n, d = 1;
	const char *slash = s ? strchr(s, '/') : NULL;
	const char *dot = s ? strchr(s, '.') : NULL;
	if (!s) return -1;
	if (slash) {
		char buf[64];
		size_t len = (size_t)(slash - s);
		if (len == 0 || len >= sizeof buf) return -1;
		memcpy(buf, s, len);
		buf[len] = 0;
		if (kiln_parse_i64(buf, 1, lim, &n) || kiln_parse_i64(slash + 1, 1, lim, &d)) return -1;
	} else if (dot) {
		/* Decimal "29.97" -> 2997/100, exactly as written (no float rounding). */
		char buf[64];
		size_t ip = (size_t)(dot - s), fp = strlen(dot + 1);
		if (ip == 0 || fp == 0 || ip + fp >= 19 || ip + fp + 1 > sizeof buf) return -1;
		memcpy(buf, s, ip);
		memcpy(buf + ip, dot + 1, fp);
		buf[ip + fp] = 0;
		for (size_t i = 0; i < fp; i++) d *= 10;
		if (kiln_parse_i64(buf, 1, INT64_MAX, &n)) return -1;
	} else {
		if (kiln_parse_i64(s, 1, lim, &n)) return -1;
	}
	int64_t g = gcd64(n, d);
	*num = n / g;
	*den = d / g;
	if (*num > lim || *den > lim) return -1;
	return 0;
}

int kiln_parse_dims(const char *s, uint32_t max, uint32_t *w, uint32_t *h)
{
	const char *x = s ? strpbrk(s, "xX") : NULL;
	char buf[32];
	uint64_t a, b;
	if (!x || (size_t)(x - s) >= sizeof buf) return -1;
	memcpy(buf, s, (size_t)(x - s));
	buf[x - s] = 0;
	if (kiln_parse_u64(buf, 1, max, &a) || kiln_parse_u64(x + 1, 1, max, &b)) return -1;
	*w = (uint32_t)a;
	*h = (uint32_t)b;
	return 0;
}

uint64_t kiln_opt_u64(const char *opt, const char *arg, uint64_t min, uint64_t max)
{
	uint64_t v;
	if (kiln_parse_u64(arg, min, max, &v))
		kiln_usage_error("%s: expected an integer in [%llu, %llu], got '%s'", opt,
		                 (unsigned long long)min, (unsigned long long)max, arg ? arg : "");
	return v;
}

uint64_t kiln_opt_size(const char *opt, const char *arg, uint64_t min, uint64_t max)
{
	uint64_t v;
	if (kiln_parse_size(arg, min, max, &v))
		kiln_usage_error("%s: expected a size in [%llu, %llu] bytes (K/M/G suffixes allowed), got '%s'",
		                 opt, (unsigned long long)min, (unsigned long long)max, arg ? arg : "");
	return v;
}

double kiln_opt_double(const char *opt, const char *arg, double min, double max)
{
	double v;
	if (kiln_parse_double(arg, min, max, &v))
		kiln_usage_error("%s: expected a number in [%g, %g], got '%s'", opt, min, max, arg ? arg : "");
	return v;
}

int kiln_parse_part(const char *s, uint32_t *part, uint32_t *nparts)
{
	const char *slash = s ? strchr(s, '/') : NULL;
	char buf[32];
	uint64_t i, n;
	if (!slash || (size_t)(slash - s) >= sizeof buf) return -1;
	memcpy(buf, s, (size_t)(slash - s));
	buf[slash - s] = 0;
	if (kiln_parse_u64(slash + 1, 1, 1u << 20, &n) || kiln_parse_u64(buf, 1, n, &i)) return -1;
	*part = (uint32_t)i;
	*nparts = (uint32_t)n;
	return 0;
}

void kiln_part_range(uint64_t total, uint32_t part, uint32_t nparts, uint64_t *lo, uint64_t *hi)
{
	/* Block k of N is [floor(total*k/N), floor(total*(k+1)/N)): sizes differ
	 * by at most one, and the blocks tile [0, total). 128-bit products keep
	 * this exact for any total. */
	unsigned __int128 t = total;
	*lo = (uint64_t)(t * (part - 1) / nparts);
	*hi = (uint64_t)(t * part / nparts);
}

int kiln_word_in(const char *word, const char *list)
{
	size_t n = strlen(word);
	if (!n) return 0;   /* "" is no word, and strstr would find it forever */
	for (const char *p = list; (p = strstr(p, word)); p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || !p[n])) return 1;
	return 0;
}
