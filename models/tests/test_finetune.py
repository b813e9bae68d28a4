"""Unit tests of the fine-tuning pieces: weights read back from an ONNX export, the replay mix,
the refusal gate, a dataset split as an evaluation set. torch and onnx: the training venv
(never CI).

usage: cd models && python -m unittest discover -s tests
"""

import json
import os
import sys
import tempfile
import unittest

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from qly_train import gate  # noqa: E402


def metrics(outfall, plume, frames=16, worlds=("world-9001",)):
    return dict(
        worlds=list(worlds),
        frames=frames,
        boxes={
            n: dict(AP50=ap, truth_boxes=10, threshold=0.3, precision_at_threshold=0.8, recall_at_threshold=0.9)
            for n, ap in (("outfall", outfall), ("plume", plume))
        },
    )


def random_net(seed):
    """A CenterNet whose BatchNorms have non-trivial statistics and affine terms (as a trained
    one has), so that folding them in the export matters."""
    import torch

    from qly_train.net import CenterNet

    torch.manual_seed(seed)
    net = CenterNet()
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 2.0)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.1, 0.1)
    return net.eval()


class OnnxWeights(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        import torch

        from qly_train.export import export

        cls.tmp = tempfile.TemporaryDirectory()
        cls.net = random_net(3)
        ckpt = os.path.join(cls.tmp.name, "net.pt")
        torch.save(cls.net.state_dict(), ckpt)
        cls.onnx_path = os.path.join(cls.tmp.name, "net.onnx")
        export(ckpt, cls.onnx_path, 128, 192, 100, "test")

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_every_convolution_maps_one_to_one_and_the_forward_equals_onnx_runtime(self):
        import torch

        from qly_train.onnx_weights import load_onnx_weights, verify

        net, mapping = load_onnx_weights(self.onnx_path)
        self.assertEqual(len(mapping), sum(1 for m in net.modules() if isinstance(m, torch.nn.Conv2d)))
        self.assertEqual(len({m[2] for m in mapping}), len(mapping))  # no initializer twice
        # The named 1x1 convolutions keep their names; conv+BN pairs are the anonymous ones.
        named = {c: w for c, bn, w, _ in mapping if bn is None}
        self.assertEqual(named["heat"], "net.heat.weight")
        self.assertTrue(all(bn is not None and not w.startswith("net.") for c, bn, w, _ in mapping if c.startswith("stem")))
        x = np.random.default_rng(0).random((3, 128, 192), dtype=np.float32)
        diff = verify(net, self.onnx_path, x)
        self.assertLess(diff["heat_max_abs_diff"], 1e-4)
        self.assertLess(diff["reg_max_abs_diff"], 1e-4)
        self.assertLess(diff["end2end_max_abs_diff"], 1e-3)
        # And the original torch network (unfolded BatchNorms) computes the same heads.
        with torch.no_grad():
            t = torch.from_numpy(x[None])
            for a, b in zip(self.net(t), net(t)):
                self.assertLess(float((a - b).abs().max()), 1e-4)

    def test_frozen_batchnorm_keeps_the_shipped_function_in_train_mode(self):
        import torch

        from qly_train.onnx_weights import freeze_batchnorm, load_onnx_weights

        net, _ = load_onnx_weights(self.onnx_path)
        x = torch.rand(2, 3, 128, 128, generator=torch.Generator().manual_seed(1))
        with torch.no_grad():
            want = net.eval()(x)[0]
            got = freeze_batchnorm(net.train())(x)[0]
        self.assertLess(float((want - got).abs().max()), 1e-5)
        # Without freezing, batch statistics change the output: the freeze is what keeps it.
        with torch.no_grad():
            loose = net.train()(x)[0]
        self.assertGreater(float((want - loose).abs().max()), 1e-2)

    def test_a_model_of_another_shape_is_refused(self):
        import onnx

        from qly_train.net import CenterNet
        from qly_train.onnx_weights import WeightMapError, weight_map

        with self.assertRaises(WeightMapError) as e:
            weight_map(onnx.load(self.onnx_path), CenterNet(num_classes=3))
        self.assertIn("heat", str(e.exception))


class ReplayMix(unittest.TestCase):
    def test_replay_split(self):
        from qly_train.finetune import replay_split

        self.assertEqual(replay_split(8, 0.5), (4, 4))
        self.assertEqual(replay_split(8, 0.25), (6, 2))
        self.assertEqual(replay_split(8, 0.01), (7, 1))  # some replay when asked for any
        self.assertEqual(replay_split(8, 0.0), (8, 0))
        self.assertEqual(replay_split(8, 1.0), (0, 8))
        with self.assertRaises(ValueError):
            replay_split(8, 1.5)

    def test_a_batch_holds_new_crops_then_replay_crops(self):
        from qly_train.data import FrameBank
        from qly_train.finetune import mixed_batch

        # New frames dark with a box; replay frames bright without boxes: a crop's brightness
        # says where it came from (flips and transposes keep it).
        new = FrameBank([np.full((600, 800, 3), 10, np.uint8)], [np.array([[0, 100, 100, 140, 130]], np.float32)])
        replay = FrameBank([np.full((600, 800, 3), 240, np.uint8)] * 2, [np.zeros((0, 5), np.float32)] * 2)
        ims, boxes, ignores = mixed_batch(new, replay, 3, 5, 256, 1.0, np.random.default_rng(0))
        self.assertEqual(ims.shape, (8, 256, 256, 3))
        self.assertEqual([int(im.mean()) for im in ims], [10] * 3 + [240] * 5)
        self.assertTrue(all(len(b) == 1 for b in boxes[:3]))  # targeted crops hold the box
        self.assertTrue(all(len(b) == 0 for b in boxes[3:]))
        self.assertEqual(len(ignores), 8)


class UndecidedClasses(unittest.TestCase):
    def test_a_class_absent_from_a_labelled_frame_is_ignored_and_a_hard_negative_keeps_all(self):
        import torch

        from qly_train.data import IGNORE_HEAT, FrameBank
        from qly_train.finetune import ignore_classes, unknown_classes

        bank = FrameBank(
            [np.zeros((8, 8, 3), np.uint8)] * 3,
            [np.array([[0, 1, 1, 3, 3]], np.float32), np.zeros((0, 5), np.float32), np.array([[1, 1, 1, 3, 3], [0, 4, 4, 6, 6]], np.float32)],
        )
        got = unknown_classes(bank, [0, 1, 2, 0], 2)
        self.assertEqual(got, [(0, 1), (3, 1)])  # outfall-only frames: plume unknown
        heat = torch.zeros(4, 2, 4, 4)
        heat[0, 1, 2, 2] = 1.0
        ignore_classes(heat, got)
        self.assertTrue(bool((heat[0, 1] >= IGNORE_HEAT).all()))
        self.assertEqual(float(heat[0, 1, 2, 2]), 1.0)  # a peak stays a positive
        self.assertEqual(float(heat[0, 0].max()), 0.0)  # the labelled class is still taught
        self.assertEqual(float(heat[1].max()), 0.0)  # the hard negative teaches background

    def test_new_crops_report_their_frames(self):
        from qly_train.data import FrameBank
        from qly_train.finetune import mixed_batch

        new = FrameBank([np.zeros((300, 300, 3), np.uint8)] * 2, [np.zeros((0, 5), np.float32)] * 2)
        picked = []
        mixed_batch(new, new, 3, 2, 256, 0.0, np.random.default_rng(0), picked)
        self.assertEqual(len(picked), 3)
        self.assertTrue(all(k in (0, 1) for k in picked))


class Gate(unittest.TestCase):
    def test_a_drop_over_the_margin_in_either_class_refuses(self):
        base = metrics(0.92, 0.92)
        ok, reasons, drops = gate.verdict(base, metrics(0.90, 0.95), 0.02)
        self.assertTrue(ok, reasons)
        self.assertEqual(drops, {"outfall": 0.02, "plume": -0.03})
        ok, reasons, _ = gate.verdict(base, metrics(0.95, 0.899), 0.02)
        self.assertFalse(ok)
        self.assertEqual(len(reasons), 1)
        self.assertIn("plume", reasons[0])

    def test_main_writes_both_models_figures_and_exits_3_when_refused(self):
        with tempfile.TemporaryDirectory() as d:
            paths = {}
            for k, m in dict(sb=metrics(0.92, 0.92), sn=metrics(0.85, 0.93), nb=metrics(0.5, 0.4, frames=30, worlds=("val",)), nn=metrics(0.8, 0.7, frames=30, worlds=("val",))).items():
                paths[k] = os.path.join(d, k + ".json")
                with open(paths[k], "w") as f:
                    json.dump(m, f)
            out = os.path.join(d, "card.json")
            rc = gate.main([out, "--margin", "0.02", "--set", "synthetic", paths["sb"], paths["sn"], "--set", "new-data", paths["nb"], paths["nn"]])
            self.assertEqual(rc, gate.REFUSED)
            with open(out) as f:
                card = json.load(f)
            self.assertFalse(card["accepted"])
            self.assertEqual(card["sets"]["new-data"]["finetuned"]["outfall"]["AP50"], 0.8)
            self.assertEqual(card["sets"]["synthetic"]["ap50_drop"]["outfall"], 0.07)
            # Accepted with a wider margin.
            self.assertEqual(gate.main([out, "--margin", "0.1", "--set", "synthetic", paths["sb"], paths["sn"]]), 0)
            # Two models measured on different frames cannot be compared.
            with self.assertRaises(SystemExit):
                gate.main([out, "--set", "synthetic", paths["sb"], paths["nn"]])


class DatasetSplit(unittest.TestCase):
    def test_one_split_of_a_review_dataset_loads_by_itself(self):
        from PIL import Image

        from qly_train.data import load_dataset

        with tempfile.TemporaryDirectory() as d:
            for split, label in (("train", "0 0.5 0.5 0.1 0.1\n"), ("val", "1 0.25 0.5 0.2 0.2\n")):
                os.makedirs(os.path.join(d, "images", split, "flight-a"))
                os.makedirs(os.path.join(d, "labels", split, "flight-a"))
                Image.new("RGB", (40, 20)).save(os.path.join(d, "images", split, "flight-a", "p1.jpg"))
                with open(os.path.join(d, "labels", split, "flight-a", "p1.txt"), "w") as f:
                    f.write(label)
            self.assertEqual(len(load_dataset(d, 2)), 2)
            val = load_dataset(os.path.join(d, "images", "val"), 2)
            self.assertEqual(len(val), 1)
            self.assertEqual(val[0].boxes.tolist(), [[1.0, 6.0, 8.0, 14.0, 12.0]])


if __name__ == "__main__":
    unittest.main()
