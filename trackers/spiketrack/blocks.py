"""Building blocks of the SDT-V3 spiking backbone, in the official parameter layout.

Tensors are ``[T, B, C, H, W]`` throughout (T = time steps: the template count for the template
branch, 1 for the search branch); every convolution runs on ``x.flatten(0, 1)``. Attribute names and
registration order mirror the official modules so that ``state_dict()`` keys (and their order) are the
checkpoint's.
"""
from __future__ import annotations

import torch
from torch import nn

from trackers.spiketrack.neuron import NILIFNeuron

_BN_EPS = 1e-5


def _drop_num_batches_tracked(state_dict: dict, prefix: str) -> None:
    state_dict.pop(prefix + "num_batches_tracked", None)


class FrozenBatchNorm2d(nn.Module):
    """Inference-only batch norm (buffers only): ``x * w/sqrt(rv+eps) + (b - rm*w/sqrt(rv+eps))``."""

    def __init__(self, n: int):
        super().__init__()
        self.register_buffer("weight", torch.ones(n))
        self.register_buffer("bias", torch.zeros(n))
        self.register_buffer("running_mean", torch.zeros(n))
        self.register_buffer("running_var", torch.ones(n))

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):  # noqa: D401
        _drop_num_batches_tracked(state_dict, prefix)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def _affine(self, ndim: int) -> tuple[torch.Tensor, torch.Tensor]:
        shape = (1, -1) + (1,) * (ndim - 2)
        scale = self.weight * (self.running_var + _BN_EPS).rsqrt()
        shift = self.bias - self.running_mean * scale
        return scale.reshape(shape), shift.reshape(shape)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        scale, shift = self._affine(x.ndim)
        if x.requires_grad and torch.is_grad_enabled():
            return x * scale + shift
        # inference: the same two operations in place on the input, which in this network is always
        # the fresh output of the convolution before it (official fuc.py FrozenBatchNorm2d.forward)
        return x.mul_(scale).add_(shift)


class FrozenBatchNorm1d(FrozenBatchNorm2d):
    """The same frozen batch norm for ``[N, C, L]`` inputs."""


def conv_bn(cin: int, cout: int, norm: type[nn.Module], kernel_size: int = 1, stride: int = 1,
            padding: int = 0, groups: int = 1, bias: bool = False) -> nn.Sequential:
    """``Sequential(Conv2d, norm)``: keys ``<name>.0.weight`` and ``<name>.1.*``."""
    return nn.Sequential(
        nn.Conv2d(cin, cout, kernel_size, stride, padding=padding, groups=groups, bias=bias),
        norm(cout),
    )


def add_residual(branch: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """``x + branch`` (bit-identical: addition commutes), in place on the branch output outside autograd;
    ``branch`` must be a fresh tensor nothing else holds."""
    if torch.is_grad_enabled() and (branch.requires_grad or x.requires_grad):
        return x + branch
    return branch.add_(x)


def scale_twice(y: torch.Tensor, scale: float) -> torch.Tensor:
    """``y * scale * 2`` (official attention ``* self.scale * 2``, in that order), in place outside autograd."""
    if torch.is_grad_enabled() and y.requires_grad:
        return y * scale * 2
    return y.mul_(scale).mul_(2)


def _conv_tb(layer: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Apply a 2-D layer to ``[T, B, C, H, W]`` by folding T into the batch."""
    T, B = x.shape[:2]
    y = layer(x.flatten(0, 1))
    return y.reshape(T, B, *y.shape[1:])


class SepConvSpike(nn.Module):
    """Inverted separable conv: spike -> pw 1x1 (C->2C) -> spike -> dw kxk -> spike -> pw 1x1 (2C->C)."""

    def __init__(self, dim: int, expansion: int = 2, kernel_size: int = 7, padding: int = 3):
        super().__init__()
        med = int(expansion * dim)
        self.spike1 = NILIFNeuron()
        self.pwconv1 = conv_bn(dim, med, FrozenBatchNorm2d)
        self.spike2 = NILIFNeuron()
        self.dwconv = conv_bn(med, med, FrozenBatchNorm2d, kernel_size, padding=padding, groups=med)
        self.spike3 = NILIFNeuron()
        self.pwconv2 = conv_bn(med, dim, FrozenBatchNorm2d)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = _conv_tb(self.pwconv1, self.spike1(x))
        x = _conv_tb(self.dwconv, self.spike2(x))
        return _conv_tb(self.pwconv2, self.spike3(x))


class ConvBlockSpike(nn.Module):
    """``MS_ConvBlock_spike_SepConv``: x += SepConv(x); x += BN(conv3x3(spike(BN(conv3x3(spike(x))))))."""

    def __init__(self, dim: int, mlp_ratio: int = 4):
        super().__init__()
        self.Conv = SepConvSpike(dim)
        self.spike1 = NILIFNeuron()
        self.conv1 = nn.Conv2d(dim, dim * mlp_ratio, 3, padding=1, bias=False)
        self.bn1 = FrozenBatchNorm2d(dim * mlp_ratio)
        self.spike2 = NILIFNeuron()
        self.conv2 = nn.Conv2d(dim * mlp_ratio, dim, 3, padding=1, bias=False)
        self.bn2 = FrozenBatchNorm2d(dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = add_residual(self.Conv(x), x)
        y = _conv_tb(lambda t: self.bn1(self.conv1(t)), self.spike1(x))
        y = _conv_tb(lambda t: self.bn2(self.conv2(t)), self.spike2(y))
        return add_residual(y, x)


class SpikeMLP(nn.Module):
    """``MS_MLP``: spike -> Conv1d C->hC + BN1d -> spike -> Conv1d hC->C + BN1d (over H*W tokens)."""

    def __init__(self, dim: int, hidden: int, frozen: bool = True):
        super().__init__()
        self.fc1_conv = nn.Conv1d(dim, hidden, kernel_size=1)
        self.fc1_spike = NILIFNeuron()
        self.fc2_conv = nn.Conv1d(hidden, dim, kernel_size=1)
        self.fc2_spike = NILIFNeuron()
        norm = FrozenBatchNorm1d if frozen else nn.BatchNorm1d
        self.fc1_bn = norm(hidden)
        self.fc2_bn = norm(dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        T, B, C, H, W = x.shape
        y = self.fc1_spike(x.flatten(3))
        y = self.fc1_bn(self.fc1_conv(y.flatten(0, 1))).reshape(T, B, -1, H * W)
        y = self.fc2_spike(y)
        y = self.fc2_bn(self.fc2_conv(y.flatten(0, 1)))
        return y.reshape(T, B, C, H, W)


def split_heads(x: torch.Tensor, heads: int) -> torch.Tensor:
    """``[T, B, C, N]`` -> ``[T, B, heads, N, C/heads]``."""
    T, B, C, N = x.shape
    return x.transpose(-1, -2).reshape(T, B, N, heads, C // heads).permute(0, 1, 3, 2, 4)


def merge_heads(x: torch.Tensor) -> torch.Tensor:
    """``[T, B, heads, N, c]`` -> ``[T, B, heads*c, N]``."""
    T, B, Hh, N, c = x.shape
    return x.permute(0, 1, 3, 2, 4).reshape(T, B, N, Hh * c).permute(0, 1, 3, 2)


def add_position(x: torch.Tensor, branch: str, s_pos: torch.Tensor,
                 t_pos: nn.ParameterList) -> torch.Tensor:
    """Add the search embedding, or per template step t the embedding ``t_pos[min(t, 3)]``."""
    T, B, C, H, W = x.shape
    flat = x.reshape(T, B, C, H * W)
    if branch == "search":
        flat = flat + s_pos
    elif branch == "template":
        flat = torch.stack([flat[t] + t_pos[min(t, 3)] for t in range(T)], dim=0)
    else:
        raise ValueError(f"unknown branch {branch!r}")
    return flat.reshape(T, B, C, H, W)


class LinearSpikeAttention(nn.Module):
    """``MS_Attention_linear_3d``: softmax-free attention ``q @ (k^T v) * scale * 2`` on spikes.

    v has ``4C`` channels (lamda_ratio 4). Position embeddings are fixed-size ``[1, C, N]``.
    """

    def __init__(self, dim: int, num_heads: int, num_tokens: int, value_ratio: int = 4):
        super().__init__()
        self.num_heads = num_heads
        self.scale = (dim // num_heads) ** -0.5
        self.head_spike = NILIFNeuron()
        self.q_spike = NILIFNeuron()
        self.k_spike = NILIFNeuron()
        self.v_spike = NILIFNeuron()
        self.attn_spike = NILIFNeuron()
        self.q_conv = conv_bn(dim, dim, FrozenBatchNorm2d)
        self.k_conv = conv_bn(dim, dim, FrozenBatchNorm2d)
        self.v_conv = conv_bn(dim, dim * value_ratio, FrozenBatchNorm2d)
        self.proj_conv = conv_bn(dim * value_ratio, dim, FrozenBatchNorm2d)
        self.s_pos_embed = nn.Parameter(torch.zeros(1, dim, num_tokens))
        self.t_pos_embeds = nn.ParameterList([nn.Parameter(torch.zeros(1, dim, num_tokens))
                                              for _ in range(4)])

    def forward(self, x: torch.Tensor, branch: str) -> torch.Tensor:
        T, B, C, H, W = x.shape
        x = self.head_spike(add_position(x, branch, self.s_pos_embed, self.t_pos_embeds))
        x = x.flatten(0, 1)
        q = self.q_spike(self.q_conv(x).reshape(T, B, C, H * W))
        k = self.k_spike(self.k_conv(x).reshape(T, B, C, H * W))
        v = self.v_spike(self.v_conv(x).reshape(T, B, -1, H * W))
        q, k, v = (split_heads(t, self.num_heads) for t in (q, k, v))
        y = scale_twice(q @ (k.transpose(-2, -1) @ v), self.scale)
        y = self.attn_spike(merge_heads(y).reshape(T, B, -1, H, W))
        return _conv_tb(self.proj_conv, y)


class SpikeTransformerBlock(nn.Module):
    """``MS_Block_Spike_SepConv``: x += SepConv3x3(x); x += Attention(x); x += MLP(x)."""

    def __init__(self, dim: int, num_heads: int, num_tokens: int, mlp_ratio: int = 4):
        super().__init__()
        self.conv = SepConvSpike(dim, kernel_size=3, padding=1)
        self.attn = LinearSpikeAttention(dim, num_heads, num_tokens)
        self.mlp = SpikeMLP(dim, dim * mlp_ratio, frozen=True)

    def forward(self, x: torch.Tensor, branch: str) -> torch.Tensor:
        x = add_residual(self.conv(x), x)
        x = add_residual(self.attn(x, branch), x)
        return add_residual(self.mlp(x), x)


class SpikeDownsample(nn.Module):
    """``MS_DownSampling``: (spike unless first layer) -> conv -> frozen BN."""

    def __init__(self, cin: int, cout: int, kernel_size: int = 3, stride: int = 2, padding: int = 1,
                 first_layer: bool = False):
        super().__init__()
        self.encode_conv = nn.Conv2d(cin, cout, kernel_size, stride, padding)
        self.encode_bn = FrozenBatchNorm2d(cout)
        if not first_layer:
            self.encode_spike = NILIFNeuron()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if hasattr(self, "encode_spike"):
            x = self.encode_spike(x)
        return _conv_tb(lambda t: self.encode_bn(self.encode_conv(t)), x)
