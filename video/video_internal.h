/*
 * video_internal.h - declarations shared by the files of libvideo that talk
 * to libav* (video_ffmpeg.c, video_par.c, video_png.c). Nothing outside
 * video/ includes this; the public interface is video.h.
 */
#ifndef KILN_VIDEO_INTERNAL_H
#define KILN_VIDEO_INTERNAL_H

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/frame.h>
#include <libswscale/swscale.h>

#include "video.h"

struct vid_reader {
	AVFormatContext *fmt;
	AVStream *st;
	int si;                 /* video stream index */
	char *path;
	vid_info info;
	int64_t ts_off;         /* added to every packet timestamp (stream time base):
	                           minus the container start time, as the CLI does */
	const uint8_t *mem;     /* vid_open_mem: the caller's bytes, else NULL */
	size_t mem_size, mem_pos;
	AVIOContext *io;
	int used;               /* frames were read: reopen before extracting again */
	char err[512];
};

/* Set the handle's detail string; returns code. */
int vid__fail(vid_reader *r, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Reopen the container at its start (fresh demuxer). */
int vid__reopen(vid_reader *r);
/* A decoder for the reader's stream. threads: 0 = auto (as the CLI), 1 = none. */
int vid__open_decoder(vid_reader *r, int threads, AVCodecContext **out);
/* Shift a packet's timestamps onto the CLI's timeline. */
void vid__shift_packet(const vid_reader *r, AVPacket *pkt);
/* VID_EDECODE when fewer packets or less time than the container declares
 * was read (last_end: end of the last video packet, stream time base,
 * shifted; any_end_us: as vid__track_end left it over every packet read),
 * or when bytes of a cut frame follow the last whole one in a .y4m file
 * (end_pos: the byte just past the last video packet, -1 if unknown). */
int vid__check_complete(vid_reader *r, uint64_t packets, int64_t last_end, int64_t any_end_us, int64_t end_pos);
/* Raise *end_us (start AV_NOPTS_VALUE) to where pkt, of any stream, ends:
 * µs on the container's timeline, the one its duration is measured on. */
void vid__track_end(const vid_reader *r, const AVPacket *pkt, int64_t *end_us);
/* The timestamp the CLI gives a decoded frame (best effort, else the
 * decoder's pts). */
int64_t vid__frame_ts(const AVFrame *f);
/* The decoder reported damage in this frame (errors it concealed, or a
 * frame it marks corrupt): the CLI warns and goes on, here it is an error. */
static inline int vid__frame_damaged(const AVFrame *f)
{
	return f->decode_error_flags || (f->flags & AV_FRAME_FLAG_CORRUPT);
}
/* A timestamp in seconds with one rounding (ts * num / den), so that a
 * frame at exactly 3.7 s compares equal to a label written "3.7";
 * ts * av_q2d(tb) rounds twice and can land just below. */
static inline double vid__seconds(int64_t ts, AVRational tb)
{
	return (double)ts * tb.num / tb.den;
}
/* Frame duration in microseconds as the CLI counts it (packet duration, else
 * from the codec frame rate). */
int64_t vid__frame_dur_us(const vid_reader *r, const AVCodecContext *dec, int64_t pkt_duration);
/* The fps filter's end-of-stream tick from the CLI's "next pts" (µs). */
int64_t vid__eof_tick(const vid_reader *r, const vid_opts *o, int64_t next_us);
/* Input timestamp (stream time base) -> output tick. */
int64_t vid__tick(const vid_reader *r, const vid_opts *o, int64_t ts);

/* The scale filter, configured as libavfilter's vf_scale configures swscale. */
typedef struct vid_scaler_ctx {
	struct SwsContext *sws;
	int in_w, in_h, in_fmt;           /* what sws was built for */
	int cs, range;                    /* colour details last applied */
	AVFrame *dst;                     /* aligned RGB24 target (inner size) */
	uint8_t *packed;                  /* width*height*3 output */
	uint32_t W, H;                    /* output size */
	int scaler, fit;
	int cx, cy, cw, ch;               /* crop rectangle on the source */
	int ix, iy, iw, ih;               /* where the scaled picture lands */
} vid_scaler_ctx;
void vid__scaler_init(vid_scaler_ctx *s, const vid_opts *o);
void vid__scaler_free(vid_scaler_ctx *s);
/* Scale one decoded frame into s->packed. */
int vid__scale(vid_reader *r, vid_scaler_ctx *s, const AVFrame *in);

/* Does this packet start a piece that decodes on its own (IDR / IRAP /
 * key frame of a codec whose key frames reset every reference)? */
int vid__random_access(const vid_reader *r, const AVPacket *pkt);

/* The parallel path (video_par.c). Returns 1 when the stream is unsuited
 * (caller falls back to the sequential path, nothing was emitted). */
int vid__extract_parallel(vid_reader *r, const vid_opts *o, int threads,
                          vid_frame_cb cb, void *ud, vid_stats *st);

#endif
