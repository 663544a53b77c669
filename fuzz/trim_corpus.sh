#!/usr/bin/env bash
# Keeps the committed corpora small: in each corpus/<target>/ (after `cargo fuzz cmin`), keeps
# the smallest inputs up to BUDGET bytes (default 180000) and deletes the rest.
# Usage (in fuzz/): ./trim_corpus.sh [BUDGET]
set -euo pipefail
budget=${1:-180000}
for dir in corpus/*/; do
    total=0
    while read -r size file; do
        if [ $((total + size)) -le "$budget" ]; then
            total=$((total + size))
        else
            rm -- "$file"
        fi
    done < <(find "$dir" -type f -printf '%s %p\n' | sort -n -k1,1 -k2,2)
    echo "$dir $(find "$dir" -type f | wc -l) files, $total bytes"
done
