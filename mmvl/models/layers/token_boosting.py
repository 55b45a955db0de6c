# Copyright (c) mmvl contributors. All rights reserved.
"""The Token Boosting Module (TBM).

TBM ("Token Boosting for Robust Self-Supervised Visual Transformer Pre-training", Li et al.,
CVPR 2023, arXiv 2304.04175, Sec. 3 and Fig. 2) is a plug-in between the layers of a Visual
Transformer pre-trained by masked autoencoding on corrupted data. For the (unreliable) tokens
F of a layer it

1. draws Gaussian noise S ~ N(0, 1) and scales it by learned parameters alpha: Q = alpha * S;
2. forms the noisier tokens I = F + Q;
3. reconstructs F_hat = g(I) with an autoencoder g;
4. combines F_hat and I into the boosted tokens R_hat (the paper's Eq. 1), which go on to the
   next layer.

alpha and g are trained only through the masked-autoencoding loss. The authors released no code
and the body of the paper could not be read here (only the abstract and the Fig. 2 caption), so
the form of Eq. 1, the shape of alpha, the autoencoder and the behaviour at evaluation are
arguments; ``configs/tbm/README.md`` lists what mmvl chose and why.

::

    F --+--> I = F + alpha * S --> F_hat = g(I) --> R_hat = combine(F_hat, I)
        |         ^
        |   S ~ N(0, 1) (noise_sampler, or the ``noise`` argument)
"""
from typing import Callable, Literal, Optional

import torch
from mmengine.model import BaseModule
from torch import Tensor, nn

from mmvl.registry import MODELS

FORMS = ('noisier2noise', 'reconstruction', 'extrapolate')
ALPHA_SHAPES = ('channel', 'scalar', 'token')
EVAL_MODES = ('no_noise', 'noisy', 'identity')


def boost_tokens(reconstruction: Tensor, noisy: Tensor, form: str,
                 boost_weight: float = 1.0) -> Tensor:
    """Combine the reconstruction F_hat = g(I) and the noisier input I (Eq. 1 candidates).

    - ``'noisier2noise'``: R = 2 * F_hat - I. If g estimates E[F | I] and the synthetic noise Q
      has the statistics of the real corruption of F, this is the Noisier2Noise estimate of the
      clean tokens (Moran et al., CVPR 2020), the reading of Eq. 1 in the mmvl spec.
    - ``'reconstruction'``: R = F_hat (a plain denoising autoencoder's output).
    - ``'extrapolate'``: R = F_hat + w * (F_hat - I) with w = ``boost_weight``: Noisier2Noise
      for a synthetic noise whose variance is 1 / w times the real one's; w = 1 is
      ``'noisier2noise'``, w = 0 is ``'reconstruction'``.

    Args:
        reconstruction (Tensor): F_hat, shape B x L x C.
        noisy (Tensor): I = F + Q, the same shape.
        form (str): One of ``FORMS``.
        boost_weight (float): w of ``'extrapolate'``. Defaults to 1.0.

    Returns:
        Tensor: The boosted tokens R_hat, shape B x L x C.
    """
    if form == 'noisier2noise':
        return 2 * reconstruction - noisy
    if form == 'reconstruction':
        return reconstruction
    if form == 'extrapolate':
        return reconstruction + boost_weight * (reconstruction - noisy)
    raise ValueError(f'unknown TBM form {form!r}; choose from {FORMS}')


class GaussianTokenNoise:
    """S ~ N(0, 1) with the shape, dtype and device of the tokens.

    Args:
        seed (int, optional): Seed of a private generator, for a reproducible sequence of draws
            (e.g. ``eval_mode='noisy'`` in a test). None draws from torch's global generator.
            Defaults to None.
    """

    def __init__(self, seed: Optional[int] = None) -> None:
        self.generator = None if seed is None else torch.Generator().manual_seed(seed)

    def __call__(self, tokens: Tensor) -> Tensor:
        if self.generator is None:
            return torch.randn_like(tokens)
        noise = torch.randn(tokens.shape, generator=self.generator, dtype=tokens.dtype)
        return noise.to(tokens.device)


@MODELS.register_module()
class TokenBoostingModule(BaseModule):
    """Token Boosting Module (Li et al., CVPR 2023, Sec. 3, Fig. 2).

    Args:
        embed_dims (int): Channels C of the tokens.
        alpha_shape (str): Shape of the learned noise scale alpha:

            - ``'channel'``: one scale per channel (C parameters);
            - ``'scalar'``: one scale for every token and channel;
            - ``'token'``: one scale per token, predicted from that token by a learned linear
              map (C + 1 parameters). Per-position parameters would not fit MAE, whose encoder
              sees a different random 25 % of the positions in every image.

            Defaults to ``'channel'``.
        alpha_init (float): Initial alpha (for ``'token'``: the bias of the linear map, whose
            weight starts at zero). Defaults to 0.1.
        ae_hidden (int, optional): Hidden (bottleneck) width of the autoencoder g. None means
            ``embed_dims // 4``. Defaults to None.
        ae_residual (bool): g(I) = I + MLP(LN(I)) with the MLP's last layer starting at zero,
            so that a fresh TBM passes I through (with ``'noisier2noise'``: R = I + 2 MLP(I));
            False gives g(I) = MLP(LN(I)). Defaults to True.
        ae_norm (bool): LayerNorm in front of the MLP. Defaults to True.
        form (str): How F_hat and I combine into R_hat, one of ``FORMS`` (see
            :func:`boost_tokens`). Defaults to ``'noisier2noise'``.
        boost_weight (float): w of ``form='extrapolate'``. Defaults to 1.0.
        eval_mode (str): Behaviour in eval mode:

            - ``'no_noise'``: S = 0, so I = F and R = combine(g(F), F) (deterministic);
            - ``'noisy'``: as in training (draw ``noise_sampler``; seed it for repeatability);
            - ``'identity'``: the module returns F unchanged.

            Defaults to ``'no_noise'``.
        noise_seed (int, optional): Seed of the default :class:`GaussianTokenNoise`. Defaults
            to None (torch's global generator).
        init_cfg (dict, optional): Weight init settings. Defaults to None.
    """

    def __init__(self,
                 embed_dims: int,
                 alpha_shape: Literal['channel', 'scalar', 'token'] = 'channel',
                 alpha_init: float = 0.1,
                 ae_hidden: Optional[int] = None,
                 ae_residual: bool = True,
                 ae_norm: bool = True,
                 form: Literal['noisier2noise', 'reconstruction', 'extrapolate'] = 'noisier2noise',
                 boost_weight: float = 1.0,
                 eval_mode: Literal['no_noise', 'noisy', 'identity'] = 'no_noise',
                 noise_seed: Optional[int] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        for name, value, choices in (('alpha_shape', alpha_shape, ALPHA_SHAPES),
                                     ('form', form, FORMS), ('eval_mode', eval_mode, EVAL_MODES)):
            if value not in choices:
                raise ValueError(f'TokenBoostingModule: unknown {name} {value!r}; choose from '
                                 f'{choices}')
        self.embed_dims = embed_dims
        self.alpha_shape = alpha_shape
        self.alpha_init = alpha_init
        self.form = form
        self.boost_weight = boost_weight
        self.eval_mode = eval_mode
        self.ae_residual = ae_residual
        if alpha_shape == 'token':
            self.alpha = nn.Linear(embed_dims, 1)
        else:
            size = embed_dims if alpha_shape == 'channel' else 1
            self.alpha = nn.Parameter(torch.full((size, ), float(alpha_init)))
        hidden = ae_hidden or embed_dims // 4
        # `ln` so that the MAE recipe's no-decay key ('ln') covers it
        self.ln = nn.LayerNorm(embed_dims) if ae_norm else nn.Identity()
        self.ae = nn.Sequential(
            nn.Linear(embed_dims, hidden), nn.GELU(), nn.Linear(hidden, embed_dims))
        self.noise_sampler: Callable[[Tensor], Tensor] = GaussianTokenNoise(noise_seed)
        self._reset_special_parameters()

    def _reset_special_parameters(self) -> None:
        """alpha (for ``'token'``: weight 0, bias alpha_init) and, for a residual g, a zero last
        layer; called again after the model-wide init (e.g. MAE's Xavier on every Linear)."""
        if self.alpha_shape == 'token':
            nn.init.zeros_(self.alpha.weight)
            nn.init.constant_(self.alpha.bias, self.alpha_init)
        if self.ae_residual:
            nn.init.zeros_(self.ae[-1].weight)
            nn.init.zeros_(self.ae[-1].bias)

    def init_weights(self) -> None:
        super().init_weights()
        self._reset_special_parameters()

    def noise_scale(self, tokens: Tensor) -> Tensor:
        """alpha, broadcastable to the tokens (B x L x C): shape (C, ), (1, ) or B x L x 1."""
        if self.alpha_shape == 'token':
            return self.alpha(tokens)
        return self.alpha

    def reconstruct(self, noisy: Tensor) -> Tensor:
        """F_hat = g(I): the autoencoder's estimate of the tokens before the synthetic noise."""
        out = self.ae(self.ln(noisy))
        return noisy + out if self.ae_residual else out

    def forward(self, tokens: Tensor, noise: Optional[Tensor] = None) -> Tensor:
        """Boost the tokens of one layer.

        Args:
            tokens (Tensor): F, shape B x L x C (visible patch tokens and the class token).
            noise (Tensor, optional): S, the same shape; None draws it with
                ``self.noise_sampler`` when noise is added. Defaults to None.

        Returns:
            Tensor: R_hat, shape B x L x C.
        """
        if not self.training and self.eval_mode == 'identity':
            return tokens
        if self.training or self.eval_mode == 'noisy':
            if noise is None:
                noise = self.noise_sampler(tokens)
            noisy = tokens + self.noise_scale(tokens) * noise
        else:
            noisy = tokens
        return boost_tokens(self.reconstruct(noisy), noisy, self.form, self.boost_weight)

    def extra_repr(self) -> str:
        return (f'form={self.form}, alpha_shape={self.alpha_shape}, '
                f'eval_mode={self.eval_mode}')
