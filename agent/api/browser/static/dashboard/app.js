// The labelagent dashboard: same-origin with the agent, authenticated by
// the session cookie the page came with and the CSRF token in its <meta>.
const csrf = document.querySelector('meta[name="labelagent-csrf"]').content;
const STR = JSON.parse(document.getElementById("strings").textContent);
const lang = document.documentElement.lang || "en";

function S(key, args = {}) {
  let s = STR[key] || key;
  for (const [k, v] of Object.entries(args)) {
    if (v === "" || v === undefined || v === null) s = s.split(": {" + k + "}").join("");
    s = s.split("{" + k + "}").join(String(v ?? ""));
  }
  return s;
}

const state = { printers: new Map(), jobs: new Map(), origins: [], postage: false, shipping: false, shipments: new Map() };

async function call(method, path, body) {
  const init = { method, headers: { "Accept-Language": lang }, credentials: "same-origin" };
  if (method !== "GET") {
    init.headers[ "X-Labelagent-CSRF"] = csrf;
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body || {});
  }
  const res = await fetch(path, init);
  if (!res.ok) {
    let msg = res.status + "";
    try { msg = (await res.json()).message; } catch { /* not JSON */ }
    throw new Error(msg);
  }
  return res;
}

function say(text) { document.getElementById("message").textContent = text || ""; }

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (k === "class") e.className = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}

function stateCell(value, label) {
  return el("td", { class: "state state-" + value, "data-state": value }, label || S("state_" + value) || value);
}

function fmtTime(t) {
  try { return new Date(t).toLocaleString(lang); } catch { return t; }
}

function button(label, action, cls, attrs = {}) {
  return el("button", { type: "button", class: cls || "", ...attrs, onclick: async (ev) => {
    ev.target.disabled = true;
    try { say(""); await action(); } catch (e) { say(e.message); } finally { ev.target.disabled = false; }
  } }, label);
}

function renderPrinters() {
  const tb = document.querySelector("#printers tbody");
  tb.replaceChildren();
  for (const p of [...state.printers.values()].sort((a, b) => a.name.localeCompare(b.name))) {
    const st = p.paused ? "paused" : (p.status?.state || "unknown");
    tb.append(el("tr", { "data-printer": p.name },
      el("td", {}, p.name + (p.default ? " ★" : "")),
      stateCell(st, S("state_" + st) + (p.status?.detail && p.status.detail !== st ? " – " + p.status.detail : "")),
      el("td", {}, String(p.queued)),
      el("td", {},
        p.paused
          ? button(S("resume"), () => call("POST", `/dashboard/api/printers/${encodeURIComponent(p.name)}/resume`).then(r => r.json()).then(upPrinter), "", { "data-action": "resume" })
          : button(S("pause"), () => call("POST", `/dashboard/api/printers/${encodeURIComponent(p.name)}/pause`).then(r => r.json()).then(upPrinter), "", { "data-action": "pause" }),
        button(S("test_print"), () => call("POST", `/dashboard/api/printers/${encodeURIComponent(p.name)}/test`).then(r => r.json()).then(r => upJob(r.job)), "", { "data-action": "test" }))));
  }
}

function renderJobs() {
  const tb = document.querySelector("#jobs tbody");
  tb.replaceChildren();
  const jobs = [...state.jobs.values()].sort((a, b) => Number(b.id) - Number(a.id)).slice(0, 50);
  for (const j of jobs) {
    const finished = ["done", "failed", "cancelled"].includes(j.state);
    tb.append(el("tr", { "data-job": j.id },
      el("td", {}, j.id),
      el("td", {}, j.name || ""),
      el("td", {}, j.source),
      el("td", {}, j.printer),
      stateCell(j.state, S("state_" + j.state) + (j.last_error ? " – " + j.last_error : "") +
        (j.wait && j.state === "queued" ? " – " + S("wait_" + j.wait.code, { printer: j.wait.printer, detail: j.wait.detail || "", ahead: j.wait.ahead || "" }) : "")),
      el("td", {}, fmtTime(j.created)),
      el("td", {},
        button(S("preview"), () => showPreview(j.id), "", { "data-action": "preview" }),
        finished ? button(j.state === "done" ? S("reprint") : S("retry"), () => call("POST", `/dashboard/api/jobs/${j.id}/reprint`).then(r => r.json()).then(upJob), "", { "data-action": "reprint" })
                 : button(S("cancel"), () => call("POST", `/dashboard/api/jobs/${j.id}/cancel`).then(r => r.json()).then(upJob), "danger", { "data-action": "cancel" }))));
  }
}

function renderOrigins() {
  const pend = document.getElementById("pending");
  pend.replaceChildren();
  const tb = document.querySelector("#origins tbody");
  tb.replaceChildren();
  for (const o of state.origins) {
    if (o.state === "pending") {
      const scopes = {};
      const box = (scope) => {
        const cb = el("input", { type: "checkbox", "data-scope": scope });
        cb.addEventListener("change", () => { scopes[scope] = cb.checked; });
        return el("label", {}, cb, " " + S("scope_" + scope));
      };
      pend.append(el("div", { class: "request", "data-origin": o.origin },
        el("p", {}, S("pairing_asks", { origin: o.origin, app: o.app || "" })),
        el("p", {}, S("pairing_code"), " ", el("span", { class: "code" }, o.code || "")),
        el("p", { class: "hint" }, S("pairing_scopes_hint")),
        el("p", {}, box("shipping"), " ", box("postage")),
        el("p", {},
          button(S("approve"), () => decide("approve", o.origin, Object.keys(scopes).filter(k => scopes[k])), "primary", { "data-action": "approve" }),
          button(S("deny"), () => decide("deny", o.origin), "danger", { "data-action": "deny" }))));
      continue;
    }
    tb.append(el("tr", { "data-origin": o.origin },
      el("td", {}, o.origin + (o.app ? " (" + o.app + ")" : "")),
      stateCell(o.state),
      el("td", {}, (o.scopes || []).map(s => S("scope_" + s)).join(", ")),
      el("td", {}, button(S("revoke"), () => decide("revoke", o.origin), "danger", { "data-action": "revoke" }))));
  }
  if (!pend.children.length) pend.append(el("p", { class: "hint" }, S("pairing_none")));
}

async function decide(verb, origin, scopes) {
  await call("POST", "/dashboard/api/origins/" + verb, { origin, scopes });
  await loadState();
}

function upPrinter(p) { state.printers.set(p.name, p); renderPrinters(); }
function upJob(j) {
  const old = state.jobs.get(j.id);
  state.jobs.set(j.id, { ...(old || {}), ...j });
  renderJobs();
}

let previewURL = null;
async function showPreview(id) {
  const res = await call("GET", `/dashboard/api/jobs/${id}/preview`);
  if (previewURL) URL.revokeObjectURL(previewURL);
  previewURL = URL.createObjectURL(await res.blob());
  const img = document.getElementById("preview-img");
  img.src = previewURL;
  img.alt = S("preview") + " " + id;
  document.getElementById("preview-job").textContent = "#" + id;
  document.getElementById("preview-panel").hidden = false;
}

function renderShipments() {
  const tb = document.querySelector("#shipments tbody");
  tb.replaceChildren();
  const today = [...state.shipments.values()].sort((a, b) => String(b.created).localeCompare(String(a.created)));
  for (const sh of today) {
    tb.append(el("tr", { "data-shipment": sh.id },
      el("td", {}, sh.order_ref || ""),
      el("td", {}, sh.shipment_no || ""),
      el("td", {}, [sh.recipient, sh.destination].filter(Boolean).join(", ")),
      el("td", { class: "state state-ship-" + sh.state, "data-state": sh.state }, S("ship_" + sh.state) + (sh.error ? " – " + sh.error : "")),
      el("td", {}, fmtTime(sh.created))));
  }
  document.getElementById("shipments-none").hidden = today.length > 0;
}

async function loadShipments() {
  try {
    const l = await (await call("GET", "/dashboard/api/shipments")).json();
    state.shipments = new Map((l.shipments || []).map(s => [s.id, s]));
    renderShipments();
  } catch (e) { say(e.message); }
}

async function loadBalance(refresh) {
  const out = document.getElementById("balance");
  try {
    const b = await (await call("GET", "/dashboard/api/balance" + (refresh ? "?refresh=1" : ""))).json();
    let amount = b.text;
    try { amount = new Intl.NumberFormat(lang, { style: "currency", currency: "EUR" }).format(b.cents / 100); } catch { /* keep the agent's text */ }
    out.textContent = S("balance", { time: fmtTime(b.at) }).replace("{amount}", amount);
    out.dataset.cents = b.cents;
  } catch (e) { out.textContent = e.message; }
}

async function loadState() {
  const st = await (await call("GET", "/dashboard/api/state")).json();
  state.printers = new Map(st.printers.map(p => [p.name, p]));
  state.jobs = new Map(st.jobs.map(j => [j.id, j]));
  state.origins = st.origins;
  state.postage = st.postage;
  renderPrinters(); renderJobs(); renderOrigins();
  document.getElementById("postage").hidden = !st.postage;
  if (st.postage) loadBalance(false);
  state.shipping = st.shipping;
  document.getElementById("shipments-section").hidden = !st.shipping;
  if (st.shipping) loadShipments();
}

function connect() {
  const live = document.getElementById("live");
  const es = new EventSource("/dashboard/api/events");
  es.addEventListener("open", () => { live.textContent = S("live"); live.classList.remove("off"); loadState().catch(e => say(e.message)); });
  es.addEventListener("error", () => { live.textContent = S("offline"); live.classList.add("off"); });
  es.addEventListener("job", (m) => upJob(JSON.parse(m.data).job));
  es.addEventListener("printer", (m) => upPrinter(JSON.parse(m.data).printer));
  es.addEventListener("origins", (m) => { state.origins = JSON.parse(m.data); renderOrigins(); });
  es.addEventListener("shipment", (m) => {
    const sh = JSON.parse(m.data).shipment;
    if (!sh || !state.shipping) return;
    const today = [...state.shipments.values()][0]?.day;
    if (!today || sh.day === today) { state.shipments.set(sh.id, sh); renderShipments(); }
  });
  es.addEventListener("lagged", () => loadState().catch(e => say(e.message)));
}

document.getElementById("preview-close").addEventListener("click", () => { document.getElementById("preview-panel").hidden = true; });
document.getElementById("balance-refresh").addEventListener("click", () => loadBalance(true));

// The scan field: a keyboard-wedge scanner types the order number and Enter.
document.getElementById("scan-form").addEventListener("submit", async ev => {
  ev.preventDefault();
  const input = document.getElementById("scan-code");
  const reprint = document.getElementById("scan-reprint");
  const code = input.value.trim();
  const out = document.getElementById("scan-result");
  if (!code) return;
  out.textContent = S("scan_busy", { order: code });
  try {
    const r = await (await call("POST", "/dashboard/api/scan", { code, reprint: reprint.checked })).json();
    const args = { order: r.order_ref, tracking: r.tracking || "", carrier: r.carrier || "", product: r.product || "", message: r.message || "", url: r.payment_url || "" };
    out.textContent = S("scan_" + r.outcome, args);
    out.className = r.outcome === "printed" || r.outcome === "reprinted" ? "ok" : "attention";
  } catch (e) {
    out.textContent = e.message;
    out.className = "attention";
  }
  input.value = "";
  reprint.checked = false;
  input.focus();
});
loadState().catch(e => say(e.message));
connect();
