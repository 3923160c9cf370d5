/*
 * swf.h - read, judge, describe, compress and synthesize SWF files.
 *
 * libswf is both Kiln's SWF corpus reader and the judge of generated files:
 * it decompresses FWS/CWS/ZWS with a caller-set output cap, walks the tag
 * stream (DefineSprite included), decodes the tag bodies Kiln needs and gives
 * each file a verdict (broken / damaged / ok) plus the spec notes a player
 * would tolerate. It never prints, exits or keeps globals; it never trusts a
 * length in the file. Formats: Adobe "SWF File Format Specification" v19.
 */
#ifndef KILN_SWF_H
#define KILN_SWF_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SWF_LIB_VERSION "0.1.0"

/* Error codes (0 = OK). Parsing a damaged file is not an error: it yields a
 * verdict. Errors are for the caller's mistakes and for resources. */
enum {
	SWF_OK = 0,
	SWF_ENOMEM = -1,
	SWF_EINVAL = -2,     /* bad argument */
	SWF_ENOTSWF = -3,    /* input is not an FWS/CWS/ZWS file (compress, decompress) */
	SWF_EBROKEN = -4,    /* input cannot be decompressed into a complete header */
	SWF_ETOOBIG = -5,    /* a size passes the caller's cap */
	SWF_ECODEC = -6,     /* zlib/liblzma refused to encode */
	SWF_EDAMAGED = -7    /* convert: stream cut or corrupt, or FileLength disagrees with the data */
};
const char *swf_strerror(int code);

/* Default cap on decompressed size: SWF's FileLength is a u32, so a lying
 * header can ask for 4 GiB; nothing in real corpora is near 256 MiB. */
#define SWF_DEFAULT_MAX_SIZE (256u << 20)

/* Verdicts, from best to worst. */
enum swf_verdict { SWF_VERDICT_OK = 0, SWF_VERDICT_DAMAGED = 1, SWF_VERDICT_BROKEN = 2 };
const char *swf_verdict_name(int verdict);      /* "ok", "damaged", "broken" */

/* Why a file is broken or damaged: the first problem found (a compressed
 * stream that stops early is named as the cause of whatever the tag walk
 * then finds at its end). The verdict is broken when the header could not
 * be read (the first group, or a codec error/cap before the header was
 * complete) and damaged otherwise. */
enum swf_reason {
	SWF_R_NONE = 0,
	SWF_R_EMPTY,              /* zero bytes */
	SWF_R_TOO_SHORT,          /* fewer than the 8 header bytes */
	SWF_R_NOT_SWF,            /* signature is not FWS, CWS or ZWS */
	SWF_R_TOO_BIG,            /* declared length over the caller's cap */
	SWF_R_ZLIB_ERROR,         /* zlib data error */
	SWF_R_LZMA_ERROR,         /* LZMA properties or data error */
	SWF_R_HEADER_TRUNCATED,   /* RECT/frame rate/frame count not all present */
	SWF_R_ZLIB_TRUNCATED,     /* zlib stream ends before its end marker */
	SWF_R_LZMA_TRUNCATED,     /* LZMA input ends before the declared size */
	SWF_R_TRUNCATED_TAG_HEADER,
	SWF_R_TRUNCATED_LONG_HEADER,
	SWF_R_TAG_OVERRUNS_FILE,
	SWF_R_SPRITE_TRUNCATED,   /* a DefineSprite's inner tag stream overruns its body */
	SWF_R_UNDEFINED_CHARACTER,/* PlaceObject* of a character id not defined before */
	SWF_R_OUTPUT_CAPPED,      /* decompressed data passes the cap: rest not read */
	SWF_R__COUNT
};
const char *swf_reason_name(int reason);   /* "not_swf", "tag_overruns_file", ... */

/* Spec notes: things Flash Player tolerates that the spec does not allow or
 * that a strict reader should know about. Each is reported once with its
 * first offset and a count. */
enum swf_note_kind {
	SWF_N_NO_END_TAG = 0,        /* tag stream ends without End */
	SWF_N_FRAME_COUNT,           /* header frame count != ShowFrame count (arg: ShowFrames) */
	SWF_N_NO_FILEATTRIBUTES,     /* v8+ without FileAttributes as the first tag */
	SWF_N_CWS_BELOW_V6,          /* zlib compression needs version 6 */
	SWF_N_ZWS_BELOW_V13,         /* LZMA compression needs version 13 */
	SWF_N_UNKNOWN_TAG,           /* tag code not in the spec (arg: first code) */
	SWF_N_LONG_HEADER_SHORT_TAG, /* long header on a body < 63 bytes */
	SWF_N_TRAILING_BYTES,        /* bytes after the End tag (arg: count) */
	SWF_N_LENGTH_MISMATCH,       /* FileLength != actual decompressed length */
	SWF_N_LZMA_UNKNOWN_SIZE,     /* LZMA data only decodes ignoring FileLength */
	SWF_N_SPRITE_NO_END,         /* DefineSprite body ends without End */
	SWF_N_DUPLICATE_CHARACTER,   /* a character id defined twice */
	SWF_N_BAD_TAG_IN_SPRITE,     /* a tag DefineSprite may not contain */
	SWF_N_BODY_SHORT,            /* a tag body shorter than its fields */
	SWF_N__COUNT
};
const char *swf_note_name(int kind);      /* "no_end_tag", ... */

typedef struct swf_note {
	int kind;            /* enum swf_note_kind */
	uint64_t offset;     /* first occurrence, offset in the decompressed (FWS) bytes */
	uint64_t count;      /* occurrences */
	uint64_t arg;        /* see the kind */
} swf_note;

/* Decompression status, in the vocabulary of the corpus manifest. */
enum swf_dstatus {
	SWF_D_OK = 0, SWF_D_OK_UNKNOWN_SIZE, SWF_D_SHORT, SWF_D_TRAILING,
	SWF_D_ZLIB_TRUNCATED, SWF_D_ZLIB_ERROR, SWF_D_LZMA_TRUNCATED, SWF_D_LZMA_ERROR,
	SWF_D_LEN_MISMATCH, SWF_D_NOT_SWF, SWF_D_TOO_SHORT, SWF_D_CAPPED
};
const char *swf_dstatus_name(int st);

/* Tag-walk status, same vocabulary (ok_trailing = bytes after End). */
enum swf_wstatus {
	SWF_W_OK = 0, SWF_W_OK_TRAILING, SWF_W_EOF_WITHOUT_END, SWF_W_TRUNCATED_TAG_HEADER,
	SWF_W_TRUNCATED_LONG_HEADER, SWF_W_TAG_OVERRUNS_FILE, SWF_W_HEADER_TRUNCATED, SWF_W_NONE
};
const char *swf_wstatus_name(int st);

typedef struct swf_rect { int32_t xmin, xmax, ymin, ymax; uint32_t nbits; } swf_rect;

/* One tag header as read. Offsets are in the decompressed (FWS) bytes. */
typedef struct swf_tag {
	uint64_t offset;     /* tag header */
	uint32_t length;     /* body length as declared */
	uint16_t code;
	uint8_t header_len;  /* 2 (short) or 6 (long) */
	uint8_t depth;       /* 0 top level, 1 inside a DefineSprite */
	int32_t parent;      /* index of the enclosing DefineSprite tag, or -1 */
	uint8_t overruns;    /* body passes the end of its stream */
} swf_tag;

/* Counts of a kind of asset: how many tags and how many body bytes. */
typedef struct swf_count { uint64_t n, bytes; } swf_count;

/* A list of strings found in the file (UTF-8 as stored; never NUL inside). */
typedef struct swf_strings { char **v; size_t n; } swf_strings;

/* Everything parsed from one file. Owned by the swf_file it came from. */
typedef struct swf_info {
	/* header */
	char signature[16];          /* "FWS", "CWS", "ZWS", or "other:xxxxxx" / "" */
	uint8_t version;
	uint32_t declared_length;    /* FileLength field */
	uint64_t file_size;          /* input bytes */
	uint64_t decompressed_length;/* bytes of the FWS form (8-byte header included) */
	int dstatus;                 /* enum swf_dstatus */
	int have_header;             /* RECT, frame rate and count parsed */
	swf_rect rect;               /* twips */
	uint16_t frame_rate_88;      /* 8.8 fixed point as stored */
	uint16_t frame_count;
	uint64_t body_offset;        /* first tag header */
	/* tag walk */
	int wstatus;                 /* enum swf_wstatus */
	uint64_t tag_count;          /* top-level tag headers read, End included */
	uint64_t nested_tag_count;   /* headers read inside DefineSprite */
	int has_end_tag;
	int fileattributes_first;
	uint64_t trailing_bytes;     /* after End */
	uint64_t show_frames;        /* top-level ShowFrame tags */
	/* verdict */
	int verdict;                 /* enum swf_verdict */
	int reason;                  /* enum swf_reason */
	uint64_t offset;             /* offset of the first problem (see reason) */
	swf_note notes[SWF_N__COUNT];/* the notes that occurred, first n_notes valid */
	size_t n_notes;
	/* metadata */
	int has_fileattributes;
	uint32_t fileattributes;     /* flags: 0x08 AS3, 0x10 has Metadata, 0x01 network */
	int has_background;
	uint8_t background[3];       /* RGB */
	char *title, *description;   /* from the Metadata tag's XMP (NULL if none) */
	swf_strings texts;           /* DefineEditText initial texts (HTML stripped) */
	swf_strings fonts;           /* font names (DefineFont2/3, DefineFontInfo, DefineFontName) */
	swf_strings labels;          /* FrameLabel names */
	swf_strings exports;         /* ExportAssets and SymbolClass names */
	swf_count doaction;          /* DoAction + DoInitAction */
	swf_count doabc;             /* DoABC (72, 82) */
	swf_count jpeg, png, gif, lossless;   /* embedded images by format */
	swf_count sounds;            /* DefineSound */
	swf_count sound_stream;      /* SoundStreamBlock */
	swf_count video_streams;     /* DefineVideoStream */
	swf_count video_frames;      /* VideoFrame */
	swf_count fonts_defined;     /* DefineFont* tags */
	swf_count shapes;            /* DefineShape* / DefineMorphShape* */
	swf_count sprites;           /* DefineSprite */
	swf_count buttons;           /* DefineButton* */
	uint64_t characters_defined; /* distinct character ids defined */
	uint64_t characters_referenced; /* PlaceObject* naming a character */
	uint64_t undefined_references;  /* of those, ids not defined before */
	uint32_t first_undefined_id;
} swf_info;

/* Parse options. */
typedef struct swf_opts {
	uint64_t max_size;     /* cap on decompressed bytes (0 = SWF_DEFAULT_MAX_SIZE) */
	int keep_tags;         /* keep the tag list (swf_file_tags) */
	int keep_data;         /* keep the decompressed FWS bytes (swf_file_data) */
} swf_opts;

typedef struct swf_file swf_file;

/* Parse n bytes (not kept; may be freed after the call). Never fails on bad
 * input: a bad file gets a verdict. Returns SWF_OK, SWF_ENOMEM or SWF_EINVAL.
 * On success *out is a new handle (swf_file_free). */
int swf_parse(const uint8_t *data, size_t n, const swf_opts *opts, swf_file **out);
void swf_file_free(swf_file *f);     /* NULL ok */

const swf_info *swf_file_info(const swf_file *f);
/* The tags read, in file order (sprite tags follow their DefineSprite).
 * Empty unless opts.keep_tags. Valid while f lives. */
const swf_tag *swf_file_tags(const swf_file *f, size_t *n);
/* The decompressed FWS bytes (8-byte header with signature "FWS" and the
 * original version and FileLength, then the body as decompressed). NULL
 * unless opts.keep_data or when the header could not be decompressed. */
const uint8_t *swf_file_data(const swf_file *f, size_t *n);

/* Take the decompressed FWS bytes out of f (then swf_file_data returns
 * NULL): the caller owns them and frees them with free(). NULL when there
 * are none. Saves a copy of the largest buffer of the parse. */
uint8_t *swf_file_take_data(swf_file *f, size_t *n);

/* Tag name from the spec ("DefineShape2"), or NULL for unknown codes. */
const char *swf_tag_name(unsigned code);

/* Pixel size from the RECT (twips / 20, rounded). */
uint32_t swf_width(const swf_info *i);
uint32_t swf_height(const swf_info *i);
double swf_frame_rate(const swf_info *i);

/* Languages guessed from the Unicode scripts of the text in the file (edit
 * texts, title, description, labels): writes a comma-separated list such as
 * "English, Japanese" into buf (cap bytes, NUL-terminated). Latin script is
 * reported as English: scripts cannot tell Latin-script languages apart.
 * Returns the length written (0 = no text found). */
size_t swf_languages(const swf_info *i, char *buf, size_t cap);

/* The structured prompt of the ByteCraft paper (Figure 3, left):
 *   Please generate an animation with the following specifications:
 *   - Frame rate: 24.0
 *   - Resolution: 500x400
 *   - Language(s): English
 *   - Title: ...
 *   - Size: 42KB
 *   - Description: ...
 * "game" instead of "animation" when the file has ActionScript or buttons.
 * Lines with no value (title, languages, description) are left out.
 * description may be NULL (then the XMP description is used, if any);
 * content_size is the size to state (the bytes the model will produce).
 * Returns a malloc'd NUL-terminated string (free()) or NULL on OOM. */
char *swf_prompt(const swf_info *i, const char *description, uint64_t content_size);

/* ---- compression -------------------------------------------------------- */
enum swf_codec { SWF_FWS = 0, SWF_CWS = 1, SWF_ZWS = 2 };

/* Re-encode a file with a complete header as FWS, CWS or ZWS. The body bytes
 * are those decompressed from the input (as swf_file_data), so converting
 * back and forth is byte-exact in the body. FileLength is set to 8 + body
 * length. max_size caps the decompressed size (0 = default). On success *out
 * is malloc'd (free()) and *out_n its size. SWF_ENOTSWF / SWF_EBROKEN when
 * the input has no complete header, SWF_ETOOBIG past the cap, SWF_EDAMAGED
 * when the input is damaged (see swf_convert_file). */
int swf_convert(const uint8_t *data, size_t n, int codec, uint64_t max_size,
                uint8_t **out, size_t *out_n);

/* swf_convert_file flags. */
#define SWF_CONVERT_SALVAGE 1u   /* convert a damaged input: what decodes */

/* As swf_convert, from a handle parsed with opts.keep_data (then its info
 * says why a conversion was refused). A damaged input is one whose
 * decompression status is not SWF_D_OK: the compressed stream is cut or
 * corrupt (info reason and offset), or FileLength disagrees with the data
 * (note length_mismatch / lzma_unknown_size). Converting one would hide the
 * damage behind a fresh FileLength, so it is SWF_EDAMAGED unless flags has
 * SWF_CONVERT_SALVAGE. */
int swf_convert_file(const swf_file *f, int codec, unsigned flags, uint8_t **out, size_t *out_n);

/* ---- synthesis ---------------------------------------------------------- */
/* A procedural, valid SWF animation (version 10, FWS): a moving checkered
 * pattern, a colour-cycling square and a line of text, with title and
 * description in an XMP Metadata tag. Everything is drawn from (seed, index):
 * the same pair gives the same bytes. On success *out is malloc'd (free()). */
int swf_synth(uint64_t seed, uint64_t index, uint8_t **out, size_t *out_n);

#ifdef __cplusplus
}
#endif
#endif
