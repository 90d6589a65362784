"""Pipeline primitives shared by the crop-and-search trackers (SpikeTrack, OSTrack, SSTrack, ...).

These reproduce the test-time conventions of the OSTrack family of code bases exactly, because
small differences here (banker's rounding of the crop corner, the one-pixel padding quirk at the
right/bottom edge, a float32 Hann window) change every box of a trajectory:

- :func:`sample_target` cuts a square crop of side ``ceil(sqrt(w*h) * factor)`` centred on a box,
  zero-pads where it leaves the image and resizes it (``cv2.INTER_LINEAR``).
- :func:`normalize_crop` turns an RGB uint8 crop into a normalised ``[1,3,H,W]`` tensor.
- :func:`hann1d` / :func:`hann2d` build the cosine window multiplied into the score map.
- :func:`map_box_back` maps a (cx,cy,w,h) box predicted in crop pixels back to image pixels.
- :func:`clip_box` clips an (x,y,w,h) box into the image with a minimum size ``margin``.
- :func:`box_from_maps` decodes the centre head's score/size/offset maps into a normalised box.

Boxes are python lists/tuples of floats, (x, y, w, h) in image pixels unless said otherwise.
"""
from __future__ import annotations

import math
from typing import Sequence

import cv2
import numpy as np
import torch

__all__ = [
    "IMAGENET_MEAN",
    "IMAGENET_STD",
    "sample_target",
    "crop_mask",
    "normalize_crop",
    "hann1d",
    "hann2d",
    "map_box_back",
    "clip_box",
    "crop_box_to_image",
    "box_from_maps",
]

#: ImageNet normalisation used by every tracker of the family.
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def _crop_geometry(box: Sequence[float], factor: float, image_hw: tuple[int, int]):
    """Crop side and the (x1, y1) corner plus the four paddings, as the official code computes them."""
    x, y, w, h = (float(v) for v in box)
    crop_sz = math.ceil(math.sqrt(w * h) * factor)
    if not crop_sz >= 1:  # also catches NaN
        raise ValueError(f"box {list(box)} is too small to crop (crop side {crop_sz})")
    # Python round() is round-half-to-even, as in the official code.
    x1 = round(x + 0.5 * w - crop_sz * 0.5)
    y1 = round(y + 0.5 * h - crop_sz * 0.5)
    x2, y2 = x1 + crop_sz, y1 + crop_sz
    H, W = image_hw
    x1_pad = max(0, -x1)
    y1_pad = max(0, -y1)
    # The "+1" pads one zero column/row as soon as the crop reaches the right/bottom edge
    # (inherited quirk of the OSTrack-family code; kept for identical crops).
    x2_pad = max(x2 - W + 1, 0)
    y2_pad = max(y2 - H + 1, 0)
    return crop_sz, x1, y1, x2, y2, x1_pad, y1_pad, x2_pad, y2_pad


def sample_target(image: np.ndarray, box: Sequence[float], factor: float,
                  output_size: int | None = None) -> tuple[np.ndarray, float]:
    """Square crop of side ``ceil(sqrt(w*h)*factor)`` centred on ``box``, resized to ``output_size``.

    Args:
        image: HxWx3 uint8 image (RGB).
        box: target box (x, y, w, h) in image pixels.
        factor: crop side / sqrt(target area), e.g. 4.0 for SpikeTrack, 2.0 / 4.0 for OSTrack.
        output_size: side of the returned crop; ``None`` keeps the crop unresized.

    Returns:
        (crop, resize_factor) where ``resize_factor = output_size / crop_side`` (1.0 without resize).

    Raises:
        ValueError: when the box is so small (or NaN) that the crop side is < 1 pixel.
    """
    crop_sz, x1, y1, x2, y2, x1_pad, y1_pad, x2_pad, y2_pad = _crop_geometry(box, factor, image.shape[:2])
    patch = image[y1 + y1_pad:y2 - y2_pad, x1 + x1_pad:x2 - x2_pad, :]
    if patch.size == 0:
        # Crop entirely outside the image: the official slicing yields an empty array and
        # copyMakeBorder would fail; an all-zero crop is what the padding would have produced.
        patch = np.zeros((crop_sz, crop_sz, image.shape[2]), dtype=image.dtype)
    else:
        patch = cv2.copyMakeBorder(patch, y1_pad, y2_pad, x1_pad, x2_pad, cv2.BORDER_CONSTANT)
    if output_size is None:
        return patch, 1.0
    resize_factor = output_size / crop_sz
    patch = cv2.resize(patch, (output_size, output_size))
    return patch, resize_factor


def crop_mask(image_hw: tuple[int, int], box: Sequence[float], factor: float,
              output_size: int | None = None) -> np.ndarray:
    """Padding mask of :func:`sample_target`'s crop (True where the crop lies outside the image).

    Same convention as OSTrack's ``att_mask`` (resized with ``cv2.INTER_LINEAR`` then cast to bool).
    """
    crop_sz, _, _, _, _, x1_pad, y1_pad, x2_pad, y2_pad = _crop_geometry(box, factor, image_hw)
    mask = np.ones((crop_sz, crop_sz), dtype=np.float64)
    end_y = -y2_pad if y2_pad > 0 else None
    end_x = -x2_pad if x2_pad > 0 else None
    mask[y1_pad:end_y, x1_pad:end_x] = 0
    if output_size is not None:
        mask = cv2.resize(mask, (output_size, output_size))
    return mask.astype(np.bool_)


def normalize_crop(crop: np.ndarray, device: str | torch.device = "cpu",
                   dtype: torch.dtype = torch.float32,
                   mean: Sequence[float] = IMAGENET_MEAN,
                   std: Sequence[float] = IMAGENET_STD) -> torch.Tensor:
    """RGB uint8 HxWx3 crop -> ``[1,3,H,W]`` tensor ``((crop/255) - mean) / std`` in ``dtype``."""
    t = torch.from_numpy(np.ascontiguousarray(crop)).to(device=device, dtype=dtype)
    t = t.permute(2, 0, 1).unsqueeze(0)
    m = torch.tensor(mean, device=device, dtype=dtype).view(1, 3, 1, 1)
    s = torch.tensor(std, device=device, dtype=dtype).view(1, 3, 1, 1)
    return ((t / 255.0) - m) / s


def hann1d(size: int, centered: bool = True) -> torch.Tensor:
    """1-D cosine window of length ``size`` in float32 (the official precision).

    ``centered=True``: ``0.5*(1-cos(2*pi*k/(size+1)))`` for k = 1..size (no zero end points).
    ``centered=False``: the window of pytracking whose peak is at index 0 (wrap-around layout).
    """
    if centered:
        k = torch.arange(1, size + 1).float()
        return 0.5 * (1 - torch.cos((2 * math.pi / (size + 1)) * k))
    k = torch.arange(0, size // 2 + 1).float()
    half = 0.5 * (1 + torch.cos((2 * math.pi / (size + 2)) * k))
    return torch.cat([half, half[1:size - size // 2].flip((0,))])


def hann2d(size: int | Sequence[int], centered: bool = True) -> torch.Tensor:
    """2-D cosine window ``[1,1,H,W]`` (outer product of two :func:`hann1d`), float32."""
    if isinstance(size, int):
        h = w = size
    else:
        h, w = (int(v) for v in size)
    return hann1d(h, centered).reshape(1, 1, -1, 1) * hann1d(w, centered).reshape(1, 1, 1, -1)


def map_box_back(pred_box: Sequence[float], prev_box: Sequence[float], crop_size: int,
                 resize_factor: float) -> list[float]:
    """Map a (cx, cy, w, h) box given in image-scale pixels relative to the crop back to the image.

    ``pred_box`` is the network's normalised box already multiplied by ``crop_size / resize_factor``
    (so it is in image pixels but with the crop's top-left as origin). ``prev_box`` is the (x,y,w,h)
    state the crop was centred on. Returns (x, y, w, h) in image pixels.
    """
    cx_prev = prev_box[0] + 0.5 * prev_box[2]
    cy_prev = prev_box[1] + 0.5 * prev_box[3]
    cx, cy, w, h = pred_box
    half_side = 0.5 * crop_size / resize_factor
    cx_real = cx + (cx_prev - half_side)
    cy_real = cy + (cy_prev - half_side)
    return [cx_real - 0.5 * w, cy_real - 0.5 * h, w, h]


def crop_box_to_image(norm_box: Sequence[float], prev_box: Sequence[float], crop_size: int,
                      resize_factor: float) -> list[float]:
    """Normalised (cx, cy, w, h) box in [0,1] crop coordinates -> (x, y, w, h) image pixels."""
    scale = crop_size / resize_factor
    return map_box_back([float(v) * scale for v in norm_box], prev_box, crop_size, resize_factor)


def clip_box(box: Sequence[float], H: int, W: int, margin: float = 0) -> list[float]:
    """Clip an (x, y, w, h) box into a WxH image, keeping at least ``margin`` pixels of size.

    Official rule: ``x1 = min(max(0,x1), W-margin)``, ``x2 = min(max(margin,x2), W)``,
    ``w = max(margin, x2-x1)``; likewise for y/h.
    """
    x1, y1, w, h = box
    x2, y2 = x1 + w, y1 + h
    x1 = min(max(0, x1), W - margin)
    x2 = min(max(margin, x2), W)
    y1 = min(max(0, y1), H - margin)
    y2 = min(max(margin, y2), H)
    w = max(margin, x2 - x1)
    h = max(margin, y2 - y1)
    return [x1, y1, w, h]


def box_from_maps(score_map: torch.Tensor, size_map: torch.Tensor, offset_map: torch.Tensor,
                  feat_size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Box at the arg-max of a centre head's score map, and that maximum score.

    ``score_map [B,1,F,F]``, ``size_map`` and ``offset_map [B,2,F,F]`` -> ``(box [B,4], score [B,1])``
    with ``box = (cx, cy, w, h)`` normalised to the search crop: ``cx = (ix + offset_x) / F``,
    ``cy = (iy + offset_y) / F``, ``(w, h) = size_map[:, :, iy, ix]``.

    Ties: the first index of the maximum in row-major order wins, as ``torch.max(dim=...)`` returns it
    (and as the official ``cal_bbox`` of the OSTrack family relies on). The integer cell index is cast
    to float32 before adding the offset, as the official code does, so float64 maps stay bit-exact.
    """
    max_score, idx = torch.max(score_map.flatten(1), dim=1, keepdim=True)
    iy = torch.div(idx, feat_size, rounding_mode="floor")
    ix = idx % feat_size
    gather_idx = idx.unsqueeze(1).expand(idx.shape[0], 2, 1)
    size = size_map.flatten(2).gather(2, gather_idx).squeeze(-1)
    offset = offset_map.flatten(2).gather(2, gather_idx).squeeze(-1)
    box = torch.cat([(ix.to(torch.float) + offset[:, :1]) / feat_size,
                     (iy.to(torch.float) + offset[:, 1:]) / feat_size, size], dim=1)
    return box, max_score
