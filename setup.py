# Copyright (c) mmvl contributors. All rights reserved.
"""mmvl: vision, self-supervised and vision-language research systems on the OpenMMLab stack.

`pip install -e .` installs mmvl and the pure-Python part of its stack. torch/torchvision and
mmcv (which must be built from source with its compiled ops for this torch) are installed by
`bash tools/setup_env.sh`, which also creates the tested environment; see README.md.
"""
import os.path as osp
import re

from setuptools import find_packages, setup

HERE = osp.dirname(osp.abspath(__file__))


def get_version() -> str:
    with open(osp.join(HERE, 'mmvl', 'version.py'), encoding='utf-8') as f:
        return re.search(r"__version__ = '([^']+)'", f.read()).group(1)


def parse_requirements(name: str) -> list:
    """Read requirements/<name>.txt, skipping comments and blank lines."""
    with open(osp.join(HERE, 'requirements', f'{name}.txt'), encoding='utf-8') as f:
        lines = (line.split('#')[0].strip() for line in f)
        return [line for line in lines if line]


with open(osp.join(HERE, 'README.md'), encoding='utf-8') as f:
    long_description = f.read()

setup(
    name='mmvl',
    version=get_version(),
    description='OpenMMLab-style toolbox for vision, self-supervised and vision-language models',
    long_description=long_description,
    long_description_content_type='text/markdown',
    license='Apache License 2.0',
    python_requires='>=3.9',
    packages=find_packages(include=['mmvl', 'mmvl.*']),
    include_package_data=True,
    install_requires=parse_requirements('runtime'),
    extras_require={
        'tests': parse_requirements('tests'),
        'optional': parse_requirements('optional'),
        'build': parse_requirements('build'),
    },
    zip_safe=False,
)
