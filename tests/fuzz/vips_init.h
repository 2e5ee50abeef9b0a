/*
 * vips_init.h - LLVMFuzzerInitialize for the targets that decode images
 * (fuzz_archive, fuzz_image): libvips started as the tools start it, on one
 * thread so a finding replays the same way.
 */
#ifndef TL_FUZZ_VIPS_INIT_H
#define TL_FUZZ_VIPS_INIT_H

#include <stdio.h>
#include <stdlib.h>

#include "data/image.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct tl_err err;

	if (tl_image_init(&err) != 0) {
		fprintf(stderr, "fuzz: %s\n", err.msg);
		abort();
	}
	vips_concurrency_set(1);
	return 0;
}

#endif
