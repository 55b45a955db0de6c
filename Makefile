# mmvl: the README's commands. Every target first runs the idempotent, cached setup.
#   make demo   set up, make the toy world, train + test Mask R-CNN on it, run the image demo
#   make test   set up and run the default test tier (pytest -m "not slow")
PY := .venv/bin/python
DATA := data/toyworld
DEMO_CFG := configs/mask_rcnn/mask-rcnn_r18_fpn_1xb4-600it_toyworld.py
DEMO_DIR := work_dirs/demo
NUM_IMAGES ?= 600
PYTEST_ARGS ?=

.PHONY: setup toyworld demo test test-all
setup:
	@bash tools/setup_env.sh

toyworld: setup
	$(PY) tools/dataset_converters/make_toyworld.py --out $(DATA) --num-images $(NUM_IMAGES) --seed 0

demo: toyworld
	$(PY) tools/train.py $(DEMO_CFG) --work-dir $(DEMO_DIR) --resume
	$(PY) tools/test.py $(DEMO_CFG) $$(cat $(DEMO_DIR)/last_checkpoint) --work-dir $(DEMO_DIR) \
		--show-dir show --out $(DEMO_DIR)/predictions.pkl
	$(PY) demo/image_demo.py $$(ls $(DATA)/val/*.png | head -n 1) $(DEMO_CFG) \
		--weights $$(cat $(DEMO_DIR)/last_checkpoint) --out-dir outputs/demo --pred-score-thr 0.5
	$(PY) demo/image_demo.py $$($(PY) -c "import skimage, os; print(os.path.join(os.path.dirname(skimage.__file__), 'data', 'coffee.png'))") \
		$(DEMO_CFG) --weights $$(cat $(DEMO_DIR)/last_checkpoint) --out-dir outputs/demo --pred-score-thr 0.5
	@echo
	@echo "Demo pictures: outputs/demo/vis/ (predictions drawn); test pictures: $(DEMO_DIR)/*/show/"

test: setup
	$(PY) -m pytest tests -m "not slow" $(PYTEST_ARGS)

test-all: setup
	$(PY) -m pytest tests $(PYTEST_ARGS)
