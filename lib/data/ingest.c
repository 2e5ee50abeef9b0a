/*
 * ingest.c - an image file's bytes to a tl-ingest record, with the run-wide
 * sets of ids and content hashes.  See ingest.h.
 *
 * The two sets are one small open-addressing hash table each; keys and
 * values live in a growing byte pool addressed by offset (so growing the pool
 * never invalidates a slot).  SHA-256 comes from GLib (already linked through
 * libvips).  An exact duplicate is recognised from its hash before it is
 * decoded, so it costs no decode.
 *
 * Not here: decoding (image.c), finding files (walk.c), printing.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "core/tensor.h"
#include "data/ingest.h"
#include "stream/stream.h"

struct slot {
	uint64_t hash;
	size_t off; /* 1 + offset in the pool of: keylen (size_t), key, value\0; 0: empty */
};

struct set {
	struct slot *slot;
	size_t cap, n; /* cap is a power of two */
	char *pool;
	size_t used, pcap;
};

struct tl_ingest {
	struct tl_ingest_opts o;
	struct set ids;    /* id -> src */
	struct set hashes; /* sha256 -> id */
};

static uint64_t
fnv1a(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t h = 1469598103934665603ULL;

	while (n--)
		h = (h ^ *s++) * 1099511628211ULL;
	return h;
}

/* The value stored under key, or NULL. */
static const char *
set_get(const struct set *s, const void *key, size_t klen, uint64_t h)
{
	size_t kl;

	if (s->cap == 0)
		return NULL;
	for (size_t i = h & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
		const struct slot *sl = &s->slot[i];
		const char *p;

		if (sl->off == 0)
			return NULL;
		if (sl->hash != h)
			continue;
		p = s->pool + sl->off - 1;
		memcpy(&kl, p, sizeof kl);
		if (kl == klen && memcmp(p + sizeof kl, key, klen) == 0)
			return p + sizeof kl + klen;
	}
}

static void
set_place(struct slot *slot, size_t cap, uint64_t h, size_t off)
{
	size_t i = h & (cap - 1);

	while (slot[i].off != 0)
		i = (i + 1) & (cap - 1);
	slot[i].hash = h;
	slot[i].off = off;
}

/* Adds key -> val (key must be absent).  0 or -1 (out of memory). */
static int
set_add(struct set *s, const void *key, size_t klen, uint64_t h, const char *val)
{
	size_t vlen = strlen(val), need = sizeof klen + klen + vlen + 1, off;

	if (2 * (s->n + 1) > s->cap) { /* load factor <= 1/2 */
		size_t cap = s->cap ? 2 * s->cap : 1024;
		struct slot *ns = calloc(cap, sizeof *ns);

		if (ns == NULL)
			return -1;
		for (size_t i = 0; i < s->cap; i++)
			if (s->slot[i].off != 0)
				set_place(ns, cap, s->slot[i].hash, s->slot[i].off);
		free(s->slot);
		s->slot = ns;
		s->cap = cap;
	}
	if (s->used + need > s->pcap) {
		size_t pcap = s->pcap ? s->pcap : 65536;
		char *np;

		while (s->used + need > pcap)
			pcap *= 2;
		if ((np = realloc(s->pool, pcap)) == NULL)
			return -1;
		s->pool = np;
		s->pcap = pcap;
	}
	off = s->used;
	memcpy(s->pool + off, &klen, sizeof klen);
	memcpy(s->pool + off + sizeof klen, key, klen);
	memcpy(s->pool + off + sizeof klen + klen, val, vlen + 1);
	s->used += need;
	set_place(s->slot, s->cap, h, off + 1);
	s->n++;
	return 0;
}

static void
set_free(struct set *s)
{
	free(s->slot);
	free(s->pool);
}

struct tl_ingest *
tl_ingest_new(const struct tl_ingest_opts *o, struct tl_err *err)
{
	struct tl_ingest *g = calloc(1, sizeof *g);

	if (g == NULL) {
		tl_err_set(err, "out of memory");
		return NULL;
	}
	g->o = *o;
	return g;
}

void
tl_ingest_free(struct tl_ingest *g)
{
	if (g == NULL)
		return;
	set_free(&g->ids);
	set_free(&g->hashes);
	free(g);
}

int
tl_ingest_header(const struct tl_ingest_opts *o, struct tl_rec *h)
{
	msgpack_object_kv kv[4];
	msgpack_object map;
	const char *crop = o->fit == TL_FIT ? "fit" : "centre";

	if (o->size == 0)
		return 0;
	kv[0].key = (msgpack_object){ .type = MSGPACK_OBJECT_STR, .via.str = { 6, "resize" } };
	kv[0].val = (msgpack_object){ .type = MSGPACK_OBJECT_STR, .via.str = { 9, "thumbnail" } };
	kv[1].key = (msgpack_object){ .type = MSGPACK_OBJECT_STR, .via.str = { 4, "size" } };
	kv[1].val = (msgpack_object){ .type = MSGPACK_OBJECT_POSITIVE_INTEGER,
	                              .via.u64 = (uint64_t)o->size };
	kv[2].key = (msgpack_object){ .type = MSGPACK_OBJECT_STR, .via.str = { 4, "crop" } };
	kv[2].val = (msgpack_object){ .type = MSGPACK_OBJECT_STR,
	                              .via.str = { (uint32_t)strlen(crop), crop } };
	kv[3].key = (msgpack_object){ .type = MSGPACK_OBJECT_STR, .via.str = { 5, "space" } };
	kv[3].val = (msgpack_object){ .type = MSGPACK_OBJECT_STR, .via.str = { 4, "srgb" } };
	map.type = MSGPACK_OBJECT_MAP;
	map.via.map.size = 4;
	map.via.map.ptr = kv;
	return tl_rec_set_obj(h, "pix", &map);
}

static void
sha256(const void *p, size_t n, unsigned char out[32])
{
	GChecksum *c = g_checksum_new(G_CHECKSUM_SHA256);
	gsize len = 32;

	g_checksum_update(c, p, n);
	g_checksum_get_digest(c, out, &len);
	g_checksum_free(c);
}

int
tl_ingest_item(struct tl_ingest *g, const struct tl_item *it, struct tl_rec *rec,
               struct tl_err *err)
{
	unsigned char sum[32];
	uint64_t hid = fnv1a(it->id, strlen(it->id)), hsum, phash, size;
	const char *first;
	struct tl_image im = { 0 };
	int w, h;

	tl_rec_clear(rec);
	if ((first = set_get(&g->ids, it->id, strlen(it->id), hid)) != NULL)
		return tl_err_set(err, "id '%s' already used by %s", it->id, first), TL_SKIP;
	sha256(it->data, it->len, sum);
	memcpy(&hsum, sum, sizeof hsum);
	first = set_get(&g->hashes, sum, sizeof sum, hsum);
	if (first != NULL && !g->o.keep_duplicates) {
		tl_err_set(err, "duplicate of %s", first);
		return 0;
	}
	if (tl_image_probe(it->data, it->len, &g->o.image, &w, &h, NULL, err) != 0)
		return TL_SKIP;
	if (g->o.size == 0 ? /* the hash's decode is the check that the image is whole */
	    tl_image_phash(it->data, it->len, &g->o.image, &phash, err) != 0 :
	    tl_image_thumbnail(it->data, it->len, &g->o.image, g->o.size, g->o.fit, &im,
	                       &phash, err) != 0)
		return TL_SKIP;
	if (tl_rec_set_str(rec, "id", it->id) != 0 ||
	    tl_rec_set_str(rec, "src", it->src) != 0 ||
	    (it->label != NULL && tl_rec_set_str(rec, "label", it->label) != 0) ||
	    tl_rec_set_bin(rec, "sha256", sum, sizeof sum) != 0 ||
	    tl_rec_set_u64(rec, "width", (uint64_t)w) != 0 ||
	    tl_rec_set_u64(rec, "height", (uint64_t)h) != 0 ||
	    tl_rec_set_u64(rec, "phash", phash) != 0)
		goto oom;
	if (g->o.size == 0) {
		if (tl_rec_set_bin(rec, "img", it->data, it->len) != 0)
			goto oom;
	} else {
		uint64_t shape[3] = { (uint64_t)im.height, (uint64_t)im.width, 3 };
		void *pix = tl_rec_set_tensor(rec, "pix", TL_U8, 3, shape);

		if (pix == NULL)
			goto oom;
		memcpy(pix, im.pix, (size_t)im.width * im.height * 3);
		tl_image_free(&im);
	}
	for (int i = 0; i < g->o.nsets; i++) /* "KEY\0VALUE" */
		if (tl_rec_set_str(rec, g->o.sets[i],
		                   g->o.sets[i] + strlen(g->o.sets[i]) + 1) != 0)
			goto oom;
	if ((size = tl_rec_packed_size(rec)) > g->o.max_record) {
		char a[32], b[32];

		tl_walk_bytes(a, sizeof a, size);
		tl_walk_bytes(b, sizeof b, g->o.max_record);
		tl_rec_clear(rec);
		return tl_err_set(err, "record of %s passes TL_MAX_RECORD (%s)", a, b), TL_SKIP;
	}
	if (set_add(&g->ids, it->id, strlen(it->id), hid, it->src) != 0 ||
	    (first == NULL && set_add(&g->hashes, sum, sizeof sum, hsum, it->id) != 0))
		goto oom;
	return 1;
oom:
	tl_image_free(&im);
	return tl_err_set(err, "out of memory"), TL_NOMEM;
}
