/*
 * trn_config.c - the run configuration: a small "key = value" text format
 * with [model] and [stage NAME] sections, its checks, and its canonical
 * form (every key written out; stored in checkpoints and parsed back).
 * The format is documented for users in man/kiln-train.1, CONFIGURATION.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "train_internal.h"

#define MAX_LINE 4096
#define MAX_CONFIG_BYTES (1 << 20)

void trn_config_defaults(trn_config *c)
{
	memset(c, 0, sizeof *c);
	trn_model_config *m = &c->model;
	m->n_layer = 2;
	m->width = 64;
	m->n_head = 4;
	m->ctx = 0;
	m->vocab = 0;
	m->mlp = 4;
	m->pos = TRN_POS_ROPE;
	m->tie = 1;
	m->rope_theta = 10000.0f;
	m->init_std = 0.02f;
	snprintf(c->out, sizeof c->out, "run");
	c->seed = 1;
	c->shuffle = 1;
	c->backend = TRN_BACKEND_CPU;
	c->log_every = 10;
	c->val_every = 100;
	c->val_batches = 4;
	c->ckpt_every = 100;
	c->n_stages = 1;
	trn_stage *s = &c->stages[0];
	snprintf(s->name, sizeof s->name, "main");
	s->ctx = 0;
	s->batch = 4;
	s->accum = 1;
	s->steps = 100;
	s->opt = TRN_OPT_ADAMW;
	s->lr = 1e-3f;
	s->muon_lr = 0.02f;
	s->min_lr = 0.1f;
	s->weight_decay = 0.0f;
	s->beta1 = 0.9f;
	s->beta2 = 0.95f;
	s->eps = 1e-8f;
	s->muon_momentum = 0.95f;
	s->ns_steps = 5;
	s->grad_clip = 1.0f;
	s->sched = TRN_SCHED_COSINE;
	s->warmup = 0;
	s->decay = 0.2f;
}

/* ---- names ------------------------------------------------------------- */

static const char *const opt_names[] = { NULL, "adamw", "muon" };
static const char *const sched_names[] = { NULL, "cosine", "linear", "constant", "wsd" };
static const char *const pos_names[] = { NULL, "rope", "sin2d" };

const char *trn_opt_name(int v) { return v >= 1 && v <= 2 ? opt_names[v] : "?"; }
const char *trn_sched_name(int v) { return v >= 1 && v <= 4 ? sched_names[v] : "?"; }
const char *trn_pos_name(int v) { return v >= 1 && v <= 2 ? pos_names[v] : "?"; }

static int lookup(const char *v, const char *const *names, int n)
{
	for (int i = 1; i < n; i++)
		if (!strcmp(v, names[i]))
			return i;
	return 0;
}

/* ---- strict value parsing (the library cannot use the tools' helpers) -- */

static int parse_i64(const char *s, int64_t min, int64_t max, int64_t *out)
{
	char *end;
	if (!isdigit((unsigned char)s[0]) && !(s[0] == '-' && isdigit((unsigned char)s[1])))
		return -1;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int parse_f(const char *s, double min, double max, float *out)
{
	char *end;
	if (!*s || isspace((unsigned char)s[0]))
		return -1;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || *end || !isfinite(v) || v < min || v > max)
		return -1;
	*out = (float)v;
	return 0;
}

static int parse_bool(const char *s, int *out)
{
	if (!strcmp(s, "yes") || !strcmp(s, "true") || !strcmp(s, "1"))
		*out = 1;
	else if (!strcmp(s, "no") || !strcmp(s, "false") || !strcmp(s, "0"))
		*out = 0;
	else
		return -1;
	return 0;
}

/* ---- key tables ---------------------------------------------------------- */

enum vt { V_INT, V_I64, V_FLOAT, V_BOOL, V_PATH, V_OPT, V_SCHED, V_POS, V_BACKEND, V_U64 };

typedef struct key {
	const char *name;
	int type;
	size_t off;
	double min, max;
} key;

#define RK(n, t, f, lo, hi) { n, t, offsetof(trn_config, f), lo, hi }
static const key run_keys[] = {
	RK("data", V_PATH, data, 0, 0),
	RK("val", V_PATH, val, 0, 0),
	RK("out", V_PATH, out, 0, 0),
	RK("seed", V_U64, seed, 0, 0),
	RK("shuffle", V_BOOL, shuffle, 0, 1),
	RK("backend", V_BACKEND, backend, 0, 0),
	RK("log_every", V_I64, log_every, 1, 1e12),
	RK("val_every", V_I64, val_every, 0, 1e12),
	RK("val_batches", V_I64, val_batches, 1, 1e6),
	RK("checkpoint_every", V_I64, ckpt_every, 0, 1e12),
};
#define MK(n, t, f, lo, hi) { n, t, offsetof(trn_model_config, f), lo, hi }
static const key model_keys[] = {
	MK("layers", V_INT, n_layer, 1, TRN_MAX_LAYERS),
	MK("width", V_INT, width, 1, TRN_MAX_WIDTH),
	MK("heads", V_INT, n_head, 1, 4096),
	MK("context", V_INT, ctx, 0, TRN_MAX_CTX),
	MK("vocab", V_INT, vocab, 0, TRN_MAX_VOCAB),
	MK("mlp", V_INT, mlp, 1, 64),
	MK("position", V_POS, pos, 0, 0),
	MK("tie_embeddings", V_BOOL, tie, 0, 1),
	MK("rope_theta", V_FLOAT, rope_theta, 1, 1e9),
	MK("grid_width", V_INT, grid_width, 0, 65536),
	MK("grid_prefix", V_INT, grid_prefix, 0, 65536),
	MK("init_std", V_FLOAT, init_std, 1e-6, 10),
};
#define SK(n, t, f, lo, hi) { n, t, offsetof(trn_stage, f), lo, hi }
static const key stage_keys[] = {
	SK("context", V_INT, ctx, 0, TRN_MAX_CTX),
	SK("batch", V_INT, batch, 1, 1 << 20),
	SK("accum", V_INT, accum, 1, 1 << 20),
	/* at least 1: a stage of no steps would end the run without a save */
	SK("steps", V_I64, steps, 1, 1e15),
	SK("optimizer", V_OPT, opt, 0, 0),
	SK("lr", V_FLOAT, lr, 0, 10),
	SK("muon_lr", V_FLOAT, muon_lr, 0, 10),
	SK("min_lr", V_FLOAT, min_lr, 0, 1),
	SK("weight_decay", V_FLOAT, weight_decay, 0, 10),
	SK("beta1", V_FLOAT, beta1, 0, 0.999999),
	SK("beta2", V_FLOAT, beta2, 0, 0.999999),
	SK("eps", V_FLOAT, eps, 1e-30, 1),
	SK("momentum", V_FLOAT, muon_momentum, 0, 0.999999),
	SK("ns_steps", V_INT, ns_steps, 1, 100),
	SK("grad_clip", V_FLOAT, grad_clip, 0, 1e9),
	SK("schedule", V_SCHED, sched, 0, 0),
	SK("warmup", V_I64, warmup, 0, 1e15),
	SK("decay", V_FLOAT, decay, 0, 1),
};
#define NKEYS(a) (sizeof(a) / sizeof((a)[0]))

static const key *find_key(const key *tab, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(tab[i].name, name))
			return &tab[i];
	return NULL;
}

/* Store value v for key k into the struct at base. */
static int set_value(const key *k, void *base, const char *v, const char *name, int line, trn_error *err)
{
	char *p = (char *)base + k->off;
	int64_t i;
	uint64_t u;
	int r = -1;
	switch (k->type) {
	case V_INT:
		r = parse_i64(v, (int64_t)k->min, (int64_t)k->max, &i);
		if (!r) *(int *)p = (int)i;
		break;
	case V_I64:
		r = parse_i64(v, (int64_t)k->min, (int64_t)k->max, &i);
		if (!r) *(int64_t *)p = i;
		break;
	case V_U64: {
		char *end;
		errno = 0;
		if (!isdigit((unsigned char)v[0]))
			break;
		u = strtoull(v, &end, 10);
		if (errno || *end)
			break;
		*(uint64_t *)p = u;
		r = 0;
		break;
	}
	case V_FLOAT:
		r = parse_f(v, k->min, k->max, (float *)p);
		break;
	case V_BOOL:
		r = parse_bool(v, (int *)p);
		break;
	case V_PATH:
		if (strlen(v) < TRN_PATH_MAX) {
			/* a repeated key must not leave the longer old value's tail behind */
			memset(p, 0, TRN_PATH_MAX);
			memcpy(p, v, strlen(v));
			r = 0;
		}
		break;
	case V_OPT:
		r = (*(int *)p = lookup(v, opt_names, 3)) ? 0 : -1;
		break;
	case V_SCHED:
		r = (*(int *)p = lookup(v, sched_names, 5)) ? 0 : -1;
		break;
	case V_POS:
		r = (*(int *)p = lookup(v, pos_names, 3)) ? 0 : -1;
		break;
	case V_BACKEND:
		if (!strcmp(v, "cpu")) *(int *)p = TRN_BACKEND_CPU, r = 0;
		else if (!strcmp(v, "cuda")) *(int *)p = TRN_BACKEND_CUDA, r = 0;
		break;
	}
	if (r)
		return trn_seterr(err, TRN_EINVAL, "%s:%d: bad value '%s' for %s", name, line, v, k->name);
	return TRN_OK;
}

/* ---- parsing --------------------------------------------------------------- */

typedef struct entry {
	int section;     /* -1 top level, -2 [model], else stage index */
	int line;
	char *key, *val;
} entry;

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	char *e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = 0;
	return s;
}

/* set_value for a key not set before in its scope: one given twice is an
 * error naming both lines, since with "the last one wins" an edit to the
 * first would silently do nothing. first_line holds, per key of tab, the
 * line that set it (0 = not yet). */
static int set_first(const key *k, const key *tab, int *first_line, void *base, const entry *e, const char *name,
                     trn_error *err)
{
	int *seen = &first_line[k - tab];
	if (*seen)
		return trn_seterr(err, TRN_EFORMAT, "%s:%d: %s is already set on line %d", name, e->line, k->name, *seen);
	*seen = e->line;
	return set_value(k, base, e->val, name, e->line, err);
}

int trn_config_parse(const char *text, size_t len, const char *name, trn_config *c, trn_error *err)
{
	return trn_config_parse_lines(text, len, name, c, NULL, err);
}

int trn_config_parse_lines(const char *text, size_t len, const char *name, trn_config *c, trn_config_lines *lines,
                           trn_error *err)
{
	if (lines)
		lines->data = lines->val = 0;
	if (len > MAX_CONFIG_BYTES)
		return trn_seterr(err, TRN_ERANGE, "%s: config larger than %d bytes", name, MAX_CONFIG_BYTES);
	trn_config_defaults(c);
	trn_stage defaults = c->stages[0];
	char *buf = malloc(len + 1);
	entry *ents = calloc(len / 2 + 1, sizeof *ents);   /* a "k=v" line is >= 3 bytes */
	int rc = TRN_OK;
	if (!buf || !ents) {
		rc = trn_seterr(err, TRN_ENOMEM, "out of memory");
		goto out;
	}
	memcpy(buf, text, len);
	buf[len] = 0;
	if (memchr(text, 0, len)) {
		rc = trn_seterr(err, TRN_EFORMAT, "%s: NUL byte in config", name);
		goto out;
	}
	size_t ne = 0;
	int section = -1, nst = 0, line = 0;
	char stage_names[TRN_MAX_STAGES][32] = { { 0 } };
	for (char *s = buf, *next; s && *s; s = next) {
		line++;
		next = strchr(s, '\n');
		if (next)
			*next++ = 0;
		if (strlen(s) > MAX_LINE) {
			rc = trn_seterr(err, TRN_EFORMAT, "%s:%d: line too long", name, line);
			goto out;
		}
		char *hash = strchr(s, '#');
		if (hash)
			*hash = 0;
		char *l = trim(s);
		if (!*l)
			continue;
		if (*l == '[') {
			char *close = strchr(l, ']');
			if (!close || trim(close + 1)[0]) {
				rc = trn_seterr(err, TRN_EFORMAT, "%s:%d: bad section header", name, line);
				goto out;
			}
			*close = 0;
			char *sec = trim(l + 1);
			if (!strcmp(sec, "model")) {
				section = -2;
			} else if (!strncmp(sec, "stage", 5) && (!sec[5] || isspace((unsigned char)sec[5]))) {
				char *sn = trim(sec + 5);
				if (nst >= TRN_MAX_STAGES) {
					rc = trn_seterr(err, TRN_ERANGE, "%s:%d: more than %d stages", name, line, TRN_MAX_STAGES);
					goto out;
				}
				if (strlen(sn) >= 32) {
					rc = trn_seterr(err, TRN_EFORMAT, "%s:%d: stage name longer than 31 bytes", name, line);
					goto out;
				}
				for (const char *q = sn; *q; q++)
					if (!isalnum((unsigned char)*q) && *q != '-' && *q != '_') {
						rc = trn_seterr(err, TRN_EFORMAT, "%s:%d: stage names use letters, digits, - and _", name, line);
						goto out;
					}
				snprintf(stage_names[nst], 32, "%s", *sn ? sn : "");
				if (!*sn)
					snprintf(stage_names[nst], 32, "stage%d", nst + 1);
				section = nst++;
			} else {
				rc = trn_seterr(err, TRN_EFORMAT, "%s:%d: unknown section [%s] (want [model] or [stage NAME])", name, line, sec);
				goto out;
			}
			continue;
		}
		char *eq = strchr(l, '=');
		if (!eq) {
			rc = trn_seterr(err, TRN_EFORMAT, "%s:%d: expected 'key = value'", name, line);
			goto out;
		}
		*eq = 0;
		ents[ne].section = section;
		ents[ne].line = line;
		ents[ne].key = trim(l);
		ents[ne].val = trim(eq + 1);
		ne++;
	}
	/* pass 1: run keys and stage defaults at top level, then [model] */
	int run_set[NKEYS(run_keys)] = { 0 }, default_set[NKEYS(stage_keys)] = { 0 }, model_set[NKEYS(model_keys)] = { 0 };
	int stage_set[TRN_MAX_STAGES][NKEYS(stage_keys)] = { { 0 } };
	for (size_t i = 0; i < ne; i++) {
		entry *e = &ents[i];
		const key *k;
		if (e->section == -1) {
			if ((k = find_key(run_keys, NKEYS(run_keys), e->key)))
				rc = set_first(k, run_keys, run_set, c, e, name, err);
			else if ((k = find_key(stage_keys, NKEYS(stage_keys), e->key)))
				rc = set_first(k, stage_keys, default_set, &defaults, e, name, err);
			else
				rc = trn_seterr(err, TRN_EFORMAT, "%s:%d: unknown key '%s'", name, e->line, e->key);
		} else if (e->section == -2) {
			if ((k = find_key(model_keys, NKEYS(model_keys), e->key)))
				rc = set_first(k, model_keys, model_set, &c->model, e, name, err);
			else
				rc = trn_seterr(err, TRN_EFORMAT, "%s:%d: unknown key '%s' in [model]", name, e->line, e->key);
		}
		if (rc)
			goto out;
	}
	if (lines) {
		lines->data = run_set[find_key(run_keys, NKEYS(run_keys), "data") - run_keys];
		lines->val = run_set[find_key(run_keys, NKEYS(run_keys), "val") - run_keys];
	}
	/* pass 2: each stage starts from the defaults, then its own keys */
	c->n_stages = nst ? nst : 1;
	for (int s = 0; s < c->n_stages; s++) {
		c->stages[s] = defaults;
		if (nst)
			memcpy(c->stages[s].name, stage_names[s], sizeof c->stages[s].name);
	}
	for (size_t i = 0; i < ne; i++) {
		entry *e = &ents[i];
		if (e->section < 0)
			continue;
		const key *k = find_key(stage_keys, NKEYS(stage_keys), e->key);
		if (!k) {
			rc = trn_seterr(err, TRN_EFORMAT, "%s:%d: unknown key '%s' in a stage", name, e->line, e->key);
			goto out;
		}
		if ((rc = set_first(k, stage_keys, stage_set[e->section], &c->stages[e->section], e, name, err)))
			goto out;
	}
	/* context: a stage's 0 means the model's; the model's 0 the longest stage's */
	if (c->model.ctx == 0)
		for (int s = 0; s < c->n_stages; s++)
			if (c->stages[s].ctx > c->model.ctx)
				c->model.ctx = c->stages[s].ctx;
	for (int s = 0; s < c->n_stages; s++)
		if (c->stages[s].ctx == 0)
			c->stages[s].ctx = c->model.ctx;
out:
	free(buf);
	free(ents);
	return rc;
}

int trn_config_check(const trn_config *c, trn_error *err)
{
	const trn_model_config *m = &c->model;
	if (m->ctx <= 0)
		return trn_seterr(err, TRN_EINVAL, "no context length: set context in [model] or in a stage");
	if (m->width % m->n_head)
		return trn_seterr(err, TRN_EINVAL, "width %d is not a multiple of heads %d", m->width, m->n_head);
	int hd = m->width / m->n_head;
	if (hd > TRN_MAX_HEAD_DIM)
		return trn_seterr(err, TRN_EINVAL, "head size %d is over %d", hd, TRN_MAX_HEAD_DIM);
	if (m->pos == TRN_POS_ROPE && hd % 2)
		return trn_seterr(err, TRN_EINVAL, "rope needs an even head size (width / heads = %d)", hd);
	if (m->pos == TRN_POS_SIN2D && m->width % 4)
		return trn_seterr(err, TRN_EINVAL, "sin2d needs a width divisible by 4 (got %d)", m->width);
	if (c->backend == TRN_BACKEND_CUDA && !trn_backend_available(TRN_BACKEND_CUDA))
		return trn_seterr(err, TRN_ENOTBUILT, "backend = cuda is not available: %s",
		                  trn_backend_error(TRN_BACKEND_CUDA));
	for (int s = 0; s < c->n_stages; s++) {
		const trn_stage *st = &c->stages[s];
		if (st->ctx <= 0 || st->ctx > m->ctx)
			return trn_seterr(err, TRN_EINVAL, "stage %s: context %d is not in 1..%d (the model's)", st->name, st->ctx, m->ctx);
		if (st->warmup > st->steps)
			return trn_seterr(err, TRN_EINVAL, "stage %s: warmup %lld is longer than its %lld steps", st->name,
			                  (long long)st->warmup, (long long)st->steps);
		if ((uint64_t)st->batch * (uint64_t)st->ctx > (1ull << 31))
			return trn_seterr(err, TRN_ERANGE, "stage %s: batch x context is over 2^31 positions", st->name);
		for (int t = 0; t < s; t++)
			if (!strcmp(c->stages[t].name, st->name))
				return trn_seterr(err, TRN_EINVAL, "two stages are named %s", st->name);
	}
	return TRN_OK;
}

/* ---- canonical text ---------------------------------------------------------- */

static void write_key(FILE *fp, const key *k, const void *base)
{
	const char *p = (const char *)base + k->off;
	fprintf(fp, "%s = ", k->name);
	switch (k->type) {
	case V_INT: fprintf(fp, "%d", *(const int *)p); break;
	case V_I64: fprintf(fp, "%lld", (long long)*(const int64_t *)p); break;
	case V_U64: fprintf(fp, "%llu", (unsigned long long)*(const uint64_t *)p); break;
	case V_FLOAT: fprintf(fp, "%.9g", *(const float *)p); break;   /* round-trips a float */
	case V_BOOL: fprintf(fp, "%s", *(const int *)p ? "yes" : "no"); break;
	case V_PATH: fprintf(fp, "%s", p); break;
	case V_OPT: fprintf(fp, "%s", trn_opt_name(*(const int *)p)); break;
	case V_SCHED: fprintf(fp, "%s", trn_sched_name(*(const int *)p)); break;
	case V_POS: fprintf(fp, "%s", trn_pos_name(*(const int *)p)); break;
	case V_BACKEND: fprintf(fp, "%s", *(const int *)p == TRN_BACKEND_CUDA ? "cuda" : "cpu"); break;
	}
	fputc('\n', fp);
}

int trn_config_write(FILE *fp, const trn_config *c)
{
	for (size_t i = 0; i < NKEYS(run_keys); i++)
		write_key(fp, &run_keys[i], c);
	fprintf(fp, "\n[model]\n");
	for (size_t i = 0; i < NKEYS(model_keys); i++)
		write_key(fp, &model_keys[i], &c->model);
	for (int s = 0; s < c->n_stages; s++) {
		fprintf(fp, "\n[stage %s]\n", c->stages[s].name);
		for (size_t i = 0; i < NKEYS(stage_keys); i++)
			write_key(fp, &stage_keys[i], &c->stages[s]);
	}
	return ferror(fp) ? TRN_EIO : TRN_OK;
}

char *trn_config_text(const trn_config *c)
{
	char *s = NULL;
	size_t n = 0;
	FILE *fp = open_memstream(&s, &n);
	if (!fp)
		return NULL;
	int rc = trn_config_write(fp, c);
	if (fclose(fp) || rc) {
		free(s);
		return NULL;
	}
	return s;
}

int trn_model_config_equal(const trn_model_config *a, const trn_model_config *b)
{
	return a->n_layer == b->n_layer && a->width == b->width && a->n_head == b->n_head && a->ctx == b->ctx &&
	       a->vocab == b->vocab && a->mlp == b->mlp && a->pos == b->pos && a->tie == b->tie &&
	       a->rope_theta == b->rope_theta && a->grid_width == b->grid_width &&
	       a->grid_prefix == b->grid_prefix && a->init_std == b->init_std;
}
