/*
 * shard_main.c - kiln-shard: pack files into a byte-level dataset, and
 * inspect, verify, dump, split and summarise any Kiln shard or dataset.
 * A thin front end over libshard (datasets/shard.h); see man/kiln-shard.1.
 */
#define _GNU_SOURCE   /* memmem */
#include "kiln.h"
#include "shard.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_INPUT_FILE (64ull << 30)

static void usage(FILE *out)
{
	fprintf(out,
	        "Usage: kiln-shard COMMAND [OPTIONS] ...\n"
	        "Write, read, verify and split Kiln shard datasets (see kiln-shard(5)).\n"
	        "\n"
	        "Commands:\n"
	        "  pack --bytes FILE|DIR... -o OUT   one token document per file (vocab 256, u8)\n"
	        "  info [--json] PATH...             header fields, counts and sizes\n"
	        "  verify PATH...                    check every CRC and invariant\n"
	        "  cat PATH [-r N] [--segment S]     write stored elements to stdout\n"
	        "  split PATH --ratio R --seed S -o DIR [--by record|group]\n"
	        "                                    deterministic train/validation split\n"
	        "  stats [--json] PATH               lengths and token histogram summary\n"
	        "  merge PATH... -o OUT [--dedup]    concatenate datasets (e.g. --part outputs)\n"
	        "\n"
	        "Options:\n"
	        "  -o, --output PATH       output dataset folder (written atomically)\n"
	        "      --bytes             pack: content = the file's bytes (the only mode)\n"
	        "      --max-shard-size N  roll over to a new shard at N bytes (default 256M)\n"
	        "      --force             replace an existing output\n"
	        "      --part I/N          pack: only block I of N of the sorted inputs\n"
	        "  -r, --record N          cat: only record N (0-based)\n"
	        "      --segment S         cat: all (default), prompt, content or actions\n"
	        "      --ratio R           split: share of records for train (0..1)\n"
	        "      --seed S            split: seed of the deterministic assignment\n"
	        "      --by K              split: record (default) or group (source/episode)\n"
	        "      --dedup             merge: keep only the first record of each group key\n"
	        "      --json              machine-readable output\n"
	        "  -q, --quiet             no progress line, no summary\n"
	        "  -h, --help              this help\n"
	        "  -V, --version           version and features built in\n"
	        "\n"
	        "Exit status: 0 success, 1 failure (bad or corrupt data), 2 usage error.\n");
}

enum { OPT_BYTES = 256, OPT_MAXSHARD, OPT_FORCE, OPT_SEGMENT, OPT_RATIO, OPT_SEED, OPT_BY, OPT_JSON, OPT_DEDUP, OPT_PART };

static const struct option long_opts[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "bytes", no_argument, NULL, OPT_BYTES },
	{ "max-shard-size", required_argument, NULL, OPT_MAXSHARD },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "record", required_argument, NULL, 'r' },
	{ "segment", required_argument, NULL, OPT_SEGMENT },
	{ "ratio", required_argument, NULL, OPT_RATIO },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "by", required_argument, NULL, OPT_BY },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "dedup", no_argument, NULL, OPT_DEDUP },
	{ "part", required_argument, NULL, OPT_PART },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 }
};

struct opts {
	const char *output;
	int bytes, force, json, has_record, by_group, has_ratio, has_seed, dedup;
	uint32_t part, nparts;
	uint64_t max_shard, record, seed;
	double ratio;
	const char *segment;
};

/* The commands that take each option besides --quiet, --help and
 * --version (every command takes those); each command's synopsis in
 * kiln-shard(1) shows the same. */
static const kiln_opt_cmds opt_cmds[] = {
	{ 'o', "pack split merge" }, { OPT_BYTES, "pack" }, { OPT_MAXSHARD, "pack split merge" },
	{ OPT_FORCE, "pack split merge" }, { OPT_PART, "pack" }, { 'r', "cat" }, { OPT_SEGMENT, "cat" },
	{ OPT_RATIO, "split" }, { OPT_SEED, "split" }, { OPT_BY, "split" }, { OPT_JSON, "info split stats" },
	{ OPT_DEDUP, "merge" }, { 0, NULL }
};

/* Options of argv[0] (the command). */
static void parse_opts(int argc, char **argv, struct opts *o)
{
	int c, li;
	memset(o, 0, sizeof *o);
	o->segment = "all";
	o->part = o->nparts = 1;
	optind = 1;
	while ((c = kiln_getopt(argc, argv, argv[0], "o:r:qhV", long_opts, &li)) != -1) {
		kiln_check_opt_cmd(opt_cmds, long_opts, argv[0], c, li);
		switch (c) {
		case 'o': o->output = optarg; break;
		case OPT_BYTES: o->bytes = 1; break;
		case OPT_MAXSHARD: o->max_shard = kiln_opt_size("--max-shard-size", optarg, 4096, UINT64_MAX >> 1); break;
		case OPT_FORCE: o->force = 1; break;
		case 'r': o->record = kiln_opt_u64("--record", optarg, 0, UINT64_MAX - 1); o->has_record = 1; break;
		case OPT_SEGMENT:
			if (strcmp(optarg, "all") && strcmp(optarg, "prompt") && strcmp(optarg, "content") && strcmp(optarg, "actions"))
				kiln_usage_error("--segment: expected all, prompt, content or actions, got '%s'", optarg);
			o->segment = optarg;
			break;
		case OPT_RATIO: o->ratio = kiln_opt_double("--ratio", optarg, 0.0, 1.0); o->has_ratio = 1; break;
		case OPT_SEED: o->seed = kiln_opt_u64("--seed", optarg, 0, UINT64_MAX); o->has_seed = 1; break;
		case OPT_BY:
			if (!strcmp(optarg, "group")) o->by_group = 1;
			else if (strcmp(optarg, "record")) kiln_usage_error("--by: expected record or group, got '%s'", optarg);
			break;
		case OPT_JSON: o->json = 1; break;
		case OPT_DEDUP: o->dedup = 1; break;
		case OPT_PART:
			if (kiln_parse_part(optarg, &o->part, &o->nparts))
				kiln_usage_error("--part: expected I/N with 1 <= I <= N, got '%s'", optarg);
			break;
		case 'q': kiln_set_quiet(1); break;
		case 'h': usage(stdout); exit(0);
		case 'V': kiln_print_version(stdout, NULL); exit(0);
		}
	}
}

/* Die with the library's message (it names the file) and its offset. */
static KILN_NORETURN void die_err(const shard_error *e)
{
	char b[600];
	kiln_die(KILN_EXIT_FAIL, "%s", shard_error_text(e, b, sizeof b));
}

static shard_dataset *open_or_die(const char *path)
{
	shard_dataset *d;
	shard_error e;
	if (shard_dataset_open(path, &d, &e)) die_err(&e);
	return d;
}

/* Record i, checked against its checksum (and its tokens against the
 * vocabulary) before a copy could give it a new, valid one or a summary
 * could count it. */
static void checked_record(const shard_dataset *d, uint64_t i, shard_record *r)
{
	shard_error e;
	if (shard_dataset_record(d, i, r, &e) || shard_dataset_verify_record(d, i, &e)) die_err(&e);
}

/* The output folder's temporary, or die naming the output. */
static const char *outdir_or_die(const struct opts *o)
{
	const char *tmp = kiln_outdir_begin(o->output, o->force);
	if (!tmp) kiln_die(KILN_EXIT_FAIL, "%s: %s", o->output, kiln_output_errtext(errno));
	return tmp;
}

/* A dataset's metadata JSON as a NUL-terminated copy (free it), for a
 * writer: it must be a JSON object, which the writer embeds in
 * manifest.json, so a shard holding anything else is refused by name. */
static char *meta_copy(const shard_dataset *d, size_t *len)
{
	shard_error e;
	if (shard_file_check_meta(shard_dataset_file(d, 0), &e)) die_err(&e);
	const char *meta = shard_dataset_meta(d, len);
	char *m = kiln_xmalloc(*len + 1);
	memcpy(m, meta, *len);
	m[*len] = 0;
	return m;
}

/* ---- pack -------------------------------------------------------------- */

struct pack_ctx {
	shard_writer *w;
	FILE *sources;
	uint64_t files, bytes;
	kiln_progress *prog;
	int failed;
};

static int pack_one(struct pack_ctx *c, const char *path)
{
	size_t len;
	uint8_t *data = kiln_read_file(path, MAX_INPUT_FILE, &len);
	if (!data) {
		kiln_file_error(path, "%s", errno == EFBIG ? "file too large (over 64 GiB)" : strerror(errno));
		c->failed = 1;
		return 1;
	}
	uint8_t h[32];
	char hex[65];
	kiln_sha256(data, len, h);
	kiln_hex(h, 32, hex);
	uint64_t group = 0;
	for (int i = 7; i >= 0; i--) group = group << 8 | h[i];
	shard_error e;
	if (shard_writer_add(c->w, NULL, 0, data, len, group, &e)) {
		kiln_file_error(path, "%s", e.msg);
		free(data);
		c->failed = 1;
		return 1;
	}
	kiln_json j;
	kiln_json_init(&j, c->sources, 0);
	kiln_json_obj_begin(&j, NULL);
	kiln_json_u64(&j, "record", c->files);
	kiln_json_str(&j, "file", path);
	kiln_json_u64(&j, "bytes", len);
	kiln_json_str(&j, "sha256", hex);
	kiln_json_obj_end(&j);
	kiln_json_end_line(&j);
	free(data);
	c->files++;
	c->bytes += len;
	kiln_progress_update(c->prog, c->files);
	return 0;
}

/* Drop from the walked list every file that is the existing output or lies
 * in it: with --force and -o inside an input folder, the previous run's
 * shards were packed into the next one. Returns the new count. */
static size_t drop_output_files(const char *output, char **paths, size_t n)
{
	char *out = realpath(output, NULL);
	if (!out) return n;
	size_t kept = 0;
	for (size_t k = 0; k < n; k++) {
		char *rp = realpath(paths[k], NULL);
		int drop = rp && kiln_path_within(rp, out);
		free(rp);
		if (drop) free(paths[k]);
		else paths[kept++] = paths[k];
	}
	free(out);
	return kept;
}

static int cmd_pack(int argc, char **argv)
{
	struct opts o;
	parse_opts(argc, argv, &o);
	if (!o.bytes) kiln_usage_error("pack: --bytes is required (content = each file's bytes)");
	if (!o.output) kiln_usage_error("pack: -o OUT is required");
	if (optind >= argc) kiln_usage_error("pack: no input files");
	kiln_refuse_output_over_inputs(o.output, o.force, argv + optind, (size_t)(argc - optind));

	/* The whole sorted list first: --part takes a block of it. Walked
	 * before the temporary output exists, which would otherwise be packed
	 * too when -o lies inside an input folder (as would an old output
	 * that --force replaces: dropped from the list). */
	size_t n, errors;
	char **paths = kiln_walk_list((const char *const *)argv + optind, (size_t)(argc - optind), 1, &n, &errors, NULL);
	if (o.force) n = drop_output_files(o.output, paths, n);
	const char *tmp = outdir_or_die(&o);
	shard_spec spec;
	shard_spec_init(&spec, SHARD_TOKENS);
	spec.vocab_size = 256;
	spec.elem_size = 1;
	shard_writer_opts wo = { o.max_shard, "{\"tool\": \"kiln-shard pack\", \"content\": \"bytes\", \"prompt\": \"none\"}" };
	struct pack_ctx c = { 0 };
	shard_error e;
	if (shard_writer_create(tmp, &spec, &wo, &c.w, &e)) kiln_die(KILN_EXIT_FAIL, "%s", e.msg);
	char *spath = kiln_xmalloc(strlen(tmp) + 32);
	sprintf(spath, "%s/sources.jsonl", tmp);
	c.sources = fopen(spath, "w");
	if (!c.sources) kiln_die(KILN_EXIT_FAIL, "%s: %s", spath, strerror(errno));
	c.failed = errors > 0;
	uint64_t lo, hi;
	kiln_part_range(n, o.part, o.nparts, &lo, &hi);
	c.prog = kiln_progress_start("packing", hi - lo, "files");
	for (uint64_t k = lo; k < hi && !c.failed; k++)
		if (pack_one(&c, paths[k])) break;
	kiln_progress_end(c.prog);
	kiln_free_list(paths, n);
	if (fclose(c.sources)) c.failed = 1;
	free(spath);
	if (c.failed) {
		shard_writer_abort(c.w);
		kiln_outdir_abort(tmp);
		return KILN_EXIT_FAIL;
	}
	if (shard_writer_close(c.w, &e)) { kiln_outdir_abort(tmp); kiln_die(KILN_EXIT_FAIL, "%s", e.msg); }
	if (kiln_outdir_commit(tmp, o.output, o.force)) kiln_die(KILN_EXIT_FAIL, "%s: %s", o.output, strerror(errno));
	if (!kiln_quiet())
		kiln_note("packed %" PRIu64 " files (%" PRIu64 " bytes) into %s", c.files, c.bytes, o.output);
	return 0;
}

/* ---- info -------------------------------------------------------------- */

static void json_special(kiln_json *j, const char *key, uint32_t v)
{
	if (v == SHARD_NO_TOKEN) kiln_json_null(j, key);
	else kiln_json_u64(j, key, v);
}

/* Bytes of metadata the text output shows. */
#define META_SHOWN 2000

/* Text for a terminal from untrusted bytes (a shard's metadata): control
 * characters (C0, DEL, C1) and bytes that are not valid UTF-8 are written
 * as \xNN, so none can move the cursor, retitle the window or reprogram
 * the terminal. A cut inside a character at the end shows as \xNN too. */
static void print_for_terminal(FILE *out, const char *text, size_t n)
{
	const uint8_t *s = (const uint8_t *)text;
	for (size_t i = 0; i < n;) {
		uint32_t c;
		size_t len = kiln_utf8_len(s + i, n - i, &c);
		if (len && c >= 0x20 && c != 0x7F && !(c >= 0x80 && c <= 0x9F)) {
			fwrite(s + i, 1, len, out);
			i += len;
			continue;
		}
		for (size_t k = 0; k < (len ? len : 1); k++) fprintf(out, "\\x%02x", s[i + k]);
		i += len ? len : 1;
	}
}

static int cmd_info(int argc, char **argv)
{
	struct opts o;
	parse_opts(argc, argv, &o);
	if (optind >= argc) kiln_usage_error("info: no PATH given");
	int rc = 0;
	for (int a = optind; a < argc; a++) {
		shard_dataset *d = open_or_die(argv[a]);
		const shard_spec *s = shard_dataset_spec(d);
		char fp[65];
		kiln_hex(s->fingerprint, 32, fp);
		uint64_t bytes = 0;
		for (size_t k = 0; k < shard_dataset_nfiles(d); k++) bytes += shard_file_size(shard_dataset_file(d, k));
		size_t mlen;
		const char *meta = shard_dataset_meta(d, &mlen);
		if (o.json) {
			kiln_json j;
			kiln_json_init(&j, stdout, 0);
			kiln_json_obj_begin(&j, NULL);
			kiln_json_str(&j, "path", argv[a]);
			kiln_json_str(&j, "format", "kiln-shard");
			kiln_json_u64(&j, "version_major", SHARD_VERSION_MAJOR);
			kiln_json_u64(&j, "version_minor", shard_file_version_minor(shard_dataset_file(d, 0)));
			kiln_json_str(&j, "kind", shard_kind_name(s->kind));
			kiln_json_u64(&j, "elem_size", s->elem_size);
			kiln_json_u64(&j, "vocab_size", s->vocab_size);
			kiln_json_u64(&j, "flags", s->flags);
			json_special(&j, "bos_id", s->bos_id);
			json_special(&j, "eos_id", s->eos_id);
			json_special(&j, "pad_id", s->pad_id);
			json_special(&j, "mask_id", s->mask_id);
			kiln_json_u64(&j, "width", s->width);
			kiln_json_u64(&j, "height", s->height);
			kiln_json_u64(&j, "channels", s->channels);
			kiln_json_str(&j, "fingerprint", fp);
			kiln_json_u64(&j, "shards", shard_dataset_nfiles(d));
			kiln_json_u64(&j, "records", shard_dataset_records(d));
			kiln_json_u64(&j, "elements", shard_dataset_elements(d));
			kiln_json_u64(&j, "bytes", bytes);
			/* The meta block is JSON written by a Kiln tool; pass it through
			 * only when it is one (a crafted shard's may hold anything), else
			 * as a string, escaped. */
			if (mlen && shard_file_check_meta(shard_dataset_file(d, 0), NULL) == SHARD_OK) {
				char *m = meta_copy(d, &mlen);
				kiln_json_raw(&j, "meta", m);
				free(m);
			} else if (mlen) {
				kiln_json_strn(&j, "meta", meta, mlen);
			} else {
				kiln_json_null(&j, "meta");
			}
			kiln_json_obj_end(&j);
			kiln_json_end_line(&j);
		} else {
			fputs("path:        ", stdout);
			kiln_fput_esc(stdout, argv[a]);
			putchar('\n');
			printf("format:      kiln-shard %d.%u\n", SHARD_VERSION_MAJOR, shard_file_version_minor(shard_dataset_file(d, 0)));
			printf("kind:        %s\n", shard_kind_name(s->kind));
			if (s->kind == SHARD_FRAMES) {
				printf("frame:       %ux%u x%u %s\n", s->width, s->height, s->channels, s->flags & SHARD_FLAG_CHW ? "CHW" : "HWC");
				printf("actions:     %u ids\n", s->vocab_size);
			} else {
				printf("elements:    u%u, vocab_size %u\n", s->elem_size * 8, s->vocab_size);
				if (s->kind == SHARD_SPRITES) printf("grid:        %ux%u, %u conditioning tokens\n", s->width, s->height, s->channels);
			}
			printf("special ids: bos %d eos %d pad %d mask %d (-1 = none)\n", (int)s->bos_id, (int)s->eos_id, (int)s->pad_id, (int)s->mask_id);
			printf("fingerprint: %s\n", fp);
			printf("shards:      %zu\n", shard_dataset_nfiles(d));
			printf("records:     %" PRIu64 "\n", shard_dataset_records(d));
			printf("%-12s %" PRIu64 "\n", s->kind == SHARD_FRAMES ? "frames:" : "tokens:", shard_dataset_elements(d));
			printf("bytes:       %" PRIu64 "\n", bytes);
			printf("meta:        ");
			if (!mlen) printf("(none)");
			print_for_terminal(stdout, meta, mlen > META_SHOWN ? META_SHOWN : mlen);
			printf("\n");
		}
		shard_dataset_close(d);
	}
	return rc;
}

/* ---- verify ------------------------------------------------------------ */

/* The library's message (it names the file) and its offset, as an error. */
static void report_err(const shard_error *e)
{
	char b[600];
	kiln_error("%s", shard_error_text(e, b, sizeof b));
}

static int cmd_verify(int argc, char **argv)
{
	struct opts o;
	parse_opts(argc, argv, &o);
	if (optind >= argc) kiln_usage_error("verify: no PATH given");
	int bad = 0;
	for (int a = optind; a < argc; a++) {
		shard_dataset *d;
		shard_error e;
		if (shard_dataset_open(argv[a], &d, &e)) {
			report_err(&e);
			bad = 1;
			continue;
		}
		int ok = 1;
		uint64_t total = shard_dataset_records(d), done = 0;
		kiln_progress *p = kiln_progress_start("verifying", total, "records");
		for (size_t k = 0; k < shard_dataset_nfiles(d) && ok; k++) {
			const shard_file *f = shard_dataset_file(d, k);
			if (shard_file_check_meta(f, &e)) {
				report_err(&e);
				ok = 0;
				break;
			}
			for (uint64_t i = 0; i < shard_file_records(f); i++) {
				if (shard_file_verify_record(f, i, &e)) {
					report_err(&e);
					ok = 0;
					break;
				}
				kiln_progress_update(p, ++done);
			}
		}
		kiln_progress_end(p);
		if (ok && kiln_is_dir(argv[a]) && shard_dataset_check_manifest(d, argv[a], &e)) {
			report_err(&e);
			ok = 0;
		}
		if (ok) {
			kiln_fput_esc(stdout, argv[a]);
			printf(": ok (%zu shards, %" PRIu64 " records)\n", shard_dataset_nfiles(d), total);
		} else {
			bad = 1;
		}
		shard_dataset_close(d);
	}
	return bad ? KILN_EXIT_FAIL : 0;
}

/* ---- cat --------------------------------------------------------------- */

static int write_all(const void *p, uint64_t n)
{
	const uint8_t *b = p;
	while (n) {
		size_t k = n > (1u << 30) ? (1u << 30) : (size_t)n;
		if (fwrite(b, 1, k, stdout) != k) return -1;
		b += k;
		n -= k;
	}
	return 0;
}

static int cat_record(const shard_dataset *d, uint64_t i, const char *seg)
{
	const shard_spec *s = shard_dataset_spec(d);
	shard_record r;
	shard_error e;
	if (shard_dataset_record(d, i, &r, &e)) kiln_die(KILN_EXIT_FAIL, "%s", e.msg);
	int all = !strcmp(seg, "all");
	if (s->kind == SHARD_FRAMES) {
		uint64_t px = r.n_content * (uint64_t)s->width * s->height * s->channels;
		if (all || !strcmp(seg, "content")) return write_all(r.content, px);
		return write_all(r.actions, 4 * r.n_content);   /* actions; prompt is refused by cmd_cat */
	}
	if ((all || !strcmp(seg, "prompt")) && write_all(r.prompt, r.n_prompt * s->elem_size)) return -1;
	if ((all || !strcmp(seg, "content")) && write_all(r.content, r.n_content * s->elem_size)) return -1;
	return 0;
}

static int cmd_cat(int argc, char **argv)
{
	struct opts o;
	parse_opts(argc, argv, &o);
	if (optind != argc - 1) kiln_usage_error("cat: expected one PATH");
	shard_dataset *d = open_or_die(argv[optind]);
	/* A segment the kind lacks is refused up front, not answered with
	 * nothing (and not only once a record is reached). */
	int frames = shard_dataset_spec(d)->kind == SHARD_FRAMES;
	if (!strcmp(o.segment, "actions") && !frames) kiln_usage_error("--segment actions: only frames datasets have actions");
	if (!strcmp(o.segment, "prompt") && frames) kiln_usage_error("--segment prompt: frames datasets have no prompt segment");
	uint64_t n = shard_dataset_records(d);
	if (o.has_record && o.record >= n)
		kiln_die(KILN_EXIT_FAIL, "%s: record %" PRIu64 " out of range (%" PRIu64 " records)", argv[optind], o.record, n);
	uint64_t lo = o.has_record ? o.record : 0, hi = o.has_record ? o.record + 1 : n;
	for (uint64_t i = lo; i < hi; i++) {
		/* cat promises the data as stored: check what it hands out. */
		shard_error e;
		if (shard_dataset_verify_record(d, i, &e)) die_err(&e);
		if (cat_record(d, i, o.segment)) kiln_die(KILN_EXIT_FAIL, "write error: %s", strerror(errno));
	}
	if (fflush(stdout)) kiln_die(KILN_EXIT_FAIL, "write error: %s", strerror(errno));
	shard_dataset_close(d);
	return 0;
}

/* ---- side files ---------------------------------------------------------- */

/* The record a side-file line names ("record":N, N below nrec), with its
 * digits at [*num, *end). 0 for a line that names none (null, or no key). */
static int line_record(const char *l, size_t len, uint64_t nrec, uint64_t *r, const char **num, const char **end)
{
	static const char key[] = "\"record\":";
	const char *k = memmem(l, len, key, sizeof key - 1);
	if (!k) return 0;
	const char *d = *num = k + sizeof key - 1;
	uint64_t v = 0;
	while (d < l + len && *d >= '0' && *d <= '9' && v < UINT64_MAX / 10) v = v * 10 + (uint64_t)(*d++ - '0');
	*end = d;
	*r = v;
	return d != *num && v < nrec;
}

/* The line with its record number replaced by r. */
static void put_renumbered(FILE *o, const char *l, size_t len, const char *num, const char *end, uint64_t r)
{
	fwrite(l, 1, (size_t)(num - l), o);
	fprintf(o, "%" PRIu64, r);
	fwrite(end, 1, (size_t)(l + len - end), o);
}

/* One line of a side file with its "record":N renumbered to the merged
 * dataset. A record the merge dropped (--dedup) loses its sources.jsonl
 * line; in an ingest manifest.jsonl it stays, as a duplicate without a
 * record. */
static void side_line(FILE *o, const char *l, size_t len, const uint64_t *newidx, uint64_t nrec, int is_sources)
{
	const char *num, *end;
	uint64_t r;
	if (!line_record(l, len, nrec, &r, &num, &end)) { fwrite(l, 1, len, o); return; }
	if (newidx[r] != UINT64_MAX) { put_renumbered(o, l, len, num, end, newidx[r]); return; }
	if (is_sources) return;
	static const char added[] = "\"status\":\"added\"", key[] = "\"record\":";
	const char *k = num - (sizeof key - 1);
	const char *st = memmem(l, (size_t)(k - l), added, sizeof added - 1);
	if (st) fprintf(o, "%.*s\"status\":\"duplicate\"%.*s", (int)(st - l), l, (int)(k - st - (sizeof added - 1)), st + sizeof added - 1);
	else fwrite(l, 1, (size_t)(k - l), o);
	fprintf(o, "%snull", key);
	fwrite(end, 1, (size_t)(l + len - end), o);
}

/* A side file of a dataset folder, whole and ending in a newline (a last
 * line without one would run into whatever is written after it); NULL if
 * the dataset has none. One it has but cannot read is an error, not a file
 * to leave out. */
static uint8_t *read_side_file(const char *dir, const char *name, size_t *len)
{
	if (!kiln_is_dir(dir)) return NULL;   /* a lone .kshard has no side files */
	char in[4096];
	snprintf(in, sizeof in, "%s/%s", dir, name);
	uint8_t *b = kiln_read_file(in, 1ull << 34, len);
	if (!b && errno != ENOENT) kiln_die(KILN_EXIT_FAIL, "%s: %s", in, strerror(errno));
	if (b && *len && b[*len - 1] != '\n') {
		b = kiln_xrealloc(b, *len + 1);
		b[(*len)++] = '\n';
	}
	return b;
}

static uint32_t window_record(const uint8_t *e)
{
	return (uint32_t)e[0] | (uint32_t)e[1] << 8 | (uint32_t)e[2] << 16 | (uint32_t)e[3] << 24;
}

static const char *const side_names[] = { "sources.jsonl", "manifest.jsonl" };

/* sources.jsonl (kiln-shard pack) and manifest.jsonl (kiln-swf ingest) of
 * every input, in input order, their record numbers renumbered as the
 * records were (newidx[i][r]: record r of input i in the merged dataset,
 * UINT64_MAX if dropped). */
static void merge_side_files(const char *tmp, char **inputs, int n, uint64_t **newidx, const uint64_t *nrec)
{
	for (size_t k = 0; k < sizeof side_names / sizeof *side_names; k++) {
		char out[4096];
		snprintf(out, sizeof out, "%s/%s", tmp, side_names[k]);
		FILE *o = NULL;
		for (int i = 0; i < n; i++) {
			size_t len;
			uint8_t *b = read_side_file(inputs[i], side_names[k], &len);
			if (!b) continue;
			if (!o && !(o = fopen(out, "w"))) kiln_die(KILN_EXIT_FAIL, "%s: %s", out, strerror(errno));
			for (size_t at = 0; at < len;) {
				const uint8_t *nl = memchr(b + at, '\n', len - at);
				size_t e = nl ? (size_t)(nl - b) + 1 : len;
				side_line(o, (const char *)b + at, e - at, newidx[i], nrec[i], k == 0);
				at = e;
			}
			if (ferror(o)) kiln_die(KILN_EXIT_FAIL, "%s: write error", out);
			free(b);
		}
		if (o && fclose(o)) kiln_die(KILN_EXIT_FAIL, "%s: %s", out, strerror(errno));
	}
}

/* windows.bin (frames datasets: u32 record, u32 first frame, little-endian)
 * of a dataset folder, checked: whole entries, records below nrec. NULL if
 * it has none. */
static uint8_t *read_windows(const char *dir, uint64_t nrec, size_t *len)
{
	char in[4096];
	snprintf(in, sizeof in, "%s/windows.bin", dir);
	if (access(in, F_OK)) return NULL;
	uint8_t *b = kiln_read_file(in, 1ull << 36, len);
	if (!b) kiln_die(KILN_EXIT_FAIL, "%s: %s", in, strerror(errno));
	if (*len % 8) kiln_die(KILN_EXIT_FAIL, "%s: size %zu is not a multiple of 8", in, *len);
	for (size_t k = 0; k < *len; k += 8)
		if (window_record(b + k) >= nrec)
			kiln_die(KILN_EXIT_FAIL, "%s: byte offset %zu: record %u out of range", in, k, window_record(b + k));
	return b;
}

/* One window entry e with its record renumbered to r. */
static void put_window(FILE *o, const char *out, const uint8_t *e, uint64_t r)
{
	if (r > UINT32_MAX) kiln_die(KILN_EXIT_FAIL, "%s: more than 2^32 records", out);
	uint8_t w[8] = { (uint8_t)r, (uint8_t)(r >> 8), (uint8_t)(r >> 16), (uint8_t)(r >> 24), e[4], e[5], e[6], e[7] };
	if (fwrite(w, 1, 8, o) != 8) kiln_die(KILN_EXIT_FAIL, "%s: write error", out);
}

/* windows.bin of every input, renumbered to the merged records; windows
 * of dropped records go too. All inputs have one or none. newidx[i][r] is
 * record r of input i in the merged dataset, UINT64_MAX if dropped. */
static void merge_windows(const char *tmp, char **inputs, int n, uint64_t **newidx, const uint64_t *nrec)
{
	int have = 0;
	for (int i = 0; i < n; i++) {
		char in[4096];
		snprintf(in, sizeof in, "%s/windows.bin", inputs[i]);
		have += access(in, F_OK) == 0;
	}
	if (have == 0) return;
	if (have != n) kiln_die(KILN_EXIT_FAIL, "windows.bin is in %d of the %d inputs: extract all parts alike", have, n);
	char out[4096];
	snprintf(out, sizeof out, "%s/windows.bin", tmp);
	FILE *o = fopen(out, "wb");
	if (!o) kiln_die(KILN_EXIT_FAIL, "%s: %s", out, strerror(errno));
	for (int i = 0; i < n; i++) {
		size_t len;
		uint8_t *b = read_windows(inputs[i], nrec[i], &len);
		if (!b) kiln_die(KILN_EXIT_FAIL, "%s/windows.bin: %s", inputs[i], strerror(errno));
		for (size_t k = 0; k < len; k += 8) {
			uint64_t nr = newidx[i][window_record(b + k)];
			if (nr != UINT64_MAX) put_window(o, out, b + k, nr);
		}
		free(b);
	}
	if (fclose(o)) kiln_die(KILN_EXIT_FAIL, "%s: %s", out, strerror(errno));
}

/* The two sides of a split, in this order. */
static const char *const split_sides[2] = { "train", "val" };

/* TMP/train/NAME and TMP/val/NAME, opened for writing (names in out). */
static void open_sides(FILE *o[2], char out[2][4096], const char *tmp, const char *name)
{
	for (int s = 0; s < 2; s++) {
		snprintf(out[s], sizeof out[s], "%s/%s/%s", tmp, split_sides[s], name);
		if (!(o[s] = fopen(out[s], "wb"))) kiln_die(KILN_EXIT_FAIL, "%s: %s", out[s], strerror(errno));
	}
}

static void close_sides(FILE *o[2], char out[2][4096])
{
	for (int s = 0; s < 2; s++)
		if (ferror(o[s]) | fclose(o[s])) kiln_die(KILN_EXIT_FAIL, "%s: write error", out[s]);
}

/* Side files of a split: every line and window goes to the side its record
 * went to (side[r], renumbered to newidx[r] there). A manifest.jsonl line
 * without a record (a duplicate, broken or unreadable candidate of ingest)
 * goes to train, so that each line lands on exactly one side. */
static void split_side_files(const char *tmp, const char *input, const uint8_t *side, const uint64_t *newidx, uint64_t nrec)
{
	char out[2][4096];
	FILE *o[2];
	for (size_t k = 0; k < sizeof side_names / sizeof *side_names; k++) {
		size_t len;
		uint8_t *b = read_side_file(input, side_names[k], &len);
		if (!b) continue;
		open_sides(o, out, tmp, side_names[k]);
		for (size_t at = 0; at < len;) {
			const uint8_t *nl = memchr(b + at, '\n', len - at);
			size_t e = (size_t)(nl - b) + 1;   /* read_side_file ends b with one */
			const char *l = (const char *)b + at, *num, *end;
			uint64_t r;
			if (line_record(l, e - at, nrec, &r, &num, &end)) put_renumbered(o[side[r]], l, e - at, num, end, newidx[r]);
			else fwrite(l, 1, e - at, o[0]);
			at = e;
		}
		free(b);
		close_sides(o, out);
	}
	if (!kiln_is_dir(input)) return;
	size_t len;
	uint8_t *b = read_windows(input, nrec, &len);
	if (!b) return;
	open_sides(o, out, tmp, "windows.bin");
	for (size_t k = 0; k < len; k += 8) {
		uint32_t r = window_record(b + k);
		put_window(o[side[r]], out[side[r]], b + k, newidx[r]);
	}
	free(b);
	close_sides(o, out);
}

/* ---- split ------------------------------------------------------------- */

static int cmd_split(int argc, char **argv)
{
	struct opts o;
	parse_opts(argc, argv, &o);
	if (optind != argc - 1) kiln_usage_error("split: expected one PATH");
	if (!o.output) kiln_usage_error("split: -o DIR is required");
	if (!o.has_ratio) kiln_usage_error("split: --ratio is required");
	if (!o.has_seed) kiln_usage_error("split: --seed is required (the split must be reproducible)");
	kiln_refuse_output_over_inputs(o.output, o.force, argv + optind, 1);
	shard_dataset *d = open_or_die(argv[optind]);
	const char *tmp = outdir_or_die(&o);
	size_t mlen;
	char *metas = meta_copy(d, &mlen);
	shard_writer *w[2];
	uint64_t counts[2] = { 0, 0 };
	shard_error e;
	for (int k = 0; k < 2; k++) {
		char sub[4096];
		snprintf(sub, sizeof sub, "%s/%s", tmp, split_sides[k]);
		if (kiln_mkdirs(sub)) kiln_die(KILN_EXIT_FAIL, "%s: %s", sub, strerror(errno));
		shard_writer_opts wo = { o.max_shard, mlen ? metas : NULL };
		if (shard_writer_create(sub, shard_dataset_spec(d), &wo, &w[k], &e)) kiln_die(KILN_EXIT_FAIL, "%s", e.msg);
	}
	uint64_t n = shard_dataset_records(d);
	uint8_t *side = kiln_xcalloc(n ? n : 1, 1);
	uint64_t *newidx = kiln_xcalloc(n ? n : 1, sizeof *newidx);
	kiln_progress *p = kiln_progress_start("splitting", n, "records");
	for (uint64_t i = 0; i < n; i++) {
		shard_record r;
		checked_record(d, i, &r);
		/* Same key -> same side, for any run: records of one group never straddle. */
		side[i] = kiln_unit(o.seed, o.by_group ? r.group : i) < o.ratio ? 0 : 1;
		if (shard_writer_add_record(w[side[i]], &r, &e)) kiln_die(KILN_EXIT_FAIL, "%s", e.msg);
		newidx[i] = counts[side[i]]++;
		kiln_progress_update(p, i + 1);
	}
	kiln_progress_end(p);
	for (int k = 0; k < 2; k++)
		if (shard_writer_close(w[k], &e)) kiln_die(KILN_EXIT_FAIL, "%s", e.msg);
	split_side_files(tmp, argv[optind], side, newidx, n);
	free(side);
	free(newidx);
	if (kiln_outdir_commit(tmp, o.output, o.force)) kiln_die(KILN_EXIT_FAIL, "%s: %s", o.output, strerror(errno));
	if (o.json) {
		kiln_json j;
		kiln_json_init(&j, stdout, 0);
		kiln_json_obj_begin(&j, NULL);
		kiln_json_u64(&j, "train", counts[0]);
		kiln_json_u64(&j, "val", counts[1]);
		kiln_json_str(&j, "by", o.by_group ? "group" : "record");
		kiln_json_obj_end(&j);
		kiln_json_end_line(&j);
	} else {
		/* -o split/ (as in the README) names split/train, not split//train */
		char *base = kiln_xstrdup(o.output);
		base[kiln_path_len_trimmed(base)] = 0;
		kiln_fput_esc(stdout, base);
		printf("/train: %" PRIu64 " records\n", counts[0]);
		kiln_fput_esc(stdout, base);
		printf("/val: %" PRIu64 " records\n", counts[1]);
		free(base);
	}
	free(metas);
	shard_dataset_close(d);
	return 0;
}

/* ---- merge ------------------------------------------------------------- */

/* Open-addressing set of 64-bit group keys (for --dedup). */
typedef struct keyset { uint64_t *k; uint8_t *used; size_t cap, n; } keyset;

static int keyset_add(keyset *s, uint64_t key)   /* 1 if new */
{
	if (2 * (s->n + 1) > s->cap) {
		keyset t = { 0 };
		t.cap = s->cap ? s->cap * 2 : 1024;
		t.k = kiln_xcalloc(t.cap, sizeof *t.k);
		t.used = kiln_xcalloc(t.cap, 1);
		for (size_t i = 0; i < s->cap; i++) if (s->used[i]) keyset_add(&t, s->k[i]);
		free(s->k); free(s->used);
		*s = t;
	}
	size_t i = kiln_mix64(0, key) & (s->cap - 1);
	while (s->used[i]) {
		if (s->k[i] == key) return 0;
		i = (i + 1) & (s->cap - 1);
	}
	s->used[i] = 1;
	s->k[i] = key;
	s->n++;
	return 1;
}

static int cmd_merge(int argc, char **argv)
{
	struct opts o;
	parse_opts(argc, argv, &o);
	if (!o.output) kiln_usage_error("merge: -o OUT is required");
	if (optind >= argc) kiln_usage_error("merge: no input datasets");
	int n = argc - optind;
	kiln_refuse_output_over_inputs(o.output, o.force, argv + optind, (size_t)n);
	shard_dataset **d = kiln_xcalloc((size_t)n, sizeof *d);
	shard_error e;
	for (int i = 0; i < n; i++) {
		d[i] = open_or_die(argv[optind + i]);
		if (i && shard_spec_compatible(shard_dataset_spec(d[0]), shard_dataset_spec(d[i]), &e))
			kiln_die(KILN_EXIT_FAIL, "%s: cannot merge with %s: %s", argv[optind + i], argv[optind], e.msg);
	}
	const char *tmp = outdir_or_die(&o);
	size_t mlen;
	char *metas = meta_copy(d[0], &mlen);
	shard_writer_opts wo = { o.max_shard, mlen ? metas : NULL };
	shard_writer *w;
	if (shard_writer_create(tmp, shard_dataset_spec(d[0]), &wo, &w, &e)) kiln_die(KILN_EXIT_FAIL, "%s", e.msg);
	keyset seen = { 0 };
	uint64_t kept = 0, dropped = 0;
	uint64_t **newidx = kiln_xcalloc((size_t)n, sizeof *newidx), *nrec = kiln_xcalloc((size_t)n, sizeof *nrec);
	for (int i = 0; i < n; i++) {
		nrec[i] = shard_dataset_records(d[i]);
		newidx[i] = kiln_xcalloc(nrec[i] ? nrec[i] : 1, sizeof **newidx);
		for (uint64_t r = 0; r < nrec[i]; r++) {
			shard_record rec;
			/* Records are checked as they are copied: a merge never launders corruption. */
			checked_record(d[i], r, &rec);
			if (o.dedup && !keyset_add(&seen, rec.group)) { dropped++; newidx[i][r] = UINT64_MAX; continue; }
			if (shard_writer_add_record(w, &rec, &e)) kiln_die(KILN_EXIT_FAIL, "%s", e.msg);
			newidx[i][r] = kept++;
		}
	}
	if (shard_writer_close(w, &e)) kiln_die(KILN_EXIT_FAIL, "%s", e.msg);
	merge_side_files(tmp, argv + optind, n, newidx, nrec);
	merge_windows(tmp, argv + optind, n, newidx, nrec);
	for (int i = 0; i < n; i++) free(newidx[i]);
	free(newidx);
	free(nrec);
	if (kiln_outdir_commit(tmp, o.output, o.force)) kiln_die(KILN_EXIT_FAIL, "%s: %s", o.output, strerror(errno));
	if (!kiln_quiet())
		kiln_note("merged %d datasets into %s: %" PRIu64 " records%s", n, o.output, kept,
		          dropped ? " (duplicates dropped)" : "");
	for (int i = 0; i < n; i++) shard_dataset_close(d[i]);
	free(d);
	free(metas);
	free(seen.k);
	free(seen.used);
	return 0;
}

/* ---- stats ------------------------------------------------------------- */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* min, mean, p50, p90, p99 and max of n lengths (sorted here) summing to
 * sum, as the object key; percentiles by nearest rank. */
static void json_lengths(kiln_json *j, const char *key, uint64_t *len, uint64_t n, uint64_t sum)
{
	static const double q[5] = { 0, 0.5, 0.9, 0.99, 1 };
	uint64_t pct[5] = { 0 };
	qsort(len, n, sizeof *len, cmp_u64);
	for (int k = 0; k < 5 && n; k++) pct[k] = len[(uint64_t)(q[k] * (n - 1) + 0.5)];
	kiln_json_obj_begin(j, key);
	kiln_json_u64(j, "min", pct[0]);
	kiln_json_double(j, "mean", n ? (double)sum / n : 0);
	kiln_json_u64(j, "p50", pct[1]);
	kiln_json_u64(j, "p90", pct[2]);
	kiln_json_u64(j, "p99", pct[3]);
	kiln_json_u64(j, "max", pct[4]);
	kiln_json_obj_end(j);
}

static int cmd_stats(int argc, char **argv)
{
	struct opts o;
	parse_opts(argc, argv, &o);
	if (optind != argc - 1) kiln_usage_error("stats: expected one PATH");
	shard_dataset *d = open_or_die(argv[optind]);
	const shard_spec *s = shard_dataset_spec(d);
	uint64_t n = shard_dataset_records(d);
	uint64_t *plen = kiln_xcalloc(n ? n : 1, sizeof *plen), *clen = kiln_xcalloc(n ? n : 1, sizeof *clen);
	/* Histogram of token ids (or action ids for frames); capped at 2^24 ids so
	 * a 4-byte vocabulary does not allocate gigabytes. */
	uint64_t hsize = s->kind == SHARD_FRAMES ? (s->vocab_size ? s->vocab_size : 1) : s->vocab_size;
	int hist_ok = hsize <= (1u << 24);
	uint64_t *hist = hist_ok ? kiln_xcalloc(hsize, sizeof *hist) : NULL;
	uint64_t total = 0;
	for (uint64_t i = 0; i < n; i++) {
		shard_record r;
		checked_record(d, i, &r);   /* a damaged record would skew the histogram unseen */
		plen[i] = r.n_prompt;
		clen[i] = r.n_content;
		if (!hist_ok) continue;
		if (s->kind == SHARD_FRAMES) {
			for (uint64_t k = 0; k < r.n_content; k++) { uint32_t v = r.actions[k]; if (v < hsize) hist[v]++; total++; }
		} else {
			for (uint64_t k = 0; k < r.n_prompt + r.n_content; k++) {
				uint32_t v = shard_elem(r.prompt, s->elem_size, k);
				if (v < hsize) hist[v]++;   /* out-of-range ids are verify's job */
				total++;
			}
		}
	}
	uint64_t csum = 0, psum = 0;
	for (uint64_t i = 0; i < n; i++) { csum += clen[i]; psum += plen[i]; }
	uint64_t distinct = 0, top[10] = { 0 };
	double entropy = 0;
	if (hist_ok) {
		for (uint64_t v = 0; v < hsize; v++) {
			if (!hist[v]) continue;
			distinct++;
			double p = (double)hist[v] / total;
			entropy -= p * log2(p);
			/* Keep the ten most frequent ids (ties to the smaller id, which
			 * comes first in this loop): insertion into a sorted list. */
			int t = distinct - 1 < 10 ? (int)distinct - 1 : 10;
			while (t > 0 && hist[v] > hist[top[t - 1]]) { if (t < 10) top[t] = top[t - 1]; t--; }
			if (t < 10) top[t] = v;
		}
	}
	const char *unit = s->kind == SHARD_FRAMES ? "frames" : "tokens";
	kiln_json j;
	kiln_json_init(&j, stdout, !o.json);
	{
		kiln_json_obj_begin(&j, NULL);
		kiln_json_str(&j, "path", argv[optind]);
		kiln_json_str(&j, "kind", shard_kind_name(s->kind));
		kiln_json_u64(&j, "records", n);
		kiln_json_u64(&j, "prompt_elements", psum);
		kiln_json_u64(&j, "content_elements", csum);
		kiln_json_str(&j, "content_unit", unit);
		/* frames records have no prompt segment */
		if (s->kind != SHARD_FRAMES) json_lengths(&j, "prompt_length", plen, n, psum);
		json_lengths(&j, "content_length", clen, n, csum);
		if (hist_ok) {
			kiln_json_obj_begin(&j, s->kind == SHARD_FRAMES ? "actions" : "tokens");
			kiln_json_u64(&j, "id_space", hsize);
			kiln_json_u64(&j, "distinct", distinct);
			kiln_json_double(&j, "entropy_bits", entropy);
			kiln_json_arr_begin(&j, "top");
			for (int t = 0; t < 10 && t < (int)distinct; t++) {
				kiln_json_obj_begin(&j, NULL);
				kiln_json_u64(&j, "id", top[t]);
				kiln_json_u64(&j, "count", hist[top[t]]);
				kiln_json_obj_end(&j);
			}
			kiln_json_arr_end(&j);
			kiln_json_obj_end(&j);
		}
		kiln_json_obj_end(&j);
		kiln_json_end_line(&j);
	}
	free(plen);
	free(clen);
	free(hist);
	shard_dataset_close(d);
	return 0;
}

int main(int argc, char **argv)
{
	kiln_tool_start("kiln-shard");
	static const kiln_command cmds[] = {
		{ "pack", cmd_pack }, { "info", cmd_info }, { "verify", cmd_verify },
		{ "cat", cmd_cat }, { "split", cmd_split }, { "stats", cmd_stats }, { "merge", cmd_merge },
	};
	return kiln_run_command(argc, argv, cmds, sizeof cmds / sizeof *cmds, usage);
}
