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

const char *kiln_progname(void) { return progname; }

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

static void vmsg(const char *file, const char *kind, const char *fmt, va_list ap)
{
	/* One fprintf per part keeps the line whole in practice; stderr is unbuffered. */
	fprintf(stderr, "%s: ", progname);
	if (file) fprintf(stderr, "%s: ", file);
	if (kind) fprintf(stderr, "%s", kind);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
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
	if (cmd) fprintf(stderr, "%s %s: ", progname, cmd);
	else fprintf(stderr, "%s: ", progname);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
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
