#!/bin/bash
# semcom-healthz [PORT] [PATH]: exits 0 when GET PATH (default /healthz) on 127.0.0.1:PORT (default
# $SEMCOM_HTTP_PORT, else 8080) answers HTTP 200 within 5 s. A bash /dev/tcp probe, so that the
# image needs no curl; the Dockerfile's HEALTHCHECK and deploy/compose.yaml use it.
set -u
port=${1:-${SEMCOM_HTTP_PORT:-8080}}
path=${2:-/healthz}
exec 3<>"/dev/tcp/127.0.0.1/$port" || exit 1
printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nConnection: close\r\n\r\n' "$path" "$port" >&3
IFS= read -r -t 5 status <&3 || exit 1
case $status in
  "HTTP/1."[01]" 200"*) exit 0 ;;
  *) echo "semcom-healthz: $path answered: ${status%$'\r'}" >&2; exit 1 ;;
esac
