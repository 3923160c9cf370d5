/*
 * swf_main.c - kiln-swf: info, validate, tags, decompress, compress, prompt,
 * synth and ingest over libswf. This file owns the command line, messages
 * and exit codes; ingest lives in swf_cmd_ingest.c.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <strings.h>
#include <sys/stat.h>

#include "swf_cmd.h"

static const char usage_text[] =
	"Usage: kiln-swf COMMAND [OPTIONS] FILE...\n"
	"Read, judge, describe, convert, synthesize and ingest SWF files.\n"
	"\n"
	"Commands:\n"
	"  info [--json] FILE...        header, tag walk, metadata and verdict per file\n"
	"  validate [--strict] FILE...  one line per file: verdict, reason, offset\n"
	"  tags [--json] FILE           the tag list: offsets, codes, names, lengths, nesting\n"
	"  decompress FILE -o OUT       write the FWS (uncompressed) form\n"
	"  compress --zlib|--lzma FILE -o OUT   write CWS or ZWS\n"
	"  prompt FILE                  the structured prompt (ByteCraft, Figure 3)\n"
	"  synth -n N --seed S -o DIR   N procedural SWF animations with prompts\n"
	"  ingest INPUT... -o DATASET   folders/archives -> token dataset + manifest.jsonl\n"
	"  eval ...                     ByteCraft's Table-1 evaluation (see: kiln-swf eval -h)\n"
	"\n"
	"Options:\n"
	"  -o, --output PATH        output file or folder\n"
	"  -j, --json               JSON lines instead of text\n"
	"      --strict             validate: spec notes count as failures\n"
	"      --zlib, --lzma       compress: CWS (zlib) or ZWS (LZMA)\n"
	"      --salvage            decompress, compress: convert a damaged file's decodable\n"
	"                           bytes with a warning (default: refuse, write nothing)\n"
	"      --description TEXT   prompt: description (default: sidecar FILE.txt, then XMP)\n"
	"  -n, --count N            synth: number of files\n"
	"      --seed S             synth: generator seed\n"
	"      --keep-compressed    ingest: store the original bytes, not the FWS form\n"
	"      --max-size SIZE      cap on decompressed bytes per file (default 256M)\n"
	"      --max-shard-size SIZE  ingest: bytes per shard (default 256M; --shard-size\n"
	"                           is the same option, its older name)\n"
	"      --memory SIZE        ingest: contents kept in memory, the rest spilled to disk (default 512M)\n"
	"      --part I/N           ingest: only block I of N of the walked input files\n"
	"                           (kiln-shard merge --dedup joins the parts)\n"
	"  -t, --threads N          ingest: worker threads (default: OMP_NUM_THREADS or all cores)\n"
	"  -f, --force              replace an existing output\n"
	"  -q, --quiet              no progress or summary on stderr\n"
	"  -h, --help               this help\n"
	"  -V, --version            version and features\n"
	"\n"
	"Exit status: 0 success (validate: every file ok), 1 failure (validate: a file\n"
	"is not ok), 2 usage error, 3 feature not built in.\n";

enum { O_STRICT = 256, O_ZLIB, O_LZMA, O_DESC, O_SEED, O_KEEP, O_MAXSIZE, O_SHARD, O_MEMORY, O_PART, O_SALVAGE };

static const struct option long_opts[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "json", no_argument, NULL, 'j' },
	{ "strict", no_argument, NULL, O_STRICT },
	{ "zlib", no_argument, NULL, O_ZLIB },
	{ "lzma", no_argument, NULL, O_LZMA },
	{ "salvage", no_argument, NULL, O_SALVAGE },
	{ "description", required_argument, NULL, O_DESC },
	{ "count", required_argument, NULL, 'n' },
	{ "seed", required_argument, NULL, O_SEED },
	{ "keep-compressed", no_argument, NULL, O_KEEP },
	{ "max-size", required_argument, NULL, O_MAXSIZE },
	{ "max-shard-size", required_argument, NULL, O_SHARD },
	{ "shard-size", required_argument, NULL, O_SHARD },   /* the older name */
	{ "memory", required_argument, NULL, O_MEMORY },
	{ "part", required_argument, NULL, O_PART },
	{ "threads", required_argument, NULL, 't' },
	{ "force", no_argument, NULL, 'f' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

/* The commands that take each option besides --max-size, -q, -h and -V
 * (every command takes those), as kiln-swf(1) OPTIONS says. eval has its
 * own table and parser. */
static const kiln_opt_cmds opt_cmds[] = {
	{ 'o', "decompress compress synth ingest" }, { 'f', "decompress compress synth ingest" },
	{ 'j', "info validate tags" }, { O_STRICT, "validate" }, { O_ZLIB, "compress" }, { O_LZMA, "compress" },
	{ O_SALVAGE, "decompress compress" }, { O_DESC, "prompt" }, { 'n', "synth" }, { O_SEED, "synth" },
	{ O_KEEP, "ingest" }, { O_SHARD, "ingest" }, { O_MEMORY, "ingest" }, { O_PART, "ingest" }, { 't', "ingest" },
	{ 0, NULL }
};

/* Read one input or report why not (returns NULL after the message). */
static uint8_t *load(const char *path, const swf_cmd_opts *o, size_t *n)
{
	/* An SWF holds at most 4 GiB; compressed input is never larger than the
	 * decompressed cap, so the cap bounds what we read too. */
	uint8_t *d = kiln_read_file(path, o->max_size, n);
	if (!d) kiln_file_error(path, "%s", errno == EFBIG ? "file larger than --max-size" : strerror(errno));
	return d;
}

static swf_file *parse_or_die(const uint8_t *d, size_t n, const swf_cmd_opts *o, int tags, int data)
{
	swf_opts so = { o->max_size, tags, data };
	swf_file *f;
	int r = swf_parse(d, n, &so, &f);
	if (r) kiln_die(KILN_EXIT_FAIL, "%s", swf_strerror(r));
	return f;
}

/* One line per file: the name and the title (read from the file) are
 * escaped, so neither can break the line or reach the terminal raw. */
static void text_line(const char *file, const swf_info *i)
{
	kiln_fput_esc(stdout, file);
	printf(": %s", i->signature[0] ? i->signature : i->file_size ? "(too short)" : "(empty)");
	if (i->have_header)
		printf(" v%u, %ux%u px, %.2f fps, %u frames, %llu tags, %llu bytes",
		       i->version, swf_width(i), swf_height(i), swf_frame_rate(i), i->frame_count,
		       (unsigned long long)i->tag_count, (unsigned long long)i->decompressed_length);
	printf(", %s", swf_verdict_name(i->verdict));
	if (i->reason) printf(" (%s at offset %llu)", swf_reason_name(i->reason), (unsigned long long)i->offset);
	if (i->title) {
		fputs(", title \"", stdout);
		kiln_fput_esc(stdout, i->title);
		putchar('"');
	}
	putchar('\n');
}

static int cmd_info(const swf_cmd_opts *o, char **files, int n)
{
	int rc = KILN_EXIT_OK;
	kiln_progress *p = n > 50 ? kiln_progress_start("info", (uint64_t)n, "files") : NULL;
	for (int k = 0; k < n; k++) {
		size_t len;
		uint8_t *d = load(files[k], o, &len);
		if (!d) { rc = KILN_EXIT_FAIL; continue; }
		swf_file *f = parse_or_die(d, len, o, 0, 0);
		const swf_info *i = swf_file_info(f);
		if (o->json) {
			kiln_json j;
			kiln_json_init(&j, stdout, 0);
			kiln_json_hold(&j);
			kiln_json_obj_begin(&j, NULL);
			kiln_json_str(&j, "file", files[k]);
			swf_cmd_info_fields(&j, i);
			kiln_json_obj_end(&j);
			kiln_json_end_line(&j);
		} else {
			text_line(files[k], i);
		}
		swf_file_free(f);
		free(d);
		kiln_progress_update(p, (uint64_t)k + 1);
	}
	kiln_progress_end(p);
	return rc;
}

static int cmd_validate(const swf_cmd_opts *o, char **files, int n)
{
	int rc = KILN_EXIT_OK;
	for (int k = 0; k < n; k++) {
		size_t len;
		uint8_t *d = load(files[k], o, &len);
		if (!d) { rc = KILN_EXIT_FAIL; continue; }
		swf_file *f = parse_or_die(d, len, o, 0, 0);
		const swf_info *i = swf_file_info(f);
		int pass = i->verdict == SWF_VERDICT_OK && !(o->strict && i->n_notes);
		if (!pass) rc = KILN_EXIT_FAIL;
		if (o->json) {
			kiln_json j;
			kiln_json_init(&j, stdout, 0);
			kiln_json_hold(&j);
			kiln_json_obj_begin(&j, NULL);
			kiln_json_str(&j, "file", files[k]);
			kiln_json_str(&j, "verdict", swf_verdict_name(i->verdict));
			kiln_json_str(&j, "reason", i->reason ? swf_reason_name(i->reason) : NULL);
			if (i->reason) kiln_json_u64(&j, "offset", i->offset);
			else kiln_json_null(&j, "offset");
			kiln_json_arr_begin(&j, "notes");
			for (size_t q = 0; q < i->n_notes; q++) kiln_json_str(&j, NULL, swf_note_name(i->notes[q].kind));
			kiln_json_arr_end(&j);
			kiln_json_bool(&j, "pass", pass);
			kiln_json_obj_end(&j);
			kiln_json_end_line(&j);
		} else {
			kiln_fput_esc(stdout, files[k]);
			printf(": %s", swf_verdict_name(i->verdict));
			if (i->reason) printf(": %s at offset %llu", swf_reason_name(i->reason), (unsigned long long)i->offset);
			if (o->strict && i->n_notes) {
				printf("; spec notes:");
				for (size_t q = 0; q < i->n_notes; q++)
					printf(" %s@%llu", swf_note_name(i->notes[q].kind), (unsigned long long)i->notes[q].offset);
			}
			putchar('\n');
		}
		swf_file_free(f);
		free(d);
	}
	return rc;
}

static int cmd_tags(const swf_cmd_opts *o, const char *file)
{
	size_t len;
	uint8_t *d = load(file, o, &len);
	if (!d) return KILN_EXIT_FAIL;
	swf_file *f = parse_or_die(d, len, o, 1, 0);
	const swf_info *i = swf_file_info(f);
	size_t nt;
	const swf_tag *t = swf_file_tags(f, &nt);
	for (size_t k = 0; k < nt; k++) {
		const char *name = swf_tag_name(t[k].code);
		if (o->json) {
			kiln_json j;
			kiln_json_init(&j, stdout, 0);
			kiln_json_hold(&j);
			kiln_json_obj_begin(&j, NULL);
			kiln_json_u64(&j, "index", k);
			kiln_json_u64(&j, "offset", t[k].offset);
			kiln_json_u64(&j, "code", t[k].code);
			kiln_json_str(&j, "name", name);
			kiln_json_u64(&j, "header", t[k].header_len);
			kiln_json_u64(&j, "length", t[k].length);
			kiln_json_u64(&j, "depth", t[k].depth);
			if (t[k].parent >= 0) kiln_json_u64(&j, "parent", (uint64_t)t[k].parent);
			else kiln_json_null(&j, "parent");
			kiln_json_bool(&j, "overruns", t[k].overruns);
			kiln_json_obj_end(&j);
			kiln_json_end_line(&j);
		} else {
			printf("%10llu %*s%-28s code %3u  len %8u%s%s\n", (unsigned long long)t[k].offset,
			       2 * t[k].depth, "", name ? name : "?", t[k].code, t[k].length,
			       t[k].header_len == 6 ? "  long" : "", t[k].overruns ? "  OVERRUNS" : "");
		}
	}
	if (!o->quiet && i->verdict != SWF_VERDICT_OK)
		kiln_file_error(file, "%s: %s at offset %llu", swf_verdict_name(i->verdict),
		                swf_reason_name(i->reason), (unsigned long long)i->offset);
	int rc = i->have_header ? KILN_EXIT_OK : KILN_EXIT_FAIL;
	swf_file_free(f);
	free(d);
	return rc;
}

static int write_out(const char *path, const uint8_t *d, size_t n, int force)
{
	if (!force && kiln_output_exists(path)) {
		kiln_file_error(path, "exists (use --force to replace it)");
		return KILN_EXIT_FAIL;
	}
	kiln_outfile of;
	if (kiln_outfile_open(&of, path)) {
		kiln_file_error(path, "%s", strerror(errno));
		return KILN_EXIT_FAIL;
	}
	if (fwrite(d, 1, n, of.fp) != n || kiln_outfile_commit(&of)) {
		kiln_file_error(path, "write failed: %s", strerror(errno));
		kiln_outfile_abort(&of);
		return KILN_EXIT_FAIL;
	}
	return KILN_EXIT_OK;
}

/* What is wrong with an input that cannot be converted as it is: a
 * FileLength that disagrees with the data (which has no verdict reason of
 * its own), then the verdict's reason and offset. */
static void damage_text(const swf_info *i, char *buf, size_t cap)
{
	int st = i->dstatus, k = 0;
	buf[0] = 0;
	if (st == SWF_D_SHORT || st == SWF_D_TRAILING || st == SWF_D_LEN_MISMATCH || st == SWF_D_OK_UNKNOWN_SIZE)
		k = snprintf(buf, cap, "FileLength at offset 4 says %lu bytes, the data holds %llu (%s)",
		             (unsigned long)i->declared_length, (unsigned long long)i->decompressed_length,
		             swf_dstatus_name(st));
	if (i->reason && k >= 0 && (size_t)k < cap)
		snprintf(buf + k, cap - (size_t)k, "%s%s: %s at offset %llu", k ? "; " : "",
		         swf_verdict_name(i->verdict), swf_reason_name(i->reason), (unsigned long long)i->offset);
}

static int cmd_convert(const swf_cmd_opts *o, const char *file, int codec)
{
	size_t len;
	uint8_t *d = load(file, o, &len);
	if (!d) return KILN_EXIT_FAIL;
	swf_file *f = parse_or_die(d, len, o, 0, 1);
	free(d);
	const swf_info *i = swf_file_info(f);
	uint8_t *out;
	size_t on;
	int r = swf_convert_file(f, codec, o->salvage ? SWF_CONVERT_SALVAGE : 0, &out, &on);
	char why[256];
	damage_text(i, why, sizeof why);
	unsigned version = i->version;
	int damaged = i->dstatus != SWF_D_OK;
	uint64_t got = i->decompressed_length;
	swf_file_free(f);
	if (r == SWF_EDAMAGED) {
		kiln_file_error(file, "%s; nothing written (--salvage converts what decodes)", why);
		return KILN_EXIT_FAIL;
	}
	if (r == SWF_ENOTSWF || r == SWF_EBROKEN || r == SWF_ETOOBIG) {
		kiln_file_error(file, "%s; %s", swf_strerror(r), why);
		return KILN_EXIT_FAIL;
	}
	if (r) { kiln_file_error(file, "%s", swf_strerror(r)); return KILN_EXIT_FAIL; }
	if (damaged)
		kiln_warn("%s: %s; --salvage: converting the %llu bytes that decode", file, why,
		          (unsigned long long)got);
	/* The version is kept (it changes how players run the file); say when
	 * it is below what the compression needs. */
	if (!o->quiet && ((codec == SWF_CWS && version < 6) || (codec == SWF_ZWS && version < 13)))
		kiln_warn("%s: version %u is below the %s minimum (%d); players may refuse the output",
		          file, version, codec == SWF_CWS ? "CWS" : "ZWS", codec == SWF_CWS ? 6 : 13);
	int rc = write_out(o->output, out, on, o->force);
	free(out);
	return rc;
}

static int cmd_prompt(const swf_cmd_opts *o, const char *file)
{
	size_t len;
	uint8_t *d = load(file, o, &len);
	if (!d) return KILN_EXIT_FAIL;
	swf_file *f = parse_or_die(d, len, o, 0, 0);
	const swf_info *i = swf_file_info(f);
	int rc = KILN_EXIT_OK;
	if (!i->have_header) {
		kiln_file_error(file, "broken: %s at offset %llu", swf_reason_name(i->reason), (unsigned long long)i->offset);
		rc = KILN_EXIT_FAIL;
	} else {
		char *side = o->description ? NULL : swf_cmd_sidecar(file);
		/* The size stated is that of the FWS form: what ingest stores. */
		char *p = swf_prompt(i, o->description ? o->description : side, i->decompressed_length);
		if (!p) kiln_die(KILN_EXIT_FAIL, "out of memory");
		puts(p);
		free(p);
		free(side);
	}
	swf_file_free(f);
	free(d);
	return rc;
}

static int cmd_synth(const swf_cmd_opts *o)
{
	const char *tmp = kiln_outdir_begin(o->output, o->force);
	if (!tmp) {
		kiln_file_error(o->output, "%s", kiln_output_errtext(errno));
		return KILN_EXIT_FAIL;
	}
	kiln_progress *p = kiln_progress_start("synth", o->count, "files");
	size_t plen = strlen(tmp) + 64;
	char *path = kiln_xmalloc(plen);
	uint64_t bytes = 0;
	for (uint64_t k = 0; k < o->count; k++) {
		uint8_t *d;
		size_t n;
		int r = swf_synth(o->seed, k, &d, &n);
		if (r) { kiln_outdir_abort(tmp); kiln_die(KILN_EXIT_FAIL, "synth: %s", swf_strerror(r)); }
		/* Check our own output with our own judge: a synth file that is
		 * not ok is a bug, and must not reach a corpus. --max-size caps
		 * what is read, and synth reads nothing: the check runs with the
		 * largest cap an SWF can state, so a small --max-size cannot make
		 * a good file look broken (kiln-swf(1) says so). */
		swf_cmd_opts co = *o;
		co.max_size = UINT32_MAX;
		swf_file *f = parse_or_die(d, n, &co, 0, 0);
		const swf_info *i = swf_file_info(f);
		if (i->verdict != SWF_VERDICT_OK || i->n_notes) {
			kiln_outdir_abort(tmp);
			kiln_die(KILN_EXIT_FAIL, "synth: file %llu is %s (%s) - a generator bug", (unsigned long long)k,
			         swf_verdict_name(i->verdict), i->n_notes ? swf_note_name(i->notes[0].kind) : swf_reason_name(i->reason));
		}
		char *prompt = swf_prompt(i, NULL, n);
		snprintf(path, plen, "%s/synth-%06llu.swf", tmp, (unsigned long long)k);
		FILE *fp = fopen(path, "wb");
		int bad = !fp || fwrite(d, 1, n, fp) != n;
		if (fp && fclose(fp)) bad = 1;
		snprintf(path, plen, "%s/synth-%06llu.prompt", tmp, (unsigned long long)k);
		fp = bad ? NULL : fopen(path, "wb");
		bad = bad || !fp || !prompt || fprintf(fp, "%s\n", prompt) < 0;
		if (fp && fclose(fp)) bad = 1;
		free(prompt);
		swf_file_free(f);
		free(d);
		if (bad) {
			int e = errno;
			kiln_outdir_abort(tmp);
			kiln_die(KILN_EXIT_FAIL, "%s: %s", o->output, strerror(e));
		}
		bytes += n;
		kiln_progress_update(p, k + 1);
	}
	kiln_progress_end(p);
	free(path);
	if (kiln_outdir_commit(tmp, o->output, o->force)) {
		kiln_file_error(o->output, "%s", strerror(errno));
		return KILN_EXIT_FAIL;
	}
	if (!o->quiet)
		kiln_note("wrote %llu SWF files (%llu bytes) and their prompts to %s",
		          (unsigned long long)o->count, (unsigned long long)bytes, o->output);
	return KILN_EXIT_OK;
}

int main(int argc, char **argv)
{
	kiln_tool_start("kiln-swf");
	/* JSON lines over whole corpora into a pipe or file: fewer, larger
	 * writes than glibc's 4 KiB (a terminal keeps its line buffering). */
	static char outbuf[1 << 16];
	if (!isatty(STDOUT_FILENO)) setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);
	swf_cmd_opts o = { 0 };
	o.codec = -1;
	o.max_size = SWF_DEFAULT_MAX_SIZE;
	o.memory = 512ull << 20;
	o.part = o.nparts = 1;
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) { fputs(usage_text, stdout); return 0; }
	if (argc >= 2 && (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V"))) {
		kiln_print_version(stdout, "libswf: " SWF_LIB_VERSION "\n");
		return 0;
	}
	if (argc < 2 || argv[1][0] == '-') kiln_usage_error("missing command (info, validate, tags, decompress, compress, prompt, synth, ingest, eval)");
	const char *cmd = argv[1];
	/* eval has its own options and parser (swf_cmd_eval.c). */
	if (!strcmp(cmd, "eval")) return swf_cmd_eval_main(argc - 1, argv + 1);
	static const char *const cmds[] = { "info", "validate", "tags", "decompress", "compress", "prompt", "synth", "ingest" };
	int ci = -1;
	for (int k = 0; k < 8; k++) if (!strcmp(cmd, cmds[k])) ci = k;
	if (ci < 0) kiln_usage_error("unknown command '%s'", cmd);

	argv++, argc--;
	int c, li;
	while ((c = kiln_getopt(argc, argv, cmd, "o:jn:t:fqhV", long_opts, &li)) != -1) {
		kiln_check_opt_cmd(opt_cmds, long_opts, cmd, c, li);
		switch (c) {
		case 'o': o.output = optarg; break;
		case 'j': o.json = 1; break;
		case O_STRICT: o.strict = 1; break;
		case O_ZLIB: o.codec = SWF_CWS; break;
		case O_LZMA: o.codec = SWF_ZWS; break;
		case O_SALVAGE: o.salvage = 1; break;
		case O_DESC: o.description = optarg; break;
		case 'n': o.count = kiln_opt_u64("--count", optarg, 1, 10000000); o.have_count = 1; break;
		case O_SEED: o.seed = kiln_opt_u64("--seed", optarg, 0, UINT64_MAX); o.have_seed = 1; break;
		case O_KEEP: o.keep_compressed = 1; break;
		case O_MAXSIZE: o.max_size = kiln_opt_size("--max-size", optarg, 64, 0xFFFFFFFFull); break;
		case O_SHARD: o.max_shard = kiln_opt_size("--max-shard-size", optarg, 4096, 1ull << 40); break;
		case O_MEMORY: o.memory = kiln_opt_size("--memory", optarg, 0, 1ull << 44); o.have_memory = 1; break;
		case O_PART:
			if (kiln_parse_part(optarg, &o.part, &o.nparts))
				kiln_usage_error("--part: expected I/N with 1 <= I <= N, got '%s'", optarg);
			break;
		case 't': o.threads = (int)kiln_opt_u64("--threads", optarg, 1, 1024); break;
		case 'f': o.force = 1; break;
		case 'q': o.quiet = 1; break;
		case 'h': fputs(usage_text, stdout); return 0;
		case 'V': kiln_print_version(stdout, "libswf: " SWF_LIB_VERSION "\n"); return 0;
		}
	}
	kiln_set_quiet(o.quiet);
	char **files = argv + optind;
	int nfiles = argc - optind;
	switch (ci) {
	case 0: case 1:
		if (nfiles < 1) kiln_usage_error("%s needs at least one FILE", cmd);
		return ci == 0 ? cmd_info(&o, files, nfiles) : cmd_validate(&o, files, nfiles);
	case 2: case 5:
		if (nfiles != 1) kiln_usage_error("%s takes exactly one FILE", cmd);
		return ci == 2 ? cmd_tags(&o, files[0]) : cmd_prompt(&o, files[0]);
	case 3: case 4:
		if (nfiles != 1) kiln_usage_error("%s takes exactly one FILE", cmd);
		if (!o.output) kiln_usage_error("%s needs -o OUT", cmd);
		if (ci == 4 && o.codec < 0) kiln_usage_error("compress needs --zlib or --lzma");
		return cmd_convert(&o, files[0], ci == 3 ? SWF_FWS : o.codec);
	case 6:
		if (nfiles) kiln_usage_error("synth takes no FILE");
		if (!o.have_count || !o.have_seed || !o.output) kiln_usage_error("synth needs -n N, --seed S and -o DIR");
		return cmd_synth(&o);
	default:
		if (nfiles < 1) kiln_usage_error("ingest needs at least one INPUT");
		if (!o.output) kiln_usage_error("ingest needs -o DATASET");
		return swf_cmd_ingest(&o, files, nfiles);
	}
}
