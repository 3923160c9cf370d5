/*
 * video_fuzz.c - libFuzzer target for libvideo's untrusted inputs. The first
 * byte picks the part: 0 the action-label parser (and lookups on what it
 * accepts), 1 the fps rule against its naive reference on timestamps taken
 * from the input, 2 a container from memory through the whole extraction
 * (probing, the packet index and NAL scan, GOP pieces, decoding, scaling),
 * bounded to a few frames of a tiny output.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "video.h"

static void labels(const uint8_t *d, size_t n)
{
	vid_labels *l;
	char err[256];
	if (vid_labels_parse((const char *)d, n, "fuzz", &l, err, sizeof err) != VID_OK) {
		if (!memchr(err, 0, sizeof err))
			abort();
		return;
	}
	size_t c = vid_labels_count(l);
	uint32_t vocab = vid_labels_vocab(l);
	for (size_t i = 0; i < c; i++) {
		if (vid_labels_id(l, i) >= vocab)
			abort();
		if (i && vid_labels_time(l, i) < vid_labels_time(l, i - 1))
			abort();
		/* at a label's own time the answer is the last label with that time */
		size_t j = i;
		while (j + 1 < c && vid_labels_time(l, j + 1) == vid_labels_time(l, i))
			j++;
		if (vid_labels_at(l, vid_labels_time(l, i)) != vid_labels_id(l, j))
			abort();
	}
	vid_labels_free(l);
}

typedef struct out { size_t n; uint64_t id[512]; int64_t tick[512]; } out;

static int rec(void *ud, uint64_t id, int64_t tick)
{
	out *o = ud;
	if (o->n >= 512)
		return 1;
	o->id[o->n] = id;
	o->tick[o->n++] = tick;
	return 0;
}

static void rule(const uint8_t *d, size_t n)
{
	int64_t pts[64];
	size_t m = 0;
	int64_t t = 0;
	for (size_t i = 0; i + 1 < n && m < 64; i += 2) {
		t += d[i] % 8;          /* non-decreasing, small steps */
		pts[m++] = t;
	}
	if (!m)
		return;
	int64_t eof = pts[m - 1] + (n ? d[n - 1] % 4 : 0);
	out a = { 0 }, b = { 0 };
	vid_fps s;
	vid_fps_init(&s);
	int stopped = 0;
	for (size_t i = 0; i < m && !stopped; i++)
		stopped = vid_fps_push(&s, i, pts[i], rec, &a);
	if (!stopped)
		stopped = vid_fps_eof(&s, eof, rec, &a);
	if (stopped)
		return;
	for (int64_t k = pts[0]; k < eof; k++) {
		size_t best = 0;
		for (size_t i = 0; i < m; i++)
			if (pts[i] <= k)
				best = i;
		rec(&b, best, k);
	}
	if (a.n != b.n || memcmp(a.id, b.id, a.n * sizeof *a.id) || memcmp(a.tick, b.tick, a.n * sizeof *a.tick))
		abort();
}

static int stop_after(void *ud, const uint8_t *rgb, uint64_t index, double t)
{
	(void)rgb; (void)t;
	(void)ud;
	return index >= 8;
}

static void container(const uint8_t *d, size_t n, int threads)
{
	vid_reader *r;
	char err[600];
	if (vid_open_mem(d, n, "fuzz", &r, err, sizeof err))
		return;
	const vid_info *in = vid_reader_info(r);
	/* keep a fuzz run short: small frames only */
	if ((uint64_t)in->width * in->height <= 256 * 256) {
		vid_opts o = { .fps_num = 12, .fps_den = 1, .width = 8, .height = 6, .threads = threads };
		vid_extract(r, &o, stop_after, NULL, NULL);
	}
	vid_close(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	vid_quiet_libav();
	switch (data[0] % 4) {
	case 0: labels(data + 1, size - 1); break;
	case 1: rule(data + 1, size - 1); break;
	case 2: container(data + 1, size - 1, 2); break;
	default: container(data + 1, size - 1, 1); break;
	}
	return 0;
}
