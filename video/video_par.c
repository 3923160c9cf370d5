/*
 * video_par.c - the parallel extraction path. A first pass reads only packet
 * timestamps (no decoding), runs the fps rule on them and cuts the stream
 * into closed pieces that each start at a true random-access point; worker
 * threads then decode pieces independently (one single-threaded decoder
 * each), skip non-reference frames the rule will not show, and scale the
 * frames it will; the calling thread hands them out in order. Every decoded
 * timestamp is checked against the first pass, so a stream that does not
 * behave as predicted is an error, never a silently different frame.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "video_internal.h"

#define MAX_PACKETS (1u << 25)     /* ~6 days at 60 fps (800 MiB of index); longer streams go sequential */
#define MIN_CHUNK 24               /* packets: below this a piece is not worth a flush */
#define PIECE_MEMORY (1ull << 30)  /* bytes of decoded output pieces may hold at once */

typedef struct pk {
	int64_t pts, dur;
	uint32_t count;          /* output ticks showing this frame (0 = not selected) */
	uint8_t ra;              /* random-access point */
	uint8_t hidden;          /* decoded but never shown (edit list: AV_PKT_FLAG_DISCARD) */
} pk;

enum { C_EMPTY, C_QUEUED, C_DONE };

typedef struct chunk {
	size_t a, b;             /* packet range in decode order */
	AVPacket **pkts;
	int64_t *pts;            /* all timestamps of the piece, sorted */
	size_t *sel;             /* packet indices of the selected frames, in pts order */
	size_t nsel;
	uint8_t *rgb;            /* nsel frames of W*H*3 */
	uint8_t *got;
	int state, rc;
	uint64_t decoded, skipped;
	char err[512];
} chunk;

typedef struct par {
	vid_reader *r;
	const vid_opts *o;
	pk *p;
	size_t n;
	int64_t first_dts_raw;   /* first video packet as demuxed (for rewinding) */
	int first_size;
	chunk *c;
	size_t nc;
	size_t published, next_job;
	int stop, threads_per_decoder, nworkers;
	pthread_mutex_t mu;
	pthread_cond_t cv;
} par;

int vid__random_access(const vid_reader *r, const AVPacket *pkt)
{
	const AVCodecParameters *par = r->st->codecpar;
	const uint8_t *d = pkt->data;
	size_t n = (size_t)pkt->size;
	int h264 = par->codec_id == AV_CODEC_ID_H264, hevc = par->codec_id == AV_CODEC_ID_HEVC;
	if (h264 || hevc) {
		/* Look at the NAL unit types: an H.264 IDR (5) or an HEVC IRAP
		 * (16..21) clears every reference. Length-prefixed (avcC/hvcC)
		 * or Annex B start codes. */
		const uint8_t *x = par->extradata;
		int lsize = 0;
		if (h264 && par->extradata_size >= 7 && x[0] == 1)
			lsize = (x[4] & 3) + 1;
		if (hevc && par->extradata_size >= 23 && x[0] == 1)
			lsize = (x[21] & 3) + 1;
		size_t i = 0;
		while (i < n) {
			size_t start;
			if (lsize) {
				if (n - i < (size_t)lsize)
					return 0;
				size_t len = 0;
				for (int k = 0; k < lsize; k++)
					len = len << 8 | d[i + k];
				start = i + lsize;
				if (len == 0 || len > n - start)
					return 0;
				i = start + len;
			} else {
				while (i + 3 <= n && !(d[i] == 0 && d[i + 1] == 0 && d[i + 2] == 1))
					i++;
				if (i + 3 >= n)
					return 0;
				start = i + 3;
				i = start;
			}
			int t = h264 ? (d[start] & 0x1f) : ((d[start] >> 1) & 0x3f);
			if (h264 && t == 5)
				return 1;
			if (hevc && t >= 16 && t <= 21)
				return 1;
		}
		return 0;
	}
	if (!(pkt->flags & AV_PKT_FLAG_KEY))
		return 0;
	switch (par->codec_id) {
	/* key frames of these reset every reference; open GOPs (leading frames
	 * shown before the key frame) are caught by the timestamp check. Not
	 * MPEG-4 part 2: AVI "packed B-frames" put two frames in one packet. */
	case AV_CODEC_ID_VP8: case AV_CODEC_ID_VP9: case AV_CODEC_ID_MPEG1VIDEO:
	case AV_CODEC_ID_MPEG2VIDEO:
		return 1;
	default:
		break;
	}
	const AVCodecDescriptor *cd = avcodec_descriptor_get(par->codec_id);
	return cd && (cd->props & AV_CODEC_PROP_INTRA_ONLY);
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

/* Pass 1: every packet's timestamp, duration and random-access flag. */
static int index_packets(par *P)
{
	vid_reader *r = P->r;
	AVPacket *pkt = av_packet_alloc();
	if (!pkt)
		return vid__fail(r, VID_ENOMEM, "%s: out of memory", r->path);
	size_t cap = 0;
	int ret, rc = 0;
	int64_t any_end = AV_NOPTS_VALUE, end_pos = -1;
	while ((ret = av_read_frame(r->fmt, pkt)) >= 0) {
		vid__track_end(r, pkt, &any_end);
		if (pkt->stream_index == r->si) {
			vid__shift_packet(r, pkt);
			end_pos = pkt->pos >= 0 ? pkt->pos + pkt->size : -1;
			/* unsuited: no time (the decoder would guess one), damage, too many */
			if (pkt->pts == AV_NOPTS_VALUE || P->n >= MAX_PACKETS || (pkt->flags & AV_PKT_FLAG_CORRUPT)) {
				rc = 1;
				av_packet_unref(pkt);
				break;
			}
			if (P->n == cap) {
				cap = cap ? cap * 2 : 4096;
				pk *np = realloc(P->p, cap * sizeof *np);
				if (!np) {
					rc = vid__fail(r, VID_ENOMEM, "%s: out of memory", r->path);
					av_packet_unref(pkt);
					break;
				}
				P->p = np;
			}
			if (P->n == 0) {
				P->first_dts_raw = pkt->dts == AV_NOPTS_VALUE ? AV_NOPTS_VALUE : pkt->dts - r->ts_off;
				P->first_size = pkt->size;
			}
			pk *k = &P->p[P->n++];
			k->pts = pkt->pts;
			k->dur = pkt->duration;
			k->count = 0;
			k->ra = (uint8_t)vid__random_access(r, pkt);
			/* libavcodec decodes these (later frames may refer to them) but
			 * never returns them, so the fps filter never sees them */
			k->hidden = (pkt->flags & AV_PKT_FLAG_DISCARD) != 0;
		}
		av_packet_unref(pkt);
	}
	av_packet_free(&pkt);
	int64_t last_end = AV_NOPTS_VALUE;
	for (size_t i = 0; !rc && i < P->n; i++)
		if (P->p[i].pts + (P->p[i].dur > 0 ? P->p[i].dur : 0) > last_end)
			last_end = P->p[i].pts + (P->p[i].dur > 0 ? P->p[i].dur : 0);
	if (!rc && (ret != AVERROR_EOF || vid__check_complete(r, P->n, last_end, any_end, end_pos)))
		rc = 1;    /* read error or truncation: the sequential path reports it where it happens */
	return rc;
}

typedef struct selctx { par *P; size_t *order; uint64_t last, dups; int rc; } selctx;

static int sel_emit(void *ud, uint64_t id, int64_t tick)
{
	selctx *s = ud;
	(void)tick;
	size_t k = s->order[id];
	if (id == s->last && ++s->dups > (uint64_t)(3600 * s->P->o->fps_num / s->P->o->fps_den + 1))
		return s->rc = vid__fail(s->P->r, VID_ELIMIT, "%s: timestamp gap of over an hour at %.3f s",
		                         s->P->r->path, s->P->p[k].pts * av_q2d(s->P->r->st->time_base));
	if (id != s->last)
		s->dups = 0;
	s->last = id;
	s->P->p[k].count++;
	return 0;
}

static int cmp_by_pts(const void *a, const void *b, void *ud)
{
	const pk *p = ud;
	int64_t x = p[*(const size_t *)a].pts, y = p[*(const size_t *)b].pts;
	return x < y ? -1 : x > y;
}

/* Run the fps rule on the timestamps in presentation order, as the filter
 * will see them; cut the stream into closed pieces. Returns 1 if unsuited. */
static int plan(par *P, size_t *order)
{
	vid_reader *r = P->r;
	size_t n = P->n, shown = 0;
	for (size_t i = 0; i < n; i++)
		if (!P->p[i].hidden)
			order[shown++] = i;
	if (shown == 0)
		return 1;
	qsort_r(order, shown, sizeof *order, cmp_by_pts, P->p);
	for (size_t i = 1; i < shown; i++)
		if (P->p[order[i]].pts == P->p[order[i - 1]].pts)
			return 1;   /* equal times: the decoder's output order decides */
	size_t last = order[shown - 1];
	if (P->p[last].dur <= 0)
		return 1;
	vid_fps fps;
	vid_fps_init(&fps);
	selctx s = { .P = P, .order = order, .last = UINT64_MAX };
	for (size_t i = 0; i < shown; i++)
		if (vid_fps_push(&fps, i, vid__tick(r, P->o, P->p[order[i]].pts), sel_emit, &s))
			return s.rc;
	int64_t next_us = av_rescale_q(P->p[last].pts, r->st->time_base, AV_TIME_BASE_Q) +
	                  vid__frame_dur_us(r, NULL, P->p[last].dur);
	if (vid_fps_eof(&fps, vid__eof_tick(r, P->o, next_us), sel_emit, &s))
		return s.rc;

	/* Pieces: start at random-access packets where everything before is
	 * shown earlier and everything after later (closed GOP). */
	int64_t *sufmin = malloc(n * sizeof *sufmin);
	size_t *starts = malloc((n + 1) * sizeof *starts);
	if (!sufmin || !starts) {
		free(sufmin);
		free(starts);
		return vid__fail(r, VID_ENOMEM, "%s: out of memory", r->path);
	}
	sufmin[n - 1] = P->p[n - 1].pts;
	for (size_t i = n - 1; i-- > 0;)
		sufmin[i] = P->p[i].pts < sufmin[i + 1] ? P->p[i].pts : sufmin[i + 1];
	size_t ns = 0;
	starts[ns++] = 0;
	int64_t premax = P->p[0].pts;
	for (size_t i = 1; i < n; i++) {
		if (P->p[i].ra && premax < P->p[i].pts && sufmin[i] >= P->p[i].pts &&
		    i - starts[ns - 1] >= MIN_CHUNK && n - i >= MIN_CHUNK)
			starts[ns++] = i;
		if (P->p[i].pts > premax)
			premax = P->p[i].pts;
	}
	free(sufmin);
	P->c = calloc(ns, sizeof *P->c);
	if (!P->c) {
		free(starts);
		return vid__fail(r, VID_ENOMEM, "%s: out of memory", r->path);
	}
	P->nc = ns;
	for (size_t k = 0; k < ns; k++) {
		P->c[k].a = starts[k];
		P->c[k].b = k + 1 < ns ? starts[k + 1] : n;
	}
	free(starts);
	return 0;
}

static void chunk_free(chunk *c)
{
	for (size_t i = 0; c->pkts && i < c->b - c->a; i++)
		av_packet_free(&c->pkts[i]);
	free(c->pkts);
	free(c->pts);
	free(c->sel);
	free(c->rgb);
	free(c->got);
	c->pkts = NULL;
	c->pts = NULL;
	c->sel = NULL;
	c->rgb = NULL;
	c->got = NULL;
}

/* Prepare a piece's tables: its sorted timestamps and selected frames. */
static int chunk_prepare(par *P, chunk *c)
{
	size_t m = c->b - c->a, fb = (size_t)P->o->width * P->o->height * 3;
	c->pkts = calloc(m, sizeof *c->pkts);
	c->pts = malloc(m * sizeof *c->pts);
	c->sel = malloc(m * sizeof *c->sel);
	if (!c->pkts || !c->pts || !c->sel)
		return VID_ENOMEM;
	c->nsel = 0;
	for (size_t i = 0; i < m; i++) {
		c->pts[i] = P->p[c->a + i].pts;
		if (P->p[c->a + i].count)
			c->sel[c->nsel++] = c->a + i;
	}
	qsort(c->pts, m, sizeof *c->pts, cmp_i64);
	qsort_r(c->sel, c->nsel, sizeof *c->sel, cmp_by_pts, P->p);
	if (c->nsel) {
		c->rgb = malloc(c->nsel * fb);
		c->got = calloc(c->nsel, 1);
		if (!c->rgb || !c->got)
			return VID_ENOMEM;
	}
	return 0;
}

static int cfail(chunk *c, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int cfail(chunk *c, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->err, sizeof c->err, fmt, ap);
	va_end(ap);
	return code;
}

/* A decoded frame: check its time belongs to the piece, keep it if shown. */
static int take_frame(par *P, vid_reader *wr, vid_scaler_ctx *sc, chunk *c, AVFrame *fr, int64_t *prev)
{
	int64_t ts = vid__frame_ts(fr);
	double t = ts * av_q2d(wr->st->time_base);
	size_t m = c->b - c->a;
	int64_t *hit = ts == AV_NOPTS_VALUE ? NULL : bsearch(&ts, c->pts, m, sizeof *c->pts, cmp_i64);
	if (!hit || (*prev != AV_NOPTS_VALUE && ts <= *prev))
		return cfail(c, VID_EDECODE, "%s: decoded frame at %.6f s does not match the packet timestamps "
		             "(rerun with --threads 1)", wr->path, t);
	*prev = ts;
	c->decoded++;
	size_t lo = 0, hi = c->nsel;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (P->p[c->sel[mid]].pts < ts)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == c->nsel || P->p[c->sel[lo]].pts != ts)
		return 0;
	int rc = vid__scale(wr, sc, fr);
	if (rc)
		return cfail(c, rc, "%s", wr->err);
	memcpy(c->rgb + lo * (size_t)P->o->width * P->o->height * 3, sc->packed, (size_t)P->o->width * P->o->height * 3);
	c->got[lo] = 1;
	return 0;
}

static int decode_chunk(par *P, vid_reader *wr, AVCodecContext *dec, vid_scaler_ctx *sc, AVFrame *fr, chunk *c)
{
	int64_t prev = AV_NOPTS_VALUE;
	size_t m = c->b - c->a, end = 0;
	int rc = 0;
	/* Packets after the last one that is shown (in decode order) can only
	 * matter to frames decoded later in this piece, none of them shown, and
	 * the next piece starts afresh: they are not sent at all. A piece with
	 * nothing shown is not decoded. */
	for (size_t i = 0; i < m; i++)
		if (P->p[c->a + i].count)
			end = i + 1;
	/* Except at the very end: a file cut inside its last frame shows only
	 * when that partial packet is decoded (the demuxer cannot tell, e.g.
	 * an MPEG-TS PES of unbounded length), so the last piece is sent to its
	 * end and the stream's last packet is never skipped. The cost is the
	 * reference frames after the last shown one, once per video. */
	int last_piece = c->b == P->n;
	if (last_piece)
		end = m;
	for (size_t i = 0; i <= end && end && !rc; i++) {
		int ret;
		/* Where a failure is reported: the packet sent last. */
		double near = vid__seconds(P->p[c->a + (i < end ? i : end - 1)].pts, wr->st->time_base);
		if (i < end) {
			/* Frames nobody will see and nobody refers to need no decoding
			 * (the decoder decides what is a reference: AVDISCARD_NONREF). */
			int skip = i > 0 && P->p[c->a + i].count == 0 && !(last_piece && i == m - 1);
			dec->skip_frame = skip ? AVDISCARD_NONREF : AVDISCARD_DEFAULT;
			ret = avcodec_send_packet(dec, c->pkts[i]);
		} else {
			ret = avcodec_send_packet(dec, NULL);
		}
		if (ret < 0 && ret != AVERROR_EOF)
			rc = cfail(c, VID_EDECODE, "%s: cannot decode the packet at %.3f s (truncated or damaged file?)", wr->path, near);
		while (!rc) {
			ret = avcodec_receive_frame(dec, fr);
			if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF)
				break;
			if (ret < 0) {
				rc = cfail(c, VID_EDECODE, "%s: decoding failed near %.3f s (truncated or damaged file?)", wr->path, near);
				break;
			}
			if (vid__frame_damaged(fr)) {
				int64_t ts = vid__frame_ts(fr);
				rc = cfail(c, VID_EDECODE, "%s: the frame at %.3f s decoded with errors (damaged or truncated file)", wr->path,
				           ts != AV_NOPTS_VALUE ? vid__seconds(ts, wr->st->time_base) : near);
				break;
			}
			rc = take_frame(P, wr, sc, c, fr, &prev);
			av_frame_unref(fr);
		}
	}
	avcodec_flush_buffers(dec);
	c->skipped = m - c->decoded;
	for (size_t k = 0; !rc && k < c->nsel; k++)
		if (!c->got[k])
			rc = cfail(c, VID_EDECODE, "%s: the frame at %.6f s was not decoded (rerun with --threads 1)",
			           wr->path, P->p[c->sel[k]].pts * av_q2d(wr->st->time_base));
	/* packets are no longer needed once decoded */
	for (size_t i = 0; i < m; i++)
		av_packet_free(&c->pkts[i]);
	return rc;
}

static void *worker(void *arg)
{
	par *P = arg;
	vid_reader wr = *P->r;     /* private copy: own error buffer; shares read-only stream data */
	AVCodecContext *dec = NULL, *dec_mt = NULL;
	AVFrame *fr = av_frame_alloc();
	vid_scaler_ctx sc;
	vid__scaler_init(&sc, P->o);
	for (;;) {
		pthread_mutex_lock(&P->mu);
		while (!P->stop && P->next_job >= P->published)
			pthread_cond_wait(&P->cv, &P->mu);
		if (P->stop && P->next_job >= P->published) {
			pthread_mutex_unlock(&P->mu);
			break;
		}
		chunk *c = &P->c[P->next_job++];
		/* The last pieces would leave cores idle while one worker finishes:
		 * decode them with FFmpeg's frame threads instead (same frames). */
		int tail = P->threads_per_decoder == 1 && P->nc - P->next_job + 1 < (size_t)P->nworkers;
		pthread_mutex_unlock(&P->mu);
		AVCodecContext **use = tail ? &dec_mt : &dec;
		int rc = 0;
		if (!fr)
			rc = cfail(c, VID_ENOMEM, "%s: out of memory", wr.path);
		if (!rc && !*use && vid__open_decoder(&wr, tail ? P->nworkers : P->threads_per_decoder, use))
			rc = cfail(c, VID_EDECODE, "%s", wr.err);
		if (!rc)
			rc = decode_chunk(P, &wr, *use, &sc, fr, c);
		pthread_mutex_lock(&P->mu);
		c->rc = rc;
		c->state = C_DONE;
		pthread_cond_broadcast(&P->cv);
		pthread_mutex_unlock(&P->mu);
	}
	avcodec_free_context(&dec);
	avcodec_free_context(&dec_mt);
	av_frame_free(&fr);
	vid__scaler_free(&sc);
	return NULL;
}

/* Hand a finished piece's frames to the caller, in order. */
static int emit_chunk(par *P, chunk *c, vid_frame_cb cb, void *ud, uint64_t *index, vid_stats *st)
{
	size_t fb = (size_t)P->o->width * P->o->height * 3;
	st->decoded += c->decoded;
	st->skipped += c->skipped;
	for (size_t k = 0; k < c->nsel; k++) {
		const pk *p = &P->p[c->sel[k]];
		double t = vid__seconds(p->pts, P->r->st->time_base);
		st->selected++;
		for (uint32_t j = 0; j < p->count; j++) {
			st->output++;
			if (cb(ud, c->rgb + k * fb, (*index)++, t))
				return vid__fail(P->r, VID_ESTOP, "%s: stopped", P->r->path);
		}
	}
	return 0;
}

/* Back to the first video packet for the second pass. Seeking in the index
 * of MP4 or Matroska saves reopening the file (and probing its streams
 * again); the first packet read back must be the one pass 1 saw, else the
 * file is reopened. The packet read is returned in pkt (kept for pass 2). */
static int rewind_input(par *P, AVPacket *pkt, int *have)
{
	vid_reader *r = P->r;
	const char *name = r->fmt->iformat->name;
	*have = 0;
	if (P->first_dts_raw != AV_NOPTS_VALUE && (strstr(name, "mp4") || strstr(name, "matroska")) &&
	    avformat_seek_file(r->fmt, r->si, INT64_MIN, P->first_dts_raw, P->first_dts_raw, 0) >= 0) {
		int ret;
		while ((ret = av_read_frame(r->fmt, pkt)) >= 0 && pkt->stream_index != r->si)
			av_packet_unref(pkt);
		if (ret >= 0) {
			vid__shift_packet(r, pkt);
			if (pkt->pts == P->p[0].pts && pkt->size == P->first_size) {
				*have = 1;
				return 0;
			}
			av_packet_unref(pkt);
		}
	}
	return vid__reopen(r);
}

int vid__extract_parallel(vid_reader *r, const vid_opts *o, int threads,
                          vid_frame_cb cb, void *ud, vid_stats *st)
{
	par P = { .r = r, .o = o };
	size_t *order = NULL;
	int rc = index_packets(&P);
	if (!rc && P.n == 0)
		rc = 1;
	if (!rc) {
		order = malloc(P.n * sizeof *order);
		rc = order ? plan(&P, order) : vid__fail(r, VID_ENOMEM, "%s: out of memory", r->path);
	}
	free(order);
	if (!rc) {
		/* Pieces hold their selected frames until handed out: with very long
		 * GOPs at large sizes that is too much memory; go sequential then. */
		size_t fb = (size_t)o->width * o->height * 3, worst = 0;
		for (size_t k = 0; k < P.nc; k++) {
			size_t sel = 0;
			for (size_t i = P.c[k].a; i < P.c[k].b; i++)
				sel += P.p[i].count != 0;
			if (sel > worst)
				worst = sel;
		}
		if ((double)worst * fb * (2.0 * threads + 1) > (double)PIECE_MEMORY)
			rc = 1;
	}
	if (rc) {
		free(P.p);
		free(P.c);
		return rc;
	}
	AVPacket *pkt = av_packet_alloc();
	int have = 0;
	rc = pkt ? rewind_input(&P, pkt, &have) : vid__fail(r, VID_ENOMEM, "%s: out of memory", r->path);
	if (rc) {
		av_packet_free(&pkt);
		free(P.p);
		free(P.c);
		return rc;
	}
	/* One piece: a frame-threaded decoder (as the CLI's) still gains the
	 * skipped frames. Several: one plain decoder per worker. */
	int nw = threads;
	if ((size_t)nw > P.nc)
		nw = (int)P.nc;
	P.threads_per_decoder = P.nc == 1 ? 0 : 1;
	P.nworkers = nw;
	st->parallel = P.nc > 1;
	st->chunks = (int)P.nc;
	pthread_mutex_init(&P.mu, NULL);
	pthread_cond_init(&P.cv, NULL);
	pthread_t *tid = calloc((size_t)nw, sizeof *tid);
	int started = 0;
	if (!tid)
		rc = vid__fail(r, VID_ENOMEM, "%s: out of memory", r->path);
	for (int i = 0; !rc && i < nw; i++) {
		if (pthread_create(&tid[i], NULL, worker, &P))
			rc = vid__fail(r, VID_ENOMEM, "%s: cannot start a thread", r->path);
		else
			started++;
	}
	/* Read pieces ahead of the workers (bounded), emit finished ones in order. */
	size_t max_ahead = (size_t)nw * 2 + 1, emitted = 0;
	uint64_t index = 0;
	for (size_t k = 0; k < P.nc && !rc; k++) {
		chunk *c = &P.c[k];
		if (chunk_prepare(&P, c)) {
			rc = vid__fail(r, VID_ENOMEM, "%s: out of memory", r->path);
			break;
		}
		for (size_t i = c->a; i < c->b && !rc; i++) {
			int ret = 0;
			if (have) {
				have = 0;   /* the packet rewind_input read back (already shifted) */
			} else {
				while ((ret = av_read_frame(r->fmt, pkt)) >= 0 && pkt->stream_index != r->si)
					av_packet_unref(pkt);
				if (ret < 0) {
					rc = vid__fail(r, VID_EIO, "%s: packet %zu vanished on the second read", r->path, i);
					break;
				}
				vid__shift_packet(r, pkt);
			}
			if (pkt->pts != P.p[i].pts) {
				av_packet_unref(pkt);
				rc = vid__fail(r, VID_EIO, "%s: packet %zu changed on the second read", r->path, i);
				break;
			}
			st->packets++;
			c->pkts[i - c->a] = av_packet_clone(pkt);
			av_packet_unref(pkt);
			if (!c->pkts[i - c->a])
				rc = vid__fail(r, VID_ENOMEM, "%s: out of memory", r->path);
		}
		if (rc)
			break;
		pthread_mutex_lock(&P.mu);
		c->state = C_QUEUED;
		P.published = k + 1;
		pthread_cond_broadcast(&P.cv);
		/* emit what is done, and wait while too far ahead */
		while (!rc && emitted < P.published &&
		       (P.c[emitted].state == C_DONE || P.published - emitted >= max_ahead)) {
			while (P.c[emitted].state != C_DONE)
				pthread_cond_wait(&P.cv, &P.mu);
			pthread_mutex_unlock(&P.mu);
			chunk *e = &P.c[emitted];
			rc = e->rc ? vid__fail(r, e->rc, "%s", e->err) : emit_chunk(&P, e, cb, ud, &index, st);
			chunk_free(e);
			emitted++;
			pthread_mutex_lock(&P.mu);
		}
		pthread_mutex_unlock(&P.mu);
	}
	pthread_mutex_lock(&P.mu);
	P.stop = 1;
	if (rc)
		P.published = P.next_job;     /* nothing more is taken */
	pthread_cond_broadcast(&P.cv);
	while (!rc && emitted < P.published) {
		while (P.c[emitted].state != C_DONE)
			pthread_cond_wait(&P.cv, &P.mu);
		pthread_mutex_unlock(&P.mu);
		chunk *e = &P.c[emitted];
		rc = e->rc ? vid__fail(r, e->rc, "%s", e->err) : emit_chunk(&P, e, cb, ud, &index, st);
		chunk_free(e);
		emitted++;
		pthread_mutex_lock(&P.mu);
	}
	pthread_mutex_unlock(&P.mu);
	for (int i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
	free(tid);
	av_packet_free(&pkt);
	for (size_t k = 0; k < P.nc; k++)
		chunk_free(&P.c[k]);
	pthread_mutex_destroy(&P.mu);
	pthread_cond_destroy(&P.cv);
	if (!rc && st->output == 0)
		rc = vid__fail(r, VID_ENOFRAMES, "%s: no frames selected", r->path);
	free(P.p);
	free(P.c);
	return rc;
}
