/*
 * shard.h - the Kiln shard format: write, read (mmap, O(1) random access),
 * verify. The byte-by-byte specification is man/kiln-shard.5; this header is
 * the C interface to it.
 *
 * A *shard* is one file holding records of one kind. A *dataset* is a folder
 * of shards named shard-NNNNN.kshard plus manifest.json with totals. Three
 * record kinds share the file layout:
 *   SHARD_TOKENS  a token document: prompt segment + content segment, elements
 *                 u8/u16/u32 (elem_size 1/2/4), every element < vocab_size.
 *   SHARD_SPRITES conditioning tokens (prompt, exactly spec.channels of them)
 *                 + a width x height grid of palette indices (content).
 *   SHARD_FRAMES  an episode: N frames of height x width x channels u8
 *                 (content, HWC or CHW per SHARD_FLAG_CHW) + N u32 action ids.
 *
 * The library never prints or exits. Every function returns 0 (SHARD_OK) or a
 * negative SHARD_E* code, and fills an optional shard_error with a message
 * naming the file, the field or record, and the byte offset.
 *
 * Readers never trust the file: every count, offset and length is checked
 * against the file size before use. Element arrays are little-endian in the
 * file; Kiln only builds for little-endian hosts, so record pointers can be
 * used directly as uint8_t/uint16_t/uint32_t arrays (records are 8-aligned).
 */
#ifndef KILN_SHARD_H
#define KILN_SHARD_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SHARD_VERSION_MAJOR 1
#define SHARD_VERSION_MINOR 0

#define SHARD_MAGIC "KILNSHRD"          /* 8 bytes, no terminator in the file */
#define SHARD_HEADER_SIZE 256
#define SHARD_INDEX_ENTRY_SIZE 64
#define SHARD_ALIGN 8
#define SHARD_NO_TOKEN 0xFFFFFFFFu      /* special-token id not used */
#define SHARD_DEFAULT_MAX_BYTES (256ull << 20)
#define SHARD_FINGERPRINT_SIZE 32

enum shard_kind { SHARD_TOKENS = 1, SHARD_SPRITES = 2, SHARD_FRAMES = 3 };
enum { SHARD_FLAG_CHW = 1u << 0 };     /* frames stored channel-major */

enum {
	SHARD_OK = 0,
	SHARD_EIO = -1,        /* read/write/open/mmap failed (errno kept) */
	SHARD_ENOMEM = -2,
	SHARD_EINVAL = -3,     /* bad argument from the caller */
	SHARD_EFORMAT = -4,    /* not a shard, or a field/offset is out of bounds */
	SHARD_ECRC = -5,       /* a checksum does not match */
	SHARD_EVERSION = -6,   /* newer major version than this reader */
	SHARD_ERANGE = -7,     /* a token >= vocab_size, or a size over a cap */
	SHARD_EMISMATCH = -8   /* shards of one dataset disagree (kind, vocab, fingerprint) */
};
const char *shard_strerror(int code);

/* Detail of the last error: message (names file, record, field) and offset. */
typedef struct shard_error {
	int code;
	uint64_t offset;       /* byte offset in the file, or UINT64_MAX if none */
	char msg[512];
} shard_error;

/* The message with its offset as "MSG (byte offset N)" in buf (cap bytes),
 * or the message alone when it has none: how a tool reports an error. */
const char *shard_error_text(const shard_error *e, char *buf, size_t cap);

/* What a shard holds; identical in every shard of a dataset. */
typedef struct shard_spec {
	uint32_t kind;         /* enum shard_kind */
	uint32_t elem_size;    /* 1, 2 or 4 bytes per element (frames: 1) */
	uint32_t vocab_size;   /* tokens/sprites: ids are < vocab_size; frames: number of action ids (0 = none) */
	uint32_t flags;        /* SHARD_FLAG_* */
	uint32_t bos_id, eos_id, pad_id, mask_id;   /* SHARD_NO_TOKEN when unused */
	uint32_t width, height;   /* sprites: grid; frames: frame size; tokens: 0 */
	uint32_t channels;        /* frames: bytes per pixel (3 = RGB24); sprites: conditioning tokens per record; tokens: 0 */
	uint8_t fingerprint[SHARD_FINGERPRINT_SIZE]; /* tokenizer/palette/source identity; all zero = none */
} shard_spec;

/* Initialise a spec for a kind with all special ids SHARD_NO_TOKEN. */
void shard_spec_init(shard_spec *s, uint32_t kind);
/* Smallest element size (1, 2, 4) holding ids < vocab_size. */
uint32_t shard_elem_size_for_vocab(uint64_t vocab_size);
/* SHARD_OK if the spec is self-consistent (sizes, kind, elem_size vs vocab). */
int shard_spec_check(const shard_spec *s, shard_error *err);
/* SHARD_OK if two specs may share a dataset (all fields equal). */
int shard_spec_compatible(const shard_spec *a, const shard_spec *b, shard_error *err);
const char *shard_kind_name(uint32_t kind);   /* "tokens", "sprites", "frames" or "?" */

/* One record as stored. Pointers point into the mapped file (valid while the
 * shard is open). For frames, content is n_content frames of
 * width*height*channels bytes and actions holds n_content u32 ids. */
typedef struct shard_record {
	const void *prompt;     /* n_prompt elements (tokens, sprites) */
	uint64_t n_prompt;
	const void *content;    /* n_content elements, or frames */
	uint64_t n_content;
	const uint32_t *actions;   /* frames only, else NULL */
	uint64_t group;         /* split key: source id (hash), episode's video */
	uint64_t start;         /* frames: index of the first frame in its source; else 0 */
	uint32_t crc;           /* CRC-32 of the payload as stored */
	uint64_t offset;        /* payload offset in the file */
	uint64_t size;          /* payload size in bytes */
} shard_record;

/* Element i of a token array of the given element size (1, 2 or 4). */
static inline uint32_t shard_elem(const void *arr, uint32_t elem_size, uint64_t i)
{
	if (elem_size == 1) return ((const uint8_t *)arr)[i];
	if (elem_size == 2) return ((const uint16_t *)arr)[i];
	return ((const uint32_t *)arr)[i];
}

/* ---- reading one shard ------------------------------------------------- */
typedef struct shard_file shard_file;

/* Map and check a shard: magic, version, header CRC, index CRC, meta CRC and
 * that every index entry lies inside the file, in order, without overlap.
 * Payload CRCs are checked lazily (shard_file_verify_record). O(records). */
int shard_file_open(const char *path, shard_file **out, shard_error *err);
/* Same from a caller's buffer (kept, not copied; used by the fuzzer). */
int shard_file_open_mem(const void *data, size_t size, const char *name,
                        shard_file **out, shard_error *err);
void shard_file_close(shard_file *f);     /* NULL ok */

const shard_spec *shard_file_spec(const shard_file *f);
const char *shard_file_path(const shard_file *f);
uint64_t shard_file_records(const shard_file *f);
uint64_t shard_file_elements(const shard_file *f);   /* sum of n_prompt + n_content */
uint64_t shard_file_size(const shard_file *f);
uint32_t shard_file_version_minor(const shard_file *f);
/* Metadata JSON stored in the shard (may be empty; not NUL-terminated). */
const char *shard_file_meta(const shard_file *f, size_t *len);

/* SHARD_OK if the metadata is empty or one JSON object in valid UTF-8, as
 * the format requires (so it may be embedded in other JSON as is); else
 * SHARD_EFORMAT with the file offset of the first byte that breaks it.
 * Opening does not check it: readers that only need records never parse it. */
int shard_file_check_meta(const shard_file *f, shard_error *err);

/* Record i (0-based) without checking its CRC: O(1). */
int shard_file_record(const shard_file *f, uint64_t i, shard_record *rec, shard_error *err);
/* Check record i: payload CRC, zero padding, every token < vocab_size,
 * sprite/frame shapes. */
int shard_file_verify_record(const shard_file *f, uint64_t i, shard_error *err);
/* Check everything (all records). Returns the first problem. */
int shard_file_verify(const shard_file *f, shard_error *err);

/* ---- reading a dataset (folder) or a single shard as one sequence ------- */
typedef struct shard_dataset shard_dataset;

/* path: a dataset folder (its shard-*.kshard files in name order) or one
 * .kshard file. All shards must have compatible specs (SHARD_EMISMATCH). */
int shard_dataset_open(const char *path, shard_dataset **out, shard_error *err);
void shard_dataset_close(shard_dataset *d);   /* NULL ok */
const shard_spec *shard_dataset_spec(const shard_dataset *d);
uint64_t shard_dataset_records(const shard_dataset *d);
uint64_t shard_dataset_elements(const shard_dataset *d);
size_t shard_dataset_nfiles(const shard_dataset *d);
const shard_file *shard_dataset_file(const shard_dataset *d, size_t k);
/* Global record i: O(log shards). */
int shard_dataset_record(const shard_dataset *d, uint64_t i, shard_record *rec, shard_error *err);
/* shard_file_verify_record for global record i. */
int shard_dataset_verify_record(const shard_dataset *d, uint64_t i, shard_error *err);
/* Metadata JSON of the first shard. */
const char *shard_dataset_meta(const shard_dataset *d, size_t *len);
/* dir/manifest.json (d opened from the folder dir) against the shards: valid
 * JSON whose "records", "elements" and "bytes" totals and whose "shards"
 * list (one line per shard file, in order: "file", "records", "elements",
 * "bytes") match. SHARD_EFORMAT names the field and its byte offset in the
 * manifest; SHARD_EIO if it cannot be read. */
int shard_dataset_check_manifest(const shard_dataset *d, const char *dir, shard_error *err);

/* ---- writing a dataset -------------------------------------------------- */
typedef struct shard_writer shard_writer;

typedef struct shard_writer_opts {
	uint64_t max_shard_bytes;   /* roll over before a shard would pass this (0 = default 256 MiB);
	                               a single larger record gets a shard of its own */
	const char *meta_json;      /* a JSON object stored in every shard and in manifest.json
	                               under "meta" (NULL or "" = none; anything but one object in
	                               UTF-8 is SHARD_EINVAL). Caller keeps it valid until close. */
} shard_writer_opts;

/* Write shards into the existing folder dir (the tool makes dir a temporary
 * folder and renames it when the writer is closed: see kiln_outdir_*).
 * Each shard is written as "shard-NNNNN.kshard.tmp" and renamed when full. */
int shard_writer_create(const char *dir, const shard_spec *spec, const shard_writer_opts *opts,
                        shard_writer **out, shard_error *err);

/* Token document / sprite: prompt and content as u32 ids; each is checked
 * < vocab_size (SHARD_ERANGE names the offending position) and stored at the
 * spec's element size. Sprites: n_prompt == channels, n_content == width*height. */
int shard_writer_add_u32(shard_writer *w, const uint32_t *prompt, uint64_t n_prompt,
                         const uint32_t *content, uint64_t n_content, uint64_t group, shard_error *err);
/* Same, with arrays already in the spec's element size (bytes for elem 1). */
int shard_writer_add(shard_writer *w, const void *prompt, uint64_t n_prompt,
                     const void *content, uint64_t n_content, uint64_t group, shard_error *err);
/* ids as n elements of es bytes (1, 2 or 4), little-endian as a shard stores
 * them; ids must fit es. dst may be ids itself (each write lands at or
 * before the id it replaces). */
void shard_pack_ids(void *dst, const uint32_t *ids, uint64_t n, uint32_t es);
/* A record's checksum as stored in the index: shard_crc32 over its bytes,
 * prompt then content (crc starts at 0). */
uint32_t shard_crc32(uint32_t crc, const void *data, uint64_t n);
/* The checksum of A followed by B from crc_a of A, crc_b of B (started at 0)
 * and B's length: a record checksummed in pieces on several threads. */
uint32_t shard_crc32_combine(uint32_t crc_a, uint32_t crc_b, uint64_t n_b);
/* shard_writer_add with that checksum computed by the caller, e.g. on the
 * worker thread that produced the record, so that an ordered writer only
 * copies bytes. The writer trusts crc; readers verify it. */
int shard_writer_add_crc(shard_writer *w, const void *prompt, uint64_t n_prompt,
                         const void *content, uint64_t n_content, uint64_t group,
                         uint32_t crc, shard_error *err);

/* Frames, streamed one frame at a time: width*height*channels bytes + its
 * action id (< vocab_size when vocab_size > 0). end_episode closes the record. */
int shard_writer_frame(shard_writer *w, const uint8_t *pixels, uint32_t action, shard_error *err);
int shard_writer_end_episode(shard_writer *w, uint64_t group, uint64_t start, shard_error *err);

/* Copy a record from another shard as is (split, merge). Specs must match. */
int shard_writer_add_record(shard_writer *w, const shard_record *rec, shard_error *err);

uint64_t shard_writer_records(const shard_writer *w);
uint64_t shard_writer_bytes(const shard_writer *w);   /* bytes written so far */

/* Finish the last shard and write manifest.json. Frees w (also on error). */
int shard_writer_close(shard_writer *w, shard_error *err);
/* Drop everything written (temporaries and finished shards). Frees w. */
void shard_writer_abort(shard_writer *w);

#ifdef __cplusplus
}
#endif
#endif
