#!/usr/bin/env bash
# Start a real MLflow tracking server for the test-bench.
#
#   mlflow/start.sh                       # SQLite backend under TESTBENCH_HOME, port 5000
#   MLFLOW_PORT=5050 mlflow/start.sh      # another port
#   MLFLOW_AUTH=basic mlflow/start.sh     # with the basic-auth app (mlflow/basic_auth.ini)
#
# Then point the test-bench at it: export MLFLOW_TRACKING_URI=http://127.0.0.1:5000
# Settings live in mlflow/server.env (PostgreSQL is described there).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=server.env
source "$here/server.env"

mlflow_bin="${MLFLOW_BIN:-mlflow}"
if ! command -v "$mlflow_bin" >/dev/null 2>&1; then
  mlflow_bin="$here/../.venv/bin/mlflow"
fi
if [[ "$MLFLOW_BACKEND_STORE_URI" == sqlite:///* ]]; then
  mkdir -p "$(dirname "${MLFLOW_BACKEND_STORE_URI#sqlite:///}")"
fi
mkdir -p "$MLFLOW_ARTIFACTS_DESTINATION"

args=(server
  --backend-store-uri "$MLFLOW_BACKEND_STORE_URI"
  --artifacts-destination "$MLFLOW_ARTIFACTS_DESTINATION"
  --serve-artifacts
  --host "$MLFLOW_HOST"
  --port "$MLFLOW_PORT"
  --workers "$MLFLOW_WORKERS")
case "$MLFLOW_AUTH" in
  basic) export MLFLOW_AUTH_CONFIG_PATH="${MLFLOW_AUTH_CONFIG_PATH:-$here/basic_auth.ini}"
         args+=(--app-name basic-auth) ;;
  none) ;;
  *) echo "error: MLFLOW_AUTH must be 'none' or 'basic', got '$MLFLOW_AUTH'" >&2; exit 2 ;;
esac
echo "mlflow server on http://$MLFLOW_HOST:$MLFLOW_PORT (backend ${MLFLOW_BACKEND_STORE_URI%%:*})" >&2
exec "$mlflow_bin" "${args[@]}"
