# Runs a MesaPy-ABI payload under CPython and times entrypoint() alone:
#   python3 run-cpython.py PAYLOAD KEY VALUE ...   -> {"ms": ..., "result": ...}
import json
import sys
import time

namespace = {"__name__": "function"}
with open(sys.argv[1]) as f:
    exec(compile(f.read(), sys.argv[1], "exec"), namespace)
start = time.perf_counter()
result = namespace["entrypoint"](sys.argv[2:])
print(json.dumps({"ms": (time.perf_counter() - start) * 1000, "result": result}))
