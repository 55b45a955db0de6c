"""The universal object queue under distributed training: two gloo processes on the CPU."""
import os
import socket

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from mmvl.models.layers import UniversalObjectQueue

ROWS = {0: [[1., 0.]], 1: [[0., 1.], [1., 1.]]}  # ranks push different numbers of rows


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def _worker(rank: int, port: int, out_dir: str) -> None:
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    dist.init_process_group('gloo', rank=rank, world_size=2)
    try:
        queue = UniversalObjectQueue(length=4, embed_dims=2)
        queue.enqueue(torch.tensor(ROWS[rank]))
        queue.enqueue(torch.tensor(ROWS[rank]) * 2)  # 6 rows in all: the oldest 2 leave
        torch.save(queue.contents(), os.path.join(out_dir, f'{rank}.pt'))
    finally:
        dist.destroy_process_group()


def test_every_rank_enqueues_all_ranks_embeddings(tmp_path):
    mp.spawn(_worker, args=(_free_port(), str(tmp_path)), nprocs=2, join=True)
    rank0, rank1 = (torch.load(tmp_path / f'{r}.pt') for r in (0, 1))
    assert torch.equal(rank0, rank1)  # identical queues
    gathered = torch.tensor(ROWS[0] + ROWS[1])
    expected = torch.nn.functional.normalize(torch.cat([gathered, gathered * 2])[2:], dim=1)
    assert torch.allclose(rank0, expected)  # rank order, FIFO eviction across both pushes
