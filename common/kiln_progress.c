/*
 * kiln_progress.c - a self-overwriting progress line on stderr with rate and
 * ETA. Drawn only when stderr is a terminal and --quiet was not given, so
 * logs and pipes stay clean; redrawn at most ten times a second.
 */
#include "kiln.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct kiln_progress {
	char label[64];
	char unit[16];
	uint64_t total, done;
	double t0, last;
	int shown;
};

static int quiet;

void kiln_set_quiet(int q) { quiet = q; }
int kiln_quiet(void) { return quiet; }

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

kiln_progress *kiln_progress_start(const char *label, uint64_t total, const char *unit)
{
	if (quiet || !isatty(STDERR_FILENO)) return NULL;
	kiln_progress *p = kiln_xcalloc(1, sizeof *p);
	snprintf(p->label, sizeof p->label, "%s", label ? label : "");
	snprintf(p->unit, sizeof p->unit, "%s", unit ? unit : "");
	p->total = total;
	p->t0 = p->last = now();
	return p;
}

static void human(double v, char *buf, size_t n)
{
	const char *suf[] = { "", "K", "M", "G", "T" };
	int i = 0;
	while (v >= 1000 && i < 4) { v /= 1000; i++; }
	snprintf(buf, n, i ? "%.1f%s" : "%.0f%s", v, suf[i]);
}

static void draw(kiln_progress *p, double t)
{
	double el = t - p->t0, rate = el > 0 ? p->done / el : 0;
	char d[16], tot[16], r[16], eta[32] = "";
	human((double)p->done, d, sizeof d);
	human((double)p->total, tot, sizeof tot);
	human(rate, r, sizeof r);
	if (p->total && rate > 0 && p->done <= p->total) {
		double s = (p->total - p->done) / rate;
		/* A slow start over a huge total gives estimates of centuries,
		 * which overflowed the int conversion (garbage such as
		 * "ETA -35791394m-8s"); past 99 hours an ETA says nothing. */
		if (s < 99 * 3600.0) snprintf(eta, sizeof eta, "  ETA %dm%02ds", (int)(s / 60), (int)s % 60);
		else snprintf(eta, sizeof eta, "  ETA >99h");
	}
	if (p->total)
		fprintf(stderr, "\r\033[K%s  %s/%s %s  %s/s%s", p->label, d, tot, p->unit, r, eta);
	else
		fprintf(stderr, "\r\033[K%s  %s %s  %s/s", p->label, d, p->unit, r);
	p->shown = 1;
}

void kiln_progress_update(kiln_progress *p, uint64_t done)
{
	if (!p) return;
	p->done = done;
	double t = now();
	if (t - p->last < 0.1) return;
	p->last = t;
	draw(p, t);
}

void kiln_progress_end(kiln_progress *p)
{
	if (!p) return;
	if (p->shown) fprintf(stderr, "\r\033[K");
	free(p);
}
