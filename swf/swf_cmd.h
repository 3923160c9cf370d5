/*
 * swf_cmd.h - what kiln-swf's source files share (tool side only): the
 * option values, the JSON form of an swf_info and the description sidecar.
 */
#ifndef KILN_SWF_CMD_H
#define KILN_SWF_CMD_H

#include <stdint.h>

#include "kiln.h"
#include "swf.h"

typedef struct swf_cmd_opts {
	int json, quiet, strict, force, keep_compressed, threads;
	int codec;                  /* compress: SWF_CWS / SWF_ZWS, -1 unset */
	int salvage;                /* decompress, compress: convert damaged input */
	uint64_t max_size;          /* cap on decompressed bytes per file */
	uint64_t max_shard;         /* ingest: bytes per shard (0 = default) */
	uint64_t memory;            /* ingest: contents held in memory between passes */
	int have_memory;
	uint64_t count, seed;       /* synth */
	int have_count, have_seed;
	const char *output;
	const char *description;    /* prompt: the description text */
	uint32_t part, nparts;      /* ingest --part I/N */
} swf_cmd_opts;

/* Write the fields of one file's info into an open JSON object. */
void swf_cmd_info_fields(kiln_json *j, const swf_info *i);

/* Description sidecar of an SWF on disk: "<path>.txt", else "<path minus
 * .swf>.txt"; its text with surrounding whitespace trimmed, or NULL. */
char *swf_cmd_sidecar(const char *path);
/* A text file (at most 1 MiB) with surrounding whitespace trimmed, or NULL
 * when missing, empty or holding NUL bytes. */
char *swf_cmd_read_text(const char *path);

int swf_cmd_ingest(const swf_cmd_opts *o, char **inputs, int n);
/* kiln-swf eval (swf_cmd_eval.c): argv[0] is "eval". Returns the exit status. */
int swf_cmd_eval_main(int argc, char **argv);

#endif
