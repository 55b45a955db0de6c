# Speed benchmark of the toy CMAE against the toy MAE (same ViT, batch 32, 64 px). The target
# moves inside the step ('in_loss'), since the benchmark runs no hooks; the EMA is timed too:
#   python tools/analysis_tools/benchmark.py configs/mae/mae_vit-toy-p8_1xb32-800it_toyworld.py \
#       configs/cmae/benchmarks/cmae_vit-toy-p8_1xb32-bench_toyworld.py \
#       --task train --iters 20 --warmup 3 --repeats 5
_base_ = ['../cmae_vit-toy-p8_1xb32-800it_toyworld.py']
model = dict(target_update='in_loss')
custom_hooks = []
