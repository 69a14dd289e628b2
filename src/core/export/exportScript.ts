/**
 * The Python program that exports a PyTorch file to ONNX. It is written to a temporary file and run as
 * `<interpreter> <script> <params.json>`: every value the user typed reaches it only through that JSON file,
 * never as Python source. It reports on stdout with one marker line, `MLW-EXPORT-RESULT {...}` or
 * `MLW-EXPORT-ERROR {"kind": ..., "message": ...}`; everything else it (and torch) prints is log output.
 */
export const RESULT_MARKER = 'MLW-EXPORT-RESULT ';
export const ERROR_MARKER = 'MLW-EXPORT-ERROR ';

export const EXPORT_SCRIPT = String.raw`# Written by ML Workbench: exports a PyTorch file to ONNX. Parameters come from the JSON file in argv[1].
import importlib
import inspect
import json
import sys
import traceback


def report(marker, payload):
    sys.stdout.write(marker + json.dumps(payload) + "\n")
    sys.stdout.flush()


def fail(kind, message):
    report(${JSON.stringify(ERROR_MARKER)}, {"kind": kind, "message": message})
    sys.exit(1)


def last_line(error):
    """The last non-empty line of an exception's message: torch puts the cause there, after its traceback."""
    lines = [l.strip() for l in str(error).splitlines() if l.strip()]
    text = lines[-1] if lines else type(error).__name__
    return text[:500]


def first_lines(error, n=3):
    lines = [l.strip() for l in str(error).splitlines() if l.strip()]
    return " ".join(lines[:n])[:500] or type(error).__name__


with open(sys.argv[1], encoding="utf-8") as f:
    params = json.load(f)

workspace = params.get("workspace")
if workspace and workspace not in sys.path:
    sys.path.insert(0, workspace)

try:
    import torch
except ImportError as e:
    fail("torch-missing", "%s: %s" % (type(e).__name__, e))

print("torch %s, Python %s (%s)" % (torch.__version__, sys.version.split()[0], sys.executable), flush=True)


def torch_load(path, weights_only):
    kwargs = {"map_location": "cpu"}
    if "weights_only" in inspect.signature(torch.load).parameters:
        kwargs["weights_only"] = weights_only
    elif weights_only:
        print("this torch has no weights_only: torch.load unpickles the file", flush=True)
    return torch.load(path, **kwargs)


def import_class(spec):
    module_name, _, class_name = spec.partition(":")
    try:
        module = importlib.import_module(module_name)
    except Exception as e:
        traceback.print_exc()
        fail("class-not-importable", "cannot import %s: %s: %s" % (module_name, type(e).__name__, last_line(e)))
    target = module
    for part in class_name.split("."):
        target = getattr(target, part, None)
        if target is None:
            fail("class-not-importable", "module %s has no %s" % (module_name, class_name))
    return target


def state_dict_of(obj):
    if isinstance(obj, torch.nn.Module):
        return obj.state_dict()
    if isinstance(obj, dict):
        for key in ("state_dict", "model_state_dict", "model"):
            inner = obj.get(key)
            if isinstance(inner, dict) and inner and all(isinstance(v, torch.Tensor) for v in inner.values()):
                print("using the checkpoint's %r entry as the state dict" % key, flush=True)
                return inner
        return obj
    fail("load-failed", "the file holds a %s, not a state dict" % type(obj).__name__)


path = params["file"]
kind = params["kind"]
if kind == "torchscript":
    try:
        model = torch.jit.load(path, map_location="cpu")
    except Exception as e:
        traceback.print_exc()
        fail("load-failed", "torch.jit.load failed: %s" % last_line(e))
elif kind == "module":
    try:
        model = torch_load(path, False)
    except (ImportError, AttributeError) as e:
        traceback.print_exc()
        fail("class-not-importable", "unpickling the module needs its class: %s" % last_line(e))
    except Exception as e:
        traceback.print_exc()
        fail("load-failed", "torch.load failed: %s" % last_line(e))
    if not isinstance(model, torch.nn.Module):
        fail("load-failed", "the file holds a %s, not a whole module: export it as a state dict with its model class" % type(model).__name__)
elif kind == "state-dict":
    cls = import_class(params["className"])
    try:
        model = cls(**(params.get("kwargs") or {}))
    except Exception as e:
        traceback.print_exc()
        fail("constructor-failed", "%s(**kwargs) failed: %s: %s" % (params["className"], type(e).__name__, last_line(e)))
    if not isinstance(model, torch.nn.Module):
        fail("class-not-importable", "%s is not a torch.nn.Module" % params["className"])
    try:
        state = state_dict_of(torch_load(path, True))
    except Exception as e:
        traceback.print_exc()
        fail("load-failed", "torch.load failed: %s" % last_line(e))
    try:
        model.load_state_dict(state)
    except Exception as e:
        fail("state-dict-mismatch", "the state dict does not fit %s: %s" % (params["className"], first_lines(e)))
else:
    fail("bad-parameter", "unknown kind %r" % kind)

model.eval()

DTYPES = {
    "float32": torch.float32, "float16": torch.float16, "float64": torch.float64, "bfloat16": torch.bfloat16,
    "int64": torch.int64, "int32": torch.int32, "int8": torch.int8, "uint8": torch.uint8, "bool": torch.bool,
}
torch.manual_seed(0)
inputs = []
for spec in params["inputs"]:
    dtype = DTYPES[spec["dtype"]]
    if dtype.is_floating_point:
        inputs.append(torch.randn(spec["shape"]).to(dtype))
    else:
        inputs.append(torch.zeros(spec["shape"], dtype=dtype))


def flatten(value):
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, (list, tuple)):
        return [t for v in value for t in flatten(v)]
    if isinstance(value, dict):
        return [t for v in value.values() for t in flatten(v)]
    return []


shapes_text = "; ".join("%s %s" % (",".join(str(d) for d in s["shape"]), s["dtype"]) for s in params["inputs"])
try:
    with torch.no_grad():
        outputs = flatten(model(*inputs))
except Exception as e:
    traceback.print_exc()
    fail("shape-mismatch", "the model does not run on inputs of shape %s: %s" % (shapes_text, last_line(e)))
if not outputs:
    fail("export-failed", "the model returns no tensors")

input_names = params["inputNames"]
output_names = list(params.get("outputNames") or [])
if not output_names:
    output_names = ["output"] if len(outputs) == 1 else ["output_%d" % i for i in range(len(outputs))]
while len(output_names) < len(outputs):
    output_names.append("output_%d" % len(output_names))
output_names = output_names[: len(outputs)]

dynamic_axes = {}
for axis in params.get("dynamicAxes") or []:
    names = input_names + output_names if axis["tensor"] == "*" else [axis["tensor"]]
    for name in names:
        if name not in input_names and name not in output_names:
            fail("bad-parameter", "dynamic axis on %r: the model's inputs are %s and its outputs %s" % (name, ", ".join(input_names), ", ".join(output_names)))
        dynamic_axes.setdefault(name, {})[int(axis["axis"])] = axis["label"]

print("exporting with opset %d to %s" % (params["opset"], params["output"]), flush=True)
try:
    torch.onnx.export(
        model,
        tuple(inputs),
        params["output"],
        input_names=input_names,
        output_names=output_names,
        dynamic_axes=dynamic_axes or None,
        opset_version=params["opset"],
        do_constant_folding=True,
    )
except Exception as e:
    traceback.print_exc()
    fail("export-failed", "torch.onnx.export failed: %s" % last_line(e))

report(${JSON.stringify(RESULT_MARKER)}, {
    "torch": torch.__version__,
    "inputs": [{"name": n, "shape": list(t.shape), "dtype": s["dtype"]} for n, t, s in zip(input_names, inputs, params["inputs"])],
    "outputs": [{"name": n, "shape": list(t.shape), "dtype": str(t.dtype).replace("torch.", "")} for n, t in zip(output_names, outputs)],
    "dynamicAxes": {k: {str(a): l for a, l in v.items()} for k, v in dynamic_axes.items()},
})
`;
