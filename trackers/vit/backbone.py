"""ViT-B/16 with candidate elimination (CE), the one-stream backbone of OSTrack, ODTrack and SSTrack.

Written so that FLOP counters see everything: attention is an explicit ``q @ k^T`` / ``softmax`` /
``attn @ v`` (``F.scaled_dot_product_attention`` is invisible to both torch's FlopCounterMode and fvcore
on CPU). Module and parameter names equal the official ones, so official checkpoints load unchanged.

Token layout: ``[query (ODTrack/SSTrack only) ; T templates x (z/16)^2 ; search (x/16)^2]``.
Candidate elimination (blocks 3, 6, 9 by default) runs after a block's attention and before its MLP:
search tokens are ranked by the mean attention they receive from the template tokens (all template
tokens, or those picked by ``ce_template_mask``), averaged over heads, and only the top
``ceil(keep_ratio * N)`` are kept. The pruned positions come back as zeros, in the original order, after
the final LayerNorm.
"""
from __future__ import annotations

import math
from typing import Sequence

import torch
from torch import nn

from trackers.vit.configs import ViTTrackConfig


class PatchEmbed(nn.Module):
    """16x16 patches -> tokens (a strided conv, then ``B x N x C``)."""

    def __init__(self, patch_size: int = 16, in_chans: int = 3, embed_dim: int = 768):
        super().__init__()
        self.proj = nn.Conv2d(in_chans, embed_dim, kernel_size=patch_size, stride=patch_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(x).flatten(2).transpose(1, 2)


class Attention(nn.Module):
    """Multi-head self-attention with explicit matmuls; returns the output and the attention weights."""

    def __init__(self, dim: int, num_heads: int, qkv_bias: bool = True):
        super().__init__()
        self.num_heads = num_heads
        self.scale = (dim // num_heads) ** -0.5
        self.qkv = nn.Linear(dim, dim * 3, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        B, N, C = x.shape
        qkv = self.qkv(x).reshape(B, N, 3, self.num_heads, C // self.num_heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)
        attn = (q @ k.transpose(-2, -1)) * self.scale
        attn = attn.softmax(dim=-1)
        out = (attn @ v).transpose(1, 2).reshape(B, N, C)
        return self.proj(out), attn


class Mlp(nn.Module):
    def __init__(self, dim: int, hidden: int):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.act(self.fc1(x)))


def candidate_elimination(attn: torch.Tensor, tokens: torch.Tensor, n_prefix: int, lens_t: int,
                          keep_ratio: float, global_index: torch.Tensor,
                          template_mask: torch.Tensor | None):
    """Drop the search tokens that the template attends to least.

    Args:
        attn: ``[B, heads, N, N]`` attention weights over all tokens (prefix, templates, search).
        tokens: ``[B, N, C]`` tokens after the attention residual.
        n_prefix: number of leading query tokens (0 for OSTrack); they are kept and not scored.
        lens_t: number of template tokens.
        keep_ratio: fraction of search tokens kept (``ceil(keep_ratio * N_s)``).
        global_index: ``[B, N_s]`` original positions of the current search tokens.
        template_mask: ``[B, lens_t]`` bool, the template rows that vote (None: all of them).

    Returns:
        (tokens, kept global index, removed global index or None).
    """
    lens_s = attn.shape[-1] - n_prefix - lens_t
    lens_keep = math.ceil(keep_ratio * lens_s)
    if lens_keep == lens_s:
        return tokens, global_index, None
    B, H = attn.shape[:2]
    t0, s0 = n_prefix, n_prefix + lens_t
    attn_t = attn[:, :, t0:s0, s0:]                               # template rows -> search columns
    if template_mask is not None:
        sel = template_mask.unsqueeze(1).unsqueeze(-1).expand(-1, H, -1, lens_s)
        attn_t = attn_t[sel].view(B, H, -1, lens_s)
    score = attn_t.mean(dim=2).mean(dim=1)                        # [B, N_s]
    # sort rather than topk: the official code does, and the order of kept tokens follows it
    _, order = torch.sort(score, dim=1, descending=True)
    keep_idx, drop_idx = order[:, :lens_keep], order[:, lens_keep:]
    kept = tokens[:, s0:].gather(1, keep_idx.unsqueeze(-1).expand(-1, -1, tokens.shape[-1]))
    tokens = torch.cat([tokens[:, :s0], kept], dim=1)
    return tokens, global_index.gather(1, keep_idx), global_index.gather(1, drop_idx)


class CEBlock(nn.Module):
    """Pre-norm transformer block; with ``keep_ratio_search < 1`` it prunes search tokens after attention."""

    def __init__(self, dim: int, num_heads: int, mlp_ratio: float = 4.0, qkv_bias: bool = True,
                 keep_ratio_search: float = 1.0):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = Attention(dim, num_heads, qkv_bias)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = Mlp(dim, int(dim * mlp_ratio))
        self.keep_ratio_search = keep_ratio_search

    def forward(self, x: torch.Tensor, n_prefix: int, lens_t: int, global_index_s: torch.Tensor,
                template_mask: torch.Tensor | None):
        x_attn, attn = self.attn(self.norm1(x))
        x = x + x_attn
        removed = None
        if self.keep_ratio_search < 1:
            x, global_index_s, removed = candidate_elimination(
                attn, x, n_prefix, lens_t, self.keep_ratio_search, global_index_s, template_mask)
        x = x + self.mlp(self.norm2(x))
        return x, global_index_s, removed


class VisionTransformerCE(nn.Module):
    """The backbone. ``forward`` returns (search tokens ``[B, N_x, C]`` in original order with pruned
    positions zeroed, the normalised query token ``[B, 1, C]`` or None, removed indexes per CE block)."""

    def __init__(self, cfg: ViTTrackConfig):
        super().__init__()
        D = cfg.embed_dim
        n_pre = (cfg.pretrain_img_size // cfg.patch_size) ** 2
        # Parameter creation order mirrors the official state_dict order.
        self.cls_token = nn.Parameter(torch.zeros(1, 1, D))
        # The ViT's own 14x14 position embedding: unused at inference (pos_embed_z/x are its trained
        # resizes) but part of every official checkpoint.
        self.pos_embed = nn.Parameter(torch.zeros(1, n_pre + 1, D))
        if cfg.temporal_embed:
            self.temporal_pos_embed_x = nn.Parameter(torch.zeros(1, 1, D))
            self.temporal_pos_embed_z = nn.Parameter(torch.zeros(1, 1, D))
        self.pos_embed_z = nn.Parameter(torch.zeros(1, cfg.template_feat_size ** 2, D))
        self.pos_embed_x = nn.Parameter(torch.zeros(1, cfg.feat_size ** 2, D))
        if cfg.query_token:
            self.cls_pos_embed = nn.Parameter(torch.zeros(1, 1, D))
        self.patch_embed = PatchEmbed(cfg.patch_size, 3, D)
        ratios = dict(zip(cfg.ce_loc, cfg.ce_keep_ratio))
        self.blocks = nn.Sequential(*[
            CEBlock(D, cfg.num_heads, cfg.mlp_ratio, True, ratios.get(i, 1.0)) for i in range(cfg.depth)])
        self.norm = nn.LayerNorm(D, eps=1e-6)
        self.query_token = cfg.query_token
        self.temporal_embed = cfg.temporal_embed

    def forward(self, templates: Sequence[torch.Tensor], search: torch.Tensor,
                ce_template_mask: torch.Tensor | None = None, track_query: torch.Tensor | None = None):
        B = search.shape[0]
        T = len(templates)
        x = self.patch_embed(search)
        z = self.patch_embed(torch.stack(list(templates), dim=1).flatten(0, 1))   # [B*T, Nz, C]
        z = z + self.pos_embed_z
        x = x + self.pos_embed_x
        if self.temporal_embed:
            z = z + self.temporal_pos_embed_z
            x = x + self.temporal_pos_embed_x
        z = z.reshape(B, T * z.shape[1], z.shape[2])
        lens_t, lens_x = z.shape[1], x.shape[1]
        parts = [z, x]
        if self.query_token:
            query = self.cls_token.expand(B, 1, -1)
            if track_query is not None:
                query = track_query + query
            parts.insert(0, query + self.cls_pos_embed)
        n_prefix = 1 if self.query_token else 0
        tokens = torch.cat(parts, dim=1)

        global_index_s = torch.arange(lens_x, device=search.device).repeat(B, 1)
        removed_indexes: list[torch.Tensor] = []
        for blk in self.blocks:
            tokens, global_index_s, removed = blk(tokens, n_prefix, lens_t, global_index_s, ce_template_mask)
            if removed is not None:
                removed_indexes.append(removed)
        tokens = self.norm(tokens)

        query_out = tokens[:, :n_prefix] if self.query_token else None
        x = tokens[:, n_prefix + lens_t:]
        if removed_indexes:
            # scatter kept tokens back to their original positions; pruned ones stay zero
            index_all = torch.cat([global_index_s] + removed_indexes, dim=1)
            x = torch.cat([x, x.new_zeros(B, lens_x - x.shape[1], x.shape[2])], dim=1)
            x = torch.zeros_like(x).scatter_(1, index_all.unsqueeze(-1).expand(-1, -1, x.shape[2]), x)
        return x, query_out, removed_indexes


def init_backbone_(backbone: VisionTransformerCE, generator: torch.Generator | None = None) -> None:
    """Random initialisation in the timm ViT style (for runs without a checkpoint only)."""
    with torch.no_grad():
        for name, p in backbone.named_parameters():
            if "pos_embed" in name or "token" in name:
                p.copy_(torch.randn(p.shape, generator=generator) * 0.02)
            elif p.dim() >= 2:
                fan_in = math.prod(p.shape[1:])
                p.copy_(torch.randn(p.shape, generator=generator) / math.sqrt(fan_in))
            elif name.endswith("weight"):
                p.fill_(1.0)
            else:
                p.zero_()


__all__ = ["PatchEmbed", "Attention", "Mlp", "CEBlock", "VisionTransformerCE", "candidate_elimination",
           "init_backbone_"]
