// The server's API, called from the page's own origin with the API key in
// sessionStorage (never localStorage, never a cookie).

export type FieldError = { field: string; message: string };

export type Envelope = {
  status: number;
  headers?: Record<string, string>;
  output: unknown;
  error?: { code: string; message: string; fields?: FieldError[] };
  /** The analytics commands' answer as flat objects: one per day, month or breakdown value. */
  rows?: Record<string, unknown>[];
  /** The rows' numbers as chart series, one per numeric column: x a date or a breakdown's value. */
  series?: Record<string, { x: string; y: number }[]>;
  meta?: {
    command?: string;
    durationMs?: number;
    requestId?: string;
    dryRun?: boolean;
    progress?: { sentBytes: number; totalBytes: number; parts: number };
  };
};

export type Datasource = {
  id: string;
  plugin: string;
  name: string;
  workspace: string;
  config: Record<string, unknown>;
  authStatus: "unauthorized" | "authorized" | "expiring" | "expired" | "error";
  authError?: string;
  authorizedAs?: { sub?: string; name?: string; email?: string };
  scopes?: string[];
  tokenExpiresAt?: string;
  refreshable?: boolean;
  createdAt: string;
  updatedAt: string;
  /** LinkedIn's limits known reached, one per scope and endpoint. */
  limits?: KnownLimit[] | null;
  /** Set when the config asks for scopes no single LinkedIn app grants. */
  warning?: string;
};

/**
 * A limit of LinkedIn's known reached: the member's or the app's daily
 * limit, or a short pause of the datasource, for one endpoint.
 */
export type KnownLimit = {
  scope: "member" | "app" | "datasource" | string;
  endpoint: string;
  exhaustedUntil: string;
  reason: string;
};

export type Form = {
  schema: Record<string, unknown>;
  uiSchema?: Record<string, unknown>;
  examples?: { title?: string; params: Record<string, unknown> }[];
};

export type Command = Form & {
  id: string;
  title: string;
  description?: string;
  scopes?: string[];
};

export type Plugin = {
  id: string;
  title: string;
  description?: string;
  version?: string;
  datasource: Form;
  commands: Command[];
};

export type Option = { value: string; label: string };

/** A finished call: the HTTP status, the decoded answer, how long it took. */
export type Answer<T = unknown> = {
  httpStatus: number;
  body: T;
  ms: number;
  requestId: string;
};

/** An answer that is an error envelope. */
export class ApiError extends Error {
  code: string;
  httpStatus: number;
  requestId: string;
  fields: FieldError[];
  envelope: Envelope | null;
  constructor(httpStatus: number, env: Envelope | null, requestId: string, fallback: string) {
    super(env?.error?.message ?? fallback);
    this.code = env?.error?.code ?? "http_" + httpStatus;
    this.httpStatus = httpStatus;
    this.requestId = env?.meta?.requestId ?? requestId;
    this.fields = env?.error?.fields ?? [];
    this.envelope = env;
  }
}

const KEY = "plugin-server.apiKey";

export const apiKey = {
  get: (): string | null => sessionStorage.getItem(KEY),
  set: (k: string) => sessionStorage.setItem(KEY, k),
  clear: () => sessionStorage.removeItem(KEY),
};

/** Called when the server says the key is not (or no longer) valid. */
let onUnauthenticated: (message: string) => void = () => {};
export function setUnauthenticatedHandler(f: (message: string) => void) {
  onUnauthenticated = f;
}

function headers(key: string | null, contentType?: string): Record<string, string> {
  const h: Record<string, string> = { Accept: "application/json" };
  if (contentType) h["Content-Type"] = contentType;
  if (key) h["Authorization"] = "Bearer " + key;
  return h;
}

function decode(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/**
 * raw sends one request and returns the answer whatever its status; key
 * overrides the stored key (null: send none).
 */
export async function raw<T = unknown>(
  method: string,
  path: string,
  body?: unknown,
  key: string | null = apiKey.get(),
): Promise<Answer<T>> {
  const start = performance.now();
  const resp = await fetch(path, {
    method,
    headers: headers(key, body === undefined ? undefined : "application/json"),
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "omit",
    cache: "no-store",
  });
  const text = await resp.text();
  return {
    httpStatus: resp.status,
    body: decode(text) as T,
    ms: Math.round(performance.now() - start),
    requestId: resp.headers.get("X-Request-Id") ?? "",
  };
}

/** call is raw for routes whose errors the caller throws: an ApiError. */
export async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const a = await raw<T>(method, path, body);
  if (a.httpStatus >= 400) {
    const env = a.body as Envelope | null;
    const err = new ApiError(a.httpStatus, env, a.requestId, `HTTP ${a.httpStatus}`);
    if (a.httpStatus === 401) onUnauthenticated(err.message);
    throw err;
  }
  return a.body;
}

export const api = {
  plugin: (id: string) => call<Plugin>("GET", `/v1/plugins/${encodeURIComponent(id)}`),
  datasources: () => call<{ datasources: Datasource[] }>("GET", "/v1/datasources").then((r) => r.datasources),
  datasource: (id: string) => call<Datasource>("GET", `/v1/datasources/${encodeURIComponent(id)}`),
  create: (plugin: string, name: string, config: unknown) =>
    call<Datasource>("POST", "/v1/datasources", { plugin, name, config }),
  update: (id: string, patch: { name?: string; config?: unknown }) =>
    call<Datasource>("PATCH", `/v1/datasources/${encodeURIComponent(id)}`, patch),
  remove: (id: string) =>
    call<{ id: string; deleted: boolean; warning?: string }>("DELETE", `/v1/datasources/${encodeURIComponent(id)}`),
  authorize: (id: string, returnUrl?: string) =>
    call<{ authorizationUrl: string; expiresAt: string }>(
      "POST",
      `/v1/datasources/${encodeURIComponent(id)}/authorize`,
      returnUrl ? { returnUrl } : {},
    ),
  test: (id: string) =>
    call<{ ok: boolean; message: string; member?: Record<string, unknown> }>(
      "POST",
      `/v1/datasources/${encodeURIComponent(id)}/test`,
    ),
  disconnect: (id: string) =>
    call<Datasource & { warning?: string }>("POST", `/v1/datasources/${encodeURIComponent(id)}/disconnect`),
  options: (id: string, command: string, field: string) =>
    call<{ options: Option[]; warning?: string }>(
      "GET",
      `/v1/datasources/${encodeURIComponent(id)}/options/${encodeURIComponent(command)}/${encodeURIComponent(field)}`,
    ),
  execute: (id: string, command: string, params: unknown, dryRun: boolean) =>
    raw<Envelope>(
      "POST",
      `/v1/datasources/${encodeURIComponent(id)}/execute${dryRun ? "?dryRun=true" : ""}`,
      { command, params },
    ),
};

/**
 * upload streams a file as the execute request's body, with the command's
 * params in the query, reporting the bytes sent as they go.
 */
export function upload(
  id: string,
  query: Record<string, string>,
  file: File,
  onProgress: (sent: number, total: number) => void,
): Promise<Answer<Envelope>> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    const start = performance.now();
    const q = new URLSearchParams(query).toString();
    xhr.open("POST", `/v1/datasources/${encodeURIComponent(id)}/execute?${q}`);
    for (const [k, v] of Object.entries(headers(apiKey.get(), file.type || "application/octet-stream"))) {
      xhr.setRequestHeader(k, v);
    }
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size);
    xhr.upload.onload = () => onProgress(file.size, file.size);
    xhr.onerror = () => reject(new Error("the upload could not reach the server"));
    xhr.onabort = () => reject(new Error("the upload was cancelled"));
    xhr.onload = () => {
      const a: Answer<Envelope> = {
        httpStatus: xhr.status,
        body: decode(xhr.responseText) as Envelope,
        ms: Math.round(performance.now() - start),
        requestId: xhr.getResponseHeader("X-Request-Id") ?? "",
      };
      if (xhr.status === 401) onUnauthenticated(a.body?.error?.message ?? "unauthenticated");
      resolve(a);
    };
    xhr.send(file);
  });
}

/** Values that must never be shown, whatever answer carries them. */
const secretKeys = /^(authorization|access_?token|refresh_?token|id_?token|client_?secret|clientsecret|password|api_?key)$/i;

/** redact replaces secret-looking values before anything is displayed. */
export function redact(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(redact);
  if (v && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (secretKeys.test(k) && typeof x === "string" && x !== "" && !/^(Bearer )?\[REDACTED\]$/.test(x)) {
        out[k] = "[hidden]";
      } else {
        out[k] = redact(x);
      }
    }
    return out;
  }
  return v;
}
