/*
 * kiln.h - helpers every Kiln command-line tool shares.
 *
 * This is tool-side code (the "libarchive_fe" / "curlx" of Kiln): messages,
 * strict number parsing, atomic output, a progress line, JSON output, hashing.
 * The libraries (libshard, libswf, libbpe, ...) never include it: they return
 * status codes and leave printing, exiting and signals to the tools.
 *
 * Conventions every tool follows (see README.md, "Exit status"):
 *   0 success, 1 failure, 2 usage error, 3 feature not built in.
 *   Messages go to stderr as "kiln-x: FILE: message"; stdout carries data only.
 */
#ifndef KILN_H
#define KILN_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KILN_VERSION "0.1.0"

enum { KILN_EXIT_OK = 0, KILN_EXIT_FAIL = 1, KILN_EXIT_USAGE = 2, KILN_EXIT_NOTBUILT = 3 };

#if defined(__GNUC__)
#define KILN_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define KILN_NORETURN __attribute__((noreturn))
#else
#define KILN_PRINTF(f, a)
#define KILN_NORETURN
#endif

/* ---- messages (kiln_msg.c) -------------------------------------------- */

/* The tool's name ("kiln-swf") used as message prefix; kiln_tool_start sets it. */
void kiln_set_progname(const char *name);
/* A tool's first call: its name for messages, and a check at exit that
 * standard output lost nothing (else the exit status is KILN_EXIT_FAIL). */
void kiln_tool_start(const char *name);

/* "kiln-x: message\n" on stderr. Every message below is written as one
 * line: control bytes in it (from a file name, an argument, text read from a
 * file) come out escaped, as \n, \t, \x1b, and so do C1 controls, bytes
 * that are not UTF-8 and the backslash (\\). */
void kiln_error(const char *fmt, ...) KILN_PRINTF(1, 2);
void kiln_warn(const char *fmt, ...) KILN_PRINTF(1, 2);
/* s escaped as above, for a name (file, path, title read from a file) in a
 * tool's text listing on stdout: one entry stays on one line. */
void kiln_fput_esc(FILE *fp, const char *s);
/* "kiln-x: message\n" on stderr, escaped alike: a summary or progress note
 * (what --quiet silences), not an error. */
void kiln_note(const char *fmt, ...) KILN_PRINTF(1, 2);
/* "kiln-x: FILE: message\n" on stderr; file may be NULL. */
void kiln_file_error(const char *file, const char *fmt, ...) KILN_PRINTF(2, 3);
/* Print the message, run the atomic-output cleanup, exit(status). */
KILN_NORETURN void kiln_die(int status, const char *fmt, ...) KILN_PRINTF(2, 3);
/* Usage error: "kiln-x: message" + "kiln-x: try 'kiln-x --help'", exit 2. */
KILN_NORETURN void kiln_usage_error(const char *fmt, ...) KILN_PRINTF(1, 2);

/* Usage error about a command's options: "kiln-x CMD: message" (cmd NULL:
 * "kiln-x: message") + "kiln-x: try 'kiln-x --help'", exit 2. */
KILN_NORETURN void kiln_option_error(const char *cmd, const char *fmt, ...) KILN_PRINTF(2, 3);

/* Die-on-OOM allocation, for tools only (never in a library). */
void *kiln_xmalloc(size_t n);
void *kiln_xcalloc(size_t n, size_t size);
void *kiln_xrealloc(void *p, size_t n);
char *kiln_xstrdup(const char *s);

/* Subcommand dispatch for "kiln-x COMMAND [OPTIONS]" tools: --help/-h
 * prints usage (exit 0), --version/-V the version, a known command runs with
 * argv[0] = the command name; no or an unknown command is a usage error. */
typedef struct kiln_command { const char *name; int (*fn)(int argc, char **argv); } kiln_command;
int kiln_run_command(int argc, char **argv, const kiln_command *cmds, size_t n, void (*usage)(FILE *out));

/* --version output shared by every tool: name, version and the features built
 * in ("openmp: yes", "cuda: no", ...). extra may be NULL or lines to append. */
void kiln_print_version(FILE *out, const char *extra);

/* ---- strict parsing (kiln_parse.c) ------------------------------------- */
/* Each returns 0 on success, -1 on a malformed or out-of-range value.
 * Decimal only (leading "+" or whitespace rejected); no atoi anywhere. */
int kiln_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);
int kiln_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out);
/* Sizes: "512", "64K", "256M", "2G", "1T" (binary multiples, case-insensitive,
 * optional trailing "B" or "iB": "64KiB"). */
int kiln_parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *out);
/* Finite floating-point value in [min, max]. */
int kiln_parse_double(const char *s, double min, double max, double *out);
/* Rational "12", "30000/1001", "29.97" -> num/den in lowest terms, > 0. */
int kiln_parse_rational(const char *s, int64_t *num, int64_t *den);
/* "320x180" -> w, h each in [1, max]. */
int kiln_parse_dims(const char *s, uint32_t max, uint32_t *w, uint32_t *h);

/* "--part I/N" (1 <= I <= N): this worker's share of a sorted input list.
 * Parts are contiguous blocks, so concatenating the outputs of parts 1..N
 * in order gives exactly what one run over all inputs gives. */
int kiln_parse_part(const char *s, uint32_t *part, uint32_t *nparts);
/* Items [*lo, *hi) of total that part I of N takes. */
void kiln_part_range(uint64_t total, uint32_t part, uint32_t nparts, uint64_t *lo, uint64_t *hi);

/* Option helpers for getopt loops: parse or die with a usage error naming
 * the option, e.g. kiln_opt_u64("--vocab-size", optarg, 257, 1u<<24). */
uint64_t kiln_opt_u64(const char *opt, const char *arg, uint64_t min, uint64_t max);
uint64_t kiln_opt_size(const char *opt, const char *arg, uint64_t min, uint64_t max);
double kiln_opt_double(const char *opt, const char *arg, double min, double max);
/* 1 if word is one of the space-separated words of list (tables of which
 * commands take an option). */
int kiln_word_in(const char *word, const char *list);

/* ---- options (kiln_getopt.c) ------------------------------------------
 * getopt_long for every tool: the same contract, except that an unknown
 * option, a missing value or a value given to a flag is a usage error with
 * one line naming the tool and command, e.g. "kiln-bpe encode: unrecognized
 * option '--bogus'" or "kiln-shard merge: option '-o' needs a value", then
 * the try line; exit 2. cmd may be NULL (no command known). It sets opterr
 * to 0: getopt's own messages depend on argv[0] and the C library.
 * *longindex (if not NULL) is -1 after a short option, so that callers can
 * tell "-o" from "--output" without resetting it themselves. */
struct option;
int kiln_getopt(int argc, char *const argv[], const char *cmd, const char *shortopts, const struct option *longopts,
                int *longindex);
/* For tools that take options before the command too ("kiln-video --json
 * info F"): the first operand, skipping option values; NULL if none. */
const char *kiln_find_command(int argc, char *const argv[], const char *shortopts, const struct option *longopts);

/* Which commands take an option, for a tool whose commands share one option
 * table: without this, an option given to a command that does not use it
 * would be parsed and then silently ignored. A tool lists every option that
 * not all of its commands take, ending the table with { 0, NULL }; options
 * every command takes (-q, -h, -V, ...) are left out and never refused. */
typedef struct kiln_opt_cmds {
	int val;            /* the option's getopt value: 'o', or the tool's own code */
	const char *cmds;   /* the commands that take it, space-separated */
} kiln_opt_cmds;
/* Call after each kiln_getopt: if cmd does not take option val, a usage
 * error naming it as given (longindex >= 0: the long form longopts[longindex],
 * else the short one), e.g. "kiln-video info: option '--fps' does not apply
 * to info (it is for: extract)", then the try line; exit 2. cmd NULL checks
 * nothing: a tool that finds its command before parsing passes NULL for one
 * it does not know, leaving it to its own "unknown command" message. */
void kiln_check_opt_cmd(const kiln_opt_cmds *table, const struct option *longopts, const char *cmd, int val,
                        int longindex);

/* ---- atomic output (kiln_atomic.c) -------------------------------------
 * Outputs are written under a temporary name in the destination folder and
 * renamed into place only when complete, so an interrupted or failed run
 * leaves nothing half-written. Every temporary is registered; kiln_die(),
 * SIGINT, SIGTERM and SIGHUP remove all registered temporaries.
 */
typedef struct kiln_outfile {
	FILE *fp;       /* write here */
	char *path;     /* final name */
	char *tmp;      /* temporary name (same folder) */
} kiln_outfile;

/* Open "<dir>/.<base>.tmp-<pid>-<n>" for writing. "-" and "/dev/stdout"
 * mean stdout (no rename, fp = stdout); "/dev/stderr", "/dev/fd/N" and
 * "/proc/self/fd/N" write to that open descriptor (a copy of it); an
 * existing path that is neither a regular file nor a folder (a device such
 * as /dev/null, a FIFO) is written in place.
 * Returns 0, or -1 with errno set. */
int kiln_outfile_open(kiln_outfile *o, const char *path);
/* Whether path names a file or folder that an output would replace (so a
 * tool asks for --force): not "-", a descriptor by name, a device or a pipe,
 * which kiln_outfile_open writes in place. */
int kiln_output_exists(const char *path);
/* Why an output could not be started, for "PATH: <text>": "exists (use
 * --force to replace it)" for EEXIST, so that every tool words it alike,
 * else strerror(err). */
const char *kiln_output_errtext(int err);
/* fflush + fsync + fclose + rename over path. Returns 0 or -1 (errno); -1
 * too when any earlier write to fp failed (EIO), so a partial file never
 * takes the final name. The temporary is removed on failure. */
int kiln_outfile_commit(kiln_outfile *o);
/* Nonzero, errno set, when anything written to fp was lost: fflush reports
 * only what is still buffered, and a write that failed earlier (a large
 * fwrite goes straight to write(2), and a full disk or a size limit stops
 * it half-way) leaves nothing buffered, only the stream's error flag (EIO). */
int kiln_flush_failed(FILE *fp);
/* Close and remove the temporary. Safe to call twice. */
void kiln_outfile_abort(kiln_outfile *o);

/* Same for a whole output folder (a dataset): kiln_outdir_begin creates an
 * empty temporary folder beside `path` and returns its name (owned by the
 * helper, valid until commit/abort). commit renames it to `path`; if `path`
 * already exists it is replaced only when `force` is set, otherwise commit
 * fails with EEXIST. The replacement swaps the two in one step (Linux
 * renameat2 RENAME_EXCHANGE), so `path` always names the old or the new
 * output, and then removes the old one from the temporary's name; where the
 * filesystem cannot swap, the old one is moved aside first, leaving `path`
 * missing for a moment. Returns NULL / -1 with errno set. */
const char *kiln_outdir_begin(const char *path, int force);
int kiln_outdir_commit(const char *tmpdir, const char *path, int force);
void kiln_outdir_abort(const char *tmpdir);
/* Die, naming both, when --force would delete an input: out is one of the
 * n inputs or a folder holding one (the old output is removed once the new
 * one has its name). Nothing to check without force (an existing output is
 * refused then) or when out does not exist. */
void kiln_refuse_output_over_inputs(const char *out, int force, char *const *inputs, size_t n);
/* The same for an output file (a palette, a sheet): die, naming both, when
 * --force would overwrite an input, that is when out is an existing regular
 * file that is one of the n inputs or lies inside one (a file of an input
 * dataset or image folder). */
void kiln_refuse_file_over_inputs(const char *out, int force, char *const *inputs, size_t n);
/* 1 if the canonical (realpath) path p is root or lies under it. */
int kiln_path_within(const char *p, const char *root);

/* Register/unregister an arbitrary path for removal on fatal exit/signal
 * (files are unlinked, folders removed recursively). */
void kiln_cleanup_add(const char *path);
void kiln_cleanup_remove(const char *path);
/* Remove everything registered now (called by kiln_die and signal handler). */
void kiln_cleanup_run(void);
/* Remove a folder tree (no symlink following). Returns 0 or -1. */
int kiln_rmtree(const char *path);
/* mkdir -p. Returns 0 or -1 (errno). */
int kiln_mkdirs(const char *path);

/* ---- progress (kiln_progress.c) ----------------------------------------
 * One self-overwriting line on stderr: "label  done/total unit  rate/s  ETA".
 * Shown only when stderr is a terminal and not silenced (kiln_set_quiet). */
typedef struct kiln_progress kiln_progress;
void kiln_set_quiet(int quiet);
int kiln_quiet(void);
kiln_progress *kiln_progress_start(const char *label, uint64_t total, const char *unit);
/* Cheap to call often: redraws at most ~10 times a second. Thread-safe only
 * if called from one thread (call it from the master thread). */
void kiln_progress_update(kiln_progress *p, uint64_t done);
void kiln_progress_end(kiln_progress *p);   /* clears the line; NULL ok */

/* ---- JSON output (kiln_json.c) -----------------------------------------
 * A tiny streaming writer. Keys and strings are escaped (RFC 8259), invalid
 * UTF-8 bytes are written as \u00XX of the Latin-1 value so output is always
 * valid JSON. Commas are inserted automatically. */
typedef struct kiln_json {
	FILE *fp;
	int depth;
	unsigned char first[64];   /* per depth: next item is the first */
	int pretty;
	int hold;                  /* kiln_json_hold(): output waits in buf */
	size_t held;
	char buf[4096];
} kiln_json;

void kiln_json_init(kiln_json *j, FILE *fp, int pretty);
/* Optional, for many small values in a row (JSON lines over a corpus): each
 * top-level value is gathered and written in one piece when it closes,
 * rather than with one stdio call per field. The caller must not write to
 * the stream itself while a value is open. */
void kiln_json_hold(kiln_json *j);
void kiln_json_obj_begin(kiln_json *j, const char *key);   /* key NULL inside arrays / at top */
void kiln_json_obj_end(kiln_json *j);
void kiln_json_arr_begin(kiln_json *j, const char *key);
void kiln_json_arr_end(kiln_json *j);
void kiln_json_str(kiln_json *j, const char *key, const char *s);      /* s NULL -> null */
void kiln_json_strn(kiln_json *j, const char *key, const char *s, size_t n);
void kiln_json_u64(kiln_json *j, const char *key, uint64_t v);
void kiln_json_i64(kiln_json *j, const char *key, int64_t v);
void kiln_json_double(kiln_json *j, const char *key, double v);       /* NaN/inf -> null */
void kiln_json_bool(kiln_json *j, const char *key, int v);
void kiln_json_null(kiln_json *j, const char *key);
void kiln_json_raw(kiln_json *j, const char *key, const char *json);  /* pre-formatted value */
/* Ends a top-level value with "\n" (JSON lines). */
void kiln_json_end_line(kiln_json *j);
/* Escape s (n bytes) as a JSON string with quotes into fp. */
void kiln_json_write_string(FILE *fp, const char *s, size_t n);
/* Length of the valid UTF-8 sequence at s (at most n bytes: shortest form,
 * no surrogates, at most U+10FFFF), 0 if invalid; *cp (if non-NULL) gets
 * its code point. */
size_t kiln_utf8_len(const unsigned char *s, size_t n, uint32_t *cp);

/* ---- hashing (kiln_hash.c) ---------------------------------------------
 * SHA-256 for content identity and fingerprints (libavutil's implementation),
 * and a fast seeded 64-bit mix for deterministic sampling and splits. */
void kiln_sha256(const void *data, size_t n, uint8_t out[32]);
typedef struct kiln_sha256_ctx kiln_sha256_ctx;
kiln_sha256_ctx *kiln_sha256_new(void);            /* dies on OOM */
void kiln_sha256_update(kiln_sha256_ctx *c, const void *data, size_t n);
void kiln_sha256_final(kiln_sha256_ctx *c, uint8_t out[32]);  /* frees c */
void kiln_hex(const uint8_t *bytes, size_t n, char *out);     /* out: 2n+1 chars */
/* splitmix64 of (seed, x): a well-mixed deterministic 64-bit value. */
uint64_t kiln_mix64(uint64_t seed, uint64_t x);
/* Deterministic uniform [0,1) from (seed, x). */
double kiln_unit(uint64_t seed, uint64_t x);

/* ---- files (kiln_file.c) ------------------------------------------------ */
/* Read a whole file into memory (caller frees). Refuses files over max bytes
 * (errno = EFBIG). Returns NULL with errno set on failure. */
uint8_t *kiln_read_file(const char *path, uint64_t max, size_t *len);
/* Walk inputs: files are reported as given, folders recursively in sorted
 * (byte-wise) order so results never depend on readdir order. Symlinks to
 * files are followed; symlinked folders are not entered. cb gets each path
 * with a kind and returns non-zero to stop the walk (that value is
 * returned):
 *   KILN_WALK_FILE     a regular file (or a link to one), or an input given
 *                      as it is (a pipe named on the command line is read);
 *   KILN_WALK_ERROR    unreadable (a folder, a path too long): info = errno;
 *   KILN_WALK_SKIPPED  found in a folder but not a file to read: a FIFO (never
 *                      opened: that would block), a device, a socket, a
 *                      broken link or a link to a folder; info = a
 *                      KILN_SKIP_* value, kiln_walk_what(info) says which.
 *                      The walker has already warned ("kiln-x: warning: PATH:
 *                      skipped: a FIFO, not a regular file", under --quiet
 *                      too: input is left out); cb only counts it. */
enum { KILN_WALK_FILE = 0, KILN_WALK_ERROR = 1, KILN_WALK_SKIPPED = 2 };
enum { KILN_SKIP_FIFO = 1, KILN_SKIP_CHARDEV, KILN_SKIP_BLOCKDEV, KILN_SKIP_SOCKET, KILN_SKIP_BROKEN_LINK,
       KILN_SKIP_LINK_DIR, KILN_SKIP_LINK_SPECIAL, KILN_SKIP_OTHER };
typedef int (*kiln_walk_cb)(const char *path, int kind, int info, void *ud);
int kiln_walk(const char *const *inputs, size_t n, kiln_walk_cb cb, void *ud);
/* "a FIFO, not a regular file", "a broken symbolic link", ... for a
 * KILN_SKIP_* value. */
const char *kiln_walk_what(int info);
/* kiln_walk into a list of paths (for --part, which needs the whole sorted
 * list first). Unreadable entries are reported ("kiln-x: PATH: error") and
 * counted in *errors; stop_on_error ends the walk at the first one. Skipped
 * entries are counted in *skipped (may be NULL). Returns the list (free it with kiln_free_list), *count its length. */
char **kiln_walk_list(const char *const *inputs, size_t n, int stop_on_error, size_t *count, size_t *errors,
                      size_t *skipped);
void kiln_free_list(char **v, size_t n);
int kiln_is_dir(const char *path);
/* Length of path without its trailing slashes: "out/" and "out" name one
 * folder; "/" keeps its one slash. */
size_t kiln_path_len_trimmed(const char *path);

#ifdef __cplusplus
}
#endif
#endif
