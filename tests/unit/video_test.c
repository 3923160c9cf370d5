/*
 * video_test.c - libvideo unit tests: the fps rule against a naive reference
 * (for each tick, the last frame at or before it), rounding against exact
 * rational arithmetic, the label parser and lookups, windows, PNG output,
 * error paths of vid_open, and on the corpus clip that the parallel and the
 * sequential paths hand out identical frames. Byte identity with the ffmpeg
 * CLI itself is tests/cli/video_oracle.sh.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "video.h"

/* ---- fps rule ------------------------------------------------------------ */

typedef struct rec { uint64_t ids[4096]; int64_t ticks[4096]; size_t n; } rec;

static int record(void *ud, uint64_t id, int64_t tick)
{
	rec *r = ud;
	if (r->n < 4096) {
		r->ids[r->n] = id;
		r->ticks[r->n] = tick;
	}
	r->n++;
	return 0;
}

static void run_rule(const int64_t *pts, size_t n, int64_t eof, rec *out)
{
	vid_fps s;
	vid_fps_init(&s);
	out->n = 0;
	for (size_t i = 0; i < n; i++)
		vid_fps_push(&s, i, pts[i], record, out);
	vid_fps_eof(&s, eof, record, out);
}

/* Naive reference for non-decreasing timestamps: ticks run from the first
 * frame's timestamp up to (not including) the end; tick t shows the last
 * frame whose timestamp is <= t. */
static void naive(const int64_t *pts, size_t n, int64_t eof, rec *out)
{
	out->n = 0;
	for (int64_t t = pts[0]; t < eof; t++) {
		size_t best = 0;
		for (size_t i = 0; i < n; i++)
			if (pts[i] <= t)
				best = i;
		record(out, best, t);
	}
}

TEST(fps_60_to_12_keeps_2_7_12)
{
	int64_t pts[60];
	for (int i = 0; i < 60; i++)
		pts[i] = vid_rescale(i, 12, 60);   /* 60 fps timestamps in 1/12 s ticks */
	rec r;
	run_rule(pts, 60, vid_rescale(60, 12, 60), &r);
	CHECK_EQ_U64(r.n, 12);
	for (size_t k = 0; k < r.n; k++) {
		CHECK_EQ_U64(r.ids[k], 2 + 5 * k);
		CHECK_EQ_I64(r.ticks[k], (int64_t)k);
	}
}

TEST(fps_matches_naive_reference)
{
	uint64_t seed = 42;
	static int64_t pts[300];
	static rec a, b;
	for (int trial = 0; trial < 400; trial++) {
		size_t n = 1 + test_rand(&seed) % 300;
		/* input rate between 1/8 and 8 ticks a frame, with jitter and gaps */
		int64_t t = (int64_t)(test_rand(&seed) % 50) - 10;
		uint64_t step = 1 + test_rand(&seed) % 16;
		for (size_t i = 0; i < n; i++) {
			pts[i] = vid_rescale(t, 1, 8);
			t += (int64_t)(step + test_rand(&seed) % 3) * ((test_rand(&seed) % 20) ? 1 : 5);
		}
		int64_t eof = pts[n - 1] + (int64_t)(test_rand(&seed) % 3);
		run_rule(pts, n, eof, &a);
		naive(pts, n, eof, &b);
		CHECKF(a.n == b.n, "trial %d: %zu outputs, naive %zu", trial, a.n, b.n);
		for (size_t k = 0; k < a.n && k < 4096; k++)
			CHECKF(a.ids[k] == b.ids[k] && a.ticks[k] == b.ticks[k],
			       "trial %d output %zu: frame %llu at %lld, naive %llu at %lld", trial, k,
			       (unsigned long long)a.ids[k], (long long)a.ticks[k],
			       (unsigned long long)b.ids[k], (long long)b.ticks[k]);
	}
}

TEST(fps_last_frame_dropped_at_eof)
{
	/* Same rate in and out: the end at last + 1 keeps every frame; an end at
	 * the last frame's own tick drops it (what the filter does). */
	int64_t pts[5] = { 0, 1, 2, 3, 4 };
	rec r;
	run_rule(pts, 5, 5, &r);
	CHECK_EQ_U64(r.n, 5);
	run_rule(pts, 5, 4, &r);
	CHECK_EQ_U64(r.n, 4);
}

TEST(fps_untimed_leading_frames_discarded)
{
	int64_t pts[4] = { VID_NOPTS, VID_NOPTS, 3, 4 };
	rec r;
	run_rule(pts, 4, 5, &r);
	CHECK_EQ_U64(r.n, 2);
	CHECK_EQ_U64(r.ids[0], 2);
	CHECK_EQ_U64(r.ids[1], 3);
	CHECK_EQ_I64(r.ticks[0], 3);
}

TEST(fps_duplicates_over_gaps)
{
	int64_t pts[3] = { 0, 4, 5 };
	rec r;
	run_rule(pts, 3, 6, &r);
	CHECK_EQ_U64(r.n, 6);
	uint64_t want[6] = { 0, 0, 0, 0, 1, 2 };
	for (int k = 0; k < 6; k++)
		CHECK_EQ_U64(r.ids[k], want[k]);
	CHECK_EQ_U64(vid_fps_oldest(&(vid_fps){ .n = 0 }), UINT64_MAX);
}

TEST(rescale_rounds_half_away_from_zero)
{
	CHECK_EQ_I64(vid_rescale(1, 1, 2), 1);
	CHECK_EQ_I64(vid_rescale(-1, 1, 2), -1);
	CHECK_EQ_I64(vid_rescale(3, 1, 2), 2);
	CHECK_EQ_I64(vid_rescale(-3, 1, 2), -2);
	CHECK_EQ_I64(vid_rescale(2, 1, 5), 0);
	CHECK_EQ_I64(vid_rescale(3, 1, 5), 1);
	CHECK_EQ_I64(vid_rescale(VID_NOPTS, 3, 7), VID_NOPTS);
	/* against exact rational arithmetic in 128 bits */
	uint64_t seed = 7;
	for (int i = 0; i < 100000; i++) {
		int64_t a = (int64_t)(test_rand(&seed) % 2000000001) - 1000000000;
		int64_t bn = 1 + (int64_t)(test_rand(&seed) % 100000);
		int64_t bd = 1 + (int64_t)(test_rand(&seed) % 100000);
		__int128 p = (__int128)a * bn;
		/* nearest: floor(p/bd + 1/2) for p >= 0, mirrored below zero */
		__int128 ap = p < 0 ? -p : p;
		__int128 q = (2 * ap + bd) / (2 * bd);
		int64_t want = (int64_t)(p < 0 ? -q : q);
		CHECKF(vid_rescale(a, bn, bd) == want, "%lld*%lld/%lld", (long long)a, (long long)bn, (long long)bd);
	}
}

TEST(windows_count)
{
	CHECK_EQ_U64(vid_windows_in(800, 24, 1), 777);
	CHECK_EQ_U64(vid_windows_in(800, 24, 24), 33);
	CHECK_EQ_U64(vid_windows_in(23, 24, 1), 0);
	CHECK_EQ_U64(vid_windows_in(24, 24, 5), 1);
	CHECK_EQ_U64(vid_windows_in(10, 0, 1), 0);
	/* naive count */
	for (uint64_t n = 0; n < 60; n++)
		for (uint64_t T = 1; T < 12; T++)
			for (uint64_t s = 1; s < 7; s++) {
				uint64_t c = 0;
				for (uint64_t f = 0; f + T <= n; f += s)
					c++;
				CHECK_EQ_U64(vid_windows_in(n, T, s), c);
			}
}

TEST(names_roundtrip)
{
	for (int i = 0; i < 5; i++)
		CHECK_EQ_I64(vid_scaler_parse(vid_scaler_name(i)), i);
	for (int i = 0; i < 3; i++)
		CHECK_EQ_I64(vid_fit_parse(vid_fit_name(i)), i);
	CHECK_EQ_I64(vid_scaler_parse("fast"), -1);
	CHECK_EQ_I64(vid_fit_parse(""), -1);
	CHECK(strcmp(vid_strerror(VID_ELABELS), "unknown error"));
}

/* ---- labels ---------------------------------------------------------------- */

static int parse(const char *s, vid_labels **l, char *err)
{
	return vid_labels_parse(s, strlen(s), "a.txt", l, err, 256);
}

TEST(labels_parse_and_lookup)
{
	const char *s = "# t id name\n0.5 1 RIGHT\r\n\n0.75 2 RIGHT JUMP  \n0.75 0\n2 1 RIGHT # again\n1e1 3\n";
	vid_labels *l;
	char err[256];
	CHECKF(parse(s, &l, err) == 0, "%s", err);
	CHECK_EQ_U64(vid_labels_count(l), 5);
	CHECK_EQ_U64(vid_labels_vocab(l), 4);
	CHECK_STR(vid_labels_name(l, 1), "RIGHT");
	CHECK_STR(vid_labels_name(l, 2), "RIGHT JUMP");
	CHECK(vid_labels_name(l, 0) == NULL);
	CHECK(vid_labels_name(l, 3) == NULL);
	CHECK_EQ_U64(vid_labels_at(l, 0.0), 0);      /* before the first label */
	CHECK_EQ_U64(vid_labels_at(l, 0.4999), 0);
	CHECK_EQ_U64(vid_labels_at(l, 0.5), 1);      /* at a label's time: that label */
	CHECK_EQ_U64(vid_labels_at(l, 0.75), 0);     /* equal times: the last one wins */
	CHECK_EQ_U64(vid_labels_at(l, 1.99), 0);
	CHECK_EQ_U64(vid_labels_at(l, 2.0), 1);
	CHECK_EQ_U64(vid_labels_at(l, 1e9), 3);
	CHECK_NEAR(vid_labels_time(l, 4), 10.0, 0);
	/* against a linear scan */
	for (double t = -1; t < 12; t += 0.01) {
		uint32_t want = 0;
		for (size_t i = 0; i < vid_labels_count(l); i++)
			if (vid_labels_time(l, i) <= t)
				want = vid_labels_id(l, i);
		CHECK_EQ_U64(vid_labels_at(l, t), want);
	}
	vid_labels_free(l);
}

TEST(labels_empty)
{
	vid_labels *l;
	char err[256];
	CHECK(parse("", &l, err) == 0);
	CHECK_EQ_U64(vid_labels_count(l), 0);
	CHECK_EQ_U64(vid_labels_vocab(l), 1);
	CHECK_EQ_U64(vid_labels_at(l, 5), 0);
	vid_labels_free(l);
}

TEST(labels_errors_name_line_and_time)
{
	vid_labels *l = (vid_labels *)1;
	char err[256];
	CHECK_EQ_I64(parse("1.0 1\n0.5 2\n", &l, err), VID_ELABELS);
	CHECK(l == NULL);
	CHECKF(strstr(err, "a.txt: line 2") && strstr(err, "0.500000") && strstr(err, "out of order"), "%s", err);
	CHECK_EQ_I64(parse("1.0\n", &l, err), VID_ELABELS);
	CHECKF(strstr(err, "line 1"), "%s", err);
	CHECK_EQ_I64(parse("abc 1\n", &l, err), VID_ELABELS);
	CHECK_EQ_I64(parse("-1 1\n", &l, err), VID_ELABELS);
	CHECK_EQ_I64(parse("nan 1\n", &l, err), VID_ELABELS);
	CHECK_EQ_I64(parse("inf 1\n", &l, err), VID_ELABELS);
	CHECK_EQ_I64(parse("0x10 1\n", &l, err), VID_ELABELS);
	CHECK_EQ_I64(parse("1e999 1\n", &l, err), VID_ELABELS);
	CHECK_EQ_I64(parse("1 -1\n", &l, err), VID_ELABELS);
	CHECK_EQ_I64(parse("1 1.5\n", &l, err), VID_ELABELS);
	CHECK_EQ_I64(parse("1 65536\n", &l, err), VID_ELIMIT);
	CHECK_EQ_I64(parse("1 99999999999\n", &l, err), VID_ELABELS);
	CHECK_EQ_I64(parse("1 3 UP\n2 3 DOWN\n", &l, err), VID_ELABELS);
	CHECKF(strstr(err, "line 2") && strstr(err, "UP"), "%s", err);
	CHECK_EQ_I64(vid_labels_parse("1 1\0", 4, "z", &l, err, sizeof err), VID_ELABELS);
	/* id 65535 is the largest accepted */
	CHECK(parse("1 65535\n", &l, err) == 0);
	CHECK_EQ_U64(vid_labels_vocab(l), 65536);
	vid_labels_free(l);
}

TEST(labels_corpus)
{
	const char *dir = test_corpus("video");
	if (!dir)
		SKIP("../shared/corpus/video not present");
	char path[1024];
	snprintf(path, sizeof path, "%s/supertux-actions.txt", dir);
	size_t n;
	unsigned char *buf = test_read_file(path, &n);
	vid_labels *l;
	char err[256];
	CHECKF(vid_labels_parse((const char *)buf, n, path, &l, err, sizeof err) == 0, "%s", err);
	CHECK(vid_labels_count(l) > 100);
	/* every line that is not a comment became a label */
	size_t lines = 0;
	for (size_t i = 0; i < n; i++)
		if (buf[i] == '\n' && (i + 1 >= n || buf[i + 1] != '#'))
			lines++;
	CHECK(vid_labels_count(l) <= lines);
	vid_labels_free(l);
	free(buf);
}

/* ---- opening files --------------------------------------------------------- */

TEST(open_errors)
{
	vid_quiet_libav();
	vid_reader *r = (vid_reader *)1;
	char err[600];
	CHECK_EQ_I64(vid_open("missing.mp4", &r, err, sizeof err), VID_EIO);
	CHECK(r == NULL);
	CHECKF(strstr(err, "missing.mp4"), "%s", err);
	test_write_file("empty.mp4", "", 0);
	CHECK(vid_open("empty.mp4", &r, err, sizeof err) < 0);
	CHECKF(strstr(err, "empty.mp4"), "%s", err);
	const char *text = "this is not a video, only some words of text\n";
	test_write_file("text.mkv", text, strlen(text));
	CHECK(vid_open("text.mkv", &r, err, sizeof err) < 0);
	CHECKF(strstr(err, "text.mkv"), "%s", err);
}

TEST(png_encode)
{
	uint8_t px[7 * 5 * 3];
	for (size_t i = 0; i < sizeof px; i++)
		px[i] = (uint8_t)(i * 37);
	uint8_t *png;
	size_t len;
	CHECK(vid_png_encode(px, 7, 5, 21, &png, &len) == 0);
	CHECK(len > 33);
	CHECK_MEM(png, "\x89PNG\r\n\x1a\n", 8);
	CHECK_MEM(png + 12, "IHDR", 4);
	CHECK_EQ_U64((uint64_t)png[16] << 24 | png[17] << 16 | png[18] << 8 | png[19], 7);
	CHECK_EQ_U64((uint64_t)png[20] << 24 | png[21] << 16 | png[22] << 8 | png[23], 5);
	CHECK_EQ_U64(png[25], 2);   /* colour type 2: RGB */
	vid_free(png);
	CHECK_EQ_I64(vid_png_encode(px, 0, 5, 21, &png, &len), VID_EINVAL);
	CHECK_EQ_I64(vid_png_encode(px, 7, 5, 20, &png, &len), VID_EINVAL);
}

/* ---- extraction on the corpus clip ----------------------------------------- */

typedef struct digest { uint64_t n, h; double last_t; int ordered; } digest;

static int fold(void *ud, const uint8_t *rgb, uint64_t index, double t)
{
	digest *d = ud;
	if (index != d->n || t < d->last_t)
		d->ordered = 0;
	d->last_t = t;
	for (size_t i = 0; i < 32 * 18 * 3; i++)
		d->h = (d->h ^ rgb[i]) * 0x100000001b3ull;
	d->n++;
	return 0;
}

static int stop_at_3(void *ud, const uint8_t *rgb, uint64_t index, double t)
{
	(void)rgb; (void)t;
	*(uint64_t *)ud = index;
	return index == 3;
}

TEST(parallel_equals_sequential_on_corpus)
{
	const char *dir = test_corpus("video");
	if (!dir)
		SKIP("../shared/corpus/video not present");
	char path[1024];
	snprintf(path, sizeof path, "%s/supertux-720p60-20s.mp4", dir);
	vid_reader *r;
	char err[600];
	CHECKF(vid_open(path, &r, err, sizeof err) == 0, "%s", err);
	CHECK_EQ_U64(vid_reader_info(r)->width, 1280);
	CHECK_EQ_U64(vid_reader_info(r)->height, 720);
	uint64_t packets;
	double last;
	CHECK(vid_count_packets(r, &packets, &last) == 0);
	CHECK(packets > 1000);
	vid_opts o = { .fps_num = 12, .fps_den = 1, .width = 32, .height = 18, .scaler = VID_SCALE_AREA, .threads = 1 };
	digest a = { .h = 14695981039346656037ull, .ordered = 1 }, b = a;
	vid_stats sa, sb;
	CHECKF(vid_extract(r, &o, fold, &a, &sa) == 0, "%s", vid_errmsg(r));
	o.threads = 2;
	CHECKF(vid_extract(r, &o, fold, &b, &sb) == 0, "%s", vid_errmsg(r));
	CHECK(a.ordered && b.ordered);
	CHECK_EQ_U64(a.n, b.n);
	CHECK_EQ_U64(a.h, b.h);
	/* 20 s at 12 fps; 60 -> 12 keeps one frame in five */
	CHECK(a.n >= 238 && a.n <= 241);
	CHECK_EQ_U64(sa.selected, a.n);
	CHECK(sb.parallel);
	CHECK(sb.skipped > 0);            /* non-reference frames not shown were not decoded */
	CHECK_EQ_U64(sb.decoded + sb.skipped, packets);
	/* a callback can stop the extraction */
	uint64_t seen = 0;
	CHECK_EQ_I64(vid_extract(r, &o, stop_at_3, &seen, NULL), VID_ESTOP);
	CHECK_EQ_U64(seen, 3);
	vid_close(r);
}

/* ---- a clip built in memory ------------------------------------------------ */

/* YUV4MPEG2, 32x16 at 10 fps, n flat frames with the given luma values,
 * neutral chroma. */
static unsigned char *make_y4m(const int *luma, int n, size_t *len)
{
	const char *hdr = "YUV4MPEG2 W32 H16 F10:1 Ip A1:1 C420jpeg\n";
	size_t fsz = 6 + 32 * 16 + 2 * 16 * 8;
	*len = strlen(hdr) + (size_t)n * fsz;
	unsigned char *b = malloc(*len), *p = b;
	memcpy(p, hdr, strlen(hdr));
	p += strlen(hdr);
	for (int i = 0; i < n; i++) {
		memcpy(p, "FRAME\n", 6);
		memset(p + 6, luma[i], 32 * 16);
		memset(p + 6 + 32 * 16, 128, 2 * 16 * 8);
		p += fsz;
	}
	return b;
}

typedef struct grab { int n; uint8_t first[32]; double t[32]; } grab;

static int grab_cb(void *ud, const uint8_t *rgb, uint64_t index, double t)
{
	grab *g = ud;
	if (g->n < 32) {
		g->first[g->n] = rgb[0];
		g->t[g->n] = t;
		/* a flat frame stays flat and grey */
		for (int i = 0; i < 8 * 4 * 3; i++)
			if (rgb[i] != rgb[0])
				return 1;
	}
	g->n++;
	(void)index;
	return 0;
}

TEST(memory_clip_levels_and_selection)
{
	/* 20 frames at 10 fps -> 5 fps keeps frames 0, 2, 4, ...: tick n shows
	 * the last frame with round(f / 2) <= n, and 2n+1 rounds up to n+1 */
	int luma[20];
	for (int i = 0; i < 20; i++)
		luma[i] = 16 + i * 11;          /* 16 .. 225 */
	size_t len;
	unsigned char *clip = make_y4m(luma, 20, &len);
	for (int threads = 1; threads <= 2; threads++) {
		vid_reader *r;
		char err[600];
		CHECKF(vid_open_mem(clip, len, "mem.y4m", &r, err, sizeof err) == 0, "%s", err);
		CHECK_EQ_U64(vid_reader_info(r)->width, 32);
		vid_opts o = { .fps_num = 5, .fps_den = 1, .width = 8, .height = 4, .scaler = VID_SCALE_AREA, .threads = threads };
		grab g = { 0 };
		CHECKF(vid_extract(r, &o, grab_cb, &g, NULL) == 0, "%s", vid_errmsg(r));
		CHECK_EQ_I64(g.n, 10);
		for (int k = 0; k < g.n; k++) {
			int f = 2 * k;
			/* limited-range grey: (Y - 16) * 255 / 219, within swscale's
			 * default (not bit-accurate) rounding; a full-range mistake
			 * would be off by up to 30 */
			double want = (luma[f] - 16) * 255.0 / 219.0;
			CHECK_NEAR(g.first[k], want, 3.0);
			CHECK_NEAR(g.t[k], f / 10.0, 1e-9);
		}
		vid_close(r);
	}
	free(clip);
	vid_reader *r;
	char err[600];
	CHECK(vid_open_mem("", 0, "none.bin", &r, err, sizeof err) < 0);
	CHECKF(strstr(err, "none.bin"), "%s", err);
}
