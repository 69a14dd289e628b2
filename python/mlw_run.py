"""mlw_run: log parameters, metrics, tags and artifacts of a training run for ML Workbench.

Standard library only (Python 3.7+). ML Workbench puts this folder first on PYTHONPATH when it
launches a run, so `import mlw_run` works there without installing anything.

    import mlw_run as mlw

    mlw.log_params({"lr": 0.01, "epochs": 10})
    for epoch in range(10):
        ...
        mlw.log_metric("loss", loss, step=epoch)        # or mlw.log_metrics({"loss": l, "acc": a}, step=epoch)
    mlw.set_tag("model", "mlp")
    mlw.log_artifact("model.onnx")                      # recorded by path, sha256 and size
    mlw.log_artifact("model.onnx", copy=True)           # ... and copied into the run folder

Where the helper writes
-----------------------
* Launched by ML Workbench (the extension or `mlw run`): the environment names the run.
    MLW_RUN_DIR      the run folder, `.mlw/runs/<run-id>/` (required to log into a launched run)
    MLW_RUN_ID, MLW_EXPERIMENT, MLW_RUN_NAME
    MLW_PARAMS       the launch params as a JSON object (see params())
    MLW_PARAM_<KEY>  each launch param, when the launch used params mode env/both
  The launcher owns run.json (status, exit code, git state); the helper only appends to
  metrics.jsonl and logged.jsonl.
* Run by hand (no MLW_RUN_DIR): on the first log call, not on import, the helper creates a
  run of its own in `<cwd>/.mlw/runs/<new-id>/` (or under $MLW_WORKSPACE), writes its
  run.json (status running) and completes it at exit: finished, failed after an uncaught
  exception (exitCode 1), stopped on SIGTERM or Ctrl-C. Exit codes given to sys.exit() are not seen,
  and no git state is recorded: launch through ML Workbench for full tracking.
* In a notebook or any long-lived process (an interactive Jupyter kernel), scope a run with
      with mlw_run.start_run(name="baseline", params={"lr": 0.01}) as run:
          ...                                           # log_metric etc. log into run.id
  With no active run, it creates one (as run by hand, in the workspace's .mlw/runs/: $MLW_WORKSPACE,
  else the nearest folder above the working directory holding .mlw/ or .git/, else the working
  directory) and ends it when the block ends: finished, or failed with the exception as its error
  (stopped after KeyboardInterrupt, such as a notebook's Interrupt). The run records the kernel's pid,
  so if the kernel dies inside the block, ML Workbench shows the run as interrupted, never running.
  Inside a launched run (a notebook run by `mlw run`, Run Experiment) it logs into that run and
  leaves ending it to the launcher.
* MLW_DISABLE=1: every call does nothing.

Files (all append-only, one JSON object per line)
-------------------------------------------------
  metrics.jsonl  {"k":"loss","v":0.25,"s":3,"t":1732390212345}   name, value, step, epoch ms
                 NaN / Infinity / -Infinity are written as those bare tokens.
                 A step left out is the metric's next step: 0, 1, 2, ... (after an explicit
                 step N, the next automatic one is N+1).
  logged.jsonl   {"type":"param","k":"lr","v":0.01}
                 {"type":"tag","k":"model","v":"mlp"}
                 {"type":"artifact","path":"/abs/model.onnx","stored":"artifacts/model.onnx"}

Buffering
---------
Metric lines are buffered in memory and written with one os.write() per batch (O_APPEND, whole
lines only, so a concurrent writer to the same file never splits a line): when 8192 lines are
pending, every second from a background thread (so a script that logs once and then trains
for an hour has its point on disk within a second), at exit (atexit), on SIGTERM (when the script has no SIGTERM handler of its
own: the helper flushes, then lets SIGTERM terminate the process as usual) and on flush().
Params, tags and artifacts are written at once. A crash (SIGKILL, power loss) can lose at most
the last second of metrics, and at most one torn line, which readers skip. The helper never
raises because of its own files: if the run folder cannot be written it says so once on stderr
and drops what it cannot write (log_artifact of a missing file does raise: that is a script bug).

Sweep trials and pruning
------------------------
A trial of a Bayesian sweep with a pruner (`mlw sweep --method tpe --prune median`) reports the objective as
it is logged; when the study decides the trial is behind, its driver writes `prune-requested` into the run
folder. The next log_metric() call on the main thread (checked at most every 0.1 s) flushes and raises
SystemExit(0), so `finally` blocks and `with` statements run; the run is recorded as "pruned" with
everything it logged. should_prune() tells a script that wants to check for itself.

Metrics from print(), without this module
-----------------------------------------
Scripts that do not import the helper can print lines of this exact form on stdout:

    mlw: loss=0.25 acc=0.91 step=3

`mlw:` at the start of the line (leading spaces allowed), then one or more whitespace-separated
`name=number` pairs. `step=N` (a non-negative integer) is optional and applies to every pair on
the line; without it each metric takes its next automatic step. Names start with a letter or `_`
and may contain letters, digits and `_ . - /`. Numbers are decimal or exponent notation, or
nan / inf / -inf. A line with any other content after `mlw:` is ignored as a whole. The launcher
captures these lines from stdout (not stderr) into metrics.jsonl; when run by hand they are
ordinary output.
"""

import atexit
import hashlib
import json
import os
import random
import shutil
import signal
import socket
import sys
import threading
import time

__all__ = [
    "log_param",
    "log_params",
    "log_metric",
    "log_metrics",
    "log_artifact",
    "set_tag",
    "set_tags",
    "params",
    "flush",
    "run_dir",
    "run_id",
    "start_run",
    "should_prune",
]

_FLUSH_LINES = 8192
_FLUSH_SECONDS = 0.25  # buffered points reach the file (and a live chart) within this, plus a write
_HEARTBEAT_SECONDS = 15.0
_PRUNE_FILE = "prune-requested"
_PRUNE_CHECK_SECONDS = 0.1
_SPECIAL = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}
_time = time.time


def _new_run_id():
    now = time.time()
    t = time.gmtime(now)
    rand = "".join(random.choice("0123456789abcdefghijklmnopqrstuvwxyz") for _ in range(6))
    return "%s-%03d-%s" % (time.strftime("%Y%m%d-%H%M%S", t), int(now * 1000) % 1000, rand)


def _identity(pid):
    ident = {"pid": pid, "host": socket.gethostname()}
    try:
        with open("/proc/sys/kernel/random/boot_id") as f:
            ident["bootId"] = f.read().strip()
        with open("/proc/%d/stat" % pid, "rb") as f:
            stat = f.read().decode("latin-1")
        ident["startTicks"] = int(stat[stat.rindex(")") + 2:].split(" ")[19])
    except (OSError, ValueError, IndexError):
        pass
    return ident


def _write_all(fd, data):
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def _open_append(path):
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    # A line torn by an earlier crash must not swallow the first line written now.
    try:
        size = os.fstat(fd).st_size
        if size:
            with open(path, "rb") as f:
                f.seek(size - 1)
                if f.read(1) != b"\n":
                    _write_all(fd, b"\n")
    except OSError:
        pass
    return fd


def _json_value(value):
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    item = getattr(value, "item", None)  # numpy / torch scalars
    if callable(item):
        try:
            v = item()
            if v is None or isinstance(v, (bool, int, float, str)):
                return v
        except Exception:
            pass
    return str(value)


def _dumps(obj):
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=True)


def _safe_name(name):
    out = "".join("_" if (c in '<>:"/\\|?*' or ord(c) < 32) else c for c in name).strip().lstrip(".")
    return out[:100] or "artifact"


class _Run(object):
    def __init__(self, directory, standalone):
        self.dir = directory
        self.standalone = standalone
        self.buf = []
        self.keys = {}
        self.summary = {}  # standalone only: key -> [last, step, min, max, count]
        self.t_next = 0.0
        self.t_text = ""
        self.lock = threading.RLock()
        self.last_flush = time.time()
        self.metrics_fd = None
        self.logged_fd = None
        self.flushing_thread = None
        self.pending_signal = None
        self.failed = False
        self.interrupted = False
        self.warned = False
        self.closed = False
        self.pid = os.getpid()
        self.thread = None
        self.meta = None
        self.artifacts = []
        # A sweep trial: the study's Optuna driver writes this file when the trial should stop (see should_prune()).
        self.prune_file = None if standalone else os.path.join(directory, _PRUNE_FILE)
        self.prune_next = 0.0
        self.logged_params = {}
        self.logged_tags = {}
        self.scoped = False  # made by start_run(): ended when its block ends
        self.error = None

    # -- writing ---------------------------------------------------------------------------
    def track(self, key, v, step):
        s = self.summary.get(key)
        if s is None:
            self.summary[key] = [v, step, v, v, 1]
            return
        s[0] = v
        s[1] = step
        if v < s[2]:
            s[2] = v
        if v > s[3]:
            s[3] = v
        s[4] += 1

    def new_key(self, key):
        entry = ['{"k":%s,"v":' % _dumps(key if isinstance(key, str) else str(key)), 0]
        self.keys[key] = entry
        return entry

    def flush(self):
        with self.lock:
            self.flushing_thread = threading.get_ident()
            try:
                n = len(self.buf)
                if n:
                    data = "".join(self.buf[:n]).encode("utf-8")
                    del self.buf[:n]
                    try:
                        if self.metrics_fd is None:
                            self.metrics_fd = _open_append(os.path.join(self.dir, "metrics.jsonl"))
                        _write_all(self.metrics_fd, data)
                    except OSError as e:
                        self.write_failed(e)
                self.last_flush = time.time()
            finally:
                self.flushing_thread = None
        if self.pending_signal is not None and threading.current_thread() is threading.main_thread():
            signum, self.pending_signal = self.pending_signal, None
            _on_signal(signum, None)

    def write_logged(self, obj):
        line = (_dumps(obj) + "\n").encode("utf-8")
        with self.lock:
            try:
                if self.logged_fd is None:
                    self.logged_fd = _open_append(os.path.join(self.dir, "logged.jsonl"))
                _write_all(self.logged_fd, line)
            except OSError as e:
                self.write_failed(e)

    def write_failed(self, error):
        # Tracking must never crash training: say it once on stderr, drop what cannot be written.
        if not self.warned:
            self.warned = True
            try:
                sys.stderr.write("mlw_run: cannot write to %s (%s); metrics are being lost\n" % (self.dir, error))
            except Exception:
                pass

    def ensure_thread(self):
        if self.thread is None or not self.thread.is_alive():
            self.thread = threading.Thread(target=self._background, name="mlw_run-flush", daemon=True)
            self.thread.start()

    def _background(self):
        beat = 0.0
        while not self.closed:
            time.sleep(_FLUSH_SECONDS)
            if self.buf and time.time() - self.last_flush >= _FLUSH_SECONDS:
                try:
                    self.flush()
                except OSError:
                    pass
            beat += _FLUSH_SECONDS
            if self.standalone and beat >= _HEARTBEAT_SECONDS:
                beat = 0.0
                try:
                    with open(os.path.join(self.dir, "heartbeat"), "w") as f:
                        f.write(str(int(time.time() * 1000)))
                except OSError:
                    pass

    # -- standalone run.json -----------------------------------------------------------------
    def write_meta(self):
        path = os.path.join(self.dir, "run.json")
        tmp = "%s.%d.tmp" % (path, os.getpid())
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(json.dumps(self.meta, indent=1, allow_nan=False, default=str) + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)

    def start_standalone(self, name=None, experiment=None):
        now = int(time.time() * 1000)
        script = sys.argv[0] if sys.argv and sys.argv[0] else "python"
        run_id = os.path.basename(self.dir)
        self.meta = {
            "schema": 1, "id": run_id, "source": "mlw",
            "name": name or os.environ.get("MLW_RUN_NAME") or "%s-%s" % (_script_stem(script), run_id[-4:]),
            "experiment": experiment or os.environ.get("MLW_EXPERIMENT") or "Default",
            "command": [sys.executable] + list(sys.argv), "interpreter": sys.executable, "cwd": os.getcwd(),
            "params": {}, "status": "running", "exitCode": None, "signal": None, "pid": os.getpid(),
            "startTime": now, "endTime": None, "durationMs": None, "git": None,
            "dataInputs": [], "artifacts": [], "tags": {}, "notes": "",
            "owner": {"launcher": _identity(os.getpid()), "child": _identity(os.getpid())},
        }
        self.write_meta()
        with open(os.path.join(self.dir, "heartbeat"), "w") as f:
            f.write(str(now))

    def finish_standalone(self, status, sig=None):
        end = int(time.time() * 1000)
        m = self.meta
        m["status"] = status
        m["exitCode"] = None if sig else (1 if status == "failed" else 0)
        m["signal"] = sig
        if self.error:
            m["error"] = self.error
        m["endTime"] = end
        m["durationMs"] = end - m["startTime"]
        m["params"].update(self.logged_params)
        m["tags"].update(self.logged_tags)
        arts = []
        for a in self.artifacts:
            try:
                target = os.path.join(self.dir, a["stored"]) if a.get("stored") else a["path"]
                h = hashlib.sha256()
                size = 0
                with open(target, "rb") as f:
                    for chunk in iter(lambda: f.read(1 << 20), b""):
                        h.update(chunk)
                        size += len(chunk)
                rel = os.path.relpath(a["path"], m["cwd"])
                rec = {"path": a["path"] if rel.startswith("..") else rel.replace(os.sep, "/"), "sha256": h.hexdigest(), "size": size}
                if a.get("stored"):
                    rec["stored"] = a["stored"]
                arts.append(rec)
            except OSError:
                pass
        m["artifacts"] = arts
        fin = lambda x: x if x == x and x not in (float("inf"), float("-inf")) else None  # noqa: E731
        m["metrics"] = {k: {"last": fin(s[0]), "step": s[1], "min": fin(s[2]), "max": fin(s[3]), "count": s[4]} for k, s in self.summary.items()}
        self.write_meta()

    def close(self, status="finished", sig=None):
        if self.closed or self.pid != os.getpid():
            return
        try:
            self.flush()
        except OSError:
            pass
        self.closed = True
        if self.standalone:
            try:
                if status == "finished" and self.failed:
                    status = "failed"
                elif status == "finished" and self.interrupted:
                    status = "stopped"
                self.finish_standalone(status, sig)
            except Exception:
                pass
        for fd in (self.metrics_fd, self.logged_fd):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self.metrics_fd = self.logged_fd = None


_run = None
_disabled = False
_start_lock = threading.Lock()


def _on_signal(signum, frame):
    r = _run
    if r is not None and r.flushing_thread == threading.get_ident():
        r.pending_signal = signum  # interrupted our own flush: finish it first
        return
    if r is not None:
        r.close("stopped", signal.Signals(signum).name)
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


def _excepthook(exc_type, exc, tb):
    if _run is not None:
        if issubclass(exc_type, KeyboardInterrupt):
            _run.interrupted = True
        else:
            _run.failed = True
    _previous_excepthook(exc_type, exc, tb)


_previous_excepthook = sys.excepthook


def _after_fork_in_child():
    # Pending lines belong to the parent; the child starts with an empty buffer of its own.
    r = _run
    if r is not None:
        r.buf = []
        r.thread = None
        r.metrics_fd = r.logged_fd = None
        r.pid = os.getpid()
        r.standalone = False  # the parent owns run.json


def _script_stem(script):
    if "ipykernel" in sys.modules:  # an interactive kernel: name the run after its notebook when the front end says
        main = sys.modules.get("__main__")
        notebook = os.environ.get("JPY_SESSION_NAME") or getattr(main, "__vsc_ipynb_file__", None)
        return os.path.splitext(os.path.basename(notebook))[0] if notebook else "notebook"
    return os.path.splitext(os.path.basename(script))[0]


def _workspace_root():
    """Where start_run() keeps its runs: $MLW_WORKSPACE, else the nearest folder holding .mlw/ or .git/, else the cwd."""
    if os.environ.get("MLW_WORKSPACE"):
        return os.environ["MLW_WORKSPACE"]
    cwd = os.getcwd()
    for marker in (".mlw", ".git"):
        d = cwd
        while True:
            if os.path.isdir(os.path.join(d, marker)):
                return d
            parent = os.path.dirname(d)
            if parent == d:
                break
            d = parent
    return cwd


_fork_hook = False


def _start(workspace=None, name=None, experiment=None):
    """Creates the active run on first use; returns None when logging is disabled."""
    global _run, _disabled, _fork_hook
    with _start_lock:
        if _run is not None or _disabled:
            return _run
        if os.environ.get("MLW_DISABLE", "") not in ("", "0"):
            _disabled = True
            return None
        directory = os.environ.get("MLW_RUN_DIR")
        standalone = not directory
        try:
            if standalone:
                root = os.path.join(workspace or os.environ.get("MLW_WORKSPACE") or os.getcwd(), ".mlw", "runs")
                os.makedirs(root, exist_ok=True)
                ignore = os.path.join(root, ".gitignore")
                if not os.path.exists(ignore):
                    with open(ignore, "w") as f:
                        f.write("# ML Workbench runs: not versioned\n*\n")
                while True:
                    directory = os.path.join(root, _new_run_id())
                    try:
                        os.mkdir(directory)
                        break
                    except FileExistsError:
                        continue
            else:
                os.makedirs(directory, exist_ok=True)
        except OSError as e:
            sys.stderr.write("mlw_run: cannot use %s (%s); logging is off\n" % (directory or ".mlw/runs", e))
            _disabled = True
            return None
        r = _Run(directory, standalone)
        if standalone:
            try:
                r.start_standalone(name, experiment)
            except OSError as e:
                sys.stderr.write("mlw_run: cannot create a run in %s (%s); logging is off\n" % (directory, e))
                _disabled = True
                return None
        atexit.register(r.close)
        if threading.current_thread() is threading.main_thread():
            try:
                if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
                    signal.signal(signal.SIGTERM, _on_signal)
            except (ValueError, OSError, AttributeError):
                pass
        sys.excepthook = _excepthook
        if hasattr(os, "register_at_fork") and not _fork_hook:
            _fork_hook = True
            os.register_at_fork(after_in_child=_after_fork_in_child)
        r.ensure_thread()
        _run = r
        return r


def log_metric(key, value, step=None):
    """Logs one point of metric `key`. `value` is anything float() accepts (numpy / torch scalars too)."""
    r = _run
    if r is None:
        r = _start()
        if r is None:
            return
    entry = r.keys.get(key)  # [line prefix, next automatic step]
    if entry is None:
        entry = r.new_key(key)
    if step is None:
        step = entry[1]
    entry[1] = step + 1
    v = float(value)
    t = _time()
    if t >= r.t_next:  # the ',"t":<ms>}' suffix is formatted once per millisecond
        ms = int(t * 1000)
        r.t_text = ',"t":%d}\n' % ms
        r.t_next = (ms + 1) / 1000.0
    buf = r.buf
    if v - v == 0.0:  # finite: %r is the shortest repr that reads back exactly
        buf.append('%s%r,"s":%d%s' % (entry[0], v, step, r.t_text))
    else:  # nan / inf / -inf as JSON-ish NaN / Infinity / -Infinity
        buf.append('%s%s,"s":%d%s' % (entry[0], _SPECIAL[repr(v)], step, r.t_text))
    if r.standalone:
        r.track(key, v, step)
    if len(buf) >= _FLUSH_LINES:  # time-based flushes come from the background thread
        r.flush()
    if t >= r.prune_next and r.prune_file is not None:
        r.prune_next = t + _PRUNE_CHECK_SECONDS
        if os.path.exists(r.prune_file) and threading.current_thread() is threading.main_thread():
            _end_pruned(r)


def _end_pruned(r):
    """The sweep pruned this trial: keep what was logged and end the process (the launcher records it as pruned)."""
    r.prune_file = None  # once: a script that catches SystemExit goes on, and the launcher stops it later
    try:
        r.flush()
    except OSError:
        pass
    sys.stderr.write("mlw_run: the sweep pruned this trial (its objective fell behind earlier trials); ending the run\n")
    sys.stderr.flush()
    raise SystemExit(0)


def should_prune():
    """True when this run is a sweep trial its study has pruned. log_metric() already ends such a run (SystemExit) on
    the main thread; a script that logs from another thread, or wants to save first, can check this itself."""
    r = _run
    return bool(r is not None and not r.standalone and os.path.exists(os.path.join(r.dir, _PRUNE_FILE)))


def log_metrics(metrics, step=None):
    """Logs several metrics at the same step: log_metrics({"loss": l, "acc": a}, step=epoch)."""
    for key, value in metrics.items():
        log_metric(key, value, step)


def log_param(key, value):
    """Records a parameter of the run (numbers, booleans, strings, None; anything else as str())."""
    r = _run or _start()
    if r is None:
        return
    v = _json_value(value)
    if isinstance(v, float) and (v != v or v in (float("inf"), float("-inf"))):
        v = repr(v)
    r.logged_params[str(key)] = v
    r.write_logged({"type": "param", "k": str(key), "v": v})


def log_params(values):
    """Records several parameters: log_params({"lr": 0.01, "epochs": 10})."""
    for key, value in values.items():
        log_param(key, value)


def set_tag(key, value):
    """Sets a string tag on the run."""
    r = _run or _start()
    if r is None:
        return
    r.logged_tags[str(key)] = str(value)
    r.write_logged({"type": "tag", "k": str(key), "v": str(value)})


def set_tags(values):
    for key, value in values.items():
        set_tag(key, value)


def log_artifact(path, copy=False, name=None):
    """Declares a file the run produced. The launcher records its sha256 and size when the run ends.
    With copy=True the file is also copied to <run>/artifacts/<name> (default: its file name)."""
    r = _run or _start()
    if r is None:
        return
    src = os.path.abspath(os.fspath(path))
    if not os.path.isfile(src):
        raise FileNotFoundError("log_artifact: no such file: %s" % src)
    entry = {"type": "artifact", "path": src}
    if copy:
        base = _safe_name(name or os.path.basename(src))
        art_dir = os.path.join(r.dir, "artifacts")
        os.makedirs(art_dir, exist_ok=True)
        dest = os.path.join(art_dir, base)
        real_dir = os.path.realpath(r.dir)
        if os.path.commonpath([real_dir, os.path.realpath(dest)]) != real_dir:
            raise ValueError("log_artifact: %r would leave the run folder" % base)
        # Replaced, never rewritten in place: the launcher may snapshot an earlier copy by hard link.
        tmp = "%s.mlw-copy-%d" % (dest, os.getpid())
        try:
            shutil.copyfile(src, tmp)
            os.replace(tmp, dest)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        entry["stored"] = "artifacts/" + base
    r.artifacts.append(entry)
    r.write_logged(entry)


def params():
    """The launch params as a dict (from MLW_PARAMS), e.g. lr = mlw_run.params().get("lr", 0.01)."""
    try:
        value = json.loads(os.environ.get("MLW_PARAMS") or "{}")
        return value if isinstance(value, dict) else {}
    except ValueError:
        return {}


def flush():
    """Writes buffered metrics now."""
    if _run is not None:
        _run.flush()


def run_dir():
    """The active run folder (creating a standalone run if none is active), or None when disabled."""
    r = _run or _start()
    return r.dir if r is not None else None


def run_id():
    d = run_dir()
    return os.path.basename(d) if d else None


class _RunScope(object):
    """What start_run() returns: use it with `with`. `id` and `dir` name the run (None when logging is off)."""

    def __init__(self, run, owns):
        self._r = run
        self._owns = owns
        self.id = os.path.basename(run.dir) if run is not None else None
        self.dir = run.dir if run is not None else None

    log_metric = staticmethod(log_metric)
    log_metrics = staticmethod(log_metrics)
    log_param = staticmethod(log_param)
    log_params = staticmethod(log_params)
    set_tag = staticmethod(set_tag)
    set_tags = staticmethod(set_tags)
    log_artifact = staticmethod(log_artifact)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        self.end(exc_type, exc)
        return False

    def end(self, exc_type=None, exc=None):
        """Ends the run (when start_run made it): finished, failed with `exc`, stopped after KeyboardInterrupt."""
        global _run
        r = self._r
        if not self._owns or r is None or r.closed:
            return
        if exc_type is None:
            status = "finished"
        elif issubclass(exc_type, KeyboardInterrupt):
            status = "stopped"
        else:
            status = "failed"
            text = str(exc) if exc is not None else ""
            r.error = "%s: %s" % (exc_type.__name__, text) if text else exc_type.__name__
        r.close(status)
        with _start_lock:
            if _run is r:
                _run = None  # the next log call or start_run() makes a new run


def start_run(name=None, params=None, experiment=None, tags=None):
    """A run for a `with` block (see "In a notebook" above): created now when no run is active, ended with the block.

        with mlw_run.start_run(name="baseline", params={"lr": 0.01}) as run:
            mlw_run.log_metric("loss", 0.5)
    """
    global _run
    r = _run
    if r is not None and r.standalone and not r.scoped and r.pid == os.getpid():
        # A run made implicitly by an earlier log call (in an earlier cell, say): finish it, this block gets its own.
        r.close("finished")
        with _start_lock:
            if _run is r:
                _run = None
        r = None
    owns = False
    if r is None:
        if not os.environ.get("MLW_RUN_DIR"):
            r = _start(_workspace_root(), name, experiment)
            owns = r is not None and r.standalone
            if owns:
                r.scoped = True
        else:
            r = _start()
    if r is not None:
        if params:
            log_params(params)
        if tags:
            set_tags(tags)
        if owns and (params or tags):
            try:  # shown while the run is open, not only once it ends
                r.meta["params"].update(r.logged_params)
                r.meta["tags"].update(r.logged_tags)
                r.write_meta()
            except (OSError, ValueError, TypeError):
                pass
    return _RunScope(r, owns)
