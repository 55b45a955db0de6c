# Copyright (c) mmvl contributors. All rights reserved.
"""Image-text retrieval inference: rank captions for images and images for captions.

Works with any model that follows mmpretrain's retrieval test convention (the one its
``RetrievalTestLoop`` uses, and SOHO / Pixel-BERT's ``GridVLRetrieval`` and BLIP implement):

1. ``model(images, data_samples, mode='tensor')`` returns a dict of tensors for a batch of
   images whose samples carry the candidate captions in ``text`` (a list per image); the dicts
   of all batches are concatenated key by key;
2. ``model.predict_all(feats, data_samples, num_images, num_texts)`` returns image-to-text
   samples (``pred_score`` over all captions) and text-to-image samples (``pred_score`` over
   all images), whatever the scoring (ITC, ITM on every pair, or ITC top-k + ITM re-ranking).

Like mmpretrain's ``ImageTextRetrievalInferencer`` (a gallery, then queries), except that both
directions come from one pass over the images and captions given.
"""
import math
from typing import Any, Callable, Dict, List, Optional, Sequence, Union

import mmcv
import mmengine
import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.registry import DefaultScope

from mmvl.registry import INFERENCERS
from ..visualization.vl_drawing import draw_image_to_text, draw_text_to_image
from .base_inferencer import InputError, InputsType, MMVLInferencer
from .vqa_inferencer import config_collate_fn, inference_pipeline


@INFERENCERS.register_module()
class RetrievalInferencer(MMVLInferencer):
    """Rank ``texts`` for every image and the images for every text.

    Example::

        >>> inferencer = RetrievalInferencer('configs/pixel_bert/<toy retrieval config>.py',
        ...                                  weights='x.pth')
        >>> out = inferencer('data/toyworld/val', ['a red circle', 'two stars'], topk=3)
        >>> out['predictions'][0]
        {'image': '000000', 'top_texts': [['a red circle', 4.1], ...]}
        >>> out['text_predictions'][0]
        {'text': 'a red circle', 'top_images': [['000003', 4.1], ...]}

    Args:
        model (str, Path, Config, ConfigDict or dict): Retrieval model config file or object.
        weights (str, optional): Checkpoint file. Defaults to None (random weights).
        device (str, optional): Device. Defaults to None ('cuda' if available, else 'cpu').
        cfg_options (dict, optional): Overrides of config keys. Defaults to None.
        show_progress (bool): Unused (kept for the common signature). Defaults to True.
    """

    def _init_pipeline(self, cfg: Config) -> Compose:
        return inference_pipeline(cfg)

    def _init_collate(self, cfg: Config) -> Callable:
        return config_collate_fn(cfg)

    def _init_visualizer(self, cfg: Config):
        return None  # pictures are drawn by mmvl.visualization.vl_drawing

    def _init_model(self, cfg: Config, weights: Optional[str], device: str = 'cpu'):
        model = super()._init_model(cfg, weights, device)
        if not callable(getattr(model, 'predict_all', None)):
            raise TypeError(f'{type(model).__name__} has no predict_all(feats, data_samples, '
                            'num_images, num_texts): it does not follow the retrieval '
                            "convention of mmpretrain's RetrievalTestLoop")
        return model

    @torch.no_grad()
    def score(self, inputs: InputsType, texts: Union[str, Sequence[str]],
              batch_size: int = 8) -> Dict[str, Any]:
        """Scores of every (image, text) pair in both directions.

        Returns:
            dict: ``names`` (one per image), ``items`` (the images), ``texts``, ``i2t``
            (num_images x num_texts) and ``t2i`` (num_texts x num_images) score tensors.
        """
        items = self._inputs_to_list(inputs)
        names = self._name_inputs(items)
        texts = [texts] if isinstance(texts, str) else list(texts)
        if not texts or not all(isinstance(t, str) and t.strip() for t in texts):
            raise InputError('give at least one non-empty caption in texts')
        num_images, num_texts = len(items), len(texts)
        # every batch carries a share of the captions (a model tokenizes them per batch)
        batch_size = max(batch_size, math.ceil(num_images / num_texts))
        starts = list(range(0, num_images, batch_size))
        chunks = np.array_split(np.arange(num_texts), len(starts))
        feats, samples = [], []
        with DefaultScope.overwrite_default_scope(self.scope):
            for start, chunk in zip(starts, chunks):
                batch = []
                for j, i in enumerate(range(start, min(start + batch_size, num_images))):
                    item = items[i]
                    item = dict(item) if isinstance(item, dict) else (
                        dict(img=item) if isinstance(item, np.ndarray) else dict(img_path=item))
                    item['text'] = [texts[k] for k in chunk] if j == 0 else []
                    batch.append(self._transform(item, names[i]))
                data = self.model.data_preprocessor(self.collate_fn(batch), False)
                feats.append(self.model(**data, mode='tensor'))
                samples.extend(data['data_samples'])
            feats = {k: torch.cat([f[k] for f in feats]) for k in feats[0]}
            i2t, t2i = self.model.predict_all(feats, samples, num_images=num_images,
                                              num_texts=num_texts)
        i2t = torch.stack([s.pred_score.float().cpu() for s in i2t])
        t2i = torch.stack([s.pred_score.float().cpu() for s in t2i])
        if i2t.shape != (num_images, num_texts) or t2i.shape != (num_texts, num_images):
            raise RuntimeError(f'predict_all returned scores of shape {tuple(i2t.shape)} and '
                               f'{tuple(t2i.shape)} for {num_images} images and {num_texts} '
                               'texts')
        return dict(names=names, items=items, texts=texts, i2t=i2t, t2i=t2i)

    def __call__(self, inputs: InputsType, texts: Union[str, Sequence[str]], topk: int = 5,
                 batch_size: int = 8, out_dir: str = '', return_vis: bool = False,
                 show: bool = False, wait_time: float = 0, no_save_vis: bool = False,
                 no_save_pred: bool = False, print_result: bool = False) -> Dict[str, list]:
        """Retrieve in both directions.

        Args:
            inputs (str, Path, np.ndarray or a sequence of them): The images (files, a
                directory, BGR arrays).
            texts (str or Sequence[str]): The captions.
            topk (int): Results kept per query. Defaults to 5.
            batch_size (int): Images per forward. Defaults to 8.
            out_dir (str): Writes ``vis/<image name>.png`` (image -> captions),
                ``vis/text_<k>.png`` (caption k -> images) and the same names in ``preds/``
                as json. Defaults to '' (no files).
            return_vis (bool): Also return the drawn pictures. Defaults to False.
            show (bool): Show the pictures in windows. Defaults to False.
            wait_time (float): Seconds to show each picture. Defaults to 0.
            no_save_vis (bool): Do not write ``vis/``. Defaults to False.
            no_save_pred (bool): Do not write ``preds/``. Defaults to False.
            print_result (bool): Print the rankings. Defaults to False.

        Returns:
            dict: ``predictions`` (per image: ``image`` name, ``top_texts`` =
            [[caption, score], ...] best first), ``text_predictions`` (per caption: ``text``,
            ``top_images`` = [[image name, score], ...]), ``scores`` (the image x caption
            matrix as nested lists) and ``visualization``.
        """
        res = self.score(inputs, texts, batch_size)
        names, items, texts, i2t, t2i = (res[k] for k in ('names', 'items', 'texts', 'i2t',
                                                          't2i'))
        k_txt, k_img = min(topk, len(texts)), min(topk, len(names))
        per_image, per_text, drawn = [], [], []
        vis_dir = '' if no_save_vis else out_dir
        pred_dir = '' if no_save_pred else out_dir
        draw = bool(show or vis_dir or return_vis)
        for i, name in enumerate(names):
            values, idx = i2t[i].topk(k_txt)
            ranked = [[texts[int(j)], float(v)] for v, j in zip(values, idx)]
            per_image.append(dict(image=name, top_texts=ranked))
            if draw:
                drawn.append(self._emit(draw_image_to_text(self.rgb_image(items[i]), ranked),
                                        vis_dir, name, show, wait_time))
        for t, text in enumerate(texts):
            values, idx = t2i[t].topk(k_img)
            ranked = [[names[int(j)], float(v)] for v, j in zip(values, idx)]
            per_text.append(dict(text=text, top_images=ranked))
            if draw:
                images = [self.rgb_image(items[int(j)]) for j in idx]
                drawn.append(self._emit(draw_text_to_image(text, images, values.tolist()),
                                        vis_dir, f'text_{t:03d}', show, wait_time))
        for key, result in [(p['image'], p) for p in per_image] + \
                [(f'text_{t:03d}', p) for t, p in enumerate(per_text)]:
            path = self.output_path(pred_dir, 'preds', key, '.json')
            if path is not None:
                mmengine.dump(result, path)
            if print_result:
                print(f'{key}: {result}')
        return dict(predictions=per_image, text_predictions=per_text, scores=i2t.tolist(),
                    visualization=drawn if return_vis else [])

    def _emit(self, canvas: np.ndarray, out_dir: str, name: str, show: bool,
              wait_time: float) -> np.ndarray:
        path = self.output_path(out_dir, 'vis', name, '.png')
        if path is not None:
            mmcv.imwrite(mmcv.rgb2bgr(canvas), path)
        if show:
            mmcv.imshow(mmcv.rgb2bgr(canvas), name, int(wait_time * 1000))
        return canvas

    # the base class's per-batch hooks are not used: ranking needs every image first
    def visualize(self, *args, **kwargs) -> Optional[List[np.ndarray]]:
        raise NotImplementedError('RetrievalInferencer draws in __call__')

    def postprocess(self, *args, **kwargs) -> Dict[str, Any]:
        raise NotImplementedError('RetrievalInferencer post-processes in __call__')
