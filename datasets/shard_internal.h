/*
 * shard_internal.h - byte-level helpers and the decoded header shared by the
 * shard reader and writer. Field offsets follow man/kiln-shard.5.
 */
#ifndef KILN_SHARD_INTERNAL_H
#define KILN_SHARD_INTERNAL_H

#include "shard.h"

#include <stdarg.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "Kiln shards are read in place: a little-endian host is required"
#endif

/* Decoded header (offsets in man/kiln-shard.5, "Header"). */
typedef struct shard__header {
	uint16_t major, minor;
	uint32_t header_size;
	shard_spec spec;
	uint32_t shard_number;
	uint64_t record_count, element_count;
	uint64_t meta_offset, meta_size, data_offset, data_size, index_offset, file_size;
	uint32_t meta_crc, index_crc, header_crc;
} shard__header;

/* Index entry (man/kiln-shard.5, "Index entry"). */
typedef struct shard__entry {
	uint64_t offset, size, n_prompt, n_content, group, start;
	uint32_t crc;
} shard__entry;

static inline uint16_t shard__le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static inline uint32_t shard__le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t shard__le64(const uint8_t *p) { return shard__le32(p) | (uint64_t)shard__le32(p + 4) << 32; }
static inline void shard__put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void shard__put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}
static inline void shard__put64(uint8_t *p, uint64_t v) { shard__put32(p, (uint32_t)v); shard__put32(p + 4, (uint32_t)(v >> 32)); }
static inline uint64_t shard__align8(uint64_t x) { return (x + 7) & ~(uint64_t)7; }
static inline uint64_t shard__align4(uint64_t x) { return (x + 3) & ~(uint64_t)3; }

/* CRC-32 (zlib) over any length. */
uint32_t shard__crc32(uint32_t crc, const void *data, uint64_t n);

/* Serialize / parse the 256-byte header. parse checks magic, version,
 * header_size and header CRC only; layout checks are the reader's. */
void shard__header_encode(const shard__header *h, uint8_t *out);
int shard__header_decode(const uint8_t *in, size_t avail, shard__header *h, const char *name, shard_error *err);
void shard__entry_encode(const shard__entry *e, uint8_t *out);
void shard__entry_decode(const uint8_t *in, shard__entry *e);

/* Payload size implied by a record's counts, or UINT64_MAX on overflow. */
uint64_t shard__payload_size(const shard_spec *s, uint64_t n_prompt, uint64_t n_content);
uint64_t shard__frame_bytes(const shard_spec *s);

/* 0 if text (n bytes) is one JSON object in valid UTF-8 with only
 * whitespace around it (RFC 8259; lone surrogate escapes refused), else -1
 * with *bad_at (if non-NULL) the offset of the first byte that breaks it. */
int shard__json_object(const void *text, size_t n, size_t *bad_at);

/* Fill err (if non-NULL) and return code. */
int shard__fail(shard_error *err, int code, uint64_t offset, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
