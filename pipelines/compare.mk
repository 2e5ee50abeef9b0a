# pipelines/compare.mk - the comparison that proves transfer learning: four
# ways to a classifier, trained and evaluated on ONE split of DATA, in one
# table of accuracy (with its 95% interval), log loss and time:
#
#   frozen      tl-embed (the default backbone) | tl-train: a head on
#               pretrained features, no augmentation
#   finetune    tl-augment | tl-embed --cut | tl-train --finetune: the
#               pretrained backbone's last blocks tuned with the head
#   scratch     tl-augment | tl-embed -m scratch --cut | tl-train
#               --from-scratch: a small CNN from random weights, with the
#               same augmentation, schedule and early stopping
#   pixels      tl-embed -m pixels | tl-train: a head on the raw image
#               downscaled (32 x 32 x 3)
#
#   make -f pipelines/compare.mk DATA=photos/ [OUT=dir] [INGEST_FLAGS=...]
#        [SPLIT_FLAGS=...] [AUG_FLAGS=...] [BACKBONE=name] [SCRATCH=scratch:N]
#        [PIXELS=pixels:N] [TRAIN_FLAGS=--no-ood] [FROZEN_FLAGS=...] [FT_FLAGS=...]
#        [SCRATCH_FLAGS=...] [PIXELS_FLAGS=...] [METHODS='frozen finetune ...']
#   make -f pipelines/compare.mk ... clean          removes $(OUT)
#
# Stages (files in $(OUT), default ./compare; a failed stage leaves no file):
#   split.tl      tl-ingest DATA | tl-split: train/val/test folders keep
#                 their split (label = the folder below), other records get
#                 one from tl-split (70:15:15 by default); every method
#                 reads this one split
#   eval.split    what the table evaluates: "test" when the split has test
#                 records, else "val" (the set has no test: then val also
#                 chose each method's epoch, L2 and temperature, so its
#                 figures are a little optimistic, alike for all four)
#   M.tl          method M's embeddings (maps at the cut for finetune and
#                 scratch, train records augmented); M.prep: its seconds
#   M.tlm         tl-train TRAIN_FLAGS M_FLAGS; M.err its messages, M.time
#                 its seconds
#   M.json        tl-classify --no-reject of the evaluated split's records
#                 of M.tl | tl-report --json (every record gets a class:
#                 accuracy is of the classifier, not of its OOD rejection)
#   methods.tsv   one line per method: name, split, M.json, M.prep, M.time
#   compare.txt   tl-report --methods: the table (printed at the end)
#   compare.html  the same as a page, with the accuracies and intervals
#                 charted
# make again redoes only what changed (other flags, a rebuilt tool, new
# images); times are of the run that made each file, on a shared machine
# only a rough guide.
TOP         := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))..)
BIN         ?= $(TOP)/bin
OUT         ?= compare
SCRATCH     ?= scratch
PIXELS      ?= pixels
METHODS     ?= frozen finetune scratch pixels
TRAIN_FLAGS ?= --no-ood
export TL_MODEL_PATH ?= $(TOP)/models
export PATH := $(BIN):$(PATH)
SHELL       := /bin/bash
.SHELLFLAGS := -o pipefail -c

ifeq ($(filter clean,$(MAKECMDGOALS)),)
ifeq ($(strip $(DATA)),)
$(error set DATA to a folder of images, one folder per class)
endif
endif

BB          := $(if $(BACKBONE),-m $(BACKBONE))
# each stage's options, in $(OUT)/NAME.flags, rewritten only when they
# change, so that new options rerun that stage (and what follows)
FLAGS_split   := $(INGEST_FLAGS) / $(SPLIT_FLAGS)
FLAGS_aug     := $(AUG_FLAGS)
EMBED_frozen  := $(BB)
EMBED_finetune := $(BB) --cut
EMBED_scratch := -m $(SCRATCH) --cut
EMBED_pixels  := -m $(PIXELS)
AUG_finetune  := 1
AUG_scratch   := 1
TRAIN_frozen  := $(TRAIN_FLAGS) $(FROZEN_FLAGS)
TRAIN_finetune := $(TRAIN_FLAGS) --finetune $(FT_FLAGS)
TRAIN_scratch := $(TRAIN_FLAGS) --from-scratch $(SCRATCH_FLAGS)
TRAIN_pixels  := $(TRAIN_FLAGS) $(PIXELS_FLAGS)
$(foreach m,$(METHODS),$(eval FLAGS_embed-$(m) := $(EMBED_$(m)) $(if $(AUG_$(m)),/ $(AUG_FLAGS))))
$(foreach m,$(METHODS),$(eval FLAGS_train-$(m) := $(TRAIN_$(m))))

# seconds since $$t0 (set by the recipe) into file $(1)
SECONDS_TO = awk -v t0="$$t0" -v t1="$$(date +%s.%N)" 'BEGIN { printf "%.1f\n", t1 - t0 }' > $(1)

all: $(OUT)/compare.txt
	@echo "== compare: $(DATA), evaluated on $$(cat $(OUT)/eval.split) ($(OUT)/compare.html)"
	@cat $<

# DATA's files with their sizes and times, rewritten only when that
# changes: ingest reruns when an image is added, removed or replaced
$(OUT)/DATA-files.txt: FORCE
	@test -d "$(DATA)" || { echo "$(DATA): no such directory (set DATA)" >&2; exit 2; }
	@mkdir -p $(OUT)
	@find -L "$(DATA)" -type f -printf '%P\t%s\t%T@\n' | LC_ALL=C sort > $@.tmp
	@if cmp -s $@.tmp $@; then rm $@.tmp; else mv $@.tmp $@; fi

$(OUT)/split.tl: $(OUT)/DATA-files.txt $(OUT)/split.flags $(BIN)/tl-ingest $(BIN)/tl-split
	@echo "== ingest and split: $(DATA)"
	tl-ingest $(INGEST_FLAGS) "$(DATA)" | tl-split $(SPLIT_FLAGS) > $@

$(OUT)/eval.split: $(OUT)/split.tl
	@if [ -n "$$(tl-cat --split test -n 1 -f id $<)" ]; then echo test; else echo val; fi > $@

# the embeddings: train records augmented for finetune and scratch
$(OUT)/%.tl: $(OUT)/split.tl $(OUT)/embed-%.flags $(BIN)/tl-embed $(BIN)/tl-augment
	@echo "== $*: tl-embed $(EMBED_$*)$(if $(AUG_$*), after tl-augment $(AUG_FLAGS))"
	@t0=$$(date +%s.%N); \
	$(if $(AUG_$*),tl-augment $(AUG_FLAGS) < $< | tl-embed $(EMBED_$*),tl-embed $(EMBED_$*) < $<) > $@ && \
	$(call SECONDS_TO,$(OUT)/$*.prep)

$(OUT)/%.tlm: $(OUT)/%.tl $(OUT)/train-%.flags $(BIN)/tl-train
	@echo "== $*: tl-train $(TRAIN_$*)"
	@t0=$$(date +%s.%N); \
	tl-train $(TRAIN_$*) -o $@ $< 2> $(OUT)/$*.err || { cat $(OUT)/$*.err >&2; exit 1; }; \
	$(call SECONDS_TO,$(OUT)/$*.time)
	@grep -E 'val:|fine-tuned|from scratch .* kept' $(OUT)/$*.err | sed 's/^/   /'

$(OUT)/%.json: $(OUT)/%.tlm $(OUT)/eval.split $(BIN)/tl-classify $(BIN)/tl-report
	tl-cat -b --split $$(cat $(OUT)/eval.split) $(OUT)/$*.tl | tl-classify --no-reject -m $< | \
	    tl-report --json > $@

$(OUT)/methods.tsv: $(foreach m,$(METHODS),$(OUT)/$(m).json) $(OUT)/eval.split
	@for m in $(METHODS); do \
	    printf '%s\t%s\t%s\t%s\t%s\n' $$m "$$(cat $(OUT)/eval.split)" "$(OUT)/$$m.json" \
	        "$$(cat $(OUT)/$$m.prep)" "$$(cat $(OUT)/$$m.time)" || exit 1; \
	done > $@

$(OUT)/compare.txt: $(OUT)/methods.tsv $(BIN)/tl-report
	tl-report --methods $< --title "$(notdir $(abspath $(DATA))): $(words $(METHODS)) methods on one split" \
	    --html $(OUT)/compare.html > $@

$(OUT)/%.flags: FORCE
	@mkdir -p $(OUT)
	@echo '$(FLAGS_$*)' > $@.tmp
	@if cmp -s $@.tmp $@; then rm $@.tmp; else mv $@.tmp $@; fi

clean:
	rm -rf $(OUT)

FORCE:
.PHONY: all clean FORCE
.DELETE_ON_ERROR:
.SECONDARY:
