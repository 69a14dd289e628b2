"""Shared by the tests: the project folder on sys.path, logging off, a scratch folder."""
import os
import shutil
import sys
import tempfile

PROJECT_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if PROJECT_DIR not in sys.path:
    sys.path.insert(0, PROJECT_DIR)
os.environ["MLW_DISABLE"] = "1"  # tests never record runs


class NullTracker:
    """Collects what training logs, without writing anything."""

    run_id = "test-run"

    def __init__(self):
        self.params, self.metrics, self.tags, self.artifacts = {}, [], {}, []

    def log_params(self, params):
        self.params.update(params)

    def log_metrics(self, metrics, step=None):
        self.metrics.append((dict(metrics), step))

    def set_tags(self, tags):
        self.tags.update(tags)

    def log_artifact(self, path):
        self.artifacts.append(path)

    def flush(self):
        pass

    def last(self, name):
        values = [m[name] for m, _ in self.metrics if name in m]
        return values[-1] if values else None


def scratch_dir(test):
    """A fresh folder for one test, removed again when that test ends."""
    path = tempfile.mkdtemp(prefix="tests-")
    test.addCleanup(shutil.rmtree, path, ignore_errors=True)
    return path
