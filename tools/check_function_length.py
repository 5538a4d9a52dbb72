#!/usr/bin/env python3
"""Fails when a C function in the given files is longer than the limit.

The project's style: functions stay short (60 lines at most, body only),
generated/ excepted.  It reads the code as it is formatted here: a function
body opens with "{" alone in column 0 and closes with "}" in column 0.
Usage: check_function_length.py [--max N] FILE...
"""
import re
import sys


def functions(path):
    """(name, first line, body length) of each function in path."""
    lines = open(path, encoding="utf-8").read().split("\n")
    i = 0
    while i < len(lines):
        if lines[i] == "{":
            k = i - 1
            while k > 0 and "(" not in lines[k]:
                k -= 1
            m = re.match(r"\s*(\w+)\s*\(", lines[k])
            j = i + 1
            while j < len(lines) and lines[j] != "}":
                j += 1
            yield (m.group(1) if m else lines[k].strip()), k + 1, j - i - 1
            i = j
        i += 1


def main(argv):
    limit = 60
    if argv[:1] == ["--max"]:
        limit, argv = int(argv[1]), argv[2:]
    long_ones = [(p, line, name, n) for p in argv for name, line, n in functions(p) if n > limit]
    for p, line, name, n in long_ones:
        print(f"{p}:{line}: {name} is {n} lines long (the limit is {limit})")
    if long_ones:
        return 1
    print(f"functions: none over {limit} lines in {len(argv)} files")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
