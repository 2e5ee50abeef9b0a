/*
 * replay.c - main() for a libFuzzer target without libFuzzer: runs every
 * input of the target's regression files and seed corpus through
 * LLVMFuzzerTestOneInput, as a unit test of make check (the Makefile links
 * tests/fuzz/fuzz_NAME.c with this into build/tests/test_fuzz_NAME, and the
 * same into build-san/).
 *
 * usage: test_fuzz_NAME [file ...]
 * Without arguments it reads tests/fuzz/regress/NAME/ and
 * tests/fuzz/corpus/NAME/ (from the top of the tree, where tests/run
 * runs) and prints "PASS fuzz_NAME: N inputs".  An input that crashes, or
 * that the sanitizers flag (leaks included, when LeakSanitizer is there),
 * ends it with "FAIL fuzz_NAME: FILE: ..." on stdout.
 */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));
void __sanitizer_set_death_callback(void (*cb)(void)) __attribute__((weak));
int __lsan_do_recoverable_leak_check(void) __attribute__((weak));

static char name[256];
static char current[4096];

/* Names the input being replayed, from a signal handler or a sanitizer's
 * death callback: write(2) only. */
static void
say_crash(void)
{
	char msg[4600];
	int n = snprintf(msg, sizeof msg, "FAIL %s: %s: crashed\n", name, current);

	if (n > 0)
		(void)!write(1, msg, (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1);
}

static void
on_signal(int sig)
{
	say_crash();
	signal(sig, SIG_DFL);
	raise(sig);
}

static int
replay(const char *path)
{
	unsigned char *buf = NULL;
	size_t len = 0, cap = 0, k;
	FILE *f = fopen(path, "rb");

	if (f == NULL) {
		printf("FAIL %s: %s: cannot open\n", name, path);
		return -1;
	}
	for (;;) {
		if (len == cap) {
			unsigned char *p = realloc(buf, cap = cap ? 2 * cap : 65536);
			if (p == NULL)
				abort();
			buf = p;
		}
		if ((k = fread(buf + len, 1, cap - len, f)) == 0)
			break;
		len += k;
	}
	fclose(f);
	snprintf(current, sizeof current, "%s", path);
	/* libFuzzer hands over an exact-size heap copy: so do we, so that
	 * ASan sees a read past the end */
	{
		unsigned char *exact = malloc(len ? len : 1);
		if (exact == NULL)
			abort();
		memcpy(exact, buf, len);
		free(buf);
		LLVMFuzzerTestOneInput(exact, len);
		free(exact);
	}
	if (__lsan_do_recoverable_leak_check != NULL && __lsan_do_recoverable_leak_check() != 0) {
		printf("FAIL %s: %s: leaks\n", name, path);
		return -1;
	}
	return 0;
}

static int
cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every regular file in dir, in name order; a missing dir has none. */
static int
replay_dir(const char *dir, int *n)
{
	char *names[4096], path[4096];
	struct dirent *de;
	int k = 0, rc = 0;
	DIR *d = opendir(dir);

	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL && k < 4096)
		if (de->d_name[0] != '.' && (names[k] = strdup(de->d_name)) != NULL)
			k++;
	closedir(d);
	qsort(names, k, sizeof *names, cmp);
	for (int i = 0; i < k; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		if (rc == 0 && replay(path) != 0)
			rc = -1;
		else
			(*n)++;
		free(names[i]);
	}
	return rc;
}

int
main(int argc, char **argv)
{
	const char *base = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	char dir[512];
	int n = 0, rc = 0;

	/* test_fuzz_NAME -> fuzz_NAME */
	snprintf(name, sizeof name, "%s", strncmp(base, "test_", 5) == 0 ? base + 5 : base);
	/* the sanitizers' own handlers report a crash: only add the name */
	if (__sanitizer_set_death_callback != NULL) {
		__sanitizer_set_death_callback(say_crash);
	} else {
		signal(SIGSEGV, on_signal);
		signal(SIGBUS, on_signal);
		signal(SIGFPE, on_signal);
		signal(SIGILL, on_signal);
		signal(SIGABRT, on_signal);
	}
	if (LLVMFuzzerInitialize != NULL)
		LLVMFuzzerInitialize(&argc, &argv);
	if (argc > 1) {
		for (int i = 1; i < argc && rc == 0; i++)
			if ((rc = replay(argv[i])) == 0)
				n++;
	} else {
		snprintf(dir, sizeof dir, "tests/fuzz/regress/%s", name + 5);
		rc = replay_dir(dir, &n);
		snprintf(dir, sizeof dir, "tests/fuzz/corpus/%s", name + 5);
		if (rc == 0)
			rc = replay_dir(dir, &n);
		if (n == 0) {
			printf("FAIL %s: no inputs in tests/fuzz/{regress,corpus}/%s\n", name,
			       name + 5);
			return 1;
		}
	}
	if (rc == 0)
		printf("PASS %s: %d inputs\n", name, n);
	return rc == 0 ? 0 : 1;
}
