"""model-index.yml and the metafiles: every algorithm's metafile is indexed, every entry's
config and README exist, and every Downstream name is a model of some metafile."""
import glob
import os.path as osp

import yaml

from mmvl.testing import REPO_ROOT


def _load(path):
    with open(osp.join(REPO_ROOT, path)) as f:
        return yaml.safe_load(f)


def test_metafiles_are_indexed_and_point_at_existing_files():
    indexed = _load('model-index.yml')['Import']
    on_disk = sorted(osp.relpath(p, REPO_ROOT)
                     for p in glob.glob(osp.join(REPO_ROOT, 'configs', '*', 'metafile.yml')))
    assert sorted(indexed) == on_disk
    names, downstream = set(), []
    for path in indexed:
        meta = _load(path)
        for collection in meta.get('Collections', []):
            assert osp.isfile(osp.join(REPO_ROOT, collection['README'])), collection['README']
        for model in meta.get('Models', []):
            assert osp.isfile(osp.join(REPO_ROOT, model['Config'])), (path, model['Config'])
            names.add(model['Name'])
            downstream += [(path, d) for d in model.get('Downstream') or []]
    missing = [(path, name) for path, name in downstream if name not in names]
    assert not missing, f'Downstream names that are no model of any metafile: {missing}'
