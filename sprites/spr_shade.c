/*
 * spr_shade.c - PixelLLM's post-process shading done inside the palette:
 * directional light, ambient occlusion and edge darkening, each expressed as
 * a number of steps along per-colour luminance ramps built from the palette
 * itself. Every output index is reached by walking those ramps, so the result
 * never contains a colour the palette does not have.
 */
#include "spr_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void spr_shade_opts_init(spr_shade_opts *o)
{
	o->light_x = -1.0f;
	o->light_y = -1.0f;
	o->light_steps = 1;
	o->ao = 1;
	o->edge = 1;
}

/* Ramp neighbours: among colours lighter (darker) by at least 0.02 in OKLab
 * L, the one closest in hue/chroma (a, b), with a mild preference for a step
 * of about 0.08 in L. A chroma jump over 0.1 is not a shade of the same
 * colour, so such colours end their ramp instead. */
void spr_ramps_build(const spr_palette *p, spr_ramps *r)
{
	spr_lab lab[SPR_MAX_COLORS];
	r->n = p->n;
	for (uint32_t i = 0; i < p->n; i++) lab[i] = spr_srgb_to_oklab(p->rgb[i][0], p->rgb[i][1], p->rgb[i][2]);
	for (uint32_t i = 0; i < p->n; i++) {
		r->lighter[i] = r->darker[i] = (uint8_t)i;
		if ((int)i == p->transparent) continue;
		float best_up = INFINITY, best_dn = INFINITY;
		for (uint32_t j = 0; j < p->n; j++) {
			if (j == i || (int)j == p->transparent) continue;
			float dL = lab[j].L - lab[i].L;
			float dc = hypotf(lab[j].a - lab[i].a, lab[j].b - lab[i].b);
			if (dc > 0.1f || fabsf(dL) < 0.02f) continue;
			float cost = 2.0f * dc + fabsf(fabsf(dL) - 0.08f);
			if (dL > 0 && cost < best_up) { best_up = cost; r->lighter[i] = (uint8_t)j; }
			if (dL < 0 && cost < best_dn) { best_dn = cost; r->darker[i] = (uint8_t)j; }
		}
	}
}

static int opaque_at(const uint8_t *idx, uint32_t w, uint32_t h, const spr_palette *p, int x, int y)
{
	if (x < 0 || y < 0 || x >= (int)w || y >= (int)h) return 0;
	uint32_t k = idx[(size_t)y * w + x];
	return k < p->n && (int)k != p->transparent;
}

int spr_shade(const uint8_t *idx, uint32_t w, uint32_t h, const spr_palette *p,
              const spr_ramps *r, const spr_shade_opts *o, uint8_t *out)
{
	if (!idx || !out || !p || !r || w == 0 || h == 0 || w > 4096 || h > 4096 || r->n != p->n) return SPR_EINVAL;
	spr_shade_opts def;
	if (!o) { spr_shade_opts_init(&def); o = &def; }
	size_t n = (size_t)w * h;
	/* height field: city-block distance to the nearest transparent pixel,
	 * capped, which makes every blob a soft dome (two passes) */
	float *d = malloc(n * sizeof *d);
	if (!d) return SPR_ENOMEM;
	const float cap = 6;
	for (uint32_t y = 0; y < h; y++)
		for (uint32_t x = 0; x < w; x++) {
			float v = 0;
			if (opaque_at(idx, w, h, p, x, y)) {
				float up = y ? d[(size_t)(y - 1) * w + x] : 0, lf = x ? d[(size_t)y * w + x - 1] : 0;
				v = fminf(fminf(up, lf) + 1, cap);
			}
			d[(size_t)y * w + x] = v;
		}
	for (uint32_t y = h; y-- > 0;)
		for (uint32_t x = w; x-- > 0;) {
			float *v = &d[(size_t)y * w + x];
			if (*v == 0) continue;
			float dn = y + 1 < h ? d[(size_t)(y + 1) * w + x] : 0, rt = x + 1 < w ? d[(size_t)y * w + x + 1] : 0;
			*v = fminf(*v, fminf(dn, rt) + 1);
		}
	float lx = o->light_x, ly = o->light_y, ll = hypotf(lx, ly);
	if (ll > 0) { lx /= ll; ly /= ll; }
	for (uint32_t y = 0; y < h; y++)
		for (uint32_t x = 0; x < w; x++) {
			size_t i = (size_t)y * w + x;
			out[i] = idx[i];
			if (!opaque_at(idx, w, h, p, x, y)) continue;
			int steps = 0;
			/* directional: the dome's slope facing the light gets lighter */
			float gx = (x + 1 < w ? d[i + 1] : 0) - (x ? d[i - 1] : 0);
			float gy = (y + 1 < h ? d[i + w] : 0) - (y ? d[i - w] : 0);
			float facing = -(gx * lx + gy * ly);
			if (facing > 0.5f) steps += o->light_steps;
			else if (facing < -0.5f) steps -= o->light_steps;
			/* edge: the silhouette outline (4-neighbour of transparency) */
			int edge = !opaque_at(idx, w, h, p, x - 1, y) || !opaque_at(idx, w, h, p, x + 1, y) ||
			           !opaque_at(idx, w, h, p, x, y - 1) || !opaque_at(idx, w, h, p, x, y + 1);
			if (o->edge && edge) steps--;
			/* ambient occlusion: enclosed pixels (no open sky within 3
			 * pixels in any of 8 directions) on a crease between two
			 * differently coloured parts */
			if (o->ao && !edge) {
				static const int dir[8][2] = { {1,0},{-1,0},{0,1},{0,-1},{1,1},{-1,-1},{1,-1},{-1,1} };
				int open = 0;
				for (int k = 0; k < 8 && !open; k++)
					for (int s = 1; s <= 3; s++)
						if (!opaque_at(idx, w, h, p, x + dir[k][0] * s, y + dir[k][1] * s)) { open = 1; break; }
				int seams = (x + 1 < w && idx[i + 1] != idx[i]) + (x && idx[i - 1] != idx[i]) +
				            (y + 1 < h && idx[i + w] != idx[i]) + (y && idx[i - w] != idx[i]);
				if (!open && seams >= 2) steps--;
			}
			if (steps > 3) steps = 3;
			if (steps < -3) steps = -3;
			uint8_t k = idx[i];
			for (; steps > 0; steps--) k = r->lighter[k];
			for (; steps < 0; steps++) k = r->darker[k];
			out[i] = k;
		}
	free(d);
	return SPR_OK;
}
