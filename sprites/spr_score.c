/*
 * spr_score.c - spr_quality_add for many sprites against one palette.
 *
 * spr_quality_add converts the palette and every opaque pixel to OKLab on
 * each call (six powf/cbrtf per pixel), which cost more than decoding when
 * quantize scores a corpus. Sprites repeat a few colours, so the scorer
 * converts the palette once and keeps a direct-mapped cache from (colour,
 * index) to that pixel's ΔE and squared RGB error. Cached values come from
 * the same functions and are summed in the same order, so the totals are
 * bit for bit those of spr_quality_add (the unit tests hold it to that).
 */
#include "spr_internal.h"

#include <stdlib.h>
#include <string.h>

#define SCORE_BITS 13
#define SCORE_SIZE (1u << SCORE_BITS)

struct spr_scorer {
	spr_palette p;
	spr_lab pl[SPR_MAX_COLORS];          /* the palette in OKLab */
	float lin[256];                      /* sRGB code value -> linear light */
	uint64_t key[SCORE_SIZE];            /* 0 = empty; else rgb | index << 24 | 1 << 40 */
	float de[SCORE_SIZE];                /* spr_delta_e of pixel and palette colour */
	uint32_t se[SCORE_SIZE];             /* squared RGB error, summed over channels */
};

int spr_scorer_create(const spr_palette *p, spr_scorer **out)
{
	*out = NULL;
	if (!p || p->n == 0 || p->n > SPR_MAX_COLORS) return SPR_EINVAL;
	spr_scorer *s = calloc(1, sizeof *s);
	if (!s) return SPR_ENOMEM;
	s->p = *p;
	for (uint32_t i = 0; i < p->n; i++) s->pl[i] = spr_srgb_to_oklab(p->rgb[i][0], p->rgb[i][1], p->rgb[i][2]);
	for (int v = 0; v < 256; v++) s->lin[v] = spr__lin((uint8_t)v);
	*out = s;
	return SPR_OK;
}

void spr_scorer_free(spr_scorer *s) { free(s); }

void spr_scorer_add(spr_scorer *s, spr_quality *q, const uint8_t *ref, const uint8_t *idx,
                    uint32_t w, uint32_t h, uint8_t alpha_threshold)
{
	const spr_palette *p = &s->p;
	uint32_t thr = alpha_threshold ? alpha_threshold : 1;
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
			sse += 3.0 * 255 * 255;
			q->de_sum += 1.0;
			continue;
		}
		uint64_t key = (uint64_t)r[0] << 16 | (uint64_t)r[1] << 8 | r[2] | (uint64_t)k << 24 | 1ull << 40;
		uint32_t slot = (uint32_t)((key * 0x9E3779B97F4A7C15ull) >> (64 - SCORE_BITS));
		if (s->key[slot] != key) {
			uint32_t e = 0;
			for (int c = 0; c < 3; c++) { int d = (int)r[c] - p->rgb[k][c]; e += (uint32_t)(d * d); }
			s->key[slot] = key;
			s->se[slot] = e;
			/* the palette's own colour is at distance 0 exactly */
			s->de[slot] = e == 0 ? 0.0f : spr_delta_e(spr__oklab_lin(s->lin, r[0], r[1], r[2]), s->pl[k]);
		}
		/* integers below 2^53: one addition of the channel sum equals three */
		sse += s->se[slot];
		q->de_sum += s->de[slot];
	}
	spr__quality_close(q, sse, n);
}
