/*
 * spr_internal.h - declarations shared by libsprites' files and nothing else:
 * error filling, the deterministic mixer, and the fast sRGB->OKLab tables.
 */
#ifndef KILN_SPR_INTERNAL_H
#define KILN_SPR_INTERNAL_H

#include "sprites.h"

/* OpenMP pragmas that vanish (without an unknown-pragma warning) when the
 * build has no OpenMP (HAVE_OPENMP=no). */
#ifdef _OPENMP
#define SPR_OMP(x) _Pragma(#x)
#else
#define SPR_OMP(x)
#endif

/* Fill err (if any) and return code. */
int spr__fail(spr_error *err, int code, uint64_t offset, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* splitmix64 of (seed, x): the library's only source of "randomness". */
uint64_t spr__mix(uint64_t seed, uint64_t x);
/* Uniform [0, 1) from (seed, x). */
double spr__unit(uint64_t seed, uint64_t x);

/* sRGB 8-bit value to linear light (table lookup). */
float spr__lin(uint8_t v);
/* spr_srgb_to_oklab with the transfer function from a table of spr__lin
 * (the same float arithmetic, so the same result, without three powf). */
spr_lab spr__oklab_lin(const float lin[256], uint8_t r, uint8_t g, uint8_t b);

/* One image's totals into q: its squared RGB error over n opaque pixels and
 * its PSNR (capped); an image without opaque pixels counts for nothing. */
void spr__quality_close(spr_quality *q, double sse, uint64_t n);

#endif
