import pytest

from mmvl.utils.dependency import SUPPORTED, check_dependencies, find_mismatches


def _pins(**changes):
    versions = {name: low for name, (low, _, _) in SUPPORTED.items()}
    versions.update(changes)
    return versions


def test_installed_stack_matches():
    check_dependencies()  # the test environment is the pinned one
    assert find_mismatches() == []


def test_names_each_mismatch_and_missing_package():
    problems = find_mismatches(_pins(mmcv='2.2.0', mmdet=None))
    assert len(problems) == 2
    assert any('mmcv==2.2.0' in p and '<2.2.0' in p for p in problems)
    assert any(p.startswith('mmdet is not installed') for p in problems)


@pytest.mark.parametrize('version', ['0.9.1', '1.0.0'])
def test_mmengine_range(version):
    assert find_mismatches(_pins(mmengine=version))


def test_local_version_suffix_is_ignored():
    assert find_mismatches(_pins(torch='2.14.1+cpu')) == []
