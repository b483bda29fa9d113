#!/usr/bin/env bash
# Regenerates every experiment of the report and rebuilds paper/README.md and paper/figures.
#
#   paper/regenerate.sh           the committed results: the paper's epochs with one trial for
#                                 the synthetic tasks and the ablations, three for motion
#   paper/regenerate.sh full      the paper's protocol: five trials everywhere (three for motion)
#   paper/regenerate.sh quick     a smoke run of every experiment into runs/paper-quick
#
# Runs whose summary.json exists are skipped, so the script continues an interrupted
# reproduction. Motion needs the OpenSky data: set SOFTEQ_DATA_DIR (../shared/data here).
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-paper}"
export SOFTEQ_DATA_DIR="${SOFTEQ_DATA_DIR:-$(cd .. && pwd)/shared/data}"
cargo build --release --quiet
softeq=target/release/softeq

case "$mode" in
  quick)
    out=runs/paper-quick
    for e in inertia cossim motion motion-tuning ablations; do "$softeq" reproduce "$e" --quick --out "$out"; done
    "$softeq" report --results "$out" --readme "$out/README.md" --figures "$out/figures" || true
    exit 0
    ;;
  paper)
    "$softeq" reproduce inertia --out paper/results
    "$softeq" reproduce cossim --out paper/results
    "$softeq" reproduce motion --full --out paper/results
    "$softeq" reproduce motion-tuning --out paper/results
    "$softeq" reproduce ablations --out paper/results
    ;;
  full)
    for e in inertia cossim motion motion-tuning ablations; do "$softeq" reproduce "$e" --full --out paper/results-full; done
    "$softeq" report --results paper/results-full --readme paper/README.md --figures paper/figures
    exit 0
    ;;
  *)
    echo "usage: paper/regenerate.sh [paper|full|quick]" >&2
    exit 2
    ;;
esac
"$softeq" report --results paper/results --readme paper/README.md --figures paper/figures
