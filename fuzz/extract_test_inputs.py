#!/usr/bin/env python3
"""Copies the inputs written as string literals in a test file into a fuzz target's corpus.

Adjacent C++ literals ("a\\n" "b", R"(...)") are joined as the compiler joins them; a group is
kept when it holds a newline (a document, not a key or a message) or matches --match.
Usage: extract_test_inputs.py TEST.cpp TARGET [--match REGEX] [--max N]
"""
import argparse
import hashlib
import pathlib
import re

LITERAL = re.compile(r'R"(?P<delim>[^(\s]*)\((?P<raw>.*?)\)(?P=delim)"|"(?P<str>(?:[^"\\\n]|\\.)*)"',
                     re.S)
ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "'": "'", "0": "\0"}


def unescape(text):
    out, i = [], 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            if nxt == "x":
                m = re.match(r"[0-9a-fA-F]+", text[i + 2:])
                out.append(chr(int(m.group(0), 16) & 0xFF))
                i += 2 + len(m.group(0))
                continue
            out.append(ESCAPES.get(nxt, nxt))
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)


def groups(source):
    pending, end = [], None
    for m in LITERAL.finditer(source):
        if end is not None and source[end:m.start()].strip() != "":
            yield "".join(pending)
            pending = []
        pending.append(m.group("raw") if m.group("raw") is not None else unescape(m.group("str")))
        end = m.end()
    if pending:
        yield "".join(pending)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("test")
    ap.add_argument("target")
    ap.add_argument("--match", default=None)
    ap.add_argument("--max", type=int, default=40)
    args = ap.parse_args()
    root = pathlib.Path(__file__).resolve().parent
    out_dir = root / "corpus" / args.target
    out_dir.mkdir(parents=True, exist_ok=True)
    source = pathlib.Path(args.test).read_text()
    stem = pathlib.Path(args.test).stem
    kept = 0
    for text in groups(source):
        if "\n" not in text and not (args.match and re.search(args.match, text)):
            continue
        data = text.encode("latin-1", errors="replace")
        name = f"test_{stem}_{hashlib.sha1(data).hexdigest()[:10]}"
        (out_dir / name).write_bytes(data)
        kept += 1
        if kept >= args.max:
            break
    print(f"{args.test}: {kept} inputs -> {out_dir}")


if __name__ == "__main__":
    main()
