# MCRES on UNINEXT R50 at paper scale: uninext_r50_8xb2-190k_refcoco-comp.py trained with
# MCRES's virtual training / testing sets and meta update (K = 2, B = 2 images per virtual set
# per GPU). The inner learning rate is the toy world's choice for UNINEXT (see README.md);
# at this scale it is a field to tune on the split's `val`, not a known value.
_base_ = ['./uninext_r50_8xb2-190k_refcoco-comp.py']
num_test_sets = 2  # K
meta_batch = 2  # B per GPU
train_dataloader = dict(
    batch_size=(1 + num_test_sets) * meta_batch,
    sampler=dict(
        _delete_=True,
        type='MetaCompositionalSampler',
        batch_size=meta_batch,
        num_test_sets=num_test_sets))
train_cfg = dict(
    _delete_=True,
    type='MCRESTrainLoop',
    max_iters=_base_.max_iters,
    val_interval=_base_.train_cfg.val_interval,
    num_test_sets=num_test_sets,
    inner_lr=0.005,
    meta_params=['backbone', 'neck', 'fusion', 'encoder', 'decoder', 'bbox_head',
                 'query_embedding', 'level_embed', 'memory_trans_fc', 'memory_trans_norm',
                 'dn_query_generator'])
