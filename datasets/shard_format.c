/*
 * shard_format.c - what every shard reader and writer agrees on: the spec and
 * its checks, header and index entry (de)serialisation, payload sizes,
 * CRC-32 and error strings. The byte layout is man/kiln-shard.5.
 */
#include "shard_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

const char *shard_strerror(int code)
{
	switch (code) {
	case SHARD_OK: return "success";
	case SHARD_EIO: return "input/output error";
	case SHARD_ENOMEM: return "out of memory";
	case SHARD_EINVAL: return "invalid argument";
	case SHARD_EFORMAT: return "not a valid Kiln shard";
	case SHARD_ECRC: return "checksum mismatch";
	case SHARD_EVERSION: return "unsupported shard format version";
	case SHARD_ERANGE: return "value out of range";
	case SHARD_EMISMATCH: return "incompatible shards";
	default: return "unknown error";
	}
}

int shard__fail(shard_error *err, int code, uint64_t offset, const char *fmt, ...)
{
	if (err) {
		err->code = code;
		err->offset = offset;
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof err->msg, fmt, ap);
		va_end(ap);
	}
	return code;
}

const char *shard_error_text(const shard_error *e, char *buf, size_t cap)
{
	if (e->offset == UINT64_MAX) return e->msg;
	snprintf(buf, cap, "%s (byte offset %" PRIu64 ")", e->msg, e->offset);
	return buf;
}

uint32_t shard__crc32(uint32_t crc, const void *data, uint64_t n)
{
	/* zlib's crc32 takes a uInt length: feed it in pieces. */
	const uint8_t *p = data;
	while (n) {
		uInt k = n > (1u << 30) ? (1u << 30) : (uInt)n;
		crc = (uint32_t)crc32(crc, p, k);
		p += k;
		n -= k;
	}
	return crc;
}

uint32_t shard_crc32(uint32_t crc, const void *data, uint64_t n) { return shard__crc32(crc, data, n); }

uint32_t shard_crc32_combine(uint32_t crc_a, uint32_t crc_b, uint64_t n_b)
{
	return (uint32_t)crc32_combine(crc_a, crc_b, (z_off_t)n_b);   /* z_off_t: 64 bits on LP64 */
}

void shard_pack_ids(void *dst, const uint32_t *ids, uint64_t n, uint32_t es)
{
	uint8_t *b = dst;
	for (uint64_t i = 0; i < n; i++) {
		uint32_t v = ids[i];   /* read before b[es * i ...] may overwrite it */
		if (es == 1) b[i] = (uint8_t)v;
		else if (es == 2) shard__put16(b + 2 * i, (uint16_t)v);
		else shard__put32(b + 4 * i, v);
	}
}

const char *shard_kind_name(uint32_t kind)
{
	switch (kind) {
	case SHARD_TOKENS: return "tokens";
	case SHARD_SPRITES: return "sprites";
	case SHARD_FRAMES: return "frames";
	default: return "?";
	}
}

void shard_spec_init(shard_spec *s, uint32_t kind)
{
	memset(s, 0, sizeof *s);
	s->kind = kind;
	s->elem_size = 1;
	s->bos_id = s->eos_id = s->pad_id = s->mask_id = SHARD_NO_TOKEN;
	if (kind == SHARD_FRAMES) s->channels = 3;
}

uint32_t shard_elem_size_for_vocab(uint64_t vocab_size)
{
	if (vocab_size <= 256) return 1;
	if (vocab_size <= 65536) return 2;
	return 4;
}

uint64_t shard__frame_bytes(const shard_spec *s)
{
	return (uint64_t)s->width * s->height * s->channels;
}

int shard_spec_check(const shard_spec *s, shard_error *err)
{
	if (s->kind < SHARD_TOKENS || s->kind > SHARD_FRAMES)
		return shard__fail(err, SHARD_EFORMAT, 16, "unknown record kind %u", s->kind);
	if (s->flags & ~(uint32_t)SHARD_FLAG_CHW)
		return shard__fail(err, SHARD_EFORMAT, 28, "unknown flags 0x%x", s->flags);
	if (s->kind == SHARD_FRAMES) {
		if (s->elem_size != 1) return shard__fail(err, SHARD_EFORMAT, 20, "frames need elem_size 1, not %u", s->elem_size);
		if (!s->width || !s->height || !s->channels)
			return shard__fail(err, SHARD_EFORMAT, 48, "frames need non-zero width, height and channels");
		if (shard__frame_bytes(s) > (1ull << 31))
			return shard__fail(err, SHARD_ERANGE, 48, "frame of %ux%ux%u bytes is over the 2 GiB cap", s->width, s->height, s->channels);
		return SHARD_OK;
	}
	if (s->elem_size != 1 && s->elem_size != 2 && s->elem_size != 4)
		return shard__fail(err, SHARD_EFORMAT, 20, "element size %u is not 1, 2 or 4", s->elem_size);
	if (s->vocab_size == 0)
		return shard__fail(err, SHARD_EFORMAT, 24, "vocab_size is 0");
	if ((s->elem_size == 1 && s->vocab_size > 256) || (s->elem_size == 2 && s->vocab_size > 65536))
		return shard__fail(err, SHARD_EFORMAT, 24, "vocab_size %u does not fit %u-byte elements", s->vocab_size, s->elem_size);
	const uint32_t ids[4] = { s->bos_id, s->eos_id, s->pad_id, s->mask_id };
	for (int i = 0; i < 4; i++)
		if (ids[i] != SHARD_NO_TOKEN && ids[i] >= s->vocab_size)
			return shard__fail(err, SHARD_EFORMAT, 32 + 4 * i, "special-token id %u >= vocab_size %u", ids[i], s->vocab_size);
	if (s->kind == SHARD_SPRITES) {
		if (!s->width || !s->height)
			return shard__fail(err, SHARD_EFORMAT, 48, "sprites need a non-zero grid size");
		if ((uint64_t)s->width * s->height > (1ull << 28))
			return shard__fail(err, SHARD_ERANGE, 48, "sprite grid %ux%u is over the cap", s->width, s->height);
	} else if (s->width || s->height || s->channels) {
		return shard__fail(err, SHARD_EFORMAT, 48, "token documents have width/height/channels 0");
	}
	return SHARD_OK;
}

int shard_spec_compatible(const shard_spec *a, const shard_spec *b, shard_error *err)
{
	if (a->kind != b->kind)
		return shard__fail(err, SHARD_EMISMATCH, 16, "kind %s vs %s", shard_kind_name(a->kind), shard_kind_name(b->kind));
	if (a->elem_size != b->elem_size || a->vocab_size != b->vocab_size)
		return shard__fail(err, SHARD_EMISMATCH, 20, "vocabulary %u (elem %u) vs %u (elem %u)",
		                   a->vocab_size, a->elem_size, b->vocab_size, b->elem_size);
	if (a->flags != b->flags || a->width != b->width || a->height != b->height || a->channels != b->channels)
		return shard__fail(err, SHARD_EMISMATCH, 28, "shape %ux%ux%u flags %u vs %ux%ux%u flags %u",
		                   a->width, a->height, a->channels, a->flags, b->width, b->height, b->channels, b->flags);
	if (a->bos_id != b->bos_id || a->eos_id != b->eos_id || a->pad_id != b->pad_id || a->mask_id != b->mask_id)
		return shard__fail(err, SHARD_EMISMATCH, 32, "special-token ids differ");
	if (memcmp(a->fingerprint, b->fingerprint, SHARD_FINGERPRINT_SIZE))
		return shard__fail(err, SHARD_EMISMATCH, 128, "fingerprints differ (tokenizer, palette or source)");
	return SHARD_OK;
}

uint64_t shard__payload_size(const shard_spec *s, uint64_t n_prompt, uint64_t n_content)
{
	if (s->kind == SHARD_FRAMES) {
		uint64_t fb = shard__frame_bytes(s);
		/* Bound the whole sum, frames and actions: bounding the frames
		 * alone let a crafted count wrap the total to a few bytes. */
		if (n_prompt || n_content > (UINT64_MAX / 2) / (fb + 4)) return UINT64_MAX;
		return shard__align4(n_content * fb) + 4 * n_content;
	}
	if (n_prompt > UINT64_MAX / 8 || n_content > UINT64_MAX / 8) return UINT64_MAX;
	return (n_prompt + n_content) * s->elem_size;
}

void shard__header_encode(const shard__header *h, uint8_t *o)
{
	memset(o, 0, SHARD_HEADER_SIZE);
	memcpy(o, SHARD_MAGIC, 8);
	shard__put16(o + 8, h->major);
	shard__put16(o + 10, h->minor);
	shard__put32(o + 12, SHARD_HEADER_SIZE);
	shard__put32(o + 16, h->spec.kind);
	shard__put32(o + 20, h->spec.elem_size);
	shard__put32(o + 24, h->spec.vocab_size);
	shard__put32(o + 28, h->spec.flags);
	shard__put32(o + 32, h->spec.bos_id);
	shard__put32(o + 36, h->spec.eos_id);
	shard__put32(o + 40, h->spec.pad_id);
	shard__put32(o + 44, h->spec.mask_id);
	shard__put32(o + 48, h->spec.width);
	shard__put32(o + 52, h->spec.height);
	shard__put32(o + 56, h->spec.channels);
	shard__put32(o + 60, h->shard_number);
	shard__put64(o + 64, h->record_count);
	shard__put64(o + 72, h->element_count);
	shard__put64(o + 80, h->meta_offset);
	shard__put64(o + 88, h->meta_size);
	shard__put64(o + 96, h->data_offset);
	shard__put64(o + 104, h->data_size);
	shard__put64(o + 112, h->index_offset);
	shard__put64(o + 120, h->file_size);
	memcpy(o + 128, h->spec.fingerprint, SHARD_FINGERPRINT_SIZE);
	shard__put32(o + 160, h->meta_crc);
	shard__put32(o + 164, h->index_crc);
	shard__put32(o + 252, shard__crc32(0, o, 252));
}

int shard__header_decode(const uint8_t *p, size_t avail, shard__header *h, const char *name, shard_error *err)
{
	memset(h, 0, sizeof *h);
	if (avail < 8 || memcmp(p, SHARD_MAGIC, 8))
		return shard__fail(err, SHARD_EFORMAT, 0, "%s: not a Kiln shard (bad magic)", name);
	if (avail < SHARD_HEADER_SIZE)
		return shard__fail(err, SHARD_EFORMAT, avail, "%s: truncated header (%zu of %d bytes)", name, avail, SHARD_HEADER_SIZE);
	h->major = shard__le16(p + 8);
	h->minor = shard__le16(p + 10);
	h->header_size = shard__le32(p + 12);
	h->header_crc = shard__le32(p + 252);
	/* The version is checked before the CRC so a newer file gets the right message. */
	if (h->major != SHARD_VERSION_MAJOR)
		return shard__fail(err, SHARD_EVERSION, 8, "%s: format version %u.%u, this reader reads %d.x",
		                   name, h->major, h->minor, SHARD_VERSION_MAJOR);
	if (shard__crc32(0, p, 252) != h->header_crc)
		return shard__fail(err, SHARD_ECRC, 252, "%s: header CRC mismatch", name);
	if (h->header_size != SHARD_HEADER_SIZE)
		return shard__fail(err, SHARD_EFORMAT, 12, "%s: header_size %u, expected %d", name, h->header_size, SHARD_HEADER_SIZE);
	h->spec.kind = shard__le32(p + 16);
	h->spec.elem_size = shard__le32(p + 20);
	h->spec.vocab_size = shard__le32(p + 24);
	h->spec.flags = shard__le32(p + 28);
	h->spec.bos_id = shard__le32(p + 32);
	h->spec.eos_id = shard__le32(p + 36);
	h->spec.pad_id = shard__le32(p + 40);
	h->spec.mask_id = shard__le32(p + 44);
	h->spec.width = shard__le32(p + 48);
	h->spec.height = shard__le32(p + 52);
	h->spec.channels = shard__le32(p + 56);
	h->shard_number = shard__le32(p + 60);
	h->record_count = shard__le64(p + 64);
	h->element_count = shard__le64(p + 72);
	h->meta_offset = shard__le64(p + 80);
	h->meta_size = shard__le64(p + 88);
	h->data_offset = shard__le64(p + 96);
	h->data_size = shard__le64(p + 104);
	h->index_offset = shard__le64(p + 112);
	h->file_size = shard__le64(p + 120);
	memcpy(h->spec.fingerprint, p + 128, SHARD_FINGERPRINT_SIZE);
	h->meta_crc = shard__le32(p + 160);
	h->index_crc = shard__le32(p + 164);
	for (int i = 168; i < 252; i++)
		if (p[i]) return shard__fail(err, SHARD_EFORMAT, i, "%s: reserved header byte %d is not zero", name, i);
	return SHARD_OK;
}

void shard__entry_encode(const shard__entry *e, uint8_t *o)
{
	memset(o, 0, SHARD_INDEX_ENTRY_SIZE);
	shard__put64(o, e->offset);
	shard__put64(o + 8, e->size);
	shard__put64(o + 16, e->n_prompt);
	shard__put64(o + 24, e->n_content);
	shard__put64(o + 32, e->group);
	shard__put64(o + 40, e->start);
	shard__put32(o + 48, e->crc);
}

void shard__entry_decode(const uint8_t *p, shard__entry *e)
{
	e->offset = shard__le64(p);
	e->size = shard__le64(p + 8);
	e->n_prompt = shard__le64(p + 16);
	e->n_content = shard__le64(p + 24);
	e->group = shard__le64(p + 32);
	e->start = shard__le64(p + 40);
	e->crc = shard__le32(p + 48);
}
