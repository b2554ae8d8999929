#!/usr/bin/env python3
"""Reference figures for the WVS loader and the values analysis (issue 23).

Independent of the Rust code: reads ../shared/data/wvs/*.json with the standard library
only and prints what crates/inherit-data/tests/wvs.rs and crates/inherit-eval/tests/
values_personas.rs assert:

  * the question ids common to the four files;
  * per country, the distributions that cannot be used, by reason, with the rules of
    inherit_data::wvs (first rule that applies, in this order):
      not-in-language  the question text is not in the file's language (script check)
      missing          no `distribution`, or null
      not-an-object    `distribution` is not an object
      not-a-number     a share is not a number
      negative         a share is below 0
      wrong-length     number of shares != number of options
      unknown-option   a share's key is not the code of an option ("3" of "3. Bad")
      all-zero         the shares sum to 0
    then, on the common questions with English text, `options-differ`: the country's
    option codes are not the English (US) file's;
  * one question's normalised distributions and 1 - JSD between countries, where JSD is
    the Jensen-Shannon distance (square root of the divergence) in base 2, as
    scipy.spatial.distance.jensenshannon(p, q, base=2) and inherit_eval's js_distance.

Run with Python 3.11.7 (no packages needed):

    python3 scripts/reference/wvs_reference.py [DATA_DIR] [QUESTION_ID, default 4]
"""

import json
import math
import os
import re
import sys

COUNTRIES = [("us", "United States"), ("eg", "Egypt"), ("ch", "China"), ("jp", "Japan")]


def scripts(text):
    found = set()
    for ch in text:
        o = ord(ch)
        if 0x0600 <= o <= 0x06FF or 0x0750 <= o <= 0x077F or 0xFB50 <= o <= 0xFDFF or 0xFE70 <= o <= 0xFEFF:
            found.add("arabic")
        elif 0x3040 <= o <= 0x30FF or 0x31F0 <= o <= 0x31FF or 0xFF66 <= o <= 0xFF9F:
            found.add("kana")
        elif 0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF or 0xF900 <= o <= 0xFAFF:
            found.add("han")
        elif 0xAC00 <= o <= 0xD7AF or 0x1100 <= o <= 0x11FF:
            found.add("hangul")
        elif ch.isascii() and ch.isalpha():
            found.add("latin")
    return found


def in_language(code, text):
    s = scripts(text)
    if code == "us":
        return "latin" in s and not (s & {"arabic", "kana", "han", "hangul"})
    if code == "eg":
        return "arabic" in s
    if code == "ch":
        return "han" in s and "kana" not in s
    return "kana" in s


def option_code(label):
    return re.match(r"^\s*(\d+)\s*\.", label).group(1)


def skip_reason(code, e):
    if not in_language(code, e["question_text"]):
        return "not-in-language"
    d = e.get("distribution")
    if d is None:
        return "missing"
    if not isinstance(d, dict):
        return "not-an-object"
    if any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in d.values()):
        return "not-a-number"
    if any(v < 0 for v in d.values()):
        return "negative"
    codes = [option_code(o) for o in e["options"]]
    if len(d) != len(codes):
        return "wrong-length"
    if any(k not in codes for k in d):
        return "unknown-option"
    if sum(d.values()) == 0:
        return "all-zero"
    return None


def normalised(e):
    codes = [option_code(o) for o in e["options"]]
    total = sum(e["distribution"].values())
    return [e["distribution"][c] / total for c in codes]


def js_distance(p, q):
    m = [(a + b) / 2 for a, b in zip(p, q)]

    def kl(a, b):
        return sum(x * math.log2(x / y) for x, y in zip(a, b) if x > 0)

    return math.sqrt(max(0.0, (kl(p, m) + kl(q, m)) / 2))


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("INHERIT_DATA_DIR", "../shared/data")
    files = {}
    for code, _ in COUNTRIES:
        with open(os.path.join(root, "wvs", f"{code}_wvs.json"), encoding="utf-8") as f:
            files[code] = json.load(f)["examples"]
    by_id = {c: {e["question_id"]: e for e in ex} for c, ex in files.items()}
    common = [e["question_id"] for e in files["us"] if all(e["question_id"] in by_id[c] for c in by_id)]
    print("entries per file:", {c: len(ex) for c, ex in files.items()})
    print("common ids:", len(common))
    skipped = {c: {} for c in by_id}
    reasons = {c: {} for c in by_id}
    for c, ex in files.items():
        for e in ex:
            r = skip_reason(c, e)
            reasons[c][e["question_id"]] = r
            if r:
                skipped[c].setdefault(r, []).append(e["question_id"])
    english = [q for q in common if reasons["us"][q] != "not-in-language"]
    print("common ids with English text:", len(english))
    print("common ids without English text:", [q for q in common if q not in english])
    for q in english:
        us_codes = sorted(option_code(o) for o in by_id["us"][q]["options"])
        for c in ("eg", "ch", "jp"):
            if reasons[c][q] is None and sorted(option_code(o) for o in by_id[c][q]["options"]) != us_codes:
                skipped[c].setdefault("options-differ", []).append(q)
                reasons[c][q] = "options-differ"
    for c, _ in COUNTRIES:
        total = sum(len(v) for v in skipped[c].values())
        print(f"skipped {c}: {total}", {r: len(v) for r, v in sorted(skipped[c].items())})
        for r, v in sorted(skipped[c].items()):
            print(f"    {r}: {v}")
    complete = [q for q in english if all(reasons[c][q] is None for c in by_id)]
    print("English common questions with all four distributions:", len(complete))
    # US rows in Japanese: are their distributions Japan's?
    copied = [q for q, r in reasons["us"].items() if r == "not-in-language"
              and q in by_id["jp"] and by_id["jp"][q]["distribution"] == by_id["us"][q]["distribution"]
              and by_id["jp"][q]["question_text"] == by_id["us"][q]["question_text"]]
    print("US rows that are Japan's rows (text and distribution):", len(copied), copied)

    q = sys.argv[2] if len(sys.argv) > 2 else "4"
    print(f"question {q}: {by_id['us'][q]['question_text']!r}")
    dists = {c: normalised(by_id[c][q]) for c in by_id}
    for c in dists:
        print(f"  {c} raw {by_id[c][q]['distribution']} normalised {dists[c]!r}")
    for a, b in [("us", "eg"), ("us", "ch"), ("us", "jp"), ("eg", "ch"), ("eg", "jp"), ("ch", "jp")]:
        d = js_distance(dists[a], dists[b])
        print(f"  1 - JSD({a}, {b}) = {1 - d!r} (distance {d!r}, divergence {d * d!r})")


if __name__ == "__main__":
    main()
