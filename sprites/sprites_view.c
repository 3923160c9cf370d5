/*
 * sprites_view.c - the output side of kiln-sprites: render records back to
 * PNG, compose labelled sheets (zone x category grid, or one row per dataset
 * for temperature sweeps), shade records inside their palette, and write
 * procedural sprites for demos and tests.
 */
#include "sprites_tool.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- reading the palette and labels back from meta_json ----------------
 * Only the fields kiln-sprites itself writes are needed, so this is a
 * targeted scanner (bounded by len, never trusting the text), not a general
 * JSON parser. */

/* First "key": whose value starts with '[' (want_array) or a digit: the
 * layout's "zones": 6 and the top-level "zones": [...] share a name. */
static const char *find_key(const char *s, size_t len, const char *key, int want_array)
{
	size_t k = strlen(key);
	for (size_t i = 0; i + k + 4 <= len; i++)
		if (s[i] == '"' && !memcmp(s + i + 1, key, k) && s[i + 1 + k] == '"' && s[i + 2 + k] == ':') {
			char c = s[i + 3 + k];
			if (want_array ? c == '[' : c >= '0' && c <= '9') return s + i + 3 + k;
		}
	return NULL;
}

static int meta_u64(const char *s, size_t len, const char *key, uint64_t *v)
{
	const char *p = find_key(s, len, key, 0), *end = s + len;
	if (!p || p >= end || *p < '0' || *p > '9') return -1;
	uint64_t x = 0;
	for (; p < end && *p >= '0' && *p <= '9'; p++) {
		if (x > UINT32_MAX) return -1;
		x = x * 10 + (uint64_t)(*p - '0');
	}
	*v = x;
	return 0;
}

/* ["a","b",...] -> malloc'ed strings; simple escapes decoded, \u as '?'. */
static char **meta_strings(const char *s, size_t len, const char *key, uint32_t *count, uint32_t max)
{
	const char *p = find_key(s, len, key, 1), *end = s + len;
	*count = 0;
	if (!p || p >= end || *p != '[') return NULL;
	char **v = kiln_xcalloc(max ? max : 1, sizeof *v);
	p++;
	while (p < end && *p != ']' && *count < max) {
		if (*p == ',' || *p == ' ') { p++; continue; }
		if (*p != '"') break;
		p++;
		char *out = kiln_xmalloc((size_t)(end - p) + 1);
		size_t k = 0;
		while (p < end && *p != '"') {
			if (*p == '\\' && p + 1 < end) {
				p++;
				if (*p == 'u') { out[k++] = '?'; p += p + 5 <= end ? 5 : (size_t)(end - p); continue; }
				out[k++] = *p == 'n' ? '\n' : *p == 't' ? '\t' : *p;
				p++;
				continue;
			}
			out[k++] = *p++;
		}
		out[k] = 0;
		v[(*count)++] = out;
		if (p < end) p++;
	}
	return v;
}

int dataset_palette(shard_dataset *d, spr_palette *p, char ***zones, uint32_t *nz, char ***cats, uint32_t *nc)
{
	size_t len;
	const char *meta = shard_dataset_meta(d, &len);
	memset(p, 0, sizeof *p);
	p->transparent = -1;
	uint32_t n;
	char **hex = meta ? meta_strings(meta, len, "palette", &n, SPR_MAX_COLORS) : NULL;
	if (!hex || n == 0) { free(hex); return -1; }
	for (uint32_t i = 0; i < n; i++) {
		unsigned r, g, b;
		if (sscanf(hex[i], "#%2x%2x%2x", &r, &g, &b) != 3) { for (; i < n; i++) free(hex[i]); free(hex); return -1; }
		p->rgb[i][0] = (uint8_t)r; p->rgb[i][1] = (uint8_t)g; p->rgb[i][2] = (uint8_t)b;
		free(hex[i]);
	}
	free(hex);
	p->n = n;
	uint64_t t;
	if (meta_u64(meta, len, "transparent_index", &t) == 0 && t < n) p->transparent = (int)t;
	/* the palette must be the one the records were made with */
	uint8_t fp[32];
	palette_fingerprint(p, fp);
	if (memcmp(fp, shard_dataset_spec(d)->fingerprint, 32)) return -2;
	if (zones) *zones = meta_strings(meta, len, "zones", nz, 1024);
	if (cats) *cats = meta_strings(meta, len, "categories", nc, 1024);
	return 0;
}

/* Die with the library's message (it names the file) and its offset. */
static KILN_NORETURN void die_shard(const shard_error *e)
{
	char b[600];
	kiln_die(KILN_EXIT_FAIL, "%s", shard_error_text(e, b, sizeof b));
}

/* Record i, checked against its checksum and the vocabulary before it is
 * drawn or shaded: shade writes it with a fresh, valid checksum, so a
 * damaged record would otherwise come out looking intact. */
static void checked_record(const shard_dataset *d, uint64_t i, shard_record *rec)
{
	shard_error se;
	if (shard_dataset_record(d, i, rec, &se) || shard_dataset_verify_record(d, i, &se)) die_shard(&se);
}

typedef struct view {
	shard_dataset *d;
	const shard_spec *spec;
	spr_palette pal;
	spr_ramps ramps;
	char **zones, **cats;
	uint32_t nz, nc;
	uint32_t zone_base, cat_base;
	uint8_t *grid;
} view;

static void view_open(const tool_opts *o, const char *path, view *v)
{
	memset(v, 0, sizeof *v);
	shard_error se;
	if (shard_dataset_open(path, &v->d, &se)) die_shard(&se);
	v->spec = shard_dataset_spec(v->d);
	if (v->spec->kind != SHARD_SPRITES)
		kiln_die(KILN_EXIT_FAIL, "%s: a %s dataset, not sprites", path, shard_kind_name(v->spec->kind));
	if (v->spec->width == 0 || v->spec->width > 1024 || v->spec->height == 0 || v->spec->height > 1024)
		kiln_die(KILN_EXIT_FAIL, "%s: sprite size %ux%u out of range", path, v->spec->width, v->spec->height);
	if (o->palette) load_palette_file(o->palette, &v->pal);
	else {
		int rc = dataset_palette(v->d, &v->pal, &v->zones, &v->nz, &v->cats, &v->nc);
		if (rc == -1) kiln_die(KILN_EXIT_FAIL, "%s: no palette in its metadata (give one with --palette)", path);
		if (rc == -2) kiln_die(KILN_EXIT_FAIL, "%s: the palette in its metadata does not match the dataset fingerprint", path);
	}
	size_t len;
	const char *meta = shard_dataset_meta(v->d, &len);
	uint64_t zb = v->pal.n + 4, cb = zb + (v->nz ? v->nz : 6);
	if (meta) { meta_u64(meta, len, "zone_base", &zb); meta_u64(meta, len, "category_base", &cb); }
	v->zone_base = (uint32_t)zb;
	v->cat_base = (uint32_t)cb;
	spr_ramps_build(&v->pal, &v->ramps);
	v->grid = kiln_xmalloc((size_t)v->spec->width * v->spec->height);
}

static void view_close(view *v)
{
	for (uint32_t i = 0; i < v->nz; i++) free(v->zones[i]);
	for (uint32_t i = 0; i < v->nc; i++) free(v->cats[i]);
	free(v->zones);
	free(v->cats);
	free(v->grid);
	shard_dataset_close(v->d);
}

/* Record i's grid into v->grid (optionally shaded); zone/category ids out. */
static void view_record(const tool_opts *o, view *v, uint64_t i, uint32_t *zone, uint32_t *cat)
{
	shard_record rec;
	checked_record(v->d, i, &rec);
	size_t n = (size_t)v->spec->width * v->spec->height;
	if (rec.n_content != n) kiln_die(KILN_EXIT_FAIL, "record %llu: %llu cells, expected %zu", (unsigned long long)i, (unsigned long long)rec.n_content, n);
	for (size_t k = 0; k < n; k++) {
		uint32_t t = shard_elem(rec.content, v->spec->elem_size, k);
		v->grid[k] = t < v->pal.n ? (uint8_t)t : (uint8_t)(v->pal.transparent >= 0 ? v->pal.transparent : 0);
	}
	uint32_t z = rec.n_prompt > 0 ? shard_elem(rec.prompt, v->spec->elem_size, 0) : 0;
	uint32_t c = rec.n_prompt > 1 ? shard_elem(rec.prompt, v->spec->elem_size, 1) : 0;
	*zone = z >= v->zone_base ? z - v->zone_base : UINT32_MAX;
	*cat = c >= v->cat_base ? c - v->cat_base : UINT32_MAX;
	if (o->shade) {
		uint8_t *tmp = kiln_xmalloc(n);
		spr_shade(v->grid, v->spec->width, v->spec->height, &v->pal, &v->ramps, &o->shade_opts, tmp);
		memcpy(v->grid, tmp, n);
		free(tmp);
	}
}

static const char *label(char **names, uint32_t n, uint32_t id, char *buf, size_t len)
{
	if (id < n) return names[id];
	if (id == UINT32_MAX) return "none";
	snprintf(buf, len, "%u", id);
	return buf;
}

int cmd_render(tool_opts *o)
{
	if (o->ninputs != 1 || !o->output) kiln_usage_error("render: expected DATASET -o DIR");
	view v;
	view_open(o, o->inputs[0], &v);
	uint64_t rw = (uint64_t)v.spec->width * o->zoom, rh = (uint64_t)v.spec->height * o->zoom;
	if (rw > SPR_MAX_DIM || rh > SPR_MAX_DIM || rw * rh > SPR_MAX_PIXELS)
		kiln_die(KILN_EXIT_FAIL, "%s: %ux%u sprites at --zoom %u would be %llux%llu pixels, over the image cap: lower --zoom",
		         o->inputs[0], v.spec->width, v.spec->height, o->zoom, (unsigned long long)rw, (unsigned long long)rh);
	kiln_refuse_output_over_inputs(o->output, o->force, o->inputs, (size_t)o->ninputs);
	const char *tmp = kiln_outdir_begin(o->output, o->force);
	if (!tmp) kiln_die(KILN_EXIT_FAIL, "%s: %s", o->output, kiln_output_errtext(errno));
	uint64_t n = shard_dataset_records(v.d);
	if (o->limit && o->limit < n) n = o->limit;
	kiln_progress *pr = kiln_progress_start("render", n, "sprites");
	for (uint64_t i = 0; i < n; i++) {
		uint32_t z, c;
		char zb[16], cb[16];
		view_record(o, &v, i, &z, &c);
		spr_image im;
		if (spr_render(v.grid, v.spec->width, v.spec->height, &v.pal, o->zoom, &im))
			kiln_die(KILN_EXIT_FAIL, "render: out of memory");
		char *p = kiln_xmalloc(strlen(tmp) + 600);
		sprintf(p, "%s/%06llu-%.200s-%.200s.png", tmp, (unsigned long long)i, label(v.zones, v.nz, z, zb, sizeof zb),
		        label(v.cats, v.nc, c, cb, sizeof cb));
		for (char *q = p + strlen(tmp) + 1; *q; q++)
			if (*q == '/' || *q == ' ') *q = '_';
		write_png_or_die(p, &im);
		free(p);
		spr_image_free(&im);
		kiln_progress_update(pr, i + 1);
	}
	kiln_progress_end(pr);
	if (kiln_outdir_commit(tmp, o->output, o->force)) kiln_die(KILN_EXIT_FAIL, "%s: %s", o->output, strerror(errno));
	if (o->json) json_done(o, n);
	else if (!kiln_quiet()) {
		printf("render: %llu sprites -> ", (unsigned long long)n);
		kiln_fput_esc(stdout, o->output);
		putchar('\n');
	}
	view_close(&v);
	return KILN_EXIT_OK;
}

static const uint8_t BG[4] = { 28, 30, 38, 255 }, CELL[4] = { 44, 48, 60, 255 }, INK[4] = { 230, 230, 220, 255 };

int cmd_sheet(tool_opts *o)
{
	if (o->ninputs < 1 || !o->output) kiln_usage_error("sheet: expected DATASET... -o SHEET.png");
	if (!o->sweep && o->ninputs != 1) kiln_usage_error("sheet: one DATASET (or --sweep for one row per dataset)");
	if (!o->force && kiln_output_exists(o->output))
		kiln_die(KILN_EXIT_FAIL, "%s: exists (use --force to replace it)", o->output);
	kiln_refuse_file_over_inputs(o->output, o->force, o->inputs, (size_t)o->ninputs);
	uint32_t per = o->per_cell ? o->per_cell : o->sweep ? 8 : 2, zoom = o->zoom, ts = zoom > 1 ? zoom / 2 : 1, pad = 4 * zoom;
	view *vs = kiln_xcalloc(o->ninputs, sizeof *vs);
	for (int i = 0; i < o->ninputs; i++) view_open(o, o->inputs[i], &vs[i]);
	uint32_t sw = vs[0].spec->width * zoom, sh = vs[0].spec->height * zoom;
	for (int i = 1; i < o->ninputs; i++)
		if (vs[i].spec->width * zoom != sw || vs[i].spec->height * zoom != sh)
			kiln_die(KILN_EXIT_FAIL, "%s: sprite size differs from %s", o->inputs[i], o->inputs[0]);
	uint32_t rows, cols;
	char **row_names, **col_names;
	if (o->sweep) {
		rows = (uint32_t)o->ninputs;
		cols = 1;
		row_names = kiln_xcalloc(rows, sizeof *row_names);
		for (uint32_t r = 0; r < rows; r++) {
			const char *b = o->inputs[r] + strlen(o->inputs[r]);
			while (b > o->inputs[r] && b[-1] == '/') b--;
			const char *s = b;
			while (s > o->inputs[r] && s[-1] != '/') s--;
			row_names[r] = kiln_xmalloc((size_t)(b - s) + 1);
			memcpy(row_names[r], s, (size_t)(b - s));
			row_names[r][b - s] = 0;
		}
		col_names = NULL;
	} else {
		rows = vs[0].nz ? vs[0].nz : 1;
		cols = vs[0].nc ? vs[0].nc : 1;
		row_names = vs[0].zones;
		col_names = vs[0].cats;
	}
	uint32_t label_w = 0;
	for (uint32_t r = 0; r < rows; r++) {
		uint32_t w = spr_text_width(row_names && row_names[r] ? row_names[r] : "-", ts);
		if (w > label_w) label_w = w;
	}
	uint32_t cell_w = per * (sw + pad) + pad, cell_h = sh + 2 * pad, head = o->sweep ? pad : 10 * ts + 2 * pad;
	uint64_t W = label_w + 2 * pad + (uint64_t)cols * cell_w, H = head + (uint64_t)rows * cell_h + pad;
	if (W > SPR_MAX_DIM || H > SPR_MAX_DIM || W * H > SPR_MAX_PIXELS)
		kiln_die(KILN_EXIT_FAIL, "sheet would be %llux%llu pixels: lower --zoom or --per-cell", (unsigned long long)W, (unsigned long long)H);
	spr_image sheet;
	if (spr_image_alloc(&sheet, (uint32_t)W, (uint32_t)H)) kiln_die(KILN_EXIT_FAIL, "out of memory");
	spr_fill(&sheet, 0, 0, sheet.w, sheet.h, BG);
	for (uint32_t c = 0; c < cols && !o->sweep; c++)
		spr_text(&sheet, (int32_t)(label_w + 2 * pad + c * cell_w + pad), (int32_t)pad,
		         col_names && c < vs[0].nc ? col_names[c] : "-", ts, INK);
	uint32_t *filled = kiln_xcalloc((size_t)rows * cols, sizeof *filled);
	for (uint32_t r = 0; r < rows; r++) {
		int32_t y = (int32_t)(head + r * cell_h);
		spr_text(&sheet, (int32_t)pad, y + (int32_t)(cell_h / 2 - 4 * ts), row_names && row_names[r] ? row_names[r] : "-", ts, INK);
		for (uint32_t c = 0; c < cols; c++)
			spr_fill(&sheet, (int32_t)(label_w + 2 * pad + c * cell_w), y, cell_w - pad, cell_h - pad, CELL);
	}
	size_t placed = 0;
	for (uint32_t vi = 0; vi < (uint32_t)o->ninputs; vi++) {
		view *v = &vs[vi];
		uint64_t n = shard_dataset_records(v->d);
		for (uint64_t i = 0; i < n; i++) {
			uint32_t z, c;
			view_record(o, v, i, &z, &c);
			uint32_t r = o->sweep ? vi : z, col = o->sweep ? 0 : c;
			if (r >= rows || col >= cols || filled[(size_t)r * cols + col] >= per) {
				if (o->sweep && filled[r] >= per) break;
				continue;
			}
			uint32_t k = filled[(size_t)r * cols + col]++;
			spr_image im;
			if (spr_render(v->grid, v->spec->width, v->spec->height, &v->pal, zoom, &im)) kiln_die(KILN_EXIT_FAIL, "out of memory");
			spr_blit(&sheet, &im, (int32_t)(label_w + 2 * pad + col * cell_w + pad / 2 + k * (sw + pad)),
			         (int32_t)(head + r * cell_h + pad / 2));
			spr_image_free(&im);
			placed++;
		}
	}
	write_png_or_die(o->output, &sheet);
	/* with -o - stdout holds the PNG: a report after it would corrupt it */
	int to_stdout = !strcmp(o->output, "-");
	if (o->json && !to_stdout) json_done(o, placed);
	else if (!kiln_quiet() && !to_stdout) {
		printf("sheet: %zu sprites in %ux%u cells -> ", placed, rows, cols);
		kiln_fput_esc(stdout, o->output);
		printf(" (%ux%u)\n", sheet.w, sheet.h);
	}
	spr_image_free(&sheet);
	free(filled);
	if (o->sweep) {
		for (uint32_t r = 0; r < rows; r++) free(row_names[r]);
		free(row_names);
	}
	for (int i = 0; i < o->ninputs; i++) view_close(&vs[i]);
	free(vs);
	return KILN_EXIT_OK;
}

int cmd_shade(tool_opts *o)
{
	if (o->ninputs != 1 || !o->output) kiln_usage_error("shade: expected DATASET -o DATASET");
	tool_opts so = *o;
	so.shade = 1;
	view v;
	view_open(&so, o->inputs[0], &v);
	size_t mlen;
	const char *meta = shard_dataset_meta(v.d, &mlen);
	/* same metadata, marked as shaded */
	char *nmeta = kiln_xmalloc(mlen + 32);
	if (meta && mlen > 1 && meta[0] == '{') {
		memcpy(nmeta, "{\"shaded\":true,", 15);
		memcpy(nmeta + 15, meta + 1, mlen - 1);
		nmeta[14 + mlen] = 0;
	} else strcpy(nmeta, "{\"shaded\":true}");
	kiln_refuse_output_over_inputs(o->output, o->force, o->inputs, (size_t)o->ninputs);
	const char *tmp = kiln_outdir_begin(o->output, o->force);
	if (!tmp) kiln_die(KILN_EXIT_FAIL, "%s: %s", o->output, kiln_output_errtext(errno));
	shard_writer_opts wo = { 0, nmeta };
	shard_writer *w;
	shard_error se;
	if (shard_writer_create(tmp, v.spec, &wo, &w, &se)) kiln_die(KILN_EXIT_FAIL, "%s: %s", o->output, se.msg);
	uint64_t n = shard_dataset_records(v.d);
	size_t cells = (size_t)v.spec->width * v.spec->height;
	uint32_t *grid = kiln_xmalloc(cells * sizeof *grid), *prompt = NULL;
	uint64_t prompt_cap = 0;
	for (uint64_t i = 0; i < n; i++) {
		uint32_t z, c;
		shard_record rec;
		view_record(&so, &v, i, &z, &c);
		checked_record(v.d, i, &rec);
		/* The prompt is copied whole: a sprites dataset may carry any number
		 * of conditioning tokens (spec.channels), not only quantize's two. */
		uint64_t np = rec.n_prompt;
		if (np > prompt_cap) prompt = kiln_xrealloc(prompt, (size_t)(prompt_cap = np) * sizeof *prompt);
		for (uint64_t k = 0; k < np; k++) prompt[k] = shard_elem(rec.prompt, v.spec->elem_size, k);
		/* cells that were not palette indices (e.g. MASK) are kept as they were */
		for (size_t k = 0; k < cells; k++) {
			uint32_t t = shard_elem(rec.content, v.spec->elem_size, k);
			grid[k] = t < v.pal.n ? v.grid[k] : t;
		}
		if (shard_writer_add_u32(w, prompt, np, grid, cells, rec.group, &se)) {
			shard_writer_abort(w);
			kiln_die(KILN_EXIT_FAIL, "%s: record %llu: %s", o->output, (unsigned long long)i, se.msg);
		}
	}
	free(grid);
	free(prompt);
	if (shard_writer_close(w, &se)) kiln_die(KILN_EXIT_FAIL, "%s: %s", o->output, se.msg);
	if (kiln_outdir_commit(tmp, o->output, o->force)) kiln_die(KILN_EXIT_FAIL, "%s: %s", o->output, strerror(errno));
	if (o->json) json_done(o, n);
	else if (!kiln_quiet()) {
		printf("shade: %llu sprites -> ", (unsigned long long)n);
		kiln_fput_esc(stdout, o->output);
		putchar('\n');
	}
	free(nmeta);
	view_close(&v);
	return KILN_EXIT_OK;
}

int cmd_synth(tool_opts *o)
{
	if (o->ninputs != 0 || !o->output) kiln_usage_error("synth: expected -o DIR (no inputs)");
	uint32_t size = o->fit.size;
	if (size < 8 || size > 256) kiln_usage_error("synth: --size must be in [8, 256]");
	const char *tmp = kiln_outdir_begin(o->output, o->force);
	if (!tmp) kiln_die(KILN_EXIT_FAIL, "%s: %s", o->output, kiln_output_errtext(errno));
	uint64_t total = 0;
	char *p = kiln_xmalloc(strlen(tmp) + 128);
	for (uint32_t z = 0; z < SPR_SYNTH_ZONES; z++)
		for (uint32_t c = 0; c < SPR_SYNTH_CATEGORIES; c++) {
			sprintf(p, "%s/%s/%s", tmp, spr_synth_zone_name(z), spr_synth_category_name(c));
			if (kiln_mkdirs(p)) kiln_die(KILN_EXIT_FAIL, "%s: %s", p, strerror(errno));
			for (uint64_t k = 0; k < o->count; k++) {
				spr_image im;
				if (spr_synth(z, c, o->seed * 1000003u + k, size, &im)) kiln_die(KILN_EXIT_FAIL, "synth: out of memory");
				sprintf(p, "%s/%s/%s/%04llu.png", tmp, spr_synth_zone_name(z), spr_synth_category_name(c), (unsigned long long)k);
				write_png_or_die(p, &im);
				spr_image_free(&im);
				total++;
			}
		}
	free(p);
	if (kiln_outdir_commit(tmp, o->output, o->force)) kiln_die(KILN_EXIT_FAIL, "%s: %s", o->output, strerror(errno));
	if (o->json) json_done(o, total);
	else if (!kiln_quiet()) {
		printf("synth: %llu sprites (%u zones x %u categories x %llu) -> ", (unsigned long long)total,
		       SPR_SYNTH_ZONES, SPR_SYNTH_CATEGORIES, (unsigned long long)o->count);
		kiln_fput_esc(stdout, o->output);
		putchar('\n');
	}
	return KILN_EXIT_OK;
}
