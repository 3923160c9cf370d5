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
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#if defined(_OPENMP)
#include <omp.h>
#endif

#include "shard.h"
#include "swf_cmd.h"

#define MAX_ARCHIVE_DEPTH 4          /* zip in tar in zip in 7z is plenty */
#define BATCH 1024                   /* files judged in parallel between decisions */
/* Memory: contents kept for pass 2 up to --memory (the rest is spilled to a
 * file in the output folder), archive members held unjudged up to half that. */

enum { ST_ADDED, ST_DUPLICATE, ST_BROKEN, ST_UNREADABLE };
static const char *const status_names[] = { "added", "duplicate", "broken", "unreadable" };

typedef struct item {
	char *origin;          /* path, or "archive!entry[!entry]" (see origin_part) */
	char *path;            /* file to read in the worker, or NULL */
	char *sidecar;         /* its path on disk when a sidecar lies beside it */
	uint8_t *raw;          /* archive entry bytes (owned), or NULL; after judging,
	                          the input kept for its SHA-256 (sha_later) */
	size_t raw_n;
	uint64_t work;         /* a guess at the cost of judging it (see flush) */
	/* filled by the worker */
	int err;               /* errno reading the file, or 0 */
	char *errmsg;          /* why an archive member could not be read, or NULL */
	int verdict;
	uint8_t sha[32], csha[32];
	uint8_t *content;      /* bytes to store (owned) or NULL */
	size_t content_n;
	char *prompt;
	uint32_t crc;          /* the record's shard checksum (prompt, content) */
	int sha_later;         /* sha is computed after pass 1 (see hash_held) */
	int sha_written;       /* ... and is in manifest.jsonl */
	uint64_t sha_at;       /* where manifest.jsonl holds its placeholder */
	char *info_json;       /* manifest fields: "{" + sha256, content_sha256, prompt, info + "}" */
	/* filled by the decision pass */
	int status;
	int64_t record;        /* record index, or -1 */
	size_t dup_of;         /* item index of the first copy */
	uint64_t spill_at;     /* content offset in the spill file, or UINT64_MAX */
} item;

/* Dedup set over content hashes: open addressing, keys are item indexes. */
typedef struct hset { size_t *slot; size_t cap, used; } hset;

typedef struct ingest {
	const swf_cmd_opts *o;
	item *items;
	size_t n, cap;
	size_t judged;               /* items [0, judged) are judged, decided, written to the manifest */
	uint64_t pending_raw;        /* bytes of archive members not judged yet */
	uint64_t held_raw;           /* bytes of inputs kept for a later SHA-256 */
	uint64_t files_seen, archives, archive_errors, too_big;
	int walk_failed;
	uint64_t special;            /* walked entries that are not files (kiln_walk's SKIPPED) */
	int patch_failed;            /* a SHA-256 could not be written into the manifest */
	/* Files walked but not looked at yet: their first bytes are read in
	 * parallel (open() is the walk's main cost), then each is taken in order. */
	struct pend {
		char *path;
		uint8_t sig[8];
		size_t n;
		int err;
		uint8_t *data;             /* a pipe's bytes, read whole at the probe */
		size_t data_n;
	} *pend;
	size_t npend, cappend;
	/* decisions */
	hset h;
	uint64_t cnt[4], verdicts[3], records, cached, content_bytes;
	FILE *man;                   /* manifest.jsonl in the temporary folder */
	FILE *spill;                 /* contents past --memory, read back in pass 2 */
	uint64_t spill_n;
	char *spill_path;
	kiln_progress *progress;
	/* The names in the folder of the last file walked: sidecars are looked
	 * up here, not with an open() per candidate name. */
	char *dir;
	char **names;
	size_t nnames;
} ingest;

static void flush(ingest *g);

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
	it->spill_at = UINT64_MAX;
	return it;
}

static int is_swf_sig(const uint8_t *p, size_t n)
{
	return n >= 3 && (p[0] == 'F' || p[0] == 'C' || p[0] == 'Z') && p[1] == 'W' && p[2] == 'S';
}

/* The guess at an input's cost: the decompressed length it declares (read
 * from its first 8 bytes), or its size when that is all there is. */
static uint64_t work_guess(const uint8_t *sig, size_t n, uint64_t size)
{
	if (n < 8 || !is_swf_sig(sig, n)) return size;
	return (uint64_t)sig[4] | (uint64_t)sig[5] << 8 | (uint64_t)sig[6] << 16 | (uint64_t)sig[7] << 24;
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
static void archive_unreadable(ingest *g, struct archive *a, const char *origin, const char *what);

/* The member names met in one archive: open addressing over owned copies. */
typedef struct nameset { char **slot; size_t cap, used; } nameset;

static size_t name_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;              /* FNV-1a */
	for (; *s; s++) h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
	return (size_t)(h ^ h >> 32);
}

static void nameset_put(nameset *ns, char *s)
{
	size_t m = ns->cap - 1, k = name_hash(s) & m;
	while (ns->slot[k]) k = (k + 1) & m;
	ns->slot[k] = s;
	ns->used++;
}

/* Adds a copy of s; returns 0 when s was there already. */
static int nameset_add(nameset *ns, const char *s)
{
	if (ns->cap) {
		size_t m = ns->cap - 1, k = name_hash(s) & m;
		for (; ns->slot[k]; k = (k + 1) & m)
			if (!strcmp(ns->slot[k], s)) return 0;
	}
	if (2 * (ns->used + 1) > ns->cap) {
		nameset nn = { NULL, ns->cap ? 2 * ns->cap : 64, 0 };
		nn.slot = kiln_xcalloc(nn.cap, sizeof *nn.slot);
		for (size_t k = 0; k < ns->cap; k++) if (ns->slot[k]) nameset_put(&nn, ns->slot[k]);
		free(ns->slot);
		*ns = nn;
	}
	nameset_put(ns, kiln_xstrdup(s));
	return 1;
}

static void nameset_free(nameset *ns)
{
	for (size_t k = 0; k < ns->cap; k++) free(ns->slot[k]);
	free(ns->slot);
}

/* A path or member name as a part of an origin: "!" separates the parts, so
 * a "!" inside one is written \! and the escape character \ itself \\;
 * else a member "x!y.swf" and the member y.swf of a nested archive
 * "x" (or a file on disk "a.zip!y.swf" and the member y.swf of a.zip) would
 * have one origin. Names without either are as they are. */
static char *origin_part(const char *s)
{
	size_t n = strlen(s), extra = 0;
	for (size_t i = 0; i < n; i++) extra += s[i] == '!' || s[i] == '\\';
	char *t = kiln_xmalloc(n + extra + 1), *d = t;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '!' || s[i] == '\\') *d++ = '\\';
		*d++ = s[i];
	}
	*d = 0;
	return t;
}

/* A member's name as its origin shows it. An archive may hold two members
 * with one path (a tar appended to, a zip written twice), and their origins
 * must still tell them apart: a name met before in this archive gets "#N",
 * N the member's position in the archive (1-based, every entry counted),
 * again in the rare case that this too was met (a member named so). */
static char *member_label(nameset *ns, const char *name, int position)
{
	char *s = kiln_xstrdup(name);
	while (!nameset_add(ns, s)) {
		size_t n = strlen(s) + 16;
		char *t = kiln_xmalloc(n);
		snprintf(t, n, "%s#%d", s, position);
		free(s);
		s = t;
	}
	return s;
}

/* origin listed in the manifest as unreadable, with errno err and why. */
static void list_unreadable(ingest *g, const char *origin, int err, const char *why)
{
	item *it = add_item(g, origin);
	it->err = err;
	it->errmsg = kiln_xstrdup(why);
}

/* An archive inside archives already MAX_ARCHIVE_DEPTH deep: not opened
 * (a bound on work for archives in archives), warned and listed. */
static void archive_too_deep(ingest *g, const char *origin)
{
	char why[64];
	snprintf(why, sizeof why, "archive nested more than %d deep (not opened)", MAX_ARCHIVE_DEPTH);
	kiln_warn("%s: %s", origin, why);
	g->archive_errors++;
	list_unreadable(g, origin, ELOOP, why);
}

/* An entry's bytes, read whole: SWF by signature, else maybe an archive. */
static void entry_bytes(ingest *g, uint8_t *buf, size_t n, const char *origin, const char *name, int depth)
{
	g->files_seen++;
	if (is_swf_sig(buf, n) || named_swf(name)) {
		item *it = add_item(g, origin);
		it->raw = buf;
		it->raw_n = n;
		it->work = work_guess(buf, n, n);
		/* Judge as we go, so a large archive is never all in memory. */
		g->pending_raw += n;
		if (g->n - g->judged >= BATCH || g->pending_raw >= g->o->memory / 2) flush(g);
		return;
	}
	if (n > 0) {
		/* As for a file on disk: a damaged archive, or one nested past
		 * the depth limit, is warned about and listed, never dropped
		 * unseen with the SWF files it may hold. */
		struct archive *a = archive_reader();
		int rc = archive_read_open_memory(a, buf, n);
		if (rc == ARCHIVE_OK && depth < MAX_ARCHIVE_DEPTH) scan_archive(g, a, origin, depth + 1);
		else if (rc == ARCHIVE_OK) archive_too_deep(g, origin);
		else if (archive_errno(a) != EILSEQ) archive_unreadable(g, a, origin, "archive");
		archive_read_free(a);
	}
	free(buf);
}

/* An archive or member libarchive could not read: warned, and recorded in
 * the manifest as unreadable, like a file that cannot be read. */
static void archive_unreadable(ingest *g, struct archive *a, const char *origin, const char *what)
{
	const char *why = archive_error_string(a);
	if (!why) why = "read error";
	kiln_warn("%s: %s (%s skipped)", origin, why, what);
	g->archive_errors++;
	list_unreadable(g, origin, EIO, why);
}

/* Walk the entries of an opened archive. A damaged archive stops with a
 * warning; what was found before the damage is kept. */
static void scan_archive(ingest *g, struct archive *a, const char *origin, int depth)
{
	struct archive_entry *e;
	int r, entries = 0;
	nameset names = { NULL, 0, 0 };
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
		entries++;
		if (entries == 1) g->archives++;
		if (archive_entry_filetype(e) != AE_IFREG) continue;
		const char *name = archive_entry_pathname(e);
		if (!name) name = "?";
		char *label = member_label(&names, name, entries), *part = origin_part(label);
		size_t olen = strlen(origin) + strlen(part) + 2;
		char *sub = kiln_xmalloc(olen);
		snprintf(sub, olen, "%s!%s", origin, part);
		free(part);
		free(label);
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
			/* A damaged member never stops the run. */
			archive_unreadable(g, a, sub, "entry");
			free(buf);
		} else if (big) {
			kiln_warn("%s: larger than --max-size (skipped)", sub);
			g->too_big++;
			/* An SWF by its signature or name is a candidate: listed as
			 * unreadable, as the same file on disk would be. */
			if (is_swf_sig(buf, n) || named_swf(name)) list_unreadable(g, sub, EFBIG, "larger than --max-size");
			free(buf);
		} else {
			entry_bytes(g, buf, n, sub, name, depth);
		}
		free(sub);
		if (got < 0 && r == ARCHIVE_FATAL) break;
	}
	nameset_free(&names);
	if (r == ARCHIVE_FATAL && entries > 0) {
		kiln_warn("%s: %s (rest of the archive skipped)", origin, archive_error_string(a));
		g->archive_errors++;
	}
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The sidecar of an SWF on disk ("<path>.txt", else "<path minus .swf>.txt",
 * as swf_cmd_sidecar) if its folder lists one, else NULL. */
static char *find_sidecar(ingest *g, const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t dlen = slash ? (size_t)(slash - path) : 0;
	const char *base = slash ? slash + 1 : path;
	if (!g->dir || strlen(g->dir) != dlen || memcmp(g->dir, path, dlen)) {
		for (size_t k = 0; k < g->nnames; k++) free(g->names[k]);
		free(g->names);
		free(g->dir);
		g->names = NULL;
		g->nnames = 0;
		g->dir = kiln_xmalloc(dlen + 1);
		memcpy(g->dir, path, dlen);
		g->dir[dlen] = 0;
		DIR *d = opendir(dlen ? g->dir : ".");
		struct dirent *e;
		size_t cap = 0;
		while (d && (e = readdir(d))) {
			size_t l = strlen(e->d_name);
			if (l < 4 || strcmp(e->d_name + l - 4, ".txt")) continue;
			if (g->nnames == cap) g->names = kiln_xrealloc(g->names, (cap = cap ? 2 * cap : 16) * sizeof *g->names);
			g->names[g->nnames++] = kiln_xstrdup(e->d_name);
		}
		if (d) closedir(d);
		if (g->nnames) qsort(g->names, g->nnames, sizeof *g->names, cmp_str);
	}
	if (!g->nnames) return NULL;      /* the folder has no .txt at all */
	size_t bl = strlen(base);
	char *cand = kiln_xmalloc(bl + 5);
	for (int k = 0; k < 2; k++) {
		if (k == 0) snprintf(cand, bl + 5, "%s.txt", base);
		else if (bl > 4 && !strcasecmp(base + bl - 4, ".swf")) { memcpy(cand, base, bl - 4); memcpy(cand + bl - 4, ".txt", 5); }
		else break;
		const char *key = cand;
		if (g->nnames && bsearch(&key, g->names, g->nnames, sizeof *g->names, cmp_str)) {
			size_t n = dlen + 1 + strlen(cand) + 1;
			char *full = kiln_xmalloc(n);
			snprintf(full, n, "%.*s%s%s", (int)dlen, path, dlen ? "/" : "", cand);
			free(cand);
			return full;
		}
	}
	free(cand);
	return NULL;
}

/* Look at the walked files in order: SWF (by signature, or named .swf)
 * become items; anything else may be an archive. */
static void take_pending(ingest *g)
{
	long n = (long)g->npend;
#if defined(_OPENMP)
	#pragma omp parallel for schedule(dynamic, 8)
#endif
	for (long k = 0; k < n; k++) {
		struct pend *p = &g->pend[k];
		/* open/read, not stdio: 8 bytes need no buffer (nor its fstat).
		 * As before, only a failed open is an error; a failed read leaves
		 * no signature (the file is then tried as an archive). */
		int fd = open(p->path, O_RDONLY | O_CLOEXEC);
		struct stat st;
		if (fd >= 0 && fstat(fd, &st) == 0 && !S_ISREG(st.st_mode)) {
			/* A pipe (<(cat f)): what a probe reads is gone for a second
			 * read, so it is read whole here, once. */
			close(fd);
			p->data = kiln_read_file(p->path, g->o->max_size, &p->data_n);
			if (!p->data) {
				p->err = errno ? errno : EIO;
			} else {
				p->n = p->data_n < sizeof p->sig ? p->data_n : sizeof p->sig;
				memcpy(p->sig, p->data, p->n);
			}
		} else if (fd >= 0) {
			ssize_t got;
			while ((got = read(fd, p->sig, sizeof p->sig)) < 0 && errno == EINTR) {}
			p->n = got > 0 ? (size_t)got : 0;
			close(fd);
		} else {
			p->err = errno ? errno : EIO;
		}
	}
	g->npend = 0;
	for (long k = 0; k < n; k++) {
		struct pend *p = &g->pend[k];
		const char *path = p->path;
		char *origin = origin_part(path);
		if (p->err) {
			/* Listed as unreadable, like a file that fails later. */
			g->files_seen++;
			add_item(g, origin)->err = p->err;
			if (g->n - g->judged >= BATCH) flush(g);
		} else if (g->files_seen++, is_swf_sig(p->sig, p->n) || named_swf(path)) {
			item *it = add_item(g, origin);
			if (p->data) {
				it->raw = p->data;
				it->raw_n = p->data_n;
				p->data = NULL;
			} else {
				it->path = kiln_xstrdup(path);
			}
			it->work = work_guess(p->sig, p->n, 0);
			char *side = find_sidecar(g, path);
			if (side) it->sidecar = kiln_xstrdup(path);   /* judge reads it by the SWF's path */
			free(side);
			if (g->n - g->judged >= BATCH) flush(g);
		} else {
			struct archive *a = archive_reader();
			int rc = p->data ? archive_read_open_memory(a, p->data, p->data_n) : archive_read_open_filename(a, path, 1 << 16);
			if (rc == ARCHIVE_OK) {
				scan_archive(g, a, origin, 1);
			} else if (archive_errno(a) != EILSEQ) {
				/* Not "no archive format fits" but a damaged one (a gzip
				 * cut short fails here already). */
				archive_unreadable(g, a, origin, "archive");
			}
			archive_read_free(a);
		}
		free(origin);
		free(p->data);
		free(p->path);
	}
}

static int walk_cb(const char *path, int kind, int info, void *ud)
{
	ingest *g = ud;
	if (kind == KILN_WALK_SKIPPED) {
		g->special++;
		return 0;
	}
	if (kind == KILN_WALK_ERROR) {
		kiln_file_error(path, "%s", strerror(info));
		g->walk_failed = 1;
		return 0;
	}
	if (g->npend == g->cappend)
		g->pend = kiln_xrealloc(g->pend, (g->cappend = g->cappend ? 2 * g->cappend : 256) * sizeof *g->pend);
	struct pend *p = &g->pend[g->npend++];
	memset(p, 0, sizeof *p);
	p->path = kiln_xstrdup(path);
	if (g->npend >= BATCH) take_pending(g);
	return 0;
}

/* The worker: read, judge, hash, describe. Thread-safe: touches only it. */
static void judge(const swf_cmd_opts *o, item *it)
{
	if (it->errmsg || it->err) return;   /* a member that would not extract, a file that would not open */
	uint8_t *raw = it->raw;
	size_t n = it->raw_n;
	if (it->path) {
		raw = kiln_read_file(it->path, o->max_size, &n);
		if (!raw) { it->err = errno ? errno : EIO; return; }
	}
	it->raw = NULL;
	/* FWS input is its own FWS form (reads are capped at --max-size, so it
	 * is never cut): store the input itself; only CWS/ZWS need the decoded
	 * copy from the parser. */
	int fws = n >= 3 && raw[0] == 'F';
	swf_opts so = { o->max_size, 0, !o->keep_compressed && !fws };
	swf_file *f;
	if (swf_parse(raw, n, &so, &f)) kiln_die(KILN_EXIT_FAIL, "out of memory");
	const swf_info *i = swf_file_info(f);
	it->verdict = i->verdict;
	/* The input's SHA-256 is needed now only when it is also the stored
	 * content's (dedup decides on that). Otherwise it only names the file
	 * in the manifest: the input is kept and hashed after pass 1, on the
	 * threads that the serial shard writing leaves idle. */
	int same = i->verdict != SWF_VERDICT_BROKEN && (o->keep_compressed || fws);
	if (same) kiln_sha256(raw, n, it->sha);
	if (i->verdict != SWF_VERDICT_BROKEN) {
		if (o->keep_compressed || fws) {
			it->content = raw;
			it->content_n = n;
			raw = NULL;
		} else {
			it->content = swf_file_take_data(f, &it->content_n);
			if (!it->content) it->content = kiln_xmalloc(1);
		}
		/* The stored bytes are the input's when it was FWS already (or
		 * kept as is): hash them once. */
		if (o->keep_compressed || fws)
			memcpy(it->csha, it->sha, 32);
		else
			kiln_sha256(it->content, it->content_n, it->csha);
		/* The first sidecar with text, exactly as kiln-swf prompt picks it
		 * (a blank <name>.swf.txt falls back to <name>.txt). */
		char *side = it->sidecar ? swf_cmd_sidecar(it->sidecar) : NULL;
		it->prompt = swf_prompt(i, side, it->content_n);
		free(side);
		if (!it->prompt) kiln_die(KILN_EXIT_FAIL, "out of memory");
		/* Checksummed here, in parallel: the ordered writer of pass 2 is
		 * serial time, and this was most of it. */
		it->crc = shard_crc32(shard_crc32(0, it->prompt, strlen(it->prompt)), it->content, it->content_n);
	}
	/* The manifest fields known now, rendered here in parallel rather than
	 * on the writing thread: the object without its opening brace. */
	char *js = NULL, hex[65];
	size_t jn = 0;
	FILE *mf = open_memstream(&js, &jn);
	if (!mf) kiln_die(KILN_EXIT_FAIL, "out of memory");
	kiln_json j;
	kiln_json_init(&j, mf, 0);
	kiln_json_hold(&j);
	kiln_json_obj_begin(&j, NULL);
	if (same) kiln_hex(it->sha, 32, hex);
	else memset(hex, '0', 64), hex[64] = 0;    /* patched in place later */
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
	if (raw && !same) {
		it->raw = raw;
		it->raw_n = n;
		it->sha_later = 1;
	} else {
		free(raw);
	}
}

/* Write an item's SHA-256 over its placeholder in manifest.jsonl (fixed
 * width, so the line keeps its length). Thread-safe: pwrite, own bytes. */
static int patch_sha(ingest *g, item *it)
{
	char hex[65];
	kiln_hex(it->sha, 32, hex);
	if (it->sha_at == UINT64_MAX || pwrite(fileno(g->man), hex, 64, (off_t)it->sha_at) != 64) return -1;
	it->sha_written = 1;
	return 0;
}

/* The SHA-256s left for later, of the inputs still held; written into the
 * manifest at once when `write` (its lines are all on file by then). A
 * worksharing loop: inside a parallel region its threads share it,
 * outside it runs on the calling thread. */
static void hash_held(ingest *g, int write)
{
	long n = (long)g->n;
#if defined(_OPENMP)
	#pragma omp for schedule(dynamic, 1)
#endif
	for (long k = 0; k < n; k++) {
		item *it = &g->items[k];
		if (!it->raw || !it->sha_later) continue;
		kiln_sha256(it->raw, it->raw_n, it->sha);
		free(it->raw);
		it->raw = NULL;
		if (write && patch_sha(g, it)) {
#if defined(_OPENMP)
			#pragma omp atomic write
#endif
			g->patch_failed = 1;
		}
	}
}

static void settle_shas(ingest *g)
{
#if defined(_OPENMP)
	#pragma omp parallel
#endif
	hash_held(g, 0);
	g->held_raw = 0;
}

/* The SHA-256s computed before the manifest was on file. */
static int patch_rest(ingest *g)
{
	for (size_t k = 0; k < g->n; k++) {
		item *it = &g->items[k];
		if (it->sha_later && !it->sha_written && patch_sha(g, it)) return -1;
	}
	return g->patch_failed ? -1 : 0;
}

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int k = 7; k >= 0; k--) v = v << 8 | p[k];
	return v;
}

static void hset_insert(hset *h, const item *items, size_t idx)
{
	size_t m = h->cap - 1, s = (size_t)le64(items[idx].csha) & m;
	while (h->slot[s] != SIZE_MAX) s = (s + 1) & m;
	h->slot[s] = idx;
	h->used++;
}

/* The first item with this content, or idx itself (then added). */
static size_t hset_find_or_add(hset *h, const item *items, size_t idx)
{
	if (2 * (h->used + 1) > h->cap) {
		/* Grow at half load: re-insert the kept indexes. */
		hset nh = { NULL, h->cap ? h->cap * 2 : 1024, 0 };
		nh.slot = kiln_xmalloc(nh.cap * sizeof *nh.slot);
		for (size_t k = 0; k < nh.cap; k++) nh.slot[k] = SIZE_MAX;
		for (size_t k = 0; k < h->cap; k++) if (h->slot[k] != SIZE_MAX) hset_insert(&nh, items, h->slot[k]);
		free(h->slot);
		*h = nh;
	}
	const uint8_t *key = items[idx].csha;
	size_t m = h->cap - 1, s = (size_t)le64(key) & m;
	while (h->slot[s] != SIZE_MAX) {
		if (!memcmp(items[h->slot[s]].csha, key, 32)) return h->slot[s];
		s = (s + 1) & m;
	}
	h->slot[s] = idx;
	h->used++;
	return idx;
}

/* One manifest line: origin, status, record, duplicate_of, then the fields
 * the worker rendered (its object minus the opening brace). */
static void manifest_line(ingest *g, item *it)
{
	FILE *man = g->man;
	fputs("{\"origin\":", man);
	kiln_json_write_string(man, it->origin, strlen(it->origin));
	fprintf(man, ",\"status\":\"%s\",\"record\":", status_names[it->status]);
	if (it->record >= 0) fprintf(man, "%lld", (long long)it->record);
	else fputs("null", man);
	if (it->status == ST_DUPLICATE) {
		const char *d = g->items[it->dup_of].origin;
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
		if (it->sha_later) {
			/* The placeholder's offset: past "{\"sha256\":\"" of info_json. */
			off_t at = ftello(man);
			it->sha_at = at >= 0 ? (uint64_t)at + 10 : UINT64_MAX;
		}
		fputs(it->info_json + 1, man);
		fputc('\n', man);
	}
}

/* An item to judge, by its guessed cost: larger first, input order among
 * equals. */
struct job { uint64_t work; size_t k; };

static int cmp_job(const void *a, const void *b)
{
	const struct job *x = a, *y = b;
	if (x->work != y->work) return x->work < y->work ? 1 : -1;
	return x->k < y->k ? -1 : x->k > y->k;
}

/* Judge the items not judged yet (in parallel), then decide each in input
 * order on this thread: status, record number, dedup, where its content
 * waits for pass 2 (memory up to --memory, else the spill file), and
 * its manifest line. */
static void flush(ingest *g)
{
	/* Judged largest first: the threads then finish a batch together,
	 * rather than one waiting while the other judges a big file that came
	 * last. The order of judging changes nothing else. */
	long nb = (long)(g->n - g->judged);
	struct job *jobs = kiln_xmalloc((nb ? nb : 1) * sizeof *jobs);
	for (long q = 0; q < nb; q++) {
		jobs[q].k = g->judged + (size_t)q;
		jobs[q].work = g->items[jobs[q].k].work;
	}
	qsort(jobs, (size_t)nb, sizeof *jobs, cmp_job);
#if defined(_OPENMP)
	#pragma omp parallel for schedule(dynamic, 1)
#endif
	for (long q = 0; q < nb; q++) judge(g->o, &g->items[jobs[q].k]);
	free(jobs);
	for (size_t k = g->judged; k < g->n; k++) {
		item *it = &g->items[k];
		if (it->err) {
			it->status = ST_UNREADABLE;
			if (!it->errmsg) kiln_file_error(it->origin, "%s (skipped)", strerror(it->err));
		} else {
			g->verdicts[it->verdict]++;
			if (it->verdict == SWF_VERDICT_BROKEN) it->status = ST_BROKEN;
			else if ((it->dup_of = hset_find_or_add(&g->h, g->items, k)) != k) it->status = ST_DUPLICATE;
			else {
				it->status = ST_ADDED;
				it->record = (int64_t)g->records++;
				g->content_bytes += it->content_n;
				if (g->cached + it->content_n > g->o->memory) {
					if (fwrite(it->content, 1, it->content_n, g->spill) != it->content_n)
						kiln_die(KILN_EXIT_FAIL, "%s: %s", g->spill_path, strerror(errno));
					it->spill_at = g->spill_n;
					g->spill_n += it->content_n;
					free(it->content);
					it->content = NULL;
				} else {
					g->cached += it->content_n;
				}
			}
		}
		if (it->status != ST_ADDED) { free(it->content); it->content = NULL; }
		g->cnt[it->status]++;
		if (it->raw) g->held_raw += it->raw_n;
		manifest_line(g, it);
		/* Keep only what pass 2 and duplicate_of need. */
		free(it->info_json);
		it->info_json = NULL;
		free(it->path);
		it->path = NULL;
		free(it->sidecar);
		it->sidecar = NULL;
		if (it->status != ST_ADDED) { free(it->prompt); it->prompt = NULL; }
	}
	g->judged = g->n;
	g->pending_raw = 0;
	/* Inputs held for their SHA-256 share --memory with the contents. */
	if (g->held_raw > g->o->memory / 2) settle_shas(g);
	kiln_progress_update(g->progress, g->n);
}

static void add_u64(kiln_json *j, const char *k, uint64_t v) { kiln_json_u64(j, k, v); }

/* Everything that removes the temporary output on failure. */
static KILN_NORETURN void fail(ingest *g, const char *tmp, shard_writer *w, const char *what, const char *msg)
{
	/* manifest.jsonl is left open for exit() to close: during pass 2 the
	 * hashing threads may still be writing into it, and closing it here
	 * could hand its descriptor to another file under their pwrite. */
	if (g->spill) fclose(g->spill);
	if (w) shard_writer_abort(w);
	kiln_outdir_abort(tmp);
	kiln_die(KILN_EXIT_FAIL, "%s: %s", what, msg);
}

/* Pass 2's records into the shard writer, then closed (synced). */
static void write_records(ingest *g, const char *tmp, shard_writer *w)
{
	shard_error se;
	for (size_t k = 0; k < g->n; k++) {
		item *it = &g->items[k];
		if (it->status != ST_ADDED) continue;
		if (!it->content) {
			it->content = kiln_xmalloc(it->content_n ? it->content_n : 1);
			if (fseeko(g->spill, (off_t)it->spill_at, SEEK_SET) ||
			    fread(it->content, 1, it->content_n, g->spill) != it->content_n)
				fail(g, tmp, w, g->spill_path, "read back failed");
		}
		if (shard_writer_add_crc(w, it->prompt, strlen(it->prompt), it->content, it->content_n,
		                         le64(it->csha), it->crc, &se))
			fail(g, tmp, w, g->o->output, se.msg);
		free(it->content);
		it->content = NULL;
	}
	fclose(g->spill);
	g->spill = NULL;
	unlink(g->spill_path);
	if (shard_writer_close(w, &se)) fail(g, tmp, NULL, g->o->output, se.msg);
}

int swf_cmd_ingest(const swf_cmd_opts *o, char **inputs, int ninputs)
{
	ingest g = { 0 };
	g.o = o;
	/* Every file costs a few buffers the size of the file. Keep freed ones
	 * for the next file rather than mmap/munmap each: threads that map and
	 * unmap serialize on the address-space lock, and ingest stops scaling. */
	mallopt(M_MMAP_THRESHOLD, 32 << 20);
	mallopt(M_TRIM_THRESHOLD, 256 << 20);
#if defined(_OPENMP)
	if (o->threads) omp_set_num_threads(o->threads);
#else
	if (o->threads > 1 && !o->quiet) kiln_warn("built without OpenMP: --threads ignored (one thread)");
#endif
	for (int k = 0; k < ninputs; k++) {
		if (access(inputs[k], R_OK)) kiln_die(KILN_EXIT_FAIL, "%s: %s", inputs[k], strerror(errno));
	}
	kiln_refuse_output_over_inputs(o->output, o->force, inputs, (size_t)ninputs);
	const char *tmp = kiln_outdir_begin(o->output, o->force);
	if (!tmp) kiln_die(KILN_EXIT_FAIL, "%s: %s", o->output, kiln_output_errtext(errno));
	size_t plen = strlen(tmp) + 32;
	char *mpath = kiln_xmalloc(plen);
	snprintf(mpath, plen, "%s/manifest.jsonl", tmp);
	g.spill_path = kiln_xmalloc(plen);
	snprintf(g.spill_path, plen, "%s/.spill", tmp);
	if (!(g.man = fopen(mpath, "wb"))) fail(&g, tmp, NULL, mpath, strerror(errno));
	/* Lines are written on the deciding thread (serial time): 1 MiB writes
	 * rather than 4 KiB ones (glibc ignores the size with a NULL buffer),
	 * and a first seek so that glibc answers the ftello of each SHA-256
	 * placeholder from the stream, not with lseek. */
	static char manbuf[1 << 20];
	setvbuf(g.man, manbuf, _IOFBF, sizeof manbuf);
	if (fseeko(g.man, 0, SEEK_SET)) fail(&g, tmp, NULL, mpath, strerror(errno));
	if (!(g.spill = fopen(g.spill_path, "w+b"))) fail(&g, tmp, NULL, g.spill_path, strerror(errno));

	/* Pass 1: walk; judge in parallel batches as files are found; decide in
	 * input order; write manifest.jsonl. */
	g.progress = kiln_progress_start("ingest", 0, "files");
	if (o->nparts > 1) {
		/* --part I/N: the walk's files (archives whole) in contiguous blocks,
		 * so the parts' datasets concatenate, in order, to this one's. */
		size_t n, errors, special;
		char **paths = kiln_walk_list((const char *const *)inputs, (size_t)ninputs, 0, &n, &errors, &special);
		if (errors) g.walk_failed = 1;
		g.special = special;
		uint64_t lo, hi;
		kiln_part_range(n, o->part, o->nparts, &lo, &hi);
		for (size_t k = (size_t)lo; k < (size_t)hi; k++) walk_cb(paths[k], KILN_WALK_FILE, 0, &g);
		kiln_free_list(paths, n);
	} else {
		kiln_walk((const char *const *)inputs, (size_t)ninputs, walk_cb, &g);
	}
	take_pending(&g);
	flush(&g);
	free(g.pend);
	kiln_progress_end(g.progress);
	free(g.h.slot);
	/* manifest.jsonl has every line; the SHA-256s still to come are
	 * written over their placeholders after pass 2. */
	if (ferror(g.man) || fflush(g.man)) fail(&g, tmp, NULL, mpath, "write failed");

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
	add_u64(&j, "ok", g.verdicts[SWF_VERDICT_OK]);
	add_u64(&j, "damaged", g.verdicts[SWF_VERDICT_DAMAGED]);
	add_u64(&j, "broken", g.verdicts[SWF_VERDICT_BROKEN]);
	add_u64(&j, "duplicates", g.cnt[ST_DUPLICATE]);
	add_u64(&j, "unreadable", g.cnt[ST_UNREADABLE]);
	add_u64(&j, "special_skipped", g.special);
	add_u64(&j, "records", g.records);
	add_u64(&j, "content_bytes", g.content_bytes);
	kiln_json_obj_end(&j);
	kiln_json_obj_end(&j);
	fclose(mf);

	/* Pass 2: the records, in input order, from memory or the spill file,
	 * written (and synced) by one thread while the others hash the inputs
	 * held for their SHA-256: serial writing overlaps parallel work. */
	shard_spec spec;
	shard_spec_init(&spec, SHARD_TOKENS);
	spec.elem_size = 1;
	spec.vocab_size = 256;
	shard_writer_opts wo = { o->max_shard, meta };
	shard_writer *w;
	shard_error se;
	if (shard_writer_create(tmp, &spec, &wo, &w, &se)) fail(&g, tmp, NULL, o->output, se.msg);
	if (fflush(g.spill)) fail(&g, tmp, w, g.spill_path, strerror(errno));
#if defined(_OPENMP)
	#pragma omp parallel
#endif
	{
#if defined(_OPENMP)
		#pragma omp single nowait
#endif
		write_records(&g, tmp, w);
		hash_held(&g, 1);
	}
	g.held_raw = 0;
	/* Durable like the shards the writer synced: the folder is renamed into
	 * place only when everything in it is on disk. */
	int bad = patch_rest(&g) || fsync(fileno(g.man));
	if (fclose(g.man) || bad) { g.man = NULL; fail(&g, tmp, NULL, mpath, "write failed"); }
	g.man = NULL;
	if (kiln_outdir_commit(tmp, o->output, o->force)) kiln_die(KILN_EXIT_FAIL, "%s: %s", o->output, strerror(errno));

	if (!o->quiet)
		kiln_note("%s: %llu records (%llu bytes) from %llu SWF candidates in %llu files "
		          "(%llu ok, %llu damaged, %llu broken skipped, %llu duplicates, %llu unreadable, "
		          "%llu not regular files skipped)",
		          o->output, (unsigned long long)g.records, (unsigned long long)g.content_bytes,
		          (unsigned long long)g.n, (unsigned long long)g.files_seen,
		          (unsigned long long)g.verdicts[0], (unsigned long long)g.verdicts[1],
		          (unsigned long long)g.verdicts[2], (unsigned long long)g.cnt[ST_DUPLICATE],
		          (unsigned long long)g.cnt[ST_UNREADABLE], (unsigned long long)g.special);
	for (size_t k = 0; k < g.n; k++) {
		free(g.items[k].origin); free(g.items[k].path); free(g.items[k].raw);
		free(g.items[k].prompt); free(g.items[k].info_json); free(g.items[k].errmsg);
	}
	free(g.items);
	for (size_t k = 0; k < g.nnames; k++) free(g.names[k]);
	free(g.names);
	free(g.dir);
	free(mpath);
	free(g.spill_path);
	free(meta);
	/* Unreadable members and files are in the manifest; only inputs that
	 * could not be walked at all make the run a failure. */
	return g.walk_failed ? KILN_EXIT_FAIL : KILN_EXIT_OK;
}
