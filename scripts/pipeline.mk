# scripts/pipeline.mk - the ByteCraft path as one make run:
#
#   corpus -> ingest (validated, deduplicated) -> split (by file) -> BPE vocab
#   -> encode -> staged training -> k samples per held-out prompt -> eval
#
#   make -f scripts/pipeline.mk [CONFIG=my.conf] [TARGET]      (or: make pipeline)
#
# Every stage writes its outputs atomically and a stamp; make skips a stage
# whose stamp is newer than its inputs. Two more prerequisites make "inputs
# changed" exact rather than a matter of timestamps: .list.corpus (every
# corpus file with its size and mtime) and .opts.STAGE (the stage's options),
# each rewritten only when its content changes. Change a file of the corpus
# or an option, and exactly the stages downstream of it run again.
#
# CONFIG is a make fragment that sets any of the variables below (see
# scripts/pipeline.conf.example). Targets: ingest split vocab encode train
# sample eval (default: eval, i.e. everything), clean.

CONFIG ?=
ifneq ($(CONFIG),)
include $(CONFIG)
endif

BIN         ?= build/bin
OUT         ?= pipeline-out
# Input corpus (folders or archives of SWF files). Empty: synthesize one.
CORPUS      ?=
SYNTH_COUNT ?= 160
SYNTH_SEED  ?= 2026
VAL_RATIO   ?= 0.1
SPLIT_SEED  ?= 1
VOCAB_SIZE  ?= 1024
MAX_TOKEN_BYTES ?= 8
# Model and training (a kiln-train config is written from these).
LAYERS      ?= 2
WIDTH       ?= 64
HEADS       ?= 4
CONTEXT     ?= 1024
BATCH       ?= 2
STEPS_MUON  ?= 150
STEPS_ADAMW ?= 150
LR          ?= 0.003
MUON_LR     ?= 0.02
TRAIN_SEED  ?= 1
# Sampling: prompts from the held-out split, k files each, one folder per setting.
PROMPTS     ?= 8
SAMPLES     ?= 2
MAX_NEW     ?= 1536
SETTINGS    ?= mp005_t01 mp010_t03
LABEL_mp005_t01 ?= min_p=0.05 T=0.1
TEMP_mp005_t01  ?= 0.1
MINP_mp005_t01  ?= 0.05
LABEL_mp010_t03 ?= min_p=0.10 T=0.3
TEMP_mp010_t03  ?= 0.3
MINP_mp010_t03  ?= 0.10

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
K = $(BIN)
S = $(OUT)/.stamp
.DEFAULT_GOAL := eval
.PHONY: ingest split vocab encode train sample eval clean FORCE
FORCE:

# Rewrite $@ with the given text only when it differs (keeps its mtime otherwise).
define update_if_changed
	@mkdir -p $(@D); printf '%s\n' $(1) > $@.new; if cmp -s $@.new $@; then rm $@.new; else mv $@.new $@; fi
endef

$(S)/opts.%: FORCE
	$(call update_if_changed,"$(OPTS_$*)")

OPTS_corpus = $(CORPUS) $(SYNTH_COUNT) $(SYNTH_SEED)
OPTS_split  = $(VAL_RATIO) $(SPLIT_SEED)
OPTS_vocab  = $(VOCAB_SIZE) $(MAX_TOKEN_BYTES)
OPTS_train  = $(LAYERS) $(WIDTH) $(HEADS) $(CONTEXT) $(BATCH) $(STEPS_MUON) $(STEPS_ADAMW) $(LR) $(MUON_LR) $(TRAIN_SEED)
OPTS_sample = $(PROMPTS) $(SAMPLES) $(MAX_NEW) $(foreach s,$(SETTINGS),$(s):$(TEMP_$(s)):$(MINP_$(s)))

# ---- corpus: the given one, or a synthesized one
ifeq ($(CORPUS),)
CORPUS_DIR := $(OUT)/corpus
$(S)/corpus: $(S)/opts.corpus
	rm -rf $(CORPUS_DIR)
	$(K)/kiln-swf synth -n $(SYNTH_COUNT) --seed $(SYNTH_SEED) -o $(CORPUS_DIR) --quiet
	touch $@
else
CORPUS_DIR := $(CORPUS)
# Every file of the corpus, its size and mtime: any change reruns ingest.
$(S)/corpus: FORCE
	$(call update_if_changed,"$$(find $(CORPUS) -type f -printf '%p %s %T@\n' | LC_ALL=C sort)")
endif

ingest: $(S)/ingest
$(S)/ingest: $(S)/corpus
	$(K)/kiln-swf ingest $(CORPUS_DIR) -o $(OUT)/corpus.ds --force --quiet
	touch $@

split: $(S)/split
$(S)/split: $(S)/ingest $(S)/opts.split
	$(K)/kiln-shard split $(OUT)/corpus.ds --by group --ratio $(shell awk "BEGIN { print 1 - $(VAL_RATIO) }") \
	  --seed $(SPLIT_SEED) -o $(OUT)/split --force
	touch $@

vocab: $(S)/vocab
$(S)/vocab: $(S)/split $(S)/opts.vocab
	$(K)/kiln-bpe train --vocab-size $(VOCAB_SIZE) --max-token-bytes $(MAX_TOKEN_BYTES) \
	  -o $(OUT)/swf.vocab $(OUT)/split/train --quiet
	touch $@

encode: $(S)/encode
$(S)/encode: $(S)/vocab
	$(K)/kiln-bpe encode -v $(OUT)/swf.vocab --prompt encode -o $(OUT)/tokens/train $(OUT)/split/train --force --quiet
	$(K)/kiln-bpe encode -v $(OUT)/swf.vocab --prompt encode -o $(OUT)/tokens/val $(OUT)/split/val --force --quiet
	touch $@

# The trainer resumes from run/checkpoint.kckpt when a run was interrupted
# (a checkpoint newer than the encoded data and the training options); a
# changed config or changed data restarts it.
train: $(S)/train
$(S)/train: $(S)/encode $(S)/opts.train
	@mkdir -p $(OUT)
	printf '%s\n' "data = tokens/train" "val = tokens/val" "out = run" "seed = $(TRAIN_SEED)" \
	  "log_every = 25" "val_every = 100" "checkpoint_every = 50" "batch = $(BATCH)" \
	  "[model]" "layers = $(LAYERS)" "width = $(WIDTH)" "heads = $(HEADS)" "context = $(CONTEXT)" \
	  "[stage muon]" "steps = $(STEPS_MUON)" "optimizer = muon" "lr = $(LR)" "muon_lr = $(MUON_LR)" "warmup = 10" \
	  "[stage adamw]" "steps = $(STEPS_ADAMW)" "optimizer = adamw" "lr = $(LR)" "schedule = cosine" > $(OUT)/train.conf
	ck=$(OUT)/run/checkpoint.kckpt; restart=--restart; \
	if [ "$$ck" -nt $(S)/encode ] && [ "$$ck" -nt $(S)/opts.train ]; then restart=; fi; \
	$(K)/kiln-train run $$restart --quiet $(OUT)/train.conf
	touch $@

# The true file of held-out prompt P is record P-1 of the validation split,
# named like kiln-train's samples (sample-PPPP-SS.swf -> sample-PPPP.swf).
sample: $(S)/sample
$(S)/sample: $(S)/train $(S)/opts.sample
	rm -rf $(OUT)/truth $(OUT)/samples && mkdir -p $(OUT)/truth
	n=$$($(K)/kiln-shard info $(OUT)/split/val | awk '/^records:/ { print $$2 }'); \
	for i in $$(seq 1 $$(( n < $(PROMPTS) ? n : $(PROMPTS) ))); do \
	  $(K)/kiln-shard cat $(OUT)/split/val -r $$((i - 1)) --segment content > $(OUT)/truth/sample-$$(printf %04d $$i).swf; \
	done
	$(foreach s,$(SETTINGS),$(K)/kiln-train sample $(OUT)/run/model.kckpt --from $(OUT)/tokens/val -n $(PROMPTS) \
	  -k $(SAMPLES) -t $(TEMP_$(s)) --min-p $(MINP_$(s)) --max-new $(MAX_NEW) --seed $(TRAIN_SEED) \
	  --vocab $(OUT)/swf.vocab --ext swf -o $(OUT)/samples/$(s) --quiet;)
	touch $@

eval: $(S)/eval
$(S)/eval: $(S)/sample
	$(K)/kiln-swf eval --train $(OUT)/split/train --truth $(OUT)/truth --json --quiet \
	  --markdown $(OUT)/table1.md --per-file $(OUT)/eval-files.jsonl \
	  $(foreach s,$(SETTINGS),"$(LABEL_$(s))=$(OUT)/samples/$(s)") > $(OUT)/eval.json
	@echo "Table 1 ($(OUT)/table1.md):"; cat $(OUT)/table1.md
	touch $@

clean:
	rm -rf $(OUT)
