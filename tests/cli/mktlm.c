/*
 * mktlm - makes a trained-model file for the tl-classify tests without
 * tl-train: a nearest-centroid linear head over the labelled embeddings of
 * a tl stream (x = standardised emb; logit_k = mu_k . x - |mu_k|^2 / 2, so
 * the nearest class mean wins), with the stream header's backbone, OOD
 * statistics (identity whitening, the class means, threshold = the largest
 * training distance times 1.1).  Classes in the order they first appear.
 *
 * usage: mktlm [-n none|l2|sqrt] [-t temperature] [-o ood-threshold|none]
 *              [-H hidden (an MLP head)] in.tl out.tlm
 * Built by the tests (tests/cli/classify.sh); exit 1 with a message on error.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/tensor.h"
#include "learn/head.h"
#include "learn/tlm.h"
#include "stream/stream.h"

#define MAXN 4096
#define MAXK 64

static void
die(const char *m)
{
	fprintf(stderr, "mktlm: %s\n", m);
	exit(1);
}

int
main(int argc, char **argv)
{
	enum tl_tlm_norm norm = TL_TLM_NORM_NONE;
	double temp = 1, thr = -1;
	int noood = 0, hidden = 0, c, n = 0, k = 0, d = 0, lab[MAXN], cnt[MAXK] = { 0 };
	char *classes[MAXK];
	float *emb = NULL;
	struct tl_err err;
	struct tl_rec *rec = tl_rec_new();
	struct tl_reader *r;
	struct tl_tlm *m;

	while ((c = getopt(argc, argv, "n:t:o:H:")) != -1) {
		switch (c) {
		case 'n': if (tl_tlm_norm_parse(optarg, &norm) < 0) die("bad -n"); break;
		case 't': temp = atof(optarg); break;
		case 'o': if (strcmp(optarg, "none") == 0) noood = 1; else thr = atof(optarg); break;
		case 'H': hidden = atoi(optarg); break;
		default: die("usage: mktlm [-n norm] [-t temp] [-o thr|none] [-H hidden] in out");
		}
	}
	if (argc - optind != 2)
		die("usage: mktlm [-n norm] [-t temp] [-o thr|none] [-H hidden] in out");
	if ((r = tl_reader_open(argv + optind, 1, &err)) == NULL)
		die(err.msg);
	while ((c = tl_reader_next(r, rec, &err)) == 1) {
		struct tl_tensor t;
		const char *l = tl_rec_str(rec, "label");
		int j;
		if (l == NULL || tl_rec_tensor(rec, "emb", &t, &err) < 0)
			die("a record without label or emb");
		if (d == 0) {
			d = (int)t.count;
			emb = malloc((size_t)MAXN * d * sizeof *emb);
		}
		if ((int)t.count != d || n == MAXN)
			die("emb sizes differ, or too many records");
		for (j = 0; j < k && strcmp(classes[j], l) != 0; j++)
			;
		if (j == k) {
			if (k == MAXK)
				die("too many classes");
			classes[k++] = strdup(l);
		}
		lab[n] = j;
		cnt[j]++;
		tl_tensor_to_f32(&t, emb + (size_t)n * d);
		n++;
	}
	if (c < 0)
		die(err.msg);
	if ((m = tl_tlm_new(k, (const char *const *)classes, d, hidden ? TL_TLM_MLP : TL_TLM_LINEAR,
	    hidden, &err)) == NULL || tl_tlm_set_backbone(m, tl_reader_header(r), &err) < 0)
		die(err.msg);
	m->norm = norm;
	m->temperature = (float)temp;
	/* standardisation from the normalised inputs (mean 0, scale 1 for now) */
	float *x = malloc((size_t)n * d * sizeof *x);
	tl_head_input(m, (size_t)n, emb, x);
	for (int j = 0; j < d; j++) {
		double s = 0, ss = 0;
		for (int i = 0; i < n; i++)
			s += x[(size_t)i * d + j], ss += (double)x[(size_t)i * d + j] * x[(size_t)i * d + j];
		double mu = s / n, var = ss / n - mu * mu;
		m->mean[j] = (float)mu;
		m->scale[j] = (float)(var > 1e-12 ? 1 / sqrt(var) : 1);
	}
	tl_head_input(m, (size_t)n, emb, x);
	if (!noood && tl_tlm_alloc_ood(m, &err) < 0)
		die(err.msg);
	float *mu = calloc((size_t)k * d, sizeof *mu);
	for (int i = 0; i < n; i++)
		for (int j = 0; j < d; j++)
			mu[(size_t)lab[i] * d + j] += x[(size_t)i * d + j] / cnt[lab[i]];
	if (hidden) { /* a fixed MLP: only its shape matters to the tests */
		for (int h = 0; h < hidden; h++)
			for (int j = 0; j < d; j++)
				m->w1[(size_t)h * d + j] = (float)sin(h * 7 + j);
		for (int q = 0; q < k; q++)
			for (int h = 0; h < hidden; h++)
				m->w2[(size_t)q * hidden + h] = (float)cos(q * 3 + h);
	} else
		for (int q = 0; q < k; q++) {
			double nn = 0;
			for (int j = 0; j < d; j++) {
				m->w1[(size_t)q * d + j] = mu[(size_t)q * d + j];
				nn += (double)mu[(size_t)q * d + j] * mu[(size_t)q * d + j];
			}
			m->b1[q] = (float)(-nn / 2);
		}
	if (!noood) {
		float *ood = malloc((size_t)n * sizeof *ood);
		float *work = malloc(tl_head_work_size(m, (size_t)n) * sizeof *work);
		double mx = 0;
		for (int j = 0; j < d; j++)
			m->ood_w[(size_t)j * d + j] = 1;
		memcpy(m->ood_mu, mu, (size_t)k * d * sizeof *mu);
		tl_head_ood(m, (size_t)n, x, ood, work);
		for (int i = 0; i < n; i++)
			mx = ood[i] > mx ? ood[i] : mx;
		m->ood_threshold = (float)(thr >= 0 ? thr : mx * 1.1);
		m->ood_keep = 1;
		free(ood);
		free(work);
	}
	if (tl_tlm_set_meta(m, NULL, "test-1", "2026-01-01T00:00:00Z", "mktlm", &err) < 0 ||
	    tl_tlm_save(m, argv[optind + 1], &err) < 0)
		die(err.msg);
	return 0;
}
