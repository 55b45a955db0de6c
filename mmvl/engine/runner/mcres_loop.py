# Copyright (c) mmvl contributors. All rights reserved.
"""The meta-learning training loop of MCRES.

MCRES ("Meta Compositional Referring Expression Segmentation", Xu et al., CVPR 2023,
arXiv 2304.04415) trains any RES model with a virtual-training set and K virtual-testing sets
whose samples hold novel compositions of the virtual-training concepts. No official code exists;
the update follows MLDG, as in the first author's ECCV 2022 work, and every unknown of the paper
is an argument here.
"""
import logging
import math
from contextlib import nullcontext
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.distributed as dist
import torch.nn as nn
from mmengine.logging import print_log
from mmengine.model import BaseModel, is_model_wrapper
from mmengine.optim import OptimWrapper
from mmengine.runner import IterBasedTrainLoop
from torch.func import functional_call
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import BatchSampler, DataLoader

from mmvl.registry import LOOPS


class _AllReduceMean(torch.autograd.Function):
    """Mean over the ranks of ``group``; its backward is the same mean of the incoming gradient.

    Every rank adds ``loss_r(mean_s x_s)`` to its own meta loss, and the meta gradients are
    averaged after the backward pass, so each rank's ``x_r`` must receive the mean of the
    gradients that reach the output on all ranks.
    """

    @staticmethod
    def forward(ctx, tensor: torch.Tensor, group) -> torch.Tensor:
        ctx.group = group
        tensor = tensor.clone(memory_format=torch.contiguous_format)
        dist.all_reduce(tensor, group=group)
        return tensor / dist.get_world_size(group)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        grad = grad.clone(memory_format=torch.contiguous_format)
        dist.all_reduce(grad, group=ctx.group)
        return grad / dist.get_world_size(ctx.group), None


def _all_reduce_mean(tensors: List[torch.Tensor], group,
                     differentiable: bool = False) -> List[torch.Tensor]:
    """Average ``tensors`` over the ranks of ``group``, one collective per dtype and device."""
    buckets: Dict[Tuple[torch.dtype, torch.device], List[int]] = {}
    for i, t in enumerate(tensors):
        buckets.setdefault((t.dtype, t.device), []).append(i)
    out: List[Optional[torch.Tensor]] = [None] * len(tensors)
    for indices in buckets.values():
        flat = torch.cat([tensors[i].reshape(-1) for i in indices])
        if differentiable:
            flat = _AllReduceMean.apply(flat, group)
        else:
            dist.all_reduce(flat, group=group)
            flat = flat / dist.get_world_size(group)
        for i, piece in zip(indices, flat.split([tensors[i].numel() for i in indices])):
            out[i] = piece.view_as(tensors[i])
    return out  # type: ignore


def split_batch(data: Union[dict, tuple, list], num_chunks: int) -> list:
    """Cut a collated batch into ``num_chunks`` equal consecutive chunks along the batch axis.

    ``data`` is what the dataloader yields and the data preprocessor takes: a dict of fields
    (mmdet style ``{'inputs': [...], 'data_samples': [...]}``) or a tuple / list of fields. Each
    field is cut: a tensor along dim 0, a list or tuple by position (one item per sample), a
    dict field field by field; other values (``None``, strings) go to every chunk.

    Args:
        data (dict or tuple or list): The collated batch.
        num_chunks (int): Number of chunks, ``1 + K``.

    Returns:
        list: ``num_chunks`` batches with the structure of ``data``.
    """
    lengths: Dict[str, int] = {}

    def cut_fields(fields, path: str) -> list:
        if isinstance(fields, dict):
            parts = {k: cut(v, f'{path}{k}') for k, v in fields.items()}
            return [type(fields)({k: parts[k][i] for k in fields}) for i in range(num_chunks)]
        parts = [cut(v, f'{path}[{j}]') for j, v in enumerate(fields)]
        return [type(fields)(part[i] for part in parts) for i in range(num_chunks)]

    def cut(x, path: str) -> list:
        if isinstance(x, dict):
            return cut_fields(x, path + '.')
        if not isinstance(x, (torch.Tensor, list, tuple)):
            return [x] * num_chunks
        lengths[path] = n = len(x)
        if n % num_chunks != 0:
            raise ValueError(
                f'MCRESTrainLoop: the batch field {path!r} holds {n} samples, which do not split '
                f'into 1 + num_test_sets = {num_chunks} equal chunks; the dataloader batch_size '
                'must be (1 + K) * B')
        if len(set(lengths.values())) > 1:
            raise ValueError(f'MCRESTrainLoop: batch fields of different lengths {lengths}')
        size = n // num_chunks
        if isinstance(x, torch.Tensor):
            return list(x.split(size))
        return [type(x)(x[i * size:(i + 1) * size]) for i in range(num_chunks)]

    if not isinstance(data, (dict, list, tuple)):
        raise TypeError(f'MCRESTrainLoop: a batch should be a dict, tuple or list of fields, '
                        f'got {type(data).__name__}')
    return cut_fields(data, '')


@LOOPS.register_module()
class MCRESTrainLoop(IterBasedTrainLoop):
    """Iteration-based training with the MCRES meta-learning update.

    Each batch from the dataloader holds ``(1 + K) * B`` samples: the first ``B`` from the
    virtual training set D_vtr, then ``B`` from each virtual testing set D_vte^k, k = 1..K (the
    order ``MetaCompositionalSampler`` yields). One iteration (MLDG style):

    .. code-block:: none

        theta_0 = theta;  theta_{i+1} = theta_i - alpha * grad L(D_vtr; theta_i)   i < n
        L_meta  = L(D_vtr; theta) + sum_k gamma_k * L(D_vte^k; theta_n)
        theta  <- optimizer step on grad_theta L_meta

    All inner steps use the same D_vtr chunk. ``first_order=False`` differentiates through the
    inner steps (Hessian-vector products of L(D_vtr)); ``first_order=True`` detaches the inner
    gradients, so each test term contributes its gradient at theta_n. The forward pass at theta
    that gives L(D_vtr; theta) also gives the first inner gradient. Later inner steps and the
    test chunks run through :func:`torch.func.functional_call` with the adapted parameters. The
    preprocessed D_vtr chunk is reused by every inner step, so the model's loss must not change
    its inputs in place.

    The outer step is ``optim_wrapper.update_params(L_meta)`` (under DDP its parts:
    ``scale_loss``, ``backward``, the gradient average, ``step``, ``zero_grad``), so gradient
    clipping, gradient accumulation, ``BF16AutocastOptimWrapper`` and ``AmpOptimWrapper`` work as
    for ordinary training. A wrapper holding several optimizers (``OptimWrapperDict``) is not
    supported.

    **Mixed precision.** Every forward pass runs inside ``optim_wrapper.optim_context`` (the
    wrapper's autocast); the inner gradients are taken after it closes. If the wrapper has a
    ``loss_scaler`` (``AmpOptimWrapper``, fp16), the inner loss is multiplied by the scaler's
    current scale before :func:`torch.autograd.grad` and the gradients divided by it, so small
    fp16 activation gradients do not underflow. An inner overflow gives non-finite adapted
    parameters, hence non-finite meta gradients, and the scaler skips that step and lowers its
    scale, as it does for an overflow of the ordinary backward pass. bf16 needs no scaling.

    **Buffers and BatchNorm.** Running statistics are updated once per iteration, by the forward
    pass on D_vtr at theta: the same update as plain training on the D_vtr batch. Every
    functional call (test chunks, inner steps after the first) receives fresh copies of all
    module buffers: in train mode BatchNorm normalises with the chunk's batch statistics and
    writes its running statistics (and ``num_batches_tracked``) into the copies, which are
    dropped. State kept outside buffers (Python attributes, e.g. queue pointers) is not copied,
    so a model that changes such state in its training forward does so once per forward.

    **Distributed training.** With a ``DistributedDataParallel`` model (e.g.
    ``MMVLDistributedDataParallel``) the loop runs on ``model.module`` under ``no_sync()``, which
    bypasses DDP's gradient hooks, and synchronises by hand so that the result equals a single
    process on the concatenated batch (each rank's chunks of equal size B):

    - the inner gradients are averaged over the ranks before each inner step, so all ranks share
      the same theta_n; with ``first_order=False`` the average is differentiable (its backward
      averages the incoming gradients as well);
    - before each optimizer step the meta gradients are averaged over the ranks (parameters
      without a gradient on one rank count as zero there, those without a gradient on every
      rank keep ``None``);
    - if the wrapper has ``broadcast_buffers=True``, rank 0's buffers are broadcast at the start
      of each iteration, as DDP's forward does. BatchNorm still uses per-rank statistics
      (use SyncBN for global ones).

    **Config.** A config switches to this loop with::

        train_cfg = dict(
            type='MCRESTrainLoop', max_iters=40000, val_interval=2000,
            num_test_sets=2, inner_lr=1e-4, test_weights=[0.5, 0.5],
            inner_steps=1, first_order=False,
            meta_params=['backbone', 'neck', 'head'])  # e.g. no inner step on the text encoder
        train_dataloader = dict(
            batch_size=(1 + 2) * 4,  # (1 + K) * B
            sampler=dict(type='MetaCompositionalSampler', batch_size=4, num_test_sets=2),
            ...)

    Args:
        runner (Runner): The runner.
        dataloader (DataLoader or dict): The training dataloader; its batch size must be a
            multiple of ``1 + num_test_sets``. A batch sampler that regroups samples (mmdet's
            ``AspectRatioBatchSampler``, set by many mmdet dataset configs) is refused.
        max_iters (int): Total training iterations.
        num_test_sets (int): K, the number of virtual testing sets.
        inner_lr (float): alpha, the step size of the inner (virtual training) SGD steps.
        test_weights (Sequence[float], optional): gamma_1..gamma_K, the weights of the virtual
            testing losses. Defaults to None: 1 / K each, so the test terms together weigh as
            much as the virtual training loss whatever K is.
        inner_steps (int): Number of inner SGD steps. Defaults to 1.
        first_order (bool): Detach the inner gradients (first-order approximation; no
            Hessian-vector products, less memory). Defaults to False.
        meta_params (Sequence[str], optional): Name prefixes (as in ``model.named_parameters()``
            of the unwrapped model; a prefix matches whole name components) of the parameters
            adapted in the inner steps. The others keep theta in the test forward passes but
            still get meta gradients. Defaults to None: every parameter with
            ``requires_grad``.
        val_begin (int): The iteration that begins validating. Defaults to 1.
        val_interval (int): Validation interval. Defaults to 1000.
        dynamic_intervals (list[tuple[int, int]], optional): As in
            :class:`mmengine.runner.IterBasedTrainLoop`. Defaults to None.
    """

    def __init__(self,
                 runner,
                 dataloader: Union[DataLoader, Dict],
                 max_iters: int,
                 num_test_sets: int,
                 inner_lr: float,
                 test_weights: Optional[Sequence[float]] = None,
                 inner_steps: int = 1,
                 first_order: bool = False,
                 meta_params: Optional[Sequence[str]] = None,
                 val_begin: int = 1,
                 val_interval: int = 1000,
                 dynamic_intervals: Optional[List[Tuple[int, int]]] = None) -> None:
        if not isinstance(num_test_sets, int) or num_test_sets < 1:
            raise ValueError(f'num_test_sets must be a positive int, got {num_test_sets!r}')
        if test_weights is None:
            test_weights = [1.0 / num_test_sets] * num_test_sets
        if len(test_weights) != num_test_sets:
            raise ValueError(f'test_weights must hold num_test_sets = {num_test_sets} weights, '
                             f'got {len(test_weights)}: {list(test_weights)}')
        if not all(math.isfinite(float(w)) and float(w) >= 0 for w in test_weights) or \
                not any(float(w) > 0 for w in test_weights):
            raise ValueError('test_weights must be finite, non-negative and not all zero, got '
                             f'{list(test_weights)}')
        if not math.isfinite(float(inner_lr)) or float(inner_lr) <= 0:
            raise ValueError(f'inner_lr (alpha) must be a positive number, got {inner_lr!r}')
        if not isinstance(inner_steps, int) or inner_steps < 1:
            raise ValueError(f'inner_steps must be a positive int, got {inner_steps!r}')
        if isinstance(meta_params, str):
            raise TypeError(f'meta_params must be a list of name prefixes, got the string '
                            f'{meta_params!r}; write [{meta_params!r}]')
        self.num_test_sets = num_test_sets
        self.inner_lr = float(inner_lr)
        self.test_weights = [float(w) for w in test_weights]
        self.inner_steps = inner_steps
        self.first_order = first_order
        self.meta_params = None if meta_params is None else list(meta_params)
        super().__init__(runner, dataloader, max_iters, val_begin, val_interval,
                         dynamic_intervals)
        self._check_dataloader()

    def _check_dataloader(self) -> None:
        """Fail at construction when the batches cannot split into 1 + K chunks."""
        chunks = 1 + self.num_test_sets
        batch_sampler = getattr(self.dataloader, 'batch_sampler', None)
        if batch_sampler is not None and type(batch_sampler) is not BatchSampler:
            # A custom batch sampler must be MCRES-aware; its batch_size may mean B or (1 + K) B,
            # so the sizes are checked when the batches arrive.
            if getattr(batch_sampler, 'num_test_sets', None) is None:
                raise ValueError(
                    f'MCRESTrainLoop: the train dataloader uses the batch sampler '
                    f'{type(batch_sampler).__name__}, which may regroup the samples (mmdet\'s '
                    f'AspectRatioBatchSampler does) and so break the order of the 1 + K chunks; '
                    f'set batch_sampler=None and batch_size=(1 + K) * B')
            sampler, batch_size = batch_sampler, None
        else:
            sampler = getattr(self.dataloader, 'sampler', None)
            batch_size = getattr(self.dataloader, 'batch_size', None)
        if batch_size is not None and batch_size % chunks != 0:
            raise ValueError(
                f'MCRESTrainLoop: the train dataloader batch_size {batch_size} is not a '
                f'multiple of 1 + num_test_sets = {chunks}; set it to (1 + K) * B')
        sampler_sets = getattr(sampler, 'num_test_sets', None)
        if sampler_sets is None:
            print_log(
                f'MCRESTrainLoop: the train sampler {type(sampler).__name__} does not draw '
                'virtual sets, so the 1 + K chunks of each batch are random samples, not a '
                'virtual training set and its novel-composition testing sets: this trains a '
                'plain meta-learning step, not MCRES. Use MetaCompositionalSampler.',
                logger='current', level=logging.WARNING)
        elif sampler_sets != self.num_test_sets:
            raise ValueError(f'MCRESTrainLoop: num_test_sets={self.num_test_sets} but the '
                             f'sampler yields {sampler_sets} virtual testing sets')
        sampler_batch = getattr(sampler, 'batch_size', None)
        if (sampler_sets is not None and batch_size is not None
                and isinstance(sampler_batch, int) and batch_size != chunks * sampler_batch):
            raise ValueError(
                f'MCRESTrainLoop: the sampler yields chunks of {sampler_batch} samples, so the '
                f'dataloader batch_size must be {chunks} * {sampler_batch} = '
                f'{chunks * sampler_batch}, got {batch_size}')

    def run_iter(self, data_batch: Union[dict, tuple, list]) -> None:
        """Run one meta-learning iteration.

        Args:
            data_batch (dict or tuple or list): ``(1 + K) * B`` collated samples.
        """
        self.runner.call_hook('before_train_iter', batch_idx=self._iter, data_batch=data_batch)
        outputs = self.meta_train_step(data_batch)
        self.runner.call_hook(
            'after_train_iter', batch_idx=self._iter, data_batch=data_batch, outputs=outputs)
        self._iter += 1

    def meta_train_step(self, data_batch: Union[dict, tuple, list]) -> Dict[str, torch.Tensor]:
        """Split the batch, adapt on D_vtr, evaluate the D_vte^k and update the parameters.

        Args:
            data_batch (dict or tuple or list): ``(1 + K) * B`` collated samples.

        Returns:
            dict[str, Tensor]: Logged values: ``loss`` (L_meta), ``vtr_<key>`` (the model's
            log variables on D_vtr at theta, e.g. ``vtr_loss``, ``vtr_loss_mask``),
            ``vte<k>_<key>`` (the same on D_vte^k at the adapted parameters, k from 1) and
            ``inner_grad_norm`` (L2 norm of the first inner gradient, rank-averaged).
        """
        model = self.runner.model
        optim_wrapper = self.runner.optim_wrapper
        ddp = model if isinstance(model, DistributedDataParallel) else None
        if ddp is None and is_model_wrapper(model):
            raise NotImplementedError(
                f'MCRESTrainLoop supports a plain model or DistributedDataParallel, got '
                f'{type(model).__name__}')
        module: BaseModel = model.module if ddp is not None else model
        chunks = split_batch(data_batch, 1 + self.num_test_sets)
        if ddp is not None and ddp.broadcast_buffers:
            self._broadcast_buffers(module, ddp.process_group)

        with ddp.no_sync() if ddp is not None else nullcontext():
            data_vtr = module.data_preprocessor(chunks[0], True)
            loss_vtr, log_vtr = self._loss(module, data_vtr)
            params, grad_norm = self.adapt(module, data_vtr, loss_vtr)
            loss_meta = loss_vtr
            outputs = {f'vtr_{k}': v.detach() for k, v in log_vtr.items()}
            for k, (weight, chunk) in enumerate(zip(self.test_weights, chunks[1:]), 1):
                data_vte = module.data_preprocessor(chunk, True)
                loss_vte, log_vte = self._loss(module, data_vte, params)
                loss_meta = loss_meta + weight * loss_vte
                outputs.update({f'vte{k}_{key}': v.detach() for key, v in log_vte.items()})
            self._update_params(optim_wrapper, loss_meta, module, ddp)
        return dict(loss=loss_meta.detach(), **outputs, inner_grad_norm=grad_norm)

    def adapt(self, module: BaseModel, data_vtr: Union[dict, tuple, list],
              loss_vtr: torch.Tensor) -> Tuple[Dict[str, torch.Tensor], torch.Tensor]:
        """The inner steps: SGD from theta on the virtual training chunk.

        Args:
            module (BaseModel): The unwrapped model.
            data_vtr (dict or tuple or list): The preprocessed D_vtr chunk.
            loss_vtr (Tensor): L(D_vtr; theta), from a forward pass of ``module`` on
                ``data_vtr``; its graph is kept for the meta loss.

        Returns:
            tuple:

            - dict[str, Tensor]: The adapted parameters theta_n of the ``meta_params``, by name;
              differentiable functions of theta.
            - Tensor: The L2 norm of the first inner gradient (detached, unscaled).
        """
        ddp = self.runner.model if isinstance(self.runner.model, DistributedDataParallel) else None
        scale = self._inner_loss_scale(self.runner.optim_wrapper)
        names = self._meta_param_names(module)
        named = dict(module.named_parameters())
        params = {n: named[n] for n in names}
        grad_norm = None
        for step in range(self.inner_steps):
            loss = loss_vtr if step == 0 else self._loss(module, data_vtr, params)[0]
            grads = torch.autograd.grad(
                loss * scale if scale != 1.0 else loss, [params[n] for n in names],
                create_graph=not self.first_order,
                # the first loss stays in L_meta; later ones only give their gradient
                retain_graph=step == 0 or not self.first_order,
                allow_unused=True)
            grads = [torch.zeros_like(params[n]) if g is None else g
                     for n, g in zip(names, grads)]
            if scale != 1.0:
                grads = [g / scale for g in grads]
            if ddp is not None:
                grads = _all_reduce_mean(grads, ddp.process_group,
                                         differentiable=not self.first_order)
            if step == 0:
                grad_norm = torch.linalg.vector_norm(
                    torch.stack([torch.linalg.vector_norm(g.detach().float()) for g in grads]))
            params = {n: params[n] - self.inner_lr * g for n, g in zip(names, grads)}
        return params, grad_norm

    def _meta_param_names(self, module: nn.Module) -> List[str]:
        trainable = [n for n, p in module.named_parameters() if p.requires_grad]
        if self.meta_params is None:
            names = trainable
        else:
            unmatched = [prefix for prefix in self.meta_params
                         if not any(n == prefix or n.startswith(prefix + '.') for n in trainable)]
            if unmatched:
                raise ValueError(f'MCRESTrainLoop: meta_params {unmatched} match no trainable '
                                 f'parameter of {type(module).__name__}')
            names = [n for n in trainable if any(
                n == prefix or n.startswith(prefix + '.') for prefix in self.meta_params)]
        if not names:
            raise ValueError('MCRESTrainLoop: the model has no trainable parameter to adapt')
        return names

    def _loss(self,
              module: BaseModel,
              data: Union[dict, tuple, list],
              params: Optional[Dict[str, torch.Tensor]] = None
              ) -> Tuple[torch.Tensor, Dict[str, torch.Tensor]]:
        """Forward in loss mode at theta (``params=None``) or at ``params`` with buffer copies."""
        with self.runner.optim_wrapper.optim_context(module):
            if params is None:
                losses = module._run_forward(data, mode='loss')
            else:
                if isinstance(data, dict):
                    args, kwargs = (), dict(data, mode='loss')
                elif isinstance(data, (list, tuple)):
                    args, kwargs = tuple(data), dict(mode='loss')
                else:
                    raise TypeError(f'the data preprocessor should return a dict, tuple or '
                                    f'list, got {type(data).__name__}')
                buffers = {n: b.clone() for n, b in module.named_buffers()}
                losses = functional_call(module, {**params, **buffers}, args, kwargs)
        return module.parse_losses(losses)

    @staticmethod
    def _inner_loss_scale(optim_wrapper: OptimWrapper) -> float:
        """The loss scale of an fp16 wrapper's ``GradScaler``, else 1."""
        scaler = getattr(optim_wrapper, 'loss_scaler', None)
        if scaler is None or not scaler.is_enabled():
            return 1.0
        return float(scaler.get_scale())

    def _update_params(self, optim_wrapper: OptimWrapper, loss: torch.Tensor, module: nn.Module,
                       ddp: Optional[DistributedDataParallel]) -> None:
        """``optim_wrapper.update_params``, averaging the gradients over ranks before a step."""
        if ddp is None:
            optim_wrapper.update_params(loss)
            return
        optim_wrapper.backward(optim_wrapper.scale_loss(loss))
        if optim_wrapper.should_update():
            self._all_reduce_grads(module, ddp.process_group)
            optim_wrapper.step()
            optim_wrapper.zero_grad()

    @staticmethod
    def _all_reduce_grads(module: nn.Module, group) -> None:
        params = [p for p in module.parameters() if p.requires_grad]
        if not params:
            return
        has_grad = torch.tensor([float(p.grad is not None) for p in params],
                                device=params[0].device)
        dist.all_reduce(has_grad, group=group)
        used = [p for p, n in zip(params, has_grad.tolist()) if n > 0]
        for p in used:
            if p.grad is None:
                p.grad = torch.zeros_like(p)
        for p, grad in zip(used, _all_reduce_mean([p.grad for p in used], group)):
            p.grad.copy_(grad)

    @staticmethod
    def _broadcast_buffers(module: nn.Module, group) -> None:
        src = dist.get_global_rank(group, 0) if group is not None else 0
        for buf in module.buffers():
            dist.broadcast(buf, src=src, group=group)
