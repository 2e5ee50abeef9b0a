/*
 * sgemm - this machine's OpenBLAS sgemm throughput, the ceiling the engine's
 * convolutions (im2col + sgemm) can reach.  Times C = A*B for square n x n
 * float matrices with 1 and 2 OpenBLAS threads and prints, per thread count,
 * the best and the median GFLOP/s (2*n^3 flops per call) over reps calls
 * after a warm-up; the best is the ceiling, least disturbed by other load.
 *
 * usage: sgemm [n [reps]]   (default 1024 15)
 * prints: "core <name>" then "SGEMM <threads> <best> <median>" lines.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <cblas.h>

/* From OpenBLAS; declared here in case cblas.h is not OpenBLAS's own. */
void openblas_set_num_threads(int);
char *openblas_get_corename(void);
char *openblas_get_config(void);

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int
main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 1024;
	int reps = argc > 2 ? atoi(argv[2]) : 15;
	size_t nn = (size_t)n * n;
	float *a = malloc(nn * sizeof *a), *b = malloc(nn * sizeof *b);
	float *c = malloc(nn * sizeof *c);
	double *g = malloc(reps * sizeof *g);

	if (n < 16 || reps < 1 || !a || !b || !c || !g) {
		fprintf(stderr, "usage: sgemm [n>=16 [reps>=1]]\n");
		return 2;
	}
	for (size_t i = 0; i < nn; i++) {
		a[i] = (float)((i * 7 + 3) % 13) / 13.0f - 0.5f;
		b[i] = (float)((i * 5 + 1) % 11) / 11.0f - 0.5f;
	}
	printf("core %s (%s)\n", openblas_get_corename(), openblas_get_config());
	for (int t = 1; t <= 2; t++) {
		openblas_set_num_threads(t);
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n,
		    1.0f, a, n, b, n, 0.0f, c, n);
		for (int r = 0; r < reps; r++) {
			double t0 = now();

			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n,
			    1.0f, a, n, b, n, 0.0f, c, n);
			g[r] = 2.0 * n * n * (double)n / (now() - t0) * 1e-9;
		}
		qsort(g, reps, sizeof *g, cmp);
		printf("SGEMM %d %.1f %.1f\n", t, g[reps - 1], g[reps / 2]);
	}
	free(a);
	free(b);
	free(c);
	free(g);
	return 0;
}
