/*
 * bpe_main.c - kiln-bpe: train a byte-level BPE vocabulary on files, folders
 * or Kiln byte datasets; encode to datasets or decimal ids; decode; export a
 * HuggingFace tokenizer.json; report statistics. A front end over libbpe
 * (bpe/bpe.h) and libshard; see man/kiln-bpe.1.
 */
#include "bpe.h"
#include "kiln.h"
#include "shard.h"

#include <errno.h>
#include <pthread.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#define MAX_INPUT_FILE (4ull << 30)
#define MAX_VOCAB_FILE (1ull << 30)
#define MAX_IDS_FILE (16ull << 30)

static void usage(FILE *out)
{
	fprintf(out,
	        "Usage: kiln-bpe COMMAND [OPTIONS] ...\n"
	        "Byte-level BPE: exact greedy training at corpus scale, encoding, decoding.\n"
	        "\n"
	        "Commands:\n"
	        "  train --vocab-size N -o VOCAB INPUT...   learn merges (files, folders, byte datasets)\n"
	        "  encode -v VOCAB -o OUT INPUT...          write a token dataset (or --ids: ids, one per line)\n"
	        "  decode -v VOCAB -o FILE IDS              ids (one per line) back to bytes\n"
	        "  export -v VOCAB --format hf -o FILE      HuggingFace tokenizer.json\n"
	        "  stats -v VOCAB INPUT...                  bytes/token, length histogram, usage\n"
	        "\n"
	        "Options:\n"
	        "  -o, --output PATH         output (written atomically; '-' = stdout for text)\n"
	        "  -v, --vocab FILE          vocabulary file (from train)\n"
	        "      --vocab-size N        train: 257 .. 16777216 ids (256 bytes + merges)\n"
	        "      --min-count C         train: never merge a pair seen fewer times (default 2)\n"
	        "      --max-token-bytes L   train: no token longer than L bytes (default: no cap)\n"
	        "      --chunk SIZE          train: cut documents into SIZE-byte pieces (default: whole)\n"
	        "      --sample SIZE         train: a deterministic sample of at most SIZE bytes\n"
	        "      --seed S              train: seed of the sample (default 0)\n"
	        "      --checkpoint FILE     train: save the merges so far every --checkpoint-every s\n"
	        "      --checkpoint-every S  train: seconds between checkpoints (default 60)\n"
	        "      --resume FILE         train: continue from a checkpoint (same inputs and options)\n"
	        "      --ids                 encode: decimal ids one per line instead of a dataset\n"
	        "      --id-offset N         encode/decode/export: ids start at N (default 0)\n"
	        "      --prompt MODE         encode datasets: copy (default), bytes or encode the prompt\n"
	        "      --max-shard-size N    encode: roll over to a new shard at N bytes (default 256M)\n"
	        "      --part I/N            encode: only block I of N of the inputs (kiln-shard merge joins them)\n"
	        "      --format F            export: hf (the only format)\n"
	        "      --force               encode: replace an existing output dataset\n"
	        "  -t, --threads N           worker threads (default: OpenMP's; results never depend on it)\n"
	        "      --json                train/encode/stats: machine-readable summary on stdout\n"
	        "  -q, --quiet               no progress line or summary\n"
	        "  -h, --help                this help\n"
	        "  -V, --version             version and features built in\n"
	        "\n"
	        "Exit status: 0 success, 1 failure (bad input, I/O), 2 usage error.\n");
}

enum {
	OPT_VOCAB_SIZE = 256, OPT_MIN_COUNT, OPT_MAX_TOKEN, OPT_CHUNK, OPT_SAMPLE, OPT_SEED, OPT_CKPT,
	OPT_CKPT_EVERY, OPT_RESUME, OPT_IDS, OPT_ID_OFFSET, OPT_PROMPT, OPT_MAXSHARD, OPT_FORMAT, OPT_FORCE,
	OPT_JSON, OPT_PART
};

static const struct option long_opts[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "vocab", required_argument, NULL, 'v' },
	{ "vocab-size", required_argument, NULL, OPT_VOCAB_SIZE },
	{ "min-count", required_argument, NULL, OPT_MIN_COUNT },
	{ "max-token-bytes", required_argument, NULL, OPT_MAX_TOKEN },
	{ "chunk", required_argument, NULL, OPT_CHUNK },
	{ "sample", required_argument, NULL, OPT_SAMPLE },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "checkpoint", required_argument, NULL, OPT_CKPT },
	{ "checkpoint-every", required_argument, NULL, OPT_CKPT_EVERY },
	{ "resume", required_argument, NULL, OPT_RESUME },
	{ "ids", no_argument, NULL, OPT_IDS },
	{ "id-offset", required_argument, NULL, OPT_ID_OFFSET },
	{ "prompt", required_argument, NULL, OPT_PROMPT },
	{ "max-shard-size", required_argument, NULL, OPT_MAXSHARD },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "threads", required_argument, NULL, 't' },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "part", required_argument, NULL, OPT_PART },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 }
};

enum { PROMPT_COPY, PROMPT_BYTES, PROMPT_ENCODE };

struct opts {
	const char *output, *vocab, *ckpt, *resume, *format;
	uint64_t vocab_size, min_count, max_token, chunk, sample, seed, ckpt_every, id_offset, max_shard;
	int ids, force, json, threads, prompt, has_vocab_size, has_prompt;
	uint32_t part, nparts;
};

/* The commands that take each option (-t, -q, -h and -V: every command;
 * -t is a speed hint that never changes a result). */
static const kiln_opt_cmds opt_cmds[] = {
	{ 'o', "train encode decode export" }, { 'v', "encode decode export stats" },
	{ OPT_JSON, "train encode stats" },
	{ OPT_VOCAB_SIZE, "train" }, { OPT_MIN_COUNT, "train" }, { OPT_MAX_TOKEN, "train" }, { OPT_CHUNK, "train" },
	{ OPT_SAMPLE, "train" }, { OPT_SEED, "train" }, { OPT_CKPT, "train" }, { OPT_CKPT_EVERY, "train" },
	{ OPT_RESUME, "train" }, { OPT_IDS, "encode" }, { OPT_ID_OFFSET, "encode decode export" },
	{ OPT_PROMPT, "encode" }, { OPT_MAXSHARD, "encode" }, { OPT_PART, "encode" }, { OPT_FORCE, "encode" },
	{ OPT_FORMAT, "export" }, { 0, NULL }
};

static void parse_opts(const char *cmd, int argc, char **argv, struct opts *o)
{
	int c, li;
	memset(o, 0, sizeof *o);
	o->min_count = 2;
	o->ckpt_every = 60;
	o->part = o->nparts = 1;
	optind = 1;
	while ((c = kiln_getopt(argc, argv, cmd, "o:v:t:qhV", long_opts, &li)) != -1) {
		kiln_check_opt_cmd(opt_cmds, long_opts, cmd, c, li);
		switch (c) {
		case 'o': o->output = optarg; break;
		case 'v': o->vocab = optarg; break;
		case OPT_VOCAB_SIZE: o->vocab_size = kiln_opt_u64("--vocab-size", optarg, 257, BPE_MAX_VOCAB); o->has_vocab_size = 1; break;
		case OPT_MIN_COUNT: o->min_count = kiln_opt_u64("--min-count", optarg, 1, UINT32_MAX); break;
		case OPT_MAX_TOKEN: o->max_token = kiln_opt_u64("--max-token-bytes", optarg, 2, BPE_MAX_DOC_BYTES); break;
		case OPT_CHUNK: o->chunk = kiln_opt_size("--chunk", optarg, 2, BPE_MAX_DOC_BYTES); break;
		case OPT_SAMPLE: o->sample = kiln_opt_size("--sample", optarg, 1, UINT64_MAX >> 2); break;
		case OPT_SEED: o->seed = kiln_opt_u64("--seed", optarg, 0, UINT64_MAX); break;
		case OPT_CKPT: o->ckpt = optarg; break;
		case OPT_CKPT_EVERY: o->ckpt_every = kiln_opt_u64("--checkpoint-every", optarg, 1, 1u << 30); break;
		case OPT_RESUME: o->resume = optarg; break;
		case OPT_IDS: o->ids = 1; break;
		case OPT_ID_OFFSET: o->id_offset = kiln_opt_u64("--id-offset", optarg, 0, UINT32_MAX - BPE_MAX_VOCAB); break;
		case OPT_PROMPT:
			if (!strcmp(optarg, "copy")) o->prompt = PROMPT_COPY;
			else if (!strcmp(optarg, "bytes")) o->prompt = PROMPT_BYTES;
			else if (!strcmp(optarg, "encode")) o->prompt = PROMPT_ENCODE;
			else kiln_usage_error("--prompt: expected copy, bytes or encode, got '%s'", optarg);
			o->has_prompt = 1;
			break;
		case OPT_MAXSHARD: o->max_shard = kiln_opt_size("--max-shard-size", optarg, 4096, UINT64_MAX >> 1); break;
		case OPT_FORMAT:
			if (strcmp(optarg, "hf")) kiln_usage_error("--format: only 'hf' is supported, got '%s'", optarg);
			o->format = optarg;
			break;
		case OPT_FORCE: o->force = 1; break;
		case 't': o->threads = (int)kiln_opt_u64("--threads", optarg, 1, 4096); break;
		case OPT_JSON: o->json = 1; break;
		case OPT_PART:
			if (kiln_parse_part(optarg, &o->part, &o->nparts))
				kiln_usage_error("--part: expected I/N with 1 <= I <= N, got '%s'", optarg);
			break;
		case 'q': kiln_set_quiet(1); break;
		case 'h': usage(stdout); exit(0);
		case 'V': kiln_print_version(stdout, NULL); exit(0);
		}
	}
#ifdef _OPENMP
	if (o->threads) omp_set_num_threads(o->threads);
#endif
}

static int nthreads(const struct opts *o)
{
#ifdef _OPENMP
	return o->threads ? o->threads : omp_get_max_threads();
#else
	(void)o;
	return 1;   /* built without OpenMP: --threads is accepted and has no effect */
#endif
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* ---- inputs: files (walked) and Kiln datasets (every record) -------------- */

typedef struct {
	const char *path;          /* file path, or the dataset's path */
	shard_dataset *ds;         /* NULL for a file */
	uint64_t rec, size;        /* record index; bytes of content */
} src;

typedef struct {
	src *v;
	size_t n, cap;
	shard_dataset **ds;
	size_t nds;
	int failed;
} inputs;

static void add_src(inputs *in, src s)
{
	if (in->n == in->cap) {
		in->cap = in->cap ? in->cap * 2 : 256;
		in->v = kiln_xrealloc(in->v, in->cap * sizeof *in->v);
	}
	in->v[in->n++] = s;
}

static int walk_cb(const char *path, int kind, int info, void *ud)
{
	inputs *in = ud;
	if (kind == KILN_WALK_SKIPPED) return 0;   /* the walker warned */
	if (kind == KILN_WALK_ERROR) { kiln_file_error(path, "%s", strerror(info)); in->failed = 1; return 0; }
	struct stat st;
	if (stat(path, &st)) { kiln_file_error(path, "%s", strerror(errno)); in->failed = 1; return 0; }
	add_src(in, (src){ kiln_xstrdup(path), NULL, 0, (uint64_t)st.st_size });
	return 0;
}

/* A Kiln dataset is a folder with manifest.json or a regular file starting
 * with the shard magic; anything else is raw bytes. A pipe is never probed:
 * what a probe reads from it would be gone for the real read. */
static int is_dataset(const char *path)
{
	char buf[4096];
	struct stat st;
	if (kiln_is_dir(path)) {
		snprintf(buf, sizeof buf, "%s/manifest.json", path);
		return stat(buf, &st) == 0;
	}
	if (stat(path, &st) || !S_ISREG(st.st_mode)) return 0;
	FILE *f = fopen(path, "rb");
	if (!f) return 0;
	size_t n = fread(buf, 1, 8, f);
	fclose(f);
	return n == 8 && !memcmp(buf, SHARD_MAGIC, 8);
}

static KILN_NORETURN void die_shard(const shard_error *e)
{
	char b[600];
	kiln_die(KILN_EXIT_FAIL, "%s", shard_error_text(e, b, sizeof b));
}

static shard_dataset *open_dataset(const char *path)
{
	shard_dataset *d;
	shard_error e;
	if (shard_dataset_open(path, &d, &e)) die_shard(&e);
	return d;
}

/* need_bytes: the content must be bytes (vocab 256, u8), as for training. */
static void collect(inputs *in, char **args, int n, int need_bytes)
{
	memset(in, 0, sizeof *in);
	for (int i = 0; i < n; i++) {
		if (!is_dataset(args[i])) {
			const char *one[1] = { args[i] };
			kiln_walk(one, 1, walk_cb, in);
			continue;
		}
		shard_dataset *d = open_dataset(args[i]);
		const shard_spec *s = shard_dataset_spec(d);
		if (s->kind != SHARD_TOKENS || s->elem_size != 1 || s->vocab_size > 256)
			kiln_die(KILN_EXIT_FAIL, "%s: a %s dataset with vocabulary %u: kiln-bpe reads byte token datasets (vocab 256)",
			         args[i], shard_kind_name(s->kind), s->vocab_size);
		(void)need_bytes;
		in->ds = kiln_xrealloc(in->ds, (in->nds + 1) * sizeof *in->ds);
		in->ds[in->nds++] = d;
		uint64_t nr = shard_dataset_records(d);
		for (uint64_t r = 0; r < nr; r++) {
			shard_record rec;
			shard_error e;
			if (shard_dataset_record(d, r, &rec, &e)) kiln_die(KILN_EXIT_FAIL, "%s", e.msg);
			add_src(in, (src){ args[i], d, r, rec.n_content });
		}
	}
	if (in->failed) kiln_die(KILN_EXIT_FAIL, "cannot read every input");
}

/* Keep only block part/nparts of the inputs (documents in input order), so
 * independent workers' datasets merge into what one run writes. */
static void inputs_keep_part(inputs *in, uint32_t part, uint32_t nparts)
{
	uint64_t lo, hi;
	kiln_part_range(in->n, part, nparts, &lo, &hi);
	for (size_t i = 0; i < in->n; i++)
		if ((i < lo || i >= hi) && !in->v[i].ds) free((char *)in->v[i].path);
	memmove(in->v, in->v + lo, (size_t)(hi - lo) * sizeof *in->v);
	in->n = (size_t)(hi - lo);
}

static void inputs_free(inputs *in)
{
	for (size_t i = 0; i < in->n; i++)
		if (!in->v[i].ds) free((char *)in->v[i].path);
	free(in->v);
	for (size_t i = 0; i < in->nds; i++) shard_dataset_close(in->ds[i]);
	free(in->ds);
}

/* Content bytes of s: a mapped record (not owned) or a file read whole
 * (*owned set, caller frees). Dies on I/O errors, naming the file. */
static const uint8_t *src_read(const src *s, size_t *len, uint8_t **owned, shard_record *rec)
{
	*owned = NULL;
	if (s->ds) {
		shard_error e;
		/* Checked here, so that corrupt records never reach a vocabulary or
		 * leave as a new dataset with valid checksums. */
		if (shard_dataset_record(s->ds, s->rec, rec, &e) || shard_dataset_verify_record(s->ds, s->rec, &e))
			die_shard(&e);
		*len = rec->n_content;
		return rec->content;
	}
	uint8_t *d = kiln_read_file(s->path, MAX_INPUT_FILE, len);
	if (!d) kiln_die(KILN_EXIT_FAIL, "%s: %s", s->path, errno == EFBIG ? "file too large (over 4 GiB)" : strerror(errno));
	*owned = d;
	return d;
}

/* ---- vocabulary helpers ---------------------------------------------------- */

static bpe_vocab *load_vocab(const char *path)
{
	if (!path) kiln_usage_error("-v VOCAB is required");
	size_t n;
	uint8_t *data = kiln_read_file(path, MAX_VOCAB_FILE, &n);
	if (!data) kiln_die(KILN_EXIT_FAIL, "%s: %s", path, strerror(errno));
	bpe_vocab *v;
	bpe_error e;
	if (bpe_vocab_parse(data, n, 0, &v, &e)) {
		if (e.offset != UINT64_MAX) kiln_die(KILN_EXIT_FAIL, "%s: byte offset %" PRIu64 ": %s", path, e.offset, e.msg);
		kiln_die(KILN_EXIT_FAIL, "%s: %s", path, e.msg);
	}
	free(data);
	return v;
}

/* The vocabulary's identity: SHA-256 of its merges as little-endian u32
 * pairs (the same bytes for the same merges, whatever the file's metadata). */
static void merges_sha256(const uint32_t *pairs, size_t n, uint8_t out[32])
{
	kiln_sha256_ctx *c = kiln_sha256_new();
	uint8_t buf[4096];
	size_t k = 0;
	for (size_t i = 0; i < 2 * n; i++) {
		uint32_t x = pairs[i];
		buf[k++] = (uint8_t)x; buf[k++] = (uint8_t)(x >> 8); buf[k++] = (uint8_t)(x >> 16); buf[k++] = (uint8_t)(x >> 24);
		if (k == sizeof buf) { kiln_sha256_update(c, buf, k); k = 0; }
	}
	kiln_sha256_update(c, buf, k);
	kiln_sha256_final(c, out);
}

static void write_text(const char *path, const char *data, size_t n)
{
	kiln_outfile f;
	if (kiln_outfile_open(&f, path)) kiln_die(KILN_EXIT_FAIL, "%s: %s", path, strerror(errno));
	if (fwrite(data, 1, n, f.fp) != n || kiln_outfile_commit(&f)) {
		int e = errno;
		kiln_outfile_abort(&f);
		kiln_die(KILN_EXIT_FAIL, "%s: %s", path, strerror(e));
	}
}

/* ---- train ----------------------------------------------------------------- */

struct train_ctx {
	kiln_progress *prog;
	const char *ckpt;
	double every, last;
	const char *const *meta;
	size_t n_meta;
	size_t done;
};

static void save_merges(const char *path, const uint32_t *pairs, size_t n, const char *const *meta, size_t n_meta)
{
	char *txt;
	size_t len;
	if (bpe_merges_format(pairs, n, meta, n_meta, &txt, &len)) kiln_die(KILN_EXIT_FAIL, "%s: out of memory", path);
	write_text(path, txt, len);
	free(txt);
}

static int train_progress(void *ud, const uint32_t *pairs, size_t n, uint64_t count)
{
	struct train_ctx *c = ud;
	(void)count;
	c->done = n;
	kiln_progress_update(c->prog, n);
	if (c->ckpt && now() - c->last >= c->every) {
		save_merges(c->ckpt, pairs, n, c->meta, c->n_meta);
		c->last = now();
	}
	return 0;
}

/* Die unless a temporary beside path can be made (and path is no folder,
 * which the final rename would fail on). Standard output, a device and a
 * pipe are left alone: opening a named pipe waits for a reader, and closing
 * it again would end that reader's input. */
static void check_writable(const char *path)
{
	struct stat st;
	if (!strcmp(path, "-")) return;
	int exists = stat(path, &st) == 0;
	if (exists && S_ISDIR(st.st_mode)) kiln_die(KILN_EXIT_FAIL, "%s: %s", path, strerror(EISDIR));
	if (exists && !S_ISREG(st.st_mode)) return;
	kiln_outfile of;
	if (kiln_outfile_open(&of, path)) kiln_die(KILN_EXIT_FAIL, "%s: %s", path, strerror(errno));
	kiln_outfile_abort(&of);
}

/* --sample picks documents by their sizes before reading them; a pipe's or
 * a device's size is only known once read, so it would be taken whole
 * whatever the sample's size. */
static void refuse_unsized(const inputs *in)
{
	struct stat st;
	for (size_t i = 0; i < in->n; i++)
		if (!in->v[i].ds && (stat(in->v[i].path, &st) || !S_ISREG(st.st_mode)))
			kiln_die(KILN_EXIT_FAIL, "%s: --sample needs every input's size before reading, and a pipe or device "
			         "has none (save it to a file)", in->v[i].path);
}

/* Nothing to train on: 0 merges would look like a finished vocabulary, so
 * stop and name the inputs (or the sample that kept none of them). */
static KILN_NORETURN void die_no_bytes(const inputs *in, char **args, int n, uint64_t sample)
{
	uint64_t smallest = 0;
	for (size_t i = 0; i < in->n; i++)
		if (in->v[i].size && (!smallest || in->v[i].size < smallest)) smallest = in->v[i].size;
	if (sample && smallest)
		kiln_die(KILN_EXIT_FAIL, "--sample %" PRIu64 " keeps no bytes: the smallest non-empty document holds %" PRIu64,
		         sample, smallest);
	char list[400] = "";
	size_t at = 0;
	for (int i = 0; i < n && at < sizeof list; i++) {
		int k = i < 3 ? snprintf(list + at, sizeof list - at, "%s%s", i ? ", " : "", args[i])
		              : snprintf(list + at, sizeof list - at, " and %d more", n - 3);
		if (k < 0) break;
		at += (size_t)k;
		if (i == 3) break;
	}
	if (!in->n) kiln_die(KILN_EXIT_FAIL, "%s: no bytes to train on (no documents)", list);
	kiln_die(KILN_EXIT_FAIL, "%s: no bytes to train on (%zu empty document%s)", list, in->n, in->n == 1 ? "" : "s");
}

static int cmd_train(int argc, char **argv)
{
	struct opts o;
	parse_opts("train", argc, argv, &o);
	if (!o.has_vocab_size) kiln_usage_error("train: --vocab-size N is required");
	if (!o.output) kiln_usage_error("train: -o VOCAB is required");
	if (optind >= argc) kiln_usage_error("train: no input given");
	/* An output or checkpoint that cannot be written should stop the run
	 * now, not after hours of training. */
	check_writable(o.output);
	if (o.ckpt) check_writable(o.ckpt);
	inputs in;
	collect(&in, argv + optind, argc - optind, 1);

	/* --sample: documents in a seeded pseudo-random order, kept while they fit. */
	uint8_t *keep = kiln_xmalloc(in.n ? in.n : 1);
	uint64_t total = 0, docs = 0;
	if (o.sample) {
		refuse_unsized(&in);
		uint64_t *ord = kiln_xmalloc((in.n ? in.n : 1) * sizeof *ord * 2);
		for (size_t i = 0; i < in.n; i++) { ord[2 * i] = kiln_mix64(o.seed, i); ord[2 * i + 1] = i; keep[i] = 0; }
		/* sort (key, index) pairs by key */
		for (size_t gap = in.n / 2; gap > 0; gap /= 2)   /* shell sort: no qsort context needed */
			for (size_t i = gap; i < in.n; i++)
				for (size_t j = i; j >= gap && ord[2 * (j - gap)] > ord[2 * j]; j -= gap) {
					uint64_t k0 = ord[2 * j], k1 = ord[2 * j + 1];
					ord[2 * j] = ord[2 * (j - gap)]; ord[2 * j + 1] = ord[2 * (j - gap) + 1];
					ord[2 * (j - gap)] = k0; ord[2 * (j - gap) + 1] = k1;
				}
		for (size_t i = 0; i < in.n; i++) {
			size_t k = ord[2 * i + 1];
			if (total + in.v[k].size <= o.sample) { keep[k] = 1; total += in.v[k].size; }
		}
		free(ord);
	} else {
		for (size_t i = 0; i < in.n; i++) { keep[i] = 1; total += in.v[i].size; }
	}
	for (size_t i = 0; i < in.n; i++) docs += keep[i] ? (o.chunk ? in.v[i].size / o.chunk + 1 : 1) : 0;
	if (total + docs + 1 > BPE_MAX_CORPUS)
		kiln_die(KILN_EXIT_FAIL, "the inputs hold %" PRIu64 " bytes; one training run takes at most %" PRIu64 " (use --sample)",
		         total, (uint64_t)BPE_MAX_CORPUS - docs - 1);

	bpe_corpus *c;
	if (bpe_corpus_create(total, docs, &c)) kiln_die(KILN_EXIT_FAIL, "out of memory for a %" PRIu64 "-byte corpus", total);
	int hash = o.ckpt || o.resume;
	kiln_sha256_ctx *h = hash ? kiln_sha256_new() : NULL;
	kiln_progress *p = kiln_progress_start("reading", total, "B");
	uint64_t got = 0;
	for (size_t i = 0; i < in.n; i++) {
		if (!keep[i]) continue;
		size_t len;
		uint8_t *owned;
		shard_record rec;
		const uint8_t *d = src_read(&in.v[i], &len, &owned, &rec);
		if (h) {
			/* Each document's length first: the same bytes cut into other
			 * documents are another corpus (merges never cross documents). */
			uint8_t le[8];
			for (int b = 0; b < 8; b++) le[b] = (uint8_t)((uint64_t)len >> (8 * b));
			kiln_sha256_update(h, le, 8);
			kiln_sha256_update(h, d, len);
		}
		size_t step = o.chunk ? o.chunk : len, off = 0;
		do {
			size_t k = len - off < step ? len - off : step;
			int rc = bpe_corpus_add(c, d + off, k);
			if (rc == BPE_ERANGE) kiln_die(KILN_EXIT_FAIL, "%s: document over %u bytes (use --chunk)", in.v[i].path, BPE_MAX_DOC_BYTES);
			if (rc) kiln_die(KILN_EXIT_FAIL, "out of memory reading %s", in.v[i].path);
			off += k;
		} while (off < len);
		got += len;
		kiln_progress_update(p, got);
		free(owned);
	}
	kiln_progress_end(p);
	free(keep);
	/* Checked after reading: a pipe's size is only known then. */
	if (!bpe_corpus_bytes(c)) die_no_bytes(&in, argv + optind, argc - optind, o.sample);
	char sha[65] = "";
	if (h) {
		uint8_t dg[32];
		kiln_sha256_final(h, dg);
		kiln_hex(dg, 32, sha);
	}

	/* Everything that changes the result is recorded in the vocabulary. */
	char s_vocab[32], s_min[32], s_max[32], s_chunk[32], s_sample[32], s_seed[32], s_bytes[32], s_docs[32];
	snprintf(s_vocab, sizeof s_vocab, "%" PRIu64, o.vocab_size);
	snprintf(s_min, sizeof s_min, "%" PRIu64, o.min_count);
	snprintf(s_max, sizeof s_max, "%" PRIu64, o.max_token);
	snprintf(s_chunk, sizeof s_chunk, "%" PRIu64, o.chunk);
	snprintf(s_sample, sizeof s_sample, "%" PRIu64, o.sample);
	snprintf(s_seed, sizeof s_seed, "%" PRIu64, o.seed);
	snprintf(s_bytes, sizeof s_bytes, "%" PRIu64, bpe_corpus_bytes(c));
	snprintf(s_docs, sizeof s_docs, "%" PRIu64, bpe_corpus_docs(c));
	const char *meta[] = { "vocab-size", s_vocab, "min-count", s_min, "max-token-bytes", s_max, "chunk", s_chunk,
	                       "sample", s_sample, "seed", s_seed, "corpus-bytes", s_bytes, "corpus-docs", s_docs,
	                       "corpus-sha256", sha };
	size_t n_meta = hash ? 9 : 8;

	bpe_train_opts to = { .vocab_size = (uint32_t)o.vocab_size, .min_count = o.min_count,
	                      .max_token_bytes = (uint32_t)o.max_token, .threads = nthreads(&o) };
	bpe_vocab *resume = NULL;
	if (o.resume) {
		resume = load_vocab(o.resume);
		/* The checkpoint is only valid for the same corpus and options. */
		for (size_t i = 1; i < n_meta; i++) {   /* all but vocab-size, which may grow */
			const char *want = bpe_vocab_meta(resume, meta[2 * i]);
			/* Size and document count alone would let another corpus of the
			 * same size through, and a wrong vocabulary out. */
			if (!want && !strcmp(meta[2 * i], "corpus-sha256"))
				kiln_die(KILN_EXIT_FAIL, "%s: no corpus-sha256, so it cannot be checked against these inputs "
				         "(only runs with --checkpoint record one): train again with --checkpoint", o.resume);
			if (!want || strcmp(want, meta[2 * i + 1]))
				kiln_die(KILN_EXIT_FAIL, "%s: checkpoint made with %s %s, this run has %s", o.resume, meta[2 * i],
				         want ? want : "(missing)", meta[2 * i + 1]);
		}
		to.init_pairs = bpe_vocab_pairs(resume);
		to.n_init = bpe_vocab_merges(resume);
	}
	struct train_ctx tc = { 0 };
	tc.prog = kiln_progress_start("merges", o.vocab_size - 256, "merges");
	tc.ckpt = o.ckpt;
	tc.every = (double)o.ckpt_every;
	tc.last = now();
	tc.meta = meta;
	tc.n_meta = n_meta;
	to.progress = train_progress;
	to.progress_ud = &tc;
	uint32_t *pairs;
	size_t n;
	bpe_train_stats st;
	bpe_error e;
	double t0 = now();
	int rc = bpe_train(c, &to, &pairs, &n, &st, &e);
	double secs = now() - t0;
	kiln_progress_end(tc.prog);
	bpe_vocab_free(resume);
	bpe_corpus_free(c);
	if (rc) kiln_die(KILN_EXIT_FAIL, "training failed: %s", e.msg);
	save_merges(o.output, pairs, n, meta, n_meta);
	if (o.ckpt) save_merges(o.ckpt, pairs, n, meta, n_meta);
	uint8_t fp[32];
	char fph[65];
	merges_sha256(pairs, n, fp);
	kiln_hex(fp, 32, fph);
	double bpt = st.symbols_after ? (double)st.corpus_bytes / (double)st.symbols_after : 0;
	if (o.json) {
		kiln_json j;
		kiln_json_init(&j, stdout, 0);
		kiln_json_obj_begin(&j, NULL);
		kiln_json_str(&j, "vocab", o.output);
		kiln_json_u64(&j, "vocab_size", 256 + n);
		kiln_json_u64(&j, "merges", n);
		kiln_json_str(&j, "fingerprint", fph);
		kiln_json_u64(&j, "corpus_bytes", st.corpus_bytes);
		kiln_json_u64(&j, "documents", st.docs);
		kiln_json_u64(&j, "tokens", st.symbols_after);
		kiln_json_double(&j, "bytes_per_token", bpt);
		kiln_json_double(&j, "seconds", secs);
		kiln_json_u64(&j, "pairs_tracked", st.pairs_tracked);
		kiln_json_u64(&j, "compactions", st.gc_runs);
		kiln_json_u64(&j, "stale_pops", st.stale_pops);
		kiln_json_u64(&j, "threads", (uint64_t)nthreads(&o));
		kiln_json_obj_end(&j);
		kiln_json_end_line(&j);
	} else if (!kiln_quiet()) {
		kiln_note("%zu merges (vocabulary %zu) from %" PRIu64 " bytes in %" PRIu64 " documents, %.3f bytes/token, %.1f s -> %s",
		          n, 256 + n, st.corpus_bytes, st.docs, bpt, secs, o.output);
		if (256 + n < o.vocab_size) {
			char cap[48] = "";
			if (o.max_token) snprintf(cap, sizeof cap, " of at most %" PRIu64 " bytes", o.max_token);
			kiln_note("stopped early: no pair left is seen %" PRIu64 " times and makes a new token%s", o.min_count, cap);
		}
	}
	free(pairs);
	inputs_free(&in);
	return 0;
}

/* ---- encode ---------------------------------------------------------------- */

/* A document of the current batch. Documents longer than PIECE are encoded
 * as pieces cut where bpe_encode_cut allows, on any thread, so that one big
 * file does not leave the other threads idle; each piece's ids land at its
 * byte offset in ids[] and the writer moves them together. */
#define PIECE (1u << 20)

typedef struct {
	size_t job;                /* the document, in its batch */
	size_t at, len;            /* bytes of the document */
	size_t n_ids;
	uint32_t crc;              /* of its packed ids (shard output) */
} piece;

typedef struct {
	const uint8_t *data;
	size_t len;
	uint8_t *owned;
	const void *prompt;        /* dataset records: prompt elements (u8) */
	size_t n_prompt;
	uint64_t group;
	uint32_t *ids;             /* encoded content (+ offset), len + 1 slots */
	size_t n_ids;              /* once assembled */
	uint32_t *pids;            /* prompt ids */
	size_t n_pids;
	int hash_group;            /* group = content hash, computed by a worker */
	uint32_t crc;              /* of the prompt, then of the whole record */
	size_t piece0, npieces;    /* its pieces in the batch */
} job;

/* Append the pieces of jobs[k] to *pcs (*np of them, room for *cap): while
 * over PIECE bytes are left, cut at the first place past PIECE that
 * bpe_encode_cut allows. */
static void cut_pieces(const bpe_encoder *e, job *jobs, size_t k, piece **pcs, size_t *np, size_t *cap)
{
	job *j = &jobs[k];
	j->piece0 = *np;
	size_t at = 0;
	do {
		size_t end = j->len - at > PIECE ? bpe_encode_cut(e, j->data, j->len, at + PIECE) : j->len;
		if (*np == *cap) {
			*cap = *cap ? 2 * *cap : 1024;
			*pcs = kiln_xrealloc(*pcs, *cap * sizeof **pcs);
		}
		(*pcs)[(*np)++] = (piece){ k, at, end - at, 0, 0 };
		at = end;
	} while (at < j->len);
	j->npieces = *np - j->piece0;
}

/* What a worker does: a document's head (its content hash and prompt), one
 * piece of its content, or both for a document of one piece. */
typedef struct {
	size_t job, piece;         /* piece NO_PIECE: the head alone */
	int head;
} task;
#define NO_PIECE SIZE_MAX

static uint64_t content_group(const uint8_t *d, size_t n)
{
	uint8_t dg[32];
	kiln_sha256(d, n, dg);
	uint64_t g = 0;
	for (int i = 0; i < 8; i++) g |= (uint64_t)dg[i] << (8 * i);
	return g;
}

/* The head: group hash and prompt ids, packed and checksummed when es > 0
 * (shard output) so that the ordered writer only copies bytes. */
static void encode_head(const bpe_encoder *e, bpe_workspace *w, job *j, uint32_t off, int prompt_mode, unsigned es)
{
	if (j->hash_group) j->group = content_group(j->data, j->len);
	j->pids = NULL;
	j->n_pids = 0;
	if (j->n_prompt) {
		const uint8_t *pp = j->prompt;
		j->pids = kiln_xmalloc((j->n_prompt + 1) * sizeof *j->pids);
		if (prompt_mode == PROMPT_ENCODE) {
			if (bpe_encode(e, w, pp, j->n_prompt, j->pids, &j->n_pids)) kiln_die(KILN_EXIT_FAIL, "out of memory while encoding");
			for (size_t i = 0; i < j->n_pids; i++) j->pids[i] += off;
		} else {
			for (size_t i = 0; i < j->n_prompt; i++) j->pids[i] = pp[i] + (prompt_mode == PROMPT_BYTES ? off : 0);
			j->n_pids = j->n_prompt;
		}
	}
	if (!es) return;
	shard_pack_ids(j->pids, j->pids, j->n_pids, es);   /* in place */
	j->crc = shard_crc32(0, j->pids, j->n_pids * es);
}

static void encode_piece(const bpe_encoder *e, bpe_workspace *w, job *j, piece *pc, uint32_t off, unsigned es)
{
	uint32_t *ids = j->ids + pc->at;
	if (bpe_encode(e, w, j->data + pc->at, pc->len, ids, &pc->n_ids)) kiln_die(KILN_EXIT_FAIL, "out of memory while encoding");
	for (size_t i = 0; i < pc->n_ids; i++) ids[i] += off;
	if (!es) return;
	shard_pack_ids(ids, ids, pc->n_ids, es);
	pc->crc = shard_crc32(0, ids, pc->n_ids * es);
}

/* Move a document's pieces together (es bytes per id, 0: unpacked u32) and
 * chain their checksums after the prompt's. */
static void assemble(job *j, const piece *pcs, unsigned es)
{
	size_t eb = es ? es : sizeof(uint32_t), m = 0, n = 0;
	uint8_t *base = (uint8_t *)j->ids;
	uint32_t crc = j->crc;
	for (size_t k = 0; k < j->npieces; k++) {
		const piece *pc = &pcs[j->piece0 + k];
		size_t bytes = pc->n_ids * eb;
		uint8_t *src = base + pc->at * sizeof(uint32_t);
		if (src != base + m) memmove(base + m, src, bytes);
		if (es) crc = shard_crc32_combine(crc, pc->crc, bytes);
		m += bytes;
		n += pc->n_ids;
	}
	j->n_ids = n;
	j->crc = crc;
}

/* A batch of encoded documents on its way to the output. */
typedef struct {
	job *jobs;
	size_t nb;
	piece *pieces;
	size_t npieces, cappieces;
	uint64_t done, tokens;     /* bytes and tokens the writer wrote */
	shard_writer *w;           /* dataset output, or */
	FILE *ids_out;             /* --ids */
	const char *out_name;      /* for the message of a failed --ids write */
	unsigned es;               /* id bytes in the shards */
	int failed;
	shard_error se;
} batch;

/* The errno of the failed write itself: by the time the main thread sees
 * the stream's error flag, errno says something else. */
static void ids_write_failed(batch *B, int e)
{
	B->failed = 1;
	snprintf(B->se.msg, sizeof B->se.msg, "%s: %s", B->out_name, strerror(e));
}

/* The writer thread: the batch's records in input order. It never exits the
 * process; the main thread reports its error. */
static void *write_batch(void *arg)
{
	batch *B = arg;
	B->done = B->tokens = 0;
	for (size_t k = 0; k < B->nb; k++) {
		job *j = &B->jobs[k];
		assemble(j, B->pieces, B->es);
		if (!B->failed) {
			if (B->ids_out) {
				for (size_t t = 0; t < j->n_ids && !B->failed; t++)
					if (fprintf(B->ids_out, "%u\n", j->ids[t]) < 0) ids_write_failed(B, errno);
			} else if (shard_writer_add_crc(B->w, j->pids, j->n_pids, j->ids, j->n_ids, j->group, j->crc, &B->se)) {
				B->failed = 1;
			}
		}
		B->tokens += j->n_ids;
		B->done += j->len;
		free(j->ids);
		free(j->pids);
		free(j->owned);
	}
	return NULL;
}

static void finish_batch(pthread_t t, batch *B, uint64_t *done, uint64_t *tokens)
{
	pthread_join(t, NULL);
	if (B->failed) kiln_die(KILN_EXIT_FAIL, "%s", B->se.msg);
	*done += B->done;
	*tokens += B->tokens;
}

/* A job's place in the encoding order: longest first, then input order. */
typedef struct {
	size_t len, k;
} by_len;

static int by_len_desc(const void *a, const void *b)
{
	const by_len *x = a, *y = b;
	return x->len != y->len ? (x->len < y->len ? 1 : -1) : (x->k > y->k) - (x->k < y->k);
}

/* --ids writes one text file, not a dataset: the options that shape a
 * dataset would be parsed and then ignored, so giving them is a usage error
 * that names them. */
static void check_ids_opts(const struct opts *o)
{
	const char *given[3];
	int n = 0;
	if (o->max_shard) given[n++] = "--max-shard-size";
	if (o->force) given[n++] = "--force";
	if (o->has_prompt) given[n++] = "--prompt";
	if (!n) return;
	kiln_usage_error("encode: %s%s%s%s%s only appl%s to a dataset output, not to --ids", given[0], n > 1 ? ", " : "",
	                 n > 1 ? given[1] : "", n > 2 ? ", " : "", n > 2 ? given[2] : "", n > 1 ? "y" : "ies");
}

static int cmd_encode(int argc, char **argv)
{
	struct opts o;
	parse_opts("encode", argc, argv, &o);
	if (o.ids) check_ids_opts(&o);
	if (!o.output) kiln_usage_error("encode: -o OUT is required");
	if (optind >= argc) kiln_usage_error("encode: no input given");
	if (!strcmp(o.output, "-") && !o.ids) kiln_usage_error("encode: a dataset cannot go to standard output ('-o -' needs --ids)");
	if (!strcmp(o.output, "-") && o.json) kiln_usage_error("encode: --json would mix its summary into the ids on standard output");
	bpe_vocab *v = load_vocab(o.vocab);
	bpe_encoder *enc;
	if (bpe_encoder_create(v, &enc)) kiln_die(KILN_EXIT_FAIL, "out of memory");
	inputs in;
	collect(&in, argv + optind, argc - optind, 0);
	inputs_keep_part(&in, o.part, o.nparts);
	uint32_t off = (uint32_t)o.id_offset, V = bpe_vocab_size(v);
	uint8_t fp[32];
	char fph[65];
	merges_sha256(bpe_vocab_pairs(v), bpe_vocab_merges(v), fp);
	kiln_hex(fp, 32, fph);

	FILE *ids_out = NULL;
	kiln_outfile of;
	const char *tmp = NULL;
	shard_writer *w = NULL;
	shard_error se;
	char *meta = NULL;
	if (o.ids) {
		if (kiln_outfile_open(&of, o.output)) kiln_die(KILN_EXIT_FAIL, "%s: %s", o.output, strerror(errno));
		ids_out = of.fp;
	} else {
		kiln_refuse_output_over_inputs(o.output, o.force, argv + optind, (size_t)(argc - optind));
		tmp = kiln_outdir_begin(o.output, o.force);
		if (!tmp) kiln_die(KILN_EXIT_FAIL, "%s: %s", o.output, kiln_output_errtext(errno));
		shard_spec spec;
		shard_spec_init(&spec, SHARD_TOKENS);
		spec.vocab_size = off + V;
		spec.elem_size = shard_elem_size_for_vocab(spec.vocab_size);
		memcpy(spec.fingerprint, fp, 32);
		static const char *pm[] = { "copy", "bytes", "encode" };
		size_t ml = 512;
		meta = kiln_xmalloc(ml);
		snprintf(meta, ml, "{\"tool\": \"kiln-bpe encode\", \"vocab_sha256\": \"%s\", \"bpe_vocab_size\": %u, "
		         "\"id_offset\": %u, \"merges\": %zu, \"prompt\": \"%s\"}", fph, V, off, bpe_vocab_merges(v), pm[o.prompt]);
		shard_writer_opts wo = { o.max_shard, meta };
		if (shard_writer_create(tmp, &spec, &wo, &w, &se)) kiln_die(KILN_EXIT_FAIL, "%s", se.msg);
	}

	/* Batches of documents are encoded (and hashed, packed, checksummed) in
	 * parallel, largest first so that no thread is left alone with a big file
	 * at the end of a batch, and written in order by a writer thread while
	 * the next batch is read and encoded. */
	unsigned es = shard_elem_size_for_vocab(off + V);
	int nt = nthreads(&o);
	bpe_workspace **ws = kiln_xcalloc((size_t)nt, sizeof *ws);
	for (int i = 0; i < nt; i++) ws[i] = bpe_workspace_create();
	uint64_t total = 0;
	for (size_t i = 0; i < in.n; i++) total += in.v[i].size;
	kiln_progress *p = kiln_progress_start("encoding", total, "B");
	double t0 = now();
	batch bt[2];
	memset(bt, 0, sizeof bt);
	for (int k = 0; k < 2; k++) {
		bt[k].jobs = kiln_xcalloc(1024, sizeof(job));
		bt[k].w = w;
		bt[k].ids_out = ids_out;
		bt[k].out_name = o.output;
		bt[k].es = ids_out ? 0 : es;
	}
	task *tasks = NULL;
	by_len *order = NULL;
	size_t cap_tasks = 0;
	pthread_t writer;
	batch *writing = NULL;
	uint64_t done = 0, tokens = 0;
	for (size_t i = 0, cur = 0; i < in.n; cur ^= 1) {
		batch *B = &bt[cur];
		job *jobs = B->jobs;
		size_t nb = 0;
		uint64_t bytes = 0;
		B->npieces = 0;
		while (i < in.n && nb < 1024 && (nb == 0 || bytes < (64u << 20))) {
			job *j = &jobs[nb++];
			shard_record rec;
			memset(j, 0, sizeof *j);
			j->data = src_read(&in.v[i], &j->len, &j->owned, &rec);
			if (in.v[i].ds) {
				j->prompt = rec.prompt;
				j->n_prompt = rec.n_prompt;
				j->group = rec.group;
			} else {
				j->hash_group = 1;   /* on a worker: SHA-256 of a file is real work */
			}
			j->ids = kiln_xmalloc((bpe_encode_bound(j->len) + 1) * sizeof *j->ids);
			cut_pieces(enc, jobs, nb - 1, &B->pieces, &B->npieces, &B->cappieces);
			bytes += j->len;
			i++;
		}
		B->nb = nb;
		/* The tasks, most work first. */
		size_t nt_all = 0;
		if (nb + B->npieces > cap_tasks) {
			cap_tasks = nb + B->npieces;
			tasks = kiln_xrealloc(tasks, cap_tasks * sizeof *tasks);
			order = kiln_xrealloc(order, cap_tasks * sizeof *order);
		}
		for (size_t k = 0; k < nb; k++) {
			job *j = &jobs[k];
			if (j->npieces == 1) {
				order[nt_all] = (by_len){ j->len, nt_all };
				tasks[nt_all++] = (task){ k, j->piece0, 1 };
				continue;
			}
			order[nt_all] = (by_len){ j->hash_group ? j->len / 8 : j->n_prompt, nt_all };
			tasks[nt_all++] = (task){ k, NO_PIECE, 1 };
			for (size_t q = 0; q < j->npieces; q++) {
				order[nt_all] = (by_len){ B->pieces[j->piece0 + q].len, nt_all };
				tasks[nt_all++] = (task){ k, j->piece0 + q, 0 };
			}
		}
		qsort(order, nt_all, sizeof *order, by_len_desc);
		unsigned bes = B->es;
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt)
#endif
		for (size_t k = 0; k < nt_all; k++) {
			int me = 0;
#ifdef _OPENMP
			me = omp_get_thread_num();
#endif
			const task *t = &tasks[order[k].k];
			job *j = &jobs[t->job];
			if (t->head) encode_head(enc, ws[me], j, off, o.prompt, bes);
			if (t->piece != NO_PIECE) encode_piece(enc, ws[me], j, &B->pieces[t->piece], off, bes);
		}
		if (writing) {
			finish_batch(writer, writing, &done, &tokens);
			kiln_progress_update(p, done);
		}
		writing = B;
		if (pthread_create(&writer, NULL, write_batch, B))
			kiln_die(KILN_EXIT_FAIL, "cannot start a writer thread: %s", strerror(errno));
	}
	if (writing) {
		finish_batch(writer, writing, &done, &tokens);
		kiln_progress_update(p, done);
	}
	free(tasks);
	free(bt[0].pieces);
	free(bt[1].pieces);
	free(order);
	free(bt[0].jobs);
	free(bt[1].jobs);
	kiln_progress_end(p);
	double secs = now() - t0;
	for (int i = 0; i < nt; i++) bpe_workspace_free(ws[i]);
	free(ws);
	if (ids_out) {
		if (ferror(ids_out) || kiln_outfile_commit(&of)) {
			int e = errno;
			kiln_outfile_abort(&of);
			kiln_die(KILN_EXIT_FAIL, "%s: %s", o.output, strerror(e));
		}
	} else {
		if (shard_writer_close(w, &se)) kiln_die(KILN_EXIT_FAIL, "%s", se.msg);
		if (kiln_outdir_commit(tmp, o.output, o.force)) kiln_die(KILN_EXIT_FAIL, "%s: %s", o.output, strerror(errno));
	}
	if (o.json) {
		kiln_json j;
		kiln_json_init(&j, stdout, 0);
		kiln_json_obj_begin(&j, NULL);
		kiln_json_str(&j, "output", o.output);
		kiln_json_u64(&j, "documents", in.n);
		kiln_json_u64(&j, "bytes", done);
		kiln_json_u64(&j, "tokens", tokens);
		kiln_json_double(&j, "bytes_per_token", tokens ? (double)done / (double)tokens : 0);
		kiln_json_double(&j, "seconds", secs);
		kiln_json_str(&j, "fingerprint", fph);
		kiln_json_obj_end(&j);
		kiln_json_end_line(&j);
	} else if (!kiln_quiet() && strcmp(o.output, "-")) {
		kiln_note("%zu documents, %" PRIu64 " bytes -> %" PRIu64 " tokens (%.3f bytes/token, %.1f MB/s) -> %s",
		          in.n, done, tokens, tokens ? (double)done / (double)tokens : 0,
		        secs > 0 ? (double)done / secs / 1e6 : 0, o.output);
	}
	free(meta);
	inputs_free(&in);
	bpe_encoder_free(enc);
	bpe_vocab_free(v);
	return 0;
}

/* ---- decode ---------------------------------------------------------------- */

static int cmd_decode(int argc, char **argv)
{
	struct opts o;
	parse_opts("decode", argc, argv, &o);
	if (!o.output) kiln_usage_error("decode: -o FILE is required");
	if (optind + 1 != argc) kiln_usage_error("decode: exactly one IDS file expected");
	bpe_vocab *v = load_vocab(o.vocab);
	const char *path = argv[optind];
	size_t n;
	uint8_t *txt = kiln_read_file(path, MAX_IDS_FILE, &n);
	if (!txt) kiln_die(KILN_EXIT_FAIL, "%s: %s", path, strerror(errno));
	/* One decimal id per line (CRLF and a last line without its newline
	 * are taken too); the id offset is removed before the lookup. */
	size_t cap = n / 2 + 1, m = 0;
	uint32_t *ids = kiln_xmalloc(cap * sizeof *ids);
	uint64_t V = bpe_vocab_size(v);
	for (size_t i = 0; i < n;) {
		size_t s = i;
		uint64_t x = 0;
		while (i < n && txt[i] >= '0' && txt[i] <= '9' && i - s < 12) x = x * 10 + (txt[i++] - '0');
		size_t e = i;
		if (e < n && txt[e] == '\r') e++;
		if (i == s || i - s > 11 || (e < n && txt[e] != '\n'))
			kiln_die(KILN_EXIT_FAIL, "%s: byte offset %zu: expected a decimal id and a newline", path, s);
		if (x < o.id_offset || x - o.id_offset >= V)
			kiln_die(KILN_EXIT_FAIL, "%s: byte offset %zu: id %" PRIu64 " is outside the vocabulary (%" PRIu64 " .. %" PRIu64 ")",
			         path, s, x, o.id_offset, o.id_offset + V - 1);
		ids[m++] = (uint32_t)(x - o.id_offset);
		i = e + 1;
	}
	free(txt);
	size_t nb, bad;
	bpe_decode(v, ids, m, NULL, &nb, &bad);
	uint8_t *out = kiln_xmalloc(nb + 1);
	if (bpe_decode(v, ids, m, out, &nb, &bad)) kiln_die(KILN_EXIT_FAIL, "%s: id %zu out of range", path, bad);
	write_text(o.output, (const char *)out, nb);
	free(out);
	free(ids);
	bpe_vocab_free(v);
	return 0;
}

/* ---- export ---------------------------------------------------------------- */

static int cmd_export(int argc, char **argv)
{
	struct opts o;
	parse_opts("export", argc, argv, &o);
	if (!o.format) kiln_usage_error("export: --format hf is required");
	if (!o.output) kiln_usage_error("export: -o FILE is required");
	if (optind != argc) kiln_usage_error("export: unexpected argument '%s'", argv[optind]);
	bpe_vocab *v = load_vocab(o.vocab);
	char *js;
	size_t n;
	if (bpe_export_hf(v, (uint32_t)o.id_offset, &js, &n)) kiln_die(KILN_EXIT_FAIL, "cannot export: id offset too large or out of memory");
	write_text(o.output, js, n);
	free(js);
	bpe_vocab_free(v);
	return 0;
}

/* ---- stats ----------------------------------------------------------------- */

static int cmd_stats(int argc, char **argv)
{
	struct opts o;
	parse_opts("stats", argc, argv, &o);
	if (optind >= argc) kiln_usage_error("stats: no input given");
	bpe_vocab *v = load_vocab(o.vocab);
	bpe_encoder *enc;
	if (bpe_encoder_create(v, &enc)) kiln_die(KILN_EXIT_FAIL, "out of memory");
	inputs in;
	collect(&in, argv + optind, argc - optind, 0);
	uint32_t V = bpe_vocab_size(v);
	int nt = nthreads(&o);
	bpe_stats *per = kiln_xcalloc((size_t)nt, sizeof *per);
	for (int i = 0; i < nt; i++)
		if (bpe_stats_init(&per[i], V)) kiln_die(KILN_EXIT_FAIL, "out of memory");
	/* Files are read by the master thread in order; pieces of them (cut as
	 * encode cuts them, largest first) are encoded in parallel. */
	kiln_progress *p = kiln_progress_start("encoding", in.n, "docs");
	size_t done = 0, cap_pieces = 0, cap_order = 0;
	piece *pieces = NULL;
	by_len *order = NULL;
	for (size_t i = 0; i < in.n;) {
		size_t nb = 0, np = 0;
		job jobs[256];
		uint64_t bytes = 0;
		while (i < in.n && nb < 256 && (nb == 0 || bytes < (64u << 20))) {
			job *j = &jobs[nb];
			shard_record rec;
			memset(j, 0, sizeof *j);
			j->data = src_read(&in.v[i], &j->len, &j->owned, &rec);
			cut_pieces(enc, jobs, nb, &pieces, &np, &cap_pieces);
			bytes += j->len;
			nb++;
			i++;
		}
		if (np > cap_order) {
			cap_order = cap_pieces;
			order = kiln_xrealloc(order, cap_order * sizeof *order);
		}
		for (size_t k = 0; k < np; k++) order[k] = (by_len){ pieces[k].len, k };
		qsort(order, np, sizeof *order, by_len_desc);
#ifdef _OPENMP
#pragma omp parallel num_threads(nt)
#endif
		{
			int me = 0;
#ifdef _OPENMP
			me = omp_get_thread_num();
#endif
			bpe_workspace *w = bpe_workspace_create();
			uint32_t *ids = NULL;
			size_t cap = 0;
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 1)
#endif
			for (size_t k = 0; k < np; k++) {
				const piece *pc = &pieces[order[k].k];
				const job *j = &jobs[pc->job];
				size_t n;
				if (pc->len + 1 > cap) {
					cap = pc->len + 1;
					free(ids);
					ids = kiln_xmalloc(cap * sizeof *ids);
				}
				if (!w || bpe_encode(enc, w, j->data + pc->at, pc->len, ids, &n)) kiln_die(KILN_EXIT_FAIL, "out of memory");
				bpe_stats_add(&per[me], ids, n, pc->len);
			}
			free(ids);
			bpe_workspace_free(w);
		}
		for (size_t k = 0; k < nb; k++) free(jobs[k].owned);
		done += nb;
		kiln_progress_update(p, done);
	}
	kiln_progress_end(p);
	free(pieces);
	free(order);
	for (int i = 1; i < nt; i++) { bpe_stats_merge(&per[0], &per[i]); bpe_stats_free(&per[i]); }
	bpe_stats *s = &per[0];
	s->docs = done;   /* bpe_stats_add counted pieces */
	/* Histograms by token length: tokens emitted, and vocabulary entries. */
	uint32_t maxl = bpe_vocab_max_len(v), cap = maxl < 64 ? maxl : 64;
	uint64_t *emitted = kiln_xcalloc(cap + 1, sizeof *emitted), *entries = kiln_xcalloc(cap + 1, sizeof *entries);
	for (uint32_t id = 0; id < V; id++) {
		uint32_t l = bpe_token_len(v, id);
		if (l > cap) l = cap;
		emitted[l] += s->uses[id];
		entries[l]++;
	}
	uint64_t used = bpe_stats_used(s);
	double bpt = s->tokens ? (double)s->bytes / (double)s->tokens : 0;
	if (o.json) {
		kiln_json j;
		kiln_json_init(&j, stdout, 0);
		kiln_json_obj_begin(&j, NULL);
		kiln_json_u64(&j, "documents", s->docs);
		kiln_json_u64(&j, "bytes", s->bytes);
		kiln_json_u64(&j, "tokens", s->tokens);
		kiln_json_double(&j, "bytes_per_token", bpt);
		kiln_json_u64(&j, "vocab_size", V);
		kiln_json_u64(&j, "vocab_used", used);
		kiln_json_u64(&j, "max_token_bytes", maxl);
		kiln_json_arr_begin(&j, "length_histogram");
		for (uint32_t l = 1; l <= cap; l++) {
			if (!entries[l]) continue;
			kiln_json_obj_begin(&j, NULL);
			kiln_json_u64(&j, "bytes", l);
			kiln_json_bool(&j, "or_longer", l == cap && maxl > cap);
			kiln_json_u64(&j, "tokens_emitted", emitted[l]);
			kiln_json_u64(&j, "vocab_entries", entries[l]);
			kiln_json_obj_end(&j);
		}
		kiln_json_arr_end(&j);
		kiln_json_obj_end(&j);
		kiln_json_end_line(&j);
	} else {
		printf("documents        %" PRIu64 "\n", s->docs);
		printf("bytes            %" PRIu64 "\n", s->bytes);
		printf("tokens           %" PRIu64 "\n", s->tokens);
		printf("bytes/token      %.4f\n", bpt);
		printf("vocabulary used  %" PRIu64 " of %u (%.1f%%)\n", used, V, V ? 100.0 * (double)used / V : 0);
		printf("longest token    %u bytes\n", maxl);
		printf("length  tokens_emitted  share   vocab_entries\n");
		for (uint32_t l = 1; l <= cap; l++) {
			if (!entries[l]) continue;
			printf("%3u%s  %14" PRIu64 "  %5.1f%%  %13" PRIu64 "\n", l, l == cap && maxl > cap ? "+" : " ", emitted[l],
			       s->tokens ? 100.0 * (double)emitted[l] / (double)s->tokens : 0, entries[l]);
		}
	}
	free(emitted);
	free(entries);
	bpe_stats_free(s);
	free(per);
	inputs_free(&in);
	bpe_encoder_free(enc);
	bpe_vocab_free(v);
	return 0;
}

int main(int argc, char **argv)
{
	kiln_tool_start("kiln-bpe");
	static const kiln_command cmds[] = {
		{ "train", cmd_train }, { "encode", cmd_encode }, { "decode", cmd_decode },
		{ "export", cmd_export }, { "stats", cmd_stats },
	};
	return kiln_run_command(argc, argv, cmds, sizeof cmds / sizeof *cmds, usage);
}
