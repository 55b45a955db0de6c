# MCRES (Xu et al., CVPR 2023) on UNINEXT as a RES model, toy world: the baseline config's
# model, data and schedule, trained with MCRES's virtual training / testing sets and meta
# update. See README.md for every choice.
_base_ = ['./uninext_r18_1xb4-1000it_toyworld-refcoco-seen-novel.py']
num_test_sets = 2  # K
meta_batch = 4  # B: images per virtual set; the loader yields (1 + K) * B per iteration

train_dataloader = dict(
    batch_size=(1 + num_test_sets) * meta_batch,
    sampler=dict(
        _delete_=True,
        type='MetaCompositionalSampler',
        batch_size=meta_batch,
        num_test_sets=num_test_sets,
        holdout_ratio=0.2,
        redraw='iter',
        redraw_interval=1))
train_cfg = dict(
    _delete_=True,
    type='MCRESTrainLoop',
    max_iters=1000,
    val_interval=1000,
    num_test_sets=num_test_sets,
    inner_lr=0.005,  # alpha: see README.md (0.05 made the losses at theta' diverge)
    test_weights=[0.5, 0.5],
    inner_steps=1,
    # the text encoder keeps theta in the inner step (its 0.05x learning rate makes its
    # inner update negligible, and it saves memory); every parameter gets meta-gradients
    meta_params=['backbone', 'neck', 'fusion', 'encoder', 'decoder', 'bbox_head',
                 'query_embedding', 'level_embed', 'memory_trans_fc', 'memory_trans_norm',
                 'dn_query_generator'],
    first_order=False)
