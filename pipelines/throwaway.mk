# pipelines/throwaway.mk - the throw-away training run of bulk identification:
# a quick model from the few labelled images there are, used once to sort an
# unlabelled pool into review folders, one per predicted class, so that
# labelling is mostly confirming.  Each stage keeps its file in $(OUT); make
# again redoes only what changed (new images, other flags, a rebuilt tool).
#
#   make -f pipelines/throwaway.mk DATA=labelled/ POOL=unlabelled/
#        [OUT=dir] [MIN_COUNT=n] [CLASS='A B'] [INGEST_FLAGS=...]
#        [SPLIT_FLAGS=...] [EMBED_FLAGS=...] [TRAIN_FLAGS=...]
#   make -f pipelines/throwaway.mk ... lookalike CLASS=A [LO=0.5 HI=0.9]
#   make -f pipelines/throwaway.mk ... clean          removes $(OUT)
#
# Stages (files in $(OUT), default ./throwaway; a failed stage leaves no file):
#   split.tl   tl-ingest DATA (label = first folder) | tl-split --min-count
#              MIN_COUNT: the class cutoff lowered to 2 records (tl-split's
#              own default, 0, keeps every class; one record cannot be both
#              train and val); smaller classes are dropped, and said so
#   emb.tl     tl-embed: frozen features (the README's frozen pipeline)
#   model.tlm  tl-train: a linear head on them, tuned on val
#   pool.tl    tl-ingest --keep-duplicates POOL, folders ignored (the label is
#              stripped), | tl-classify -m model.tlm: pred, conf per image
#              (every time the model changes the pool is classified again, so
#              not tl-bulk, which classifies each image once per state dir)
#              An image tl-ingest cannot read stops the stage (its status 1);
#              INGEST_FLAGS='--max-bad 5%' lets it go on without such images
#   review/    tl-cat -x: each pool image (of the classes in CLASS, default
#              all) as review/PRED/CONF-NAME, CONF its confidence rounded to
#              two decimals (printf %.2f: 0.93-A_photo.jpg; "unknown" is a
#              class folder too), NAME tl-cat's file name for its id, so
#              ls review/A lists the least sure first; two ids giving one
#              file name (a/b.jpg, a_b.jpg) are refused, naming it
#
# One-liners (OUT=throwaway):
#   look-alike classes: the images taken for A with confidence in [LO, HI]
#     tl-cat --pred A --min-conf 0.5 --max-conf 0.9 -f id,conf throwaway/pool.tl
#     (the same as make ... lookalike CLASS=A LO=0.5 HI=0.9)
#   mass removal of low scores: every review candidate under 0.50 (rounded)
#     find throwaway/review -type f -name '0.[0-4]*' -delete
#   (make again leaves the removals alone; rm -r throwaway/review and make
#   extracts every candidate again)
TOP         := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))..)
BIN         ?= $(TOP)/bin
OUT         ?= throwaway
MIN_COUNT   ?= 2
LO          ?= 0.5
HI          ?= 0.9
CLASS       ?=
export TL_MODEL_PATH ?= $(TOP)/models
export PATH := $(BIN):$(PATH)
SHELL       := /bin/bash
.SHELLFLAGS := -o pipefail -c

# $(OUT)/NAME.flags holds a stage's options and is rewritten only when they
# change, so that new options rerun that stage (and what follows).
FLAGS_split  := --min-count $(MIN_COUNT) $(SPLIT_FLAGS) $(INGEST_FLAGS)
FLAGS_embed  := $(EMBED_FLAGS)
FLAGS_train  := $(TRAIN_FLAGS)
FLAGS_pool   := $(INGEST_FLAGS)
FLAGS_review := $(CLASS)

all: $(OUT)/review
	@cd $(OUT)/review && for d in *; do [ -d "$$d" ] && echo "   $$d $$(ls "$$d" | wc -l)"; done; true
	@echo "review: $(OUT)/review"

# DATA's (POOL's) files with their sizes and times, rewritten only when that
# changes: ingest reruns when an image is added, removed or replaced.
$(OUT)/%-files.txt: FORCE
	@test -d "$($*)" || { echo "$($*): no such directory (set $*)" >&2; exit 2; }
	@mkdir -p $(OUT)
	@find -L "$($*)" -type f -printf '%P\t%s\t%T@\n' | LC_ALL=C sort > $@.tmp
	@if cmp -s $@.tmp $@; then rm $@.tmp; else mv $@.tmp $@; fi

$(OUT)/split.tl: $(OUT)/DATA-files.txt $(OUT)/split.flags $(BIN)/tl-ingest $(BIN)/tl-split
	@echo "== 1/5 ingest and split: $(DATA), classes of fewer than $(MIN_COUNT) dropped"
	tl-ingest $(INGEST_FLAGS) "$(DATA)" | tl-split $(FLAGS_split) > $@

$(OUT)/emb.tl: $(OUT)/split.tl $(OUT)/embed.flags $(BIN)/tl-embed
	@echo "== 2/5 embed: frozen features"
	tl-embed $(FLAGS_embed) < $< > $@

$(OUT)/model.tlm: $(OUT)/emb.tl $(OUT)/train.flags $(BIN)/tl-train
	@echo "== 3/5 train: a head on the train features, tuned on val"
	tl-train -q $(FLAGS_train) -o $@ $<

$(OUT)/pool.tl: $(OUT)/POOL-files.txt $(OUT)/pool.flags $(OUT)/model.tlm $(BIN)/tl-classify
	@echo "== 4/5 classify: every image of $(POOL)"
	tl-ingest $(INGEST_FLAGS) --keep-duplicates "$(POOL)" | tl-cat -b --strip label | tl-classify -m $(OUT)/model.tlm > $@
	@tl-cat --count pred $@ | sed 's/^/   /'

# Each selected record is extracted (tl-cat -x prints one path a line; its
# names have no tab or newline), its conf read in the same order, and the
# file renamed CONF-NAME in its class folder, every name quoted.  Built in
# review.tmp, then put in place whole; a failure leaves no review.* behind.
$(OUT)/review: $(OUT)/pool.tl $(OUT)/review.flags $(BIN)/tl-cat
	@echo "== 5/5 review: $@/PRED/CONF-NAME"
	@trap 'rm -rf $@.tmp $@.conf $@.paths' EXIT; \
	rm -rf $@.tmp && mkdir -p $@.tmp || exit 1; \
	n=0; for c in $(or $(CLASS),''); do \
	    sel=(); [ -z "$$c" ] || sel=(--pred "$$c"); \
	    tl-cat "$${sel[@]}" -f conf $< > $@.conf && \
	    tl-cat "$${sel[@]}" -x $@.tmp $< > $@.paths || exit 1; \
	    [ "$$(wc -l < $@.conf)" = "$$(wc -l < $@.paths)" ] || \
	        { echo "$@: tl-cat -f conf and -x disagree" >&2; exit 1; }; \
	    dup=$$(sort $@.paths | uniq -d | head -n 1); \
	    [ -z "$$dup" ] || { echo "$@: two ids give the same file name $${dup#$@.tmp/}: rename one" >&2; exit 1; }; \
	    paste $@.conf $@.paths | while IFS='	' read -r conf p; do \
	        case $$conf in '') k=na ;; *) k=$$(printf '%.2f' "$$conf") ;; esac; \
	        mv -- "$$p" "$${p%/*}/$$k-$${p##*/}" || exit 1; \
	    done || exit 1; \
	    n=$$((n + $$(wc -l < $@.conf))); \
	done; \
	got=$$(find $@.tmp -type f | wc -l); \
	[ "$$got" = "$$n" ] || { echo "$@: $$n images, but $$got files" >&2; exit 1; }; \
	rm -rf $@ && mv $@.tmp $@

# look-alike classes: the pool images taken for CLASS with LO <= conf <= HI
# (CLASS checked before anything is made)
ifneq ($(filter lookalike,$(MAKECMDGOALS)),)
ifeq ($(strip $(CLASS)),)
$(error lookalike: set CLASS)
endif
endif
lookalike: $(OUT)/pool.tl
	@tl-cat --pred "$(CLASS)" --min-conf $(LO) --max-conf $(HI) -f id,conf $<

$(OUT)/%.flags: FORCE
	@mkdir -p $(OUT)
	@echo '$(FLAGS_$*)' > $@.tmp
	@if cmp -s $@.tmp $@; then rm $@.tmp; else mv $@.tmp $@; fi

clean:
	rm -rf $(OUT)

FORCE:
.PHONY: all lookalike clean FORCE
.DELETE_ON_ERROR:
