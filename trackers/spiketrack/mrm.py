"""Memory-retrieval modules (MRM): how template information reaches the search branch.

Template side (run once per template update): pool the template features to the head grid, add
position embeddings, spike, project to k (C) and v (4C), spike, and form the per-head memory
``M = k^T v`` of shape ``[T, B, heads, C/heads, 4C/heads]``. The search side reads the memory with a
spiking query repeated over the T template steps, refines the query once through per-step
depthwise/pointwise "segment responders", reads again, fuses the T reads with a channel-wise gate
(T > 1) and projects back. The template branch never sees the search image, so caching M is exact.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from trackers.spiketrack.blocks import (SpikeMLP, add_residual, add_position, conv_bn, merge_heads, scale_twice,
                                        split_heads)
from trackers.spiketrack.neuron import NILIFNeuron


def _pool_to(x: torch.Tensor, size: int) -> torch.Tensor:
    """Adaptive average pool ``[T, B, C, H, W]`` to ``size x size``."""
    T, B = x.shape[:2]
    y = F.adaptive_avg_pool2d(x.flatten(0, 1), (size, size))
    return y.reshape(T, B, *y.shape[1:])


def _upsample_to(x: torch.Tensor, h: int, w: int) -> torch.Tensor:
    """Bilinear (align_corners=False) resize of ``[T, B, C, H, W]`` to ``h x w``."""
    T, B = x.shape[:2]
    y = F.interpolate(x.flatten(0, 1), size=(h, w), mode="bilinear", align_corners=False)
    return y.reshape(T, B, *y.shape[1:])


class TemporalGate(nn.Module):
    """Channel-wise fusion of the T template reads (official ``GateModule``, mode 'channel').

    Per (batch, channel): the H*W responses at each step go through Conv1d(HW->HW/2), an NI-LIF
    neuron over the T steps and Conv1d(HW/2->1); a softmax over T weights the steps.
    """

    def __init__(self, grid: int):
        super().__init__()
        n = grid * grid
        self.mlp = nn.Sequential(nn.Conv1d(n, n // 2, 1), NILIFNeuron(), nn.Conv1d(n // 2, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        T, B, C, H, W = x.shape
        tokens = x.reshape(T, B, C, H * W).permute(1, 2, 3, 0).reshape(B * C, H * W, T)
        hidden = self.mlp[0](tokens)                                  # [B*C, HW/2, T]
        hidden = self.mlp[1](hidden.permute(2, 0, 1)).permute(1, 2, 0)  # neuron over T
        logits = self.mlp[2](hidden).reshape(B, C, T)
        weights = F.softmax(logits, dim=-1)
        return weighted_sum_over_steps(x, weights)


def weighted_sum_over_steps(x: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """``(x.permute(1, 2, 0, 3, 4) * weights[..., None, None]).sum(dim=2)`` (official fuc.py GateModule):
    ``x`` ``[T, B, C, H, W]``, ``weights`` ``[B, C, T]`` -> ``[B, C, H, W]``.

    In float32/float64 the products are formed in ``x``'s own layout and added step by step,
    ((p0 + p1) + p2), the order of the official reduction over the size-T middle axis (equal bit for bit,
    tests/test_spiketrack.py); a middle-axis ``sum`` over a permuted product is several times slower."""
    if x.dtype not in (torch.float32, torch.float64):
        return (x.permute(1, 2, 0, 3, 4) * weights[..., None, None]).sum(dim=2)
    p = x * weights.permute(2, 0, 1)[..., None, None]
    out = p[0]  # accumulated in place: p is fresh and its steps 1.. are read before nothing overwrites them
    for t in range(1, p.shape[0]):
        out.add_(p[t])
    return out


class Retriever(nn.Module):
    """Cross-branch linear attention with a cached template memory (official ``Retriever``)."""

    def __init__(self, dim: int, grid: int, num_templates: int, num_heads: int = 8,
                 value_ratio: int = 4):
        super().__init__()
        self.num_heads = num_heads
        self.scale = (dim // num_heads) ** -0.5
        self.grid = grid
        self.num_templates = num_templates
        vdim = dim * value_ratio
        norm = nn.BatchNorm2d
        self.head_spike = NILIFNeuron()
        self.q_conv = conv_bn(dim, dim, norm)
        self.k_conv = conv_bn(dim, dim, norm)
        self.v_conv = conv_bn(dim, vdim, norm)
        self.q_spike = NILIFNeuron()
        self.k_spike = NILIFNeuron()
        self.v_spike = NILIFNeuron()
        self.attn_spike = NILIFNeuron()
        self.proj_conv = conv_bn(vdim, dim, norm)
        self.gate = TemporalGate(grid)
        self.gate_spike = NILIFNeuron()
        self.seg_responder_dw = nn.ModuleList([
            conv_bn(vdim, vdim, norm, kernel_size=3, padding=1, groups=vdim) for _ in range(num_templates)])
        self.seg_responder_pw = nn.ModuleList([conv_bn(vdim, dim, norm) for _ in range(num_templates)])
        self.fuser = conv_bn(dim, dim, norm)
        self.seg_pw_spike = NILIFNeuron()
        self.seg_dw_spike = NILIFNeuron()
        self.fuser_spike = NILIFNeuron()
        self.s_pos_embed = nn.Parameter(torch.zeros(1, dim, grid * grid))
        self.t_pos_embeds = nn.ParameterList([nn.Parameter(torch.zeros(1, dim, grid * grid))
                                              for _ in range(4)])

    def _to_grid(self, x: torch.Tensor) -> torch.Tensor:
        return _pool_to(x, self.grid) if x.shape[-2] != self.grid else x

    def memory(self, template: torch.Tensor) -> torch.Tensor:
        """Template memory ``k^T v``: ``[T, B, heads, C/heads, 4C/heads]`` from ``[T, B, C, H, W]``."""
        template = self._to_grid(template)
        T, B, C, H, W = template.shape
        x = self.head_spike(add_position(template, "template", self.s_pos_embed, self.t_pos_embeds))
        x = x.flatten(0, 1)
        v = self.v_spike(self.v_conv(x).reshape(T, B, -1, H * W))  # v before k: official hook order
        k = self.k_spike(self.k_conv(x).reshape(T, B, C, H * W))
        return split_heads(k, self.num_heads).transpose(-2, -1) @ split_heads(v, self.num_heads)

    def _read(self, q: torch.Tensor, memory: torch.Tensor) -> torch.Tensor:
        """``[T, B, C, N]`` spiking query -> ``[T, B, 4C, N]`` memory read."""
        return merge_heads(scale_twice(split_heads(q, self.num_heads) @ memory, self.scale))

    def forward(self, search: torch.Tensor, memory: torch.Tensor) -> torch.Tensor:
        """Retrieve template information for ``search`` ([1, B, C, H, W]) from ``memory``."""
        _, _, _, Hs, Ws = search.shape
        s = self._to_grid(search)
        _, B, C, H, W = s.shape
        T = memory.shape[0]
        s = self.head_spike(add_position(s, "search", self.s_pos_embed, self.t_pos_embeds))
        q_pre = self.q_conv(s.flatten(0, 1)).reshape(1, B, C, H, W)  # shortcut for the refinement
        q = self.q_spike(q_pre.reshape(1, B, C, H * W).expand(T, B, C, H * W).contiguous())
        x = self._read(q, memory)
        # one recurrent refinement of the query
        q = self.q_spike(x.reshape(T, B, -1, H, W))
        steps = min(T, len(self.seg_responder_dw))
        q = torch.stack([self.seg_responder_dw[t](q[t]) for t in range(steps)], dim=0)
        q = self.seg_dw_spike(q)
        q = torch.stack([self.seg_responder_pw[t](q[t]) for t in range(steps)], dim=0)
        q = self.seg_pw_spike(q_pre + q)
        q = self.fuser(q.flatten(0, 1)).reshape(steps, B, C, H * W)
        x = self._read(self.fuser_spike(q), memory)
        x = self.attn_spike(x.reshape(T, B, -1, H, W))
        if T > 1:
            x = self.gate_spike(self.gate(x).unsqueeze(0))
        y = self.proj_conv(x.flatten(0, 1)).reshape(1, B, C, H, W)
        if (Hs, Ws) != (H, W):
            y = _upsample_to(y, Hs, Ws)
        return y


class MemoryRetrieval(nn.Module):
    """MRM: ``search += Retriever(search, memory)``, then ``search += MLP(search)`` (trainable BN)."""

    def __init__(self, dim: int, grid: int, num_templates: int, mlp_ratio: int = 4):
        super().__init__()
        self.retriever = Retriever(dim, grid, num_templates)
        self.mlp = SpikeMLP(dim, dim * mlp_ratio, frozen=False)

    def memory(self, template: torch.Tensor) -> torch.Tensor:
        return self.retriever.memory(template)

    def forward(self, search: torch.Tensor, memory: torch.Tensor) -> torch.Tensor:
        search = add_residual(self.retriever(search, memory), search)
        return add_residual(self.mlp(search), search)
