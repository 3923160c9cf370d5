/*
 * spr_palio.c - palette files: GIMP .gpl, a plain hex list, and PNG swatches
 * (read: every distinct opaque colour in row-major order; written: one row of
 * 8x8 cells). Parsing is strict and names the line of the first problem.
 */
#define _GNU_SOURCE   /* memmem */
#include "spr_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int hexval(int c)
{
	if (c >= '0' && c <= '9') return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static int add_color(spr_palette *p, uint8_t r, uint8_t g, uint8_t b, const char *name, size_t line, spr_error *err)
{
	if (p->n >= SPR_MAX_COLORS)
		return spr__fail(err, SPR_EFORMAT, UINT64_MAX, "%s: line %zu: more than %u colours", name, line, SPR_MAX_COLORS);
	p->rgb[p->n][0] = r; p->rgb[p->n][1] = g; p->rgb[p->n][2] = b;
	p->n++;
	return SPR_OK;
}

/* GIMP palette: "GIMP Palette", optional "Name:"/"Columns:" lines and '#'
 * comments, then "R G B [name]" per line, decimal 0..255. */
static int parse_gpl(const char *s, size_t n, const char *name, spr_palette *p, spr_error *err)
{
	size_t line = 0, i = 0;
	while (i < n) {
		size_t e = i;
		while (e < n && s[e] != '\n') e++;
		line++;
		char buf[256];
		size_t len = e - i < sizeof buf - 1 ? e - i : sizeof buf - 1;
		memcpy(buf, s + i, len);
		buf[len] = 0;
		i = e + 1;
		char *t = buf;
		while (*t == ' ' || *t == '\t' || *t == '\r') t++;
		if (line == 1 || !*t || *t == '#' || !strncmp(t, "Name:", 5) || !strncmp(t, "Columns:", 8)) continue;
		long v[3];
		for (int c = 0; c < 3; c++) {
			char *end;
			if (!isdigit((unsigned char)*t)) goto bad;
			v[c] = strtol(t, &end, 10);
			if (v[c] < 0 || v[c] > 255 || (*end && *end != ' ' && *end != '\t' && *end != '\r')) goto bad;
			t = end;
			while (*t == ' ' || *t == '\t') t++;
		}
		int rc = add_color(p, (uint8_t)v[0], (uint8_t)v[1], (uint8_t)v[2], name, line, err);
		if (rc) return rc;
		/* our own files name the reserved entry "transparent" */
		if (p->transparent < 0 && strstr(t, "transparent")) p->transparent = (int)p->n - 1;
		continue;
	bad:
		return spr__fail(err, SPR_EFORMAT, UINT64_MAX, "%s: line %zu: expected \"R G B [name]\" with values 0..255", name, line);
	}
	return SPR_OK;
}

/* Hex list: "#rrggbb" or "rrggbb" per line; text after the colour that
 * starts with whitespace, '#' or ';' is a comment, and so is a line that
 * starts with ';' or with '#' and no hex digit after it. A '#' followed by
 * a hex digit is a colour, so a short "#rgb" is an error rather than a
 * comment that would shift every later index. */
static int parse_hex(const char *s, size_t n, const char *name, spr_palette *p, spr_error *err)
{
	size_t line = 0, i = 0;
	while (i < n) {
		size_t e = i;
		while (e < n && s[e] != '\n') e++;
		line++;
		size_t a = i;
		i = e + 1;
		while (a < e && (s[a] == ' ' || s[a] == '\t' || s[a] == '\r')) a++;
		if (a == e || s[a] == ';' || (s[a] == '#' && (a + 1 == e || hexval(s[a + 1]) < 0))) continue;
		if (s[a] == '#') a++;
		int d[6];
		for (int k = 0; k < 6; k++) d[k] = a + k < e ? hexval((unsigned char)s[a + k]) : -1;
		size_t z = a + 6;
		if (d[0] < 0 || d[1] < 0 || d[2] < 0 || d[3] < 0 || d[4] < 0 || d[5] < 0 ||
		    (z < e && s[z] != ' ' && s[z] != '\t' && s[z] != '\r' && s[z] != ';' && s[z] != '#'))
			return spr__fail(err, SPR_EFORMAT, UINT64_MAX, "%s: line %zu: expected a colour as #rrggbb", name, line);
		int rc = add_color(p, (uint8_t)(d[0] * 16 + d[1]), (uint8_t)(d[2] * 16 + d[3]), (uint8_t)(d[4] * 16 + d[5]), name, line, err);
		if (rc) return rc;
		if (p->transparent < 0 && memmem(s + z, e - z, "transparent", 11)) p->transparent = (int)p->n - 1;
	}
	return SPR_OK;
}

/* A row of uniform 8x8 cells, as spr_palette_write makes: one entry per cell,
 * in order and repeats kept, so that a written palette reads back exactly. */
static int is_cell_row(const spr_image *im)
{
	if (im->h != 8 || im->w % 8 || im->w / 8 > SPR_MAX_COLORS) return 0;
	for (int32_t y = 0; y < 8; y++)
		for (int32_t x = 0; x < im->w; x++) {
			const uint8_t *q = im->rgba + 4 * ((size_t)y * im->w + x), *c = im->rgba + 4 * (size_t)(x / 8 * 8);
			if ((q[3] < 128) != (c[3] < 128) || (c[3] >= 128 && memcmp(q, c, 3))) return 0;
		}
	return 1;
}

static int parse_png(const void *data, size_t size, const char *name, spr_palette *p, spr_error *err)
{
	spr_image im;
	int rc = spr_decode(data, size, name, 4096, &im, err);
	if (rc) return rc;
	if (is_cell_row(&im)) {
		for (int32_t x = 0; x < im.w && !rc; x += 8) {
			const uint8_t *q = im.rgba + 4 * (size_t)x;
			int clear = q[3] < 128 && p->transparent < 0;
			rc = add_color(p, clear ? 0 : q[0], clear ? 0 : q[1], clear ? 0 : q[2], name, 0, err);
			if (clear) p->transparent = (int)p->n - 1;
		}
		spr_image_free(&im);
		return rc;
	}
	/* Any other image: its distinct opaque colours in reading order. */
	for (size_t i = 0; i < (size_t)im.w * im.h; i++) {
		const uint8_t *q = im.rgba + 4 * i;
		if (q[3] < 128) {
			/* the first transparent pixel stands for the reserved entry */
			if (p->transparent < 0 && (rc = add_color(p, 0, 0, 0, name, 0, err)) == SPR_OK)
				p->transparent = (int)p->n - 1;
			if (rc) break;
			continue;
		}
		uint32_t j;
		for (j = 0; j < p->n; j++)
			if ((int)j != p->transparent && !memcmp(p->rgb[j], q, 3)) break;
		if (j < p->n) continue;
		if ((rc = add_color(p, q[0], q[1], q[2], name, 0, err))) {
			spr__fail(err, rc, UINT64_MAX, "%s: more than %u distinct colours in the swatch", name, SPR_MAX_COLORS);
			break;
		}
	}
	spr_image_free(&im);
	return rc;
}

int spr_palette_parse(const void *data, size_t size, const char *name, spr_palette *out, spr_error *err)
{
	const char *s = data;
	int rc;
	memset(out, 0, sizeof *out);
	out->transparent = -1;
	if (!name) name = "palette";
	if (size >= 8 && !memcmp(s, "\x89PNG", 4)) rc = parse_png(data, size, name, out, err);
	else if (size >= 12 && !memcmp(s, "GIMP Palette", 12)) rc = parse_gpl(s, size, name, out, err);
	else {
		for (size_t i = 0; i < size; i++)
			if (s[i] == 0) return spr__fail(err, SPR_EFORMAT, i, "%s: binary data: not a .gpl, hex list or PNG palette", name);
		rc = parse_hex(s, size, name, out, err);
	}
	if (rc == SPR_OK && out->n == 0) rc = spr__fail(err, SPR_EEMPTY, UINT64_MAX, "%s: no colours", name);
	/* pixels can only map to the other entries: this palette maps nothing */
	if (rc == SPR_OK && out->n == 1 && out->transparent == 0)
		rc = spr__fail(err, SPR_EEMPTY, UINT64_MAX, "%s: no colour besides the transparent entry", name);
	return rc;
}

int spr_palette_format_for_name(const char *name)
{
	size_t n = name ? strlen(name) : 0;
	if (n >= 4 && !strcasecmp(name + n - 4, ".gpl")) return SPR_PAL_GPL;
	if (n >= 4 && !strcasecmp(name + n - 4, ".png")) return SPR_PAL_PNG;
	return SPR_PAL_HEX;
}

int spr_palette_write(const spr_palette *p, int format, uint8_t **out, size_t *size, spr_error *err)
{
	*out = NULL;
	*size = 0;
	if (!p || p->n == 0 || p->n > SPR_MAX_COLORS) return spr__fail(err, SPR_EINVAL, UINT64_MAX, "bad palette");
	if (format == SPR_PAL_PNG) {
		spr_image im;
		int rc = spr_image_alloc(&im, p->n * 8, 8);
		if (rc) return spr__fail(err, rc, UINT64_MAX, "out of memory");
		for (uint32_t i = 0; i < p->n; i++) {
			if ((int)i == p->transparent) continue;
			uint8_t c[4] = { p->rgb[i][0], p->rgb[i][1], p->rgb[i][2], 255 };
			spr_fill(&im, (int32_t)i * 8, 0, 8, 8, c);
		}
		rc = spr_encode_png(&im, out, size, err);
		spr_image_free(&im);
		return rc;
	}
	size_t cap = 64 + (size_t)p->n * 40, len = 0;
	char *b = malloc(cap);
	if (!b) return spr__fail(err, SPR_ENOMEM, UINT64_MAX, "out of memory");
	if (format == SPR_PAL_GPL)
		len += snprintf(b + len, cap - len, "GIMP Palette\nName: kiln-sprites\nColumns: 8\n#\n");
	for (uint32_t i = 0; i < p->n; i++) {
		const uint8_t *c = p->rgb[i];
		const char *tag = (int)i == p->transparent ? "transparent" : "";
		if (format == SPR_PAL_GPL)
			len += snprintf(b + len, cap - len, "%3u %3u %3u\t%u%s%s\n", c[0], c[1], c[2], i, *tag ? " " : "", tag);
		else
			len += snprintf(b + len, cap - len, "#%02x%02x%02x%s%s\n", c[0], c[1], c[2], *tag ? " ; " : "", tag);
	}
	*out = (uint8_t *)b;
	*size = len;
	return SPR_OK;
}

size_t spr_palette_canonical(const spr_palette *p, uint8_t *buf)
{
	buf[0] = (uint8_t)(p->n - 1);
	buf[1] = p->transparent < 0 ? 0xFF : (uint8_t)p->transparent;
	memcpy(buf + 2, p->rgb, (size_t)p->n * 3);
	return 2 + (size_t)p->n * 3;
}
