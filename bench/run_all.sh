#!/usr/bin/env bash
# Runs every benchmark on SQLite and PostgreSQL and prints the figures for bench/README.md.
#   bash bench/run_all.sh [PATHWAYS] > bench/latest.txt
set -euo pipefail
cd "$(dirname "$0")"
PY=../.venv/bin/python
N=${1:-10000}
for store in sqlite postgres; do
  echo "== $store, $N pathways"
  out=$($PY simulate_bench.py --store "$store" --pathways "$N")
  echo "$out"
  db=$(echo "$out" | sed -n 's/^database: //p')
  $PY rebuild_bench.py --db "$db"
  $PY cli_bench.py --db "$db"
  $PY risk_auc.py --db "$db"
  if [ "$store" = postgres ]; then
    $PY -c "import sys; sys.path.insert(0, '.'); from common import drop; drop('$db')"
  fi
done
