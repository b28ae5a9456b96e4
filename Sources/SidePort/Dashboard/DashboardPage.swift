import Crypto
import Foundation

/// The dashboard's one page: plain HTML, CSS, JavaScript and SVG, no external resource (it works
/// offline). It reads `config.json` (the daemons' side ports), follows each daemon's `/events`
/// (Server-Sent Events), shows counters and rates, a live table of frames with the sent map, the
/// decided map and the regenerated image, a chart of measured SNR and map agreement over time, and the
/// relay's channel with a control that changes it through the dashboard (`PUT api/relay/channel`).
///
/// Test hooks: rows `tr[data-frame][data-status][data-setting]`, images `img.sent|.decided|.generated`
/// with `data-loaded="1"`, `#snr-input`, `#snr-apply`, `body[data-ready]`.
enum DashboardPage {
    static let html = #"""
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <title>semcom — live link</title>
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <style>
          :root { --bg: #0f1419; --panel: #182029; --text: #e6e9ec; --muted: #8a96a3; --ok: #3fb950; --warn: #d29922; --bad: #f85149; --accent: #58a6ff; }
          * { box-sizing: border-box; }
          body { margin: 0; font: 14px/1.4 system-ui, sans-serif; background: var(--bg); color: var(--text); }
          header { padding: 12px 20px; display: flex; align-items: baseline; gap: 16px; border-bottom: 1px solid #263140; }
          header h1 { font-size: 18px; margin: 0; }
          header .sub { color: var(--muted); }
          main { padding: 16px 20px; display: grid; gap: 16px; grid-template-columns: 1fr 1fr; }
          section { background: var(--panel); border-radius: 8px; padding: 12px 14px; }
          section h2 { font-size: 13px; text-transform: uppercase; letter-spacing: .06em; color: var(--muted); margin: 0 0 8px; }
          .wide { grid-column: 1 / -1; }
          .daemons { display: grid; grid-template-columns: repeat(3, 1fr); gap: 10px; }
          .daemon { border: 1px solid #263140; border-radius: 6px; padding: 8px 10px; }
          .daemon h3 { margin: 0 0 4px; font-size: 14px; display: flex; justify-content: space-between; }
          .dot { display: inline-block; width: 9px; height: 9px; border-radius: 50%; background: var(--muted); margin-right: 6px; }
          .dot.on { background: var(--ok); } .dot.off { background: var(--bad); }
          .counters { display: grid; grid-template-columns: auto auto; gap: 0 10px; font-variant-numeric: tabular-nums; }
          .counters span:nth-child(odd) { color: var(--muted); }
          table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
          th, td { text-align: left; padding: 4px 6px; border-bottom: 1px solid #263140; vertical-align: middle; }
          th { color: var(--muted); font-weight: 500; font-size: 12px; }
          td img { height: 48px; image-rendering: pixelated; border-radius: 3px; background: #000; }
          .status-acked, .status-generated { color: var(--ok); } .status-lost { color: var(--bad); } .status-sent, .status-relayed, .status-written { color: var(--warn); }
          #frames-wrap { max-height: 70vh; overflow: auto; }
          svg { width: 100%; height: 220px; background: #11181f; border-radius: 6px; }
          .legend { color: var(--muted); font-size: 12px; } .legend b { font-weight: 600; }
          .control { display: flex; gap: 10px; align-items: center; flex-wrap: wrap; }
          .control input[type=range] { flex: 1; min-width: 160px; }
          .control input[type=number] { width: 80px; background: #0f1419; color: var(--text); border: 1px solid #263140; border-radius: 4px; padding: 4px; }
          button { background: var(--accent); color: #0b0f14; border: 0; border-radius: 4px; padding: 6px 12px; font-weight: 600; cursor: pointer; }
          button:disabled { opacity: .5; cursor: default; }
          pre { margin: 6px 0 0; color: var(--muted); font-size: 12px; white-space: pre-wrap; }
          .msg { font-size: 12px; } .msg.err { color: var(--bad); } .msg.ok { color: var(--ok); }
        </style>
        </head>
        <body>
        <header><h1>semcom</h1><span class="sub">generative semantic communication — live link</span><span class="sub" id="clock"></span></header>
        <main>
          <section class="wide"><h2>Daemons</h2><div class="daemons" id="daemons"></div></section>
          <section>
            <h2>Channel (relay)</h2>
            <div id="channel-none" class="msg" hidden>no relay configured (--relay URL)</div>
            <div id="channel-box">
              <div>setting: <b id="channel-setting">—</b> · frames meet <b id="channel-snr">—</b> dB</div>
              <div class="control" style="margin-top:8px">
                <input type="range" id="snr-range" min="-10" max="40" step="0.5" value="10">
                <input type="number" id="snr-input" min="-200" max="200" step="0.5" value="10"> dB
                <button id="snr-apply">Apply</button>
                <input type="password" id="dashboard-token" placeholder="dashboard token" hidden>
              </div>
              <div class="msg" id="channel-msg"></div>
              <pre id="channel-details"></pre>
            </div>
          </section>
          <section>
            <h2>SNR and map agreement over time</h2>
            <svg id="chart" viewBox="0 0 600 220" preserveAspectRatio="none"></svg>
            <div class="legend"><b style="color:#58a6ff">—</b> measured SNR at the relay (dB, left) · <b style="color:#3fb950">●</b> map agreement, sent vs decided (0–1, right)</div>
          </section>
          <section class="wide">
            <h2>Frames</h2>
            <div id="frames-wrap"><table id="frames">
              <thead><tr><th>name</th><th>encoding</th><th>bytes</th><th>setting (dB)</th><th>measured SNR (dB)</th><th>bit errors</th><th title="payload channel uses ÷ (H·W·3), from the relay's channel ledger; header uses apart">ρ (+ header uses)</th><th>attempts</th><th>status</th><th>to ACK (ms)</th><th>to image (ms)</th><th>agreement</th><th>sent map</th><th>decided map</th><th>image</th></tr></thead>
              <tbody></tbody>
            </table></div>
          </section>
        </main>
        <script>
        "use strict";
        const DAEMONS = ["sender", "relay", "receiver"];
        const COUNTED = {sender: ["sent", "retransmitted", "acked", "nacked", "lost"], relay: ["relayed", "nacked"], receiver: ["received", "written", "acked", "nacked", "generated"]};
        // A frame event's kind: the `event` field ("frame.acked") every frame line carries (LinkEvent).
        function frameKind(e) { return typeof e.event === "string" && e.event.startsWith("frame.") ? e.event.slice(6) : null; }
        let config = {}; const frames = new Map(); const counts = {}; const recent = {}; const snrPoints = []; const agreementPoints = []; const started = Date.now();

        function el(tag, attrs = {}, text) { const e = document.createElement(tag); for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v); if (text !== undefined) e.textContent = text; return e; }
        function num(v) { const x = Number(v); return Number.isFinite(x) ? x : null; }
        function ms(t) { return Date.parse(t); }

        function daemonCard(name) {
          const card = el("div", {class: "daemon", id: "daemon-" + name});
          const h = el("h3"); const title = el("span"); title.append(el("span", {class: "dot", id: "dot-" + name}), document.createTextNode(name));
          h.append(title, el("span", {class: "legend", id: "rate-" + name}, "")); card.append(h);
          const c = el("div", {class: "counters", id: "counters-" + name}); card.append(c);
          if (!config[name]) c.append(el("span", {}, "not watched"), el("span", {}, ""));
          return card;
        }

        function renderCounters(name) {
          const c = document.getElementById("counters-" + name); if (!c || !config[name]) return;
          c.replaceChildren();
          for (const kind of COUNTED[name]) { c.append(el("span", {}, kind), el("span", {"data-counter": name + "." + kind}, String(counts[name]?.[kind] ?? 0))); }
          const now = Date.now(); const window = (recent[name] || []).filter(t => now - t < 10000); recent[name] = window;
          document.getElementById("rate-" + name).textContent = (window.length / 10).toFixed(1) + " frames/s";
        }

        function frameRow(name) {
          let f = frames.get(name); if (f) return f;
          const tr = el("tr", {"data-frame": name, "data-status": "sent"});
          const cells = {}; for (const key of ["name", "encoding", "bytes", "setting", "snr", "errors", "rho", "attempts", "status", "ack", "image", "agreement"]) { cells[key] = el("td", {class: "col-" + key}); tr.append(cells[key]); }
          cells.name.textContent = name;
          const imgs = {}; for (const kind of ["sent", "decided", "generated"]) { const td = el("td"); const img = el("img", {class: kind, alt: kind + " " + name, crossorigin: "anonymous"}); img.hidden = true;
            img.addEventListener("load", () => { img.hidden = false; img.dataset.loaded = "1"; measureAgreement(name); }); td.append(img); tr.append(td); imgs[kind] = img; }
          document.querySelector("#frames tbody").prepend(tr);
          f = {name, tr, cells, imgs, attempts: 1, status: "sent"}; frames.set(name, f); return f;
        }

        function setStatus(f, status) {
          const order = ["sent", "relayed", "written", "acked", "generated"];
          if (status !== "lost" && order.indexOf(status) < order.indexOf(f.status)) return;
          f.status = status; f.tr.dataset.status = status; f.cells.status.textContent = status; f.cells.status.className = "col-status status-" + status;
        }

        // A context-coded map's bytes with what zlib would have cost (the sender logs map.zlib_bytes); a layered
        // frame's two parts: the digital one (map + SoftCast metadata, at its MCS) and the analog symbols.
        function bytesText(e) {
          const bytes = num(e["frame.bytes"]), zlib = num(e["map.zlib_bytes"]);
          if (bytes === null) return "";
          if (e["layer.symbols"] !== undefined) {
            return bytes + " = digital " + (num(e["layer.map_bytes"]) ?? 0) + " map (" + (e["layer.map_coding"] ?? "?") + ") + "
              + (num(e["layer.metadata_bytes"]) ?? 0) + " metadata at " + (e["layer.mcs"] ?? "?") + "; analog " + e["layer.symbols"] + " symbols";
          }
          if (zlib === null || zlib <= 0) return String(bytes);
          return bytes + " (zlib " + zlib + ", −" + Math.round(100 * (1 - bytes / zlib)) + " %)";
        }

        function handle(daemon, e) {
          const kind = frameKind(e);
          if (kind) { counts[daemon] ??= {}; counts[daemon][kind] = (counts[daemon][kind] ?? 0) + 1; (recent[daemon] ??= []).push(Date.now()); renderCounters(daemon); }
          const name = e["frame.name"]; if (!name || !kind) return;
          const f = frameRow(name);
          if (e["frame.encoding"]) f.cells.encoding.textContent = e["frame.encoding"];
          if (daemon === "sender") {
            if (kind === "sent") { f.sentAt = f.sentAt ?? ms(e.ts); f.cells.bytes.textContent = bytesText(e); if (config.sender) f.imgs.sent.src = config.sender + "/frames/" + encodeURIComponent(name) + "/map.png"; }
            if (kind === "retransmitted") { f.attempts += 1; f.cells.attempts.textContent = f.attempts; }
            if (kind === "acked") { setStatus(f, "acked"); if (f.sentAt) f.cells.ack.textContent = (ms(e.ts) - f.sentAt).toFixed(0); }
            if (kind === "lost") setStatus(f, "lost");
          } else if (daemon === "relay" && kind === "relayed") {
            const setting = num(e["channel.snr_db"]), snr = num(e["channel.measured_snr_db"]);
            f.cells.setting.textContent = setting ?? "—"; f.tr.dataset.setting = setting ?? "";
            f.cells.snr.textContent = snr === null ? "—" : snr.toFixed(2); f.cells.errors.textContent = e["channel.post_fec_bit_errors"] ?? e["channel.bit_errors"] ?? "0";
            const rho = num(e["channel.rho"]);
            if (rho !== null) { f.cells.rho.textContent = rho.toFixed(4) + " (+" + (e["channel.header_uses"] ?? "?") + ")"; f.tr.dataset.rho = String(rho); }
            f.cells.attempts.textContent = String(Number(e["frame.attempt"] ?? 0) + 1);
            if (e["layer.symbols"] !== undefined) { f.cells.bytes.textContent = bytesText(e); f.tr.dataset.layered = "1"; }
            if (snr !== null) { snrPoints.push([ms(e.ts), snr]); drawChart(); }
            setStatus(f, "relayed");
          } else if (daemon === "receiver") {
            f.sentAt = f.sentAt ?? ms(e.ts);
            if (!f.cells.bytes.textContent) f.cells.bytes.textContent = e["frame.bytes"] ?? "";
            // A layered frame as received: which parts arrived; without a map its SoftCast estimate is the image.
            if (kind === "decided" && e["layer.map"] !== undefined) {
              f.tr.dataset.parts = "map " + e["layer.map"] + ", layer " + e["layer.layer"];
              f.cells.status.title = f.tr.dataset.parts + (e["layer.expected_mse"] ? " (expected MSE " + e["layer.expected_mse"] + ")" : "");
              f.layerOnly = e["layer.map"] !== "ok";
            }
            if (kind === "written" && f.layerOnly) { setStatus(f, "generated"); f.cells.status.textContent = "layer image (map " + (f.tr.dataset.parts.includes("map lost") ? "lost" : "none") + ")";
              if (config.receiver) f.imgs.generated.src = config.receiver + "/frames/" + encodeURIComponent(name) + "/image.png?" + Date.now(); }
            if (kind === "written") { setStatus(f, "written"); if (config.receiver) f.imgs.decided.src = config.receiver + "/frames/" + encodeURIComponent(name) + "/map.png?" + Date.now(); }
            if (kind === "generated") { setStatus(f, "generated"); if (f.sentAt) f.cells.image.textContent = (ms(e.ts) - f.sentAt).toFixed(0);
              if (config.receiver) f.imgs.generated.src = config.receiver + "/frames/" + encodeURIComponent(name) + "/image.png?" + Date.now(); }
            if (kind === "lost") setStatus(f, "lost");
          }
        }

        /// Share of pixels where the sent and the decided colour maps agree: a live proxy for mIoU.
        function measureAgreement(name) {
          const f = frames.get(name); if (!f || f.agreement !== undefined) return;
          const a = f.imgs.sent, b = f.imgs.decided; if (a.dataset.loaded !== "1" || b.dataset.loaded !== "1") return;
          try {
            const w = a.naturalWidth, h = a.naturalHeight; if (!w || w !== b.naturalWidth || h !== b.naturalHeight) return;
            const c = document.createElement("canvas"); c.width = w; c.height = h; const g = c.getContext("2d", {willReadFrequently: true});
            g.drawImage(a, 0, 0); const pa = g.getImageData(0, 0, w, h).data; g.drawImage(b, 0, 0); const pb = g.getImageData(0, 0, w, h).data;
            let same = 0; for (let i = 0; i < pa.length; i += 4) if (pa[i] === pb[i] && pa[i + 1] === pb[i + 1] && pa[i + 2] === pb[i + 2]) same++;
            f.agreement = same / (w * h); f.cells.agreement.textContent = f.agreement.toFixed(3); f.tr.dataset.agreement = f.agreement.toFixed(4);
            agreementPoints.push([Date.now(), f.agreement]); drawChart();
          } catch (err) { f.cells.agreement.textContent = "n/a"; }
        }

        function drawChart() {
          const svg = document.getElementById("chart"); const W = 600, H = 220, P = 28;
          const all = snrPoints.map(p => p[0]).concat(agreementPoints.map(p => p[0])); if (!all.length) return;
          const t0 = Math.min(...all), t1 = Math.max(t0 + 1000, ...all);
          const snrs = snrPoints.map(p => p[1]); const lo = Math.min(0, ...snrs), hi = Math.max(30, ...snrs);
          const x = t => P + (W - 2 * P) * (t - t0) / (t1 - t0), y = v => H - P - (H - 2 * P) * (v - lo) / (hi - lo), ya = v => H - P - (H - 2 * P) * v;
          let s = `<line x1="${P}" y1="${H - P}" x2="${W - P}" y2="${H - P}" stroke="#263140"/><text x="4" y="${y(hi) + 4}" fill="#8a96a3" font-size="10">${hi.toFixed(0)}</text><text x="4" y="${y(lo)}" fill="#8a96a3" font-size="10">${lo.toFixed(0)}</text><text x="${W - P + 4}" y="${ya(1) + 4}" fill="#8a96a3" font-size="10">1</text><text x="${W - P + 4}" y="${ya(0)}" fill="#8a96a3" font-size="10">0</text>`;
          if (snrPoints.length) s += `<polyline fill="none" stroke="#58a6ff" stroke-width="1.5" points="${snrPoints.map(p => x(p[0]).toFixed(1) + "," + y(p[1]).toFixed(1)).join(" ")}"/>`;
          for (const p of agreementPoints) s += `<circle cx="${x(p[0]).toFixed(1)}" cy="${ya(p[1]).toFixed(1)}" r="2.5" fill="#3fb950"/>`;
          svg.innerHTML = s;
        }

        async function refreshChannel() {
          if (!config.relay) return;
          try {
            const c = await (await fetch(config.relay + "/channel")).json();
            const st = c.settings; document.getElementById("channel-snr").textContent = Number(c.effective_snr_db).toFixed(2);
            document.getElementById("channel-setting").textContent = st ? `${st.convention === "psnr" ? "PSNR" : "Es/N0"} ${st.snr_db} dB` + (c.schedule ? " (schedule)" : "") : "fixed";
            document.getElementById("channel-details").textContent = st ? `modulation ${st.modulation} · code ${st.code} · mcs ${st.mcs} · fading ${st.fading} · equalizer ${st.equalizer} · csi ${st.csi} · seed ${st.seed} · version ${c.version}` : "";
            document.body.dataset.channelVersion = c.version;
          } catch (err) { document.getElementById("channel-details").textContent = "relay unreachable: " + err; }
        }

        async function applySNR() {
          const value = Number(document.getElementById("snr-input").value); const msg = document.getElementById("channel-msg");
          const button = document.getElementById("snr-apply"); button.disabled = true;
          try {
            const headers = {"Content-Type": "application/json"}; const token = document.getElementById("dashboard-token").value;
            if (config.token_required && token) headers.Authorization = "Bearer " + token;
            const r = await fetch("api/relay/channel", {method: "PUT", headers, body: JSON.stringify({snr_db: value})});
            const body = await r.json();
            if (r.ok) { msg.className = "msg ok"; msg.textContent = `applied: ${value} dB from the next frame on`; document.body.dataset.applied = String(value); }
            else { msg.className = "msg err"; msg.textContent = `${r.status}: ${body.error}` + (body.field ? ` (${body.field})` : ""); }
          } catch (err) { msg.className = "msg err"; msg.textContent = String(err); }
          button.disabled = false; refreshChannel();
        }

        function connect(name) {
          const dot = document.getElementById("dot-" + name);
          const source = new EventSource(config[name] + "/events");
          source.onopen = () => { dot.className = "dot on"; };
          source.onerror = () => { dot.className = "dot off"; };
          source.onmessage = m => { try { handle(name, JSON.parse(m.data)); } catch (err) { console.error(err); } };
        }

        async function start() {
          config = await (await fetch("config.json")).json();
          const box = document.getElementById("daemons"); for (const d of DAEMONS) { box.append(daemonCard(d)); renderCounters(d); }
          for (const d of DAEMONS) if (config[d]) connect(d);
          if (!config.relay) { document.getElementById("channel-none").hidden = false; document.getElementById("channel-box").hidden = true; }
          if (config.token_required) document.getElementById("dashboard-token").hidden = false;
          if (!config.control) { document.getElementById("snr-apply").disabled = true; document.getElementById("channel-msg").textContent = "changes disabled: start the dashboard with the relay's token"; }
          const range = document.getElementById("snr-range"), input = document.getElementById("snr-input");
          range.addEventListener("input", () => { input.value = range.value; }); input.addEventListener("input", () => { range.value = input.value; });
          document.getElementById("snr-apply").addEventListener("click", applySNR);
          refreshChannel(); setInterval(refreshChannel, 2000);
          setInterval(() => { for (const d of DAEMONS) renderCounters(d); document.getElementById("clock").textContent = "up " + ((Date.now() - started) / 1000).toFixed(0) + " s"; }, 1000);
          document.body.dataset.ready = "1";
        }
        start();
        </script>
        </body>
        </html>
        """#

    /// The page's Content-Security-Policy: its one inline script by hash, styles inline, connections and
    /// pictures from itself and the daemons' side ports only, never framed.
    static func contentSecurityPolicy(daemons: [String]) -> String {
        let script =
            html.range(of: "<script>").flatMap { open in
                html.range(of: "</script>", range: open.upperBound..<html.endIndex).map {
                    String(html[open.upperBound..<$0.lowerBound])
                }
            } ?? ""
        let hash = Data(SHA256.hash(data: Data(script.utf8))).base64EncodedString()
        let sources = (["'self'"] + daemons).joined(separator: " ")
        return "default-src 'none'; script-src 'sha256-\(hash)'; style-src 'unsafe-inline'; connect-src \(sources); "
            + "img-src \(sources) data: blob:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    }
}
