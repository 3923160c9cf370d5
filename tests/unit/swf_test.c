/*
 * swf_test.c - libswf against oracles: zlib and liblzma's own decoders for
 * compression, hand-assembled files for every verdict and note, the
 * independent reader's manifest of ../shared/corpus/swf (when present), and
 * mutation sweeps (every prefix, random flips) that must always give a verdict.
 */
#include <lzma.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "swf.h"
#include "test.h"

/* ---- a tiny SWF assembler for the tests -------------------------------- */
typedef struct buf { uint8_t p[1 << 16]; size_t n; } buf;
static void b_put(buf *b, const void *s, size_t n) { if (n) memcpy(b->p + b->n, s, n); b->n += n; }
static void b_u8(buf *b, unsigned v) { b->p[b->n++] = (uint8_t)v; }
static void b_u16(buf *b, unsigned v) { b_u8(b, v & 255); b_u8(b, v >> 8); }
static void b_u32(buf *b, uint32_t v) { b_u16(b, v & 0xffff); b_u16(b, v >> 16); }
static void b_tag(buf *b, unsigned code, const void *body, size_t n, int force_long)
{
	if (n < 63 && !force_long) b_u16(b, code << 6 | (unsigned)n);
	else { b_u16(b, code << 6 | 0x3f); b_u32(b, (uint32_t)n); }
	b_put(b, body, n);
}
/* Header: FWS, version, FileLength (patched by fix_len), RECT 0..11000 x
 * 0..8000 with 15-bit fields (the common Flash header), 24 fps, frames. */
static void b_header(buf *b, unsigned version, unsigned frames)
{
	static const uint8_t rect[] = { 0x78, 0x00, 0x05, 0x5f, 0x00, 0x00, 0x0f, 0xa0, 0x00 };
	b->n = 0;
	b_put(b, "FWS", 3);
	b_u8(b, version);
	b_u32(b, 0);
	b_put(b, rect, sizeof rect);
	b_u16(b, 24 << 8);
	b_u16(b, frames);
}
static void fix_len(buf *b)
{
	b->p[4] = (uint8_t)b->n; b->p[5] = (uint8_t)(b->n >> 8); b->p[6] = (uint8_t)(b->n >> 16); b->p[7] = 0;
}
static const uint8_t fa_as3[4] = { 0x08, 0, 0, 0 };

static swf_file *parse(const void *d, size_t n)
{
	swf_opts o = { 0, 1, 1 };
	swf_file *f;
	CHECK(swf_parse(d, n, &o, &f) == SWF_OK);
	return f;
}

static int has_note(const swf_info *i, int kind)
{
	for (size_t k = 0; k < i->n_notes; k++) if (i->notes[k].kind == kind) return 1;
	return 0;
}

/* ---- header and tag walk ------------------------------------------------ */
TEST(header_fields)
{
	buf b;
	b_header(&b, 10, 1);
	b_tag(&b, 69, fa_as3, 4, 0);
	b_tag(&b, 1, NULL, 0, 0);
	b_tag(&b, 0, NULL, 0, 0);
	fix_len(&b);
	swf_file *f = parse(b.p, b.n);
	const swf_info *i = swf_file_info(f);
	CHECK_STR(i->signature, "FWS");
	CHECK_EQ_U64(i->version, 10);
	CHECK_EQ_U64(i->rect.nbits, 15);
	CHECK_EQ_I64(i->rect.xmax, 11000);
	CHECK_EQ_I64(i->rect.ymax, 8000);
	CHECK_EQ_U64(swf_width(i), 550);
	CHECK_EQ_U64(swf_height(i), 400);
	CHECK_NEAR(swf_frame_rate(i), 24.0, 1e-9);
	CHECK_EQ_U64(i->frame_count, 1);
	CHECK_EQ_U64(i->tag_count, 3);
	CHECK(i->has_end_tag && i->fileattributes_first);
	CHECK_EQ_U64(i->verdict, SWF_VERDICT_OK);
	CHECK_EQ_U64(i->n_notes, 0);
	CHECK_EQ_U64(i->decompressed_length, b.n);
	swf_file_free(f);
}

TEST(verdict_broken_cases)
{
	static const struct { const char *data; size_t n; int reason; } cases[] = {
		{ "", 0, SWF_R_EMPTY },
		{ "FW", 2, SWF_R_TOO_SHORT },
		{ "FWS\x0a\x10\0\0", 7, SWF_R_TOO_SHORT },
		{ "PK\x03\x04 not an swf", 16, SWF_R_NOT_SWF },
		{ "FWS\x0a\x20\0\0\0\x78", 9, SWF_R_HEADER_TRUNCATED },
		{ "FWS\x0a\x20\0\0\0\x78\x00\x05\x5f\x00\x00\x0f\xa0\x00\x00\x18", 19, SWF_R_HEADER_TRUNCATED },
		{ "CWS\x0a\x20\0\0\0\xff\xff\xff\xff", 12, SWF_R_ZLIB_ERROR },
	};
	for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
		swf_file *f = parse(cases[k].data, cases[k].n);
		const swf_info *i = swf_file_info(f);
		CHECKF(i->verdict == SWF_VERDICT_BROKEN, "case %zu: verdict %s", k, swf_verdict_name(i->verdict));
		CHECKF(i->reason == cases[k].reason, "case %zu: reason %s", k, swf_reason_name(i->reason));
		swf_file_free(f);
	}
}

TEST(verdict_damaged_and_notes)
{
	buf b;
	/* A tag that overruns the file: damaged at that tag's offset. */
	b_header(&b, 10, 1);
	b_tag(&b, 69, fa_as3, 4, 0);
	size_t at = b.n;
	b_u16(&b, 2 << 6 | 0x3f);
	b_u32(&b, 1000);
	b_put(&b, "abc", 3);
	fix_len(&b);
	swf_file *f = parse(b.p, b.n);
	const swf_info *i = swf_file_info(f);
	CHECK_EQ_U64(i->verdict, SWF_VERDICT_DAMAGED);
	CHECK_EQ_U64(i->reason, SWF_R_TAG_OVERRUNS_FILE);
	CHECK_EQ_U64(i->offset, at);
	CHECK_EQ_U64(i->wstatus, SWF_W_TAG_OVERRUNS_FILE);
	swf_file_free(f);

	/* A long header cut short. */
	b.n = at;
	b_u16(&b, 2 << 6 | 0x3f);
	b_u8(&b, 1);
	f = parse(b.p, b.n);
	CHECK_EQ_U64(swf_file_info(f)->reason, SWF_R_TRUNCATED_LONG_HEADER);
	swf_file_free(f);
	/* One stray byte where a tag header should be. */
	b.n = at;
	b_u8(&b, 1);
	f = parse(b.p, b.n);
	CHECK_EQ_U64(swf_file_info(f)->reason, SWF_R_TRUNCATED_TAG_HEADER);
	swf_file_free(f);

	/* PlaceObject of an id never defined. */
	b_header(&b, 10, 1);
	b_tag(&b, 69, fa_as3, 4, 0);
	uint8_t po[4] = { 77, 0, 1, 0 };
	at = b.n;
	b_tag(&b, 4, po, 4, 0);
	b_tag(&b, 1, NULL, 0, 0);
	b_tag(&b, 0, NULL, 0, 0);
	f = parse(b.p, b.n);
	i = swf_file_info(f);
	CHECK_EQ_U64(i->reason, SWF_R_UNDEFINED_CHARACTER);
	CHECK_EQ_U64(i->offset, at);
	CHECK_EQ_U64(i->first_undefined_id, 77);
	swf_file_free(f);

	/* Tolerated: no End, frame count mismatch, v8 without FileAttributes,
	 * unknown tag, long header on a short body, trailing bytes. */
	b_header(&b, 9, 3);
	b_tag(&b, 1, NULL, 0, 1);
	b_tag(&b, 200, "xy", 2, 0);
	b_tag(&b, 0, NULL, 0, 0);
	b_put(&b, "junk", 4);
	fix_len(&b);
	f = parse(b.p, b.n);
	i = swf_file_info(f);
	CHECK_EQ_U64(i->verdict, SWF_VERDICT_OK);
	CHECK(has_note(i, SWF_N_FRAME_COUNT));
	CHECK(has_note(i, SWF_N_NO_FILEATTRIBUTES));
	CHECK(has_note(i, SWF_N_UNKNOWN_TAG));
	CHECK(has_note(i, SWF_N_LONG_HEADER_SHORT_TAG));
	CHECK(has_note(i, SWF_N_TRAILING_BYTES));
	CHECK_EQ_U64(i->trailing_bytes, 4);
	CHECK_EQ_U64(i->wstatus, SWF_W_OK_TRAILING);
	CHECK(!has_note(i, SWF_N_NO_END_TAG));
	swf_file_free(f);
	b.n -= 6;              /* drop End and the junk */
	fix_len(&b);
	f = parse(b.p, b.n);
	CHECK(has_note(swf_file_info(f), SWF_N_NO_END_TAG));
	CHECK_EQ_U64(swf_file_info(f)->verdict, SWF_VERDICT_OK);
	swf_file_free(f);
}

TEST(sprite_nesting)
{
	buf b, s;
	b_header(&b, 10, 1);
	b_tag(&b, 69, fa_as3, 4, 0);
	/* DefineSprite 5: PlaceObject2 of 6 (defined after the sprite, which
	 * players accept), ShowFrame, End. */
	s.n = 0;
	b_u16(&s, 5); b_u16(&s, 1);
	uint8_t p2[5] = { 0x02, 1, 0, 6, 0 };
	b_tag(&s, 26, p2, 5, 0);
	b_tag(&s, 1, NULL, 0, 0);
	b_tag(&s, 0, NULL, 0, 0);
	b_tag(&b, 39, s.p, s.n, 0);
	uint8_t bits[4] = { 6, 0, 0xff, 0xd8 };
	b_tag(&b, 6, bits, 4, 0);
	b_tag(&b, 1, NULL, 0, 0);
	b_tag(&b, 0, NULL, 0, 0);
	fix_len(&b);
	swf_file *f = parse(b.p, b.n);
	const swf_info *i = swf_file_info(f);
	CHECK_EQ_U64(i->verdict, SWF_VERDICT_OK);
	CHECK_EQ_U64(i->tag_count, 5);
	CHECK_EQ_U64(i->nested_tag_count, 3);
	size_t nt;
	const swf_tag *t = swf_file_tags(f, &nt);
	CHECK_EQ_U64(nt, 8);
	CHECK_EQ_U64(t[1].code, 39);
	CHECK_EQ_U64(t[2].depth, 1);
	CHECK_EQ_I64(t[2].parent, 1);
	CHECK_EQ_U64(t[5].depth, 0);
	CHECK_EQ_U64(i->characters_defined, 2);
	swf_file_free(f);

	/* 1,100 sprites, each placing character 6000 defined after them all:
	 * every forward reference is kept until the end (1,024 once were, and
	 * the 1,025th was called undefined). Then one that never comes. */
	for (int missing = 0; missing < 2; missing++) {
		b_header(&b, 10, 1);
		b_tag(&b, 69, fa_as3, 4, 0);
		for (unsigned k = 0; k < 1100; k++) {
			s.n = 0;
			b_u16(&s, (uint16_t)(10 + k)); b_u16(&s, 1);
			uint8_t fw[5] = { 0x02, 1, 0, 0x70, 0x17 };   /* character 6000 */
			b_tag(&s, 26, fw, 5, 0);
			b_tag(&s, 1, NULL, 0, 0);
			b_tag(&s, 0, NULL, 0, 0);
			b_tag(&b, 39, s.p, s.n, 0);
		}
		uint8_t def[4] = { 0x70, missing ? 0x18 : 0x17, 0xff, 0xd8 };   /* 6000, or 6256 */
		b_tag(&b, 6, def, 4, 0);
		b_tag(&b, 1, NULL, 0, 0);
		b_tag(&b, 0, NULL, 0, 0);
		fix_len(&b);
		f = parse(b.p, b.n);
		i = swf_file_info(f);
		CHECK_EQ_U64(i->verdict, missing ? SWF_VERDICT_DAMAGED : SWF_VERDICT_OK);
		CHECK_EQ_U64(i->undefined_references, missing ? 1100 : 0);
		swf_file_free(f);
	}

	/* The sprite's inner stream overruns the sprite body. */
	s.n = 0;
	b_u16(&s, 5); b_u16(&s, 1);
	b_u16(&s, 26 << 6 | 20);
	b_put(&s, "ab", 2);
	b_header(&b, 10, 1);
	b_tag(&b, 69, fa_as3, 4, 0);
	b_tag(&b, 39, s.p, s.n, 0);
	b_tag(&b, 1, NULL, 0, 0);
	b_tag(&b, 0, NULL, 0, 0);
	fix_len(&b);
	f = parse(b.p, b.n);
	CHECK_EQ_U64(swf_file_info(f)->reason, SWF_R_SPRITE_TRUNCATED);
	CHECK_EQ_U64(swf_file_info(f)->verdict, SWF_VERDICT_DAMAGED);
	swf_file_free(f);
}

/* ---- compression against zlib/liblzma's own decoders -------------------- */
static uint8_t *synth(uint64_t seed, uint64_t idx, size_t *n)
{
	uint8_t *d;
	CHECK(swf_synth(seed, idx, &d, n) == SWF_OK);
	return d;
}

TEST(cws_matches_zlib)
{
	size_t n;
	uint8_t *fws = synth(1, 0, &n);
	uint8_t *cws;
	size_t cn;
	CHECK(swf_convert(fws, n, SWF_CWS, 0, &cws, &cn) == SWF_OK);
	CHECK_MEM(cws, "CWS", 3);
	CHECK_EQ_U64(cws[3], fws[3]);
	/* Oracle: zlib's one-shot uncompress gives back the body. */
	uLongf un = n - 8;
	uint8_t *body = malloc(un);
	CHECK(uncompress(body, &un, cws + 8, cn - 8) == Z_OK);
	CHECK_EQ_U64(un, n - 8);
	CHECK_MEM(body, fws + 8, n - 8);
	/* And our streaming reader agrees byte for byte. */
	swf_file *f = parse(cws, cn);
	size_t dn;
	const uint8_t *d = swf_file_data(f, &dn);
	CHECK_EQ_U64(dn, n);
	CHECK_MEM(d + 8, fws + 8, n - 8);
	CHECK_EQ_U64(swf_file_info(f)->dstatus, SWF_D_OK);
	CHECK_EQ_U64(swf_file_info(f)->verdict, SWF_VERDICT_OK);
	/* Taking the bytes hands over the same buffer; the handle has none left. */
	size_t tn;
	uint8_t *taken = swf_file_take_data(f, &tn);
	CHECK(taken == d && tn == n);
	CHECK(swf_file_data(f, &dn) == NULL && dn == 0);
	swf_file_free(f);
	CHECK_MEM(taken + 8, fws + 8, n - 8);
	free(taken);
	free(body); free(cws); free(fws);
}

TEST(zws_matches_lzma_alone)
{
	size_t n;
	uint8_t *fws = synth(2, 3, &n);
	uint8_t *zws;
	size_t zn;
	CHECK(swf_convert(fws, n, SWF_ZWS, 0, &zws, &zn) == SWF_OK);
	CHECK_MEM(zws, "ZWS", 3);
	CHECK_EQ_U64((uint32_t)(zws[8] | zws[9] << 8 | zws[10] << 16 | (uint32_t)zws[11] << 24), zn - 17);
	/* Oracle: liblzma's .lzma (alone) decoder, given the 13-byte header it
	 * expects: the 5 property bytes and the known uncompressed size. */
	size_t an = 13 + zn - 17;
	uint8_t *alone = malloc(an);
	memcpy(alone, zws + 12, 5);
	uint64_t us = n - 8;
	for (int k = 0; k < 8; k++) alone[5 + k] = (uint8_t)(us >> (8 * k));
	memcpy(alone + 13, zws + 17, zn - 17);
	uint8_t *body = malloc(n);
	size_t inpos = 0, outpos = 0;
	uint64_t memlimit = 1ull << 30;
	CHECK(lzma_alone_decoder != NULL);
	lzma_stream s = LZMA_STREAM_INIT;
	CHECK(lzma_alone_decoder(&s, memlimit) == LZMA_OK);
	s.next_in = alone; s.avail_in = an; s.next_out = body; s.avail_out = n;
	lzma_ret r = lzma_code(&s, LZMA_FINISH);
	outpos = n - s.avail_out;
	inpos = an - s.avail_in;
	lzma_end(&s);
	CHECKF(r == LZMA_STREAM_END, "lzma_code: %d", (int)r);
	CHECK_EQ_U64(outpos, n - 8);
	CHECK_EQ_U64(inpos, an);
	CHECK_MEM(body, fws + 8, n - 8);
	swf_file *f = parse(zws, zn);
	size_t dn;
	const uint8_t *d = swf_file_data(f, &dn);
	CHECK_EQ_U64(dn, n);
	CHECK_MEM(d + 8, fws + 8, n - 8);
	CHECK_EQ_U64(swf_file_info(f)->verdict, SWF_VERDICT_OK);
	CHECK(has_note(swf_file_info(f), SWF_N_ZWS_BELOW_V13));   /* synth is v10 */
	swf_file_free(f);
	free(alone); free(body); free(zws); free(fws);
}

/* ZWS written by liblzma's alone encoder (with an end marker), and with a
 * FileLength that lies: decoded by the unknown-size retry. */
TEST(zws_end_marker_and_bad_length)
{
	size_t n;
	uint8_t *fws = synth(3, 1, &n);
	lzma_options_lzma lo;
	CHECK(!lzma_lzma_preset(&lo, 6));
	lzma_stream s = LZMA_STREAM_INIT;
	CHECK(lzma_alone_encoder(&s, &lo) == LZMA_OK);
	size_t cap = n * 2 + 1024;
	uint8_t *alone = malloc(cap);
	s.next_in = fws + 8; s.avail_in = n - 8; s.next_out = alone; s.avail_out = cap;
	CHECK(lzma_code(&s, LZMA_FINISH) == LZMA_STREAM_END);
	size_t an = cap - s.avail_out;
	lzma_end(&s);
	/* alone: props(5) + size(8, unknown) + data with end marker */
	uint8_t *zws = malloc(17 + an);
	memcpy(zws, "ZWS", 3);
	zws[3] = 13;
	memcpy(zws + 4, fws + 4, 4);
	uint32_t cl = (uint32_t)(an - 13);
	for (int k = 0; k < 4; k++) zws[8 + k] = (uint8_t)(cl >> (8 * k));
	memcpy(zws + 12, alone, 5);
	memcpy(zws + 17, alone + 13, an - 13);
	size_t zn = 17 + an - 13;
	swf_file *f = parse(zws, zn);
	CHECK_EQ_U64(swf_file_info(f)->dstatus, SWF_D_OK);
	CHECK_EQ_U64(swf_file_info(f)->decompressed_length, n);
	swf_file_free(f);
	/* FileLength larger than the data: only the end marker tells the end. */
	zws[4] = (uint8_t)(n + 100); zws[5] = (uint8_t)((n + 100) >> 8);
	zws[6] = (uint8_t)((n + 100) >> 16); zws[7] = 0;
	f = parse(zws, zn);
	const swf_info *i = swf_file_info(f);
	CHECK_EQ_U64(i->dstatus, SWF_D_OK_UNKNOWN_SIZE);
	CHECK_EQ_U64(i->decompressed_length, n);
	CHECK(has_note(i, SWF_N_LZMA_UNKNOWN_SIZE));
	CHECK_EQ_U64(i->verdict, SWF_VERDICT_OK);
	swf_file_free(f);
	free(alone); free(zws); free(fws);
}

TEST(output_cap)
{
	/* CWS whose body inflates to 1 MiB, parsed with a 64 KiB cap. */
	size_t big = 1 << 20;
	uint8_t *raw = calloc(1, big);
	uLongf cn = compressBound((uLong)big);
	uint8_t *cws = malloc(8 + cn);
	memcpy(cws, "CWS\x0a", 4);
	uint32_t declared = (uint32_t)(big + 8);
	for (int k = 0; k < 4; k++) cws[4 + k] = (uint8_t)(declared >> (8 * k));
	CHECK(compress2(cws + 8, &cn, raw, (uLong)big, 9) == Z_OK);
	swf_opts o = { 65536, 0, 0 };
	swf_file *f;
	CHECK(swf_parse(cws, 8 + cn, &o, &f) == SWF_OK);
	CHECK_EQ_U64(swf_file_info(f)->verdict, SWF_VERDICT_BROKEN);
	CHECK_EQ_U64(swf_file_info(f)->reason, SWF_R_TOO_BIG);
	swf_file_free(f);
	/* A FileLength that lies low: the stream itself passes the cap. */
	cws[4] = 0; cws[5] = 1; cws[6] = 0; cws[7] = 0;       /* 256 */
	CHECK(swf_parse(cws, 8 + cn, &o, &f) == SWF_OK);
	CHECK_EQ_U64(swf_file_info(f)->dstatus, SWF_D_CAPPED);
	CHECK_EQ_U64(swf_file_info(f)->reason, SWF_R_OUTPUT_CAPPED);
	CHECK(swf_file_info(f)->decompressed_length <= 65536);
	swf_file_free(f);
	free(raw); free(cws);
}

TEST(convert_round_trip_all_codecs)
{
	size_t n;
	uint8_t *fws = synth(9, 2, &n);
	int codecs[] = { SWF_CWS, SWF_ZWS, SWF_FWS };
	for (int a = 0; a < 3; a++) {
		uint8_t *x, *y;
		size_t xn, yn;
		CHECK(swf_convert(fws, n, codecs[a], 0, &x, &xn) == SWF_OK);
		CHECK(swf_convert(x, xn, SWF_FWS, 0, &y, &yn) == SWF_OK);
		CHECK_EQ_U64(yn, n);
		CHECK_MEM(y, fws, n);            /* FileLength was exact: whole file equal */
		free(x); free(y);
	}
	uint8_t *x;
	size_t xn;
	CHECK(swf_convert((const uint8_t *)"not an swf", 10, SWF_CWS, 0, &x, &xn) == SWF_ENOTSWF);
	CHECK(swf_convert((const uint8_t *)"FWS\x0a\x20\0\0\0\x78", 9, SWF_CWS, 0, &x, &xn) == SWF_EBROKEN);
	free(fws);
}

/* A damaged input (stream cut or corrupt, FileLength disagreeing with the
 * data) is refused: converting it would hide the damage behind a fresh
 * FileLength. Salvage converts what decodes, and says nothing is wrong only
 * through the handle's info. */
TEST(convert_refuses_damaged)
{
	size_t n;
	uint8_t *fws = synth(9, 4, &n);
	uint8_t *x, *y;
	size_t xn, yn;
	int codecs[] = { SWF_CWS, SWF_ZWS };
	for (int c = 0; c < 2; c++) {
		CHECK(swf_convert(fws, n, codecs[c], 0, &x, &xn) == SWF_OK);
		/* Cut short, and a flipped byte in the stream. */
		CHECK(swf_convert(x, xn / 2, SWF_FWS, 0, &y, &yn) == SWF_EDAMAGED);
		CHECK(y == NULL && yn == 0);
		x[xn / 3] ^= 0xff;
		CHECK(swf_convert(x, xn, SWF_FWS, 0, &y, &yn) == SWF_EDAMAGED);
		x[xn / 3] ^= 0xff;
		/* FileLength lies about a complete stream. */
		x[4] ^= 0x10;
		CHECK(swf_convert(x, xn, SWF_FWS, 0, &y, &yn) == SWF_EDAMAGED);
		x[4] ^= 0x10;
		/* Salvage gives the decodable prefix, FileLength set to match. */
		swf_opts so = { 0, 0, 1 };
		swf_file *f;
		CHECK(swf_parse(x, xn / 2, &so, &f) == SWF_OK);
		CHECK(swf_file_info(f)->dstatus != SWF_D_OK);
		CHECK(swf_convert_file(f, SWF_FWS, 0, &y, &yn) == SWF_EDAMAGED);
		CHECK(swf_convert_file(f, SWF_FWS, SWF_CONVERT_SALVAGE, &y, &yn) == SWF_OK);
		CHECK(yn > 8 && yn < n);
		CHECK_EQ_U64(y[4] | y[5] << 8 | y[6] << 16 | (uint32_t)y[7] << 24, yn);
		CHECK_MEM(y + 8, fws + 8, yn - 8);
		free(y);
		swf_file_free(f);
		free(x);
	}
	/* FWS: cut short, or with bytes past FileLength. */
	CHECK(swf_convert(fws, n - 10, SWF_CWS, 0, &x, &xn) == SWF_EDAMAGED);
	uint8_t *longer = malloc(n + 3);
	memcpy(longer, fws, n);
	memset(longer + n, 0, 3);
	CHECK(swf_convert(longer, n + 3, SWF_CWS, 0, &x, &xn) == SWF_EDAMAGED);
	free(longer);
	free(fws);
}

/* ---- synth and prompt --------------------------------------------------- */
TEST(synth_valid_and_deterministic)
{
	for (uint64_t k = 0; k < 40; k++) {
		size_t n, m;
		uint8_t *a = synth(42, k, &n), *b = synth(42, k, &m);
		CHECK_EQ_U64(n, m);
		CHECK_MEM(a, b, n);
		swf_file *f = parse(a, n);
		const swf_info *i = swf_file_info(f);
		CHECKF(i->verdict == SWF_VERDICT_OK, "synth %llu: %s %s", (unsigned long long)k,
		       swf_verdict_name(i->verdict), swf_reason_name(i->reason));
		CHECKF(i->n_notes == 0, "synth %llu: note %s", (unsigned long long)k, swf_note_name(i->notes[0].kind));
		CHECK(i->title && i->description);
		CHECK_EQ_U64(i->show_frames, i->frame_count);
		CHECK_EQ_U64(i->shapes.n, strstr(i->description, "diamond") ? 4 : 3);
		swf_file_free(f);
		free(b);
		uint8_t *c = synth(43, k, &m);
		CHECK(m != n || memcmp(a, c, n));  /* another seed, another file */
		free(a); free(c);
	}
}

TEST(prompt_fields)
{
	buf b, t;
	b_header(&b, 10, 1);
	b_tag(&b, 69, fa_as3, 4, 0);
	const char *xmp = "<x:xmpmeta><dc:title><rdf:Alt><rdf:li xml:lang=\"x-default\">Fish &amp; Chips</rdf:li>"
	                  "</rdf:Alt></dc:title><dc:description>Two\n lines</dc:description></x:xmpmeta>";
	b_tag(&b, 77, xmp, strlen(xmp) + 1, 0);
	/* DefineEditText with HTML text in Japanese. */
	t.n = 0;
	b_u16(&t, 3);
	b_u8(&t, 0x08); b_u8(&t, 0x00);           /* RECT nbits 1: all zero */
	b_u8(&t, 0x80); b_u8(&t, 0x02);           /* HasText; HTML */
	b_u8(&t, 0);                              /* VariableName "" */
	const char *txt = "<p>こんにちは &amp; 世界</p>";
	b_put(&t, txt, strlen(txt) + 1);
	b_tag(&b, 37, t.p, t.n, 0);
	b_tag(&b, 1, NULL, 0, 0);
	b_tag(&b, 0, NULL, 0, 0);
	fix_len(&b);
	swf_file *f = parse(b.p, b.n);
	const swf_info *i = swf_file_info(f);
	CHECK_STR(i->title, "Fish & Chips");
	CHECK_STR(i->description, "Two lines");
	CHECK_EQ_U64(i->texts.n, 1);
	CHECK_STR(i->texts.v[0], "こんにちは & 世界");
	char langs[64];
	swf_languages(i, langs, sizeof langs);
	CHECK_STR(langs, "English, Japanese");
	char *p = swf_prompt(i, NULL, 43000);
	CHECK_STR(p, "Please generate an animation with the following specifications:\n"
	             "- Frame rate: 24.0\n- Resolution: 550x400\n- Language(s): English, Japanese\n"
	             "- Title: Fish & Chips\n- Size: 42KB\n- Description: Two lines");
	free(p);
	/* A sidecar description wins, and cannot add lines of its own. */
	p = swf_prompt(i, "a\nb", 10);
	CHECK(strstr(p, "- Size: 1KB\n- Description: a b") != NULL);
	free(p);
	swf_file_free(f);
}

/* ---- mutation sweeps ------------------------------------------------------ */
static void sweep(const uint8_t *d, size_t n, uint64_t seed, int flips)
{
	uint8_t *m = malloc(n ? n : 1);
	/* Every prefix: a verdict, consistent with its reason. */
	for (size_t k = 0; k <= n; k++) {
		swf_opts o = { 1 << 22, 0, 0 };
		swf_file *f;
		memcpy(m, d, k);
		CHECK(swf_parse(m, k, &o, &f) == SWF_OK);
		const swf_info *i = swf_file_info(f);
		CHECK((i->verdict == SWF_VERDICT_OK) == (i->reason == SWF_R_NONE));
		if (k < 8) CHECK_EQ_U64(i->verdict, SWF_VERDICT_BROKEN);
		swf_file_free(f);
	}
	/* Random flips of 1-4 bytes. */
	uint64_t st = seed | 1;
	for (int r = 0; r < flips && n; r++) {
		memcpy(m, d, n);
		int nf = 1 + (int)(test_rand(&st) % 4);
		for (int q = 0; q < nf; q++) m[test_rand(&st) % n] ^= (uint8_t)(1 + test_rand(&st) % 255);
		swf_opts o = { 1 << 22, 1, 1 };
		swf_file *f;
		CHECK(swf_parse(m, n, &o, &f) == SWF_OK);
		const swf_info *i = swf_file_info(f);
		CHECK((i->verdict == SWF_VERDICT_OK) == (i->reason == SWF_R_NONE));
		char *p = swf_prompt(i, NULL, n);
		CHECK(p != NULL);
		free(p);
		swf_file_free(f);
	}
	free(m);
}

TEST(mutation_synth)
{
	for (uint64_t k = 0; k < 3; k++) {
		size_t n;
		uint8_t *fws = synth(5, k, &n);
		int codecs[] = { SWF_FWS, SWF_CWS, SWF_ZWS };
		for (int c = 0; c < 3; c++) {
			uint8_t *x;
			size_t xn;
			CHECK(swf_convert(fws, n, codecs[c], 0, &x, &xn) == SWF_OK);
			/* Prefixes of a compressed file stop inside the stream: never ok. */
			sweep(x, xn, k * 3 + c + 1, 300);
			if (c) {
				swf_file *f = parse(x, xn / 2);
				CHECK(swf_file_info(f)->verdict != SWF_VERDICT_OK);
				swf_file_free(f);
			}
			free(x);
		}
		free(fws);
	}
}

TEST(mutation_corpus)
{
	const char *dir = test_corpus("swf");
	if (!dir) SKIP("../shared/corpus/swf not present");
	/* A fixed, varied sample: the 40 files of the manifest's first lines
	 * (sorted by hash, so an arbitrary mix), each under 8 KiB so that every prefix stays cheap. */
	char path[4096];
	snprintf(path, sizeof path, "%s/manifest.tsv", dir);
	FILE *m = fopen(path, "r");
	CHECK(m != NULL);
	char line[8192];
	int done = 0;
	CHECK(fgets(line, sizeof line, m) != NULL);
	while (done < 40 && fgets(line, sizeof line, m)) {
		line[64] = 0;
		snprintf(path, sizeof path, "%s/%.64s.swf", dir, line);
		size_t n;
		uint8_t *d = test_read_file(path, &n);
		if (n <= 8192) { sweep(d, n, (uint64_t)done + 100, 200); done++; }
		free(d);
	}
	fclose(m);
	CHECK(done > 0);
}

/* ---- agreement with the corpus manifest ----------------------------------
 * Columns (../shared/corpus/README.md): sha256 size signature version origin
 * path declared_len decompressed_len decomp_status rect frame_rate
 * frame_count tags tag_walk end_tag fileattributes_first. Every field is
 * compared; each disagreement is printed. */
TEST(corpus_manifest_agreement)
{
	const char *dir = test_corpus("swf");
	if (!dir) SKIP("../shared/corpus/swf not present");
	char path[4096];
	snprintf(path, sizeof path, "%s/manifest.tsv", dir);
	FILE *m = fopen(path, "r");
	CHECK(m != NULL);
	char line[16384];
	CHECK(fgets(line, sizeof line, m) != NULL);
	int files = 0, disagree = 0;
	while (fgets(line, sizeof line, m)) {
		line[strcspn(line, "\r\n")] = 0;
		char *c[16] = { 0 };
		int nc = 0;
		for (char *s = line; nc < 16;) {
			c[nc++] = s;
			char *tab = strchr(s, '\t');
			if (!tab) break;
			*tab = 0;
			s = tab + 1;
		}
		CHECKF(nc == 16, "manifest line %d has %d columns", files + 2, nc);
		snprintf(path, sizeof path, "%s/%.64s.swf", dir, c[0]);
		size_t n;
		uint8_t *d = test_read_file(path, &n);
		swf_opts o = { 0, 0, 0 };
		swf_file *f;
		CHECK(swf_parse(d, n, &o, &f) == SWF_OK);
		const swf_info *i = swf_file_info(f);
		char got[16][128];
		snprintf(got[1], 128, "%zu", n);
		snprintf(got[2], 128, "%s", i->signature);
		snprintf(got[3], 128, "%u", i->version);
		snprintf(got[6], 128, "%u", i->declared_length);
		snprintf(got[8], 128, "%s", swf_dstatus_name(i->dstatus));
		int cols[8] = { 1, 2, 3, 6, 8 };
		int ncols = 5;
		int hdr[] = { 7, 9, 10, 11, 12, 13, 14, 15 };
		if (i->dstatus != SWF_D_NOT_SWF && i->dstatus != SWF_D_TOO_SHORT) {
			snprintf(got[7], 128, "%llu", (unsigned long long)i->decompressed_length);
			cols[ncols++] = 7;
		}
		int with_hdr = i->have_header;
		if (with_hdr) {
			snprintf(got[9], 128, "%u:%d,%d,%d,%d", i->rect.nbits, i->rect.xmin, i->rect.xmax, i->rect.ymin, i->rect.ymax);
			snprintf(got[10], 128, "%g", swf_frame_rate(i));
			snprintf(got[11], 128, "%u", i->frame_count);
			snprintf(got[12], 128, "%llu", (unsigned long long)i->tag_count);
			if (i->wstatus == SWF_W_OK_TRAILING)
				snprintf(got[13], 128, "ok_trailing_%llu", (unsigned long long)i->trailing_bytes);
			else
				snprintf(got[13], 128, "%s", swf_wstatus_name(i->wstatus));
			snprintf(got[14], 128, "%s", i->has_end_tag ? "yes" : "no");
			snprintf(got[15], 128, "%s", i->fileattributes_first ? "yes" : "no");
		} else {
			/* No header: the manifest leaves these columns empty. */
			for (int k = 1; k < 8; k++) got[hdr[k]][0] = 0;
			if (i->dstatus == SWF_D_NOT_SWF) got[7][0] = 0;
		}
		int e = 0;
		for (int k = 0; k < ncols; k++) {
			if (strcmp(got[cols[k]], c[cols[k]])) {
				printf("  disagree: %s column %d: manifest \"%s\", kiln \"%s\"\n", c[0], cols[k], c[cols[k]], got[cols[k]]);
				e = 1;
			}
		}
		for (int k = 1; k < 8; k++) {
			if (strcmp(got[hdr[k]], c[hdr[k]])) {
				printf("  disagree: %s column %d: manifest \"%s\", kiln \"%s\"\n", c[0], hdr[k], c[hdr[k]], got[hdr[k]]);
				e = 1;
			}
		}
		disagree += e;
		files++;
		swf_file_free(f);
		free(d);
	}
	fclose(m);
	CHECK(files > 2000);
	CHECKF(disagree == 0, "%d of %d files disagree with the manifest (listed above)", disagree, files);
}
