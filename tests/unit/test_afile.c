/*
 * test_afile.c - lib/core/afile in a temporary folder: a committed file
 * appears whole (absent, or the old one, until the commit), an aborted one
 * leaves the old file (or none), no temporary file is left either way, a path
 * in a missing folder or without a file name fails at open, a commit onto a
 * folder fails at the rename, a device is written in place, a full device
 * fails the commit, and the new file's mode is 0666 less the umask.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/afile.h"
#include "scratch.h"
#include "t.h"

/* Temporary files in dir: names ".NAME.XXXXXX". */
static int
tmpfiles(void)
{
	DIR *d = opendir(scratch_dir);
	struct dirent *e;
	const char *dot;
	int n = 0;

	while (d && (e = readdir(d)) != NULL)
		n += e->d_name[0] == '.' && (dot = strrchr(e->d_name, '.')) != e->d_name &&
		    strlen(dot) == 7;
	if (d)
		closedir(d);
	return n;
}

static void
test_cases(void)
{
	static const struct {
		const char *name;
		const char *old;   /* the file's content before, NULL: none */
		const char *rel;   /* the path under dir */
		int commit;        /* 1 commit, 0 abort */
		const char *text;  /* written between open and commit */
		const char *after; /* the file's content afterwards, NULL: none */
	} c[] = {
		{ "new file, committed", NULL, "a.txt", 1, "hello\n", "hello\n" },
		{ "old file, replaced", "old\n", "b.txt", 1, "new\n", "new\n" },
		{ "old file, aborted", "old\n", "c.txt", 0, "new\n", "old\n" },
		{ "new file, aborted", NULL, "d.txt", 0, "new\n", NULL },
		{ "empty file, committed", "old\n", "e.txt", 1, "", "" },
		{ "a dotted name", NULL, ".f.txt", 1, "x", "x" },
	};

	for (size_t k = 0; k < sizeof c / sizeof c[0]; k++) {
		struct tl_afile *a;
		struct tl_err err;
		char t[96];
		char *got;

		if (c[k].old)
			spit(c[k].rel, c[k].old);
		snprintf(t, sizeof t, "afile %s: open", c[k].name);
		T_OK(t, (a = tl_afile_open(at(c[k].rel), &err)) != NULL);
		if (a == NULL)
			continue;
		fputs(c[k].text, tl_afile_fp(a));
		fflush(tl_afile_fp(a));
		snprintf(t, sizeof t, "afile %s: a temporary file meanwhile", c[k].name);
		T_EQ_INT(t, tmpfiles(), 1);
		got = slurp(at(c[k].rel), NULL);
		snprintf(t, sizeof t, "afile %s: unchanged until the end", c[k].name);
		if (c[k].old)
			T_EQ_STR(t, got, c[k].old);
		else
			T_OK(t, got == NULL);
		g_free(got);
		if (c[k].commit) {
			snprintf(t, sizeof t, "afile %s: commit", c[k].name);
			T_EQ_INT(t, tl_afile_commit(a, &err), 0);
		} else {
			tl_afile_abort(a);
		}
		got = slurp(at(c[k].rel), NULL);
		snprintf(t, sizeof t, "afile %s: after", c[k].name);
		if (c[k].after)
			T_EQ_STR(t, got, c[k].after);
		else
			T_OK(t, got == NULL);
		g_free(got);
		snprintf(t, sizeof t, "afile %s: no temporary file left", c[k].name);
		T_EQ_INT(t, tmpfiles(), 0);
	}
	tl_afile_abort(NULL);
}

static void
test_fail(void)
{
	static const struct {
		const char *name, *rel, *msg; /* msg after "dir/rel: " */
	} c[] = {
		{ "missing folder", "no-such-folder/x.txt", "No such file or directory" },
		{ "no file name", "sub/", "not a file name" },
	};
	struct tl_afile *a;
	struct tl_err err;
	char want[4400];
	struct stat st;

	for (size_t k = 0; k < sizeof c / sizeof c[0]; k++) {
		snprintf(want, sizeof want, "%s: %s", at(c[k].rel), c[k].msg);
		T_OK(c[k].name, tl_afile_open(at(c[k].rel), &err) == NULL);
		T_EQ_STR(c[k].name, err.msg, want);
	}

	/* a folder where the file should go: the rename fails, the folder stays */
	T_OK("onto a folder: open", (a = tl_afile_open(at("sub"), &err)) != NULL);
	if (a) {
		fputs("x", tl_afile_fp(a));
		snprintf(want, sizeof want, "%s: Is a directory", at("sub"));
		T_EQ_INT("onto a folder: commit fails", tl_afile_commit(a, &err), -1);
		T_EQ_STR("onto a folder: message", err.msg, want);
	}
	T_OK("onto a folder: still a folder", stat(at("sub"), &st) == 0 && S_ISDIR(st.st_mode));
	T_EQ_INT("onto a folder: no temporary file left", tmpfiles(), 0);

	/* a device is written in place, never replaced */
	T_OK("/dev/null: open", (a = tl_afile_open("/dev/null", &err)) != NULL);
	if (a) {
		fputs("x", tl_afile_fp(a));
		T_EQ_INT("/dev/null: commit", tl_afile_commit(a, &err), 0);
	}
	T_OK("/dev/null: still a device", stat("/dev/null", &st) == 0 && S_ISCHR(st.st_mode));
	if (stat("/dev/full", &st) == 0 && S_ISCHR(st.st_mode) &&
	    (a = tl_afile_open("/dev/full", &err)) != NULL) {
		fputs("x", tl_afile_fp(a));
		T_EQ_INT("/dev/full: commit fails", tl_afile_commit(a, &err), -1);
		T_EQ_STR("/dev/full: message", err.msg, "/dev/full: No space left on device");
	} else {
		printf("SKIP /dev/full: not here\n");
	}
}

static void
test_mode(void)
{
	static const mode_t mask[] = { 022, 077, 0 };
	static const mode_t want[] = { 0644, 0600, 0666 };
	mode_t old = umask(0);

	for (size_t k = 0; k < sizeof mask / sizeof mask[0]; k++) {
		struct tl_afile *a;
		struct stat st;
		char t[64];

		umask(mask[k]);
		a = tl_afile_open(at("mode.txt"), NULL);
		if (a)
			tl_afile_commit(a, NULL);
		snprintf(t, sizeof t, "mode under umask %03o", (unsigned)mask[k]);
		T_OK(t, stat(at("mode.txt"), &st) == 0);
		T_EQ_INT(t, st.st_mode & 0777, want[k]);
	}
	umask(old);
}

int
main(void)
{
	if (scratch_open("test_afile") != 0 || scratch_mkdir("sub") != 0)
		return 1;
	test_cases();
	test_fail();
	test_mode();
	{
		static const char *const made[] = { "a.txt", "b.txt", "c.txt", "e.txt", ".f.txt",
		                                    "mode.txt", "sub" };
		for (size_t i = 0; i < sizeof made / sizeof made[0]; i++)
			remove(at(made[i]));
		if (scratch_close(0) != 0)
			T_OK("test_afile: the folder holds only what the tests made", 0);
	}
	T_DONE();
}
