"""The shipped model's weights, read back from its ONNX file into the torch network.

usage: python -m qly_train.onnx_weights MODEL.onnx OUT_CHECKPOINT.pt [--image FRAME.jpg]

No torch checkpoint of the shipped model is committed (models/train.sh writes it to the
scratch folder models/work/run/), only the ONNX export. The export folded every BatchNorm into
the convolution before it (torch's eval-mode ONNX export), so the file holds:

- the plain 1x1 convolutions by their module names (`net.lat6.weight`, ..., `net.reg.bias`);
- for each conv + BatchNorm pair (`conv_bn`, and the second half of a `Residual`) one fused
  weight and bias under an anonymous name (`onnx::Conv_326`, ...).

Both are mapped onto `CenterNet` by the order in which its convolutions run (a forward hook on
each), which is the order of the graph's Conv nodes (the export traced that forward); a named
initializer must carry its module's name, and every shape must agree, or loading fails. A fused
pair goes back into the pair as conv weight = fused weight, BatchNorm = identity scale with the
fused bias as its shift (running mean 0, running variance 1 - eps, so the normalisation divides
by exactly 1). The network then computes what the ONNX file computes, as long as its BatchNorms
stay in eval mode: fine-tuning keeps them frozen (`freeze_batchnorm`), training their scale and
shift only, and the export folds them again.

`verify` runs the torch network and ONNX Runtime on one image and returns the largest
difference of the two raw heads (heat logits, box regression) and of the end2end output rows.
"""

import argparse
import json
import sys

import numpy as np
import onnx
import onnx.numpy_helper
import torch
import torch.nn as nn

from . import CLASS_NAMES
from .net import CenterNet, EndToEnd


class WeightMapError(ValueError):
    """The ONNX file's initializers do not map one to one onto the network."""


def conv_execution_order(net, input_hw=(64, 64)):
    """Names of the network's Conv2d modules in the order its forward pass runs them."""
    order = []
    hooks = [m.register_forward_hook(lambda mod, i, o, n=name: order.append(n)) for name, m in net.named_modules() if isinstance(m, nn.Conv2d)]
    try:
        with torch.no_grad():
            net.eval()(torch.zeros(1, 3, *input_hw))
    finally:
        for h in hooks:
            h.remove()
    return order


def _bn_after(net, conv_name):
    """The BatchNorm that follows conv `conv_name` in its Sequential (`stem.0` -> `stem.1`), if any."""
    parent, _, idx = conv_name.rpartition(".")
    if not idx.isdigit():
        return None, None
    bn_name = f"{parent}.{int(idx) + 1}" if parent else str(int(idx) + 1)
    bn = dict(net.named_modules()).get(bn_name)
    return (bn_name, bn) if isinstance(bn, nn.BatchNorm2d) else (None, None)


def weight_map(model_proto, net):
    """[(conv module name, bn module name or None, onnx weight name, onnx bias name)], one per
    Conv node, checked: same count, named initializers name their module, shapes agree."""
    inits = {i.name: i for i in model_proto.graph.initializer}
    nodes = [n for n in model_proto.graph.node if n.op_type == "Conv"]
    convs = conv_execution_order(net)
    if len(nodes) != len(convs):
        raise WeightMapError(f"the ONNX graph has {len(nodes)} Conv nodes, the network {len(convs)} convolutions")
    modules = dict(net.named_modules())
    out, used = [], set()
    for node, conv_name in zip(nodes, convs):
        if len(node.input) != 3:
            raise WeightMapError(f"Conv node {node.name}: expected input, weight and bias (a folded or biased conv), got {len(node.input)} inputs")
        w_name, b_name = node.input[1], node.input[2]
        for n in (w_name, b_name):
            if n not in inits:
                raise WeightMapError(f"Conv node {node.name}: {n} is not an initializer")
            if n in used:
                raise WeightMapError(f"initializer {n} used by two convolutions")
            used.add(n)
        if w_name.startswith("net.") and w_name != f"net.{conv_name}.weight":
            raise WeightMapError(f"Conv node {node.name}: initializer {w_name} in the place of module {conv_name}")
        conv = modules[conv_name]
        bn_name, bn = _bn_after(net, conv_name)
        if (bn is None) == (conv.bias is None):
            raise WeightMapError(f"{conv_name}: expected either a bias or a BatchNorm after it")
        w_shape, b_shape = tuple(inits[w_name].dims), tuple(inits[b_name].dims)
        if w_shape != tuple(conv.weight.shape) or b_shape != (conv.out_channels,):
            raise WeightMapError(f"{conv_name}: ONNX {w_name} {w_shape} / {b_name} {b_shape}, network {tuple(conv.weight.shape)} / ({conv.out_channels},)")
        out.append((conv_name, bn_name, w_name, b_name))
    unused = set(inits) - used
    # The export head's own constants are not weights; everything that looks like one must be used.
    stray = sorted(n for n in unused if n.startswith(("net.", "onnx::Conv")))
    if stray:
        raise WeightMapError(f"initializers not mapped onto the network: {', '.join(stray)}")
    return out


def load_onnx_weights(onnx_path, num_classes=len(CLASS_NAMES)):
    """A CenterNet holding the ONNX file's weights (BatchNorms as identity plus shift), and the map used."""
    model = onnx.load(onnx_path)
    net = CenterNet(num_classes)
    mapping = weight_map(model, net)
    inits = {i.name: onnx.numpy_helper.to_array(i) for i in model.graph.initializer}
    modules = dict(net.named_modules())
    with torch.no_grad():
        for conv_name, bn_name, w_name, b_name in mapping:
            conv = modules[conv_name]
            conv.weight.copy_(torch.from_numpy(inits[w_name].copy()))
            bias = torch.from_numpy(inits[b_name].copy())
            if bn_name is None:
                conv.bias.copy_(bias)
            else:
                bn = modules[bn_name]
                bn.weight.fill_(1.0)
                bn.bias.copy_(bias)
                bn.running_mean.zero_()
                bn.running_var.fill_(1.0 - bn.eps)
    return net.eval(), mapping


def freeze_batchnorm(net):
    """BatchNorms in eval mode (running statistics fixed) inside a network in train mode: call
    after every `net.train()`. Their scale and shift still learn."""
    for m in net.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.eval()
    return net


def _with_head_outputs(model):
    """The ONNX model with the heat and regression convolutions' outputs as extra graph outputs."""
    m = onnx.ModelProto()
    m.CopyFrom(model)
    heads = {}
    for node in m.graph.node:
        if node.op_type == "Conv" and node.input[1] in ("net.heat.weight", "net.reg.weight"):
            heads[node.input[1].split(".")[1]] = node.output[0]
    if set(heads) != {"heat", "reg"}:
        raise WeightMapError("no Conv nodes with net.heat.weight / net.reg.weight in the graph")
    for k in ("heat", "reg"):
        m.graph.output.append(onnx.helper.make_tensor_value_info(heads[k], onnx.TensorProto.FLOAT, None))
    return m, [heads["heat"], heads["reg"]]


def verify(net, onnx_path, image_chw):
    """Max |torch - ONNX Runtime| on one image (float32 CHW in 0..1, the model's input size):
    heat logits, regression, and the end2end rows scoring above 0.05."""
    import onnxruntime as ort

    model, head_names = _with_head_outputs(onnx.load(onnx_path))
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    x = np.ascontiguousarray(image_chw[None].astype(np.float32))
    e2e, heat_o, reg_o = sess.run([sess.get_outputs()[0].name, *head_names], {"images": x})
    net = net.eval()
    with torch.no_grad():
        t = torch.from_numpy(x)
        heat_t, reg_t = net(t)
        e2e_t = EndToEnd(net).eval()(t).numpy()
    conf = e2e[0, :, 4] > 0.05
    return dict(
        heat_max_abs_diff=float(np.abs(heat_t.numpy() - heat_o).max()),
        reg_max_abs_diff=float(np.abs(reg_t.numpy() - reg_o).max()),
        end2end_max_abs_diff=float(np.abs(e2e_t[0, conf] - e2e[0, conf]).max()) if conf.any() else 0.0,
        end2end_rows_compared=int(conf.sum()),
    )


def image_input(path, input_h, input_w):
    """A photo as the companion feeds it: letterboxed into the model input, CHW float 0..1."""
    from .data import read_rgb
    from .tiling import letterbox

    img, _, _, _ = letterbox(read_rgb(path), input_w, input_h)
    return img.transpose(2, 0, 1).astype(np.float32) / 255.0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model")
    ap.add_argument("out", help="checkpoint to write (a state dict, as train.py writes)")
    ap.add_argument("--image", help="a photo to check torch against ONNX Runtime on (default: models/testdata/scene.jpg)")
    ap.add_argument("--tolerance", type=float, default=1e-4)
    a = ap.parse_args(argv)
    net, mapping = load_onnx_weights(a.model)
    meta = {p.key: p.value for p in onnx.load(a.model, load_external_data=False).metadata_props}
    spec = json.loads(meta["qly_detector"])
    import os

    image = a.image or os.path.join(os.path.dirname(__file__), "..", "testdata", "scene.jpg")
    diff = verify(net, a.model, image_input(image, spec["input_height_px"], spec["input_width_px"]))
    worst = max(diff["heat_max_abs_diff"], diff["reg_max_abs_diff"], diff["end2end_max_abs_diff"])
    report = dict(model=a.model, convolutions_mapped=len(mapping), image=image, tolerance=a.tolerance, **diff)
    print(json.dumps(report))
    if worst > a.tolerance:
        print(f"{a.model}: torch and ONNX Runtime differ by {worst:.3g} > {a.tolerance}", file=sys.stderr)
        return 1
    torch.save(net.state_dict(), a.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
