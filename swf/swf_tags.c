/*
 * swf_tags.c - the tag walk (RECORDHEADER short/long, End, DefineSprite's
 * nested stream) and the tag bodies Kiln reads: FileAttributes,
 * SetBackgroundColor, Metadata, texts, font names, labels, export names,
 * scripts, images, sounds, video, and which character ids are defined and
 * placed. Bodies are read only as far as they go; a short body is a note.
 */
#define _GNU_SOURCE   /* memmem */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swf_internal.h"

/* Tag names from the SWF 19 specification (and the two DoABC codes). */
const char *swf_tag_name(unsigned code)
{
	switch (code) {
	case 0: return "End";
	case 1: return "ShowFrame";
	case 2: return "DefineShape";
	case 3: return "FreeCharacter";
	case 4: return "PlaceObject";
	case 5: return "RemoveObject";
	case 6: return "DefineBits";
	case 7: return "DefineButton";
	case 8: return "JPEGTables";
	case 9: return "SetBackgroundColor";
	case 10: return "DefineFont";
	case 11: return "DefineText";
	case 12: return "DoAction";
	case 13: return "DefineFontInfo";
	case 14: return "DefineSound";
	case 15: return "StartSound";
	case 17: return "DefineButtonSound";
	case 18: return "SoundStreamHead";
	case 19: return "SoundStreamBlock";
	case 20: return "DefineBitsLossless";
	case 21: return "DefineBitsJPEG2";
	case 22: return "DefineShape2";
	case 23: return "DefineButtonCxform";
	case 24: return "Protect";
	case 25: return "PathsArePostScript";
	case 26: return "PlaceObject2";
	case 28: return "RemoveObject2";
	case 29: return "SyncFrame";
	case 31: return "FreeAll";
	case 32: return "DefineShape3";
	case 33: return "DefineText2";
	case 34: return "DefineButton2";
	case 35: return "DefineBitsJPEG3";
	case 36: return "DefineBitsLossless2";
	case 37: return "DefineEditText";
	case 38: return "DefineVideo";
	case 39: return "DefineSprite";
	case 40: return "NameCharacter";
	case 41: return "ProductInfo";
	case 42: return "DefineTextFormat";
	case 43: return "FrameLabel";
	case 45: return "SoundStreamHead2";
	case 46: return "DefineMorphShape";
	case 47: return "GenerateFrame";
	case 48: return "DefineFont2";
	case 49: return "GeneratorCommand";
	case 50: return "DefineCommandObject";
	case 51: return "CharacterSet";
	case 52: return "ExternalFont";
	case 56: return "ExportAssets";
	case 57: return "ImportAssets";
	case 58: return "EnableDebugger";
	case 59: return "DoInitAction";
	case 60: return "DefineVideoStream";
	case 61: return "VideoFrame";
	case 62: return "DefineFontInfo2";
	case 63: return "DebugID";
	case 64: return "EnableDebugger2";
	case 65: return "ScriptLimits";
	case 66: return "SetTabIndex";
	case 69: return "FileAttributes";
	case 70: return "PlaceObject3";
	case 71: return "ImportAssets2";
	case 72: return "DoABCDefine";
	case 73: return "DefineFontAlignZones";
	case 74: return "CSMTextSettings";
	case 75: return "DefineFont3";
	case 76: return "SymbolClass";
	case 77: return "Metadata";
	case 78: return "DefineScalingGrid";
	case 82: return "DoABC";
	case 83: return "DefineShape4";
	case 84: return "DefineMorphShape2";
	case 86: return "DefineSceneAndFrameLabelData";
	case 87: return "DefineBinaryData";
	case 88: return "DefineFontName";
	case 89: return "StartSound2";
	case 90: return "DefineBitsJPEG4";
	case 91: return "DefineFont4";
	case 93: return "EnableTelemetry";
	}
	return NULL;
}

/* Tags whose body starts with the character id they define. */
static int defines_character(unsigned code)
{
	switch (code) {
	case 2: case 6: case 7: case 10: case 11: case 14: case 20: case 21: case 22:
	case 32: case 33: case 34: case 35: case 36: case 37: case 39: case 46: case 48:
	case 60: case 75: case 83: case 84: case 87: case 90: case 91:
		return 1;
	}
	return 0;
}

/* Tags the spec allows inside DefineSprite (control tags only). */
static int allowed_in_sprite(unsigned code)
{
	switch (code) {
	case 0: case 1: case 4: case 5: case 12: case 15: case 18: case 19: case 26:
	case 28: case 43: case 45: case 70: case 89: case 59:
		return 1;
	}
	return 0;
}

typedef struct walk {
	swf_file *f;
	const uint8_t *d;
	uint8_t defined[65536 / 8];
	int depth;                 /* of the tag whose body is being read */
	/* Placements inside DefineSprite run only when the sprite is shown, by
	 * which time later definitions have loaded: check those at the end. */
	struct pend { uint16_t id; uint64_t off; } *pending;
	size_t npending, cappending;
} walk;

static int is_defined(walk *w, unsigned id) { return w->defined[id >> 3] >> (id & 7) & 1; }
static void set_defined(walk *w, unsigned id) { w->defined[id >> 3] |= (uint8_t)(1u << (id & 7)); }

static void oom(walk *w, int r) { if (r) w->f->oom = 1; }

/* A NUL-terminated STRING field at p (up to end). Returns the byte after the
 * terminator, or NULL when the string runs to the end unterminated. */
static const uint8_t *str_field(const uint8_t *p, const uint8_t *end, const uint8_t **s, size_t *n)
{
	const uint8_t *z = p < end ? memchr(p, 0, (size_t)(end - p)) : NULL;
	*s = p;
	*n = z ? (size_t)(z - p) : (size_t)(end > p ? end - p : 0);
	return z ? z + 1 : NULL;
}

/* Decode the five XML entities in place (XMP and HTML text use them). */
static size_t unescape_xml(char *s, size_t n)
{
	static const struct { const char *e; char c; } ents[] = {
		{ "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' }, { "&quot;", '"' },
		{ "&apos;", '\'' }, { "&nbsp;", ' ' },
	};
	size_t o = 0;
	for (size_t k = 0; k < n;) {
		if (s[k] == '&') {
			size_t e;
			for (e = 0; e < sizeof ents / sizeof *ents; e++) {
				size_t l = strlen(ents[e].e);
				if (k + l <= n && !memcmp(s + k, ents[e].e, l)) {
					s[o++] = ents[e].c;
					k += l;
					break;
				}
			}
			if (e < sizeof ents / sizeof *ents) continue;
		}
		s[o++] = s[k++];
	}
	return o;
}

/* Text content of markup: tags removed, entities decoded, whitespace runs
 * collapsed and trimmed. Returns a malloc'd string (NULL on OOM). */
static char *markup_text(const uint8_t *s, size_t n)
{
	char *o = malloc(n + 1);
	if (!o) return NULL;
	size_t k = 0;
	int in_tag = 0, space = 1;
	for (size_t i = 0; i < n; i++) {
		char c = (char)s[i];
		if (in_tag) { if (c == '>') in_tag = 0; continue; }
		if (c == '<') { in_tag = 1; if (!space) { o[k++] = ' '; space = 1; } continue; }
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			if (!space) { o[k++] = ' '; space = 1; }
			continue;
		}
		o[k++] = c;
		space = 0;
	}
	while (k && o[k - 1] == ' ') k--;
	k = unescape_xml(o, k);
	o[k] = 0;
	return o;
}

/* XMP: text of the first <dc:NAME> element (rdf:Alt/rdf:li wrappers
 * included). Returns malloc'd text, or NULL when absent or empty. */
static char *xmp_field(walk *w, const uint8_t *s, size_t n, const char *name)
{
	char open[32], close[32];
	snprintf(open, sizeof open, "<dc:%s", name);
	snprintf(close, sizeof close, "</dc:%s>", name);
	const uint8_t *a = memmem(s, n, open, strlen(open));
	if (!a) return NULL;
	const uint8_t *gt = memchr(a, '>', (size_t)(s + n - a));
	if (!gt) return NULL;
	if (gt[-1] == '/') return NULL;                     /* <dc:title/> */
	const uint8_t *b = memmem(gt + 1, (size_t)(s + n - gt - 1), close, strlen(close));
	if (!b) return NULL;
	char *t = markup_text(gt + 1, (size_t)(b - gt - 1));
	if (!t) { w->f->oom = 1; return NULL; }
	if (!*t) { free(t); return NULL; }
	if (strlen(t) > SWF__MAX_STRING) t[SWF__MAX_STRING] = 0;
	return t;
}

static void add_text(walk *w, swf_strings *l, const uint8_t *s, size_t n, int markup)
{
	if (!n) return;
	if (!markup) { oom(w, swf__strings_add(l, (const char *)s, n)); return; }
	char *t = markup_text(s, n);
	if (!t) { w->f->oom = 1; return; }
	if (*t) oom(w, swf__strings_add(l, t, strlen(t)));
	free(t);
}

static void count(swf_count *c, size_t bytes) { c->n++; c->bytes += bytes; }

/* Image format from the first bytes of embedded image data. */
static void image_kind(swf_info *i, const uint8_t *p, size_t n, size_t bytes)
{
	if (n >= 4 && p[0] == 0x89 && p[1] == 'P' && p[2] == 'N' && p[3] == 'G') count(&i->png, bytes);
	else if (n >= 4 && !memcmp(p, "GIF8", 4)) count(&i->gif, bytes);
	else count(&i->jpeg, bytes);
}

/* DefineEditText: walk the optional fields to InitialText. */
static void edit_text(walk *w, const uint8_t *p, const uint8_t *end, uint64_t off)
{
	swf_info *i = &w->f->info;
	if (end - p < 3) goto short_body;
	swf__bits b = { p + 2, (size_t)(end - p - 2), 0 };
	uint32_t nbits;
	int32_t v;
	if (swf__ubits(&b, 5, &nbits)) goto short_body;
	for (int k = 0; k < 4; k++) if (swf__sbits(&b, nbits, &v)) goto short_body;
	p += 2 + (b.bit + 7) / 8;
	if (end - p < 2) goto short_body;
	unsigned f1 = p[0], f2 = p[1];
	p += 2;
	size_t need = (f1 & 0x01 ? 2 : 0);
	if ((size_t)(end - p) < need) goto short_body;
	p += need;
	const uint8_t *s;
	size_t n;
	if (f2 & 0x80) {                 /* HasFontClass: a class-name STRING */
		p = str_field(p, end, &s, &n);
		if (!p) goto short_body;
	}
	/* FontHeight follows a font id or a font class (the spec names only the
	 * id; Flash writes it for both, and Ruffle reads it for both). */
	need = ((f1 & 0x01) || (f2 & 0x80) ? 2 : 0) + (f1 & 0x04 ? 4 : 0) + (f1 & 0x02 ? 2 : 0) + (f2 & 0x20 ? 9 : 0);
	if ((size_t)(end - p) < need) goto short_body;
	p += need;
	p = str_field(p, end, &s, &n);   /* VariableName */
	if (!p) goto short_body;
	if (f1 & 0x80) {                 /* HasText */
		str_field(p, end, &s, &n);
		add_text(w, &i->texts, s, n, (f2 & 0x02) != 0);
	}
	return;
short_body:
	swf__note(i, SWF_N_BODY_SHORT, off, 37);
}

/* ExportAssets / SymbolClass: count, then (id, name) pairs. */
static void name_pairs(walk *w, const uint8_t *p, const uint8_t *end, uint64_t off, unsigned code)
{
	swf_info *i = &w->f->info;
	if (end - p < 2) { swf__note(i, SWF_N_BODY_SHORT, off, code); return; }
	unsigned nrec = swf__u16(p);
	p += 2;
	for (unsigned k = 0; k < nrec; k++) {
		if (end - p < 2) { swf__note(i, SWF_N_BODY_SHORT, off, code); return; }
		const uint8_t *s;
		size_t n;
		p = str_field(p + 2, end, &s, &n);
		add_text(w, &i->exports, s, n, 0);
		if (!p) { swf__note(i, SWF_N_BODY_SHORT, off, code); return; }
	}
}

/* ImportAssets(2): imported ids count as defined. */
static void import_assets(walk *w, const uint8_t *p, const uint8_t *end, unsigned code)
{
	const uint8_t *s;
	size_t n;
	p = str_field(p, end, &s, &n);
	if (!p) return;
	if (code == 71) p += 2;
	if (end - p < 2) return;
	unsigned nrec = swf__u16(p);
	p += 2;
	for (unsigned k = 0; k < nrec && end - p >= 2; k++) {
		set_defined(w, swf__u16(p));
		p = str_field(p + 2, end, &s, &n);
		if (!p) return;
	}
}

static void place(walk *w, unsigned id, uint64_t off)
{
	swf_info *i = &w->f->info;
	i->characters_referenced++;
	if (!is_defined(w, id) && w->depth > 0) {
		if (w->npending == w->cappending) {
			size_t cap = w->cappending ? 2 * w->cappending : 256;
			struct pend *q = realloc(w->pending, cap * sizeof *q);
			if (!q) { w->f->oom = 1; return; }
			w->pending = q;
			w->cappending = cap;
		}
		w->pending[w->npending].id = (uint16_t)id;
		w->pending[w->npending++].off = off;
		return;
	}
	if (!is_defined(w, id)) {
		if (!i->undefined_references) i->first_undefined_id = id;
		i->undefined_references++;
		swf__problem(i, SWF_R_UNDEFINED_CHARACTER, off);
	}
}

/* One tag body: p .. end are the bytes present (possibly fewer than the
 * declared length when the tag overruns). off is the tag header's offset. */
static void body(walk *w, unsigned code, const uint8_t *p, const uint8_t *end, uint64_t off)
{
	swf_info *i = &w->f->info;
	size_t len = (size_t)(end - p);
	const uint8_t *s;
	size_t n;
	if (defines_character(code)) {
		if (len < 2) { swf__note(i, SWF_N_BODY_SHORT, off, code); return; }
		unsigned id = swf__u16(p);
		if (is_defined(w, id)) swf__note(i, SWF_N_DUPLICATE_CHARACTER, off, id);
		else i->characters_defined++;
		set_defined(w, id);
	}
	switch (code) {
	case 69:    /* FileAttributes */
		i->has_fileattributes = 1;
		if (len >= 4) i->fileattributes = swf__u32(p);
		else if (len >= 1) i->fileattributes = p[0];
		break;
	case 9:     /* SetBackgroundColor: RGB */
		if (len >= 3) { i->has_background = 1; memcpy(i->background, p, 3); }
		else swf__note(i, SWF_N_BODY_SHORT, off, code);
		break;
	case 77:    /* Metadata: an XMP document */
		str_field(p, end, &s, &n);
		if (!i->title) i->title = xmp_field(w, s, n, "title");
		if (!i->description) i->description = xmp_field(w, s, n, "description");
		break;
	case 37: edit_text(w, p, end, off); break;
	case 48: case 75:   /* DefineFont2/3: id, flags, language, name length, name */
		count(&i->fonts_defined, len);
		if (len >= 5 && p[4] <= len - 5) add_text(w, &i->fonts, p + 5, p[4], 0);
		break;
	case 10: case 91: count(&i->fonts_defined, len); break;
	case 13: case 62:   /* DefineFontInfo(2): id, name length, name */
		if (len >= 3 && p[2] <= len - 3) add_text(w, &i->fonts, p + 3, p[2], 0);
		break;
	case 88:    /* DefineFontName: id, name, copyright */
		if (len >= 2) { str_field(p + 2, end, &s, &n); add_text(w, &i->fonts, s, n, 0); }
		break;
	case 43:    /* FrameLabel */
		str_field(p, end, &s, &n);
		add_text(w, &i->labels, s, n, 0);
		break;
	case 56: case 76: name_pairs(w, p, end, off, code); break;
	case 57: case 71: import_assets(w, p, end, code); break;
	case 12: case 59: count(&i->doaction, len); break;
	case 72: case 82: count(&i->doabc, len); break;
	case 6: count(&i->jpeg, len); break;
	case 21: if (len > 2) image_kind(i, p + 2, len - 2, len); break;
	case 35: if (len > 6) image_kind(i, p + 6, len - 6, len); break;
	case 90: if (len > 8) image_kind(i, p + 8, len - 8, len); break;
	case 20: case 36: count(&i->lossless, len); break;
	case 14: count(&i->sounds, len); break;
	case 19: count(&i->sound_stream, len); break;
	case 60: count(&i->video_streams, len); break;
	case 61: count(&i->video_frames, len); break;
	case 2: case 22: case 32: case 83: case 46: case 84: count(&i->shapes, len); break;
	case 7: case 34: count(&i->buttons, len); break;
	case 39: count(&i->sprites, len); break;
	case 4:     /* PlaceObject: CharacterId first */
		if (len >= 2) place(w, swf__u16(p), off);
		break;
	case 26:    /* PlaceObject2: flags, depth, [CharacterId if HasCharacter] */
		if (len >= 1 && (p[0] & 0x02)) {
			if (len >= 5) place(w, swf__u16(p + 3), off);
			else swf__note(i, SWF_N_BODY_SHORT, off, code);
		}
		break;
	case 70: {  /* PlaceObject3: flags, flags2, depth, [ClassName], [CharacterId] */
		if (len < 4) { swf__note(i, SWF_N_BODY_SHORT, off, code); break; }
		unsigned f1 = p[0], f2 = p[1];
		const uint8_t *q = p + 4;
		if ((f2 & 0x08) || ((f2 & 0x10) && (f1 & 0x02))) {
			q = str_field(q, end, &s, &n);
			if (!q) { swf__note(i, SWF_N_BODY_SHORT, off, code); break; }
		}
		if (f1 & 0x02) {
			if (end - q >= 2) place(w, swf__u16(q), off);
			else swf__note(i, SWF_N_BODY_SHORT, off, code);
		}
		break;
	}
	}
}

static void keep_tag(walk *w, const swf_tag *t)
{
	swf_file *f = w->f;
	if (!f->keep_tags || f->ntags >= SWF__MAX_TAGS) return;
	if (f->ntags == f->cap_tags) {
		size_t nc = f->cap_tags ? f->cap_tags * 2 : 64;
		swf_tag *nt = realloc(f->tags, nc * sizeof *nt);
		if (!nt) { f->oom = 1; return; }
		f->tags = nt;
		f->cap_tags = nc;
	}
	f->tags[f->ntags++] = *t;
}

/* Walk tags in [pos, end). depth 0 = the file, 1 = a DefineSprite body.
 * Returns the wstatus of this stream. */
static int walk_stream(walk *w, uint64_t pos, uint64_t end, int depth, int32_t parent,
                       uint64_t *ntags, uint64_t *showframes, uint64_t *fail_off)
{
	swf_info *i = &w->f->info;
	const uint8_t *d = w->d;
	for (;;) {
		if (pos == end) return SWF_W_EOF_WITHOUT_END;
		if (end - pos < 2) { *fail_off = pos; return SWF_W_TRUNCATED_TAG_HEADER; }
		unsigned hdr = swf__u16(d + pos);
		unsigned code = hdr >> 6;
		uint64_t len = hdr & 0x3f;
		swf_tag t = { pos, 0, (uint16_t)code, 2, (uint8_t)depth, parent, 0 };
		if (len == 0x3f) {
			if (end - pos < 6) { *fail_off = pos; return SWF_W_TRUNCATED_LONG_HEADER; }
			len = swf__u32(d + pos + 2);
			t.header_len = 6;
			if (len < 0x3f) swf__note(i, SWF_N_LONG_HEADER_SHORT_TAG, pos, code);
		}
		t.length = (uint32_t)len;
		(*ntags)++;
		uint64_t bstart = pos + t.header_len;
		uint64_t bend = bstart + len;
		if (bend > end) t.overruns = 1;
		int32_t self = (int32_t)w->f->ntags;
		keep_tag(w, &t);
		if (!swf_tag_name(code)) swf__note(i, SWF_N_UNKNOWN_TAG, pos, code);
		if (depth > 0 && !allowed_in_sprite(code)) swf__note(i, SWF_N_BAD_TAG_IN_SPRITE, pos, code);
		if (code == 1) (*showframes)++;
		if (code == 39 && depth == 0 && !t.overruns) {
			/* DefineSprite: id, frame count, then a nested tag stream that
			 * must end inside the body. */
			if (len >= 4) {
				uint64_t nt = 0, sf = 0, fo = 0;
				int st = walk_stream(w, bstart + 4, bend, 1, self, &nt, &sf, &fo);
				i->nested_tag_count += nt;
				if (st == SWF_W_EOF_WITHOUT_END) swf__note(i, SWF_N_SPRITE_NO_END, bend, 0);
				else if (st != SWF_W_OK && st != SWF_W_OK_TRAILING) swf__problem(i, SWF_R_SPRITE_TRUNCATED, fo);
			} else {
				swf__note(i, SWF_N_BODY_SHORT, pos, code);
			}
		}
		w->depth = depth;
		body(w, code, d + bstart, d + (bend > end ? end : bend), pos);
		if (t.overruns) { *fail_off = pos; return SWF_W_TAG_OVERRUNS_FILE; }
		pos = bend;
		if (code == 0) { *fail_off = pos; return pos == end ? SWF_W_OK : SWF_W_OK_TRAILING; }
	}
}

void swf__walk(swf_file *f, const uint8_t *d, size_t n)
{
	swf_info *i = &f->info;
	walk *w = malloc(sizeof *w);
	if (!w) { f->oom = 1; return; }
	memset(w->defined, 0, sizeof w->defined);
	w->f = f;
	w->d = d;
	w->depth = 0;
	w->pending = NULL;
	w->npending = w->cappending = 0;
	uint64_t fail = 0;
	uint64_t first = i->body_offset;
	i->wstatus = walk_stream(w, first, n, 0, -1, &i->tag_count, &i->show_frames, &fail);
	for (size_t k = 0; k < w->npending; k++) {
		if (is_defined(w, w->pending[k].id)) continue;
		if (!i->undefined_references) i->first_undefined_id = w->pending[k].id;
		i->undefined_references++;
		swf__problem(i, SWF_R_UNDEFINED_CHARACTER, w->pending[k].off);
	}
	/* FileAttributes must be the first tag from version 8 on. */
	i->fileattributes_first = n - first >= 2 && (swf__u16(d + first) >> 6) == 69;
	switch (i->wstatus) {
	case SWF_W_OK: i->has_end_tag = 1; break;
	case SWF_W_OK_TRAILING:     /* fail is where End's header ended */
		i->has_end_tag = 1;
		i->trailing_bytes = n - fail;
		swf__note(i, SWF_N_TRAILING_BYTES, fail, n - fail);
		break;
	case SWF_W_EOF_WITHOUT_END: swf__note(i, SWF_N_NO_END_TAG, n, 0); break;
	case SWF_W_TRUNCATED_TAG_HEADER: swf__problem(i, SWF_R_TRUNCATED_TAG_HEADER, fail); break;
	case SWF_W_TRUNCATED_LONG_HEADER: swf__problem(i, SWF_R_TRUNCATED_LONG_HEADER, fail); break;
	case SWF_W_TAG_OVERRUNS_FILE: swf__problem(i, SWF_R_TAG_OVERRUNS_FILE, fail); break;
	}
	if (i->version >= 8 && !i->fileattributes_first) swf__note(i, SWF_N_NO_FILEATTRIBUTES, first, 0);
	if (i->show_frames != i->frame_count) swf__note(i, SWF_N_FRAME_COUNT, first, i->show_frames);
	free(w->pending);
	free(w);
}
