"""Export a trained torch module to ONNX, with metadata naming the run that produced it."""
import io

import onnx
import torch

OPSET = 13


def export_onnx(module, example_inputs, path, input_names, output_names, metadata):
    """Writes `module` to `path` as ONNX with a dynamic batch axis on every input and output,
    then adds `metadata` (str -> str) as the model's metadata_props and checks the result."""
    module.eval()
    buffer = io.BytesIO()
    dynamic_axes = {name: {0: "batch"} for name in list(input_names) + list(output_names)}
    with torch.no_grad():
        torch.onnx.export(
            module,
            example_inputs,
            buffer,
            input_names=list(input_names),
            output_names=list(output_names),
            dynamic_axes=dynamic_axes,
            opset_version=OPSET,
        )
    model = onnx.load_from_string(buffer.getvalue())
    del model.metadata_props[:]
    for key, value in sorted(metadata.items()):
        entry = model.metadata_props.add()
        entry.key = str(key)
        entry.value = str(value)
    onnx.checker.check_model(model)
    onnx.save(model, path)
    return model


def read_metadata(path):
    """The metadata_props of an ONNX file as a dict."""
    return {p.key: p.value for p in onnx.load(path, load_external_data=False).metadata_props}
