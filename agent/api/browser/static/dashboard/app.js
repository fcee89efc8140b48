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
    try { say(""); await action(ev); } catch (e) { say(e.message); } finally { ev.target.disabled = false; }
  } }, label);
}

// syncList makes container's children match items, in order, keyed by
// keyOf: a row already shown is patched in place (morph), so the boxes an
// operator ticked, the focus and the button under the cursor survive an
// event; only new rows are inserted and gone ones removed.
function syncList(container, items, keyOf, render) {
  const keys = items.map(keyOf);
  const want = new Set(keys);
  const have = new Map();
  for (const c of [...container.children]) {
    if (c.dataset.key !== undefined && want.has(c.dataset.key) && !have.has(c.dataset.key)) have.set(c.dataset.key, c);
    else c.remove();
  }
  let at = container.firstElementChild;
  items.forEach((it, i) => {
    const fresh = render(it);
    fresh.dataset.key = keys[i];
    const old = have.get(keys[i]);
    const node = old ? morph(old, fresh) : fresh;
    if (node === at) at = at.nextElementSibling;
    else container.insertBefore(node, at);
  });
}

// morph turns the shown node old into fresh without replacing what both
// share. Elements of another kind or action are replaced; otherwise
// attributes and text are copied over and children morphed pairwise.
// Properties the operator set (checked, value, focus) are left alone, and so
// is "disabled", which a button sets while its action runs; listeners stay
// those of old, which act on the same key.
function morph(old, fresh) {
  if (old.nodeType !== fresh.nodeType || old.nodeName !== fresh.nodeName ||
      (old.nodeType === Node.ELEMENT_NODE && (old.dataset.action !== fresh.dataset.action || old.dataset.scope !== fresh.dataset.scope))) {
    old.replaceWith(fresh);
    return fresh;
  }
  if (old.nodeType !== Node.ELEMENT_NODE) {
    if (old.nodeValue !== fresh.nodeValue) old.nodeValue = fresh.nodeValue;
    return old;
  }
  for (const a of [...old.attributes]) if (a.name !== "disabled" && !fresh.hasAttribute(a.name)) old.removeAttribute(a.name);
  for (const a of fresh.attributes) if (old.getAttribute(a.name) !== a.value) old.setAttribute(a.name, a.value);
  const oc = [...old.childNodes], fc = [...fresh.childNodes];
  fc.forEach((f, i) => { if (i < oc.length) morph(oc[i], f); else old.append(f); });
  for (const c of oc.slice(fc.length)) c.remove();
  return old;
}

function renderPrinters() {
  const tb = document.querySelector("#printers tbody");
  const printers = [...state.printers.values()].sort((a, b) => a.name.localeCompare(b.name));
  syncList(tb, printers, p => p.name, p => {
    const st = p.paused ? "paused" : (p.status?.state || "unknown");
    return el("tr", { "data-printer": p.name },
      el("td", {}, p.name + (p.default ? " ★" : "")),
      stateCell(st, S("state_" + st) + (p.status?.detail && p.status.detail !== st ? " – " + p.status.detail : "")),
      el("td", {}, String(p.queued)),
      el("td", {},
        p.paused
          ? button(S("resume"), () => call("POST", `/dashboard/api/printers/${encodeURIComponent(p.name)}/resume`).then(r => r.json()).then(upPrinter), "", { "data-action": "resume" })
          : button(S("pause"), () => call("POST", `/dashboard/api/printers/${encodeURIComponent(p.name)}/pause`).then(r => r.json()).then(upPrinter), "", { "data-action": "pause" }),
        button(S("test_print"), () => call("POST", `/dashboard/api/printers/${encodeURIComponent(p.name)}/test`).then(r => r.json()).then(r => upJob(r.job)), "", { "data-action": "test" })));
  });
}

function renderJobs() {
  const tb = document.querySelector("#jobs tbody");
  const jobs = [...state.jobs.values()].sort((a, b) => Number(b.id) - Number(a.id)).slice(0, 50);
  syncList(tb, jobs, j => String(j.id), j => {
    const finished = ["done", "failed", "cancelled"].includes(j.state);
    return el("tr", { "data-job": j.id },
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
                 : button(S("cancel"), () => call("POST", `/dashboard/api/jobs/${j.id}/cancel`).then(r => r.json()).then(upJob), "danger", { "data-action": "cancel" })));
  });
}

// A pending request is keyed by origin and code: a page that asks again
// gets a new code, and boxes ticked for the old request must not carry over.
function renderOrigins() {
  const pending = state.origins.filter(o => o.state === "pending");
  const none = { none: true };
  syncList(document.getElementById("pending"), pending.length ? pending : [none],
    o => o.none ? "none" : o.origin + " " + (o.code || ""), o => {
      if (o.none) return el("p", { class: "hint" }, S("pairing_none"));
      const box = (scope) => el("label", {}, el("input", { type: "checkbox", "data-scope": scope }), " " + S("scope_" + scope));
      const ticked = (ev) => [...ev.target.closest(".request").querySelectorAll("input[data-scope]:checked")].map(c => c.dataset.scope);
      return el("div", { class: "request", "data-origin": o.origin },
        el("p", {}, S("pairing_asks", { origin: o.origin, app: o.app || "" })),
        el("p", {}, S("pairing_code"), " ", el("span", { class: "code" }, o.code || "")),
        el("p", { class: "hint" }, S("pairing_scopes_hint")),
        el("p", {}, box("shipping"), " ", box("postage")),
        el("p", {},
          button(S("approve"), (ev) => decide("approve", o.origin, ticked(ev)), "primary", { "data-action": "approve" }),
          button(S("deny"), () => decide("deny", o.origin), "danger", { "data-action": "deny" })));
    });
  syncList(document.querySelector("#origins tbody"), state.origins.filter(o => o.state !== "pending"), o => o.origin, o =>
    el("tr", { "data-origin": o.origin },
      el("td", {}, o.origin + (o.app ? " (" + o.app + ")" : "")),
      stateCell(o.state),
      el("td", {}, (o.scopes || []).map(s => S("scope_" + s)).join(", ")),
      el("td", {}, button(S("revoke"), () => decide("revoke", o.origin), "danger", { "data-action": "revoke" }))));
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
