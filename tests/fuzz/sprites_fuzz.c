/*
 * sprites_fuzz.c - libFuzzer target for kiln-sprites' untrusted input path:
 * the palette-file parser (.gpl, hex list, PNG swatch), then decoding an
 * image from memory with a small dimension cap, fitting it to 32x32 and
 * mapping it to a fixed palette. Any crash, leak or sanitizer report is a
 * bug; parse and decode errors are expected and fine. Every input is also
 * decoded by one spr_decoder kept across inputs, which must give exactly
 * spr_decode's answer whatever it decoded before.
 */
#include "sprites.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int quiet;
	if (!quiet) { spr_codec_quiet(); quiet = 1; }
	spr_image im;
	spr_error err;
	spr_palette parsed;
	if (spr_palette_parse(data, size, "fuzz", &parsed, &err) == SPR_OK && (parsed.n == 0 || parsed.n > SPR_MAX_COLORS))
		__builtin_trap();   /* a parsed palette always has 1..256 colours */
	/* Signatures win over the name, so a .tga name reaches every decoder,
	 * TGA (which has no signature) included. The 1024 cap bounds memory. */
	static spr_decoder *dec;
	if (!dec && spr_decoder_create(&dec) != SPR_OK) __builtin_trap();
	spr_image again;
	int rc = spr_decode(data, size, "fuzz.tga", 1024, &im, &err);
	if (spr_decoder_decode(dec, data, size, "fuzz.tga", 1024, &again, &err) != rc) __builtin_trap();
	if (rc == SPR_OK && (again.w != im.w || again.h != im.h ||
	                     memcmp(again.rgba, im.rgba, (size_t)im.w * im.h * 4) != 0))
		__builtin_trap();
	spr_image_free(&again);
	if (rc != SPR_OK) return 0;
	spr_fit_opts fo;
	spr_fit_opts_init(&fo);
	spr_image fit;
	if (spr_fit(&im, &fo, &fit, &err) == SPR_OK) {
		spr_palette pal = { .n = 4, .transparent = 0,
		                    .rgb = { { 0, 0, 0 }, { 255, 0, 0 }, { 0, 255, 0 }, { 0, 0, 255 } } };
		spr_mapper *m;
		if (spr_mapper_create(&pal, 0, &m) == SPR_OK) {
			uint8_t idx[32 * 32];
			spr_map(m, fit.rgba, fit.w, fit.h, 128, idx);
			spr_mapper_free(m);
		}
		spr_image_free(&fit);
	}
	spr_image_free(&im);
	return 0;
}
