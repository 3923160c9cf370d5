/*
 * kiln_msg.c - messages on stderr, fatal exits, die-on-OOM allocation and the
 * shared --version text. Tool-side only: libraries return codes instead.
 */
#include "kiln.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *progname = "kiln";

void kiln_set_progname(const char *name)
{
	const char *slash = name ? strrchr(name, '/') : NULL;
	progname = slash ? slash + 1 : (name ? name : "kiln");
}


/* What standard output still buffers is flushed at exit, where a failure can
 * no longer change the status: a report or a --help lost to a full disk or
 * a closed descriptor would end as success. So, as coreutils does, flush it
 * here and fail the process if that or any earlier write to it failed. */
static void close_stdout(void)
{
	if (!kiln_flush_failed(stdout)) return;
	fprintf(stderr, "%s: standard output: %s\n", progname, strerror(errno));
	_exit(KILN_EXIT_FAIL);
}

void kiln_tool_start(const char *name)
{
	kiln_set_progname(name);
	atexit(close_stdout);
}

/* A message quotes file names, archive members, options and text read from
 * files, any of which may hold control bytes: a newline would forge a second
 * message, an ESC a terminal escape. So each line is formatted whole and
 * written with such bytes escaped C-style: \n \r \t, other controls, DEL,
 * C1 controls (U+0080..U+009F) and bytes that are not UTF-8 as \xNN, and a
 * backslash as \\, so an escaped line reads back to one text only. The
 * message formats themselves hold no control bytes. */
typedef struct esc_out {
	FILE *fp;
	size_t n;
	char b[1024];
} esc_out;

static void esc_put(esc_out *o, const char *p, size_t n)
{
	if (o->n + n > sizeof o->b) { fwrite(o->b, 1, o->n, o->fp); o->n = 0; }
	memcpy(o->b + o->n, p, n);   /* n is at most 4 here: it fits now */
	o->n += n;
}

static void esc_text(esc_out *o, const char *str, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;
	for (size_t i = 0; i < n;) {
		unsigned c = s[i];
		if (c >= 0x20 && c < 0x7f && c != '\\') { esc_put(o, (const char *)s + i++, 1); continue; }
		size_t len = 1;
		uint32_t cp = 0;
		if (c >= 0x80 && (len = kiln_utf8_len(s + i, n - i, &cp)) != 0 && cp >= 0xa0) {
			esc_put(o, (const char *)s + i, len);
			i += len;
			continue;
		}
		if (!len) len = 1;   /* not UTF-8: escape this byte, go on with the next */
		for (size_t k = 0; k < len; k++, i++) {
			c = s[i];
			char e[4] = { '\\', 0, 0, 0 };
			size_t en = 2;
			switch (c) {
			case '\\': e[1] = '\\'; break;
			case '\n': e[1] = 'n'; break;
			case '\r': e[1] = 'r'; break;
			case '\t': e[1] = 't'; break;
			default: e[1] = 'x'; e[2] = hex[c >> 4]; e[3] = hex[c & 15]; en = 4;
			}
			esc_put(o, e, en);
		}
	}
}

static void esc_str(esc_out *o, const char *s) { esc_text(o, s, strlen(s)); }

void kiln_fput_esc(FILE *fp, const char *s)
{
	esc_out o = { .fp = fp };
	esc_str(&o, s);
	fwrite(o.b, 1, o.n, fp);
}

/* "PREFIX: [FILE: ][KIND]MESSAGE\n" in one write where it fits (stderr is
 * unbuffered), escaped as above; prefix is the tool's name (and command). */
static void vline(const char *prefix, const char *cmd, const char *file, const char *kind, const char *fmt,
                  va_list ap)
{
	char local[512], *msg = local;
	va_list aq;
	va_copy(aq, ap);
	int len = vsnprintf(local, sizeof local, fmt, aq);
	va_end(aq);
	if (len < 0) len = 0;
	if ((size_t)len >= sizeof local) {
		char *big = malloc((size_t)len + 1);   /* not kiln_xmalloc: its failure lands here */
		if (big) vsnprintf(msg = big, (size_t)len + 1, fmt, ap);
		else len = sizeof local - 1;           /* truncated beats nothing */
	}
	esc_out o = { .fp = stderr };
	esc_str(&o, prefix);
	if (cmd) { esc_put(&o, " ", 1); esc_str(&o, cmd); }
	esc_put(&o, ": ", 2);
	if (file) { esc_str(&o, file); esc_put(&o, ": ", 2); }
	if (kind) esc_str(&o, kind);
	esc_text(&o, msg, (size_t)len);
	esc_put(&o, "\n", 1);
	fwrite(o.b, 1, o.n, stderr);
	if (msg != local) free(msg);
}

static void vmsg(const char *file, const char *kind, const char *fmt, va_list ap)
{
	vline(progname, NULL, file, kind, fmt, ap);
}

void kiln_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg(NULL, NULL, fmt, ap);
	va_end(ap);
}

void kiln_warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg(NULL, "warning: ", fmt, ap);
	va_end(ap);
}

/* Summaries and notes quote output paths and names read from input too, so
 * they are one escaped line like an error. */
void kiln_note(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg(NULL, NULL, fmt, ap);
	va_end(ap);
}

void kiln_file_error(const char *file, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg(file, NULL, fmt, ap);
	va_end(ap);
}

void kiln_die(int status, const char *fmt, ...)
{
	if (fmt) {
		va_list ap;
		va_start(ap, fmt);
		vmsg(NULL, NULL, fmt, ap);
		va_end(ap);
	}
	kiln_cleanup_run();
	exit(status);
}

/* Every usage error: "kiln-x[ CMD]: message", then the try line and exit 2. */
static void usage_line(const char *cmd, const char *fmt, va_list ap)
{
	vline(progname, cmd, NULL, NULL, fmt, ap);
}

static KILN_NORETURN void usage_end(void)
{
	fprintf(stderr, "%s: try '%s --help'\n", progname, progname);
	kiln_cleanup_run();
	exit(KILN_EXIT_USAGE);
}

void kiln_usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	usage_line(NULL, fmt, ap);
	va_end(ap);
	usage_end();
}

void kiln_option_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	usage_line(cmd, fmt, ap);
	va_end(ap);
	usage_end();
}

static void oom(size_t n)
{
	kiln_die(KILN_EXIT_FAIL, "out of memory (allocating %zu bytes)", n);
}

void *kiln_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p) oom(n);
	return p;
}

void *kiln_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p) oom(n * size);
	return p;
}

void *kiln_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q) oom(n);
	return q;
}

char *kiln_xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = kiln_xmalloc(n);
	memcpy(p, s, n);
	return p;
}

int kiln_run_command(int argc, char **argv, const kiln_command *cmds, size_t n, void (*usage)(FILE *out))
{
	if (argc < 2) kiln_usage_error("no command given");
	const char *cmd = argv[1];
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h")) { usage(stdout); return 0; }
	if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V")) { kiln_print_version(stdout, NULL); return 0; }
	for (size_t i = 0; i < n; i++)
		if (!strcmp(cmd, cmds[i].name)) return cmds[i].fn(argc - 1, argv + 1);
	kiln_usage_error("unknown command '%s'", cmd);
}

void kiln_print_version(FILE *out, const char *extra)
{
	/* Features are compile-time facts of this build (curl -V, zstd -vV), so a
	 * user can tell a typo from a feature that was not built. */
	fprintf(out, "%s %s\n", progname, KILN_VERSION);
	fprintf(out, "shard format: %d.%d\n", 1, 0);
	fprintf(out, "openmp: %s\n", KILN_HAVE_OPENMP ? "yes" : "no");
	fprintf(out, "cuda: %s\n", KILN_HAVE_CUDA ? "yes" : "no");
	fprintf(out, "ffmpeg: %s\n", KILN_HAVE_FFMPEG ? "yes" : "no");
	if (extra && *extra) fprintf(out, "%s%s", extra, extra[strlen(extra) - 1] == '\n' ? "" : "\n");
}
