/*
 * shard_write.c - write a dataset: records are appended to the current shard
 * (written as "shard-NNNNN.kshard.tmp"), whose index and header are written
 * when it is full or the writer closes, and which is renamed into place only
 * then. manifest.json is written last, also through a temporary name.
 */
#define _GNU_SOURCE   /* sync_file_range */
#include "shard_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct shard_writer {
	char *dir;
	shard_spec spec;
	uint64_t max_bytes;
	char *meta;             /* copy of the metadata JSON ("" if none) */
	size_t meta_len;

	/* current shard */
	FILE *fp;
	char *iobuf;            /* its stdio buffer (reused from shard to shard) */
	char *tmp_path, *final_path;
	uint32_t shard_number;  /* of the current (or next) shard */
	uint64_t pos;           /* bytes written to the current shard */
	uint64_t started;       /* bytes of it handed to the kernel's writeback */
	shard__entry *entries;
	uint64_t n_entries, cap_entries, elements;

	/* frames episode in progress */
	int in_episode;
	uint64_t ep_offset, ep_frames;
	uint32_t ep_crc;
	uint32_t *ep_actions;
	uint64_t ep_cap;

	/* finished shards, for manifest.json */
	struct { uint64_t records, elements, bytes; } *done;
	uint32_t n_done;
	uint64_t total_records, total_elements, total_bytes;
	int failed;
};

static const uint8_t zeros[64];

static int io_fail(shard_writer *w, shard_error *err, const char *what)
{
	w->failed = 1;
	return shard__fail(err, SHARD_EIO, w->pos, "%s: %s: %s", w->tmp_path ? w->tmp_path : w->dir, what, strerror(errno));
}

#define IOBUF_SIZE (1u << 20)

/* Bytes written between two starts of writeback. */
#define WRITEBACK_STEP (8u << 20)

/* Have the kernel start writing what the shard holds so far to disk, without
 * waiting: the fsync that finishes the shard then waits only for the tail,
 * rather than for the whole shard after the last record. A hint (Linux
 * only): its failure is ignored, and fsync reports real write errors. */
static int start_writeback(shard_writer *w, shard_error *err)
{
	if (fflush(w->fp)) return io_fail(w, err, "write failed");
#if defined(SYNC_FILE_RANGE_WRITE)
	sync_file_range(fileno(w->fp), (off_t)w->started, (off_t)(w->pos - w->started), SYNC_FILE_RANGE_WRITE);
#endif
	w->started = w->pos;
	return SHARD_OK;
}

static int put(shard_writer *w, const void *p, size_t n, shard_error *err)
{
	if (n && fwrite(p, 1, n, w->fp) != n) return io_fail(w, err, "write failed");
	w->pos += n;
	if (w->pos - w->started >= WRITEBACK_STEP) return start_writeback(w, err);
	return SHARD_OK;
}

static int pad_to(shard_writer *w, uint64_t target, shard_error *err)
{
	while (w->pos < target) {
		size_t k = target - w->pos > sizeof zeros ? sizeof zeros : (size_t)(target - w->pos);
		int rc = put(w, zeros, k, err);
		if (rc) return rc;
	}
	return SHARD_OK;
}

static int open_shard(shard_writer *w, shard_error *err)
{
	size_t len = strlen(w->dir) + 40;
	w->final_path = malloc(len);
	w->tmp_path = malloc(len + 4);
	if (!w->final_path || !w->tmp_path) return shard__fail(err, SHARD_ENOMEM, UINT64_MAX, "out of memory");
	snprintf(w->final_path, len, "%s/shard-%05u.kshard", w->dir, w->shard_number);
	snprintf(w->tmp_path, len + 4, "%s.tmp", w->final_path);
	w->fp = fopen(w->tmp_path, "wb");
	if (!w->fp) return io_fail(w, err, "cannot create");
	/* 1 MiB writes: glibc ignores the size given with a NULL buffer and
	 * writes in 4 KiB pieces, one system call per small record. */
	if (!w->iobuf) w->iobuf = malloc(IOBUF_SIZE);
	setvbuf(w->fp, w->iobuf, _IOFBF, w->iobuf ? IOBUF_SIZE : BUFSIZ);
	w->pos = 0;
	w->started = 0;
	w->n_entries = 0;
	w->elements = 0;
	/* Header placeholder; the real one is written when the shard is finished. */
	int rc = pad_to(w, SHARD_HEADER_SIZE, err);
	if (!rc) rc = put(w, w->meta, w->meta_len, err);
	if (!rc) rc = pad_to(w, shard__align8(w->pos), err);
	return rc;
}

static int finish_shard(shard_writer *w, shard_error *err)
{
	shard__header h;
	memset(&h, 0, sizeof h);
	h.major = SHARD_VERSION_MAJOR;
	h.minor = SHARD_VERSION_MINOR;
	h.spec = w->spec;
	h.shard_number = w->shard_number;
	h.record_count = w->n_entries;
	h.element_count = w->elements;
	h.meta_offset = SHARD_HEADER_SIZE;
	h.meta_size = w->meta_len;
	h.data_offset = shard__align8(SHARD_HEADER_SIZE + w->meta_len);
	h.index_offset = w->pos;
	h.data_size = h.index_offset - h.data_offset;
	h.file_size = h.index_offset + w->n_entries * SHARD_INDEX_ENTRY_SIZE;
	h.meta_crc = shard__crc32(0, w->meta, w->meta_len);
	uint32_t icrc = 0;
	uint8_t buf[SHARD_INDEX_ENTRY_SIZE];
	for (uint64_t i = 0; i < w->n_entries; i++) {
		shard__entry_encode(&w->entries[i], buf);
		icrc = shard__crc32(icrc, buf, sizeof buf);
		int rc = put(w, buf, sizeof buf, err);
		if (rc) return rc;
	}
	h.index_crc = icrc;
	uint8_t hb[SHARD_HEADER_SIZE];
	shard__header_encode(&h, hb);
	if (fseek(w->fp, 0, SEEK_SET) || fwrite(hb, 1, sizeof hb, w->fp) != sizeof hb)
		return io_fail(w, err, "cannot write header");
	if (fflush(w->fp) || fsync(fileno(w->fp))) return io_fail(w, err, "flush failed");
	int cr = fclose(w->fp);
	w->fp = NULL;
	if (cr) return io_fail(w, err, "close failed");
	if (rename(w->tmp_path, w->final_path)) return io_fail(w, err, "rename failed");
	void *nd = realloc(w->done, (w->n_done + 1) * sizeof *w->done);
	if (!nd) return shard__fail(err, SHARD_ENOMEM, UINT64_MAX, "out of memory");
	w->done = nd;
	w->done[w->n_done].records = w->n_entries;
	w->done[w->n_done].elements = w->elements;
	w->done[w->n_done].bytes = h.file_size;
	w->n_done++;
	w->total_records += w->n_entries;
	w->total_elements += w->elements;
	w->total_bytes += h.file_size;
	free(w->tmp_path);
	free(w->final_path);
	w->tmp_path = w->final_path = NULL;
	w->shard_number++;
	return SHARD_OK;
}

/* Make room for a record of `size` payload bytes: open the first shard, or
 * roll over when this record would pass the limit (never for an empty shard). */
static int ensure_room(shard_writer *w, uint64_t size, shard_error *err)
{
	int rc;
	if (w->failed) return shard__fail(err, SHARD_EINVAL, UINT64_MAX, "%s: writer failed earlier", w->dir);
	if (w->fp && w->n_entries > 0) {
		uint64_t after = shard__align8(w->pos + size) + (w->n_entries + 1) * SHARD_INDEX_ENTRY_SIZE;
		if (after > w->max_bytes && (rc = finish_shard(w, err))) return rc;
	}
	if (!w->fp && (rc = open_shard(w, err))) return rc;
	if (w->n_entries == w->cap_entries) {
		uint64_t nc = w->cap_entries ? w->cap_entries * 2 : 1024;
		shard__entry *ne = realloc(w->entries, nc * sizeof *ne);
		if (!ne) return shard__fail(err, SHARD_ENOMEM, UINT64_MAX, "out of memory");
		w->entries = ne;
		w->cap_entries = nc;
	}
	return SHARD_OK;
}

int shard_writer_create(const char *dir, const shard_spec *spec, const shard_writer_opts *opts,
                        shard_writer **out, shard_error *err)
{
	*out = NULL;
	int rc = shard_spec_check(spec, err);
	if (rc) return rc;
	const char *meta = opts && opts->meta_json ? opts->meta_json : "";
	size_t bad;
	/* manifest.json embeds it as is: anything but an object would break it */
	if (*meta && shard__json_object(meta, strlen(meta), &bad))
		return shard__fail(err, SHARD_EINVAL, UINT64_MAX, "%s: metadata is not a JSON object in UTF-8 (at its byte %zu)",
		                   dir, bad);
	shard_writer *w = calloc(1, sizeof *w);
	if (!w) return shard__fail(err, SHARD_ENOMEM, UINT64_MAX, "out of memory");
	w->dir = strdup(dir);
	w->spec = *spec;
	w->max_bytes = opts && opts->max_shard_bytes ? opts->max_shard_bytes : SHARD_DEFAULT_MAX_BYTES;
	w->meta_len = strlen(meta);
	w->meta = strdup(meta);
	if (!w->dir || !w->meta) { shard_writer_abort(w); return shard__fail(err, SHARD_ENOMEM, UINT64_MAX, "out of memory"); }
	*out = w;
	return SHARD_OK;
}

static int check_counts(shard_writer *w, uint64_t n_prompt, uint64_t n_content, shard_error *err)
{
	if (w->spec.kind == SHARD_FRAMES)
		return shard__fail(err, SHARD_EINVAL, UINT64_MAX, "%s: frames datasets take shard_writer_frame", w->dir);
	if (w->spec.kind == SHARD_SPRITES && (n_prompt != w->spec.channels || n_content != (uint64_t)w->spec.width * w->spec.height))
		return shard__fail(err, SHARD_EINVAL, UINT64_MAX, "%s: a sprite needs %u conditioning tokens and %ux%u cells, got %llu and %llu",
		                   w->dir, w->spec.channels, w->spec.width, w->spec.height,
		                   (unsigned long long)n_prompt, (unsigned long long)n_content);
	if (shard__payload_size(&w->spec, n_prompt, n_content) == UINT64_MAX)
		return shard__fail(err, SHARD_ERANGE, UINT64_MAX, "%s: record too large", w->dir);
	return SHARD_OK;
}

static int range_fail(shard_writer *w, shard_error *err, const char *seg, uint64_t pos, uint32_t v)
{
	return shard__fail(err, SHARD_ERANGE, UINT64_MAX, "%s: record %llu: %s token %u at position %llu >= vocab_size %u",
	                   w->dir, (unsigned long long)(w->total_records + w->n_entries), seg, v,
	                   (unsigned long long)pos, w->spec.vocab_size);
}

static void push_entry(shard_writer *w, uint64_t off, uint64_t size, uint64_t np, uint64_t nc,
                       uint64_t group, uint64_t start, uint32_t crc)
{
	shard__entry *e = &w->entries[w->n_entries++];
	e->offset = off; e->size = size; e->n_prompt = np; e->n_content = nc;
	e->group = group; e->start = start; e->crc = crc;
	w->elements += np + nc;
}

/* shard_writer_add and _add_crc: crc is the record's checksum, or NULL to
 * compute it here. */
static int add_bytes(shard_writer *w, const void *prompt, uint64_t n_prompt, const void *content,
                     uint64_t n_content, uint64_t group, const uint32_t *known_crc, shard_error *err)
{
	int rc = check_counts(w, n_prompt, n_content, err);
	if (rc) return rc;
	uint32_t es = w->spec.elem_size;
	/* Never store a token the vocabulary cannot hold (no silent truncation);
	 * skipped only when every value of the element type is a valid id. */
	int full = (es == 1 && w->spec.vocab_size >= 256) || (es == 2 && w->spec.vocab_size >= 65536);
	for (uint64_t i = 0; i < n_prompt && !full; i++)
		if (shard_elem(prompt, es, i) >= w->spec.vocab_size) return range_fail(w, err, "prompt", i, shard_elem(prompt, es, i));
	for (uint64_t i = 0; i < n_content && !full; i++)
		if (shard_elem(content, es, i) >= w->spec.vocab_size) return range_fail(w, err, "content", i, shard_elem(content, es, i));
	uint64_t size = (n_prompt + n_content) * es;
	if ((rc = ensure_room(w, size, err))) return rc;
	uint64_t off = w->pos;
	uint32_t crc;
	if (known_crc) {
		crc = *known_crc;
	} else {
		crc = shard__crc32(0, prompt, n_prompt * es);
		crc = shard__crc32(crc, content, n_content * es);
	}
	if ((rc = put(w, prompt, n_prompt * es, err)) || (rc = put(w, content, n_content * es, err))
	    || (rc = pad_to(w, shard__align8(w->pos), err)))
		return rc;
	push_entry(w, off, size, n_prompt, n_content, group, 0, crc);
	return SHARD_OK;
}

int shard_writer_add(shard_writer *w, const void *prompt, uint64_t n_prompt,
                     const void *content, uint64_t n_content, uint64_t group, shard_error *err)
{
	return add_bytes(w, prompt, n_prompt, content, n_content, group, NULL, err);
}

int shard_writer_add_crc(shard_writer *w, const void *prompt, uint64_t n_prompt,
                         const void *content, uint64_t n_content, uint64_t group,
                         uint32_t crc, shard_error *err)
{
	return add_bytes(w, prompt, n_prompt, content, n_content, group, &crc, err);
}

/* Convert u32 ids to the element size in chunks, checking the range. */
static int put_ids(shard_writer *w, const uint32_t *ids, uint64_t n, const char *seg, uint32_t *crc, shard_error *err)
{
	uint8_t buf[4096];
	uint32_t es = w->spec.elem_size;
	uint64_t per = sizeof buf / es;
	for (uint64_t i = 0; i < n; i += per) {
		uint64_t k = n - i < per ? n - i : per;
		shard_pack_ids(buf, ids + i, k, es);
		*crc = shard__crc32(*crc, buf, k * es);
		int rc = put(w, buf, k * es, err);
		if (rc) return rc;
	}
	(void)seg;
	return SHARD_OK;
}

int shard_writer_add_u32(shard_writer *w, const uint32_t *prompt, uint64_t n_prompt,
                         const uint32_t *content, uint64_t n_content, uint64_t group, shard_error *err)
{
	int rc = check_counts(w, n_prompt, n_content, err);
	if (rc) return rc;
	for (uint64_t i = 0; i < n_prompt; i++)
		if (prompt[i] >= w->spec.vocab_size) return range_fail(w, err, "prompt", i, prompt[i]);
	for (uint64_t i = 0; i < n_content; i++)
		if (content[i] >= w->spec.vocab_size) return range_fail(w, err, "content", i, content[i]);
	uint64_t size = (n_prompt + n_content) * w->spec.elem_size;
	if ((rc = ensure_room(w, size, err))) return rc;
	uint64_t off = w->pos;
	uint32_t crc = 0;
	if ((rc = put_ids(w, prompt, n_prompt, "prompt", &crc, err)) || (rc = put_ids(w, content, n_content, "content", &crc, err))
	    || (rc = pad_to(w, shard__align8(w->pos), err)))
		return rc;
	push_entry(w, off, size, n_prompt, n_content, group, 0, crc);
	return SHARD_OK;
}

int shard_writer_frame(shard_writer *w, const uint8_t *pixels, uint32_t action, shard_error *err)
{
	int rc;
	if (w->spec.kind != SHARD_FRAMES)
		return shard__fail(err, SHARD_EINVAL, UINT64_MAX, "%s: not a frames dataset", w->dir);
	if (w->spec.vocab_size && action >= w->spec.vocab_size)
		return shard__fail(err, SHARD_ERANGE, UINT64_MAX, "%s: episode frame %llu: action %u >= %u action ids", w->dir,
		                   (unsigned long long)w->ep_frames, action, w->spec.vocab_size);
	if (!w->in_episode) {
		/* The episode's size is unknown: roll over only if the shard is already full. */
		if ((rc = ensure_room(w, w->fp && w->pos >= w->max_bytes ? w->max_bytes : 0, err))) return rc;
		w->in_episode = 1;
		w->ep_offset = w->pos;
		w->ep_frames = 0;
		w->ep_crc = 0;
	}
	uint64_t fb = shard__frame_bytes(&w->spec);
	if (w->ep_frames == w->ep_cap) {
		uint64_t nc = w->ep_cap ? w->ep_cap * 2 : 256;
		uint32_t *na = realloc(w->ep_actions, nc * sizeof *na);
		if (!na) return shard__fail(err, SHARD_ENOMEM, UINT64_MAX, "out of memory");
		w->ep_actions = na;
		w->ep_cap = nc;
	}
	w->ep_crc = shard__crc32(w->ep_crc, pixels, fb);
	if ((rc = put(w, pixels, fb, err))) return rc;
	w->ep_actions[w->ep_frames++] = action;
	return SHARD_OK;
}

int shard_writer_end_episode(shard_writer *w, uint64_t group, uint64_t start, shard_error *err)
{
	if (!w->in_episode)
		return shard__fail(err, SHARD_EINVAL, UINT64_MAX, "%s: no episode in progress (an episode needs at least one frame)", w->dir);
	int rc;
	uint64_t px = w->pos - w->ep_offset;
	uint64_t aligned = shard__align4(px);
	w->ep_crc = shard__crc32(w->ep_crc, zeros, aligned - px);
	if ((rc = pad_to(w, w->ep_offset + aligned, err))) return rc;
	uint8_t buf[4];
	for (uint64_t i = 0; i < w->ep_frames; i++) {
		shard__put32(buf, w->ep_actions[i]);
		w->ep_crc = shard__crc32(w->ep_crc, buf, 4);
		if ((rc = put(w, buf, 4, err))) return rc;
	}
	uint64_t size = w->pos - w->ep_offset;
	if ((rc = pad_to(w, shard__align8(w->pos), err))) return rc;
	push_entry(w, w->ep_offset, size, 0, w->ep_frames, group, start, w->ep_crc);
	w->in_episode = 0;
	return SHARD_OK;
}

int shard_writer_add_record(shard_writer *w, const shard_record *rec, shard_error *err)
{
	if (w->spec.kind != SHARD_FRAMES)
		return shard_writer_add(w, rec->prompt, rec->n_prompt, rec->content, rec->n_content, rec->group, err);
	uint64_t fb = shard__frame_bytes(&w->spec);
	if (rec->size != shard__payload_size(&w->spec, 0, rec->n_content))
		return shard__fail(err, SHARD_EINVAL, UINT64_MAX, "%s: record shape does not match this dataset", w->dir);
	if (rec->n_content == 0 && !w->in_episode) {
		/* An episode of no frames is a valid record (an empty payload) that
		 * the streaming calls cannot make; split and merge copy it as is. */
		int rc = ensure_room(w, 0, err);
		if (rc) return rc;
		push_entry(w, w->pos, 0, 0, 0, rec->group, rec->start, shard__crc32(0, NULL, 0));
		return SHARD_OK;
	}
	const uint8_t *px = rec->content;
	for (uint64_t i = 0; i < rec->n_content; i++) {
		int rc = shard_writer_frame(w, px + i * fb, rec->actions[i], err);
		if (rc) return rc;
	}
	return shard_writer_end_episode(w, rec->group, rec->start, err);
}

uint64_t shard_writer_records(const shard_writer *w) { return w->total_records + w->n_entries; }
uint64_t shard_writer_bytes(const shard_writer *w) { return w->total_bytes + (w->fp ? w->pos : 0); }

static void json_u32_or_null(FILE *fp, const char *key, uint32_t v)
{
	if (v == SHARD_NO_TOKEN) fprintf(fp, "\"%s\": null, ", key);
	else fprintf(fp, "\"%s\": %u, ", key, v);
}

static int write_manifest(shard_writer *w, shard_error *err)
{
	size_t len = strlen(w->dir) + 32;
	char *path = malloc(len), *tmp = malloc(len + 8);
	if (!path || !tmp) { free(path); free(tmp); return shard__fail(err, SHARD_ENOMEM, UINT64_MAX, "out of memory"); }
	snprintf(path, len, "%s/manifest.json", w->dir);
	snprintf(tmp, len + 8, "%s.tmp", path);
	FILE *fp = fopen(tmp, "w");
	int rc = SHARD_OK;
	if (!fp) {
		rc = shard__fail(err, SHARD_EIO, UINT64_MAX, "%s: %s", tmp, strerror(errno));
	} else {
		const shard_spec *s = &w->spec;
		char fp_hex[2 * SHARD_FINGERPRINT_SIZE + 1];
		static const char hx[] = "0123456789abcdef";
		for (int i = 0; i < SHARD_FINGERPRINT_SIZE; i++) {
			fp_hex[2 * i] = hx[s->fingerprint[i] >> 4];
			fp_hex[2 * i + 1] = hx[s->fingerprint[i] & 15];
		}
		fp_hex[2 * SHARD_FINGERPRINT_SIZE] = 0;
		fprintf(fp, "{\n  \"format\": \"kiln-shard\", \"version\": \"%d.%d\", \"kind\": \"%s\",\n",
		        SHARD_VERSION_MAJOR, SHARD_VERSION_MINOR, shard_kind_name(s->kind));
		fprintf(fp, "  \"elem_size\": %u, \"vocab_size\": %u, \"flags\": %u,\n  ", s->elem_size, s->vocab_size, s->flags);
		json_u32_or_null(fp, "bos_id", s->bos_id);
		json_u32_or_null(fp, "eos_id", s->eos_id);
		json_u32_or_null(fp, "pad_id", s->pad_id);
		json_u32_or_null(fp, "mask_id", s->mask_id);
		fprintf(fp, "\n  \"width\": %u, \"height\": %u, \"channels\": %u,\n", s->width, s->height, s->channels);
		fprintf(fp, "  \"fingerprint\": \"%s\",\n", fp_hex);
		fprintf(fp, "  \"records\": %llu, \"elements\": %llu, \"bytes\": %llu,\n  \"shards\": [",
		        (unsigned long long)w->total_records, (unsigned long long)w->total_elements, (unsigned long long)w->total_bytes);
		for (uint32_t i = 0; i < w->n_done; i++)
			fprintf(fp, "%s\n    {\"file\": \"shard-%05u.kshard\", \"records\": %llu, \"elements\": %llu, \"bytes\": %llu}",
			        i ? "," : "", i, (unsigned long long)w->done[i].records, (unsigned long long)w->done[i].elements,
			        (unsigned long long)w->done[i].bytes);
		fprintf(fp, "\n  ],\n  \"meta\": %s\n}\n", w->meta_len ? w->meta : "null");
		if (fflush(fp) || fsync(fileno(fp))) rc = shard__fail(err, SHARD_EIO, UINT64_MAX, "%s: %s", tmp, strerror(errno));
		if (fclose(fp) && !rc) rc = shard__fail(err, SHARD_EIO, UINT64_MAX, "%s: %s", tmp, strerror(errno));
		if (!rc && rename(tmp, path)) rc = shard__fail(err, SHARD_EIO, UINT64_MAX, "%s: %s", path, strerror(errno));
		if (rc) unlink(tmp);
	}
	free(path);
	free(tmp);
	return rc;
}

int shard_writer_close(shard_writer *w, shard_error *err)
{
	int rc = SHARD_OK;
	if (w->in_episode) rc = shard__fail(err, SHARD_EINVAL, UINT64_MAX, "%s: an episode was not ended", w->dir);
	else if (w->failed) rc = shard__fail(err, SHARD_EIO, UINT64_MAX, "%s: writer failed earlier", w->dir);
	/* An empty dataset still gets one (empty) shard so readers learn its spec. */
	if (!rc && !w->fp && w->n_done == 0) rc = open_shard(w, err);
	if (!rc && w->fp) rc = finish_shard(w, err);
	if (!rc) rc = write_manifest(w, err);
	if (rc) { shard_writer_abort(w); return rc; }
	free(w->iobuf);
	free(w->dir);
	free(w->meta);
	free(w->entries);
	free(w->ep_actions);
	free(w->done);
	free(w);
	return SHARD_OK;
}

void shard_writer_abort(shard_writer *w)
{
	if (!w) return;
	if (w->fp) fclose(w->fp);
	free(w->iobuf);
	if (w->tmp_path) unlink(w->tmp_path);
	/* Finished shards of this writer go too: a partial dataset is no dataset. */
	for (uint32_t i = 0; i < w->shard_number; i++) {
		char p[4096];
		snprintf(p, sizeof p, "%s/shard-%05u.kshard", w->dir, i);
		unlink(p);
	}
	free(w->tmp_path);
	free(w->final_path);
	free(w->dir);
	free(w->meta);
	free(w->entries);
	free(w->ep_actions);
	free(w->done);
	free(w);
}
