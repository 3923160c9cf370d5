/*
 * sprites_load.c - kiln-sprites' input side: walk files and folders, decode
 * and fit every image (OpenMP, one file per task), cut sprite sheets, and
 * attach zone/category labels from folder names or a CSV. Errors are
 * collected per file and reported in input order once the parallel part is
 * done, so messages never interleave and runs are reproducible.
 */
#include "sprites_tool.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#define MAX_FILE_BYTES (256ull << 20)

int is_image_name(const char *p)
{
	static const char *const ext[] = { ".png", ".gif", ".bmp", ".webp", ".jpg", ".jpeg", ".tga" };
	size_t n = strlen(p);
	for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++) {
		size_t m = strlen(ext[i]);
		if (n > m && !strcasecmp(p + n - m, ext[i])) return 1;
	}
	return 0;
}

typedef struct walk_ctx {
	sprite_list *l;
	char ***rels;
	size_t cap;
	const char *root;
	size_t errors;
} walk_ctx;

static void add_file(walk_ctx *w, const char *path, const char *rel)
{
	sprite_list *l = w->l;
	if (l->nfiles == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 256;
		l->files = kiln_xrealloc(l->files, w->cap * sizeof *l->files);
		*w->rels = kiln_xrealloc(*w->rels, w->cap * sizeof **w->rels);
	}
	l->files[l->nfiles] = kiln_xstrdup(path);
	(*w->rels)[l->nfiles] = kiln_xstrdup(rel);
	l->nfiles++;
}

static int walk_cb(const char *path, int kind, int info, void *ud)
{
	walk_ctx *w = ud;
	if (kind == KILN_WALK_SKIPPED) return 0;   /* the walker warned */
	if (kind == KILN_WALK_ERROR) {
		kiln_file_error(path, "%s", strerror(info));
		w->errors++;
		return 0;
	}
	if (!is_image_name(path)) return 0;
	size_t r = strlen(w->root);
	const char *rel = path;
	if (!strncmp(path, w->root, r) && path[r] == '/') rel = path + r + 1;
	add_file(w, path, rel);
	return 0;
}

/* Label names from the relative name's folders: category = parent, zone =
 * grandparent; "any" where a level is missing. */
static void folder_labels(const char *rel, char *zone, char *cat, size_t n)
{
	const char *e = strrchr(rel, '/');
	snprintf(zone, n, "any");
	snprintf(cat, n, "any");
	if (!e) return;
	const char *s = e;
	while (s > rel && s[-1] != '/') s--;
	snprintf(cat, n, "%.*s", (int)(e - s), s);
	if (s == rel) return;
	const char *e2 = s - 1, *s2 = e2;
	while (s2 > rel && s2[-1] != '/') s2--;
	snprintf(zone, n, "%.*s", (int)(e2 - s2), s2);
}

typedef struct csv_row { char *key, *zone, *cat; } csv_row;

static int cmp_row(const void *a, const void *b) { return strcmp(((const csv_row *)a)->key, ((const csv_row *)b)->key); }

static csv_row *load_csv(const char *path, size_t *nrows)
{
	size_t len;
	uint8_t *data = kiln_read_file(path, 64ull << 20, &len);
	if (!data) kiln_die(KILN_EXIT_FAIL, "%s: %s", path, strerror(errno));
	csv_row *rows = NULL;
	size_t n = 0, cap = 0, line = 0;
	char *s = (char *)data, *end = s + len;
	while (s < end) {
		char *e = memchr(s, '\n', end - s);
		if (!e) e = end;
		line++;
		char *lnend = e;
		if (lnend > s && lnend[-1] == '\r') lnend--;
		*lnend = 0;
		char *f[3] = { s, NULL, NULL };
		f[1] = strchr(s, ',');
		if (f[1]) { *f[1]++ = 0; f[2] = strchr(f[1], ','); }
		if (f[2]) *f[2]++ = 0;
		int blank = *s == 0;
		s = e + 1;
		if (blank || (line == 1 && f[1] && !strcasecmp(f[0], "file"))) continue;
		if (!f[1] || !f[2] || !*f[0] || !*f[1] || !*f[2] || strchr(f[2], ','))
			kiln_die(KILN_EXIT_FAIL, "%s: line %zu: expected \"file,zone,category\"", path, line);
		if (n == cap) rows = kiln_xrealloc(rows, (cap = cap ? cap * 2 : 64) * sizeof *rows);
		rows[n++] = (csv_row){ kiln_xstrdup(f[0]), kiln_xstrdup(f[1]), kiln_xstrdup(f[2]) };
	}
	free(data);
	qsort(rows, n, sizeof *rows, cmp_row);
	*nrows = n;
	return rows;
}

static const csv_row *csv_find(const csv_row *rows, size_t n, const char *key)
{
	csv_row k = { (char *)key, NULL, NULL };
	return n ? bsearch(&k, rows, n, sizeof *rows, cmp_row) : NULL;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Sorted distinct names -> ids; dies when there are more than max. */
static char **name_table(char **names, size_t n, uint32_t max, const char *what, const char *opt, uint32_t *count)
{
	char **s = kiln_xmalloc((n ? n : 1) * sizeof *s);
	memcpy(s, names, n * sizeof *s);
	qsort(s, n, sizeof *s, cmp_str);
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (k == 0 || strcmp(s[k - 1], s[i])) s[k++] = s[i];
	if (k > max)
		kiln_die(KILN_EXIT_FAIL, "%zu distinct %s names but only %u %s tokens (set %s %zu, or relabel)", k, what, max, what, opt, k);
	for (size_t i = 0; i < k; i++) s[i] = kiln_xstrdup(s[i]);
	*count = (uint32_t)k;
	return s;
}

static uint32_t name_id(char **table, uint32_t n, const char *name)
{
	char **p = bsearch(&name, table, n, sizeof *table, cmp_str);
	return p ? (uint32_t)(p - table) : 0;
}

/* Each thread reads its files into one buffer that only grows: read(2)
 * straight into it, without kiln_read_file's FILE and allocation per file
 * (a visible share of quantizing small sprites). Same errors: EISDIR for a
 * folder, EFBIG past max. */
typedef struct file_buf { uint8_t *p; size_t cap; } file_buf;

static int read_whole(const char *path, uint64_t max, file_buf *b, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) return -1;
	struct stat st;
	size_t n = 0;
	if (fstat(fd, &st)) goto fail;
	if (S_ISDIR(st.st_mode)) { errno = EISDIR; goto fail; }
	if ((uint64_t)st.st_size > max) { errno = EFBIG; goto fail; }
	for (;;) {
		if (b->cap < (size_t)st.st_size + 1 || n == b->cap) {
			/* room for the whole file and the read that sees its end */
			size_t want = b->cap * 2 > (size_t)st.st_size + 1 ? b->cap * 2 : (size_t)st.st_size + 1;
			if (want < 65536) want = 65536;
			uint8_t *np = realloc(b->p, want);
			if (!np) { errno = ENOMEM; goto fail; }
			b->p = np;
			b->cap = want;
		}
		ssize_t got = read(fd, b->p + n, b->cap - n);
		if (got < 0 && errno == EINTR) continue;
		if (got < 0) goto fail;
		if (got == 0) break;
		n += (size_t)got;
		if (n > max) { errno = EFBIG; goto fail; }
	}
	close(fd);
	*len = n;
	return 0;
fail:;
	int e = errno;
	close(fd);
	errno = e;
	return -1;
}

typedef struct file_result {
	sprite *v;
	size_t n;
	char *error;       /* first error, to print */
	int failed;        /* the file could not be used at all */
	size_t empty;      /* fitted sprites with nothing opaque */
} file_result;

/* A sheet can fail in several cells; the first message is the one shown
 * (the later ones were overwritten, and leaked). */
static void keep_first_error(file_result *r, const char *msg)
{
	if (!r->error) r->error = kiln_xstrdup(msg);
}

static void process_file(const tool_opts *o, spr_decoder *dec, file_buf *fb, const char *path, const char *rel,
                         file_result *r)
{
	size_t len;
	char msg[400];
	if (read_whole(path, MAX_FILE_BYTES, fb, &len)) {
		snprintf(msg, sizeof msg, "%s", errno == EFBIG ? "file too large (over 256 MiB)" : strerror(errno));
		r->error = kiln_xstrdup(msg);
		r->failed = 1;
		return;
	}
	spr_image im;
	spr_error err;
	int rc = dec ? spr_decoder_decode(dec, fb->p, len, path, o->max_dim, &im, &err)
	             : spr_decode(fb->p, len, path, o->max_dim, &im, &err);
	if (rc) {
		if (err.offset != UINT64_MAX) snprintf(msg, sizeof msg, "offset %llu: %s", (unsigned long long)err.offset, err.msg);
		else snprintf(msg, sizeof msg, "%s", err.msg);
		r->error = kiln_xstrdup(msg);
		r->failed = 1;
		return;
	}
	uint32_t cw = o->sheet_w ? o->sheet_w : im.w, ch = o->sheet_h ? o->sheet_h : im.h;
	uint32_t nx = im.w / cw, ny = im.h / ch;
	if (nx == 0 || ny == 0) {
		snprintf(msg, sizeof msg, "image %ux%u is smaller than one --sheet cell %ux%u", im.w, im.h, cw, ch);
		r->error = kiln_xstrdup(msg);
		r->failed = 1;
		spr_image_free(&im);
		return;
	}
	r->v = kiln_xcalloc((size_t)nx * ny, sizeof *r->v);
	for (uint32_t cy = 0; cy < ny; cy++)
		for (uint32_t cx = 0; cx < nx; cx++) {
			spr_image cell, fit;
			const spr_image *src = &im;
			if (o->sheet_w) {
				if (spr_image_crop(&im, cx * cw, cy * ch, cw, ch, &cell)) continue;
				src = &cell;
			}
			rc = spr_fit(src, &o->fit, &fit, &err);
			if (o->sheet_w) spr_image_free(&cell);
			if (rc == SPR_EEMPTY) {
				/* empty sheet cells are normal; an empty single sprite is worth a warning */
				if (!o->sheet_w) { r->empty++; keep_first_error(r, err.msg); }
				continue;
			}
			if (rc) { keep_first_error(r, err.msg); r->failed = 1; continue; }
			sprite *s = &r->v[r->n++];
			s->img = fit;
			s->cell = cy * nx + cx;
			if (o->sheet_w) {
				snprintf(msg, sizeof msg, "%s#%u", rel, s->cell);
				s->name = kiln_xstrdup(msg);
			} else s->name = kiln_xstrdup(rel);
		}
	spr_image_free(&im);
}

void load_sprites(const tool_opts *o, sprite_list *l, int want_labels)
{
	memset(l, 0, sizeof *l);
	char **rels = NULL;
	walk_ctx w = { l, &rels, 0, NULL, 0 };
	for (int i = 0; i < o->ninputs; i++) {
		const char *in = o->inputs[i];
		if (kiln_is_dir(in)) {
			char *root = kiln_xstrdup(in);
			size_t k = strlen(root);
			while (k > 1 && root[k - 1] == '/') root[--k] = 0;
			w.root = root;
			size_t before = l->nfiles;
			kiln_walk((const char *const *)&root, 1, walk_cb, &w);
			if (l->nfiles == before) {
				kiln_file_error(in, "no images in this folder (.png .gif .bmp .webp .jpg .tga)");
				w.errors++;
			}
			free(root);
		} else {
			add_file(&w, in, in);
		}
	}
	l->failed = w.errors;
	/* Labels come first, for every file, so the zone and category id tables
	 * depend only on the inputs' names: --part workers that decode different
	 * files still number labels alike, and their datasets merge. */
	csv_row *rows = NULL;
	size_t nrows = 0;
	if (want_labels && o->labels) rows = load_csv(o->labels, &nrows);
	size_t nf = l->nfiles;
	char **fz = kiln_xcalloc(nf ? nf : 1, sizeof *fz), **fc = kiln_xcalloc(nf ? nf : 1, sizeof *fc);
	size_t nlab = 0;
	for (size_t i = 0; i < nf && want_labels; i++) {
		char zbuf[256], cbuf[256];
		if (rows) {
			const char *base = strrchr(rels[i], '/');
			const csv_row *row = csv_find(rows, nrows, rels[i]);
			if (!row) row = csv_find(rows, nrows, l->files[i]);
			if (!row && base) row = csv_find(rows, nrows, base + 1);
			if (!row) continue;   /* reported below if the file is decoded */
			fz[i] = kiln_xstrdup(row->zone);
			fc[i] = kiln_xstrdup(row->cat);
		} else {
			folder_labels(rels[i], zbuf, cbuf, sizeof zbuf);
			fz[i] = kiln_xstrdup(zbuf);
			fc[i] = kiln_xstrdup(cbuf);
		}
		nlab++;
	}
	if (want_labels) {
		char **zs = kiln_xmalloc((nlab ? nlab : 1) * sizeof *zs), **cs = kiln_xmalloc((nlab ? nlab : 1) * sizeof *cs);
		size_t k = 0;
		for (size_t i = 0; i < nf; i++)
			if (fz[i]) { zs[k] = fz[i]; cs[k] = fc[i]; k++; }
		l->zone_names = name_table(zs, k, o->layout.zones, "zone", "--zones", &l->nzones);
		l->cat_names = name_table(cs, k, o->layout.categories, "category", "--categories", &l->ncats);
		free(zs);
		free(cs);
	}
	uint64_t lo = 0, hi = nf;
	if (o->nparts > 1) kiln_part_range(nf, o->part, o->nparts, &lo, &hi);
	file_result *res = kiln_xcalloc(nf ? nf : 1, sizeof *res);
	kiln_progress *pr = kiln_progress_start("decode+fit", hi - lo, "files");
	size_t done = 0;
	SPR_OMP(omp parallel)
	{
		/* one decoder per thread, its codec contexts reused file after file
		 * (NULL if it cannot be made: spr_decode then opens one per file) */
		spr_decoder *dec = NULL;
		if (spr_decoder_create(&dec)) dec = NULL;
		file_buf fb = { NULL, 0 };
		SPR_OMP(omp for schedule(dynamic, 4))
		for (size_t i = (size_t)lo; i < (size_t)hi; i++) {
			process_file(o, dec, &fb, l->files[i], rels[i], &res[i]);
			SPR_OMP(omp atomic)
			done++;
#ifdef _OPENMP
			if (omp_get_thread_num() == 0)
#endif
				kiln_progress_update(pr, done);
		}
		spr_decoder_free(dec);
		free(fb.p);
	}
	release_threads();
	kiln_progress_end(pr);
	size_t total = 0;
	for (size_t i = 0; i < nf; i++) total += res[i].n;
	l->v = kiln_xcalloc(total ? total : 1, sizeof *l->v);
	for (size_t i = 0; i < nf; i++) {
		file_result *r = &res[i];
		if (r->error) {
			if (r->failed) kiln_file_error(l->files[i], "%s", r->error);
			else if (!kiln_quiet()) kiln_file_error(l->files[i], "skipped: %s", r->error);
		}
		l->failed += r->failed && r->n == 0;
		l->skipped += r->empty;
		uint8_t h[32];
		kiln_sha256(rels[i], strlen(rels[i]), h);
		uint64_t group = 0;
		for (int b = 0; b < 8; b++) group |= (uint64_t)h[b] << (8 * b);
		if (want_labels && r->n && !fz[i]) {
			kiln_file_error(l->files[i], "no label in %s: skipped", o->labels);
			l->failed++;
			for (size_t k = 0; k < r->n; k++) { spr_image_free(&r->v[k].img); free(r->v[k].name); }
			r->n = 0;
		}
		for (size_t k = 0; k < r->n; k++) {
			sprite *s = &l->v[l->n];
			*s = r->v[k];
			s->path = l->files[i];
			s->group = group;
			s->holdout = o->holdout > 0 && kiln_unit(0x5EEDull, group) < o->holdout;
			if (want_labels) {
				s->zone = name_id(l->zone_names, l->nzones, fz[i]);
				s->cat = name_id(l->cat_names, l->ncats, fc[i]);
			}
			l->n++;
		}
		free(r->v);
		free(r->error);
	}
	free(res);
	for (size_t i = 0; i < nf; i++) { free(fz[i]); free(fc[i]); }
	free(fz);
	free(fc);
	for (size_t i = 0; i < nrows; i++) { free(rows[i].key); free(rows[i].zone); free(rows[i].cat); }
	free(rows);
	for (size_t i = 0; i < l->nfiles; i++) free(rels[i]);
	free(rels);
}

void free_sprites(sprite_list *l)
{
	for (size_t i = 0; i < l->n; i++) { spr_image_free(&l->v[i].img); free(l->v[i].name); }
	free(l->v);
	for (size_t i = 0; i < l->nfiles; i++) free(l->files[i]);
	free(l->files);
	for (uint32_t i = 0; i < l->nzones; i++) free(l->zone_names[i]);
	for (uint32_t i = 0; i < l->ncats; i++) free(l->cat_names[i]);
	free(l->zone_names);
	free(l->cat_names);
	memset(l, 0, sizeof *l);
}
