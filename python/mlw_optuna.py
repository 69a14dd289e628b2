"""mlw_optuna: the Optuna driver of ML Workbench's Bayesian sweeps (`mlw sweep --method tpe`, Run Sweep...).

Shipped with ML Workbench and run by it, never by hand; it needs Optuna (Debian python3-optuna).
It never runs a trial itself: ML Workbench launches every trial as an ordinary run and tells this
process what happened, through Optuna's ask/tell interface.

    python3 mlw_optuna.py serve   CONFIG_JSON   JSON lines: one request on stdin, one reply on stdout
    python3 mlw_optuna.py summary CONFIG_JSON   one JSON object: the study's trials, best value, importances

CONFIG_JSON is one argument holding a JSON object (never a shell string):
    {"storage": "/abs/.mlw/studies/NAME.db" (or ":memory:", kept nowhere), "study": "NAME", "direction": "minimize" | "maximize",
     "method": "tpe" | "random", "seed": 0, "parallel": 4, "objective": "val_loss:min",
     "pruner": null | {"kind": "median", "startup": 5, "warmup": 0},
     "space": [{"name": "lr", "type": "float", "low": 1e-5, "high": 0.1, "log": true},
               {"name": "layers", "type": "categorical", "choices": [2, 4, 8]}]}

Requests (serve):
    {"op": "ask"}                                  -> {"trial": N, "params": {...}}
    {"op": "report", "trial": N, "step": S, "value": V, "runDir": D}
                                                   -> {"prune": bool}; when true, D/prune-requested is
                                                      written: the run helper (mlw_run.py) ends the run there
    {"op": "tell", "trial": N, "state": "complete" | "pruned" | "fail" | "stopped", "value": V | null, "runId": ID}
                                                   -> {"best": {"trial": N, "value": V} | null}
    {"op": "close"}                                -> {} and exit
A failure is {"error": CODE, "message": TEXT}; CODE "missing-optuna" when Optuna cannot be imported.
"""

import json
import os
import sys

PRUNE_FILE = "prune-requested"
COUNTED = ("COMPLETE", "PRUNED", "FAIL")


def _out(obj):
    sys.stdout.write(json.dumps(obj, allow_nan=False, default=str) + "\n")
    sys.stdout.flush()


def _fail(code, message, exit_code=2):
    _out({"error": code, "message": message})
    sys.exit(exit_code)


try:
    import optuna
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
    from optuna.trial import TrialState
except ImportError as e:  # one clear reply; ML Workbench turns it into one line naming the package
    _fail("missing-optuna", "%s (interpreter %s)" % (e, sys.executable), 3)

optuna.logging.set_verbosity(optuna.logging.WARNING)
import warnings  # noqa: E402

warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)


def _distributions(space):
    out = {}
    for p in space:
        if p["type"] == "float":
            out[p["name"]] = FloatDistribution(p["low"], p["high"], log=bool(p.get("log")))
        elif p["type"] == "int":
            out[p["name"]] = IntDistribution(int(p["low"]), int(p["high"]), log=bool(p.get("log")))
        else:
            out[p["name"]] = CategoricalDistribution(p["choices"])
    return out


def _signature(cfg):
    """What must not change when a study is resumed: its space, objective and method."""
    return json.dumps({"space": cfg["space"], "objective": cfg["objective"], "method": cfg["method"]}, sort_keys=True)


def _counted(trial):
    return trial.state.name in COUNTED and not trial.user_attrs.get("mlw.stopped")


def _finite(v):
    return v if isinstance(v, (int, float)) and v == v and v not in (float("inf"), float("-inf")) else None


def _load(cfg, create):
    storage = "sqlite:///" + cfg["storage"]
    if not create:
        if not os.path.isfile(cfg["storage"]):
            _fail("no-study", "no study file %s" % cfg["storage"])
        return optuna.load_study(study_name=cfg["study"], storage=storage)
    seed = cfg.get("seed")
    # A resumed study continues with fresh random draws: the same seed would replay the first trials.
    memory = cfg["storage"] == ":memory:"  # tests and benchmarks: nothing kept
    study = optuna.create_study(study_name=cfg["study"], storage=None if memory else storage, direction=cfg["direction"], load_if_exists=True)
    n = len(study.trials)
    sampler_seed = None if seed is None else int(seed) + n
    if cfg["method"] == "random":
        sampler = optuna.samplers.RandomSampler(seed=sampler_seed)
    else:
        sampler = optuna.samplers.TPESampler(seed=sampler_seed, constant_liar=int(cfg.get("parallel") or 1) > 1)
    pruner = optuna.pruners.NopPruner()
    p = cfg.get("pruner")
    if p and p.get("kind") == "median":
        pruner = optuna.pruners.MedianPruner(n_startup_trials=int(p.get("startup", 5)), n_warmup_steps=int(p.get("warmup", 0)))
    if memory:
        study.sampler, study.pruner = sampler, pruner
    else:
        study = optuna.load_study(study_name=cfg["study"], storage=storage, sampler=sampler, pruner=pruner)
    return study, n > 0


def serve(cfg):
    study, resumed = _load(cfg, True)
    sig = _signature(cfg)
    known = study.user_attrs.get("mlw.config")
    if known is None:
        study.set_user_attr("mlw.config", sig)
        study.set_user_attr("mlw.objective", cfg["objective"])
        study.set_user_attr("mlw.method", cfg["method"])
    elif known != sig:
        _fail("mismatch", "study %s was made with %s; give another --study name for a different space, objective or method" % (cfg["study"], known))
    # Trials a previous driver left running (it was killed): they will never be told, so they failed.
    storage = study._storage
    stale = 0
    for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        storage.set_trial_user_attr(t._trial_id, "mlw.stopped", True)
        storage.set_trial_state_values(t._trial_id, TrialState.FAIL)
        stale += 1
    dists = _distributions(cfg["space"])
    counted = sum(1 for t in study.get_trials(deepcopy=False) if _counted(t))
    _out({"ready": True, "trials": counted, "resumed": resumed, "stale": stale, "best": _best(study)})
    trials = {}
    reported = {}
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            req = json.loads(line)
            op = req.get("op")
            if op == "ask":
                t = study.ask(dists)
                trials[t.number] = t
                reported[t.number] = set()
                _out({"trial": t.number, "params": t.params})
            elif op == "report":
                t = trials[req["trial"]]
                step = int(req["step"])
                value = float(req["value"])
                if value != value:  # NaN: Optuna ignores it for pruning; nothing to decide
                    _out({"prune": False})
                    continue
                if step not in reported[t.number]:
                    reported[t.number].add(step)
                    t.report(value, step)
                prune = t.should_prune()
                if prune and req.get("runDir"):
                    with open(os.path.join(req["runDir"], PRUNE_FILE), "w") as f:
                        json.dump({"trial": t.number, "step": step, "value": value}, f)
                _out({"prune": bool(prune)})
            elif op == "tell":
                t = trials.pop(req["trial"])
                reported.pop(t.number, None)
                if req.get("runId"):
                    t.set_user_attr("mlw.run", req["runId"])
                state = req.get("state")
                value = _finite(req.get("value"))
                if state == "complete" and value is not None:
                    study.tell(t, value)
                elif state == "pruned":
                    study.tell(t, state=TrialState.PRUNED)
                else:
                    if state == "stopped":
                        t.set_user_attr("mlw.stopped", True)
                    study.tell(t, state=TrialState.FAIL)
                _out({"best": _best(study)})
            elif op == "close":
                _out({})
                return
            else:
                _out({"error": "bad-request", "message": "unknown op %r" % op})
        except Exception as e:  # the driver stays up: one bad request is one error reply
            _out({"error": "failed", "message": "%s: %s" % (type(e).__name__, e)})


def _best(study):
    try:
        t = study.best_trial
        return {"trial": t.number, "value": _finite(t.value), "params": t.params}
    except ValueError:
        return None


def _simple_importances(trials, names):
    """Without scikit-learn (fANOVA's forest): the share of the objective's variance each parameter explains alone
    (correlation ratio over its values, numeric ones in up to 4 quantile bins), normalised to sum to 1."""
    ys = [t.value for t in trials]
    mean = sum(ys) / len(ys)
    total = sum((y - mean) ** 2 for y in ys)
    if total == 0:
        return None
    raw = {}
    for name in names:
        pairs = [(t.params[name], t.value) for t in trials if name in t.params]
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v, _ in pairs) and len({v for v, _ in pairs}) > 4:
            order = sorted(pairs, key=lambda p: p[0])
            groups = [order[i * len(order) // 4:(i + 1) * len(order) // 4] for i in range(4)]
        else:
            by = {}
            for v, y in pairs:
                by.setdefault(json.dumps(v), []).append((v, y))
            groups = list(by.values())
        between = 0.0
        for g in groups:
            if g:
                m = sum(y for _, y in g) / len(g)
                between += len(g) * (m - mean) ** 2
        raw[name] = between / total
    s = sum(raw.values())
    return {k: (v / s if s else 0.0) for k, v in sorted(raw.items(), key=lambda kv: -kv[1])}


def summary(cfg):
    study = _load(cfg, False)
    trials = study.get_trials(deepcopy=False)
    complete = [t for t in trials if t.state == TrialState.COMPLETE and _finite(t.value) is not None]
    names = sorted({k for t in complete for k in t.params})
    importances, method, note = None, None, None
    if len(complete) >= 2 and names:
        try:
            importances = dict(optuna.importance.get_param_importances(study, evaluator=optuna.importance.FanovaImportanceEvaluator(seed=0)))
            method = "fanova"
        except ImportError:
            importances = _simple_importances(complete, names)
            method = "variance-share"
            note = "scikit-learn is missing (python3-sklearn), so not fANOVA: each parameter's share of the objective's variance"
        except Exception as e:
            note = "%s: %s" % (type(e).__name__, e)
    else:
        note = "importance needs at least 2 completed trials"
    _out({
        "study": study.study_name,
        "direction": study.direction.name.lower(),
        "objective": study.user_attrs.get("mlw.objective"),
        "method": study.user_attrs.get("mlw.method"),
        "trials": [
            {
                "number": t.number,
                "state": t.state.name.lower(),
                "value": _finite(t.value),
                "params": t.params,
                "runId": t.user_attrs.get("mlw.run"),
                "steps": len(t.intermediate_values),
            }
            for t in trials
        ],
        "best": _best(study),
        "importances": {k: _finite(v) or 0.0 for k, v in importances.items()} if importances else None,
        "importanceMethod": method,
        "importanceNote": note,
    })


def main(argv):
    if len(argv) != 3 or argv[1] not in ("serve", "summary"):
        _fail("usage", "usage: mlw_optuna.py serve|summary CONFIG_JSON")
    cfg = json.loads(argv[2])
    try:
        if argv[1] == "serve":
            serve(cfg)
        else:
            summary(cfg)
    except KeyError as e:
        if "Record does not exist" in str(e) or "not found" in str(e).lower():
            _fail("no-study", "no study %s in %s" % (cfg.get("study"), cfg.get("storage")))
        _fail("failed", "KeyError: %s" % e)
    except Exception as e:
        _fail("failed", "%s: %s" % (type(e).__name__, e))


if __name__ == "__main__":
    main(sys.argv)
