/*
 * replay.c - run a libFuzzer target's entry point over files and folders of
 * seeds without libFuzzer (zstd's regression_driver, stb's fuzz_main), so
 * `make test` and `make check` replay every committed seed. One PASS line per
 * input: a crash or sanitizer report ends the process and fails the suite.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int count;

static void run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) { printf("FAIL: fuzz/%s: cannot open\n", path); return; }
	size_t cap = 1 << 16, n = 0, got;
	uint8_t *buf = malloc(cap);
	while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n == cap) buf = realloc(buf, cap *= 2);
	}
	fclose(f);
	/* Exact-size copy so ASan catches reads past the input's end. */
	uint8_t *exact = malloc(n ? n : 1);
	memcpy(exact, buf, n);
	free(buf);
	LLVMFuzzerTestOneInput(exact, n);
	free(exact);
	count++;
}

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void run_path(const char *path)
{
	struct stat st;
	if (stat(path, &st)) { printf("FAIL: fuzz/%s: missing\n", path); return; }
	if (!S_ISDIR(st.st_mode)) { run_file(path); return; }
	DIR *d = opendir(path);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.') continue;
		names = realloc(names, (n + 1) * sizeof *names);
		size_t len = strlen(path) + strlen(e->d_name) + 2;
		names[n] = malloc(len);
		snprintf(names[n++], len, "%s/%s", path, e->d_name);
	}
	if (d) closedir(d);
	qsort(names, n, sizeof *names, cmp);
	for (size_t i = 0; i < n; i++) { run_path(names[i]); free(names[i]); }
	free(names);
}

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) run_path(argv[i]);
	/* One line per target keeps the count meaningful: every seed ran to the end. */
	printf("PASS: fuzz/replay-%d-seeds\n", count);
	return count ? 0 : 1;
}
