#!/usr/bin/python3
"""summary.py HARNESS LOG: one line from a libFuzzer log: executions,
executions per second, coverage (cov = edges, ft = features) and corpus
size reached, for `make fuzz` and the CI log."""
import re
import sys

name, path = sys.argv[1], sys.argv[2]
text = open(path, errors="replace").read()
stats = dict(re.findall(r"^stat::(\w+):\s+(\d+)", text, re.M))
progress = re.findall(r"^#(\d+)\s+\w+\s+cov: (\d+) ft: (\d+) corp: (\d+)/", text, re.M)
cov, ft, corp = progress[-1][1:] if progress else ("?", "?", "?")
print(f"fuzz {name}: {stats.get('number_of_executed_units', '?')} executions, "
      f"{stats.get('average_exec_per_sec', '?')} exec/s, cov {cov}, ft {ft}, "
      f"corpus {corp}, new units {stats.get('new_units_added', '?')}, "
      f"peak RSS {stats.get('peak_rss_mb', '?')} MB")
