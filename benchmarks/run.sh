#!/usr/bin/env bash
# Every benchmark, one command: bash benchmarks/run.sh [COUNT] [POSTGRES_ADMIN_URL]
# COUNT defaults to 1,000,000 interactions; with a PostgreSQL admin URL the PostgreSQL runs are included
# (each makes a fresh database and drops it). Figures are printed and written to benchmarks/out/.
set -euo pipefail
cd "$(dirname "$0")/.."
count="${1:-1000000}"
postgres="${2:-${CXREPORT_BENCH_POSTGRES_URL:-}}"
python=".venv/bin/python"
if [ -n "$postgres" ]; then
  "$python" benchmarks/bench_import.py --count "$count" --postgres "$postgres"
  "$python" benchmarks/bench_search.py --count "$count" --postgres "$postgres"
  "$python" benchmarks/bench_plan_cache.py --postgres "$postgres" --count "$(( count < 200000 ? count : 200000 ))"
else
  "$python" benchmarks/bench_search.py --count "$count"
fi
"$python" benchmarks/bench_filters.py --count "$count"
"$python" benchmarks/bench_events.py --count "$(( count < 100000 ? count : 100000 ))"
"$python" benchmarks/bench_importers.py --lines "$count"
"$python" benchmarks/bench_derive.py --count "$(( count < 100000 ? count : 100000 ))"
"$python" benchmarks/bench_connect.py --count "$(( count < 200000 ? count : 200000 ))"
if [ -n "$postgres" ]; then
  "$python" benchmarks/bench_statistics.py --count "$count" --postgres "$postgres"
else
  "$python" benchmarks/bench_statistics.py --count "$count"
fi
if command -v wrk >/dev/null; then
  if [ -n "$postgres" ]; then
    "$python" benchmarks/bench_http.py --postgres "$postgres" --workers 2 --no-deadline
  else
    "$python" benchmarks/bench_http.py --workers 2 --no-deadline
  fi
else
  echo "skipping bench_http.py: it needs wrk (apt-get install -y wrk)" >&2
fi
# The console's views in the browser, on the database bench_statistics.py just loaded (its tenant, its busiest days).
"$python" benchmarks/bench_console.py --database "sqlite:///benchmarks/out/statistics-${count}-90d-30q-300a-7.db" \
  --tenant 5eed0000-0000-4000-8000-000000000012 --day 2024-02-15
if [ -n "$postgres" ]; then
  "$python" benchmarks/bench_realtime.py --count "$(( count < 20000 ? count : 20000 ))" --postgres "$postgres"
else
  "$python" benchmarks/bench_realtime.py --count "$(( count < 20000 ? count : 20000 ))"
fi
if [ -n "$postgres" ]; then
  "$python" benchmarks/soak.py --seconds 20 --bursts 3 --postgres "$postgres"
else
  "$python" benchmarks/soak.py --seconds 20 --bursts 3
fi
"$python" benchmarks/bench_csv_cells.py
