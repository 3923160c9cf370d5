/*
 * test_main.c - runner for TEST() functions: temp folder per test, one
 * PASS/FAIL/SKIP line each, exit status 1 if anything failed.
 */
#include "test.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_TESTS 1024

static struct { const char *name; test_fn fn; } tests[MAX_TESTS];
static int ntests;
static jmp_buf test_jmp;
static char fail_msg[2048];
static int outcome;                  /* 0 pass, 1 fail, 2 skip */
static char runner[64] = "unit";
static char srcdir[PATH_MAX], bindir[PATH_MAX + 64], corpus_buf[PATH_MAX + 256];

void test__register(const char *name, test_fn fn)
{
	if (ntests < MAX_TESTS) { tests[ntests].name = name; tests[ntests].fn = fn; ntests++; }
}

void test__fail(const char *file, int line, const char *fmt, ...)
{
	int n = snprintf(fail_msg, sizeof fail_msg, "%s:%d: ", file, line);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(fail_msg + n, sizeof fail_msg - n, fmt, ap);
	va_end(ap);
	outcome = 1;
	longjmp(test_jmp, 1);
}

void test__skip(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(fail_msg, sizeof fail_msg, fmt, ap);
	va_end(ap);
	outcome = 2;
	longjmp(test_jmp, 1);
}

const char *test_srcdir(void) { return srcdir; }
const char *test_bindir(void) { return bindir; }

const char *test_corpus(const char *sub)
{
	const char *env = getenv("KILN_CORPUS");
	struct stat st;
	if (env && *env)
		snprintf(corpus_buf, sizeof corpus_buf, "%s/%s", env, sub);
	else
		snprintf(corpus_buf, sizeof corpus_buf, "%s/../shared/corpus/%s", srcdir, sub);
	return stat(corpus_buf, &st) == 0 ? corpus_buf : NULL;
}

void test_write_file(const char *path, const void *data, size_t n)
{
	FILE *f = fopen(path, "wb");
	if (!f) test__fail(__FILE__, __LINE__, "cannot create %s: %s", path, strerror(errno));
	if (n && fwrite(data, 1, n, f) != n) { fclose(f); test__fail(__FILE__, __LINE__, "short write %s", path); }
	if (fclose(f)) test__fail(__FILE__, __LINE__, "close %s", path);
}

unsigned char *test_read_file(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	if (!f) test__fail(__FILE__, __LINE__, "cannot open %s: %s", path, strerror(errno));
	size_t cap = 1 << 16, len = 0;
	unsigned char *buf = malloc(cap);
	size_t got;
	while ((got = fread(buf + len, 1, cap - len, f)) > 0) {
		len += got;
		if (len == cap) buf = realloc(buf, cap *= 2);
	}
	fclose(f);
	*n = len;
	return buf;
}

uint64_t test_rand(uint64_t *s)
{
	uint64_t x = *s ? *s : 0x9E3779B97F4A7C15ull;
	x ^= x >> 12; x ^= x << 25; x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1Dull;
}

int test_sh(const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	int st = system(cmd);
	if (st == -1) return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int rmtree(const char *p)
{
	struct stat st;
	if (lstat(p, &st)) return -1;
	if (S_ISDIR(st.st_mode)) {
		DIR *d = opendir(p);
		struct dirent *e;
		char sub[PATH_MAX];
		while (d && (e = readdir(d))) {
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
			snprintf(sub, sizeof sub, "%s/%s", p, e->d_name);
			rmtree(sub);
		}
		if (d) closedir(d);
		return rmdir(p);
	}
	return unlink(p);
}

int main(int argc, char **argv)
{
	const char *slash = strrchr(argv[0], '/');
	snprintf(runner, sizeof runner, "%s", slash ? slash + 1 : argv[0]);
	if (!getcwd(srcdir, sizeof srcdir)) return 1;
	const char *b = getenv("KILN_BIN");
	if (b && *b && b[0] == '/') snprintf(bindir, sizeof bindir, "%s", b);
	else snprintf(bindir, sizeof bindir, "%s/%s", srcdir, b && *b ? b : "build/bin");
	const char *tmproot = getenv("TMPDIR");
	if (!tmproot || !*tmproot) tmproot = "/tmp";
	int strict = getenv("STRICT") && !strcmp(getenv("STRICT"), "1");
	int failed = 0;

	for (int i = 0; i < ntests; i++) {
		if (argc > 1) {
			int want = 0;
			for (int a = 1; a < argc; a++) want |= strstr(tests[i].name, argv[a]) != NULL;
			if (!want) continue;
		}
		char dir[PATH_MAX];
		snprintf(dir, sizeof dir, "%s/kiln-%s-%s.XXXXXX", tmproot, runner, tests[i].name);
		if (!mkdtemp(dir) || chdir(dir)) { printf("FAIL: %s/%s: cannot make temp folder\n", runner, tests[i].name); failed++; continue; }
		outcome = 0;
		fail_msg[0] = 0;
		if (setjmp(test_jmp) == 0) tests[i].fn();
		if (chdir(srcdir)) return 1;
		if (outcome == 2 && strict) outcome = 1;
		if (outcome == 0) { printf("PASS: %s/%s\n", runner, tests[i].name); rmtree(dir); }
		else if (outcome == 2) { printf("SKIP: %s/%s: %s\n", runner, tests[i].name, fail_msg); rmtree(dir); }
		else { printf("FAIL: %s/%s: %s (kept %s)\n", runner, tests[i].name, fail_msg, dir); failed++; }
		fflush(stdout);
	}
	return failed ? 1 : 0;
}
