"""SOHO's visual dictionary under distributed training: two gloo processes on the CPU.

The EMA step sums counts and feature sums over ranks, so two ranks holding halves of a batch
must end with the same dictionary as one process holding the whole batch.
"""
import os
import socket

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from mmvl.models.multimodal.soho import VisualDictionary

NUM_TOKENS, DIMS = 6, 4


def _dictionary() -> VisualDictionary:
    torch.manual_seed(0)
    vd = VisualDictionary(NUM_TOKENS, DIMS, decay=0.4)
    vd.train()
    return vd


def _features() -> torch.Tensor:
    return torch.randn(10, DIMS, generator=torch.Generator().manual_seed(1)) * 2


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def _worker(rank: int, port: int, out_dir: str) -> None:
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    dist.init_process_group('gloo', rank=rank, world_size=2)
    try:
        vd = _dictionary()
        half = _features()[:4] if rank == 0 else _features()[4:]  # unequal shares
        for _ in range(2):
            vd(half)
        torch.save(dict(vd.named_buffers()), os.path.join(out_dir, f'{rank}.pt'))
    finally:
        dist.destroy_process_group()


def test_two_ranks_match_one_process(tmp_path):
    mp.spawn(_worker, args=(_free_port(), str(tmp_path)), nprocs=2, join=True)
    rank0, rank1 = (torch.load(tmp_path / f'{r}.pt') for r in (0, 1))
    single = _dictionary()
    for _ in range(2):
        single(_features())  # no process group: the reductions are skipped
    for name, value in dict(single.named_buffers()).items():
        assert torch.allclose(rank0[name], rank1[name]), name
        assert torch.allclose(rank0[name], value, atol=1e-6), name
    assert not torch.allclose(single.embed, _dictionary().embed)  # the step moved it
