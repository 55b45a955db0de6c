# Copyright (c) mmvl contributors. All rights reserved.
"""Detection and instance segmentation inference for any mmdet-style detector config.

The pieces are mmdet's: ``mmdet.InferencerLoader`` reads paths and arrays in the config's own
test pipeline, the config's visualizer (``mmdet.DetLocalVisualizer``) draws, and
``encode_mask_results`` writes masks as COCO RLE. What differs from mmdet's ``DetInferencer``:

* class names and palette come from the config's test-set metainfo and the checkpoint, never
  from COCO by default (a toy-world model is not labelled with COCO names);
* annotation-loading transforms are dropped from the test pipeline (mmdet keeps them);
* array inputs are BGR for the model *and* converted to RGB for drawing (mmdet draws them
  with red and blue swapped); outputs are always ``vis/<name>.png`` and ``preds/<name>.json``
  with one name per input (mmdet numbers arrays differently in ``vis`` and ``preds``);
* the metainfo is read from the dataset class and config without building the dataset
  (mmdet builds it, so mmvl's ``CocoDataset`` demands the data root on disk to run a demo);
* a test pipeline without any resize still gets ``scale_factor`` 1 (mmdet's RoI heads need it
  to map predictions back to the original image, and fail with ``KeyError`` without it);
* prompt-based models (UNINEXT) take ``texts`` as mmdet's grounding demo does: category
  names ``'cat . dog .'`` or one referring expression; labels then name the prompt's entities
  (in the json, and in the pictures with the config's ``PromptDetLocalVisualizer``).
"""
import copy
import warnings
from typing import Any, Dict, List, Literal, Optional, Sequence, Tuple, Union, get_args

import cv2
import mmengine
import numpy as np
import torch
import torch.nn.functional as F
from mmdet.structures import DetDataSample
from mmdet.structures.mask import encode_mask_results, mask2bbox
from mmengine.config import Config
from mmengine.dataset import Compose

from mmvl.registry import INFERENCERS
from ..visualization import prompt_entities
from .base_inferencer import InputError, MMVLInferencer
from .model import ConfigLike

PaletteName = Literal['coco', 'voc', 'citys', 'random', 'none']
PALETTES = get_args(PaletteName)


def _type_name(transform_type: Any) -> str:
    """A transform's class name without scope (``'mmdet.Resize'`` -> ``'Resize'``)."""
    if isinstance(transform_type, str):
        return transform_type.rsplit('.', 1)[-1]
    return getattr(transform_type, '__name__', '')


@INFERENCERS.register_module()
class DetSegInferencer(MMVLInferencer):
    """Object detection and instance segmentation inferencer.

    Example::

        >>> inferencer = DetSegInferencer(
        ...     'configs/mask_rcnn/mask-rcnn_r18_fpn_1xb4-600it_toyworld.py', weights='x.pth')
        >>> result = inferencer('data/toyworld/val', out_dir='outputs', pred_score_thr=0.5)
        >>> result['predictions'][0].keys()
        dict_keys(['labels', 'scores', 'bboxes', 'label_names', 'masks'])

    Args:
        model (str, Path, Config, ConfigDict or dict): Detector config file or object.
        weights (str, optional): Checkpoint file. Defaults to None (random weights).
        device (str, optional): Device. Defaults to None ('cuda' if available, else 'cpu').
        cfg_options (dict, optional): Overrides of config keys. Defaults to None.
        palette (str, optional): Box and mask colours: one of 'coco', 'voc', 'citys',
            'random', or None/'none' for the checkpoint's palette, else the config's, else
            'random'. Defaults to None.
        show_progress (bool): Whether to show a progress bar. Defaults to True.
    """

    preprocess_kwargs: set = MMVLInferencer.preprocess_kwargs | {'texts'}
    visualize_kwargs: set = MMVLInferencer.visualize_kwargs | {'pred_score_thr', 'min_vis_size'}

    def __init__(self,
                 model: ConfigLike,
                 weights: Optional[str] = None,
                 device: Optional[str] = None,
                 cfg_options: Optional[Dict[str, Any]] = None,
                 palette: Optional[PaletteName] = None,
                 show_progress: bool = True) -> None:
        if palette is not None and palette not in PALETTES:
            raise ValueError(f'palette must be one of {PALETTES} or None, got {palette!r}')
        self.palette = None if palette == 'none' else palette
        super().__init__(
            model, weights=weights, device=device, cfg_options=cfg_options,
            show_progress=show_progress)

    def _init_model(self, cfg: Config, weights: Optional[str], device: str = 'cpu'):
        model = super()._init_model(cfg, weights, device)
        if self.palette is not None:
            model.dataset_meta['palette'] = self.palette
        if 'classes' not in model.dataset_meta:
            warnings.warn('Neither the config nor the checkpoint names the classes: '
                          'predictions are labelled "class <i>".')
        return model

    def _init_pipeline(self, cfg: Config) -> Compose:
        """The config's test pipeline, reading paths and arrays, without annotation loading."""
        dataset = cfg.test_dataloader.get('dataset', {})
        if 'pipeline' not in dataset and dataset.get('datasets'):
            dataset = dataset['datasets'][0]  # a ConcatDataset: its first part's pipeline
        if 'pipeline' not in dataset:
            raise KeyError('the config has no test_dataloader.dataset.pipeline')
        pipeline_cfg = copy.deepcopy(dataset['pipeline'])
        names = [_type_name(t['type']) for t in pipeline_cfg]
        # LoadAnnotations, LoadPanopticAnnotations, ...: there is no ground truth to load;
        # SampleExpression picks a data set's expression: here the prompt comes from `texts`.
        pipeline_cfg = [t for t, name in zip(pipeline_cfg, names)
                        if not (name.startswith('Load') and name.endswith('Annotations'))
                        and name != 'SampleExpression']
        loaders = [i for i, t in enumerate(pipeline_cfg)
                   if _type_name(t['type']) == 'LoadImageFromFile']
        if not loaders:
            raise KeyError('the test pipeline has no LoadImageFromFile transform')
        # mmdet's loader: a path goes through LoadImageFromFile (with the same arguments), an
        # array through LoadImageFromNDArray.
        pipeline_cfg[loaders[0]]['type'] = 'mmdet.InferencerLoader'
        packer = pipeline_cfg[-1]
        if 'meta_keys' in packer:  # no `img_id` at inference
            packer['meta_keys'] = tuple(k for k in packer['meta_keys'] if k != 'img_id')
        return Compose(pipeline_cfg)

    def preprocess(self, inputs, batch_size: int = 1, texts: Union[str, Sequence[str], None] = None,
                   **kwargs):
        """The base class's batches, with every sample prompted by ``texts`` if given."""
        prompt = prompt_from_texts(texts) if texts is not None else None
        for items, names, data in super().preprocess(inputs, batch_size=batch_size, **kwargs):
            if prompt is not None:
                for sample in data['data_samples']:
                    sample.set_metainfo(prompt)
            yield items, names, data

    def _transform(self, item: Union[str, np.ndarray, dict], name: str) -> dict:
        data = super()._transform(item, name)
        sample = data['data_samples']
        # NOTE: a pipeline without Resize sets no `scale_factor`, which mmdet's bbox and mask
        # heads need to map predictions back to the original image. 1 is right only if the
        # image kept its size.
        if 'scale_factor' not in sample:
            if sample.get('img_shape') != sample.get('ori_shape'):
                raise KeyError(
                    f'the test pipeline resized {name!r} from {sample.get("ori_shape")} to '
                    f'{sample.get("img_shape")} but does not pack `scale_factor`: add it to '
                    'the meta_keys of PackDetInputs')
            sample.set_metainfo(dict(scale_factor=(1.0, 1.0)))
        return data

    def visualize(self,
                  inputs: List[Union[str, np.ndarray, dict]],
                  preds: List[DetDataSample],
                  names: Optional[List[str]] = None,
                  out_dir: str = '',
                  return_vis: bool = False,
                  show: bool = False,
                  wait_time: float = 0,
                  no_save_vis: bool = False,
                  pred_score_thr: float = 0.3,
                  min_vis_size: int = 480) -> Optional[List[np.ndarray]]:
        """Draw the predictions above ``pred_score_thr`` on the original images.

        Small images (the 160 px toy world) are enlarged before drawing, so that labels and
        mask outlines stay readable; boxes and masks are scaled with them.

        Args:
            inputs (list): The batch's original inputs.
            preds (list[DetDataSample]): Their predictions.
            names (list[str], optional): Output names. Defaults to None (numbered).
            out_dir (str): Writes ``<out_dir>/vis/<name>.png``. Defaults to '' (no file).
            return_vis (bool): Whether to return the drawn images. Defaults to False.
            show (bool): Whether to show each image in a window. Defaults to False.
            wait_time (float): Seconds to show each image. Defaults to 0.
            no_save_vis (bool): Whether not to write the PNGs. Defaults to False.
            pred_score_thr (float): Draw instances whose score is above this.
                Defaults to 0.3.
            min_vis_size (int): Enlarge images whose shorter side is below this, for
                drawing only (nearest-neighbour). Defaults to 480; 0 keeps the size.

        Returns:
            list[np.ndarray] or None: Drawn RGB images if ``return_vis``, else None.
        """
        out_dir = '' if no_save_vis else out_dir
        if not (show or out_dir or return_vis):
            return None
        if self.visualizer is None:
            raise KeyError('drawing predictions needs a `visualizer` in the config')
        names = names or [f'{i:08d}' for i in range(len(inputs))]
        drawn = []
        for item, pred, name in zip(inputs, preds, names):
            image, pred = _enlarge_for_drawing(self.rgb_image(item), pred, min_vis_size)
            self.visualizer.add_datasample(
                name,
                image,
                pred,
                draw_gt=False,
                draw_pred=True,
                show=show,
                wait_time=wait_time,
                pred_score_thr=pred_score_thr,
                out_file=self.output_path(out_dir, 'vis', name, '.png'))
            if return_vis:
                drawn.append(self.visualizer.get_image())
        return drawn if return_vis else None

    def postprocess(self,
                    preds: List[DetDataSample],
                    visualization: Optional[List[np.ndarray]] = None,
                    names: Optional[List[str]] = None,
                    out_dir: str = '',
                    return_datasamples: bool = False,
                    print_result: bool = False,
                    no_save_pred: bool = False) -> Dict[str, Any]:
        """Turn predictions into json-able dicts, write ``preds/<name>.json`` and pack them.

        Args:
            preds (list[DetDataSample]): Predictions of the batch.
            visualization (list[np.ndarray], optional): Drawn images. Defaults to None.
            names (list[str], optional): Output names. Defaults to None (numbered).
            out_dir (str): Writes ``<out_dir>/preds/<name>.json``. Defaults to '' (no file).
            return_datasamples (bool): Return the ``DetDataSample`` objects instead of dicts
                (the json files are still written). Defaults to False.
            print_result (bool): Whether to print each prediction dict. Defaults to False.
            no_save_pred (bool): Whether not to write the json files. Defaults to False.

        Returns:
            dict: ``predictions`` (dicts from :meth:`pred2dict`, or data samples) and
            ``visualization``.
        """
        out_dir = '' if no_save_pred else out_dir
        names = names or [f'{i:08d}' for i in range(len(preds))]
        dicts = [self.pred2dict(pred) for pred in preds]
        for name, result in zip(names, dicts):
            path = self.output_path(out_dir, 'preds', name, '.json')
            if path is not None:
                mmengine.dump(result, path)
            if print_result:
                print(f'{name}: {result}')
        return dict(
            predictions=preds if return_datasamples else dicts, visualization=visualization)

    def pred2dict(self, data_sample: DetDataSample) -> Dict[str, Any]:
        """A json-able dict of one image's predicted instances.

        Args:
            data_sample (DetDataSample): Prediction with ``pred_instances``.

        Returns:
            dict: ``labels`` (list[int]), ``scores`` (list[float]), ``bboxes`` (list of
            ``[x1, y1, x2, y2]`` in original image pixels), ``label_names`` (list[str]) and,
            for instance segmentation, ``masks``: COCO RLE dicts (``size`` [H, W], ``counts``
            str) decodable with ``pycocotools.mask.decode``.
        """
        instances = data_sample.pred_instances.cpu().numpy()
        labels = [int(label) for label in instances.labels]
        classes = prompt_entities(data_sample) or self.model.dataset_meta.get('classes')
        result: Dict[str, Any] = dict(
            labels=labels,
            scores=[float(score) for score in instances.scores],
            bboxes=instances.bboxes.tolist() if 'bboxes' in instances else [],
            label_names=[
                classes[label] if classes is not None and label < len(classes)
                else f'class {label}' for label in labels
            ])
        if 'masks' in instances:
            masks = instances.masks.astype(bool)
            if 'bboxes' not in instances or not instances.bboxes.any():
                # mask-only models (SOLO) predict no boxes
                result['bboxes'] = mask2bbox(torch.from_numpy(masks)).tolist()
            encoded = encode_mask_results(masks)
            for rle in encoded:
                if isinstance(rle['counts'], bytes):
                    rle['counts'] = rle['counts'].decode()
            result['masks'] = list(encoded)
        return result


def prompt_from_texts(texts: Union[str, Sequence[str]]) -> Dict[str, Any]:
    """The prompt metainfo of ``texts``, as mmdet's grounding demo reads them.

    ``'cat . dog .'`` (or a list of names) is a detection prompt over those category names;
    any other string is one referring expression.

    >>> prompt_from_texts('cat . hot dog .')
    {'task': 'detection', 'text': ('cat', 'hot dog')}
    >>> prompt_from_texts('the cat left of the dog')
    {'task': 'grounding', 'text': 'the cat left of the dog'}
    """
    if isinstance(texts, str):
        stripped = texts.strip()
        if not stripped:
            raise InputError('--texts is empty: give category names "a . b ." or an expression')
        if ' . ' not in stripped and not stripped.endswith('.'):
            return dict(task='grounding', text=stripped)
        texts = stripped.split('.')
    names = tuple(name.strip() for name in texts if name.strip())
    if not names:
        raise InputError(f'no category names in texts {texts!r}')
    return dict(task='detection', text=names)


def _enlarge_for_drawing(image: np.ndarray, pred: DetDataSample,
                         min_size: int) -> Tuple[np.ndarray, DetDataSample]:
    """Scale ``image`` up (nearest) so its shorter side is at least ``min_size``, with ``pred``.

    Returns the inputs unchanged when the image is large enough; otherwise a scaled copy of the
    prediction (boxes multiplied, masks resized), leaving ``pred`` itself untouched.
    """
    height, width = image.shape[:2]
    if min_size <= 0 or min(height, width) >= min_size:
        return image, pred
    scale = min_size / min(height, width)
    size = (round(height * scale), round(width * scale))
    image = cv2.resize(image, size[::-1], interpolation=cv2.INTER_NEAREST)
    pred = pred.clone()  # shallow: give it its own instances before changing them
    instances = pred.pred_instances.clone()
    pred.pred_instances = instances
    if 'bboxes' in instances:
        instances.bboxes = instances.bboxes * scale
    if 'masks' in instances and len(instances.masks):
        masks = instances.masks[:, None].float()
        instances.masks = F.interpolate(masks, size=size, mode='nearest')[:, 0].bool()
    return image, pred
