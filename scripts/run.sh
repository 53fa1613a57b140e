#!/usr/bin/env bash
# The whole xsoc stack on this machine: Temporal dev server (SQLite under .xsoc/),
# Mailpit as the SMTP sink, simulators for the vendors, Slack and Twilio (where no real
# credentials are set), the worker and the starter. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .xsoc/logs
BIN=.xsoc/bin
TEMPORAL=${XSOC_TEMPORAL_BIN:-$(go env GOPATH)/bin/temporal}
MAILPIT=${XSOC_MAILPIT_BIN:-$(go env GOPATH)/bin/mailpit}

pids=()
stop() {
  trap - INT TERM EXIT
  echo; echo "stopping xsoc..."
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop INT TERM EXIT

wait_port() { # host:port name
  for _ in $(seq 1 150); do
    if (exec 3<>"/dev/tcp/${1%:*}/${1#*:}") 2>/dev/null; then return 0; fi
    sleep 0.2
  done
  echo "$2 did not come up on $1; see .xsoc/logs/" >&2; exit 1
}

# Demo defaults: the example customers file points at the simulators.
export XSOC_CUSTOMERS_FILE=${XSOC_CUSTOMERS_FILE:-examples/customers.yaml}
export XSOC_LISTEN=${XSOC_LISTEN:-127.0.0.1:8080}
export XSOC_PUBLIC_URL=${XSOC_PUBLIC_URL:-http://$XSOC_LISTEN}
export XSOC_UI_URL=${XSOC_UI_URL:-http://localhost:8233}
export XSOC_SMTP_HOST=${XSOC_SMTP_HOST:-127.0.0.1} XSOC_SMTP_PORT=${XSOC_SMTP_PORT:-1025}
export ACME_WEBHOOK_SECRET=${ACME_WEBHOOK_SECRET:-demo-secret} GLOBEX_WEBHOOK_SECRET=${GLOBEX_WEBHOOK_SECRET:-demo-secret}
export ACME_CR_USER=${ACME_CR_USER:-soc@acme.example} ACME_CR_PASSWORD=${ACME_CR_PASSWORD:-sim-password}
export ACME_WS_ID=${ACME_WS_ID:-sim-client} ACME_WS_SECRET=${ACME_WS_SECRET:-sim-secret}
export ACME_ZS_KEY=${ACME_ZS_KEY:-0123456789abcdef} ACME_ZS_USER=${ACME_ZS_USER:-admin@acme.example} ACME_ZS_PASSWORD=${ACME_ZS_PASSWORD:-sim-password}
sims=""
if [ -z "${XSOC_SLACK_TOKEN:-}" ]; then
  export XSOC_SLACK_TOKEN=xoxb-simulated XSOC_SLACK_SIGNING_SECRET=sim-signing-secret XSOC_SLACK_API_URL=http://127.0.0.1:9104/api/
  sims="$sims slack"
fi
if [ -z "${XSOC_TWILIO_ACCOUNT_SID:-}" ]; then
  export XSOC_TWILIO_ACCOUNT_SID=ACsimulated00000000000000000000000 XSOC_TWILIO_AUTH_TOKEN=simauthtoken0000 \
    XSOC_TWILIO_FROM=+15005550006 XSOC_TWILIO_API_URL=http://127.0.0.1:9105
  sims="$sims twilio"
fi

# WAL journal and synchronous=normal: SQLite's default (a rollback journal synced on every
# commit) makes the dev server's disk the bottleneck; `make bench` measured 1.7 to 2 times the
# throughput this way. A crash of the machine may lose the last commits of this dev database.
"$TEMPORAL" server start-dev --db-filename .xsoc/temporal.db --ip 127.0.0.1 --port 7233 --ui-port 8233 \
  --sqlite-pragma journal_mode=wal --sqlite-pragma synchronous=normal \
  --log-level warn $(go run ./scripts/searchattributes) >.xsoc/logs/temporal.log 2>&1 &
pids+=($!)
"$MAILPIT" --listen 127.0.0.1:8025 --smtp 127.0.0.1:1025 --smtp-auth-accept-any --smtp-auth-allow-insecure \
  >.xsoc/logs/mailpit.log 2>&1 &
pids+=($!)
"$BIN/simulators" -cybereason 127.0.0.1:9101 -withsecure 127.0.0.1:9102 -zscaler 127.0.0.1:9103 \
  -slack 127.0.0.1:9104 -twilio 127.0.0.1:9105 >.xsoc/logs/simulators.log 2>&1 &
pids+=($!)
wait_port 127.0.0.1:7233 "Temporal"
wait_port 127.0.0.1:1025 "Mailpit"
wait_port 127.0.0.1:9101 "simulators"
"$BIN/worker" >.xsoc/logs/worker.log 2>&1 &
pids+=($!)
"$BIN/starter" >.xsoc/logs/starter.log 2>&1 &
pids+=($!)
wait_port "$XSOC_LISTEN" "starter"

cat <<INFO

xsoc is running (logs in .xsoc/logs/, Ctrl-C stops everything):
  Temporal UI    http://localhost:8233
  Mailpit        http://localhost:8025
  Webhook base   $XSOC_PUBLIC_URL/v1/alerts/{vendor}/{customer}   (bearer secret: \$ACME_WEBHOOK_SECRET = $ACME_WEBHOOK_SECRET)
  Simulators     cybereason :9101  withsecure :9102  zscaler :9103  slack :9104  twilio :9105 (standing in for:${sims:- none})

INFO
wait -n "${pids[@]}" || true
echo "a component stopped; see .xsoc/logs/" >&2
