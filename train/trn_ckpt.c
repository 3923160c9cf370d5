/*
 * trn_ckpt.c - checkpoints: everything a run needs to continue bit-exactly
 * (config, stage, step, data position, weights, optimizer state), in one
 * little-endian file guarded by CRC-32s. Writing goes to a FILE* the tool
 * opened under a temporary name (atomic rename is the tool's job); reading
 * checks every size against caps and the config before allocating.
 *
 * Layout (version 1), header 168 bytes:
 *   0  "KILNCKPT"         8  u32 version        12 u32 flags (1 = optimizer state)
 *   16 u64 config bytes   24 u64 parameters     32 i32 stage   36 i32 done
 *   40 i64 step           48 i64 run step       56 i64 tokens
 *   64 u64 epoch          72 u64 cursor         80 u64 offset
 *   88 u8[32] fingerprint (of the dataset's tokenizer/palette)
 *   120 i64 optimizer t   128 u32 kind, vocab, elem size, bos, eos, width,
 *   height, channels (the dataset, 8 x u32)   160 u32 header CRC (0..159)
 *   164 u32 dataset identity (trn_data_identity; 0 = not recorded, as in
 *       checkpoints written before it was)
 *   168 config text, then parameters (f32), then m, v, buf (f32) when flagged,
 *   then u32 CRC-32 of everything from byte 164. (The header CRC predates the
 *   identity, so the trailing one covers it; a checkpoint from before it has
 *   identity 0 and a CRC of everything from byte 168, and still reads.)
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "train_internal.h"

#define CKPT_MAGIC "KILNCKPT"
#define CKPT_VERSION 1
#define HDR 168
#define MAX_CONFIG (1u << 20)

struct trn_ckpt {
	trn_config cfg;
	trn_ckpt_state st;
	uint64_t nparams;
	int has_optim;
	int64_t opt_t;
	float *params, *m, *v, *buf;
};

static void put32(unsigned char *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i)); }
static void put64(unsigned char *p, uint64_t v) { for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i)); }
static uint32_t get32(const unsigned char *p) { uint32_t v = 0; for (int i = 3; i >= 0; i--) v = v << 8 | p[i]; return v; }
static uint64_t get64(const unsigned char *p) { uint64_t v = 0; for (int i = 7; i >= 0; i--) v = v << 8 | p[i]; return v; }

/* fwrite that also runs the payload CRC; floats are stored as the host's
 * little-endian IEEE bytes (Kiln builds only for little-endian hosts). */
static int wr(FILE *fp, const void *p, size_t n, uLong *crc)
{
	const unsigned char *b = p;
	while (n) {
		/* zlib's crc32 takes a uInt length */
		size_t k = n > (1u << 30) ? (1u << 30) : n;
		*crc = crc32(*crc, b, (uInt)k);
		if (fwrite(b, 1, k, fp) != k)
			return -1;
		b += k;
		n -= k;
	}
	return 0;
}

int trn_ckpt_write(FILE *fp, const trn_config *c, const trn_ckpt_state *st,
                   const trn_model *m, const trn_optim *o, trn_error *err)
{
	char *text = trn_config_text(c);
	if (!text)
		return trn_seterr(err, TRN_ENOMEM, "out of memory");
	size_t tl = strlen(text);
	uint64_t np = trn_model_nparams(m);
	unsigned char h[HDR] = { 0 };
	memcpy(h, CKPT_MAGIC, 8);
	put32(h + 8, CKPT_VERSION);
	put32(h + 12, o ? 1 : 0);
	put64(h + 16, tl);
	put64(h + 24, np);
	put32(h + 32, (uint32_t)st->stage);
	put32(h + 36, (uint32_t)st->done);
	put64(h + 40, (uint64_t)st->step);
	put64(h + 48, (uint64_t)st->gstep);
	put64(h + 56, (uint64_t)st->tokens);
	put64(h + 64, st->data.epoch);
	put64(h + 72, st->data.cursor);
	put64(h + 80, st->data.offset);
	memcpy(h + 88, st->info.fingerprint, 32);
	put64(h + 120, o ? (uint64_t)o->t : 0);
	const uint32_t info[8] = { st->info.kind, st->info.vocab, st->info.elem_size, st->info.bos, st->info.eos,
	                           st->info.width, st->info.height, st->info.channels };
	for (int i = 0; i < 8; i++)
		put32(h + 128 + 4 * i, info[i]);
	put32(h + 160, (uint32_t)crc32(0, h, 160));
	put32(h + 164, st->data_id);
	uLong crc = crc32(0, h + 164, 4), hc = 0;
	int bad = fwrite(h, 1, HDR, fp) != HDR;
	bad = bad || wr(fp, text, tl, &crc) || wr(fp, trn_model_params((trn_model *)m), np * 4, &crc);
	if (o)
		bad = bad || wr(fp, o->m, np * 4, &crc) || wr(fp, o->v, np * 4, &crc) || wr(fp, o->buf, np * 4, &crc);
	unsigned char tail[4];
	put32(tail, (uint32_t)crc);
	bad = bad || wr(fp, tail, 4, &hc);
	free(text);
	if (bad || fflush(fp))
		return trn_seterr(err, TRN_EIO, "writing the checkpoint failed: %s", strerror(errno));
	return TRN_OK;
}

/* fread of n bytes into p, CRC-checked; errors name the file and offset. */
static int rd(FILE *fp, void *p, size_t n, uLong *crc, const char *path, uint64_t off, trn_error *err)
{
	unsigned char *b = p;
	size_t done = 0;
	while (done < n) {
		size_t k = n - done > (1u << 30) ? (1u << 30) : n - done;
		if (fread(b + done, 1, k, fp) != k)
			return trn_seterr(err, TRN_EFORMAT, "%s: truncated at byte %llu (wanted %zu more bytes)", path,
			                  (unsigned long long)(off + done), n - done);
		*crc = crc32(*crc, b + done, (uInt)k);
		done += k;
	}
	return TRN_OK;
}

int trn_ckpt_read(const char *path, trn_ckpt **out, trn_error *err)
{
	*out = NULL;
	FILE *fp = fopen(path, "rb");
	if (!fp)
		return trn_seterr(err, TRN_EIO, "%s: %s", path, strerror(errno));
	/* fopen opens a folder for reading; its first read fails, which would
	 * read as "bad magic" */
	struct stat sb;
	if (fstat(fileno(fp), &sb) == 0 && S_ISDIR(sb.st_mode)) {
		fclose(fp);
		return trn_seterr(err, TRN_EIO, "%s: a folder, not a checkpoint file", path);
	}
	int rc = trn_ckpt_read_fp(fp, path, out, err);
	fclose(fp);
	return rc;
}

int trn_ckpt_read_fp(FILE *fp, const char *path, trn_ckpt **out, trn_error *err)
{
	*out = NULL;
	/* the file's size bounds every allocation below */
	if (fseek(fp, 0, SEEK_END))
		return trn_seterr(err, TRN_EIO, "%s: cannot seek: %s", path, strerror(errno));
	long fsize = ftell(fp);
	rewind(fp);
	if (fsize < 0)
		return trn_seterr(err, TRN_EIO, "%s: cannot tell the size: %s", path, strerror(errno));
	trn_ckpt *k = calloc(1, sizeof *k);
	char *text = NULL;
	unsigned char h[HDR];
	int rc;
	uLong crc = crc32(0, NULL, 0), dummy = 0;
	if (!k) {
		rc = trn_seterr(err, TRN_ENOMEM, "out of memory");
		goto fail;
	}
	if (fread(h, 1, HDR, fp) != HDR || memcmp(h, CKPT_MAGIC, 8)) {
		rc = trn_seterr(err, TRN_EFORMAT, "%s: not a kiln-train checkpoint (bad magic at byte 0)", path);
		goto fail;
	}
	if (get32(h + 160) != (uint32_t)crc32(0, h, 160)) {
		rc = trn_seterr(err, TRN_EFORMAT, "%s: header checksum mismatch at byte 160", path);
		goto fail;
	}
	if (get32(h + 8) != CKPT_VERSION) {
		rc = trn_seterr(err, TRN_EFORMAT, "%s: checkpoint version %u, this kiln-train reads %d", path,
		                get32(h + 8), CKPT_VERSION);
		goto fail;
	}
	uint64_t tl = get64(h + 16);
	k->nparams = get64(h + 24);
	k->has_optim = get32(h + 12) & 1;
	if (tl > MAX_CONFIG || k->nparams == 0 || k->nparams > TRN_MAX_PARAMS) {
		rc = trn_seterr(err, TRN_ERANGE, "%s: config size %llu or parameter count %llu at byte 16 is out of range",
		                path, (unsigned long long)tl, (unsigned long long)k->nparams);
		goto fail;
	}
	k->st.stage = (int)get32(h + 32);
	k->st.done = (int)get32(h + 36);
	k->st.step = (int64_t)get64(h + 40);
	k->st.gstep = (int64_t)get64(h + 48);
	k->st.tokens = (int64_t)get64(h + 56);
	k->st.data.epoch = get64(h + 64);
	k->st.data.cursor = get64(h + 72);
	k->st.data.offset = get64(h + 80);
	memcpy(k->st.info.fingerprint, h + 88, 32);
	k->opt_t = (int64_t)get64(h + 120);
	k->st.data_id = get32(h + 164);
	uint32_t *info[8] = { &k->st.info.kind, &k->st.info.vocab, &k->st.info.elem_size, &k->st.info.bos,
	                      &k->st.info.eos, &k->st.info.width, &k->st.info.height, &k->st.info.channels };
	for (int i = 0; i < 8; i++)
		*info[i] = get32(h + 128 + 4 * i);
	text = malloc(tl + 1);
	if (!text) {
		rc = trn_seterr(err, TRN_ENOMEM, "out of memory");
		goto fail;
	}
	if ((rc = rd(fp, text, tl, &crc, path, HDR, err)))
		goto fail;
	text[tl] = 0;
	if ((rc = trn_config_parse(text, tl, path, &k->cfg, err)) || (rc = trn_config_check(&k->cfg, err)))
		goto fail;
	if (k->st.stage < 0 || k->st.stage >= k->cfg.n_stages || k->st.step < 0 || k->st.gstep < 0) {
		rc = trn_seterr(err, TRN_EFORMAT, "%s: stage %d / step %lld at byte 32 do not fit its config", path,
		                k->st.stage, (long long)k->st.step);
		goto fail;
	}
	/* the parameter count must be what the stored config builds, and the
	 * file must be long enough to hold them, before anything is allocated */
	if (k->cfg.model.vocab <= 0) {
		rc = trn_seterr(err, TRN_EFORMAT, "%s: the stored config has no vocabulary", path);
		goto fail;
	}
	uint64_t want = trn_model_count_params(&k->cfg.model);
	if (want != k->nparams) {
		rc = trn_seterr(err, TRN_EFORMAT, "%s: %llu parameters at byte 24, its config builds %llu", path,
		                (unsigned long long)k->nparams, (unsigned long long)want);
		goto fail;
	}
	uint64_t need = HDR + tl + k->nparams * 4 * (k->has_optim ? 4 : 1) + 4;
	if ((uint64_t)fsize != need) {
		rc = trn_seterr(err, TRN_EFORMAT, "%s: %ld bytes, the header describes %llu (truncated or trailing data)",
		                path, fsize, (unsigned long long)need);
		goto fail;
	}
	size_t bytes = (size_t)k->nparams * 4;
	uint64_t off = HDR + tl;
	float **arrs[4] = { &k->params, &k->m, &k->v, &k->buf };
	for (int i = 0; i < (k->has_optim ? 4 : 1); i++) {
		if (!(*arrs[i] = malloc(bytes))) {
			rc = trn_seterr(err, TRN_ENOMEM, "out of memory for %llu parameters", (unsigned long long)k->nparams);
			goto fail;
		}
		if ((rc = rd(fp, *arrs[i], bytes, &crc, path, off, err)))
			goto fail;
		off += bytes;
	}
	unsigned char tail[4];
	if ((rc = rd(fp, tail, 4, &dummy, path, off, err)))
		goto fail;
	/* crc ran from byte 168: with the identity in front it must match, or
	 * this is a checkpoint from before the identity (0) and its CRC. */
	uLong whole = crc32_combine(crc32(0, h + 164, 4), crc, (z_off_t)(off - HDR));
	if (get32(tail) != (uint32_t)whole && (k->st.data_id || get32(tail) != (uint32_t)crc)) {
		rc = trn_seterr(err, TRN_EFORMAT, "%s: payload checksum mismatch at byte %llu", path, (unsigned long long)off);
		goto fail;
	}
	if (fgetc(fp) != EOF) {
		rc = trn_seterr(err, TRN_EFORMAT, "%s: trailing bytes after byte %llu", path, (unsigned long long)(off + 4));
		goto fail;
	}
	free(text);
	*out = k;
	return TRN_OK;
fail:
	free(text);
	trn_ckpt_free(k);
	return rc;
}

void trn_ckpt_free(trn_ckpt *k)
{
	if (!k)
		return;
	free(k->params);
	free(k->m);
	free(k->v);
	free(k->buf);
	free(k);
}

const trn_config *trn_ckpt_config(const trn_ckpt *k) { return &k->cfg; }
const trn_ckpt_state *trn_ckpt_state_of(const trn_ckpt *k) { return &k->st; }
int trn_ckpt_has_optim(const trn_ckpt *k) { return k->has_optim; }

int trn_ckpt_load(const trn_ckpt *k, trn_model *m, trn_optim *o, trn_error *err)
{
	if (trn_model_nparams(m) != k->nparams || !trn_model_config_equal(trn_model_config_of(m), &k->cfg.model))
		return trn_seterr(err, TRN_EMISMATCH, "the checkpoint's model differs from this one");
	memcpy(trn_model_params(m), k->params, k->nparams * 4);
	if (o) {
		if (!k->has_optim)
			return trn_seterr(err, TRN_EMISMATCH, "the checkpoint holds weights only, no optimizer state");
		if (o->n != k->nparams)
			return trn_seterr(err, TRN_EINVAL, "optimizer state size differs");
		memcpy(o->m, k->m, k->nparams * 4);
		memcpy(o->v, k->v, k->nparams * 4);
		memcpy(o->buf, k->buf, k->nparams * 4);
		o->t = k->opt_t;
	}
	return TRN_OK;
}
