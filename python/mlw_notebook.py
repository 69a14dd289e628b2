"""mlw_notebook: run a Jupyter notebook headless as an ML Workbench run.

    python mlw_notebook.py NOTEBOOK.ipynb

ML Workbench's launcher runs this with the run's interpreter, in the run's environment
(MLW_RUN_DIR, MLW_PARAMS, PYTHONPATH with mlw_run, the MLflow endpoint's variables). It:

* reads the notebook with nbformat;
* injects the launch params (MLW_PARAMS, a JSON object) as papermill does: a new code cell tagged
  `injected-parameters` right after the first cell tagged `parameters`, or at the top when there is
  none (an earlier injected cell is replaced);
* executes it with nbclient in a kernel of this interpreter's ipykernel (not whatever `python3`
  kernel spec is installed), whose working directory is the notebook's folder and whose environment
  is this one, so `mlw_run` and MLflow calls in cells log into the run;
* echoes what cells print to its own stdout / stderr (so printed scalars are captured) and prints
  one progress line per code cell, `mlw: cell 3/12 done in 0.4 s` (not a metric: see parseMetricLine);
* writes the executed notebook, with outputs, to `$MLW_RUN_DIR/artifacts/<name>.ipynb` (after a cell,
  at most once a second, and when it ends), and declares it as an artifact of the run;
* on a cell error exits 1, having recorded `Cell N of M failed (In [k]): <the error's last line>` as
  the run's error; on SIGTERM or SIGINT kills the kernel, then ends by that signal.
"""

import asyncio
import importlib.util
import json
import os
import re
import signal
import sys
import time

INJECTED_TAG = "injected-parameters"
PARAMETERS_TAG = "parameters"
SAVE_EVERY_S = 1.0
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")


def python_literal(value):
    """A JSON value as Python source: repr() of the decoded value (True, None, 'text', 0.1)."""
    if isinstance(value, float) and value != value:
        return "float('nan')"
    if isinstance(value, float) and value in (float("inf"), float("-inf")):
        return "float('%s')" % ("inf" if value > 0 else "-inf")
    return repr(value)


def python_name(key):
    """A param key as a Python variable name: anything but letters, digits and _ becomes _."""
    name = re.sub(r"\W", "_", key)
    return "_" + name if not name or name[0].isdigit() else name


def parameters_source(params):
    lines = ["# Parameters"]
    for key, value in params.items():
        name = python_name(key)
        if name != key:
            sys.stderr.write("mlw_notebook: param %r is set as the variable %s\n" % (key, name))
        lines.append("%s = %s" % (name, python_literal(value)))
    return "\n".join(lines) + "\n"


def inject_parameters(nb, params, nbformat):
    """Inserts the params cell as papermill does; returns its index (None when there are no params)."""
    tags = lambda cell: cell.get("metadata", {}).get("tags", [])  # noqa: E731
    nb.cells = [c for c in nb.cells if INJECTED_TAG not in tags(c)]
    if not params:
        return None
    cell = nbformat.v4.new_code_cell(parameters_source(params))
    cell.metadata["tags"] = [INJECTED_TAG]
    at = next((i + 1 for i, c in enumerate(nb.cells) if PARAMETERS_TAG in tags(c)), 0)
    nb.cells.insert(at, cell)
    return at


def launch_params():
    try:
        value = json.loads(os.environ.get("MLW_PARAMS") or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


class Recorder(object):
    """The run folder's side: the executed notebook artifact and the error line in logged.jsonl."""

    def __init__(self, notebook_path, nbformat):
        self.nbformat = nbformat
        self.run_dir = os.environ.get("MLW_RUN_DIR")
        base = os.path.basename(notebook_path)
        if self.run_dir:
            self.out = os.path.join(self.run_dir, "artifacts", base)
        else:
            stem = base[: -len(".ipynb")] if base.lower().endswith(".ipynb") else base
            self.out = os.path.join(os.path.dirname(os.path.abspath(notebook_path)), stem + ".executed.ipynb")
        self.declared = False
        self.saved_at = None

    def logged(self, obj):
        if not self.run_dir:
            return
        with open(os.path.join(self.run_dir, "logged.jsonl"), "a", encoding="utf-8") as f:
            f.write(json.dumps(obj, ensure_ascii=False) + "\n")

    def save(self, nb, force=True):
        """Writes the executed notebook; with force=False at most once a second (a notebook of many cells is not rewritten per cell)."""
        if not force and self.saved_at is not None and time.monotonic() - self.saved_at < SAVE_EVERY_S:
            return
        os.makedirs(os.path.dirname(self.out), exist_ok=True)
        tmp = "%s.%d.tmp" % (self.out, os.getpid())
        self.nbformat.write(nb, tmp)
        os.replace(tmp, self.out)
        self.saved_at = time.monotonic()
        if not self.declared and self.run_dir:
            self.declared = True
            self.logged({"type": "artifact", "path": self.out, "stored": "artifacts/" + os.path.basename(self.out)})


def fail(message, code=2, recorder=None):
    sys.stderr.write("mlw: %s\n" % message)
    if recorder is not None:
        recorder.logged({"type": "error", "message": message})
    elif os.environ.get("MLW_RUN_DIR"):
        try:
            with open(os.path.join(os.environ["MLW_RUN_DIR"], "logged.jsonl"), "a", encoding="utf-8") as f:
                f.write(json.dumps({"type": "error", "message": message}) + "\n")
        except OSError:
            pass
    sys.exit(code)


def load_libraries():
    try:
        import nbformat
        from nbclient import NotebookClient
        from nbclient.exceptions import CellExecutionError
        from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
        from jupyter_client.manager import AsyncKernelManager
        if importlib.util.find_spec("ipykernel") is None:  # not imported here: it would load the debugger
            raise ImportError("No module named 'ipykernel'")
    except ImportError as e:
        fail(
            "cannot run notebooks with %s: %s. Install nbclient and ipykernel for it "
            "(pip install nbclient ipykernel, or on Debian apt-get install python3-nbclient python3-ipykernel), "
            "or pick another interpreter (mlWorkbench.pythonPath, mlw run --python)." % (sys.executable, e)
        )

    class ThisInterpreter(KernelSpecManager):
        """Every kernel name means ipykernel in this interpreter: the run's interpreter runs the cells."""

        def get_kernel_spec(self, kernel_name):
            # -X frozen_modules=off: no debugger warning in every run's output (Python 3.11+; older ones ignore -X).
            argv = [sys.executable, "-Xfrozen_modules=off", "-m", "ipykernel_launcher", "-f", "{connection_file}"]
            return KernelSpec(argv=argv, display_name="Python 3 (%s)" % sys.executable, language="python")

    class EchoingClient(NotebookClient):
        """Echoes cell output to this process's stdout / stderr as it arrives."""

        def output(self, outs, msg, display_id, cell_index):
            kind = msg.get("msg_type")
            content = msg.get("content", {})
            try:
                if kind == "stream":
                    stream = sys.stderr if content.get("name") == "stderr" else sys.stdout
                    stream.write(content.get("text", ""))
                    stream.flush()
                elif kind == "error":
                    sys.stderr.write(_ANSI.sub("", "\n".join(content.get("traceback", []))) + "\n")
                    sys.stderr.flush()
            except (OSError, ValueError):
                pass
            return super().output(outs, msg, display_id, cell_index)

    return nbformat, EchoingClient, CellExecutionError, ThisInterpreter, AsyncKernelManager


def error_line(error):
    """The last line of a cell's error: `ValueError: boom`."""
    ename = getattr(error, "ename", None)
    evalue = getattr(error, "evalue", None)
    if ename:
        return "%s: %s" % (ename, evalue) if evalue else ename
    text = _ANSI.sub("", str(error)).strip().splitlines()
    return text[-1] if text else type(error).__name__


async def execute(nb, client, recorder, CellExecutionError):
    total = len(nb.cells)
    async with client.async_setup_kernel():
        stopped = []
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()

        def on_signal(signum):
            # Kill the kernel (not a graceful shutdown: a busy kernel would not answer), then end by the signal.
            stopped.append(signum)
            client.shutdown_kernel = "immediate"
            task.cancel()

        for s in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(s, on_signal, s)  # replaces nbclient's own handlers
        try:
            for index, cell in enumerate(nb.cells):
                if cell.cell_type != "code":
                    continue
                started = time.monotonic()
                try:
                    await client.async_execute_cell(cell, index)
                except CellExecutionError as e:
                    recorder.save(nb)
                    count = cell.get("execution_count")
                    where = "Cell %d of %d%s" % (index + 1, total, " (In [%d])" % count if count else "")
                    return "%s failed: %s" % (where, error_line(e))
                finally:
                    if not stopped:
                        recorder.save(nb, force=False)
                print("mlw: cell %d/%d done in %.1f s" % (index + 1, total, time.monotonic() - started), flush=True)
            # Metrics logged with mlw_run in the kernel reach the run folder before the kernel goes.
            await client.kc.execute_interactive(
                "import sys as _s\n_m = _s.modules.get('mlw_run')\n_m and _m.flush()\ndel _s, _m",
                silent=True,
                store_history=False,
                timeout=30,
            )
            return None
        except (asyncio.CancelledError, Exception):
            if not stopped:
                raise
            return stopped[0]  # nbclient turns the cancelled wait into DeadKernelError


def main(argv):
    if len(argv) != 1:
        fail("usage: mlw_notebook.py NOTEBOOK.ipynb (params come from MLW_PARAMS)")
    path = os.path.abspath(argv[0])
    nbformat, EchoingClient, CellExecutionError, ThisInterpreter, AsyncKernelManager = load_libraries()
    recorder = Recorder(path, nbformat)
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as e:  # nbformat raises several kinds for a file that is not a notebook
        fail("cannot read the notebook %s: %s" % (path, error_line(e)), recorder=recorder)
    inject_parameters(nb, launch_params(), nbformat)
    recorder.save(nb)
    km = AsyncKernelManager(kernel_name="python3", kernel_spec_manager=ThisInterpreter())
    client = EchoingClient(
        nb,
        km=km,
        timeout=None,
        startup_timeout=120,
        shutdown_kernel="graceful",
        resources={"metadata": {"path": os.path.dirname(path)}},
    )
    client.owns_km = True  # shut the kernel down at the end, as for a kernel manager of its own
    outcome = asyncio.run(execute(nb, client, recorder, CellExecutionError))
    recorder.save(nb)
    if isinstance(outcome, int):  # stopped by a signal: end by it, as an unhandled one would
        signal.signal(outcome, signal.SIG_DFL)
        os.kill(os.getpid(), outcome)
        time.sleep(5)
        sys.exit(128 + outcome)
    if outcome:
        fail(outcome, code=1, recorder=recorder)


if __name__ == "__main__":
    main(sys.argv[1:])
