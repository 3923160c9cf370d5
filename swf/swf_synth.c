/*
 * swf_synth.c - procedural SWF animations for demos and tests: a checkered
 * pattern sliding over the stage, a square cycling through colours and a
 * line of text, at varied sizes and frame rates, with a title and a
 * description in XMP (sometimes a bouncing diamond too). Only DefineShape,
 * DefineEditText and PlaceObject2 are used, so every Flash-era player shows
 * them; no ActionScript.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swf_internal.h"

typedef struct wbuf { uint8_t *p; size_t n, cap; int oom; } wbuf;

static void put(wbuf *b, const void *src, size_t n)
{
	if (b->oom) return;
	if (b->n + n > b->cap) {
		size_t nc = (b->n + n) * 2 + 256;
		uint8_t *np = realloc(b->p, nc);
		if (!np) { b->oom = 1; return; }
		b->p = np;
		b->cap = nc;
	}
	memcpy(b->p + b->n, src, n);
	b->n += n;
}
static void put8(wbuf *b, unsigned v) { uint8_t c = (uint8_t)v; put(b, &c, 1); }
static void put16(wbuf *b, unsigned v) { put8(b, v & 0xff); put8(b, (v >> 8) & 0xff); }
static void put32(wbuf *b, uint32_t v) { put16(b, v & 0xffff); put16(b, v >> 16); }

/* MSB-first bit writer on top of wbuf, as RECT/MATRIX/shape records need. */
typedef struct bitw { wbuf *b; unsigned acc, nacc; } bitw;
static void bits(bitw *w, unsigned n, uint32_t v)
{
	while (n--) {
		w->acc = w->acc << 1 | ((v >> n) & 1);
		if (++w->nacc == 8) { put8(w->b, w->acc); w->acc = w->nacc = 0; }
	}
}
static void bits_align(bitw *w) { if (w->nacc) bits(w, 8 - w->nacc, 0); }

/* Bits for a signed value: the smallest n with -2^(n-1) <= v < 2^(n-1). */
static unsigned sbits_for(int32_t v)
{
	unsigned n = 1;
	while (n < 32 && (v < -(1 << (n - 1)) || v >= (1 << (n - 1)))) n++;
	return n;
}

static void rect(wbuf *b, int32_t x0, int32_t x1, int32_t y0, int32_t y1)
{
	unsigned n = sbits_for(x0);
	unsigned m;
	if ((m = sbits_for(x1)) > n) n = m;
	if ((m = sbits_for(y0)) > n) n = m;
	if ((m = sbits_for(y1)) > n) n = m;
	bitw w = { b, 0, 0 };
	bits(&w, 5, n);
	bits(&w, n, (uint32_t)x0); bits(&w, n, (uint32_t)x1);
	bits(&w, n, (uint32_t)y0); bits(&w, n, (uint32_t)y1);
	bits_align(&w);
}

/* RECORDHEADER: short form below 63 bytes, long form otherwise. */
static void tag(wbuf *out, unsigned code, const wbuf *body)
{
	size_t n = body ? body->n : 0;
	if (n < 63) put16(out, code << 6 | (unsigned)n);
	else { put16(out, code << 6 | 0x3f); put32(out, (uint32_t)n); }
	if (n) put(out, body->p, n);
	if (body && body->oom) out->oom = 1;
}

/* DefineShape with one solid fill: a list of axis-aligned squares (twips),
 * each a closed path of four straight edges. */
static void shape_squares(wbuf *out, unsigned id, const uint8_t rgb[3], const int32_t *xy,
                          size_t nsq, int32_t size, int32_t bx0, int32_t bx1, int32_t by0, int32_t by1)
{
	wbuf s = { 0 };
	put16(&s, id);
	rect(&s, bx0, bx1, by0, by1);
	put8(&s, 1);                     /* one fill style */
	put8(&s, 0x00);                  /* solid */
	put(&s, rgb, 3);
	put8(&s, 0);                     /* no line styles */
	bitw w = { &s, 0, 0 };
	bits(&w, 4, 1);                  /* NumFillBits */
	bits(&w, 4, 0);                  /* NumLineBits */
	unsigned eb = sbits_for(size) < 2 ? 2 : sbits_for(size) + 1;
	for (size_t k = 0; k < nsq; k++) {
		int32_t x = xy[2 * k], y = xy[2 * k + 1];
		unsigned mb = sbits_for(x) > sbits_for(y) ? sbits_for(x) : sbits_for(y);
		/* StyleChangeRecord: TypeFlag 0, NewStyles 0, LineStyle 0,
		 * FillStyle1 (first square only), FillStyle0 0, MoveTo 1. */
		bits(&w, 1, 0); bits(&w, 1, 0); bits(&w, 1, 0); bits(&w, 1, k == 0); bits(&w, 1, 0); bits(&w, 1, 1);
		bits(&w, 5, mb);
		bits(&w, mb, (uint32_t)x);
		bits(&w, mb, (uint32_t)y);
		if (k == 0) bits(&w, 1, 1);
		/* Four StraightEdgeRecords, horizontal/vertical: TypeFlag 1,
		 * StraightFlag 1, NumBits-2, GeneralLine 0, Vert flag, delta. */
		static const int dir[4][2] = { { 1, 0 }, { 0, 1 }, { -1, 0 }, { 0, -1 } };
		for (int e = 0; e < 4; e++) {
			bits(&w, 2, 3);
			bits(&w, 4, eb - 2);
			bits(&w, 1, 0);
			bits(&w, 1, dir[e][1] != 0);
			bits(&w, eb, (uint32_t)(size * (dir[e][0] + dir[e][1])));
		}
	}
	bits(&w, 6, 0);                  /* EndShapeRecord */
	bits_align(&w);
	tag(out, 2, &s);
	free(s.p);
}

/* DefineShape with one solid fill: a diamond of half-diagonal h twips,
 * drawn with general (diagonal) StraightEdgeRecords. */
static void shape_diamond(wbuf *out, unsigned id, const uint8_t rgb[3], int32_t h)
{
	wbuf s = { 0 };
	put16(&s, id);
	rect(&s, 0, 2 * h, 0, 2 * h);
	put8(&s, 1);
	put8(&s, 0x00);
	put(&s, rgb, 3);
	put8(&s, 0);
	bitw w = { &s, 0, 0 };
	bits(&w, 4, 1);
	bits(&w, 4, 0);
	unsigned mb = sbits_for(h);
	bits(&w, 6, 0x05);               /* StyleChange: FillStyle1 and MoveTo */
	bits(&w, 5, mb);
	bits(&w, mb, 0);
	bits(&w, mb, (uint32_t)h);
	bits(&w, 1, 1);
	static const int d[4][2] = { { 1, -1 }, { 1, 1 }, { -1, 1 }, { -1, -1 } };
	unsigned eb = sbits_for(h) + 1;
	for (int e = 0; e < 4; e++) {
		bits(&w, 2, 3);              /* TypeFlag 1, StraightFlag 1 */
		bits(&w, 4, eb - 2);
		bits(&w, 1, 1);              /* GeneralLineFlag: both deltas */
		bits(&w, eb, (uint32_t)(d[e][0] * h));
		bits(&w, eb, (uint32_t)(d[e][1] * h));
	}
	bits(&w, 6, 0);
	bits_align(&w);
	tag(out, 2, &s);
	free(s.p);
}

static void matrix(wbuf *b, int32_t tx, int32_t ty)
{
	bitw w = { b, 0, 0 };
	unsigned n = sbits_for(tx) > sbits_for(ty) ? sbits_for(tx) : sbits_for(ty);
	bits(&w, 1, 0); bits(&w, 1, 0);  /* no scale, no rotate */
	bits(&w, 5, n);
	bits(&w, n, (uint32_t)tx);
	bits(&w, n, (uint32_t)ty);
	bits_align(&w);
}

/* PlaceObject2 with optional character, translation and add-only colour
 * transform (CXFORMWITHALPHA: HasAddTerms 1, HasMultTerms 0, Nbits 10). */
static void place2(wbuf *out, int move, unsigned depth, int id, int has_m, int32_t tx, int32_t ty,
                   const int rgb_add[3])
{
	wbuf s = { 0 };
	put8(&s, (move ? 0x01 : 0) | (id >= 0 ? 0x02 : 0) | (has_m ? 0x04 : 0) | (rgb_add ? 0x08 : 0));
	put16(&s, depth);
	if (id >= 0) put16(&s, (unsigned)id);
	if (has_m) matrix(&s, tx, ty);
	if (rgb_add) {
		bitw w = { &s, 0, 0 };
		bits(&w, 1, 1); bits(&w, 1, 0); bits(&w, 4, 10);
		for (int k = 0; k < 3; k++) bits(&w, 10, (uint32_t)rgb_add[k]);
		bits(&w, 10, 0);
		bits_align(&w);
	}
	tag(out, 26, &s);
	free(s.p);
}

/* Deterministic draws from (seed, index). */
typedef struct rng { uint64_t s; } rng;
static uint64_t next(rng *r)
{
	uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}
static unsigned pick(rng *r, unsigned n) { return (unsigned)(next(r) % n); }

static const struct { const char *name; uint8_t rgb[3]; } colours[] = {
	{ "red", { 220, 40, 40 } }, { "orange", { 240, 140, 20 } }, { "yellow", { 240, 220, 40 } },
	{ "green", { 40, 180, 60 } }, { "teal", { 20, 160, 160 } }, { "blue", { 40, 80, 220 } },
	{ "purple", { 140, 60, 200 } }, { "pink", { 240, 120, 180 } }, { "white", { 245, 245, 245 } },
	{ "black", { 15, 15, 20 } }, { "grey", { 128, 128, 128 } }, { "brown", { 130, 80, 40 } },
};
#define NCOL (sizeof colours / sizeof *colours)

/* Text lines by language: the prompt's Language(s) comes from these. */
static const char *const texts[] = {
	"Hello, world!", "Keep moving", "Checkers forever", "Press start", "Level one",
	"こんにちは世界", "Привет, мир!", "안녕하세요", "Γειά σου κόσμε", "你好世界",
};
#define NTEXT (sizeof texts / sizeof *texts)

static const char *const adjectives[] = { "Sliding", "Drifting", "Endless", "Bright", "Calm", "Rushing", "Tiny", "Grand" };
static const char *const nouns[] = { "Checkers", "Tiles", "Board", "Squares", "Grid", "Pattern" };
static const char *const directions[] = { "right", "left", "down", "up", "diagonally down and right", "diagonally up and left" };
static const int dirxy[6][2] = { { 1, 0 }, { -1, 0 }, { 0, 1 }, { 0, -1 }, { 1, 1 }, { -1, -1 } };

int swf_synth(uint64_t seed, uint64_t index, uint8_t **out, size_t *out_n)
{
	if (!out || !out_n) return SWF_EINVAL;
	*out = NULL;
	*out_n = 0;
	rng r = { seed * 0x9E3779B97F4A7C15ull ^ (index + 1) * 0xD1B54A32D192ED03ull };
	next(&r);
	static const unsigned sizes[][2] = { { 320, 240 }, { 400, 300 }, { 480, 360 }, { 550, 400 },
		{ 640, 480 }, { 800, 600 }, { 500, 400 }, { 320, 320 } };
	static const unsigned rates[] = { 8, 12, 15, 24, 25, 30, 60 };
	unsigned si = pick(&r, 8), W = sizes[si][0], H = sizes[si][1];
	unsigned fps = rates[pick(&r, 7)];
	unsigned frames = 24 + pick(&r, 73);
	unsigned ca = pick(&r, NCOL), cb = (ca + 1 + pick(&r, NCOL - 1)) % NCOL;
	/* The checker covers the stage; the background (seen only before the
	 * first frame is drawn) takes its first colour. */
	unsigned bg = ca;
	(void)pick(&r, NCOL);                             /* keep the draw sequence */
	unsigned dir = pick(&r, 6);
	unsigned cell = 20 + 4 * pick(&r, 11);            /* px */
	if (cell * 24 < W) cell = (W + 23) / 24;          /* keep the shape small */
	unsigned speed = 1 + pick(&r, 6);                 /* px per frame */
	int with_text = pick(&r, 5) != 0;
	unsigned ti = pick(&r, 10) < 6 ? pick(&r, 5) : 5 + pick(&r, NTEXT - 5);
	unsigned sq = 40 + 10 * pick(&r, 8);              /* cycling square, px */
	int with_diamond = pick(&r, 2);
	unsigned dcol = pick(&r, NCOL);
	unsigned dh = 15 + 5 * pick(&r, 6);               /* diamond half-diagonal, px */

	char title[128], desc[512];
	snprintf(title, sizeof title, "%s %s %llu", adjectives[pick(&r, 8)], nouns[pick(&r, 6)],
	         (unsigned long long)index);
	int dl = snprintf(desc, sizeof desc,
	                  "A %s and %s checkered pattern slides %s while a square "
	                  "in the middle cycles through colours",
	                  colours[ca].name, colours[cb].name, directions[dir]);
	if (with_diamond)
		dl += snprintf(desc + dl, sizeof desc - (size_t)dl, "; a %s diamond bounces from side to side",
		               colours[dcol].name);
	if (with_text) snprintf(desc + dl, sizeof desc - (size_t)dl, "; a caption reads \"%s\".", texts[ti]);
	else snprintf(desc + dl, sizeof desc - (size_t)dl, ".");

	wbuf o = { 0 };
	put(&o, "FWS", 3);
	put8(&o, 10);
	put32(&o, 0);                                     /* FileLength, set at the end */
	rect(&o, 0, (int32_t)W * 20, 0, (int32_t)H * 20);
	put16(&o, fps << 8);                              /* 8.8: fraction byte first */
	put16(&o, frames);

	wbuf t = { 0 };
	put32(&t, 0x10);                                  /* FileAttributes: HasMetadata */
	tag(&o, 69, &t);
	t.n = 0;
	/* XMP; the description quotes the caption, so escape it for XML. */
	wbuf x = { 0 };
	static const char *const xmp_head =
		"<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">"
		"<rdf:Description rdf:about=\"\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\">"
		"<dc:title><rdf:Alt><rdf:li xml:lang=\"x-default\">";
	put(&x, xmp_head, strlen(xmp_head));
	put(&x, title, strlen(title));
	static const char *const mid = "</rdf:li></rdf:Alt></dc:title>"
		"<dc:description><rdf:Alt><rdf:li xml:lang=\"x-default\">";
	put(&x, mid, strlen(mid));
	for (const char *p = desc; *p; p++) {
		if (*p == '"') put(&x, "&quot;", 6);
		else put8(&x, (unsigned char)*p);
	}
	static const char *const tail = "</rdf:li></rdf:Alt></dc:description></rdf:Description></rdf:RDF></x:xmpmeta>";
	put(&x, tail, strlen(tail) + 1);
	tag(&o, 77, &x);
	free(x.p);
	put(&t, colours[bg].rgb, 3);
	tag(&o, 9, &t);
	t.n = 0;

	/* Shape 1: the checker cells of colour B on a grid two cells larger than
	 * the stage; moving it by up to 2 cells and wrapping looks seamless. */
	int32_t c20 = (int32_t)cell * 20;
	unsigned gx = W / cell + 5, gy = H / cell + 5;
	int32_t *xy = malloc(sizeof *xy * 2 * (gx * gy / 2 + 1));
	if (!xy) { free(o.p); free(t.p); return SWF_ENOMEM; }
	size_t nsq = 0;
	for (unsigned j = 0; j < gy; j++)
		for (unsigned i = 0; i < gx; i++)
			if ((i + j) & 1) {
				xy[2 * nsq] = ((int32_t)i - 2) * c20;
				xy[2 * nsq + 1] = ((int32_t)j - 2) * c20;
				nsq++;
			}
	int32_t full[2] = { -2 * c20, -2 * c20 };
	int32_t gw = (int32_t)gx * c20;
	/* Shape 2: one square of colour A under the cells (the other half). */
	shape_squares(&o, 1, colours[ca].rgb, full, 1, gw, -2 * c20, gw - 2 * c20, -2 * c20, gw - 2 * c20);
	shape_squares(&o, 2, colours[cb].rgb, xy, nsq, c20, -2 * c20, gw - 2 * c20, -2 * c20, (int32_t)gy * c20 - 2 * c20);
	free(xy);
	static const uint8_t black[3] = { 0, 0, 0 };
	int32_t q20 = (int32_t)sq * 20;
	int32_t sqxy[2] = { 0, 0 };
	shape_squares(&o, 3, black, sqxy, 1, q20, 0, q20, 0, q20);

	if (with_diamond) shape_diamond(&o, 5, colours[dcol].rgb, (int32_t)dh * 20);

	if (with_text) {
		/* DefineEditText: HasText, ReadOnly, HasTextColor; NoSelect. No
		 * font id: players draw it with their default device font. */
		put16(&t, 4);
		rect(&t, 0, (int32_t)W * 20 - 400, 0, 800);
		put8(&t, 0x80 | 0x08 | 0x04);
		put8(&t, 0x10);
		put8(&t, 255); put8(&t, 255); put8(&t, 255); put8(&t, 255);
		put8(&t, 0);                                  /* VariableName "" */
		put(&t, texts[ti], strlen(texts[ti]) + 1);
		tag(&o, 37, &t);
		t.n = 0;
	}

	int32_t cx = (int32_t)(W - sq) * 10, cy = (int32_t)(H - sq) * 10;
	for (unsigned f = 0; f < frames; f++) {
		int32_t shift = (int32_t)((f * speed * 20) % (unsigned)(2 * c20));
		int32_t tx = dirxy[dir][0] * shift, ty = dirxy[dir][1] * shift;
		/* A hue walk: three phase-shifted sinusoids, one per channel. */
		double ph = 6.283185307179586 * f / frames;
		int add[3] = { (int)(127.5 + 127.5 * sin(ph)), (int)(127.5 + 127.5 * sin(ph + 2.094)),
		               (int)(127.5 + 127.5 * sin(ph + 4.189)) };
		/* The diamond walks a triangle wave across the stage's width. */
		unsigned span = W - 2 * dh, step = (f * speed * 3) % (2 * span);
		int32_t dx = (int32_t)(step < span ? step : 2 * span - step) * 20, dy = (int32_t)(H / 4 - dh) * 20;
		if (f == 0) {
			place2(&o, 0, 1, 1, 1, 0, 0, NULL);
			place2(&o, 0, 2, 2, 1, tx, ty, NULL);
			place2(&o, 0, 3, 3, 1, cx, cy, add);
			if (with_text) place2(&o, 0, 4, 4, 1, 200, (int32_t)H * 20 - 1000, NULL);
			if (with_diamond) place2(&o, 0, 5, 5, 1, dx, dy, NULL);
		} else {
			place2(&o, 1, 2, -1, 1, tx, ty, NULL);
			place2(&o, 1, 3, -1, 0, 0, 0, add);
			if (with_diamond) place2(&o, 1, 5, -1, 1, dx, dy, NULL);
		}
		tag(&o, 1, NULL);                             /* ShowFrame */
	}
	tag(&o, 0, NULL);                                 /* End */
	free(t.p);
	if (o.oom) { free(o.p); return SWF_ENOMEM; }
	o.p[4] = (uint8_t)o.n; o.p[5] = (uint8_t)(o.n >> 8);
	o.p[6] = (uint8_t)(o.n >> 16); o.p[7] = (uint8_t)(o.n >> 24);
	*out = o.p;
	*out_n = o.n;
	return SWF_OK;
}
