#!/usr/bin/env bash
# Every accuracy number in the README, one zedo-eval command per row (Human3.6M S9 in ../shared).
# Usage: bash benchmarks/accuracy.sh [main|noisy|adaptive|quarter|ablation|iterations|multi|inputs]   (default: all)
# main, noisy, quarter and inputs run today's defaults (200 iterations, the fast start); main and
# inputs with the release's exact data step (--noise-px 0). ablation, iterations and multi were
# measured before them, with the settings of --preset v1 (1000
# iterations, the IPO's grid on 50 shortlisted starts) and the release's exact data step
# (--noise-px 0); EXACT= (empty) runs them with today's defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${DATA:-../shared/data/h36m}
OUT=benchmarks/results
mkdir -p "$OUT/noisy" "$OUT/quarter"
THREADS=${THREADS:-0}
EXACT=${EXACT---preset v1 --noise-px 0}
run() { local name=$1; shift; zedo-eval --data "$DATA" --threads "$THREADS" --quiet -o "$OUT/$name.json" "$@"; }
# shellcheck disable=SC2086  # EXACT is a list of options
run_exact() { run "$@" $EXACT; }
what=${1:-all}
if [[ $what == all || $what == main ]]; then
  for prior in h36m default; do
    run "$prior-gt-s1" --engine "$prior" --track gt --via-cli --noise-px 0
    run "$prior-detected-s1" --engine "$prior" --track detected --via-cli --noise-px 0
  done
fi
if [[ $what == all || $what == noisy ]]; then
  # Noisy 2D (docs/decisions.md, "Noisy 2D"): ground truth + Gaussian pixel noise, the detections as
  # given (spine at score 1), S = 5 on them, and the exact data step on the same inputs.
  R=noisy
  run "$R/h36m-gt" --engine h36m
  run "$R/default-gt" --engine default
  for sigma in 5 10; do
    run "$R/h36m-gt-noise$sigma" --engine h36m --add-noise "$sigma"
    run "$R/h36m-gt-noise$sigma-exact" --engine h36m --add-noise "$sigma" --noise-px 0
  done
  for sigma in 5 10; do run "$R/default-gt-noise$sigma" --engine default --add-noise "$sigma"; done
  run "$R/default-detected-raw" --engine default --track detected-raw
  run "$R/default-detected-raw-S5" --engine default --track detected-raw --hypotheses 5
  run "$R/default-gt-noise10-exact" --engine default --add-noise 10 --noise-px 0
  run "$R/default-detected-raw-exact" --engine default --track detected-raw --noise-px 0
  # The ensemble of starts for detector 2D (docs/decisions.md, "An ensemble of starts").
  for prior in h36m default; do
    run "$R/$prior-gt-preset-noisy" --engine "$prior" --preset noisy
    for sigma in 5 10; do run "$R/$prior-gt-noise$sigma-preset-noisy" --engine "$prior" --add-noise "$sigma" --preset noisy; done
  done
  run "$R/default-detected-raw-preset-noisy" --engine default --track detected-raw --preset noisy
fi
if [[ $what == all || $what == adaptive ]]; then
  # The default's work per pose against --no-adaptive and --preset noisy (docs/noisy.md), one process each.
  A="python benchmarks/adaptive.py --data $DATA --threads 1"
  R=$OUT/adaptive
  mkdir -p "$R"
  for prior in h36m default; do
    $A --engine "$prior" --tracks gt+5 gt+10 detected-raw --settings default no-adaptive -o "$R/$prior-noisy.json"
    $A --engine "$prior" --tracks gt+5 gt+10 detected-raw --settings preset-noisy -o "$R/$prior-preset-noisy.json"
    $A --engine "$prior" --tracks gt detected-raw --settings no-adaptive default -o "$R/$prior-time-cpu.json"
  done
fi
if [[ $what == all || $what == quarter ]]; then
  # Today's defaults against zedo's previous ones (--preset v1) on the same poses (docs/decisions.md,
  # "A quarter of the time"); zedo-eval prints the seconds of each.
  run quarter/h36m-gt-v1 --engine h36m --preset v1
  run quarter/h36m-gt --engine h36m
fi
if [[ $what == all || $what == ablation ]]; then
  # Ablations and the iteration curve on every 128th frame, against a full-loop row on the same frames.
  run_exact h36m-gt-s1-every128 --engine h36m --track gt --every 128
  run_exact h36m-gt-s1-mean-start --engine h36m --track gt --initial-candidates 1 --every 128
  run_exact h36m-gt-s1-no-ipo --engine h36m --track gt --no-ipo --every 128
  run_exact h36m-gt-s1-no-warmup --engine h36m --track gt --no-warmup --every 128
  # The release's start: the mean pose, its IPO on the pelvis and hips.
  run_exact h36m-gt-s1-paper-ipo --engine h36m --track gt --initial-candidates 1 --ipo-joints paper --every 128
fi
if [[ $what == all || $what == iterations ]]; then
  for n in 500 200 100 50; do
    run_exact "h36m-gt-s1-it$n" --engine h36m --track gt --iterations "$n" --every 128
  done
fi
if [[ $what == all || $what == multi ]]; then
  # S = 50 on every 1024th frame: 50 hypotheses cost 50 times one. Each run also scores the other
  # selection rule (prior residual) on the same hypotheses.
  run_exact h36m-gt-s50 --engine h36m --track gt --hypotheses 50 --every 1024
  run_exact h36m-detected-s50 --engine h36m --track detected --hypotheses 50 --every 1024
fi
if [[ $what == all || $what == inputs ]]; then
  # The 2D as detectors of other layouts give it, and cameras with unknown or wrong intrinsics.
  for layout in coco17 halpe26 openpose25; do
    run "h36m-gt-s1-$layout" --engine h36m --track gt --layout "$layout" --via-cli --noise-px 0
  done
  run h36m-gt-s1-image-size --engine h36m --track gt --image-size 1000 1002 --via-cli --noise-px 0
  run h36m-gt-s1-focal0.7 --engine h36m --track gt --focal-scale 0.7 --via-cli --noise-px 0
  run h36m-gt-s1-focal1.4 --engine h36m --track gt --focal-scale 1.4 --via-cli --noise-px 0
fi
