/*
 * shard_seed_gen.c - writes one small shard of each record kind (tokens u16,
 * sprites, frames with odd frame size) into the folder given, as fuzz seeds.
 * Built and run by tests/gen/shard_seeds.sh; not part of the build.
 */
#include "shard.h"

#include <stdio.h>
#include <sys/stat.h>

static int one(const char *dir, shard_spec *s)
{
	shard_writer *w;
	shard_error e;
	mkdir(dir, 0777);
	shard_writer_opts o = { 0, "{\"seed\": true}" };
	if (shard_writer_create(dir, s, &o, &w, &e)) { fprintf(stderr, "%s\n", e.msg); return 1; }
	for (uint32_t r = 0; r < 3; r++) {
		if (s->kind == SHARD_FRAMES) {
			uint8_t px[5 * 3 * 3];
			for (uint32_t f = 0; f < r + 1; f++) {
				for (unsigned i = 0; i < sizeof px; i++) px[i] = (uint8_t)(i * 3 + f + r);
				shard_writer_frame(w, px, f % s->vocab_size, &e);
			}
			shard_writer_end_episode(w, r, r * 10, &e);
		} else {
			uint32_t ids[2 + 16];
			for (int i = 0; i < 18; i++) ids[i] = (uint32_t)(i * 37 + r) % (s->kind == SHARD_SPRITES ? 64 : s->vocab_size);
			uint64_t np = s->kind == SHARD_SPRITES ? 2 : r, nc = s->kind == SHARD_SPRITES ? 16 : 5 + r;
			if (shard_writer_add_u32(w, ids, np, ids + np, nc, r, &e)) { fprintf(stderr, "%s\n", e.msg); return 1; }
		}
	}
	return shard_writer_close(w, &e) ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc != 2) return 2;
	char p[4096];
	shard_spec s;
	shard_spec_init(&s, SHARD_TOKENS);
	s.vocab_size = 1000; s.elem_size = 2; s.bos_id = 1; s.eos_id = 2;
	snprintf(p, sizeof p, "%s/tokens", argv[1]);
	if (one(p, &s)) return 1;
	shard_spec_init(&s, SHARD_SPRITES);
	s.vocab_size = 80; s.width = 4; s.height = 4; s.channels = 2;
	snprintf(p, sizeof p, "%s/sprites", argv[1]);
	if (one(p, &s)) return 1;
	shard_spec_init(&s, SHARD_FRAMES);
	s.width = 5; s.height = 3; s.channels = 3; s.vocab_size = 4;
	snprintf(p, sizeof p, "%s/frames", argv[1]);
	return one(p, &s);
}
