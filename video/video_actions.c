/*
 * video_actions.c - the action-label file: "t_seconds action_id [name]" lines
 * on the video's timeline, turned into a sorted table that answers "which
 * action was held at time t" by binary search. Strict: a malformed line,
 * a time going backwards or an id renamed is an error naming the line.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "video.h"

struct vid_labels {
	size_t n, cap;
	double *t;
	uint32_t *id;
	uint32_t vocab;         /* max id + 1, at least 1 */
	char **names;           /* [VID_MAX_ACTION_ID + 1] allocated lazily, by id */
	uint32_t names_cap;
};

static int fail(char *err, size_t errlen, int code, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return code;
}

void vid_labels_free(vid_labels *l)
{
	if (!l)
		return;
	for (uint32_t i = 0; i < l->names_cap; i++)
		free(l->names[i]);
	free(l->names);
	free(l->t);
	free(l->id);
	free(l);
}

static int set_name(vid_labels *l, uint32_t id, const char *s, size_t n)
{
	if (id >= l->names_cap) {
		uint32_t cap = l->names_cap ? l->names_cap : 16;
		while (cap <= id)
			cap *= 2;
		char **nn = realloc(l->names, cap * sizeof *nn);
		if (!nn)
			return -1;
		memset(nn + l->names_cap, 0, (cap - l->names_cap) * sizeof *nn);
		l->names = nn;
		l->names_cap = cap;
	}
	l->names[id] = malloc(n + 1);
	if (!l->names[id])
		return -1;
	memcpy(l->names[id], s, n);
	l->names[id][n] = 0;
	return 0;
}

/* Parse one unsigned decimal id strictly (digits only). */
static int parse_id(const char *s, size_t n, uint32_t *out)
{
	uint64_t v = 0;
	if (n == 0 || n > 10)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > VID_MAX_ACTION_ID)
		return -2;
	*out = (uint32_t)v;
	return 0;
}

/* A time: decimal with optional fraction/exponent, finite, >= 0. strtod
 * needs a terminated string, so the token is copied (tokens are short). */
static int parse_time(const char *s, size_t n, double *out)
{
	char buf[64];
	if (n == 0 || n >= sizeof buf)
		return -1;
	if (!((s[0] >= '0' && s[0] <= '9') || s[0] == '.'))
		return -1;   /* no sign, no "inf"/"nan", no hex */
	memcpy(buf, s, n);
	buf[n] = 0;
	for (size_t i = 0; i < n; i++)
		if (buf[i] == 'x' || buf[i] == 'X')
			return -1;
	char *end;
	errno = 0;
	double v = strtod(buf, &end);
	if (end != buf + n || errno || !isfinite(v) || v < 0)
		return -1;
	*out = v;
	return 0;
}

int vid_labels_parse(const char *buf, size_t len, const char *name,
                     vid_labels **out, char *err, size_t errlen)
{
	*out = NULL;
	if (!name)
		name = "labels";
	vid_labels *l = calloc(1, sizeof *l);
	if (!l)
		return fail(err, errlen, VID_ENOMEM, "%s: out of memory", name);
	l->vocab = 1;
	size_t pos = 0, line = 0;
	int rc = VID_OK;
	while (pos < len) {
		size_t end = pos;
		while (end < len && buf[end] != '\n')
			end++;
		line++;
		const char *p = buf + pos, *e = buf + end;
		pos = end + 1;
		if (e > p && e[-1] == '\r')
			e--;
		for (const char *q = p; q < e; q++)
			if (*q == '#') { e = q; break; }
		for (const char *q = p; q < e; q++)
			if (*q == 0) {
				rc = fail(err, errlen, VID_ELABELS, "%s: line %zu: NUL byte", name, line);
				goto bad;
			}
		/* split into up to three fields: time, id, rest (the name) */
		const char *f[3] = { 0 };
		size_t fl[3] = { 0 };
		int nf = 0;
		const char *q = p;
		while (nf < 3) {
			while (q < e && (*q == ' ' || *q == '\t'))
				q++;
			if (q >= e)
				break;
			const char *s = q;
			if (nf < 2) {
				while (q < e && *q != ' ' && *q != '\t')
					q++;
			} else {
				q = e;
				while (q > s && (q[-1] == ' ' || q[-1] == '\t'))
					q--;
			}
			f[nf] = s;
			fl[nf] = (size_t)(q - s);
			nf++;
			if (nf == 3)
				break;
		}
		if (nf == 0)
			continue;
		if (nf < 2) {
			rc = fail(err, errlen, VID_ELABELS, "%s: line %zu: expected \"t_seconds action_id [name]\"", name, line);
			goto bad;
		}
		double t;
		uint32_t id;
		if (parse_time(f[0], fl[0], &t)) {
			rc = fail(err, errlen, VID_ELABELS, "%s: line %zu: bad time \"%.*s\" (seconds >= 0)",
			          name, line, (int)(fl[0] > 40 ? 40 : fl[0]), f[0]);
			goto bad;
		}
		int ir = parse_id(f[1], fl[1], &id);
		if (ir) {
			rc = fail(err, errlen, ir == -2 ? VID_ELIMIT : VID_ELABELS,
			          "%s: line %zu: bad action id \"%.*s\" (0..%u)", name, line,
			          (int)(fl[1] > 40 ? 40 : fl[1]), f[1], VID_MAX_ACTION_ID);
			goto bad;
		}
		if (l->n && t < l->t[l->n - 1]) {
			rc = fail(err, errlen, VID_ELABELS, "%s: line %zu: time %.6f s is before the previous label (%.6f s): labels out of order",
			          name, line, t, l->t[l->n - 1]);
			goto bad;
		}
		if (nf == 3) {
			const char *old = id < l->names_cap ? l->names[id] : NULL;
			if (old && (strlen(old) != fl[2] || memcmp(old, f[2], fl[2]))) {
				rc = fail(err, errlen, VID_ELABELS, "%s: line %zu: action %u named \"%.*s\", earlier \"%s\"",
				          name, line, id, (int)(fl[2] > 40 ? 40 : fl[2]), f[2], old);
				goto bad;
			}
			if (!old && set_name(l, id, f[2], fl[2])) {
				rc = fail(err, errlen, VID_ENOMEM, "%s: out of memory", name);
				goto bad;
			}
		}
		if (l->n == l->cap) {
			if (l->n >= VID_MAX_LABELS) {
				rc = fail(err, errlen, VID_ELIMIT, "%s: line %zu: more than %u labels", name, line, VID_MAX_LABELS);
				goto bad;
			}
			size_t cap = l->cap ? l->cap * 2 : 256;
			double *nt = realloc(l->t, cap * sizeof *nt);
			if (nt)
				l->t = nt;
			uint32_t *ni = realloc(l->id, cap * sizeof *ni);
			if (ni)
				l->id = ni;
			if (!nt || !ni) {
				rc = fail(err, errlen, VID_ENOMEM, "%s: out of memory", name);
				goto bad;
			}
			l->cap = cap;
		}
		l->t[l->n] = t;
		l->id[l->n] = id;
		l->n++;
		if (id + 1 > l->vocab)
			l->vocab = id + 1;
	}
	*out = l;
	return VID_OK;
bad:
	vid_labels_free(l);
	return rc;
}

size_t vid_labels_count(const vid_labels *l) { return l->n; }
uint32_t vid_labels_vocab(const vid_labels *l) { return l->vocab; }
double vid_labels_time(const vid_labels *l, size_t i) { return l->t[i]; }
uint32_t vid_labels_id(const vid_labels *l, size_t i) { return l->id[i]; }

const char *vid_labels_name(const vid_labels *l, uint32_t id)
{
	return id < l->names_cap ? l->names[id] : NULL;
}

uint32_t vid_labels_at(const vid_labels *l, double t)
{
	/* last i with t_i <= t: upper bound, then step back */
	size_t lo = 0, hi = l->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (l->t[mid] <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? l->id[lo - 1] : 0;
}
