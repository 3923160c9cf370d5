/*
 * kiln_atomic.c - atomic outputs: files and folders are written under a
 * temporary name beside their destination and renamed into place when
 * complete. Temporaries are registered so that kiln_die(), SIGINT, SIGTERM
 * and SIGHUP remove them: an interrupted run never leaves a half-written
 * shard or a truncated file under the final name. A folder that replaces
 * an old one (--force) is swapped with it in one step where the system can
 * (renameat2 RENAME_EXCHANGE), so the output's name never goes missing.
 */
#define _GNU_SOURCE   /* renameat2 and RENAME_EXCHANGE in <stdio.h> (glibc >= 2.28) */
#include "kiln.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_CLEANUP 64

/* Fixed array: the signal handler must not allocate. */
static char *cleanup_paths[MAX_CLEANUP];
static volatile sig_atomic_t handlers_installed;
static unsigned tmp_counter;

static void remove_all(int free_names)
{
	for (int i = 0; i < MAX_CLEANUP; i++) {
		char *p = cleanup_paths[i];
		if (!p) continue;
		cleanup_paths[i] = NULL;
		kiln_rmtree(p);
		/* In a signal handler p is leaked on purpose: free() is not
		 * async-signal-safe. */
		if (free_names) free(p);
	}
}

static void on_signal(int sig)
{
	remove_all(0);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Catch sig unless it is ignored: a signal ignored by whoever started us
 * (nohup's SIGHUP, a parent's SIGPIPE or SIGXFSZ) must stay ignored, or
 * the handler would turn it into the end of the run. */
static void catch_signal(int sig, const struct sigaction *sa)
{
	struct sigaction old;
	if (sigaction(sig, NULL, &old) == 0 && old.sa_handler == SIG_IGN) return;
	sigaction(sig, sa, NULL);
}

static void install_handlers(void)
{
	if (handlers_installed) return;
	handlers_installed = 1;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	catch_signal(SIGINT, &sa);
	catch_signal(SIGTERM, &sa);
	catch_signal(SIGHUP, &sa);
	/* A reader that goes away (| head) ends the run too: still nothing
	 * half-written left behind. */
	catch_signal(SIGPIPE, &sa);
	/* So does a file-size limit (ulimit -f): the write that passes it
	 * kills the process, which must not leave the partial temporary. */
	catch_signal(SIGXFSZ, &sa);
}

void kiln_cleanup_add(const char *path)
{
	install_handlers();
	for (int i = 0; i < MAX_CLEANUP; i++)
		if (!cleanup_paths[i]) { cleanup_paths[i] = kiln_xstrdup(path); return; }
}

void kiln_cleanup_remove(const char *path)
{
	for (int i = 0; i < MAX_CLEANUP; i++)
		if (cleanup_paths[i] && !strcmp(cleanup_paths[i], path)) {
			char *p = cleanup_paths[i];
			cleanup_paths[i] = NULL;
			free(p);
			return;
		}
}

void kiln_cleanup_run(void)
{
	remove_all(1);
}

int kiln_rmtree(const char *path)
{
	struct stat st;
	if (lstat(path, &st)) return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(st.st_mode)) return unlink(path);
	DIR *d = opendir(path);
	if (!d) return -1;
	struct dirent *e;
	char sub[PATH_MAX];
	int rc = 0;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
		if ((size_t)snprintf(sub, sizeof sub, "%s/%s", path, e->d_name) >= sizeof sub) { rc = -1; continue; }
		if (kiln_rmtree(sub)) rc = -1;
	}
	closedir(d);
	if (rmdir(path)) rc = -1;
	return rc;
}

int kiln_mkdirs(const char *path)
{
	char buf[PATH_MAX];
	size_t n = strlen(path);
	if (n == 0 || n >= sizeof buf) { errno = ENAMETOOLONG; return -1; }
	memcpy(buf, path, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (buf[i] != '/' && buf[i] != 0) continue;
		char c = buf[i];
		buf[i] = 0;
		if (mkdir(buf, 0777) && errno != EEXIST) return -1;
		buf[i] = c;
	}
	struct stat st;
	if (stat(path, &st) || !S_ISDIR(st.st_mode)) { errno = ENOTDIR; return -1; }
	return 0;
}

/* "<dir>/.<base>.tmp-<pid>-<n>" beside path. */
static char *temp_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t dirlen = slash ? (size_t)(slash - path + 1) : 0;
	const char *base = slash ? slash + 1 : path;
	size_t len = strlen(path) + 64;
	char *t = kiln_xmalloc(len);
	snprintf(t, len, "%.*s.%s.tmp-%ld-%u", (int)dirlen, path, base, (long)getpid(), tmp_counter++);
	return t;
}

/* The descriptor a path names by number ("/dev/stdout", "/dev/fd/N",
 * "/proc/self/fd/N"), or -1. */
static int fd_path(const char *path)
{
	if (!strcmp(path, "/dev/stdout")) return STDOUT_FILENO;
	if (!strcmp(path, "/dev/stderr")) return STDERR_FILENO;
	const char *num = !strncmp(path, "/dev/fd/", 8) ? path + 8
	                : !strncmp(path, "/proc/self/fd/", 14) ? path + 14 : NULL;
	uint64_t n;
	if (!num || kiln_parse_u64(num, 0, INT_MAX, &n)) return -1;
	return (int)n;
}

int kiln_path_within(const char *p, const char *root)
{
	size_t n = strlen(root);
	if (n == 1 && root[0] == '/') return 1;
	return !strncmp(p, root, n) && (p[n] == 0 || p[n] == '/');
}

/* Die when the existing output out would, replaced, take an input with it:
 * a folder output that is an input or holds one, a file output that is an
 * input or lies inside one. */
static void refuse_over_inputs(const char *out, int is_file, char *const *inputs, size_t n)
{
	char *o = realpath(out, NULL);
	if (!o) return;
	for (size_t i = 0; i < n; i++) {
		char *in = realpath(inputs[i], NULL);
		if (in && (is_file ? kiln_path_within(o, in) : kiln_path_within(in, o)))
			kiln_die(KILN_EXIT_FAIL, "%s: %s the input %s, which --force would %s: choose another output", out,
			         !strcmp(in, o) ? "is" : is_file ? "is inside" : "holds", inputs[i],
			         is_file ? "overwrite" : "delete");
		free(in);
	}
	free(o);
}

void kiln_refuse_output_over_inputs(const char *out, int force, char *const *inputs, size_t n)
{
	if (force) refuse_over_inputs(out, 0, inputs, n);
}

void kiln_refuse_file_over_inputs(const char *out, int force, char *const *inputs, size_t n)
{
	struct stat st;
	if (force && stat(out, &st) == 0 && S_ISREG(st.st_mode)) refuse_over_inputs(out, 1, inputs, n);
}

int kiln_output_exists(const char *path)
{
	struct stat st;
	if (!strcmp(path, "-") || fd_path(path) >= 0) return 0;
	return stat(path, &st) == 0 && (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode));
}

const char *kiln_output_errtext(int err)
{
	return err == EEXIST ? "exists (use --force to replace it)" : strerror(err);
}

/* Write to an existing descriptor, in place: no temporary, no rename. */
static int open_in_place(kiln_outfile *o, int fd)
{
	if (fd < 0) return -1;
	o->fp = fdopen(fd, "wb");
	if (!o->fp) { int e = errno; close(fd); errno = e; return -1; }
	return 0;
}

int kiln_outfile_open(kiln_outfile *o, const char *path)
{
	memset(o, 0, sizeof *o);
	if (!strcmp(path, "-") || !strcmp(path, "/dev/stdout")) { o->fp = stdout; return 0; }
	/* A descriptor by name is the caller's open file (the shell's
	 * "> out" behind /dev/stdout or /dev/fd/N): write to it. Renaming a
	 * temporary over its name replaced the /dev or /proc link instead, or
	 * failed, when that file was a regular one. */
	int fdn = fd_path(path);
	if (fdn >= 0) return open_in_place(o, fcntl(fdn, F_DUPFD_CLOEXEC, 0));
	/* A device or a pipe (/dev/null, a FIFO) has nothing to
	 * replace atomically, and a rename would put a file in its place:
	 * write to it directly. */
	struct stat st;
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
		return open_in_place(o, open(path, O_WRONLY | O_CLOEXEC));
	o->path = kiln_xstrdup(path);
	o->tmp = temp_name(path);
	int fd = open(o->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	if (fd < 0) goto fail;
	kiln_cleanup_add(o->tmp);
	o->fp = fdopen(fd, "wb");
	if (!o->fp) { int e = errno; close(fd); unlink(o->tmp); kiln_cleanup_remove(o->tmp); errno = e; goto fail; }
	return 0;
fail:;
	int e = errno;
	free(o->path); free(o->tmp);
	memset(o, 0, sizeof *o);
	errno = e;
	return -1;
}

int kiln_flush_failed(FILE *fp)
{
	if (fflush(fp)) return 1;
	if (ferror(fp)) { errno = EIO; return 1; }
	return 0;
}

int kiln_outfile_commit(kiln_outfile *o)
{
	if (o->fp == stdout && !o->tmp) return kiln_flush_failed(stdout) ? -1 : 0;
	if (!o->fp) { errno = EBADF; return -1; }
	if (!o->tmp) {   /* a device or a pipe, written in place */
		int rc = 0, e = 0;
		if (kiln_flush_failed(o->fp)) { rc = -1; e = errno; }
		if (fclose(o->fp) && !rc) { rc = -1; e = errno; }
		o->fp = NULL;
		errno = e;
		return rc;
	}
	int rc = 0, e = 0;
	if (kiln_flush_failed(o->fp) || fsync(fileno(o->fp))) { rc = -1; e = errno; }
	if (fclose(o->fp) && !rc) { rc = -1; e = errno; }
	o->fp = NULL;
	if (!rc && rename(o->tmp, o->path)) { rc = -1; e = errno; }
	if (rc) unlink(o->tmp);
	kiln_cleanup_remove(o->tmp);
	free(o->tmp); free(o->path);
	o->tmp = o->path = NULL;
	errno = e;
	return rc;
}

void kiln_outfile_abort(kiln_outfile *o)
{
	if (o->fp && o->fp != stdout) fclose(o->fp);
	o->fp = NULL;
	if (o->tmp) { unlink(o->tmp); kiln_cleanup_remove(o->tmp); }
	free(o->tmp); free(o->path);
	o->tmp = o->path = NULL;
}

const char *kiln_outdir_begin(const char *path, int force)
{
	struct stat st;
	if (!force && stat(path, &st) == 0) { errno = EEXIST; return NULL; }
	/* Strip trailing slashes so the temporary lands beside, not inside. */
	char clean[PATH_MAX];
	size_t n = strlen(path);
	if (n == 0 || n >= sizeof clean) { errno = ENAMETOOLONG; return NULL; }
	memcpy(clean, path, n + 1);
	clean[kiln_path_len_trimmed(clean)] = 0;
	/* Make the parent folder if needed (a user naming out/ds expects it). */
	char *slash = strrchr(clean, '/');
	if (slash && slash != clean) {
		*slash = 0;
		if (kiln_mkdirs(clean)) return NULL;
		*slash = '/';
	}
	char *t = temp_name(clean);
	if (mkdir(t, 0777)) { int e = errno; free(t); errno = e; return NULL; }
	kiln_cleanup_add(t);
	/* The registry holds its own copy; this one is returned to the caller and
	 * freed by commit/abort through the registry lookup. */
	return t;
}

/* Tests set it to take the two-rename path where the exchange works. */
int kiln__no_exchange;

/* Swap two existing paths in one step: a reader finds either the old or the
 * new one at each name, never nothing. -1 with errno EINVAL, ENOSYS or
 * EOPNOTSUPP where the system or the filesystem cannot (then, or without
 * renameat2 at build time, the caller renames twice). */
static int exchange(const char *a, const char *b)
{
#if defined(RENAME_EXCHANGE)
	if (!kiln__no_exchange) return renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE);
#else
	(void)a; (void)b;
#endif
	errno = ENOSYS;
	return -1;
}

int kiln_outdir_commit(const char *tmpdir, const char *path, int force)
{
	struct stat st;
	char old[PATH_MAX] = "";
	if (stat(path, &st) == 0) {
		if (!force) { errno = EEXIST; return -1; }
		/* The new output takes the name and the old one the temporary's,
		 * which stays registered: if the run is killed while the old one
		 * is removed, the cleanup finishes the job. */
		if (exchange(tmpdir, path) == 0) {
			kiln_rmtree(tmpdir);
			kiln_cleanup_remove(tmpdir);
			free((char *)tmpdir);
			return 0;
		}
		if (errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP) return -1;
		/* No exchange here: move the old output aside, then the new one
		 * in; for a moment the name is missing, and a run killed just
		 * then leaves the old output as <temporary>.old-PID. */
		snprintf(old, sizeof old, "%s.old-%ld", tmpdir, (long)getpid());
		if (rename(path, old)) return -1;
	}
	if (rename(tmpdir, path)) {
		int e = errno;
		if (old[0]) rename(old, path);
		errno = e;
		return -1;
	}
	kiln_cleanup_remove(tmpdir);
	if (old[0]) kiln_rmtree(old);
	free((char *)tmpdir);
	return 0;
}

void kiln_outdir_abort(const char *tmpdir)
{
	if (!tmpdir) return;
	kiln_rmtree(tmpdir);
	kiln_cleanup_remove(tmpdir);
	free((char *)tmpdir);
}
