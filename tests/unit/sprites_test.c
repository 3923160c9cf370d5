/*
 * sprites_test.c - unit tests for libsprites: OKLab against published
 * values, the fast mapper against the naive search, decoding against
 * ImageMagick's decoder (when installed), fitting, palette building and
 * files, token layout, rendering, shading and the synthetic generator.
 */
#include "test.h"
#include "sprites.h"
#include "shard.h"

#include <math.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

/* ffmpeg's own log lines would drown the test output */
__attribute__((constructor)) static void quiet_codecs(void) { spr_codec_quiet(); }

static void make_image(spr_image *im, uint32_t w, uint32_t h, uint64_t seed)
{
	CHECK(spr_image_alloc(im, w, h) == SPR_OK);
	uint64_t s = seed;
	for (size_t i = 0; i < (size_t)w * h; i++) {
		uint64_t r = test_rand(&s);
		im->rgba[4 * i] = r; im->rgba[4 * i + 1] = r >> 8; im->rgba[4 * i + 2] = r >> 16;
		im->rgba[4 * i + 3] = (r >> 24) & 1 ? 255 : (uint8_t)(r >> 32);
	}
}

TEST(oklab_reference_values)
{
	/* values from Björn Ottosson's OKLab post */
	spr_lab w = spr_srgb_to_oklab(255, 255, 255), k = spr_srgb_to_oklab(0, 0, 0);
	CHECK_NEAR(w.L, 1.0, 1e-3); CHECK_NEAR(w.a, 0, 1e-3); CHECK_NEAR(w.b, 0, 1e-3);
	CHECK_NEAR(k.L, 0, 1e-6);
	spr_lab r = spr_srgb_to_oklab(255, 0, 0);
	CHECK_NEAR(r.L, 0.62796, 1e-3); CHECK_NEAR(r.a, 0.22486, 1e-3); CHECK_NEAR(r.b, 0.12585, 1e-3);
	spr_lab b = spr_srgb_to_oklab(0, 0, 255);
	CHECK_NEAR(b.L, 0.45201, 1e-3); CHECK_NEAR(b.a, -0.03246, 1e-3); CHECK_NEAR(b.b, -0.31153, 1e-3);
	/* round trip within one code value everywhere we sample */
	uint64_t s = 7;
	for (int i = 0; i < 20000; i++) {
		uint64_t v = test_rand(&s);
		uint8_t in[3] = { v, v >> 8, v >> 16 }, out[3];
		spr_oklab_to_srgb(spr_srgb_to_oklab(in[0], in[1], in[2]), out);
		for (int c = 0; c < 3; c++) CHECKF(abs(in[c] - out[c]) <= 1, "%u,%u,%u -> %u,%u,%u", in[0], in[1], in[2], out[0], out[1], out[2]);
	}
}

static void random_palette(spr_palette *p, uint32_t n, int transparent, uint64_t seed)
{
	memset(p, 0, sizeof *p);
	p->n = n;
	p->transparent = transparent;
	for (uint32_t i = 0; i < n; i++) {
		uint64_t v = test_rand(&seed);
		p->rgb[i][0] = v; p->rgb[i][1] = v >> 8; p->rgb[i][2] = v >> 16;
	}
}

static double lab_d2(const spr_palette *p, uint32_t k, const uint8_t *px)
{
	spr_lab a = spr_srgb_to_oklab(p->rgb[k][0], p->rgb[k][1], p->rgb[k][2]), b = spr_srgb_to_oklab(px[0], px[1], px[2]);
	return (double)spr_delta_e(a, b);
}

TEST(map_matches_naive_search)
{
	for (int trial = 0; trial < 4; trial++) {
		spr_palette p;
		random_palette(&p, trial == 3 ? 256 : 64, trial == 1 ? -1 : 0, 100 + trial);
		spr_mapper *m;
		CHECK(spr_mapper_create(&p, 0, &m) == SPR_OK);
		spr_image im;
		make_image(&im, 128, 128, 200 + trial);
		uint8_t *idx = malloc(128 * 128);
		/* twice: the second pass is served from the cache */
		for (int pass = 0; pass < 2; pass++) {
			spr_map(m, im.rgba, 128, 128, 128, idx);
			for (size_t i = 0; i < 128 * 128; i++) {
				const uint8_t *px = im.rgba + 4 * i;
				if (px[3] < 128) {
					if (p.transparent >= 0) CHECK_EQ_U64(idx[i], p.transparent);
					continue;
				}
				uint32_t want = spr_nearest_naive(&p, px[0], px[1], px[2]);
				if (idx[i] != want) /* only an exact tie may differ */
					CHECK_NEAR(lab_d2(&p, idx[i], px), lab_d2(&p, want, px), 1e-5);
				CHECK((int)idx[i] != p.transparent);
			}
		}
		free(idx);
		spr_image_free(&im);
		spr_mapper_free(m);
	}
}

TEST(map_dither_changes_flat_areas_only_in_palette)
{
	spr_palette p = { .n = 3, .transparent = 0, .rgb = { { 0, 0, 0 }, { 60, 60, 60 }, { 200, 200, 200 } } };
	spr_mapper *plain, *dith;
	CHECK(spr_mapper_create(&p, 0, &plain) == SPR_OK);
	CHECK(spr_mapper_create(&p, 1, &dith) == SPR_OK);
	spr_image im;
	CHECK(spr_image_alloc(&im, 8, 8) == SPR_OK);
	for (int i = 0; i < 64; i++) { im.rgba[4*i] = im.rgba[4*i+1] = im.rgba[4*i+2] = 125; im.rgba[4*i+3] = 255; }
	uint8_t a[64], b[64];
	spr_map(plain, im.rgba, 8, 8, 128, a);
	spr_map(dith, im.rgba, 8, 8, 128, b);
	int na = 0, nb[3] = { 0, 0, 0 };
	for (int i = 0; i < 64; i++) { na += a[i] != a[0]; CHECK(b[i] == 1 || b[i] == 2); nb[b[i]]++; }
	CHECK(na == 0);                    /* no dithering: one flat colour */
	CHECK(nb[1] > 0 && nb[2] > 0);     /* dithered: a mix of both neighbours */
	spr_image_free(&im);
	spr_mapper_free(plain);
	spr_mapper_free(dith);
}

/* The scorer caches per-colour errors; its sums must be spr_quality_add's
 * bit for bit, over cache hits (few colours), misses and collisions (many),
 * dithered grids, lost pixels and indices past the palette. */
TEST(scorer_equals_quality_add)
{
	for (int trial = 0; trial < 4; trial++) {
		spr_palette p;
		random_palette(&p, trial == 3 ? 256 : 64, trial == 1 ? -1 : 0, 300 + trial);
		spr_mapper *m;
		spr_scorer *sc;
		CHECK(spr_mapper_create(&p, trial & 1, &m) == SPR_OK);
		CHECK(spr_scorer_create(&p, &sc) == SPR_OK);
		spr_quality a, b;
		spr_quality_init(&a);
		spr_quality_init(&b);
		uint8_t idx[48 * 48];
		for (int img = 0; img < 40; img++) {
			spr_image im;
			make_image(&im, 48, 48, 400 + 50 * trial + img);
			if (img % 2 == 0)   /* few distinct colours: mostly cache hits */
				for (size_t i = 0; i < 48 * 48; i++) memcpy(im.rgba + 4 * i, im.rgba + 4 * (i % 13), 3);
			spr_map(m, im.rgba, 48, 48, 128, idx);
			if (img % 5 == 0)   /* lost pixels and out-of-range indices */
				for (size_t i = 0; i < 48 * 48; i += 17) idx[i] = (uint8_t)(i % 2 ? 0 : 255);
			spr_quality_add(&a, &p, im.rgba, idx, 48, 48, 128);
			spr_scorer_add(sc, &b, im.rgba, idx, 48, 48, 128);
			spr_image_free(&im);
		}
		CHECK(a.images > 0 && a.pixels > 0);
		CHECKF(memcmp(&a, &b, sizeof a) == 0, "trial %d: dE %.17g vs %.17g, sse %.17g vs %.17g", trial,
		       a.de_sum, b.de_sum, a.sse, b.sse);
		spr_scorer_free(sc);
		spr_mapper_free(m);
	}
}

TEST(png_encode_decode_roundtrip)
{
	if (!spr_codec_available()) SKIP("built without ffmpeg");
	spr_image im, back;
	make_image(&im, 37, 23, 5);
	uint8_t *png;
	size_t n;
	spr_error err;
	CHECK(spr_encode_png(&im, &png, &n, &err) == SPR_OK);
	CHECK(spr_decode(png, n, "x.png", 0, &back, &err) == SPR_OK);
	CHECK_EQ_U64(back.w, 37);
	CHECK_EQ_U64(back.h, 23);
	CHECK_MEM(back.rgba, im.rgba, 37 * 23 * 4);
	/* every truncation fails cleanly, never crashes */
	for (size_t cut = 0; cut < n; cut += 7) {
		spr_image t;
		int rc = spr_decode(png, cut, "cut.png", 0, &t, &err);
		CHECKF(rc != SPR_OK, "truncated at %zu decoded", cut);
		CHECK(t.rgba == NULL);
	}
	free(png);
	spr_image_free(&im);
	spr_image_free(&back);
}

typedef struct decoded { int rc; spr_image im; char msg[256]; } decoded;   /* as spr_error.msg */

static int same_decode(const decoded *a, const decoded *b)
{
	if (a->rc != b->rc || strcmp(a->msg, b->msg) || a->im.w != b->im.w || a->im.h != b->im.h) return 0;
	return a->rc || memcmp(a->im.rgba, b->im.rgba, (size_t)a->im.w * a->im.h * 4) == 0;
}

/* A reused spr_decoder must answer exactly as a fresh spr_decode for every
 * file, whatever came before: the fuzz seeds (every format, and corrupt
 * files that fail mid-decode) in three orders, plus a palette PNG with its
 * PLTE chunk cut out, decoded right after one that has it. */
TEST(decoder_reuse_equals_fresh_decode)
{
	if (!spr_codec_available()) SKIP("built without ffmpeg");
	if (test_sh("ls '%s'/tests/fuzz/corpus/sprites > list", test_srcdir()) != 0) SKIP("no fuzz seeds");
	size_t ln;
	unsigned char *raw = test_read_file("list", &ln);
	char *list = calloc(ln + 1, 1), *save = NULL;
	memcpy(list, raw, ln);
	free(raw);
	enum { MAXF = 512 };
	static unsigned char *data[MAXF];
	static size_t size[MAXF];
	static char name[MAXF][64];
	static decoded fresh[MAXF];
	size_t n = 0;
	for (char *f = strtok_r(list, "\n", &save); f && n < MAXF - 1; f = strtok_r(NULL, "\n", &save)) {
		char path[4096];
		snprintf(path, sizeof path, "%s/tests/fuzz/corpus/sprites/%s", test_srcdir(), f);
		FILE *fp = fopen(path, "rb");
		CHECK(fp != NULL);
		fseek(fp, 0, SEEK_END);
		size[n] = (size_t)ftell(fp);
		rewind(fp);
		data[n] = malloc(size[n] + 1);
		CHECK(fread(data[n], 1, size[n], fp) == size[n]);
		fclose(fp);
		/* seeds without an extension are read as TGA, as the fuzzer does */
		snprintf(name[n], sizeof name[n], "%s", strchr(f, '.') ? f : "fuzz.tga");
		if (!strcmp(f, "fish-pal.png")) {
			/* the same file without PLTE (a palette image with no palette) */
			size_t o = 8;
			while (o + 12 <= size[n] && memcmp(data[n] + o + 4, "PLTE", 4))
				o += 12 + ((size_t)data[n][o] << 24 | data[n][o + 1] << 16 | data[n][o + 2] << 8 | data[n][o + 3]);
			CHECK(o + 12 <= size[n]);
			size_t cut = 12 + 15;
			data[n + 1] = malloc(size[n]);
			memcpy(data[n + 1], data[n], o);
			memcpy(data[n + 1] + o, data[n] + o + cut, size[n] - o - cut);
			size[n + 1] = size[n] - cut;
			snprintf(name[n + 1], sizeof name[n + 1], "nopal.png");
			n++;
		}
		n++;
	}
	free(list);
	CHECK(n > 20);
	spr_error err;
	int ok = 0;
	for (size_t i = 0; i < n; i++) {
		err.msg[0] = 0;
		fresh[i].rc = spr_decode(data[i], size[i], name[i], 1024, &fresh[i].im, &err);
		snprintf(fresh[i].msg, sizeof fresh[i].msg, "%s", fresh[i].rc ? err.msg : "");
		ok += fresh[i].rc == SPR_OK;
	}
	CHECK(ok >= 8);
	spr_decoder *dec;
	CHECK(spr_decoder_create(&dec) == SPR_OK);
	for (int order = 0; order < 3; order++)
		for (size_t k = 0; k < n; k++) {
			size_t i = order == 0 ? k : order == 1 ? n - 1 - k : (k * 7919) % n;
			decoded r;
			err.msg[0] = 0;
			r.rc = spr_decoder_decode(dec, data[i], size[i], name[i], 1024, &r.im, &err);
			snprintf(r.msg, sizeof r.msg, "%s", r.rc ? err.msg : "");
			CHECKF(same_decode(&r, &fresh[i]), "order %d: %s (file %zu) differs after reuse: rc %d vs %d", order,
			       name[i], i, r.rc, fresh[i].rc);
			spr_image_free(&r.im);
		}
	spr_decoder_free(dec);
	for (size_t i = 0; i < n; i++) { spr_image_free(&fresh[i].im); free(data[i]); }
}

/* ffmpeg's TGA decoder reads a short last RLE packet without an error and
 * leaves the missing bytes as they were in its frame buffer: they must be
 * zeros, after a file that put a pixel there too (the fuzzer's find). */
TEST(truncated_tga_leaves_zeros_not_the_previous_image)
{
	if (!spr_codec_available()) SKIP("built without ffmpeg");
	/* 1x1, 24 bits: uncompressed, then RLE with 2 of the pixel's 3 bytes */
	static const uint8_t full[21] = { 0, 0, 2, 0, 0, 0, 0, 0, 0, 14, 0, 0, 1, 0, 1, 0, 24, 0, 0x00, 0x00, 0x2d };
	static const uint8_t cut[21] = { 0, 0, 0xfe, 0xff, 0xff, 0xfc, 0, 0, 0, 14, 0, 0, 1, 0, 1, 0, 24, 0, 0x00, 0x00, 0x2d };
	spr_image a, b, c;
	spr_error err;
	CHECK(spr_decode(cut, sizeof cut, "x.tga", 0, &a, &err) == SPR_OK);
	CHECK(a.w == 1 && a.h == 1);
	CHECKF(a.rgba[0] == 0 && a.rgba[1] == 0x2d && a.rgba[2] == 0 && a.rgba[3] == 255, "got %02x%02x%02x%02x",
	       a.rgba[0], a.rgba[1], a.rgba[2], a.rgba[3]);
	spr_decoder *dec;
	CHECK(spr_decoder_create(&dec) == SPR_OK);
	CHECK(spr_decoder_decode(dec, full, sizeof full, "x.tga", 0, &b, &err) == SPR_OK);
	CHECK(b.rgba[0] == 0x2d && b.rgba[1] == 0 && b.rgba[2] == 0);
	CHECK(spr_decoder_decode(dec, cut, sizeof cut, "x.tga", 0, &c, &err) == SPR_OK);
	CHECK(memcmp(a.rgba, c.rgba, 4) == 0);
	spr_decoder_free(dec);
	spr_image_free(&a);
	spr_image_free(&b);
	spr_image_free(&c);
}

TEST(decode_caps_dimensions_before_decoding)
{
	if (!spr_codec_available()) SKIP("built without ffmpeg");
	/* a PNG header declaring 100000 x 100000 */
	uint8_t hdr[64] = "\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR";
	hdr[16] = 0; hdr[17] = 1; hdr[18] = 0x86; hdr[19] = 0xA0;
	hdr[20] = 0; hdr[21] = 1; hdr[22] = 0x86; hdr[23] = 0xA0;
	spr_image im;
	spr_error err;
	CHECK(spr_decode(hdr, sizeof hdr, "big.png", 0, &im, &err) == SPR_ETOOBIG);
	CHECK_EQ_U64(err.offset, 16);
	CHECK(strstr(err.msg, "100000x100000") != NULL);
	/* a small cap applies to real images too */
	spr_image small;
	make_image(&small, 40, 10, 1);
	uint8_t *png;
	size_t n;
	CHECK(spr_encode_png(&small, &png, &n, &err) == SPR_OK);
	CHECK(spr_decode(png, n, "x.png", 32, &im, &err) == SPR_ETOOBIG);
	CHECK(spr_decode("GIF89a", 6, "x.gif", 0, &im, &err) == SPR_EFORMAT);
	CHECK(spr_decode("hello world", 11, "x.txt", 0, &im, &err) == SPR_EFORMAT);
	free(png);
	spr_image_free(&small);
}

/* A 1-bit greyscale PNG with a tRNS chunk (what ImageMagick writes for a
 * black silhouette on a transparent background): 8x2, rows 00001111 and
 * 10101010, tRNS grey 0 (first file) or 1 (second). ffmpeg's decoder
 * returns such images as plain black and white, dropping the tRNS. */
TEST(decode_png_1bit_grey_transparency)
{
	if (!spr_codec_available()) SKIP("built without ffmpeg");
	static const uint8_t png[2][84] = {
		"\x89\x50\x4e\x47\x0d\x0a\x1a\x0a\x00\x00\x00\x0d\x49\x48\x44\x52\x00\x00\x00\x08\x00\x00\x00\x02\x01\x00"
		"\x00\x00\x00\x4d\xef\xa0\x40\x00\x00\x00\x02\x74\x52\x4e\x53\x00\x00\x76\x93\xcd\x38\x00\x00\x00\x0c\x49"
		"\x44\x41\x54\x78\xda\x63\xe0\x67\x58\x05\x00\x00\xdb\x00\xba\xb5\x5d\x80\x20\x00\x00\x00\x00\x49\x45\x4e"
		"\x44\xae\x42\x60\x82",
		"\x89\x50\x4e\x47\x0d\x0a\x1a\x0a\x00\x00\x00\x0d\x49\x48\x44\x52\x00\x00\x00\x08\x00\x00\x00\x02\x01\x00"
		"\x00\x00\x00\x4d\xef\xa0\x40\x00\x00\x00\x02\x74\x52\x4e\x53\x00\x01\x01\x94\xfd\xae\x00\x00\x00\x0c\x49"
		"\x44\x41\x54\x78\xda\x63\xe0\x67\x58\x05\x00\x00\xdb\x00\xba\xb5\x5d\x80\x20\x00\x00\x00\x00\x49\x45\x4e"
		"\x44\xae\x42\x60\x82",
	};
	const uint8_t bits[2] = { 0x0F, 0xAA };
	spr_decoder *dec;
	CHECK(spr_decoder_create(&dec) == SPR_OK);
	for (int clear = 0; clear < 2; clear++)
		for (int reuse = 0; reuse < 2; reuse++) {
			spr_image im;
			spr_error err;
			int rc = reuse ? spr_decoder_decode(dec, png[clear], 83, "g.png", 0, &im, &err)
			               : spr_decode(png[clear], 83, "g.png", 0, &im, &err);
			CHECKF(rc == SPR_OK, "%s", err.msg);
			CHECK(im.w == 8 && im.h == 2);
			for (int y = 0; y < 2; y++)
				for (int x = 0; x < 8; x++) {
					int bit = bits[y] >> (7 - x) & 1;
					const uint8_t *p = im.rgba + 4 * (y * 8 + x);
					CHECKF(p[3] == (bit == clear ? 0 : 255), "tRNS %d pixel %d,%d: alpha %u", clear, x, y, p[3]);
					if (p[3]) CHECK(p[0] == (bit ? 255 : 0) && p[1] == p[0] && p[2] == p[0]);
				}
			spr_image_free(&im);
		}
	spr_decoder_free(dec);
}

/* ImageMagick as the independent decoder: our RGBA must equal its RGBA for
 * every format and PNG colour type we claim to read. */
TEST(decode_matches_imagemagick)
{
	if (!spr_codec_available()) SKIP("built without ffmpeg");
	if (test_sh("command -v convert >/dev/null 2>&1") != 0) SKIP("ImageMagick convert not installed");
	spr_image src;
	make_image(&src, 24, 16, 9);
	for (size_t i = 0; i < 24 * 16; i++) {
		/* binary alpha and few colours, so palette formats are lossless */
		src.rgba[4 * i + 3] = (src.rgba[4 * i + 3] & 1) ? 255 : 0;
		for (int c = 0; c < 3; c++) src.rgba[4 * i + c] &= 0xC0;
	}
	uint8_t *png;
	size_t n;
	spr_error err;
	CHECK(spr_encode_png(&src, &png, &n, &err) == SPR_OK);
	test_write_file("src.png", png, n);
	free(png);
	static const char *const variants[][2] = {
		{ "rgba16.png", "-depth 16 PNG64:rgba16.png" },
		{ "pal.png", "PNG8:pal.png" },
		{ "gray.png", "-colorspace Gray PNG24:gray.png" },
		{ "graya.png", "-colorspace Gray -define png:color-type=4 graya.png" },
		{ "rgb.png", "-background red -flatten PNG24:rgb.png" },
		{ "x.gif", "x.gif" },
		{ "x.bmp", "-define bmp:format=bmp4 x.bmp" },
		{ "x.webp", "-define webp:lossless=true x.webp" },
	};
	int tested = 0;
	for (size_t v = 0; v < sizeof variants / sizeof variants[0]; v++) {
		if (test_sh("convert src.png %s 2>/dev/null", variants[v][1]) != 0) continue;
		if (test_sh("convert %s -depth 8 rgba:%s.raw 2>/dev/null", variants[v][0], variants[v][0]) != 0) continue;
		size_t fl, rl;
		unsigned char *file = test_read_file(variants[v][0], &fl), *raw;
		char rawname[64];
		snprintf(rawname, sizeof rawname, "%s.raw", variants[v][0]);
		raw = test_read_file(rawname, &rl);
		spr_image im;
		int rc = spr_decode(file, fl, variants[v][0], 0, &im, &err);
		CHECKF(rc == SPR_OK, "%s: %s", variants[v][0], err.msg);
		CHECK_EQ_U64(rl, (size_t)im.w * im.h * 4);
		for (size_t i = 0; i < (size_t)im.w * im.h; i++) {
			const uint8_t *a = im.rgba + 4 * i, *b = raw + 4 * i;
			CHECKF(a[3] == b[3], "%s pixel %zu alpha %u vs %u", variants[v][0], i, a[3], b[3]);
			if (a[3] == 0) continue;   /* colour under full transparency is not defined */
			for (int c = 0; c < 3; c++)
				CHECKF(abs(a[c] - b[c]) <= 1, "%s pixel %zu ch %d: %u vs %u", variants[v][0], i, c, a[c], b[c]);
		}
		spr_image_free(&im);
		free(file);
		free(raw);
		tested++;
	}
	CHECKF(tested >= 6, "only %d formats could be produced by convert", tested);
	/* JPEG: decoders may differ in IDCT and chroma upsampling, so only the
	 * mean error is held to a small bound (a wrong layout would be far off) */
	if (test_sh("convert src.png -background white -flatten -quality 95 x.jpg 2>/dev/null && "
	            "convert x.jpg -depth 8 rgba:x.raw 2>/dev/null") == 0) {
		size_t fl, rl;
		unsigned char *file = test_read_file("x.jpg", &fl), *raw = test_read_file("x.raw", &rl);
		spr_image im;
		CHECKF(spr_decode(file, fl, "x.jpg", 0, &im, &err) == SPR_OK, "jpeg: %s", err.msg);
		CHECK_EQ_U64(rl, (size_t)im.w * im.h * 4);
		double sum = 0;
		for (size_t i = 0; i < rl; i++) sum += abs(im.rgba[i] - raw[i]);
		CHECKF(sum / rl < 4.0, "jpeg mean abs difference %.2f", sum / rl);
		spr_image_free(&im);
		free(file);
		free(raw);
	}
	spr_image_free(&src);
}

/* TGA has no signature and two row orders: build one by the spec (type 2,
 * 32 bpp BGRA, bit 5 of the descriptor = top-left origin) and one
 * bottom-up, and check both against the pixels we put in. */
TEST(decode_tga_both_orientations)
{
	if (!spr_codec_available()) SKIP("built without ffmpeg");
	uint8_t f[18 + 4 * 6 * 2];
	for (int top = 0; top < 2; top++) {
		memset(f, 0, sizeof f);
		f[2] = 2; f[12] = 6; f[14] = 2; f[16] = 32; f[17] = 8 | (top ? 0x20 : 0);
		for (int y = 0; y < 2; y++)
			for (int x = 0; x < 6; x++) {
				int row = top ? y : 1 - y;     /* file row holding image row y */
				uint8_t *p = f + 18 + (row * 6 + x) * 4;
				p[0] = (uint8_t)(x * 40); p[1] = (uint8_t)(y * 200); p[2] = 7; p[3] = 255;
			}
		spr_image im;
		spr_error err;
		CHECKF(spr_decode(f, sizeof f, "x.tga", 0, &im, &err) == SPR_OK, "%s", err.msg);
		CHECK(im.w == 6 && im.h == 2);
		for (int y = 0; y < 2; y++)
			for (int x = 0; x < 6; x++) {
				const uint8_t *q = im.rgba + (y * 6 + x) * 4;
				CHECKF(q[0] == 7 && q[1] == y * 200 && q[2] == x * 40 && q[3] == 255, "top=%d (%d,%d): %u %u %u", top, x, y, q[0], q[1], q[2]);
			}
		spr_image_free(&im);
		/* without the .tga name there is no way to tell it is an image */
		CHECK(spr_decode(f, sizeof f, "x.png", 0, &im, &err) == SPR_EFORMAT);
	}
}

TEST(decode_real_corpus_matches_imagemagick)
{
	const char *dir = test_corpus("sprites");
	if (!dir) SKIP("no ../shared/corpus/sprites");
	if (test_sh("command -v convert >/dev/null 2>&1") != 0) SKIP("ImageMagick convert not installed");
	/* a fixed sample covering palette, gray, RGB and RGBA files */
	if (test_sh("ls '%s'/*.png | awk 'NR %% 37 == 1' > list", dir) != 0) SKIP("cannot list corpus");
	size_t ln;
	unsigned char *raw_list = test_read_file("list", &ln);
	char *list = calloc(ln + 1, 1), *save = NULL;
	memcpy(list, raw_list, ln);   /* test_read_file does not NUL-terminate */
	free(raw_list);
	int checked = 0;
	for (char *path = strtok_r(list, "\n", &save); path; path = strtok_r(NULL, "\n", &save)) {
		CHECKF(test_sh("convert '%s' -depth 8 rgba:one.raw", path) == 0, "convert failed on %s", path);
		size_t fl, rl;
		FILE *f = fopen(path, "rb");
		CHECK(f != NULL);
		fseek(f, 0, SEEK_END);
		fl = (size_t)ftell(f);
		rewind(f);
		unsigned char *file = malloc(fl);
		CHECK(fread(file, 1, fl, f) == fl);
		fclose(f);
		unsigned char *raw = test_read_file("one.raw", &rl);
		spr_image im;
		spr_error err;
		CHECKF(spr_decode(file, fl, path, 0, &im, &err) == SPR_OK, "%s: %s", path, err.msg);
		CHECK_EQ_U64(rl, (size_t)im.w * im.h * 4);
		for (size_t i = 0; i < (size_t)im.w * im.h; i++) {
			const uint8_t *a = im.rgba + 4 * i, *b = raw + 4 * i;
			CHECKF(abs(a[3] - b[3]) <= 1, "%s pixel %zu alpha %u vs %u", path, i, a[3], b[3]);
			if (a[3] == 0) continue;
			for (int c = 0; c < 3; c++) CHECKF(abs(a[c] - b[c]) <= 1, "%s pixel %zu: %u vs %u", path, i, a[c], b[c]);
		}
		spr_image_free(&im);
		free(file);
		free(raw);
		checked++;
	}
	free(list);
	CHECK(checked >= 20);
}

TEST(fit_mode_undoes_integer_upscale)
{
	/* a 20x10 pixel-art sprite, upscaled 4x into 80x40, inside a 100x100
	 * transparent canvas: fitting to 32 must give back the 20x10 original
	 * (downscale by exactly 2.5 is not integer, so fit to 40 instead: 2x) */
	spr_image art, big, out;
	CHECK(spr_image_alloc(&art, 20, 10) == SPR_OK);
	uint64_t s = 3;
	for (int i = 0; i < 200; i++) {
		uint64_t v = test_rand(&s) % 5;
		uint8_t pal[5][3] = { { 255, 0, 0 }, { 0, 200, 0 }, { 10, 10, 250 }, { 250, 250, 0 }, { 40, 40, 40 } };
		memcpy(art.rgba + 4 * i, pal[v], 3);
		art.rgba[4 * i + 3] = 255;
	}
	CHECK(spr_image_alloc(&big, 100, 100) == SPR_OK);
	for (int y = 0; y < 20; y++)
		for (int x = 0; x < 40; x++)
			memcpy(big.rgba + ((size_t)(y + 30) * 100 + x + 7) * 4, art.rgba + ((size_t)(y / 2) * 20 + x / 2) * 4, 4);
	spr_fit_opts o;
	spr_fit_opts_init(&o);
	CHECK(o.size == 32 && o.scale == SPR_SCALE_MODE);
	o.size = 20;
	spr_error err;
	CHECK(spr_fit(&big, &o, &out, &err) == SPR_OK);
	CHECK_EQ_U64(out.w, 20);
	/* 20x10 centred vertically in 20x20: rows 5..14 */
	for (int y = 0; y < 20; y++)
		for (int x = 0; x < 20; x++) {
			const uint8_t *q = out.rgba + ((size_t)y * 20 + x) * 4;
			if (y < 5 || y >= 15) { CHECK(q[3] == 0); continue; }
			CHECK(q[3] == 255);
			CHECK_MEM(q, art.rgba + ((size_t)(y - 5) * 20 + x) * 4, 3);
		}
	spr_image_free(&out);
	/* small sprites are not enlarged unless asked, and stay centred */
	o.size = 32;
	CHECK(spr_fit(&art, &o, &out, &err) == SPR_OK);
	CHECK(out.rgba[((size_t)11 * 32 + 6) * 4 + 3] == 255 && out.rgba[((size_t)10 * 32 + 6) * 4 + 3] == 0);
	spr_image_free(&out);
	/* --upscale: a 10x5 sprite grows by 3 to 30x15 at (1, 8) */
	spr_image small;
	CHECK(spr_image_crop(&art, 0, 0, 10, 5, &small) == SPR_OK);
	o.upscale = 1;
	CHECK(spr_fit(&small, &o, &out, &err) == SPR_OK);
	for (int y = 0; y < 32; y++)
		for (int x = 0; x < 32; x++) {
			int in = x >= 1 && x < 31 && y >= 8 && y < 23;
			CHECK((out.rgba[((size_t)y * 32 + x) * 4 + 3] == 255) == in);
			if (in) CHECK_MEM(out.rgba + ((size_t)y * 32 + x) * 4, small.rgba + ((size_t)((y - 8) / 3) * 10 + (x - 1) / 3) * 4, 3);
		}
	spr_image_free(&out);
	spr_image_free(&small);
	/* fully transparent input */
	spr_image empty;
	CHECK(spr_image_alloc(&empty, 8, 8) == SPR_OK);
	CHECK(spr_fit(&empty, &o, &out, &err) == SPR_EEMPTY);
	spr_image_free(&empty);
	spr_image_free(&art);
	spr_image_free(&big);
}

TEST(fit_box_averages_in_linear_light)
{
	spr_image chk, out;
	CHECK(spr_image_alloc(&chk, 64, 64) == SPR_OK);
	for (int i = 0; i < 64 * 64; i++) {
		uint8_t v = ((i % 64) + (i / 64)) % 2 ? 255 : 0;
		chk.rgba[4 * i] = chk.rgba[4 * i + 1] = chk.rgba[4 * i + 2] = v;
		chk.rgba[4 * i + 3] = 255;
	}
	spr_fit_opts o;
	spr_fit_opts_init(&o);
	o.scale = SPR_SCALE_BOX;
	spr_error err;
	CHECK(spr_fit(&chk, &o, &out, &err) == SPR_OK);
	/* half black, half white in linear light is sRGB 188, not 128 */
	for (int i = 0; i < 32 * 32; i++) CHECK(abs(out.rgba[4 * i] - 188) <= 1 && out.rgba[4 * i + 3] == 255);
	CHECK(spr_is_pixel_art(&chk, 128) == 1);
	spr_image_free(&out);
	spr_image_free(&chk);
}

static void synth_set(spr_image *v, size_t *n, uint32_t per)
{
	*n = 0;
	for (uint32_t z = 0; z < SPR_SYNTH_ZONES; z++)
		for (uint32_t c = 0; c < SPR_SYNTH_CATEGORIES; c++)
			for (uint32_t k = 0; k < per; k++) CHECK(spr_synth(z, c, k, 32, &v[(*n)++]) == SPR_OK);
}

static spr_quality score(const spr_palette *p, spr_image *v, size_t n)
{
	spr_mapper *m;
	CHECK(spr_mapper_create(p, 0, &m) == SPR_OK);
	spr_quality q;
	spr_quality_init(&q);
	uint8_t idx[1024];
	for (size_t i = 0; i < n; i++) {
		spr_map(m, v[i].rgba, 32, 32, 128, idx);
		spr_quality_add(&q, p, v[i].rgba, idx, 32, 32, 128);
	}
	spr_mapper_free(m);
	return q;
}

TEST(palette_build_deterministic_and_better_than_plain_kmeans)
{
	spr_image v[36 * 3];
	size_t n;
	synth_set(v, &n, 3);
	spr_build_opts o;
	spr_build_opts_init(&o);
	o.n_colors = 16;
	spr_palette a, b, plain;
	spr_error err;
	CHECK(spr_palette_build(v, n, &o, &a, &err) == SPR_OK);
#ifdef _OPENMP
	int threads = omp_get_max_threads();
	omp_set_num_threads(threads > 1 ? 1 : 2);
#endif
	CHECK(spr_palette_build(v, n, &o, &b, &err) == SPR_OK);
#ifdef _OPENMP
	omp_set_num_threads(threads);
#endif
	CHECK(a.n == 16 && a.transparent == 0);
	CHECK_MEM(a.rgb, b.rgb, sizeof a.rgb);   /* same result whatever the thread count */
	for (uint32_t i = 2; i < a.n; i++) {
		spr_lab p = spr_srgb_to_oklab(a.rgb[i - 1][0], a.rgb[i - 1][1], a.rgb[i - 1][2]);
		spr_lab q = spr_srgb_to_oklab(a.rgb[i][0], a.rgb[i][1], a.rgb[i][2]);
		CHECK(p.L <= q.L);                    /* sorted by lightness */
	}
	o.rounds = 1;
	o.refine = 0;
	CHECK(spr_palette_build(v, n, &o, &plain, &err) == SPR_OK);
	spr_quality qa = score(&a, v, n), qp = score(&plain, v, n);
	CHECKF(spr_quality_psnr_mean(&qa) > spr_quality_psnr_mean(&qp), "%.3f vs plain %.3f",
	       spr_quality_psnr_mean(&qa), spr_quality_psnr_mean(&qp));
	/* the PSNR gain may cost a little ΔE, never much */
	CHECKF(spr_quality_delta_e(&qa) <= spr_quality_delta_e(&qp) * 1.05, "dE %.3f vs plain %.3f",
	       spr_quality_delta_e(&qa), spr_quality_delta_e(&qp));
	CHECK(qa.alpha_errors == 0);
	for (size_t i = 0; i < n; i++) spr_image_free(&v[i]);
}

TEST(palette_exact_when_colours_fit)
{
	/* 5 distinct colours, 8 slots: every pixel must come back exactly */
	spr_image im;
	CHECK(spr_image_alloc(&im, 16, 16) == SPR_OK);
	uint8_t cols[5][3] = { { 255, 0, 0 }, { 0, 128, 255 }, { 20, 20, 20 }, { 250, 240, 200 }, { 90, 160, 60 } };
	for (int i = 0; i < 256; i++) { memcpy(im.rgba + 4 * i, cols[i % 5], 3); im.rgba[4 * i + 3] = i % 7 ? 255 : 0; }
	spr_build_opts o;
	spr_build_opts_init(&o);
	o.n_colors = 8;
	spr_palette p;
	spr_error err;
	CHECK(spr_palette_build(&im, 1, &o, &p, &err) == SPR_OK);
	spr_quality q = score(&p, &im, 0);
	spr_mapper *m;
	CHECK(spr_mapper_create(&p, 0, &m) == SPR_OK);
	uint8_t idx[256];
	spr_map(m, im.rgba, 16, 16, 128, idx);
	spr_quality_add(&q, &p, im.rgba, idx, 16, 16, 128);
	CHECK_NEAR(q.sse, 0, 0);
	CHECK_NEAR(spr_quality_psnr_mean(&q), SPR_PSNR_CAP, 1e-9);
	for (int i = 0; i < 256; i++) CHECK((i % 7 == 0) == (idx[i] == 0));
	spr_mapper_free(m);
	spr_image_free(&im);
	spr_image none;
	CHECK(spr_image_alloc(&none, 4, 4) == SPR_OK);
	CHECK(spr_palette_build(&none, 1, &o, &p, &err) == SPR_EEMPTY);
	spr_image_free(&none);
}

/* Index of the first opaque entry equal to an earlier one, or 0 when none
 * (0 is never an answer: at least one entry comes before). */
static uint32_t first_repeat(const spr_palette *p)
{
	for (uint32_t i = 0; i < p->n; i++)
		for (uint32_t j = 0; j < i; j++)
			if ((int)i != p->transparent && (int)j != p->transparent && !memcmp(p->rgb[i], p->rgb[j], 3))
				return i;
	return 0;
}

TEST(palette_distinct_with_few_colours)
{
	/* 3 colours (black among them), 64 slots: each colour once, exactly,
	 * and 60 padding greys distinct from them and from each other, after
	 * them; with and without the reserved index, and with a single colour */
	spr_image im;
	CHECK(spr_image_alloc(&im, 8, 8) == SPR_OK);
	uint8_t cols[3][3] = { { 0, 0, 0 }, { 200, 30, 30 }, { 128, 128, 128 } };
	for (int i = 0; i < 64; i++) { memcpy(im.rgba + 4 * i, cols[i % 3], 3); im.rgba[4 * i + 3] = 255; }
	for (int variant = 0; variant < 3; variant++) {
		spr_build_opts o;
		spr_build_opts_init(&o);
		o.reserve_transparent = variant != 1;
		if (variant == 2) for (int i = 0; i < 64; i++) memcpy(im.rgba + 4 * i, cols[1], 3);
		uint32_t ncol = variant == 2 ? 1 : 3, first = o.reserve_transparent ? 1 : 0;
		spr_palette p;
		spr_error err;
		CHECK(spr_palette_build(&im, 1, &o, &p, &err) == SPR_OK);
		CHECK_EQ_U64(p.n, 64);
		CHECKF(first_repeat(&p) == 0, "variant %d: entry %u repeats", variant, first_repeat(&p));
		for (uint32_t c = 0; c < 3; c++) {
			int found = 0;
			for (uint32_t i = first; i < first + ncol; i++) found += !memcmp(p.rgb[i], cols[variant == 2 ? 1 : c], 3);
			CHECKF(found == 1, "variant %d: colour %u found %d times among the first entries", variant, c, found);
		}
		for (uint32_t i = first + ncol; i < p.n; i++) {
			CHECKF(p.rgb[i][0] == p.rgb[i][1] && p.rgb[i][1] == p.rgb[i][2], "padding %u not grey", i);
			if (o.reserve_transparent) CHECK(memcmp(p.rgb[i], p.rgb[0], 3) != 0);
			if (i > first + ncol) CHECK(p.rgb[i - 1][0] < p.rgb[i][0]);   /* dark to light */
		}
		spr_quality q = score(&p, &im, 0);
		spr_mapper *m;
		CHECK(spr_mapper_create(&p, 0, &m) == SPR_OK);
		uint8_t idx[64];
		spr_map(m, im.rgba, 8, 8, 128, idx);
		spr_quality_add(&q, &p, im.rgba, idx, 8, 8, 128);
		CHECK_NEAR(q.sse, 0, 0);
		spr_mapper_free(m);
	}
	spr_image_free(&im);
	/* 256 slots, no reservation, 2 colours: every grey but a used one */
	spr_image two;
	CHECK(spr_image_alloc(&two, 2, 1) == SPR_OK);
	memset(two.rgba, 255, 8);
	two.rgba[4] = 7; two.rgba[5] = 7; two.rgba[6] = 7;
	spr_build_opts o;
	spr_build_opts_init(&o);
	o.n_colors = 256;
	o.reserve_transparent = 0;
	spr_palette p;
	spr_error err;
	CHECK(spr_palette_build(&two, 1, &o, &p, &err) == SPR_OK);
	CHECK(p.n == 256 && first_repeat(&p) == 0);
	spr_image_free(&two);
}

TEST(palette_distinct_when_clusters_collapse)
{
	/* Many distinct colours (more than the slots) but nearly all pixels on
	 * two almost equal greys: k-means centres converge onto the same 8-bit
	 * colour. The repeats must become other input colours, not stay. */
	spr_image im;
	CHECK(spr_image_alloc(&im, 64, 64) == SPR_OK);
	uint64_t s = 99;
	for (int i = 0; i < 64 * 64; i++) {
		uint64_t r = test_rand(&s);
		uint8_t v = r % 1000 < 990 ? 50 : (uint8_t)((r >> 12) % 80);
		im.rgba[4 * i] = v; im.rgba[4 * i + 1] = v; im.rgba[4 * i + 2] = (r >> 24) & 1; im.rgba[4 * i + 3] = 255;
	}
	spr_build_opts o;
	spr_build_opts_init(&o);
	spr_palette p;
	spr_error err;
	CHECK(spr_palette_build(&im, 1, &o, &p, &err) == SPR_OK);
	CHECK(p.n == 64);
	CHECKF(first_repeat(&p) == 0, "entry %u repeats", first_repeat(&p));
	spr_image_free(&im);
}

TEST(palette_files_roundtrip)
{
	spr_palette p, back;
	random_palette(&p, 64, 0, 42);
	spr_error err;
	for (int f = 0; f < 3; f++) {
		if (f == SPR_PAL_PNG && !spr_codec_available()) continue;
		uint8_t *buf;
		size_t n;
		CHECK(spr_palette_write(&p, f, &buf, &n, &err) == SPR_OK);
		CHECKF(spr_palette_parse(buf, n, "p", &back, &err) == SPR_OK, "format %d: %s", f, err.msg);
		CHECK_EQ_U64(back.n, 64);
		CHECK_EQ_I64(back.transparent, 0);
		/* the transparent entry's colour is not meaningful in a swatch */
		CHECK_MEM(back.rgb[1], p.rgb[1], 63 * 3);
		free(buf);
	}
	CHECK(spr_palette_format_for_name("a.GPL") == SPR_PAL_GPL && spr_palette_format_for_name("x.png") == SPR_PAL_PNG);
	const char hex[] = "; comment\n#ff0000\n00ff00 ; green\n# a comment\n12345\n";
	CHECK(spr_palette_parse(hex, strlen(hex), "h.hex", &back, &err) == SPR_EFORMAT);
	CHECKF(strstr(err.msg, "line 5") != NULL, "%s", err.msg);
	CHECK(spr_palette_parse(hex, 44, "h.hex", &back, &err) == SPR_OK);
	CHECK(back.n == 2 && back.transparent == -1 && back.rgb[1][1] == 255);
	/* a short #rgb is refused, not skipped as a comment (which shifted
	 * every later index); '#' then a non-hex character is a comment */
	const char shorthex[] = "#\n#zz comment\n#f00\n#00ff00\n";
	CHECK(spr_palette_parse(shorthex, strlen(shorthex), "s.hex", &back, &err) == SPR_EFORMAT);
	CHECKF(strstr(err.msg, "s.hex: line 3") != NULL, "%s", err.msg);
	CHECK(spr_palette_parse("#00ff00\n#", 9, "t.hex", &back, &err) == SPR_OK && back.n == 1);
	CHECK(spr_palette_parse("#ff00ff\n#abc", 12, "u.hex", &back, &err) == SPR_EFORMAT);
	const char gpl[] = "GIMP Palette\nName: x\n#\n255 0 0 red\n0 300 0\n";
	CHECK(spr_palette_parse(gpl, strlen(gpl), "g.gpl", &back, &err) == SPR_EFORMAT);
	CHECKF(strstr(err.msg, "line 5") != NULL, "%s", err.msg);
	CHECK(spr_palette_parse("", 0, "e", &back, &err) == SPR_EEMPTY);
	CHECK(spr_palette_parse("#000000 ; transparent\n", 22, "c.hex", &back, &err) == SPR_EEMPTY);
	CHECKF(strstr(err.msg, "c.hex: no colour besides the transparent entry") != NULL, "%s", err.msg);
	uint8_t c1[2 + 768], c2[2 + 768];
	size_t l1 = spr_palette_canonical(&p, c1);
	p.rgb[5][0] ^= 1;
	size_t l2 = spr_palette_canonical(&p, c2);
	CHECK(l1 == 2 + 192 && l1 == l2 && memcmp(c1, c2, l1) != 0);
}

TEST(token_layout_pixelllm_default)
{
	spr_layout l;
	spr_layout_init(&l);
	CHECK_EQ_U64(spr_layout_vocab(&l), 80);
	CHECK_EQ_U64(spr_layout_pad(&l), 64);
	CHECK_EQ_U64(spr_layout_bos(&l), 65);
	CHECK_EQ_U64(spr_layout_eos(&l), 66);
	CHECK_EQ_U64(spr_layout_mask(&l), 67);
	CHECK_EQ_U64(spr_layout_zone(&l, 0), 68);
	CHECK_EQ_U64(spr_layout_zone(&l, 5), 73);
	CHECK_EQ_U64(spr_layout_category(&l, 0), 74);
	CHECK_EQ_U64(spr_layout_category(&l, 5), 79);
	l.colors = 32; l.zones = 3; l.categories = 10;
	CHECK_EQ_U64(spr_layout_vocab(&l), 49);
	CHECK_EQ_U64(spr_layout_category(&l, 0), 39);
}

TEST(render_nearest_upscale)
{
	spr_palette p = { .n = 3, .transparent = 0, .rgb = { { 9, 9, 9 }, { 255, 0, 0 }, { 0, 0, 255 } } };
	uint8_t g[4] = { 0, 1, 2, 7 };
	spr_image im;
	CHECK(spr_render(g, 2, 2, &p, 3, &im) == SPR_OK);
	CHECK(im.w == 6 && im.h == 6);
	for (int y = 0; y < 6; y++)
		for (int x = 0; x < 6; x++) {
			const uint8_t *q = im.rgba + (y * 6 + x) * 4;
			int k = g[(y / 3) * 2 + x / 3];
			if (k == 0 || k >= 3) CHECK(q[3] == 0);
			else { CHECK(q[3] == 255); CHECK_MEM(q, p.rgb[k], 3); }
		}
	uint8_t ink[4] = { 1, 2, 3, 255 };
	uint32_t w = spr_text(&im, 0, 0, "A", 1, ink);
	CHECK(w == 6 && spr_text_width("ab", 2) == 24);
	spr_image_free(&im);
}

TEST(shade_stays_in_palette_and_lights_one_side)
{
	spr_palette p;
	memset(&p, 0, sizeof p);
	p.transparent = 0;
	p.n = 1;
	/* a green ramp and a red ramp */
	for (int i = 0; i < 6; i++) {
		spr_lab g = { 0.3f + 0.1f * i, -0.12f, 0.09f }, r = { 0.3f + 0.1f * i, 0.15f, 0.08f };
		spr_oklab_to_srgb(g, p.rgb[p.n++]);
		spr_oklab_to_srgb(r, p.rgb[p.n++]);
	}
	spr_ramps rp;
	spr_ramps_build(&p, &rp);
	for (uint32_t i = 1; i < p.n; i++) {
		spr_lab c = spr_srgb_to_oklab(p.rgb[i][0], p.rgb[i][1], p.rgb[i][2]);
		spr_lab up = spr_srgb_to_oklab(p.rgb[rp.lighter[i]][0], p.rgb[rp.lighter[i]][1], p.rgb[rp.lighter[i]][2]);
		spr_lab dn = spr_srgb_to_oklab(p.rgb[rp.darker[i]][0], p.rgb[rp.darker[i]][1], p.rgb[rp.darker[i]][2]);
		CHECK(rp.lighter[i] == i || up.L > c.L);
		CHECK(rp.darker[i] == i || dn.L < c.L);
		CHECK(rp.lighter[i] % 2 == i % 2);    /* stays on its own hue ramp */
		CHECK(rp.lighter[i] != 0 && rp.darker[i] != 0);
	}
	/* a disc of the middle green */
	uint8_t g[32 * 32], out[32 * 32];
	for (int y = 0; y < 32; y++)
		for (int x = 0; x < 32; x++) g[y * 32 + x] = (x - 15.5) * (x - 15.5) + (y - 15.5) * (y - 15.5) < 140 ? 5 : 0;
	spr_shade_opts o;
	spr_shade_opts_init(&o);
	CHECK(spr_shade(g, 32, 32, &p, &rp, &o, out) == SPR_OK);
	double lit = 0, dark = 0;
	int nl = 0, nd = 0, changed = 0;
	for (int y = 0; y < 32; y++)
		for (int x = 0; x < 32; x++) {
			int i = y * 32 + x;
			CHECK(out[i] < p.n);
			CHECK((g[i] == 0) == (out[i] == 0));
			changed += out[i] != g[i];
			if (!g[i]) continue;
			double L = spr_srgb_to_oklab(p.rgb[out[i]][0], p.rgb[out[i]][1], p.rgb[out[i]][2]).L;
			if (x + y < 28) { lit += L; nl++; } else if (x + y > 34) { dark += L; nd++; }
		}
	CHECK(changed > 0);
	CHECKF(lit / nl > dark / nd + 0.05, "lit %.3f dark %.3f", lit / nl, dark / nd);
}

/* kiln-sprites shade copies every prompt token of a record. The format lets
 * a sprites dataset carry any number (spec.channels); shade kept only the
 * first 64, and the writer then refused the record. */
TEST(shade_tool_keeps_long_prompts)
{
	enum { NP = 100, SIDE = 4 };
	shard_spec sp;
	shard_spec_init(&sp, SHARD_SPRITES);
	sp.elem_size = 1;
	sp.vocab_size = 200;
	sp.width = sp.height = SIDE;
	sp.channels = NP;
	CHECK(mkdir("in", 0777) == 0);
	shard_writer *w;
	shard_error e;
	CHECKF(shard_writer_create("in", &sp, NULL, &w, &e) == SHARD_OK, "%s", e.msg);
	uint32_t prompt[2][NP], grid[SIDE * SIDE];
	for (int r = 0; r < 2; r++) {
		for (int k = 0; k < NP; k++) prompt[r][k] = (uint32_t)(k * 7 + r) % 200;
		for (int k = 0; k < SIDE * SIDE; k++) grid[k] = (uint32_t)(k + r) % 3;
		CHECKF(shard_writer_add_u32(w, prompt[r], NP, grid, SIDE * SIDE, (uint64_t)r, &e) == SHARD_OK, "%s", e.msg);
	}
	CHECKF(shard_writer_close(w, &e) == SHARD_OK, "%s", e.msg);
	const char *pal = "#000000 ; transparent\n#ff0000\n#00ff00\n";
	test_write_file("pal.hex", pal, strlen(pal));
	CHECK_EQ_I64(test_sh("'%s/kiln-sprites' shade -q --palette pal.hex -o out in", test_bindir()), 0);
	shard_dataset *d;
	CHECKF(shard_dataset_open("out", &d, &e) == SHARD_OK, "%s", e.msg);
	CHECK_EQ_U64(shard_dataset_records(d), 2);
	for (uint64_t r = 0; r < 2; r++) {
		shard_record rec;
		CHECKF(shard_dataset_record(d, r, &rec, &e) == SHARD_OK, "%s", e.msg);
		CHECK_EQ_U64(rec.n_prompt, NP);
		for (int k = 0; k < NP; k++) CHECK_EQ_U64(shard_elem(rec.prompt, 1, (uint64_t)k), prompt[r][k]);
	}
	shard_dataset_close(d);
}

TEST(synth_deterministic_and_varied)
{
	for (uint32_t z = 0; z < SPR_SYNTH_ZONES; z++)
		for (uint32_t c = 0; c < SPR_SYNTH_CATEGORIES; c++) {
			spr_image a, b, d;
			CHECK(spr_synth(z, c, 11, 32, &a) == SPR_OK);
			CHECK(spr_synth(z, c, 11, 32, &b) == SPR_OK);
			CHECK(spr_synth(z, c, 12, 32, &d) == SPR_OK);
			CHECK_MEM(a.rgba, b.rgba, 32 * 32 * 4);
			CHECK(memcmp(a.rgba, d.rgba, 32 * 32 * 4) != 0);
			int opaque = 0;
			for (int i = 0; i < 1024; i++) { CHECK(a.rgba[4 * i + 3] == 0 || a.rgba[4 * i + 3] == 255); opaque += a.rgba[4 * i + 3] != 0; }
			CHECKF(opaque > 30 && opaque < 1000, "zone %u cat %u: %d opaque", z, c, opaque);
			spr_image_free(&a); spr_image_free(&b); spr_image_free(&d);
		}
	CHECK_STR(spr_synth_zone_name(0), "shallows");
	CHECK(spr_synth_category_name(SPR_SYNTH_CATEGORIES) == NULL);
	spr_image x;
	CHECK(spr_synth(SPR_SYNTH_ZONES, 0, 1, 32, &x) == SPR_EINVAL);
}
