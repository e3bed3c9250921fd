#!/usr/bin/env bash
# A short tour of the seedbridge CLI in a scratch folder.
set -euo pipefail
sb() { echo "\$ seedbridge $*"; seedbridge "$@"; echo; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir"
export CI_PIPELINE_SEED=20261126
sb init --from-env CI_PIPELINE_SEED --job preprocess --job train --job analysis
sb show
sb seed train --key rank=1 --key worker=0
sb env train --format sh
sb snippet analysis --target r
sb validate
