/*
 * test_optim.c - lib/learn/optim: AdamW on a one-parameter quadratic
 * against values worked out by hand (the first step moves w by lr (1 + wd
 * w) against the gradient's sign; the next ones by the formula in optim.h,
 * each float operation rounded to float), AdamW on many parameters bit for
 * bit against the loop train.c and finetune.c had inline before it moved
 * here, and the one-cycle rate at chosen steps.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "learn/optim.h"
#include "t.h"

/* f(w) = a/2 (w - c)^2, g = a (w - c); w after steps 1, 2, 3 */
static const struct {
	const char *name;
	float a, c, w0;
	double lr, wd;
	float want[3];
} quad[] = {
	{ "adamw: a=2 c=0 w=1 lr=0.1", 2, 0, 1, 0.1, 0, { 0.899999976f, 0.800412178f, 0.701586246f } },
	{ "adamw: decay 0.01", 2, 0, 1, 0.1, 0.01, { 0.898999989f, 0.798519015f, 0.69891119f } },
	{ "adamw: from below, overshoots", 1, 3, -1, 0.5, 0, { -0.5f, -0.00284144282f, 0.488899589f } },
	{ "adamw: steep, decay 0.1", 10, 1, 1.5f, 0.01, 0.1, { 1.4885f, 1.47701824f, 1.46555936f } },
	{ "adamw: at the minimum, stays", 1, 0, 0, 0.1, 0.01, { 0, 0, 0 } },
};

static void
test_quadratic(void)
{
	const struct tl_optim_adamw a = TL_OPTIM_ADAMW;
	char name[128];

	for (size_t q = 0; q < sizeof quad / sizeof quad[0]; q++) {
		float w = quad[q].w0, m = 0, v = 0;
		for (int t = 1; t <= 3; t++) {
			float g = quad[q].a * (w - quad[q].c);
			tl_optim_adamw(&a, t, quad[q].lr, quad[q].wd, 1, &w, &g, &m, &v);
			snprintf(name, sizeof name, "%s: step %d", quad[q].name, t);
			T_NEAR(name, w, quad[q].want[t - 1], 0, 0);
		}
	}
}

/* The loop as train.c had it: t 0-based, decay where isw[i]. */
static void
old_mlp(long t, double lr, double wd, size_t np, const int *isw, float *p, const float *gw,
        float *am, float *av)
{
	double c1 = 1 - pow(0.9, (double)(t + 1)), c2 = 1 - pow(0.999, (double)(t + 1));
	for (size_t i = 0; i < np; i++) {
		am[i] = 0.9f * am[i] + 0.1f * gw[i];
		av[i] = 0.999f * av[i] + 0.001f * gw[i] * gw[i];
		p[i] -= (float)(lr * ((am[i] / c1) / (sqrt(av[i] / c2) + 1e-8) +
		    (isw[i] ? wd * p[i] : 0)));
	}
}

/* The loop as finetune.c had it for a tail parameter: step 1-based. */
static void
old_tail(long step, double lr, double wd, size_t n, float *w, const float *g, float *am,
         float *av)
{
	double c1 = 1 - pow(0.9, (double)step), c2 = 1 - pow(0.999, (double)step);
	for (size_t i = 0; i < n; i++) {
		am[i] = 0.9f * am[i] + 0.1f * g[i];
		av[i] = 0.999f * av[i] + 0.001f * g[i] * g[i];
		w[i] -= (float)(lr * ((am[i] / c1) / (sqrt(av[i] / c2) + 1e-8) + wd * w[i]));
	}
}

enum { N = 257, STEPS = 40 };

static void
test_as_before(void)
{
	const struct tl_optim_adamw a = TL_OPTIM_ADAMW;
	static float w0[N], w1[N], g[N], m0[N], m1[N], v0[N], v1[N];
	static int isw[N];
	unsigned s = 12345;
	int same_mlp = 1, same_tail = 1;

	for (int i = 0; i < N; i++) {
		s = s * 1103515245u + 12345u;
		w0[i] = w1[i] = (float)((int)(s >> 8) % 2001 - 1000) / 700.0f;
		isw[i] = i < 200;
	}
	/* the MLP's way: decay on the first 200, none on the rest */
	for (long t = 0; t < STEPS; t++) {
		for (int i = 0; i < N; i++) {
			s = s * 1103515245u + 12345u;
			g[i] = w0[i] * 0.5f + (float)((int)(s >> 8) % 101 - 50) / 400.0f;
		}
		old_mlp(t, 1e-2, 1e-2, N, isw, w0, g, m0, v0);
		tl_optim_adamw(&a, t + 1, 1e-2, 1e-2, 200, w1, g, m1, v1);
		tl_optim_adamw(&a, t + 1, 1e-2, 0, N - 200, w1 + 200, g + 200, m1 + 200, v1 + 200);
		same_mlp &= memcmp(w0, w1, sizeof w0) == 0 && memcmp(m0, m1, sizeof m0) == 0 &&
		    memcmp(v0, v1, sizeof v0) == 0;
	}
	T_OK("adamw: the MLP's inline loop, bit for bit", same_mlp);
	memset(m0, 0, sizeof m0), memset(m1, 0, sizeof m1);
	memset(v0, 0, sizeof v0), memset(v1, 0, sizeof v1);
	for (long step = 1; step <= STEPS; step++) {
		for (int i = 0; i < N; i++) {
			s = s * 1103515245u + 12345u;
			g[i] = (float)((int)(s >> 8) % 2001 - 1000) / 300.0f;
		}
		old_tail(step, 3e-3, 0.05, N, w0, g, m0, v0);
		tl_optim_adamw(&a, step, 3e-3, 0.05, N, w1, g, m1, v1);
		same_tail &= memcmp(w0, w1, sizeof w0) == 0 && memcmp(m0, m1, sizeof m0) == 0 &&
		    memcmp(v0, v1, sizeof v0) == 0;
	}
	T_OK("adamw: the fine-tuning's inline loop, bit for bit", same_tail);
}

/* lr 1 over 100 steps: up = 30, from 1/25 to 1, down to 1e-5 */
static const struct {
	const char *name;
	double lr;
	long t, total;
	double want;
} cycle[] = {
	{ "one-cycle: first step lr/25", 1, 0, 100, 0.04 },
	{ "one-cycle: half way up", 1, 15, 100, 0.52 },
	{ "one-cycle: peak at 30%", 1, 30, 100, 1 },
	{ "one-cycle: half way down", 1, 65, 100, 0.500005 },
	{ "one-cycle: end lr/1e5", 1, 100, 100, 1e-5 },
	{ "one-cycle: scales with lr", 2e-3, 30, 100, 2e-3 },
	{ "one-cycle: up is floor(0.3 total)", 1, 3, 11, 1 },
};

static void
test_one_cycle(void)
{
	for (size_t i = 0; i < sizeof cycle / sizeof cycle[0]; i++)
		T_NEAR(cycle[i].name, tl_optim_one_cycle(cycle[i].lr, cycle[i].t, cycle[i].total),
		    cycle[i].want, 1e-15, 1e-12);
}

int
main(void)
{
	test_quadratic();
	test_as_before();
	test_one_cycle();
	T_DONE();
}
