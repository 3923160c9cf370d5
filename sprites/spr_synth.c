/*
 * spr_synth.c - a procedural sprite generator for demos and tests: simple
 * underwater creatures (PixelLLM's domain) drawn from ellipses, strokes and
 * noise, coloured per zone in OKLCh. Everything derives from (zone,
 * category, seed) through spr__mix, so a sprite is reproducible anywhere.
 */
#include "spr_internal.h"

#include <math.h>
#include <string.h>

static const char *const zone_names[SPR_SYNTH_ZONES] = {
	"shallows", "reef", "kelp", "open", "deep", "abyss"
};
static const char *const cat_names[SPR_SYNTH_CATEGORIES] = {
	"fish", "grazer", "coral", "jellyfish", "cephalopod", "eel"
};
/* per zone: lightness, chroma, base hue (degrees), hue spread */
static const float zone_look[SPR_SYNTH_ZONES][4] = {
	{ 0.82f, 0.12f, 95, 60 },   /* shallows: sunlit yellows, sand, cyan */
	{ 0.70f, 0.17f, 20, 90 },   /* reef: saturated oranges, pinks, violets */
	{ 0.60f, 0.12f, 130, 40 },  /* kelp: greens and browns */
	{ 0.68f, 0.10f, 230, 40 },  /* open water: blues and silver */
	{ 0.45f, 0.11f, 280, 50 },  /* deep: dark blues and purples */
	{ 0.30f, 0.08f, 320, 120 }, /* abyss: near black, odd accents */
};

const char *spr_synth_zone_name(uint32_t z) { return z < SPR_SYNTH_ZONES ? zone_names[z] : NULL; }
const char *spr_synth_category_name(uint32_t c) { return c < SPR_SYNTH_CATEGORIES ? cat_names[c] : NULL; }

typedef struct canvas {
	spr_image *im;
	float s;              /* pixels per unit: coordinates are in [-1, 1] */
	uint64_t seed;
	uint64_t draws;
} canvas;

static float rnd(canvas *c) { return (float)spr__unit(c->seed, c->draws++); }
static float rr(canvas *c, float lo, float hi) { return lo + (hi - lo) * rnd(c); }

static void lch(float L, float C, float hdeg, uint8_t out[4])
{
	float h = hdeg * 3.14159265f / 180.0f;
	spr_lab k = { L < 0.05f ? 0.05f : L > 0.98f ? 0.98f : L, C * cosf(h), C * sinf(h) };
	spr_oklab_to_srgb(k, out);
	out[3] = 255;
}

static void plot(canvas *c, int x, int y, const uint8_t col[4])
{
	if (x < 0 || y < 0 || x >= (int)c->im->w || y >= (int)c->im->h) return;
	memcpy(c->im->rgba + ((size_t)y * c->im->w + x) * 4, col, 4);
}

static int px(canvas *c, float u) { return (int)floorf((u + 1.0f) * c->s); }

/* Filled ellipse centred (cx, cy), radii (rx, ry), in unit coordinates;
 * only the part with v >= vmin (for domes and bells). */
static void ellipse(canvas *c, float cx, float cy, float rx, float ry, float vmax, const uint8_t col[4])
{
	int n = (int)c->im->w;
	for (int y = 0; y < n; y++)
		for (int x = 0; x < n; x++) {
			float u = (x + 0.5f) / c->s - 1.0f, v = (y + 0.5f) / c->s - 1.0f;
			float du = (u - cx) / rx, dv = (v - cy) / ry;
			if (du * du + dv * dv <= 1.0f && v - cy <= vmax) plot(c, x, y, col);
		}
}

/* Thick line from (x0, y0) to (x1, y1), radius r in unit coordinates. */
static void stroke(canvas *c, float x0, float y0, float x1, float y1, float r, const uint8_t col[4])
{
	float len = hypotf(x1 - x0, y1 - y0);
	int steps = (int)(len * c->s * 2) + 1;
	int rp = (int)ceilf(r * c->s);
	for (int i = 0; i <= steps; i++) {
		float t = (float)i / steps, u = x0 + (x1 - x0) * t, v = y0 + (y1 - y0) * t;
		int cx = px(c, u), cy = px(c, v);
		for (int dy = -rp; dy <= rp; dy++)
			for (int dx = -rp; dx <= rp; dx++)
				if ((dx * dx + dy * dy) <= rp * rp || rp == 0) plot(c, cx + dx, cy + dy, col);
	}
}

static void triangle(canvas *c, float ax, float ay, float bx, float by, float qx, float qy, const uint8_t col[4])
{
	int n = (int)c->im->w;
	for (int y = 0; y < n; y++)
		for (int x = 0; x < n; x++) {
			float u = (x + 0.5f) / c->s - 1.0f, v = (y + 0.5f) / c->s - 1.0f;
			float d1 = (u - bx) * (ay - by) - (ax - bx) * (v - by);
			float d2 = (u - qx) * (by - qy) - (bx - qx) * (v - qy);
			float d3 = (u - ax) * (qy - ay) - (qx - ax) * (v - ay);
			int neg = d1 < 0 || d2 < 0 || d3 < 0, pos = d1 > 0 || d2 > 0 || d3 > 0;
			if (!(neg && pos)) plot(c, x, y, col);
		}
}

int spr_synth(uint32_t zone, uint32_t cat, uint64_t seed, uint32_t size, spr_image *out)
{
	if (zone >= SPR_SYNTH_ZONES || cat >= SPR_SYNTH_CATEGORIES || size < 8 || size > 256) return SPR_EINVAL;
	int rc = spr_image_alloc(out, size, size);
	if (rc) return rc;
	canvas c = { out, size / 2.0f, spr__mix(seed, (uint64_t)zone * 64 + cat), 0 };
	const float *z = zone_look[zone];
	float hue = z[2] + rr(&c, -z[3], z[3]), L = z[0] + rr(&c, -0.08f, 0.08f), C = z[1] * rr(&c, 0.6f, 1.3f);
	uint8_t body[4], dark[4], light[4], accent[4], eye[4] = { 16, 16, 24, 255 };
	lch(L, C, hue, body);
	lch(L - 0.18f, C * 0.9f, hue + 8, dark);
	lch(L + 0.12f, C * 0.7f, hue - 6, light);
	lch(zone == 5 ? 0.8f : L + rr(&c, -0.2f, 0.15f), z[1] + 0.05f, hue + rr(&c, 120, 240), accent);
	float flip = rnd(&c) < 0.5f ? -1.0f : 1.0f;
	switch (cat) {
	case 0: { /* fish: body, tail, fin, stripes, eye */
		float rx = rr(&c, 0.5f, 0.7f), ry = rr(&c, 0.25f, 0.42f);
		triangle(&c, flip * (rx - 0.1f), 0, flip * (rx + 0.3f), -ry, flip * (rx + 0.3f), ry, dark);
		ellipse(&c, 0, 0, rx, ry, 9, body);
		ellipse(&c, 0, ry * 0.45f, rx * 0.8f, ry * 0.45f, 9, light);
		int stripes = (int)rr(&c, 0, 3.99f);
		for (int i = 0; i < stripes; i++) {
			float sx = flip * rr(&c, -rx * 0.5f, rx * 0.5f);
			stroke(&c, sx, -ry * 0.8f, sx, ry * 0.6f, 0.05f, accent);
		}
		triangle(&c, -0.15f, -ry + 0.05f, 0.2f, -ry + 0.05f, 0, -ry - 0.2f, dark);
		ellipse(&c, -flip * rx * 0.6f, -ry * 0.2f, 0.08f, 0.08f, 9, eye);
		break;
	}
	case 1: { /* grazer: shelled dome on a foot, spots */
		float rx = rr(&c, 0.6f, 0.85f), ry = rr(&c, 0.45f, 0.7f);
		ellipse(&c, 0, 0.5f, rx + 0.1f, 0.15f, 9, dark);
		ellipse(&c, 0, 0.45f, rx, ry, 0, body);
		for (int i = 0; i < 5; i++)
			ellipse(&c, rr(&c, -rx * 0.6f, rx * 0.6f), rr(&c, 0.45f - ry * 0.7f, 0.35f), 0.09f, 0.09f, 9, accent);
		ellipse(&c, flip * (rx + 0.05f), 0.35f, 0.14f, 0.12f, 9, light);
		break;
	}
	case 2: { /* coral: a branching stem from the floor */
		float x[16], y[16], a[16];
		int n = 1;
		x[0] = rr(&c, -0.1f, 0.1f); y[0] = 0.95f; a[0] = -1.5708f;
		for (int gen = 0; gen < 3; gen++) {
			int m = n;
			for (int i = 0; i < m && n < 15; i++) {
				float len = rr(&c, 0.3f, 0.5f) * (1.0f - gen * 0.2f);
				float nx = x[i] + cosf(a[i]) * len, ny = y[i] + sinf(a[i]) * len;
				stroke(&c, x[i], y[i], nx, ny, 0.09f - gen * 0.02f, gen ? body : dark);
				x[i] = nx; y[i] = ny;
				x[n] = nx; y[n] = ny; a[n] = a[i] + rr(&c, 0.3f, 0.8f);
				a[i] -= rr(&c, 0.3f, 0.8f);
				n++;
			}
		}
		for (int i = 0; i < n; i++) ellipse(&c, x[i], y[i], 0.08f, 0.08f, 9, accent);
		break;
	}
	case 3: { /* jellyfish: bell and trailing tentacles */
		float rx = rr(&c, 0.5f, 0.75f), ry = rr(&c, 0.35f, 0.55f), top = -0.2f;
		int nt = 3 + (int)rr(&c, 0, 3.99f);
		for (int i = 0; i < nt; i++) {
			float tx = -rx * 0.8f + 1.6f * rx * i / (nt - 1), ty = top;
			for (int s = 0; s < 4; s++) {
				float nx = tx + rr(&c, -0.12f, 0.12f), ny = ty + 0.22f;
				stroke(&c, tx, ty, nx, ny, 0.03f, light);
				tx = nx; ty = ny;
			}
		}
		ellipse(&c, 0, top, rx, ry, 0, body);
		ellipse(&c, 0, top - ry * 0.4f, rx * 0.5f, ry * 0.35f, 9, accent);
		break;
	}
	case 4: { /* cephalopod: mantle, eyes, curling arms */
		float rx = rr(&c, 0.35f, 0.5f), ry = rr(&c, 0.4f, 0.55f), cy = -0.3f;
		for (int i = 0; i < 6; i++) {
			float tx = -rx + 2 * rx * i / 5.0f, ty = cy + ry * 0.6f, ang = 1.5708f + (i - 2.5f) * 0.25f;
			for (int s = 0; s < 5; s++) {
				ang += rr(&c, -0.5f, 0.5f);
				float nx = tx + cosf(ang) * 0.16f, ny = ty + sinf(ang) * 0.16f;
				stroke(&c, tx, ty, nx, ny, 0.06f - s * 0.008f, dark);
				tx = nx; ty = ny;
			}
		}
		ellipse(&c, 0, cy, rx, ry, 9, body);
		ellipse(&c, -rx * 0.4f, cy + ry * 0.3f, 0.09f, 0.09f, 9, light);
		ellipse(&c, rx * 0.4f, cy + ry * 0.3f, 0.09f, 0.09f, 9, light);
		ellipse(&c, -rx * 0.4f, cy + ry * 0.3f, 0.04f, 0.04f, 9, eye);
		ellipse(&c, rx * 0.4f, cy + ry * 0.3f, 0.04f, 0.04f, 9, eye);
		break;
	}
	default: { /* eel: a sine-wave body with a head */
		float amp = rr(&c, 0.15f, 0.35f), ph = rr(&c, 0, 6.28f), fr = rr(&c, 2.0f, 4.0f);
		float px0 = -0.85f, py0 = amp * sinf(ph - 0.85f * fr);
		for (int i = 1; i <= 24; i++) {
			float u = -0.85f + 1.7f * i / 24, v = amp * sinf(ph + u * fr);
			stroke(&c, px0, py0, u, v, 0.05f + 0.06f * i / 24, i % 4 ? body : accent);
			px0 = u; py0 = v;
		}
		ellipse(&c, px0, py0, 0.16f, 0.13f, 9, dark);
		ellipse(&c, px0 + 0.04f, py0 - 0.04f, 0.04f, 0.04f, 9, eye);
		break;
	}
	}
	return SPR_OK;
}
