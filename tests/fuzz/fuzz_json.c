/*
 * fuzz_json.c - libFuzzer target: any bytes as one JSON line through the
 * parser that tl-cat --from-json uses, and the record back out as JSON.
 */
#include <stdio.h>

#include "stream/recjson.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct tl_rec *rec = tl_rec_new();
	struct tl_err err;
	FILE *null = fopen("/dev/null", "w");

	if (tl_recjson_parse((const char *)data, size, rec, 1, &err) == 0)
		tl_recjson_write(null, rec, TL_RECJSON_FULL, &err);
	fclose(null);
	tl_rec_free(rec);
	return 0;
}
