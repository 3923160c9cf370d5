/*
 * train_run.c - `kiln-train run CONFIG`: resolve the config against its
 * datasets, continue from the run folder's checkpoint when there is one, and
 * drive trn_run with hooks that log JSON lines, show progress and write
 * checkpoints atomically; draw the loss curve (loss.svg) at the end.
 */
#define _GNU_SOURCE   /* asprintf */
#include <errno.h>
#include <libgen.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <time.h>
#include <unistd.h>

#include "train_tool.h"

typedef struct run_ctx {
	const tool_opts *o;
	const trn_config *c;
	char *ckpt_path, *model_path;
	FILE *log;
	kiln_progress *prog;
	double t0, t_last;
	int64_t tok_last;
	int64_t done_steps;   /* the run step reached (a resumed run starts at the checkpoint's) */
	int stepped;          /* this invocation took a step */
	float last_loss, last_val;
	int have_val;
} run_ctx;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static char *join(const char *dir, const char *name)
{
	char *p = kiln_xmalloc(strlen(dir) + strlen(name) + 2);
	sprintf(p, "%s/%s", dir, name);
	return p;
}

/* Paths in a config are relative to the config file's folder. */
static void resolve(char *path, const char *base)
{
	if (!*path || path[0] == '/')
		return;
	char tmp[TRN_PATH_MAX];
	if (snprintf(tmp, sizeof tmp, "%s/%s", base, path) >= (int)sizeof tmp)
		kiln_die(KILN_EXIT_FAIL, "%s: path too long", path);
	memcpy(path, tmp, sizeof tmp);
}

static void write_json_line(run_ctx *r, void (*fill)(kiln_json *, const void *), const void *arg)
{
	FILE *outs[2] = { r->log, r->o->json ? stdout : NULL };
	for (int i = 0; i < 2; i++) {
		if (!outs[i])
			continue;
		kiln_json j;
		kiln_json_init(&j, outs[i], 0);
		kiln_json_obj_begin(&j, NULL);
		fill(&j, arg);
		kiln_json_obj_end(&j);
		kiln_json_end_line(&j);
		fflush(outs[i]);
	}
}

typedef struct step_line { const trn_step_info *i; double tps, elapsed; float val; } step_line;

static void fill_train(kiln_json *j, const void *arg)
{
	const step_line *s = arg;
	kiln_json_str(j, "type", "train");
	kiln_json_str(j, "stage", s->i->stage_name);
	kiln_json_i64(j, "step", s->i->gstep);
	kiln_json_i64(j, "stage_step", s->i->step);
	kiln_json_double(j, "loss", s->i->loss);
	kiln_json_double(j, "lr", s->i->lr);
	kiln_json_double(j, "grad_norm", s->i->grad_norm);
	kiln_json_i64(j, "tokens", s->i->tokens);
	kiln_json_double(j, "tokens_per_s", s->tps);
	kiln_json_double(j, "elapsed_s", s->elapsed);
}

static void fill_val(kiln_json *j, const void *arg)
{
	const step_line *s = arg;
	kiln_json_str(j, "type", "val");
	kiln_json_str(j, "stage", s->i->stage_name);
	kiln_json_i64(j, "step", s->i->gstep);
	kiln_json_double(j, "val_loss", s->val);
}

static int on_step(void *ud, const trn_step_info *i)
{
	run_ctx *r = ud;
	r->done_steps = i->gstep;
	r->stepped = 1;
	r->last_loss = i->loss;
	kiln_progress_update(r->prog, (uint64_t)i->gstep);
	int last = i->step == r->c->stages[i->stage].steps;
	if (i->gstep % r->c->log_every && !last && i->step != 1)
		return 0;
	double t = now();
	step_line s = { i, t > r->t_last ? (i->tokens - r->tok_last) / (t - r->t_last) : 0, t - r->t0, 0 };
	r->t_last = t;
	r->tok_last = i->tokens;
	write_json_line(r, fill_train, &s);
	return 0;
}

static int on_val(void *ud, const trn_step_info *i, float v)
{
	run_ctx *r = ud;
	step_line s = { i, 0, 0, v };
	r->last_val = v;
	r->have_val = 1;
	write_json_line(r, fill_val, &s);
	return 0;
}

static int save_one(const char *path, const trn_config *c, const trn_ckpt_state *st, const trn_model *m,
                    const trn_optim *opt)
{
	kiln_outfile of;
	trn_error err;
	if (kiln_outfile_open(&of, path)) {
		kiln_file_error(path, "%s", strerror(errno));
		return -1;
	}
	if (trn_ckpt_write(of.fp, c, st, m, opt, &err)) {
		kiln_file_error(path, "%s", err.msg);
		kiln_outfile_abort(&of);
		return -1;
	}
	if (kiln_outfile_commit(&of)) {
		kiln_file_error(path, "%s", strerror(errno));
		return -1;
	}
	return 0;
}

static int save(void *ud, const trn_config *c, const trn_ckpt_state *st, const trn_model *m, const trn_optim *opt)
{
	run_ctx *r = ud;
	if (save_one(r->ckpt_path, c, st, m, opt))
		return -100;
	/* the finished model, without optimizer state: a quarter of the size */
	if (st->done && save_one(r->model_path, c, st, m, NULL))
		return -100;
	return 0;
}

/* A kill between the two renames of the last save (or a failed write of
 * the model) leaves a finished checkpoint and no model.kckpt; a run that
 * finds nothing left to do writes it from the checkpoint's weights. */
static int write_missing_model(run_ctx *r, const trn_ckpt *k)
{
	struct stat sb;
	if (stat(r->model_path, &sb) == 0)
		return 0;
	trn_model *m;
	trn_error err;
	int rc = trn_model_create(&r->c->model, &m, &err);
	if (!rc)
		rc = trn_ckpt_load(k, m, NULL, &err);
	if (rc) {
		kiln_file_error(r->ckpt_path, "%s", err.msg);
		trn_model_free(m);
		return -1;
	}
	rc = save_one(r->model_path, r->c, trn_ckpt_state_of(k), m, NULL);
	trn_model_free(m);
	return rc;
}

/* ---- log and loss curve -------------------------------------------------------- */

/* Value of "key": in a JSON line (numbers only); NAN when absent. */
static double json_num(const char *line, const char *key)
{
	char pat[64];
	snprintf(pat, sizeof pat, "\"%s\":", key);
	const char *p = strstr(line, pat);
	if (!p)
		return NAN;
	char *end;
	double v = strtod(p + strlen(pat), &end);
	return end == p + strlen(pat) ? NAN : v;
}

/* Keep the log lines of steps <= upto (a resumed run repeats the rest). */
static int trim_log(const char *path, int64_t upto)
{
	FILE *in = fopen(path, "r");
	if (!in)
		return errno == ENOENT ? 0 : -1;
	kiln_outfile of;
	if (kiln_outfile_open(&of, path)) {
		fclose(in);
		return -1;
	}
	char *line = NULL;
	size_t cap = 0;
	while (getline(&line, &cap, in) > 0) {
		double s = json_num(line, "step");
		if (!isnan(s) && s <= (double)upto)
			fputs(line, of.fp);
	}
	free(line);
	fclose(in);
	return kiln_outfile_commit(&of);
}

/* An SVG of train loss (line) and val loss (dots) against the run step. */
static int write_svg(const char *log_path, const char *svg_path)
{
	FILE *in = fopen(log_path, "r");
	if (!in)
		return -1;
	size_t n = 0, cap = 0, nv = 0, capv = 0;
	double *xs = NULL, *ys = NULL, *vx = NULL, *vy = NULL;
	char *line = NULL;
	size_t lc = 0;
	double xmax = 1, ymax = 0;
	while (getline(&line, &lc, in) > 0) {
		int val = strstr(line, "\"type\":\"val\"") != NULL;
		double x = json_num(line, "step"), y = json_num(line, val ? "val_loss" : "loss");
		if (isnan(x) || isnan(y))
			continue;
		double **px = val ? &vx : &xs, **py = val ? &vy : &ys;
		size_t *pn = val ? &nv : &n, *pc = val ? &capv : &cap;
		if (*pn == *pc) {
			*pc = *pc ? *pc * 2 : 256;
			*px = kiln_xrealloc(*px, *pc * sizeof(double));
			*py = kiln_xrealloc(*py, *pc * sizeof(double));
		}
		(*px)[*pn] = x;
		(*py)[*pn] = y;
		(*pn)++;
		if (x > xmax) xmax = x;
		if (y > ymax) ymax = y;
	}
	free(line);
	fclose(in);
	if (ymax <= 0)
		ymax = 1;
	kiln_outfile of;
	if (kiln_outfile_open(&of, svg_path))
		return -1;
	const double W = 640, H = 360, L = 60, R = 20, T = 20, B = 40;
	FILE *f = of.fp;
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%g\" height=\"%g\" font-family=\"sans-serif\" font-size=\"12\">\n", W, H);
	fprintf(f, "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
	fprintf(f, "<line x1=\"%g\" y1=\"%g\" x2=\"%g\" y2=\"%g\" stroke=\"black\"/>\n", L, H - B, W - R, H - B);
	fprintf(f, "<line x1=\"%g\" y1=\"%g\" x2=\"%g\" y2=\"%g\" stroke=\"black\"/>\n", L, T, L, H - B);
	for (int k = 0; k <= 4; k++) {
		double yv = ymax * k / 4, yp = H - B - (H - T - B) * k / 4;
		fprintf(f, "<text x=\"%g\" y=\"%g\" text-anchor=\"end\">%.3g</text>\n", L - 5, yp + 4, yv);
		double xv = xmax * k / 4, xp = L + (W - L - R) * k / 4;
		fprintf(f, "<text x=\"%g\" y=\"%g\" text-anchor=\"middle\">%.0f</text>\n", xp, H - B + 16, xv);
	}
	fprintf(f, "<text x=\"%g\" y=\"%g\" text-anchor=\"middle\">step</text>\n", (L + W - R) / 2, H - 6);
	fprintf(f, "<text x=\"14\" y=\"%g\" transform=\"rotate(-90 14 %g)\" text-anchor=\"middle\">loss</text>\n", H / 2, H / 2);
	fprintf(f, "<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"1.5\" points=\"");
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%.1f,%.1f ", L + (W - L - R) * xs[i] / xmax, H - B - (H - T - B) * ys[i] / ymax);
	fprintf(f, "\"/>\n");
	for (size_t i = 0; i < nv; i++)
		fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"#d62728\"/>\n", L + (W - L - R) * vx[i] / xmax,
		        H - B - (H - T - B) * vy[i] / ymax);
	fprintf(f, "<text x=\"%g\" y=\"%g\" fill=\"#1f77b4\">train loss</text>\n", W - R - 150, T + 12);
	if (nv)
		fprintf(f, "<text x=\"%g\" y=\"%g\" fill=\"#d62728\">val loss</text>\n", W - R - 70, T + 12);
	fprintf(f, "</svg>\n");
	free(xs); free(ys); free(vx); free(vy);
	return kiln_outfile_commit(&of);
}

/* ---- the command -------------------------------------------------------------------- */

/* 1 if a and b name the same file or folder. Checkpoints written before
 * data paths were made absolute hold one relative to the folder the run
 * was started from. */
static int same_file(const char *a, const char *b)
{
	struct stat sa, sb;
	if (!strcmp(a, b))
		return 1;
	return !stat(a, &sa) && !stat(b, &sb) && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* Bytes a run holds at its peak: per parameter the weight, its gradient and
 * three optimizer arrays (20 bytes), plus the largest stage's activations
 * and batch arrays (20 bytes a position). */
static double run_bytes(const trn_config *c)
{
	double act = 0;
	for (int s = 0; s < c->n_stages; s++) {
		const trn_stage *st = &c->stages[s];
		double a = (double)trn_model_act_bytes(&c->model, st->batch, st->ctx) + (double)st->batch * st->ctx * 20;
		if (a > act)
			act = a;
	}
	return (double)trn_model_count_params(&c->model) * 20 + act;
}

/* Refuse, before allocating, a run that cannot fit in this machine's memory
 * and swap: the kernel lends pages it does not have, so the allocations
 * would succeed and the run (or a neighbour) be killed when they are used. */
static void check_memory(const trn_config *c, const char *config_path)
{
	struct sysinfo si;
	if (sysinfo(&si))
		return;
	double have = ((double)si.totalram + (double)si.totalswap) * si.mem_unit, need = run_bytes(c);
	if (need > have)
		kiln_die(KILN_EXIT_FAIL, "%s: the run needs about %.1f GiB (weights, gradients, optimizer state and "
		         "activations); this machine has %.1f GiB of memory and swap: make the model, batch or context "
		         "smaller", config_path, need / 1073741824.0, have / 1073741824.0);
}

/* "CONFIG:LINE: KEY = VALUE" (the value as written), the place in the config
 * a dataset error points back to: the resolved path alone did not say which
 * key or file to edit. */
static char *config_place(const char *config_path, int line, const char *key, const char *given)
{
	char *s;
	int n = line > 0 ? asprintf(&s, "%s:%d: %s = %s", config_path, line, key, given)
	                 : asprintf(&s, "%s: %s = %s", config_path, key, given);
	if (n < 0)
		kiln_die(KILN_EXIT_FAIL, "out of memory");
	return s;
}

/* Open a dataset or exit with its message, after the config place. */
static trn_data *open_data(const char *place, const char *path, uint64_t seed, int shuffle)
{
	trn_data *d;
	trn_error err;
	int rc = trn_data_open(path, seed, shuffle, &d, &err);
	if (rc)
		kiln_die(trn_exit_code(rc), "%s: %s", place, err.msg);
	return d;
}

int cmd_run(const tool_opts *o, const char *config_path)
{
	size_t n;
	uint8_t *text = kiln_read_file(config_path, 1 << 20, &n);
	if (!text) {
		kiln_file_error(config_path, "%s", strerror(errno));
		return KILN_EXIT_FAIL;
	}
	trn_config c;
	trn_error err;
	trn_config_lines lines;
	int rc = trn_config_parse_lines((const char *)text, n, config_path, &c, &lines, &err);
	free(text);
	if (rc) {
		kiln_error("%s", err.msg);
		return trn_exit_code(rc);
	}
	if (!c.data[0])
		kiln_die(KILN_EXIT_FAIL, "%s: no 'data = DATASET' in the config", config_path);
	/* for messages: the paths as written, before they are resolved below */
	char *data_place = config_place(config_path, lines.data, "data", c.data);
	char *val_place = c.val[0] ? config_place(config_path, lines.val, "val", c.val) : NULL;
	/* Absolute, so that the checkpoint names the same dataset whichever
	 * folder the run is started from (the resume check compares it). */
	char *cp = kiln_xstrdup(config_path);
	char *base = realpath(dirname(cp), NULL);
	if (!base)
		kiln_die(KILN_EXIT_FAIL, "%s: %s", config_path, strerror(errno));
	resolve(c.data, base);
	resolve(c.val, base);
	resolve(c.out, base);
	free(base);
	free(cp);

	trn_data *train = open_data(data_place, c.data, c.seed, c.shuffle), *val = NULL;
	trn_data_info ti, vi;
	trn_data_get_info(train, &ti);
	if (c.val[0]) {
		val = open_data(val_place, c.val, c.seed, 0);
		trn_data_get_info(val, &vi);
		if (memcmp(&ti, &vi, sizeof ti))
			kiln_die(KILN_EXIT_FAIL, "%s: %s: the validation set does not match the training set (kind, "
			         "vocabulary, grid or fingerprint)", val_place, c.val);
	}
	free(data_place);
	free(val_place);
	/* fill what the config left to the dataset */
	if (c.model.vocab == 0)
		c.model.vocab = (int)trn_data_vocab(train);
	else if ((uint32_t)c.model.vocab < trn_data_vocab(train))
		kiln_die(KILN_EXIT_FAIL, "%s: vocab = %d, but the dataset needs %u ids (its vocabulary plus BOS/EOS)",
		         config_path, c.model.vocab, trn_data_vocab(train));
	if (c.model.pos == TRN_POS_SIN2D && c.model.grid_width == 0) {
		int gw, gh, gp;
		if (trn_data_grid(train, &gw, &gh, &gp))
			kiln_die(KILN_EXIT_FAIL, "%s: position = sin2d on a token dataset needs grid_width and grid_prefix",
			         config_path);
		c.model.grid_width = gw;
		c.model.grid_prefix = gp;
	}
	if ((rc = trn_config_check(&c, &err)))
		kiln_die(trn_exit_code(rc), "%s: %s", config_path, err.msg);
	check_memory(&c, config_path);
	if (kiln_mkdirs(c.out))
		kiln_die(KILN_EXIT_FAIL, "%s: %s", c.out, strerror(errno));

	run_ctx r = { .o = o, .c = &c };
	r.ckpt_path = join(c.out, "checkpoint.kckpt");
	r.model_path = join(c.out, "model.kckpt");
	char *log_path = join(c.out, "log.jsonl"), *svg_path = join(c.out, "loss.svg");
	trn_ckpt *resume = NULL;
	struct stat sb;
	if (o->restart) {
		unlink(r.ckpt_path);
		unlink(r.model_path);
		unlink(log_path);
	} else if (stat(r.ckpt_path, &sb) == 0) {
		if ((rc = trn_ckpt_read(r.ckpt_path, &resume, &err)))
			kiln_die(KILN_EXIT_FAIL, "%s (use --restart to discard it)", err.msg);
		const trn_config *kc = trn_ckpt_config(resume);
		const trn_ckpt_state *ks = trn_ckpt_state_of(resume);
		/* what decides the weights so far must be unchanged; later stages may be edited */
		if (!trn_model_config_equal(&kc->model, &c.model) || kc->seed != c.seed || kc->shuffle != c.shuffle ||
		    !same_file(kc->data, c.data) || ks->stage >= c.n_stages || memcmp(&ks->info, &ti, sizeof ti))
			kiln_die(KILN_EXIT_FAIL, "%s: the run folder holds a checkpoint of a different model, seed or "
			         "dataset (use --restart to discard it)", r.ckpt_path);
		/* a byte dataset has no fingerprint: only its records tell a re-packed one */
		if (ks->data_id && ks->data_id != trn_data_identity(train))
			kiln_die(KILN_EXIT_FAIL, "%s: the checkpoint was trained on other records than %s now holds "
			         "(the dataset was changed or re-packed from other files; use --restart to discard it)",
			         r.ckpt_path, c.data);
		if (!o->quiet && !ks->done)
			kiln_warn("%s: resuming at step %lld (stage %s, step %lld)", r.ckpt_path, (long long)ks->gstep,
			          c.stages[ks->stage].name, (long long)ks->step);
		if (trim_log(log_path, ks->gstep))
			kiln_die(KILN_EXIT_FAIL, "%s: %s", log_path, strerror(errno));
	}
	r.log = fopen(log_path, "a");
	if (!r.log)
		kiln_die(KILN_EXIT_FAIL, "%s: %s", log_path, strerror(errno));
	int64_t total = 0;
	for (int s = 0; s < c.n_stages; s++)
		total += c.stages[s].steps;
	if (!o->quiet && !o->json) {
		/* what the run will hold in memory, before it tries */
		uint64_t act = 0;
		for (int s = 0; s < c.n_stages; s++) {
			uint64_t a = trn_model_act_bytes(&c.model, c.stages[s].batch, c.stages[s].ctx);
			if (a > act)
				act = a;
		}
		uint64_t np = trn_model_count_params(&c.model);
		kiln_note("%llu parameters (%.1f MiB with gradients and optimizer state), "
		          "activations up to %.1f MiB, %d stage%s, %lld steps", (unsigned long long)np,
		          np * 20 / 1048576.0, act / 1048576.0, c.n_stages,
		          c.n_stages == 1 ? "" : "s", (long long)total);
	}
	r.prog = kiln_progress_start("train", (uint64_t)total, "steps");
	r.t0 = r.t_last = now();
	r.tok_last = resume ? trn_ckpt_state_of(resume)->tokens : 0;
	r.done_steps = resume ? trn_ckpt_state_of(resume)->gstep : 0;
	trn_run_hooks h = { &r, on_step, on_val, save };
	rc = trn_run(&c, train, val, resume, o->stop_after, &h, &err);
	kiln_progress_end(r.prog);
	fclose(r.log);
	int status = KILN_EXIT_OK;
	if (rc == -100) {
		status = KILN_EXIT_FAIL;   /* save() printed why */
	} else if (rc < 0) {
		kiln_error("%s: %s", config_path, err.msg);
		status = trn_exit_code(rc);
	} else if (rc == TRN_OK && resume && !r.stepped && write_missing_model(&r, resume)) {
		status = KILN_EXIT_FAIL;   /* write_missing_model printed why */
	} else {
		if (write_svg(log_path, svg_path))
			kiln_warn("%s: could not write the loss curve: %s", svg_path, strerror(errno));
		if (o->json) {
			kiln_json j;
			kiln_json_init(&j, stdout, 0);
			kiln_json_obj_begin(&j, NULL);
			kiln_json_str(&j, "type", rc == TRN_STOPPED ? "stopped" : "done");
			kiln_json_i64(&j, "step", r.done_steps);
			kiln_json_str(&j, "checkpoint", r.ckpt_path);
			kiln_json_str(&j, "log", log_path);
			kiln_json_str(&j, "loss_curve", svg_path);
			kiln_json_obj_end(&j);
			kiln_json_end_line(&j);
		} else if (!o->quiet) {
			if (rc == TRN_STOPPED)
				kiln_warn("stopped after step %lld as asked; run again to continue (%s)", (long long)r.done_steps,
				          r.ckpt_path);
			else if (!r.stepped)
				kiln_warn("%s: the run had already finished at step %lld", r.ckpt_path, (long long)r.done_steps);
			else
				kiln_note("finished at step %lld, loss %.4f%s; model %s, log %s, curve %s",
				          (long long)r.done_steps, r.last_loss, r.have_val ? " (see val_loss in the log)" : "",
				          r.model_path, log_path, svg_path);
		}
	}
	trn_ckpt_free(resume);
	trn_data_close(train);
	trn_data_close(val);
	free(r.ckpt_path);
	free(r.model_path);
	free(log_path);
	free(svg_path);
	return status;
}
