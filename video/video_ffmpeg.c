/*
 * video_ffmpeg.c - opening a video, the decoder and scaler set up as the
 * ffmpeg CLI sets them up, and the sequential extraction path: one
 * frame-threaded decoder, frames through the fps rule in decode-output
 * order, the selected ones scaled. The parallel path is video_par.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libavutil/cpu.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>

#include "video_internal.h"

int vid__fail(vid_reader *r, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->err, sizeof r->err, fmt, ap);
	va_end(ap);
	return code;
}

const char *vid_errmsg(const vid_reader *r)
{
	return r ? r->err : "";
}

const vid_info *vid_reader_info(const vid_reader *r)
{
	return &r->info;
}

void vid_free(void *p)
{
	av_free(p);
}

void vid_quiet_libav(void)
{
	av_log_set_level(AV_LOG_QUIET);
}

void vid_lib_versions(char *buf, size_t len)
{
	unsigned f = avformat_version(), c = avcodec_version(), s = swscale_version(), u = avutil_version();
	if (!buf || !len)
		return;
	snprintf(buf, len, "libavformat %u.%u.%u, libavcodec %u.%u.%u, libswscale %u.%u.%u, libavutil %u.%u.%u",
	         f >> 16, (f >> 8) & 255, f & 255, c >> 16, (c >> 8) & 255, c & 255,
	         s >> 16, (s >> 8) & 255, s & 255, u >> 16, (u >> 8) & 255, u & 255);
}

static void averr(int e, char *buf, size_t n)
{
	if (av_strerror(e, buf, n) < 0)
		snprintf(buf, n, "error %d", e);
}

/* Custom I/O over the caller's buffer (vid_open_mem). */
static int mem_read(void *opaque, uint8_t *buf, int n)
{
	vid_reader *r = opaque;
	size_t left = r->mem_size - r->mem_pos;
	if (left == 0)
		return AVERROR_EOF;
	if ((size_t)n > left)
		n = (int)left;
	memcpy(buf, r->mem + r->mem_pos, (size_t)n);
	r->mem_pos += (size_t)n;
	return n;
}

static int64_t mem_seek(void *opaque, int64_t off, int whence)
{
	vid_reader *r = opaque;
	int64_t base;
	switch (whence & ~AVSEEK_FORCE) {
	case AVSEEK_SIZE: return (int64_t)r->mem_size;
	case SEEK_SET: base = 0; break;
	case SEEK_CUR: base = (int64_t)r->mem_pos; break;
	case SEEK_END: base = (int64_t)r->mem_size; break;
	default: return AVERROR(EINVAL);
	}
	if (off > (int64_t)r->mem_size - base || off < -base)
		return AVERROR(EINVAL);
	r->mem_pos = (size_t)(base + off);
	return (int64_t)r->mem_pos;
}

static void close_fmt(vid_reader *r)
{
	avformat_close_input(&r->fmt);
	if (r->io) {
		av_freep(&r->io->buffer);
		avio_context_free(&r->io);
	}
}

/* Cover art (an MP3's or M4A's picture, a Matroska attachment shown as a
 * stream) is a video stream of one still image: as the CLI does, never take
 * it for the video. Returns the best stream that is not one, else -1 - best
 * (so the caller can name the picture's stream). */
static int skip_attached_pic(const vid_reader *r, int best)
{
	if (!(r->fmt->streams[best]->disposition & AV_DISPOSITION_ATTACHED_PIC))
		return best;
	for (unsigned i = 0; i < r->fmt->nb_streams; i++) {
		const AVStream *s = r->fmt->streams[i];
		if (s->codecpar->codec_type == AVMEDIA_TYPE_VIDEO && !(s->disposition & AV_DISPOSITION_ATTACHED_PIC))
			return (int)i;
	}
	return -1 - best;
}

/* Open the container and pick the stream the CLI would pick for -map 0:v
 * by default (libavformat's best video stream). */
static int open_fmt(vid_reader *r)
{
	char e[128];
	if (r->mem) {
		r->mem_pos = 0;
		uint8_t *buf = av_malloc(4096);
		r->fmt = avformat_alloc_context();
		r->io = buf ? avio_alloc_context(buf, 4096, 0, r, mem_read, NULL, mem_seek) : NULL;
		if (!r->io)
			av_free(buf);
		if (!r->fmt || !r->io)
			return vid__fail(r, VID_ENOMEM, "%s: out of memory", r->path);
		r->fmt->pb = r->io;
		r->fmt->flags |= AVFMT_FLAG_CUSTOM_IO;
	}
	int ret = avformat_open_input(&r->fmt, r->path, NULL, NULL);
	if (ret < 0) {
		averr(ret, e, sizeof e);
		if (ret == AVERROR(ENOENT) || ret == AVERROR(EACCES) || ret == AVERROR(EISDIR))
			return vid__fail(r, VID_EIO, "%s: %s", r->path, e);
		return vid__fail(r, VID_EFORMAT, "%s: not a readable video container (empty, truncated or another kind of file): %s",
		                 r->path, e);
	}
	ret = avformat_find_stream_info(r->fmt, NULL);
	if (ret < 0) {
		averr(ret, e, sizeof e);
		return vid__fail(r, VID_EFORMAT, "%s: cannot read stream information: %s", r->path, e);
	}
	ret = av_find_best_stream(r->fmt, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
	if (ret < 0)
		return vid__fail(r, VID_EFORMAT, "%s: no video stream", r->path);
	ret = skip_attached_pic(r, ret);
	if (ret < 0)
		return vid__fail(r, VID_EFORMAT, "%s: no video stream, only a still image (cover art, stream %d)",
		                 r->path, -ret - 1);
	r->si = ret;
	r->st = r->fmt->streams[ret];
	/* Only the chosen stream is decoded, but the others are still demuxed:
	 * where they end tells a cut file from a video shorter than its audio
	 * (vid__check_complete). */
	return 0;
}

static int open_any(const char *path, const void *data, size_t size, vid_reader **out, char *err, size_t errlen);

int vid_open(const char *path, vid_reader **out, char *err, size_t errlen)
{
	return open_any(path, NULL, 0, out, err, errlen);
}

int vid_open_mem(const void *data, size_t size, const char *name, vid_reader **out, char *err, size_t errlen)
{
	if (!data) {
		*out = NULL;
		if (err && errlen)
			snprintf(err, errlen, "%s: no data", name ? name : "memory");
		return VID_EINVAL;
	}
	return open_any(name ? name : "memory", data, size, out, err, errlen);
}

static int open_any(const char *path, const void *data, size_t size, vid_reader **out, char *err, size_t errlen)
{
	*out = NULL;
	vid_reader *r = calloc(1, sizeof *r);
	if (!r || !(r->path = strdup(path))) {
		free(r);
		if (err && errlen)
			snprintf(err, errlen, "%s: out of memory", path);
		return VID_ENOMEM;
	}
	r->mem = data;
	r->mem_size = size;
	int rc = open_fmt(r);
	if (rc == 0) {
		AVCodecParameters *par = r->st->codecpar;
		vid_info *in = &r->info;
		if (par->width <= 0 || par->height <= 0)
			rc = vid__fail(r, VID_EFORMAT, "%s: video stream %d has no frame size", path, r->si);
		else if ((unsigned)par->width > VID_MAX_DIM || (unsigned)par->height > VID_MAX_DIM)
			rc = vid__fail(r, VID_ELIMIT, "%s: frame size %dx%d over the limit %ux%u", path,
			               par->width, par->height, VID_MAX_DIM, VID_MAX_DIM);
		else if (!avcodec_find_decoder(par->codec_id))
			rc = vid__fail(r, VID_EFORMAT, "%s: no decoder for codec %s", path, avcodec_get_name(par->codec_id));
		if (rc == 0) {
			snprintf(in->format, sizeof in->format, "%s", r->fmt->iformat->name);
			snprintf(in->codec, sizeof in->codec, "%s", avcodec_get_name(par->codec_id));
			const char *pf = av_get_pix_fmt_name(par->format);
			snprintf(in->pix_fmt, sizeof in->pix_fmt, "%s", pf ? pf : "unknown");
			in->stream_index = r->si;
			in->nb_streams = (int)r->fmt->nb_streams;
			in->width = (uint32_t)par->width;
			in->height = (uint32_t)par->height;
			in->fps_num = r->st->avg_frame_rate.num;
			in->fps_den = r->st->avg_frame_rate.den;
			if (in->fps_den == 0)
				in->fps_num = 0;
			in->tb_num = r->st->time_base.num;
			in->tb_den = r->st->time_base.den;
			in->duration = r->fmt->duration != AV_NOPTS_VALUE ? r->fmt->duration / (double)AV_TIME_BASE : -1;
			in->start_time = r->fmt->start_time != AV_NOPTS_VALUE ? r->fmt->start_time / (double)AV_TIME_BASE : 0;
			in->nb_frames = r->st->nb_frames;
			in->bit_rate = r->fmt->bit_rate;
			/* The CLI shifts input timestamps so the container starts at
			 * 0 (ts_offset = -start_time, rounded into the stream base). */
			int64_t start = r->fmt->start_time != AV_NOPTS_VALUE ? r->fmt->start_time : 0;
			/* For formats with timestamp discontinuities (MPEG-TS...) the
			 * CLI recomputes the start from the streams it reads, here the
			 * video stream alone ("Correcting start time by ..."). */
			if (r->fmt->start_time != AV_NOPTS_VALUE && (r->fmt->iformat->flags & AVFMT_TS_DISCONT) &&
			    r->st->start_time != AV_NOPTS_VALUE) {
				int64_t vs = av_rescale_q(r->st->start_time, r->st->time_base, AV_TIME_BASE_Q);
				if (vs > start)
					start = vs;
			}
			r->ts_off = av_rescale_q(-start, AV_TIME_BASE_Q, r->st->time_base);
		}
	}
	if (rc) {
		if (err && errlen)
			snprintf(err, errlen, "%s", r->err);
		vid_close(r);
		return rc;
	}
	*out = r;
	return 0;
}

void vid_close(vid_reader *r)
{
	if (!r)
		return;
	close_fmt(r);
	free(r->path);
	free(r);
}

int vid__reopen(vid_reader *r)
{
	close_fmt(r);
	r->st = NULL;
	int si = r->si;
	int rc = open_fmt(r);
	if (rc == 0 && r->si != si)
		rc = vid__fail(r, VID_EFORMAT, "%s: the file changed while reading", r->path);
	return rc;
}

void vid__shift_packet(const vid_reader *r, AVPacket *pkt)
{
	if (pkt->pts != AV_NOPTS_VALUE)
		pkt->pts += r->ts_off;
	if (pkt->dts != AV_NOPTS_VALUE)
		pkt->dts += r->ts_off;
}

int vid_count_packets(vid_reader *r, uint64_t *packets, double *last_time)
{
	AVPacket *pkt = av_packet_alloc();
	if (!pkt)
		return vid__fail(r, VID_ENOMEM, "%s: out of memory", r->path);
	uint64_t n = 0;
	int64_t last = AV_NOPTS_VALUE;
	int ret;
	while ((ret = av_read_frame(r->fmt, pkt)) >= 0) {
		if (pkt->stream_index == r->si) {
			vid__shift_packet(r, pkt);
			n++;
			if (pkt->pts != AV_NOPTS_VALUE && (last == AV_NOPTS_VALUE || pkt->pts > last))
				last = pkt->pts;
		}
		av_packet_unref(pkt);
	}
	av_packet_free(&pkt);
	if (ret != AVERROR_EOF) {
		char e[128];
		averr(ret, e, sizeof e);
		return vid__fail(r, VID_EIO, "%s: read error after %llu packets: %s", r->path, (unsigned long long)n, e);
	}
	*packets = n;
	*last_time = last == AV_NOPTS_VALUE ? -1 : last * av_q2d(r->st->time_base);
	return vid__reopen(r);
}

int vid__open_decoder(vid_reader *r, int threads, AVCodecContext **out)
{
	const AVCodec *codec = avcodec_find_decoder(r->st->codecpar->codec_id);
	AVCodecContext *c = avcodec_alloc_context3(codec);
	if (!c)
		return vid__fail(r, VID_ENOMEM, "%s: out of memory", r->path);
	int ret = avcodec_parameters_to_context(c, r->st->codecpar);
	if (ret >= 0) {
		/* As the CLI: packet time base, frame rate hint, "threads auto". */
		c->pkt_timebase = r->st->time_base;
		c->framerate = r->st->avg_frame_rate;
		c->thread_count = threads;
		/* A bitstream error the CLI would log and conceal fails the
		 * decode here (a damaged input is an error, see the man page). */
		c->err_recognition |= AV_EF_EXPLODE;
		ret = avcodec_open2(c, codec, NULL);
	}
	if (ret < 0) {
		char e[128];
		averr(ret, e, sizeof e);
		avcodec_free_context(&c);
		return vid__fail(r, VID_EDECODE, "%s: cannot open the %s decoder: %s", r->path,
		                 avcodec_get_name(r->st->codecpar->codec_id), e);
	}
	*out = c;
	return 0;
}

void vid__track_end(const vid_reader *r, const AVPacket *pkt, int64_t *end_us)
{
	if (pkt->pts == AV_NOPTS_VALUE || pkt->stream_index < 0 || (unsigned)pkt->stream_index >= r->fmt->nb_streams)
		return;
	AVRational tb = r->fmt->streams[pkt->stream_index]->time_base;
	int64_t end = av_rescale_q(pkt->pts + (pkt->duration > 0 ? pkt->duration : 0), tb, AV_TIME_BASE_Q);
	if (r->fmt->start_time != AV_NOPTS_VALUE)
		end -= r->fmt->start_time;
	if (*end_us == AV_NOPTS_VALUE || end > *end_us)
		*end_us = end;
}

/* YUV4MPEG2 frames have a fixed size, and libavformat's demuxer ends the
 * stream without a word at a frame cut short (it cannot tell EOF from a
 * short read), nor does the frame count it derives from the file size
 * count that frame. Anything after the last whole frame is that cut frame. */
static int check_y4m_tail(vid_reader *r, int64_t end_pos)
{
	if (end_pos < 0 || strcmp(r->fmt->iformat->name, "yuv4mpegpipe") || !r->fmt->pb)
		return 0;
	int64_t size = avio_size(r->fmt->pb);
	if (size <= end_pos)
		return 0;    /* whole frames only, or a pipe (no size) */
	return vid__fail(r, VID_EDECODE, "%s: truncated: the frame at byte offset %lld is cut short (%lld bytes present)",
	                 r->path, (long long)end_pos, (long long)(size - end_pos));
}

int vid__check_complete(vid_reader *r, uint64_t packets, int64_t last_end, int64_t any_end_us, int64_t end_pos)
{
	if (check_y4m_tail(r, end_pos))
		return VID_EDECODE;
	/* A cut file often still ends cleanly for the demuxer; compare with what
	 * the container promised: its frame count, else its duration (when
	 * measured, not guessed from the bit rate), within half a second. */
	if (r->st->nb_frames > 0 && packets < (uint64_t)r->st->nb_frames)
		return vid__fail(r, VID_EDECODE, "%s: truncated: %llu of %lld frames present, the stream ends at %.3f s",
		                 r->path, (unsigned long long)packets, (long long)r->st->nb_frames,
		                 last_end == AV_NOPTS_VALUE ? 0 : last_end * av_q2d(r->st->time_base));
	double want = -1, got = last_end == AV_NOPTS_VALUE ? 0 : last_end * av_q2d(r->st->time_base);
	if (r->st->duration != AV_NOPTS_VALUE && r->st->duration > 0) {
		want = r->st->duration * av_q2d(r->st->time_base);
	} else if (r->fmt->duration != AV_NOPTS_VALUE && r->fmt->duration > 0 &&
	           r->fmt->duration_estimation_method != AVFMT_DURATION_FROM_BITRATE) {
		/* The container's duration is its longest stream's: the video may
		 * end seconds before the audio. A cut file ends every stream early,
		 * so only when none reached the end is the file short. */
		want = r->fmt->duration / (double)AV_TIME_BASE;
		if (any_end_us != AV_NOPTS_VALUE && any_end_us / (double)AV_TIME_BASE + 0.5 >= want)
			want = -1;
	}
	if (want > 0 && got + 0.5 < want)
		return vid__fail(r, VID_EDECODE, "%s: truncated: the video stream ends at %.3f s, the container says %.3f s",
		                 r->path, got, want);
	return 0;
}

int64_t vid__frame_ts(const AVFrame *f)
{
	return f->best_effort_timestamp != AV_NOPTS_VALUE ? f->best_effort_timestamp : f->pts;
}

int64_t vid__frame_dur_us(const vid_reader *r, const AVCodecContext *dec, int64_t pkt_duration)
{
	if (pkt_duration > 0)
		return av_rescale_q(pkt_duration, r->st->time_base, AV_TIME_BASE_Q);
	if (dec && dec->framerate.num > 0 && dec->framerate.den > 0)
		return (int64_t)AV_TIME_BASE * dec->framerate.den / dec->framerate.num;
	return 0;
}

int64_t vid__tick(const vid_reader *r, const vid_opts *o, int64_t ts)
{
	AVRational out_tb = { (int)o->fps_den, (int)o->fps_num };
	return av_rescale_q_rnd(ts, r->st->time_base, out_tb, AV_ROUND_NEAR_INF | AV_ROUND_PASS_MINMAX);
}

int64_t vid__eof_tick(const vid_reader *r, const vid_opts *o, int64_t next_us)
{
	/* CLI: EOF reaches the filter graph at ist->pts (µs) rescaled into the
	 * stream base; the fps filter then rescales it with its own rounding. */
	int64_t ts = av_rescale_q_rnd(next_us, AV_TIME_BASE_Q, r->st->time_base,
	                              AV_ROUND_NEAR_INF | AV_ROUND_PASS_MINMAX);
	return vid__tick(r, o, ts);
}

/* ---- scaler ------------------------------------------------------------ */

static int sws_flags_for(int scaler)
{
	switch (scaler) {
	case VID_SCALE_BILINEAR: return SWS_BILINEAR;
	case VID_SCALE_BICUBIC: return SWS_BICUBIC;
	case VID_SCALE_LANCZOS: return SWS_LANCZOS;
	case VID_SCALE_NEIGHBOR: return SWS_POINT;
	default: return SWS_AREA;
	}
}

void vid__scaler_init(vid_scaler_ctx *s, const vid_opts *o)
{
	memset(s, 0, sizeof *s);
	s->W = o->width;
	s->H = o->height;
	s->scaler = o->scaler;
	s->fit = o->fit;
	s->in_fmt = -1;
	s->cs = -1;
	s->range = -1;
}

void vid__scaler_free(vid_scaler_ctx *s)
{
	sws_freeContext(s->sws);
	av_frame_free(&s->dst);
	av_free(s->packed);
	s->sws = NULL;
	s->packed = NULL;
}

/* Geometry for the fit modes. crop: the largest centred source rectangle of
 * the output's aspect, with offsets and sizes on the chroma grid (what the
 * crop filter does for subsampled formats). letterbox: the largest picture
 * of the source's aspect inside the output, centred on black. */
static void geometry(vid_scaler_ctx *s, int w, int h, int fmt)
{
	const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(fmt);
	int hs = d ? d->log2_chroma_w : 0, vs = d ? d->log2_chroma_h : 0;
	s->cx = s->cy = 0;
	s->cw = w;
	s->ch = h;
	s->ix = s->iy = 0;
	s->iw = (int)s->W;
	s->ih = (int)s->H;
	if (s->fit == VID_FIT_CROP) {
		if ((int64_t)w * s->H > (int64_t)h * s->W)
			s->cw = (int)(((int64_t)h * s->W + s->H / 2) / s->H);
		else
			s->ch = (int)(((int64_t)w * s->H + s->W / 2) / s->W);
		s->cw &= ~((1 << hs) - 1);
		s->ch &= ~((1 << vs) - 1);
		if (s->cw < 1) s->cw = w;
		if (s->ch < 1) s->ch = h;
		s->cx = ((w - s->cw) / 2) & ~((1 << hs) - 1);
		s->cy = ((h - s->ch) / 2) & ~((1 << vs) - 1);
	} else if (s->fit == VID_FIT_LETTERBOX) {
		if ((int64_t)w * s->H > (int64_t)h * s->W)
			s->ih = (int)(((int64_t)h * s->W + w / 2) / w);
		else
			s->iw = (int)(((int64_t)w * s->H + h / 2) / h);
		if (s->iw < 1) s->iw = 1;
		if (s->ih < 1) s->ih = 1;
		s->ix = ((int)s->W - s->iw) / 2;
		s->iy = ((int)s->H - s->ih) / 2;
	}
}

/* Build swscale exactly as vf_scale (FFmpeg 5.x) does for one non-interlaced
 * context: sizes, formats, flags, params at their "default" sentinel, and the
 * MPEG-2 vertical chroma position (128) it forces for yuv420p input. */
static int build_sws(vid_reader *r, vid_scaler_ctx *s, const AVFrame *in)
{
	sws_freeContext(s->sws);
	s->sws = NULL;
	geometry(s, in->width, in->height, in->format);
	struct SwsContext *c = sws_alloc_context();
	if (!c)
		return vid__fail(r, VID_ENOMEM, "%s: out of memory", r->path);
	av_opt_set_int(c, "srcw", s->cw, 0);
	av_opt_set_int(c, "srch", s->ch, 0);
	av_opt_set_int(c, "src_format", in->format, 0);
	av_opt_set_int(c, "dstw", s->iw, 0);
	av_opt_set_int(c, "dsth", s->ih, 0);
	av_opt_set_int(c, "dst_format", AV_PIX_FMT_RGB24, 0);
	av_opt_set_int(c, "sws_flags", sws_flags_for(s->scaler), 0);
	av_opt_set_double(c, "param0", SWS_PARAM_DEFAULT, 0);
	av_opt_set_double(c, "param1", SWS_PARAM_DEFAULT, 0);
	av_opt_set_int(c, "src_h_chr_pos", -513, 0);
	av_opt_set_int(c, "src_v_chr_pos", in->format == AV_PIX_FMT_YUV420P ? 128 : -513, 0);
	av_opt_set_int(c, "dst_h_chr_pos", -513, 0);
	av_opt_set_int(c, "dst_v_chr_pos", -513, 0);
	if (sws_init_context(c, NULL, NULL) < 0) {
		sws_freeContext(c);
		return vid__fail(r, VID_EDECODE, "%s: cannot scale %s %dx%d to %dx%d", r->path,
		                 av_get_pix_fmt_name(in->format), s->cw, s->ch, s->iw, s->ih);
	}
	s->sws = c;
	s->in_w = in->width;
	s->in_h = in->height;
	s->in_fmt = in->format;
	s->cs = s->range = -1;
	/* The target the scale filter would get from libavfilter's frame pool:
	 * rows aligned to the CPU's widest SIMD. */
	av_frame_free(&s->dst);
	s->dst = av_frame_alloc();
	if (!s->dst)
		return vid__fail(r, VID_ENOMEM, "%s: out of memory", r->path);
	s->dst->format = AV_PIX_FMT_RGB24;
	s->dst->width = s->iw;
	s->dst->height = s->ih;
	if (av_frame_get_buffer(s->dst, 0) < 0)
		return vid__fail(r, VID_ENOMEM, "%s: out of memory", r->path);
	if (!s->packed) {
		s->packed = av_mallocz((size_t)s->W * s->H * 3);
		if (!s->packed)
			return vid__fail(r, VID_ENOMEM, "%s: out of memory", r->path);
	} else {
		memset(s->packed, 0, (size_t)s->W * s->H * 3);   /* letterbox bars are black */
	}
	return 0;
}

/* vf_scale sets the colour details on every frame from the frame's own tags:
 * matrix from in->colorspace (unknown or unsupported -> BT.601), range from
 * in->color_range when tagged. Re-applied only when they change, which gives
 * the same tables. */
static void apply_colour(vid_scaler_ctx *s, const AVFrame *in)
{
	int cs = in->colorspace, range = in->color_range;
	if (cs == s->cs && range == s->range)
		return;
	int *inv_table, *table, in_full, out_full, bri, con, sat;
	sws_getColorspaceDetails(s->sws, &inv_table, &in_full, &table, &out_full, &bri, &con, &sat);
	int m = cs;
	if (m < 1 || m > 10 || m == 8)
		m = AVCOL_SPC_BT470BG;
	const int *coef = sws_getCoefficients(m);
	if (range != AVCOL_RANGE_UNSPECIFIED)
		in_full = range == AVCOL_RANGE_JPEG;
	sws_setColorspaceDetails(s->sws, coef, in_full, coef, out_full, bri, con, sat);
	s->cs = cs;
	s->range = range;
}

int vid__scale(vid_reader *r, vid_scaler_ctx *s, const AVFrame *in)
{
	if (in->width <= 0 || in->height <= 0 || in->width > (int)VID_MAX_DIM || in->height > (int)VID_MAX_DIM)
		return vid__fail(r, VID_ELIMIT, "%s: decoded frame size %dx%d out of range", r->path, in->width, in->height);
	if (!s->sws || in->width != s->in_w || in->height != s->in_h || in->format != s->in_fmt) {
		int rc = build_sws(r, s, in);
		if (rc)
			return rc;
	}
	apply_colour(s, in);
	/* Crop by moving the plane pointers, as the crop filter does. */
	const uint8_t *src[4] = { 0 };
	int stride[4] = { 0 };
	const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(in->format);
	for (int p = 0; p < 4 && in->data[p]; p++) {
		int xs = s->cx, ys = s->cy;
		if (p == 1 || p == 2) {
			xs >>= d->log2_chroma_w;
			ys >>= d->log2_chroma_h;
		}
		int bytes = d->comp[0].step;
		for (int k = 0; k < d->nb_components; k++)
			if (d->comp[k].plane == p)
				bytes = d->comp[k].step;
		if ((d->flags & AV_PIX_FMT_FLAG_PAL) && p > 0) {
			/* plane 1 of a paletted frame is the palette: never offset */
			xs = ys = 0;
		} else if (d->flags & AV_PIX_FMT_FLAG_PAL) {
			bytes = 1;
		}
		src[p] = in->data[p] + (ptrdiff_t)ys * in->linesize[p] + (ptrdiff_t)xs * bytes;
		stride[p] = in->linesize[p];
	}
	int h = sws_scale(s->sws, src, stride, 0, s->ch, s->dst->data, s->dst->linesize);
	if (h != s->ih)
		return vid__fail(r, VID_EDECODE, "%s: scaling failed", r->path);
	size_t row = (size_t)s->W * 3;
	for (int y = 0; y < s->ih; y++)
		memcpy(s->packed + (size_t)(y + s->iy) * row + (size_t)s->ix * 3,
		       s->dst->data[0] + (size_t)y * s->dst->linesize[0], (size_t)s->iw * 3);
	return 0;
}

/* ---- sequential path ----------------------------------------------------- */

typedef struct seq {
	vid_reader *r;
	const vid_opts *o;
	vid_frame_cb cb;
	void *ud;
	vid_scaler_ctx sc;
	AVFrame *slot[2];          /* the fps buffer's frames, by id & 1 */
	int64_t slot_ts[2];
	uint64_t scaled_id;        /* id whose picture is in sc.packed */
	int64_t last_tick;
	uint64_t dups;             /* consecutive repeats of one frame */
	uint64_t index;
	uint64_t untimed;          /* decoded frames without a timestamp */
	vid_stats *st;
	int rc;
} seq;

/* The fps rule shows frame id at tick: scale it once, hand it out. */
static int seq_emit(void *ud, uint64_t id, int64_t tick)
{
	seq *q = ud;
	if (id != q->scaled_id) {
		int rc = vid__scale(q->r, &q->sc, q->slot[id & 1]);
		if (rc)
			return q->rc = rc;
		q->scaled_id = id;
		q->st->selected++;
		q->dups = 0;
	} else if (++q->dups > (uint64_t)(3600 * q->o->fps_num / q->o->fps_den + 1)) {
		/* A timestamp jump would otherwise repeat one frame without end. */
		return q->rc = vid__fail(q->r, VID_ELIMIT, "%s: timestamp gap of over an hour at %.3f s",
		                         q->r->path, q->slot_ts[id & 1] * av_q2d(q->r->st->time_base));
	}
	double t = q->slot_ts[id & 1] == AV_NOPTS_VALUE ? tick * (double)q->o->fps_den / q->o->fps_num
	                                                : vid__seconds(q->slot_ts[id & 1], q->r->st->time_base);
	q->st->output++;
	if (q->cb(q->ud, q->sc.packed, q->index++, t))
		return q->rc = vid__fail(q->r, VID_ESTOP, "%s: stopped", q->r->path);
	return 0;
}

static int seq_receive(seq *q, AVCodecContext *dec, AVFrame *fr, vid_fps *fps,
                       uint64_t *nid, int64_t *next_us)
{
	for (;;) {
		int ret = avcodec_receive_frame(dec, fr);
		if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF)
			return 0;
		if (ret < 0) {
			/* The CLI would report and go on; a damaged stream is an error
			 * here, so no dataset silently misses frames. */
			char e[128];
			averr(ret, e, sizeof e);
			q->st->decode_errors++;
			return vid__fail(q->r, VID_EDECODE, "%s: decoding failed after %.3f s: %s (truncated or damaged file?)",
			                 q->r->path, *next_us / 1e6, e);
		}
		q->st->decoded++;
		int64_t ts = vid__frame_ts(fr);
		q->untimed += ts == AV_NOPTS_VALUE;
		if (vid__frame_damaged(fr)) {
			q->st->decode_errors++;
			return vid__fail(q->r, VID_EDECODE, "%s: the frame at %.3f s decoded with errors (damaged or truncated file)",
			                 q->r->path, ts != AV_NOPTS_VALUE ? vid__seconds(ts, q->r->st->time_base) : *next_us / 1e6);
		}
		/* The CLI's input clock: the frame's time, then + its duration. */
		if (ts != AV_NOPTS_VALUE)
			*next_us = av_rescale_q(ts, q->r->st->time_base, AV_TIME_BASE_Q);
		*next_us += vid__frame_dur_us(q->r, dec, fr->pkt_duration);
		uint64_t id = (*nid)++;
		av_frame_unref(q->slot[id & 1]);
		av_frame_move_ref(q->slot[id & 1], fr);
		q->slot_ts[id & 1] = ts;
		int rc = vid_fps_push(fps, id, vid__tick(q->r, q->o, ts), seq_emit, q);
		if (rc)
			return rc;
	}
}

/* The fps rule selects by time; a stream with none (a raw H.264/HEVC
 * elementary stream, a bare MPEG video or MJPEG file) cannot be selected
 * from. The CLI invents times from a frame rate it guesses; here the user
 * states the rate once, in a container, and the frames are then the CLI's. */
static int no_timestamps(vid_reader *r)
{
	char rate[48] = "RATE";
	AVRational fr = r->st->avg_frame_rate;
	if (fr.num > 0 && fr.den == 1)
		snprintf(rate, sizeof rate, "%d", fr.num);
	else if (fr.num > 0 && fr.den > 0)
		snprintf(rate, sizeof rate, "%d/%d", fr.num, fr.den);
	return vid__fail(r, VID_EFORMAT, "%s: the %s stream has no timestamps (a raw elementary stream?), so frames "
	                 "cannot be selected by time; put it in a container at its frame rate first, e.g. "
	                 "ffmpeg -framerate %s -i %s -c:v libx264 -qp 0 OUT.mp4 (lossless)", r->path,
	                 r->info.codec, rate, r->path);
}

static int extract_sequential(vid_reader *r, const vid_opts *o, vid_frame_cb cb, void *ud, vid_stats *st)
{
	seq q = { .r = r, .o = o, .cb = cb, .ud = ud, .st = st, .scaled_id = UINT64_MAX };
	vid__scaler_init(&q.sc, o);
	AVCodecContext *dec = NULL;
	AVPacket *pkt = av_packet_alloc();
	AVFrame *fr = av_frame_alloc();
	q.slot[0] = av_frame_alloc();
	q.slot[1] = av_frame_alloc();
	int rc = 0;
	if (!pkt || !fr || !q.slot[0] || !q.slot[1])
		rc = vid__fail(r, VID_ENOMEM, "%s: out of memory", r->path);
	if (!rc)
		rc = vid__open_decoder(r, 0, &dec);
	vid_fps fps;
	vid_fps_init(&fps);
	uint64_t nid = 0;
	int64_t next_us = 0, last_end = AV_NOPTS_VALUE;
	int ret = 0;
	int64_t any_end = AV_NOPTS_VALUE, end_pos = -1;
	while (!rc && (ret = av_read_frame(r->fmt, pkt)) >= 0) {
		vid__track_end(r, pkt, &any_end);
		if (pkt->stream_index != r->si) {
			av_packet_unref(pkt);
			continue;
		}
		st->packets++;
		end_pos = pkt->pos >= 0 ? pkt->pos + pkt->size : -1;
		vid__shift_packet(r, pkt);
		if (pkt->pts != AV_NOPTS_VALUE && pkt->pts + (pkt->duration > 0 ? pkt->duration : 0) > last_end)
			last_end = pkt->pts + (pkt->duration > 0 ? pkt->duration : 0);
		double t = pkt->pts != AV_NOPTS_VALUE ? pkt->pts * av_q2d(r->st->time_base) : next_us / 1e6;
		if (pkt->flags & AV_PKT_FLAG_CORRUPT) {
			av_packet_unref(pkt);
			rc = vid__fail(r, VID_EDECODE, "%s: packet %llu (at %.3f s) is damaged or cut short (truncated file?)",
			               r->path, (unsigned long long)st->packets - 1, t);
			break;
		}
		ret = avcodec_send_packet(dec, pkt);
		av_packet_unref(pkt);
		if (ret < 0 && ret != AVERROR(EAGAIN)) {
			char e[128];
			averr(ret, e, sizeof e);
			st->decode_errors++;
			rc = vid__fail(r, VID_EDECODE, "%s: cannot decode the packet at %.3f s: %s (truncated or damaged file?)",
			               r->path, t, e);
			break;
		}
		rc = seq_receive(&q, dec, fr, &fps, &nid, &next_us);
	}
	if (!rc && ret != AVERROR_EOF && ret < 0) {
		char e[128];
		averr(ret, e, sizeof e);
		rc = vid__fail(r, VID_EIO, "%s: read error after %llu video packets (at %.3f s): %s", r->path,
		               (unsigned long long)st->packets, next_us / 1e6, e);
	}
	if (!rc)
		rc = vid__check_complete(r, st->packets, last_end, any_end, end_pos);
	if (!rc) {
		avcodec_send_packet(dec, NULL);
		rc = seq_receive(&q, dec, fr, &fps, &nid, &next_us);
	}
	if (!rc)
		rc = vid_fps_eof(&fps, vid__eof_tick(r, o, next_us), seq_emit, &q);
	if (!rc && q.st->output == 0 && st->decoded > 0 && q.untimed == st->decoded)
		rc = no_timestamps(r);
	if (!rc && q.st->output == 0)
		rc = vid__fail(r, VID_ENOFRAMES, "%s: no frames selected (%llu decoded)", r->path,
		               (unsigned long long)st->decoded);
	if (rc && q.rc)
		rc = q.rc;
	avcodec_free_context(&dec);
	av_packet_free(&pkt);
	av_frame_free(&fr);
	av_frame_free(&q.slot[0]);
	av_frame_free(&q.slot[1]);
	vid__scaler_free(&q.sc);
	return rc;
}

int vid_extract(vid_reader *r, const vid_opts *o, vid_frame_cb cb, void *ud, vid_stats *stats)
{
	vid_stats dummy;
	vid_stats *st = stats ? stats : &dummy;
	memset(st, 0, sizeof *st);
	if (!o || !cb || o->fps_num <= 0 || o->fps_den <= 0 || o->fps_num > INT32_MAX || o->fps_den > INT32_MAX ||
	    o->width < 1 || o->height < 1 || o->width > VID_MAX_OUT_DIM || o->height > VID_MAX_OUT_DIM ||
	    o->scaler < 0 || o->scaler > VID_SCALE_NEIGHBOR || o->fit < 0 || o->fit > VID_FIT_LETTERBOX)
		return vid__fail(r, VID_EINVAL, "%s: invalid extraction options", r->path);
	int threads = o->threads;
	if (threads <= 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		threads = n > 0 ? (int)(n > 64 ? 64 : n) : 1;
	}
	if (r->used) {
		int rc = vid__reopen(r);
		if (rc)
			return rc;
	}
	r->used = 1;
	st->chunks = 1;
	if (threads > 1) {
		int rc = vid__extract_parallel(r, o, threads, cb, ud, st);
		if (rc != 1)
			return rc;
		/* unsuited: nothing was emitted; start over on the exact path */
		memset(st, 0, sizeof *st);
		st->chunks = 1;
		rc = vid__reopen(r);
		if (rc)
			return rc;
	}
	return extract_sequential(r, o, cb, ud, st);
}
