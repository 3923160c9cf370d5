/*
 * swf_prompt.c - the structured prompt of the ByteCraft paper (Figure 3,
 * left) built from what the file itself says: kind, frame rate, resolution,
 * languages (from the Unicode scripts of its text), title, size and
 * description. Nothing here guesses beyond the file and the caller's sidecar.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swf_internal.h"

/* Scripts we can name a language for. Latin cannot tell English from French,
 * so it is reported as English, the paper's most common case. */
enum { S_LATIN, S_JAPANESE, S_CHINESE, S_KOREAN, S_CYRILLIC, S_GREEK, S_ARABIC, S_HEBREW,
       S_THAI, S_DEVANAGARI, S__N };
static const char *const script_lang[S__N] = {
	"English", "Japanese", "Chinese", "Korean", "Russian", "Greek", "Arabic", "Hebrew",
	"Thai", "Hindi",
};

static int script_of(uint32_t c)
{
	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= 0xC0 && c <= 0x24F && c != 0xD7 && c != 0xF7))
		return S_LATIN;
	if (c >= 0x3040 && c <= 0x30FF) return S_JAPANESE;           /* kana */
	if ((c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF)) return S_CHINESE;
	if ((c >= 0xAC00 && c <= 0xD7AF) || (c >= 0x1100 && c <= 0x11FF) || (c >= 0x3130 && c <= 0x318F))
		return S_KOREAN;
	if (c >= 0x400 && c <= 0x4FF) return S_CYRILLIC;
	if (c >= 0x370 && c <= 0x3FF) return S_GREEK;
	if (c >= 0x600 && c <= 0x6FF) return S_ARABIC;
	if (c >= 0x590 && c <= 0x5FF) return S_HEBREW;
	if (c >= 0xE00 && c <= 0xE7F) return S_THAI;
	if (c >= 0x900 && c <= 0x97F) return S_DEVANAGARI;
	return -1;
}

/* Count letters per script in a UTF-8 string; invalid sequences (SWF 5 and
 * older store ANSI or Shift-JIS text) are skipped byte by byte. */
static void tally(const char *s, uint64_t cnt[S__N])
{
	const uint8_t *p = (const uint8_t *)s;
	while (*p) {
		uint32_t c = *p;
		int len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
		if (len == 0) { p++; continue; }
		if (len > 1) {
			c &= 0x3Fu >> (len - 1);
			int k;
			for (k = 1; k < len; k++) {
				if ((p[k] & 0xC0) != 0x80) break;
				c = c << 6 | (p[k] & 0x3F);
			}
			if (k < len) { p++; continue; }
		}
		int sc = script_of(c);
		if (sc >= 0) cnt[sc]++;
		p += len;
	}
}

size_t swf_languages(const swf_info *i, char *buf, size_t cap)
{
	uint64_t cnt[S__N] = { 0 };
	for (size_t k = 0; k < i->texts.n; k++) tally(i->texts.v[k], cnt);
	if (i->title) tally(i->title, cnt);
	if (i->description) tally(i->description, cnt);
	/* Han characters in a text with kana are Japanese kanji. */
	if (cnt[S_JAPANESE]) { cnt[S_JAPANESE] += cnt[S_CHINESE]; cnt[S_CHINESE] = 0; }
	size_t len = 0;
	if (cap) buf[0] = 0;
	for (int sc = 0; sc < S__N; sc++) {
		/* Two letters at least: a lone symbol is not a language. */
		if (cnt[sc] < 2) continue;
		int w = snprintf(buf + len, cap > len ? cap - len : 0, "%s%s", len ? ", " : "", script_lang[sc]);
		if (w < 0 || (size_t)w >= (cap > len ? cap - len : 0)) break;
		len += (size_t)w;
	}
	return len;
}

/* A growing string for the prompt. */
typedef struct sbuf { char *p; size_t n, cap; int oom; } sbuf;

static void sb_printf(sbuf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int w = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (w < 0 || b->oom) { b->oom = 1; return; }
	if (b->n + (size_t)w + 1 > b->cap) {
		size_t nc = (b->n + (size_t)w + 1) * 2;
		char *np = realloc(b->p, nc);
		if (!np) { b->oom = 1; return; }
		b->p = np;
		b->cap = nc;
	}
	va_start(ap, fmt);
	vsnprintf(b->p + b->n, b->cap - b->n, fmt, ap);
	va_end(ap);
	b->n += (size_t)w;
}

/* One line of prompt text: newlines and tabs in a field become spaces, so a
 * field can never add a line of its own. */
static void sb_field(sbuf *b, const char *label, const char *v)
{
	sb_printf(b, "- %s: ", label);
	size_t start = b->n;
	sb_printf(b, "%s\n", v);
	if (b->oom) return;
	for (size_t k = start; k + 1 < b->n; k++)
		if (b->p[k] == '\n' || b->p[k] == '\r' || b->p[k] == '\t') b->p[k] = ' ';
}

char *swf_prompt(const swf_info *i, const char *description, uint64_t content_size)
{
	sbuf b = { 0 };
	int game = i->doaction.n || i->doabc.n || i->buttons.n;
	sb_printf(&b, "Please generate %s with the following specifications:\n", game ? "a game" : "an animation");
	sb_printf(&b, "- Frame rate: %.1f\n", swf_frame_rate(i));
	sb_printf(&b, "- Resolution: %ux%u\n", swf_width(i), swf_height(i));
	char langs[128];
	if (swf_languages(i, langs, sizeof langs)) sb_field(&b, "Language(s)", langs);
	if (i->title) sb_field(&b, "Title", i->title);
	uint64_t kb = (content_size + 512) / 1024;
	sb_printf(&b, "- Size: %lluKB\n", (unsigned long long)(kb ? kb : 1));
	const char *desc = description && *description ? description : i->description;
	if (desc) sb_field(&b, "Description", desc);
	if (b.oom) { free(b.p); return NULL; }
	/* Drop the final newline: the prompt is a block of lines, not a file. */
	if (b.n && b.p[b.n - 1] == '\n') b.p[--b.n] = 0;
	return b.p;
}
