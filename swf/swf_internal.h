/*
 * swf_internal.h - declarations shared by libswf's source files, not part of
 * the public interface. Every reader helper here is bounds-checked: callers
 * pass the end of what they may read and get 0 on success, -1 past the end.
 */
#ifndef KILN_SWF_INTERNAL_H
#define KILN_SWF_INTERNAL_H

#include "swf.h"

/* Caps on what one file may add to its info, so a hostile file with a
 * million FrameLabel tags cannot make a result list without bound. */
#define SWF__MAX_STRINGS 256      /* per list */
#define SWF__MAX_STRING  1024     /* bytes kept per string */
#define SWF__MAX_TAGS    (1u << 22)   /* tags kept by keep_tags */

struct swf_file {
	swf_info info;
	swf_tag *tags;
	size_t ntags, cap_tags;
	uint8_t *data;        /* decompressed FWS bytes (owned) when keep_data */
	size_t data_n;
	int keep_tags;
	int oom;              /* an allocation failed: swf_parse returns SWF_ENOMEM */
};

/* Decompression result: the FWS view of the file. */
typedef struct swf__decoded {
	const uint8_t *data;  /* FWS bytes: may point into the input (FWS) */
	size_t n;
	uint8_t *owned;       /* heap buffer to free, or NULL */
	int reason;           /* SWF_R_* problem found while decoding, or SWF_R_NONE */
	uint64_t reason_offset;
} swf__decoded;

/* Fill the header fields of info (signature, version, lengths, dstatus) and
 * dec. Returns SWF_OK or SWF_ENOMEM. */
int swf__decompress(const uint8_t *in, size_t n, uint64_t cap, swf_info *info, swf__decoded *dec);

/* Walk the tag stream of dec (after the header) and fill the rest of info. */
void swf__walk(swf_file *f, const uint8_t *d, size_t n);

/* Records a note (aggregated per kind). */
void swf__note(swf_info *i, int kind, uint64_t offset, uint64_t arg);
/* Records a problem; the one at the smallest offset is kept. */
void swf__problem(swf_info *i, int reason, uint64_t offset);

/* String lists and strings. */
int swf__strings_add(swf_strings *l, const char *s, size_t n);
void swf__strings_free(swf_strings *l);
char *swf__strndup(const char *s, size_t n);

/* Bit reader for RECT and shape records (MSB first, as the spec packs them). */
typedef struct swf__bits { const uint8_t *p; size_t n; uint64_t bit; } swf__bits;
int swf__ubits(swf__bits *b, unsigned nbits, uint32_t *out);
int swf__sbits(swf__bits *b, unsigned nbits, int32_t *out);

/* Little-endian loads; the caller has checked the bounds. */
static inline uint32_t swf__u16(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }
static inline uint32_t swf__u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

#endif
