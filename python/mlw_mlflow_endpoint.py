"""ML Workbench's MLflow-compatible endpoint for a run on a remote target (stdlib only).

job.sh starts it on the node before the script, on 127.0.0.1 and an ephemeral port:

    python mlw_mlflow_endpoint.py RUN_DIR OUT_FILE

It writes "PORT TOKEN EXPERIMENT_ID" to OUT_FILE (mode 0600, written whole then renamed) once it listens, and serves the
logging subset of MLflow's tracking REST API 2.0 (/api/2.0/mlflow/...) to clients that send the token as
`Authorization: Bearer TOKEN` (MLFLOW_TRACKING_TOKEN), or as the basic-auth password. Everything is written
into RUN_DIR in the files the helper (mlw_run.py) writes and ML Workbench syncs back:

    metrics.jsonl  {"k":"loss","v":0.25,"s":3,"t":1732390212345}
    logged.jsonl   {"type":"param","k":"lr","v":"0.01"}   {"type":"tag","k":"model","v":"mlp"}

each request's lines with one O_APPEND write before it is answered, so nothing depends on the link to the
laptop, and a kill after an answer loses nothing. The one run is the launched one (MLW_RUN_ID, MLW_EXPERIMENT,
MLW_RUN_NAME, MLW_PARAMS from the environment); runs/create is refused (no nested runs on a remote target).
"""

import base64
import hashlib
import hmac
import json
import os
import secrets
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PREFIX = "/api/2.0/mlflow/"
ALT_PREFIX = "/ajax-api/2.0/mlflow/"


def experiment_id_of(name):
    """As ML Workbench's experimentIdOf: 0 for Default, else a number from the name's sha256."""
    if name == "Default":
        return "0"
    return str(int(hashlib.sha256(name.encode("utf-8")).hexdigest()[:13], 16))


def _param_str(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


class MlflowError(Exception):
    def __init__(self, status, code, message):
        Exception.__init__(self, message)
        self.status = status
        self.code = code
        self.message = message


def invalid(message):
    return MlflowError(400, "INVALID_PARAMETER_VALUE", message)


class RemoteRun:
    """The launched run, as this endpoint records it in the run folder."""

    def __init__(self, run_dir, env):
        self.dir = run_dir
        self.id = env.get("MLW_RUN_ID") or os.path.basename(os.path.dirname(os.path.abspath(run_dir)))
        self.experiment = env.get("MLW_EXPERIMENT") or "Default"
        self.experiment_id = experiment_id_of(self.experiment)
        self.name = env.get("MLW_RUN_NAME") or self.id
        self.start_time = int(time.time() * 1000)
        self.status = "RUNNING"
        self.end_time = None
        self.lock = threading.Lock()
        self.launch = {}
        try:
            for k, v in json.loads(env.get("MLW_PARAMS") or "{}").items():
                self.launch[k] = _param_str(v)
        except ValueError:
            pass
        self.params = dict(self.launch)
        self.logged_params = set()
        self.tags = {}
        self.latest = {}
        self.steps = {}

    def _append(self, name, lines):
        if not lines:
            return
        data = "".join(json.dumps(l, ensure_ascii=False, separators=(",", ":"), allow_nan=True) + "\n" for l in lines)
        fd = os.open(os.path.join(self.dir, name), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            view = memoryview(data.encode("utf-8"))
            while view:
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)

    def check_run(self, body):
        rid = body.get("run_id") or body.get("run_uuid")
        if not isinstance(rid, str) or not rid:
            raise invalid("Missing value for required parameter 'run_id'.")
        if rid != self.id:
            raise MlflowError(404, "RESOURCE_DOES_NOT_EXIST", "Run with id=%s not found" % rid)

    def metric(self, m, now):
        key = m.get("key")
        if not isinstance(key, str) or not key:
            raise invalid("Missing value for required parameter 'key'.")
        v = m.get("value")
        try:
            value = float(v)
        except (TypeError, ValueError):
            raise invalid("Got invalid value %r for metric '%s'" % (v, key))
        try:
            ts = int(m.get("timestamp", now))
            step = int(m.get("step", 0) or 0)
        except (TypeError, ValueError):
            raise invalid("Invalid timestamp or step for metric '%s'" % key)
        if ts < 0:
            raise invalid("Got invalid timestamp %d for metric '%s'" % (ts, key))
        return {"k": key, "v": value, "s": step, "t": ts}

    def key_values(self, items, what):
        out = []
        for p in items or []:
            if not isinstance(p, dict) or not isinstance(p.get("key"), str) or not p["key"]:
                raise invalid("Each %s needs a key." % what)
            v = p.get("value", "")
            out.append((p["key"], v if isinstance(v, str) else _param_str(v)))
        return out

    def log(self, metrics=(), params=(), tags=()):
        with self.lock:
            for k, v in params:
                if k in self.logged_params and self.params.get(k) != v:
                    raise invalid(
                        "Changing param values is not allowed. Param with key='%s' was already logged with value='%s' "
                        "for run ID='%s'. Attempted logging new value '%s'." % (k, self.params.get(k), self.id, v)
                    )
            lines = []
            for k, v in params:
                self.logged_params.add(k)
                if self.params.get(k) == v:
                    continue
                launched = self.launch.get(k)
                if launched is not None and v.strip() != "":
                    try:
                        if float(launched) == float(v):
                            continue
                    except ValueError:
                        pass
                self.params[k] = v
                lines.append({"type": "param", "k": k, "v": v})
            for k, v in tags:
                self.tags[k] = v
                lines.append({"type": "tag", "k": k, "v": v})
            self._append("metrics.jsonl", list(metrics))
            self._append("logged.jsonl", lines)
            for m in metrics:
                cur = self.latest.get(m["k"])
                if cur is None or (m["s"], m["t"], m["v"]) > (cur["s"], cur["t"], cur["v"]):
                    self.latest[m["k"]] = m

    def info(self):
        info = {
            "run_id": self.id,
            "run_uuid": self.id,
            "run_name": self.name,
            "experiment_id": self.experiment_id,
            "user_id": self.tags.get("mlflow.user", ""),
            "status": self.status,
            "start_time": self.start_time,
            "artifact_uri": "mlflow-artifacts:/%s/%s/artifacts" % (self.experiment_id, self.id),
            "lifecycle_stage": "active",
        }
        if self.end_time is not None:
            info["end_time"] = self.end_time
        return info

    def json(self):
        with self.lock:
            metrics = [{"key": m["k"], "value": m["v"], "timestamp": m["t"], "step": m["s"]} for m in self.latest.values()]
            params = [{"key": k, "value": v} for k, v in self.params.items()]
            tags = [{"key": k, "value": v} for k, v in self.tags.items()]
            if "mlflow.runName" not in self.tags:
                tags.append({"key": "mlflow.runName", "value": self.name})
            return {"info": self.info(), "data": {"metrics": metrics, "params": params, "tags": tags}, "inputs": {"dataset_inputs": []}}

    def experiment_json(self):
        return {
            "experiment_id": self.experiment_id,
            "name": self.experiment,
            "artifact_location": "mlflow-artifacts:/%s" % self.experiment_id,
            "lifecycle_stage": "active",
            "creation_time": self.start_time,
            "last_update_time": self.start_time,
            "tags": [],
        }


STATUSES = ("RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED")


def handle(run, method, path, body):
    """The answer (a dict) to one API call, or raises MlflowError."""
    now = int(time.time() * 1000)
    experiments = {run.experiment: run.experiment_json(), "Default": experiment_json_default(run)}
    if path == "experiments/get-by-name":
        name = body.get("experiment_name")
        if not isinstance(name, str) or not name:
            raise invalid("Missing value for required parameter 'experiment_name'.")
        if name not in experiments:
            raise MlflowError(404, "RESOURCE_DOES_NOT_EXIST", "Could not find experiment with name '%s'" % name)
        return {"experiment": experiments[name]}
    if path == "experiments/get":
        eid = body.get("experiment_id")
        for e in experiments.values():
            if e["experiment_id"] == eid:
                return {"experiment": e}
        raise MlflowError(404, "RESOURCE_DOES_NOT_EXIST", "No Experiment with id=%s exists" % eid)
    if path == "experiments/create":
        name = body.get("name")
        if not isinstance(name, str) or not name:
            raise invalid("Missing value for required parameter 'name'.")
        if name in experiments:
            raise MlflowError(400, "RESOURCE_ALREADY_EXISTS", "Experiment '%s' already exists." % name)
        raise invalid(
            "On a remote target the script logs into its launched run (experiment '%s'): set the experiment when "
            "launching (mlw run --experiment NAME)." % run.experiment
        )
    if path == "runs/create":
        raise invalid(
            "On a remote target the script logs into its launched run %s: use MLFLOW_RUN_ID (mlflow.start_run() "
            "does), nested runs are not supported there." % run.id
        )
    if path == "runs/get":
        run.check_run(body)
        return {"run": run.json()}
    run.check_run(body)
    if path == "runs/update":
        status = body.get("status")
        if status is not None and status not in STATUSES:
            raise invalid("Invalid run status '%s'." % status)
        with run.lock:
            if status:
                run.status = status
                run.end_time = None if status in ("RUNNING", "SCHEDULED") else int(body.get("end_time") or now)
            if isinstance(body.get("run_name"), str) and body["run_name"]:
                run.name = body["run_name"]
        return {"run_info": run.info()}
    if path == "runs/log-metric":
        run.log(metrics=[run.metric(body, now)])
        return {}
    if path == "runs/log-parameter":
        run.log(params=run.key_values([body], "param"))
        return {}
    if path == "runs/set-tag":
        run.log(tags=run.key_values([body], "tag"))
        return {}
    if path == "runs/log-batch":
        metrics = [run.metric(m, now) for m in body.get("metrics") or []]
        params = run.key_values(body.get("params"), "param")
        keys = [k for k, _ in params]
        dupes = sorted(set(k for k in keys if keys.count(k) > 1))
        if dupes:
            raise invalid("Duplicate parameter keys have been submitted: [%s]." % ", ".join("'%s'" % k for k in dupes))
        run.log(metrics=metrics, params=params, tags=run.key_values(body.get("tags"), "tag"))
        return {}
    if path == "runs/log-inputs":
        return {}
    raise MlflowError(404, "ENDPOINT_NOT_FOUND", "This endpoint on a remote target does not serve %s %s" % (method, path))


def experiment_json_default(run):
    e = run.experiment_json()
    if run.experiment == "Default":
        return e
    e = dict(e, experiment_id="0", name="Default", artifact_location="mlflow-artifacts:/0")
    return e


def make_handler(run, token):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):
            pass

        def _send(self, status, obj):
            data = json.dumps(obj, allow_nan=True).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _authorized(self):
            h = self.headers.get("Authorization") or ""
            if hmac.compare_digest(h.encode("utf-8"), ("Bearer " + token).encode("utf-8")):
                return True
            if h.startswith("Basic "):
                try:
                    user_pass = base64.b64decode(h[6:]).decode("utf-8")
                except ValueError:
                    return False
                return hmac.compare_digest(user_pass.partition(":")[2].encode("utf-8"), token.encode("utf-8"))
            return False

        def _serve(self, method):
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            path, _, query = self.path.partition("?")
            prefix = PREFIX if path.startswith(PREFIX) else ALT_PREFIX if path.startswith(ALT_PREFIX) else None
            if prefix is None:
                return self._send(404, {"error_code": "ENDPOINT_NOT_FOUND", "message": "Not an MLflow API path: %s" % path})
            if not self._authorized():
                return self._send(401, {"error_code": "UNAUTHENTICATED", "message": "Set MLFLOW_TRACKING_TOKEN."})
            try:
                if method == "GET":
                    from urllib.parse import parse_qs

                    body = {k: v[0] for k, v in parse_qs(query).items()}
                else:
                    body = json.loads(raw.decode("utf-8") or "{}")
                    if not isinstance(body, dict):
                        raise invalid("The request body must be a JSON object.")
                self._send(200, handle(run, method, path[len(prefix):], body))
            except MlflowError as e:
                self._send(e.status, {"error_code": e.code, "message": e.message})
            except ValueError as e:
                self._send(400, {"error_code": "MALFORMED_REQUEST", "message": str(e)})
            except OSError as e:
                self._send(500, {"error_code": "INTERNAL_ERROR", "message": "Cannot write to %s: %s" % (run.dir, e)})

        def do_GET(self):
            self._serve("GET")

        def do_POST(self):
            self._serve("POST")

        def do_PATCH(self):
            self._serve("PATCH")

    return Handler


def main(argv):
    if len(argv) != 3:
        sys.stderr.write("usage: mlw_mlflow_endpoint.py RUN_DIR OUT_FILE\n")
        return 2
    run_dir, out = argv[1], argv[2]
    run = RemoteRun(run_dir, os.environ)
    token = secrets.token_hex(32)
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(run, token))
    server.daemon_threads = True
    tmp = out + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write("%d %s %s\n" % (server.server_address[1], token, run.experiment_id))
    os.replace(tmp, out)
    parent = os.getppid()

    def watch_parent():
        # Ends with job.sh, even when job.sh is killed before it can stop this process.
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(0)

    threading.Thread(target=watch_parent, daemon=True).start()
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
