/*
 * video.h - libvideo: gameplay video to selected, scaled RGB24 frames.
 *
 * Decoding, frame selection and scaling follow what the ffmpeg CLI does for
 * "ffmpeg -i IN -an -vf fps=R,scale=W:H:flags=F -pix_fmt rgb24 -f rawvideo",
 * byte for byte: same source frames (the fps filter's rule, by timestamp),
 * same swscale configuration. Also here: the action-label file parser, the
 * window index and a PNG encoder. The library never prints or exits; every
 * call returns 0 or a negative VID_E* code, with a detail string naming the
 * file and the timestamp or byte offset. Only video_ffmpeg.c and video_png.c
 * see libav* headers; everything here is opaque.
 */
#ifndef KILN_VIDEO_H
#define KILN_VIDEO_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
	VID_OK = 0,
	VID_EIO = -1,        /* cannot open or read the file */
	VID_EFORMAT = -2,    /* not a video container, or no video stream */
	VID_EDECODE = -3,    /* the decoder failed, or the stream ends where it should not */
	VID_ENOMEM = -4,
	VID_EINVAL = -5,     /* bad argument from the caller */
	VID_ELIMIT = -6,     /* a size over a cap (dimensions, label count) */
	VID_ESTOP = -7,      /* the frame callback asked to stop */
	VID_ENOFRAMES = -8,  /* the stream holds no frame to select */
	VID_ELABELS = -9     /* action-label file malformed or out of order */
};
/* Short text for a VID_E* code. */
const char *vid_strerror(int code);

/* Caps on untrusted sizes: source and output frames, labels. */
#define VID_MAX_DIM 16384u
#define VID_MAX_OUT_DIM 8192u
#define VID_MAX_ACTION_ID 65535u
#define VID_MAX_LABELS (1u << 24)

/* Scalers: the swscale algorithm, as scale=...:flags=NAME. */
enum vid_scaler { VID_SCALE_AREA = 0, VID_SCALE_BILINEAR, VID_SCALE_BICUBIC,
                  VID_SCALE_LANCZOS, VID_SCALE_NEIGHBOR };
/* How the source aspect meets the output size. */
enum vid_fit { VID_FIT_STRETCH = 0, VID_FIT_CROP, VID_FIT_LETTERBOX };

/* Name <-> value ("area", "stretch"); parse returns -1 for an unknown name. */
const char *vid_scaler_name(int scaler);
int vid_scaler_parse(const char *name);
const char *vid_fit_name(int fit);
int vid_fit_parse(const char *name);

/* ---- the fps filter's selection rule (video_select.c, no ffmpeg types) ----
 * A port of the rule of libavfilter's fps filter (round=near, no start_time,
 * eof_action=round): input timestamps already rescaled to the output time
 * base 1/R with round-to-nearest (ties away from zero). Output tick n shows
 * the last input frame whose timestamp is <= n; ticks start at the first
 * frame's timestamp; a frame is dropped once the next one is acceptable; at
 * end of stream frames at or after the end timestamp are dropped. */
#define VID_NOPTS INT64_MIN
typedef struct vid_fps {
	int64_t next;          /* next output tick, VID_NOPTS until the first frame */
	int n;                 /* buffered frames (0..2) */
	int64_t pts[2];        /* their timestamps (output time base) */
	uint64_t id[2];        /* their sequence numbers */
	int eof;
	int64_t eof_pts;
} vid_fps;
/* Called for every output tick: frame `id` is shown at tick `tick`. */
typedef int (*vid_fps_emit)(void *ud, uint64_t id, int64_t tick);
void vid_fps_init(vid_fps *s);
/* Feed the next frame (sequence number id, timestamp pts). emit may be
 * called for buffered frames; a non-zero return from emit is returned. */
int vid_fps_push(vid_fps *s, uint64_t id, int64_t pts, vid_fps_emit emit, void *ud);
/* End of stream at eof_pts (output time base): flushes the buffer. */
int vid_fps_eof(vid_fps *s, int64_t eof_pts, vid_fps_emit emit, void *ud);
/* Sequence number of the oldest frame still buffered (frames before it will
 * never be emitted again); UINT64_MAX when none is buffered. */
uint64_t vid_fps_oldest(const vid_fps *s);
/* a * bn / bd rounded to nearest, ties away from zero (av_rescale_rnd with
 * AV_ROUND_NEAR_INF); VID_NOPTS passes through. bn, bd > 0. */
int64_t vid_rescale(int64_t a, int64_t bn, int64_t bd);

/* ---- action labels (video_actions.c) ------------------------------------
 * Text, one label a line: "t_seconds action_id [name]"; '#' starts a comment,
 * blank lines are skipped. Times are >= 0 and non-decreasing; ids are
 * <= VID_MAX_ACTION_ID; an id keeps one name. The action of a frame is the
 * last label at or before the frame's time; frames before the first label
 * get action 0. */
typedef struct vid_labels vid_labels;
/* Parse a buffer (name is used in messages). On error returns VID_ELABELS or
 * VID_ELIMIT/VID_ENOMEM, with "name: line N: ..." in err. */
int vid_labels_parse(const char *buf, size_t len, const char *name,
                     vid_labels **out, char *err, size_t errlen);
void vid_labels_free(vid_labels *l);   /* NULL ok */
size_t vid_labels_count(const vid_labels *l);
/* Largest id seen + 1 (at least 1: id 0 is "no label yet"). */
uint32_t vid_labels_vocab(const vid_labels *l);
/* Name of an id, or NULL when the file gives none. */
const char *vid_labels_name(const vid_labels *l, uint32_t id);
/* Label i: time and id. */
double vid_labels_time(const vid_labels *l, size_t i);
uint32_t vid_labels_id(const vid_labels *l, size_t i);
/* Action at time t seconds: the last label with time <= t, else 0. O(log n). */
uint32_t vid_labels_at(const vid_labels *l, double t);

/* ---- window index (video_select.c) ---------------------------------------
 * Windows of T consecutive frames, first frames 0, stride, 2*stride, ...
 * inside one episode of n frames: count = n >= T ? (n - T) / stride + 1 : 0. */
uint64_t vid_windows_in(uint64_t n, uint64_t T, uint64_t stride);

/* ---- reading a video (video_ffmpeg.c) ------------------------------------ */
typedef struct vid_reader vid_reader;

typedef struct vid_info {
	char format[64];        /* container (libavformat short name) */
	char codec[64];         /* video codec name */
	char pix_fmt[32];
	int stream_index;       /* the video stream used (best by libavformat) */
	int nb_streams;
	uint32_t width, height;
	int64_t fps_num, fps_den;      /* average frame rate (0/0 unknown) */
	int64_t tb_num, tb_den;        /* stream time base */
	double duration;               /* seconds (container), < 0 unknown */
	double start_time;             /* container start time, seconds */
	int64_t nb_frames;             /* container's frame count, 0 unknown */
	int64_t bit_rate;
} vid_info;

/* Open a file and find its video stream. Returns VID_EIO (cannot open),
 * VID_EFORMAT (not a container, or no video stream), VID_ELIMIT (frame
 * larger than VID_MAX_DIM). On error *out is NULL and err holds the detail. */
int vid_open(const char *path, vid_reader **out, char *err, size_t errlen);
/* The same from memory (kept, not copied, until vid_close); name is used in
 * messages. For fuzzing and for callers that hold the bytes already. */
int vid_open_mem(const void *data, size_t size, const char *name, vid_reader **out, char *err, size_t errlen);
void vid_close(vid_reader *r);    /* NULL ok */
const vid_info *vid_reader_info(const vid_reader *r);
/* Detail of the last error on this handle ("" if none). */
const char *vid_errmsg(const vid_reader *r);

/* Count the video packets (= frames for every common codec) by demuxing
 * without decoding; also the last timestamp. Rewinds afterwards. */
int vid_count_packets(vid_reader *r, uint64_t *packets, double *last_time);

typedef struct vid_opts {
	int64_t fps_num, fps_den;   /* output rate R (> 0) */
	uint32_t width, height;     /* output size, 1..VID_MAX_OUT_DIM */
	int scaler;                 /* enum vid_scaler */
	int fit;                    /* enum vid_fit */
	int threads;                /* 0 = one per online CPU; 1 = the sequential
	                               path (one frame-threaded decoder, exactly the
	                               CLI's order of work) */
} vid_opts;

/* One selected output frame: packed RGB24, width*height*3 bytes, valid only
 * during the call. index counts output frames from 0; time is the source
 * frame's presentation time in seconds on the CLI's timeline (container
 * start time subtracted). Return non-zero to stop (vid_extract then returns
 * VID_ESTOP). Called from the thread that called vid_extract, in order. */
typedef int (*vid_frame_cb)(void *ud, const uint8_t *rgb, uint64_t index, double time);

/* Statistics of one extraction. */
typedef struct vid_stats {
	uint64_t packets;         /* video packets read */
	uint64_t decoded;         /* frames the decoder returned */
	uint64_t skipped;         /* frames not decoded (non-reference, not selected) */
	uint64_t selected;        /* distinct source frames selected */
	uint64_t output;          /* output frames (selected + duplicates) */
	uint64_t decode_errors;   /* packets the decoder rejected (each ends the extraction with VID_EDECODE) */
	int parallel;             /* 1 when independent GOPs were decoded in parallel */
	int chunks;               /* independently decoded pieces */
} vid_stats;

/* Decode the whole video stream from the start, select frames at o->fps
 * exactly as the fps filter does, scale them as the scale filter does, and
 * hand each to cb in order. The parallel path (o->threads != 1) is used only
 * when the stream can be cut into independent pieces (closed GOPs starting
 * at an IDR/IRAP or a true key frame, every packet timestamped, timestamps
 * unique); frames are the same on either path. stats may be NULL.
 * VID_EFORMAT: the stream carries no timestamps at all (a raw elementary
 * stream such as .h264), so there is no time to select frames by. */
int vid_extract(vid_reader *r, const vid_opts *o, vid_frame_cb cb, void *ud, vid_stats *stats);

/* ---- PNG (video_png.c) ---------------------------------------------------- */
/* Encode packed RGB24 (stride bytes a row) as PNG with libavcodec's encoder.
 * *out is malloc'd (free with vid_free). */
int vid_png_encode(const uint8_t *rgb, uint32_t width, uint32_t height, size_t stride,
                   uint8_t **out, size_t *len);
void vid_free(void *p);

/* Silence libav*'s own log output (process-wide: libav's log level is a
 * global). Tools call this once, as they give their own messages. */
void vid_quiet_libav(void);

/* Versions of the libav* libraries linked in, as
 * "libavformat 59.27.100, libavcodec ...", into buf (always terminated). */
void vid_lib_versions(char *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif
