/*
 * fuzz_archive.c - libFuzzer target: any bytes as tl-ingest's source file
 * (an archive libarchive reads, or a single image), walked member by member
 * (tl_walk_next) and every item made into a record (tl_ingest_item, the
 * original bytes kept, as tl-ingest without --size does).  Members are
 * capped at 1 MiB (tl-ingest's cap is the record limit, about 1 GiB: the
 * same code, a bound the fuzzer's memory can hold), so a compression bomb is
 * a bad item; the walk must end, never crash or leak.
 */
#include <stdlib.h>

#include <vips/vips.h>

#include "data/image.h"
#include "data/ingest.h"
#include "data/walk.h"
#include "memfile.h"
#include "vips_init.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct tl_walk_opts wo = { .max_bytes = 1 << 20 };
	struct tl_ingest_opts io = { .image = { TL_IMAGE_MAX_PIXELS_DEFAULT } };
	struct tl_ingest *g;
	struct tl_walk *w;
	struct tl_item it;
	struct tl_rec *rec;
	struct tl_err err;
	int r, bad = 0;

	if ((w = tl_walk_open(memfile(data, size), 0, &wo, &err)) == NULL)
		return 0;
	if ((g = tl_ingest_new(&io, &err)) == NULL || (rec = tl_rec_new()) == NULL)
		abort();
	/* a walk ends: after a fatal archive error the next call says done
	 * (64 KiB cannot hold 100000 members) */
	for (;;) {
		it.src = NULL;
		if ((r = tl_walk_next(w, &it, &err)) == 0)
			break;
		if (r < 0 && ++bad > 100000) {
			fprintf(stderr, "fuzz_archive: the walk does not end: %s\n", err.msg);
			abort();
		}
		if (r > 0 && tl_ingest_item(g, &it, rec, &err) < 0)
			r = -1;
		if (getenv("TL_FUZZ_VERBOSE") != NULL)
			fprintf(stderr, "fuzz_archive: %s: %s\n", it.src ? it.src : "?",
			        r > 0 ? "ok" : err.msg);
	}
	tl_rec_free(rec);
	tl_ingest_free(g);
	tl_walk_close(w);
	return 0;
}
