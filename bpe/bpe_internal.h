/*
 * bpe_internal.h - declarations shared by the bpe_*.c files: the vocabulary
 * layout, the exact set of token byte strings used to keep tokens distinct,
 * and small hashing helpers. Not installed; callers use bpe.h.
 */
#ifndef KILN_BPE_INTERNAL_H
#define KILN_BPE_INTERNAL_H

#include "bpe.h"

#include <stdio.h>
#include <string.h>

struct bpe_vocab {
	uint32_t n_merges;
	uint32_t *pairs;      /* 2 * n_merges ids */
	uint32_t *len;        /* byte length of every id */
	uint64_t *off;        /* offset of every id's bytes in bytes[] */
	uint8_t *bytes;       /* all token bytes, id after id */
	uint64_t total;       /* bytes used in bytes[] */
	uint32_t max_len;
	char **meta;          /* key, value, key, value ... from a parsed file */
	size_t n_meta;
};

/* Exact set of byte strings (open addressing on a 64-bit hash, memcmp on a
 * hash match) mapping a token's bytes to its id. The strings themselves live
 * in the caller's arena; the set stores ids and reads bytes through it. */
typedef struct bpe__tokset {
	uint32_t *slot;       /* id + 1, 0 = empty */
	uint64_t *hash;       /* hash per slot */
	size_t cap, n;
} bpe__tokset;

uint64_t bpe__hash_bytes(const uint8_t *p, size_t n);
int bpe__tokset_init(bpe__tokset *s, size_t expect);
void bpe__tokset_free(bpe__tokset *s);
/* id of the token whose bytes equal p[0..n) or -1; bytes/off/len as in bpe_vocab. */
int64_t bpe__tokset_find(const bpe__tokset *s, const uint8_t *bytes, const uint64_t *off,
                         const uint32_t *len, const uint8_t *p, size_t n, uint64_t h);
int bpe__tokset_add(bpe__tokset *s, uint32_t id, uint64_t h);

void bpe__seterr(bpe_error *err, int code, uint64_t offset, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
