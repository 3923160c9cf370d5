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

size_t kiln_path_len_trimmed(const char *path)
{
	size_t n = strlen(path);
	while (n > 1 && path[n - 1] == '/') n--;
	return n;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The walk's current path, one buffer shared by every level: a PATH_MAX
 * array per level overflowed the stack on trees about 2,000 folders deep. */
struct walk { char *path; size_t cap; kiln_walk_cb cb; void *ud; };

/* Append name to the folder path of length len; returns the new length. */
static size_t walk_join(struct walk *w, size_t len, const char *name)
{
	int slash = len > 0 && w->path[len - 1] == '/';
	size_t nl = strlen(name), n = len + !slash + nl;
	if (n + 1 > w->cap) w->path = kiln_xrealloc(w->path, w->cap = 2 * (n + 1));
	if (!slash) w->path[len] = '/';
	memcpy(w->path + n - nl, name, nl + 1);
	return n;
}

/* The names in folder dir, sorted; NULL on error (errno set). */
static char **read_names(const char *dir, size_t *count)
{
	DIR *d = opendir(dir);
	if (!d) return NULL;
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
		if (n == cap) names = kiln_xrealloc(names, (cap = cap ? cap * 2 : 64) * sizeof *names);
		names[n++] = kiln_xstrdup(e->d_name);
	}
	closedir(d);
	if (n) qsort(names, n, sizeof *names, cmp_names);
	else names = kiln_xmalloc(1);   /* an empty folder is not an error */
	*count = n;
	return names;
}

/* The KILN_SKIP_* value of a non-regular, non-folder, non-link mode. */
static int skip_kind(mode_t mode)
{
	if (S_ISFIFO(mode)) return KILN_SKIP_FIFO;
	if (S_ISCHR(mode)) return KILN_SKIP_CHARDEV;
	if (S_ISBLK(mode)) return KILN_SKIP_BLOCKDEV;
	if (S_ISSOCK(mode)) return KILN_SKIP_SOCKET;
	return KILN_SKIP_OTHER;
}

const char *kiln_walk_what(int info)
{
	switch (info) {
	case KILN_SKIP_FIFO: return "a FIFO, not a regular file";
	case KILN_SKIP_CHARDEV: return "a character device, not a regular file";
	case KILN_SKIP_BLOCKDEV: return "a block device, not a regular file";
	case KILN_SKIP_SOCKET: return "a socket, not a regular file";
	case KILN_SKIP_BROKEN_LINK: return "a broken symbolic link";
	case KILN_SKIP_LINK_DIR: return "a symbolic link to a folder (linked folders are not entered)";
	case KILN_SKIP_LINK_SPECIAL: return "a symbolic link to a FIFO, device or socket";
	default: return "not a regular file";
	}
}

/* Every skipped entry is warned about here, once for all callers: input
 * left out is never silent, under --quiet too. */
static int skip(struct walk *w, int info)
{
	kiln_warn("%s: skipped: %s", w->path, kiln_walk_what(info));
	return w->cb(w->path, KILN_WALK_SKIPPED, info, w->ud);
}

static int walk_dir(struct walk *w, size_t len)
{
	size_t n;
	char **names = read_names(w->path, &n);
	if (!names) return w->cb(w->path, KILN_WALK_ERROR, errno, w->ud);
	int rc = 0;
	for (size_t i = 0; i < n; i++) {
		if (!rc) {
			size_t sub = walk_join(w, len, names[i]);
			struct stat lst, st;
			/* The path as a whole must still work for the tool's open(). */
			if (sub >= PATH_MAX) rc = w->cb(w->path, KILN_WALK_ERROR, ENAMETOOLONG, w->ud);
			else if (lstat(w->path, &lst)) rc = w->cb(w->path, KILN_WALK_ERROR, errno, w->ud);
			else if (S_ISDIR(lst.st_mode)) rc = walk_dir(w, sub);
			else if (S_ISREG(lst.st_mode)) rc = w->cb(w->path, KILN_WALK_FILE, 0, w->ud);
			else if (!S_ISLNK(lst.st_mode)) rc = skip(w, skip_kind(lst.st_mode));
			else if (stat(w->path, &st)) {
				/* A link to nothing is left out; one whose target cannot be
				 * looked at (EACCES, ...) is an unreadable file. */
				int e = errno;
				if (e == ENOENT || e == ENOTDIR || e == ELOOP)
					rc = skip(w, KILN_SKIP_BROKEN_LINK);
				else
					rc = w->cb(w->path, KILN_WALK_ERROR, e, w->ud);
			}
			/* Follow links to files; never enter linked folders (loops). */
			else if (S_ISREG(st.st_mode)) rc = w->cb(w->path, KILN_WALK_FILE, 0, w->ud);
			else rc = skip(w, S_ISDIR(st.st_mode) ? KILN_SKIP_LINK_DIR : KILN_SKIP_LINK_SPECIAL);
			w->path[len] = 0;
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

static int walk_top(const char *dir, kiln_walk_cb cb, void *ud)
{
	struct walk w = { NULL, 0, cb, ud };
	size_t len = strlen(dir);
	w.path = kiln_xmalloc(w.cap = len + 256);
	memcpy(w.path, dir, len + 1);
	int rc = walk_dir(&w, len);
	free(w.path);
	return rc;
}

int kiln_walk(const char *const *inputs, size_t n, kiln_walk_cb cb, void *ud)
{
	for (size_t i = 0; i < n; i++) {
		struct stat st;
		int rc;
		if (stat(inputs[i], &st)) rc = cb(inputs[i], KILN_WALK_ERROR, errno, ud);
		else if (S_ISDIR(st.st_mode)) rc = walk_top(inputs[i], cb, ud);
		else rc = cb(inputs[i], KILN_WALK_FILE, 0, ud);
		if (rc) return rc;
	}
	return 0;
}

struct walk_list { char **v; size_t n, cap, errors, skipped; int stop; };

static int walk_list_cb(const char *path, int kind, int info, void *ud)
{
	struct walk_list *l = ud;
	if (kind == KILN_WALK_SKIPPED) {
		l->skipped++;
		return 0;
	}
	if (kind == KILN_WALK_ERROR) {
		kiln_file_error(path, "%s", strerror(info));
		l->errors++;
		return l->stop;
	}
	if (l->n == l->cap) l->v = kiln_xrealloc(l->v, (l->cap = l->cap ? 2 * l->cap : 256) * sizeof *l->v);
	l->v[l->n++] = kiln_xstrdup(path);
	return 0;
}

char **kiln_walk_list(const char *const *inputs, size_t n, int stop_on_error, size_t *count, size_t *errors,
                      size_t *skipped)
{
	struct walk_list l = { NULL, 0, 0, 0, 0, stop_on_error ? 1 : 0 };
	kiln_walk(inputs, n, walk_list_cb, &l);
	*count = l.n;
	*errors = l.errors;
	if (skipped) *skipped = l.skipped;
	return l.v;
}

void kiln_free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++) free(v[i]);
	free(v);
}
