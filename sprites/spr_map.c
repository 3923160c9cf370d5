/*
 * spr_map.c - map RGBA pixels to the nearest palette colour in OKLab, and
 * measure how well a mapping reproduces its source (PSNR, ΔE_OK, colours).
 *
 * Sprites repeat a few colours many times, so each mapper keeps a
 * direct-mapped cache from (colour, dither cell) to index; a miss costs one
 * OKLab conversion and a search over the palette laid out for SIMD.
 */
#include "spr_internal.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CACHE_BITS 14
#define CACHE_SIZE (1u << CACHE_BITS)

/* Four lanes of floats/ints (GCC and clang vector extensions): SSE2 on
 * x86-64 without any -m flag, NEON on arm64. */
typedef float v4f __attribute__((vector_size(16)));
typedef int32_t v4i __attribute__((vector_size(16)));

struct spr_mapper {
	uint32_t nsel;                   /* selectable (non-reserved) colours */
	float L[SPR_MAX_COLORS], A[SPR_MAX_COLORS], B[SPR_MAX_COLORS];
	uint32_t n4;                     /* groups of four; padding lanes sit far away */
	v4f L4[SPR_MAX_COLORS / 4], A4[SPR_MAX_COLORS / 4], B4[SPR_MAX_COLORS / 4];
	uint8_t sel[SPR_MAX_COLORS];     /* palette index of each selectable colour */
	uint8_t clear_idx;               /* index for transparent pixels */
	int dither;
	float step;                      /* dither amplitude in OKLab L units */
	float lin[256];                  /* sRGB code value -> linear light */
	uint32_t key[CACHE_SIZE];        /* 0 = empty; else colour | cell << 24 | 1 << 31 */
	uint8_t val[CACHE_SIZE];
};

/* 4x4 Bayer matrix: thresholds 0..15 spread evenly over every 2x2 block. */
static const uint8_t bayer4[4][4] = {
	{ 0, 8, 2, 10 }, { 12, 4, 14, 6 }, { 3, 11, 1, 9 }, { 15, 7, 13, 5 }
};

int spr_mapper_create(const spr_palette *p, int dither, spr_mapper **out)
{
	*out = NULL;
	if (!p || p->n == 0 || p->n > SPR_MAX_COLORS) return SPR_EINVAL;
	spr_mapper *m = calloc(1, sizeof *m);
	if (!m) return SPR_ENOMEM;
	for (uint32_t i = 0; i < p->n; i++) {
		if ((int)i == p->transparent) continue;
		spr_lab c = spr_srgb_to_oklab(p->rgb[i][0], p->rgb[i][1], p->rgb[i][2]);
		m->L[m->nsel] = c.L; m->A[m->nsel] = c.a; m->B[m->nsel] = c.b;
		m->sel[m->nsel++] = (uint8_t)i;
	}
	if (m->nsel == 0) { free(m); return SPR_EINVAL; }
	m->n4 = (m->nsel + 3) / 4;
	for (uint32_t i = 0; i < m->n4 * 4; i++) {
		int real = i < m->nsel;
		m->L4[i / 4][i % 4] = real ? m->L[i] : 1e15f;
		m->A4[i / 4][i % 4] = real ? m->A[i] : 0;
		m->B4[i / 4][i % 4] = real ? m->B[i] : 0;
	}
	m->dither = dither;
	for (int v = 0; v < 256; v++) m->lin[v] = spr__lin((uint8_t)v);
	/* dither step: mean distance from each colour to its nearest neighbour */
	double s = 0;
	for (uint32_t i = 0; i < m->nsel; i++) {
		float bd = FLT_MAX;
		for (uint32_t j = 0; j < m->nsel; j++) {
			if (j == i) continue;
			float dL = m->L[i] - m->L[j], da = m->A[i] - m->A[j], db = m->B[i] - m->B[j];
			float d = dL * dL + da * da + db * db;
			if (d < bd) bd = d;
		}
		s += m->nsel > 1 ? sqrtf(bd) : 0.1f;
	}
	m->step = (float)(s / m->nsel) * (float)dither;
	if (p->transparent >= 0) m->clear_idx = (uint8_t)p->transparent;
	else {
		/* no reserved index: transparent pixels take the colour nearest black */
		uint32_t best = 0;
		float bd = FLT_MAX;
		for (uint32_t i = 0; i < m->nsel; i++) {
			float d = m->L[i] * m->L[i] + m->A[i] * m->A[i] + m->B[i] * m->B[i];
			if (d < bd) { bd = d; best = i; }
		}
		m->clear_idx = m->sel[best];
	}
	*out = m;
	return SPR_OK;
}

void spr_mapper_free(spr_mapper *m) { free(m); }

/* Nearest selectable colour: four candidates per step, each lane keeping
 * its first strict minimum, then the lanes reduced with ties going to the
 * lower index, which is exactly the first minimum of a plain scan. */
static uint8_t search(const spr_mapper *m, float L, float a, float b)
{
	v4f vl = { L, L, L, L }, va = { a, a, a, a }, vb = { b, b, b, b };
	v4f best = { 3e38f, 3e38f, 3e38f, 3e38f };
	v4i bi = { 0, 0, 0, 0 }, cur = { 0, 1, 2, 3 }, four = { 4, 4, 4, 4 };
	for (uint32_t j = 0; j < m->n4; j++) {
		v4f dL = m->L4[j] - vl, da = m->A4[j] - va, db = m->B4[j] - vb;
		v4f d = dL * dL + da * da + db * db;
		v4i lt = d < best;
		best = (v4f)(((v4i)d & lt) | ((v4i)best & ~lt));
		bi = (cur & lt) | (bi & ~lt);
		cur += four;
	}
	uint32_t k = 0;
	for (int q = 1; q < 4; q++)
		if (best[q] < best[k] || (best[q] == best[k] && bi[q] < bi[k])) k = (uint32_t)q;
	return m->sel[bi[k]];
}

void spr_map(spr_mapper *m, const uint8_t *rgba, uint32_t w, uint32_t h,
             uint8_t alpha_threshold, uint8_t *idx)
{
	uint32_t thr = alpha_threshold ? alpha_threshold : 1;
	for (uint32_t y = 0; y < h; y++)
		for (uint32_t x = 0; x < w; x++) {
			const uint8_t *p = rgba + ((size_t)y * w + x) * 4;
			size_t o = (size_t)y * w + x;
			if (p[3] < thr) { idx[o] = m->clear_idx; continue; }
			uint32_t cell = m->dither ? bayer4[y & 3][x & 3] : 0;
			uint32_t key = (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2] | cell << 24 | 1u << 31;
			uint32_t slot = (key * 2654435761u) >> (32 - CACHE_BITS);
			if (m->key[slot] == key) { idx[o] = m->val[slot]; continue; }
			spr_lab c = spr__oklab_lin(m->lin, p[0], p[1], p[2]);
			if (m->dither) c.L += ((cell + 0.5f) / 16.0f - 0.5f) * m->step;
			uint8_t v = search(m, c.L, c.a, c.b);
			m->key[slot] = key;
			m->val[slot] = v;
			idx[o] = v;
		}
}

/* Straightforward double-precision version: the oracle for spr_map. */
static void lab_d(uint8_t r8, uint8_t g8, uint8_t b8, double o[3])
{
	double c[3] = { r8 / 255.0, g8 / 255.0, b8 / 255.0 };
	for (int i = 0; i < 3; i++) c[i] = c[i] <= 0.04045 ? c[i] / 12.92 : pow((c[i] + 0.055) / 1.055, 2.4);
	double l = cbrt(0.4122214708 * c[0] + 0.5363325363 * c[1] + 0.0514459929 * c[2]);
	double m = cbrt(0.2119034982 * c[0] + 0.6806995451 * c[1] + 0.1073969566 * c[2]);
	double s = cbrt(0.0883024619 * c[0] + 0.2817188376 * c[1] + 0.6299787005 * c[2]);
	o[0] = 0.2104542553 * l + 0.7936177850 * m - 0.0040720468 * s;
	o[1] = 1.9779984951 * l - 2.4285922050 * m + 0.4505937099 * s;
	o[2] = 0.0259040371 * l + 0.7827717662 * m - 0.8086757660 * s;
}

uint32_t spr_nearest_naive(const spr_palette *p, uint8_t r, uint8_t g, uint8_t b)
{
	double q[3], c[3], bd = DBL_MAX;
	uint32_t best = 0;
	lab_d(r, g, b, q);
	for (uint32_t i = 0; i < p->n; i++) {
		if ((int)i == p->transparent) continue;
		lab_d(p->rgb[i][0], p->rgb[i][1], p->rgb[i][2], c);
		double d = (c[0] - q[0]) * (c[0] - q[0]) + (c[1] - q[1]) * (c[1] - q[1]) + (c[2] - q[2]) * (c[2] - q[2]);
		if (d < bd) { bd = d; best = i; }
	}
	return best;
}

void spr_quality_init(spr_quality *q) { memset(q, 0, sizeof *q); }

void spr__quality_close(spr_quality *q, double sse, uint64_t n)
{
	if (!n) return;
	q->images++;
	q->pixels += n;
	q->sse += sse;
	double mse = sse / (3.0 * n);
	double psnr = mse > 0 ? 10.0 * log10(255.0 * 255.0 / mse) : SPR_PSNR_CAP;
	q->psnr_sum += psnr < SPR_PSNR_CAP ? psnr : SPR_PSNR_CAP;
}

void spr_quality_add(spr_quality *q, const spr_palette *p, const uint8_t *ref,
                     const uint8_t *idx, uint32_t w, uint32_t h, uint8_t alpha_threshold)
{
	uint32_t thr = alpha_threshold ? alpha_threshold : 1;
	spr_lab pl[SPR_MAX_COLORS];
	for (uint32_t i = 0; i < p->n; i++) pl[i] = spr_srgb_to_oklab(p->rgb[i][0], p->rgb[i][1], p->rgb[i][2]);
	double sse = 0;
	uint64_t n = 0;
	for (size_t i = 0; i < (size_t)w * h; i++) {
		const uint8_t *r = ref + 4 * i;
		uint32_t k = idx[i];
		int opaque = r[3] >= thr, mapped_opaque = k < p->n && (int)k != p->transparent;
		if (opaque != mapped_opaque) q->alpha_errors++;
		if (k < p->n) q->used[k]++;
		if (!opaque) continue;
		n++;
		if (!mapped_opaque) {
			/* an opaque pixel lost: count it as maximal error */
			sse += 3.0 * 255 * 255;
			q->de_sum += 1.0;
			continue;
		}
		for (int c = 0; c < 3; c++) { double d = (double)r[c] - p->rgb[k][c]; sse += d * d; }
		q->de_sum += spr_delta_e(spr_srgb_to_oklab(r[0], r[1], r[2]), pl[k]);
	}
	spr__quality_close(q, sse, n);
}

void spr_quality_add_rgb(spr_quality *q, const uint8_t *ref, const uint8_t *test, uint32_t w, uint32_t h,
                         uint8_t alpha_threshold)
{
	uint32_t thr = alpha_threshold ? alpha_threshold : 1;
	double sse = 0;
	uint64_t n = 0;
	for (size_t i = 0; i < (size_t)w * h; i++) {
		const uint8_t *r = ref + 4 * i, *t = test + 4 * i;
		int opaque = r[3] >= thr, topaque = t[3] >= thr;
		if (opaque != topaque) q->alpha_errors++;
		if (!opaque) continue;
		n++;
		if (!topaque) { sse += 3.0 * 255 * 255; q->de_sum += 1.0; continue; }
		for (int c = 0; c < 3; c++) { double d = (double)r[c] - t[c]; sse += d * d; }
		q->de_sum += spr_delta_e(spr_srgb_to_oklab(r[0], r[1], r[2]), spr_srgb_to_oklab(t[0], t[1], t[2]));
	}
	spr__quality_close(q, sse, n);
}

void spr_quality_merge(spr_quality *into, const spr_quality *from)
{
	into->images += from->images;
	into->pixels += from->pixels;
	into->sse += from->sse;
	into->de_sum += from->de_sum;
	into->psnr_sum += from->psnr_sum;
	into->alpha_errors += from->alpha_errors;
	for (int i = 0; i < SPR_MAX_COLORS; i++) into->used[i] += from->used[i];
}

double spr_quality_psnr_mean(const spr_quality *q)
{
	return q->images ? q->psnr_sum / q->images : 0;
}

double spr_quality_psnr_pooled(const spr_quality *q)
{
	if (!q->pixels) return 0;
	double mse = q->sse / (3.0 * q->pixels);
	double psnr = mse > 0 ? 10.0 * log10(255.0 * 255.0 / mse) : SPR_PSNR_CAP;
	return psnr < SPR_PSNR_CAP ? psnr : SPR_PSNR_CAP;
}

double spr_quality_delta_e(const spr_quality *q)
{
	return q->pixels ? 100.0 * q->de_sum / q->pixels : 0;
}

uint32_t spr_quality_colors_used(const spr_quality *q)
{
	uint32_t n = 0;
	for (int i = 0; i < SPR_MAX_COLORS; i++) n += q->used[i] != 0;
	return n;
}
