"""MCRESTrainLoop: the meta-update against hand-derived gradients, in a Runner, on two ranks."""
import copy
import glob
import os
import socket
from types import SimpleNamespace

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn as nn
import torch.nn.functional as F
from mmengine.dataset import default_collate
from mmengine.hooks import Hook
from mmengine.model import BaseModel
from mmengine.optim import OptimWrapper
from mmengine.runner import Runner
from torch.utils.data import BatchSampler, DataLoader, Dataset

from mmvl.engine.runner import MCRESTrainLoop, init_cpu_process_group, split_batch

ALPHA = 0.1


class ListDataset(Dataset):
    """Items given as a list of dicts; no metainfo."""

    def __init__(self, items):
        self.items = items

    def __len__(self):
        return len(self.items)

    def __getitem__(self, idx):
        return self.items[idx]


class Quadratic(BaseModel):
    """L(theta; x) = mean over the batch of 0.5 theta^T A_x theta + b_x^T theta.

    Each sample's input is ``[A_x | b_x]`` (d x (d + 1)), A_x symmetric.
    """

    def __init__(self, theta):
        super().__init__()
        self.theta = nn.Parameter(theta.clone())

    def forward(self, inputs, data_samples=None, mode='loss'):
        A, b = inputs[..., :-1], inputs[..., -1]
        th = self.theta
        return dict(loss=(0.5 * torch.einsum('i,nij,j->n', th, A, th) + b @ th).mean())


class Linear(BaseModel):
    """y = w^T x + c with an MSE loss."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 1)

    def forward(self, inputs, data_samples=None, mode='loss'):
        return dict(loss=F.mse_loss(self.fc(inputs).squeeze(-1), data_samples))


class Regressor(BaseModel):
    """A small MLP regressor with an MSE loss; optional BatchNorm."""

    def __init__(self, dims=(3, 4, 1), bn=False):
        super().__init__()
        self.fc1 = nn.Linear(dims[0], dims[1])
        self.bn = nn.BatchNorm1d(dims[1]) if bn else nn.Identity()
        self.fc2 = nn.Linear(dims[1], dims[2])

    def forward(self, inputs, data_samples=None, mode='loss'):
        out = self.fc2(torch.tanh(self.bn(self.fc1(inputs)))).squeeze(-1)
        return dict(loss_mse=F.mse_loss(out.float(), data_samples.float()))


class ScaledOptimWrapper(OptimWrapper):
    """An fp32 wrapper carrying a GradScaler like AmpOptimWrapper (which needs CUDA)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.loss_scaler = torch.amp.GradScaler('cpu', init_scale=2.0**16)


def _loop(model, items, num_test_sets=2, lr=1.0, wrapper=OptimWrapper, **kwargs):
    """A loop on a stand-in runner; the whole of ``items`` is one batch."""
    runner = SimpleNamespace(
        model=model,
        optim_wrapper=wrapper(optimizer=torch.optim.SGD(model.parameters(), lr=lr)),
        call_hook=lambda *args, **kw: None,
        val_loop=None)
    loader = DataLoader(ListDataset(items), batch_size=len(items), collate_fn=default_collate)
    loop = MCRESTrainLoop(runner, loader, max_iters=1, num_test_sets=num_test_sets,
                          inner_lr=ALPHA, **kwargs)
    return loop, next(iter(loader))


def _quadratic_problem(d=3, num_test_sets=2, seed=0):
    g = torch.Generator().manual_seed(seed)
    As, bs, items = [], [], []
    for _ in range(1 + num_test_sets):
        m = torch.randn(d, d, generator=g, dtype=torch.float64)
        A = m @ m.T / d + torch.eye(d, dtype=torch.float64)
        b = torch.randn(d, generator=g, dtype=torch.float64)
        As.append(A)
        bs.append(b)
        items.append(dict(inputs=torch.cat([A, b[:, None]], 1)))
    theta = torch.randn(d, generator=g, dtype=torch.float64)
    return theta, As, bs, items


def test_inner_update_is_a_manual_sgd_step_on_a_linear_model():
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(6, 3, generator=g), torch.randn(6, generator=g)
    model = Linear()
    items = [dict(inputs=x[i], data_samples=y[i]) for i in range(6)]
    for wrapper in (OptimWrapper, ScaledOptimWrapper):
        loop, batch = _loop(model, items, wrapper=wrapper)
        # an fp16 wrapper's inner loss is scaled, its gradients unscaled
        assert loop._inner_loss_scale(loop.runner.optim_wrapper) == (
            2.0**16 if wrapper is ScaledOptimWrapper else 1.0)
        data = model.data_preprocessor(split_batch(batch, 3)[0], True)
        params, grad_norm = loop.adapt(model, data, model._run_forward(data, mode='loss')['loss'])
        # d/dW mean((Wx + c - y)^2) = 2/N sum r x^T on the virtual training chunk (first 2)
        W, c = model.fc.weight.detach(), model.fc.bias.detach()
        r = x[:2] @ W[0] + c - y[:2]
        grad_w, grad_c = (2 * r[:, None] * x[:2]).mean(0, keepdim=True), 2 * r.mean(0, keepdim=True)
        assert torch.allclose(params['fc.weight'], W - ALPHA * grad_w, atol=1e-6)
        assert torch.allclose(params['fc.bias'], c - ALPHA * grad_c, atol=1e-6)
        assert torch.isclose(grad_norm, torch.cat([grad_w[0], grad_c]).norm(), atol=1e-6)


@pytest.mark.parametrize('first_order', [False, True])
def test_outer_gradient_on_a_quadratic_model(first_order):
    """grad L_meta = g_tr(theta) + sum_k gamma_k J^T g_k(theta'), J = I - alpha A_tr (or I)."""
    theta, As, bs, items = _quadratic_problem()
    gammas = [0.3, 0.7]
    model = Quadratic(theta)
    loop, batch = _loop(model, items, test_weights=gammas, first_order=first_order)
    outputs = loop.meta_train_step(batch)
    grad = theta - model.theta.detach()  # SGD with lr 1
    g_tr = As[0] @ theta + bs[0]
    theta_1 = theta - ALPHA * g_tr
    jac = torch.eye(3, dtype=theta.dtype) if first_order else torch.eye(3) - ALPHA * As[0]
    expected = g_tr + sum(
        gamma * jac.T @ (A @ theta_1 + b) for gamma, A, b in zip(gammas, As[1:], bs[1:]))
    assert torch.allclose(grad, expected, atol=1e-12)
    if not first_order:  # the first-order update differs from the exact one here
        assert not torch.allclose(grad, g_tr + sum(
            gamma * (A @ theta_1 + b) for gamma, A, b in zip(gammas, As[1:], bs[1:])))
    quad = lambda th, A, b: 0.5 * th @ A @ th + b @ th  # noqa: E731
    assert torch.isclose(outputs['vtr_loss'], quad(theta, As[0], bs[0]))
    assert torch.isclose(outputs['vte2_loss'], quad(theta_1, As[2], bs[2]))
    assert torch.isclose(outputs['loss'], quad(theta, As[0], bs[0]) + sum(
        gamma * quad(theta_1, A, b) for gamma, A, b in zip(gammas, As[1:], bs[1:])))
    assert torch.isclose(outputs['inner_grad_norm'], g_tr.norm().float())


def test_two_inner_steps():
    theta, As, bs, items = _quadratic_problem()
    model = Quadratic(theta)
    loop, batch = _loop(model, items, inner_steps=2)
    data = model.data_preprocessor(split_batch(batch, 3)[0], True)
    params, _ = loop.adapt(model, data, model._run_forward(data, mode='loss')['loss'])
    theta_1 = theta - ALPHA * (As[0] @ theta + bs[0])
    theta_2 = theta_1 - ALPHA * (As[0] @ theta_1 + bs[0])
    assert torch.allclose(params['theta'], theta_2, atol=1e-12)
    # the outer gradient differentiates through both steps: J = (I - alpha A_tr)^2
    loop.meta_train_step(batch)
    jac = (torch.eye(3) - ALPHA * As[0]) @ (torch.eye(3) - ALPHA * As[0])
    expected = As[0] @ theta + bs[0] + sum(
        0.5 * jac.T @ (A @ theta_2 + b) for A, b in zip(As[1:], bs[1:]))  # gamma 1/K
    assert torch.allclose(theta - model.theta.detach(), expected, atol=1e-12)


def test_meta_params_restricts_the_inner_step():
    g = torch.Generator().manual_seed(0)
    items = [dict(inputs=torch.randn(3, generator=g), data_samples=torch.randn(1, generator=g)[0])
             for _ in range(6)]
    model = Regressor()
    loop, batch = _loop(model, items, meta_params=['fc2'])
    data = model.data_preprocessor(split_batch(batch, 3)[0], True)
    params, _ = loop.adapt(model, data, model._run_forward(data, mode='loss')['loss_mse'])
    assert sorted(params) == ['fc2.bias', 'fc2.weight']
    before = copy.deepcopy(model.state_dict())
    loop.meta_train_step(batch)
    # parameters outside meta_params still get meta gradients
    assert not torch.equal(before['fc1.weight'], model.fc1.weight)
    with pytest.raises(ValueError, match=r"\['fc'\] match no trainable"):
        _loop(model, items, meta_params=['fc'])[0].meta_train_step(batch)


def test_batchnorm_statistics_come_from_the_virtual_training_forward_only():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(9, 3, generator=g) + torch.arange(9.)[:, None]  # chunks differ in mean
    items = [dict(inputs=x[i], data_samples=torch.tensor(0.)) for i in range(9)]
    model = Regressor(bn=True)
    reference = copy.deepcopy(model).train()
    reference(x[:3], torch.zeros(3))  # one train-mode forward on the D_vtr chunk
    loop, batch = _loop(model, items, inner_steps=2)
    model.train()
    loop.meta_train_step(batch)
    assert model.bn.num_batches_tracked.item() == 1
    assert torch.allclose(model.bn.running_mean, reference.bn.running_mean)
    assert torch.allclose(model.bn.running_var, reference.bn.running_var)


def test_clear_errors():
    items = [dict(inputs=torch.zeros(3), data_samples=torch.tensor(0.))] * 6
    with pytest.raises(ValueError, match='test_weights must hold num_test_sets = 2'):
        _loop(Regressor(), items, test_weights=[1.0])
    with pytest.raises(ValueError, match=r'batch_size 6 is not a multiple of 1 \+ num_test_sets'):
        _loop(Regressor(), items, num_test_sets=3)
    loop, _ = _loop(Regressor(), items)
    with pytest.raises(ValueError, match="'inputs' holds 5 samples"):
        loop.meta_train_step(default_collate(items[:5]))
    sampler = SimpleNamespace(num_test_sets=2, batch_size=3)  # B=3 but the loader batch is 6
    loop.dataloader = SimpleNamespace(batch_size=6, sampler=sampler)
    with pytest.raises(ValueError, match='batch_size must be 3 \\* 3 = 9'):
        loop._check_dataloader()

    class Grouping(BatchSampler):  # stands for mmdet's AspectRatioBatchSampler
        pass

    loop.dataloader = DataLoader(ListDataset(items), batch_sampler=Grouping(range(6), 6, False))
    with pytest.raises(ValueError, match='batch sampler Grouping, which may regroup'):
        loop._check_dataloader()


def test_bad_values_fail_at_construction():
    items = [dict(inputs=torch.zeros(3), data_samples=torch.tensor(0.))] * 6
    for kwargs, message in ((dict(inner_lr=0.0), r'inner_lr \(alpha\) must be a positive'),
                            (dict(inner_lr=-0.1), 'inner_lr'),
                            (dict(test_weights=[0.5, -0.5]), 'non-negative and not all zero'),
                            (dict(test_weights=[0.0, 0.0]), 'not all zero')):
        runner = SimpleNamespace(model=Regressor(), call_hook=lambda *a, **k: None,
                                 optim_wrapper=None, val_loop=None)
        loader = DataLoader(ListDataset(items), batch_size=6, collate_fn=default_collate)
        kwargs = dict(dict(inner_lr=ALPHA), **kwargs)
        with pytest.raises(ValueError, match=message):
            MCRESTrainLoop(runner, loader, max_iters=1, num_test_sets=2, **kwargs)


def _wrapped_loop(model, items, optim_wrapper):
    runner = SimpleNamespace(model=model, optim_wrapper=optim_wrapper,
                             call_hook=lambda *args, **kw: None, val_loop=None)
    loader = DataLoader(ListDataset(items), batch_size=len(items), collate_fn=default_collate)
    loop = MCRESTrainLoop(runner, loader, max_iters=1, num_test_sets=2, inner_lr=ALPHA)
    return loop, next(iter(loader))


def test_gradient_clipping_bounds_the_meta_step():
    """SGD (lr 1, no momentum) with clip_grad max_norm 0.01: the applied update is the clipped
    meta gradient, so its norm is exactly lr * max_norm when the meta gradient is larger."""
    items = [dict(inputs=x, data_samples=torch.tensor(50.)) for x in torch.randn(6, 3)]
    model = Regressor()
    before = torch.cat([p.detach().flatten() for p in model.parameters()])
    wrapper = OptimWrapper(optimizer=torch.optim.SGD(model.parameters(), lr=1.0),
                           clip_grad=dict(max_norm=0.01))
    loop, batch = _wrapped_loop(model, items, wrapper)
    loop.meta_train_step(batch)
    after = torch.cat([p.detach().flatten() for p in model.parameters()])
    assert torch.isclose((after - before).norm(), torch.tensor(0.01), rtol=1e-4)


def test_fp16_loss_scaler_skips_an_overflowing_meta_step(monkeypatch):
    """An AmpOptimWrapper (its CUDA check bypassed, a CPU GradScaler in place of the CUDA one):
    with a scale so large that the scaled inner loss overflows, theta' and the meta gradient
    are not finite, the scaler skips the optimizer step and halves its scale; with a normal
    scale the step is taken."""
    from mmengine.optim import AmpOptimWrapper
    from mmengine.optim.optimizer import amp_optimizer_wrapper
    monkeypatch.setattr(amp_optimizer_wrapper, 'is_cuda_available', lambda: True)
    items = [dict(inputs=x, data_samples=torch.tensor(3.)) for x in torch.randn(6, 3)]
    for init_scale, skipped in ((2.0**127, True), (2.0**8, False)):
        model = Regressor()
        before = copy.deepcopy(model.state_dict())
        wrapper = AmpOptimWrapper(optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
                                  dtype='bfloat16')
        wrapper.loss_scaler = torch.amp.GradScaler('cpu', init_scale=init_scale)
        loop, batch = _wrapped_loop(model, items, wrapper)
        assert loop._inner_loss_scale(wrapper) == init_scale
        loop.meta_train_step(batch)
        unchanged = all(torch.equal(before[k], v) for k, v in model.state_dict().items())
        assert unchanged == skipped
        assert wrapper.loss_scaler.get_scale() == (init_scale / 2 if skipped else init_scale)
        assert all(torch.isfinite(p).all() for p in model.parameters())


class IterRecorder(Hook):

    def __init__(self):
        self.iters = []

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        self.iters.append(batch_idx)


def _regression_items(n, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 3, generator=g)
    y = torch.sin(x.sum(1))
    return [dict(inputs=x[i], data_samples=y[i]) for i in range(n)]


def _runner(work_dir, max_iters, name, **kwargs):
    recorder = IterRecorder()
    runner = Runner(
        model=Regressor(bn=True),
        work_dir=work_dir,
        experiment_name=name,
        train_dataloader=dict(
            dataset=ListDataset(_regression_items(24)),
            sampler=dict(type='DefaultSampler', shuffle=True),
            batch_size=(1 + 2) * 2,
            collate_fn=dict(type='default_collate')),
        train_cfg=dict(type='MCRESTrainLoop', max_iters=max_iters, num_test_sets=2,
                       inner_lr=0.1, test_weights=[0.5, 0.5]),
        optim_wrapper=dict(
            type='BF16AutocastOptimWrapper',
            optimizer=dict(type='SGD', lr=0.05, momentum=0.9),
            clip_grad=dict(max_norm=1.0)),
        default_hooks=dict(
            logger=dict(type='LoggerHook', interval=1),
            checkpoint=dict(type='CheckpointHook', interval=2, by_epoch=False,
                            backend_args=dict(backend='mmvl_local'))),
        custom_hooks=[recorder],
        default_scope='mmvl',
        **kwargs)
    return runner, recorder


def test_runner_with_bf16_clip_grad_checkpoint_and_resume(tmp_path):
    runner, recorder = _runner(str(tmp_path), 4, 'mcres_a')
    runner.train()
    assert recorder.iters == [0, 1, 2, 3] and runner.iter == 4
    hub = runner.message_hub
    for key in ('loss', 'vtr_loss', 'vtr_loss_mse', 'vte1_loss', 'vte2_loss_mse',
                'inner_grad_norm', 'grad_norm'):
        assert torch.isfinite(torch.tensor(hub.get_scalar(f'train/{key}').current())), key
    log = open(glob.glob(str(tmp_path / '*' / '*.log'))[0]).read()
    assert 'vte2_loss_mse' in log and 'inner_grad_norm' in log
    # a DefaultSampler gives random chunks, not virtual sets: the loop says so
    assert 'DefaultSampler does not draw virtual sets' in log
    assert runner.model.bn.num_batches_tracked.item() == 4  # once per iteration

    resumed, recorder = _runner(str(tmp_path), 6, 'mcres_b', resume=True,
                                load_from=str(tmp_path / 'iter_4.pth'))
    resumed.train()
    assert recorder.iters == [4, 5] and resumed.iter == 6
    assert resumed.model.bn.num_batches_tracked.item() == 6


# ---- two gloo processes against one process on the concatenated batches ----

WORLD, B, K, ITERS = 2, 2, 2, 3


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def _ddp_runner(work_dir, indices, batch_size, first_order, inner_steps, **kwargs):
    torch.manual_seed(0)
    model = Regressor(dims=(3, 5, 1))
    loader = DataLoader(ListDataset(_regression_items(ITERS * WORLD * (1 + K) * B, seed=1)),
                        batch_size=batch_size, sampler=indices, collate_fn=default_collate)
    return Runner(
        model=model,
        work_dir=work_dir,
        experiment_name='mcres_dist',
        train_dataloader=loader,
        train_cfg=dict(type='MCRESTrainLoop', max_iters=ITERS, num_test_sets=K, inner_lr=0.5,
                       test_weights=[0.4, 0.6], first_order=first_order,
                       inner_steps=inner_steps),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.2, momentum=0.9)),
        default_hooks=dict(checkpoint=None),
        default_scope='mmvl',
        **kwargs)


def _worker(rank, port, out_dir, first_order, inner_steps):
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port), RANK=str(rank),
                      LOCAL_RANK=str(rank), WORLD_SIZE=str(WORLD))
    init_cpu_process_group('pytorch')
    try:
        # rank r takes its B samples of every chunk of the concatenated batch
        indices = [((t * (1 + K) + c) * WORLD + rank) * B + j
                   for t in range(ITERS) for c in range(1 + K) for j in range(B)]
        wrapper = dict(type='mmvl.MMVLDistributedDataParallel')
        runner = _ddp_runner(out_dir, indices, (1 + K) * B, first_order, inner_steps,
                             launcher='pytorch', cfg=dict(model_wrapper_cfg=wrapper))
        runner.train()
        torch.save(runner.model.module.state_dict(), os.path.join(out_dir, f'{rank}.pt'))
    finally:
        dist.destroy_process_group()


@pytest.mark.parametrize('first_order,inner_steps', [(False, 2), (True, 1)])
def test_two_ranks_match_one_process_on_the_concatenated_batch(tmp_path, first_order,
                                                               inner_steps):
    mp.spawn(_worker, args=(_free_port(), str(tmp_path), first_order, inner_steps),
             nprocs=WORLD, join=True)
    rank0, rank1 = (torch.load(tmp_path / f'{r}.pt') for r in range(WORLD))
    single = _ddp_runner(str(tmp_path / 'single'), list(range(ITERS * WORLD * (1 + K) * B)),
                         WORLD * (1 + K) * B, first_order, inner_steps)
    initial = copy.deepcopy(single.model.state_dict())
    single.train()
    for name, value in single.model.state_dict().items():
        assert torch.equal(rank0[name], rank1[name]), name
        assert torch.allclose(rank0[name], value, atol=1e-6), name
        assert not torch.equal(initial[name], value), name
