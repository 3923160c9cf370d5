/*
 * trn_data.c - turns a Kiln dataset (tokens or sprites, read through
 * shard.h) into training batches. A document is BOS prompt content EOS; rows
 * are packed with whole documents, long documents are cut into row-sized
 * pieces, prompt predictions get loss weight 0, and the order is a seeded
 * permutation per epoch, so (epoch, cursor, offset) pins the stream exactly.
 */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "shard.h"
#include "train_internal.h"

#define MAX_DOC (1ull << 30)   /* elements in one document (a 4 GiB record) */

struct trn_data {
	shard_dataset *ds;
	shard_spec spec;
	char path[TRN_PATH_MAX];
	uint64_t ndocs, seed;
	int shuffle;
	uint64_t *perm;            /* order of this epoch (NULL when not shuffled) */
	uint64_t perm_epoch;
	trn_data_pos pos;
	uint32_t bos, eos, vocab;
	uint32_t identity;         /* trn_data_identity, 0 until asked for */
	uint32_t *doc;             /* the current document, materialised */
	size_t doc_len, doc_prefix, doc_cap;
	uint64_t doc_index;        /* which record is in doc (UINT64_MAX: none) */
};

/* v as n little-endian bytes at p. */
static void put_le(unsigned char *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

/* Records' lengths and checksums, in order: O(records) reads of the index
 * (no payload), like the checks shard_dataset_open has just made. */
static uint32_t identity_of(const shard_dataset *ds)
{
	uint64_t n = shard_dataset_records(ds);
	unsigned char b[20];
	put_le(b, n, 8);
	uLong crc = crc32(0, b, 8);
	for (uint64_t i = 0; i < n; i++) {
		shard_record r;
		if (shard_dataset_record(ds, i, &r, NULL))
			memset(&r, 0, sizeof r);   /* cannot happen below the count the open checked */
		put_le(b, r.n_prompt, 8);
		put_le(b + 8, r.n_content, 8);
		put_le(b + 16, r.crc, 4);
		crc = crc32(crc, b, 20);
	}
	return crc ? (uint32_t)crc : 1;   /* 0 means "not recorded" in a checkpoint */
}

int trn_data_open(const char *path, uint64_t seed, int shuffle, trn_data **out, trn_error *err)
{
	*out = NULL;
	shard_error se;
	shard_dataset *ds;
	if (shard_dataset_open(path, &ds, &se))
		return trn_seterr(err, se.code == SHARD_EIO ? TRN_EIO : TRN_EFORMAT, "%s", se.msg);
	const shard_spec *sp = shard_dataset_spec(ds);
	if (sp->kind != SHARD_TOKENS && sp->kind != SHARD_SPRITES) {
		shard_dataset_close(ds);
		return trn_seterr(err, TRN_EFORMAT, "%s: a %s dataset; kiln-train reads tokens and sprites", path,
		                  shard_kind_name(sp->kind));
	}
	if (shard_dataset_records(ds) == 0) {
		shard_dataset_close(ds);
		return trn_seterr(err, TRN_EFORMAT, "%s: the dataset has no documents", path);
	}
	trn_data *d = calloc(1, sizeof *d);
	if (!d) {
		shard_dataset_close(ds);
		return trn_seterr(err, TRN_ENOMEM, "out of memory");
	}
	d->ds = ds;
	d->spec = *sp;
	snprintf(d->path, sizeof d->path, "%s", path);
	d->ndocs = shard_dataset_records(ds);
	d->seed = seed;
	d->shuffle = shuffle;
	d->perm_epoch = UINT64_MAX;
	d->doc_index = UINT64_MAX;
	/* BOS/EOS: the dataset's own, or two ids appended after its vocabulary */
	uint32_t next = sp->vocab_size;
	d->bos = sp->bos_id != SHARD_NO_TOKEN ? sp->bos_id : next++;
	d->eos = sp->eos_id != SHARD_NO_TOKEN ? sp->eos_id : next++;
	d->vocab = next;
	if (d->bos >= d->vocab || d->eos >= d->vocab)
		d->vocab = (d->bos > d->eos ? d->bos : d->eos) + 1;
	if (d->vocab > TRN_MAX_VOCAB) {
		trn_data_close(d);
		return trn_seterr(err, TRN_ERANGE, "%s: vocabulary of %u is over the cap", path, sp->vocab_size);
	}
	*out = d;
	return TRN_OK;
}

void trn_data_close(trn_data *d)
{
	if (!d)
		return;
	shard_dataset_close(d->ds);
	free(d->perm);
	free(d->doc);
	free(d);
}

uint64_t trn_data_docs(const trn_data *d) { return d->ndocs; }
int trn_data_is_sprites(const trn_data *d) { return d->spec.kind == SHARD_SPRITES; }
uint32_t trn_data_bos(const trn_data *d) { return d->bos; }
uint32_t trn_data_eos(const trn_data *d) { return d->eos; }
uint32_t trn_data_vocab(const trn_data *d) { return d->vocab; }
const uint8_t *trn_data_fingerprint(const trn_data *d) { return d->spec.fingerprint; }
/* Computed when first asked for: only a training run's checkpoint needs it,
 * and it reads every record's index entry. */
uint32_t trn_data_identity(trn_data *d)
{
	if (!d->identity) d->identity = identity_of(d->ds);
	return d->identity;
}
trn_data_pos trn_data_tell(const trn_data *d) { return d->pos; }

void trn_data_get_info(const trn_data *d, trn_data_info *info)
{
	memset(info, 0, sizeof *info);
	info->kind = d->spec.kind;
	info->vocab = d->spec.vocab_size;
	info->elem_size = d->spec.elem_size;
	info->bos = d->bos;
	info->eos = d->eos;
	info->width = d->spec.width;
	info->height = d->spec.height;
	info->channels = d->spec.channels;
	memcpy(info->fingerprint, d->spec.fingerprint, 32);
}

int trn_data_grid(const trn_data *d, int *width, int *height, int *prefix)
{
	if (d->spec.kind != SHARD_SPRITES)
		return TRN_EINVAL;
	*width = (int)d->spec.width;
	*height = (int)d->spec.height;
	*prefix = 1 + (int)d->spec.channels;
	return TRN_OK;
}

/* Record index of the cursor-th document in epoch's order. */
static int order(trn_data *d, uint64_t epoch, uint64_t cursor, uint64_t *idx, trn_error *err)
{
	if (!d->shuffle) {
		*idx = cursor;
		return TRN_OK;
	}
	if (d->perm_epoch != epoch) {
		if (!d->perm && !(d->perm = malloc(d->ndocs * sizeof *d->perm)))
			return trn_seterr(err, TRN_ENOMEM, "out of memory for the shuffle order");
		/* Fisher-Yates from a generator seeded by (seed, epoch) */
		uint64_t rng = trn_mix64(d->seed ^ trn_mix64(epoch + 0x5368756666ull));
		for (uint64_t i = 0; i < d->ndocs; i++)
			d->perm[i] = i;
		for (uint64_t i = d->ndocs - 1; i > 0; i--) {
			uint64_t j = trn_rand(&rng) % (i + 1);
			uint64_t t = d->perm[i];
			d->perm[i] = d->perm[j];
			d->perm[j] = t;
		}
		d->perm_epoch = epoch;
	}
	*idx = d->perm[cursor];
	return TRN_OK;
}

/* Materialise record i as BOS prompt content EOS into d->doc. */
static int load_doc(trn_data *d, uint64_t i, trn_error *err)
{
	if (d->doc_index == i)
		return TRN_OK;
	shard_record r;
	shard_error se;
	/* The checksum too, as each record is loaded (a CRC costs next to the
	 * training on its tokens nothing): corrupt bytes are never learned. */
	if (shard_dataset_record(d->ds, i, &r, &se) || shard_dataset_verify_record(d->ds, i, &se)) {
		char b[600];
		return trn_seterr(err, TRN_EFORMAT, "%s", shard_error_text(&se, b, sizeof b));
	}
	if (r.n_prompt > MAX_DOC || r.n_content > MAX_DOC - r.n_prompt)
		return trn_seterr(err, TRN_ERANGE, "%s: record %llu has %llu elements (cap %llu)", d->path,
		                  (unsigned long long)i, (unsigned long long)(r.n_prompt + r.n_content),
		                  (unsigned long long)MAX_DOC);
	if (d->spec.kind == SHARD_SPRITES &&
	    (r.n_prompt != d->spec.channels || r.n_content != (uint64_t)d->spec.width * d->spec.height))
		return trn_seterr(err, TRN_EFORMAT, "%s: sprite record %llu is not %u conditioning tokens + a %ux%u grid",
		                  d->path, (unsigned long long)i, d->spec.channels, d->spec.width, d->spec.height);
	size_t n = (size_t)(r.n_prompt + r.n_content + 2);
	if (n > d->doc_cap) {
		uint32_t *p = realloc(d->doc, n * sizeof *p);
		if (!p)
			return trn_seterr(err, TRN_ENOMEM, "out of memory for a %zu-token document", n);
		d->doc = p;
		d->doc_cap = n;
	}
	uint32_t es = d->spec.elem_size;
	size_t k = 0;
	d->doc[k++] = d->bos;
	for (uint64_t j = 0; j < r.n_prompt; j++)
		d->doc[k++] = shard_elem(r.prompt, es, j);
	for (uint64_t j = 0; j < r.n_content; j++)
		d->doc[k++] = shard_elem(r.content, es, j);
	d->doc[k++] = d->eos;
	/* the reader maps files it does not trust: check every id here, so the
	 * model never indexes its embedding with a corrupt one */
	for (size_t j = 1; j + 1 < k; j++)
		if (d->doc[j] >= d->spec.vocab_size)
			return trn_seterr(err, TRN_ERANGE, "%s: record %llu element %zu is %u, outside the vocabulary (%u)",
			                  d->path, (unsigned long long)i, j - 1, d->doc[j], d->spec.vocab_size);
	d->doc_len = k;
	d->doc_prefix = 1 + (size_t)r.n_prompt;
	d->doc_index = i;
	return TRN_OK;
}

int trn_data_doc(trn_data *d, uint64_t i, uint32_t *out, size_t cap, size_t *n, size_t *n_prefix, trn_error *err)
{
	if (i >= d->ndocs)
		return trn_seterr(err, TRN_EINVAL, "%s: no document %llu (%llu documents)", d->path,
		                  (unsigned long long)i, (unsigned long long)d->ndocs);
	int rc = load_doc(d, i, err);
	if (rc)
		return rc;
	memcpy(out, d->doc, (d->doc_len < cap ? d->doc_len : cap) * sizeof *out);
	*n = d->doc_len;
	*n_prefix = d->doc_prefix;
	return TRN_OK;
}

int trn_data_seek(trn_data *d, trn_data_pos p, trn_error *err)
{
	if (p.cursor >= d->ndocs)
		return trn_seterr(err, TRN_EMISMATCH, "%s: data position %llu is past the %llu documents", d->path,
		                  (unsigned long long)p.cursor, (unsigned long long)d->ndocs);
	d->pos = p;
	return TRN_OK;
}

static void advance(trn_data *d)
{
	d->pos.offset = 0;
	if (++d->pos.cursor == d->ndocs) {
		d->pos.cursor = 0;
		d->pos.epoch++;
	}
}

int trn_data_next(trn_data *d, trn_batch *b, trn_error *err)
{
	int T = b->T;
	for (int row = 0; row < b->B; row++) {
		size_t base = (size_t)row * T;
		int t = 0;
		while (t < T) {
			uint64_t idx = 0;
			int rc = order(d, d->pos.epoch, d->pos.cursor, &idx, err);
			if (rc || (rc = load_doc(d, idx, err)))
				return rc;
			uint64_t preds = d->doc_len - 1;   /* predictions a document gives */
			if (d->pos.offset >= preds)
				return trn_seterr(err, TRN_EMISMATCH, "%s: data offset %llu is past document %llu", d->path,
				                  (unsigned long long)d->pos.offset, (unsigned long long)idx);
			uint64_t rem = preds - d->pos.offset;
			/* a document that does not fit the rest of this row starts the next one */
			if (d->pos.offset == 0 && t > 0 && rem > (uint64_t)(T - t))
				break;
			if (d->spec.kind == SHARD_SPRITES && preds > (uint64_t)T)
				return trn_seterr(err, TRN_EINVAL, "%s: a sprite document needs context %llu, the stage has %d",
				                  d->path, (unsigned long long)preds, T);
			int n = rem < (uint64_t)(T - t) ? (int)rem : T - t;
			for (int j = 0; j < n; j++) {
				size_t k = d->pos.offset + j, at = base + t + j;
				b->tok[at] = d->doc[k];
				b->tgt[at] = d->doc[k + 1];
				b->w[at] = k + 1 >= d->doc_prefix ? 1.0f : 0.0f;   /* no loss on prompt tokens */
				b->pos[at] = j;   /* positions restart in every row piece */
				b->seg[at] = t;
			}
			t += n;
			d->pos.offset += n;
			if (d->pos.offset == preds)
				advance(d);
		}
		for (; t < T; t++) {   /* padding: masked, attends only to itself */
			b->tok[base + t] = d->eos;
			b->tgt[base + t] = d->eos;
			b->w[base + t] = 0.0f;
			b->pos[base + t] = 0;
			b->seg[base + t] = t;
		}
	}
	return TRN_OK;
}
