/*
 * swf_cmd_json.c - the JSON form of one file's swf_info, shared by
 * `kiln-swf info --json` and the ingest manifest, and the description
 * sidecar lookup. Field names are documented in man/kiln-swf.1.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "swf_cmd.h"

static void count(kiln_json *j, const char *key, swf_count c)
{
	kiln_json_obj_begin(j, key);
	kiln_json_u64(j, "count", c.n);
	kiln_json_u64(j, "bytes", c.bytes);
	kiln_json_obj_end(j);
}

static void strings(kiln_json *j, const char *key, const swf_strings *l)
{
	kiln_json_arr_begin(j, key);
	for (size_t k = 0; k < l->n; k++) kiln_json_str(j, NULL, l->v[k]);
	kiln_json_arr_end(j);
}

void swf_cmd_info_fields(kiln_json *j, const swf_info *i)
{
	/* Signature (3 bytes), version (1) and FileLength (4) are stored as is
	 * in every form: a field the file is too short to hold is null, where
	 * "" or 0 would read as a value found in the file. */
	if (i->file_size >= 3) kiln_json_str(j, "signature", i->signature);
	else kiln_json_null(j, "signature");
	if (i->file_size >= 4) kiln_json_u64(j, "version", i->version);
	else kiln_json_null(j, "version");
	kiln_json_u64(j, "file_size", i->file_size);
	if (i->file_size >= 8) kiln_json_u64(j, "declared_length", i->declared_length);
	else kiln_json_null(j, "declared_length");
	kiln_json_u64(j, "decompressed_length", i->decompressed_length);
	kiln_json_str(j, "decompression", swf_dstatus_name(i->dstatus));
	if (i->have_header) {
		kiln_json_obj_begin(j, "rect");
		kiln_json_i64(j, "xmin", i->rect.xmin);
		kiln_json_i64(j, "xmax", i->rect.xmax);
		kiln_json_i64(j, "ymin", i->rect.ymin);
		kiln_json_i64(j, "ymax", i->rect.ymax);
		kiln_json_obj_end(j);
		kiln_json_u64(j, "rect_nbits", i->rect.nbits);
		kiln_json_u64(j, "width", swf_width(i));
		kiln_json_u64(j, "height", swf_height(i));
		kiln_json_double(j, "frame_rate", swf_frame_rate(i));
		kiln_json_u64(j, "frame_count", i->frame_count);
	} else {
		kiln_json_null(j, "rect");
		kiln_json_null(j, "width");
		kiln_json_null(j, "height");
		kiln_json_null(j, "frame_rate");
		kiln_json_null(j, "frame_count");
	}
	kiln_json_u64(j, "tag_count", i->tag_count);
	kiln_json_u64(j, "nested_tag_count", i->nested_tag_count);
	kiln_json_str(j, "tag_walk", swf_wstatus_name(i->wstatus));
	kiln_json_bool(j, "has_end_tag", i->has_end_tag);
	kiln_json_u64(j, "trailing_bytes", i->trailing_bytes);
	kiln_json_u64(j, "show_frames", i->show_frames);
	kiln_json_str(j, "verdict", swf_verdict_name(i->verdict));
	if (i->reason) {
		kiln_json_str(j, "reason", swf_reason_name(i->reason));
		kiln_json_u64(j, "offset", i->offset);
	} else {
		kiln_json_null(j, "reason");
		kiln_json_null(j, "offset");
	}
	kiln_json_arr_begin(j, "notes");
	for (size_t k = 0; k < i->n_notes; k++) {
		kiln_json_obj_begin(j, NULL);
		kiln_json_str(j, "note", swf_note_name(i->notes[k].kind));
		kiln_json_u64(j, "offset", i->notes[k].offset);
		kiln_json_u64(j, "count", i->notes[k].count);
		kiln_json_u64(j, "arg", i->notes[k].arg);
		kiln_json_obj_end(j);
	}
	kiln_json_arr_end(j);
	kiln_json_bool(j, "fileattributes_first", i->fileattributes_first);
	if (i->has_fileattributes) {
		kiln_json_obj_begin(j, "file_attributes");
		kiln_json_bool(j, "actionscript3", (i->fileattributes & 0x08) != 0);
		kiln_json_bool(j, "has_metadata", (i->fileattributes & 0x10) != 0);
		kiln_json_bool(j, "use_network", (i->fileattributes & 0x01) != 0);
		kiln_json_obj_end(j);
	} else {
		kiln_json_null(j, "file_attributes");
	}
	if (i->has_background) {
		/* "#rrggbb" by hand: snprintf cost more than the rest of the line. */
		static const char hex[] = "0123456789abcdef";
		char c[8] = { '#' };
		for (int k = 0; k < 3; k++) {
			c[1 + 2 * k] = hex[i->background[k] >> 4];
			c[2 + 2 * k] = hex[i->background[k] & 15];
		}
		kiln_json_strn(j, "background", c, 7);
	} else {
		kiln_json_null(j, "background");
	}
	kiln_json_str(j, "title", i->title);
	kiln_json_str(j, "description", i->description);
	char langs[128];
	swf_languages(i, langs, sizeof langs);
	kiln_json_str(j, "languages", langs);
	strings(j, "texts", &i->texts);
	strings(j, "fonts", &i->fonts);
	strings(j, "frame_labels", &i->labels);
	strings(j, "exports", &i->exports);
	count(j, "do_action", i->doaction);
	count(j, "do_abc", i->doabc);
	kiln_json_obj_begin(j, "images");
	count(j, "jpeg", i->jpeg);
	count(j, "png", i->png);
	count(j, "gif", i->gif);
	count(j, "lossless", i->lossless);
	kiln_json_obj_end(j);
	count(j, "sounds", i->sounds);
	count(j, "sound_stream_blocks", i->sound_stream);
	count(j, "video_streams", i->video_streams);
	count(j, "video_frames", i->video_frames);
	count(j, "fonts_defined", i->fonts_defined);
	count(j, "shapes", i->shapes);
	count(j, "sprites", i->sprites);
	count(j, "buttons", i->buttons);
	kiln_json_obj_begin(j, "characters");
	kiln_json_u64(j, "defined", i->characters_defined);
	kiln_json_u64(j, "placed", i->characters_referenced);
	kiln_json_u64(j, "undefined", i->undefined_references);
	if (i->undefined_references) kiln_json_u64(j, "first_undefined_id", i->first_undefined_id);
	kiln_json_obj_end(j);
}

char *swf_cmd_read_text(const char *path)
{
	size_t n;
	uint8_t *d = kiln_read_file(path, 1 << 20, &n);
	if (!d) return NULL;
	char *s = (char *)d;
	size_t a = 0;
	while (a < n && isspace((unsigned char)s[a])) a++;
	while (n > a && isspace((unsigned char)s[n - 1])) n--;
	char *out = kiln_xmalloc(n - a + 1);
	memcpy(out, s + a, n - a);
	out[n - a] = 0;
	free(d);
	if (!*out || memchr(out, 0, n - a)) { free(out); return NULL; }
	return out;
}

char *swf_cmd_sidecar(const char *path)
{
	size_t n = strlen(path);
	char *p = kiln_xmalloc(n + 5);
	snprintf(p, n + 5, "%s.txt", path);
	char *s = swf_cmd_read_text(p);
	if (!s && n > 4 && !strcasecmp(path + n - 4, ".swf")) {
		memcpy(p + n - 4, ".txt", 5);
		s = swf_cmd_read_text(p);
	}
	free(p);
	return s;
}
