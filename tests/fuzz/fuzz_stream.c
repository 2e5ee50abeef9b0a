/*
 * fuzz_stream.c - libFuzzer target: any bytes through the stream reader,
 * every record through the tensor validator.  Must never crash, leak, or
 * allocate more than the record limit.
 */
#include <stdio.h>
#include <stdlib.h>

#include "core/tensor.h"
#include "stream/stream.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct tl_err err;
	struct tl_reader *r;
	struct tl_rec *rec;
	FILE *f;

	if (size == 0 || (f = fmemopen((void *)data, size, "rb")) == NULL)
		return 0;
	setenv("TL_MAX_RECORD", "1048576", 1);
	if ((r = tl_reader_open_file(f, "fuzz", &err)) != NULL) {
		rec = tl_rec_new();
		while (tl_reader_next(r, rec, &err) == 1) {
			struct tl_tensor t;
			for (size_t i = 0; i < rec->n; i++)
				if (rec->kv[i].val.type == MSGPACK_OBJECT_MAP)
					(void)tl_tensor_view(&rec->kv[i].val, &t, &err);
		}
		tl_rec_free(rec);
		tl_reader_close(r);
	}
	fclose(f);
	return 0;
}
