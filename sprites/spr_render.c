/*
 * spr_render.c - index grids back to RGBA (nearest upscaling), and the small
 * drawing kit sheets need: blit, fill, and a built-in 5x7 bitmap font for
 * labels (upper case, digits, a little punctuation), so sheets need no fonts
 * installed.
 */
#include "spr_internal.h"

#include <string.h>

int spr_render(const uint8_t *idx, uint32_t w, uint32_t h, const spr_palette *p,
               uint32_t scale, spr_image *out)
{
	if (!idx || !p || scale == 0 || scale > 256) return SPR_EINVAL;
	if ((uint64_t)w * scale > SPR_MAX_DIM || (uint64_t)h * scale > SPR_MAX_DIM) return SPR_ETOOBIG;
	int rc = spr_image_alloc(out, w * scale, h * scale);
	if (rc) return rc;
	for (uint32_t y = 0; y < h * scale; y++)
		for (uint32_t x = 0; x < w * scale; x++) {
			uint32_t k = idx[(size_t)(y / scale) * w + x / scale];
			uint8_t *q = out->rgba + ((size_t)y * out->w + x) * 4;
			if (k >= p->n || (int)k == p->transparent) continue;
			q[0] = p->rgb[k][0]; q[1] = p->rgb[k][1]; q[2] = p->rgb[k][2]; q[3] = 255;
		}
	return SPR_OK;
}

void spr_blit(spr_image *dst, const spr_image *src, int32_t x, int32_t y)
{
	for (uint32_t j = 0; j < src->h; j++) {
		int64_t ty = (int64_t)y + j;
		if (ty < 0 || ty >= dst->h) continue;
		for (uint32_t i = 0; i < src->w; i++) {
			int64_t tx = (int64_t)x + i;
			const uint8_t *s = src->rgba + ((size_t)j * src->w + i) * 4;
			if (tx < 0 || tx >= dst->w || s[3] == 0) continue;
			memcpy(dst->rgba + ((size_t)ty * dst->w + tx) * 4, s, 4);
		}
	}
}

void spr_fill(spr_image *dst, int32_t x, int32_t y, uint32_t w, uint32_t h, const uint8_t rgba[4])
{
	for (int64_t ty = y; ty < (int64_t)y + h; ty++) {
		if (ty < 0 || ty >= dst->h) continue;
		for (int64_t tx = x; tx < (int64_t)x + w; tx++)
			if (tx >= 0 && tx < dst->w) memcpy(dst->rgba + ((size_t)ty * dst->w + tx) * 4, rgba, 4);
	}
}

/* 5x7 glyphs: 7 rows, bit 4 is the leftmost column. */
static const struct { char c; uint8_t rows[7]; } font[] = {
	{ ' ', { 0, 0, 0, 0, 0, 0, 0 } },
	{ 'A', { 14, 17, 17, 31, 17, 17, 17 } }, { 'B', { 30, 17, 17, 30, 17, 17, 30 } },
	{ 'C', { 14, 17, 16, 16, 16, 17, 14 } }, { 'D', { 30, 17, 17, 17, 17, 17, 30 } },
	{ 'E', { 31, 16, 16, 30, 16, 16, 31 } }, { 'F', { 31, 16, 16, 30, 16, 16, 16 } },
	{ 'G', { 14, 17, 16, 23, 17, 17, 15 } }, { 'H', { 17, 17, 17, 31, 17, 17, 17 } },
	{ 'I', { 14, 4, 4, 4, 4, 4, 14 } }, { 'J', { 7, 2, 2, 2, 2, 18, 12 } },
	{ 'K', { 17, 18, 20, 24, 20, 18, 17 } }, { 'L', { 16, 16, 16, 16, 16, 16, 31 } },
	{ 'M', { 17, 27, 21, 21, 17, 17, 17 } }, { 'N', { 17, 17, 25, 21, 19, 17, 17 } },
	{ 'O', { 14, 17, 17, 17, 17, 17, 14 } }, { 'P', { 30, 17, 17, 30, 16, 16, 16 } },
	{ 'Q', { 14, 17, 17, 17, 21, 18, 13 } }, { 'R', { 30, 17, 17, 30, 20, 18, 17 } },
	{ 'S', { 15, 16, 16, 14, 1, 1, 30 } }, { 'T', { 31, 4, 4, 4, 4, 4, 4 } },
	{ 'U', { 17, 17, 17, 17, 17, 17, 14 } }, { 'V', { 17, 17, 17, 17, 17, 10, 4 } },
	{ 'W', { 17, 17, 17, 21, 21, 21, 10 } }, { 'X', { 17, 17, 10, 4, 10, 17, 17 } },
	{ 'Y', { 17, 17, 10, 4, 4, 4, 4 } }, { 'Z', { 31, 1, 2, 4, 8, 16, 31 } },
	{ '0', { 14, 17, 19, 21, 25, 17, 14 } }, { '1', { 4, 12, 4, 4, 4, 4, 14 } },
	{ '2', { 14, 17, 1, 2, 4, 8, 31 } }, { '3', { 31, 2, 4, 2, 1, 17, 14 } },
	{ '4', { 2, 6, 10, 18, 31, 2, 2 } }, { '5', { 31, 16, 30, 1, 1, 17, 14 } },
	{ '6', { 6, 8, 16, 30, 17, 17, 14 } }, { '7', { 31, 1, 2, 4, 8, 8, 8 } },
	{ '8', { 14, 17, 17, 14, 17, 17, 14 } }, { '9', { 14, 17, 17, 15, 1, 2, 12 } },
	{ '.', { 0, 0, 0, 0, 0, 12, 12 } }, { ',', { 0, 0, 0, 0, 12, 4, 8 } },
	{ '-', { 0, 0, 0, 31, 0, 0, 0 } }, { '_', { 0, 0, 0, 0, 0, 0, 31 } },
	{ ':', { 0, 12, 12, 0, 12, 12, 0 } }, { '=', { 0, 0, 31, 0, 31, 0, 0 } },
	{ '/', { 1, 1, 2, 4, 8, 16, 16 } }, { '(', { 2, 4, 8, 8, 8, 4, 2 } },
	{ ')', { 8, 4, 2, 2, 2, 4, 8 } }, { '+', { 0, 4, 4, 31, 4, 4, 0 } },
	{ '#', { 10, 10, 31, 10, 31, 10, 10 } }, { '?', { 14, 17, 1, 2, 4, 0, 4 } },
};

static const uint8_t *glyph(char c)
{
	if (c >= 'a' && c <= 'z') c = (char)(c - 'a' + 'A');
	for (size_t i = 0; i < sizeof font / sizeof font[0]; i++)
		if (font[i].c == c) return font[i].rows;
	return glyph('?');
}

uint32_t spr_text_width(const char *s, uint32_t scale)
{
	return (uint32_t)strlen(s) * 6 * scale;
}

uint32_t spr_text(spr_image *dst, int32_t x, int32_t y, const char *s, uint32_t scale,
                  const uint8_t rgba[4])
{
	int32_t cx = x;
	for (; *s; s++, cx += 6 * (int32_t)scale) {
		const uint8_t *g = glyph(*s);
		for (int r = 0; r < 7; r++)
			for (int c = 0; c < 5; c++)
				if (g[r] >> (4 - c) & 1)
					spr_fill(dst, cx + c * (int32_t)scale, y + r * (int32_t)scale, scale, scale, rgba);
	}
	return (uint32_t)(cx - x);
}
