// Python run once in every interpreter after it loads and before any function code: Teaclave's file
// API (spec §5.3) over the in-memory file system, and the lockdown. The function never receives a
// reference to a JavaScript object: inputs, arguments and the payload arrive as in-memory files, and
// the result leaves as a JSON string. Blocking the bridge modules here is a seat belt; the process
// around the interpreter (permission model, no network, one task per process) is the boundary.
export const LOCKDOWN = String.raw`
import builtins, io, json, os, posix, sys, traceback

_BLOCKED = ("js", "pyodide_js", "pyodide", "_pyodide", "_pyodide_core", "micropip", "pyodide_http",
            "socket", "_socket", "ssl", "_ssl", "select", "selectors", "subprocess", "_posixsubprocess",
            "ctypes", "_ctypes", "asyncio", "_asyncio", "multiprocessing", "_multiprocessing", "webbrowser")

def _is_blocked(name):
    return any(name == b or name.startswith(b + ".") for b in _BLOCKED)

class _Refuse:
    def find_spec(self, name, path=None, target=None):
        if _is_blocked(name):
            raise ImportError("module %r is not available to MesaTEE functions" % name, name=name)
        return None

# Interpreters start from a shared memory snapshot, which froze the generator's state: every task
# would draw the same "random" numbers. Reseed from os.urandom (fresh per interpreter).
import random as _random
_random.seed()

sys.meta_path.insert(0, _Refuse())
for _name in list(sys.modules):
    if _is_blocked(_name):
        del sys.modules[_name]

def _denied(*args, **kwargs):
    raise PermissionError("processes and signals are not available to MesaTEE functions")

for _mod in (os, posix):
    for _fn in ("system", "popen", "fork", "forkpty", "kill", "killpg", "posix_spawn", "posix_spawnp",
                "execv", "execve", "execl", "execle", "execlp", "execlpe", "execvp", "execvpe",
                "spawnv", "spawnve", "spawnl", "spawnle", "spawnlp", "spawnlpe", "spawnvp", "spawnvpe"):
        if hasattr(_mod, _fn):
            setattr(_mod, _fn, _denied)

_task = {}

class _TeaclaveOutput:
    """An output opened with "wb": counts bytes against the output limit; accepts bytes and str."""

    def __init__(self, file_id, path, limit):
        self._file_id = file_id
        self._raw = io.open(path, "wb")
        self._limit = limit
        self._size = 0

    def write(self, data):
        if isinstance(data, str):
            data = data.encode("utf-8")
        data = bytes(data)
        if self._size + len(data) > self._limit:
            _task["limit"] = "output %s is larger than %d bytes" % (self._file_id, self._limit)
            raise OSError(_task["limit"])
        self._size += len(data)
        return self._raw.write(data)

    def writelines(self, lines):
        for line in lines:
            self.write(line)

    def flush(self):
        self._raw.flush()

    def close(self):
        self._raw.close()

    @property
    def closed(self):
        return self._raw.closed

    def writable(self):
        return True

    def readable(self):
        return False

    def tell(self):
        return self._size

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

def teaclave_open(file_id, mode="rb"):
    """Teaclave's file API: "rb" opens an input, "wb" creates an output (spec §5.3)."""
    if mode not in ("rb", "wb"):
        raise RuntimeError("Teaclave Not Supported")
    if mode == "rb":
        path = _task.get("inputs", {}).get(file_id)
        if not isinstance(file_id, str) or path is None:
            raise RuntimeError("fileio_init: teaclave_ffi_error")
        return io.open(path, "rb")
    path = _task.get("outputs", {}).get(file_id)
    if not isinstance(file_id, str) or path is None:
        raise RuntimeError("fileio_init: teaclave_ffi_error")
    _task["created"].add(file_id)
    return _TeaclaveOutput(file_id, path, _task["max_output_bytes"])

class _TeaclaveModule(type(sys)):
    pass

_teaclave = _TeaclaveModule("teaclave", "Teaclave's file API for Python functions")
_teaclave.open = teaclave_open
_teaclave.teaclave_open = teaclave_open
sys.modules["teaclave"] = _teaclave
builtins.teaclave_open = teaclave_open

def _describe(exc):
    text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    return text or type(exc).__name__

def __mesatee_run():
    with open("/teaclave/task.json") as f:
        spec = json.load(f)
    _task.update(inputs=spec["inputs"], outputs=spec["outputs"], max_output_bytes=spec["max_output_bytes"], created=set())
    try:
        with open("/teaclave/function.py") as f:
            source = f.read()
        namespace = {"__name__": "function", "__builtins__": builtins}
        exec(compile(source, "function.py", "exec"), namespace)
        entrypoint = namespace.get("entrypoint")
        if not callable(entrypoint):
            return json.dumps({"ok": False, "error": "the payload defines no entrypoint(argv) function"})
        value = entrypoint(list(spec["argv"]))
        if value is None:
            value = ""
        elif isinstance(value, (bytes, bytearray)):
            value = bytes(value).decode("utf-8")
        elif not isinstance(value, str):
            return json.dumps({"ok": False, "error": "entrypoint must return a str, not %s" % type(value).__name__})
    except BaseException as exc:
        if "limit" in _task:
            return json.dumps({"ok": False, "limit": _task["limit"]})
        if isinstance(exc, MemoryError):
            return json.dumps({"ok": False, "limit": "memory limit exceeded (MemoryError)"})
        sys.stderr.write("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
        return json.dumps({"ok": False, "error": _describe(exc)})
    if "limit" in _task:
        return json.dumps({"ok": False, "limit": _task["limit"]})
    return json.dumps({"ok": True, "value": value, "created": sorted(_task["created"])})
`;
