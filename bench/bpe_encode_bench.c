/*
 * bpe_encode_bench.c - bpe_encode alone, in memory: no dataset reading or
 * writing, so the figure is the encoder's own speed.
 *
 *   bpe_encode_bench VOCAB FILE...
 *
 * Reads every file, then encodes each one as a document (OpenMP over files,
 * OMP_NUM_THREADS threads) and prints bytes, tokens, seconds, MB/s and a
 * hash of all ids so that two encoders can be checked for equal output.
 */
#include "bpe.h"
#include "kiln.h"

#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: bpe_encode_bench VOCAB FILE...\n");
		return 2;
	}
	size_t vn;
	uint8_t *vt = kiln_read_file(argv[1], UINT64_MAX, &vn);
	bpe_vocab *v;
	bpe_error err;
	if (!vt || bpe_vocab_parse(vt, vn, 0, &v, &err)) {
		fprintf(stderr, "bpe_encode_bench: %s: cannot load the vocabulary\n", argv[1]);
		return 1;
	}
	int nf = argc - 2;
	uint8_t **buf = calloc((size_t)nf, sizeof *buf);
	size_t *len = calloc((size_t)nf, sizeof *len);
	uint64_t *hash = calloc((size_t)nf, sizeof *hash);
	size_t *ntok = calloc((size_t)nf, sizeof *ntok);
	size_t total = 0;
	for (int i = 0; i < nf; i++) {
		buf[i] = kiln_read_file(argv[i + 2], UINT64_MAX, &len[i]);
		if (!buf[i]) { fprintf(stderr, "bpe_encode_bench: %s: cannot read\n", argv[i + 2]); return 1; }
		total += len[i];
	}
	double t0 = omp_get_wtime();
	bpe_encoder *e;
	if (bpe_encoder_create(v, &e)) return 1;
	double t1 = omp_get_wtime();
	int fail = 0;
#pragma omp parallel
	{
		bpe_workspace *w = bpe_workspace_create();
		uint32_t *out = NULL;
		size_t cap = 0;
#pragma omp for schedule(dynamic, 1)
		for (int i = 0; i < nf; i++) {
			if (len[i] > cap) { free(out); cap = len[i]; out = malloc(cap * sizeof *out); }
			size_t m;
			if (bpe_encode(e, w, buf[i], len[i], out, &m)) { fail = 1; continue; }
			uint64_t h = 1469598103934665603ull;
			for (size_t k = 0; k < m; k++) h = (h ^ out[k]) * 1099511628211ull;
			hash[i] = h;
			ntok[i] = m;
		}
		free(out);
		bpe_workspace_free(w);
	}
	double t2 = omp_get_wtime();
	uint64_t h = 0;
	size_t toks = 0;
	for (int i = 0; i < nf; i++) { h = h * 31 + hash[i]; toks += ntok[i]; }
	printf("{\"bytes\":%zu,\"tokens\":%zu,\"setup_s\":%.3f,\"encode_s\":%.3f,\"mb_per_s\":%.1f,"
	       "\"threads\":%d,\"hash\":\"%016llx\",\"failed\":%d}\n",
	       total, toks, t1 - t0, t2 - t1, total / (t2 - t1) / 1e6, omp_get_max_threads(),
	       (unsigned long long)h, fail);
	bpe_encoder_free(e);
	bpe_vocab_free(v);
	for (int i = 0; i < nf; i++) free(buf[i]);
	free(buf);
	free(len);
	free(hash);
	free(ntok);
	free(vt);
	return fail;
}
