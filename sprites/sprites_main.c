/*
 * sprites_main.c - kiln-sprites: sprites to PixelLLM palette tokens and back.
 * This file parses the command line and dispatches; the commands live in
 * sprites_cmd.c (palette, quantize, fit, compare) and sprites_view.c
 * (render, sheet, shade, synth).
 */
#include "sprites_tool.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
"Usage: kiln-sprites COMMAND [OPTIONS] INPUT...\n"
"Turn sprites into one shared palette and PixelLLM token datasets, and back.\n"
"\n"
"Commands:\n"
"  palette  INPUT... -o PAL      build a shared palette (.gpl, .png swatch, else hex list)\n"
"  quantize INPUT... -o DATASET  fit, map and write sprite token records\n"
"  render   DATASET -o DIR       write every record as an upscaled PNG\n"
"  sheet    DATASET... -o PNG    zone x category grid (or --sweep: one row per dataset)\n"
"  shade    DATASET -o DATASET   shade records inside the palette\n"
"  synth    -o DIR               procedural sprites in DIR/ZONE/CATEGORY/NNNN.png\n"
"  fit      INPUT... -o DIR      write the fitted sprites as PNG (what quantize sees)\n"
"  compare  REF_DIR TEST_DIR     score TEST images against same-named REF images\n"
"                                as they are (no fitting: make REF_DIR with fit)\n"
"\n"
"INPUT is an image (PNG, GIF, BMP, WebP, JPEG, TGA) or a folder searched recursively.\n"
"\n"
"Fitting:\n"
"  --size N               output side in pixels (default 32)\n"
"  --scale MODE           auto | mode | box downscaling (default mode)\n"
"  --alpha-threshold N    alpha >= N is opaque (default 128)\n"
"  --no-trim              keep transparent borders\n"
"  --upscale              enlarge small sprites by an integer factor\n"
"  --sheet WxH            cut each input into WxH cells (sprite sheets)\n"
"  --max-dim N            refuse images wider or taller than N (default 4096)\n"
"Palette:\n"
"  --colors N             palette size, reserved index included (default 64)\n"
"  --no-transparent       do not reserve index 0 for transparency\n"
"  --palette FILE         use this palette (.gpl, hex list or PNG swatch)\n"
"  --seed N               k-means seed (default 1); synth: generator seed\n"
"  --holdout FRAC         keep FRAC of the sprites out of palette building and\n"
"                         report their quality separately (default 0)\n"
"  --dither               ordered 4x4 dithering (default off)\n"
"Tokens:\n"
"  --labels CSV           zone/category per file (\"file,zone,category\");\n"
"                         default: the file's grandparent and parent folder names\n"
"  --zones N              zone tokens (default 6)\n"
"  --categories N         category tokens (default 6)\n"
"  --part I/N             quantize: only block I of N of the input files (needs\n"
"                         --palette; kiln-shard merge joins the parts)\n"
"Rendering:\n"
"  --zoom N               upscale factor for render/sheet (default 4)\n"
"  --limit N              render at most N records\n"
"  --per-cell N           sprites per sheet cell or sweep row (default 2 / 8)\n"
"  --sweep                sheet: one labelled row per input dataset\n"
"  --shade                render/sheet: apply the shading post-process\n"
"  --light X,Y            shading light direction (default -1,-1: top left)\n"
"  --no-ao                shading without ambient occlusion\n"
"  --no-edge              shading without edge darkening\n"
"  --count N              synth: sprites per zone and category (default 8)\n"
"General (an option of another command is a usage error):\n"
"  -o, --output PATH      output file or folder (all but compare)\n"
"  -f, --force            replace an existing output (all but compare)\n"
"  -q, --quiet            no progress or report\n"
"      --json             report as one JSON object on stdout\n"
"  -h, --help             this help\n"
"  -V, --version          version and features\n"
"\n"
"Exit status: 0 ok, 1 failure (some inputs bad: the rest is still written), 2 usage, 3 not built.\n";

enum {
	O_SIZE = 256, O_SCALE, O_ALPHA, O_NOTRIM, O_UPSCALE, O_SHEET, O_MAXDIM, O_COLORS, O_NOTRANS,
	O_PALETTE, O_SEED, O_HOLDOUT, O_DITHER, O_LABELS, O_ZONES, O_CATS, O_ZOOM, O_LIMIT, O_PERCELL,
	O_SWEEP, O_SHADE, O_LIGHT, O_NOAO, O_NOEDGE, O_COUNT, O_JSON, O_PART
};

static const struct option longopts[] = {
	{ "size", required_argument, 0, O_SIZE }, { "scale", required_argument, 0, O_SCALE },
	{ "alpha-threshold", required_argument, 0, O_ALPHA }, { "no-trim", no_argument, 0, O_NOTRIM },
	{ "upscale", no_argument, 0, O_UPSCALE }, { "sheet", required_argument, 0, O_SHEET },
	{ "max-dim", required_argument, 0, O_MAXDIM }, { "colors", required_argument, 0, O_COLORS },
	{ "no-transparent", no_argument, 0, O_NOTRANS }, { "palette", required_argument, 0, O_PALETTE },
	{ "seed", required_argument, 0, O_SEED }, { "holdout", required_argument, 0, O_HOLDOUT },
	{ "dither", no_argument, 0, O_DITHER }, { "labels", required_argument, 0, O_LABELS },
	{ "zones", required_argument, 0, O_ZONES }, { "categories", required_argument, 0, O_CATS },
	{ "zoom", required_argument, 0, O_ZOOM }, { "limit", required_argument, 0, O_LIMIT },
	{ "per-cell", required_argument, 0, O_PERCELL }, { "sweep", no_argument, 0, O_SWEEP },
	{ "shade", no_argument, 0, O_SHADE }, { "light", required_argument, 0, O_LIGHT },
	{ "no-ao", no_argument, 0, O_NOAO }, { "no-edge", no_argument, 0, O_NOEDGE },
	{ "count", required_argument, 0, O_COUNT }, { "json", no_argument, 0, O_JSON },
	{ "part", required_argument, 0, O_PART },
	{ "output", required_argument, 0, 'o' }, { "force", no_argument, 0, 'f' },
	{ "quiet", no_argument, 0, 'q' }, { "help", no_argument, 0, 'h' },
	{ "version", no_argument, 0, 'V' }, { 0, 0, 0, 0 }
};

/* The commands that take each option besides -q, --json, -h and -V (every
 * command takes those), as kiln-sprites(1) OPTIONS says: fitting options
 * go to the commands that load sprites (compare only decodes and scores),
 * palette and token options to those that build or apply a palette, the
 * rendering options to the commands that read datasets. */
static const kiln_opt_cmds opt_cmds[] = {
	{ O_SIZE, "palette quantize fit synth" }, { O_SCALE, "palette quantize fit" },
	{ O_ALPHA, "palette quantize fit compare" }, { O_NOTRIM, "palette quantize fit" },
	{ O_UPSCALE, "palette quantize fit" }, { O_SHEET, "palette quantize fit" },
	{ O_MAXDIM, "palette quantize fit compare" }, { O_COLORS, "palette quantize" },
	{ O_NOTRANS, "palette quantize" }, { O_PALETTE, "palette quantize render sheet shade" },
	{ O_SEED, "palette quantize synth" }, { O_HOLDOUT, "palette quantize" }, { O_DITHER, "palette quantize" },
	{ O_LABELS, "quantize" }, { O_ZONES, "quantize" }, { O_CATS, "quantize" }, { O_PART, "quantize" },
	{ O_ZOOM, "render sheet" }, { O_LIMIT, "render" }, { O_PERCELL, "sheet" }, { O_SWEEP, "sheet" },
	{ O_SHADE, "render sheet" }, { O_LIGHT, "render sheet shade" }, { O_NOAO, "render sheet shade" },
	{ O_NOEDGE, "render sheet shade" }, { O_COUNT, "synth" },
	{ 'o', "palette quantize render sheet shade synth fit" }, { 'f', "palette quantize render sheet shade synth fit" },
	{ 0, NULL }
};

static const struct { const char *name; int (*fn)(tool_opts *); } commands[] = {
	{ "palette", cmd_palette }, { "quantize", cmd_quantize }, { "render", cmd_render },
	{ "sheet", cmd_sheet }, { "shade", cmd_shade }, { "synth", cmd_synth },
	{ "fit", cmd_fit }, { "compare", cmd_compare },
};

int main(int argc, char **argv)
{
	kiln_tool_start("kiln-sprites");
	spr_codec_quiet();
	tool_opts o;
	memset(&o, 0, sizeof o);
	spr_fit_opts_init(&o.fit);
	spr_build_opts_init(&o.build);
	spr_layout_init(&o.layout);
	spr_shade_opts_init(&o.shade_opts);
	o.max_dim = 4096;
	o.zoom = 4;
	o.count = 8;
	o.seed = 1;
	o.part = o.nparts = 1;
	int quiet = 0, c, li;
	const char *cmd = kiln_find_command(argc, argv, "o:fqhV", longopts);
	/* an unknown command is left to the message below */
	const char *known = cmd && kiln_word_in(cmd, "palette quantize render sheet shade synth fit compare") ? cmd : NULL;
	while ((c = kiln_getopt(argc, argv, cmd, "o:fqhV", longopts, &li)) != -1) {
		kiln_check_opt_cmd(opt_cmds, longopts, known, c, li);
		switch (c) {
		case O_SIZE: o.fit.size = (uint32_t)kiln_opt_u64("--size", optarg, 4, 1024); break;
		case O_SCALE:
			if (!strcmp(optarg, "auto")) o.fit.scale = SPR_SCALE_AUTO;
			else if (!strcmp(optarg, "mode") || !strcmp(optarg, "nearest")) o.fit.scale = SPR_SCALE_MODE;
			else if (!strcmp(optarg, "box") || !strcmp(optarg, "area")) o.fit.scale = SPR_SCALE_BOX;
			else kiln_usage_error("--scale: expected auto, mode or box, not '%s'", optarg);
			break;
		case O_ALPHA: o.fit.alpha_threshold = (uint8_t)kiln_opt_u64("--alpha-threshold", optarg, 1, 255); break;
		case O_NOTRIM: o.fit.trim = 0; break;
		case O_UPSCALE: o.fit.upscale = 1; break;
		case O_SHEET:
			if (kiln_parse_dims(optarg, 4096, &o.sheet_w, &o.sheet_h))
				kiln_usage_error("--sheet: expected WxH (e.g. 32x32), not '%s'", optarg);
			break;
		case O_MAXDIM: o.max_dim = (uint32_t)kiln_opt_u64("--max-dim", optarg, 1, SPR_MAX_DIM); break;
		case O_COLORS: o.build.n_colors = (uint32_t)kiln_opt_u64("--colors", optarg, 2, SPR_MAX_COLORS); o.build_colors_set = 1; break;
		case O_NOTRANS: o.build.reserve_transparent = 0; break;
		case O_PALETTE: o.palette = optarg; break;
		case O_SEED: o.seed = o.build.seed = kiln_opt_u64("--seed", optarg, 0, UINT64_MAX); break;
		case O_HOLDOUT: o.holdout = kiln_opt_double("--holdout", optarg, 0, 0.9); break;
		case O_DITHER: o.dither = 1; break;
		case O_LABELS: o.labels = optarg; break;
		case O_ZONES: o.layout.zones = (uint32_t)kiln_opt_u64("--zones", optarg, 1, 1024); break;
		case O_CATS: o.layout.categories = (uint32_t)kiln_opt_u64("--categories", optarg, 1, 1024); break;
		case O_ZOOM: o.zoom = (uint32_t)kiln_opt_u64("--zoom", optarg, 1, 64); break;
		case O_LIMIT: o.limit = kiln_opt_u64("--limit", optarg, 1, UINT64_MAX); break;
		case O_PERCELL: o.per_cell = (uint32_t)kiln_opt_u64("--per-cell", optarg, 1, 64); break;
		case O_SWEEP: o.sweep = 1; break;
		case O_SHADE: o.shade = 1; break;
		case O_LIGHT: {
			char *comma = strchr(optarg, ',');
			if (!comma) kiln_usage_error("--light: expected X,Y (e.g. -1,-1), not '%s'", optarg);
			*comma = 0;
			double x, y;
			if (kiln_parse_double(optarg, -1, 1, &x) || kiln_parse_double(comma + 1, -1, 1, &y) || (x == 0 && y == 0))
				kiln_usage_error("--light: X and Y must be in [-1, 1], not both 0");
			o.shade_opts.light_x = (float)x;
			o.shade_opts.light_y = (float)y;
			break;
		}
		case O_NOAO: o.shade_opts.ao = 0; break;
		case O_NOEDGE: o.shade_opts.edge = 0; break;
		case O_COUNT: o.count = kiln_opt_u64("--count", optarg, 1, 100000); break;
		case O_JSON: o.json = 1; break;
		case O_PART:
			if (kiln_parse_part(optarg, &o.part, &o.nparts))
				kiln_usage_error("--part: expected I/N with 1 <= I <= N, not '%s'", optarg);
			break;
		case 'o': o.output = optarg; break;
		case 'f': o.force = 1; break;
		case 'q': quiet = 1; break;
		case 'h': fputs(usage_text, stdout); return KILN_EXIT_OK;
		case 'V': kiln_print_version(stdout, "commands: palette quantize render sheet shade synth fit compare"); return KILN_EXIT_OK;
		}
	}
	kiln_set_quiet(quiet);
	if (optind >= argc) kiln_usage_error("no command given (palette, quantize, render, sheet, shade, synth, fit, compare)");
	o.cmd = argv[optind];
	/* Parts must share one palette, or their datasets could not be merged. */
	if (o.nparts > 1 && !o.palette && !strcmp(o.cmd, "quantize"))
		kiln_usage_error("--part works with quantize and a fixed --palette");
	o.inputs = argv + optind + 1;
	o.ninputs = argc - optind - 1;
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
		if (strcmp(o.cmd, commands[i].name)) continue;
		if (!spr_codec_available() && strcmp(o.cmd, "synth") && strcmp(o.cmd, "shade")) {
			kiln_error("%s: built without ffmpeg: images cannot be decoded or encoded (install the ffmpeg libraries and rebuild)", o.cmd);
			return KILN_EXIT_NOTBUILT;
		}
		return commands[i].fn(&o);
	}
	kiln_usage_error("unknown command '%s'", o.cmd);
}
