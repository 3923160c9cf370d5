/*
 * video_main.c - kiln-video: inspect gameplay videos, extract frames at a
 * fixed rate into a Kiln frames dataset (episodes, per-frame actions, a
 * window index), and draw a contact sheet. A front end over libvideo
 * (video/video.h) and libshard; see man/kiln-video.1.
 */
#define _GNU_SOURCE
#include "kiln.h"
#include "shard.h"
#include "video.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <strings.h>

#define MAX_LABEL_FILE (256ull << 20)
#define MAX_INPUTS 1000000

static void usage(FILE *out)
{
	fprintf(out,
	        "Usage: kiln-video COMMAND [OPTIONS] ...\n"
	        "Gameplay video to Kiln frame shards, frames identical to the ffmpeg CLI's.\n"
	        "\n"
	        "Commands:\n"
	        "  info [--json] FILE...              streams, duration, frame count, fps\n"
	        "  extract IN... -o DATASET           select, scale and store frames (IN: files or folders)\n"
	        "  contact DATASET -o SHEET.png       a contact sheet of sampled frames\n"
	        "\n"
	        "Extract options:\n"
	        "  -o, --output PATH         dataset folder (written atomically)\n"
	        "      --fps R               output frame rate, any rational (default 12)\n"
	        "      --size WxH            output size (default 320x180)\n"
	        "      --scale NAME          area (default), bilinear, bicubic, lanczos, neighbor\n"
	        "      --fit MODE            stretch (default), crop, letterbox\n"
	        "      --layout L            hwc (default) or chw\n"
	        "      --episode-frames N    cut videos into episodes of N frames (default: whole videos)\n"
	        "      --actions FILE        per-frame action labels (\"t_seconds id [name]\" lines);\n"
	        "                            give one per input video, in input order\n"
	        "      --window T            index every T-frame window inside an episode (windows.bin)\n"
	        "      --window-stride S     first frames S apart (default 1)\n"
	        "      --rawvideo FILE       also write the frames as raw RGB24 (\"-\" = stdout)\n"
	        "      --list FILE           more inputs, one a line: VIDEO or VIDEO<TAB>LABELS\n"
	        "      --threads N           decoding threads (default: one per CPU; 1 = sequential)\n"
	        "      --max-shard-size N    roll over to a new shard at N bytes (default 256M)\n"
	        "      --force               replace an existing output\n"
	        "      --part I/N            only block I of N of the input videos (kiln-shard merge joins parts)\n"
	        "\n"
	        "Contact options:\n"
	        "      --frames N            frames on the sheet (default 16)\n"
	        "      --columns N           frames per row (default 4)\n"
	        "\n"
	        "Common options:\n"
	        "      --json                machine-readable output on stdout\n"
	        "  -q, --quiet               no progress line, no summary\n"
	        "  -h, --help                this help\n"
	        "  -V, --version             version, features and libav* versions\n"
	        "\n"
	        "Exit status: 0 success, 1 failure, 2 usage error, 3 not built.\n");
}

enum { OPT_FPS = 256, OPT_SIZE, OPT_SCALE, OPT_FIT, OPT_LAYOUT, OPT_EPISODE, OPT_ACTIONS, OPT_WINDOW,
       OPT_WSTRIDE, OPT_RAW, OPT_LIST, OPT_THREADS, OPT_MAXSHARD, OPT_FORCE, OPT_FRAMES, OPT_COLUMNS, OPT_JSON, OPT_PART };

static const struct option long_opts[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "fps", required_argument, NULL, OPT_FPS },
	{ "size", required_argument, NULL, OPT_SIZE },
	{ "scale", required_argument, NULL, OPT_SCALE },
	{ "fit", required_argument, NULL, OPT_FIT },
	{ "layout", required_argument, NULL, OPT_LAYOUT },
	{ "episode-frames", required_argument, NULL, OPT_EPISODE },
	{ "actions", required_argument, NULL, OPT_ACTIONS },
	{ "window", required_argument, NULL, OPT_WINDOW },
	{ "window-stride", required_argument, NULL, OPT_WSTRIDE },
	{ "rawvideo", required_argument, NULL, OPT_RAW },
	{ "list", required_argument, NULL, OPT_LIST },
	{ "threads", required_argument, NULL, OPT_THREADS },
	{ "max-shard-size", required_argument, NULL, OPT_MAXSHARD },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "frames", required_argument, NULL, OPT_FRAMES },
	{ "columns", required_argument, NULL, OPT_COLUMNS },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "part", required_argument, NULL, OPT_PART },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 }
};

struct opts {
	const char *output, *raw, *fps_str, *list;
	int64_t fps_num, fps_den;
	uint32_t width, height;
	int scaler, fit, chw, force, json, threads;
	uint64_t episode, window, wstride, max_shard, frames, columns;
	uint32_t part, nparts;
	const char **actions;
	size_t nactions;
};

/* The commands that take each option besides --json, --quiet, --help and
 * --version (every command takes those). */
static const kiln_opt_cmds opt_cmds[] = {
	{ 'o', "extract contact" }, { OPT_FPS, "extract" }, { OPT_SIZE, "extract" }, { OPT_SCALE, "extract" },
	{ OPT_FIT, "extract" }, { OPT_LAYOUT, "extract" }, { OPT_EPISODE, "extract" }, { OPT_ACTIONS, "extract" },
	{ OPT_WINDOW, "extract" }, { OPT_WSTRIDE, "extract" }, { OPT_RAW, "extract" }, { OPT_LIST, "extract" },
	{ OPT_THREADS, "extract" }, { OPT_MAXSHARD, "extract" }, { OPT_FORCE, "extract contact" },
	{ OPT_FRAMES, "contact" }, { OPT_COLUMNS, "contact" }, { OPT_PART, "extract" }, { 0, NULL }
};

static void parse_opts(int argc, char **argv, struct opts *o)
{
	int c, li;
	const char *cmd = kiln_find_command(argc, argv, "o:qhV", long_opts);
	/* an unknown command is left to main's message */
	const char *known = cmd && kiln_word_in(cmd, "info extract contact") ? cmd : NULL;
	memset(o, 0, sizeof *o);
	o->fps_num = 12;
	o->fps_den = 1;
	o->fps_str = "12";
	o->width = 320;
	o->height = 180;
	o->wstride = 1;
	o->frames = 16;
	o->columns = 4;
	o->part = o->nparts = 1;
	o->actions = kiln_xcalloc((size_t)argc + 1, sizeof *o->actions);
	optind = 1;
	while ((c = kiln_getopt(argc, argv, cmd, "o:qhV", long_opts, &li)) != -1) {
		kiln_check_opt_cmd(opt_cmds, long_opts, known, c, li);
		switch (c) {
		case 'o': o->output = optarg; break;
		case OPT_FPS:
			if (kiln_parse_rational(optarg, &o->fps_num, &o->fps_den) || o->fps_num > 1000 * o->fps_den ||
			    o->fps_num > INT32_MAX || o->fps_den > INT32_MAX)
				kiln_usage_error("--fps: expected a rate like 12, 30000/1001 or 29.97 (at most 1000), got '%s'", optarg);
			o->fps_str = optarg;
			break;
		case OPT_SIZE:
			if (kiln_parse_dims(optarg, VID_MAX_OUT_DIM, &o->width, &o->height))
				kiln_usage_error("--size: expected WxH, each 1..%u, got '%s'", VID_MAX_OUT_DIM, optarg);
			break;
		case OPT_SCALE:
			if ((o->scaler = vid_scaler_parse(optarg)) < 0)
				kiln_usage_error("--scale: expected area, bilinear, bicubic, lanczos or neighbor, got '%s'", optarg);
			break;
		case OPT_FIT:
			if ((o->fit = vid_fit_parse(optarg)) < 0)
				kiln_usage_error("--fit: expected stretch, crop or letterbox, got '%s'", optarg);
			break;
		case OPT_LAYOUT:
			if (!strcmp(optarg, "chw")) o->chw = 1;
			else if (strcmp(optarg, "hwc")) kiln_usage_error("--layout: expected hwc or chw, got '%s'", optarg);
			break;
		case OPT_EPISODE: o->episode = kiln_opt_u64("--episode-frames", optarg, 1, UINT32_MAX); break;
		case OPT_ACTIONS: o->actions[o->nactions++] = optarg; break;
		case OPT_WINDOW: o->window = kiln_opt_u64("--window", optarg, 1, UINT32_MAX); break;
		case OPT_WSTRIDE: o->wstride = kiln_opt_u64("--window-stride", optarg, 1, UINT32_MAX); break;
		case OPT_RAW: o->raw = optarg; break;
		case OPT_LIST: o->list = optarg; break;
		case OPT_THREADS: o->threads = (int)kiln_opt_u64("--threads", optarg, 1, 64); break;
		case OPT_MAXSHARD: o->max_shard = kiln_opt_size("--max-shard-size", optarg, 4096, UINT64_MAX >> 1); break;
		case OPT_FORCE: o->force = 1; break;
		case OPT_FRAMES: o->frames = kiln_opt_u64("--frames", optarg, 1, 1024); break;
		case OPT_COLUMNS: o->columns = kiln_opt_u64("--columns", optarg, 1, 64); break;
		case OPT_JSON: o->json = 1; break;
		case OPT_PART:
			if (kiln_parse_part(optarg, &o->part, &o->nparts))
				kiln_usage_error("--part: expected I/N with 1 <= I <= N, got '%s'", optarg);
			break;
		case 'q': kiln_set_quiet(1); break;
		case 'h': usage(stdout); exit(0);
		case 'V': {
			char extra[256];
			vid_lib_versions(extra, sizeof extra - 1);
			strcat(extra, "\n");
			kiln_print_version(stdout, extra);
			exit(0);
		}
		}
	}
}

/* What a failed extraction must remove. Removed here rather than by
 * kiln_die(), which leaves its registry strings to the sanitizer's leak
 * report on purpose (it may run from a signal handler). */
static struct { const char *tmp; shard_writer *w; kiln_outfile *raw; } g_out;

/* The --list line of the input being worked on (line 0: not from a list):
 * with hundreds of listed videos, an error must say which line to fix. */
static struct { const char *list; size_t line; } g_where;

static void die_out(const char *fmt, ...) KILN_PRINTF(1, 2);
static void die_out(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	kiln_error("%s", msg);
	if (g_out.w)
		shard_writer_abort(g_out.w);
	if (g_out.raw)
		kiln_outfile_abort(g_out.raw);
	kiln_outdir_abort(g_out.tmp);
	exit(KILN_EXIT_FAIL);
}

/* die_out for an error about the input being worked on: with its --list
 * line in front when it came from one. */
static void die_input(const char *fmt, ...) KILN_PRINTF(1, 2);
static void die_input(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (g_where.line)
		die_out("%s: line %zu: %s", g_where.list, g_where.line, msg);
	die_out("%s", msg);
}

/* ---- inputs ------------------------------------------------------------- */

/* act: label file per input or NULL; line: its --list line, 0 if not listed */
struct inputs { char **v; char **act; size_t *line; size_t n, cap; int failed; const char *list; };

static int has_video_ext(const char *p)
{
	static const char *const ext[] = { "mp4", "mkv", "webm", "mov", "avi", "m4v", "flv", "ts", "mpg",
	                                   "mpeg", "ogv", "wmv", "y4m", "nut", NULL };
	const char *dot = strrchr(p, '.');
	if (!dot || strchr(dot, '/'))
		return 0;
	for (int i = 0; ext[i]; i++)
		if (!strcasecmp(dot + 1, ext[i]))
			return 1;
	return 0;
}

struct walk_ctx { struct inputs *in; const char *top; int top_is_dir; };

static int collect(const char *path, int kind, int info, void *ud)
{
	struct walk_ctx *w = ud;
	if (kind == KILN_WALK_SKIPPED) return 0;   /* the walker warned */
	if (kind == KILN_WALK_ERROR) {
		kiln_file_error(path, "%s", strerror(info));
		w->in->failed = 1;
		return 1;
	}
	/* Inside folders only video files count (label files live beside them);
	 * a file named on the command line is always taken. */
	if (w->top_is_dir && !has_video_ext(path))
		return 0;
	if (w->in->n == w->in->cap) {
		w->in->cap = w->in->cap ? w->in->cap * 2 : 16;
		w->in->v = kiln_xrealloc(w->in->v, w->in->cap * sizeof *w->in->v);
		w->in->act = kiln_xrealloc(w->in->act, w->in->cap * sizeof *w->in->act);
		w->in->line = kiln_xrealloc(w->in->line, w->in->cap * sizeof *w->in->line);
	}
	w->in->act[w->in->n] = NULL;
	w->in->line[w->in->n] = 0;
	if (w->in->n >= MAX_INPUTS)
		kiln_die(KILN_EXIT_FAIL, "more than %d input videos", MAX_INPUTS);
	w->in->v[w->in->n++] = kiln_xstrdup(path);
	return 0;
}

/* --list FILE: one input a line, "VIDEO" or "VIDEO<TAB>LABELS"; '#' lines
 * and blank lines skipped. */
static void gather_list(const char *list, struct inputs *in)
{
	size_t len;
	uint8_t *data = kiln_read_file(list, 64u << 20, &len);
	if (!data)
		die_out("%s: %s", list, errno == EFBIG ? "list too large (over 64 MiB)" : strerror(errno));
	char *buf = kiln_xmalloc(len + 1);   /* terminated copy: lines become strings in place */
	memcpy(buf, data, len);
	buf[len] = 0;
	free(data);
	size_t line = 0;
	for (char *p = buf; p < buf + len;) {
		char *e = memchr(p, '\n', (size_t)(buf + len - p));
		if (!e)
			e = buf + len;
		line++;
		if (memchr(p, 0, (size_t)(e - p)))
			die_out("%s: line %zu: NUL byte", list, line);
		*e = 0;
		if (e > p && e[-1] == '\r')
			e[-1] = 0;
		if (*p && *p != '#') {
			char *tab = strchr(p, '\t');
			if (tab)
				*tab = 0;
			if (!*p)
				die_out("%s: line %zu: empty path", list, line);
			struct walk_ctx w = { in, p, 0 };
			collect(p, 0, 0, &w);
			in->line[in->n - 1] = line;
			if (tab && tab[1])
				in->act[in->n - 1] = kiln_xstrdup(tab + 1);
		}
		p = e + 1;
	}
	free(buf);
}

static void gather(char **args, int n, struct inputs *in, const char *list)
{
	memset(in, 0, sizeof *in);
	in->list = list;
	if (list)
		gather_list(list, in);
	for (int i = 0; i < n; i++) {
		struct walk_ctx w = { in, args[i], kiln_is_dir(args[i]) };
		const char *one[1] = { args[i] };
		if (kiln_walk(one, 1, collect, &w) || in->failed)
			exit(KILN_EXIT_FAIL);
	}
}

/* Errors from here on are about input k: name its --list line. */
static void at_input(const struct inputs *in, size_t k)
{
	g_where.list = in->list;
	g_where.line = in->line[k];
}

static vid_reader *open_or_die(const char *path)
{
	vid_reader *r;
	char err[600];
	/* A video is read more than once (probed, counted, hashed, decoded in
	 * pieces): a pipe would be empty the second time. */
	struct stat st;
	int found = stat(path, &st) == 0;
	if (found && S_ISDIR(st.st_mode))
		die_input("%s: is a folder; a --list line names one video file", path);
	if (found && !S_ISREG(st.st_mode))
		die_input("%s: not a regular file; kiln-video reads a video more than once, so a pipe cannot work: "
		          "save it to a file first", path);
	int rc = vid_open(path, &r, err, sizeof err);
	if (rc)
		die_input("%s", err);   /* err names the file */
	return r;
}

/* ---- info --------------------------------------------------------------- */

static int cmd_info(int argc, char **argv, struct opts *o)
{
	if (argc < 1)
		kiln_usage_error("info: no input file");
	kiln_json j;
	if (o->json)
		kiln_json_init(&j, stdout, 0);
	for (int i = 0; i < argc; i++) {
		vid_reader *r = open_or_die(argv[i]);
		const vid_info *in = vid_reader_info(r);
		uint64_t packets;
		double last;
		if (vid_count_packets(r, &packets, &last))
			kiln_die(KILN_EXIT_FAIL, "%s", vid_errmsg(r));
		double fps = in->fps_den ? (double)in->fps_num / in->fps_den : 0;
		if (o->json) {
			kiln_json_obj_begin(&j, NULL);
			kiln_json_str(&j, "file", argv[i]);
			kiln_json_str(&j, "format", in->format);
			kiln_json_i64(&j, "streams", in->nb_streams);
			kiln_json_i64(&j, "video_stream", in->stream_index);
			kiln_json_str(&j, "codec", in->codec);
			kiln_json_str(&j, "pix_fmt", in->pix_fmt);
			kiln_json_u64(&j, "width", in->width);
			kiln_json_u64(&j, "height", in->height);
			char rate[64];
			snprintf(rate, sizeof rate, "%" PRId64 "/%" PRId64, in->fps_num, in->fps_den);
			kiln_json_str(&j, "fps_rational", rate);
			kiln_json_double(&j, "fps", fps);
			kiln_json_double(&j, "duration", in->duration >= 0 ? in->duration : NAN);
			kiln_json_double(&j, "start_time", in->start_time);
			kiln_json_u64(&j, "frames", packets);
			kiln_json_i64(&j, "container_frames", in->nb_frames);
			kiln_json_i64(&j, "bit_rate", in->bit_rate);
			kiln_json_obj_end(&j);
			kiln_json_end_line(&j);
		} else {
			kiln_fput_esc(stdout, argv[i]);
			putchar('\n');
			printf("  format:    %s (%d stream%s, video stream %d)\n", in->format, in->nb_streams,
			       in->nb_streams == 1 ? "" : "s", in->stream_index);
			printf("  codec:     %s, %s, %ux%u\n", in->codec, in->pix_fmt, in->width, in->height);
			printf("  fps:       %.6g (%" PRId64 "/%" PRId64 ")\n", fps, in->fps_num, in->fps_den);
			if (in->duration >= 0)
				printf("  duration:  %.3f s\n", in->duration);
			else
				printf("  duration:  unknown\n");
			printf("  frames:    %" PRIu64 " (video packets)\n", packets);
			if (in->start_time != 0)
				printf("  start:     %.6f s\n", in->start_time);
		}
		vid_close(r);
	}
	return 0;
}

/* ---- extract ------------------------------------------------------------ */

struct episode { uint64_t frames; };

struct ex {
	struct opts *o;
	shard_writer *w;
	kiln_outfile raw;
	int have_raw;
	vid_labels *labels;          /* of the current video, or NULL */
	uint8_t *chw;                /* CHW staging buffer */
	size_t fb;
	uint64_t group, ep_start, ep_frames, frames_total;
	uint64_t *ep_len;            /* frames per episode (record) */
	size_t n_ep, cap_ep;
	kiln_progress *prog;
	const char *path;
	int err;
	shard_error se;
};

static void end_episode(struct ex *x)
{
	if (x->ep_frames == 0)
		return;
	if (shard_writer_end_episode(x->w, x->group, x->ep_start, &x->se))
		die_out("%s", x->se.msg);
	if (x->n_ep == x->cap_ep) {
		x->cap_ep = x->cap_ep ? x->cap_ep * 2 : 64;
		x->ep_len = kiln_xrealloc(x->ep_len, x->cap_ep * sizeof *x->ep_len);
	}
	x->ep_len[x->n_ep++] = x->ep_frames;
	x->ep_start += x->ep_frames;
	x->ep_frames = 0;
}

static int on_frame(void *ud, const uint8_t *rgb, uint64_t index, double t)
{
	struct ex *x = ud;
	uint32_t action = x->labels ? vid_labels_at(x->labels, t) : 0;
	const uint8_t *px = rgb;
	if (x->o->chw) {
		/* HWC -> CHW: plane c holds channel c of every pixel */
		size_t n = (size_t)x->o->width * x->o->height;
		for (size_t i = 0; i < n; i++) {
			x->chw[i] = rgb[3 * i];
			x->chw[n + i] = rgb[3 * i + 1];
			x->chw[2 * n + i] = rgb[3 * i + 2];
		}
		px = x->chw;
	}
	if (shard_writer_frame(x->w, px, action, &x->se)) {
		x->err = 1;
		return 1;
	}
	if (x->have_raw && fwrite(rgb, 1, x->fb, x->raw.fp) != x->fb)
		die_out("%s: write failed: %s", x->o->raw, strerror(errno));
	x->ep_frames++;
	x->frames_total++;
	if (x->o->episode && x->ep_frames == x->o->episode)
		end_episode(x);
	kiln_progress_update(x->prog, x->frames_total);
	(void)index;
	return 0;
}

/* A JSON string for meta_json, built with kiln_json into memory. */
static char *build_meta(struct opts *o, struct inputs *in, const vid_info *infos, const uint8_t (*hash)[32],
                        vid_labels **labels, uint32_t vocab, size_t lo, size_t hi)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	if (!fp)
		die_out("out of memory");
	kiln_json j;
	kiln_json_init(&j, fp, 0);
	kiln_json_obj_begin(&j, NULL);
	kiln_json_str(&j, "tool", "kiln-video " KILN_VERSION);
	char libs[256];
	vid_lib_versions(libs, sizeof libs);
	kiln_json_str(&j, "libraries", libs);
	char rate[64];
	snprintf(rate, sizeof rate, "%" PRId64 "/%" PRId64, o->fps_num, o->fps_den);
	kiln_json_str(&j, "fps", rate);
	kiln_json_str(&j, "selection", "ffmpeg fps filter: round=near, start at the first frame's timestamp, "
	                               "eof_action=round; timestamps shifted so the container starts at 0 (as the ffmpeg CLI)");
	kiln_json_str(&j, "scaler", vid_scaler_name(o->scaler));
	kiln_json_str(&j, "fit", vid_fit_name(o->fit));
	char eq[256];
	snprintf(eq, sizeof eq, "ffmpeg -i IN -an -vf fps=%s,scale=%u:%u:flags=%s -pix_fmt rgb24 -f rawvideo -",
	         rate, o->width, o->height, o->scaler == VID_SCALE_NEIGHBOR ? "neighbor" : vid_scaler_name(o->scaler));
	kiln_json_str(&j, "equivalent", o->fit == VID_FIT_STRETCH ? eq : NULL);
	kiln_json_u64(&j, "width", o->width);
	kiln_json_u64(&j, "height", o->height);
	kiln_json_u64(&j, "channels", 3);
	kiln_json_str(&j, "pixel_format", "rgb24");
	kiln_json_str(&j, "layout", o->chw ? "chw" : "hwc");
	kiln_json_str(&j, "dtype", "uint8");
	kiln_json_str(&j, "normalisation", "stored as uint8 0..255; a VAE expects x/127.5 - 1 in [-1, 1]");
	kiln_json_u64(&j, "episode_frames", o->episode);
	kiln_json_obj_begin(&j, "windows");
	kiln_json_u64(&j, "T", o->window);
	kiln_json_u64(&j, "stride", o->wstride);
	kiln_json_str(&j, "file", o->window ? "windows.bin" : NULL);
	kiln_json_str(&j, "entry", "u32 record, u32 first frame within the record (little-endian, 8 bytes)");
	kiln_json_obj_end(&j);
	kiln_json_obj_begin(&j, "actions");
	kiln_json_u64(&j, "vocab_size", vocab);
	kiln_json_str(&j, "rule", "the last label at or before the source frame's time; 0 before the first label");
	kiln_json_obj_begin(&j, "names");
	for (uint32_t id = 0; id < vocab; id++) {
		const char *name = NULL;
		for (size_t k = 0; k < in->n && !name; k++)
			if (labels[k])
				name = vid_labels_name(labels[k], id);
		if (name) {
			char key[16];
			snprintf(key, sizeof key, "%u", id);
			kiln_json_str(&j, key, name);
		}
	}
	kiln_json_obj_end(&j);
	kiln_json_obj_end(&j);
	kiln_json_arr_begin(&j, "sources");
	for (size_t k = lo; k < hi; k++) {
		const vid_info *vi = &infos[k];
		char hex[65];
		kiln_hex(hash[k], 32, hex);
		kiln_json_obj_begin(&j, NULL);
		kiln_json_str(&j, "path", in->v[k]);
		kiln_json_str(&j, "sha256", hex);
		char g[32];
		uint64_t group = 0;
		for (int b = 0; b < 8; b++)
			group |= (uint64_t)hash[k][b] << (8 * b);
		snprintf(g, sizeof g, "%" PRIu64, group);
		kiln_json_str(&j, "group", g);
		kiln_json_str(&j, "format", vi->format);
		kiln_json_str(&j, "codec", vi->codec);
		kiln_json_str(&j, "pix_fmt", vi->pix_fmt);
		kiln_json_u64(&j, "width", vi->width);
		kiln_json_u64(&j, "height", vi->height);
		snprintf(rate, sizeof rate, "%" PRId64 "/%" PRId64, vi->fps_num, vi->fps_den);
		kiln_json_str(&j, "fps", rate);
		kiln_json_double(&j, "duration", vi->duration >= 0 ? vi->duration : NAN);
		kiln_json_str(&j, "actions", in->act[k]);
		kiln_json_obj_end(&j);
	}
	kiln_json_arr_end(&j);
	kiln_json_obj_end(&j);
	fclose(fp);
	return buf;
}

static void hash_file(const char *path, uint8_t out[32])
{
	FILE *fp = fopen(path, "rb");
	if (!fp)
		die_input("%s: %s", path, strerror(errno));
	kiln_sha256_ctx *c = kiln_sha256_new();
	static uint8_t buf[1 << 16];
	size_t n;
	while ((n = fread(buf, 1, sizeof buf, fp)) > 0)
		kiln_sha256_update(c, buf, n);
	int bad = ferror(fp);
	fclose(fp);
	if (bad)
		die_input("%s: read error", path);
	kiln_sha256_final(c, out);
}

static int cmd_extract(int argc, char **argv, struct opts *o)
{
	if (argc < 1 && !o->list)
		kiln_usage_error("extract: no input video");
	if (!o->output)
		kiln_usage_error("extract: -o DATASET is required");
	if (o->json && o->raw && !strcmp(o->raw, "-"))
		kiln_usage_error("extract: --json and --rawvideo - would share standard output");
	struct inputs in;
	gather(argv, argc, &in, o->list);
	if (in.n == 0)
		die_out("no video files found in the inputs");
	if (o->nactions && o->nactions != in.n)
		kiln_usage_error("extract: %zu --actions files for %zu input videos (give one per video, in order)",
		                 o->nactions, in.n);
	for (size_t k = 0; k < o->nactions; k++) {
		if (in.act[k])
			kiln_usage_error("extract: %s: line %zu: %s has labels both in --list and from --actions",
			                 in.list, in.line[k], in.v[k]);
		in.act[k] = kiln_xstrdup(o->actions[k]);
	}

	/* --rawvideo FILE: an existing regular file only with --force, and
	 * never one of the inputs (it was replaced by raw frames). */
	struct stat rst;
	if (o->raw && kiln_output_exists(o->raw) && stat(o->raw, &rst) == 0 && S_ISREG(rst.st_mode)) {
		if (!o->force)
			die_out("%s: exists (use --force to replace it)", o->raw);
		for (size_t k = 0; k < in.n; k++) {
			struct stat ist;
			if (stat(in.v[k], &ist) == 0 && ist.st_dev == rst.st_dev && ist.st_ino == rst.st_ino)
				die_out("%s: --rawvideo names an input video", o->raw);
		}
	}

	/* Everything that can fail cheaply fails before any output exists:
	 * label files, then every input's container. */
	vid_labels **labels = kiln_xcalloc(in.n, sizeof *labels);
	uint32_t vocab = 0;
	for (size_t k = 0; k < in.n; k++) {
		if (!in.act[k])
			continue;
		at_input(&in, k);
		size_t len;
		uint8_t *data = kiln_read_file(in.act[k], MAX_LABEL_FILE, &len);
		if (!data)
			die_input("%s: %s", in.act[k],
			          errno == EFBIG ? "label file too large (over 256 MiB)" : strerror(errno));
		char err[600];
		if (vid_labels_parse((const char *)data, len, in.act[k], &labels[k], err, sizeof err))
			die_input("%s", err);
		free(data);
		if (vid_labels_vocab(labels[k]) > vocab)
			vocab = vid_labels_vocab(labels[k]);
		/* One id, one meaning across the dataset, as within one file. */
		for (size_t m = 0; m < k; m++) {
			if (!labels[m])
				continue;
			for (uint32_t id = 0; id < vid_labels_vocab(labels[k]); id++) {
				const char *a = vid_labels_name(labels[m], id), *b = vid_labels_name(labels[k], id);
				if (a && b && strcmp(a, b))
					die_input("%s: action %u named \"%s\", but \"%s\" in %s", in.act[k], id, b, a, in.act[m]);
			}
		}
	}
	g_where.line = 0;
	vid_info *infos = kiln_xcalloc(in.n, sizeof *infos);
	uint8_t (*hash)[32] = kiln_xcalloc(in.n, 32);
	/* --part: this worker takes a contiguous block of the inputs; labels
	 * (and so the action vocabulary) were read for all of them above. */
	uint64_t lo = 0, hi = in.n;
	kiln_part_range(in.n, o->part, o->nparts, &lo, &hi);
	/* A few inputs stay open from this check to their extraction (probing
	 * a container costs tens of milliseconds); many are reopened later. */
	vid_reader **keep = kiln_xcalloc(in.n, sizeof *keep);
	for (size_t k = (size_t)lo; k < (size_t)hi; k++) {
		at_input(&in, k);
		vid_reader *r = open_or_die(in.v[k]);
		infos[k] = *vid_reader_info(r);
		if (k - lo < 16)
			keep[k] = r;
		else
			vid_close(r);
		hash_file(in.v[k], hash[k]);
	}
	g_where.line = 0;
	char *meta = build_meta(o, &in, infos, (const uint8_t (*)[32])hash, labels, vocab, (size_t)lo, (size_t)hi);

	shard_spec spec;
	shard_spec_init(&spec, SHARD_FRAMES);
	spec.elem_size = 1;
	spec.vocab_size = vocab;
	spec.flags = o->chw ? SHARD_FLAG_CHW : 0;
	spec.width = o->width;
	spec.height = o->height;
	spec.channels = 3;
	/* Fingerprint: every setting that changes the frames and the label map,
	 * not which videos they came from (those are in the metadata), so
	 * datasets extracted alike, by --part workers or on different days,
	 * can be merged, and different settings cannot. */
	char *settings = build_meta(o, &in, infos, (const uint8_t (*)[32])hash, labels, vocab, 0, 0);
	kiln_sha256(settings, strlen(settings), spec.fingerprint);
	free(settings);

	kiln_refuse_output_over_inputs(o->output, o->force, in.v, in.n);
	const char *tmp = kiln_outdir_begin(o->output, o->force);
	if (!tmp)
		die_out("%s: %s", o->output, strerror(errno));
	g_out.tmp = tmp;
	struct ex x = { .o = o };
	x.fb = (size_t)o->width * o->height * 3;
	if (o->chw)
		x.chw = kiln_xmalloc(x.fb);
	shard_writer_opts wo = { .max_shard_bytes = o->max_shard, .meta_json = meta };
	if (shard_writer_create(tmp, &spec, &wo, &x.w, &x.se))
		die_out("%s", x.se.msg);
	g_out.w = x.w;
	if (o->raw) {
		if (kiln_outfile_open(&x.raw, o->raw))
			die_out("%s: %s", o->raw, strerror(errno));
		x.have_raw = 1;
		g_out.raw = &x.raw;
	}

	uint64_t est = 0;
	for (size_t k = (size_t)lo; k < (size_t)hi; k++)
		if (infos[k].duration > 0)
			est += (uint64_t)(infos[k].duration * o->fps_num / o->fps_den);
	x.prog = kiln_progress_start("extract", est, "frames");
	vid_opts vo = { .fps_num = o->fps_num, .fps_den = o->fps_den, .width = o->width, .height = o->height,
	                .scaler = o->scaler, .fit = o->fit, .threads = o->threads };
	vid_stats total = { 0 };
	for (size_t k = (size_t)lo; k < (size_t)hi; k++) {
		at_input(&in, k);
		vid_reader *r = keep[k] ? keep[k] : open_or_die(in.v[k]);
		keep[k] = NULL;
		x.labels = labels[k];
		x.path = in.v[k];
		x.group = 0;
		for (int b = 0; b < 8; b++)
			x.group |= (uint64_t)hash[k][b] << (8 * b);
		x.ep_start = 0;
		x.ep_frames = 0;
		vid_stats st;
		int rc = vid_extract(r, &vo, on_frame, &x, &st);
		if (rc) {
			kiln_progress_end(x.prog);
			if (x.err)
				die_out("%s", x.se.msg);
			die_input("%s", vid_errmsg(r));
		}
		end_episode(&x);
		total.packets += st.packets;
		total.decoded += st.decoded;
		total.skipped += st.skipped;
		total.selected += st.selected;
		total.output += st.output;
		total.chunks += st.chunks;
		total.parallel |= st.parallel;
		vid_close(r);
	}
	g_where.line = 0;
	kiln_progress_end(x.prog);
	uint64_t records = shard_writer_records(x.w);
	g_out.w = NULL;   /* close frees the writer, also on error */
	if (shard_writer_close(x.w, &x.se))
		die_out("%s", x.se.msg);

	/* Window index: every T-frame window inside one record, O(1) to sample. */
	uint64_t nwin = 0;
	if (o->window) {
		char *wp;
		if (asprintf(&wp, "%s/windows.bin", tmp) < 0)
			die_out("out of memory");
		FILE *fp = fopen(wp, "wb");
		if (!fp)
			die_out("%s: %s", wp, strerror(errno));
		for (size_t e = 0; e < x.n_ep; e++) {
			uint64_t cnt = vid_windows_in(x.ep_len[e], o->window, o->wstride);
			for (uint64_t i = 0; i < cnt; i++) {
				uint32_t f = (uint32_t)(i * o->wstride);
				uint8_t b[8];
				for (int k = 0; k < 4; k++) {
					b[k] = (uint8_t)(e >> (8 * k));
					b[4 + k] = (uint8_t)(f >> (8 * k));
				}
				fwrite(b, 1, 8, fp);
			}
			nwin += cnt;
		}
		if (fflush(fp) || ferror(fp) || fclose(fp))
			die_out("%s: write failed", wp);
		free(wp);
	}
	if (kiln_outdir_commit(tmp, o->output, o->force))
		die_out("%s: %s", o->output, strerror(errno));
	g_out.tmp = NULL;
	if (x.have_raw && kiln_outfile_commit(&x.raw)) {
		g_out.raw = NULL;
		die_out("%s: %s", o->raw, strerror(errno));
	}
	g_out.raw = NULL;

	if (o->json) {
		kiln_json j;
		kiln_json_init(&j, stdout, 0);
		kiln_json_obj_begin(&j, NULL);
		kiln_json_str(&j, "output", o->output);
		kiln_json_u64(&j, "videos", hi - lo);
		kiln_json_u64(&j, "episodes", records);
		kiln_json_u64(&j, "frames", x.frames_total);
		kiln_json_u64(&j, "windows", nwin);
		kiln_json_u64(&j, "packets", total.packets);
		kiln_json_u64(&j, "decoded", total.decoded);
		kiln_json_u64(&j, "skipped", total.skipped);
		kiln_json_u64(&j, "selected", total.selected);
		kiln_json_bool(&j, "parallel", total.parallel);
		kiln_json_u64(&j, "pieces", (uint64_t)total.chunks);
		kiln_json_u64(&j, "action_vocab", vocab);
		kiln_json_obj_end(&j);
		kiln_json_end_line(&j);
	} else if (!kiln_quiet() && !(o->raw && !strcmp(o->raw, "-"))) {
		kiln_fput_esc(stdout, o->output);
		printf(": %zu video%s, %" PRIu64 " episode%s, %" PRIu64 " frames %ux%u at %s fps",
		       (size_t)(hi - lo), hi - lo == 1 ? "" : "s", records, records == 1 ? "" : "s",
		       x.frames_total, o->width, o->height, o->fps_str);
		if (o->window)
			printf(", %" PRIu64 " windows of %" PRIu64, nwin, o->window);
		printf("\n");
	}
	for (size_t k = 0; k < in.n; k++) {
		vid_labels_free(labels[k]);
		free(in.v[k]);
		free(in.act[k]);
	}
	free(labels);
	free(in.v);
	free(in.act);
	free(in.line);
	free(infos);
	free(keep);
	free(hash);
	free(meta);
	free(x.chw);
	free(x.ep_len);
	return 0;
}

/* ---- contact ------------------------------------------------------------ */

/* Die with the library's message (it names the file) and its offset. */
static KILN_NORETURN void die_shard(const shard_error *e)
{
	char b[600];
	kiln_die(KILN_EXIT_FAIL, "%s", shard_error_text(e, b, sizeof b));
}

static int cmd_contact(int argc, char **argv, struct opts *o)
{
	if (argc != 1)
		kiln_usage_error("contact: expected one DATASET");
	if (!o->output)
		kiln_usage_error("contact: -o SHEET.png is required");
	if (!o->force && kiln_output_exists(o->output))
		kiln_die(KILN_EXIT_FAIL, "%s: exists (use --force to replace it)", o->output);
	kiln_refuse_file_over_inputs(o->output, o->force, argv, 1);
	shard_dataset *d;
	shard_error e;
	if (shard_dataset_open(argv[0], &d, &e))
		die_shard(&e);
	const shard_spec *sp = shard_dataset_spec(d);
	if (sp->kind != SHARD_FRAMES || sp->channels != 3)
		kiln_die(KILN_EXIT_FAIL, "%s: not an RGB frames dataset (kind %s)", argv[0], shard_kind_name(sp->kind));
	uint64_t nrec = shard_dataset_records(d), total = 0;
	uint64_t *cum = kiln_xcalloc(nrec + 1, sizeof *cum);
	for (uint64_t i = 0; i < nrec; i++) {
		shard_record rec;
		if (shard_dataset_record(d, i, &rec, &e))
			die_shard(&e);
		total += rec.n_content;
		cum[i + 1] = total;
	}
	if (total == 0)
		kiln_die(KILN_EXIT_FAIL, "%s: no frames", argv[0]);
	uint64_t n = o->frames < total ? o->frames : total;
	uint64_t cols = o->columns < n ? o->columns : n, rows = (n + cols - 1) / cols;
	const uint32_t gap = 2, W = sp->width, H = sp->height;
	uint64_t sw = cols * W + (cols + 1) * gap, sh = rows * H + (rows + 1) * gap;
	if (sw > VID_MAX_DIM || sh > VID_MAX_DIM)
		kiln_die(KILN_EXIT_FAIL, "%s: sheet of %" PRIu64 "x%" PRIu64 " is too large; use fewer --frames or --columns",
		         argv[0], sw, sh);
	uint8_t *sheet = kiln_xmalloc(sw * sh * 3);
	memset(sheet, 32, sw * sh * 3);   /* dark grey between frames */
	uint64_t checked = UINT64_MAX;   /* samples go forward: each episode is checked once */
	for (uint64_t k = 0; k < n; k++) {
		uint64_t g = n == 1 ? 0 : k * (total - 1) / (n - 1);   /* evenly spaced, first and last included */
		uint64_t lo = 0, hi = nrec;
		while (hi - lo > 1) {
			uint64_t mid = (lo + hi) / 2;
			if (cum[mid] <= g) lo = mid; else hi = mid;
		}
		shard_record rec;
		if (shard_dataset_record(d, lo, &rec, &e))
			die_shard(&e);
		/* a damaged episode would give a sheet that looks plausible */
		if (lo != checked && shard_dataset_verify_record(d, lo, &e))
			die_shard(&e);
		checked = lo;
		const uint8_t *f = (const uint8_t *)rec.content + (g - cum[lo]) * (uint64_t)W * H * 3;
		uint64_t x0 = gap + (k % cols) * (W + gap), y0 = gap + (k / cols) * (H + gap);
		for (uint32_t y = 0; y < H; y++)
			for (uint32_t x = 0; x < W; x++)
				for (int c = 0; c < 3; c++) {
					size_t src = sp->flags & SHARD_FLAG_CHW ? (size_t)c * W * H + (size_t)y * W + x
					                                         : ((size_t)y * W + x) * 3 + c;
					sheet[((y0 + y) * sw + x0 + x) * 3 + c] = f[src];
				}
	}
	uint8_t *png;
	size_t len;
	int rc = vid_png_encode(sheet, (uint32_t)sw, (uint32_t)sh, sw * 3, &png, &len);
	if (rc)
		kiln_die(KILN_EXIT_FAIL, "%s: PNG encoding failed: %s", o->output, vid_strerror(rc));
	kiln_outfile of;
	if (kiln_outfile_open(&of, o->output))
		kiln_die(KILN_EXIT_FAIL, "%s: %s", o->output, strerror(errno));
	if (fwrite(png, 1, len, of.fp) != len) {
		kiln_outfile_abort(&of);
		kiln_die(KILN_EXIT_FAIL, "%s: write failed", o->output);
	}
	if (kiln_outfile_commit(&of))
		kiln_die(KILN_EXIT_FAIL, "%s: %s", o->output, strerror(errno));
	if (o->json) {
		kiln_json j;
		kiln_json_init(&j, stdout, 0);
		kiln_json_obj_begin(&j, NULL);
		kiln_json_str(&j, "output", o->output);
		kiln_json_u64(&j, "frames", n);
		kiln_json_u64(&j, "width", sw);
		kiln_json_u64(&j, "height", sh);
		kiln_json_obj_end(&j);
		kiln_json_end_line(&j);
	} else if (!kiln_quiet() && strcmp(o->output, "-")) {
		kiln_fput_esc(stdout, o->output);
		printf(": %" PRIu64 " of %" PRIu64 " frames, %" PRIu64 "x%" PRIu64 "\n", n, total, sw, sh);
	}
	vid_free(png);
	free(sheet);
	free(cum);
	shard_dataset_close(d);
	return 0;
}

int main(int argc, char **argv)
{
	kiln_tool_start("kiln-video");
	vid_quiet_libav();   /* messages are ours to give, not libav's */
	struct opts o;
	parse_opts(argc, argv, &o);
	if (optind >= argc)
		kiln_usage_error("no command (info, extract or contact)");
	const char *cmd = argv[optind];
	int rest = argc - optind - 1;
	char **args = argv + optind + 1;
	int rc;
	if (!strcmp(cmd, "info"))
		rc = cmd_info(rest, args, &o);
	else if (!strcmp(cmd, "extract"))
		rc = cmd_extract(rest, args, &o);
	else if (!strcmp(cmd, "contact"))
		rc = cmd_contact(rest, args, &o);
	else
		kiln_usage_error("unknown command '%s' (info, extract or contact)", cmd);
	free(o.actions);
	return rc;
}
