# MCRES (Xu et al., CVPR 2023) on the LAVT-style RES model, toy world: every iteration draws
# a virtual training batch and K = 2 virtual testing batches (level 1: an unseen
# colour-shape pair, level 2: an unseen shape-relation-shape triplet, w.r.t. the virtual
# training set), takes an inner SGD step on the first, and updates on its loss plus the
# updated model's losses on the others. Everything else is the baseline config's, so the
# two differ only in MCRES. See README.md for every choice.
_base_ = ['./lavt_r18_1xb8-600it_toyworld-refcoco-seen-novel.py']
num_test_sets = 2  # K
meta_batch = 4  # B: images per virtual set; the loader yields (1 + K) * B per iteration

train_dataloader = dict(
    batch_size=(1 + num_test_sets) * meta_batch,
    sampler=dict(
        _delete_=True,
        type='MetaCompositionalSampler',
        batch_size=meta_batch,
        num_test_sets=num_test_sets,
        holdout_ratio=0.2,  # share of the compositions held out of each virtual training set
        redraw='iter',  # a new virtual split every iteration
        redraw_interval=1))
train_cfg = dict(
    _delete_=True,
    type='MCRESTrainLoop',
    max_iters=600,
    val_interval=600,
    num_test_sets=num_test_sets,
    inner_lr=0.1,  # alpha: 1.0 (an inner step as long as an outer one) hurt, see README.md
    test_weights=[0.5, 0.5],  # gamma_k = 1 / K
    inner_steps=1,
    first_order=False)  # second order: differentiate through theta'
