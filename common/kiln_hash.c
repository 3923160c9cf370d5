/*
 * kiln_hash.c - SHA-256 (libavutil's implementation, not ours) for content
 * identity and fingerprints, and splitmix64 for deterministic decisions
 * (sampling, splits) that must not depend on thread count or run.
 */
#include "kiln.h"

#include <libavutil/mem.h>
#include <libavutil/sha.h>
#include <stdlib.h>

struct kiln_sha256_ctx { struct AVSHA *sha; };

kiln_sha256_ctx *kiln_sha256_new(void)
{
	kiln_sha256_ctx *c = kiln_xmalloc(sizeof *c);
	c->sha = av_sha_alloc();
	if (!c->sha) kiln_die(KILN_EXIT_FAIL, "out of memory (sha256)");
	av_sha_init(c->sha, 256);
	return c;
}

void kiln_sha256_update(kiln_sha256_ctx *c, const void *data, size_t n)
{
	/* Chunked: older libavutil took an unsigned int length. */
	const uint8_t *p = data;
	while (n) {
		size_t k = n > (1u << 30) ? (1u << 30) : n;
		av_sha_update(c->sha, p, k);
		p += k;
		n -= k;
	}
}

void kiln_sha256_final(kiln_sha256_ctx *c, uint8_t out[32])
{
	av_sha_final(c->sha, out);
	av_free(c->sha);
	free(c);
}

void kiln_sha256(const void *data, size_t n, uint8_t out[32])
{
	kiln_sha256_ctx *c = kiln_sha256_new();
	kiln_sha256_update(c, data, n);
	kiln_sha256_final(c, out);
}

void kiln_hex(const uint8_t *bytes, size_t n, char *out)
{
	static const char hx[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hx[bytes[i] >> 4];
		out[2 * i + 1] = hx[bytes[i] & 15];
	}
	out[2 * n] = 0;
}

uint64_t kiln_mix64(uint64_t seed, uint64_t x)
{
	uint64_t z = seed * 0x9E3779B97F4A7C15ull + x + 0x632BE59BD9B4E019ull;
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	z ^= z >> 31;
	/* A second round decorrelates nearby (seed, x) pairs fully. */
	z += 0x9E3779B97F4A7C15ull;
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

double kiln_unit(uint64_t seed, uint64_t x)
{
	return (kiln_mix64(seed, x) >> 11) * (1.0 / 9007199254740992.0);
}
