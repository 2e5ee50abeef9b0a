/*
 * tldump - prints a tl stream as text for the CLI tests: one line per data
 * record, "key=value" fields separated by TABs, in record order.  Strings as
 * they are, integers in decimal (phash in %016llx), sha256 in hex, other
 * bins as "bin:LEN", tensors as "DTYPE[d0,d1,...]"; a "pix" tensor adds
 * "quads=" the colour names of the centres of its four quadrants (TL,TR,BL,BR)
 * and "mid=" its centre pixel in hex.  A colour name thresholds each channel
 * at 128: k r g y b m c w.  First line: "# " and the header the same way.
 * Exit 1 with the reader's message on a broken stream.  Built by the tests.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/rec.h"
#include "core/tensor.h"
#include "stream/stream.h"

static void
pixel(const struct tl_tensor *t, uint64_t y, uint64_t x, unsigned char rgb[3])
{
	const unsigned char *p = (const unsigned char *)t->data + (y * t->shape[1] + x) * 3;

	memcpy(rgb, p, 3);
}

static void
print_obj(const char *key, const msgpack_object *v)
{
	struct tl_tensor t;

	switch (v->type) {
	case MSGPACK_OBJECT_STR:
		printf("%.*s", (int)v->via.str.size, v->via.str.ptr);
		break;
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		if (strcmp(key, "phash") == 0)
			printf("%016" PRIx64, v->via.u64);
		else
			printf("%" PRIu64, v->via.u64);
		break;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		printf("%" PRId64, v->via.i64);
		break;
	case MSGPACK_OBJECT_BIN:
		if (strcmp(key, "sha256") == 0)
			for (uint32_t i = 0; i < v->via.bin.size; i++)
				printf("%02x", (unsigned char)v->via.bin.ptr[i]);
		else
			printf("bin:%u", v->via.bin.size);
		break;
	case MSGPACK_OBJECT_MAP:
		if (tl_tensor_view(v, &t, NULL) == 0) {
			printf("%s[", tl_dtype_name(t.dtype));
			for (int i = 0; i < t.ndim; i++)
				printf("%s%" PRIu64, i ? "," : "", t.shape[i]);
			printf("]");
			if (strcmp(key, "pix") == 0 && t.dtype == TL_U8 && t.ndim == 3 &&
			    t.shape[2] == 3 && t.shape[0] > 1 && t.shape[1] > 1) {
				uint64_t h = t.shape[0], w = t.shape[1];
				uint64_t ys[4] = { h / 4, h / 4, 3 * h / 4, 3 * h / 4 };
				uint64_t xs[4] = { w / 4, 3 * w / 4, w / 4, 3 * w / 4 };
				unsigned char c[3];

				printf("\tquads=");
				for (int q = 0; q < 4; q++) {
					pixel(&t, ys[q], xs[q], c);
					printf("%s%c", q ? "," : "",
					       "krgybmcw"[(c[0] >= 128) | (c[1] >= 128) << 1 |
					                  (c[2] >= 128) << 2]);
				}
				pixel(&t, h / 2, w / 2, c);
				printf("\tmid=%02x%02x%02x", c[0], c[1], c[2]);
			}
			break;
		}
		printf("{");
		for (uint32_t i = 0; i < v->via.map.size; i++) {
			const msgpack_object *k = &v->via.map.ptr[i].key;

			printf("%s%.*s:", i ? "," : "", (int)k->via.str.size, k->via.str.ptr);
			print_obj("", &v->via.map.ptr[i].val);
		}
		printf("}");
		break;
	default:
		printf("?");
	}
}

static void
print_rec(const struct tl_rec *r)
{
	for (size_t i = 0; i < r->n; i++) {
		char key[256];
		const msgpack_object *k = &r->kv[i].key;

		snprintf(key, sizeof key, "%.*s", (int)k->via.str.size, k->via.str.ptr);
		printf("%s%s=", i ? "\t" : "", key);
		print_obj(key, &r->kv[i].val);
	}
	printf("\n");
}

int
main(int argc, char **argv)
{
	struct tl_err err;
	struct tl_reader *rd;
	struct tl_rec *rec = tl_rec_new();
	int r;

	if ((rd = tl_reader_open(argv + 1, argc - 1, &err)) == NULL) {
		fprintf(stderr, "tldump: %s\n", err.msg);
		return 1;
	}
	printf("# ");
	print_rec(tl_reader_header(rd));
	while ((r = tl_reader_next(rd, rec, &err)) > 0)
		print_rec(rec);
	if (r < 0)
		fprintf(stderr, "tldump: %s\n", err.msg);
	tl_reader_close(rd);
	tl_rec_free(rec);
	return r < 0;
}
