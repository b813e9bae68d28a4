"""Unit tests of the pipeline's pure parts (torch for the target and export-head tests: the training venv).

usage: cd models && python -m unittest discover -s tests
"""

import math
import os
import sys
import unittest

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from qly_train import geo  # noqa: E402
from qly_train.evaluate import average_precision  # noqa: E402
from qly_train.tiling import TilingConfig, letterbox, nms_per_class, plan_tiles, resize_bilinear  # noqa: E402


class Tiling(unittest.TestCase):
    def test_slice_counts_match_the_companion(self):
        # companion/src/detect/tiling.rs `slice_counts_match_sahi`
        cfg = TilingConfig(slice_px=640, overlap_ratio=0.2)
        self.assertEqual(len(plan_tiles(4000, 3000, cfg)), 48)
        self.assertEqual(len(plan_tiles(3840, 2160, cfg)), 32)
        self.assertEqual(len(plan_tiles(1920, 1080, cfg)), 8)
        self.assertEqual(plan_tiles(500, 300, cfg), [(0, 0, 500, 300)])
        xs = [t[0] for t in plan_tiles(1920, 1080, cfg) if t[1] == 0]
        self.assertEqual(xs, [0, 512, 1024, 1280])

    def test_letterbox_geometry_matches_the_companion(self):
        # companion/src/detect/letterbox.rs `geometry_matches_ultralytics_vectors` (pad left, top)
        for (w, h), (pl, pt) in {(4000, 3000): (0, 80), (5472, 3648): (0, 106), (300, 400): (80, 0)}.items():
            _, _, got_l, got_t = letterbox(np.zeros((h, w, 3), np.uint8), 640, 640)
            self.assertEqual((got_l, got_t), (pl, pt))
        # Exactly half: each output pixel is the mean of a 2x2 block.
        img = np.arange(16, dtype=np.uint8).reshape(4, 4, 1).repeat(3, 2) * 10
        half = resize_bilinear(img, 2, 2)
        self.assertEqual(int(half[0, 0, 0]), round((0 + 10 + 40 + 50) / 4))

    def test_nms_keeps_one_per_overlapping_group_per_class(self):
        dets = [(0, 0.9, 0, 0, 10, 10), (0, 0.5, 1, 0, 11, 10), (1, 0.8, 0, 0, 10, 10), (0, 0.7, 5, 0, 15, 10)]
        kept = nms_per_class(dets, 0.7)
        self.assertEqual([d[1] for d in kept], [0.9, 0.8, 0.7])


class Geo(unittest.TestCase):
    cam = dict(width_px=2048, height_px=1536, cx=1024.0, cy=768.0, fx=1493.68, fy=1493.68)

    def test_nadir_centre_is_below_the_camera_and_top_is_ahead(self):
        pose = dict(alt_amsl_m=80.0, yaw_deg=90.0, tilt_deg=0.0)
        ne = geo.pixels_to_ground([(1024, 768), (1024, 0)], self.cam, pose, 0.0)
        self.assertTrue(np.allclose(ne[0], [0, 0], atol=1e-9))
        # Image top looks forward: heading 90 is east.
        self.assertAlmostEqual(ne[1][0], 0.0, places=6)
        self.assertAlmostEqual(ne[1][1], 80.0 * 768 / 1493.68, places=6)

    def test_tilt_moves_the_centre_forward(self):
        pose = dict(alt_amsl_m=100.0, yaw_deg=0.0, tilt_deg=20.0)
        n, e = geo.pixels_to_ground([(1024, 768)], self.cam, pose, 0.0)[0]
        self.assertAlmostEqual(n, 100.0 * math.tan(math.radians(20)), places=6)
        self.assertAlmostEqual(e, 0.0, places=6)

    def test_ground_to_pixels_inverts_pixels_to_ground(self):
        pose = dict(alt_amsl_m=70.0, yaw_deg=-35.0, tilt_deg=15.0)
        px = np.array([[10.0, 20.0], [2000.0, 1500.0], [1024.0, 768.0]])
        ne = geo.pixels_to_ground(px, self.cam, pose, 5.0)
        en = np.stack([ne[:, 1] + 3.0, ne[:, 0] - 4.0], 1)
        back = geo.ground_to_pixels(en, self.cam, pose, (3.0, -4.0), 5.0)
        self.assertTrue(np.allclose(back, px, atol=1e-6))

    def test_a_target_is_found_by_its_point_only(self):
        target = dict(id="plume-001", cls=1, en=np.array([10.0, 20.0]))
        self.assertAlmostEqual(geo.target_distance(target, np.array([13.0, 24.0])), 5.0)


class Metrics(unittest.TestCase):
    def test_average_precision(self):
        truth = [np.array([[0, 0, 0, 10, 10]], np.float32), np.array([[0, 0, 0, 10, 10]], np.float32)]
        # A hit, then a false positive, then the second hit: AP = 0.5 * 1 + 0.5 * 2/3.
        dets = [[(0, 0.9, 0, 0, 10, 10), (0, 0.8, 50, 50, 60, 60)], [(0, 0.7, 1, 0, 11, 10)]]
        ap, n_gt, _, _ = average_precision(dets, truth, 0)
        self.assertEqual(n_gt, 2)
        self.assertAlmostEqual(ap, 0.5 + 0.5 * 2 / 3)
        self.assertEqual(average_precision(dets, truth, 1)[0], None)




class SharedCentres(unittest.TestCase):
    """An outfall's mouth is its plume's source: both boxes share a centre cell."""

    def test_targets_keep_each_class_s_own_size_at_a_shared_centre(self):
        from qly_train.data import make_targets

        outfall = [0, 100, 100, 124, 124]  # 24 px
        plume = [1, 52, 52, 172, 172]  # 120 px, same centre
        _, reg, mask = make_targets([np.array([outfall, plume], np.float32)], [np.zeros((0, 5), np.float32)], 256, 2)
        self.assertEqual(tuple(reg.shape), (1, 8, 64, 64))
        self.assertEqual(float(mask[0, 0, 28, 28]), 1.0)
        self.assertEqual(float(mask[0, 1, 28, 28]), 1.0)
        self.assertAlmostEqual(math.exp(float(reg[0, 0, 28, 28])) * 4, 24.0, places=4)
        self.assertAlmostEqual(math.exp(float(reg[0, 4, 28, 28])) * 4, 120.0, places=4)

    def test_export_head_reads_the_peak_s_own_class_regression(self):
        import torch
        import torch.nn.functional as F

        from qly_train.net import STRIDE, CenterNet, EndToEnd

        torch.manual_seed(0)
        net = CenterNet(2).eval()
        x = torch.rand(1, 3, 128, 128)
        with torch.no_grad():
            heat, reg = net(x)
            rows = EndToEnd(net, 10)(x)[0]
        h = torch.sigmoid(heat)
        peaks = h * (F.max_pool2d(h, 3, 1, 1) == h)
        for row in rows[:5]:
            cls = int(row[5])
            gy, gx = (int(v) for v in (peaks[0, cls] == row[4]).nonzero()[0])
            r = reg[0, 4 * cls : 4 * cls + 4, gy, gx]
            self.assertAlmostEqual(float(row[2] - row[0]), float(torch.exp(r[0]) * STRIDE), places=3)
            self.assertAlmostEqual(float(row[3] - row[1]), float(torch.exp(r[1]) * STRIDE), places=3)
            self.assertAlmostEqual(float(row[0] + row[2]) / 2, (gx + float(r[2])) * STRIDE, places=3)


class Precision(unittest.TestCase):
    def test_losses_of_bfloat16_outputs_agree_with_float32(self):
        # What autocast hands the losses: bfloat16 heatmaps and regressions, confident background
        # (p = 0.0025) and confident peaks.
        import torch

        from qly_train.data import make_targets
        from qly_train.train import losses

        boxes = [np.array([[0, 30, 30, 50, 50]], np.float32)]
        heat_t, reg_t, mask = make_targets(boxes, [np.zeros((0, 5), np.float32)], 128, 2)
        heat = torch.full(heat_t.shape, -6.0)
        heat[heat_t == 1] = 2.0
        reg = torch.zeros(reg_t.shape)

        def net(dtype):
            return lambda _x: (heat.to(dtype), reg.to(dtype))

        ref = losses(net(torch.float32), None, heat_t, reg_t, mask)
        got = losses(net(torch.bfloat16), None, heat_t, reg_t, mask)
        for r, g in zip(ref, got):
            self.assertEqual(g.dtype, torch.float32)
            self.assertLess(abs(float(g) - float(r)), 0.02 * abs(float(r)) + 1e-4)

    def test_photometric_noise_keeps_the_batch_shape_and_range(self):
        from qly_train.data import to_tensor

        imgs = np.full((2, 64, 48, 3), 128, np.uint8)
        x = to_tensor(imgs, np.random.default_rng(0))
        self.assertEqual(tuple(x.shape), (2, 3, 64, 48))
        self.assertGreater(float(x.std()), 0.0)
        self.assertTrue(bool(((x >= 0) & (x <= 1)).all()))


if __name__ == "__main__":
    unittest.main()
