"""Scores texts with this student exactly as the Distillery console does.

    pip install onnxruntime numpy
    python3 predict.py "text one" "text two"        (or: echo text | python3 predict.py)
    python3 predict.py --ids "text"                  token ids only (needs neither onnxruntime nor numpy)

Prints one JSON line per text: {"text", "label", "probs": {label: p}, "modelVersion"}.
The tokenizer is the console's (lib/ml/tokenizer.ts); its Unicode classes come from tokenizer.json.
"""
import bisect
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def _read(name):
    with open(os.path.join(HERE, name), encoding="utf-8") as f:
        return json.load(f)


CONFIG = _read("config.json")
VOCAB = _read("vocab.json")
TABLE = _read("tokenizer.json")

SPACE, WORD, CHAR, EMOJI, MARK, REGIONAL, DIGIT = 1, 2, 3, 4, 5, 6, 7
_STARTS = [r[0] for r in TABLE["classes"]]
_CLASSES = [r[1] for r in TABLE["classes"]]
NGRAM = VOCAB["format"] == "distillery-ngram-vocab"
_IDS = {b: i + 2 for i, b in enumerate(VOCAB["buckets"])} if NGRAM else {t: i for i, t in enumerate(VOCAB["tokens"])}
OOV = 1
FNV_OFFSET, FNV_PRIME = 2166136261, 16777619


def class_of(cp):
    return _CLASSES[bisect.bisect_right(_STARTS, cp) - 1]


def fold(cp):
    if 0xFF01 <= cp <= 0xFF5E:
        return cp - 0xFEE0
    return 0x27 if cp == 0x2019 else cp


def fold_lower(cp):
    f = fold(cp)
    if 0x41 <= f <= 0x5A:
        return f + 32
    return f if f < 0x80 else ord(chr(f).lower()[0])


def token_text(s):
    return "".join(chr(fold(ord(c))) for c in s if ord(c) not in (0xFE0F, 0xFE0E)).lower()


def tokens(text):
    """The canonical token strings of one text (lowercased, folded), in order."""
    cps = [ord(c) for c in text]
    n = len(cps)
    out = []

    def emit(start, end, single):
        out.append(chr(single) if single >= 0 else token_text(text[start:end]))
        return True

    def next_class(j):  # the code unit after a separator inside a word: astral counts as CHAR
        return CHAR if cps[j] > 0xFFFF else class_of(cps[j])

    i = 0
    while i < n:
        cp = cps[i]
        cls = class_of(cp)
        if cls in (SPACE, MARK):
            i += 1
            continue
        if cls == CHAR:
            if not emit(i, i + 1, fold(cp)):
                break
            i += 1
            continue
        start = i
        i += 1
        if cls in (WORD, DIGIT):
            count, last_digit = 1, cls == DIGIT
            while i < n:
                k = class_of(cps[i])
                if k in (WORD, DIGIT, MARK):
                    if k != MARK:
                        last_digit = k == DIGIT
                    i += 1
                    count += 1
                    continue
                f = fold(cps[i])
                if i + 1 < n:
                    nxt = next_class(i + 1)
                    if f == 0x27 and not last_digit and nxt == WORD:
                        i += 1
                        count += 1
                        continue
                    if f in (0x2E, 0x2C) and last_digit and nxt == DIGIT:
                        i += 1
                        count += 1
                        continue
                break
            if not emit(start, i, fold_lower(cp) if count == 1 else -1):
                break
            continue
        if cls == REGIONAL:
            if i < n and 0x1F1E6 <= cps[i] <= 0x1F1FF:
                i += 1
            if not emit(start, i, cp if i - start == 1 else -1):
                break
            continue
        single = True  # EMOJI: modifiers, variation selectors, ZWJ sequences
        while i < n:
            c = cps[i]
            if c == 0x200D:
                i += 2 if i + 1 < n and class_of(cps[i + 1]) == EMOJI else 1
                single = False
                continue
            if class_of(c) == MARK:
                if c not in (0xFE0F, 0xFE0E):
                    single = False
                i += 1
                continue
            break
        if not emit(start, i, cp if single else -1):
            break
    return out


def fnv(h, xs):
    for x in xs:
        h = ((h ^ x) * FNV_PRIME) & 0xFFFFFFFF
    return h


def ngram_buckets(toks):
    """The buckets of a text's word n-grams, then of the character n-grams inside its multi-character tokens (lib/ml/ngram.ts)."""
    f = VOCAB["features"]
    th = [fnv(FNV_OFFSET, [ord(c) for c in t]) for t in toks]
    out = []
    for n in f["wordOrders"]:
        out += [fnv(FNV_OFFSET ^ n, th[i : i + n]) % f["buckets"] for i in range(len(th) - n + 1)]
    for t in toks:
        if len(t) < 2:
            continue
        s = [0x20] + [ord(c) for c in t] + [0x20]
        for n in f["charOrders"]:
            out += [fnv(FNV_OFFSET ^ (256 + n), s[i : i + n]) % f["buckets"] for i in range(len(s) - n + 1)]
    return out


def encode(text, max_len=None):
    """Input ids of one text, at most maxLen: token ids, or the ids of its distinct known n-grams (n-gram student); [OOV] when none."""
    max_len = max_len or CONFIG["maxLen"]
    toks = tokens(text)
    if NGRAM:
        out, seen = [], set()
        for b in ngram_buckets(toks):
            i = _IDS.get(b)
            if i is not None and i not in seen:
                seen.add(i)
                out.append(i)
                if len(out) >= max_len:
                    break
    else:
        out = [_IDS.get(t, OOV) for t in toks[:max_len]]
    return out or [OOV]


def decide(p):
    """The phase's rule: P(positive) >= threshold for binary phases with a threshold, else argmax."""
    labels = CONFIG["labels"]
    if len(p) == 2 and CONFIG.get("threshold") is not None:
        pos = labels.index(CONFIG["positiveLabel"]) if CONFIG.get("positiveLabel") in labels else 1
        return pos if p[pos] >= CONFIG["threshold"] else 1 - pos
    return max(range(len(p)), key=lambda c: (p[c], -c))


def predict(texts):
    import numpy as np
    import onnxruntime as ort

    session = ort.InferenceSession(os.path.join(HERE, "model.onnx"), providers=["CPUExecutionProvider"])
    encoded = [encode(t) for t in texts]
    width = max(1, max(len(e) for e in encoded))
    ids = np.zeros((len(texts), width), dtype=np.int64)  # 0 = padding, masked in the graph
    for i, e in enumerate(encoded):
        ids[i, : len(e)] = e
    probs = session.run([CONFIG["output"]], {CONFIG["input"]: ids})[0]
    labels = CONFIG["labels"]
    return [
        {"text": t, "label": labels[decide(list(p))], "probs": {l: float(p[c]) for c, l in enumerate(labels)}, "modelVersion": CONFIG["version"]}
        for t, p in zip(texts, probs)
    ]


if __name__ == "__main__":
    args = sys.argv[1:]
    ids_only = bool(args) and args[0] == "--ids"
    texts = args[1:] if ids_only else args
    if not texts:
        texts = [line for line in sys.stdin.read().split("\n") if line.strip()]
    if ids_only:
        for t in texts:
            print(json.dumps(encode(t)))
    else:
        for r in predict(texts):
            print(json.dumps(r, ensure_ascii=False))
