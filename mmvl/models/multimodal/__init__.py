# Copyright (c) mmvl contributors. All rights reserved.
from .grid_vl import *  # noqa: F401,F403
from .heads import *  # noqa: F401,F403
from .pixel_bert import *  # noqa: F401,F403
from .region_vqa import *  # noqa: F401,F403
from .retrieval import NOT_RERANKED, itc_similarity, itm_rerank, two_stage_retrieval
from .soho import *  # noqa: F401,F403
from .text_utils import WholeWordMasker, build_text_encoder, build_tokenizer, word_ids_of

__all__ = [
    'NOT_RERANKED', 'itc_similarity', 'itm_rerank', 'two_stage_retrieval', 'WholeWordMasker',
    'build_text_encoder', 'build_tokenizer', 'word_ids_of'
]
