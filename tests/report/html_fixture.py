#!/usr/bin/python3
"""tests/report/html_fixture.py - gen.py's classified stream made ready for
tl-report --html: each record gets an image (an encoded file from
testdata/shapes, or every fifth one decoded pixels, pix |u1 [12,16,3]),
every other one a CAM (cam |u1 [7,7] peaking at the top-left), the header
a "preprocess" (centre crop) placing the CAMs; the class "wasps" is renamed
and one record (the largest loss) gets an id, both full of characters that
HTML must escape.

usage: gen.py | html_fixture.py TOP     (TOP: the source tree)
"""
import base64, json, sys
top = sys.argv[1]
odd = "w<a>s&p's \"x\""
imgs = [open(top + "/testdata/shapes/" + p, "rb").read() for p in
        ("circle/c1.png", "circle/c2.png", "square/s1.png", "square/s2.jpg")]
n = 0
for line in sys.stdin:
    r = json.loads(line)
    if "tl" in r:
        r["classes"] = [odd if c == "wasps" else c for c in r["classes"]]
        r["preprocess"] = {"width": 224, "height": 224, "resize": "crop"}
        print(json.dumps(r))
        continue
    for k in ("label", "pred"):
        if r.get(k) == "wasps":
            r[k] = odd
    if n % 5 == 3:   # decoded pixels instead of a file
        r["pix"] = {"dtype": "|u1", "shape": [12, 16, 3],
                    "data": [(x * 15 + c * 90) % 256 for y in range(12) for x in range(16) for c in range(3)]}
    else:
        r["img"] = {"base64": base64.b64encode(imgs[n % 4]).decode()}
    if n % 2 == 0:   # a CAM peaking at the top-left
        r["cam"] = {"dtype": "|u1", "shape": [7, 7],
                    "data": [max(0, 255 - 40 * (x + y)) for y in range(7) for x in range(7)]}
    if n == 8:       # the largest loss, with a name to escape
        r["id"] = "<b>&\"odd' id</b>"
        r["label"], r["pred"], r["conf"] = "ants", "bees", 0.97
        r["prob"]["data"] = [0.01, 0.97, 0.01, 0.01]
    n += 1
    print(json.dumps(r))
