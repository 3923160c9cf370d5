/*
 * sprites.h - libsprites: sprite images to palette-index grids and back.
 *
 * Decode (ffmpeg's image decoders, from memory), fit to a small square
 * (trim, letterbox, pixel-art-aware downscale, binary alpha), build one shared
 * palette for a corpus (weighted k-means in OKLab), map pixels to it (nearest
 * in OKLab, optional ordered dithering), measure quality (PSNR, OKLab ΔE),
 * render index grids back to RGBA, shade them inside the palette, and
 * synthesise procedural sprites. The PixelLLM token layout lives here too.
 *
 * The library never prints, exits or reads the environment. Functions return
 * SPR_OK (0) or a negative SPR_E* code and fill an optional spr_error with a
 * message naming what went wrong (and a byte offset where one applies).
 * Pixels are always 8-bit RGBA, row-major, no padding (stride = 4 * w).
 */
#ifndef KILN_SPRITES_H
#define KILN_SPRITES_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SPR_VERSION "0.1.0"

enum {
	SPR_OK = 0,
	SPR_EINVAL = -1,     /* bad argument from the caller */
	SPR_ENOMEM = -2,
	SPR_EFORMAT = -3,    /* corrupt, truncated or unsupported image / palette file */
	SPR_ETOOBIG = -4,    /* dimensions over the cap */
	SPR_EEMPTY = -5,     /* nothing usable (no opaque pixel, no colour) */
	SPR_ENOTBUILT = -6   /* built without ffmpeg: no decoding/encoding */
};
const char *spr_strerror(int code);

typedef struct spr_error {
	int code;
	uint64_t offset;     /* byte offset in the input, or UINT64_MAX */
	char msg[256];
} spr_error;

/* Hard caps for untrusted images (stb's STBI_MAX_DIMENSIONS): each side and
 * the pixel count. Callers may pass smaller caps to spr_decode. */
#define SPR_MAX_DIM 16384u
#define SPR_MAX_PIXELS (1u << 26)

/* An RGBA image. Owned by whoever filled it; release with spr_image_free. */
typedef struct spr_image {
	uint32_t w, h;
	uint8_t *rgba;       /* 4 * w * h bytes */
} spr_image;

/* Allocate a w x h image, all pixels transparent black. SPR_ENOMEM/EINVAL. */
int spr_image_alloc(spr_image *im, uint32_t w, uint32_t h);
/* Free the pixels and zero the struct; NULL or empty ok. */
void spr_image_free(spr_image *im);
/* Copy the w x h rectangle at (x, y) of src (must lie inside) into out. */
int spr_image_crop(const spr_image *src, uint32_t x, uint32_t y, uint32_t w, uint32_t h,
                   spr_image *out);

/* ---- decode / encode (spr_image.c; needs ffmpeg) ------------------------ */

/* 1 when the library was built with ffmpeg (decode/encode work), else 0. */
int spr_codec_available(void);
/* Silence ffmpeg's own log output (process-wide: it sets libavutil's log
 * level). Tools call it once; the library itself never does. */
void spr_codec_quiet(void);

/* Decode one image (PNG of any colour type/depth, GIF first frame, BMP,
 * WebP, JPEG, TGA) from memory into RGBA. name is only a hint for formats
 * without a signature (".tga") and for messages. Images whose width or height
 * exceeds max_dim (0 = SPR_MAX_DIM), or SPR_MAX_PIXELS pixels, are refused
 * with SPR_ETOOBIG before the pixels are decoded where the header allows.
 * Returns SPR_OK and fills out (free with spr_image_free); SPR_EFORMAT for
 * corrupt, truncated or unknown data; SPR_ENOTBUILT without ffmpeg. */
int spr_decode(const void *data, size_t size, const char *name, uint32_t max_dim,
               spr_image *out, spr_error *err);

/* A decoder keeps one open libavcodec context per format and reuses it for
 * every image, which spr_decode (one context per call) cannot; results are
 * the same as spr_decode's. Use one per thread. Without ffmpeg, create
 * works and every decode answers SPR_ENOTBUILT. */
typedef struct spr_decoder spr_decoder;
int spr_decoder_create(spr_decoder **out);
void spr_decoder_free(spr_decoder *d);     /* accepts NULL */
int spr_decoder_decode(spr_decoder *d, const void *data, size_t size, const char *name, uint32_t max_dim,
                       spr_image *out, spr_error *err);

/* Encode im as an RGBA PNG (libavcodec's encoder). *out is malloc'ed; free
 * it with free(). */
int spr_encode_png(const spr_image *im, uint8_t **out, size_t *size, spr_error *err);

/* ---- fit to a square (spr_fit.c) ----------------------------------------- */

enum spr_scale {
	SPR_SCALE_AUTO = 0,  /* per image: mode for pixel art, box for painted art */
	SPR_SCALE_MODE = 1,  /* most frequent opaque colour of each source cell (nearest-like) */
	SPR_SCALE_BOX = 2    /* area average of opaque pixels */
};

typedef struct spr_fit_opts {
	uint32_t size;             /* output side (default 32) */
	uint8_t alpha_threshold;   /* alpha >= threshold is opaque (default 128) */
	int scale;                 /* enum spr_scale (default MODE: keeps source colours exact) */
	int trim;                  /* 1: crop fully transparent borders first (default) */
	int upscale;               /* 1: also enlarge small sprites (integer factor); default 0 */
} spr_fit_opts;

void spr_fit_opts_init(spr_fit_opts *o);

/* Heuristic used by SPR_SCALE_AUTO: 1 when im looks like pixel art (few
 * distinct colours for its size, hard edges), else 0. */
int spr_is_pixel_art(const spr_image *im, uint8_t alpha_threshold);

/* Fit im into a size x size transparent square: trim, scale down keeping the
 * aspect ratio, centre (letterbox). Output alpha is 0 or 255 only, and
 * transparent pixels are (0,0,0,0). SPR_EEMPTY when im has no opaque pixel. */
int spr_fit(const spr_image *im, const spr_fit_opts *o, spr_image *out, spr_error *err);

/* ---- colour (spr_color.c) ------------------------------------------------ */

typedef struct spr_lab { float L, a, b; } spr_lab;

/* 8-bit sRGB to OKLab (Björn Ottosson's definition), and back (clamped). */
spr_lab spr_srgb_to_oklab(uint8_t r, uint8_t g, uint8_t b);
void spr_oklab_to_srgb(spr_lab c, uint8_t rgb[3]);
/* Euclidean distance in OKLab (ΔE_OK; ×100 is the usual reporting unit). */
float spr_delta_e(spr_lab x, spr_lab y);

/* ---- palettes (spr_palette.c, spr_palio.c) ------------------------------- */

#define SPR_MAX_COLORS 256

typedef struct spr_palette {
	uint32_t n;                  /* colours, 1..SPR_MAX_COLORS */
	int transparent;             /* index reserved for transparent pixels, or -1 */
	uint8_t rgb[SPR_MAX_COLORS][3];
} spr_palette;

typedef struct spr_build_opts {
	uint32_t n_colors;           /* total palette size including a reserved index (default 64) */
	int reserve_transparent;     /* 1: index 0 is transparency, n_colors-1 opaque colours (default 1) */
	uint64_t seed;               /* k-means++ seeding (default 1) */
	uint32_t iterations;         /* Lloyd iterations per round (default 24) */
	uint32_t rounds;             /* reweighting rounds for mean PSNR (default 6; 1 = plain) */
	uint32_t refine;             /* coordinate-descent sweeps on the final palette (default 4; 0 = off) */
	/* Optional: called from the calling thread after each k-means round and
	 * refinement sweep with (done, total) steps; NULL = none. */
	void (*progress)(void *ud, uint32_t done, uint32_t total);
	void *progress_ud;
} spr_build_opts;

void spr_build_opts_init(spr_build_opts *o);

/* Build one palette for n fitted images (alpha 0/255): weighted k-means in
 * OKLab cells (greedy k-means++ seeding from opts->seed), every image weighted
 * equally and re-weighted by its own error between rounds, then a coordinate
 * descent on the rounded colours that raises mean per-image PSNR while the
 * pooled ΔE_OK may grow by at most 0.001. Deterministic for a given input and
 * seed, whatever the thread count. Colours are sorted by OKLab lightness,
 * after the reserved index. Entries are distinct: a k-means centre that
 * lands on another's colour is replaced by the input colour served worst.
 * When the inputs hold no more distinct opaque colours than there are
 * opaque entries, each of them gets one entry, exactly, and the remaining
 * entries are padding after them: greys (dark to light) that are none of
 * the inputs' colours nor the reserved entry's. SPR_EEMPTY when there is no
 * opaque pixel. */
int spr_palette_build(const spr_image *imgs, size_t n, const spr_build_opts *opts,
                      spr_palette *out, spr_error *err);

/* Palette files. Parse detects the format: GIMP .gpl ("GIMP Palette"
 * header), PNG swatch (every distinct opaque colour in first-seen order,
 * row-major; needs ffmpeg), or a hex list (one "#rrggbb"/"rrggbb" per line,
 * '#'/';' comments after the colour allowed, blank lines and lines starting
 * with ';' or with '#' and no hex digit ignored; "#rgb" is an error). At most
 * SPR_MAX_COLORS colours. An entry is the reserved transparent one when its
 * .gpl name or hex comment says "transparent", or, in a PNG swatch, where
 * the first transparent pixel is met (as spr_palette_write writes them);
 * otherwise transparent = -1. Errors name the line. SPR_EEMPTY for a file
 * with no colour, or with only the transparent entry. */
int spr_palette_parse(const void *data, size_t size, const char *name, spr_palette *out,
                      spr_error *err);

enum spr_palette_format { SPR_PAL_HEX = 0, SPR_PAL_GPL = 1, SPR_PAL_PNG = 2 };
/* Format by file name: ".gpl", ".png", else hex. */
int spr_palette_format_for_name(const char *name);
/* Serialise a palette (malloc'ed buffer, free with free()). The PNG swatch is
 * one row of n pixels scaled by 8, the transparent index drawn transparent. */
int spr_palette_write(const spr_palette *p, int format, uint8_t **out, size_t *size,
                      spr_error *err);
/* Canonical bytes hashed for the dataset fingerprint: n - 1 (one byte), the
 * transparent index (0xFF for none), then n x RGB. Returns the length
 * written to buf (give it 2 + 3 * SPR_MAX_COLORS bytes). */
size_t spr_palette_canonical(const spr_palette *p, uint8_t *buf);

/* ---- mapping (spr_map.c) ------------------------------------------------- */

typedef struct spr_mapper spr_mapper;

/* A mapper holds the palette in OKLab and a colour cache; use one per thread
 * (create is cheap). dither: 0 = off, else ordered 4x4 Bayer in OKLab
 * lightness with that strength (1 = one quantisation step). */
int spr_mapper_create(const spr_palette *p, int dither, spr_mapper **out);
void spr_mapper_free(spr_mapper *m);

/* Map w*h RGBA pixels to palette indices: transparent pixels (alpha <
 * alpha_threshold) get the reserved index (or the nearest colour to black
 * when the palette has none); opaque ones the nearest colour in OKLab among
 * the non-reserved entries. */
void spr_map(spr_mapper *m, const uint8_t *rgba, uint32_t w, uint32_t h,
             uint8_t alpha_threshold, uint8_t *idx);

/* Reference implementation (double precision, no cache): same answer as
 * spr_map up to exact distance ties. For tests. */
uint32_t spr_nearest_naive(const spr_palette *p, uint8_t r, uint8_t g, uint8_t b);

/* ---- quality (spr_map.c, spr_score.c) ----------------------------------- */

/* Accumulated over opaque pixels of many sprites. */
typedef struct spr_quality {
	uint64_t images;             /* images with at least one opaque pixel */
	uint64_t pixels;             /* opaque pixels */
	double sse;                  /* sum of squared RGB errors (3 channels) */
	double de_sum;               /* sum of OKLab distances */
	double psnr_sum;             /* sum of per-image PSNR, each capped at SPR_PSNR_CAP */
	uint64_t alpha_errors;       /* pixels whose opacity changed */
	uint64_t used[SPR_MAX_COLORS];   /* pixel count per palette index */
} spr_quality;

#define SPR_PSNR_CAP 60.0

void spr_quality_init(spr_quality *q);
/* Add one sprite: ref is the fitted RGBA, idx its mapped grid. */
void spr_quality_add(spr_quality *q, const spr_palette *p, const uint8_t *ref,
                     const uint8_t *idx, uint32_t w, uint32_t h, uint8_t alpha_threshold);
/* Add one sprite scored against another RGBA image (e.g. another tool's
 * output): opaque ref pixels that are transparent in test count as lost. */
void spr_quality_add_rgb(spr_quality *q, const uint8_t *ref, const uint8_t *test, uint32_t w, uint32_t h,
                         uint8_t alpha_threshold);
void spr_quality_merge(spr_quality *into, const spr_quality *from);

/* A scorer is spr_quality_add for many sprites against one palette: the
 * palette converted once and a cache of per-colour errors, with exactly
 * the same sums. One per thread (spr_score.c). */
typedef struct spr_scorer spr_scorer;
int spr_scorer_create(const spr_palette *p, spr_scorer **out);
void spr_scorer_free(spr_scorer *s);
void spr_scorer_add(spr_scorer *s, spr_quality *q, const uint8_t *ref, const uint8_t *idx,
                    uint32_t w, uint32_t h, uint8_t alpha_threshold);
double spr_quality_psnr_mean(const spr_quality *q);    /* mean per-image PSNR, dB */
double spr_quality_psnr_pooled(const spr_quality *q);  /* PSNR of the pooled MSE, dB */
double spr_quality_delta_e(const spr_quality *q);      /* mean ΔE_OK x 100 */
uint32_t spr_quality_colors_used(const spr_quality *q);

/* ---- PixelLLM token layout (spr_tokens.c) -------------------------------
 * ids: [0, colors) palette indices, then PAD, BOS, EOS, MASK, then zones,
 * then categories. Default 64 + 4 + 6 + 6 = 80. */
typedef struct spr_layout {
	uint32_t colors, zones, categories;
} spr_layout;

void spr_layout_init(spr_layout *l);   /* 64, 6, 6 */
uint32_t spr_layout_vocab(const spr_layout *l);
uint32_t spr_layout_pad(const spr_layout *l);
uint32_t spr_layout_bos(const spr_layout *l);
uint32_t spr_layout_eos(const spr_layout *l);
uint32_t spr_layout_mask(const spr_layout *l);
uint32_t spr_layout_zone(const spr_layout *l, uint32_t zone);      /* zone < zones */
uint32_t spr_layout_category(const spr_layout *l, uint32_t cat);   /* cat < categories */

/* ---- rendering, sheets, shading (spr_render.c, spr_shade.c) ------------- */

/* Index grid (w x h) to RGBA, each cell scale x scale pixels; the palette's
 * transparent index (and indices >= p->n) become transparent. */
int spr_render(const uint8_t *idx, uint32_t w, uint32_t h, const spr_palette *p,
               uint32_t scale, spr_image *out);
/* Copy src onto dst at (x, y), clipped; transparent src pixels are skipped. */
void spr_blit(spr_image *dst, const spr_image *src, int32_t x, int32_t y);
/* Fill a rectangle (clipped). */
void spr_fill(spr_image *dst, int32_t x, int32_t y, uint32_t w, uint32_t h, const uint8_t rgba[4]);
/* Draw ASCII text with the built-in 5x7 font (6 x 8 cell per char, times
 * scale); lower case is drawn as upper case, unknown characters as '?'.
 * Returns the width drawn in pixels. */
uint32_t spr_text(spr_image *dst, int32_t x, int32_t y, const char *s, uint32_t scale,
                  const uint8_t rgba[4]);
uint32_t spr_text_width(const char *s, uint32_t scale);

/* Per-colour luminance ramps built from the palette itself: for each index,
 * the next lighter and next darker palette colour of similar hue and chroma
 * (itself at the end of a ramp). Shading only walks these, so its output
 * never leaves the palette. */
typedef struct spr_ramps {
	uint32_t n;
	uint8_t lighter[SPR_MAX_COLORS];
	uint8_t darker[SPR_MAX_COLORS];
} spr_ramps;

void spr_ramps_build(const spr_palette *p, spr_ramps *r);

typedef struct spr_shade_opts {
	float light_x, light_y;      /* direction light comes from (default -1, -1: top left) */
	int light_steps;             /* ramp steps for lit / shadowed sides (default 1) */
	int ao;                      /* ambient occlusion: darken crowded concave pixels (default 1) */
	int edge;                    /* darken the silhouette outline (default 1) */
} spr_shade_opts;

void spr_shade_opts_init(spr_shade_opts *o);
/* Shade a w x h grid (idx -> out, may not alias). Pixels at the palette's
 * transparent index stay as they are. */
int spr_shade(const uint8_t *idx, uint32_t w, uint32_t h, const spr_palette *p,
              const spr_ramps *r, const spr_shade_opts *o, uint8_t *out);

/* ---- synthetic sprites (spr_synth.c) -------------------------------------
 * Procedural underwater sprites (PixelLLM's domain): 6 zones (colour moods)
 * x 6 categories (shapes), deterministic per (zone, category, seed). */
#define SPR_SYNTH_ZONES 6
#define SPR_SYNTH_CATEGORIES 6
const char *spr_synth_zone_name(uint32_t zone);        /* NULL when out of range */
const char *spr_synth_category_name(uint32_t cat);
/* size x size RGBA with binary alpha; size in [8, 256]. */
int spr_synth(uint32_t zone, uint32_t cat, uint64_t seed, uint32_t size, spr_image *out);

#ifdef __cplusplus
}
#endif
#endif
