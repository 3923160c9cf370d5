/*
 * shard_fuzz.c - libFuzzer target for the shard reader: open arbitrary bytes
 * as a shard, then read and verify every record the way a trainer would.
 * Nothing may crash, hang or read outside the buffer.
 */
#include "shard.h"

#include <stdint.h>
#include <stddef.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	shard_file *f;
	shard_error e;
	if (shard_file_open_mem(data, size, "fuzz", &f, &e)) return 0;
	size_t ml;
	const char *m = shard_file_meta(f, &ml);
	volatile char sink = ml ? m[ml - 1] : 0;
	const shard_spec *s = shard_file_spec(f);
	for (uint64_t i = 0; i < shard_file_records(f) && i < 4096; i++) {
		shard_record r;
		if (shard_file_record(f, i, &r, &e)) continue;
		if (shard_file_verify_record(f, i, &e)) continue;
		/* A verified record's arrays must be fully readable. */
		if (s->kind == SHARD_FRAMES) {
			if (r.n_content) sink ^= (char)r.actions[r.n_content - 1];
		} else if (r.n_prompt + r.n_content) {
			sink ^= (char)shard_elem(r.prompt, s->elem_size, r.n_prompt + r.n_content - 1);
		}
	}
	(void)sink;
	shard_file_close(f);
	return 0;
}
