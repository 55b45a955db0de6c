# Copyright (c) mmvl contributors. All rights reserved.
"""Visual question answering inference: image + question -> answer with its score.

Works with any mmvl VQA model that reads images through its test pipeline (``LoadImageFromFile``)
and whose ``predict`` reads each sample's ``question`` and sets ``pred_answer`` and
``pred_score`` (and, for the top answers, ``pred_answer_scores`` over the answer table of its
``VQAClassificationHead``): SOHO and Pixel-BERT. Models that read pre-extracted region features
instead of images (the rich-region VQA model's ``LoadRegionFeatures``) need the detector run
first; their configs are refused with an error naming the missing image loader.
Like mmpretrain's ``VisualQuestionAnsweringInferencer`` (one question per image), on mmvl's
base inferencer (paths, directories, arrays, output names, ``vis/`` and ``preds/`` files).
"""
import copy
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

import mmcv
import mmengine
import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.registry import FUNCTIONS, DefaultScope

from mmvl.registry import INFERENCERS
from ..visualization.vl_drawing import draw_vqa
from .base_inferencer import InputError, InputsType, MMVLInferencer



def _type_name(transform_type: Any) -> str:
    if isinstance(transform_type, str):
        return transform_type.rsplit('.', 1)[-1]
    return getattr(transform_type, '__name__', '')


def inference_pipeline(cfg: Config) -> Compose:
    """The config's test pipeline with its image loader reading paths, arrays or dicts.

    mmdet's ``InferencerLoader`` takes the place of ``LoadImageFromFile`` (same arguments): a
    path is read from disk, an array (BGR) used as is, and the other keys of a dict input
    (``question``, ``text``) pass through to the packer.
    """
    dataset = cfg.test_dataloader.get('dataset', {})
    if 'pipeline' not in dataset and dataset.get('datasets'):
        dataset = dataset['datasets'][0]
    if 'pipeline' not in dataset:
        raise KeyError('the config has no test_dataloader.dataset.pipeline')
    pipeline_cfg = copy.deepcopy(dataset['pipeline'])
    loaders = [i for i, t in enumerate(pipeline_cfg) if _type_name(t['type']) in
               ('LoadImageFromFile', 'InferencerLoader')]
    if not loaders:
        raise KeyError('the test pipeline has no LoadImageFromFile transform')
    pipeline_cfg[loaders[0]]['type'] = 'mmdet.InferencerLoader'
    return Compose(pipeline_cfg)


def config_collate_fn(cfg: Config) -> Callable:
    """The test loader's ``collate_fn`` (a name or a ``dict(type=...)``), else pseudo_collate.

    mmengine's inferencer accepts only a name here; configs usually give a dict.
    """
    collate = cfg.test_dataloader.get('collate_fn', 'pseudo_collate')
    if isinstance(collate, dict):
        collate = collate['type']
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope') or 'mmvl'):
        return FUNCTIONS.get(collate)


def find_answer_table(model) -> Optional[List[str]]:
    """The answer table of the model's VQA head (the first submodule holding one)."""
    for module in model.modules():
        table = getattr(module, 'answer_table', None)
        if isinstance(table, (list, tuple)) and table:
            return list(table)
    return None


@INFERENCERS.register_module()
class VQAInferencer(MMVLInferencer):
    """Answer questions about images.

    Example::

        >>> inferencer = VQAInferencer('configs/soho/<toy vqa config>.py', weights='x.pth')
        >>> inferencer('data/toyworld/val/000000.png', 'how many circles are there?')
        {'predictions': [{'question': ..., 'pred_answer': '2', 'pred_score': 0.93,
                          'top_answers': [['2', 0.93], ['1', 0.05], ...]}], ...}

    Args:
        model (str, Path, Config, ConfigDict or dict): VQA model config file or object.
        weights (str, optional): Checkpoint file. Defaults to None (random weights).
        device (str, optional): Device. Defaults to None ('cuda' if available, else 'cpu').
        cfg_options (dict, optional): Overrides of config keys. Defaults to None.
        show_progress (bool): Whether to show a progress bar. Defaults to True.
    """

    forward_kwargs: set = {'topk'}

    def _init_pipeline(self, cfg: Config) -> Compose:
        return inference_pipeline(cfg)

    def _init_collate(self, cfg: Config) -> Callable:
        return config_collate_fn(cfg)

    def _init_visualizer(self, cfg: Config):
        return None  # pictures are drawn by mmvl.visualization.vl_drawing

    def __call__(self, inputs: InputsType, questions: Union[str, Sequence[str]],
                 batch_size: int = 1, out_dir: str = '', **kwargs) -> Dict[str, list]:
        """Answer ``questions`` about ``inputs``.

        Args:
            inputs (str, Path, np.ndarray or a sequence of them): Images (files, a directory,
                BGR arrays).
            questions (str or Sequence[str]): One question for every image, or one per image.
            batch_size (int): Questions per forward. Defaults to 1.
            out_dir (str): Writes ``vis/<name>.png`` and ``preds/<name>.json``. Defaults to ''.
            **kwargs: ``topk`` (answers listed and drawn, default 5), ``return_vis``,
                ``show``, ``no_save_vis``, ``print_result``, ``no_save_pred``,
                ``return_datasamples``.

        Returns:
            dict: ``predictions`` (dicts: ``question``, ``pred_answer``, ``pred_score``,
            ``top_answers`` = [[answer, probability], ...]) and ``visualization``.
        """
        images = self._inputs_to_list(inputs)
        if isinstance(questions, str):
            questions = [questions] * len(images)
        questions = list(questions)
        if len(questions) != len(images):
            raise InputError(f'{len(images)} images but {len(questions)} questions: give one '
                             'question, or one per image')
        if not all(isinstance(q, str) and q.strip() for q in questions):
            raise InputError('every question must be a non-empty string')
        items = []
        for image, question in zip(images, questions):
            item = dict(image) if isinstance(image, dict) else (
                dict(img=image) if isinstance(image, np.ndarray) else dict(img_path=image))
            item['question'] = question
            items.append(item)
        return super().__call__(items, batch_size=batch_size, out_dir=out_dir, **kwargs)

    @torch.no_grad()
    def forward(self, inputs: dict, topk: int = 5) -> list:
        """Predict, and attach the ``topk`` best (answer, probability) as ``top_answers``."""
        preds = self.model.test_step(inputs)
        for pred in preds:
            if 'pred_answer' not in pred:
                raise KeyError('the model set no `pred_answer`: is it a VQA model?')
            pred.set_field(self.top_answers(pred, topk), 'top_answers', field_type='metainfo')
        return preds

    def top_answers(self, pred, topk: int) -> List[Tuple[str, float]]:
        """The ``topk`` best (answer, probability) of a prediction, best first."""
        scores = pred.get('pred_answer_scores')
        table = find_answer_table(self.model)
        if scores is None or table is None:
            return [(pred.pred_answer, float(pred.pred_score))]
        values, indices = scores.float().topk(min(topk, scores.numel()))
        return [(table[int(i)], float(v)) for v, i in zip(values, indices)]

    def visualize(self, inputs: List[dict], preds: list, names: Optional[List[str]] = None,
                  out_dir: str = '', return_vis: bool = False, show: bool = False,
                  wait_time: float = 0, no_save_vis: bool = False) -> Optional[List[np.ndarray]]:
        """Draw each image with its question and top answers (``vis/<name>.png``)."""
        out_dir = '' if no_save_vis else out_dir
        if not (show or out_dir or return_vis):
            return None
        names = names or [f'{i:08d}' for i in range(len(inputs))]
        drawn = []
        for item, pred, name in zip(inputs, preds, names):
            canvas = draw_vqa(self.rgb_image(item), item['question'], pred.top_answers)
            path = self.output_path(out_dir, 'vis', name, '.png')
            if path is not None:
                mmcv.imwrite(mmcv.rgb2bgr(canvas), path)
            if show:
                mmcv.imshow(mmcv.rgb2bgr(canvas), name, int(wait_time * 1000))
            drawn.append(canvas)
        return drawn if return_vis else None

    def postprocess(self, preds: list, visualization: Optional[List[np.ndarray]] = None,
                    names: Optional[List[str]] = None, out_dir: str = '',
                    return_datasamples: bool = False, print_result: bool = False,
                    no_save_pred: bool = False) -> Dict[str, Any]:
        """Json-able answers; writes ``preds/<name>.json``."""
        out_dir = '' if no_save_pred else out_dir
        names = names or [f'{i:08d}' for i in range(len(preds))]
        dicts = []
        for name, pred in zip(names, preds):
            result = dict(question=pred.get('question'), pred_answer=pred.pred_answer,
                          pred_score=float(pred.pred_score),
                          top_answers=[[a, s] for a, s in pred.top_answers])
            path = self.output_path(out_dir, 'preds', name, '.json')
            if path is not None:
                mmengine.dump(result, path)
            if print_result:
                print(f'{name}: {result}')
            dicts.append(result)
        return dict(predictions=preds if return_datasamples else dicts,
                    visualization=visualization)
