/*
 * common_test.c - the shared tool helpers: strict parsing, JSON escaping,
 * atomic output, deterministic walking, SHA-256 against a known vector.
 */
#define _GNU_SOURCE   /* renameat2, RENAME_EXCHANGE */
#include "test.h"
#include "kiln.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pty.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

TEST(parse_u64_strict)
{
	uint64_t v;
	CHECK(kiln_parse_u64("0", 0, 10, &v) == 0 && v == 0);
	CHECK(kiln_parse_u64("18446744073709551615", 0, UINT64_MAX, &v) == 0 && v == UINT64_MAX);
	CHECK(kiln_parse_u64("18446744073709551616", 0, UINT64_MAX, &v) == -1);
	CHECK(kiln_parse_u64("-1", 0, UINT64_MAX, &v) == -1);   /* strtoull would wrap */
	CHECK(kiln_parse_u64(" 1", 0, 10, &v) == -1);
	CHECK(kiln_parse_u64("+1", 0, 10, &v) == -1);
	CHECK(kiln_parse_u64("1x", 0, 10, &v) == -1);
	CHECK(kiln_parse_u64("", 0, 10, &v) == -1);
	CHECK(kiln_parse_u64(NULL, 0, 10, &v) == -1);
	CHECK(kiln_parse_u64("11", 0, 10, &v) == -1);
	CHECK(kiln_parse_u64("4", 5, 10, &v) == -1);
	int64_t i;
	CHECK(kiln_parse_i64("-5", -10, 10, &i) == 0 && i == -5);
	CHECK(kiln_parse_i64("-11", -10, 10, &i) == -1);
	CHECK(kiln_parse_i64("--1", -10, 10, &i) == -1);
}

TEST(parse_size_suffixes)
{
	uint64_t v;
	CHECK(kiln_parse_size("512", 0, UINT64_MAX, &v) == 0 && v == 512);
	CHECK(kiln_parse_size("64K", 0, UINT64_MAX, &v) == 0 && v == 65536);
	CHECK(kiln_parse_size("64k", 0, UINT64_MAX, &v) == 0 && v == 65536);
	CHECK(kiln_parse_size("256M", 0, UINT64_MAX, &v) == 0 && v == 256ull << 20);
	CHECK(kiln_parse_size("2G", 0, UINT64_MAX, &v) == 0 && v == 2ull << 30);
	CHECK(kiln_parse_size("1GiB", 0, UINT64_MAX, &v) == 0 && v == 1ull << 30);
	CHECK(kiln_parse_size("1KB", 0, UINT64_MAX, &v) == 0 && v == 1024);
	CHECK(kiln_parse_size("10B", 0, UINT64_MAX, &v) == 0 && v == 10);
	CHECK(kiln_parse_size("1X", 0, UINT64_MAX, &v) == -1);
	CHECK(kiln_parse_size("1KK", 0, UINT64_MAX, &v) == -1);
	CHECK(kiln_parse_size("K", 0, UINT64_MAX, &v) == -1);
	CHECK(kiln_parse_size("99999999999T", 0, UINT64_MAX, &v) == -1);   /* overflow */
	CHECK(kiln_parse_size("2K", 0, 1024, &v) == -1);
}

TEST(parse_double_rational_dims)
{
	double d;
	CHECK(kiln_parse_double("0.95", 0, 1, &d) == 0 && d == 0.95);
	CHECK(kiln_parse_double("1.5", 0, 1, &d) == -1);
	CHECK(kiln_parse_double("nan", -1e9, 1e9, &d) == -1);
	CHECK(kiln_parse_double("inf", -1e9, 1e300, &d) == -1);
	CHECK(kiln_parse_double("1e3x", 0, 1e9, &d) == -1);
	int64_t n, q;
	CHECK(kiln_parse_rational("12", &n, &q) == 0 && n == 12 && q == 1);
	CHECK(kiln_parse_rational("30000/1001", &n, &q) == 0 && n == 30000 && q == 1001);
	CHECK(kiln_parse_rational("29.97", &n, &q) == 0 && n == 2997 && q == 100);
	CHECK(kiln_parse_rational("24/2", &n, &q) == 0 && n == 12 && q == 1);
	CHECK(kiln_parse_rational("0", &n, &q) == -1);
	CHECK(kiln_parse_rational("1/0", &n, &q) == -1);
	CHECK(kiln_parse_rational("/3", &n, &q) == -1);
	CHECK(kiln_parse_rational("-12", &n, &q) == -1);
	uint32_t w, h;
	CHECK(kiln_parse_dims("320x180", 16384, &w, &h) == 0 && w == 320 && h == 180);
	CHECK(kiln_parse_dims("320X240", 16384, &w, &h) == 0 && h == 240);
	CHECK(kiln_parse_dims("0x180", 16384, &w, &h) == -1);
	CHECK(kiln_parse_dims("320x", 16384, &w, &h) == -1);
	CHECK(kiln_parse_dims("99999x1", 16384, &w, &h) == -1);
}

static char *json_of(void (*fn)(kiln_json *))
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	kiln_json j;
	kiln_json_init(&j, f, 0);
	fn(&j);
	fclose(f);
	return buf;
}

static void doc1(kiln_json *j)
{
	kiln_json_obj_begin(j, NULL);
	kiln_json_str(j, "a", "q\"b\\\n\x01");
	kiln_json_strn(j, "bin", "\xff\xc3\xa9z", 4);   /* invalid byte, then valid é */
	kiln_json_u64(j, "n", 18446744073709551615ull);
	kiln_json_double(j, "x", 0.1);
	kiln_json_double(j, "nan", 0.0 / 0.0);
	kiln_json_arr_begin(j, "l");
	kiln_json_i64(j, NULL, -3);
	kiln_json_bool(j, NULL, 1);
	kiln_json_null(j, NULL);
	kiln_json_arr_end(j);
	kiln_json_obj_begin(j, "empty");
	kiln_json_obj_end(j);
	kiln_json_obj_end(j);
	kiln_json_end_line(j);
}

TEST(json_escaping)
{
	char *s = json_of(doc1);
	CHECK_STR(s, "{\"a\":\"q\\\"b\\\\\\n\\u0001\",\"bin\":\"\\u00ff\xc3\xa9z\",\"n\":18446744073709551615,"
	             "\"x\":0.1,\"nan\":null,\"l\":[-3,true,null],\"empty\":{}}\n");
	free(s);
	/* Cross-check with a real JSON parser when python3 is here. */
	if (test_sh("command -v python3 >/dev/null") == 0) {
		s = json_of(doc1);
		test_write_file("doc.json", s, strlen(s));
		free(s);
		CHECK(test_sh("python3 -c 'import json,sys; d=json.load(open(\"doc.json\")); sys.exit(0 if d[\"bin\"]==\"\\u00ff\\u00e9z\" and d[\"l\"]==[-3,True,None] else 1)'") == 0);
	}
}

/* Messages escape control bytes wherever they come from (the file name or
 * the formatted text), and a message longer than the writer's buffers is
 * written whole. */
TEST(messages_escape_control_bytes)
{
	char big[3000];
	memset(big, 'm', sizeof big - 1);
	big[sizeof big - 1] = 0;
	big[1500] = '\n';
	fflush(stderr);
	int saved = dup(2), fd = open("err.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK(saved >= 0 && fd >= 0);
	dup2(fd, 2);
	close(fd);
	kiln_set_progname("kiln-t");
	kiln_file_error("a\nb\x1b[1m\\\x7f\xc2\x9b\xff\xc3\xa9", "bad %s", "x\ty\r");
	kiln_warn("%s", big);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	size_t n;
	char *got = (char *)test_read_file("err.txt", &n);
	char want[4000];
	int w = snprintf(want, sizeof want, "kiln-t: a\\nb\\x1b[1m\\\\\\x7f\\xc2\\x9b\\xff\xc3\xa9: bad x\\ty\\r\n"
	                                    "kiln-t: warning: %.1500s\\n%s\n", big, big + 1501);
	CHECK_EQ_U64(n, (size_t)w);
	CHECK_MEM(got, want, n);
	free(got);
}

TEST(outfile_commit_and_abort)
{
	kiln_outfile o;
	CHECK(kiln_outfile_open(&o, "out.bin") == 0);
	fputs("hello", o.fp);
	struct stat st;
	CHECK(stat("out.bin", &st) != 0);          /* nothing under the final name yet */
	CHECK(kiln_outfile_commit(&o) == 0);
	size_t n;
	unsigned char *b = test_read_file("out.bin", &n);
	CHECK(n == 5 && !memcmp(b, "hello", 5));
	free(b);
	CHECK(kiln_outfile_open(&o, "out.bin") == 0);
	fputs("partial", o.fp);
	kiln_outfile_abort(&o);
	b = test_read_file("out.bin", &n);
	CHECK(n == 5);                              /* the old file survived */
	free(b);
	/* No temporaries left behind. */
	DIR *d = opendir(".");
	struct dirent *e;
	int others = 0;
	while ((e = readdir(d))) if (e->d_name[0] == '.' && strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) others++;
	closedir(d);
	CHECK_EQ_U64(others, 0);
	CHECK(kiln_outfile_open(&o, "no/such/dir/x") == -1);
	/* A device is written in place, not replaced by a renamed file. */
	CHECK(kiln_outfile_open(&o, "/dev/null") == 0);
	fputs("gone", o.fp);
	CHECK(kiln_outfile_commit(&o) == 0);
	CHECK(stat("/dev/null", &st) == 0 && S_ISCHR(st.st_mode));
	CHECK(mkfifo("out.fifo", 0600) == 0);
	CHECK(test_sh("cat out.fifo > fifo.out &") == 0);
	CHECK(kiln_outfile_open(&o, "out.fifo") == 0);
	fputs("through", o.fp);
	CHECK(kiln_outfile_commit(&o) == 0);
	CHECK(test_sh("for i in $(seq 100); do [ \"$(cat fifo.out)\" = through ] && exit 0; sleep 0.05; done; exit 1") == 0);
	CHECK(stat("out.fifo", &st) == 0 && S_ISFIFO(st.st_mode));
}

/* Entries of the current folder whose names start with '.' (temporaries). */
static int hidden_entries(void)
{
	DIR *d = opendir(".");
	struct dirent *e;
	int n = 0;
	while ((e = readdir(d))) if (e->d_name[0] == '.' && strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
	closedir(d);
	return n;
}

TEST(outfile_write_error_never_commits)
{
	/* A file-size limit makes a large fwrite fail half-way (EFBIG) on a
	 * regular file; stdio then holds nothing more to flush, so only the
	 * stream's error flag knows. The commit must fail, not rename the
	 * partial file into place. Run in a child: the limit is per process. */
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		signal(SIGXFSZ, SIG_IGN);
		struct rlimit r = { 1000, 1000 };
		setrlimit(RLIMIT_FSIZE, &r);
		static char big[100000];
		memset(big, 'a', sizeof big);
		kiln_outfile o;
		if (kiln_outfile_open(&o, "big.out")) _exit(3);
		fwrite(big, 1, sizeof big, o.fp);
		_exit(kiln_outfile_commit(&o) == 0 ? 0 : 1);
	}
	int status;
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status));
	CHECK_EQ_U64(WEXITSTATUS(status), 1);
	struct stat st;
	CHECK(stat("big.out", &st) != 0 && errno == ENOENT);
	CHECK_EQ_U64(hidden_entries(), 0);
	/* With SIGXFSZ left at its default, the write that passes the limit
	 * kills the process: the temporary must go with it. */
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		struct rlimit r = { 1000, 1000 };
		setrlimit(RLIMIT_FSIZE, &r);
		static char big[100000];
		kiln_outfile o;
		if (kiln_outfile_open(&o, "killed.out")) _exit(3);
		fwrite(big, 1, sizeof big, o.fp);
		_exit(kiln_outfile_commit(&o) == 0 ? 0 : 1);
	}
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECKF(WIFSIGNALED(status) && WTERMSIG(status) == SIGXFSZ, "status %d", status);
	CHECK(stat("killed.out", &st) != 0 && errno == ENOENT);
	CHECK_EQ_U64(hidden_entries(), 0);
	/* The same for "-" (stdout) on a full device. */
	if (stat("/dev/full", &st) != 0) SKIP("no /dev/full");
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		int fd = open("/dev/full", O_WRONLY);
		if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0) _exit(3);
		static char big[100000];
		kiln_outfile o;
		if (kiln_outfile_open(&o, "-")) _exit(3);
		fwrite(big, 1, sizeof big, o.fp);
		_exit(kiln_outfile_commit(&o) == 0 ? 0 : 1);
	}
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status));
	CHECK_EQ_U64(WEXITSTATUS(status), 1);
}

TEST(outfile_descriptor_paths)
{
	/* /dev/fd/N names the caller's open file (a shell's "> out"): write
	 * to it at its offset. It used to make a temporary beside the name,
	 * inside /dev/fd, which fails (or, for /dev/stdout as root on a
	 * writable /dev, renamed a file over the /dev/stdout link). */
	int fd = open("fd.out", O_WRONLY | O_CREAT | O_TRUNC, 0666);
	CHECK(fd >= 0 && write(fd, "head,", 5) == 5);
	char path[64];
	kiln_outfile o;
	snprintf(path, sizeof path, "/dev/fd/%d", fd);
	CHECK(kiln_outfile_open(&o, path) == 0);
	fputs("dev-fd,", o.fp);
	CHECK(kiln_outfile_commit(&o) == 0);
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	CHECK(kiln_outfile_open(&o, path) == 0);
	fputs("proc-fd,", o.fp);
	CHECK(kiln_outfile_commit(&o) == 0);
	/* /dev/stdout redirected to a regular file, in a child. */
	fflush(stdout);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		if (dup2(fd, STDOUT_FILENO) < 0 || kiln_outfile_open(&o, "/dev/stdout")) _exit(3);
		fputs("stdout", o.fp);
		_exit(kiln_outfile_commit(&o) == 0 ? 0 : 1);
	}
	int status;
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(fd);
	size_t n;
	char *b = (char *)test_read_file("fd.out", &n);
	CHECK(n == 26 && !memcmp(b, "head,dev-fd,proc-fd,stdout", 26));
	free(b);
	CHECK_EQ_U64(hidden_entries(), 0);
	CHECK(kiln_outfile_open(&o, "/dev/fd/999") == -1 && errno == EBADF);
}

TEST(ignored_signals_stay_ignored)
{
	/* Under nohup SIGHUP is ignored; installing the cleanup handlers must
	 * not make a hangup fatal. The handlers are installed once per process,
	 * so this runs in a fresh copy of this runner (exec keeps an ignored
	 * signal ignored), which sees KILN_TEST_HUP and takes this branch. */
	const char *out = getenv("KILN_TEST_HUP");
	if (out) {
		kiln_outfile o;
		if (kiln_outfile_open(&o, out)) _exit(3);
		raise(SIGHUP);
		fputs("survived", o.fp);
		int rc = kiln_outfile_commit(&o) == 0 ? 0 : 1;
		char own[4096];   /* this copy's own (empty) test folder */
		if (getcwd(own, sizeof own) && chdir("/") == 0) rmdir(own);
		_exit(rc);
	}
	char path[4200];
	CHECK(getcwd(path, 4096) != NULL);
	strcat(path, "/hup.out");
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		signal(SIGHUP, SIG_IGN);
		setenv("KILN_TEST_HUP", path, 1);
		int null = open("/dev/null", O_WRONLY);
		dup2(null, STDOUT_FILENO);
		execl("/proc/self/exe", "common_test", "ignored_signals_stay_ignored", (char *)NULL);
		_exit(4);
	}
	int status;
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECKF(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %d", status);
	size_t n;
	unsigned char *b = test_read_file("hup.out", &n);
	CHECK(n == 8 && !memcmp(b, "survived", 8));
	free(b);
}

TEST(outdir_commit_force)
{
	const char *t = kiln_outdir_begin("ds", 0);
	CHECK(t != NULL);
	char p[4096];
	snprintf(p, sizeof p, "%s/a", t);
	test_write_file(p, "1", 1);
	CHECK(kiln_outdir_commit(t, "ds", 0) == 0);
	CHECK(kiln_outdir_begin("ds", 0) == NULL && errno == EEXIST);
	t = kiln_outdir_begin("ds", 1);
	CHECK(t != NULL);
	snprintf(p, sizeof p, "%s/b", t);
	test_write_file(p, "2", 1);
	CHECK(kiln_outdir_commit(t, "ds", 1) == 0);
	struct stat st;
	CHECK(stat("ds/b", &st) == 0 && stat("ds/a", &st) != 0);
	t = kiln_outdir_begin("sub/deeper/ds", 0);   /* parents are made */
	CHECK(t != NULL);
	kiln_outdir_abort(t);
	CHECK(stat("sub/deeper/ds", &st) != 0);
}

/* Set by tests to make kiln_outdir_commit take its two-rename fallback. */
extern int kiln__no_exchange;

/* The names in the current folder other than . and .., sorted, joined by
 * spaces into buf. */
static const char *entries(char *buf, size_t cap)
{
	char cmd[] = "ls -A | tr '\\n' ' '";
	FILE *p = popen(cmd, "r");
	size_t n = p ? fread(buf, 1, cap - 1, p) : 0;
	if (p) pclose(p);
	buf[n] = 0;
	return buf;
}

/* One --force replace: the new folder at "ds", the old one gone, nothing
 * else left beside it; old may be a folder or a file. */
static void replace_once(int old_is_file)
{
	if (old_is_file) test_write_file("ds", "old", 3);
	else {
		CHECK(mkdir("ds", 0777) == 0);
		test_write_file("ds/a", "1", 1);
	}
	const char *t = kiln_outdir_begin("ds", 1);
	CHECK(t != NULL);
	char p[4096];
	snprintf(p, sizeof p, "%s/b", t);
	test_write_file(p, "2", 1);
	CHECK(kiln_outdir_commit(t, "ds", 1) == 0);
	struct stat st;
	CHECK(stat("ds/b", &st) == 0 && stat("ds/a", &st) != 0);
	char names[256];
	CHECK_STR(entries(names, sizeof names), "ds ");
	CHECK(kiln_rmtree("ds") == 0);
}

TEST(outdir_force_replaces_whole)
{
	replace_once(0);
	replace_once(1);
	kiln__no_exchange = 1;   /* the two renames, as where the exchange is missing */
	replace_once(0);
	replace_once(1);
	kiln__no_exchange = 0;
}

/* With --force the output's name never goes missing: a watcher stats it
 * all the while the folder is replaced, a few thousand times. */
TEST(outdir_force_never_missing)
{
	CHECK(mkdir("x", 0777) == 0 && mkdir("y", 0777) == 0);
#if defined(RENAME_EXCHANGE)
	if (renameat2(AT_FDCWD, "x", AT_FDCWD, "y", RENAME_EXCHANGE)) SKIP("no RENAME_EXCHANGE here (%s)", strerror(errno));
#else
	SKIP("built without renameat2");
#endif
	CHECK(rmdir("x") == 0 && rmdir("y") == 0 && mkdir("ds", 0777) == 0);
	int stop[2];
	CHECK(pipe(stop) == 0);
	pid_t w = fork();
	CHECK(w >= 0);
	if (w == 0) {
		/* The watcher: stat until the parent closes the pipe (or 60 s
		 * have passed: a failed CHECK there leaves it open). */
		close(stop[1]);
		fcntl(stop[0], F_SETFL, O_NONBLOCK);
		long missing = 0;
		char c;
		struct stat st;
		time_t t0 = time(NULL);
		for (long k = 0;; k++) {
			if (stat("ds", &st)) missing++;
			if (!(k & 255) && (read(stop[0], &c, 1) == 0 || time(NULL) - t0 > 60)) break;
		}
		_exit(missing ? 1 : 0);
	}
	close(stop[0]);
	for (int i = 0; i < 3000; i++) {
		const char *t = kiln_outdir_begin("ds", 1);
		CHECK(t != NULL);
		CHECK(kiln_outdir_commit(t, "ds", 1) == 0);
	}
	close(stop[1]);
	int status;
	CHECK(waitpid(w, &status, 0) == w);
	CHECKF(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the watcher found no \"ds\" at some moment");
}

struct walk_acc { char seen[2048]; int errors; char skipped[512]; };

static int walk_cb(const char *path, int kind, int info, void *ud)
{
	struct walk_acc *a = ud;
	if (kind == KILN_WALK_ERROR) { a->errors++; return 0; }
	char *list = kind == KILN_WALK_SKIPPED ? a->skipped : a->seen;
	size_t cap = kind == KILN_WALK_SKIPPED ? sizeof a->skipped : sizeof a->seen;
	strncat(list, path, cap - strlen(list) - 2);
	if (kind == KILN_WALK_SKIPPED) {
		char what[8];
		snprintf(what, sizeof what, "=%d", info);
		strncat(list, what, cap - strlen(list) - 2);
	}
	strcat(list, ";");
	return 0;
}

TEST(walk_sorted_and_errors)
{
	CHECK(kiln_mkdirs("w/b/c") == 0);
	test_write_file("w/z", "", 0);
	test_write_file("w/a", "", 0);
	test_write_file("w/b/c/x", "", 0);
	test_write_file("w/b/y", "", 0);
	CHECK(symlink("..", "w/b/loop") == 0);    /* linked folders are not entered */
	const char *in[] = { "w", "missing" };
	struct walk_acc a = { "", 0, "" };
	kiln_walk(in, 2, walk_cb, &a);
	CHECK_STR(a.seen, "w/a;w/b/c/x;w/b/y;w/z;");
	CHECK_EQ_U64(a.errors, 1);
	char want[64];
	snprintf(want, sizeof want, "w/b/loop=%d;", KILN_SKIP_LINK_DIR);
	CHECK_STR(a.skipped, want);
}

/* What is not a regular file inside a folder is reported as skipped, with
 * what it is; the FIFO is never opened (the walk would block on it), and
 * links to files are still followed. */
TEST(walk_reports_special_files)
{
	CHECK(kiln_mkdirs("s") == 0);
	test_write_file("s/a", "x", 1);
	CHECK(mkfifo("s/fifo", 0600) == 0);
	CHECK(symlink("nowhere", "s/gone") == 0);
	CHECK(symlink("a", "s/link") == 0);
	CHECK(symlink("fifo", "s/to-fifo") == 0);
	const char *in[] = { "s" };
	struct walk_acc a = { "", 0, "" };
	CHECK(kiln_walk(in, 1, walk_cb, &a) == 0);
	CHECK_STR(a.seen, "s/a;s/link;");
	CHECK_EQ_U64(a.errors, 0);
	char want[128];
	snprintf(want, sizeof want, "s/fifo=%d;s/gone=%d;s/to-fifo=%d;", KILN_SKIP_FIFO, KILN_SKIP_BROKEN_LINK,
	         KILN_SKIP_LINK_SPECIAL);
	CHECK_STR(a.skipped, want);
	CHECK_STR(kiln_walk_what(KILN_SKIP_FIFO), "a FIFO, not a regular file");
	CHECK_STR(kiln_walk_what(KILN_SKIP_BROKEN_LINK), "a broken symbolic link");
	/* the list form leaves them out and counts them */
	size_t n, errors, skipped;
	char **v = kiln_walk_list(in, 1, 1, &n, &errors, &skipped);
	CHECK_EQ_U64(n, 2);
	CHECK_EQ_U64(errors, 0);
	CHECK_EQ_U64(skipped, 3);
	kiln_free_list(v, n);
}

/* An empty folder is walked like any other: nothing seen, no error (tools
 * used to check for one first, so that the walk never sorted an empty list). */
TEST(walk_empty_folder)
{
	CHECK(kiln_mkdirs("e/inner") == 0);
	const char *in[] = { "e" };
	struct walk_acc a = { "", 0, "" };
	CHECK(kiln_walk(in, 1, walk_cb, &a) == 0);
	CHECK_STR(a.seen, "");
	CHECK_EQ_U64(a.errors, 0);
}

TEST(word_in_lists)
{
	CHECK(kiln_word_in("train", "train encode"));
	CHECK(kiln_word_in("encode", "train encode"));
	CHECK(!kiln_word_in("code", "train encode"));      /* a word, not a substring */
	CHECK(!kiln_word_in("train encode", "train"));
	CHECK(!kiln_word_in("x", ""));
	CHECK(!kiln_word_in("", "train encode"));          /* used to loop forever */
	CHECK(!kiln_word_in("", ""));
}

/* Run kiln_check_opt_cmd in a child with stderr to "opt.err": its exit
 * status (0: nothing refused), and what it printed in *err (free it). */
static int opt_check(const char *cmd, int val, int longindex, char **err)
{
	enum { O_FPS = 256, O_JSON };
	static const struct option lo[] = {
		{ "output", required_argument, NULL, 'o' }, { "fps", required_argument, NULL, O_FPS },
		{ "json", no_argument, NULL, O_JSON }, { "quiet", no_argument, NULL, 'q' }, { NULL, 0, NULL, 0 }
	};
	static const kiln_opt_cmds table[] = {
		{ 'o', "extract contact" }, { O_FPS, "extract" }, { O_JSON, "info extract" }, { 0, NULL }
	};
	/* the test gives option values by name */
	int v = val == 'F' ? O_FPS : val == 'J' ? O_JSON : val;
	fflush(stderr);
	pid_t pid = fork();
	if (pid == 0) {
		int fd = open("opt.err", O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0 || dup2(fd, STDERR_FILENO) < 0) _exit(3);
		kiln_set_progname("kiln-x");
		kiln_check_opt_cmd(table, lo, cmd, v, longindex);
		_exit(0);
	}
	int status;
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) return -1;
	size_t n;
	unsigned char *text = test_read_file("opt.err", &n);
	*err = kiln_xmalloc(n + 1);   /* test_read_file does not end it with a NUL */
	memcpy(*err, text, n);
	(*err)[n] = 0;
	free(text);
	return WEXITSTATUS(status);
}

TEST(option_of_another_command)
{
	char *err = NULL;
	/* taken: nothing said */
	CHECK(opt_check("extract", 'F', 1, &err) == 0 && err && !*err);
	free(err);
	CHECK(opt_check("contact", 'o', -1, &err) == 0);
	free(err);
	/* not in the table: every command takes it */
	CHECK(opt_check("info", 'q', -1, &err) == 0);
	free(err);
	/* no (or no known) command: left to the tool */
	CHECK(opt_check(NULL, 'F', 1, &err) == 0);
	free(err);
	/* refused, named as given */
	CHECK(opt_check("info", 'F', 1, &err) == 2);
	CHECK_STR(err, "kiln-x info: option '--fps' does not apply to info (it is for: extract)\n"
	               "kiln-x: try 'kiln-x --help'\n");
	free(err);
	CHECK(opt_check("info", 'o', 0, &err) == 2);
	CHECK_STR(err, "kiln-x info: option '--output' does not apply to info (it is for: extract contact)\n"
	               "kiln-x: try 'kiln-x --help'\n");
	free(err);
	CHECK(opt_check("info", 'o', -1, &err) == 2);
	CHECK_STR(err, "kiln-x info: option '-o' does not apply to info (it is for: extract contact)\n"
	               "kiln-x: try 'kiln-x --help'\n");
	free(err);
	/* a stale longindex (another option's) does not rename a short option */
	CHECK(opt_check("info", 'o', 1, &err) == 2);
	CHECK(err && strstr(err, "option '-o' does not apply"));
	free(err);
	/* no longindex for an option that has only a long form: still its name */
	CHECK(opt_check("contact", 'J', -1, &err) == 2);
	CHECK_STR(err, "kiln-x contact: option '--json' does not apply to contact (it is for: info extract)\n"
	               "kiln-x: try 'kiln-x --help'\n");
	free(err);
}

TEST(utf8_len_and_code_point)
{
	uint32_t cp = 0;
	CHECK_EQ_U64(kiln_utf8_len((const unsigned char *)"A", 1, &cp), 1);
	CHECK_EQ_U64(cp, 0x41);
	CHECK_EQ_U64(kiln_utf8_len((const unsigned char *)"\xc2\x9b", 2, &cp), 2);   /* C1 CSI */
	CHECK_EQ_U64(cp, 0x9b);
	CHECK_EQ_U64(kiln_utf8_len((const unsigned char *)"\xf0\x9f\x98\x80", 4, &cp), 4);
	CHECK_EQ_U64(cp, 0x1f600);
	CHECK_EQ_U64(kiln_utf8_len((const unsigned char *)"\xc0\x80", 2, NULL), 0);   /* overlong */
	CHECK_EQ_U64(kiln_utf8_len((const unsigned char *)"\xed\xa0\x80", 3, NULL), 0);   /* surrogate */
	CHECK_EQ_U64(kiln_utf8_len((const unsigned char *)"\xf4\x90\x80\x80", 4, NULL), 0);   /* past U+10FFFF */
	CHECK_EQ_U64(kiln_utf8_len((const unsigned char *)"\xe2\x82", 2, NULL), 0);   /* cut */
}

/* mkdir + chdir "a" depth times from the current folder, then a file "f";
 * back to the start. Relative steps, so depth is not bounded by PATH_MAX. */
static int make_deep(const char *top, int depth)
{
	char start[4096];
	if (!getcwd(start, sizeof start) || mkdir(top, 0777) || chdir(top)) return -1;
	for (int i = 0; i < depth; i++) if (mkdir("a", 0777) || chdir("a")) return -1;
	test_write_file("f", "x", 1);
	return chdir(start);
}

/* What the deep walks saw: files, errors, the last file's path length and
 * the start of the first error's path. */
struct deep_acc { size_t files, errors, last_len; char err[16]; };

static int deep_cb(const char *path, int is_error, int errno_val, void *ud)
{
	struct deep_acc *a = ud;
	if (!is_error) { a->files++; a->last_len = strlen(path); return 0; }
	if (!a->errors++) snprintf(a->err, sizeof a->err, "%d %.7s", errno_val, path);
	return 0;
}

TEST(walk_very_deep_trees)
{
	/* 2,000 folders deep, the path still under PATH_MAX: the walk finds the
	 * file (it used to overflow the stack with a PATH_MAX array per level).
	 * Run in a child so a crash is a failed check, not a lost runner. */
	CHECK(make_deep("deep", 2000) == 0);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		const char *in[] = { "deep" };
		struct deep_acc a = { 0 };
		kiln_walk(in, 1, deep_cb, &a);
		_exit(a.errors == 0 && a.files == 1 && a.last_len == 4 + 2000 * 2 + 2 ? 0 : 1);
	}
	int status;
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECKF(WIFEXITED(status) && WEXITSTATUS(status) == 0, "walk status %d", status);
	/* Deeper than PATH_MAX: one error that names the full path (it named
	 * only the last component). */
	CHECK(make_deep("deeper", 2100) == 0);
	const char *in[] = { "deeper" };
	struct deep_acc a = { 0 };
	kiln_walk(in, 1, deep_cb, &a);
	CHECK_EQ_U64(a.errors, 1);
	CHECK_EQ_U64(a.files, 0);
	char want[16];
	snprintf(want, sizeof want, "%d deeper/", ENAMETOOLONG);
	CHECK_STR(a.err, want);
	CHECK(test_sh("rm -rf deep deeper") == 0);
}

TEST(progress_eta_of_a_huge_total)
{
	/* The progress line is drawn only on a terminal: give a child a pty
	 * as stderr, report 1 of 2^64-1 bytes after 0.15 s, read the line. */
	int master, slave;
	if (openpty(&master, &slave, NULL, NULL, NULL)) SKIP("no pty: %s", strerror(errno));
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		close(master);
		if (dup2(slave, STDERR_FILENO) < 0) _exit(3);
		kiln_progress *p = kiln_progress_start("huge", UINT64_MAX, "B");
		if (!p) _exit(4);
		usleep(150000);
		kiln_progress_update(p, 1);
		kiln_progress_end(p);
		_exit(0);
	}
	close(slave);
	char buf[4096];
	size_t n = 0;
	ssize_t got;
	while (n < sizeof buf - 1 && (got = read(master, buf + n, sizeof buf - 1 - n)) > 0) n += (size_t)got;
	buf[n] = 0;
	close(master);
	int status;
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECKF(strstr(buf, "huge  1/18446744.1T B") != NULL, "line: %s", buf);
	CHECKF(strstr(buf, "ETA >99h") != NULL, "line: %s", buf);
}

TEST(sha256_known_vectors)
{
	uint8_t h[32];
	char hex[65];
	kiln_sha256("abc", 3, h);
	kiln_hex(h, 32, hex);
	CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	kiln_sha256("", 0, h);
	kiln_hex(h, 32, hex);
	CHECK_STR(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	kiln_sha256_ctx *c = kiln_sha256_new();
	kiln_sha256_update(c, "a", 1);
	kiln_sha256_update(c, "bc", 2);
	kiln_sha256_final(c, h);
	kiln_hex(h, 32, hex);
	CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(mix_deterministic_and_uniform)
{
	CHECK(kiln_mix64(1, 2) == kiln_mix64(1, 2));
	CHECK(kiln_mix64(1, 2) != kiln_mix64(2, 1));
	int below = 0;
	for (uint64_t i = 0; i < 100000; i++) {
		double u = kiln_unit(7, i);
		CHECK(u >= 0 && u < 1);
		below += u < 0.25;
	}
	/* 25% +- 1% (about 7 standard deviations). */
	CHECKF(below > 24000 && below < 26000, "%d of 100000 below 0.25", below);
}

TEST(read_file_cap)
{
	test_write_file("f", "0123456789", 10);
	size_t n;
	uint8_t *b = kiln_read_file("f", 10, &n);
	CHECK(b && n == 10);
	free(b);
	CHECK(kiln_read_file("f", 9, &n) == NULL && errno == EFBIG);
	CHECK(kiln_read_file("nope", 9, &n) == NULL && errno == ENOENT);
	CHECK(kiln_read_file(".", 9, &n) == NULL);
}

TEST(parts_tile_the_input)
{
	uint32_t i, n;
	CHECK(kiln_parse_part("1/1", &i, &n) == 0 && i == 1 && n == 1);
	CHECK(kiln_parse_part("3/8", &i, &n) == 0 && i == 3 && n == 8);
	CHECK(kiln_parse_part("0/8", &i, &n) == -1);
	CHECK(kiln_parse_part("9/8", &i, &n) == -1);
	CHECK(kiln_parse_part("1/0", &i, &n) == -1);
	CHECK(kiln_parse_part("3", &i, &n) == -1);
	CHECK(kiln_parse_part("a/3", &i, &n) == -1);
	for (uint64_t total = 0; total < 40; total++) {
		for (uint32_t parts = 1; parts <= 9; parts++) {
			uint64_t expect = 0;
			for (uint32_t p = 1; p <= parts; p++) {
				uint64_t lo, hi;
				kiln_part_range(total, p, parts, &lo, &hi);
				CHECK_EQ_U64(lo, expect);
				CHECK(hi >= lo && hi - lo <= total / parts + 1);
				expect = hi;
			}
			CHECK_EQ_U64(expect, total);
		}
	}
	uint64_t lo, hi;
	kiln_part_range(UINT64_MAX, 2, 2, &lo, &hi);
	CHECK_EQ_U64(hi, UINT64_MAX);
}
