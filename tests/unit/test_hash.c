/*
 * test_hash.c - FNV-1a 64 (lib/core/hash.c) against the published test
 * vectors (Fowler, Noll, Vo) and bytes past 0x7f and NUL, which a
 * char-signed or strlen-based copy would get wrong.
 */
#include <stdint.h>

#include "core/hash.h"
#include "t.h"

int
main(void)
{
	static const struct {
		const char *s;
		size_t n;
		uint64_t want;
	} cases[] = {
		{ "", 0, 0xcbf29ce484222325ULL },
		{ "a", 1, 0xaf63dc4c8601ec8cULL },
		{ "b", 1, 0xaf63df4c8601f1a5ULL },
		{ "foobar", 6, 0x85944171f73967e8ULL },
		{ "chongo was here!\n", 17, 0x46810940eff5f915ULL },
		{ "\xff\0x", 3, 0xf920b11be415a916ULL },
	};
	char name[64], got[17], want[17];

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		snprintf(name, sizeof name, "fnv1a64 case %zu", i);
		snprintf(got, sizeof got, "%016llx",
		         (unsigned long long)tl_hash_fnv1a64(cases[i].s, cases[i].n));
		snprintf(want, sizeof want, "%016llx", (unsigned long long)cases[i].want);
		T_EQ_STR(name, got, want);
	}
	T_DONE();
}
