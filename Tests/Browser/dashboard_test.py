#!/usr/bin/env python3
"""The dashboard in a real browser during a real link (issue 14), and the relay's control API.

Starts `semcom receive`, `relay` and `send --watch` with side ports on 127.0.0.1 (ports 0), then
`semcom dashboard`; headless Chromium (Debian's chromium + chromium-driver, driven by Selenium) loads
the page, waits for frames with their three pictures, moves the SNR control, and checks that the
relay's next frames carry the new setting. Then schemathesis runs against the relay's OpenAPI
document (no 5xx, no response outside the schema), and the error paths of PUT /channel are checked.

Usage: dashboard_test.py SEMCOM_BINARY [--screenshot PATH] [--steps N]
"""
import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import urllib.error
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "test-token-" + os.urandom(8).hex()


class Daemon:
    """A semcom process whose output lines are collected as they come."""

    def __init__(self, name, argv, env=None):
        self.name, self.lines = name, []
        self.process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                        env={**os.environ, **(env or {})})
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, pattern, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            for line in list(self.lines):
                m = re.search(pattern, line)
                if m:
                    return m
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(f"{self.name}: no line matching {pattern!r}; last lines:\n" + "\n".join(self.lines[-20:]))

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()


def request(method, url, body=None, token=None, content_type="application/json", headers=None):
    data = body.encode() if isinstance(body, str) else body
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", content_type)
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    for name, value in (headers or {}).items():
        req.add_header(name, value)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def check(condition, message):
    if not condition:
        raise AssertionError(message)
    print("ok  ", message)


def control_api(relay_http, venv_bin, work):
    """Error paths of PUT /channel, then schemathesis against the OpenAPI document."""
    base = f"http://127.0.0.1:{relay_http}"
    status, body = request("PUT", base + "/channel", json.dumps({"snr_db": 12}))
    check(status == 401, f"PUT /channel without the token → 401 ({status})")
    status, body = request("PUT", base + "/channel", json.dumps({"snr_db": 12}), token="wrong")
    check(status == 401, f"PUT /channel with a wrong token → 401 ({status})")
    for bad, field in [({"snr_db": "loud"}, "snr_db"), ({"modulation": "8psk"}, "modulation"), ({"code": "turbo"}, "code"),
                       ({"colour": 1}, "colour"), ({"coherence": 0}, "coherence"),
                       ({"csi": "pilots", "fading": "rayleigh", "pilots": 500, "coherence": 100}, "pilots")]:
        status, body = request("PUT", base + "/channel", json.dumps(bad), token=TOKEN)
        check(status == 400 and body.get("field") == field, f"PUT /channel {bad} → 400 naming {field} ({status} {body})")
    status, body = request("PUT", base + "/channel", "not json", token=TOKEN)
    check(status == 400, f"PUT /channel with a body that is not JSON → 400 ({status})")
    status, body = request("POST", base + "/channel/schedule", "seconds,snr_db\n0,5\n1,25\n", token=TOKEN, content_type="text/csv")
    check(status == 200 and body["schedule"]["points"] == 2, "POST /channel/schedule (CSV) starts a schedule")
    status, points = request("GET", base + "/channel/schedule")
    check(status == 200 and points["points"][1]["snr_db"] == 25 and points["digest"] == body["schedule"]["digest"],
          "GET /channel/schedule serves its points")
    status, body = request("DELETE", base + "/channel/schedule", token=TOKEN)
    check(status == 200 and body["schedule"] is None, "DELETE /channel/schedule ends it")
    # GET → PUT round trip: the body GET returns is accepted as it is and changes no setting.
    status, got = request("GET", base + "/channel")
    status, put = request("PUT", base + "/channel", json.dumps(got), token=TOKEN)
    check(status == 200 and put["settings"] == got["settings"] and put["version"] == got["version"] + 1,
          f"PUT /channel with GET's body → 200, settings unchanged ({status})")
    # If-Match: a stale version is refused with 412 and the channel stays as it was.
    stale = f'"{got["version"]}"'
    status, body = request("PUT", base + "/channel", json.dumps({"snr_db": 3}), token=TOKEN, headers={"If-Match": stale})
    status_after, after = request("GET", base + "/channel")
    check(status == 412 and after["settings"] == put["settings"] and after["version"] == put["version"],
          f"PUT /channel with a stale If-Match → 412, nothing changed ({status})")
    status, body = request("GET", base + "/stats")
    check(status == 200 and isinstance(body["connections"], list), "GET /stats lists connections")

    spec = ROOT / "protocol" / "relay-control.openapi.yaml"
    checks = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance"
    for headers in (["-H", f"Authorization: Bearer {TOKEN}"], []):
        run = subprocess.run([str(venv_bin / "schemathesis"), "run", str(spec), "--url", base, *headers, "--checks", checks,
                              "--max-examples", "60", "--seed", "1", "--no-color"],
                             capture_output=True, text=True, timeout=300, cwd=work)  # its cache stays out of the checkout
        tail = "\n".join(run.stdout.splitlines()[-25:])
        check(run.returncode == 0, f"schemathesis ({'with' if headers else 'without'} the token): no 5xx, responses match the schema\n{tail}")
    # Leave the channel as the link test expects it.
    request("PUT", base + "/channel", json.dumps({"snr_db": 30, "convention": "psnr", "seed": 1, "mode": "analog",
                                                  "csi": "perfect", "fading": "none", "modulation": "bpsk", "code": "none",
                                                  "mcs": "off", "coherence": 128, "pilots": 4, "equalizer": "mmse"}), token=TOKEN)


def raw_request(port, text):
    """Sends TEXT as it is to 127.0.0.1:PORT and returns the status line and headers of the answer."""
    with socket.create_connection(("127.0.0.1", int(port)), timeout=10) as sock:
        sock.sendall(text.encode())
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = sock.recv(4096)
            if not chunk:
                break
            answer += chunk
    return answer.decode(errors="replace")


def browser_safety(url, relay_http, dashboard_port):
    """DNS rebinding, CSRF through the dashboard, wildcard CORS: each refused."""
    for port in (relay_http, dashboard_port):
        answer = raw_request(port, "GET /healthz HTTP/1.1\r\nHost: rebind.example\r\nConnection: close\r\n\r\n")
        check(answer.startswith("HTTP/1.1 421"), f"a foreign Host on port {port} → 421 ({answer.splitlines()[0]})")
    body = '{"snr_db": -6.5}'
    answer = raw_request(dashboard_port, f"PUT /api/relay/channel HTTP/1.1\r\nHost: rebind.example:{dashboard_port}\r\n"
                         f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n{body}")
    check(answer.startswith("HTTP/1.1 421"), "a dashboard change through a rebound name → 421")
    answer = raw_request(dashboard_port, f"PUT /api/relay/channel HTTP/1.1\r\nHost: 127.0.0.1:{dashboard_port}\r\n"
                         f"Origin: http://evil.example\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
                         f"Connection: close\r\n\r\n{body}")
    check(answer.startswith("HTTP/1.1 403"), "a dashboard change from a foreign Origin → 403")
    answer = raw_request(relay_http, f"GET /channel HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: http://evil.example\r\n"
                         "Connection: close\r\n\r\n")
    check("access-control-allow-origin" not in answer.lower(), "no CORS header for a foreign Origin")
    answer = raw_request(relay_http, f"GET /channel HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: http://127.0.0.1:{dashboard_port}\r\n"
                         "Connection: close\r\n\r\n")
    check(f"access-control-allow-origin: http://127.0.0.1:{dashboard_port}" in answer.lower(),
          "the dashboard's origin is allowed by name, never *")
    answer = raw_request(dashboard_port, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    check("frame-ancestors 'none'" in answer, "the page sends a CSP with frame-ancestors 'none'")


def add_scenes(source, target, names):
    """Puts scenes into the sender's watched folder (label map first, so the image never waits for it)."""
    for name in names:
        for folder in ("labels", "images"):
            (target / folder).mkdir(parents=True, exist_ok=True)
            shutil.copy(source / folder / f"{name}.png", target / folder / f"{name}.png.tmp")
            os.replace(target / folder / f"{name}.png.tmp", target / folder / f"{name}.png")


def browser(dashboard_url, relay_http, screenshot, more_scenes, hybrid_sender):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By

    options = webdriver.ChromeOptions()
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1400,1700"):
        options.add_argument(flag)
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"), options=options)
    try:
        driver.get(dashboard_url)

        def wait(predicate, what, timeout=90):
            deadline = time.time() + timeout
            while time.time() < deadline:
                value = predicate()
                if value:
                    return value
                time.sleep(0.25)
            raise AssertionError(f"browser: {what} within {timeout} s")

        wait(lambda: driver.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "1", "the page starts")

        def complete_rows():
            rows = driver.find_elements(By.CSS_SELECTOR, "#frames tbody tr")
            done = []
            for row in rows:
                loaded = [img.get_attribute("data-loaded") == "1" for img in row.find_elements(By.CSS_SELECTOR, "img")]
                if len(loaded) == 3 and all(loaded):
                    done.append(row)
            return done

        rows = wait(complete_rows, "a frame row with its sent map, decided map and image")
        check(True, f"{len(rows)} frame row(s) show the sent map, the decided map and the regenerated image")
        agreement = wait(lambda: [r.get_attribute("data-agreement") for r in complete_rows() if r.get_attribute("data-agreement")],
                         "a map agreement figure")
        check(all(0 <= float(a) <= 1 for a in agreement), f"map agreement computed in the page: {agreement[:3]}")
        rhos = wait(lambda: [r.get_attribute("data-rho") for r in complete_rows() if r.get_attribute("data-rho")],
                    "a frame's ρ from the relay's channel ledger")
        check(all(0 < float(r) < 64 for r in rhos), f"ρ per frame from the channel ledger: {rhos[:3]}")
        counter = driver.find_element(By.CSS_SELECTOR, '[data-counter="relay.relayed"]').text
        check(int(counter) > 0, f"relay counter relayed = {counter}")

        # Move the control and apply: the relay's next frames carry the new setting.
        new_snr = 3.5
        field = driver.find_element(By.ID, "snr-input")
        field.clear()
        field.send_keys(str(new_snr))
        driver.find_element(By.ID, "snr-apply").click()
        wait(lambda: driver.find_element(By.TAG_NAME, "body").get_attribute("data-applied") == str(new_snr), "the change is applied")
        status, body = request("GET", f"http://127.0.0.1:{relay_http}/channel")
        check(body["settings"]["snr_db"] == new_snr, f"the relay reports {new_snr} dB after the click")
        more_scenes()  # frames sent from now on cross the channel at the new setting
        wait(lambda: driver.find_elements(By.CSS_SELECTOR, f'#frames tbody tr[data-setting="{new_snr}"]'),
             f"a frame relayed at {new_snr} dB appears in the table")
        check(True, f"frames relayed after the click carry {new_snr} dB")
        # A hybrid sender on the same relay: its rows show both parts (digital map + metadata, analog symbols).
        hybrid_sender()

        def layered_rows():
            return [r for r in driver.find_elements(By.CSS_SELECTOR, '#frames tbody tr[data-layered="1"]')
                    if r.get_attribute("data-status") == "generated"
                    and "analog" in r.find_element(By.CSS_SELECTOR, ".col-bytes").text]
        row = wait(layered_rows, "a hybrid frame's row with both parts and its image")[0]
        check(True, f"hybrid frame: {row.find_element(By.CSS_SELECTOR, '.col-bytes').text} ({row.get_attribute('data-parts')})")
        # For the picture: let a few more images arrive (not a condition of the test).
        deadline = time.time() + 40
        while time.time() < deadline and len(complete_rows()) < 4:
            time.sleep(0.5)
        if screenshot:
            driver.save_screenshot(str(screenshot))
            print("screenshot:", screenshot)
    finally:
        driver.quit()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("semcom")
    parser.add_argument("--screenshot", default=str(ROOT / ".build" / "dashboard.png"))
    parser.add_argument("--steps", default="2", help="the receiver's DDIM steps (2: fast; more for a picture)")
    args = parser.parse_args()
    semcom = str(Path(args.semcom).resolve())
    venv_bin = Path(sys.executable).parent
    work = Path(tempfile.mkdtemp(prefix="semcom-browser-"))
    daemons = []
    try:
        subprocess.run([semcom, "scenes", "--count", "12", "--seed", "3", "--out", str(work / "all")], check=True,
                       capture_output=True)
        names = [f"s3_{i:05d}" for i in range(12)]
        add_scenes(work / "all", work / "scenes", names[:8])
        # The dashboard's origin, chosen first: each side port allows exactly it (--allow-origin, no wildcard).
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            d_port = probe.getsockname()[1]
        origin = ["--allow-origin", f"http://127.0.0.1:{d_port}"]
        receiver = Daemon("receiver", [semcom, "receive", "--listen", "127.0.0.1:0", "--out", str(work / "received"),
                                       "--steps", args.steps, "--http", "127.0.0.1:0", *origin])
        daemons.append(receiver)
        r_port = receiver.wait_for(r"listening on 127\.0\.0\.1:(\d+)").group(1)
        r_http = receiver.wait_for(r"http on 127\.0\.0\.1:(\d+)").group(1)
        relay = Daemon("relay", [semcom, "relay", "--listen", "127.0.0.1:0", "--forward", f"127.0.0.1:{r_port}", "--psnr", "30",
                                 "--mode", "analog", "--http", "127.0.0.1:0", *origin], env={"SEMCOM_HTTP_TOKEN": TOKEN})
        daemons.append(relay)
        l_port = relay.wait_for(r"listening on 127\.0\.0\.1:(\d+)").group(1)
        l_http = relay.wait_for(r"http on 127\.0\.0\.1:(\d+)").group(1)

        control_api(l_http, venv_bin, work)

        # The sender first (its side port URL goes to the dashboard), paced so frames keep arriving.
        sender = Daemon("sender", [semcom, "send", "--connect", f"127.0.0.1:{l_port}", "--input", str(work / "scenes"), "--watch",
                                   "--interval-ms", "1500", "--http", "127.0.0.1:0", *origin])
        daemons.append(sender)
        s_http = sender.wait_for(r"http on 127\.0\.0\.1:(\d+)").group(1)
        dashboard = Daemon("dashboard", [semcom, "dashboard", "--listen", f"127.0.0.1:{d_port}", "--sender", f"http://127.0.0.1:{s_http}",
                                         "--relay", f"http://127.0.0.1:{l_http}", "--receiver", f"http://127.0.0.1:{r_http}"],
                           env={"SEMCOM_HTTP_TOKEN": TOKEN})
        daemons.append(dashboard)
        url = dashboard.wait_for(r"dashboard on (http://\S+)").group(1)
        browser_safety(url, l_http, d_port)
        def hybrid_sender():
            subprocess.run([semcom, "scenes", "--count", "2", "--seed", "4", "--out", str(work / "hybrid")], check=True,
                           capture_output=True)
            daemons.append(Daemon("hybrid-sender", [semcom, "send", "--connect", f"127.0.0.1:{l_port}", "--input",
                                                    str(work / "hybrid"), "--encoding", "hybrid", "--budget", "1/6",
                                                    "--design-snr", "3"]))

        browser(url, l_http, args.screenshot, lambda: add_scenes(work / "all", work / "scenes", names[8:]), hybrid_sender)
        print("dashboard browser test passed")
    finally:
        for d in reversed(daemons):
            d.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
