/*
 * train_main.c - kiln-train: run a staged training config, sample from a
 * checkpoint, show what a checkpoint holds, print example configs. Option
 * parsing and dispatch live here; `run` and `sample` have their own files.
 */
#define _GNU_SOURCE   /* posix_spawn_file_actions_addchdir_np */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "train_tool.h"

extern char **environ;

static void usage(void)
{
	fputs("Usage: kiln-train COMMAND [OPTIONS] ARG\n"
	      "Train a decoder-only transformer on a Kiln dataset (CPU reference path;\n"
	      "backend = cuda where built: see kiln-train(1), CUDA BACKEND).\n"
	      "\n"
	      "Commands:\n"
	      "  run CONFIG          run every stage of CONFIG; continues from the run's\n"
	      "                      checkpoint after an interruption\n"
	      "  sample CHECKPOINT   generate from a checkpoint (KV cache); a run folder\n"
	      "                      means its model.kckpt\n"
	      "  info CHECKPOINT     config, stage, step and data position of a checkpoint;\n"
	      "                      a run folder means its checkpoint.kckpt\n"
	      "  config CONFIG       check a config and print its canonical form\n"
	      "  example NAME        print an example config (tiny, pixel, bytecraft)\n"
	      "\n"
	      "Run options:\n"
	      "      --restart             discard the run folder's checkpoint and start over\n"
	      "      --stop-after N        checkpoint and stop after N steps of the run\n"
	      "\n"
	      "Sample options:\n"
	      "  -o, --out DIR             write samples into DIR (default samples)\n"
	      "      --prompt IDS          one prompt: ids separated by spaces or commas\n"
	      "      --prompts FILE        prompts, one line of ids each\n"
	      "      --text-prompts FILE   prompts, one line of text each (bytes, or encoded\n"
	      "                            by kiln-bpe with --vocab)\n"
	      "      --from DATASET        prompts (and breeding parents) from its records\n"
	      "  -n, --count N             prompts to take from --from (default 1)\n"
	      "  -k, --samples K           samples per prompt (default 1)\n"
	      "      --max-new N           ids to generate at most (default: to the context)\n"
	      "  -t, --temperature T       0 = greedy (default 1)\n"
	      "      --top-k K             keep the K most likely ids (0 = off)\n"
	      "      --top-p P             nucleus sampling (1 = off)\n"
	      "      --min-p P             drop ids below P x the top probability (default 0)\n"
	      "      --seed N              sampling seed (default 1)\n"
	      "      --breed A,B           sprites: keep record A's pixels, mask some, condition\n"
	      "                            on record B, let the model fill the gaps\n"
	      "      --mask F              fraction of pixels masked for --breed (default 0.4)\n"
	      "      --vocab FILE          BPE vocabulary: decode samples with kiln-bpe\n"
	      "      --id-offset N         passed to kiln-bpe decode (default 0)\n"
	      "      --ext EXT             decoded file extension (default bin; swf runs\n"
	      "                            kiln-swf validate)\n"
	      "      --no-tools            do not call kiln-bpe, kiln-swf or kiln-sprites\n"
	      "\n"
	      "Common options (an option of another command is a usage error):\n"
	      "      --json                machine-readable output on stdout (not example)\n"
	      "  -q, --quiet               no progress or summary on stderr\n"
	      "  -h, --help                this help\n"
	      "  -V, --version             version and features\n"
	      "\n"
	      "Exit status: 0 ok, 1 failure, 2 usage error, 3 not built (backend = cuda).\n"
	      "See kiln-train(1) for the config format, stages, checkpoints and sampling.\n",
	      stdout);
}

int trn_exit_code(int rc)
{
	return rc == TRN_ENOTBUILT ? KILN_EXIT_NOTBUILT : KILN_EXIT_FAIL;
}

char *tool_find(const char *name)
{
	/* next to this binary first (a build folder), then PATH */
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n > 0) {
		self[n] = 0;
		char *slash = strrchr(self, '/');
		if (slash) {
			*slash = 0;
			char *p = kiln_xmalloc(strlen(self) + strlen(name) + 2);
			sprintf(p, "%s/%s", self, name);
			if (access(p, X_OK) == 0)
				return p;
			free(p);
		}
	}
	const char *path = getenv("PATH");
	if (!path)
		return NULL;
	char *dup = kiln_xstrdup(path), *save = NULL;
	for (char *d = strtok_r(dup, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		char *p = kiln_xmalloc(strlen(d) + strlen(name) + 2);
		sprintf(p, "%s/%s", d, name);
		if (access(p, X_OK) == 0) {
			free(dup);
			return p;
		}
		free(p);
	}
	free(dup);
	return NULL;
}

int tool_spawn(char *const argv[], const char *out_path)
{
	return tool_spawn_in(argv, out_path, NULL);
}

int tool_spawn_in(char *const argv[], const char *out_path, const char *dir)
{
	/* a tool found through a relative PATH entry must still be found from dir */
	char *prog = dir ? realpath(argv[0], NULL) : NULL;
	if (dir && !prog)
		return -1;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	if (out_path)   /* before the chdir: out_path is relative to here */
		posix_spawn_file_actions_addopen(&fa, 1, out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (dir)
		posix_spawn_file_actions_addchdir_np(&fa, dir);
	pid_t pid;
	int rc = posix_spawn(&pid, prog ? prog : argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	free(prog);
	if (rc)
		return -1;
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* ---- info / config / example --------------------------------------------- */

/* CHECKPOINT may name a run folder: `run` writes checkpoint.kckpt (the
 * latest state, resumable) and model.kckpt (the finished weights) there.
 * sample wants the finished model, so an unfinished run is refused with the
 * file to pass rather than sampled silently from a half-trained state; info
 * wants the latest state (model.kckpt is stale while stages added to a
 * finished run are trained). Returns a malloc'd path; a file path is
 * returned as given. */
char *ckpt_path_of(const tool_opts *o, const char *path, int sample)
{
	struct stat sb;
	if (stat(path, &sb) || !S_ISDIR(sb.st_mode))
		return kiln_xstrdup(path);   /* the reader names any other problem */
	size_t n = kiln_path_len_trimmed(path);
	const char *first = sample ? "model.kckpt" : "checkpoint.kckpt";
	const char *second = sample ? "checkpoint.kckpt" : "model.kckpt";
	char *want = kiln_xmalloc(n + 20), *other = kiln_xmalloc(n + 20);
	sprintf(want, "%.*s/%s", (int)n, path, first);
	sprintf(other, "%.*s/%s", (int)n, path, second);
	char *use = NULL;
	if (stat(want, &sb) == 0)
		use = want;
	else if (!sample && stat(other, &sb) == 0)
		use = other;
	else if (sample && stat(other, &sb) == 0)
		kiln_die(KILN_EXIT_FAIL, "%s: a run folder without model.kckpt (the run has not finished); pass %s to "
		         "sample its latest checkpoint", path, other);
	else
		kiln_die(KILN_EXIT_FAIL, "%s: a folder, not a checkpoint file (it holds no %s or %s)", path, first, second);
	if (!o->quiet)
		kiln_note("%s: a run folder; reading %s", path, use);
	free(use == want ? other : want);
	return use;
}

static int cmd_info(const tool_opts *o, const char *given)
{
	trn_ckpt *k;
	trn_error err;
	char *path = ckpt_path_of(o, given, 0);
	int rc = trn_ckpt_read(path, &k, &err);
	if (rc) {
		kiln_error("%s", err.msg);
		free(path);
		return trn_exit_code(rc);
	}
	const trn_config *c = trn_ckpt_config(k);
	const trn_ckpt_state *st = trn_ckpt_state_of(k);
	trn_model *m;
	if ((rc = trn_model_create(&c->model, &m, &err))) {
		kiln_file_error(path, "%s", err.msg);
		trn_ckpt_free(k);
		free(path);
		return trn_exit_code(rc);
	}
	char fp[65];
	kiln_hex(st->info.fingerprint, 32, fp);
	if (o->json) {
		kiln_json j;
		kiln_json_init(&j, stdout, 0);
		kiln_json_obj_begin(&j, NULL);
		kiln_json_str(&j, "checkpoint", path);
		kiln_json_u64(&j, "parameters", trn_model_nparams(m));
		kiln_json_str(&j, "stage", c->stages[st->stage].name);
		kiln_json_i64(&j, "stage_step", st->step);
		kiln_json_i64(&j, "step", st->gstep);
		kiln_json_i64(&j, "tokens", st->tokens);
		kiln_json_bool(&j, "done", st->done);
		kiln_json_bool(&j, "optimizer_state", trn_ckpt_has_optim(k));
		kiln_json_obj_begin(&j, "data_position");
		kiln_json_u64(&j, "epoch", st->data.epoch);
		kiln_json_u64(&j, "cursor", st->data.cursor);
		kiln_json_u64(&j, "offset", st->data.offset);
		kiln_json_obj_end(&j);
		kiln_json_str(&j, "kind", st->info.kind == 2 ? "sprites" : "tokens");
		kiln_json_u64(&j, "data_vocab", st->info.vocab);
		kiln_json_str(&j, "fingerprint", fp);
		char *text = trn_config_text(c);
		kiln_json_str(&j, "config", text);
		free(text);
		kiln_json_obj_end(&j);
		kiln_json_end_line(&j);
	} else {
		fputs("checkpoint   ", stdout);
		kiln_fput_esc(stdout, path);   /* a name with a newline stays on its line */
		printf("\nparameters   %zu\nstage        %s (%d of %d), step %lld of %lld\n"
		       "run step     %lld%s\ntokens       %lld\ndata         epoch %llu, document %llu, offset %llu\n"
		       "trained on   %s, vocabulary %u, bos %u, eos %u\nfingerprint  %s\noptimizer    %s\n\n",
		       trn_model_nparams(m), c->stages[st->stage].name, st->stage + 1, c->n_stages,
		       (long long)st->step, (long long)c->stages[st->stage].steps, (long long)st->gstep,
		       st->done ? " (finished)" : "", (long long)st->tokens, (unsigned long long)st->data.epoch,
		       (unsigned long long)st->data.cursor, (unsigned long long)st->data.offset,
		       st->info.kind == 2 ? "sprites" : "tokens", st->info.vocab, st->info.bos, st->info.eos, fp,
		       trn_ckpt_has_optim(k) ? "state kept (resumable)" : "weights only");
		trn_config_write(stdout, c);
	}
	trn_model_free(m);
	trn_ckpt_free(k);
	free(path);
	return KILN_EXIT_OK;
}

static int cmd_config(const tool_opts *o, const char *path)
{
	size_t n;
	uint8_t *text = kiln_read_file(path, 1 << 20, &n);
	if (!text) {
		kiln_file_error(path, "%s", strerror(errno));
		return KILN_EXIT_FAIL;
	}
	trn_config c;
	trn_error err;
	int rc = trn_config_parse((const char *)text, n, path, &c, &err);
	free(text);
	if (rc) {
		kiln_error("%s", err.msg);   /* names the file and line */
		return trn_exit_code(rc);
	}
	if ((rc = trn_config_check(&c, &err))) {
		kiln_error("%s: %s", path, err.msg);
		return trn_exit_code(rc);
	}
	if (o->json) {
		char *t = trn_config_text(&c);
		kiln_json j;
		kiln_json_init(&j, stdout, 0);
		kiln_json_obj_begin(&j, NULL);
		kiln_json_str(&j, "config", t);
		kiln_json_u64(&j, "stages", (uint64_t)c.n_stages);
		if (c.model.vocab > 0)
			kiln_json_u64(&j, "parameters", trn_model_count_params(&c.model));
		kiln_json_obj_end(&j);
		kiln_json_end_line(&j);
		free(t);
	} else {
		if (c.model.vocab > 0)
			printf("# %llu parameters\n", (unsigned long long)trn_model_count_params(&c.model));
		trn_config_write(stdout, &c);
	}
	return KILN_EXIT_OK;
}

static const char example_tiny[] =
	"# A tiny run that memorises a small dataset in seconds on a CPU.\n"
	"data = data            # a Kiln token or sprite dataset (relative to this file)\n"
	"out = run              # checkpoints, log.jsonl and loss.svg go here\n"
	"seed = 1\n"
	"log_every = 10\n"
	"checkpoint_every = 50\n"
	"batch = 4              # keys before the first section are defaults for every stage\n"
	"\n[model]\nlayers = 2\nwidth = 64\nheads = 4\ncontext = 128\nvocab = 0              # 0: from the dataset\n"
	"position = rope\n"
	"\n[stage main]\nsteps = 200\noptimizer = adamw\nlr = 3e-3\nwarmup = 10\nschedule = cosine\n";

static const char example_pixel[] =
	"# PixelLLM: 32x32 palette sprites, 64 colours + special and conditioning tokens.\n"
	"data = sprites\nval = sprites-val\nout = pixel-run\nseed = 42\n"
	"val_every = 500\ncheckpoint_every = 1000\nbatch = 32\naccum = 2\n"
	"\n[model]\nlayers = 6\nwidth = 192\nheads = 6\ncontext = 1040\nvocab = 80\nmlp = 4\n"
	"position = sin2d       # row/column sinusoids; grid taken from the dataset\ntie_embeddings = yes\n"
	"\n[stage main]\nsteps = 50000\noptimizer = adamw\nlr = 3e-4\nweight_decay = 0.1\nwarmup = 1000\nschedule = cosine\n";

static const char example_bytecraft[] =
	"# ByteCraft-style: BPE tokens of SWF files after a text prompt; context grows\n"
	"# 4K -> 8K -> 32K, Muon early then AdamW (as the paper trained).\n"
	"data = swf-tokens\nval = swf-tokens-val\nout = bytecraft-run\nseed = 1\n"
	"val_every = 1000\ncheckpoint_every = 500\nbatch = 1\naccum = 8\ngrad_clip = 1\n"
	"\n[model]\nlayers = 12\nwidth = 768\nheads = 12\ncontext = 32768\nvocab = 0\nposition = rope\n"
	"rope_theta = 500000\ntie_embeddings = no\n"
	"\n[stage ctx4k]\ncontext = 4096\nsteps = 20000\noptimizer = muon\nlr = 6e-4\nmuon_lr = 0.02\nwarmup = 500\nschedule = wsd\n"
	"\n[stage ctx8k]\ncontext = 8192\nsteps = 10000\noptimizer = adamw\nlr = 3e-4\nschedule = cosine\n"
	"\n[stage ctx32k]\ncontext = 32768\nsteps = 5000\noptimizer = adamw\nlr = 1e-4\nschedule = cosine\n";

static int cmd_example(const char *name)
{
	if (!strcmp(name, "tiny"))
		fputs(example_tiny, stdout);
	else if (!strcmp(name, "pixel"))
		fputs(example_pixel, stdout);
	else if (!strcmp(name, "bytecraft"))
		fputs(example_bytecraft, stdout);
	else
		kiln_usage_error("example: unknown name '%s' (tiny, pixel, bytecraft)", name);
	return KILN_EXIT_OK;
}

/* ---- main ------------------------------------------------------------------ */

enum {
	O_JSON = 256, O_RESTART, O_STOP, O_PROMPT, O_PROMPTS, O_FROM, O_MAXNEW, O_TOPK, O_TOPP, O_MINP, O_SEED,
	O_BREED, O_MASK, O_VOCAB, O_IDOFF, O_EXT, O_NOTOOLS, O_TEXTP
};

/* The commands that take each option besides -q, -h and -V (every command
 * takes those), as kiln-train(1) OPTIONS says. */
static const kiln_opt_cmds opt_cmds[] = {
	{ O_JSON, "run sample info config" }, { O_RESTART, "run" }, { O_STOP, "run" },
	{ 'o', "sample" }, { O_PROMPT, "sample" }, { O_PROMPTS, "sample" }, { O_TEXTP, "sample" },
	{ O_FROM, "sample" }, { 'n', "sample" }, { 'k', "sample" }, { O_MAXNEW, "sample" }, { 't', "sample" },
	{ O_TOPK, "sample" }, { O_TOPP, "sample" }, { O_MINP, "sample" }, { O_SEED, "sample" },
	{ O_BREED, "sample" }, { O_MASK, "sample" }, { O_VOCAB, "sample" }, { O_IDOFF, "sample" },
	{ O_EXT, "sample" }, { O_NOTOOLS, "sample" }, { 0, NULL }
};

int main(int argc, char **argv)
{
	kiln_tool_start("kiln-train");
	static const struct option lo[] = {
		{ "help", no_argument, 0, 'h' }, { "version", no_argument, 0, 'V' }, { "quiet", no_argument, 0, 'q' },
		{ "json", no_argument, 0, O_JSON }, { "restart", no_argument, 0, O_RESTART },
		{ "stop-after", required_argument, 0, O_STOP }, { "out", required_argument, 0, 'o' },
		{ "prompt", required_argument, 0, O_PROMPT }, { "prompts", required_argument, 0, O_PROMPTS },
		{ "from", required_argument, 0, O_FROM }, { "count", required_argument, 0, 'n' },
		{ "samples", required_argument, 0, 'k' }, { "max-new", required_argument, 0, O_MAXNEW },
		{ "temperature", required_argument, 0, 't' }, { "top-k", required_argument, 0, O_TOPK },
		{ "top-p", required_argument, 0, O_TOPP }, { "min-p", required_argument, 0, O_MINP },
		{ "seed", required_argument, 0, O_SEED }, { "breed", required_argument, 0, O_BREED },
		{ "mask", required_argument, 0, O_MASK }, { "vocab", required_argument, 0, O_VOCAB },
		{ "id-offset", required_argument, 0, O_IDOFF }, { "ext", required_argument, 0, O_EXT },
		{ "no-tools", no_argument, 0, O_NOTOOLS }, { "text-prompts", required_argument, 0, O_TEXTP },
		{ 0, 0, 0, 0 }
	};
	tool_opts o = { .count = 1, .samples = 1, .temperature = 1.0, .top_p = 1.0, .seed = 1, .mask = 0.4,
	                .out = "samples", .ext = "bin" };
	int c, li;
	const char *given_cmd = kiln_find_command(argc, argv, "hVqo:n:k:t:", lo);
	/* an unknown command is left to the message below */
	const char *known = given_cmd && kiln_word_in(given_cmd, "run sample info config example") ? given_cmd : NULL;
	while ((c = kiln_getopt(argc, argv, given_cmd, "hVqo:n:k:t:", lo, &li)) != -1) {
		kiln_check_opt_cmd(opt_cmds, lo, known, c, li);
		switch (c) {
		case 'h': usage(); return KILN_EXIT_OK;
		case 'V':
			if (trn_backend_available(TRN_BACKEND_CUDA)) {
				kiln_print_version(stdout, "train backends: cpu cuda");
			} else {
				char line[640];
				snprintf(line, sizeof line, "train backends: cpu (cuda: %s)", trn_backend_error(TRN_BACKEND_CUDA));
				kiln_print_version(stdout, line);
			}
			return KILN_EXIT_OK;
		case 'q': o.quiet = 1; break;
		case O_JSON: o.json = 1; break;
		case O_RESTART: o.restart = 1; break;
		case O_STOP: o.stop_after = (int64_t)kiln_opt_u64("--stop-after", optarg, 1, INT64_MAX); break;
		case 'o': o.out = optarg; break;
		case O_PROMPT: o.prompt = optarg; break;
		case O_PROMPTS: o.prompts = optarg; break;
		case O_TEXTP: o.text_prompts = optarg; break;
		case O_FROM: o.from = optarg; break;
		case 'n': o.count = (int64_t)kiln_opt_u64("--count", optarg, 1, 1 << 20); break;
		case 'k': o.samples = (int64_t)kiln_opt_u64("--samples", optarg, 1, 1 << 16); break;
		case O_MAXNEW: o.max_new = (int64_t)kiln_opt_u64("--max-new", optarg, 1, TRN_MAX_CTX); break;
		case 't': o.temperature = kiln_opt_double("--temperature", optarg, 0, 100); break;
		case O_TOPK: o.top_k = (int64_t)kiln_opt_u64("--top-k", optarg, 0, TRN_MAX_VOCAB); break;
		case O_TOPP: o.top_p = kiln_opt_double("--top-p", optarg, 0, 1); break;
		case O_MINP: o.min_p = kiln_opt_double("--min-p", optarg, 0, 1); break;
		case O_SEED: o.seed = kiln_opt_u64("--seed", optarg, 0, UINT64_MAX); break;
		case O_BREED: o.breed = optarg; break;
		case O_MASK: o.mask = kiln_opt_double("--mask", optarg, 0, 1); break;
		case O_VOCAB: o.vocab = optarg; break;
		case O_IDOFF: o.id_offset = (int64_t)kiln_opt_u64("--id-offset", optarg, 0, TRN_MAX_VOCAB); break;
		case O_EXT: o.ext = optarg; break;
		case O_NOTOOLS: o.no_tools = 1; break;
		}
	}
	kiln_set_quiet(o.quiet);
	if (optind >= argc)
		kiln_usage_error("no command given (run, sample, info, config, example)");
	const char *cmd = argv[optind++];
	if (optind + 1 != argc)
		kiln_usage_error("%s: exactly one argument expected", cmd);
	const char *arg = argv[optind];
	for (const char *p = o.ext; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')))
			kiln_usage_error("--ext: lower-case letters and digits only");
	if (!strcmp(cmd, "run"))
		return cmd_run(&o, arg);
	if (!strcmp(cmd, "sample"))
		return cmd_sample(&o, arg);
	if (!strcmp(cmd, "info"))
		return cmd_info(&o, arg);
	if (!strcmp(cmd, "config"))
		return cmd_config(&o, arg);
	if (!strcmp(cmd, "example"))
		return cmd_example(arg);
	kiln_usage_error("unknown command '%s' (run, sample, info, config, example)", cmd);
}
