/*
 * video_select.c - which source frames a target frame rate keeps: the rule of
 * libavfilter's fps filter, on plain integers, plus names and the window
 * count. No ffmpeg types here, so the rule can be unit-tested against a
 * naive reference and run ahead of decoding on packet timestamps.
 */
#include <stdint.h>
#include <string.h>

#include "video.h"

const char *vid_strerror(int code)
{
	switch (code) {
	case VID_OK: return "ok";
	case VID_EIO: return "cannot read the file";
	case VID_EFORMAT: return "not a readable video";
	case VID_EDECODE: return "decoding failed";
	case VID_ENOMEM: return "out of memory";
	case VID_EINVAL: return "invalid argument";
	case VID_ELIMIT: return "size over a limit";
	case VID_ESTOP: return "stopped";
	case VID_ENOFRAMES: return "no frames";
	case VID_ELABELS: return "bad action labels";
	}
	return "unknown error";
}

static const char *const scaler_names[] = { "area", "bilinear", "bicubic", "lanczos", "neighbor" };
static const char *const fit_names[] = { "stretch", "crop", "letterbox" };

const char *vid_scaler_name(int s)
{
	return s >= 0 && s < 5 ? scaler_names[s] : "?";
}

int vid_scaler_parse(const char *name)
{
	for (int i = 0; i < 5; i++)
		if (!strcmp(name, scaler_names[i]))
			return i;
	return -1;
}

const char *vid_fit_name(int f)
{
	return f >= 0 && f < 3 ? fit_names[f] : "?";
}

int vid_fit_parse(const char *name)
{
	for (int i = 0; i < 3; i++)
		if (!strcmp(name, fit_names[i]))
			return i;
	return -1;
}

int64_t vid_rescale(int64_t a, int64_t bn, int64_t bd)
{
	if (a == VID_NOPTS)
		return a;
	/* 128-bit so a * bn never overflows; round half away from zero like
	 * AV_ROUND_NEAR_INF. */
	__int128 p = (__int128)a * bn;
	__int128 h = bd / 2;
	__int128 q = p >= 0 ? (p + h) / bd : -((-p + h) / bd);
	if (q > INT64_MAX) return INT64_MAX;
	if (q <= INT64_MIN) return INT64_MIN + 1;
	return (int64_t)q;
}

uint64_t vid_windows_in(uint64_t n, uint64_t T, uint64_t stride)
{
	if (T == 0 || stride == 0 || n < T)
		return 0;
	return (n - T) / stride + 1;
}

void vid_fps_init(vid_fps *s)
{
	memset(s, 0, sizeof *s);
	s->next = VID_NOPTS;
	s->eof_pts = VID_NOPTS;
}

uint64_t vid_fps_oldest(const vid_fps *s)
{
	return s->n ? s->id[0] : UINT64_MAX;
}

static void shift(vid_fps *s)
{
	s->pts[0] = s->pts[1];
	s->id[0] = s->id[1];
	s->n--;
}

/* One step of the filter: decide about the head frame while the filter would
 * (two frames buffered, or end of stream with one). Mirrors write_frame():
 * the first frame's timestamp starts the clock (frames without one before it
 * are discarded); the head is dropped when the second frame is already
 * acceptable for the next tick, or when the next tick reaches the end. */
static int run(vid_fps *s, vid_fps_emit emit, void *ud)
{
	while (s->n == 2 || (s->eof && s->n > 0)) {
		if (s->next == VID_NOPTS) {
			if (s->pts[0] != VID_NOPTS) {
				s->next = s->pts[0];
			} else {
				shift(s);
				continue;
			}
		}
		if ((s->n == 2 && s->pts[1] <= s->next) || (s->eof && s->eof_pts <= s->next)) {
			shift(s);
			continue;
		}
		int rc = emit(ud, s->id[0], s->next);
		s->next++;
		if (rc)
			return rc;
	}
	return 0;
}

int vid_fps_push(vid_fps *s, uint64_t id, int64_t pts, vid_fps_emit emit, void *ud)
{
	s->pts[s->n] = pts;
	s->id[s->n] = id;
	s->n++;
	return run(s, emit, ud);
}

int vid_fps_eof(vid_fps *s, int64_t eof_pts, vid_fps_emit emit, void *ud)
{
	s->eof = 1;
	s->eof_pts = eof_pts;
	return run(s, emit, ud);
}
