/*
 * shard_json.c - a strict JSON reader (RFC 8259, UTF-8 checked) for the two
 * JSON texts of the format: the meta block of a shard, which must be one
 * object so that tools can embed it in their own JSON as is, and a dataset's
 * manifest.json, whose totals and per-shard lines verify compares with the
 * shards. It checks and skips values and reads the few names and counts the
 * manifest check needs; it builds no tree and never allocates.
 */
#include "shard_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSON_MAX_DEPTH 256            /* nesting cap: recursion depth on crafted input */
#define MANIFEST_MAX (1l << 30)       /* a million shards take about 100 MiB */

typedef struct jcur {
	const uint8_t *s;
	size_t n, at;
} jcur;

/* Next non-whitespace byte (not consumed), or -1 at the end. */
static int peek(jcur *j)
{
	while (j->at < j->n && (j->s[j->at] == ' ' || j->s[j->at] == '\t' || j->s[j->at] == '\n' || j->s[j->at] == '\r'))
		j->at++;
	return j->at < j->n ? j->s[j->at] : -1;
}

static int eat(jcur *j, int c)
{
	if (peek(j) != c) return 0;
	j->at++;
	return 1;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

/* \uXXXX after the backslash and 'u' were consumed: its code unit, or -1. */
static long hex4(jcur *j)
{
	if (j->n - j->at < 4) return -1;
	long v = 0;
	for (int k = 0; k < 4; k++) {
		int h = hexval(j->s[j->at + k]);
		if (h < 0) return -1;
		v = v << 4 | h;
	}
	j->at += 4;
	return v;
}

/* Length of the UTF-8 sequence at p (avail bytes), 0 if it is not valid
 * UTF-8: no overlong forms, no surrogates, nothing past U+10FFFF. */
static size_t utf8_len(const uint8_t *p, size_t avail)
{
	uint8_t c = p[0];
	size_t len;
	uint8_t lo = 0x80, hi = 0xBF;   /* allowed range of the second byte */
	if (c < 0x80) return 1;
	if (c >= 0xC2 && c <= 0xDF) len = 2;
	else if (c >= 0xE0 && c <= 0xEF) { len = 3; if (c == 0xE0) lo = 0xA0; if (c == 0xED) hi = 0x9F; }
	else if (c >= 0xF0 && c <= 0xF4) { len = 4; if (c == 0xF0) lo = 0x90; if (c == 0xF4) hi = 0x8F; }
	else return 0;
	if (avail < len || p[1] < lo || p[1] > hi) return 0;
	for (size_t k = 2; k < len; k++)
		if ((p[k] & 0xC0) != 0x80) return 0;
	return len;
}

/* A string at the cursor; *raw and *rawlen give the bytes between the quotes
 * (escapes left as written). On error j->at is the offending byte. */
static int string(jcur *j, const uint8_t **raw, size_t *rawlen)
{
	if (!eat(j, '"')) return -1;
	size_t start = j->at;
	while (j->at < j->n) {
		uint8_t c = j->s[j->at];
		if (c == '"') {
			if (raw) { *raw = j->s + start; *rawlen = j->at - start; }
			j->at++;
			return 0;
		}
		if (c < 0x20) return -1;   /* control bytes must be escaped */
		if (c == '\\') {
			if (++j->at == j->n) return -1;
			c = j->s[j->at++];
			if (c == 'u') {
				size_t esc = j->at - 2;
				long u = hex4(j);
				if (u < 0) return -1;
				/* a surrogate only as a high + low pair: a lone one is no character */
				if (u >= 0xDC00 && u <= 0xDFFF) { j->at = esc; return -1; }
				if (u >= 0xD800 && u <= 0xDBFF) {
					long v = -1;
					if (j->n - j->at >= 2 && j->s[j->at] == '\\' && j->s[j->at + 1] == 'u') { j->at += 2; v = hex4(j); }
					if (v < 0xDC00 || v > 0xDFFF) { j->at = esc; return -1; }
				}
			} else if (!strchr("\"\\/bfnrt", c) || c == 0) {
				j->at -= 2;
				return -1;
			}
			continue;
		}
		size_t len = utf8_len(j->s + j->at, j->n - j->at);
		if (!len) return -1;
		j->at += len;
	}
	return -1;
}

static int digits(jcur *j)
{
	size_t start = j->at;
	while (j->at < j->n && j->s[j->at] >= '0' && j->s[j->at] <= '9') j->at++;
	return j->at > start ? 0 : -1;
}

static int number(jcur *j)
{
	if (j->at < j->n && j->s[j->at] == '-') j->at++;
	if (j->at < j->n && j->s[j->at] == '0') j->at++;
	else if (digits(j)) return -1;
	if (j->at < j->n && j->s[j->at] == '.' && (j->at++, digits(j))) return -1;
	if (j->at < j->n && (j->s[j->at] == 'e' || j->s[j->at] == 'E')) {
		j->at++;
		if (j->at < j->n && (j->s[j->at] == '+' || j->s[j->at] == '-')) j->at++;
		if (digits(j)) return -1;
	}
	return 0;
}

static int literal(jcur *j, const char *word)
{
	size_t len = strlen(word);
	if (j->n - j->at < len || memcmp(j->s + j->at, word, len)) return -1;
	j->at += len;
	return 0;
}

static int value(jcur *j, int depth);

/* The members of an object or elements of an array after its opening byte. */
static int members(jcur *j, int close, int depth)
{
	if (eat(j, close)) return 0;
	do {
		if (close == '}' && (string(j, NULL, NULL) || !eat(j, ':'))) return -1;
		if (value(j, depth + 1)) return -1;
	} while (eat(j, ','));
	return eat(j, close) ? 0 : -1;
}

/* Check and skip one value. */
static int value(jcur *j, int depth)
{
	int c = peek(j);
	if (depth > JSON_MAX_DEPTH) return -1;
	switch (c) {
	case '{': j->at++; return members(j, '}', depth);
	case '[': j->at++; return members(j, ']', depth);
	case '"': return string(j, NULL, NULL);
	case 't': return literal(j, "true");
	case 'f': return literal(j, "false");
	case 'n': return literal(j, "null");
	default: return c == '-' || (c >= '0' && c <= '9') ? number(j) : -1;
	}
}

int shard__json_object(const void *text, size_t n, size_t *bad_at)
{
	jcur j = { text, n, 0 };
	int rc = peek(&j) == '{' && !value(&j, 0) && peek(&j) == -1 ? 0 : -1;
	if (bad_at) *bad_at = j.at;
	return rc;
}

int shard_file_check_meta(const shard_file *f, shard_error *err)
{
	size_t len, at;
	const char *meta = shard_file_meta(f, &len);
	if (len == 0 || !shard__json_object(meta, len, &at)) return SHARD_OK;
	return shard__fail(err, SHARD_EFORMAT, SHARD_HEADER_SIZE + at, "%s: the metadata is not a JSON object in UTF-8",
	                   shard_file_path(f));
}

/* ---- manifest.json ------------------------------------------------------ */

/* A count: digits only (no sign, fraction or exponent), below 2^64. */
static int count(jcur *j, uint64_t *v)
{
	peek(j);
	size_t start = j->at;
	uint64_t x = 0;
	while (j->at < j->n && j->s[j->at] >= '0' && j->s[j->at] <= '9') {
		unsigned d = j->s[j->at] - '0';
		if (x > (UINT64_MAX - d) / 10) return -1;
		x = x * 10 + d;
		j->at++;
	}
	if (j->at == start || (j->at - start > 1 && j->s[start] == '0')) return -1;
	if (j->at < j->n && strchr(".eE", j->s[j->at])) return -1;
	*v = x;
	return 0;
}

static int key_is(const uint8_t *k, size_t klen, const char *want)
{
	return klen == strlen(want) && !memcmp(k, want, klen);
}

/* What manifest.json says about the dataset or one shard. */
typedef struct mcounts {
	uint64_t v[3];     /* records, elements, bytes */
	size_t at[3];      /* offset of each value */
	int have;          /* bit k: v[k] was found */
	const uint8_t *file;
	size_t file_len, file_at;
} mcounts;

static const char *const count_keys[3] = { "records", "elements", "bytes" };

/* One member of a manifest object: a count or "file" into c, else skipped. */
static int member(jcur *j, const uint8_t *k, size_t klen, mcounts *c)
{
	for (int i = 0; i < 3; i++) {
		if (!key_is(k, klen, count_keys[i])) continue;
		c->at[i] = (peek(j), j->at);
		c->have |= 1 << i;
		return count(j, &c->v[i]);
	}
	if (key_is(k, klen, "file")) {
		c->file_at = (peek(j), j->at);
		return string(j, &c->file, &c->file_len);
	}
	return value(j, 1);
}

typedef struct mcheck {
	const char *path;
	const shard_dataset *d;
	uint64_t bytes;       /* sum of the shard file sizes */
	size_t shards_seen;
	int have_shards;
	shard_error *err;
} mcheck;

static int syntax(mcheck *m, jcur *j)
{
	return shard__fail(m->err, SHARD_EFORMAT, j->at, "%s: not valid JSON", m->path);
}

/* Each count present and equal to what the shards hold (what names the
 * manifest's object, holder the shard or shards it describes). */
static int compare(mcheck *m, const mcounts *c, const uint64_t want[3], const char *what, const char *holder)
{
	for (int i = 0; i < 3; i++) {
		if (!(c->have & 1 << i))
			return shard__fail(m->err, SHARD_EFORMAT, UINT64_MAX, "%s: %s has no \"%s\"", m->path, what, count_keys[i]);
		if (c->v[i] != want[i])
			return shard__fail(m->err, SHARD_EFORMAT, c->at[i], "%s: %s: %s %llu, %s %llu", m->path, what,
			                   count_keys[i], (unsigned long long)c->v[i], holder, (unsigned long long)want[i]);
	}
	return SHARD_OK;
}

/* An object's members into c; nested() may claim a member first (it
 * returns 1 for one it leaves to member()). */
static int object(mcheck *m, jcur *j, mcounts *c, int (*nested)(mcheck *, jcur *, const uint8_t *, size_t))
{
	if (!eat(j, '{')) return syntax(m, j);
	if (eat(j, '}')) return SHARD_OK;
	do {
		const uint8_t *k;
		size_t klen;
		if (string(j, &k, &klen) || !eat(j, ':')) return syntax(m, j);
		int rc = nested ? nested(m, j, k, klen) : 1;
		if (rc == 1) rc = member(j, k, klen, c) ? syntax(m, j) : SHARD_OK;
		if (rc) return rc;
	} while (eat(j, ','));
	return eat(j, '}') ? SHARD_OK : syntax(m, j);
}

/* shards[i] against shard file i of the dataset. */
static int shard_line(mcheck *m, jcur *j)
{
	size_t i = m->shards_seen++, at = (peek(j), j->at);
	const shard_file *f = shard_dataset_file(m->d, i);
	char what[64];
	snprintf(what, sizeof what, "shards[%zu]", i);
	if (!f)
		return shard__fail(m->err, SHARD_EFORMAT, at, "%s: %s: the manifest lists more shards than the folder holds (%zu)",
		                   m->path, what, shard_dataset_nfiles(m->d));
	mcounts c = { 0 };
	int rc = object(m, j, &c, NULL);
	if (rc) return rc;
	const char *name = strrchr(shard_file_path(f), '/');
	name = name ? name + 1 : shard_file_path(f);
	if (!c.file || c.file_len != strlen(name) || memcmp(c.file, name, c.file_len))
		return shard__fail(m->err, SHARD_EFORMAT, c.file ? c.file_at : at, "%s: %s: \"file\" is %.*s, expected %s", m->path,
		                   what, c.file ? (int)(c.file_len > 64 ? 64 : c.file_len) : 4, c.file ? (const char *)c.file : "none",
		                   name);
	const uint64_t want[3] = { shard_file_records(f), shard_file_elements(f), shard_file_size(f) };
	char holder[300];
	snprintf(holder, sizeof holder, "%s holds", name);
	return compare(m, &c, want, what, holder);
}

/* The top-level "shards" array; other members go back to object(). */
static int top_member(mcheck *m, jcur *j, const uint8_t *k, size_t klen)
{
	if (!key_is(k, klen, "shards")) return 1;
	m->have_shards = 1;
	if (!eat(j, '[')) return syntax(m, j);
	if (eat(j, ']')) return SHARD_OK;
	do {
		int rc = shard_line(m, j);
		if (rc) return rc;
	} while (eat(j, ','));
	return eat(j, ']') ? SHARD_OK : syntax(m, j);
}

static int check_manifest_text(mcheck *m, const uint8_t *text, size_t n)
{
	jcur j = { text, n, 0 };
	mcounts c = { 0 };
	int rc = object(m, &j, &c, top_member);
	if (rc) return rc;
	if (peek(&j) != -1) return syntax(m, &j);
	if (!m->have_shards) return shard__fail(m->err, SHARD_EFORMAT, UINT64_MAX, "%s: no \"shards\" list", m->path);
	if (m->shards_seen != shard_dataset_nfiles(m->d))
		return shard__fail(m->err, SHARD_EFORMAT, UINT64_MAX, "%s: lists %zu shards, the folder holds %zu", m->path,
		                   m->shards_seen, shard_dataset_nfiles(m->d));
	const uint64_t want[3] = { shard_dataset_records(m->d), shard_dataset_elements(m->d), m->bytes };
	return compare(m, &c, want, "the totals", "the shards hold");
}

int shard_dataset_check_manifest(const shard_dataset *d, const char *dir, shard_error *err)
{
	size_t plen = strlen(dir) + sizeof "/manifest.json";
	char *path = malloc(plen);
	if (!path) return shard__fail(err, SHARD_ENOMEM, UINT64_MAX, "out of memory");
	snprintf(path, plen, "%s/manifest.json", dir);
	mcheck m = { path, d, 0, 0, 0, err };
	for (size_t k = 0; k < shard_dataset_nfiles(d); k++) m.bytes += shard_file_size(shard_dataset_file(d, k));
	int rc;
	FILE *fp = fopen(path, "rb");
	uint8_t *text = NULL;
	long n = -1;
	if (fp && !fseek(fp, 0, SEEK_END) && (n = ftell(fp)) >= 0 && n <= MANIFEST_MAX && !fseek(fp, 0, SEEK_SET))
		text = malloc(n ? (size_t)n : 1);
	if (!fp || n < 0) rc = shard__fail(err, SHARD_EIO, UINT64_MAX, "%s: %s", path, strerror(errno));
	else if (n > MANIFEST_MAX) rc = shard__fail(err, SHARD_ERANGE, UINT64_MAX, "%s: over 1 GiB, not a manifest", path);
	else if (!text) rc = shard__fail(err, SHARD_ENOMEM, UINT64_MAX, "%s: out of memory", path);
	else if (fread(text, 1, (size_t)n, fp) != (size_t)n) rc = shard__fail(err, SHARD_EIO, UINT64_MAX, "%s: read error", path);
	else rc = check_manifest_text(&m, text, (size_t)n);
	if (fp) fclose(fp);
	free(text);
	free(path);
	return rc;
}
