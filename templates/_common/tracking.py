"""Experiment tracking for this project.

Launched from ML Workbench (Run Experiment, or `mlw run train.py`), the launcher puts its run
helper `mlw_run` on PYTHONPATH and names the run in the environment: params, per-epoch metrics
and artifacts land in that run. Run by hand (`python train.py`), the copy in `_vendor/` is used
and records a run of its own under `.mlw/runs/` (local only). MLW_DISABLE=1 turns logging off.
Without any helper, metrics are printed as `mlw: name=value step=N` lines, which ML Workbench
also understands.
"""
import os
import sys


def _load_helper():
    try:
        import mlw_run  # the launcher's copy, on PYTHONPATH when launched by ML Workbench

        return mlw_run
    except ImportError:
        pass
    vendor = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_vendor")
    if os.path.isfile(os.path.join(vendor, "mlw_run.py")):
        sys.path.append(vendor)  # appended: a launcher's copy always comes first
        try:
            import mlw_run

            return mlw_run
        except ImportError:
            pass
    return None


class Tracker:
    """A thin, stable front for the run helper (or for printed `mlw:` lines)."""

    def __init__(self, helper="auto"):
        self.helper = _load_helper() if helper == "auto" else helper

    @property
    def run_id(self):
        """The id of the run being logged, or "local" when nothing is recorded."""
        if self.helper is not None:
            rid = self.helper.run_id()
            if rid:
                return rid
        return os.environ.get("MLW_RUN_ID") or "local"

    def log_params(self, params):
        if self.helper is not None:
            self.helper.log_params(params)
        else:
            print("params: " + ", ".join("%s=%s" % kv for kv in sorted(params.items())))

    def log_metrics(self, metrics, step=None):
        if self.helper is not None:
            self.helper.log_metrics({k: float(v) for k, v in metrics.items()}, step=step)
        else:
            pairs = " ".join("%s=%.6g" % (k, float(v)) for k, v in metrics.items())
            print("mlw: %s%s" % (pairs, "" if step is None else " step=%d" % step))

    def set_tags(self, tags):
        if self.helper is not None:
            self.helper.set_tags(tags)

    def log_artifact(self, path):
        if self.helper is not None:
            self.helper.log_artifact(path)

    def flush(self):
        if self.helper is not None:
            self.helper.flush()
