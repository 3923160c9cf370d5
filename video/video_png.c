/*
 * video_png.c - RGB24 to PNG bytes through libavcodec's PNG encoder, for the
 * contact sheet. Nothing of PNG is written by hand here.
 */
#include <string.h>

#include "video_internal.h"

int vid_png_encode(const uint8_t *rgb, uint32_t width, uint32_t height, size_t stride,
                   uint8_t **out, size_t *len)
{
	*out = NULL;
	*len = 0;
	if (!rgb || width < 1 || height < 1 || width > VID_MAX_DIM || height > VID_MAX_DIM || stride < (size_t)width * 3)
		return VID_EINVAL;
	const AVCodec *codec = avcodec_find_encoder(AV_CODEC_ID_PNG);
	if (!codec)
		return VID_EFORMAT;
	AVCodecContext *c = avcodec_alloc_context3(codec);
	AVFrame *f = av_frame_alloc();
	AVPacket *pkt = av_packet_alloc();
	int rc = VID_ENOMEM;
	if (!c || !f || !pkt)
		goto done;
	c->width = (int)width;
	c->height = (int)height;
	c->pix_fmt = AV_PIX_FMT_RGB24;
	c->time_base = (AVRational){ 1, 1 };
	if (avcodec_open2(c, codec, NULL) < 0) {
		rc = VID_EFORMAT;
		goto done;
	}
	f->format = AV_PIX_FMT_RGB24;
	f->width = (int)width;
	f->height = (int)height;
	if (av_frame_get_buffer(f, 0) < 0)
		goto done;
	for (uint32_t y = 0; y < height; y++)
		memcpy(f->data[0] + (size_t)y * f->linesize[0], rgb + (size_t)y * stride, (size_t)width * 3);
	rc = VID_EDECODE;
	if (avcodec_send_frame(c, f) < 0 || avcodec_send_frame(c, NULL) < 0 || avcodec_receive_packet(c, pkt) < 0)
		goto done;
	*out = av_malloc((size_t)pkt->size);
	if (!*out) {
		rc = VID_ENOMEM;
		goto done;
	}
	memcpy(*out, pkt->data, (size_t)pkt->size);
	*len = (size_t)pkt->size;
	rc = VID_OK;
done:
	av_packet_free(&pkt);
	av_frame_free(&f);
	avcodec_free_context(&c);
	return rc;
}
