# The toy grid-feature VL encoder shared by the SOHO and Pixel-BERT toy configs: a half-width
# ResNet-18 (base_channels=32, C5 = 256 channels; random init, no ImageNet weights offline),
# the extra 2x2 max-pool (stride 64), a 1x1 conv + BN to 384 channels, and the packaged MiniLM
# (384-d BERT, WordPiece uncased) truncated to 3 layers as the fusion Transformer.
model = dict(
    encoder=dict(
        type='GridVLEncoder',
        backbone=dict(type='mmpretrain.ResNet', depth=18, base_channels=32, out_indices=(3, ),
                      frozen_stages=1),
        in_channels=256,
        text_model='all-MiniLM-L6-v2',
        num_hidden_layers=3,
        visual_embed='sine',
        max_text_len=32))
