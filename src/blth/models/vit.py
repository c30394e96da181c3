"""SimpleViT (Beyer et al. 2022, lucidrains style): sin-cos positions, mean pooling, pre-norm."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from blth.bayes.factory import Layers


def sincos_2d(h: int, w: int, dim: int, temperature: float = 10000.0) -> Tensor:
    """Fixed 2-D sin-cos position embedding, [h*w, dim]."""
    if dim % 4 != 0:
        raise ValueError(f"ViT dim must be divisible by 4 for sin-cos positions, got {dim}")
    y, x = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
    omega = 1.0 / temperature ** (torch.arange(dim // 4) / (dim // 4 - 1))
    y = y.flatten()[:, None] * omega[None, :]
    x = x.flatten()[:, None] * omega[None, :]
    return torch.cat((x.sin(), x.cos(), y.sin(), y.cos()), dim=1)


class Attention(nn.Module):
    def __init__(self, layers: Layers, dim: int, heads: int, dim_head: int) -> None:
        super().__init__()
        self.heads, self.dim_head = heads, dim_head
        self.norm = nn.LayerNorm(dim)
        self.qkv = layers.linear(dim, 3 * heads * dim_head, bias=False)
        self.out = layers.linear(heads * dim_head, dim, bias=False)

    def forward(self, x: Tensor) -> Tensor:
        b, n, _ = x.shape
        q, k, v = self.qkv(self.norm(x)).reshape(b, n, 3, self.heads, self.dim_head).unbind(2)
        out = F.scaled_dot_product_attention(
            q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2)
        )
        return self.out(out.transpose(1, 2).reshape(b, n, -1))


class FeedForward(nn.Module):
    def __init__(self, layers: Layers, dim: int, hidden: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.fc1 = layers.linear(dim, hidden)
        self.fc2 = layers.linear(hidden, dim)

    def forward(self, x: Tensor) -> Tensor:
        return self.fc2(F.gelu(self.fc1(self.norm(x))))


class TransformerBlock(nn.Module):
    def __init__(self, layers: Layers, dim: int, heads: int, dim_head: int, mlp: int) -> None:
        super().__init__()
        self.attn = Attention(layers, dim, heads, dim_head)
        self.mlp = FeedForward(layers, dim, mlp)

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.attn(x)
        return x + self.mlp(x)


class SimpleViT(nn.Module):
    def __init__(
        self,
        layers: Layers,
        image: tuple[int, int, int],
        classes: int,
        patch: int,
        dim: int,
        depth: int,
        heads: int,
        dim_head: int,
        mlp: int,
    ) -> None:
        super().__init__()
        channels, height, width = image
        if height % patch or width % patch:
            raise ValueError(f"image size {height}x{width} is not divisible by patch {patch}")
        self.patch = patch
        patch_dim = channels * patch * patch
        self.patch_norm = nn.LayerNorm(patch_dim)
        self.patch_embed = layers.linear(patch_dim, dim)
        self.embed_norm = nn.LayerNorm(dim)
        self.register_buffer("pos", sincos_2d(height // patch, width // patch, dim), False)
        self.blocks = nn.Sequential(
            *(TransformerBlock(layers, dim, heads, dim_head, mlp) for _ in range(depth))
        )
        self.norm = nn.LayerNorm(dim)
        self.fc = layers.linear(dim, classes, classifier=True)

    def forward(self, x: Tensor) -> Tensor:
        b, c, h, w = x.shape
        p = self.patch
        x = x.reshape(b, c, h // p, p, w // p, p).permute(0, 2, 4, 3, 5, 1)
        x = x.reshape(b, (h // p) * (w // p), p * p * c)
        x = self.embed_norm(self.patch_embed(self.patch_norm(x))) + self.pos
        x = self.norm(self.blocks(x))
        return self.fc(x.mean(dim=1))
