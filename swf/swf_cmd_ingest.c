/*
 * swf_cmd_ingest.c - `kiln-swf ingest`: find SWF files by signature in
 * folders and archives (nested too), judge and describe each in parallel,
 * drop duplicates by content hash, and write a token dataset (vocab 256:
 * prompt segment = structured prompt, content = file bytes) plus
 * manifest.jsonl with one line per file found. Decisions are taken in input
 * order on one thread, so the dataset is the same for any thread count.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#if defined(_OPENMP)
#include <omp.h>
#endif

#include "shard.h"
#include "swf_cmd.h"

#define MAX_ARCHIVE_DEPTH 4          /* zip in tar in zip in 7z is plenty */
#define BATCH 256                    /* files judged in parallel between decisions */
#define CACHE_BUDGET (1ull << 30)    /* contents kept in memory between passes */

enum { ST_ADDED, ST_DUPLICATE, ST_BROKEN, ST_UNREADABLE };
static const char *const status_names[] = { "added", "duplicate", "broken", "unreadable" };

typedef struct item {
	char *origin;          /* path, or "archive!entry[!entry]" */
	char *path;            /* file to read in the worker, or NULL */
	uint8_t *raw;          /* archive entry bytes (owned), or NULL */
	size_t raw_n;
	/* filled by the worker */
	int err;               /* errno reading the file, or 0 */
	char *errmsg;          /* why an archive member could not be read, or NULL */
	int verdict;
	uint8_t sha[32], csha[32];
	uint8_t *content;      /* bytes to store (owned) or NULL */
	size_t content_n;
	char *prompt;
	char *info_json;       /* manifest fields: "{" + sha256, content_sha256, prompt, info + "}" */
	/* filled by the decision pass */
	int status;
	int64_t record;        /* record index, or -1 */
	size_t dup_of;         /* item index of the first copy */
} item;

typedef struct ingest {
	const swf_cmd_opts *o;
	item *items;
	size_t n, cap;
	uint64_t files_seen, archives, archive_errors, too_big;
	int walk_failed;
} ingest;

static item *add_item(ingest *g, const char *origin)
{
	if (g->n == g->cap) {
		g->cap = g->cap ? g->cap * 2 : 256;
		g->items = kiln_xrealloc(g->items, g->cap * sizeof *g->items);
	}
	item *it = &g->items[g->n++];
	memset(it, 0, sizeof *it);
	it->origin = kiln_xstrdup(origin);
	it->record = -1;
	return it;
}

static int is_swf_sig(const uint8_t *p, size_t n)
{
	return n >= 3 && (p[0] == 'F' || p[0] == 'C' || p[0] == 'Z') && p[1] == 'W' && p[2] == 'S';
}

static int named_swf(const char *name)
{
	size_t n = strlen(name);
	return n >= 4 && !strcasecmp(name + n - 4, ".swf");
}

/* Formats read: the archive formats proper. mtree is left out on purpose:
 * an mtree "archive" is a text file naming files on this machine. */
static struct archive *archive_reader(void)
{
	struct archive *a = archive_read_new();
	if (!a) kiln_die(KILN_EXIT_FAIL, "out of memory");
	archive_read_support_filter_all(a);
	archive_read_support_format_zip(a);
	archive_read_support_format_tar(a);
	archive_read_support_format_7zip(a);
	archive_read_support_format_cpio(a);
	archive_read_support_format_ar(a);
	archive_read_support_format_iso9660(a);
	archive_read_support_format_rar(a);
	archive_read_support_format_rar5(a);
	archive_read_support_format_cab(a);
	archive_read_support_format_lha(a);
	archive_read_support_format_xar(a);
	return a;
}

static void scan_archive(ingest *g, struct archive *a, const char *origin, int depth);

/* An entry's bytes, read whole: SWF by signature, else maybe an archive. */
static void entry_bytes(ingest *g, uint8_t *buf, size_t n, const char *origin, const char *name, int depth)
{
	g->files_seen++;
	if (is_swf_sig(buf, n) || named_swf(name)) {
		item *it = add_item(g, origin);
		it->raw = buf;
		it->raw_n = n;
		return;
	}
	if (depth < MAX_ARCHIVE_DEPTH && n > 0) {
		struct archive *a = archive_reader();
		if (archive_read_open_memory(a, buf, n) == ARCHIVE_OK) scan_archive(g, a, origin, depth + 1);
		archive_read_free(a);
	}
	free(buf);
}

/* Walk the entries of an opened archive. A damaged archive stops with a
 * warning; what was found before the damage is kept. */
static void scan_archive(ingest *g, struct archive *a, const char *origin, int depth)
{
	struct archive_entry *e;
	int r, entries = 0;
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
		entries++;
		if (entries == 1) g->archives++;
		if (archive_entry_filetype(e) != AE_IFREG) continue;
		const char *name = archive_entry_pathname(e);
		if (!name) name = "?";
		size_t olen = strlen(origin) + strlen(name) + 2;
		char *sub = kiln_xmalloc(olen);
		snprintf(sub, olen, "%s!%s", origin, name);
		/* Read up to the cap plus one byte to tell "too big" from "fits". */
		size_t cap = 65536, n = 0;
		uint8_t *buf = kiln_xmalloc(cap);
		la_ssize_t got;
		int big = 0;
		while ((got = archive_read_data(a, buf + n, cap - n)) > 0) {
			n += (size_t)got;
			if (n > g->o->max_size) { big = 1; break; }
			if (n == cap) buf = kiln_xrealloc(buf, cap *= 2);
		}
		if (got < 0) {
			/* Recorded in the manifest as unreadable, like a file that
			 * cannot be read: a damaged member never stops the run. */
			const char *why = archive_error_string(a);
			kiln_warn("%s: %s (entry skipped)", sub, why ? why : "read error");
			g->archive_errors++;
			item *it = add_item(g, sub);
			it->err = EIO;
			it->errmsg = kiln_xstrdup(why ? why : "read error");
			free(buf);
		} else if (big) {
			kiln_warn("%s: larger than --max-size (skipped)", sub);
			g->too_big++;
			free(buf);
		} else {
			entry_bytes(g, buf, n, sub, name, depth);
		}
		free(sub);
		if (got < 0 && r == ARCHIVE_FATAL) break;
	}
	if (r == ARCHIVE_FATAL && entries > 0) {
		kiln_warn("%s: %s (rest of the archive skipped)", origin, archive_error_string(a));
		g->archive_errors++;
	}
}

static int walk_cb(const char *path, int is_error, int errno_val, void *ud)
{
	ingest *g = ud;
	if (is_error) {
		kiln_file_error(path, "%s", strerror(errno_val));
		g->walk_failed = 1;
		return 0;
	}
	/* Peek at the signature; the worker reads the whole file later. */
	uint8_t sig[8];
	size_t n = 0;
	FILE *fp = fopen(path, "rb");
	if (fp) { n = fread(sig, 1, sizeof sig, fp); fclose(fp); }
	else { kiln_file_error(path, "%s", strerror(errno)); g->walk_failed = 1; return 0; }
	g->files_seen++;
	if (is_swf_sig(sig, n) || named_swf(path)) {
		add_item(g, path)->path = kiln_xstrdup(path);
		return 0;
	}
	struct archive *a = archive_reader();
	if (archive_read_open_filename(a, path, 1 << 16) == ARCHIVE_OK) scan_archive(g, a, path, 1);
	archive_read_free(a);
	return 0;
}

/* The worker: read, judge, hash, describe. Thread-safe: touches only it. */
static void judge(const swf_cmd_opts *o, item *it)
{
	if (it->errmsg) return;          /* an archive member that would not extract */
	uint8_t *raw = it->raw;
	size_t n = it->raw_n;
	if (it->path) {
		raw = kiln_read_file(it->path, o->max_size, &n);
		if (!raw) { it->err = errno ? errno : EIO; return; }
	}
	it->raw = NULL;
	swf_opts so = { o->max_size, 0, !o->keep_compressed };
	swf_file *f;
	if (swf_parse(raw, n, &so, &f)) kiln_die(KILN_EXIT_FAIL, "out of memory");
	const swf_info *i = swf_file_info(f);
	it->verdict = i->verdict;
	kiln_sha256(raw, n, it->sha);
	if (i->verdict != SWF_VERDICT_BROKEN) {
		if (o->keep_compressed) {
			it->content = raw;
			it->content_n = n;
			raw = NULL;
		} else {
			size_t dn;
			const uint8_t *d = swf_file_data(f, &dn);
			it->content = kiln_xmalloc(dn ? dn : 1);
			memcpy(it->content, d, dn);
			it->content_n = dn;
		}
		/* The stored bytes are the input's when it was FWS already (or
		 * kept as is): hash them once. */
		if (it->content_n == n && (o->keep_compressed || (n && raw[0] == 'F')))
			memcpy(it->csha, it->sha, 32);
		else
			kiln_sha256(it->content, it->content_n, it->csha);
		char *side = it->path ? swf_cmd_sidecar(it->path) : NULL;
		it->prompt = swf_prompt(i, side, it->content_n);
		free(side);
		if (!it->prompt) kiln_die(KILN_EXIT_FAIL, "out of memory");
	}
	/* The manifest fields known now, rendered here in parallel rather than
	 * on the writing thread: the object without its opening brace. */
	char *js = NULL, hex[65];
	size_t jn = 0;
	FILE *mf = open_memstream(&js, &jn);
	if (!mf) kiln_die(KILN_EXIT_FAIL, "out of memory");
	kiln_json j;
	kiln_json_init(&j, mf, 0);
	kiln_json_obj_begin(&j, NULL);
	kiln_hex(it->sha, 32, hex);
	kiln_json_str(&j, "sha256", hex);
	if (i->verdict != SWF_VERDICT_BROKEN) {
		kiln_hex(it->csha, 32, hex);
		kiln_json_str(&j, "content_sha256", hex);
	}
	if (it->prompt) kiln_json_str(&j, "prompt", it->prompt);
	kiln_json_obj_begin(&j, "info");
	swf_cmd_info_fields(&j, i);
	kiln_json_obj_end(&j);
	kiln_json_obj_end(&j);
	if (fclose(mf) || !js || js[0] != '{') kiln_die(KILN_EXIT_FAIL, "out of memory");
	it->info_json = js;
	swf_file_free(f);
	free(raw);
}

/* Dedup set over content hashes: open addressing, keys are item indexes. */
typedef struct hset { size_t *slot; size_t cap; } hset;
static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int k = 7; k >= 0; k--) v = v << 8 | p[k];
	return v;
}
static size_t hset_find_or_add(hset *h, item *items, size_t idx)
{
	const uint8_t *key = items[idx].csha;
	size_t m = h->cap - 1, s = (size_t)le64(key) & m;
	while (h->slot[s] != SIZE_MAX) {
		if (!memcmp(items[h->slot[s]].csha, key, 32)) return h->slot[s];
		s = (s + 1) & m;
	}
	h->slot[s] = idx;
	return idx;
}

static void add_u64(kiln_json *j, const char *k, uint64_t v) { kiln_json_u64(j, k, v); }

int swf_cmd_ingest(const swf_cmd_opts *o, char **inputs, int ninputs)
{
	ingest g = { 0 };
	g.o = o;
#if defined(_OPENMP)
	if (o->threads) omp_set_num_threads(o->threads);
#else
	if (o->threads > 1 && !o->quiet) kiln_warn("built without OpenMP: --threads ignored (one thread)");
#endif
	for (int k = 0; k < ninputs; k++) {
		if (access(inputs[k], R_OK)) kiln_die(KILN_EXIT_FAIL, "%s: %s", inputs[k], strerror(errno));
	}
	kiln_walk((const char *const *)inputs, (size_t)ninputs, walk_cb, &g);

	/* Pass 1: judge every file, BATCH at a time in parallel, then decide in
	 * input order (dedup, cache budget) on this thread. */
	size_t hcap = 1024;
	while (hcap < 2 * g.n + 2) hcap *= 2;
	hset h = { kiln_xmalloc(hcap * sizeof *h.slot), hcap };
	for (size_t k = 0; k < hcap; k++) h.slot[k] = SIZE_MAX;
	uint64_t cnt[4] = { 0 }, verdicts[3] = { 0 }, records = 0, cached = 0, content_bytes = 0;
	kiln_progress *p = kiln_progress_start("ingest", g.n, "files");
	for (size_t b0 = 0; b0 < g.n; b0 += BATCH) {
		size_t b1 = b0 + BATCH < g.n ? b0 + BATCH : g.n;
		long lb0 = (long)b0, lb1 = (long)b1;
#if defined(_OPENMP)
		#pragma omp parallel for schedule(dynamic, 1)
#endif
		for (long k = lb0; k < lb1; k++) judge(o, &g.items[k]);
		for (size_t k = b0; k < b1; k++) {
			item *it = &g.items[k];
			if (it->err) {
				it->status = ST_UNREADABLE;
				if (!it->errmsg) kiln_file_error(it->origin, "%s (skipped)", strerror(it->err));
			} else {
				verdicts[it->verdict]++;
				if (it->verdict == SWF_VERDICT_BROKEN) it->status = ST_BROKEN;
				else if ((it->dup_of = hset_find_or_add(&h, g.items, k)) != k) it->status = ST_DUPLICATE;
				else {
					it->status = ST_ADDED;
					it->record = (int64_t)records++;
					content_bytes += it->content_n;
					/* Past the budget, drop the bytes of files on disk:
					 * pass 2 reads and decodes them again. */
					if (it->path && cached + it->content_n > CACHE_BUDGET) { free(it->content); it->content = NULL; }
					else cached += it->content_n;
				}
			}
			if (it->status != ST_ADDED) { free(it->content); it->content = NULL; }
			cnt[it->status]++;
		}
		kiln_progress_update(p, b1);
	}
	kiln_progress_end(p);
	free(h.slot);

	/* The dataset's metadata: tool, options and counts, known now. */
	char *meta = NULL;
	size_t metan = 0;
	FILE *mf = open_memstream(&meta, &metan);
	if (!mf) kiln_die(KILN_EXIT_FAIL, "out of memory");
	kiln_json j;
	kiln_json_init(&j, mf, 0);
	kiln_json_obj_begin(&j, NULL);
	kiln_json_str(&j, "tool", "kiln-swf ingest");
	kiln_json_str(&j, "version", KILN_VERSION);
	kiln_json_str(&j, "content", o->keep_compressed ? "original" : "fws");
	kiln_json_str(&j, "prompt", "bytecraft-structured");
	add_u64(&j, "max_size", o->max_size);
	kiln_json_arr_begin(&j, "inputs");
	for (int k = 0; k < ninputs; k++) kiln_json_str(&j, NULL, inputs[k]);
	kiln_json_arr_end(&j);
	kiln_json_obj_begin(&j, "counts");
	add_u64(&j, "files_seen", g.files_seen);
	add_u64(&j, "archives", g.archives);
	add_u64(&j, "swf_candidates", g.n);
	add_u64(&j, "ok", verdicts[SWF_VERDICT_OK]);
	add_u64(&j, "damaged", verdicts[SWF_VERDICT_DAMAGED]);
	add_u64(&j, "broken", verdicts[SWF_VERDICT_BROKEN]);
	add_u64(&j, "duplicates", cnt[ST_DUPLICATE]);
	add_u64(&j, "unreadable", cnt[ST_UNREADABLE]);
	add_u64(&j, "records", records);
	add_u64(&j, "content_bytes", content_bytes);
	kiln_json_obj_end(&j);
	kiln_json_obj_end(&j);
	fclose(mf);

	const char *tmp = kiln_outdir_begin(o->output, o->force);
	if (!tmp) kiln_die(KILN_EXIT_FAIL, "%s: %s", o->output, strerror(errno));
	shard_spec spec;
	shard_spec_init(&spec, SHARD_TOKENS);
	spec.elem_size = 1;
	spec.vocab_size = 256;
	shard_writer_opts wo = { o->max_shard, meta };
	shard_writer *w;
	shard_error se;
	if (shard_writer_create(tmp, &spec, &wo, &w, &se)) {
		kiln_outdir_abort(tmp);
		kiln_die(KILN_EXIT_FAIL, "%s: %s", o->output, se.msg);
	}
	size_t mlen = strlen(tmp) + 32;
	char *mpath = kiln_xmalloc(mlen);
	snprintf(mpath, mlen, "%s/manifest.jsonl", tmp);
	FILE *man = fopen(mpath, "wb");
	if (!man) { shard_writer_abort(w); kiln_outdir_abort(tmp); kiln_die(KILN_EXIT_FAIL, "%s: %s", mpath, strerror(errno)); }

	/* Pass 2: records and manifest lines in input order. */
	for (size_t k = 0; k < g.n; k++) {
		item *it = &g.items[k];
		if (it->status == ST_ADDED && !it->content) {
			/* Dropped for the cache budget: decode again (same bytes). */
			char *keep_prompt = it->prompt, *keep_json = it->info_json;
			it->prompt = it->info_json = NULL;
			judge(o, it);
			free(it->prompt); free(it->info_json);
			it->prompt = keep_prompt;
			it->info_json = keep_json;
			if (!it->content) { shard_writer_abort(w); kiln_outdir_abort(tmp); kiln_die(KILN_EXIT_FAIL, "%s: changed while reading", it->origin); }
		}
		if (it->status == ST_ADDED) {
			if (shard_writer_add(w, it->prompt, strlen(it->prompt), it->content, it->content_n, le64(it->csha), &se)) {
				fclose(man);
				kiln_outdir_abort(tmp);
				kiln_die(KILN_EXIT_FAIL, "%s: %s", o->output, se.msg);
			}
		}
		/* The line: origin, status, record, duplicate_of, then the fields
		 * the worker rendered (its object minus the opening brace). */
		fputs("{\"origin\":", man);
		kiln_json_write_string(man, it->origin, strlen(it->origin));
		fprintf(man, ",\"status\":\"%s\",\"record\":", status_names[it->status]);
		if (it->record >= 0) fprintf(man, "%lld", (long long)it->record);
		else fputs("null", man);
		if (it->status == ST_DUPLICATE) {
			const char *d = g.items[it->dup_of].origin;
			fputs(",\"duplicate_of\":", man);
			kiln_json_write_string(man, d, strlen(d));
		}
		if (it->status == ST_UNREADABLE) {
			const char *e = it->errmsg ? it->errmsg : strerror(it->err);
			fputs(",\"error\":", man);
			kiln_json_write_string(man, e, strlen(e));
			fputs("}\n", man);
		} else {
			fputc(',', man);
			fputs(it->info_json + 1, man);
			fputc('\n', man);
		}
		free(it->content);
		it->content = NULL;
	}
	int bad = ferror(man);
	if (fclose(man) || bad) { shard_writer_abort(w); kiln_outdir_abort(tmp); kiln_die(KILN_EXIT_FAIL, "%s: write failed", mpath); }
	if (shard_writer_close(w, &se)) { kiln_outdir_abort(tmp); kiln_die(KILN_EXIT_FAIL, "%s: %s", o->output, se.msg); }
	if (kiln_outdir_commit(tmp, o->output, o->force)) kiln_die(KILN_EXIT_FAIL, "%s: %s", o->output, strerror(errno));

	if (!o->quiet)
		fprintf(stderr,
		        "kiln-swf: %s: %llu records (%llu bytes) from %llu SWF candidates in %llu files "
		        "(%llu ok, %llu damaged, %llu broken skipped, %llu duplicates, %llu unreadable)\n",
		        o->output, (unsigned long long)records, (unsigned long long)content_bytes,
		        (unsigned long long)g.n, (unsigned long long)g.files_seen,
		        (unsigned long long)verdicts[0], (unsigned long long)verdicts[1], (unsigned long long)verdicts[2],
		        (unsigned long long)cnt[ST_DUPLICATE], (unsigned long long)cnt[ST_UNREADABLE]);
	for (size_t k = 0; k < g.n; k++) {
		free(g.items[k].origin); free(g.items[k].path); free(g.items[k].raw); free(g.items[k].errmsg);
		free(g.items[k].prompt); free(g.items[k].info_json);
	}
	free(g.items);
	free(mpath);
	free(meta);
	/* Unreadable members and files are in the manifest; only inputs that
	 * could not be walked at all make the run a failure. */
	return g.walk_failed ? KILN_EXIT_FAIL : KILN_EXIT_OK;
}
