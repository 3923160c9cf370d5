/*
 * train_sample.c - `kiln-train sample CHECKPOINT`: prompts from the command
 * line, a file or a dataset; k samples each through the KV-cache sampler;
 * files out. Byte models write bytes (or ids decoded by `kiln-bpe decode`,
 * then checked by `kiln-swf validate`); sprite models write grids, a sprite
 * dataset and PNGs through `kiln-sprites render`, when those tools exist.
 */
#define _GNU_SOURCE   /* vasprintf */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "shard.h"
#include "train_tool.h"

typedef struct prompt {
	uint32_t *ids;
	size_t n;
	uint32_t *parent;   /* breeding: parent A's grid (width*height ids) */
	uint64_t a, b;      /* breeding: record indices */
} prompt;

typedef struct plist {
	prompt *p;
	size_t n, cap;
} plist;

static void add_prompt(plist *l, uint32_t *ids, size_t n)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 16;
		l->p = kiln_xrealloc(l->p, l->cap * sizeof *l->p);
	}
	prompt p = { ids, n, NULL, 0, 0 };
	l->p[l->n++] = p;
}

/* "3 17,42" -> BOS 3 17 42. Returns the count, or -1 on a bad number. */
static long parse_ids(const char *s, uint32_t bos, uint32_t vocab, uint32_t **out)
{
	size_t cap = 16, n = 0;
	uint32_t *ids = kiln_xmalloc(cap * sizeof *ids);
	ids[n++] = bos;
	char *dup = kiln_xstrdup(s), *save = NULL;
	for (char *tok = strtok_r(dup, " ,\t\r\n", &save); tok; tok = strtok_r(NULL, " ,\t\r\n", &save)) {
		uint64_t v;
		if (kiln_parse_u64(tok, 0, vocab - 1, &v)) {
			free(dup);
			free(ids);
			return -1;
		}
		if (n == cap)
			ids = kiln_xrealloc(ids, (cap *= 2) * sizeof *ids);
		ids[n++] = (uint32_t)v;
	}
	free(dup);
	*out = ids;
	return (long)n;
}

static void write_ids(const char *path, const uint32_t *ids, size_t n)
{
	FILE *f = fopen(path, "w");
	if (!f)
		kiln_die(KILN_EXIT_FAIL, "%s: %s", path, strerror(errno));
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%u\n", ids[i]);
	if (fclose(f))
		kiln_die(KILN_EXIT_FAIL, "%s: %s", path, strerror(errno));
}

static char *fmt(const char *f, ...) KILN_PRINTF(1, 2);
static char *fmt(const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	char *s;
	if (vasprintf(&s, f, ap) < 0)
		kiln_die(KILN_EXIT_FAIL, "out of memory");
	va_end(ap);
	return s;
}

/* Text prompts, one per line: bytes are the ids of a byte model; with
 * --vocab each line is encoded by `kiln-bpe encode --ids` (tool-level
 * composition: the trainer never links the tokenizer). */
static void read_text_prompts(const tool_opts *o, const trn_data_info *info, plist *pl)
{
	FILE *f = fopen(o->text_prompts, "r");
	if (!f)
		kiln_die(KILN_EXIT_FAIL, "%s: %s", o->text_prompts, strerror(errno));
	char *bpe = NULL, *dir = NULL;
	if (o->vocab) {
		if (o->no_tools || !(bpe = tool_find("kiln-bpe")))
			kiln_die(KILN_EXIT_FAIL, "%s: text prompts with --vocab need kiln-bpe", o->text_prompts);
		const char *t = getenv("TMPDIR");
		dir = fmt("%s/kiln-train-XXXXXX", t && *t ? t : "/tmp");
		if (!mkdtemp(dir))
			kiln_die(KILN_EXIT_FAIL, "%s: %s", dir, strerror(errno));
		kiln_cleanup_add(dir);
	} else if (info->vocab > 256) {
		kiln_die(KILN_EXIT_FAIL, "%s: this model's ids are not bytes: give its BPE vocabulary with --vocab",
		         o->text_prompts);
	}
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	long lineno = 0;
	while ((len = getline(&line, &cap, f)) > 0) {
		lineno++;
		if (line[len - 1] == '\n')
			line[--len] = 0;
		uint32_t *ids = kiln_xmalloc(((size_t)len + 1) * sizeof *ids);
		size_t n = 0;
		ids[n++] = info->bos;
		if (!bpe) {
			/* below 256 ids (a sprite or small token model) some bytes are
			 * not data ids: the model's BOS/EOS or past its vocabulary */
			for (ssize_t i = 0; i < len; i++)
				if ((unsigned char)line[i] >= info->vocab)
					kiln_die(KILN_EXIT_FAIL, "%s:%ld: byte %u at column %zd is not an id of this model "
					         "(ids below %u)", o->text_prompts, lineno, (unsigned char)line[i], i + 1, info->vocab);
			for (ssize_t i = 0; i < len; i++)
				ids[n++] = (unsigned char)line[i];
		} else {
			char *in = fmt("%s/prompt.txt", dir), *out = fmt("%s/prompt.ids", dir), off[32];
			FILE *pf = fopen(in, "wb");
			if (!pf || fwrite(line, 1, (size_t)len, pf) != (size_t)len || fclose(pf))
				kiln_die(KILN_EXIT_FAIL, "%s: %s", in, strerror(errno));
			snprintf(off, sizeof off, "%lld", (long long)o->id_offset);
			char *argv[] = { bpe, "encode", "-q", "--ids", "-v", (char *)o->vocab, "--id-offset", off, "-o", out, in, NULL };
			if (tool_spawn(argv, NULL) != 0)
				kiln_die(KILN_EXIT_FAIL, "%s:%ld: kiln-bpe encode failed", o->text_prompts, lineno);
			FILE *idf = fopen(out, "r");
			if (!idf)
				kiln_die(KILN_EXIT_FAIL, "%s: %s", out, strerror(errno));
			unsigned long v;
			while (fscanf(idf, "%lu", &v) == 1) {
				if (v >= info->vocab)
					kiln_die(KILN_EXIT_FAIL, "%s:%ld: kiln-bpe gave id %lu, outside this model's %u", o->text_prompts,
					         lineno, v, info->vocab);
				/* BPE ids can outnumber the bytes of the line: grow as needed */
				ids = kiln_xrealloc(ids, (n + 1) * sizeof *ids);
				ids[n++] = (uint32_t)v;
			}
			fclose(idf);
			free(in);
			free(out);
		}
		add_prompt(pl, ids, n);
	}
	free(line);
	fclose(f);
	if (dir) {
		kiln_rmtree(dir);
		kiln_cleanup_remove(dir);
	}
	free(dir);
	free(bpe);
}

/* One sample's --json line. Paths are as the user will find them (under
 * --out, not the temporary folder): file is the sample's main output (the
 * decoded file; a sprite's PNG, else its grid; else the id list), ids the id
 * list, grid a sprite's grid, report kiln-swf validate's report. */
typedef struct sample_rec {
	size_t prompt, prompt_ids, ids, invalid;
	int64_t sample;
	int parent, ok;   /* ok: swf_valid, -1 = not checked */
	uint64_t a, b;
	char *file, *ids_file, *grid, *report;
} sample_rec;

static void print_sample(const sample_rec *r)
{
	kiln_json j;
	kiln_json_init(&j, stdout, 0);
	kiln_json_obj_begin(&j, NULL);
	kiln_json_u64(&j, "prompt", r->prompt);
	kiln_json_u64(&j, "sample", (uint64_t)r->sample);
	kiln_json_u64(&j, "prompt_ids", r->prompt_ids);
	kiln_json_u64(&j, "ids", r->ids);
	kiln_json_u64(&j, "invalid_ids", r->invalid);
	if (r->parent) {
		kiln_json_u64(&j, "parent_a", r->a);
		kiln_json_u64(&j, "parent_b", r->b);
	}
	kiln_json_str(&j, "file", r->file ? r->file : r->grid ? r->grid : r->ids_file);
	kiln_json_str(&j, "ids_file", r->ids_file);
	if (r->grid)
		kiln_json_str(&j, "grid", r->grid);
	if (r->report)
		kiln_json_str(&j, "report", r->report);
	if (r->ok >= 0)
		kiln_json_bool(&j, "swf_valid", r->ok);
	kiln_json_obj_end(&j);
	kiln_json_end_line(&j);
}

static void sample_rec_free(sample_rec *r)
{
	free(r->file);
	free(r->ids_file);
	free(r->grid);
	free(r->report);
}

/* The name under --out of a file written in the temporary folder. */
static char *under_out(const tool_opts *o, const char *tmp_path)
{
	return fmt("%s/%s", o->out, strrchr(tmp_path, '/') + 1);
}

/* The PNGs kiln-sprites render wrote into dir, by record: it names record
 * i "NNNNNN-ZONE-CATEGORY.png" with NNNNNN = i. Returns n names (NULL where
 * none was written; the caller frees each and the array). */
static char **rendered_pngs(const char *dir, size_t n)
{
	char **names = kiln_xcalloc(n ? n : 1, sizeof *names);
	DIR *d = opendir(dir);
	if (!d)
		return names;
	struct dirent *e;
	while ((e = readdir(d))) {
		char *end;
		size_t len = strlen(e->d_name);
		if (len < 11 || strcmp(e->d_name + len - 4, ".png") || !isdigit((unsigned char)e->d_name[0]))
			continue;
		errno = 0;
		unsigned long long i = strtoull(e->d_name, &end, 10);
		if (errno || *end != '-' || i >= n || names[i])
			continue;
		names[i] = kiln_xstrdup(e->d_name);
	}
	closedir(d);
	return names;
}

int cmd_sample(const tool_opts *o, const char *given)
{
	trn_ckpt *k;
	trn_error err;
	char *ckpt_path = ckpt_path_of(o, given, 1);
	int rc = trn_ckpt_read(ckpt_path, &k, &err);
	if (rc) {
		kiln_error("%s", err.msg);
		free(ckpt_path);
		return trn_exit_code(rc);
	}
	const trn_config *c = trn_ckpt_config(k);
	trn_data_info info = trn_ckpt_state_of(k)->info;
	int sprites = info.kind == SHARD_SPRITES;
	uint32_t V = (uint32_t)c->model.vocab;
	if ((info.kind != SHARD_TOKENS && !sprites) || info.bos >= V || info.eos >= V || info.vocab > V ||
	    (sprites && (uint64_t)info.width * info.height + info.channels + 2 > (uint64_t)c->model.ctx + 1))
		kiln_die(KILN_EXIT_FAIL, "%s: the dataset facts at byte 128 do not fit its model", ckpt_path);
	trn_model *m;
	if ((rc = trn_model_create(&c->model, &m, &err)) || (rc = trn_ckpt_load(k, m, NULL, &err)))
		kiln_die(trn_exit_code(rc), "%s: %s", ckpt_path, err.msg);
	if (o->breed && (!sprites || !o->from))
		kiln_usage_error("--breed needs a sprite model and --from DATASET");

	/* ---- prompts ---- */
	plist pl = { 0 };
	trn_data *from = NULL;
	uint32_t *ids;
	long n;
	if (o->prompt) {
		if ((n = parse_ids(o->prompt, info.bos, info.vocab, &ids)) < 0)
			kiln_usage_error("--prompt: ids are numbers below %u", info.vocab);
		add_prompt(&pl, ids, (size_t)n);
	}
	if (o->prompts) {
		FILE *f = fopen(o->prompts, "r");
		if (!f)
			kiln_die(KILN_EXIT_FAIL, "%s: %s", o->prompts, strerror(errno));
		char *line = NULL;
		size_t cap = 0;
		long lineno = 0;
		while (getline(&line, &cap, f) > 0) {
			lineno++;
			if ((n = parse_ids(line, info.bos, info.vocab, &ids)) < 0)
				kiln_die(KILN_EXIT_FAIL, "%s:%ld: ids are numbers below %u", o->prompts, lineno, info.vocab);
			add_prompt(&pl, ids, (size_t)n);
		}
		free(line);
		fclose(f);
	}
	if (o->text_prompts)
		read_text_prompts(o, &info, &pl);
	if (o->from) {
		if ((rc = trn_data_open(o->from, 0, 0, &from, &err)))
			kiln_die(trn_exit_code(rc), "%s", err.msg);
		trn_data_info fi;
		trn_data_get_info(from, &fi);
		if (memcmp(&fi, &info, sizeof fi))
			kiln_die(KILN_EXIT_FAIL, "%s: not the kind of data this model was trained on (kind, vocabulary, "
			         "grid or fingerprint differ)", o->from);
		size_t cap = (size_t)c->model.ctx + 2, len, np;
		uint32_t *doc = kiln_xmalloc(cap * sizeof *doc);
		if (o->breed) {
			uint64_t a, b;
			char *comma = strchr(o->breed, ',');
			if (!comma)
				kiln_usage_error("--breed A,B: two record numbers");
			*comma = 0;
			if (kiln_parse_u64(o->breed, 0, trn_data_docs(from) - 1, &a) ||
			    kiln_parse_u64(comma + 1, 0, trn_data_docs(from) - 1, &b))
				kiln_usage_error("--breed: records are numbers below %llu", (unsigned long long)trn_data_docs(from));
			*comma = ',';
			if ((rc = trn_data_doc(from, b, doc, cap, &len, &np, &err)))
				kiln_die(trn_exit_code(rc), "%s", err.msg);
			ids = kiln_xmalloc(np * sizeof *ids);
			memcpy(ids, doc, np * sizeof *ids);   /* BOS + parent B's conditioning */
			add_prompt(&pl, ids, np);
			if ((rc = trn_data_doc(from, a, doc, cap, &len, &np, &err)))
				kiln_die(trn_exit_code(rc), "%s", err.msg);
			prompt *p = &pl.p[pl.n - 1];
			p->parent = kiln_xmalloc((size_t)info.width * info.height * sizeof(uint32_t));
			memcpy(p->parent, doc + np, (size_t)info.width * info.height * sizeof(uint32_t));
			p->a = a;
			p->b = b;
		} else {
			for (uint64_t i = 0; i < (uint64_t)o->count && i < trn_data_docs(from); i++) {
				if ((rc = trn_data_doc(from, i, doc, cap, &len, &np, &err)))
					kiln_die(trn_exit_code(rc), "%s", err.msg);
				if (np > cap)
					kiln_die(KILN_EXIT_FAIL, "%s: record %llu's prompt does not fit the context", o->from,
					         (unsigned long long)i);
				ids = kiln_xmalloc(np * sizeof *ids);
				memcpy(ids, doc, np * sizeof *ids);
				add_prompt(&pl, ids, np);
			}
		}
		free(doc);
	}
	if (pl.n == 0) {   /* unconditional: BOS alone */
		ids = kiln_xmalloc(sizeof *ids);
		ids[0] = info.bos;
		add_prompt(&pl, ids, 1);
	}
	size_t grid = (size_t)info.width * info.height;
	for (size_t i = 0; i < pl.n; i++) {
		if (sprites && pl.p[i].n != 1 + info.channels)
			kiln_die(KILN_EXIT_FAIL, "prompt %zu has %zu conditioning ids; this sprite model takes %u", i + 1,
			         pl.p[i].n - 1, info.channels);
		if (pl.p[i].n > (size_t)c->model.ctx)
			kiln_die(KILN_EXIT_FAIL, "prompt %zu (%zu ids) is longer than the context %d", i + 1, pl.p[i].n,
			         c->model.ctx);
	}

	/* ---- output folder (atomic) ---- */
	const char *tmp = kiln_outdir_begin(o->out, 0);
	if (!tmp && errno == EEXIST)   /* no --force here: samples are never replaced */
		kiln_die(KILN_EXIT_FAIL, "%s: exists (sample writes a new folder: name another with -o, or remove it)", o->out);
	if (!tmp)
		kiln_die(KILN_EXIT_FAIL, "%s: %s", o->out, strerror(errno));
	char *bpe = NULL, *swf = NULL, *spr = NULL;
	if (!o->no_tools) {
		bpe = o->vocab ? tool_find("kiln-bpe") : NULL;
		swf = !strcmp(o->ext, "swf") ? tool_find("kiln-swf") : NULL;
		spr = sprites ? tool_find("kiln-sprites") : NULL;
	}
	if (o->vocab && !bpe && !o->no_tools)
		kiln_warn("kiln-bpe not found: writing ids only (decode later with kiln-bpe decode -v %s)", o->vocab);
	shard_writer *sw = NULL;
	shard_error se;
	char *meta = NULL;   /* must outlive the writer (shard.h) */
	if (sprites) {
		shard_spec sp;
		shard_spec_init(&sp, SHARD_SPRITES);
		sp.vocab_size = info.vocab;
		sp.elem_size = info.elem_size;
		sp.bos_id = info.bos < info.vocab ? info.bos : SHARD_NO_TOKEN;
		sp.eos_id = info.eos < info.vocab ? info.eos : SHARD_NO_TOKEN;
		sp.width = info.width;
		sp.height = info.height;
		sp.channels = info.channels;
		memcpy(sp.fingerprint, info.fingerprint, 32);
		/* the palette lives in the source dataset's metadata: carry it over */
		shard_dataset *ds = NULL;
		const char *mp = o->from ? o->from : c->data;
		if (shard_dataset_open(mp, &ds, &se) == 0) {
			size_t ml;
			const char *mj = shard_dataset_meta(ds, &ml);
			if (mj && ml && mj[0] == '{') {
				meta = kiln_xmalloc(ml + 1);
				memcpy(meta, mj, ml);
				meta[ml] = 0;
			}
			shard_dataset_close(ds);
		}
		char *dir = fmt("%s/sprites", tmp);
		if (kiln_mkdirs(dir))
			kiln_die(KILN_EXIT_FAIL, "%s: %s", dir, strerror(errno));
		shard_writer_opts wo = { 0, meta };
		if (shard_writer_create(dir, &sp, &wo, &sw, &se))
			kiln_die(KILN_EXIT_FAIL, "%s", se.msg);
		free(dir);
	}

	/* ---- generate ---- */
	trn_sampler *s;
	if ((rc = trn_sampler_create(m, &s, &err)))
		kiln_die(trn_exit_code(rc), "%s", err.msg);
	trn_sample_opts so = { (float)o->temperature, (int)o->top_k, (float)o->top_p, (float)o->min_p };
	uint32_t *out = kiln_xmalloc(((size_t)c->model.ctx + 1) * sizeof *out);
	uint32_t *forced = sprites ? kiln_xmalloc((grid + 1) * sizeof *forced) : NULL;
	kiln_progress *prog = kiln_progress_start("sample", pl.n * (uint64_t)o->samples, "samples");
	size_t written = 0, valid = 0, checked = 0;
	/* sprites print their lines after kiln-sprites render, to name the PNGs */
	size_t nrec = pl.n * (size_t)o->samples;
	sample_rec *recs = o->json && sprites ? kiln_xcalloc(nrec, sizeof *recs) : NULL;
	for (size_t pi = 0; pi < pl.n; pi++) {
		prompt *p = &pl.p[pi];
		for (int64_t si = 0; si < o->samples; si++) {
			uint64_t rng = kiln_mix64(o->seed, pi * 1000003ull + (uint64_t)si);
			size_t max_new = (size_t)c->model.ctx + 1 - p->n, got;
			if (o->max_new && (size_t)o->max_new < max_new)
				max_new = (size_t)o->max_new;
			const uint32_t *fp = NULL;
			uint32_t stop = info.eos;
			if (sprites) {
				/* exactly one grid; breeding keeps parent A's pixels outside the mask */
				max_new = grid;
				stop = TRN_FREE;
				for (size_t i = 0; i < grid; i++)
					forced[i] = p->parent && kiln_unit(rng ^ 0x6d61736bull, i) >= o->mask ? p->parent[i] : TRN_FREE;
				fp = p->parent ? forced : NULL;
			}
			if ((rc = trn_generate(s, p->ids, p->n, fp, max_new, stop, &so, &rng, out, &got, &err)))
				kiln_die(trn_exit_code(rc), "%s", err.msg);
			size_t len = got;
			if (!sprites && len && out[len - 1] == info.eos)
				len--;   /* the stop token is not part of the file */
			char *stem = fmt("%s/sample-%04zu-%02lld", tmp, pi + 1, (long long)si + 1);
			char *ids_path = fmt("%s.ids", stem), *file = NULL;
			size_t invalid = 0;
			for (size_t i = 0; i < len; i++)
				if (out[i] >= info.vocab) {   /* BOS/EOS the loader appended: not data */
					out[i] = 0;
					invalid++;
				}
			write_ids(ids_path, out, len);
			int ok = -1;
			char *gp = NULL, *rep = NULL;
			if (sprites) {
				gp = fmt("%s.grid", stem);
				FILE *g = fopen(gp, "w");
				if (!g)
					kiln_die(KILN_EXIT_FAIL, "%s: %s", gp, strerror(errno));
				for (uint32_t y = 0; y < info.height; y++)
					for (uint32_t x = 0; x < info.width; x++)
						fprintf(g, "%u%c", out[y * info.width + x], x + 1 == info.width ? '\n' : ' ');
				if (fclose(g))
					kiln_die(KILN_EXIT_FAIL, "%s: %s", gp, strerror(errno));
				if (shard_writer_add_u32(sw, p->ids + 1, info.channels, out, grid, pi, &se))
					kiln_die(KILN_EXIT_FAIL, "%s", se.msg);
			} else if (bpe) {
				file = fmt("%s.%s", stem, o->ext);
				char off[32];
				snprintf(off, sizeof off, "%lld", (long long)o->id_offset);
				char *argv[] = { bpe, "decode", "-v", (char *)o->vocab, "--id-offset", off, "-o", file, ids_path, NULL };
				if (tool_spawn(argv, NULL) != 0)
					kiln_die(KILN_EXIT_FAIL, "%s: kiln-bpe decode failed", ids_path);
			} else if (info.vocab <= 256 && !o->vocab) {
				/* a byte model: ids are the bytes */
				file = fmt("%s.%s", stem, o->ext);
				FILE *f = fopen(file, "wb");
				if (!f)
					kiln_die(KILN_EXIT_FAIL, "%s: %s", file, strerror(errno));
				for (size_t i = 0; i < len; i++)
					fputc((int)out[i], f);
				if (fclose(f))
					kiln_die(KILN_EXIT_FAIL, "%s: %s", file, strerror(errno));
			}
			if (file && swf) {
				/* run in the sample folder, so the report names the file as it
				 * sits beside it, not under the temporary folder's name */
				rep = fmt("%s.validate.json", stem);
				char *argv[] = { swf, "validate", "--json", strrchr(file, '/') + 1, NULL };
				int st = tool_spawn_in(argv, rep, tmp);
				if (st >= 0) {
					ok = st == 0;
					valid += ok;
					checked++;
				}
			}
			if (o->json) {
				/* the same names under --out, where the user finds them */
				sample_rec r = { pi + 1, p->n - 1, len, invalid, si + 1, p->parent != NULL, ok, p->a, p->b,
				                 file ? under_out(o, file) : NULL, under_out(o, ids_path),
				                 gp ? under_out(o, gp) : NULL, rep && ok >= 0 ? under_out(o, rep) : NULL };
				if (recs) {
					recs[written] = r;
				} else {
					print_sample(&r);
					sample_rec_free(&r);
				}
			}
			free(stem);
			free(ids_path);
			free(file);
			free(gp);
			free(rep);
			written++;
			kiln_progress_update(prog, written);
		}
	}
	kiln_progress_end(prog);
	if (sw && shard_writer_close(sw, &se))
		kiln_die(KILN_EXIT_FAIL, "%s", se.msg);
	free(meta);
	char **pngs = NULL;
	if (spr) {
		char *ds = fmt("%s/sprites", tmp), *png = fmt("%s/png", tmp);
		char *argv[] = { spr, "render", ds, "-o", png, "--quiet", NULL };
		int st = tool_spawn(argv, "/dev/null");
		if (st != 0 && !o->quiet)
			kiln_warn("kiln-sprites render did not finish (status %d): grids and the sprite dataset are written",
			          st);
		/* sample k is record k of sprites/, so PNG k is its picture */
		if (recs && st == 0)
			pngs = rendered_pngs(png, nrec);
		free(ds);
		free(png);
	}
	for (size_t i = 0; recs && i < written; i++) {
		if (pngs && pngs[i])
			recs[i].file = fmt("%s/png/%s", o->out, pngs[i]);
		print_sample(&recs[i]);
		sample_rec_free(&recs[i]);
		if (pngs)
			free(pngs[i]);
	}
	free(pngs);
	free(recs);
	if (kiln_outdir_commit(tmp, o->out, 0))
		kiln_die(KILN_EXIT_FAIL, "%s: %s", o->out, strerror(errno));
	if (!o->quiet && !o->json) {
		char v[80] = "";
		if (checked)
			snprintf(v, sizeof v, " (kiln-swf validate: %zu of %zu valid)", valid, checked);
		kiln_note("wrote %zu sample%s to %s%s", written, written == 1 ? "" : "s", o->out, v);
	}
	for (size_t i = 0; i < pl.n; i++) {
		free(pl.p[i].ids);
		free(pl.p[i].parent);
	}
	free(pl.p);
	free(out);
	free(forced);
	free(bpe);
	free(swf);
	free(spr);
	trn_sampler_free(s);
	trn_data_close(from);
	trn_model_free(m);
	trn_ckpt_free(k);
	free(ckpt_path);
	return KILN_EXIT_OK;
}
