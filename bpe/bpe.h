/*
 * bpe.h - byte-level byte-pair encoding: train a vocabulary on a corpus of
 * byte documents, encode bytes to token ids, decode ids to bytes, read and
 * write vocabulary files, export a HuggingFace tokenizer.json.
 *
 * Semantics (the same as man/kiln-bpe.1, "MERGE SEMANTICS"):
 *   - ids 0..255 are the byte values; merge k (0-based) creates id 256 + k
 *     whose bytes are the bytes of its left id followed by those of its right.
 *   - Training is exact greedy BPE: the pair count is the number of adjacent
 *     (left, right) token pairs in the current segmentation, overlapping ones
 *     included ("aaa" holds two "a a"); pairs never span two documents. The
 *     next merge is the eligible pair with the highest count, ties going to
 *     the smallest (left id, right id). A merge rewrites its occurrences left
 *     to right ("aaaa" -> "AA", "aaa" -> "A a"). A pair is eligible when its
 *     count >= min_count, its bytes fit max_token_bytes, and its bytes are not
 *     already a token (so every token has distinct bytes and a vocabulary
 *     exports to HuggingFace exactly). Training stops at vocab_size or when
 *     no pair is eligible.
 *   - Encoding applies the merges in rank order, each left to right over the
 *     whole document: exactly the segmentation training reached.
 *
 * The library never prints, exits or reads the environment. Functions return
 * BPE_OK (0) or a negative BPE_E* code and fill an optional bpe_error.
 */
#ifndef KILN_BPE_H
#define KILN_BPE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define BPE_VERSION "1.0"

/* Hard limits (explicit, stb style). A vocabulary outside them is refused. */
#define BPE_MAX_VOCAB (1u << 24)                 /* ids 0 .. 16,777,215 */
#define BPE_MAX_TOTAL_TOKEN_BYTES (256ull << 20) /* sum of token lengths */
#define BPE_MAX_DOC_BYTES (0x7ffffff0u)          /* one training document */
#define BPE_MAX_CORPUS (0xfffffff0ull)           /* training positions (bytes + documents) */

enum {
	BPE_OK = 0,
	BPE_ENOMEM = -1,
	BPE_EINVAL = -2,     /* bad argument from the caller */
	BPE_EFORMAT = -3,    /* malformed vocabulary file */
	BPE_ERANGE = -4,     /* an id, size or count over a limit */
	BPE_ESTOPPED = -5    /* the progress callback asked to stop */
};
const char *bpe_strerror(int code);

/* Detail of the last error; offset is a byte offset in the parsed buffer, or
 * UINT64_MAX when none applies. */
typedef struct bpe_error {
	int code;
	uint64_t offset;
	char msg[256];
} bpe_error;

/* ---- vocabulary (bpe_vocab.c) -------------------------------------------- */
typedef struct bpe_vocab bpe_vocab;

/* Build a vocabulary from n merges given as pairs[2k], pairs[2k+1] (left and
 * right id of merge k). Every id must be < 256 + k, token bytes must be
 * distinct, the total token bytes <= max_total_bytes (0 = the default
 * BPE_MAX_TOTAL_TOKEN_BYTES). BPE_EFORMAT names the offending merge. */
int bpe_vocab_from_merges(const uint32_t *pairs, size_t n, uint64_t max_total_bytes,
                          bpe_vocab **out, bpe_error *err);
void bpe_vocab_free(bpe_vocab *v);   /* NULL ok */

uint32_t bpe_vocab_size(const bpe_vocab *v);      /* 256 + merges */
size_t bpe_vocab_merges(const bpe_vocab *v);
/* The merge pairs (2 ids per merge), owned by v. */
const uint32_t *bpe_vocab_pairs(const bpe_vocab *v);
/* Byte length and bytes of token id (< vocab size), owned by v. */
uint32_t bpe_token_len(const bpe_vocab *v, uint32_t id);
const uint8_t *bpe_token_bytes(const bpe_vocab *v, uint32_t id);
/* Longest token in bytes. */
uint32_t bpe_vocab_max_len(const bpe_vocab *v);

/* Vocabulary file (text, see man/kiln-bpe.1 "VOCABULARY FILE"):
 *   kiln-bpe-vocab 1\n
 *   key value\n ...          optional metadata, key [a-z0-9-]+, value printable
 *   merges N\n
 *   LEFT RIGHT\n x N         decimal ids
 * Parse is strict: anything else is BPE_EFORMAT with the byte offset. */
int bpe_vocab_parse(const void *data, size_t n, uint64_t max_total_bytes,
                    bpe_vocab **out, bpe_error *err);
/* Metadata value of key from the parsed file, or NULL (owned by v). */
const char *bpe_vocab_meta(const bpe_vocab *v, const char *key);
/* Serialise v with optional metadata (n_meta key/value pairs, meta[2i] key,
 * meta[2i+1] value). *out is malloc'd (caller frees with free()). */
int bpe_vocab_format(const bpe_vocab *v, const char *const *meta, size_t n_meta,
                     char **out, size_t *len);
/* Serialise pairs without building a vocabulary (checkpoints). */
int bpe_merges_format(const uint32_t *pairs, size_t n, const char *const *meta,
                      size_t n_meta, char **out, size_t *len);

/* HuggingFace tokenizer.json: BPE model over the ByteLevel alphabet (byte b
 * is the character bytes_to_unicode(b)), no normalizer, no pre-tokenizer, a
 * ByteLevel decoder. id_offset shifts every id (base LLM vocabularies). The
 * caller maps input bytes with bpe_byte_to_unicode before calling HF. */
int bpe_export_hf(const bpe_vocab *v, uint32_t id_offset, char **out, size_t *len);
/* The GPT-2 ByteLevel table: the Unicode code point standing for byte b. */
uint32_t bpe_byte_to_unicode(uint8_t b);

/* ---- encoding (bpe_encode.c) ---------------------------------------------- */
typedef struct bpe_encoder bpe_encoder;

/* Merge-rank table for v (v must outlive the encoder). Shareable by threads. */
int bpe_encoder_create(const bpe_vocab *v, bpe_encoder **out);
void bpe_encoder_free(bpe_encoder *e);

/* Per-thread scratch space, grown on demand. */
typedef struct bpe_workspace bpe_workspace;
bpe_workspace *bpe_workspace_create(void);
void bpe_workspace_free(bpe_workspace *w);

/* Never more ids than bytes. */
static inline size_t bpe_encode_bound(size_t n) { return n; }
/* Encode n bytes into ids (out holds bpe_encode_bound(n)); *n_out = count.
 * ids are 0 .. vocab_size-1 (add an offset yourself). */
int bpe_encode(const bpe_encoder *e, bpe_workspace *w, const uint8_t *in, size_t n,
               uint32_t *out, size_t *n_out);
/* The first position t >= max(at, 1) below n where the input can be cut: no
 * token of the vocabulary holds the byte pair in[t-1], in[t], so the ids of
 * in[0..t) followed by those of in[t..n) are the ids of in[0..n). n if there
 * is none. Lets a caller encode one long input as pieces in parallel. */
size_t bpe_encode_cut(const bpe_encoder *e, const uint8_t *in, size_t n, size_t at);
/* Bytes of ids (each < vocab size, else BPE_ERANGE with the index in *bad).
 * out == NULL: only compute *n_out. */
int bpe_decode(const bpe_vocab *v, const uint32_t *ids, size_t n, uint8_t *out,
               size_t *n_out, size_t *bad);

/* ---- training (bpe_train.c) ----------------------------------------------- */
typedef struct bpe_corpus bpe_corpus;

/* A training corpus holds every document as 32-bit symbols (4 bytes per
 * byte; the trainer works in place in it). reserve_bytes/reserve_docs are
 * hints (0 = grow on demand). */
int bpe_corpus_create(uint64_t reserve_bytes, uint64_t reserve_docs, bpe_corpus **out);
/* Append one document (copied). BPE_ERANGE past BPE_MAX_DOC_BYTES or
 * BPE_MAX_CORPUS. Empty documents are accepted (they hold no pair). */
int bpe_corpus_add(bpe_corpus *c, const uint8_t *data, size_t n);
uint64_t bpe_corpus_bytes(const bpe_corpus *c);
uint64_t bpe_corpus_docs(const bpe_corpus *c);
void bpe_corpus_free(bpe_corpus *c);

typedef struct bpe_train_opts {
	uint32_t vocab_size;        /* target, 256 .. BPE_MAX_VOCAB */
	uint64_t min_count;         /* >= 1; pairs seen fewer times are never merged */
	uint32_t max_token_bytes;   /* 0 = no cap */
	int threads;                /* 0 = OpenMP default; results never depend on it */
	/* Resume: merges already made (from a checkpoint); they are replayed on
	 * the corpus and training continues after them. Of more than
	 * vocab_size - 256, only that many first ones are kept: greedy merges do
	 * not depend on how many follow them. */
	const uint32_t *init_pairs;
	size_t n_init;
	/* Called after every merge (and once after the setup with n == n_init);
	 * pairs/n are all merges so far, count the last merge's count. A non-zero
	 * return stops training with BPE_ESTOPPED (the merges so far are still
	 * returned). NULL = none. */
	int (*progress)(void *ud, const uint32_t *pairs, size_t n, uint64_t count);
	void *progress_ud;
	/* List entries allowed beyond the live ones before the lists are
	 * compacted (0 = a quarter of the live entries + 4M). Results never depend on
	 * it; tests set 1 to exercise compaction. */
	uint64_t gc_slack;
} bpe_train_opts;

typedef struct bpe_train_stats {
	uint64_t corpus_bytes, docs, symbols_after;  /* tokens left in the corpus */
	uint64_t gc_runs, pairs_tracked, stale_pops;
} bpe_train_stats;

/* Train on c (consumed: its symbols are rewritten; free it after). On
 * success *pairs (malloc'd, 2 ids per merge, caller frees) holds *n merges,
 * which may be fewer than vocab_size - 256 when no pair is eligible. */
int bpe_train(bpe_corpus *c, const bpe_train_opts *o, uint32_t **pairs, size_t *n,
              bpe_train_stats *stats, bpe_error *err);

/* ---- statistics (bpe_stats.c) --------------------------------------------- */
/* Accumulates token counts over encoded documents. */
typedef struct bpe_stats {
	uint64_t bytes, tokens, docs;
	uint64_t *uses;            /* vocab_size counters */
	uint32_t vocab_size;
} bpe_stats;
int bpe_stats_init(bpe_stats *s, uint32_t vocab_size);
void bpe_stats_add(bpe_stats *s, const uint32_t *ids, size_t n, size_t n_bytes);
/* Merge b into a (same vocab size). */
void bpe_stats_merge(bpe_stats *a, const bpe_stats *b);
/* Tokens used at least once. */
uint64_t bpe_stats_used(const bpe_stats *s);
void bpe_stats_free(bpe_stats *s);

#ifdef __cplusplus
}
#endif
#endif
