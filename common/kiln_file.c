/*
 * kiln_file.c - whole-file reads with a size cap, and a deterministic walk of
 * files and folders (sorted by name, so outputs never depend on readdir
 * order).
 */
#include "kiln.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

uint8_t *kiln_read_file(const char *path, uint64_t max, size_t *len)
{
	/* open/read, not stdio: one fstat and no stdio buffer per file, which
	 * counts when a tool reads a corpus of thousands of small files. */
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) return NULL;
	struct stat st;
	if (fstat(fd, &st)) { int e = errno; close(fd); errno = e; return NULL; }
	if (S_ISDIR(st.st_mode)) { close(fd); errno = EISDIR; return NULL; }
	if ((uint64_t)st.st_size > max) { close(fd); errno = EFBIG; return NULL; }
	/* Read to EOF rather than trusting st_size (pipes, growing files). */
	size_t cap = st.st_size > 0 ? (size_t)st.st_size + 1 : 65536, n = 0;
	uint8_t *buf = malloc(cap);
	if (!buf) { close(fd); errno = ENOMEM; return NULL; }
	for (;;) {
		ssize_t got = read(fd, buf + n, cap - n);
		if (got < 0) {
			if (errno == EINTR) continue;
			int e = errno ? errno : EIO;
			free(buf);
			close(fd);
			errno = e;
			return NULL;
		}
		n += (size_t)got;
		if (n > max) { free(buf); close(fd); errno = EFBIG; return NULL; }
		if (got == 0) break;
		if (n == cap) {
			uint8_t *nb = realloc(buf, cap * 2);
			if (!nb) { free(buf); close(fd); errno = ENOMEM; return NULL; }
			buf = nb;
			cap *= 2;
		}
	}
	close(fd);
	*len = n;
	return buf;
}

int kiln_is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int walk_dir(const char *dir, kiln_walk_cb cb, void *ud)
{
	DIR *d = opendir(dir);
	if (!d) return cb(dir, 1, errno, ud);
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
		if (n == cap) names = kiln_xrealloc(names, (cap = cap ? cap * 2 : 64) * sizeof *names);
		names[n++] = kiln_xstrdup(e->d_name);
	}
	closedir(d);
	if (n) qsort(names, n, sizeof *names, cmp_names);   /* names is NULL when n == 0 */
	int rc = 0;
	char path[PATH_MAX];
	for (size_t i = 0; i < n; i++) {
		if (!rc) {
			size_t dl = strlen(dir);
			int slash = dl > 0 && dir[dl - 1] == '/';
			if ((size_t)snprintf(path, sizeof path, "%s%s%s", dir, slash ? "" : "/", names[i]) >= sizeof path) {
				rc = cb(names[i], 1, ENAMETOOLONG, ud);
			} else {
				struct stat lst, st;
				if (lstat(path, &lst)) rc = cb(path, 1, errno, ud);
				else if (S_ISDIR(lst.st_mode)) rc = walk_dir(path, cb, ud);
				else if (S_ISLNK(lst.st_mode)) {
					/* Follow links to files; never enter linked folders (loops). */
					if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) rc = cb(path, 0, 0, ud);
				} else if (S_ISREG(lst.st_mode)) rc = cb(path, 0, 0, ud);
			}
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

int kiln_walk(const char *const *inputs, size_t n, kiln_walk_cb cb, void *ud)
{
	for (size_t i = 0; i < n; i++) {
		struct stat st;
		int rc;
		if (stat(inputs[i], &st)) rc = cb(inputs[i], 1, errno, ud);
		else if (S_ISDIR(st.st_mode)) rc = walk_dir(inputs[i], cb, ud);
		else rc = cb(inputs[i], 0, 0, ud);
		if (rc) return rc;
	}
	return 0;
}

struct walk_list { char **v; size_t n, cap, errors; int stop; };

static int walk_list_cb(const char *path, int is_error, int errno_val, void *ud)
{
	struct walk_list *l = ud;
	if (is_error) {
		kiln_file_error(path, "%s", strerror(errno_val));
		l->errors++;
		return l->stop;
	}
	if (l->n == l->cap) l->v = kiln_xrealloc(l->v, (l->cap = l->cap ? 2 * l->cap : 256) * sizeof *l->v);
	l->v[l->n++] = kiln_xstrdup(path);
	return 0;
}

char **kiln_walk_list(const char *const *inputs, size_t n, int stop_on_error, size_t *count, size_t *errors)
{
	struct walk_list l = { NULL, 0, 0, 0, stop_on_error ? 1 : 0 };
	kiln_walk(inputs, n, walk_list_cb, &l);
	*count = l.n;
	*errors = l.errors;
	return l.v;
}

void kiln_free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++) free(v[i]);
	free(v);
}
