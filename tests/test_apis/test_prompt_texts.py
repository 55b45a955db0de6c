"""How the inferencer and demo read ``--texts`` (mmdet's grounding-demo convention)."""
import pytest
from mmdet.structures import DetDataSample

from mmvl.apis import InputError
from mmvl.apis.det_inferencer import prompt_from_texts
from mmvl.visualization import prompt_entities


def test_names_with_dots_are_a_detection_prompt_and_a_sentence_is_an_expression():
    assert prompt_from_texts('cat . hot dog .') == dict(task='detection', text=('cat', 'hot dog'))
    assert prompt_from_texts('cat.') == dict(task='detection', text=('cat', ))
    assert prompt_from_texts(['cat', ' dog ']) == dict(task='detection', text=('cat', 'dog'))
    assert prompt_from_texts(' the cat left of the dog ') == dict(
        task='grounding', text='the cat left of the dog')
    with pytest.raises(InputError, match='empty'):
        prompt_from_texts('  ')
    with pytest.raises(InputError, match='no category names'):
        prompt_from_texts(' . . ')


def test_labels_of_a_prompted_prediction_name_the_prompts_entities():
    sample = DetDataSample(metainfo=dict(task='detection', text=('cat', 'dog')))
    assert prompt_entities(sample) == ('cat', 'dog')
    sample = DetDataSample(metainfo=dict(task='grounding', text='the cat'))
    assert prompt_entities(sample) == ('the cat', )
    assert prompt_entities(DetDataSample()) is None
