/*
 * shard_read.c - open a shard by mmap (or from memory), check its structure
 * before trusting any field, and hand out records in O(1). Payload checks
 * (CRC, padding, token range, shapes) run per record on request, so a reader
 * can verify exactly what it reads. Also: a dataset (folder of shards) as one
 * sequence of records.
 */
#include "shard_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

struct shard_file {
	char *path;
	const uint8_t *base;
	size_t size;
	int mapped;
	shard__header h;
};

const shard_spec *shard_file_spec(const shard_file *f) { return &f->h.spec; }
const char *shard_file_path(const shard_file *f) { return f->path; }
uint64_t shard_file_records(const shard_file *f) { return f->h.record_count; }
uint64_t shard_file_elements(const shard_file *f) { return f->h.element_count; }
uint64_t shard_file_size(const shard_file *f) { return f->size; }
uint32_t shard_file_version_minor(const shard_file *f) { return f->h.minor; }

const char *shard_file_meta(const shard_file *f, size_t *len)
{
	*len = (size_t)f->h.meta_size;
	return (const char *)f->base + f->h.meta_offset;
}

static int entry_at(const shard_file *f, uint64_t i, shard__entry *e)
{
	shard__entry_decode(f->base + f->h.index_offset + i * SHARD_INDEX_ENTRY_SIZE, e);
	return 0;
}

/* Structural checks of header and index against the real file size
 * (man/kiln-shard.5, "Reading"). Nothing in the file is used before it is
 * checked here. */
static int check_structure(shard_file *f, shard_error *err)
{
	const char *n = f->path;
	shard__header *h = &f->h;
	int rc = shard__header_decode(f->base, f->size, h, n, err);
	if (rc) return rc;
	shard_error sub;
	if ((rc = shard_spec_check(&h->spec, &sub)))
		return shard__fail(err, rc, sub.offset, "%s: %s", n, sub.msg);
	if (h->file_size != f->size)
		return shard__fail(err, SHARD_EFORMAT, 120, "%s: file_size field says %llu bytes, file has %zu (truncated or extended)",
		                   n, (unsigned long long)h->file_size, f->size);
	if (h->meta_offset != SHARD_HEADER_SIZE)
		return shard__fail(err, SHARD_EFORMAT, 80, "%s: meta_offset %llu, expected %d", n, (unsigned long long)h->meta_offset, SHARD_HEADER_SIZE);
	if (h->meta_size > f->size - SHARD_HEADER_SIZE)
		return shard__fail(err, SHARD_EFORMAT, 88, "%s: meta_size %llu passes the end of the file", n, (unsigned long long)h->meta_size);
	if (h->data_offset != shard__align8(h->meta_offset + h->meta_size))
		return shard__fail(err, SHARD_EFORMAT, 96, "%s: data_offset %llu, expected %llu", n,
		                   (unsigned long long)h->data_offset, (unsigned long long)shard__align8(h->meta_offset + h->meta_size));
	if (h->data_offset > f->size || h->data_size > f->size - h->data_offset || h->index_offset != h->data_offset + h->data_size
	    || (h->index_offset & 7))
		return shard__fail(err, SHARD_EFORMAT, 104, "%s: data/index layout fields are inconsistent", n);
	if (h->record_count > (f->size - h->index_offset) / SHARD_INDEX_ENTRY_SIZE
	    || h->index_offset + h->record_count * SHARD_INDEX_ENTRY_SIZE != f->size)
		return shard__fail(err, SHARD_EFORMAT, 64, "%s: record_count %llu does not fit the index region", n,
		                   (unsigned long long)h->record_count);
	for (uint64_t o = h->meta_offset + h->meta_size; o < h->data_offset; o++)
		if (f->base[o]) return shard__fail(err, SHARD_EFORMAT, o, "%s: non-zero padding after metadata", n);
	if (shard__crc32(0, f->base + h->meta_offset, h->meta_size) != h->meta_crc)
		return shard__fail(err, SHARD_ECRC, h->meta_offset, "%s: metadata CRC mismatch", n);
	if (shard__crc32(0, f->base + h->index_offset, h->record_count * SHARD_INDEX_ENTRY_SIZE) != h->index_crc)
		return shard__fail(err, SHARD_ECRC, h->index_offset, "%s: index CRC mismatch", n);

	/* Entries are contiguous, in order, and their sizes match their counts. */
	uint64_t expect = h->data_offset, elements = 0;
	for (uint64_t i = 0; i < h->record_count; i++) {
		shard__entry e;
		uint64_t eo = h->index_offset + i * SHARD_INDEX_ENTRY_SIZE;
		entry_at(f, i, &e);
		const uint8_t *raw = f->base + eo;
		for (int b = 52; b < 64; b++)
			if (raw[b]) return shard__fail(err, SHARD_EFORMAT, eo + b, "%s: record %llu: reserved index bytes not zero", n, (unsigned long long)i);
		if (e.offset != expect)
			return shard__fail(err, SHARD_EFORMAT, eo, "%s: record %llu: payload offset %llu, expected %llu", n,
			                   (unsigned long long)i, (unsigned long long)e.offset, (unsigned long long)expect);
		if (e.size > h->index_offset - e.offset)
			return shard__fail(err, SHARD_EFORMAT, eo + 8, "%s: record %llu: payload of %llu bytes passes the data region", n,
			                   (unsigned long long)i, (unsigned long long)e.size);
		if (shard__payload_size(&h->spec, e.n_prompt, e.n_content) != e.size)
			return shard__fail(err, SHARD_EFORMAT, eo + 16, "%s: record %llu: size %llu disagrees with its counts", n,
			                   (unsigned long long)i, (unsigned long long)e.size);
		if (h->spec.kind == SHARD_SPRITES && (e.n_prompt != h->spec.channels || e.n_content != (uint64_t)h->spec.width * h->spec.height))
			return shard__fail(err, SHARD_EFORMAT, eo + 16, "%s: record %llu: sprite shape does not match the header", n, (unsigned long long)i);
		if (h->spec.kind != SHARD_FRAMES && e.start)
			return shard__fail(err, SHARD_EFORMAT, eo + 40, "%s: record %llu: start must be 0", n, (unsigned long long)i);
		elements += e.n_prompt + e.n_content;
		expect = shard__align8(e.offset + e.size);
	}
	if (expect != h->index_offset)
		return shard__fail(err, SHARD_EFORMAT, 112, "%s: index_offset %llu, records end at %llu", n,
		                   (unsigned long long)h->index_offset, (unsigned long long)expect);
	if (elements != h->element_count)
		return shard__fail(err, SHARD_EFORMAT, 72, "%s: element_count %llu, records hold %llu", n,
		                   (unsigned long long)h->element_count, (unsigned long long)elements);
	return SHARD_OK;
}

static int finish_open(shard_file *f, shard_file **out, shard_error *err)
{
	int rc = check_structure(f, err);
	if (rc) { shard_file_close(f); *out = NULL; return rc; }
	*out = f;
	return SHARD_OK;
}

int shard_file_open(const char *path, shard_file **out, shard_error *err)
{
	*out = NULL;
	shard_file *f = calloc(1, sizeof *f);
	if (!f || !(f->path = strdup(path))) { free(f); return shard__fail(err, SHARD_ENOMEM, UINT64_MAX, "%s: out of memory", path); }
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st)) {
		int e = errno;
		if (fd >= 0) close(fd);
		shard_file_close(f);
		return shard__fail(err, SHARD_EIO, UINT64_MAX, "%s: %s", path, strerror(e));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		shard_file_close(f);
		return shard__fail(err, SHARD_EFORMAT, UINT64_MAX, "%s: not a regular file", path);
	}
	f->size = (size_t)st.st_size;
	if (f->size == 0) {
		close(fd);
		shard_file_close(f);
		return shard__fail(err, SHARD_EFORMAT, 0, "%s: empty file", path);
	}
	void *m = mmap(NULL, f->size, PROT_READ, MAP_PRIVATE, fd, 0);
	int e = errno;
	close(fd);
	if (m == MAP_FAILED) {
		shard_file_close(f);
		return shard__fail(err, SHARD_EIO, UINT64_MAX, "%s: mmap: %s", path, strerror(e));
	}
	f->base = m;
	f->mapped = 1;
	return finish_open(f, out, err);
}

int shard_file_open_mem(const void *data, size_t size, const char *name, shard_file **out, shard_error *err)
{
	*out = NULL;
	shard_file *f = calloc(1, sizeof *f);
	if (!f || !(f->path = strdup(name ? name : "(memory)"))) { free(f); return shard__fail(err, SHARD_ENOMEM, UINT64_MAX, "out of memory"); }
	f->base = data;
	f->size = size;
	return finish_open(f, out, err);
}

void shard_file_close(shard_file *f)
{
	if (!f) return;
	if (f->mapped) munmap((void *)f->base, f->size);
	free(f->path);
	free(f);
}

int shard_file_record(const shard_file *f, uint64_t i, shard_record *r, shard_error *err)
{
	if (i >= f->h.record_count)
		return shard__fail(err, SHARD_EINVAL, UINT64_MAX, "%s: record %llu out of range (%llu records)", f->path,
		                   (unsigned long long)i, (unsigned long long)f->h.record_count);
	shard__entry e;
	entry_at(f, i, &e);
	const shard_spec *s = &f->h.spec;
	const uint8_t *p = f->base + e.offset;
	memset(r, 0, sizeof *r);
	r->n_prompt = e.n_prompt;
	r->n_content = e.n_content;
	r->group = e.group;
	r->start = e.start;
	r->crc = e.crc;
	r->offset = e.offset;
	r->size = e.size;
	if (s->kind == SHARD_FRAMES) {
		r->prompt = p;
		r->content = p;
		r->actions = (const uint32_t *)(p + shard__align4(e.n_content * shard__frame_bytes(s)));
	} else {
		r->prompt = p;
		r->content = p + e.n_prompt * s->elem_size;
	}
	return SHARD_OK;
}

/* First element >= limit in an array, or UINT64_MAX. */
static uint64_t first_over(const void *arr, uint32_t es, uint64_t n, uint64_t limit)
{
	if (es == 1 && limit >= 256) return UINT64_MAX;
	if (es == 2 && limit >= 65536) return UINT64_MAX;
	for (uint64_t i = 0; i < n; i++)
		if (shard_elem(arr, es, i) >= limit) return i;
	return UINT64_MAX;
}

int shard_file_verify_record(const shard_file *f, uint64_t i, shard_error *err)
{
	shard_record r;
	int rc = shard_file_record(f, i, &r, err);
	if (rc) return rc;
	const shard_spec *s = &f->h.spec;
	const char *n = f->path;
	unsigned long long ri = (unsigned long long)i;
	if (shard__crc32(0, f->base + r.offset, r.size) != r.crc)
		return shard__fail(err, SHARD_ECRC, r.offset, "%s: record %llu: payload CRC mismatch", n, ri);
	for (uint64_t o = r.offset + r.size; o < shard__align8(r.offset + r.size); o++)
		if (f->base[o]) return shard__fail(err, SHARD_EFORMAT, o, "%s: record %llu: non-zero padding", n, ri);
	if (s->kind == SHARD_FRAMES) {
		uint64_t px = r.n_content * shard__frame_bytes(s);
		for (uint64_t o = r.offset + px; o < r.offset + shard__align4(px); o++)
			if (f->base[o]) return shard__fail(err, SHARD_EFORMAT, o, "%s: record %llu: non-zero padding before actions", n, ri);
		if (s->vocab_size) {
			uint64_t k = first_over(r.actions, 4, r.n_content, s->vocab_size);
			if (k != UINT64_MAX)
				return shard__fail(err, SHARD_ERANGE, (uint64_t)((const uint8_t *)(r.actions + k) - f->base),
				                   "%s: record %llu: frame %llu action %u >= %u action ids", n, ri,
				                   (unsigned long long)k, r.actions[k], s->vocab_size);
		}
		return SHARD_OK;
	}
	uint64_t k = first_over(r.prompt, s->elem_size, r.n_prompt + r.n_content, s->vocab_size);
	if (k != UINT64_MAX)
		return shard__fail(err, SHARD_ERANGE, r.offset + k * s->elem_size, "%s: record %llu: %s token %u at position %llu >= vocab_size %u",
		                   n, ri, k < r.n_prompt ? "prompt" : "content", shard_elem(r.prompt, s->elem_size, k),
		                   (unsigned long long)(k < r.n_prompt ? k : k - r.n_prompt), s->vocab_size);
	return SHARD_OK;
}

int shard_file_verify(const shard_file *f, shard_error *err)
{
	for (uint64_t i = 0; i < f->h.record_count; i++) {
		int rc = shard_file_verify_record(f, i, err);
		if (rc) return rc;
	}
	return SHARD_OK;
}

/* ---- datasets ---------------------------------------------------------- */

struct shard_dataset {
	shard_file **files;
	uint64_t *first;     /* first global record of each file; first[n] = total */
	size_t n;
	uint64_t elements;
};

/* Shard names in numeric order: the writer pads to 5 digits, so from
 * shard-100000 on a longer name is a larger number (plain strcmp put it
 * between 10000 and 10001). */
static int cmp_shard_name(const void *a, const void *b)
{
	const char *x = *(char *const *)a, *y = *(char *const *)b;
	size_t lx = strlen(x), ly = strlen(y);
	return lx != ly ? (lx < ly ? -1 : 1) : strcmp(x, y);
}

/* "shard-NNNNN.kshard" with at least 5 digits. */
static int is_shard_name(const char *s)
{
	size_t len = strlen(s);
	if (len < 18 || strncmp(s, "shard-", 6) || strcmp(s + len - 7, ".kshard")) return 0;
	for (size_t i = 6; i < len - 7; i++)
		if (s[i] < '0' || s[i] > '9') return 0;
	return 1;
}

static int add_file(shard_dataset *d, const char *path, shard_error *err)
{
	shard_file *f;
	int rc = shard_file_open(path, &f, err);
	if (rc) return rc;
	if (d->n > 0) {
		shard_error sub;
		if ((rc = shard_spec_compatible(&d->files[0]->h.spec, &f->h.spec, &sub))) {
			shard__fail(err, rc, sub.offset, "%s: does not match %s: %s", path, d->files[0]->path, sub.msg);
			shard_file_close(f);
			return rc;
		}
	}
	shard_file **nf = realloc(d->files, (d->n + 1) * sizeof *nf);
	uint64_t *fi = realloc(d->first, (d->n + 2) * sizeof *fi);
	if (nf) d->files = nf;
	if (fi) d->first = fi;
	if (!nf || !fi) { shard_file_close(f); return shard__fail(err, SHARD_ENOMEM, UINT64_MAX, "out of memory"); }
	if (d->n == 0) d->first[0] = 0;
	d->files[d->n] = f;
	d->first[d->n + 1] = d->first[d->n] + f->h.record_count;
	d->elements += f->h.element_count;
	d->n++;
	return SHARD_OK;
}

int shard_dataset_open(const char *path, shard_dataset **out, shard_error *err)
{
	*out = NULL;
	shard_dataset *d = calloc(1, sizeof *d);
	if (!d) return shard__fail(err, SHARD_ENOMEM, UINT64_MAX, "out of memory");
	struct stat st;
	int rc = SHARD_OK;
	if (stat(path, &st)) {
		rc = shard__fail(err, SHARD_EIO, UINT64_MAX, "%s: %s", path, strerror(errno));
	} else if (!S_ISDIR(st.st_mode)) {
		rc = add_file(d, path, err);
	} else {
		DIR *dir = opendir(path);
		if (!dir) {
			rc = shard__fail(err, SHARD_EIO, UINT64_MAX, "%s: %s", path, strerror(errno));
		} else {
			char **names = NULL;
			size_t n = 0;
			struct dirent *e;
			while ((e = readdir(dir))) {
				if (!is_shard_name(e->d_name)) continue;
				char **nn = realloc(names, (n + 1) * sizeof *names);
				if (!nn || !(nn[n] = strdup(e->d_name))) { if (nn) names = nn; rc = SHARD_ENOMEM; break; }
				names = nn;
				n++;
			}
			closedir(dir);
			if (rc) shard__fail(err, rc, UINT64_MAX, "out of memory");
			else if (n == 0) rc = shard__fail(err, SHARD_EFORMAT, UINT64_MAX, "%s: no shard-*.kshard files in this folder", path);
			if (!rc) qsort(names, n, sizeof *names, cmp_shard_name);
			for (size_t i = 0; i < n && !rc; i++) {
				char full[4096];
				snprintf(full, sizeof full, "%s/%s", path, names[i]);
				if ((rc = add_file(d, full, err))) break;
				/* Numbering without gaps: a missing shard is an error, not a smaller dataset. */
				if (d->files[i]->h.shard_number != i)
					rc = shard__fail(err, SHARD_EFORMAT, 60, "%s: shard_number %u, expected %zu (a shard is missing or renamed)",
					                 full, d->files[i]->h.shard_number, i);
			}
			for (size_t i = 0; i < n; i++) free(names[i]);
			free(names);
		}
	}
	if (rc) { shard_dataset_close(d); return rc; }
	*out = d;
	return SHARD_OK;
}

void shard_dataset_close(shard_dataset *d)
{
	if (!d) return;
	for (size_t i = 0; i < d->n; i++) shard_file_close(d->files[i]);
	free(d->files);
	free(d->first);
	free(d);
}

const shard_spec *shard_dataset_spec(const shard_dataset *d) { return &d->files[0]->h.spec; }
uint64_t shard_dataset_records(const shard_dataset *d) { return d->first[d->n]; }
uint64_t shard_dataset_elements(const shard_dataset *d) { return d->elements; }
size_t shard_dataset_nfiles(const shard_dataset *d) { return d->n; }
const shard_file *shard_dataset_file(const shard_dataset *d, size_t k) { return k < d->n ? d->files[k] : NULL; }
const char *shard_dataset_meta(const shard_dataset *d, size_t *len) { return shard_file_meta(d->files[0], len); }

/* File holding global record i (i < total): largest k with first[k] <= i. */
static size_t file_of(const shard_dataset *d, uint64_t i)
{
	size_t lo = 0, hi = d->n;
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;
		if (d->first[mid] <= i) lo = mid; else hi = mid;
	}
	return lo;
}

static int range_check(const shard_dataset *d, uint64_t i, shard_error *err)
{
	if (i < d->first[d->n]) return SHARD_OK;
	return shard__fail(err, SHARD_EINVAL, UINT64_MAX, "record %llu out of range (%llu records)",
	                   (unsigned long long)i, (unsigned long long)d->first[d->n]);
}

int shard_dataset_record(const shard_dataset *d, uint64_t i, shard_record *rec, shard_error *err)
{
	int rc = range_check(d, i, err);
	if (rc) return rc;
	size_t k = file_of(d, i);
	return shard_file_record(d->files[k], i - d->first[k], rec, err);
}

int shard_dataset_verify_record(const shard_dataset *d, uint64_t i, shard_error *err)
{
	int rc = range_check(d, i, err);
	if (rc) return rc;
	size_t k = file_of(d, i);
	return shard_file_verify_record(d->files[k], i - d->first[k], err);
}
