/*
 * train.h - Kiln's trainer as a library: a decoder-only transformer, the shard
 * loader that feeds it, AdamW and Muon, learning-rate schedules, checkpoints
 * and a KV-cache sampler. This is the CPU reference path (plain C + OpenMP),
 * written to be read end to end like llm.c's train_gpt2.c; a CUDA backend
 * plugs in behind trn_backend (see "Backends") and is checked against it.
 *
 * The library never prints, exits or reads the environment. Functions return
 * 0 (TRN_OK) or a negative TRN_E* code and fill an optional trn_error whose
 * message names the file, line, record or byte offset at fault.
 *
 * Model (all tensors float32, row-major; B batch, T time, C width, NH heads,
 * hd = C/NH, F = mlp*C, V vocabulary, L layers):
 *   x0 = wte[tok]            (+ 2-D sinusoidal table when position = sin2d)
 *   per layer: x = x + Wo . attn(rope(Wqkv . ln1(x)))      (rope when position = rope)
 *              x = x + Wproj . gelu(Wfc . ln2(x))
 *   logits = (wout or wte) . lnf(x);  loss = weighted mean cross-entropy.
 * Attention is causal and never crosses a document boundary inside a packed
 * sequence (each position carries the start of its segment).
 *
 * Reading order, end to end: trn_layers.c (each layer, forward and backward,
 * shapes named), trn_model.c (parameters, the forward and backward chains),
 * trn_data.c (documents into batches), trn_optim.c and trn_sched.c (AdamW,
 * Muon, schedules), trn_run.c (stages, steps, checkpoints), trn_ckpt.c (the
 * file), trn_sample.c (KV-cache generation), trn_config.c (the text format).
 */
#ifndef KILN_TRAIN_H
#define KILN_TRAIN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
	TRN_OK = 0,
	TRN_EIO = -1,        /* open/read/write failed (errno kept) */
	TRN_ENOMEM = -2,
	TRN_EINVAL = -3,     /* bad argument or configuration value */
	TRN_EFORMAT = -4,    /* malformed config or checkpoint, bad dataset layout */
	TRN_ERANGE = -5,     /* a size over a cap, a token outside the vocabulary */
	TRN_EMISMATCH = -6,  /* checkpoint or dataset does not fit the config */
	TRN_ENOTBUILT = -7   /* backend not compiled in (e.g. cuda without nvcc) */
};
const char *trn_strerror(int code);

typedef struct trn_error {
	int code;
	char msg[512];
} trn_error;

/* Caps on untrusted sizes (configs and checkpoints are untrusted input). */
#define TRN_MAX_LAYERS 256
#define TRN_MAX_WIDTH 16384
#define TRN_MAX_HEAD_DIM 256
#define TRN_MAX_VOCAB (1u << 24)
#define TRN_MAX_CTX (1 << 20)
#define TRN_MAX_STAGES 16
#define TRN_MAX_PARAMS (1ull << 33)   /* 8G parameters */
#define TRN_PATH_MAX 1024

/* ===================================================================== */
/* Configuration (trn_config.c). The text format is documented in          */
/* man/kiln-train.1: "key = value" lines, '#' comments, sections [model]   */
/* and [stage NAME] (repeatable). Keys before any section set the run and  */
/* give defaults for every stage.                                          */
/* ===================================================================== */

enum trn_pos { TRN_POS_ROPE = 1, TRN_POS_SIN2D = 2 };
enum trn_opt { TRN_OPT_ADAMW = 1, TRN_OPT_MUON = 2 };
enum trn_sched { TRN_SCHED_COSINE = 1, TRN_SCHED_LINEAR = 2, TRN_SCHED_CONSTANT = 3, TRN_SCHED_WSD = 4 };
enum trn_backend { TRN_BACKEND_CPU = 1, TRN_BACKEND_CUDA = 2 };

typedef struct trn_model_config {
	int n_layer, width, n_head;
	int ctx;            /* longest sequence the model is built for */
	int vocab;          /* 0 in a config file = take it from the dataset */
	int mlp;            /* hidden width multiplier: F = mlp * width */
	int pos;            /* enum trn_pos */
	int tie;            /* 1: the output head is wte (weight tying) */
	float rope_theta;
	/* sin2d: a document is prefix tokens then a grid of grid_width columns;
	 * 0 in a config file = take them from a sprite dataset (1 + channels, width). */
	int grid_width, grid_prefix;
	float init_std;
} trn_model_config;

typedef struct trn_stage {
	char name[32];
	int ctx;            /* sequence length T for this stage (<= model ctx) */
	int batch;          /* sequences per micro-batch (B) */
	int accum;          /* micro-batches per optimizer step */
	int64_t steps;      /* optimizer steps in this stage */
	int opt;            /* enum trn_opt */
	float lr;           /* peak rate for AdamW (and for Muon's AdamW group) */
	float muon_lr;      /* peak rate for Muon's 2-D hidden matrices */
	float min_lr;       /* final rate as a fraction of the peak */
	float weight_decay, beta1, beta2, eps;
	float muon_momentum;
	int ns_steps;       /* Newton-Schulz iterations */
	float grad_clip;    /* global-norm clip; 0 = off */
	int sched;          /* enum trn_sched */
	int64_t warmup;     /* linear warmup steps */
	float decay;        /* WSD: fraction of the stage spent decaying */
} trn_stage;

typedef struct trn_config {
	trn_model_config model;
	char data[TRN_PATH_MAX];   /* training dataset (folder or .kshard) */
	char val[TRN_PATH_MAX];    /* held-out dataset; "" = none */
	char out[TRN_PATH_MAX];    /* run folder: checkpoints, log, loss curve */
	uint64_t seed;
	int shuffle;
	int backend;               /* enum trn_backend */
	int64_t log_every, val_every, val_batches, ckpt_every;
	int n_stages;
	trn_stage stages[TRN_MAX_STAGES];
} trn_config;

/* Built-in defaults (one stage named "main"). */
void trn_config_defaults(trn_config *c);
/* Parse config text (name is used in messages: "NAME:LINE: ..."). Relative
 * paths in data/val/out are kept as written; the tool resolves them.
 * Returns TRN_OK, TRN_EFORMAT (syntax, unknown key) or TRN_EINVAL (value). */
int trn_config_parse(const char *text, size_t len, const char *name, trn_config *c, trn_error *err);
/* Where a config set its dataset keys: the line of data and of val (0 =
 * not given), for messages about the datasets they name. */
typedef struct trn_config_lines {
	int data, val;
} trn_config_lines;
/* trn_config_parse that also fills *lines. */
int trn_config_parse_lines(const char *text, size_t len, const char *name, trn_config *c, trn_config_lines *lines,
                           trn_error *err);
/* Check ranges and cross-field rules (heads divide width, stage ctx <= model
 * ctx, head dim even for rope, ...). vocab/grid may still be 0 here. */
int trn_config_check(const trn_config *c, trn_error *err);
/* Canonical text of a config: every key, parseable by trn_config_parse. */
int trn_config_write(FILE *fp, const trn_config *c);
/* Same into a malloc'd NUL-terminated string (caller frees); NULL on OOM. */
char *trn_config_text(const trn_config *c);
/* 1 if two model configs describe the same network. */
int trn_model_config_equal(const trn_model_config *a, const trn_model_config *b);
const char *trn_opt_name(int opt);
const char *trn_sched_name(int sched);
const char *trn_pos_name(int pos);

/* ===================================================================== */
/* Model (trn_model.c)                                                    */
/* ===================================================================== */

/* What a parameter tensor is, which decides its optimizer under Muon:
 * 2-D hidden matrices get Muon, everything else AdamW. */
enum trn_tkind { TRN_T_EMBED = 1, TRN_T_HEAD = 2, TRN_T_MATRIX = 3, TRN_T_VECTOR = 4 };

typedef struct trn_tensor {
	char name[32];       /* "wte", "h3.wqkv", "lnf.w", ... */
	size_t offset;       /* into the flat parameter array */
	int rows, cols;      /* vectors: rows = 1 */
	int kind;            /* enum trn_tkind */
	int decay;           /* weight decay applies (2-D tensors) */
} trn_tensor;

/* A batch of B rows of T positions. tok is the input, tgt the id to predict
 * at that position, w the loss weight (0 = masked: prompt, padding), pos the
 * position inside its document, seg the index (0..T-1) in the row where that
 * document's segment starts; attention at t sees only [seg[t], t]. */
typedef struct trn_batch {
	int B, T;
	uint32_t *tok, *tgt;
	float *w;
	int32_t *pos, *seg;
} trn_batch;

/* Allocate / free a batch (all arrays B*T). */
int trn_batch_alloc(trn_batch *b, int B, int T);
void trn_batch_free(trn_batch *b);

typedef struct trn_model trn_model;

/* Build a model (parameters and gradients, zeroed). The config must pass
 * trn_config_check with vocab > 0. Activations are sized lazily per batch. */
int trn_model_create(const trn_model_config *mc, trn_model **out, trn_error *err);
void trn_model_free(trn_model *m);   /* NULL ok */
/* Deterministic initialisation from seed: N(0, init_std) for matrices and
 * embeddings, residual projections scaled by 1/sqrt(2L), norms 1 and 0. */
void trn_model_init(trn_model *m, uint64_t seed);
const trn_model_config *trn_model_config_of(const trn_model *m);
size_t trn_model_nparams(const trn_model *m);
/* Parameters a config builds, without building it (0 if out of range). */
uint64_t trn_model_count_params(const trn_model_config *mc);
float *trn_model_params(trn_model *m);
float *trn_model_grads(trn_model *m);
int trn_model_ntensors(const trn_model *m);
const trn_tensor *trn_model_tensor(const trn_model *m, int i);
/* Forward pass on a batch (B*T <= what memory allows, T <= ctx, every tok
 * and tgt < vocab). *loss = sum(w * -log p[tgt]) / sum(w), 0 when sum(w)=0.
 * Keeps the activations for trn_model_backward. */
int trn_model_forward(trn_model *m, const trn_batch *b, float *loss, trn_error *err);
/* Probabilities (B, T, V) of the last forward (softmax of the logits);
 * trn_model_backward overwrites them with the logits' gradient. */
const float *trn_model_probs(const trn_model *m);
void trn_model_zero_grad(trn_model *m);
/* Backward of the last forward: grads += scale * d(loss)/d(params). */
int trn_model_backward(trn_model *m, float scale, trn_error *err);
/* Bytes of activations a batch of B x T needs (for messages and caps). */
uint64_t trn_model_act_bytes(const trn_model_config *mc, int B, int T);

/* ===================================================================== */
/* Optimizers and schedules (trn_optim.c, trn_sched.c)                    */
/* ===================================================================== */

/* State for every parameter: AdamW moments m, v and Muon momentum buf.
 * Both optimizers keep their state in it, so a checkpoint stores one shape. */
typedef struct trn_optim {
	size_t n;
	float *m, *v, *buf;
	int64_t t;          /* optimizer steps taken in this stage (bias correction) */
} trn_optim;

int trn_optim_alloc(trn_optim *o, size_t n);
void trn_optim_free(trn_optim *o);
void trn_optim_reset(trn_optim *o);   /* zero state, t = 0 (each stage starts fresh) */
/* Global L2 norm of the gradients (double accumulation, fixed order). */
double trn_grad_norm(trn_model *m);
/* One step: clip the gradients to stage->grad_clip (when > 0), then update
 * with the stage's optimizer at rates lr_mult * peak. Returns the pre-clip
 * gradient norm in *norm (may be NULL). */
int trn_optim_step(trn_optim *o, trn_model *m, const trn_stage *s, float lr_mult, double *norm, trn_error *err);
/* Newton-Schulz orthogonalisation of G (rows x cols) in place, quintic
 * iteration with Muon's coefficients; scratch holds 2*r*r + 2*r*c floats with
 * r = min(rows, cols). Exposed for tests. */
void trn_newton_schulz(float *g, int rows, int cols, int steps, float *scratch);
/* Rate multiplier in [0, 1] for step (0-based) of a stage. */
float trn_lr_mult(const trn_stage *s, int64_t step);

/* ===================================================================== */
/* Data (trn_data.c): packs a Kiln dataset into training batches.          */
/* ===================================================================== */

/* Position in the data stream; part of every checkpoint. */
typedef struct trn_data_pos {
	uint64_t epoch;      /* passes completed over the dataset */
	uint64_t cursor;     /* next document in this epoch's order */
	uint64_t offset;     /* prediction already consumed from a long document */
} trn_data_pos;

typedef struct trn_data trn_data;

/* Open a token or sprite dataset. shuffle: a new seeded permutation of the
 * documents every epoch (else file order). Frame datasets are refused. */
int trn_data_open(const char *path, uint64_t seed, int shuffle, trn_data **out, trn_error *err);
void trn_data_close(trn_data *d);    /* NULL ok */
/* Dataset facts: record count, kind, spec vocab, BOS/EOS the loader uses
 * (the spec's, or vocab and vocab+1 when the spec has none), the vocabulary
 * the model needs, sprite grid width and prefix length (1 + channels), and
 * the tokenizer/palette fingerprint (32 bytes). */
uint64_t trn_data_docs(const trn_data *d);
int trn_data_is_sprites(const trn_data *d);
uint32_t trn_data_bos(const trn_data *d);
uint32_t trn_data_eos(const trn_data *d);
uint32_t trn_data_vocab(const trn_data *d);
int trn_data_grid(const trn_data *d, int *width, int *height, int *prefix);
const uint8_t *trn_data_fingerprint(const trn_data *d);
/* The dataset's identity: a CRC-32 of its record count and, per record in
 * order, its prompt and content lengths and payload checksum, so the same
 * records re-packed (any shard size) match and other bytes do not; never 0.
 * A vocabulary fingerprint cannot tell two byte datasets apart: this can. */
uint32_t trn_data_identity(trn_data *d);

/* The facts a sampler needs later without the dataset: kept in checkpoints. */
typedef struct trn_data_info {
	uint32_t kind;         /* 1 tokens, 2 sprites (shard_kind) */
	uint32_t vocab;        /* the dataset's vocabulary (ids < vocab) */
	uint32_t elem_size;    /* 1, 2 or 4 */
	uint32_t bos, eos;     /* as the loader used them */
	uint32_t width, height, channels;   /* sprites: grid and conditioning count */
	uint8_t fingerprint[32];            /* tokenizer/palette identity */
} trn_data_info;
void trn_data_get_info(const trn_data *d, trn_data_info *info);
/* Fill b (allocated B x T) with the next rows. A document (BOS prompt
 * content EOS) is never split between rows unless it is longer than a row,
 * then it is cut into row-sized pieces; rows end in masked padding. Loss
 * weight 0 on predictions of prompt tokens. */
int trn_data_next(trn_data *d, trn_batch *b, trn_error *err);
trn_data_pos trn_data_tell(const trn_data *d);
int trn_data_seek(trn_data *d, trn_data_pos p, trn_error *err);
/* Document i (file order): up to cap ids of BOS prompt content EOS into
 * out, *n the full length, *n_prefix = 1 + prompt length. */
int trn_data_doc(trn_data *d, uint64_t i, uint32_t *out, size_t cap, size_t *n, size_t *n_prefix, trn_error *err);

/* ===================================================================== */
/* Checkpoints (trn_ckpt.c). Little-endian binary, CRC-32 checked:        */
/* magic "KILNCKPT", version, the canonical config text, fingerprint,     */
/* stage, steps, data position, RNG, parameters, optimizer state.         */
/* ===================================================================== */

typedef struct trn_ckpt_state {
	int stage;             /* index of the stage in progress */
	int64_t step;          /* optimizer steps done in that stage */
	int64_t gstep;         /* optimizer steps done in the whole run */
	int64_t tokens;        /* tokens trained on in the whole run */
	trn_data_pos data;
	trn_data_info info;    /* what the model was trained on (for sampling) */
	uint32_t data_id;      /* trn_data_identity of the training set; 0 in
	                          checkpoints written before it was recorded */
	int done;              /* 1 when every stage has finished */
} trn_ckpt_state;

/* Write a checkpoint to fp (the tool gives a temporary file and renames it:
 * atomic). o may be NULL (weights only: no optimizer state). */
int trn_ckpt_write(FILE *fp, const trn_config *c, const trn_ckpt_state *st,
                   const trn_model *m, const trn_optim *o, trn_error *err);

typedef struct trn_ckpt trn_ckpt;
/* Read and check a checkpoint (size caps, CRC, config parse). */
int trn_ckpt_read(const char *path, trn_ckpt **out, trn_error *err);
/* Same from an open stream (must be seekable; name is used in messages). */
int trn_ckpt_read_fp(FILE *fp, const char *name, trn_ckpt **out, trn_error *err);
void trn_ckpt_free(trn_ckpt *k);      /* NULL ok */
const trn_config *trn_ckpt_config(const trn_ckpt *k);
const trn_ckpt_state *trn_ckpt_state_of(const trn_ckpt *k);
int trn_ckpt_has_optim(const trn_ckpt *k);
/* Copy weights (and optimizer state when o != NULL) into a model built
 * from the checkpoint's model config. */
int trn_ckpt_load(const trn_ckpt *k, trn_model *m, trn_optim *o, trn_error *err);

/* ===================================================================== */
/* The run loop (trn_run.c): stages in order, gradient accumulation,       */
/* validation, checkpoints and resume. The tool supplies the hooks that    */
/* log, time and write files; the loop itself never touches the disk.     */
/* ===================================================================== */

typedef struct trn_step_info {
	int stage;
	const char *stage_name;
	int64_t step;          /* steps done in the stage (1-based after the step) */
	int64_t gstep;         /* steps done in the run */
	int64_t tokens;        /* positions trained on in the run (masked included) */
	float loss;            /* mean over the step's micro-batches */
	float lr;              /* the AdamW-group rate used */
	double grad_norm;      /* before clipping */
} trn_step_info;

typedef struct trn_run_hooks {
	void *ud;
	/* After every optimizer step. Non-zero stops the run with that code. */
	int (*on_step)(void *ud, const trn_step_info *info);
	/* After a validation pass (mean loss over val_batches batches). */
	int (*on_val)(void *ud, const trn_step_info *info, float val_loss);
	/* Save a checkpoint (the tool writes it atomically with trn_ckpt_write). */
	int (*save)(void *ud, const trn_config *c, const trn_ckpt_state *st, const trn_model *m, const trn_optim *o);
} trn_run_hooks;

#define TRN_STOPPED 1   /* trn_run return: stopped early (stop_after), state saved */

/* Run (or continue) every stage of c. c->model must be resolved (vocab and
 * grid set: see trn_data_*). resume NULL starts from a seeded init; else the
 * weights, optimizer state, stage, step and data position come from it.
 * stop_after > 0 saves and returns TRN_STOPPED once the run reaches that
 * many steps (how tests simulate a kill); a resume already there returns
 * TRN_STOPPED at once, without a step or a save. Checkpoints are saved every
 * ckpt_every steps, at stage ends and at the end (state.done = 1).
 * The result is bit-identical whether or not the run was interrupted. */
int trn_run(const trn_config *c, trn_data *train, trn_data *val, const trn_ckpt *resume, int64_t stop_after,
            const trn_run_hooks *h, trn_error *err);

/* ===================================================================== */
/* Sampling (trn_sample.c): one sequence at a time with a KV cache.       */
/* ===================================================================== */

typedef struct trn_sample_opts {
	float temperature;   /* 0 = greedy */
	int top_k;           /* 0 = off */
	float top_p;         /* 1 = off */
	float min_p;         /* drop tokens below min_p * max prob; 0 = off */
} trn_sample_opts;

#define TRN_FREE 0xFFFFFFFFu   /* in a forced array: let the model choose */

typedef struct trn_sampler trn_sampler;
int trn_sampler_create(const trn_model *m, trn_sampler **out, trn_error *err);
void trn_sampler_free(trn_sampler *s);   /* NULL ok */
/* Generate after the prefix (n_prefix >= 1 ids) up to max_new ids into out.
 * forced, when not NULL, has max_new entries: an id there is fed instead of
 * sampling (grid completion / breeding); TRN_FREE positions are sampled.
 * Stops after a sampled stop_id (TRN_FREE = never). *n_out = ids written.
 * rng is a caller-owned state advanced by the draws. Total length must fit
 * in the model's context. */
int trn_generate(trn_sampler *s, const uint32_t *prefix, size_t n_prefix,
                 const uint32_t *forced, size_t max_new, uint32_t stop_id,
                 const trn_sample_opts *o, uint64_t *rng, uint32_t *out, size_t *n_out, trn_error *err);
/* Logits of the next token after feeding ids (for tests: the sampler's
 * KV-cache path must equal the training forward). */
int trn_sampler_logits(trn_sampler *s, const uint32_t *ids, size_t n, float *logits, trn_error *err);
/* Pick an id from logits (V) with the options; scratch holds 2*V floats. */
uint32_t trn_pick(const float *logits, int V, const trn_sample_opts *o, uint64_t *rng, float *scratch);

/* Deterministic generator shared by init, shuffling and sampling. */
uint64_t trn_rand(uint64_t *state);
double trn_rand_unit(uint64_t *state);   /* [0, 1) */

/* ===================================================================== */
/* Backends. The CPU reference is always built. The CUDA backend (train/   */
/* *.cu, built only when nvcc is found) is a plugin loaded on first use:   */
/* kiln-train-cuda.so in ../lib/kiln beside the executable, which must     */
/* export the library's symbols (-rdynamic). Same forward, backward and    */
/* optimizer step on device copies, checked against the CPU.               */
/* ===================================================================== */
int trn_backend_available(int backend);   /* 1 if built and loadable */
/* Why a backend is not available (a message, "" when it is). */
const char *trn_backend_error(int backend);

#ifdef __cplusplus
}
#endif
#endif
