/*
 * test_json.c - JSON text (lib/stream/json.c) and the JSON form of records
 * (recjson.c): exact numbers, string escaping, tensors and bins both ways,
 * and the lines the parser refuses.
 */
#include <math.h>
#include <stdlib.h>

#include "core/tensor.h"
#include "stream/recjson.h"
#include "t.h"

/* r as JSON text (one line, no newline), in a static buffer. */
static const char *
show(const struct tl_rec *r, int flags)
{
	static char out[4096];
	char *text = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);

	tl_recjson_write(m, r, flags, NULL);
	fclose(m);
	snprintf(out, sizeof out, "%.*s", len > 0 ? (int)len - 1 : 0, text);
	free(text);
	return out;
}

/* Parses s as a data record and prints it back. */
static const char *
again(struct tl_rec *r, const char *s, int flags)
{
	static struct tl_err err;

	if (tl_recjson_parse(s, strlen(s), r, 1, &err) < 0)
		return err.msg;
	return show(r, flags);
}

static int
refused(struct tl_rec *r, const char *s, const char *why)
{
	struct tl_err err;

	return tl_recjson_parse(s, strlen(s), r, 1, &err) < 0 && strstr(err.msg, why) != NULL;
}

/* What the statements wrote to the memory stream f, into the array out. */
#define CAPTURE(out, f, ...) do { char *t_ = NULL; size_t l_ = 0; FILE *f = open_memstream(&t_, &l_); \
	__VA_ARGS__; fclose(f); snprintf(out, sizeof out, "%.*s", (int)l_, t_); free(t_); } while (0)

/* The shortest-number writers (json.c), against texts known to read back:
 * 15 digits are tried first, so 5e-324 prints as its 15-digit form. */
static void
test_numbers(void)
{
	static const struct { double v; const char *want; } d[] = {
		{ 0.1, "0.1" }, { 1e-7, "1e-07" }, { 5e-324, "4.94065645841247e-324" },
		{ 1.7976931348623157e308, "1.7976931348623157e+308" }, { -0.0, "-0.0" },
		{ 100, "100.0" }, { 1e21, "1e+21" }, { 0.30000000000000004, "0.30000000000000004" },
		{ 1.0 / 3, "0.3333333333333333" }, { 123456789012345678.0, "1.2345678901234568e+17" },
	};
	static const struct { float v; const char *want; } f[] = {
		{ 0.1f, "0.1" }, { 1e-45f, "1.4013e-45" }, { 3.4028235e38f, "3.4028235e+38" },
		{ 1.0f / 3, "0.33333334" }, { 16777216.0f, "16777216.0" }, { -0.0f, "-0.0" },
	};
	char buf[TL_JSON_NUMLEN], name[64], out[64];

	for (size_t i = 0; i < sizeof d / sizeof d[0]; i++) {
		snprintf(name, sizeof name, "json double %s", d[i].want);
		tl_json_fmt_double(buf, d[i].v);
		T_EQ_STR(name, buf, d[i].want);
		T_OK(name, strtod(buf, NULL) == d[i].v);
	}
	for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
		snprintf(name, sizeof name, "json float %s", f[i].want);
		tl_json_fmt_float(buf, f[i].v);
		T_EQ_STR(name, buf, f[i].want);
	}
	CAPTURE(out, m, (tl_json_double(m, NAN), tl_json_double(m, -INFINITY), tl_json_float(m, INFINITY)));
	T_EQ_STR("json non-finite is null", out, "nullnullnull");
}

/* Base64 out (GLib) against RFC 4648's vectors, and back through the
 * record form, padded or not; what is refused. */
static void
test_base64(struct tl_rec *r)
{
	static const char *const want[] = { "\"\"", "\"Zg==\"", "\"Zm8=\"", "\"Zm9v\"",
		"\"Zm9vYg==\"", "\"Zm9vYmE=\"", "\"Zm9vYmFy\"" };
	char name[64], out[64], line[128];
	struct tl_err err;
	const msgpack_object *v;

	for (size_t n = 0; n <= 6; n++) {
		snprintf(name, sizeof name, "json base64 of %zu bytes", n);
		CAPTURE(out, m, tl_json_base64(m, "foobar", n));
		T_EQ_STR(name, out, want[n]);
		/* back, with the padding and without */
		for (int pad = 0; pad < 2; pad++) {
			size_t len = strlen(want[n]) - 2;
			if (!pad)
				while (len > 0 && want[n][len] == '=')
					len--;
			snprintf(line, sizeof line, "{\"b\":{\"base64\":\"%.*s\"}}", (int)len, want[n] + 1);
			snprintf(name, sizeof name, "json base64 back %zu bytes%s", n, pad ? "" : " unpadded");
			v = tl_recjson_parse(line, strlen(line), r, 0, &err) == 0 ? tl_rec_get(r, "b") : NULL;
			T_OK(name, v != NULL && v->type == MSGPACK_OBJECT_BIN && v->via.bin.size == n &&
			     memcmp(v->via.bin.ptr, "foobar", n) == 0);
		}
	}
	T_OK("json base64 refuses 5 chars", refused(r, "{\"b\":{\"base64\":\"Zm9vY\"}}", "bad base64"));
	T_OK("json base64 refuses inner =", refused(r, "{\"b\":{\"base64\":\"Zm=vYg==\"}}", "bad base64"));
	T_OK("json base64 refuses short pad", refused(r, "{\"b\":{\"base64\":\"Zg=\"}}", "bad base64"));
	T_OK("json base64 refuses space", refused(r, "{\"b\":{\"base64\":\"Zm9v Yg==\"}}", "bad base64"));
}

/* The comma-keeping writer (json.c) as tl-report uses it. */
static void
test_out(void)
{
	struct tl_json_out o;
	char out[256];

	CAPTURE(out, m, {
		tl_json_out_init(&o, m);
		tl_json_begin_obj(&o);
		tl_json_key(&o, "a"), tl_json_put_int(&o, -1);
		tl_json_key(&o, "b"), tl_json_begin_list(&o);
		tl_json_put_double(&o, 2.5), tl_json_put_null(&o), tl_json_put_str(&o, "x\"y");
		tl_json_put_uint(&o, 18446744073709551615ULL), tl_json_put_double(&o, NAN);
		tl_json_end(&o);
		tl_json_key(&o, "c"), tl_json_begin_obj(&o), tl_json_end(&o);
		tl_json_key(&o, "d\n"), tl_json_begin_list(&o);
		tl_json_begin_list(&o), tl_json_end(&o);
		tl_json_begin_list(&o), tl_json_put_double(&o, 3), tl_json_end(&o);
		tl_json_end(&o);
		tl_json_key(&o, "e"), tl_json_put_str(&o, NULL);
		tl_json_end(&o);
	});
	T_EQ_STR("json writer commas", out, "{\"a\":-1,\"b\":[2.5,null,\"x\\\"y\",18446744073709551615,null],"
	    "\"c\":{},\"d\\n\":[[],[3.0]],\"e\":\"\"}");
}

int
main(void)
{
	struct tl_rec *r = tl_rec_new();
	struct tl_tensor t;
	uint64_t shape[1] = {4};
	unsigned char *d;
	const float f4[4] = {0.1f, -2.5f, 1e30f, 3.0f};

	tl_rec_set_str(r, "id", "a");
	tl_rec_set_f64(r, "conf", 0.93);
	tl_rec_set_f64(r, "one", 1.0);
	tl_rec_set_f64(r, "nan", NAN);
	tl_rec_set_u64(r, "phash", UINT64_MAX);
	tl_rec_set_i64(r, "neg", INT64_MIN);
	T_EQ_STR("json numbers", show(r, 0),
	    "{\"id\":\"a\",\"conf\":0.93,\"one\":1.0,\"nan\":null,"
	    "\"phash\":18446744073709551615,\"neg\":-9223372036854775808}");
	T_EQ_STR("json phash hex", show(r, TL_RECJSON_DATA),
	    "{\"id\":\"a\",\"conf\":0.93,\"one\":1.0,\"nan\":null,"
	    "\"phash\":\"ffffffffffffffff\",\"neg\":-9223372036854775808}");
	T_EQ_STR("json phash back", again(r, "{\"phash\":\"00000000000000Ff\",\"x\":\"00000000000000ff\"}", 0),
	    "{\"phash\":255,\"x\":\"00000000000000ff\"}");

	tl_rec_clear(r);
	tl_rec_set_strn(r, "s", "q\"\\\n\x01\xff\xc3\xa9", 8);
	T_EQ_STR("json string escapes", show(r, 0), "{\"s\":\"q\\\"\\\\\\n\\u0001\xef\xbf\xbd\xc3\xa9\"}");

	tl_rec_clear(r);
	d = tl_rec_set_tensor(r, "emb", TL_F32, 1, shape);
	memcpy(d, f4, sizeof f4); /* little-endian host */
	tl_rec_set_bin(r, "img", "hello", 5);
	T_EQ_STR("json tensor summary", show(r, 0),
	    "{\"emb\":{\"dtype\":\"<f4\",\"shape\":[4],\"min\":-2.5,\"max\":1e+30,"
	    "\"mean\":2.50000004e+29},\"img\":{\"bin\":5}}");
	T_EQ_STR("json tensor full", show(r, TL_RECJSON_FULL),
	    "{\"emb\":{\"dtype\":\"<f4\",\"shape\":[4],\"data\":[0.1,-2.5,1e+30,3.0]},"
	    "\"img\":{\"base64\":\"aGVsbG8=\"}}");

	T_EQ_STR("json parse full", again(r, "{\"emb\":{\"dtype\":\"<f4\",\"shape\":[4],"
	    "\"data\":[0.1,-2.5,1e+30,3]},\"img\":{\"base64\":\"aGVsbG8\"}}", TL_RECJSON_FULL),
	    "{\"emb\":{\"dtype\":\"<f4\",\"shape\":[4],\"data\":[0.1,-2.5,1e+30,3.0]},"
	    "\"img\":{\"base64\":\"aGVsbG8=\"}}");
	T_OK("json parsed tensor views", tl_rec_tensor(r, "emb", &t, NULL) == 0 && t.count == 4);

	T_EQ_STR("json f16 round trip", again(r, "{\"h\":{\"dtype\":\"<f2\",\"shape\":[5],"
	    "\"data\":[0.1,65504,-0.000000059604645,null,100000]}}", TL_RECJSON_FULL),
	    "{\"h\":{\"dtype\":\"<f2\",\"shape\":[5],\"data\":[0.099975586,65504.0,"
	    "-5.9604645e-08,null,null]}}");
	T_EQ_STR("json i4 and u1", again(r, "{\"a\":{\"dtype\":\"<i4\",\"shape\":[2],"
	    "\"data\":[-2147483648,7]},\"b\":{\"dtype\":\"|u1\",\"shape\":[1,1,2],"
	    "\"data\":[0,255]}}", 0),
	    "{\"a\":{\"dtype\":\"<i4\",\"shape\":[2],\"min\":-2147483648,\"max\":7,"
	    "\"mean\":-1.07374182e+09},\"b\":{\"dtype\":\"|u1\",\"shape\":[1,1,2],"
	    "\"min\":0,\"max\":255,\"mean\":127.5}}");

	T_EQ_STR("json big integers", again(r, "{\"u\":18446744073709551615,"
	    "\"i\":-9223372036854775808,\"over\":18446744073709551616,\"z\":-0}", 0),
	    "{\"u\":18446744073709551615,\"i\":-9223372036854775808,"
	    "\"over\":1.8446744073709552e+19,\"z\":0}");
	T_EQ_STR("json unicode escapes", again(r, "{\"s\":\"\\u00e9\\ud83d\\ude00\\ud800x\\/\"}", 0),
	    "{\"s\":\"\xc3\xa9\xf0\x9f\x98\x80\xef\xbf\xbdx/\"}");
	T_EQ_STR("json sha256 hex", again(r, "{\"sha256\":\"000102030405060708090a0b0c0d0e0f"
	    "101112131415161718191A1B1C1D1E1F\"}", TL_RECJSON_DATA),
	    "{\"sha256\":\"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\"}");
	T_OK("json sha256 is bin", tl_rec_get(r, "sha256")->type == MSGPACK_OBJECT_BIN);
	T_EQ_STR("json nested and empty", again(r, " {\"a\":[],\"b\":{},\"c\":[true,false,null,"
	    "{\"d\":[1.5e-3]}]} ", 0), "{\"a\":[],\"b\":{},\"c\":[true,false,null,{\"d\":[0.0015]}]}");

	T_OK("json refuses non-object", refused(r, "[1,2]", "not a JSON object"));
	T_OK("json refuses garbage", refused(r, "{\"a\":tru}", "malformed JSON"));
	T_OK("json refuses trailing", refused(r, "{\"a\":1} x", "trailing"));
	T_OK("json refuses unterminated", refused(r, "{\"a\":\"x", "unterminated"));
	T_OK("json refuses leading zero", refused(r, "{\"a\":01}", "expected"));
	T_OK("json refuses raw control", refused(r, "{\"a\":\"\x01\"}", "control"));
	T_OK("json refuses bin summary", refused(r, "{\"img\":{\"bin\":5}}", "img: a summary"));
	T_OK("json refuses tensor summary", refused(r, "{\"e\":{\"dtype\":\"<f4\",\"shape\":[1],"
	    "\"min\":0,\"max\":0,\"mean\":0}}", "e: a tensor summary"));
	T_OK("json refuses short data", refused(r, "{\"e\":{\"dtype\":\"<f4\",\"shape\":[2,2],"
	    "\"data\":[1,2,3]}}", "3 values for 4 elements"));
	T_OK("json refuses u1 range", refused(r, "{\"p\":{\"dtype\":\"|u1\",\"shape\":[1],"
	    "\"data\":[256]}}", "out of range"));
	T_OK("json refuses bad dtype", refused(r, "{\"p\":{\"dtype\":\"<f8\",\"shape\":[1],"
	    "\"data\":[1]}}", "unknown dtype"));
	T_OK("json refuses bad base64", refused(r, "{\"b\":{\"base64\":\"a$==\"}}", "bad base64"));
	T_OK("json refuses duplicate key", refused(r, "{\"a\":1,\"a\":2}", "duplicate key"));
	{
		char deep[200];
		memset(deep, '[', 100);
		strcpy(deep + 100, "]");
		char line[220];
		snprintf(line, sizeof line, "{\"a\":%s}", deep);
		T_OK("json refuses deep nesting", refused(r, line, "nested too deeply"));
	}
	test_numbers();
	test_base64(r);
	test_out();
	tl_rec_free(r);
	T_DONE();
}
