/*
 * swf_decode.c - signature, FileLength and streaming decompression of CWS
 * (zlib) and ZWS (LZMA) into the FWS form, with a cap on the output. It
 * decides the decompression status; the header fields after FileLength and
 * the tag stream are read by swf_tags.c.
 */
#include <lzma.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "swf_internal.h"

/* Growable output buffer that refuses to pass cap + 1 bytes: one byte past
 * the cap is how we learn that a stream really is longer than the cap. */
typedef struct obuf { uint8_t *p; size_t n, cap, limit; } obuf;

static int obuf_grow(obuf *o)
{
	if (o->cap >= o->limit) return -1;
	size_t nc = o->cap ? o->cap * 2 : 65536;
	if (nc > o->limit) nc = o->limit;
	uint8_t *np = realloc(o->p, nc);
	if (!np) return -2;
	o->p = np;
	o->cap = nc;
	return 0;
}

/* Initial size: the declared length when it is plausible for the input size
 * (zlib cannot expand more than ~1032:1, LZMA is held to the same guess),
 * so a lying FileLength costs at most that much memory up front. */
static size_t first_size(uint64_t declared, size_t in_n, size_t limit)
{
	uint64_t plausible = (uint64_t)in_n * 1032 + 4096;
	uint64_t s = declared < plausible ? declared : plausible;
	if (s < 4096) s = 4096;
	if (s > limit) s = limit;
	return (size_t)s;
}

static void put_fws_header(uint8_t *p, const uint8_t *in)
{
	p[0] = 'F'; p[1] = 'W'; p[2] = 'S';
	memcpy(p + 3, in + 3, 5);      /* version and FileLength as stored */
}

/* zlib: inflate in+8 .. in+n. Returns SWF_OK / SWF_ENOMEM. */
static int inflate_body(const uint8_t *in, size_t n, uint64_t declared, obuf *o, int *st)
{
	z_stream z;
	memset(&z, 0, sizeof z);
	if (inflateInit(&z) != Z_OK) return SWF_ENOMEM;
	o->cap = first_size(declared, n, o->limit);
	o->p = malloc(o->cap);
	if (!o->p) { inflateEnd(&z); return SWF_ENOMEM; }
	put_fws_header(o->p, in);
	o->n = 8;
	z.next_in = (Bytef *)(in + 8);
	z.avail_in = (uInt)(n - 8 > 0x40000000u ? 0x40000000u : n - 8);
	size_t in_left = n - 8 - z.avail_in;
	for (;;) {
		if (o->n == o->cap) {
			int g = obuf_grow(o);
			if (g == -2) { inflateEnd(&z); return SWF_ENOMEM; }
			if (g == -1) { *st = SWF_D_CAPPED; break; }
		}
		z.next_out = o->p + o->n;
		z.avail_out = (uInt)(o->cap - o->n);
		int r = inflate(&z, Z_NO_FLUSH);
		o->n = o->cap - z.avail_out;
		if (z.avail_in == 0 && in_left) {
			z.avail_in = (uInt)(in_left > 0x40000000u ? 0x40000000u : in_left);
			in_left -= z.avail_in;
		}
		if (r == Z_STREAM_END) { *st = SWF_D_OK; break; }
		if (r == Z_MEM_ERROR) { inflateEnd(&z); return SWF_ENOMEM; }
		if (r == Z_DATA_ERROR || r == Z_NEED_DICT) { *st = SWF_D_ZLIB_ERROR; break; }
		if (r == Z_BUF_ERROR && z.avail_in == 0) { *st = SWF_D_ZLIB_TRUNCATED; break; }
		if (r == Z_OK && z.avail_in == 0 && z.avail_out != 0) { *st = SWF_D_ZLIB_TRUNCATED; break; }
	}
	inflateEnd(&z);
	return SWF_OK;
}

/* One LZMA attempt with a given uncompressed size (UINT64_MAX = unknown, the
 * stream must then end with an end marker). *st is set to OK, LZMA_TRUNCATED
 * (input ran out), LZMA_ERROR or CAPPED. */
static int lzma_try(const uint8_t *in, size_t n, uint64_t size, obuf *o, int *st)
{
	lzma_filter f[2];
	f[0].id = LZMA_FILTER_LZMA1;
	f[0].options = NULL;
	f[1].id = LZMA_VLI_UNKNOWN;
	f[1].options = NULL;
	/* ZWS: 4-byte compressed length at 8, 5 property bytes at 12, data at 17. */
	if (lzma_properties_decode(&f[0], NULL, in + 12, 5) != LZMA_OK) {
		*st = SWF_D_LZMA_ERROR;
		return SWF_OK;
	}
	lzma_options_lzma *lo = f[0].options;
	/* The dictionary never needs to be larger than the output: clamping it
	 * keeps a hostile 4 GiB dictionary size from costing 4 GiB. */
	uint64_t need = size == UINT64_MAX ? o->limit : size;
	if (lo->dict_size > need) lo->dict_size = need < 4096 ? 4096 : (uint32_t)need;  /* need < dict_size <= 4 GiB */
	f[0].id = LZMA_FILTER_LZMA1EXT;
	lo->ext_flags = LZMA_LZMA1EXT_ALLOW_EOPM;
	lo->ext_size_low = (uint32_t)size;
	lo->ext_size_high = (uint32_t)(size >> 32);
	lzma_stream s = LZMA_STREAM_INIT;
	lzma_ret r = lzma_raw_decoder(&s, f);
	free(lo);
	if (r == LZMA_MEM_ERROR) return SWF_ENOMEM;
	if (r != LZMA_OK) { *st = SWF_D_LZMA_ERROR; return SWF_OK; }
	o->cap = first_size(size == UINT64_MAX ? (uint64_t)n * 8 : size + 8, n, o->limit);
	o->p = malloc(o->cap);
	if (!o->p) { lzma_end(&s); return SWF_ENOMEM; }
	put_fws_header(o->p, in);
	o->n = 8;
	s.next_in = in + 17;
	s.avail_in = n - 17;
	for (;;) {
		if (o->n == o->cap) {
			int g = obuf_grow(o);
			if (g == -2) { lzma_end(&s); return SWF_ENOMEM; }
			if (g == -1) { *st = SWF_D_CAPPED; break; }
		}
		s.next_out = o->p + o->n;
		s.avail_out = o->cap - o->n;
		r = lzma_code(&s, s.avail_in ? LZMA_RUN : LZMA_FINISH);
		o->n = o->cap - s.avail_out;
		if (r == LZMA_STREAM_END) { *st = SWF_D_OK; break; }
		if (r == LZMA_MEM_ERROR) { lzma_end(&s); return SWF_ENOMEM; }
		if (r == LZMA_BUF_ERROR || (r == LZMA_OK && s.avail_in == 0 && s.avail_out != 0)) {
			*st = SWF_D_LZMA_TRUNCATED;
			break;
		}
		if (r != LZMA_OK) { *st = SWF_D_LZMA_ERROR; break; }
	}
	lzma_end(&s);
	return SWF_OK;
}

static int unlzma_body(const uint8_t *in, size_t n, uint64_t declared, obuf *o, int *st)
{
	if (n < 17) {
		/* Not even the property bytes: nothing decodes. */
		*st = SWF_D_LZMA_TRUNCATED;
		o->p = malloc(8);
		if (!o->p) return SWF_ENOMEM;
		put_fws_header(o->p, in);
		o->n = o->cap = 8;
		return SWF_OK;
	}
	uint64_t size = declared >= 8 ? declared - 8 : 0;
	int r = lzma_try(in, n, size, o, st);
	if (r || *st == SWF_D_OK || *st == SWF_D_CAPPED) return r;
	/* FileLength may lie while the stream itself is sound and carries an end
	 * marker: Flash decodes such files, so try again without the size. */
	obuf o2 = { NULL, 0, 0, o->limit };
	int st2;
	r = lzma_try(in, n, UINT64_MAX, &o2, &st2);
	if (r) { free(o2.p); return r; }
	if (st2 == SWF_D_OK) {
		free(o->p);
		*o = o2;
		*st = SWF_D_OK_UNKNOWN_SIZE;
	} else {
		free(o2.p);
	}
	return SWF_OK;
}

int swf__decompress(const uint8_t *in, size_t n, uint64_t cap, swf_info *info, swf__decoded *dec)
{
	memset(dec, 0, sizeof *dec);
	info->file_size = n;
	if (n >= 3) {
		if (!memcmp(in, "FWS", 3) || !memcmp(in, "CWS", 3) || !memcmp(in, "ZWS", 3))
			memcpy(info->signature, in, 3), info->signature[3] = 0;
		else
			snprintf(info->signature, sizeof info->signature, "other:%02x%02x%02x", in[0], in[1], in[2]);
	}
	if (n >= 4) info->version = in[3];
	if (n >= 8) info->declared_length = swf__u32(in + 4);
	if (n == 0) { info->dstatus = SWF_D_TOO_SHORT; dec->reason = SWF_R_EMPTY; return SWF_OK; }
	if (n < 3 || info->signature[0] == 'o') {
		info->dstatus = n < 3 ? SWF_D_TOO_SHORT : SWF_D_NOT_SWF;
		dec->reason = n < 3 ? SWF_R_TOO_SHORT : SWF_R_NOT_SWF;
		return SWF_OK;
	}
	if (n < 8) { info->dstatus = SWF_D_TOO_SHORT; dec->reason = SWF_R_TOO_SHORT; return SWF_OK; }

	uint64_t declared = info->declared_length;
	if (in[0] == 'F') {
		/* Uncompressed: the input is the FWS form. The walk covers every byte
		 * present, as players that ignore FileLength do. */
		size_t use = n;
		if (n > cap) { use = (size_t)cap; info->dstatus = SWF_D_CAPPED; }
		else info->dstatus = n < declared ? SWF_D_SHORT : n > declared ? SWF_D_TRAILING : SWF_D_OK;
		dec->data = in;
		dec->n = use;
		info->decompressed_length = use;
		if (info->dstatus == SWF_D_CAPPED) { dec->reason = SWF_R_OUTPUT_CAPPED; dec->reason_offset = use; }
		else if (info->dstatus != SWF_D_OK) swf__note(info, SWF_N_LENGTH_MISMATCH, 4, n);
		return SWF_OK;
	}
	if (declared > cap) {
		info->dstatus = SWF_D_CAPPED;
		dec->reason = SWF_R_TOO_BIG;
		dec->reason_offset = 4;
		return SWF_OK;
	}
	obuf o = { NULL, 0, 0, (size_t)cap };
	int st = SWF_D_OK, r;
	if (in[0] == 'C') {
		if (info->version < 6) swf__note(info, SWF_N_CWS_BELOW_V6, 3, info->version);
		r = inflate_body(in, n, declared, &o, &st);
	} else {
		if (info->version < 13) swf__note(info, SWF_N_ZWS_BELOW_V13, 3, info->version);
		r = unlzma_body(in, n, declared, &o, &st);
	}
	if (r) { free(o.p); return r; }
	dec->data = dec->owned = o.p;
	dec->n = o.n;
	info->decompressed_length = o.n;
	if (st == SWF_D_OK && o.n != declared) {
		st = SWF_D_LEN_MISMATCH;
		swf__note(info, SWF_N_LENGTH_MISMATCH, 4, o.n);
	}
	if (st == SWF_D_OK_UNKNOWN_SIZE) swf__note(info, SWF_N_LZMA_UNKNOWN_SIZE, 12, o.n);
	info->dstatus = st;
	/* Offsets are in the decompressed bytes: where the output stops. An
	 * LZMA stream that would not even start is blamed on its properties. */
	dec->reason_offset = o.n ? o.n : 12;
	switch (st) {
	case SWF_D_ZLIB_TRUNCATED: dec->reason = SWF_R_ZLIB_TRUNCATED; break;
	case SWF_D_ZLIB_ERROR: dec->reason = SWF_R_ZLIB_ERROR; break;
	case SWF_D_LZMA_TRUNCATED: dec->reason = SWF_R_LZMA_TRUNCATED; break;
	case SWF_D_LZMA_ERROR: dec->reason = SWF_R_LZMA_ERROR; break;
	case SWF_D_CAPPED: dec->reason = SWF_R_OUTPUT_CAPPED; break;
	default: break;
	}
	return SWF_OK;
}
