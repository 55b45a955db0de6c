# Copyright (c) mmvl contributors. All rights reserved.
"""The universal object queue of SWORD.

SWORD ("Exploring Transformers for Open-world Instance Segmentation", Wu et al., ICCV 2023)
keeps a queue of the embeddings of object queries matched to ground-truth objects, across
iterations and images; their mean is the *object centre* that its contrastive loss pulls
object queries towards and pushes background queries away from.
"""
import torch
import torch.nn.functional as F
from mmengine.dist import all_gather, get_world_size
from mmengine.model import BaseModule
from torch import Tensor

from mmvl.registry import MODELS


def _gather_variable_rows(x: Tensor) -> Tensor:
    """Concatenate every rank's ``x`` (rows may differ per rank), in rank order."""
    sizes = all_gather(torch.tensor([x.size(0)], device=x.device))
    max_rows = int(max(int(size) for size in sizes))
    padded = x.new_zeros(max_rows, x.size(1))
    padded[:x.size(0)] = x
    gathered = all_gather(padded)
    return torch.cat([g[:int(size)] for g, size in zip(gathered, sizes)], dim=0)


@MODELS.register_module()
class UniversalObjectQueue(BaseModule):
    """A first-in-first-out queue of L2-normalised object embeddings.

    The queue is a buffer, so it is saved in checkpoints and a resumed run continues with it.
    Under distributed training every rank enqueues the embeddings of all ranks (gathered),
    so the queues stay identical.

    Args:
        length (int): Number of embeddings kept; the oldest are evicted first.
        embed_dims (int): Dimension of the embeddings.
    """

    def __init__(self, length: int, embed_dims: int) -> None:
        super().__init__()
        if length < 1:
            raise ValueError(f'queue length must be positive, got {length}')
        self.length = length
        self.embed_dims = embed_dims
        self.register_buffer('embeddings', torch.zeros(length, embed_dims))
        self.register_buffer('ptr', torch.zeros((), dtype=torch.long))
        self.register_buffer('num_filled', torch.zeros((), dtype=torch.long))

    def __len__(self) -> int:
        return int(self.num_filled)

    @property
    def is_empty(self) -> bool:
        return int(self.num_filled) == 0

    def contents(self) -> Tensor:
        """The stored embeddings, oldest first, shape (len(self), embed_dims)."""
        n = int(self.num_filled)
        if n < self.length:
            return self.embeddings[:n]
        ptr = int(self.ptr)
        return torch.cat([self.embeddings[ptr:], self.embeddings[:ptr]])

    def center(self) -> Tensor:
        """The object centre: the L2-normalised mean of the stored embeddings."""
        if self.is_empty:
            raise RuntimeError('the object queue is empty: it has no centre yet')
        return F.normalize(self.contents().mean(0), dim=0)

    @torch.no_grad()
    def enqueue(self, embeddings: Tensor) -> None:
        """Push ``embeddings`` (N, embed_dims), normalised and detached, evicting the oldest.

        Under distributed training the embeddings of every rank are pushed, in rank order.
        """
        embeddings = F.normalize(embeddings.detach().float(), dim=-1)
        if get_world_size() > 1:
            embeddings = _gather_variable_rows(embeddings)
        if embeddings.numel() == 0:
            return
        if embeddings.size(0) > self.length:  # only the newest fit
            embeddings = embeddings[-self.length:]
        n = embeddings.size(0)
        ptr = int(self.ptr)
        idx = (torch.arange(n, device=self.embeddings.device) + ptr) % self.length
        self.embeddings[idx] = embeddings.to(self.embeddings.dtype)
        self.ptr.fill_((ptr + n) % self.length)
        self.num_filled.fill_(min(int(self.num_filled) + n, self.length))
