/*
 * swf_parse.c - swf_parse(): decompress, read the header fields after
 * FileLength (RECT, frame rate, frame count), walk the tags and settle the
 * verdict. Also the name tables for verdicts, reasons, notes and statuses,
 * and the small shared helpers (bit reader, string lists).
 */
#include <stdlib.h>
#include <string.h>

#include "swf_internal.h"

const char *swf_strerror(int code)
{
	switch (code) {
	case SWF_OK: return "success";
	case SWF_ENOMEM: return "out of memory";
	case SWF_EINVAL: return "invalid argument";
	case SWF_ENOTSWF: return "not an SWF file (signature is not FWS, CWS or ZWS)";
	case SWF_EBROKEN: return "broken SWF: the header cannot be read";
	case SWF_ETOOBIG: return "decompressed size passes the limit";
	case SWF_ECODEC: return "compressor failed";
	case SWF_EDAMAGED: return "damaged SWF: the stream is cut or corrupt, or FileLength disagrees with the data";
	}
	return "unknown error";
}

const char *swf_verdict_name(int v)
{
	return v == SWF_VERDICT_OK ? "ok" : v == SWF_VERDICT_DAMAGED ? "damaged" : "broken";
}

static const char *const reason_names[SWF_R__COUNT] = {
	"none", "empty", "too_short", "not_swf", "too_big", "zlib_error", "lzma_error",
	"header_truncated", "zlib_truncated", "lzma_truncated", "truncated_tag_header",
	"truncated_long_header", "tag_overruns_file", "sprite_truncated",
	"undefined_character", "output_capped",
};
const char *swf_reason_name(int r) { return r >= 0 && r < SWF_R__COUNT ? reason_names[r] : "?"; }

static const char *const note_names[SWF_N__COUNT] = {
	"no_end_tag", "frame_count_mismatch", "no_fileattributes", "cws_below_v6",
	"zws_below_v13", "unknown_tag", "long_header_short_tag", "trailing_bytes",
	"length_mismatch", "lzma_unknown_size", "sprite_without_end", "duplicate_character",
	"tag_not_allowed_in_sprite", "tag_body_short",
};
const char *swf_note_name(int k) { return k >= 0 && k < SWF_N__COUNT ? note_names[k] : "?"; }

const char *swf_dstatus_name(int st)
{
	static const char *const n[] = { "ok", "ok_unknown_size", "short", "trailing",
		"zlib_truncated", "zlib_error", "lzma_truncated", "lzma_error", "len_mismatch",
		"not_swf", "too_short", "capped" };
	return st >= 0 && st < (int)(sizeof n / sizeof *n) ? n[st] : "?";
}

const char *swf_wstatus_name(int st)
{
	static const char *const n[] = { "ok", "ok_trailing", "eof_without_end", "truncated_tag_header",
		"truncated_long_header", "tag_overruns_file", "header_truncated", "none" };
	return st >= 0 && st < (int)(sizeof n / sizeof *n) ? n[st] : "?";
}

void swf__note(swf_info *i, int kind, uint64_t offset, uint64_t arg)
{
	for (size_t k = 0; k < i->n_notes; k++) {
		if (i->notes[k].kind == kind) { i->notes[k].count++; return; }
	}
	if (i->n_notes >= SWF_N__COUNT) return;
	swf_note *n = &i->notes[i->n_notes++];
	n->kind = kind;
	n->offset = offset;
	n->count = 1;
	n->arg = arg;
}

void swf__problem(swf_info *i, int reason, uint64_t offset)
{
	if (i->reason == SWF_R_NONE || offset < i->offset) {
		i->reason = reason;
		i->offset = offset;
	}
}

char *swf__strndup(const char *s, size_t n)
{
	char *p = malloc(n + 1);
	if (!p) return NULL;
	memcpy(p, s, n);
	p[n] = 0;
	return p;
}

int swf__strings_add(swf_strings *l, const char *s, size_t n)
{
	if (l->n >= SWF__MAX_STRINGS) return 0;
	if (n > SWF__MAX_STRING) n = SWF__MAX_STRING;
	/* Keep strings NUL-free so callers can treat them as C strings. */
	size_t k = 0;
	while (k < n && s[k]) k++;
	char **nv = realloc(l->v, (l->n + 1) * sizeof *nv);
	if (!nv) return -1;
	l->v = nv;
	if (!(l->v[l->n] = swf__strndup(s, k))) return -1;
	l->n++;
	return 0;
}

void swf__strings_free(swf_strings *l)
{
	for (size_t k = 0; k < l->n; k++) free(l->v[k]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

int swf__ubits(swf__bits *b, unsigned nbits, uint32_t *out)
{
	if (nbits > 32 || b->bit + nbits > (uint64_t)b->n * 8) return -1;
	uint32_t v = 0;
	for (unsigned k = 0; k < nbits; k++, b->bit++)
		v = v << 1 | ((b->p[b->bit >> 3] >> (7 - (b->bit & 7))) & 1);
	*out = v;
	return 0;
}

int swf__sbits(swf__bits *b, unsigned nbits, int32_t *out)
{
	uint32_t v;
	if (swf__ubits(b, nbits, &v)) return -1;
	/* Sign-extend from bit nbits-1. */
	if (nbits > 0 && nbits < 32 && (v >> (nbits - 1)) & 1) v |= ~0u << nbits;
	*out = (int32_t)v;
	return 0;
}

uint32_t swf_width(const swf_info *i)
{
	int64_t w = (int64_t)i->rect.xmax - i->rect.xmin;
	return w <= 0 ? 0 : (uint32_t)((w + 10) / 20);
}

uint32_t swf_height(const swf_info *i)
{
	int64_t h = (int64_t)i->rect.ymax - i->rect.ymin;
	return h <= 0 ? 0 : (uint32_t)((h + 10) / 20);
}

double swf_frame_rate(const swf_info *i) { return i->frame_rate_88 / 256.0; }

/* Header after FileLength: RECT (5-bit nbits, four signed nbits fields),
 * frame rate (8.8, stored little-endian: fraction byte first), frame count. */
static int read_header(swf_info *i, const uint8_t *d, size_t n)
{
	if (n < 9) return -1;
	swf__bits b = { d + 8, n - 8, 0 };
	uint32_t nbits;
	swf__ubits(&b, 5, &nbits);
	i->rect.nbits = nbits;
	if (swf__sbits(&b, nbits, &i->rect.xmin) || swf__sbits(&b, nbits, &i->rect.xmax) ||
	    swf__sbits(&b, nbits, &i->rect.ymin) || swf__sbits(&b, nbits, &i->rect.ymax))
		return -1;
	size_t off = 8 + (size_t)((b.bit + 7) / 8);
	if (n < off + 4) return -1;
	i->frame_rate_88 = (uint16_t)swf__u16(d + off);
	i->frame_count = (uint16_t)swf__u16(d + off + 2);
	i->body_offset = off + 4;
	i->have_header = 1;
	return 0;
}

static int is_broken_reason(int r)
{
	return r == SWF_R_EMPTY || r == SWF_R_TOO_SHORT || r == SWF_R_NOT_SWF ||
	       r == SWF_R_TOO_BIG || r == SWF_R_HEADER_TRUNCATED;
}

int swf_parse(const uint8_t *data, size_t n, const swf_opts *opts, swf_file **out)
{
	if (!out || (!data && n)) return SWF_EINVAL;
	*out = NULL;
	swf_file *f = calloc(1, sizeof *f);
	if (!f) return SWF_ENOMEM;
	swf_info *i = &f->info;
	uint64_t cap = opts && opts->max_size ? opts->max_size : SWF_DEFAULT_MAX_SIZE;
	f->keep_tags = opts && opts->keep_tags;
	i->wstatus = SWF_W_NONE;

	swf__decoded dec;
	int r = swf__decompress(data, n, cap, i, &dec);
	if (r) { free(f); return r; }
	if (dec.data && read_header(i, dec.data, dec.n) == 0) {
		swf__walk(f, dec.data, dec.n);
		/* A stream that stopped early explains any tag-walk problem at its
		 * end: name the root cause, at the offset where the data stops. */
		if (dec.reason) { i->reason = dec.reason; i->offset = dec.reason_offset; }
	} else if (dec.data) {
		/* Decompression stopped (or the file ends) inside the header: this is
		 * the paper's "fully broken". Name the codec error when there was one. */
		i->wstatus = SWF_W_HEADER_TRUNCATED;
		int why = dec.reason == SWF_R_ZLIB_ERROR || dec.reason == SWF_R_LZMA_ERROR ||
		          dec.reason == SWF_R_OUTPUT_CAPPED ? dec.reason : SWF_R_HEADER_TRUNCATED;
		swf__problem(i, why, dec.n);
	} else {
		swf__problem(i, dec.reason, dec.reason_offset);
	}
	if (!i->have_header || is_broken_reason(i->reason)) i->verdict = SWF_VERDICT_BROKEN;
	else if (i->reason != SWF_R_NONE) i->verdict = SWF_VERDICT_DAMAGED;
	else i->verdict = SWF_VERDICT_OK;

	if (opts && opts->keep_data && dec.data) {
		if (dec.owned) {
			f->data = dec.owned;
			dec.owned = NULL;
		} else if ((f->data = malloc(dec.n ? dec.n : 1))) {
			memcpy(f->data, dec.data, dec.n);
		} else {
			f->oom = 1;
		}
		f->data_n = dec.n;
	}
	free(dec.owned);
	if (f->oom) { swf_file_free(f); return SWF_ENOMEM; }
	*out = f;
	return SWF_OK;
}

void swf_file_free(swf_file *f)
{
	if (!f) return;
	swf_info *i = &f->info;
	free(i->title);
	free(i->description);
	swf__strings_free(&i->texts);
	swf__strings_free(&i->fonts);
	swf__strings_free(&i->labels);
	swf__strings_free(&i->exports);
	free(f->tags);
	free(f->data);
	free(f);
}

const swf_info *swf_file_info(const swf_file *f) { return &f->info; }

const swf_tag *swf_file_tags(const swf_file *f, size_t *n)
{
	*n = f->ntags;
	return f->tags;
}

const uint8_t *swf_file_data(const swf_file *f, size_t *n)
{
	*n = f->data_n;
	return f->data;
}

uint8_t *swf_file_take_data(swf_file *f, size_t *n)
{
	uint8_t *d = f->data;
	*n = d ? f->data_n : 0;
	f->data = NULL;
	f->data_n = 0;
	return d;
}
