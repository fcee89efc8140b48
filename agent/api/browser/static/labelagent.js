// labelagent browser client: print labels from a web page through the
// labelagent running on this computer. An ES module, no build step:
//
//   import { Labelagent } from "http://127.0.0.1:9181/labelagent.js";
//   const la = new Labelagent({ app: "My shop" });
//   if (!la.paired) await la.pair({ onCode: (code) => show(code) });
//   const job = await la.print("^XA^FO50,50^A0N,50,50^FDHello^FS^XZ");
//   await la.waitForJob(job.id);
//
// Every call returns a promise; failures are LabelagentError subclasses
// (NotRunningError, LocalNetworkBlockedError, NotPairedError, DeniedError,
// PendingError, ScopeError, PrinterOfflineError, JobFailedError, …).
// Types: labelagent.d.ts beside this file. With Chrome's Local Network
// Access denied, a page cannot load this file from the agent: serve a copy
// from your own site to get LocalNetworkBlockedError instead of a failed
// import.

export const DEFAULT_URL = "http://127.0.0.1:9181";

export class LabelagentError extends Error {
  constructor(message, { code = "error", status = 0, cause } = {}) {
    super(message, cause ? { cause } : undefined);
    this.name = "LabelagentError";
    this.code = code;
    this.status = status;
  }
}
/** Nothing answers at the agent's address: it is not installed or not running. */
export class NotRunningError extends LabelagentError {
  constructor(url, cause) {
    super(`labelagent is not running at ${url}`, { code: "not_running", cause });
    this.name = "NotRunningError";
  }
}
/** The browser blocked the request: Chrome's Local Network Access permission was denied. */
export class LocalNetworkBlockedError extends LabelagentError {
  constructor(url, cause) {
    super(`the browser blocked access to ${url} (Local Network Access permission)`, { code: "local_network_blocked", cause });
    this.name = "LocalNetworkBlockedError";
  }
}
/** This page's origin is not paired (no token, a revoked or unknown one). */
export class NotPairedError extends LabelagentError {
  constructor(message, status = 401) { super(message, { code: "not_paired", status }); this.name = "NotPairedError"; }
}
/** The operator denied this origin. */
export class DeniedError extends LabelagentError {
  constructor(message, status = 403) { super(message, { code: "denied", status }); this.name = "DeniedError"; }
}
/** The operator has not decided on the pairing request yet. */
export class PendingError extends LabelagentError {
  constructor(message, code, status = 403) { super(message, { code: "pending", status }); this.name = "PendingError"; this.pairingCode = code; }
}
/** The origin was not granted the scope the call needs (shipping, postage). */
export class ScopeError extends LabelagentError {
  constructor(message, status = 403) { super(message, { code: "scope_missing", status }); this.name = "ScopeError"; }
}
/** Too many requests from this origin; retry after retryAfter seconds. */
export class RateLimitedError extends LabelagentError {
  constructor(message, retryAfter, status = 429) { super(message, { code: "rate_limited", status }); this.name = "RateLimitedError"; this.retryAfter = retryAfter; }
}
/** The printer cannot print now (offline, paper out, head open, paused…). */
export class PrinterOfflineError extends LabelagentError {
  constructor(printer) {
    super(`printer ${printer.name} cannot print now: ${printer.status?.detail || printer.status?.state || (printer.paused ? "paused" : "unknown")}`, { code: "printer_offline" });
    this.name = "PrinterOfflineError";
    this.printer = printer;
  }
}
/** The job ended failed or cancelled. */
export class JobFailedError extends LabelagentError {
  constructor(job) {
    super(`job ${job.id} ${job.state}${job.last_error ? ": " + job.last_error : ""}`, { code: "job_" + job.state });
    this.name = "JobFailedError";
    this.job = job;
  }
}

const PRINTABLE = new Set(["ready", "unknown", ""]);

function storageKey(url) { return "labelagent.token:" + url; }

function b64(bytes) {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

async function toBytes(label) {
  if (typeof label === "string") return new TextEncoder().encode(label);
  if (label instanceof Uint8Array) return label;
  if (label instanceof ArrayBuffer) return new Uint8Array(label);
  if (typeof Blob !== "undefined" && label instanceof Blob) return new Uint8Array(await label.arrayBuffer());
  throw new TypeError("label must be a string, Uint8Array, ArrayBuffer or Blob");
}

async function localNetworkDenied() {
  try {
    if (!navigator.permissions) return false;
    for (const name of ["loopback-network", "local-network-access", "local-network"]) {
      try {
        const st = await navigator.permissions.query({ name });
        if (st.state === "denied") return true;
      } catch { /* the browser does not know this permission */ }
    }
  } catch { /* no Permissions API */ }
  return false;
}

export class Labelagent {
  /**
   * @param {object} [opts]
   * @param {string} [opts.url] the agent's browser API (default http://127.0.0.1:9181)
   * @param {string} [opts.app] this page's name, shown to the operator when pairing
   * @param {Storage|null} [opts.storage] where the token is kept (default localStorage; null: memory only)
   * @param {string} [opts.token] a token from an earlier pairing
   */
  constructor(opts = {}) {
    this.url = (opts.url || DEFAULT_URL).replace(/\/+$/, "");
    this.app = opts.app || (typeof document !== "undefined" ? document.title : "");
    this.storage = opts.storage === undefined ? (typeof localStorage !== "undefined" ? localStorage : null) : opts.storage;
    this.lang = opts.lang || (typeof navigator !== "undefined" ? navigator.language : "");
    this.token = opts.token || (this.storage ? this.storage.getItem(storageKey(this.url)) : null) || null;
  }

  /** Whether this page holds a token (approved or still pending). */
  get paired() { return !!this.token; }

  /** Drops the token (the operator's decision stays). */
  forget() {
    this.token = null;
    if (this.storage) this.storage.removeItem(storageKey(this.url));
  }

  async _fetch(path, init = {}) {
    const headers = new Headers(init.headers || {});
    if (this.token && !init.noToken) headers.set("Authorization", "Bearer " + this.token);
    if (this.lang) headers.set("Accept-Language", this.lang);
    let res;
    try {
      res = await fetch(this.url + path, { ...init, headers, mode: "cors", credentials: "omit", cache: "no-store" });
    } catch (err) {
      if (err && err.name === "AbortError") throw err;
      if (await localNetworkDenied()) throw new LocalNetworkBlockedError(this.url, err);
      // A refused CORS answer (an unapproved origin) and a dead agent look
      // alike to a page; ask the agent's public file to tell them apart.
      try {
        await fetch(this.url + "/labelagent.d.ts", { method: "HEAD", mode: "cors", cache: "no-store" });
      } catch {
        throw new NotRunningError(this.url, err);
      }
      throw new NotPairedError("labelagent refused this page: its origin is not approved (pair again)", 0);
    }
    if (res.ok) return res;
    let body = {};
    try { body = await res.json(); } catch { /* not JSON */ }
    const msg = body.message || `labelagent answered ${res.status}`;
    switch (body.code) {
      case "not_paired": throw new NotPairedError(msg, res.status);
      case "denied": throw new DeniedError(msg, res.status);
      case "pending": throw new PendingError(msg, body.pairing_code, res.status);
      case "scope_missing": throw new ScopeError(msg, res.status);
      case "rate_limited": throw new RateLimitedError(msg, Number(res.headers.get("Retry-After") || 1), res.status);
    }
    throw new LabelagentError(msg, { code: body.code || "error", status: res.status });
  }

  async _json(path, init) { return (await this._fetch(path, init)).json(); }

  _post(path, value, extra = {}) {
    return this._json(path, { method: "POST", headers: { "Content-Type": "application/json", ...extra }, body: JSON.stringify(value) });
  }

  /**
   * Asks the operator to let this page print and waits for the decision.
   * onCode(code) receives the code the operator sees too: show it.
   * Resolves with {origin, state: "approved", scopes}; rejects with
   * DeniedError, or LabelagentError("pairing_timeout").
   */
  async pair({ onCode, signal, timeoutMs = 10 * 60 * 1000, pollMs = 1000 } = {}) {
    if (!this.token || !(await this._pending())) {
      const res = await this._json("/v1/pair", { method: "POST", noToken: true, headers: { "Content-Type": "application/json" }, body: JSON.stringify({ app: this.app }), signal });
      this.token = res.token;
      if (this.storage) this.storage.setItem(storageKey(this.url), this.token);
      if (onCode) onCode(res.code);
    }
    const end = Date.now() + timeoutMs;
    for (;;) {
      const st = await this.status({ signal });
      if (st.state === "approved") return st;
      if (Date.now() > end) throw new LabelagentError("the operator did not answer the pairing request in time", { code: "pairing_timeout" });
      await new Promise((ok, fail) => {
        const t = setTimeout(ok, pollMs);
        if (signal) signal.addEventListener("abort", () => { clearTimeout(t); fail(signal.reason); }, { once: true });
      });
    }
  }

  async _pending() {
    try { return (await this.status()).state !== undefined; } catch (e) {
      if (e instanceof NotPairedError) { this.forget(); return false; }
      throw e;
    }
  }

  /** This page's pairing: {origin, state: "pending"|"approved", code?, scopes?}. */
  status({ signal } = {}) {
    if (!this.token) return Promise.reject(new NotPairedError("this page has not asked to pair yet"));
    return this._json("/v1/pair", { signal });
  }

  /** The agent's printers with their state. */
  async printers() { return (await this._json("/v1/printers")).printers; }

  /**
   * Prints a label: ZPL text, or bytes of ZPL, PDF or PNG. Resolves with the
   * queued job once the agent has stored it.
   * @param {string|Uint8Array|ArrayBuffer|Blob} label
   * @param {{printer?: string, kind?: string, copies?: number, idempotencyKey?: string, name?: string, requireReady?: boolean}} [opts]
   */
  async print(label, opts = {}) {
    if (opts.requireReady) {
      const ps = await this.printers();
      const p = ps.find((x) => (opts.printer ? x.name === opts.printer : x.default));
      if (p && (p.paused || !PRINTABLE.has(p.status?.state || ""))) throw new PrinterOfflineError(p);
    }
    const bytes = await toBytes(label);
    const req = { payload: b64(bytes) };
    if (opts.printer) req.printer = opts.printer;
    if (opts.kind) req.kind = opts.kind;
    if (opts.copies) req.copies = opts.copies;
    if (opts.name) req.name = opts.name;
    if (opts.idempotencyKey) req.idempotency_key = opts.idempotencyKey;
    return (await this._post("/v1/jobs", req)).job;
  }

  /** One job of this page. */
  job(id) { return this._json("/v1/jobs/" + encodeURIComponent(id)); }

  /**
   * Waits until job id is done; rejects with JobFailedError when it fails
   * or is cancelled. onUpdate(job) sees every change.
   */
  async waitForJob(id, { signal, onUpdate, timeoutMs = 120000 } = {}) {
    const ctl = new AbortController();
    const stop = () => ctl.abort();
    if (signal) signal.addEventListener("abort", stop, { once: true });
    const timer = setTimeout(stop, timeoutMs);
    try {
      let job = await this.job(id);
      if (onUpdate) onUpdate(job);
      if (job.state === "done") return job;
      if (job.state === "failed" || job.state === "cancelled") throw new JobFailedError(job);
      return await new Promise((resolve, reject) => {
        this.watch({
          signal: ctl.signal,
          onJob: (j) => {
            if (j.id !== id) return;
            if (onUpdate) onUpdate(j);
            if (j.state === "done") resolve(j);
            else if (j.state === "failed" || j.state === "cancelled") reject(new JobFailedError(j));
          },
          onLagged: async () => {
            try {
              const j = await this.job(id);
              if (j.state === "done") resolve(j);
              else if (j.state === "failed" || j.state === "cancelled") reject(new JobFailedError(j));
            } catch (e) { reject(e); }
          },
          onError: reject,
        });
        // The job may have finished between the first look and the stream.
        this.job(id).then((j) => {
          if (j.state === "done") resolve(j);
          else if (j.state === "failed" || j.state === "cancelled") reject(new JobFailedError(j));
        }, () => {});
        ctl.signal.addEventListener("abort", () => reject(new LabelagentError("stopped waiting for job " + id, { code: "wait_aborted" })), { once: true });
      });
    } finally {
      clearTimeout(timer);
      ctl.abort();
    }
  }

  /**
   * Streams changes of this page's jobs and of every printer until signal
   * aborts. Uses fetch, since EventSource cannot send the token.
   */
  watch({ onJob, onPrinter, onLagged, onError, signal } = {}) {
    const run = async () => {
      const res = await this._fetch("/v1/events", { signal, headers: { Accept: "text/event-stream" } });
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buf = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buf += value;
        let i;
        while ((i = buf.indexOf("\n\n")) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          let type = "message", data = "";
          for (const line of block.split("\n")) {
            if (line.startsWith("event: ")) type = line.slice(7);
            else if (line.startsWith("data: ")) data += line.slice(6);
          }
          if (!data) continue;
          const ev = JSON.parse(data);
          if (type === "job" && onJob) onJob(ev.job);
          else if (type === "printer" && onPrinter) onPrinter(ev.printer);
          else if (type === "lagged" && onLagged) onLagged();
        }
      }
    };
    const p = run().catch((e) => { if (!(e && e.name === "AbortError") && !(signal && signal.aborted) && onError) onError(e); });
    return p;
  }

  /** The job's label as a PNG Blob (ZPL and PNG jobs). */
  async preview(id) { return (await this._fetch("/v1/jobs/" + encodeURIComponent(id) + "/preview")).blob(); }

  /** An object URL of the job's preview, for an <img>; revoke it when done. */
  async previewURL(id) { return URL.createObjectURL(await this.preview(id)); }

  /** The Portokasse balance: {cents, text, at}. */
  balance({ refresh = false } = {}) { return this._json("/v1/postage/balance" + (refresh ? "?refresh=1" : "")); }

  /** Buys INTERNETMARKE stamps and prints them (scope "postage"). */
  buyStamp(req, { idempotencyKey } = {}) {
    return this._post("/v1/postage/stamps", req, idempotencyKey ? { "Idempotency-Key": idempotencyKey } : {});
  }

  /** Creates a DHL shipment for an order and prints its label (scope "shipping"). */
  ship(order, { idempotencyKey } = {}) {
    return this._post("/v1/shipments", order, idempotencyKey ? { "Idempotency-Key": idempotencyKey } : {});
  }
}

export default Labelagent;
