import pytest

from mmvl.utils.dependency import SUPPORTED, check_dependencies, find_mismatches, mmcv_has_ops


def _pins(**changes):
    versions = {name: low for name, (low, _, _) in SUPPORTED.items()}
    versions.update(torch='2.14.1', torchvision='0.29.1')
    versions.update(changes)
    return versions


def test_installed_stack_matches():
    check_dependencies()  # the test environment is the pinned one
    assert find_mismatches() == []
    assert mmcv_has_ops()


def test_names_each_mismatch_and_missing_package():
    problems = find_mismatches(_pins(mmcv='2.2.0', mmdet=None), has_ops=True)
    assert len(problems) == 2
    assert any('mmcv==2.2.0' in p and '<2.2.0' in p for p in problems)
    assert any(p.startswith('mmdet is not installed') for p in problems)


@pytest.mark.parametrize('version', ['0.9.1', '1.0.0'])
def test_mmengine_range(version):
    assert find_mismatches(_pins(mmengine=version), has_ops=True)


def test_local_version_suffix_is_ignored():
    assert find_mismatches(_pins(torch='2.14.1+cpu'), has_ops=True) == []


def test_torchvision_must_pair_with_torch():
    problems = find_mismatches(_pins(torchvision='0.28.0'), has_ops=True)
    assert len(problems) == 1 and 'torch 2.14 needs torchvision 0.29' in problems[0]


def test_mmcv_without_ops_and_new_setuptools_are_named():
    problems = find_mismatches(_pins(setuptools='82.0.0'), has_ops=False)
    assert any('setuptools==82.0.0' in p for p in problems)
    assert any('without its compiled ops' in p for p in problems)
