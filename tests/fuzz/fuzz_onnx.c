/*
 * fuzz_onnx.c - libFuzzer target: any bytes as an ONNX model.  Loading must
 * fail with a message or succeed, never crash or allocate without bound.
 */
#include "nn/nn.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct tl_err err;
	struct tl_nn *nn = tl_nn_read_onnx_mem(data, size, &err);

	if (nn != NULL && tl_nn_finish(nn, NULL, &err) == 0) {
		int64_t d[TL_NN_MAXRANK];
		(void)tl_nn_input_shape(nn, d, &err);
	}
	tl_nn_free(nn);
	return 0;
}
