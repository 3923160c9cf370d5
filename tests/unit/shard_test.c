/*
 * shard_test.c - libshard: round trips of each record kind, boundaries
 * (empty records, empty datasets, u8/u16/u32 limits, rollover), and the
 * corruption sweep: truncation at every length and byte flips in header,
 * meta, payload, padding and index must all be detected, never crash.
 */
#include "test.h"
#include "shard.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static shard_writer *make_writer(const char *dir, const shard_spec *s, uint64_t max, const char *meta)
{
	shard_writer *w;
	shard_error e;
	mkdir(dir, 0777);
	shard_writer_opts o = { max, meta };
	int rc = shard_writer_create(dir, s, &o, &w, &e);
	CHECKF(rc == 0, "create: %s", e.msg);
	return w;
}

static void close_writer(shard_writer *w)
{
	shard_error e;
	int rc = shard_writer_close(w, &e);
	CHECKF(rc == 0, "close: %s", e.msg);
}

static shard_dataset *open_ds(const char *path)
{
	shard_dataset *d;
	shard_error e;
	int rc = shard_dataset_open(path, &d, &e);
	CHECKF(rc == 0, "open %s: %s", path, e.msg);
	return d;
}

static void verify_all(shard_dataset *d)
{
	shard_error e;
	for (uint64_t i = 0; i < shard_dataset_records(d); i++) {
		int rc = shard_dataset_verify_record(d, i, &e);
		CHECKF(rc == 0, "verify record %llu: %s", (unsigned long long)i, e.msg);
	}
}

/* Random token documents at each element size round-trip exactly. */
static void roundtrip_tokens(uint32_t vocab)
{
	shard_spec s;
	shard_spec_init(&s, SHARD_TOKENS);
	s.vocab_size = vocab;
	s.elem_size = shard_elem_size_for_vocab(vocab);
	s.bos_id = 0;
	s.eos_id = vocab - 1;
	for (int i = 0; i < 32; i++) s.fingerprint[i] = (uint8_t)(i * 7);
	shard_writer *w = make_writer("ds", &s, 0, "{\"test\": true}");
	uint64_t seed = vocab;
	enum { N = 50 };
	uint32_t *docs[N];
	uint64_t np[N], nc[N];
	for (int r = 0; r < N; r++) {
		np[r] = test_rand(&seed) % 5;
		nc[r] = r == 7 ? 0 : test_rand(&seed) % 300;
		docs[r] = malloc((np[r] + nc[r] + 1) * sizeof(uint32_t));
		for (uint64_t k = 0; k < np[r] + nc[r]; k++) docs[r][k] = (uint32_t)(test_rand(&seed) % vocab);
		if (np[r] + nc[r]) docs[r][0] = vocab - 1;   /* the largest id must fit */
		shard_error e;
		int rc = shard_writer_add_u32(w, docs[r], np[r], docs[r] + np[r], nc[r], (uint64_t)r * 1000, &e);
		CHECKF(rc == 0, "add: %s", e.msg);
	}
	close_writer(w);
	shard_dataset *d = open_ds("ds");
	CHECK_EQ_U64(shard_dataset_records(d), N);
	CHECK_EQ_U64(shard_dataset_spec(d)->elem_size, s.elem_size);
	CHECK_MEM(shard_dataset_spec(d)->fingerprint, s.fingerprint, 32);
	verify_all(d);
	for (int r = 0; r < N; r++) {
		shard_record rec;
		shard_error e;
		CHECK(shard_dataset_record(d, r, &rec, &e) == 0);
		CHECK_EQ_U64(rec.n_prompt, np[r]);
		CHECK_EQ_U64(rec.n_content, nc[r]);
		CHECK_EQ_U64(rec.group, (uint64_t)r * 1000);
		for (uint64_t k = 0; k < np[r]; k++) CHECK_EQ_U64(shard_elem(rec.prompt, s.elem_size, k), docs[r][k]);
		for (uint64_t k = 0; k < nc[r]; k++) CHECK_EQ_U64(shard_elem(rec.content, s.elem_size, k), docs[r][np[r] + k]);
		free(docs[r]);
	}
	size_t ml;
	const char *m = shard_dataset_meta(d, &ml);
	CHECK(ml == 14 && !memcmp(m, "{\"test\": true}", 14));
	shard_dataset_close(d);
}

TEST(tokens_u8) { roundtrip_tokens(256); }
TEST(tokens_u8_small_vocab) { roundtrip_tokens(80); }
TEST(tokens_u16) { roundtrip_tokens(65536); }
TEST(tokens_u32) { roundtrip_tokens(108256); }

TEST(token_out_of_range_rejected)
{
	shard_spec s;
	shard_spec_init(&s, SHARD_TOKENS);
	s.vocab_size = 300;
	s.elem_size = 2;
	shard_writer *w = make_writer("ds", &s, 0, NULL);
	uint32_t ok[3] = { 1, 299, 0 }, bad[3] = { 1, 300, 2 };
	shard_error e;
	CHECK(shard_writer_add_u32(w, NULL, 0, ok, 3, 0, &e) == 0);
	CHECK(shard_writer_add_u32(w, NULL, 0, bad, 3, 0, &e) == SHARD_ERANGE);
	CHECKF(strstr(e.msg, "300") && strstr(e.msg, "position 1"), "message: %s", e.msg);
	uint16_t raw[2] = { 5, 301 };
	CHECK(shard_writer_add(w, raw, 2, NULL, 0, 0, &e) == SHARD_ERANGE);
	close_writer(w);
	shard_dataset *d = open_ds("ds");
	CHECK_EQ_U64(shard_dataset_records(d), 1);   /* rejected records left no trace */
	verify_all(d);
	shard_dataset_close(d);
}

TEST(elem_size_must_fit_vocab)
{
	shard_spec s;
	shard_spec_init(&s, SHARD_TOKENS);
	s.vocab_size = 257;
	s.elem_size = 1;
	shard_writer *w;
	shard_error e;
	CHECK(shard_writer_create(".", &s, NULL, &w, &e) == SHARD_EFORMAT);
	CHECK_EQ_U64(shard_elem_size_for_vocab(256), 1);
	CHECK_EQ_U64(shard_elem_size_for_vocab(257), 2);
	CHECK_EQ_U64(shard_elem_size_for_vocab(65536), 2);
	CHECK_EQ_U64(shard_elem_size_for_vocab(65537), 4);
}

TEST(empty_dataset_has_one_shard)
{
	shard_spec s;
	shard_spec_init(&s, SHARD_TOKENS);
	s.vocab_size = 256;
	shard_writer *w = make_writer("ds", &s, 0, NULL);
	close_writer(w);
	shard_dataset *d = open_ds("ds");
	CHECK_EQ_U64(shard_dataset_records(d), 0);
	CHECK_EQ_U64(shard_dataset_nfiles(d), 1);
	shard_dataset_close(d);
	struct stat st;
	CHECK(stat("ds/manifest.json", &st) == 0);
}

TEST(rollover_and_global_index)
{
	shard_spec s;
	shard_spec_init(&s, SHARD_TOKENS);
	s.vocab_size = 256;
	shard_writer *w = make_writer("ds", &s, 4096, NULL);
	uint8_t buf[1000];
	for (int r = 0; r < 40; r++) {
		memset(buf, r, sizeof buf);
		shard_error e;
		CHECK(shard_writer_add(w, NULL, 0, buf, 700 + r, r, &e) == 0);
	}
	/* One record larger than the limit gets a shard of its own. */
	uint8_t *big = calloc(1, 10000);
	shard_error e;
	CHECK(shard_writer_add(w, NULL, 0, big, 10000, 99, &e) == 0);
	free(big);
	close_writer(w);
	shard_dataset *d = open_ds("ds");
	CHECKF(shard_dataset_nfiles(d) >= 10, "only %zu shards", shard_dataset_nfiles(d));
	CHECK_EQ_U64(shard_dataset_records(d), 41);
	for (size_t k = 0; k + 1 < shard_dataset_nfiles(d); k++)
		CHECKF(shard_file_size(shard_dataset_file(d, k)) <= 4096, "shard %zu has %llu bytes", k,
		       (unsigned long long)shard_file_size(shard_dataset_file(d, k)));
	for (int r = 0; r < 40; r++) {
		shard_record rec;
		CHECK(shard_dataset_record(d, r, &rec, &e) == 0);
		CHECK_EQ_U64(rec.n_content, 700 + r);
		CHECK_EQ_U64(((const uint8_t *)rec.content)[699], r);
	}
	verify_all(d);
	shard_dataset_close(d);
	/* A missing shard in the middle is an error, not a smaller dataset. */
	CHECK(unlink("ds/shard-00002.kshard") == 0);
	shard_dataset *d2;
	CHECK(shard_dataset_open("ds", &d2, &e) == SHARD_EFORMAT);
	CHECKF(strstr(e.msg, "missing"), "message: %s", e.msg);
}

/* verify's manifest check covers every count and file name from the totals
 * to the end of the shard list, not only the first "records": changing any
 * digit there (a later shard's count included) is caught. */
TEST(manifest_checked_line_by_line)
{
	shard_spec s;
	shard_spec_init(&s, SHARD_TOKENS);
	s.vocab_size = 256;
	shard_writer *w = make_writer("ds", &s, 4096, "{\"k\": [1, 2]}");
	uint8_t buf[1500] = { 0 };
	shard_error e;
	for (int r = 0; r < 12; r++) CHECK(shard_writer_add(w, NULL, 0, buf, 900 + r, r, &e) == 0);
	close_writer(w);
	shard_dataset *d = open_ds("ds");
	CHECKF(shard_dataset_nfiles(d) >= 3, "only %zu shards", shard_dataset_nfiles(d));
	CHECKF(shard_dataset_check_manifest(d, "ds", &e) == 0, "fresh manifest: %s", e.msg);
	size_t n;
	char *m = (char *)test_read_file("ds/manifest.json", &n);
	char *from = strstr(m, "\"records\""), *to = strstr(m, "\"meta\"");
	CHECK(from && to && from < to);
	int tried = 0;
	for (char *p = from; p < to; p++) {
		if (*p < '0' || *p > '9') continue;
		char was = *p;
		*p = was == '9' ? '0' : was + 1;
		test_write_file("ds/manifest.json", m, n);
		int rc = shard_dataset_check_manifest(d, "ds", &e);
		CHECKF(rc == SHARD_EFORMAT, "digit at byte %zu changed: rc %d", (size_t)(p - m), rc);
		CHECKF(e.offset == UINT64_MAX || e.offset < n, "offset %llu", (unsigned long long)e.offset);
		*p = was;
		tried++;
	}
	CHECKF(tried > 30, "only %d digits", tried);
	/* every proper prefix is not JSON */
	for (size_t k = 0; k + 1 < n; k += 7) {
		test_write_file("ds/manifest.json", m, k);
		CHECK(shard_dataset_check_manifest(d, "ds", &e) == SHARD_EFORMAT);
	}
	CHECK(unlink("ds/manifest.json") == 0);
	CHECK(shard_dataset_check_manifest(d, "ds", &e) == SHARD_EIO);
	free(m);
	shard_dataset_close(d);
}

/* The writer stores metadata only when it is one JSON object in UTF-8:
 * tools embed it as is in manifest.json and info --json. */
TEST(meta_must_be_a_json_object)
{
	static const char *const good[] = {
		"{}", " {\"a\": [1, -2.5e3, true, false, null, {\"b\": \"\\u00e9\\ud83d\\ude00\\n\"}]} \n",
		"{\"caf\xc3\xa9\": \"\xf0\x9f\x98\x80\"}", "{\"x\": 0, \"y\": -0.0E+1}",
	};
	static const char *const bad[] = {
		"[]", "\"s\"", "{", "{\"a\": 1} {}", "{\"a\" 1}", "{\"a\": \"q\"u\"}", "{\"a\": \"\\x\"}",
		"{\"a\": \"\x01\"}", "{\"a\": \"\xff\"}", "{\"a\": \"\xc0\xaf\"}", "{\"a\": \"\xed\xa0\x80\"}",
		"{\"a\": \"\xf4\x90\x80\x80\"}", "{\"a\": \"\\ud800\"}", "{\"a\": \"\\udc00\\ud800\"}", "{\"a\": 01}",
		"{\"a\": 1.}", "{\"a\": tru}", "{\"a\": [1,]}", "{,}", "{\"a\": 1,}", "{\"a\": .5}",
	};
	shard_spec s;
	shard_spec_init(&s, SHARD_TOKENS);
	s.vocab_size = 256;
	shard_writer *w;
	shard_error e;
	for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
		shard_writer_opts o = { 0, good[i] };
		mkdir("g", 0777);
		CHECKF(shard_writer_create("g", &s, &o, &w, &e) == 0, "good meta %zu refused: %s", i, e.msg);
		shard_writer_abort(w);
	}
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		shard_writer_opts o = { 0, bad[i] };
		CHECKF(shard_writer_create("b", &s, &o, &w, &e) == SHARD_EINVAL, "bad meta %zu accepted", i);
		CHECKF(strstr(e.msg, "not a JSON object"), "message: %s", e.msg);
	}
	/* nesting deeper than the cap is refused, not a stack overflow */
	char deep[2200] = "{\"a\": ";
	size_t n = strlen(deep);
	for (int k = 0; k < 1000; k++) deep[n++] = '[';
	for (int k = 0; k < 1000; k++) deep[n++] = ']';
	deep[n++] = '}';
	deep[n] = 0;
	shard_writer_opts o = { 0, deep };
	CHECK(shard_writer_create("b", &s, &o, &w, &e) == SHARD_EINVAL);
}

TEST(sprites_roundtrip_and_shape)
{
	shard_spec s;
	shard_spec_init(&s, SHARD_SPRITES);
	s.vocab_size = 80;
	s.width = s.height = 32;
	s.channels = 2;
	s.pad_id = 64; s.bos_id = 65; s.eos_id = 66; s.mask_id = 67;
	shard_writer *w = make_writer("ds", &s, 0, NULL);
	uint8_t cond[2] = { 68, 75 }, grid[1024];
	for (int i = 0; i < 1024; i++) grid[i] = (uint8_t)(i % 64);
	shard_error e;
	CHECK(shard_writer_add(w, cond, 2, grid, 1024, 0, &e) == 0);
	CHECK(shard_writer_add(w, cond, 1, grid, 1024, 0, &e) == SHARD_EINVAL);
	CHECK(shard_writer_add(w, cond, 2, grid, 1000, 0, &e) == SHARD_EINVAL);
	grid[5] = 80;
	CHECK(shard_writer_add(w, cond, 2, grid, 1024, 0, &e) == SHARD_ERANGE);
	close_writer(w);
	shard_dataset *d = open_ds("ds");
	shard_record r;
	CHECK(shard_dataset_record(d, 0, &r, &e) == 0);
	CHECK_EQ_U64(r.n_prompt, 2);
	CHECK_EQ_U64(((const uint8_t *)r.prompt)[1], 75);
	CHECK_EQ_U64(((const uint8_t *)r.content)[1023], 1023 % 64);
	CHECK_EQ_U64(shard_dataset_spec(d)->mask_id, 67);
	verify_all(d);
	shard_dataset_close(d);
}

TEST(frames_roundtrip)
{
	shard_spec s;
	shard_spec_init(&s, SHARD_FRAMES);
	s.width = 7; s.height = 5; s.channels = 3;   /* 105 bytes: exercises the padding */
	s.vocab_size = 4;
	shard_writer *w = make_writer("ds", &s, 0, "{\"fps\": \"12/1\"}");
	uint8_t px[105];
	shard_error e;
	for (int ep = 0; ep < 3; ep++) {
		for (int f = 0; f < 5 + ep; f++) {
			for (int i = 0; i < 105; i++) px[i] = (uint8_t)(ep * 50 + f * 7 + i);
			CHECK(shard_writer_frame(w, px, (uint32_t)(f % 4), &e) == 0);
		}
		CHECK(shard_writer_end_episode(w, 42, (uint64_t)ep * 100, &e) == 0);
	}
	CHECK(shard_writer_frame(w, px, 4, &e) == SHARD_ERANGE);
	CHECK(shard_writer_end_episode(w, 0, 0, &e) == SHARD_EINVAL);
	close_writer(w);
	shard_dataset *d = open_ds("ds");
	CHECK_EQ_U64(shard_dataset_records(d), 3);
	CHECK_EQ_U64(shard_dataset_elements(d), 5 + 6 + 7);
	for (int ep = 0; ep < 3; ep++) {
		shard_record r;
		CHECK(shard_dataset_record(d, ep, &r, &e) == 0);
		CHECK_EQ_U64(r.n_content, 5 + ep);
		CHECK_EQ_U64(r.start, (uint64_t)ep * 100);
		CHECK_EQ_U64(r.group, 42);
		for (int f = 0; f < 5 + ep; f++) {
			CHECK_EQ_U64(r.actions[f], f % 4);
			CHECK_EQ_U64(((const uint8_t *)r.content)[f * 105 + 104], (uint8_t)(ep * 50 + f * 7 + 104));
		}
	}
	verify_all(d);
	/* Copying records (split/merge path) reproduces them. */
	shard_writer *w2 = make_writer("copy", &s, 0, NULL);
	for (int ep = 0; ep < 3; ep++) {
		shard_record r;
		CHECK(shard_dataset_record(d, ep, &r, &e) == 0);
		CHECK(shard_writer_add_record(w2, &r, &e) == 0);
	}
	close_writer(w2);
	shard_dataset *d2 = open_ds("copy");
	for (int ep = 0; ep < 3; ep++) {
		shard_record a, b;
		CHECK(shard_dataset_record(d, ep, &a, &e) == 0);
		CHECK(shard_dataset_record(d2, ep, &b, &e) == 0);
		CHECK_EQ_U64(a.size, b.size);
		CHECK_EQ_U64(a.crc, b.crc);
		CHECK_MEM(a.content, b.content, a.size);
	}
	shard_dataset_close(d2);
	shard_dataset_close(d);
}

/* An episode of no frames is a valid record (readers and verify accept
 * it) that only a hand-made shard holds; copying it (split, merge) failed
 * with "no episode in progress". It is copied as is, between others. */
TEST(frames_empty_episode_copied)
{
	shard_spec s;
	shard_spec_init(&s, SHARD_FRAMES);
	s.width = 2; s.height = 2; s.channels = 3;
	shard_writer *w = make_writer("copy", &s, 0, NULL);
	shard_error e;
	uint8_t px[12] = { 1, 2, 3 };
	shard_record empty = { .group = 7, .start = 9 };
	CHECKF(shard_writer_add_record(w, &empty, &e) == 0, "empty episode: %s", e.msg);
	CHECK(shard_writer_frame(w, px, 0, &e) == 0);
	CHECK(shard_writer_end_episode(w, 8, 0, &e) == 0);
	CHECK(shard_writer_add_record(w, &empty, &e) == 0);
	close_writer(w);
	shard_dataset *d = open_ds("copy");
	CHECK_EQ_U64(shard_dataset_records(d), 3);
	verify_all(d);
	shard_record r;
	CHECK(shard_dataset_record(d, 0, &r, &e) == 0);
	CHECK_EQ_U64(r.n_content, 0);
	CHECK_EQ_U64(r.size, 0);
	CHECK_EQ_U64(r.group, 7);
	CHECK_EQ_U64(r.start, 9);
	CHECK(shard_dataset_record(d, 1, &r, &e) == 0);
	CHECK_EQ_U64(r.n_content, 1);
	CHECK_MEM(r.content, px, 12);
	CHECK(shard_dataset_record(d, 2, &r, &e) == 0);
	CHECK_EQ_U64(r.n_content, 0);
	shard_dataset_close(d);
}

TEST(incompatible_shards_refused)
{
	shard_spec a, b;
	shard_spec_init(&a, SHARD_TOKENS);
	a.vocab_size = 256;
	b = a;
	b.fingerprint[0] = 1;
	shard_writer *w = make_writer("a", &a, 0, NULL);
	close_writer(w);
	w = make_writer("b", &b, 0, NULL);
	close_writer(w);
	CHECK(rename("b/shard-00000.kshard", "a/shard-00001.kshard") == 0);
	shard_dataset *d;
	shard_error e;
	CHECK(shard_dataset_open("a", &d, &e) == SHARD_EMISMATCH);
	CHECKF(strstr(e.msg, "fingerprint"), "message: %s", e.msg);
}

/* A small shard of each kind, as bytes, for the corruption sweep. */
static unsigned char *sample_shard(int kind, size_t *n)
{
	shard_spec s;
	shard_spec_init(&s, (uint32_t)kind);
	shard_error e;
	if (kind == SHARD_FRAMES) { s.width = 3; s.height = 3; s.channels = 3; s.vocab_size = 3; }
	else if (kind == SHARD_SPRITES) { s.vocab_size = 80; s.width = 4; s.height = 4; s.channels = 2; }
	else { s.vocab_size = 1000; s.elem_size = 2; }
	shard_writer *w = make_writer("sample", &s, 0, "{\"k\": 1}");
	for (int r = 0; r < 3; r++) {
		if (kind == SHARD_FRAMES) {
			uint8_t px[27];
			for (int f = 0; f < 2 + r; f++) {
				for (int i = 0; i < 27; i++) px[i] = (uint8_t)(i + f + r);
				CHECK(shard_writer_frame(w, px, (uint32_t)f % 3, &e) == 0);
			}
			CHECK(shard_writer_end_episode(w, (uint64_t)r, 0, &e) == 0);
		} else if (kind == SHARD_SPRITES) {
			uint32_t c[2] = { 70, 75 }, g[16];
			for (int i = 0; i < 16; i++) g[i] = (uint32_t)(i * 3 + r) % 64;
			CHECK(shard_writer_add_u32(w, c, 2, g, 16, 0, &e) == 0);
		} else {
			uint32_t t[9];
			for (int i = 0; i < 9; i++) t[i] = (uint32_t)(i * 111 + r) % 1000;
			CHECK(shard_writer_add_u32(w, t, 2, t + 2, 7 - r, 0, &e) == 0);
		}
	}
	close_writer(w);
	return test_read_file("sample/shard-00000.kshard", n);
}

/* Open + verify everything; returns 0 only if the bytes pass every check. */
static int open_and_verify(const unsigned char *buf, size_t n)
{
	shard_file *f;
	shard_error e;
	if (shard_file_open_mem(buf, n, "mem", &f, &e)) return -1;
	int rc = shard_file_verify(f, &e);
	/* Touch every record's data as a reader would. */
	for (uint64_t i = 0; i < shard_file_records(f); i++) {
		shard_record r;
		if (shard_file_record(f, i, &r, &e) == 0 && r.size) {
			volatile uint8_t x = ((const uint8_t *)r.prompt)[r.size - 1];
			(void)x;
		}
	}
	shard_file_close(f);
	return rc;
}

static void corruption_sweep(int kind)
{
	size_t n;
	unsigned char *good = sample_shard(kind, &n);
	CHECK(open_and_verify(good, n) == 0);
	/* Every truncation is detected. */
	for (size_t len = 0; len < n; len++) {
		unsigned char *cut = malloc(len ? len : 1);
		memcpy(cut, good, len);
		CHECKF(open_and_verify(cut, len) != 0, "truncation to %zu of %zu bytes not detected", len, n);
		free(cut);
	}
	/* Every single-byte change anywhere in the file is detected (CRC-32
	 * catches all single-byte errors; structure checks catch the rest). */
	unsigned char *bad = malloc(n);
	for (size_t off = 0; off < n; off++) {
		for (int bit = 0; bit < 8; bit += 3) {
			memcpy(bad, good, n);
			bad[off] ^= (unsigned char)(1u << bit);
			CHECKF(open_and_verify(bad, n) != 0, "flip of bit %d at offset %zu of %zu not detected", bit, off, n);
		}
	}
	/* An extra byte at the end is detected too. */
	unsigned char *longer = malloc(n + 1);
	memcpy(longer, good, n);
	longer[n] = 0;
	CHECK(open_and_verify(longer, n + 1) != 0);
	free(longer);
	free(bad);
	free(good);
}

TEST(corruption_tokens) { corruption_sweep(SHARD_TOKENS); }
TEST(corruption_sprites) { corruption_sweep(SHARD_SPRITES); }
TEST(corruption_frames) { corruption_sweep(SHARD_FRAMES); }

TEST(newer_major_version_refused)
{
	size_t n;
	unsigned char *buf = sample_shard(SHARD_TOKENS, &n);
	buf[8] = 2;
	shard_file *f;
	shard_error e;
	CHECK(shard_file_open_mem(buf, n, "v2", &f, &e) == SHARD_EVERSION);
	CHECKF(strstr(e.msg, "version 2"), "message: %s", e.msg);
	free(buf);
}

TEST(error_names_file_and_offset)
{
	size_t n;
	unsigned char *buf = sample_shard(SHARD_TOKENS, &n);
	/* Flip a payload byte: structure is fine, the record CRC is not. */
	shard_file *f;
	shard_error e;
	CHECK(shard_file_open_mem(buf, n, "x.kshard", &f, &e) == 0);
	shard_record r;
	CHECK(shard_file_record(f, 1, &r, &e) == 0);
	buf[r.offset + 1] ^= 0x40;
	CHECK(shard_file_verify_record(f, 0, &e) == 0);
	CHECK(shard_file_verify_record(f, 1, &e) == SHARD_ECRC);
	CHECKF(strstr(e.msg, "x.kshard") && strstr(e.msg, "record 1"), "message: %s", e.msg);
	CHECK_EQ_U64(e.offset, r.offset);
	shard_file_close(f);
	free(buf);
}

TEST(not_a_shard)
{
	shard_file *f;
	shard_error e;
	CHECK(shard_file_open_mem("", 0, "empty", &f, &e) == SHARD_EFORMAT);
	CHECK(shard_file_open_mem("KILNSHR", 7, "short", &f, &e) == SHARD_EFORMAT);
	CHECK(shard_file_open_mem("PK\3\4hello", 9, "zip", &f, &e) == SHARD_EFORMAT);
	CHECK(shard_file_open("does/not/exist", &f, &e) == SHARD_EIO);
	CHECK(shard_file_open(".", &f, &e) == SHARD_EFORMAT);
	shard_dataset *d;
	mkdir("emptydir", 0777);
	CHECK(shard_dataset_open("emptydir", &d, &e) == SHARD_EFORMAT);
}

TEST(largest_vocabulary)
{
	/* u32 elements up to the largest representable vocabulary. */
	shard_spec s;
	shard_spec_init(&s, SHARD_TOKENS);
	s.vocab_size = 0xFFFFFFFFu;
	s.elem_size = 4;
	shard_writer *w = make_writer("ds", &s, 0, NULL);
	uint32_t t[3] = { 0, 0xFFFFFFFEu, 123456789 };
	shard_error e;
	CHECK(shard_writer_add_u32(w, t, 1, t + 1, 2, 0, &e) == 0);
	close_writer(w);
	shard_dataset *d = open_ds("ds");
	shard_record r;
	CHECK(shard_dataset_record(d, 0, &r, &e) == 0);
	CHECK_EQ_U64(((const uint32_t *)r.content)[0], 0xFFFFFFFEu);
	verify_all(d);
	shard_dataset_close(d);
}

TEST(crc32_combine_equals_whole)
{
	uint64_t rs = 5;
	uint8_t buf[5000];
	for (size_t i = 0; i < sizeof buf; i++) buf[i] = (uint8_t)test_rand(&rs);
	uint32_t whole = shard_crc32(0, buf, sizeof buf);
	for (int iter = 0; iter < 50; iter++) {
		size_t a = test_rand(&rs) % (sizeof buf + 1);
		uint32_t ca = shard_crc32(0, buf, a), cb = shard_crc32(0, buf + a, sizeof buf - a);
		CHECK_EQ_U64(shard_crc32_combine(ca, cb, sizeof buf - a), whole);
	}
	CHECK(shard_crc32_combine(whole, shard_crc32(0, buf, 1), 1) != whole);
}
