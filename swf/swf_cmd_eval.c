/*
 * swf_cmd_eval.c - kiln-swf eval: ByteCraft's evaluation of generated files
 * (Table 1 of the paper), the same way every time. Per sampling setting: the
 * shares of broken ("fully broken": header or metadata do not parse),
 * damaged and ok files and of each spec note; the mean over files of the
 * maximum Jaro-Winkler similarity to any training file; the mean
 * Jaro-Winkler similarity to the true file of the prompt. Output: text,
 * JSON, a Markdown table in the paper's layout, per-file JSON lines.
 */
#include "swf_cmd.h"
#include "swf_jaro.h"
#include "shard.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#ifdef _OPENMP
#include <omp.h>
#endif

/* One generated file after judging. */
typedef struct gen_file {
	char *path;
	uint8_t *bytes;          /* what is compared (FWS form when it parses) */
	size_t n;
	int verdict, reason;
	uint64_t offset;
	unsigned notes;          /* bit k set: note kind k occurred */
	double max_sim, truth_sim;   /* truth_sim < 0: no true file */
	size_t best_index;
	uint64_t exact;
	int unreadable;          /* reported; no verdict, left out of the setting */
} gen_file;

typedef struct setting {
	char *label;
	gen_file *files;
	size_t n;
} setting;

typedef struct eval_opts {
	const char *train, *truth, *markdown, *per_file;
	int json, raw, threads;
	uint64_t max_size;
} eval_opts;

static void eval_usage(FILE *out)
{
	fprintf(out,
	        "Usage: kiln-swf eval --train DATASET [OPTIONS] [LABEL=]DIR|FILE...\n"
	        "Judge generated SWF files as ByteCraft's Table 1 does: verdict shares, spec\n"
	        "notes, max Jaro-Winkler similarity to the training set, similarity to the\n"
	        "true file. Each DIR (its *.swf files, recursively) or FILE is one sampling\n"
	        "setting: a column of the table.\n"
	        "\n"
	        "Options:\n"
	        "      --train DATASET   training dataset (token documents, vocab 256: kiln-swf ingest)\n"
	        "      --truth DIR       true files: generated P.swf, P-sN.swf or P-N.swf is compared\n"
	        "                        with DIR/P.swf (the first of those names that exists)\n"
	        "      --raw             compare the bytes as generated (default: the FWS form when\n"
	        "                        a file's header parses, matching ingest's default)\n"
	        "      --markdown FILE   write the Table-1 Markdown table to FILE ('-' = stdout)\n"
	        "      --per-file FILE   one JSON line per generated file to FILE\n"
	        "      --max-size SIZE   cap on decompressed bytes per file (default 256M)\n"
	        "  -t, --threads N       worker threads (default: all cores)\n"
	        "  -j, --json            one JSON object on stdout instead of text\n"
	        "  -q, --quiet           no progress line\n"
	        "  -h, --help            this help\n"
	        "\n"
	        "Exit status: 0 success, 1 failure (unreadable input), 2 usage error.\n");
}

/* ---- inputs -------------------------------------------------------------- */

static int has_swf_ext(const char *p)
{
	size_t n = strlen(p);
	return n >= 4 && !strcasecmp(p + n - 4, ".swf");
}

/* The bytes to compare: the FWS form when the header parses (unless --raw),
 * else the file as it is. Fills the verdict fields. */
static int load_and_judge(const char *path, const eval_opts *o, uint8_t **out, size_t *out_n, gen_file *g)
{
	size_t n;
	uint8_t *raw = kiln_read_file(path, o->max_size, &n);
	if (!raw) {
		kiln_file_error(path, "%s", errno == EFBIG ? "file larger than --max-size" : strerror(errno));
		return -1;
	}
	swf_opts so = { o->max_size, 0, !o->raw };
	swf_file *f;
	if (swf_parse(raw, n, &so, &f)) { free(raw); kiln_file_error(path, "out of memory"); return -1; }
	const swf_info *i = swf_file_info(f);
	if (g) {
		g->verdict = i->verdict;
		g->reason = i->reason;
		g->offset = i->offset;
		for (size_t k = 0; k < i->n_notes; k++) g->notes |= 1u << i->notes[k].kind;
	}
	size_t dn = 0;
	const uint8_t *d = o->raw ? NULL : swf_file_data(f, &dn);
	if (d) {
		uint8_t *copy = kiln_xmalloc(dn ? dn : 1);
		memcpy(copy, d, dn);
		free(raw);
		*out = copy;
		*out_n = dn;
	} else {
		*out = raw;
		*out_n = n;
	}
	swf_file_free(f);
	return 0;
}

/* The true file of a generated file in dir: the first that exists of the
 * same name, the name without a "-sN" sample suffix ("P-s3.swf" -> P.swf)
 * and the name without a "-N" suffix (kiln-train's "sample-0007-02.swf" ->
 * "sample-0007.swf"). NULL if none exists. */
static char *truth_path(const char *dir, const char *gen)
{
	const char *base = strrchr(gen, '/');
	base = base ? base + 1 : gen;
	size_t len = strlen(base);
	if (len > 4 && !strcmp(base + len - 4, ".swf")) len -= 4;
	size_t k = len;
	while (k > 0 && base[k - 1] >= '0' && base[k - 1] <= '9') k--;
	size_t cand[3] = { len, len, len };
	if (k < len && k >= 2 && base[k - 1] == 's' && base[k - 2] == '-') cand[1] = k - 2;
	if (k < len && k >= 1 && base[k - 1] == '-') cand[2] = k - 1;
	char *p = kiln_xmalloc(strlen(dir) + len + 8);
	for (int c = 0; c < 3; c++) {
		struct stat st;
		sprintf(p, "%s/%.*s.swf", dir, (int)cand[c], base);
		if (stat(p, &st) == 0 && S_ISREG(st.st_mode)) return p;
	}
	free(p);
	return NULL;
}

/* ---- output -------------------------------------------------------------- */

static double share(size_t k, size_t n) { return n ? (double)k / n : 0.0; }

/* A share or mean over no files has no value: "–" in tables, null in JSON,
 * where 0 would read as a measured result. */
static void md_share(FILE *fp, size_t k, size_t n)
{
	if (n) fprintf(fp, " %.1f%% |", 100 * share(k, n));
	else fprintf(fp, " – |");
}

static void json_share(kiln_json *j, const char *key, size_t k, size_t n)
{
	if (n) kiln_json_double(j, key, share(k, n));
	else kiln_json_null(j, key);
}

typedef struct summary {
	size_t n, verdict[3], note[SWF_N__COUNT], with_truth;
	double max_sim, truth_sim;
	uint64_t exact, pairs;
} summary;

static summary summarise(const setting *s, size_t ntrain)
{
	summary m;
	memset(&m, 0, sizeof m);
	m.n = s->n;
	for (size_t i = 0; i < s->n; i++) {
		const gen_file *g = &s->files[i];
		m.verdict[g->verdict]++;
		for (int k = 0; k < SWF_N__COUNT; k++) m.note[k] += (g->notes >> k) & 1;
		m.max_sim += g->max_sim;
		if (g->truth_sim >= 0) { m.truth_sim += g->truth_sim; m.with_truth++; }
		m.exact += g->exact;
	}
	m.pairs = (uint64_t)s->n * ntrain;
	if (s->n) m.max_sim /= s->n;
	if (m.with_truth) m.truth_sim /= m.with_truth;
	return m;
}

static void write_markdown(FILE *fp, const setting *set, const summary *sm, size_t ns, int have_truth)
{
	fprintf(fp, "| Classification |");
	for (size_t s = 0; s < ns; s++) fprintf(fp, " %s |", set[s].label);
	fprintf(fp, "\n|---|");
	for (size_t s = 0; s < ns; s++) fprintf(fp, "---:|");
	fprintf(fp, "\n| Files |");
	for (size_t s = 0; s < ns; s++) fprintf(fp, " %zu |", sm[s].n);
	static const char *vrow[3] = { "OK (header and tags parse)", "Damaged (tag stream)", "Fully broken (wrong format)" };
	for (int v = 2; v >= 0; v--) {
		fprintf(fp, "\n| %s |", vrow[v]);
		for (size_t s = 0; s < ns; s++) md_share(fp, sm[s].verdict[v], sm[s].n);
	}
	for (int k = 0; k < SWF_N__COUNT; k++) {
		size_t any = 0;
		for (size_t s = 0; s < ns; s++) any += sm[s].note[k];
		if (!any) continue;
		fprintf(fp, "\n| note: %s |", swf_note_name(k));
		for (size_t s = 0; s < ns; s++) md_share(fp, sm[s].note[k], sm[s].n);
	}
	fprintf(fp, "\n| Max similarity |");
	for (size_t s = 0; s < ns; s++) {
		if (sm[s].n) fprintf(fp, " %.3f |", sm[s].max_sim);
		else fprintf(fp, " – |");
	}
	if (have_truth) {
		fprintf(fp, "\n| Truth similarity |");
		for (size_t s = 0; s < ns; s++) {
			if (sm[s].with_truth) fprintf(fp, " %.3f |", sm[s].truth_sim);
			else fprintf(fp, " – |");
		}
	}
	fprintf(fp, "\n");
}

static void write_json(FILE *fp, const eval_opts *o, const setting *set, const summary *sm, size_t ns, size_t ntrain)
{
	kiln_json j;
	kiln_json_init(&j, fp, 0);
	kiln_json_obj_begin(&j, NULL);
	kiln_json_str(&j, "train", o->train);
	kiln_json_u64(&j, "train_files", ntrain);
	kiln_json_str(&j, "compare", o->raw ? "raw" : "fws");
	kiln_json_str(&j, "similarity", "jaro-winkler (window max/2-1, prefix 4, p 0.1, boost above 0.7)");
	kiln_json_arr_begin(&j, "settings");
	for (size_t s = 0; s < ns; s++) {
		const summary *m = &sm[s];
		kiln_json_obj_begin(&j, NULL);
		kiln_json_str(&j, "label", set[s].label);
		kiln_json_u64(&j, "files", m->n);
		kiln_json_u64(&j, "broken", m->verdict[SWF_VERDICT_BROKEN]);
		kiln_json_u64(&j, "damaged", m->verdict[SWF_VERDICT_DAMAGED]);
		kiln_json_u64(&j, "ok", m->verdict[SWF_VERDICT_OK]);
		json_share(&j, "broken_share", m->verdict[SWF_VERDICT_BROKEN], m->n);
		json_share(&j, "damaged_share", m->verdict[SWF_VERDICT_DAMAGED], m->n);
		json_share(&j, "ok_share", m->verdict[SWF_VERDICT_OK], m->n);
		kiln_json_obj_begin(&j, "notes");
		for (int k = 0; k < SWF_N__COUNT; k++) kiln_json_u64(&j, swf_note_name(k), m->note[k]);
		kiln_json_obj_end(&j);
		if (m->n) kiln_json_double(&j, "max_similarity", m->max_sim);
		else kiln_json_null(&j, "max_similarity");
		if (m->with_truth) kiln_json_double(&j, "truth_similarity", m->truth_sim);
		else kiln_json_null(&j, "truth_similarity");
		kiln_json_u64(&j, "files_with_truth", m->with_truth);
		kiln_json_u64(&j, "pairs", m->pairs);
		kiln_json_u64(&j, "exact_evaluations", m->exact);
		kiln_json_obj_end(&j);
	}
	kiln_json_arr_end(&j);
	kiln_json_obj_end(&j);
	kiln_json_end_line(&j);
}

static void write_per_file(FILE *fp, const setting *set, size_t ns)
{
	kiln_json j;
	kiln_json_init(&j, fp, 0);
	for (size_t s = 0; s < ns; s++) {
		for (size_t i = 0; i < set[s].n; i++) {
			const gen_file *g = &set[s].files[i];
			kiln_json_obj_begin(&j, NULL);
			kiln_json_str(&j, "setting", set[s].label);
			kiln_json_str(&j, "file", g->path);
			kiln_json_str(&j, "verdict", swf_verdict_name(g->verdict));
			/* As validate --json: no reason and no offset for an ok file. */
			kiln_json_str(&j, "reason", g->reason ? swf_reason_name(g->reason) : NULL);
			if (g->reason) kiln_json_u64(&j, "offset", g->offset);
			else kiln_json_null(&j, "offset");
			kiln_json_arr_begin(&j, "notes");
			for (int k = 0; k < SWF_N__COUNT; k++)
				if ((g->notes >> k) & 1) kiln_json_str(&j, NULL, swf_note_name(k));
			kiln_json_arr_end(&j);
			kiln_json_double(&j, "max_similarity", g->max_sim);
			kiln_json_u64(&j, "most_similar_record", g->best_index);
			if (g->truth_sim >= 0) kiln_json_double(&j, "truth_similarity", g->truth_sim);
			else kiln_json_null(&j, "truth_similarity");
			kiln_json_obj_end(&j);
			kiln_json_end_line(&j);
		}
	}
}

/* A generated file that could not be read has no verdict and no
 * similarity; counted, it would read as ok with similarity 0. It was
 * reported and makes the exit status 1, so the setting leaves it out. */
static void drop_unreadable(setting *st)
{
	size_t m = 0;
	for (size_t i = 0; i < st->n; i++) {
		if (st->files[i].unreadable) free(st->files[i].path);
		else st->files[m++] = st->files[i];
	}
	st->n = m;
}

/* ---- main ---------------------------------------------------------------- */

int swf_cmd_eval_main(int argc, char **argv)
{
	enum { O_TRAIN = 300, O_TRUTH, O_RAW, O_MD, O_PERFILE, O_MAXSIZE };
	static const struct option lo[] = {
		{ "train", required_argument, NULL, O_TRAIN },
		{ "truth", required_argument, NULL, O_TRUTH },
		{ "raw", no_argument, NULL, O_RAW },
		{ "markdown", required_argument, NULL, O_MD },
		{ "per-file", required_argument, NULL, O_PERFILE },
		{ "max-size", required_argument, NULL, O_MAXSIZE },
		{ "threads", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	eval_opts o = { 0 };
	o.max_size = SWF_DEFAULT_MAX_SIZE;
	int c;
	optind = 1;
	while ((c = kiln_getopt(argc, argv, "eval", "t:jqh", lo, NULL)) != -1) {
		switch (c) {
		case O_TRAIN: o.train = optarg; break;
		case O_TRUTH: o.truth = optarg; break;
		case O_RAW: o.raw = 1; break;
		case O_MD: o.markdown = optarg; break;
		case O_PERFILE: o.per_file = optarg; break;
		case O_MAXSIZE: o.max_size = kiln_opt_size("--max-size", optarg, 1, UINT32_MAX); break;
		case 't': o.threads = (int)kiln_opt_u64("--threads", optarg, 1, 4096); break;
		case 'j': o.json = 1; break;
		case 'q': kiln_set_quiet(1); break;
		case 'h': eval_usage(stdout); return 0;
		}
	}
	if (!o.train) kiln_usage_error("eval: --train DATASET is required");
	if (optind >= argc) kiln_usage_error("eval: no generated files given");
	if (o.truth && !kiln_is_dir(o.truth)) kiln_die(KILN_EXIT_FAIL, "%s: not a folder", o.truth);
#ifdef _OPENMP
	if (o.threads) omp_set_num_threads(o.threads);
#endif

	/* Training set: the content segment of every record, borrowed from the
	 * mapped shards. */
	shard_dataset *d;
	shard_error se;
	if (shard_dataset_open(o.train, &d, &se)) {
		char eb[1024];
		kiln_die(KILN_EXIT_FAIL, "%s", shard_error_text(&se, eb, sizeof eb));
	}
	const shard_spec *spec = shard_dataset_spec(d);
	if (spec->kind != SHARD_TOKENS || spec->elem_size != 1)
		kiln_die(KILN_EXIT_FAIL, "%s: expected a byte-level token dataset (kiln-swf ingest), got %s with %u-byte elements",
		         o.train, shard_kind_name(spec->kind), spec->elem_size);
	swf_jw_set *train = swf_jw_set_create();
	if (!train) kiln_die(KILN_EXIT_FAIL, "out of memory");
	uint64_t ntrain = shard_dataset_records(d);
	for (uint64_t r = 0; r < ntrain; r++) {
		shard_record rec;
		char eb[1024];
		/* Checked: a damaged record would only shift the similarities. */
		if (shard_dataset_record(d, r, &rec, &se) || shard_dataset_verify_record(d, r, &se))
			kiln_die(KILN_EXIT_FAIL, "%s", shard_error_text(&se, eb, sizeof eb));
		if (swf_jw_set_add(train, rec.content, rec.n_content))
			kiln_die(KILN_EXIT_FAIL, "%s: record %" PRIu64 " is too large to compare", o.train, r);
	}

	/* Settings: "LABEL=PATH" or PATH (label = the path). */
	size_t ns = (size_t)(argc - optind), total = 0;
	setting *set = kiln_xcalloc(ns, sizeof *set);
	int failed = 0;
	for (size_t s = 0; s < ns; s++) {
		/* Labels may hold '=' themselves ("min_p=0.05 T=0.3=dir"): split at
		 * the last one, unless the whole argument names an existing path. */
		const char *arg = argv[optind + s], *eq = strrchr(arg, '=');
		struct stat ast;
		if (stat(arg, &ast) == 0) eq = NULL;
		const char *path = eq ? eq + 1 : arg;
		set[s].label = kiln_xstrdup(arg);
		if (eq) set[s].label[eq - arg] = 0;   /* "LABEL=PATH" -> "LABEL" */
		/* A file named on the command line is always taken; inside a folder
		 * only *.swf files are (samplers write ids and reports beside them). */
		size_t np, errors;
		char **paths = kiln_walk_list(&path, 1, 0, &np, &errors, NULL);
		failed |= errors > 0;
		set[s].files = kiln_xcalloc(np ? np : 1, sizeof *set[s].files);
		for (size_t k = 0; k < np; k++) {
			if (strcmp(paths[k], path) && !has_swf_ext(paths[k])) { free(paths[k]); continue; }
			set[s].files[set[s].n++].path = paths[k];
		}
		free(paths);
		total += set[s].n;
		if (!set[s].n) kiln_warn("%s: no files", path);
	}

	kiln_progress *prog = kiln_progress_start("evaluating", total, "files");
	uint64_t done = 0;
	for (size_t s = 0; s < ns; s++) {
		setting *st = &set[s];
		int errors = 0;
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 1) reduction(+ : errors)
#endif
		for (size_t i = 0; i < st->n; i++) {
			gen_file *g = &st->files[i];
			g->truth_sim = -1;
			if (load_and_judge(g->path, &o, &g->bytes, &g->n, g)) { g->unreadable = 1; errors++; continue; }
			swf_jw_result r;
			if (swf_jw_set_max(train, g->bytes, g->n, &r)) {
				kiln_file_error(g->path, "out of memory comparing it with the training set");
				g->unreadable = 1;
				errors++;
				free(g->bytes);
				g->bytes = NULL;
				continue;
			}
			g->max_sim = r.best;
			g->best_index = r.best_index;
			g->exact = r.exact;
			if (o.truth) {
				char *tp = truth_path(o.truth, g->path);
				if (tp) {
					uint8_t *tb;
					size_t tn;
					if (load_and_judge(tp, &o, &tb, &tn, NULL) == 0) {
						g->truth_sim = swf_jaro_winkler(g->bytes, g->n, tb, tn);
						free(tb);
					} else {
						errors++;
					}
				}
				free(tp);
			}
			free(g->bytes);
			g->bytes = NULL;
#ifdef _OPENMP
			if (omp_get_thread_num() == 0)
#endif
				kiln_progress_update(prog, done + i);
		}
		failed |= errors > 0;
		done += st->n;
		drop_unreadable(st);
	}
	kiln_progress_end(prog);

	summary *sm = kiln_xcalloc(ns, sizeof *sm);
	for (size_t s = 0; s < ns; s++) sm[s] = summarise(&set[s], (size_t)ntrain);
	if (o.json) {
		write_json(stdout, &o, set, sm, ns, (size_t)ntrain);
	} else {
		for (size_t s = 0; s < ns; s++) {
			const summary *m = &sm[s];
			if (!m->n) {
				kiln_fput_esc(stdout, set[s].label);
				fputs(": 0 files\n", stdout);
				continue;
			}
			/* The label is a folder name or the user's: escaped, one line. */
			kiln_fput_esc(stdout, set[s].label);
			printf(": %zu files: broken %.1f%%, damaged %.1f%%, ok %.1f%%; max similarity %.3f",
			       m->n, 100 * share(m->verdict[2], m->n), 100 * share(m->verdict[1], m->n),
			       100 * share(m->verdict[0], m->n), m->max_sim);
			if (m->with_truth) printf("; truth similarity %.3f (%zu files)", m->truth_sim, m->with_truth);
			printf("; %" PRIu64 " of %" PRIu64 " pairs compared exactly\n", m->exact, m->pairs);
		}
	}
	if (o.markdown) {
		kiln_outfile of;
		if (kiln_outfile_open(&of, o.markdown)) kiln_die(KILN_EXIT_FAIL, "%s: %s", o.markdown, strerror(errno));
		write_markdown(of.fp, set, sm, ns, o.truth != NULL);
		if (kiln_outfile_commit(&of)) kiln_die(KILN_EXIT_FAIL, "%s: %s", o.markdown, strerror(errno));
	}
	if (o.per_file) {
		kiln_outfile of;
		if (kiln_outfile_open(&of, o.per_file)) kiln_die(KILN_EXIT_FAIL, "%s: %s", o.per_file, strerror(errno));
		write_per_file(of.fp, set, ns);
		if (kiln_outfile_commit(&of)) kiln_die(KILN_EXIT_FAIL, "%s: %s", o.per_file, strerror(errno));
	}
	for (size_t s = 0; s < ns; s++) {
		for (size_t i = 0; i < set[s].n; i++) free(set[s].files[i].path);
		free(set[s].files);
		free(set[s].label);
	}
	free(set);
	free(sm);
	swf_jw_set_free(train);
	shard_dataset_close(d);
	return failed ? KILN_EXIT_FAIL : 0;
}
