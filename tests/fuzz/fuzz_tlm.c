/*
 * fuzz_tlm.c - libFuzzer target: any bytes as a trained-model file
 * (tl-model(5)) through tl_tlm_load, as tl-classify reads one.  Loading must
 * fail with a message or give a model that predicts on an embedding and
 * packs back to bytes that load again; never crash, leak or allocate more
 * than the file can describe.
 */
#include <stdlib.h>

#include "memfile.h"
#include "tlm.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct tl_err err;
	struct tl_tlm *m = tl_tlm_load(memfile(data, size), &err), *m2;
	msgpack_sbuffer sb;
	float *emb, *prob, *ood, *work;

	if (m == NULL) {
		if (getenv("TL_FUZZ_VERBOSE") != NULL)
			fprintf(stderr, "fuzz_tlm: %s\n", err.msg);
		return 0;
	}
	/* one embedding of ones through the head (and the OOD distance when
	 * its space is the head's input) */
	emb = malloc((size_t)m->dim * sizeof *emb);
	prob = malloc((size_t)m->nclass * sizeof *prob);
	ood = malloc(sizeof *ood);
	work = malloc(tl_tlm_work_size(m, 1) * sizeof *work);
	if (emb == NULL || prob == NULL || ood == NULL || work == NULL)
		abort();
	for (int i = 0; i < m->dim; i++)
		emb[i] = 1;
	tl_tlm_predict(m, 1, emb, prob, m->has_ood && m->ood_layer[0] == '\0' ? ood : NULL, work);
	free(emb);
	free(prob);
	free(ood);
	free(work);
	/* what was read can be written and read back */
	msgpack_sbuffer_init(&sb);
	if (tl_tlm_pack(m, &sb, &err) != 0)
		abort();
	if ((m2 = tl_tlm_load(memfile((const unsigned char *)sb.data, sb.size), &err)) == NULL) {
		fprintf(stderr, "fuzz_tlm: a packed model does not load: %s\n", err.msg);
		abort();
	}
	tl_tlm_free(m2);
	msgpack_sbuffer_destroy(&sb);
	tl_tlm_free(m);
	return 0;
}
