#!/usr/bin/env bash
# Writes the TLS Secrets of deploy/k8s (semcom-tls-sender, semcom-tls-relay, semcom-tls-receiver:
# tls.crt, tls.key and the CA's ca.crt each) as manifests, without kubectl: a fresh CA and one
# certificate per role from `semcom certs` (CN and DNS name sender / relay / receiver, the names the
# pods dial through the Services `relay` and `receiver`), and the Secret semcom-http-token (key
# `token`: 32 random bytes from /dev/urandom, hex), the bearer token every pod's side port needs
# off loopback (SEMCOM_HTTP_TOKEN; GETs need none, changes such as the relay's PUT /channel do).
#
#   deploy/k8s/make-secrets.sh [--out DIR] [--namespace semcom] [--days 365] [--bin PATH]
#   kubectl apply -f DIR          # default DIR: deploy/k8s/secrets (ignored by git)
#
# DIR/pki/ keeps the PEM files, ca.key included, and http-token: keep it private (ca.key signs new
# certificates), or delete it. Running the script again issues a new CA and a new token: apply all
# four Secrets again, then restart the pods (kubectl -n semcom rollout restart deployment/relay
# deployment/receiver). The token in use: kubectl -n semcom get secret semcom-http-token
# -o jsonpath='{.data.token}' | base64 -d
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
out=$here/secrets
namespace=semcom
days=365
bin=${SEMCOM_BIN:-}
roles=(sender relay receiver)

while [ $# -gt 0 ]; do
  case "$1" in
    --out) out=$2; shift 2 ;;
    --namespace) namespace=$2; shift 2 ;;
    --days) days=$2; shift 2 ;;
    --bin) bin=$2; shift 2 ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "make-secrets: unknown argument '$1' (see --help)" >&2; exit 64 ;;
  esac
done

if [ -z "$bin" ]; then
  for candidate in "$here/../../.build/release/semcom" "$here/../../.build/debug/semcom" "$(command -v semcom || true)"; do
    if [ -n "$candidate" ] && [ -x "$candidate" ]; then bin=$candidate; break; fi
  done
fi
[ -n "$bin" ] && [ -x "$bin" ] || { echo "make-secrets: no semcom executable; build it (make release) or pass --bin" >&2; exit 78; }

umask 077
mkdir -p "$out/pki"
names=$(IFS=,; echo "${roles[*]}")
"$bin" certs --out "$out/pki" --names "$names" --days "$days"

b64() { base64 -w0 < "$1"; }
for role in "${roles[@]}"; do
  for f in "$out/pki/$role.crt" "$out/pki/$role.key" "$out/pki/ca.crt"; do
    [ -s "$f" ] || { echo "make-secrets: semcom certs did not write $f" >&2; exit 1; }
  done
  cat > "$out/tls-$role.yaml" <<YAML
# Written by deploy/k8s/make-secrets.sh: the $role's certificate and key, and the CA certificate.
apiVersion: v1
kind: Secret
metadata:
  name: semcom-tls-$role
  namespace: $namespace
  labels:
    app.kubernetes.io/name: $role
    app.kubernetes.io/part-of: semcom
type: kubernetes.io/tls
data:
  tls.crt: $(b64 "$out/pki/$role.crt")
  tls.key: $(b64 "$out/pki/$role.key")
  ca.crt: $(b64 "$out/pki/ca.crt")
YAML
  echo "wrote $out/tls-$role.yaml"
done
# The side ports' bearer token: 32 bytes of /dev/urandom as 64 hex digits (no newline).
token=$(od -An -vtx1 -N32 /dev/urandom | tr -d ' \n')
[ ${#token} -eq 64 ] || { echo "make-secrets: could not read 32 bytes from /dev/urandom" >&2; exit 1; }
printf '%s' "$token" > "$out/pki/http-token"
cat > "$out/http-token.yaml" <<YAML
# Written by deploy/k8s/make-secrets.sh: the bearer token of the daemons' side ports (SEMCOM_HTTP_TOKEN).
apiVersion: v1
kind: Secret
metadata:
  name: semcom-http-token
  namespace: $namespace
  labels:
    app.kubernetes.io/part-of: semcom
type: Opaque
data:
  token: $(b64 "$out/pki/http-token")
YAML
echo "wrote $out/http-token.yaml"
echo "apply: kubectl apply -f $out"
