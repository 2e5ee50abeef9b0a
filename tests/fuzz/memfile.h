/*
 * memfile.h - the fuzz input as a path, for readers that take a file name
 * (tl_tlm_load, tl_walk_open): one memfd per process, rewritten for each
 * input and named /proc/self/fd/N.  No file is made on disk.
 */
#ifndef TL_FUZZ_MEMFILE_H
#define TL_FUZZ_MEMFILE_H

#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

/* The path of a file holding exactly data[0..size); static storage.  Aborts
 * when the memfd cannot be made or written: a harness failure, not a find. */
static const char *
memfile(const unsigned char *data, size_t size)
{
	static int fd = -1;
	static char path[64];
	size_t off = 0;
	ssize_t k;

	if (fd < 0) {
		if ((fd = memfd_create("fuzz", MFD_CLOEXEC)) < 0) {
			perror("memfd_create");
			abort();
		}
		snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) != 0)
		abort();
	while (off < size) {
		if ((k = pwrite(fd, data + off, size - off, (off_t)off)) <= 0)
			abort();
		off += (size_t)k;
	}
	return path;
}

#endif
