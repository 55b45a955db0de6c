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


def test_autocast_limited_to_named_modules():
    """Only the named submodule computes in bf16; the rest sees float32 and hooks go away."""
    model = nn.Sequential(nn.Linear(4, 4), nn.Linear(4, 2))
    seen = {}
    model[1].register_forward_pre_hook(lambda m, args: seen.update(head_in=args[0].dtype))
    model[0].register_forward_hook(lambda m, a, out: seen.update(body_out=out.dtype))
    wrapper = BF16AutocastOptimWrapper(
        autocast_modules=['0'], optimizer=torch.optim.SGD(model.parameters(), lr=0.1))
    with wrapper.optim_context(model):
        out = model(torch.randn(3, 4))
    assert seen['body_out'] == torch.bfloat16  # inside the autocast module
    assert seen['head_in'] == torch.float32  # cast back before the next module
    assert out.dtype == torch.float32
    assert len(model[0]._forward_pre_hooks) == 0 and len(model[0]._forward_hooks) == 1


def test_unknown_module_name_is_an_error():
    import pytest
    model = nn.Sequential(nn.Linear(2, 2))
    wrapper = BF16AutocastOptimWrapper(
        autocast_modules=['backbone'], optimizer=torch.optim.SGD(model.parameters(), lr=0.1))
    with pytest.raises(KeyError, match='backbone'):
        with wrapper.optim_context(model):
            pass
