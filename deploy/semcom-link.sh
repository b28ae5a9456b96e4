#!/usr/bin/env bash
# Launches a whole semcom link on one machine: receiver, relay (channel at a chosen SNR) and sender,
# shows their interleaved live logs, waits for the sender, stops relay and receiver with SIGTERM and
# prints where the outputs are. `make demo` (through `semcom demo`) uses it.
#
#   deploy/semcom-link.sh --input DIR [--out DIR] [--psnr DB | --snr DB] [--encoding analog|digital]
#                         [--host 127.0.0.1] [--receiver-port 0] [--relay-port 0] [--bin PATH]
#                         [--logs DIR] [--log-format text|json] [--no-relay] [--steps N | --no-generate]
#                         [--relay-flags "FLAGS"]... [--receiver-flags "FLAGS"]...
#                         [--dashboard] [--dashboard-port 0] [--keep-running] [-- extra sender flags]
#
# The receiver regenerates NAME.png from each map with the shipped diffusion model (`--steps` DDIM
# steps; default the model's) unless --no-generate. Once the sender is done the script waits until
# every received map has its image (the receiver stops after the image in progress; maps left
# without one are generated at its next start), then stops the daemons.
# --relay-flags and --receiver-flags append flags to that daemon's command line, split at spaces
# (no quoting inside; repeat the option to add more), e.g. --relay-flags "--modulation qpsk
# --code conv:1/2 --fading rayleigh" or --receiver-flags "--denoiser fds". Everything after `--`
# goes to the sender.
#
# --dashboard gives every daemon an HTTP side port on the host (ports 0), starts `semcom dashboard`
# on them (--dashboard-port; 0 picks one) and prints its URL; the relay's channel can be changed from
# the page (a fresh token is made for this run). --keep-running keeps the link up until Ctrl-C: the
# sender watches the input folder (--watch) instead of stopping after the last image.
#
# Ports 0 let the system pick free ones; the script reads them from each daemon's
# `listening on HOST:PORT` line. For several machines, run the commands on each machine instead
# (deploy/README.md; or the systemd units in deploy/systemd).
set -euo pipefail

bin=${SEMCOM_BIN:-}
input=""
out=""
host=127.0.0.1
receiver_port=0
relay_port=0
channel=(--psnr 10)
encoding=analog
logs=""
log_format=text
use_relay=1
sender_extra=()
receiver_extra=()
relay_extra=()
dashboard=0
dashboard_port=0
keep_running=0

while [ $# -gt 0 ]; do
  case "$1" in
    --bin) bin=$2; shift 2 ;;
    --input) input=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --host) host=$2; shift 2 ;;
    --receiver-port) receiver_port=$2; shift 2 ;;
    --relay-port) relay_port=$2; shift 2 ;;
    --psnr) channel=(--psnr "$2"); shift 2 ;;
    --snr) channel=(--snr "$2"); shift 2 ;;
    --encoding) encoding=$2; shift 2 ;;
    --logs) logs=$2; shift 2 ;;
    --log-format) log_format=$2; shift 2 ;;
    --no-relay) use_relay=0; shift ;;
    --steps) receiver_extra+=(--steps "$2"); shift 2 ;;
    --no-generate) receiver_extra+=(--no-generate); shift ;;
    --relay-flags) read -r -a words <<< "$2"; relay_extra+=(${words[@]+"${words[@]}"}); shift 2 ;;
    --receiver-flags) read -r -a words <<< "$2"; receiver_extra+=(${words[@]+"${words[@]}"}); shift 2 ;;
    --dashboard) dashboard=1; shift ;;
    --dashboard-port) dashboard=1; dashboard_port=$2; shift 2 ;;
    --keep-running) keep_running=1; shift ;;
    --) shift; sender_extra=("$@"); break ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "semcom-link: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

here=$(cd "$(dirname "$0")" && pwd)
if [ -z "$bin" ]; then
  for candidate in "$here/../.build/release/semcom" "$here/../.build/debug/semcom" "$(command -v semcom || true)"; do
    if [ -n "$candidate" ] && [ -x "$candidate" ]; then bin=$candidate; break; fi
  done
fi
[ -n "$bin" ] && [ -x "$bin" ] || { echo "semcom-link: no semcom executable; build it (make release) or pass --bin" >&2; exit 2; }
[ -n "$input" ] && [ -d "$input/images" ] || { echo "semcom-link: --input DIR must hold images/ (semcom scenes --out DIR writes one)" >&2; exit 2; }
out=${out:-$input/../received}
logs=${logs:-$out/../logs}
mkdir -p "$out" "$logs"
out=$(cd "$out" && pwd)
logs=$(cd "$logs" && pwd)
: > "$logs/receiver.log"; : > "$logs/relay.log"; : > "$logs/sender.log"
http=()
if [ "$dashboard" = 1 ]; then
  # The page reads the daemons' side ports from its own origin, which each side port must allow
  # (--allow-origin; no wildcard): the dashboard's port is chosen before the daemons start.
  if [ "$dashboard_port" = 0 ]; then
    dashboard_port=$(python3 -c 'import socket,sys; s=socket.socket(); s.bind((sys.argv[1], 0)); print(s.getsockname()[1])' "$host")
  fi
  http=(--http "$host:0" --allow-origin "http://$host:$dashboard_port")
  : > "$logs/dashboard.log"
  # The relay's side port and the dashboard share a token made for this run only.
  SEMCOM_HTTP_TOKEN=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
  export SEMCOM_HTTP_TOKEN
fi
[ "$keep_running" = 1 ] && sender_extra+=(--watch)

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Waits until LOG holds a `listening on HOST:PORT` line (or WHAT, e.g. `http on`) and prints PORT.
port_of() {
  local log=$1 name=$2 what=${3:-listening on}
  for _ in $(seq 1 200); do
    local line
    line=$(grep -m1 -o "$what .*:[0-9]*" "$log" || true)
    if [ -n "$line" ]; then echo "${line##*:}"; return 0; fi
    sleep 0.05
  done
  echo "semcom-link: the $name did not start listening; see $log" >&2
  return 1
}

# Each daemon's lines go to the terminal (interleaved, as they happen) and to its own log file.
"$bin" receive --listen "$host:$receiver_port" --out "$out" --log-format "$log_format" ${http[@]+"${http[@]}"} \
  ${receiver_extra[@]+"${receiver_extra[@]}"} > >(tee -a "$logs/receiver.log") 2>&1 &
pids+=($!)
rport=$(port_of "$logs/receiver.log" receiver)
target=$rport

if [ "$use_relay" = 1 ]; then
  "$bin" relay --listen "$host:$relay_port" --forward "$host:$rport" "${channel[@]}" --mode "$encoding" \
    --log-format "$log_format" ${http[@]+"${http[@]}"} ${relay_extra[@]+"${relay_extra[@]}"} \
    > >(tee -a "$logs/relay.log") 2>&1 &
  pids+=($!)
  target=$(port_of "$logs/relay.log" relay)
fi

status=0
"$bin" send --connect "$host:$target" --input "$input" --encoding "$encoding" --log-format "$log_format" \
  ${http[@]+"${http[@]}"} ${sender_extra[@]+"${sender_extra[@]}"} > >(tee -a "$logs/sender.log") 2>&1 &
sender_pid=$!
pids+=("$sender_pid")

if [ "$dashboard" = 1 ]; then
  urls=(--sender "http://$host:$(port_of "$logs/sender.log" sender 'http on')"
        --receiver "http://$host:$(port_of "$logs/receiver.log" receiver 'http on')")
  [ "$use_relay" = 1 ] && urls+=(--relay "http://$host:$(port_of "$logs/relay.log" relay 'http on')")
  "$bin" dashboard --listen "$host:$dashboard_port" "${urls[@]}" --log-format "$log_format" > "$logs/dashboard.log" 2>&1 &
  pids+=($!)
  dport=$(port_of "$logs/dashboard.log" dashboard 'dashboard on' || true)
  url=${dport:+http://$host:$dport/}
  echo
  echo "== dashboard: ${url:-see $logs/dashboard.log}$([ "$keep_running" = 1 ] && echo ' (the link stays up until Ctrl-C)')"
  echo
fi
wait "$sender_pid" || status=$?

# The receiver generates images one at a time after acknowledging their maps: wait for the last one
# (a stop would leave the rest for its next start). No progress for 10 minutes: stop anyway.
count_maps() { find "$out" -mindepth 2 -maxdepth 2 -name '*.labels.png' | wc -l; }
count_images() { find "$out" -mindepth 2 -maxdepth 2 -name '*.png' ! -name '*.map.png' ! -name '*.labels.png' | wc -l; }
if [[ " ${receiver_extra[*]-} " != *" --no-generate "* ]] && [ "$(count_maps)" -gt 0 ]; then
  last=-1; since=$SECONDS
  while [ "$(count_images)" -lt "$(count_maps)" ] && [ $((SECONDS - since)) -lt 600 ]; do
    done_now=$(count_images)
    if [ "$done_now" != "$last" ]; then
      echo "== waiting for the receiver's images: $done_now of $(count_maps)"
      last=$done_now; since=$SECONDS
    fi
    sleep 1
  done
fi

cleanup
pids=()
sleep 0.1  # let tee flush the last lines

summary=$(grep -m1 '^summary ' "$logs/sender.log" || echo "summary: none (see $logs/sender.log)")
echo
echo "== semcom link finished (sender exit $status)"
echo "   channel:   ${channel[*]}${relay_extra[*]:+ ${relay_extra[*]}} ($encoding)$([ "$use_relay" = 1 ] || echo ', no relay: ideal link')"
echo "   sender:    $summary"
# The receiver keeps a folder per sender origin: OUT/ORIGIN/NAME.*.
folders=$(find "$out" -mindepth 1 -maxdepth 1 -type d ! -name '.*' | sort | tr '\n' ' ')
maps=$(find "$out" -mindepth 2 -maxdepth 2 -name '*.map.png' | wc -l)
images=$(find "$out" -mindepth 2 -maxdepth 2 -name '*.png' ! -name '*.map.png' ! -name '*.labels.png' | wc -l)
echo "   received:  ORIGIN/NAME.labels.png (class ids) and ORIGIN/NAME.map.png (colours): $maps maps in ${folders:-$out (none)}"
echo "   generated: ORIGIN/NAME.png (reconstructions): $images images"
echo "   logs:      $logs/{receiver,relay,sender}.log"
exit "$status"
