/*
 * fuzz_tlm.c - libFuzzer target: any bytes as a trained-model file
 * (tl-model(5)) through tl_tlm_load, as tl-classify reads one.  Loading must
 * fail with a message or give a model that predicts on an embedding and
 * packs back to bytes that load again; never crash, leak or allocate more
 * than the file can describe.
 *
 * Every model file ends with a checksum of the bytes before it (tl-model(5)),
 * checked first: a mutated input would stop there.  So the input is sealed
 * before the load: one that ends with the checksum's frame gets the right
 * digest; one that starts with a msgpack fixmap of fewer than 15 keys gets a
 * key more and the checksum appended.  What the fuzzer then reaches is the
 * parse behind the checksum, which a corrupted file never sees but a
 * hand-made one does.
 */
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "learn/head.h"
#include "learn/tlm.h"
#include "memfile.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

#define CK_LEN 73 /* fixstr "sha256", str8 of 64 hex digits (lib/learn/tlm.c) */
static const unsigned char ck_frame[9] = { 0xa6, 's', 'h', 'a', '2', '5', '6', 0xd9, 64 };

/* data sealed with its checksum as tl-train writes it, in *out (caller
 * frees); its size, or 0 when the input is left as it is */
static size_t
seal(const unsigned char *data, size_t size, unsigned char **out)
{
	size_t body = size;
	GChecksum *ck;
	unsigned char *b;

	if (size > CK_LEN && memcmp(data + size - CK_LEN, ck_frame, sizeof ck_frame) == 0)
		body = size - CK_LEN;
	else if (size < 1 || data[0] < 0x80 || data[0] >= 0x8f)
		return 0;
	if ((b = malloc(body + CK_LEN)) == NULL)
		abort();
	memcpy(b, data, body);
	if (body == size)
		b[0]++; /* one key more: the checksum */
	ck = g_checksum_new(G_CHECKSUM_SHA256);
	g_checksum_update(ck, b, (gssize)body);
	memcpy(b + body, ck_frame, sizeof ck_frame);
	memcpy(b + body + sizeof ck_frame, g_checksum_get_string(ck), 64);
	g_checksum_free(ck);
	*out = b;
	return body + CK_LEN;
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct tl_err err;
	unsigned char *sealed = NULL;
	size_t n = seal(data, size, &sealed);
	struct tl_tlm *m = tl_tlm_load(n ? memfile(sealed, n) : memfile(data, size), &err), *m2;
	msgpack_sbuffer sb;
	float *emb, *prob, *ood, *work;

	free(sealed);
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
	work = malloc(tl_head_work_size(m, 1) * sizeof *work);
	if (emb == NULL || prob == NULL || ood == NULL || work == NULL)
		abort();
	for (int i = 0; i < m->dim; i++)
		emb[i] = 1;
	tl_head_predict(m, 1, emb, prob, m->has_ood && m->ood_layer[0] == '\0' ? ood : NULL, work);
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
