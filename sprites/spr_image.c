/*
 * spr_image.c - decode sprite images from memory and encode PNG, through
 * libavcodec. This is the only file of libsprites that includes ffmpeg's
 * headers; everything else sees plain RGBA buffers.
 *
 * The format is sniffed from the signature (TGA has none: the name decides),
 * the declared dimensions are capped before any pixel is decoded, and the
 * common 8/16-bit layouts are converted to RGBA here exactly (libswscale only
 * handles the YUV formats of JPEG and lossy WebP).
 */
#include "sprites.h"
#include "spr_internal.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#if KILN_HAVE_FFMPEG
#include <libavcodec/avcodec.h>
#include <libavutil/imgutils.h>
#include <libavutil/log.h>
#include <libswscale/swscale.h>
#endif

int spr_image_alloc(spr_image *im, uint32_t w, uint32_t h)
{
	im->w = im->h = 0;
	im->rgba = NULL;
	if (w == 0 || h == 0 || w > SPR_MAX_DIM || h > SPR_MAX_DIM || (uint64_t)w * h > SPR_MAX_PIXELS)
		return SPR_EINVAL;
	im->rgba = calloc((size_t)w * h, 4);
	if (!im->rgba) return SPR_ENOMEM;
	im->w = w;
	im->h = h;
	return SPR_OK;
}

void spr_image_free(spr_image *im)
{
	if (!im) return;
	free(im->rgba);
	im->rgba = NULL;
	im->w = im->h = 0;
}

int spr_image_crop(const spr_image *src, uint32_t x, uint32_t y, uint32_t w, uint32_t h,
                   spr_image *out)
{
	if (x > src->w || y > src->h || w > src->w - x || h > src->h - y) return SPR_EINVAL;
	int rc = spr_image_alloc(out, w, h);
	if (rc) return rc;
	for (uint32_t r = 0; r < h; r++)
		memcpy(out->rgba + (size_t)r * w * 4, src->rgba + ((size_t)(y + r) * src->w + x) * 4,
		       (size_t)w * 4);
	return SPR_OK;
}

#if KILN_HAVE_FFMPEG

int spr_codec_available(void) { return 1; }

void spr_codec_quiet(void) { av_log_set_level(AV_LOG_QUIET); }

static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3]; }
static uint32_t le16(const uint8_t *p) { return p[0] | (uint32_t)p[1] << 8; }
static uint32_t le32(const uint8_t *p) { return le16(p) | le16(p + 2) << 16; }

static int has_suffix(const char *name, const char *suf)
{
	size_t n = name ? strlen(name) : 0, m = strlen(suf);
	return n >= m && strcasecmp(name + n - m, suf) == 0;
}

/* Pick the decoder from the signature, and read the declared size where the
 * header is simple enough (so absurd dimensions are refused before decoding;
 * AVCodecContext.max_pixels backs this up for the rest). */
static enum AVCodecID sniff(const uint8_t *d, size_t n, const char *name, uint32_t *w, uint32_t *h)
{
	*w = *h = 0;
	if (n >= 24 && memcmp(d, "\x89PNG\r\n\x1a\n", 8) == 0) {
		if (memcmp(d + 12, "IHDR", 4) == 0) { *w = be32(d + 16); *h = be32(d + 20); }
		return AV_CODEC_ID_PNG;
	}
	if (n >= 10 && (memcmp(d, "GIF87a", 6) == 0 || memcmp(d, "GIF89a", 6) == 0)) {
		*w = le16(d + 6); *h = le16(d + 8);
		return AV_CODEC_ID_GIF;
	}
	if (n >= 26 && d[0] == 'B' && d[1] == 'M') {
		int32_t bh = (int32_t)le32(d + 22);
		*w = le32(d + 18);
		*h = bh < 0 ? (uint32_t)0 - (uint32_t)bh : (uint32_t)bh;
		return AV_CODEC_ID_BMP;
	}
	if (n >= 12 && memcmp(d, "RIFF", 4) == 0 && memcmp(d + 8, "WEBP", 4) == 0)
		return AV_CODEC_ID_WEBP;
	if (n >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF)
		return AV_CODEC_ID_MJPEG;
	if (n >= 18 && has_suffix(name, ".tga")) {
		*w = le16(d + 12); *h = le16(d + 14);
		return AV_CODEC_ID_TARGA;
	}
	return AV_CODEC_ID_NONE;
}

/* 16-bit big-endian sample to 8 bits, rounded (v * 255 / 65535). */
static uint8_t c16(const uint8_t *p) { return (uint8_t)((((uint32_t)p[0] << 8 | p[1]) * 255u + 32767u) / 65535u); }

/* Exact conversions for the layouts image decoders produce; returns 0 when the
 * format is not one of them (the caller then uses libswscale). The format is
 * switched on once per row, not per pixel, and RGBA rows are plain copies. */
#define EACH_PIXEL(body) for (uint32_t x = 0; x < w; x++, o += 4) { body; } break
static int convert_direct(const AVFrame *f, uint8_t *dst)
{
	uint32_t w = f->width, h = f->height;
	for (uint32_t y = 0; y < h; y++) {
		const uint8_t *s = f->data[0] + (ptrdiff_t)y * f->linesize[0];
		uint8_t *o = dst + (size_t)y * w * 4;
		/* the palette is native-endian 0xAARRGGBB words */
		const uint32_t *pal = (const uint32_t *)f->data[1];
		switch (f->format) {
		case AV_PIX_FMT_RGBA: memcpy(o, s, (size_t)w * 4); break;
		case AV_PIX_FMT_RGB24: EACH_PIXEL(memcpy(o, s + 3 * x, 3); o[3] = 255);
		case AV_PIX_FMT_BGRA: EACH_PIXEL(o[0] = s[4*x+2]; o[1] = s[4*x+1]; o[2] = s[4*x]; o[3] = s[4*x+3]);
		case AV_PIX_FMT_BGR24: EACH_PIXEL(o[0] = s[3*x+2]; o[1] = s[3*x+1]; o[2] = s[3*x]; o[3] = 255);
		case AV_PIX_FMT_BGR0: EACH_PIXEL(o[0] = s[4*x+2]; o[1] = s[4*x+1]; o[2] = s[4*x]; o[3] = 255);
		case AV_PIX_FMT_ARGB: EACH_PIXEL(o[0] = s[4*x+1]; o[1] = s[4*x+2]; o[2] = s[4*x+3]; o[3] = s[4*x]);
		case AV_PIX_FMT_GRAY8: EACH_PIXEL(o[0] = o[1] = o[2] = s[x]; o[3] = 255);
		case AV_PIX_FMT_YA8: EACH_PIXEL(o[0] = o[1] = o[2] = s[2*x]; o[3] = s[2*x+1]);
		case AV_PIX_FMT_MONOBLACK: EACH_PIXEL(o[0] = o[1] = o[2] = (s[x >> 3] >> (7 - (x & 7)) & 1) ? 255 : 0; o[3] = 255);
		case AV_PIX_FMT_MONOWHITE: EACH_PIXEL(o[0] = o[1] = o[2] = (s[x >> 3] >> (7 - (x & 7)) & 1) ? 0 : 255; o[3] = 255);
		case AV_PIX_FMT_PAL8: EACH_PIXEL(uint32_t v = pal[s[x]]; o[0] = v >> 16; o[1] = v >> 8; o[2] = v; o[3] = v >> 24);
		case AV_PIX_FMT_RGBA64BE: EACH_PIXEL(o[0] = c16(s+8*x); o[1] = c16(s+8*x+2); o[2] = c16(s+8*x+4); o[3] = c16(s+8*x+6));
		case AV_PIX_FMT_RGB48BE: EACH_PIXEL(o[0] = c16(s+6*x); o[1] = c16(s+6*x+2); o[2] = c16(s+6*x+4); o[3] = 255);
		case AV_PIX_FMT_GRAY16BE: EACH_PIXEL(o[0] = o[1] = o[2] = c16(s+2*x); o[3] = 255);
		case AV_PIX_FMT_YA16BE: EACH_PIXEL(o[0] = o[1] = o[2] = c16(s+4*x); o[3] = c16(s+4*x+2));
		default: return 0;
		}
	}
	return 1;
}
#undef EACH_PIXEL

static int convert_sws(const AVFrame *f, uint8_t *dst)
{
	struct SwsContext *sws = sws_getContext(f->width, f->height, f->format, f->width, f->height,
	                                        AV_PIX_FMT_RGBA, SWS_POINT | SWS_ACCURATE_RND, NULL, NULL, NULL);
	if (!sws) return 0;
	uint8_t *dd[4] = { dst, NULL, NULL, NULL };
	int dl[4] = { f->width * 4, 0, 0, 0 };
	int ok = sws_scale(sws, (const uint8_t *const *)f->data, f->linesize, 0, f->height, dd, dl) == f->height;
	sws_freeContext(sws);
	return ok;
}

/* The decoders spr_decoder keeps open, one slot each. */
static const enum AVCodecID slot_codec[] = {
	AV_CODEC_ID_PNG, AV_CODEC_ID_GIF, AV_CODEC_ID_BMP, AV_CODEC_ID_WEBP, AV_CODEC_ID_MJPEG, AV_CODEC_ID_TARGA
};
#define NSLOTS (sizeof slot_codec / sizeof slot_codec[0])

/* Opening a codec context per image (option defaults, codec lookup, frame
 * pool) weighed as much as decoding a small sprite. A whole file is one key
 * packet, so a context is opened once per codec and reused; it is dropped
 * after any error, so corrupt input leaves no state for the next file.
 * GIF is the exception: its decoder keeps the canvas of the previous image
 * (a unit test caught a corrupt GIF decoding differently after another), so
 * every GIF gets a fresh context as spr_decode gives it. */
struct spr_decoder {
	AVCodecContext *ctx[NSLOTS];
	int64_t ctx_max_pixels[NSLOTS];      /* max_pixels each was opened with */
	AVPacket *pkt;
	AVFrame *frame;
	uint8_t *buf;                        /* the file plus zeroed padding */
	unsigned buf_size;
};

int spr_decoder_create(spr_decoder **out)
{
	spr_decoder *d = calloc(1, sizeof *d);
	*out = NULL;
	if (!d) return SPR_ENOMEM;
	d->pkt = av_packet_alloc();
	d->frame = av_frame_alloc();
	if (!d->pkt || !d->frame) { spr_decoder_free(d); return SPR_ENOMEM; }
	*out = d;
	return SPR_OK;
}

void spr_decoder_free(spr_decoder *d)
{
	if (!d) return;
	for (size_t i = 0; i < NSLOTS; i++) avcodec_free_context(&d->ctx[i]);
	av_packet_free(&d->pkt);
	av_frame_free(&d->frame);
	av_free(d->buf);
	free(d);
}

/* A palette PNG without a PLTE chunk is decoded with whatever palette the
 * context holds (zeros when fresh, the last file's when reused): such a
 * file gets a fresh context, so its output never depends on the previous
 * file. 1 when the chunks before the first IDAT hold IHDR of colour type 3
 * and no PLTE. */
static int png_palette_missing(const uint8_t *d, size_t n)
{
	if (n < 26 || d[25] != 3) return 0;
	for (size_t off = 8; off + 8 <= n;) {
		uint32_t len = be32(d + off);
		const uint8_t *tag = d + off + 4;
		if (memcmp(tag, "PLTE", 4) == 0) return 0;
		if (memcmp(tag, "IDAT", 4) == 0) return 1;
		if (len > n - off - 8) break;
		off += 8 + (size_t)len + 4;
	}
	return 1;
}

/* ffmpeg decodes 1-bit greyscale PNG as MONOBLACK and drops its tRNS
 * chunk (deeper greys and RGB keep it), so a black silhouette on a
 * transparent background, as ImageMagick writes one, came out opaque.
 * Returns the grey level (0 or 1) tRNS makes transparent, or -1 when the
 * file is not 1-bit grey with a tRNS before its first IDAT; a level out of
 * the 1-bit range matches no pixel, as in libpng. */
static int png_grey1_trns(const uint8_t *d, size_t n)
{
	if (n < 26 || d[24] != 1 || d[25] != 0) return -1;
	for (size_t off = 8; off + 8 <= n;) {
		uint32_t len = be32(d + off);
		const uint8_t *tag = d + off + 4;
		if (memcmp(tag, "IDAT", 4) == 0 || len > n - off - 8) break;
		if (memcmp(tag, "tRNS", 4) == 0)
			return len == 2 && len + 8 <= n - off && d[off + 8] == 0 && d[off + 9] <= 1 ? d[off + 9] : -1;
		off += 8 + (size_t)len + 4;
	}
	return -1;
}

/* Clear the alpha of pixels whose grey level (0 -> 0, 1 -> 255) is level. */
static void apply_grey1_trns(spr_image *im, int level)
{
	uint8_t v = level ? 255 : 0;
	for (size_t i = 0; i < (size_t)im->w * im->h; i++)
		if (im->rgba[4 * i] == v) im->rgba[4 * i + 3] = 0;
}

/* Some decoders leave pixels unwritten when the data ends early without
 * reporting an error (TGA's RLE reads a short last packet as if complete),
 * and the buffer they are given may still hold the previous image: the
 * fuzzer found a file whose output depended on the file before it. Every
 * frame buffer is zeroed, so such pixels are zeros whatever came before. */
static int get_zeroed_buffer(AVCodecContext *ctx, AVFrame *f, int flags)
{
	int rc = avcodec_default_get_buffer2(ctx, f, flags);
	if (rc < 0) return rc;
	for (int i = 0; i < AV_NUM_DATA_POINTERS && f->buf[i]; i++) memset(f->buf[i]->data, 0, f->buf[i]->size);
	return 0;
}

/* Open (or keep) the context of slot s with this pixel cap. */
static int slot_open(spr_decoder *dec, size_t s, int64_t max_pixels, int fresh, spr_error *err)
{
	if (dec->ctx[s] && (fresh || dec->ctx_max_pixels[s] != max_pixels)) avcodec_free_context(&dec->ctx[s]);
	if (dec->ctx[s]) return SPR_OK;
	const AVCodec *codec = avcodec_find_decoder(slot_codec[s]);
	if (!codec) return spr__fail(err, SPR_ENOTBUILT, UINT64_MAX, "ffmpeg has no %s decoder", avcodec_get_name(slot_codec[s]));
	AVCodecContext *ctx = avcodec_alloc_context3(codec);
	if (!ctx) return spr__fail(err, SPR_ENOMEM, UINT64_MAX, "out of memory");
	ctx->max_pixels = max_pixels;
	ctx->thread_count = 1;
	ctx->get_buffer2 = get_zeroed_buffer;
	ctx->err_recognition = AV_EF_CRCCHECK | AV_EF_BITSTREAM | AV_EF_EXPLODE;
	if (avcodec_open2(ctx, codec, NULL) < 0) {
		avcodec_free_context(&ctx);
		return spr__fail(err, SPR_EFORMAT, UINT64_MAX, "cannot open decoder");
	}
	dec->ctx[s] = ctx;
	dec->ctx_max_pixels[s] = max_pixels;
	return SPR_OK;
}

int spr_decoder_decode(spr_decoder *dec, const void *data, size_t size, const char *name, uint32_t max_dim,
                       spr_image *out, spr_error *err)
{
	const uint8_t *d = data;
	uint32_t dw, dh;
	out->w = out->h = 0;
	out->rgba = NULL;
	if (max_dim == 0 || max_dim > SPR_MAX_DIM) max_dim = SPR_MAX_DIM;
	if (size == 0) return spr__fail(err, SPR_EFORMAT, 0, "empty file");
	if (size > INT32_MAX) return spr__fail(err, SPR_ETOOBIG, UINT64_MAX, "file too large");
	enum AVCodecID id = sniff(d, size, name, &dw, &dh);
	if (id == AV_CODEC_ID_NONE)
		return spr__fail(err, SPR_EFORMAT, 0, "not a PNG, GIF, BMP, WebP, JPEG or TGA image");
	if (dw > max_dim || dh > max_dim || (uint64_t)dw * dh > SPR_MAX_PIXELS)
		return spr__fail(err, SPR_ETOOBIG, id == AV_CODEC_ID_PNG ? 16 : 6,
		                 "declared size %ux%u over the cap (%u per side)", dw, dh, max_dim);
	size_t s = 0;
	while (slot_codec[s] != id) s++;
	int64_t max_pixels = (int64_t)max_dim * max_dim < SPR_MAX_PIXELS ? (int64_t)max_dim * max_dim : SPR_MAX_PIXELS;
	int fresh = id == AV_CODEC_ID_GIF || (id == AV_CODEC_ID_PNG && png_palette_missing(d, size));
	int rc = slot_open(dec, s, max_pixels, fresh, err);
	if (rc) return rc;
	AVCodecContext *ctx = dec->ctx[s];
	av_fast_padded_malloc(&dec->buf, &dec->buf_size, size);
	if (!dec->buf) return spr__fail(err, SPR_ENOMEM, UINT64_MAX, "out of memory");
	memcpy(dec->buf, d, size);
	AVPacket *pkt = dec->pkt;
	AVFrame *frame = dec->frame;
	pkt->data = dec->buf;
	pkt->size = (int)size;
	pkt->flags = AV_PKT_FLAG_KEY;
	int sr = avcodec_send_packet(ctx, pkt);
	int got = sr >= 0 ? avcodec_receive_frame(ctx, frame) : sr;
	if (got == AVERROR(EAGAIN)) {   /* decoders with delay: flush */
		avcodec_send_packet(ctx, NULL);
		got = avcodec_receive_frame(ctx, frame);
	}
	pkt->data = NULL;
	pkt->size = 0;
	if (got < 0) {
		char e[AV_ERROR_MAX_STRING_SIZE] = "";
		av_strerror(got, e, sizeof e);
		rc = spr__fail(err, SPR_EFORMAT, UINT64_MAX, "corrupt or truncated %s data (%s)", avcodec_get_name(id), e);
		goto done;
	}
	if (frame->width <= 0 || frame->height <= 0 || (uint32_t)frame->width > max_dim ||
	    (uint32_t)frame->height > max_dim) {
		rc = spr__fail(err, SPR_ETOOBIG, UINT64_MAX, "decoded size %dx%d over the cap", frame->width, frame->height);
		goto done;
	}
	if ((rc = spr_image_alloc(out, frame->width, frame->height))) { spr__fail(err, rc, UINT64_MAX, "out of memory"); goto done; }
	if (!convert_direct(frame, out->rgba) && !convert_sws(frame, out->rgba)) {
		spr_image_free(out);
		rc = spr__fail(err, SPR_EFORMAT, UINT64_MAX, "unsupported pixel format %s", av_get_pix_fmt_name(frame->format));
		goto done;
	}
	if (id == AV_CODEC_ID_PNG && frame->format == AV_PIX_FMT_MONOBLACK) {
		int level = png_grey1_trns(d, size);
		if (level >= 0) apply_grey1_trns(out, level);
	}
	rc = SPR_OK;
done:
	av_frame_unref(frame);
	/* ready for the next file: a context that failed starts over */
	if (rc) avcodec_free_context(&dec->ctx[s]);
	else avcodec_flush_buffers(ctx);
	return rc;
}

int spr_decode(const void *data, size_t size, const char *name, uint32_t max_dim,
               spr_image *out, spr_error *err)
{
	spr_decoder *dec;
	out->w = out->h = 0;
	out->rgba = NULL;
	if (spr_decoder_create(&dec)) return spr__fail(err, SPR_ENOMEM, UINT64_MAX, "out of memory");
	int rc = spr_decoder_decode(dec, data, size, name, max_dim, out, err);
	spr_decoder_free(dec);
	return rc;
}

int spr_encode_png(const spr_image *im, uint8_t **out, size_t *size, spr_error *err)
{
	*out = NULL;
	*size = 0;
	if (!im || !im->rgba || !im->w || !im->h) return spr__fail(err, SPR_EINVAL, UINT64_MAX, "empty image");
	const AVCodec *codec = avcodec_find_encoder(AV_CODEC_ID_PNG);
	if (!codec) return spr__fail(err, SPR_ENOTBUILT, UINT64_MAX, "ffmpeg has no PNG encoder");
	int rc = SPR_ENOMEM;
	AVCodecContext *ctx = avcodec_alloc_context3(codec);
	AVFrame *frame = av_frame_alloc();
	AVPacket *pkt = av_packet_alloc();
	if (!ctx || !frame || !pkt) { spr__fail(err, rc, UINT64_MAX, "out of memory"); goto done; }
	ctx->width = im->w;
	ctx->height = im->h;
	ctx->pix_fmt = AV_PIX_FMT_RGBA;
	ctx->time_base = (AVRational){ 1, 1 };
	ctx->thread_count = 1;
	if (avcodec_open2(ctx, codec, NULL) < 0) { rc = spr__fail(err, SPR_EINVAL, UINT64_MAX, "cannot open PNG encoder"); goto done; }
	frame->format = AV_PIX_FMT_RGBA;
	frame->width = im->w;
	frame->height = im->h;
	/* The encoder only reads the frame: point it at our pixels, no copy. */
	frame->data[0] = im->rgba;
	frame->linesize[0] = (int)im->w * 4;
	if (avcodec_send_frame(ctx, frame) < 0 || avcodec_send_frame(ctx, NULL) < 0 ||
	    avcodec_receive_packet(ctx, pkt) < 0) {
		rc = spr__fail(err, SPR_EINVAL, UINT64_MAX, "PNG encoding failed");
		goto done;
	}
	*out = malloc(pkt->size);
	if (!*out) { spr__fail(err, rc, UINT64_MAX, "out of memory"); goto done; }
	memcpy(*out, pkt->data, pkt->size);
	*size = pkt->size;
	rc = SPR_OK;
done:
	frame->data[0] = NULL;
	av_packet_free(&pkt);
	av_frame_free(&frame);
	avcodec_free_context(&ctx);
	return rc;
}

#else /* !KILN_HAVE_FFMPEG */

int spr_codec_available(void) { return 0; }

void spr_codec_quiet(void) { }

/* Without ffmpeg a decoder exists, so callers need no special case, and
 * every decode answers SPR_ENOTBUILT. */
struct spr_decoder { int unused; };

int spr_decoder_create(spr_decoder **out)
{
	*out = calloc(1, sizeof **out);
	return *out ? SPR_OK : SPR_ENOMEM;
}

void spr_decoder_free(spr_decoder *d) { free(d); }

int spr_decoder_decode(spr_decoder *dec, const void *data, size_t size, const char *name, uint32_t max_dim,
                       spr_image *out, spr_error *err)
{
	(void)dec;
	return spr_decode(data, size, name, max_dim, out, err);
}

int spr_decode(const void *data, size_t size, const char *name, uint32_t max_dim,
               spr_image *out, spr_error *err)
{
	out->w = out->h = 0;
	out->rgba = NULL;
	return spr__fail(err, SPR_ENOTBUILT, UINT64_MAX, "built without ffmpeg (install the ffmpeg libraries and rebuild)");
}

int spr_encode_png(const spr_image *im, uint8_t **out, size_t *size, spr_error *err)
{
	*out = NULL;
	*size = 0;
	return spr__fail(err, SPR_ENOTBUILT, UINT64_MAX, "built without ffmpeg (install the ffmpeg libraries and rebuild)");
}

#endif
