/*
 * train_fuzz.c - the trainer's untrusted-input parsers: the config text
 * (first byte even) and the checkpoint reader (first byte odd, read through
 * a memory stream). A config that parses must round-trip through its
 * canonical text unchanged; nothing may crash, leak or over-allocate.
 */
#define _GNU_SOURCE   /* fmemopen */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "train.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	trn_error err;
	if (!(data[0] & 1)) {
		trn_config c, d;
		if (trn_config_parse((const char *)data + 1, size - 1, "fuzz", &c, &err) == 0) {
			trn_config_check(&c, &err);
			char *t = trn_config_text(&c);
			if (t) {
				if (trn_config_parse(t, strlen(t), "canon", &d, &err) != 0 || memcmp(&c, &d, sizeof c))
					abort();   /* the canonical form must say the same thing */
				free(t);
			}
		}
		return 0;
	}
	FILE *fp = fmemopen((void *)(data + 1), size - 1, "rb");
	if (!fp)
		return 0;
	trn_ckpt *k;
	if (trn_ckpt_read_fp(fp, "fuzz", &k, &err) == 0) {
		trn_model *m;
		if (trn_model_create(&trn_ckpt_config(k)->model, &m, &err) == 0) {
			trn_ckpt_load(k, m, NULL, &err);
			trn_model_free(m);
		}
		trn_ckpt_free(k);
	}
	fclose(fp);
	return 0;
}
