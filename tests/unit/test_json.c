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
	tl_rec_free(r);
	T_DONE();
}
