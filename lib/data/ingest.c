/*
 * ingest.c - an image file's bytes to a tl-ingest record, with the run-wide
 * sets of ids and content hashes.  See ingest.h.
 *
 * The two sets are a GLib hash table each, holding copies of their keys and
 * values; nothing iterates over them, so their order never reaches the
 * output.  SHA-256 comes from GLib too (already linked through libvips).  An exact duplicate is recognised from its hash before it is
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

struct tl_ingest {
	struct tl_ingest_opts o;
	GHashTable *ids;    /* id -> src, both owned */
	GHashTable *hashes; /* sha256 (32 bytes) -> id, both owned */
};

/* A SHA-256 is already uniform: its first bytes are its hash. */
static guint
sum_hash(gconstpointer p)
{
	uint64_t h;

	memcpy(&h, p, sizeof h);
	return (guint)h;
}

static gboolean
sum_equal(gconstpointer a, gconstpointer b)
{
	return memcmp(a, b, 32) == 0;
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
	g->ids = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	g->hashes = g_hash_table_new_full(sum_hash, sum_equal, g_free, g_free);
	return g;
}

void
tl_ingest_free(struct tl_ingest *g)
{
	if (g == NULL)
		return;
	g_hash_table_destroy(g->ids);
	g_hash_table_destroy(g->hashes);
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
	uint64_t phash, size;
	const char *first;
	struct tl_image im = { 0 };
	int w, h;

	tl_rec_clear(rec);
	if ((first = g_hash_table_lookup(g->ids, it->id)) != NULL)
		return tl_err_set(err, "id '%s' already used by %s", it->id, first), TL_SKIP;
	sha256(it->data, it->len, sum);
	first = g_hash_table_lookup(g->hashes, sum);
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
	    (it->split != NULL && tl_rec_set_str(rec, "split", it->split) != 0) ||
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
	g_hash_table_insert(g->ids, g_strdup(it->id), g_strdup(it->src));
	if (first == NULL)
		g_hash_table_insert(g->hashes, g_memdup2(sum, sizeof sum), g_strdup(it->id));
	return 1;
oom:
	tl_image_free(&im);
	return tl_err_set(err, "out of memory"), TL_NOMEM;
}
