/*
 * spr_color.c - sRGB <-> OKLab, the colour space every distance in
 * libsprites is measured in, plus the error helpers every file uses.
 * OKLab is Björn Ottosson's (2020) perceptual space: a 3x3 matrix to LMS,
 * cube roots, and a second 3x3 matrix; its Euclidean distance is ΔE_OK.
 */
#include "spr_internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int spr__fail(spr_error *err, int code, uint64_t offset, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof err->msg, fmt, ap);
		va_end(ap);
		err->code = code;
		err->offset = offset;
	}
	return code;
}

const char *spr_strerror(int code)
{
	switch (code) {
	case SPR_OK: return "success";
	case SPR_EINVAL: return "invalid argument";
	case SPR_ENOMEM: return "out of memory";
	case SPR_EFORMAT: return "corrupt or unsupported data";
	case SPR_ETOOBIG: return "dimensions over the cap";
	case SPR_EEMPTY: return "nothing usable";
	case SPR_ENOTBUILT: return "not built in";
	}
	return "unknown error";
}

uint64_t spr__mix(uint64_t seed, uint64_t x)
{
	uint64_t z = seed * 0x9E3779B97F4A7C15ull + x + 0x632BE59BD9B4E019ull;
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

double spr__unit(uint64_t seed, uint64_t x)
{
	return (double)(spr__mix(seed, x) >> 11) * (1.0 / 9007199254740992.0);
}

/* Computed per call, not tabled: a table would be a global. Hot loops
 * (spr_map, k-means) convert each distinct colour once and cache the result. */
static float srgb_to_linear(float c)
{
	return c <= 0.04045f ? c / 12.92f : powf((c + 0.055f) / 1.055f, 2.4f);
}

float spr__lin(uint8_t v) { return srgb_to_linear(v / 255.0f); }

static float linear_to_srgb(float c)
{
	return c <= 0.0031308f ? 12.92f * c : 1.055f * powf(c, 1.0f / 2.4f) - 0.055f;
}

spr_lab spr_srgb_to_oklab(uint8_t r8, uint8_t g8, uint8_t b8)
{
	float r = spr__lin(r8), g = spr__lin(g8), b = spr__lin(b8);
	float l = 0.4122214708f * r + 0.5363325363f * g + 0.0514459929f * b;
	float m = 0.2119034982f * r + 0.6806995451f * g + 0.1073969566f * b;
	float s = 0.0883024619f * r + 0.2817188376f * g + 0.6299787005f * b;
	l = cbrtf(l); m = cbrtf(m); s = cbrtf(s);
	spr_lab o;
	o.L = 0.2104542553f * l + 0.7936177850f * m - 0.0040720468f * s;
	o.a = 1.9779984951f * l - 2.4285922050f * m + 0.4505937099f * s;
	o.b = 0.0259040371f * l + 0.7827717662f * m - 0.8086757660f * s;
	return o;
}

spr_lab spr__oklab_lin(const float lin[256], uint8_t r8, uint8_t g8, uint8_t b8)
{
	float r = lin[r8], g = lin[g8], b = lin[b8];
	float l = cbrtf(0.4122214708f * r + 0.5363325363f * g + 0.0514459929f * b);
	float m = cbrtf(0.2119034982f * r + 0.6806995451f * g + 0.1073969566f * b);
	float s = cbrtf(0.0883024619f * r + 0.2817188376f * g + 0.6299787005f * b);
	spr_lab o;
	o.L = 0.2104542553f * l + 0.7936177850f * m - 0.0040720468f * s;
	o.a = 1.9779984951f * l - 2.4285922050f * m + 0.4505937099f * s;
	o.b = 0.0259040371f * l + 0.7827717662f * m - 0.8086757660f * s;
	return o;
}

static uint8_t to8(float c)
{
	float v = linear_to_srgb(c < 0 ? 0 : c > 1 ? 1 : c) * 255.0f + 0.5f;
	return v <= 0 ? 0 : v >= 255 ? 255 : (uint8_t)v;
}

void spr_oklab_to_srgb(spr_lab c, uint8_t rgb[3])
{
	float l = c.L + 0.3963377774f * c.a + 0.2158037573f * c.b;
	float m = c.L - 0.1055613458f * c.a - 0.0638541728f * c.b;
	float s = c.L - 0.0894841775f * c.a - 1.2914855480f * c.b;
	l = l * l * l; m = m * m * m; s = s * s * s;
	rgb[0] = to8(4.0767416621f * l - 3.3077115913f * m + 0.2309699292f * s);
	rgb[1] = to8(-1.2684380046f * l + 2.6097574011f * m - 0.3413193965f * s);
	rgb[2] = to8(-0.0041960863f * l - 0.7034186147f * m + 1.7076147010f * s);
}

float spr_delta_e(spr_lab x, spr_lab y)
{
	float dL = x.L - y.L, da = x.a - y.a, db = x.b - y.b;
	return sqrtf(dL * dL + da * da + db * db);
}
