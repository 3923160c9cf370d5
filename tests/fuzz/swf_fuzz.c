/*
 * swf_fuzz.c - libFuzzer entry point over the whole SWF path: header, zlib
 * and LZMA decompression, tag walk, tag bodies, languages and prompt, and
 * re-compression of whatever decoded. The cap is small so that a hostile
 * FileLength cannot make one input take seconds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "swf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	swf_opts o = { 1u << 22, 1, 1 };
	swf_file *f;
	if (swf_parse(data, size, &o, &f)) return 0;
	const swf_info *i = swf_file_info(f);
	/* Invariants every verdict must keep. */
	if (i->verdict == SWF_VERDICT_OK && i->reason) abort();
	if (i->verdict != SWF_VERDICT_OK && !i->reason) abort();
	if (i->have_header && i->body_offset > i->decompressed_length) abort();
	size_t nt;
	const swf_tag *t = swf_file_tags(f, &nt);
	for (size_t k = 0; k < nt; k++)
		if (t[k].offset + t[k].header_len > i->decompressed_length) abort();
	char langs[64];
	swf_languages(i, langs, sizeof langs);
	char *p = swf_prompt(i, NULL, size);
	if (p && strchr(p, 0) != p + strlen(p)) abort();
	free(p);
	if (i->have_header && i->decompressed_length < (1u << 16)) {
		/* Round trip: FWS -> CWS -> FWS keeps the body byte for byte; a
		 * damaged input is salvaged first, and its salvage is not damaged. */
		size_t dn;
		const uint8_t *d = swf_file_data(f, &dn);
		uint8_t *c, *back;
		size_t cn, bn;
		if (d && swf_convert_file(f, SWF_CWS, SWF_CONVERT_SALVAGE, &c, &cn) == SWF_OK) {
			if (swf_convert(c, cn, SWF_FWS, 1u << 22, &back, &bn) != SWF_OK) abort();
			if (bn != dn || memcmp(back + 8, d + 8, dn - 8)) abort();
			free(back);
			free(c);
		}
	}
	swf_file_free(f);
	return 0;
}
