// Types of labelagent.js, the browser client of labelagent.

export declare const DEFAULT_URL: string;

export type JobState = "queued" | "preparing" | "printing" | "done" | "failed" | "cancelled";
export type Kind = "zpl" | "raw" | "pdf" | "png";
export type Scope = "print" | "shipping" | "postage";
export type PrinterState = "ready" | "paper_out" | "ribbon_out" | "head_open" | "paused" | "buffer_full" | "offline" | "unknown";

export interface Job {
  id: string;
  source: string;
  printer: string;
  kind: Kind;
  payload_sha256: string;
  payload_size: number;
  copies: number;
  idempotency_key?: string;
  name?: string;
  state: JobState;
  attempts: number;
  last_error?: string;
  created: string;
  updated: string;
  finished?: string;
  history?: { at: string; state: JobState; note?: string }[];
  wait?: { code: string; printer: string; detail?: string; ahead?: string; since: string };
}

export interface Printer {
  name: string;
  transport: string;
  address?: string;
  default: boolean;
  paused: boolean;
  status: { state: PrinterState; problems?: PrinterState[]; detail?: string; checked: string };
  status_since: string;
  queued: number;
  current?: string;
}

export interface PairStatus {
  origin: string;
  state: "pending" | "approved";
  code?: string;
  scopes?: Scope[];
}

export interface Balance { cents: number; text: string; at: string }

export interface PrintOptions {
  printer?: string;
  kind?: Kind;
  copies?: number;
  idempotencyKey?: string;
  name?: string;
  /** Reject with PrinterOfflineError instead of queueing when the printer cannot print now. */
  requireReady?: boolean;
}

export interface LabelagentOptions {
  url?: string;
  app?: string;
  storage?: Storage | null;
  token?: string;
  lang?: string;
}

export declare class LabelagentError extends Error {
  code: string;
  status: number;
}
export declare class NotRunningError extends LabelagentError {}
export declare class LocalNetworkBlockedError extends LabelagentError {}
export declare class NotPairedError extends LabelagentError {}
export declare class DeniedError extends LabelagentError {}
export declare class PendingError extends LabelagentError { pairingCode?: string }
export declare class ScopeError extends LabelagentError {}
export declare class RateLimitedError extends LabelagentError { retryAfter: number }
export declare class PrinterOfflineError extends LabelagentError { printer: Printer }
export declare class JobFailedError extends LabelagentError { job: Job }

export declare class Labelagent {
  constructor(opts?: LabelagentOptions);
  readonly url: string;
  readonly paired: boolean;
  forget(): void;
  pair(opts?: { onCode?: (code: string) => void; signal?: AbortSignal; timeoutMs?: number; pollMs?: number }): Promise<PairStatus>;
  status(opts?: { signal?: AbortSignal }): Promise<PairStatus>;
  printers(): Promise<Printer[]>;
  print(label: string | Uint8Array | ArrayBuffer | Blob, opts?: PrintOptions): Promise<Job>;
  job(id: string): Promise<Job>;
  waitForJob(id: string, opts?: { signal?: AbortSignal; onUpdate?: (job: Job) => void; timeoutMs?: number }): Promise<Job>;
  watch(handlers: {
    onJob?: (job: Job) => void;
    onPrinter?: (printer: Printer) => void;
    onLagged?: () => void;
    onError?: (err: unknown) => void;
    signal?: AbortSignal;
  }): Promise<void>;
  preview(id: string): Promise<Blob>;
  previewURL(id: string): Promise<string>;
  balance(opts?: { refresh?: boolean }): Promise<Balance>;
  buyStamp(req: Record<string, unknown>, opts?: { idempotencyKey?: string }): Promise<Record<string, unknown>>;
  ship(order: Record<string, unknown>, opts?: { idempotencyKey?: string }): Promise<Record<string, unknown>>;
}

export default Labelagent;
