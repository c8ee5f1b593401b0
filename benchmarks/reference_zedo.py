"""A faithful eager-PyTorch reference of the official ZeDO release's inference loop, for timing.

It reproduces what the release does per batch (run/opt_main.py and its helpers), written anew:
- initial pose optimisation: 500 Adam steps (lr 0.1) on a quaternion restricted to one axis
  (here the camera's vertical y axis, as zedo's clusters are camera-frame) and a depth scale
  clamped to [0.5, 2] on a 3 m pelvis ray, L1 loss on the projected pelvis and hips;
- 1000 iterations of: ray projection with a translation from the 3x3 normal equations (inverted
  with torch.inverse, rows weighted by score^2, kept fixed for the first fifth), then one
  probability-flow Euler step of the prior (dt = 1/1000, t from 0.1 to 0.01), including the
  release's per-iteration round trip of the poses through a NumPy array.
Same network and weights as zedo (zedo.training.model.ScoreNet). Shapes and units as zedo.runtime.
"""

from __future__ import annotations

import torch

from zedo.runtime.core.sde import SDEConfig, beta, diffusion_sq, marginal_std


def _quat_y_to_matrix(w: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Rotation matrices (B, 3, 3) of quaternions (w, 0, y, 0) normalised: rotations about y."""
    n = w * w + y * y
    two = 2.0 / n
    zero, one = torch.zeros_like(w), torch.ones_like(w)
    rows = [
        torch.stack([one - two * y * y, zero, two * w * y], -1),
        torch.stack([zero, one, zero], -1),
        torch.stack([-two * w * y, zero, one - two * y * y], -1),
    ]
    return torch.stack(rows, -2)


def reference_ipo(init: torch.Tensor, keypoints: torch.Tensor, K: torch.Tensor, steps: int = 500):
    """500 Adam steps of the release's RotOpt; returns rotated poses (B, 17, 3) and T (B, 3)."""
    b = init.shape[0]
    pelvis = torch.cat([keypoints[:, 0], torch.ones(b, 1)], -1)
    T0 = (torch.inverse(K) @ pelvis[:, :, None])[..., 0]
    T0 = T0 / T0.norm(dim=-1, keepdim=True) * 3.0
    w = torch.ones(b, requires_grad=True)
    y = torch.zeros(b, requires_grad=True)
    scale = torch.ones(b, requires_grad=True)
    opt = torch.optim.Adam([w, y, scale], lr=0.1)
    keys = [0, 1, 4]
    for _ in range(steps):
        opt.zero_grad()
        R = _quat_y_to_matrix(w, y)
        cam = init[:, keys] @ R.transpose(1, 2) + (T0 * scale.clamp(0.5, 2.0)[:, None])[:, None]
        uvw = cam @ K.transpose(1, 2)
        loss = (uvw[..., :2] / uvw[..., 2:] - keypoints[:, keys]).abs().mean()
        loss.backward()
        opt.step()
    with torch.no_grad():
        R = _quat_y_to_matrix(w, y)
        return init @ R.transpose(1, 2), T0 * scale.clamp(0.5, 2.0)[:, None]


def reference_loop(model, init, keypoints, scores, K, iterations: int = 1000, sde: SDEConfig = SDEConfig()):
    """The release's loop on torch tensors; returns camera-frame poses (B, 17, 3) as NumPy."""
    init, keypoints, scores, K = (torch.as_tensor(a, dtype=torch.float32) for a in (init, keypoints, scores, K))
    x, T = reference_ipo(init, keypoints, K)
    b = x.shape[0]
    conf = scores.clamp(1e-4, 1.0)
    homog = torch.cat([keypoints, torch.ones(b, 17, 1)], -1)
    rays = (torch.inverse(K) @ homog.transpose(1, 2)).transpose(1, 2)
    rays = rays / rays[..., 2:]
    unit_rays = rays / rays.norm(dim=-1, keepdim=True)
    ts = torch.linspace(sde.t_max, sde.t_min, iterations)
    with torch.no_grad():
        for i in range(iterations):
            if i >= iterations // 5:
                A = torch.zeros(b, 34, 3)
                rhs = torch.zeros(b, 34, 1)
                A[:, 0::2, 0], A[:, 0::2, 2] = -1, rays[..., 0]
                A[:, 1::2, 1], A[:, 1::2, 2] = -1, rays[..., 1]
                rhs[:, 0::2, 0] = x[..., 0] - x[..., 2] * rays[..., 0]
                rhs[:, 1::2, 0] = x[..., 1] - x[..., 2] * rays[..., 1]
                wgt = (conf * conf).repeat_interleave(2, dim=1)[..., None]
                A, rhs = A * wgt, rhs * wgt
                T = (torch.inverse(A.transpose(1, 2) @ A) @ (A.transpose(1, 2) @ rhs))[..., 0]
                T = torch.where(T[:, 2:] < 0, -T, T)
            cam = x + T[:, None]
            x = x + (cam * unit_rays).sum(-1, keepdim=True) * unit_rays - cam
            t = float(ts[i])
            eps = model(x, torch.full((b,), t))
            score = -eps / marginal_std(t, sde)
            drift = -0.5 * beta(t, sde) * x - 0.5 * diffusion_sq(t, sde) * score
            x_mean = x - drift / 1000.0
            # The release returns each step's result through NumPy and wraps it in a new tensor.
            x = torch.tensor(x_mean.cpu().numpy())
    return (x + T[:, None]).numpy()
