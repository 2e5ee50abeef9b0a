# pipelines/experiment.mk - an experiment over any folder-per-class dataset
# with every intermediate stream a make target: change one step's options
# and make reruns that step and what depends on it, nothing before it.
#
#   make -f pipelines/experiment.mk DATA=photos/ [OUT=dir] [EVAL_SPLIT=test]
#        [INGEST_FLAGS=...] [SPLIT_FLAGS=...] [AUGMENT=no | AUGMENT_FLAGS=...]
#        [EMBED_FLAGS=...] [TRAIN_FLAGS=...] [CLASSIFY_FLAGS=...] [REPORT_FLAGS=...]
#   make -f pipelines/experiment.mk ... OUT/embed.tl    up to one stage
#   make -f pipelines/experiment.mk ... clean           removes $(OUT)
#
# The defaults are the README's pipeline: tl-split's 70:15:15, tl-augment's
# variants of each train image, tl-embed --cut, tl-train fine-tuning the
# backbone's last blocks; the report is on the test split.  Frozen features
# in seconds instead: AUGMENT=no EMBED_FLAGS= (empty).
#
# Stages (files in $(OUT), default ./experiment), each written to a
# temporary name and renamed when its command succeeded, so a failed or
# killed stage leaves no file and make -j2 never reads half a stream:
#   ingest.tl    tl-ingest INGEST_FLAGS DATA: label = first folder
#   split.tl     tl-split SPLIT_FLAGS: train, val, test; duplicates kept
#                in one split (stderr: split.err, its table)
#   augment.tl   tl-augment AUGMENT_FLAGS: train records and their variants,
#                val and test untouched (AUGMENT=no: split.tl as it is)
#   embed.tl     tl-embed EMBED_FLAGS
#   model.tlm    tl-train TRAIN_FLAGS (train.err, its log)
#   eval.tl      tl-cat --split EVAL_SPLIT of split.tl | tl-classify CLASSIFY_FLAGS:
#                the held-out images through the whole model, backbone
#                included, from their files
#   report.txt   tl-report REPORT_FLAGS of eval.tl, and report.html
# A stage is remade when its input stream, its options ($(OUT)/NAME.flags,
# rewritten only when they change), or its tool (bin/tl-NAME) is newer;
# ingest.tl also when DATA's files change (added, removed, another size or
# time: $(OUT)/DATA-files.txt).  A backbone's files are not watched: after
# `make model` brings new ones, make clean.
TOP         := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))..)
BIN         ?= $(TOP)/bin
OUT         ?= experiment
EVAL_SPLIT  ?= test
AUGMENT     ?= yes
EMBED_FLAGS ?= --cut
export TL_MODEL_PATH ?= $(TOP)/models
export PATH := $(BIN):$(PATH)
SHELL       := /bin/bash
.SHELLFLAGS := -o pipefail -c

FLAGS_ingest   := $(INGEST_FLAGS)
FLAGS_split    := $(SPLIT_FLAGS)
FLAGS_augment  := $(AUGMENT) $(AUGMENT_FLAGS)
FLAGS_embed    := $(EMBED_FLAGS)
FLAGS_train    := $(TRAIN_FLAGS)
FLAGS_classify := $(EVAL_SPLIT) $(CLASSIFY_FLAGS)
FLAGS_report   := $(REPORT_FLAGS)

ifneq ($(filter-out yes no,$(AUGMENT)),)
$(error AUGMENT=$(AUGMENT): yes or no)
endif

all: $(OUT)/report.txt
	@sed -n '1,/^ECE/p' $<
	@echo "report: $(OUT)/report.txt, $(OUT)/report.html"

# DATA's files with their sizes and times, rewritten only when that changes
$(OUT)/DATA-files.txt: FORCE
	@test -d "$(DATA)" || { echo "$(DATA): no such directory (set DATA)" >&2; exit 2; }
	@mkdir -p $(OUT)
	@find -L "$(DATA)" -type f -printf '%P\t%s\t%T@\n' | LC_ALL=C sort > $@.tmp
	@if cmp -s $@.tmp $@; then rm $@.tmp; else mv $@.tmp $@; fi

$(OUT)/ingest.tl: $(OUT)/DATA-files.txt $(OUT)/ingest.flags $(BIN)/tl-ingest
	@echo "== 1/7 ingest: $(DATA)"
	tl-ingest $(FLAGS_ingest) "$(DATA)" > $@.tmp && mv $@.tmp $@

$(OUT)/split.tl: $(OUT)/ingest.tl $(OUT)/split.flags $(BIN)/tl-split
	@echo "== 2/7 split"
	tl-split $(FLAGS_split) < $< > $@.tmp 2> $(OUT)/split.err && mv $@.tmp $@ || { cat $(OUT)/split.err >&2; exit 1; }

$(OUT)/augment.tl: $(OUT)/split.tl $(OUT)/augment.flags $(BIN)/tl-augment
ifeq ($(AUGMENT),yes)
	@echo "== 3/7 augment: train images and their variants"
	tl-augment $(AUGMENT_FLAGS) < $< > $@.tmp && mv $@.tmp $@
else
	@echo "== 3/7 augment: none (AUGMENT=no)"
	cp $< $@.tmp && mv $@.tmp $@
endif

$(OUT)/embed.tl: $(OUT)/augment.tl $(OUT)/embed.flags $(BIN)/tl-embed
	@echo "== 4/7 embed: tl-embed $(FLAGS_embed)"
	tl-embed $(FLAGS_embed) < $< > $@.tmp && mv $@.tmp $@

$(OUT)/model.tlm: $(OUT)/embed.tl $(OUT)/train.flags $(BIN)/tl-train
	@echo "== 5/7 train: tl-train $(FLAGS_train)"
	tl-train $(FLAGS_train) -o $@ $< 2> $(OUT)/train.err || { cat $(OUT)/train.err >&2; exit 1; }
	@grep -E 'val:|calibrated' $(OUT)/train.err | sed 's/^/   /'

$(OUT)/eval.tl: $(OUT)/split.tl $(OUT)/model.tlm $(OUT)/classify.flags $(BIN)/tl-classify $(BIN)/tl-cat
	@echo "== 6/7 classify: the $(EVAL_SPLIT) images"
	@n=$$(tl-cat --split $(EVAL_SPLIT) -f id $< | wc -l); [ "$$n" -gt 0 ] || \
	    { echo "$<: no record in split $(EVAL_SPLIT) (set EVAL_SPLIT, or SPLIT_FLAGS='--ratio 70:15:15')" >&2; exit 1; }
	tl-cat -b --split $(EVAL_SPLIT) $< | tl-classify -m $(OUT)/model.tlm $(CLASSIFY_FLAGS) > $@.tmp && mv $@.tmp $@

$(OUT)/report.txt: $(OUT)/eval.tl $(OUT)/report.flags $(BIN)/tl-report
	@echo "== 7/7 report"
	tl-report $(FLAGS_report) --html $(OUT)/report.html.tmp $< > $@.tmp && \
	    mv $(OUT)/report.html.tmp $(OUT)/report.html && mv $@.tmp $@

$(OUT)/%.flags: FORCE
	@mkdir -p $(OUT)
	@echo '$(FLAGS_$*)' > $@.tmp
	@if cmp -s $@.tmp $@; then rm $@.tmp; else mv $@.tmp $@; fi

clean:
	rm -rf $(OUT)

FORCE:
.PHONY: all clean FORCE
