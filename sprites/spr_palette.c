/*
 * spr_palette.c - one shared palette for a corpus of fitted sprites:
 * weighted k-means in OKLab with deterministic k-means++ seeding.
 *
 * Each image's distinct opaque colours become weighted points. Weights make
 * every image count equally (a 4-pixel sprite is not drowned by a full one),
 * and between rounds each image is re-weighted by its own error, following
 * the gradient of the mean per-image PSNR rather than the pooled error.
 * A final coordinate descent polishes the rounded palette on the measured
 * objective itself (see refine()). Sums are reduced over fixed chunks in a
 * fixed order, so the result does not depend on the number of OpenMP threads.
 */
#include "spr_internal.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NCHUNK 64

void spr_build_opts_init(spr_build_opts *o)
{
	o->n_colors = 64;
	o->reserve_transparent = 1;
	o->seed = 1;
	o->iterations = 24;
	o->rounds = 6;
	o->refine = 4;
	o->progress = NULL;
	o->progress_ud = NULL;
}

typedef struct point {
	float L, a, b;
	float w;            /* current weight */
	uint32_t count;     /* pixels of this colour in its image */
	uint32_t img;
	uint8_t rgb[3];
} point;

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static inline float d2(const point *p, const spr_lab *c)
{
	float dL = p->L - c->L, da = p->a - c->a, db = p->b - c->b;
	return dL * dL + da * da + db * db;
}

static inline uint32_t nearest(const point *p, const spr_lab *c, uint32_t k, float *dist)
{
	uint32_t best = 0;
	float bd = FLT_MAX;
	for (uint32_t j = 0; j < k; j++) {
		float d = d2(p, &c[j]);
		if (d < bd) { bd = d; best = j; }
	}
	if (dist) *dist = bd;
	return best;
}

/* Distinct opaque colours per image, with their pixel counts. */
static point *collect(const spr_image *imgs, size_t n, size_t *np, size_t *nimg_used)
{
	size_t cap = 0;
	for (size_t i = 0; i < n; i++) cap += (size_t)imgs[i].w * imgs[i].h;
	point *pts = malloc((cap ? cap : 1) * sizeof *pts);
	uint32_t *tmp = NULL;
	size_t tcap = 0, k = 0, used = 0;
	if (!pts) return NULL;
	for (size_t i = 0; i < n; i++) {
		size_t m = (size_t)imgs[i].w * imgs[i].h, t = 0;
		if (m > tcap) {
			uint32_t *nt = realloc(tmp, m * sizeof *tmp);
			if (!nt) { free(tmp); free(pts); return NULL; }
			tmp = nt;
			tcap = m;
		}
		for (size_t j = 0; j < m; j++) {
			const uint8_t *p = imgs[i].rgba + 4 * j;
			if (p[3] >= 128) tmp[t++] = (uint32_t)p[0] << 16 | p[1] << 8 | p[2];
		}
		if (!t) continue;
		used++;
		qsort(tmp, t, sizeof *tmp, cmp_u32);
		for (size_t j = 0; j < t;) {
			size_t e = j;
			while (e < t && tmp[e] == tmp[j]) e++;
			point *p = &pts[k++];
			p->rgb[0] = tmp[j] >> 16; p->rgb[1] = tmp[j] >> 8; p->rgb[2] = tmp[j];
			spr_lab c = spr_srgb_to_oklab(p->rgb[0], p->rgb[1], p->rgb[2]);
			p->L = c.L; p->a = c.a; p->b = c.b;
			p->count = (uint32_t)(e - j);
			p->img = (uint32_t)i;
			p->w = 0;
			j = e;
		}
	}
	free(tmp);
	*np = k;
	*nimg_used = used;
	return pts;
}

/* Greedy k-means++ (as in scikit-learn): each step draws a few candidates
 * by weight x squared distance and keeps the one that lowers the total
 * weighted potential most, which lands in better optima than plain
 * k-means++. One parallel pass per step scores all candidates, summed per
 * fixed chunk and combined in order (thread-count independent); the
 * sequential drawing scan also folds the previous winner into mind[]. */
#define CANDIDATES 8
static void seed_centres(const point *pts, size_t np, uint32_t k, uint64_t seed, spr_lab *c, float *mind)
{
	double (*pot)[CANDIDATES] = calloc(NCHUNK, sizeof *pot);
	if (!pot) return;
	uint64_t draw = 0;
	for (uint32_t j = 0; j < k; j++) {
		int ncand = j == 0 ? 1 : CANDIDATES;
		/* fold in the previous centre and total the sampling weights */
		double total = 0;
		for (size_t i = 0; i < np; i++) {
			if (j > 0) {
				float d = d2(&pts[i], &c[j - 1]);
				if (j == 1 || d < mind[i]) mind[i] = d;
			}
			total += pts[i].w * (j ? mind[i] : 1.0f);
		}
		if (total <= 0) total = 1e-30;
		spr_lab cand[CANDIDATES];
		for (int t = 0; t < ncand; t++) {
			double r = spr__unit(seed, draw++) * total, acc = 0;
			size_t pick = np - 1;
			for (size_t i = 0; i < np; i++) {
				acc += pts[i].w * (j ? mind[i] : 1.0f);
				if (acc > r) { pick = i; break; }
			}
			cand[t] = (spr_lab){ pts[pick].L, pts[pick].a, pts[pick].b };
		}
		if (ncand == 1) { c[j] = cand[0]; continue; }
		SPR_OMP(omp parallel for schedule(dynamic, 1) if (np >= 4096))
		for (int ch = 0; ch < NCHUNK; ch++) {
			size_t lo = np * ch / NCHUNK, hi = np * (ch + 1) / NCHUNK;
			for (int t = 0; t < ncand; t++) {
				double sum = 0;
				for (size_t i = lo; i < hi; i++) {
					float d = d2(&pts[i], &cand[t]);
					sum += pts[i].w * (d < mind[i] ? d : mind[i]);
				}
				pot[ch][t] = sum;
			}
		}
		int best = 0;
		double best_pot = 0;
		for (int t = 0; t < ncand; t++) {
			double s = 0;
			for (int ch = 0; ch < NCHUNK; ch++) s += pot[ch][t];
			if (t == 0 || s < best_pot) { best_pot = s; best = t; }
		}
		c[j] = cand[best];
	}
	free(pot);
}

/* Lloyd iterations with per-chunk partial sums combined in chunk order. */
static void lloyd(const point *pts, size_t np, spr_lab *c, uint32_t k, uint32_t iters, uint32_t *assign)
{
	double (*sum)[4] = calloc((size_t)NCHUNK * k, sizeof *sum);
	if (!sum) return;
	for (uint32_t it = 0; it < iters; it++) {
		memset(sum, 0, (size_t)NCHUNK * k * sizeof *sum);
		SPR_OMP(omp parallel for schedule(dynamic, 1) if (np >= 4096))
		for (int ch = 0; ch < NCHUNK; ch++) {
			size_t lo = np * ch / NCHUNK, hi = np * (ch + 1) / NCHUNK;
			double (*s)[4] = sum + (size_t)ch * k;
			for (size_t i = lo; i < hi; i++) {
				uint32_t j = nearest(&pts[i], c, k, NULL);
				assign[i] = j;
				double w = pts[i].w;
				s[j][0] += w * pts[i].rgb[0]; s[j][1] += w * pts[i].rgb[1]; s[j][2] += w * pts[i].rgb[2]; s[j][3] += w;
			}
		}
		double worst = -1;
		size_t worst_i = 0;
		for (uint32_t j = 0; j < k; j++) {
			double t[4] = { 0, 0, 0, 0 };
			for (int ch = 0; ch < NCHUNK; ch++)
				for (int q = 0; q < 4; q++) t[q] += sum[(size_t)ch * k + j][q];
			if (t[3] > 0) {
				double r = t[0] / t[3] + 0.5, g = t[1] / t[3] + 0.5, b = t[2] / t[3] + 0.5;
				/* Cells are OKLab Voronoi cells (that is how pixels are
				 * mapped), but the centre moves to the cell's mean in
				 * sRGB: for a fixed assignment that minimises the RGB
				 * error PSNR measures, and it costs almost no ΔE. */
				c[j] = spr_srgb_to_oklab((uint8_t)r, (uint8_t)g, (uint8_t)b);
				continue;
			}
			/* empty cluster: move it to the worst-served point */
			if (worst < 0) {
				for (size_t i = 0; i < np; i++) {
					double e = pts[i].w * d2(&pts[i], &c[assign[i]]);
					if (e > worst) { worst = e; worst_i = i; }
				}
			}
			c[j] = (spr_lab){ pts[worst_i].L, pts[worst_i].a, pts[worst_i].b };
			worst = -1;
		}
	}
	free(sum);
}

/* ---- refinement on the real objective ----------------------------------
 * k-means optimises squared OKLab error; what is asked for is mean
 * per-image PSNR in sRGB with pixels mapped to their nearest colour in OKLab,
 * without losing ΔE. So the rounded palette is polished by coordinate
 * descent on exactly that: each colour is nudged by +-step in R, G, B, or
 * all three (lightness), and the move is kept when the mean PSNR rises and
 * the pooled ΔE stays within a small slack of where it started. A move only re-searches the points that
 * were in the moved cell; the others just compare against the new colour. */
typedef struct refiner {
	const point *pts;
	size_t np, nimg;
	uint32_t k;
	uint8_t rgb[SPR_MAX_COLORS][3];
	spr_lab lab[SPR_MAX_COLORS];
	uint32_t *as;          /* current assignment per point */
	float *de;             /* current OKLab distance per point */
	double *sse;           /* per point: squared RGB error x count */
	double *img_sse, *img_px, psnr_sum, de_sum, px_total;
	/* scratch for a trial */
	uint32_t *t_as; float *t_de; double *t_sse; double *d_img; uint32_t *touched; size_t ntouched;
	uint8_t *img_mark;
} refiner;

static double psnr_of(double sse, double px)
{
	if (px <= 0) return 0;
	double mse = sse / (3.0 * px);
	double v = mse > 0 ? 10.0 * log10(255.0 * 255.0 / mse) : SPR_PSNR_CAP;
	return v < SPR_PSNR_CAP ? v : SPR_PSNR_CAP;
}

static inline double rgb_err(const point *p, const uint8_t c[3])
{
	double e = 0;
	for (int q = 0; q < 3; q++) { double d = (double)p->rgb[q] - c[q]; e += d * d; }
	return e * p->count;
}

static void refine_full(refiner *r)
{
	memset(r->img_sse, 0, r->nimg * sizeof *r->img_sse);
	r->de_sum = 0;
	for (size_t i = 0; i < r->np; i++) {
		float d;
		uint32_t j = nearest(&r->pts[i], r->lab, r->k, &d);
		r->as[i] = j;
		r->de[i] = sqrtf(d);
		r->sse[i] = rgb_err(&r->pts[i], r->rgb[j]);
		r->img_sse[r->pts[i].img] += r->sse[i];
		r->de_sum += (double)r->de[i] * r->pts[i].count;
	}
	r->psnr_sum = 0;
	for (size_t m = 0; m < r->nimg; m++)
		if (r->img_px[m] > 0) r->psnr_sum += psnr_of(r->img_sse[m], r->img_px[m]);
}

/* Try colour j at new value c; keep it if it helps. Returns 1 when kept. */
static int refine_try(refiner *r, uint32_t j, const uint8_t c[3], double de_cap, double nimg_used)
{
	uint8_t old[3];
	spr_lab oldlab = r->lab[j];
	memcpy(old, r->rgb[j], 3);
	memcpy(r->rgb[j], c, 3);
	r->lab[j] = spr_srgb_to_oklab(c[0], c[1], c[2]);
	double dde = 0;
	r->ntouched = 0;
	for (size_t i = 0; i < r->np; i++) {
		const point *p = &r->pts[i];
		uint32_t na;
		float nd;
		if (r->as[i] == j) {
			na = nearest(p, r->lab, r->k, &nd);
			nd = sqrtf(nd);
		} else {
			float d = sqrtf(d2(p, &r->lab[j]));
			if (!(d < r->de[i])) continue;
			na = j;
			nd = d;
		}
		double ns = rgb_err(p, r->rgb[na]);
		r->t_as[i] = na;
		r->t_de[i] = nd;
		r->t_sse[i] = ns;
		r->touched[r->ntouched++] = (uint32_t)i;
		dde += ((double)nd - r->de[i]) * p->count;
		if (!r->img_mark[p->img]) { r->img_mark[p->img] = 1; r->d_img[p->img] = 0; }
		r->d_img[p->img] += ns - r->sse[i];
	}
	double dpsnr = 0;
	for (size_t t = 0; t < r->ntouched; t++) {
		uint32_t m = r->pts[r->touched[t]].img;
		if (r->img_mark[m] != 1) continue;
		r->img_mark[m] = 2;
		dpsnr += psnr_of(r->img_sse[m] + r->d_img[m], r->img_px[m]) - psnr_of(r->img_sse[m], r->img_px[m]);
	}
	int keep = dpsnr > 1e-9 * nimg_used && 100.0 * (r->de_sum + dde) / r->px_total <= de_cap;
	for (size_t t = 0; t < r->ntouched; t++) {
		size_t i = r->touched[t];
		uint32_t m = r->pts[i].img;
		if (keep) {
			if (r->img_mark[m]) r->img_sse[m] += r->d_img[m];
			r->as[i] = r->t_as[i];
			r->de[i] = r->t_de[i];
			r->sse[i] = r->t_sse[i];
		}
		r->img_mark[m] = 0;
	}
	if (keep) {
		r->psnr_sum += dpsnr;
		r->de_sum += dde;
	} else {
		memcpy(r->rgb[j], old, 3);
		r->lab[j] = oldlab;
	}
	return keep;
}

/* c = col moved by d along axis ax (0..2: one channel, 3: all three);
 * 0 when that leaves the 8-bit range. */
static int shifted(const uint8_t col[3], int ax, int d, uint8_t c[3])
{
	for (int q = 0; q < 3; q++) {
		int v = col[q] + ((ax == 3 || ax == q) ? d : 0);
		if (v < 0 || v > 255) return 0;
		c[q] = (uint8_t)v;
	}
	return 1;
}

static void refine(const point *pts, size_t np, size_t nimg, const double *img_px, size_t nimg_used,
                   uint8_t (*rgb)[3], uint32_t k, uint32_t sweeps, const spr_build_opts *o, uint32_t done,
                   uint32_t total)
{
	refiner r = { .pts = pts, .np = np, .nimg = nimg, .k = k };
	r.as = malloc(np * sizeof *r.as); r.de = malloc(np * sizeof *r.de); r.sse = malloc(np * sizeof *r.sse);
	r.t_as = malloc(np * sizeof *r.t_as); r.t_de = malloc(np * sizeof *r.t_de); r.t_sse = malloc(np * sizeof *r.t_sse);
	r.touched = malloc(np * sizeof *r.touched);
	r.img_sse = calloc(nimg, sizeof *r.img_sse); r.d_img = calloc(nimg, sizeof *r.d_img);
	r.img_mark = calloc(nimg, 1);
	r.img_px = (double *)img_px;
	if (!r.as || !r.de || !r.sse || !r.t_as || !r.t_de || !r.t_sse || !r.touched || !r.img_sse || !r.d_img || !r.img_mark)
		goto done;   /* refinement is an optional polish: skip it under memory pressure */
	for (uint32_t j = 0; j < k; j++) {
		memcpy(r.rgb[j], rgb[j], 3);
		r.lab[j] = spr_srgb_to_oklab(rgb[j][0], rgb[j][1], rgb[j][2]);
	}
	r.px_total = 0;
	for (size_t m = 0; m < nimg; m++) r.px_total += img_px[m];
	refine_full(&r);
	/* allow ΔE to grow by at most 0.1 (x100) over the k-means result */
	double de_cap = 100.0 * r.de_sum / r.px_total + 0.1;
	static const int steps[] = { 8, 4, 2, 1 };
	for (uint32_t sw = 0; sw < sweeps; sw++) {
		if (o->progress) o->progress(o->progress_ud, done + sw, total);
		int step = steps[sw < 4 ? sw : 3], moved = 0;
		for (uint32_t j = 0; j < k; j++)
			for (int ax = 0; ax < 4; ax++)
				for (int sg = -1; sg <= 1; sg += 2) {
					/* axes R, G, B, and grey (all three: lightness) */
					uint8_t c[3];
					while (shifted(r.rgb[j], ax, sg * step, c) && refine_try(&r, j, c, de_cap, (double)nimg_used))
						moved++;   /* keep going in a direction while it pays */
				}
		(void)moved;
	}
	for (uint32_t j = 0; j < k; j++) memcpy(rgb[j], r.rgb[j], 3);
done:
	free(r.as); free(r.de); free(r.sse); free(r.t_as); free(r.t_de); free(r.t_sse); free(r.touched);
	free(r.img_sse); free(r.d_img); free(r.img_mark);
}

static int cmp_lab_L(const void *a, const void *b)
{
	const uint8_t *x = a, *y = b;
	spr_lab p = spr_srgb_to_oklab(x[0], x[1], x[2]), q = spr_srgb_to_oklab(y[0], y[1], y[2]);
	if (p.L != q.L) return p.L < q.L ? -1 : 1;
	return memcmp(x, y, 3);
}

/* ---- distinct entries ----------------------------------------------------
 * A repeated colour wastes a token and makes colour -> token ambiguous, so
 * every built entry is distinct. */

static int in_colours(const uint8_t (*cols)[3], uint32_t n, const uint8_t c[3])
{
	for (uint32_t j = 0; j < n; j++)
		if (!memcmp(cols[j], c, 3)) return 1;
	return 0;
}

static uint32_t packed(const uint8_t c[3]) { return (uint32_t)c[0] << 16 | (uint32_t)c[1] << 8 | c[2]; }

/* The distinct colours of all points, when there are at most k of them:
 * returns how many (written to cols), k + 1 when there are more, 0 when out
 * of memory. seen is one bit per 24-bit colour. */
static uint32_t few_colours(const point *pts, size_t np, uint32_t k, uint8_t (*cols)[3])
{
	uint8_t *seen = calloc(1u << 21, 1);
	if (!seen) return 0;
	uint32_t n = 0;
	for (size_t i = 0; i < np && n <= k; i++) {
		uint32_t v = packed(pts[i].rgb);
		if (seen[v >> 3] & (1u << (v & 7))) continue;
		seen[v >> 3] |= (uint8_t)(1u << (v & 7));
		if (n < k) memcpy(cols[n], pts[i].rgb, 3);
		n++;
	}
	free(seen);
	return n;
}

/* Fill cols[have..k) with greys that are not in cols[0..have) nor equal to
 * avoid (the reserved entry's colour; NULL for none), dark to light. Grey
 * levels are tried in bit-reversed order (0, 128, 64, 192, 32, ...) so a
 * few padding entries spread over the whole range. There are always enough:
 * k + 1 <= 256 when an entry is reserved, k <= 256 otherwise. */
static void pad_greys(uint8_t (*cols)[3], uint32_t have, uint32_t k, const uint8_t *avoid)
{
	uint8_t used[256] = { 0 };
	for (uint32_t j = 0; j < have; j++)
		if (cols[j][0] == cols[j][1] && cols[j][1] == cols[j][2]) used[cols[j][0]] = 1;
	if (avoid && avoid[0] == avoid[1] && avoid[1] == avoid[2]) used[avoid[0]] = 1;
	uint32_t m = have;
	for (uint32_t t = 0; t < 256 && m < k; t++) {
		uint32_t v = 0;
		for (int b = 0; b < 8; b++) v |= ((t >> b) & 1u) << (7 - b);
		if (!used[v]) { used[v] = 2; m++; }
	}
	for (uint32_t v = 0; v < 256; v++)
		if (used[v] == 2) memset(cols[have++], (int)v, 3);
}

/* Replace each entry equal to an earlier one by the input colour served
 * worst (weight x squared OKLab distance to its nearest entry) among those
 * not in the palette. Only called with more distinct input colours than
 * entries, so one always exists; adding it moves no pixel further away.
 * dist (np floats) is scratch: each point's distance, -1 once in the
 * palette. Dropping a repeat changes no distance (its twin stays). */
static void replace_repeats(const point *pts, size_t np, uint8_t (*cols)[3], uint32_t k, float *dist)
{
	spr_lab lab[SPR_MAX_COLORS];
	int any = 0;
	for (uint32_t j = 0; j < k; j++) {
		lab[j] = spr_srgb_to_oklab(cols[j][0], cols[j][1], cols[j][2]);
		any |= in_colours((const uint8_t (*)[3])cols, j, cols[j]);
	}
	if (!any) return;
	for (size_t i = 0; i < np; i++) {
		uint32_t j = nearest(&pts[i], lab, k, &dist[i]);
		/* a colour in the palette is at distance 0 from it */
		if (dist[i] == 0 && (!memcmp(cols[j], pts[i].rgb, 3) || in_colours((const uint8_t (*)[3])cols, k, pts[i].rgb)))
			dist[i] = -1;
	}
	for (uint32_t j = 1; j < k; j++) {
		if (!in_colours((const uint8_t (*)[3])cols, j, cols[j])) continue;
		size_t best = np;
		double best_e = -1;
		for (size_t i = 0; i < np; i++) {
			if (dist[i] < 0) continue;
			double e = (double)pts[i].w * dist[i];
			if (e > best_e) { best_e = e; best = i; }
		}
		if (best == np) return;   /* cannot happen (see above) */
		memcpy(cols[j], pts[best].rgb, 3);
		spr_lab c = { pts[best].L, pts[best].a, pts[best].b };
		for (size_t i = 0; i < np; i++) {
			if (dist[i] < 0) continue;
			if (!memcmp(pts[i].rgb, cols[j], 3)) { dist[i] = -1; continue; }
			float d = d2(&pts[i], &c);
			if (d < dist[i]) dist[i] = d;
		}
	}
}

/* Inputs with no more distinct colours than entries: each colour gets one
 * entry, exactly (sorted by lightness), and the rest is grey padding. */
static void exact_palette(uint8_t (*cols)[3], uint32_t have, uint32_t total, uint32_t reserve,
                          const spr_build_opts *opts, spr_palette *out)
{
	uint32_t k = total - reserve;
	memset(out, 0, sizeof *out);
	out->n = total;
	out->transparent = reserve ? 0 : -1;
	qsort(cols, have, 3, cmp_lab_L);
	pad_greys(cols, have, k, reserve ? out->rgb[0] : NULL);
	memcpy(out->rgb[reserve], cols, (size_t)k * 3);
	uint32_t steps = (opts->rounds ? opts->rounds : 1) + opts->refine;
	if (opts->progress) opts->progress(opts->progress_ud, steps, steps);
}

int spr_palette_build(const spr_image *imgs, size_t n, const spr_build_opts *opts,
                      spr_palette *out, spr_error *err)
{
	spr_build_opts def;
	if (!opts) { spr_build_opts_init(&def); opts = &def; }
	uint32_t total = opts->n_colors, reserve = opts->reserve_transparent ? 1 : 0;
	if (total < 1 + reserve || total > SPR_MAX_COLORS)
		return spr__fail(err, SPR_EINVAL, UINT64_MAX, "palette size %u out of range [%u, %u]", total, 1 + reserve, SPR_MAX_COLORS);
	uint32_t k = total - reserve;
	size_t np = 0, nimg = 0;
	point *pts = collect(imgs, n, &np, &nimg);
	if (!pts) return spr__fail(err, SPR_ENOMEM, UINT64_MAX, "out of memory");
	if (np == 0) { free(pts); return spr__fail(err, SPR_EEMPTY, UINT64_MAX, "no opaque pixel in %zu images", n); }
	uint8_t cols[SPR_MAX_COLORS][3];
	uint32_t ndistinct = few_colours(pts, np, k, cols);
	if (ndistinct <= k) {
		free(pts);
		if (ndistinct == 0) return spr__fail(err, SPR_ENOMEM, UINT64_MAX, "out of memory");
		exact_palette(cols, ndistinct, total, reserve, opts, out);
		return SPR_OK;
	}
	double *img_px = calloc(n, sizeof *img_px), *img_err = calloc(n, sizeof *img_err), *img_rw = malloc(n * sizeof *img_rw);
	float *mind = malloc(np * sizeof *mind);
	uint32_t *assign = calloc(np, sizeof *assign);
	spr_lab *c = calloc(k, sizeof *c);
	if (!img_px || !img_err || !img_rw || !mind || !assign || !c) {
		free(pts); free(img_px); free(img_err); free(img_rw); free(mind); free(assign); free(c);
		return spr__fail(err, SPR_ENOMEM, UINT64_MAX, "out of memory");
	}
	for (size_t i = 0; i < np; i++) img_px[pts[i].img] += pts[i].count;
	for (size_t i = 0; i < n; i++) img_rw[i] = 1.0;
	uint32_t rounds = opts->rounds ? opts->rounds : 1;
	for (uint32_t round = 0; round < rounds; round++) {
		for (size_t i = 0; i < np; i++)
			pts[i].w = (float)(pts[i].count / img_px[pts[i].img] * img_rw[pts[i].img]);
		if (round == 0) seed_centres(pts, np, k, opts->seed, c, mind);
		if (opts->progress) opts->progress(opts->progress_ud, round, rounds + opts->refine);
		lloyd(pts, np, c, k, opts->iterations ? opts->iterations : 1, assign);
		if (round + 1 == rounds) break;
		/* per-image RGB error with the palette rounded to 8 bits, as mapped */
		uint8_t rgb[SPR_MAX_COLORS][3];
		spr_lab c8[SPR_MAX_COLORS];
		for (uint32_t j = 0; j < k; j++) {
			spr_oklab_to_srgb(c[j], rgb[j]);
			c8[j] = spr_srgb_to_oklab(rgb[j][0], rgb[j][1], rgb[j][2]);
		}
		memset(img_err, 0, n * sizeof *img_err);
		for (size_t i = 0; i < np; i++) {
			uint32_t j = nearest(&pts[i], c8, k, NULL);
			double e = 0;
			for (int q = 0; q < 3; q++) { double d = (double)pts[i].rgb[q] - rgb[j][q]; e += d * d; }
			img_err[pts[i].img] += e * pts[i].count;
		}
		/* The gradient of mean log MSE weights each image by 1/MSE; a
		 * slightly stronger 1/MSE^1.5 measured best on real sprites (the
		 * +1 keeps perfect images from taking all the weight). */
		double mean = 0;
		for (size_t i = 0; i < n; i++) {
			if (img_px[i] == 0) { img_rw[i] = 0; continue; }
			double mse = img_err[i] / (3.0 * img_px[i]);
			img_rw[i] = pow(mse + 1.0, -1.5);
			mean += img_rw[i];
		}
		mean /= (double)nimg;
		for (size_t i = 0; i < n; i++) img_rw[i] /= mean;
	}
	memset(out, 0, sizeof *out);
	out->n = total;
	out->transparent = reserve ? 0 : -1;
	for (uint32_t j = 0; j < k; j++) spr_oklab_to_srgb(c[j], cols[j]);
	if (opts->refine) refine(pts, np, n, img_px, nimg, cols, k, opts->refine, opts, rounds, rounds + opts->refine);
	replace_repeats(pts, np, cols, k, mind);
	if (opts->progress) opts->progress(opts->progress_ud, rounds + opts->refine, rounds + opts->refine);
	qsort(cols, k, 3, cmp_lab_L);
	memcpy(out->rgb[reserve], cols, (size_t)k * 3);
	free(pts); free(img_px); free(img_err); free(img_rw); free(mind); free(assign); free(c);
	return SPR_OK;
}
