/*
 * spr_fit.c - fit any sprite into a small transparent square: trim the
 * transparent border, scale down keeping the aspect ratio, centre it, and
 * binarise alpha. Two downscalers: "mode" (the most frequent colour of each
 * source cell, which keeps pixel art's exact colours and hard edges) and
 * "box" (area average in linear light, for painted art).
 */
#include "spr_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void spr_fit_opts_init(spr_fit_opts *o)
{
	o->size = 32;
	o->alpha_threshold = 128;
	o->scale = SPR_SCALE_MODE;
	o->trim = 1;
	o->upscale = 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static uint32_t px(const uint8_t *p) { return (uint32_t)p[0] << 16 | p[1] << 8 | p[2]; }

int spr_is_pixel_art(const spr_image *im, uint8_t thr)
{
	size_t n = (size_t)im->w * im->h, opaque = 0, soft = 0, k = 0;
	uint32_t *c = malloc(n * sizeof *c);
	if (!c) return 0;
	for (size_t i = 0; i < n; i++) {
		const uint8_t *p = im->rgba + 4 * i;
		if (p[3] >= thr) { c[k++] = px(p); opaque++; }
		if (p[3] > 0 && p[3] < 255) soft++;
	}
	qsort(c, k, sizeof *c, cmp_u32);
	size_t distinct = 0;
	for (size_t i = 0; i < k; i++) distinct += i == 0 || c[i] != c[i - 1];
	free(c);
	/* Painted art has anti-aliased (soft) edges and a colour per few pixels;
	 * pixel art has a small hand-picked set and hard alpha. */
	if (soft * 20 > opaque + 1) return 0;
	return distinct <= 64 || distinct * 8 <= opaque;
}

/* Most frequent colour among the opaque pixels of a cell (ties: smallest
 * value, so the result never depends on scan order, nor on the sort). */
static uint32_t cell_mode(uint32_t *v, size_t k)
{
	if (k == 1) return v[0];   /* every cell of a sprite that needs no scaling */
	if (k <= 16) {
		/* insertion sort: small cells are most of them, and qsort's call
		 * per comparison costs more than the sort */
		for (size_t i = 1; i < k; i++) {
			uint32_t x = v[i];
			size_t j = i;
			for (; j > 0 && v[j - 1] > x; j--) v[j] = v[j - 1];
			v[j] = x;
		}
	} else qsort(v, k, sizeof *v, cmp_u32);
	uint32_t best = v[0];
	size_t bestn = 0;
	for (size_t i = 0; i < k;) {
		size_t j = i;
		while (j < k && v[j] == v[i]) j++;
		if (j - i > bestn) { bestn = j - i; best = v[i]; }
		i = j;
	}
	return best;
}

static uint8_t lin_to8(double c)
{
	c = c <= 0.0031308 ? 12.92 * c : 1.055 * pow(c, 1.0 / 2.4) - 0.055;
	c = c * 255.0 + 0.5;
	return c <= 0 ? 0 : c >= 255 ? 255 : (uint8_t)c;
}

int spr_fit(const spr_image *im, const spr_fit_opts *o, spr_image *out, spr_error *err)
{
	out->w = out->h = 0;
	out->rgba = NULL;
	uint32_t size = o->size, thr = o->alpha_threshold ? o->alpha_threshold : 1;
	if (!im || !im->rgba || size == 0 || size > 4096)
		return spr__fail(err, SPR_EINVAL, UINT64_MAX, "bad fit arguments");
	/* bounding box of opaque pixels */
	uint32_t x0 = im->w, y0 = im->h, x1 = 0, y1 = 0;
	for (uint32_t y = 0; y < im->h; y++) {
		/* per row: the first opaque pixel from the left, then the last from
		 * the right; the pixels between need no test */
		const uint8_t *row = im->rgba + (size_t)y * im->w * 4;
		uint32_t a = 0, b = im->w;
		while (a < im->w && row[4 * a + 3] < thr) a++;
		if (a == im->w) continue;
		while (row[4 * (b - 1) + 3] < thr) b--;
		if (a < x0) x0 = a;
		if (b - 1 > x1) x1 = b - 1;
		if (y < y0) y0 = y;
		y1 = y;
	}
	if (x0 > x1) return spr__fail(err, SPR_EEMPTY, UINT64_MAX, "no opaque pixel");
	if (!o->trim) { x0 = y0 = 0; x1 = im->w - 1; y1 = im->h - 1; }
	uint32_t bw = x1 - x0 + 1, bh = y1 - y0 + 1, big = bw > bh ? bw : bh;
	uint32_t ow = bw, oh = bh;
	if (big > size) {
		ow = (uint32_t)(((uint64_t)bw * size + big / 2) / big);
		oh = (uint32_t)(((uint64_t)bh * size + big / 2) / big);
		if (ow < 1) ow = 1;
		if (oh < 1) oh = 1;
	} else if (o->upscale) {
		uint32_t k = size / big;
		ow = bw * k;
		oh = bh * k;
	}
	int scale = o->scale;
	if (scale == SPR_SCALE_AUTO) scale = spr_is_pixel_art(im, thr) ? SPR_SCALE_MODE : SPR_SCALE_BOX;
	int rc = spr_image_alloc(out, size, size);
	if (rc) return spr__fail(err, rc, UINT64_MAX, "out of memory");
	/* largest cell, for the mode scratch buffer */
	size_t cw = (bw + ow - 1) / ow + 1, ch = (bh + oh - 1) / oh + 1;
	uint32_t *scratch = malloc((cw * ch + 2 * (size_t)ow) * sizeof *scratch);
	if (!scratch) { spr_image_free(out); return spr__fail(err, SPR_ENOMEM, UINT64_MAX, "out of memory"); }
	/* source columns [col0[i], col1[i]) of output column i, computed once
	 * rather than with two divisions per cell; every column is covered */
	uint32_t *col0 = scratch + cw * ch, *col1 = col0 + ow;
	for (uint32_t i = 0; i < ow; i++) {
		col0[i] = (uint32_t)((uint64_t)i * bw / ow);
		col1[i] = (uint32_t)((uint64_t)(i + 1) * bw / ow);
		if (col1[i] <= col0[i]) col1[i] = col0[i] + 1;
	}
	uint32_t ox = (size - ow) / 2, oy = (size - oh) / 2;
	const uint8_t *src = im->rgba + ((size_t)y0 * im->w + x0) * 4;   /* bounding box origin */
	size_t visible = 0;
	/* Pass 0 keeps a cell when at least half of it is opaque; a sprite so
	 * thin that no cell qualifies (a strip of tiny frames) gets pass 1,
	 * where any opaque pixel keeps its cell. */
	for (int pass = 0; pass < 2 && !visible; pass++)
	for (uint32_t j = 0; j < oh; j++) {
		/* source rows [sy0, sy1) of this output row; every row is covered */
		uint32_t sy0 = (uint32_t)((uint64_t)j * bh / oh), sy1 = (uint32_t)((uint64_t)(j + 1) * bh / oh);
		if (sy1 <= sy0) sy1 = sy0 + 1;
		for (uint32_t i = 0; i < ow; i++) {
			uint32_t sx0 = col0[i], sx1 = col1[i];
			size_t total = 0, k = 0;
			uint64_t alpha = 0;   /* an integer sum: exact, as the double sum was */
			double lr = 0, lg = 0, lb = 0;
			for (uint32_t sy = sy0; sy < sy1; sy++) {
				/* the row is fetched once: scratch writes could alias im */
				const uint8_t *srow = src + (size_t)sy * im->w * 4;
				for (uint32_t sx = sx0; sx < sx1; sx++) {
					const uint8_t *p = srow + (size_t)sx * 4;
					total++;
					alpha += p[3];
					if (p[3] < thr) continue;
					if (scale == SPR_SCALE_MODE) scratch[k++] = px(p);
					else { lr += spr__lin(p[0]); lg += spr__lin(p[1]); lb += spr__lin(p[2]); k++; }
				}
			}
			uint8_t *q = out->rgba + ((size_t)(oy + j) * size + ox + i) * 4;
			if (scale == SPR_SCALE_MODE) {
				/* opaque when at least half the cell is */
				if (k == 0 || (pass == 0 && k * 2 < total)) continue;
				uint32_t c = cell_mode(scratch, k);
				q[0] = c >> 16; q[1] = c >> 8; q[2] = c; q[3] = 255;
			} else {
				/* opaque when the mean coverage passes the threshold */
				if (k == 0 || (pass == 0 && (double)alpha / total < thr)) continue;
				q[0] = lin_to8(lr / k); q[1] = lin_to8(lg / k); q[2] = lin_to8(lb / k); q[3] = 255;
			}
			visible++;
		}
	}
	free(scratch);
	if (!visible) {
		spr_image_free(out);
		return spr__fail(err, SPR_EEMPTY, UINT64_MAX, "nothing opaque left after scaling to %ux%u", size, size);
	}
	return SPR_OK;
}
