/*
 * shard_fuzz.c - libFuzzer target for the shard reader: open arbitrary bytes
 * as a shard, then read and verify every record the way a trainer would.
 * Nothing may crash, hang or read outside the buffer.
 *
 * Random bytes almost never carry valid CRCs, which would keep the fuzzer at
 * the door; so each input is also tried with its header, meta, index and
 * payload CRCs repaired, which lets mutations reach the structural checks.
 */
#include "shard.h"
#include "shard_internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void read_all(const uint8_t *data, size_t size)
{
	shard_file *f;
	shard_error e;
	if (shard_file_open_mem(data, size, "fuzz", &f, &e)) return;
	size_t ml;
	const char *m = shard_file_meta(f, &ml);
	volatile char sink = ml ? m[ml - 1] : 0;
	sink ^= (char)shard_file_check_meta(f, &e);
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
}

/* Recompute the CRCs whose regions lie inside the buffer. */
static void repair_crcs(uint8_t *p, size_t size)
{
	uint64_t meta_off = shard__le64(p + 80), meta_size = shard__le64(p + 88);
	uint64_t idx_off = shard__le64(p + 112), count = shard__le64(p + 64);
	if (meta_off <= size && meta_size <= size - meta_off)
		shard__put32(p + 160, shard__crc32(0, p + meta_off, meta_size));
	if (idx_off <= size && count <= (size - idx_off) / SHARD_INDEX_ENTRY_SIZE) {
		for (uint64_t i = 0; i < count; i++) {
			uint8_t *ent = p + idx_off + i * SHARD_INDEX_ENTRY_SIZE;
			uint64_t off = shard__le64(ent), len = shard__le64(ent + 8);
			if (off <= size && len <= size - off) shard__put32(ent + 48, shard__crc32(0, p + off, len));
		}
		shard__put32(p + 164, shard__crc32(0, p + idx_off, count * SHARD_INDEX_ENTRY_SIZE));
	}
	shard__put32(p + 252, shard__crc32(0, p, 252));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	read_all(data, size);
	if (size >= SHARD_HEADER_SIZE && !memcmp(data, SHARD_MAGIC, 8)) {
		uint8_t *copy = malloc(size);
		if (!copy) return 0;
		memcpy(copy, data, size);
		repair_crcs(copy, size);
		read_all(copy, size);
		free(copy);
	}
	return 0;
}
