/*
 * sprites_tool.h - what the files of the kiln-sprites tool share: the parsed
 * options, the loaded-sprite list, and one entry point per command. Tool
 * side only (it prints and exits through common/kiln.h); libsprites never
 * sees it.
 */
#ifndef KILN_SPRITES_TOOL_H
#define KILN_SPRITES_TOOL_H

#include "kiln.h"
#include "shard.h"
#include "sprites.h"

/* OpenMP pragmas that vanish when the build has no OpenMP. */
#ifdef _OPENMP
#include <omp.h>
#define SPR_OMP(x) _Pragma(#x)
#else
#define SPR_OMP(x)
#endif

/* Let OpenMP's worker threads go once a parallel stretch is over. Idle
 * workers otherwise spin-wait (libgomp's default) through the serial work
 * that follows, holding a core the main thread needs when the machine is
 * shared; starting them again for the next parallel region costs far less
 * (OpenMP 5.0's omp_pause_resource_all; a no-op without it). */
static inline void release_threads(void)
{
/* GCC declares it from version 9 while still reporting OpenMP 4.5 */
#if defined(_OPENMP) && (_OPENMP >= 201811 || (!defined(__clang__) && __GNUC__ >= 9))
	omp_pause_resource_all(omp_pause_soft);
#endif
}

typedef struct tool_opts {
	const char *cmd;
	const char *output;
	int force, json;
	spr_fit_opts fit;
	uint32_t max_dim;
	uint32_t sheet_w, sheet_h;       /* --sheet WxH: cut inputs on a grid (0 = whole image) */
	spr_build_opts build;
	int build_colors_set;
	double holdout;                  /* fraction of inputs held out of palette building */
	const char *palette;             /* --palette FILE */
	int dither;
	const char *labels;              /* --labels CSV (NULL: folder names) */
	spr_layout layout;
	uint32_t zoom;
	uint64_t limit;
	uint32_t per_cell;
	int sweep, shade;
	spr_shade_opts shade_opts;
	uint64_t count, seed;
	char **inputs;
	int ninputs;
	uint32_t part, nparts;           /* --part I/N (quantize): decode only block I of N of the files */
} tool_opts;

/* One fitted sprite (a whole file, or one cell of a sheet). */
typedef struct sprite {
	const char *path;                /* source file (owned by the list) */
	char *name;                      /* relative name: "zone/cat/x.png" or "x.png#3" */
	uint32_t cell;                   /* cell index within a sheet, else 0 */
	spr_image img;                   /* fitted size x size RGBA */
	uint32_t zone, cat;              /* label ids */
	uint64_t group;                  /* split key: hash of the source file's relative name */
	int holdout;                     /* 1: not used to build the palette */
} sprite;

typedef struct sprite_list {
	sprite *v;
	size_t n;
	char **files;                    /* every input file, for names */
	size_t nfiles;
	size_t failed;                   /* files that could not be read or decoded */
	size_t skipped;                  /* sprites with nothing opaque (warned) */
	char **zone_names, **cat_names;  /* label names by id */
	uint32_t nzones, ncats;
} sprite_list;

/* 1 when the name has an image extension the walk picks up (.png .gif
 * .bmp .webp .jpg .jpeg .tga, any case). */
int is_image_name(const char *p);
/* Walk the inputs, decode and fit every image (in parallel), attach labels.
 * Bad files are reported and counted; the rest is kept. */
void load_sprites(const tool_opts *o, sprite_list *l, int want_labels);
void free_sprites(sprite_list *l);

/* Fingerprint and JSON helpers. */
void palette_fingerprint(const spr_palette *p, uint8_t out[32]);
char *palette_json_array(const spr_palette *p);     /* ["#rrggbb", ...] (malloc'ed) */
/* Palette of a sprites dataset, from its meta_json. */
int dataset_palette(shard_dataset *d, spr_palette *p, char ***zones, uint32_t *nz, char ***cats, uint32_t *nc);
/* Load --palette FILE or die. */
void load_palette_file(const char *path, spr_palette *p);
/* Write bytes atomically to path or die. */
void write_file_atomic(const char *path, const void *data, size_t n);
void write_png_or_die(const char *path, const spr_image *im);
/* --json ending of the output commands: {"command","output","sprites"}. */
void json_done(const tool_opts *o, uint64_t sprites);

int cmd_palette(tool_opts *o);
int cmd_quantize(tool_opts *o);
int cmd_fit(tool_opts *o);
int cmd_compare(tool_opts *o);
int cmd_render(tool_opts *o);
int cmd_sheet(tool_opts *o);
int cmd_shade(tool_opts *o);
int cmd_synth(tool_opts *o);

#endif
