import torch
import torch.nn as nn

from mmvl.engine.optimizers import BF16AutocastOptimWrapper


def test_forward_runs_in_bf16_and_weights_stay_fp32():
    model = nn.Linear(4, 3)
    wrapper = BF16AutocastOptimWrapper(optimizer=torch.optim.SGD(model.parameters(), lr=0.1))
    x = torch.randn(5, 4)
    before = model.weight.detach().clone()
    with wrapper.optim_context(model):
        out = model(x)
    assert out.dtype == torch.bfloat16
    wrapper.update_params(out.float().pow(2).mean())
    assert model.weight.dtype == torch.float32
    assert model.weight.grad is None  # zeroed after the step
    assert not torch.equal(before, model.weight.detach())
    assert model(x).dtype == torch.float32  # autocast ends with the context


def test_rejects_unknown_dtype():
    import pytest
    model = nn.Linear(2, 2)
    with pytest.raises(ValueError, match='bfloat16'):
        BF16AutocastOptimWrapper(
            dtype='float16', optimizer=torch.optim.SGD(model.parameters(), lr=0.1))
