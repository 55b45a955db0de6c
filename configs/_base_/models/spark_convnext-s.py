# SparK (mmvl) around a dense mmpretrain ConvNeXt-S, as the authors' convnext_small
# pre-training: LayerNorm densify norms, drop path 0.2, decoder width 768 (equal to the deepest
# width: identity projection there). mmpretrain's ConvNeXt normalises each output (norm0-3);
# the authors' does not, so those layers are removed.
_base_ = ['./spark_r50.py']
model = dict(
    densify_norm='ln',
    backbone_identity=('norm0', 'norm1', 'norm2', 'norm3'),
    backbone=dict(
        _delete_=True,
        type='mmpretrain.ConvNeXt',
        _scope_='mmpretrain',
        arch='small',
        out_indices=(0, 1, 2, 3),
        gap_before_final_norm=False,
        drop_path_rate=0.2,
        layer_scale_init_value=1e-6))
