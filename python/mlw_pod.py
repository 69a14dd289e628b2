"""ML Workbench: the entry point of a run's container in a Kubernetes Job (standard library only).

The Job's ConfigMap holds the run bundle (code/ = the recorded commit plus the dirty patch, helper/, pod.json); the
container's command unpacks it into /mlw (an emptyDir) and runs `python /mlw/helper/mlw_pod.py run`:

  run      picks its run from pod.json (a sweep's Indexed Job: entry JOB_COMPLETION_INDEX), runs its command in
           code/<cwd> with MLW_RUN_DIR=/mlw/run, copies the script's output to the container log line by line and
           each new line of run/metrics.jsonl as "@@mlw:metric <json>", ends with "@@mlw:exit <code>", then waits
           (MLW_SYNC_WAIT seconds, default 900) for ML Workbench to copy the run folder back before it exits with
           the script's exit code.
  pack     writes a tar of /mlw/run (as run/...) and of the files the script wrote under code/ with the given
           extensions (as outputs/...) to stdout: what `kubectl exec` brings back (no tar needed in the image).
  synced   tells `run` the copy is done, so the container exits now.

Every line of the log is written whole, in one write, so output and metric lines never mix.
"""

import json
import os
import subprocess
import sys
import tarfile
import threading
import time

ROOT = os.environ.get("MLW_POD_ROOT", "/mlw")
METRIC = b"@@mlw:metric "
EXIT = b"@@mlw:exit "
SYNCED = ".synced"
_lock = threading.Lock()


def _emit(line):
    if not line.endswith(b"\n"):
        line += b"\n"
    with _lock:
        sys.stdout.buffer.write(line)
        sys.stdout.buffer.flush()


def _tail_metrics(path, stop):
    """Copies whole new lines of metrics.jsonl to the log until stop is set (then once more)."""
    offset = 0
    pending = b""
    while True:
        last = stop.is_set()
        try:
            with open(path, "rb") as f:
                f.seek(offset)
                data = f.read()
        except OSError:
            data = b""
        if data:
            offset += len(data)
            pending += data
            *lines, pending = pending.split(b"\n")
            for line in lines:
                if line.strip():
                    _emit(METRIC + line)
        if last:
            return
        stop.wait(0.25)


def run():
    with open(os.path.join(ROOT, "pod.json"), encoding="utf-8") as f:
        pod = json.load(f)
    index = int(os.environ.get("JOB_COMPLETION_INDEX") or 0)
    entry = pod["runs"][index]
    run_dir = os.path.join(ROOT, "run")
    os.makedirs(run_dir, exist_ok=True)
    env = dict(os.environ)
    env.update(entry["env"])
    env["MLW_RUN_DIR"] = run_dir
    helper = os.path.join(ROOT, "helper")
    env["PYTHONPATH"] = helper + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.setdefault("PYTHONUNBUFFERED", "1")
    with open(os.path.join(ROOT, "started"), "w") as f:
        f.write(str(time.time()))
    _emit(b"@@mlw:start " + entry["id"].encode())
    stop = threading.Event()
    tail = threading.Thread(target=_tail_metrics, args=(os.path.join(run_dir, "metrics.jsonl"), stop), daemon=True)
    tail.start()
    cwd = os.path.join(ROOT, "code", pod.get("cwd") or ".")
    try:
        child = subprocess.Popen(entry["argv"], cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    except OSError as e:
        _emit(("mlw: cannot start %s: %s" % (entry["argv"][0], e)).encode())
        code = 127
    else:
        for line in iter(child.stdout.readline, b""):
            if line.startswith(b"@@mlw:"):
                line = b" " + line  # the script's own text never reads as a control line
            _emit(line)
        code = child.wait()
        if code < 0:
            code = 128 - code
    stop.set()
    tail.join()
    with open(os.path.join(run_dir, ".exit"), "w") as f:
        f.write(str(code))
    _emit(EXIT + str(code).encode())
    deadline = time.time() + float(os.environ.get("MLW_SYNC_WAIT", "900"))
    while time.time() < deadline and not os.path.exists(os.path.join(run_dir, SYNCED)):
        time.sleep(0.5)
    return code


def pack(extensions):
    started = os.path.getmtime(os.path.join(ROOT, "started")) if os.path.exists(os.path.join(ROOT, "started")) else 0
    out = tarfile.open(fileobj=sys.stdout.buffer, mode="w|")
    run_dir = os.path.join(ROOT, "run")
    for base, dirs, files in os.walk(run_dir):
        for name in sorted(files):
            if name in (".exit", SYNCED):
                continue
            full = os.path.join(base, name)
            out.add(full, arcname="run/" + os.path.relpath(full, run_dir).replace(os.sep, "/"), recursive=False)
    code = os.path.join(ROOT, "code")
    for base, dirs, files in os.walk(code):
        dirs[:] = [d for d in dirs if d not in (".git", "__pycache__")]
        for name in sorted(files):
            full = os.path.join(base, name)
            if any(name.endswith(e) for e in extensions) and os.path.getmtime(full) > started:
                out.add(full, arcname="outputs/" + os.path.relpath(full, code).replace(os.sep, "/"), recursive=False)
    out.close()
    sys.stdout.buffer.flush()
    return 0


def synced():
    with open(os.path.join(ROOT, "run", SYNCED), "w") as f:
        f.write("1")
    return 0


if __name__ == "__main__":
    verb = sys.argv[1] if len(sys.argv) > 1 else "run"
    if verb == "run":
        sys.exit(run())
    if verb == "pack":
        sys.exit(pack(sys.argv[2:]))
    if verb == "synced":
        sys.exit(synced())
    sys.stderr.write("usage: mlw_pod.py run|pack [.ext ...]|synced\n")
    sys.exit(2)
