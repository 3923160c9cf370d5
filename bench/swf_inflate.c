/*
 * swf_inflate.c - the peer for bench/swf.sh: the least work any SWF reader
 * must do. It reads each file and decompresses CWS (zlib) or ZWS (LZMA)
 * into a buffer of the declared size, nothing else: no header fields, no
 * tags, no output beyond a byte total. kiln-swf info is timed against it.
 */
#include <lzma.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static uint8_t *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	if (!f) return NULL;
	size_t cap = 1 << 16, len = 0, got;
	uint8_t *b = malloc(cap);
	while ((got = fread(b + len, 1, cap - len, f)) > 0) {
		len += got;
		if (len == cap) b = realloc(b, cap *= 2);
	}
	fclose(f);
	*n = len;
	return b;
}

static size_t inflate_swf(const uint8_t *d, size_t n)
{
	if (n < 8) return 0;
	uint32_t declared = d[4] | d[5] << 8 | d[6] << 16 | (uint32_t)d[7] << 24;
	if (declared > (256u << 20) || declared < 8) return 0;
	if (d[0] == 'F') return n;
	uint8_t *out = malloc(declared);
	size_t produced = 0;
	if (d[0] == 'C') {
		z_stream z;
		memset(&z, 0, sizeof z);
		inflateInit(&z);
		z.next_in = (Bytef *)d + 8;
		z.avail_in = (uInt)(n - 8);
		z.next_out = out;
		z.avail_out = declared - 8;
		inflate(&z, Z_FINISH);
		produced = z.total_out;
		inflateEnd(&z);
	} else if (d[0] == 'Z' && n > 17) {
		lzma_filter f[2] = { { LZMA_FILTER_LZMA1EXT, NULL }, { LZMA_VLI_UNKNOWN, NULL } };
		f[0].id = LZMA_FILTER_LZMA1;
		if (lzma_properties_decode(&f[0], NULL, d + 12, 5) == LZMA_OK) {
			lzma_options_lzma *lo = f[0].options;
			f[0].id = LZMA_FILTER_LZMA1EXT;
			lo->ext_flags = LZMA_LZMA1EXT_ALLOW_EOPM;
			lo->ext_size_low = declared - 8;
			lo->ext_size_high = 0;
			if (lo->dict_size > declared) lo->dict_size = declared < 4096 ? 4096 : declared;
			lzma_stream s = LZMA_STREAM_INIT;
			if (lzma_raw_decoder(&s, f) == LZMA_OK) {
				s.next_in = d + 17;
				s.avail_in = n - 17;
				s.next_out = out;
				s.avail_out = declared - 8;
				lzma_ret lr = lzma_code(&s, LZMA_FINISH);
				(void)lr;      /* a short stream simply produces less */
				produced = s.total_out;
				lzma_end(&s);
			}
			free(lo);
		}
	}
	free(out);
	return produced + 8;
}

int main(int argc, char **argv)
{
	unsigned long long total = 0;
	for (int i = 1; i < argc; i++) {
		size_t n;
		uint8_t *d = slurp(argv[i], &n);
		if (!d) { perror(argv[i]); continue; }
		total += inflate_swf(d, n);
		free(d);
	}
	printf("%llu bytes decompressed from %d files\n", total, argc - 1);
	return 0;
}
