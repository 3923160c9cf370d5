/*
 * train_tool.h - declarations shared by kiln-train's command files (tool
 * side: they print, exit and write files; the library never does).
 */
#ifndef KILN_TRAIN_TOOL_H
#define KILN_TRAIN_TOOL_H

#include "kiln.h"
#include "train.h"

typedef struct tool_opts {
	int json, quiet, restart;
	int64_t stop_after;
	/* sample */
	const char *prompt, *prompts, *text_prompts, *from, *out, *vocab, *ext, *breed;
	int64_t count, samples, max_new, id_offset;
	double temperature, top_p, min_p, mask;
	int64_t top_k;
	uint64_t seed;
	int no_tools;
} tool_opts;

int cmd_run(const tool_opts *o, const char *config_path);
int cmd_sample(const tool_opts *o, const char *ckpt_path);
/* The checkpoint file CHECKPOINT names: itself, or for a run folder its
 * model.kckpt (sample) or checkpoint.kckpt (info); exits naming the file to
 * pass when the folder lacks it. Caller frees. */
char *ckpt_path_of(const tool_opts *o, const char *path, int sample);
/* Exit status for a library error code (TRN_ENOTBUILT -> 3, else 1). */
int trn_exit_code(int rc);
/* Path of a built Kiln tool next to this one, or on PATH; NULL if absent. */
char *tool_find(const char *name);
/* Run argv (argv[0] a path) with stdout to out_path (NULL: inherit) and
 * stderr kept; returns the exit status, or -1 if it could not start. */
int tool_spawn(char *const argv[], const char *out_path);
/* tool_spawn with the child started in folder dir (NULL: here); out_path
 * is still relative to here. */
int tool_spawn_in(char *const argv[], const char *out_path, const char *dir);

#endif
