/*
 * sprites_cmd.c - the corpus commands of kiln-sprites: palette (build and
 * save a shared palette), quantize (sprites to a token dataset), fit (write
 * what quantize sees) and compare (score another quantiser's output), plus
 * the palette/dataset helpers they share with sprites_view.c.
 */
#include "sprites_tool.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

void write_file_atomic(const char *path, const void *data, size_t n)
{
	kiln_outfile f;
	if (kiln_outfile_open(&f, path)) kiln_die(KILN_EXIT_FAIL, "%s: %s", path, strerror(errno));
	if (fwrite(data, 1, n, f.fp) != n) {
		kiln_outfile_abort(&f);
		kiln_die(KILN_EXIT_FAIL, "%s: write failed", path);
	}
	if (kiln_outfile_commit(&f)) kiln_die(KILN_EXIT_FAIL, "%s: %s", path, strerror(errno));
}

void write_png_or_die(const char *path, const spr_image *im)
{
	uint8_t *png;
	size_t n;
	spr_error err;
	if (spr_encode_png(im, &png, &n, &err)) kiln_die(KILN_EXIT_FAIL, "%s: %s", path, err.msg);
	write_file_atomic(path, png, n);
	free(png);
}

void json_done(const tool_opts *o, uint64_t sprites)
{
	kiln_json j;
	kiln_json_init(&j, stdout, 0);
	kiln_json_obj_begin(&j, NULL);
	kiln_json_str(&j, "command", o->cmd);
	kiln_json_str(&j, "output", o->output);
	kiln_json_u64(&j, "sprites", sprites);
	kiln_json_obj_end(&j);
	kiln_json_end_line(&j);
}

void load_palette_file(const char *path, spr_palette *p)
{
	size_t n;
	uint8_t *data = kiln_read_file(path, 16ull << 20, &n);
	if (!data) kiln_die(KILN_EXIT_FAIL, "%s: %s", path, strerror(errno));
	spr_error err;
	int rc = spr_palette_parse(data, n, path, p, &err);
	free(data);
	if (rc == SPR_ENOTBUILT) kiln_die(KILN_EXIT_NOTBUILT, "%s", err.msg);
	if (rc) kiln_die(KILN_EXIT_FAIL, "%s", err.msg);
}

void palette_fingerprint(const spr_palette *p, uint8_t out[32])
{
	uint8_t buf[2 + 3 * SPR_MAX_COLORS];
	kiln_sha256(buf, spr_palette_canonical(p, buf), out);
}

char *palette_json_array(const spr_palette *p)
{
	char *s = kiln_xmalloc(4 + (size_t)p->n * 11);
	size_t k = 0;
	s[k++] = '[';
	for (uint32_t i = 0; i < p->n; i++)
		k += sprintf(s + k, "%s\"#%02x%02x%02x\"", i ? "," : "", p->rgb[i][0], p->rgb[i][1], p->rgb[i][2]);
	s[k++] = ']';
	s[k] = 0;
	return s;
}

/* Wall-clock seconds per stage, for the report (bench/sprites.sh reads them). */
static struct { double load, palette, map; } timing;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void palette_progress(void *ud, uint32_t done, uint32_t total)
{
	(void)total;
	kiln_progress_update(ud, done);
}

/* A palette file is read entry for entry (a PNG swatch must read back as
 * written), so it may repeat a colour; pixels then map to its first entry
 * only, and the others are dead indices in every record. Worth a warning
 * naming them, not an error: the file is still a valid palette. */
static void warn_repeated_entries(const char *path, const spr_palette *p)
{
	uint8_t seen[SPR_MAX_COLORS] = { 0 };
	for (uint32_t i = 0; i < p->n; i++) {
		if (seen[i] || (int)i == p->transparent) continue;
		char list[SPR_MAX_COLORS * 5];
		size_t k = 0;
		for (uint32_t j = i + 1; j < p->n; j++) {
			if ((int)j == p->transparent || memcmp(p->rgb[i], p->rgb[j], 3)) continue;
			seen[j] = 1;
			k += (size_t)snprintf(list + k, sizeof list - k, ", %u", j);
		}
		if (k)
			kiln_warn("%s: colour #%02x%02x%02x is at entries %u%s; pixels only ever map to entry %u", path,
			          p->rgb[i][0], p->rgb[i][1], p->rgb[i][2], i, list, i);
	}
}

/* Palette from --palette, or built from the sprites not held out. */
static void get_palette(const tool_opts *o, const sprite_list *l, spr_palette *pal)
{
	double t0 = now();
	if (o->palette) {
		load_palette_file(o->palette, pal);
		warn_repeated_entries(o->palette, pal);
		if (o->build_colors_set && pal->n != o->build.n_colors)
			kiln_warn("%s: has %u colours; --colors %u ignored", o->palette, pal->n, o->build.n_colors);
	} else {
		spr_image *imgs = kiln_xmalloc((l->n ? l->n : 1) * sizeof *imgs);
		size_t k = 0;
		for (size_t i = 0; i < l->n; i++)
			if (!l->v[i].holdout) imgs[k++] = l->v[i].img;
		spr_error err;
		spr_build_opts bo = o->build;
		kiln_progress *pr = kiln_progress_start("palette", bo.rounds + bo.refine, "steps");
		bo.progress = palette_progress;
		bo.progress_ud = pr;
		int rc = spr_palette_build(imgs, k, &bo, pal, &err);
		release_threads();
		kiln_progress_end(pr);
		free(imgs);
		if (rc) kiln_die(KILN_EXIT_FAIL, "palette: %s", err.msg);
	}
	timing.palette = now() - t0;
}

/* Map every sprite (in parallel, one mapper per thread) into idx (n x size
 * x size) and score the fitted ones held in / held out separately. Scores
 * are summed per fixed block of sprites and the blocks merged in order, so
 * the floating-point totals do not depend on the thread count. */
#define QBLOCK 256
static void map_all(const tool_opts *o, const sprite_list *l, const spr_palette *pal, uint8_t *idx,
                    spr_quality *q_in, spr_quality *q_out)
{
	uint32_t sz = o->fit.size;
	size_t nb = (l->n + QBLOCK - 1) / QBLOCK;
	spr_quality *bq = kiln_xmalloc((nb ? nb : 1) * 2 * sizeof *bq);
	int failed = 0;
	double t0 = now();
	SPR_OMP(omp parallel)
	{
		spr_mapper *m = NULL;
		spr_scorer *sc = NULL;
		if (spr_mapper_create(pal, o->dither, &m) || spr_scorer_create(pal, &sc)) {
			SPR_OMP(omp atomic write)
			failed = 1;
		}
		/* mapping alone first, so its rate can be reported on its own;
		 * chunks handed out as threads free up, so a thread slowed by other
		 * work on the machine does not leave the other waiting at the end
		 * (the cache only saves work: indices never depend on the order) */
		SPR_OMP(omp for schedule(dynamic, 32))
		for (size_t i = 0; i < l->n; i++)
			if (m) spr_map(m, l->v[i].img.rgba, sz, sz, o->fit.alpha_threshold, idx + i * sz * sz);
		SPR_OMP(omp single)
		timing.map = now() - t0;
		SPR_OMP(omp for schedule(dynamic, 1))
		for (size_t b = 0; b < nb; b++) {
			spr_quality *qi = &bq[2 * b], *qo = &bq[2 * b + 1];
			spr_quality_init(qi);
			spr_quality_init(qo);
			for (size_t i = b * QBLOCK; i < l->n && i < (b + 1) * QBLOCK && sc; i++)
				spr_scorer_add(sc, l->v[i].holdout ? qo : qi, l->v[i].img.rgba, idx + i * sz * sz, sz, sz,
				               o->fit.alpha_threshold);
		}
		spr_scorer_free(sc);
		spr_mapper_free(m);
	}
	release_threads();
	if (failed) kiln_die(KILN_EXIT_FAIL, "palette has no usable colour");
	spr_quality_init(q_in);
	spr_quality_init(q_out);
	for (size_t b = 0; b < nb; b++) {
		spr_quality_merge(q_in, &bq[2 * b]);
		spr_quality_merge(q_out, &bq[2 * b + 1]);
	}
	free(bq);
}

static void json_quality(kiln_json *j, const char *key, const spr_quality *q)
{
	kiln_json_obj_begin(j, key);
	kiln_json_u64(j, "sprites", q->images);
	kiln_json_u64(j, "opaque_pixels", q->pixels);
	kiln_json_double(j, "psnr_mean_db", spr_quality_psnr_mean(q));
	kiln_json_double(j, "psnr_pooled_db", spr_quality_psnr_pooled(q));
	kiln_json_double(j, "delta_e_x100", spr_quality_delta_e(q));
	kiln_json_u64(j, "colors_used", spr_quality_colors_used(q));
	kiln_json_u64(j, "alpha_errors", q->alpha_errors);
	kiln_json_obj_end(j);
}

static void print_quality(const char *label, const spr_quality *q)
{
	printf("%-9s %7llu sprites  PSNR mean %.2f dB (pooled %.2f)  dE(x100) %.3f  colours used %u\n", label,
	       (unsigned long long)q->images, spr_quality_psnr_mean(q), spr_quality_psnr_pooled(q),
	       spr_quality_delta_e(q), spr_quality_colors_used(q));
}

static void report(const tool_opts *o, const sprite_list *l, const spr_palette *pal, const spr_quality *qi,
                   const spr_quality *qo, const char *what, uint64_t records)
{
	if (kiln_quiet() && !o->json) return;
	uint8_t fp[32];
	char hex[65];
	palette_fingerprint(pal, fp);
	kiln_hex(fp, 32, hex);
	if (o->json) {
		kiln_json j;
		kiln_json_init(&j, stdout, 0);
		kiln_json_obj_begin(&j, NULL);
		kiln_json_str(&j, "command", o->cmd);
		kiln_json_str(&j, "output", o->output);
		kiln_json_u64(&j, "files", l->nfiles);
		kiln_json_u64(&j, "sprites", l->n);
		kiln_json_u64(&j, "records", records);
		kiln_json_u64(&j, "failed_files", l->failed);
		kiln_json_u64(&j, "skipped_empty", l->skipped);
		kiln_json_u64(&j, "colors", pal->n);
		kiln_json_str(&j, "fingerprint", hex);
		json_quality(&j, "quality", qi);
		if (qo->images) json_quality(&j, "holdout", qo);
		kiln_json_obj_begin(&j, "seconds");
		kiln_json_double(&j, "decode_fit", timing.load);
		kiln_json_double(&j, "palette", timing.palette);
		kiln_json_double(&j, "map", timing.map);
		kiln_json_obj_end(&j);
		kiln_json_double(&j, "map_sprites_per_s", timing.map > 0 ? l->n / timing.map : 0);
		kiln_json_obj_end(&j);
		kiln_json_end_line(&j);
		return;
	}
	printf("%s: %zu sprites from %zu files (%zu failed, %zu empty) -> ", what, l->n, l->nfiles,
	       l->failed, l->skipped);
	kiln_fput_esc(stdout, o->output);
	putchar('\n');
	printf("palette   %u colours%s, sha256 %s\n", pal->n, pal->transparent >= 0 ? " (index 0 transparent)" : "", hex);
	print_quality(qo->images ? "fitted-on" : "all", qi);
	if (qo->images) print_quality("held-out", qo);
	printf("time      decode+fit %.2f s, palette %.2f s, map %.3f s (%.0f sprites/s)\n", timing.load, timing.palette,
	       timing.map, timing.map > 0 ? l->n / timing.map : 0);
}

static void need_inputs(const tool_opts *o)
{
	if (o->ninputs < 1) kiln_usage_error("%s: no INPUT given", o->cmd);
	if (!o->output) kiln_usage_error("%s: -o/--output is required", o->cmd);
}

int cmd_palette(tool_opts *o)
{
	need_inputs(o);
	/* before the inputs are decoded and the palette built, which can take long */
	if (!o->force && kiln_output_exists(o->output))
		kiln_die(KILN_EXIT_FAIL, "%s: exists (use --force to replace it)", o->output);
	sprite_list l;
	double t0 = now();
	load_sprites(o, &l, 0);
	timing.load = now() - t0;
	if (l.n == 0) kiln_die(KILN_EXIT_FAIL, "no usable sprite in the inputs");
	spr_palette pal;
	get_palette(o, &l, &pal);
	uint8_t *buf;
	size_t n;
	spr_error err;
	if (spr_palette_write(&pal, spr_palette_format_for_name(o->output), &buf, &n, &err))
		kiln_die(KILN_EXIT_FAIL, "%s: %s", o->output, err.msg);
	kiln_refuse_file_over_inputs(o->output, o->force, o->inputs, (size_t)o->ninputs);
	write_file_atomic(o->output, buf, n);
	free(buf);
	uint8_t *idx = kiln_xmalloc((l.n ? l.n : 1) * o->fit.size * o->fit.size);
	spr_quality qi, qo;
	map_all(o, &l, &pal, idx, &qi, &qo);
	free(idx);
	if (strcmp(o->output, "-")) report(o, &l, &pal, &qi, &qo, "palette", 0);
	int rc = l.failed ? KILN_EXIT_FAIL : KILN_EXIT_OK;
	free_sprites(&l);
	return rc;
}

/* The dataset's meta_json: palette, layout, label names, fit settings. */
static char *dataset_meta(const tool_opts *o, const sprite_list *l, const spr_palette *pal,
                          const spr_quality *qi, const spr_quality *qo)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f) kiln_die(KILN_EXIT_FAIL, "out of memory");
	kiln_json j;
	kiln_json_init(&j, f, 0);
	const spr_layout *L = &o->layout;
	kiln_json_obj_begin(&j, NULL);
	kiln_json_str(&j, "tool", "kiln-sprites");
	kiln_json_str(&j, "version", KILN_VERSION);
	char *pj = palette_json_array(pal);
	kiln_json_raw(&j, "palette", pj);
	free(pj);
	if (pal->transparent >= 0) kiln_json_u64(&j, "transparent_index", (uint64_t)pal->transparent);
	else kiln_json_null(&j, "transparent_index");
	kiln_json_obj_begin(&j, "layout");
	kiln_json_str(&j, "name", "pixelllm");
	kiln_json_u64(&j, "colors", L->colors);
	kiln_json_u64(&j, "pad", spr_layout_pad(L));
	kiln_json_u64(&j, "bos", spr_layout_bos(L));
	kiln_json_u64(&j, "eos", spr_layout_eos(L));
	kiln_json_u64(&j, "mask", spr_layout_mask(L));
	kiln_json_u64(&j, "zone_base", spr_layout_zone(L, 0));
	kiln_json_u64(&j, "zones", L->zones);
	kiln_json_u64(&j, "category_base", spr_layout_category(L, 0));
	kiln_json_u64(&j, "categories", L->categories);
	kiln_json_u64(&j, "vocab", spr_layout_vocab(L));
	kiln_json_str(&j, "prompt", "zone token, category token");
	kiln_json_str(&j, "content", "row-major grid of palette indices");
	kiln_json_obj_end(&j);
	kiln_json_arr_begin(&j, "zones");
	for (uint32_t i = 0; i < l->nzones; i++) kiln_json_str(&j, NULL, l->zone_names[i]);
	kiln_json_arr_end(&j);
	kiln_json_arr_begin(&j, "categories");
	for (uint32_t i = 0; i < l->ncats; i++) kiln_json_str(&j, NULL, l->cat_names[i]);
	kiln_json_arr_end(&j);
	kiln_json_obj_begin(&j, "fit");
	kiln_json_u64(&j, "size", o->fit.size);
	kiln_json_str(&j, "scale", o->fit.scale == SPR_SCALE_AUTO ? "auto" : o->fit.scale == SPR_SCALE_BOX ? "box" : "mode");
	kiln_json_u64(&j, "alpha_threshold", o->fit.alpha_threshold);
	kiln_json_bool(&j, "trim", o->fit.trim);
	kiln_json_bool(&j, "upscale", o->fit.upscale);
	kiln_json_obj_end(&j);
	kiln_json_bool(&j, "dither", o->dither);
	if (o->palette) kiln_json_str(&j, "palette_source", o->palette);
	else kiln_json_u64(&j, "palette_seed", o->build.seed);
	json_quality(&j, "quality", qi);
	if (qo->images) json_quality(&j, "holdout", qo);
	kiln_json_obj_end(&j);
	fclose(f);
	return buf;
}

int cmd_quantize(tool_opts *o)
{
	need_inputs(o);
	sprite_list l;
	double t0 = now();
	load_sprites(o, &l, 1);
	timing.load = now() - t0;
	if (l.n == 0) kiln_die(KILN_EXIT_FAIL, "no usable sprite in the inputs");
	spr_palette pal;
	get_palette(o, &l, &pal);
	o->layout.colors = pal.n;
	uint32_t sz = o->fit.size;
	uint8_t *idx = kiln_xmalloc(l.n * sz * sz);
	spr_quality qi, qo;
	map_all(o, &l, &pal, idx, &qi, &qo);

	shard_spec spec;
	shard_spec_init(&spec, SHARD_SPRITES);
	spec.vocab_size = spr_layout_vocab(&o->layout);
	spec.elem_size = shard_elem_size_for_vocab(spec.vocab_size);
	spec.pad_id = spr_layout_pad(&o->layout);
	spec.bos_id = spr_layout_bos(&o->layout);
	spec.eos_id = spr_layout_eos(&o->layout);
	spec.mask_id = spr_layout_mask(&o->layout);
	spec.width = spec.height = sz;
	spec.channels = 2;
	palette_fingerprint(&pal, spec.fingerprint);
	char *meta = dataset_meta(o, &l, &pal, &qi, &qo);
	shard_writer_opts wo = { 0, meta };
	kiln_refuse_output_over_inputs(o->output, o->force, o->inputs, (size_t)o->ninputs);
	const char *tmp = kiln_outdir_begin(o->output, o->force);
	if (!tmp) kiln_die(KILN_EXIT_FAIL, "%s: %s", o->output, kiln_output_errtext(errno));
	shard_writer *w;
	shard_error se;
	if (shard_writer_create(tmp, &spec, &wo, &w, &se)) kiln_die(KILN_EXIT_FAIL, "%s: %s", o->output, se.msg);
	uint32_t *grid = kiln_xmalloc(sz * sz * sizeof *grid);
	for (size_t i = 0; i < l.n; i++) {
		uint32_t prompt[2] = { spr_layout_zone(&o->layout, l.v[i].zone), spr_layout_category(&o->layout, l.v[i].cat) };
		for (uint32_t k = 0; k < sz * sz; k++) grid[k] = idx[i * sz * sz + k];
		if (shard_writer_add_u32(w, prompt, 2, grid, (uint64_t)sz * sz, l.v[i].group, &se)) {
			shard_writer_abort(w);
			kiln_die(KILN_EXIT_FAIL, "%s: %s: %s", o->output, l.v[i].name, se.msg);
		}
	}
	free(grid);
	uint64_t records = shard_writer_records(w);
	if (shard_writer_close(w, &se)) kiln_die(KILN_EXIT_FAIL, "%s: %s", o->output, se.msg);
	if (kiln_outdir_commit(tmp, o->output, o->force)) kiln_die(KILN_EXIT_FAIL, "%s: %s", o->output, strerror(errno));
	report(o, &l, &pal, &qi, &qo, "quantize", records);
	free(meta);
	free(idx);
	int rc = l.failed ? KILN_EXIT_FAIL : KILN_EXIT_OK;
	free_sprites(&l);
	return rc;
}

/* Flatten a relative name into one file name: "a/b.png#3" -> "a__b_3.png". */
static char *flat_name(const char *name)
{
	size_t n = strlen(name);
	char *s = kiln_xmalloc(2 * n + 8), *d = s;
	const char *hash = strrchr(name, '#');
	const char *dot = strrchr(name, '.');
	size_t stem = dot && (!hash || dot < hash) ? (size_t)(dot - name) : hash ? (size_t)(hash - name) : n;
	for (size_t i = 0; i < stem; i++) {
		if (name[i] == '/') { *d++ = '_'; *d++ = '_'; }
		else *d++ = name[i];
	}
	if (hash) d += sprintf(d, "_%s", hash + 1);
	strcpy(d, ".png");
	return s;
}

int cmd_fit(tool_opts *o)
{
	need_inputs(o);
	sprite_list l;
	load_sprites(o, &l, 0);
	kiln_refuse_output_over_inputs(o->output, o->force, o->inputs, (size_t)o->ninputs);
	const char *tmp = kiln_outdir_begin(o->output, o->force);
	if (!tmp) kiln_die(KILN_EXIT_FAIL, "%s: %s", o->output, kiln_output_errtext(errno));
	for (size_t i = 0; i < l.n; i++) {
		char *f = flat_name(l.v[i].name);
		size_t len = strlen(tmp) + strlen(f) + 32;
		char *p = kiln_xmalloc(len);
		snprintf(p, len, "%s/%s", tmp, f);
		/* Names can meet once flattened (a/b.png and a__b.png, the same name
		 * in two folders, x.png and x.gif): a later one gets -2, -3, ...
		 * rather than overwriting an earlier sprite. */
		struct stat st;
		for (unsigned k = 2; stat(p, &st) == 0; k++)
			snprintf(p, len, "%s/%.*s-%u.png", tmp, (int)(strlen(f) - 4), f, k);
		write_png_or_die(p, &l.v[i].img);
		free(p);
		free(f);
	}
	if (kiln_outdir_commit(tmp, o->output, o->force)) kiln_die(KILN_EXIT_FAIL, "%s: %s", o->output, strerror(errno));
	if (o->json) json_done(o, l.n);
	else if (!kiln_quiet()) {
		printf("fit: %zu sprites from %zu files (%zu failed, %zu empty) -> ", l.n, l.nfiles, l.failed, l.skipped);
		kiln_fput_esc(stdout, o->output);
		putchar('\n');
	}
	int rc = l.failed ? KILN_EXIT_FAIL : KILN_EXIT_OK;
	free_sprites(&l);
	return rc;
}

typedef struct name_list { char **v; size_t n, cap; size_t root_len; } name_list;

static int collect_name(const char *path, int kind, int info, void *ud)
{
	name_list *x = ud;
	if (kind == KILN_WALK_SKIPPED) return 0;   /* the walker warned */
	if (kind == KILN_WALK_ERROR) { kiln_file_error(path, "%s", strerror(info)); return 0; }
	if (!is_image_name(path)) return 0;   /* as the input walk: notes, .DS_Store, ... */
	if (x->n == x->cap) x->v = kiln_xrealloc(x->v, (x->cap = x->cap ? x->cap * 2 : 256) * sizeof *x->v);
	x->v[x->n++] = kiln_xstrdup(path + x->root_len + 1);
	return 0;
}

/* compare REF TEST: images matched by file name; quality of TEST's colours
 * on REF's opaque pixels (TEST is e.g. pngquant or convert -remap output). */
int cmd_compare(tool_opts *o)
{
	if (o->ninputs != 2) kiln_usage_error("compare: expected REF_DIR TEST_DIR");
	size_t failed = 0;
	spr_quality q;
	spr_quality_init(&q);
	/* Names are relative to REF: its length without trailing slashes, as
	 * the walk joins REF and a name with one slash. */
	size_t rl = kiln_path_len_trimmed(o->inputs[0]);
	name_list c = { NULL, 0, 0, rl };
	if (!kiln_is_dir(o->inputs[0]) || !kiln_is_dir(o->inputs[1])) kiln_usage_error("compare: REF and TEST must be folders");
	kiln_walk((const char *const *)&o->inputs[0], 1, collect_name, &c);
	char **names = c.v;
	size_t n = c.n;
	if (n == 0) kiln_die(KILN_EXIT_FAIL, "%s: no images in this folder (.png .gif .bmp .webp .jpg .tga)", o->inputs[0]);
	for (size_t i = 0; i < n; i++) {
		char *rp = kiln_xmalloc(strlen(o->inputs[0]) + strlen(names[i]) + 2);
		char *tp = kiln_xmalloc(strlen(o->inputs[1]) + strlen(names[i]) + 2);
		sprintf(rp, "%s/%s", o->inputs[0], names[i]);
		sprintf(tp, "%s/%s", o->inputs[1], names[i]);
		spr_image ri = { 0 }, ti = { 0 };
		spr_error err;
		size_t rl, tl;
		uint8_t *rd = kiln_read_file(rp, 64ull << 20, &rl), *td = kiln_read_file(tp, 64ull << 20, &tl);
		if (!rd || !td) { kiln_file_error(rd ? tp : rp, "%s", strerror(errno)); failed++; }
		else if (spr_decode(rd, rl, rp, o->max_dim, &ri, &err)) { kiln_file_error(rp, "%s", err.msg); failed++; }
		else if (spr_decode(td, tl, tp, o->max_dim, &ti, &err)) { kiln_file_error(tp, "%s", err.msg); failed++; }
		else if (ri.w != ti.w || ri.h != ti.h) { kiln_file_error(tp, "size %ux%u differs from %ux%u", ti.w, ti.h, ri.w, ri.h); failed++; }
		else {
			spr_quality one;
			spr_quality_init(&one);
			spr_quality_add_rgb(&one, ri.rgba, ti.rgba, ri.w, ri.h, o->fit.alpha_threshold);
			spr_quality_merge(&q, &one);
		}
		free(rd); free(td); free(rp); free(tp);
		spr_image_free(&ri);
		spr_image_free(&ti);
		free(names[i]);
	}
	free(names);
	if (o->json) {
		kiln_json j;
		kiln_json_init(&j, stdout, 0);
		kiln_json_obj_begin(&j, NULL);
		kiln_json_str(&j, "command", "compare");
		kiln_json_u64(&j, "files", n);
		kiln_json_u64(&j, "failed_files", failed);
		json_quality(&j, "quality", &q);
		kiln_json_obj_end(&j);
		kiln_json_end_line(&j);
	} else if (!kiln_quiet()) {
		printf("compare: %zu files (%zu failed)\n", n, failed);
		printf("%-9s %7llu sprites  PSNR mean %.2f dB (pooled %.2f)  dE(x100) %.3f\n", "test",
		       (unsigned long long)q.images, spr_quality_psnr_mean(&q), spr_quality_psnr_pooled(&q), spr_quality_delta_e(&q));
	}
	return failed || n == 0 ? KILN_EXIT_FAIL : KILN_EXIT_OK;
}
