"""Training parameters: params.yaml, overridden by `--name=value` (or `--name value`) arguments.

ML Workbench passes the params of a run as `--name=value` arguments, so a run launched with
`lr=0.01` trains with lr 0.01 whatever params.yaml says. Overrides take the type of the value
in params.yaml (int, float, bool, str); unknown names are an error, so a typo does not go unseen.
"""
import os

import yaml

PARAMS_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "params.yaml")


def _convert(name, text, default):
    if isinstance(default, bool):
        low = text.strip().lower()
        if low in ("1", "true", "yes", "on"):
            return True
        if low in ("0", "false", "no", "off"):
            return False
        raise ValueError("param %s must be true or false, not %r" % (name, text))
    if isinstance(default, int):
        try:
            return int(text)
        except ValueError:
            number = float(text)  # "10.0" is accepted for an int param
            if number != int(number):
                raise ValueError("param %s must be a whole number, not %r" % (name, text))
            return int(number)
    if isinstance(default, float):
        return float(text)
    return text


def parse_overrides(argv, defaults):
    """Turns ["--lr=0.1", "--epochs", "3"] into {"lr": 0.1, "epochs": 3}, typed after `defaults`."""
    out = {}
    i = 0
    while i < len(argv):
        arg = argv[i]
        if not arg.startswith("--"):
            raise ValueError("unexpected argument %r: params are given as --name=value" % arg)
        body = arg[2:]
        if "=" in body:
            name, text = body.split("=", 1)
        else:
            if i + 1 >= len(argv):
                raise ValueError("param --%s has no value" % body)
            name, text = body, argv[i + 1]
            i += 1
        name = name.replace("-", "_")
        if name not in defaults:
            raise ValueError("unknown param %r; known: %s" % (name, ", ".join(sorted(defaults))))
        out[name] = _convert(name, text, defaults[name])
        i += 1
    return out


def load_params(argv=(), path=PARAMS_FILE):
    """The params of this run: params.yaml with the command-line overrides applied."""
    with open(path) as f:
        defaults = yaml.safe_load(f) or {}
    if not isinstance(defaults, dict):
        raise ValueError("%s must hold a mapping of names to values" % path)
    params = dict(defaults)
    params.update(parse_overrides(list(argv), defaults))
    return params
