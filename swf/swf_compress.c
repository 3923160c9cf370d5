/*
 * swf_compress.c - re-encode an SWF as FWS, CWS (zlib) or ZWS (LZMA). The
 * body is taken from the decompressed input and never changed, so FWS -> CWS
 * -> FWS is byte-exact after the header. ZWS is written the way Flash CS and
 * Ruffle expect it: LZMA1 without an end marker, sized by FileLength.
 */
#include <lzma.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "swf_internal.h"

static void put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}

static int zlib_body(const uint8_t *body, size_t n, uint8_t *hdr, uint8_t **out, size_t *out_n)
{
	uLong bound = compressBound((uLong)n);
	uint8_t *o = malloc(8 + bound);
	if (!o) return SWF_ENOMEM;
	memcpy(o, hdr, 8);
	uLongf got = bound;
	if (compress2(o + 8, &got, body, (uLong)n, 9) != Z_OK) { free(o); return SWF_ECODEC; }
	*out = o;
	*out_n = 8 + got;
	return SWF_OK;
}

static int lzma_body(const uint8_t *body, size_t n, uint8_t *hdr, uint8_t **out, size_t *out_n)
{
	lzma_options_lzma lo;
	if (lzma_lzma_preset(&lo, 6)) return SWF_ECODEC;
	/* A dictionary larger than the data buys nothing and costs memory. */
	if (lo.dict_size > n) lo.dict_size = n < 4096 ? 4096 : (uint32_t)n;
	uint8_t props[5];
	lzma_filter f[2] = { { LZMA_FILTER_LZMA1, &lo }, { LZMA_VLI_UNKNOWN, NULL } };
	if (lzma_properties_encode(&f[0], props) != LZMA_OK) return SWF_ECODEC;
	f[0].id = LZMA_FILTER_LZMA1EXT;
	lo.ext_flags = 0;                 /* no end marker: FileLength gives the size */
	lo.ext_size_low = (uint32_t)n;
	lo.ext_size_high = (uint32_t)((uint64_t)n >> 32);
	size_t cap = n + n / 2 + 1024;
	uint8_t *o = malloc(17 + cap);
	if (!o) return SWF_ENOMEM;
	lzma_stream s = LZMA_STREAM_INIT;
	lzma_ret r = lzma_raw_encoder(&s, f);
	if (r != LZMA_OK) { free(o); return r == LZMA_MEM_ERROR ? SWF_ENOMEM : SWF_ECODEC; }
	s.next_in = body;
	s.avail_in = n;
	s.next_out = o + 17;
	s.avail_out = cap;
	r = lzma_code(&s, LZMA_FINISH);
	size_t got = cap - s.avail_out;
	lzma_end(&s);
	if (r != LZMA_STREAM_END) { free(o); return r == LZMA_MEM_ERROR ? SWF_ENOMEM : SWF_ECODEC; }
	memcpy(o, hdr, 8);
	put_u32(o + 8, (uint32_t)got);    /* CompressedLength: the LZMA data after the properties */
	memcpy(o + 12, props, 5);
	*out = o;
	*out_n = 17 + got;
	return SWF_OK;
}

/* Why a handle cannot be converted, or SWF_OK. */
static int convert_refusal(const swf_info *i, int have_data, unsigned flags)
{
	if (!have_data || !i->have_header)
		return i->reason == SWF_R_NOT_SWF || i->reason == SWF_R_EMPTY || i->reason == SWF_R_TOO_SHORT
		       ? SWF_ENOTSWF : i->reason == SWF_R_TOO_BIG || i->reason == SWF_R_OUTPUT_CAPPED
		       ? SWF_ETOOBIG : SWF_EBROKEN;
	/* Salvage never covers the cap: the data past it was not even read. */
	if (i->dstatus == SWF_D_CAPPED) return SWF_ETOOBIG;
	if (i->dstatus != SWF_D_OK && !(flags & SWF_CONVERT_SALVAGE)) return SWF_EDAMAGED;
	return SWF_OK;
}

int swf_convert_file(const swf_file *f, int codec, unsigned flags, uint8_t **out, size_t *out_n)
{
	if (!f || !out || !out_n || codec < SWF_FWS || codec > SWF_ZWS) return SWF_EINVAL;
	*out = NULL;
	*out_n = 0;
	const swf_info *i = swf_file_info(f);
	size_t dn;
	const uint8_t *d = swf_file_data(f, &dn);
	int r = convert_refusal(i, d != NULL, flags);
	if (r) return r;
	if (dn > 0xFFFFFFFFu) return SWF_ETOOBIG;
	uint8_t hdr[8] = { codec == SWF_FWS ? 'F' : codec == SWF_CWS ? 'C' : 'Z', 'W', 'S', i->version };
	put_u32(hdr + 4, (uint32_t)dn);
	if (codec == SWF_CWS) return zlib_body(d + 8, dn - 8, hdr, out, out_n);
	if (codec == SWF_ZWS) return lzma_body(d + 8, dn - 8, hdr, out, out_n);
	uint8_t *p = malloc(dn);
	if (!p) return SWF_ENOMEM;
	memcpy(p, d, dn);
	memcpy(p, hdr, 8);
	*out = p;
	*out_n = dn;
	return SWF_OK;
}

int swf_convert(const uint8_t *data, size_t n, int codec, uint64_t max_size,
                uint8_t **out, size_t *out_n)
{
	if (!out || !out_n || (!data && n) || codec < SWF_FWS || codec > SWF_ZWS) return SWF_EINVAL;
	*out = NULL;
	*out_n = 0;
	swf_opts o = { max_size, 0, 1 };
	swf_file *f;
	int r = swf_parse(data, n, &o, &f);
	if (r) return r;
	r = swf_convert_file(f, codec, 0, out, out_n);
	swf_file_free(f);
	return r;
}
