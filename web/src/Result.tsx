import { redact, type Answer, type Envelope } from "./api";
import { Chart, Rows, dateSeries } from "./Chart";

/**
 * The envelope of an execute: HTTP status, durations, error code and request
 * id, an analytics answer's series as a chart and its rows as a table, the JSON.
 */
export function Result({ answer, label }: { answer: Answer<Envelope>; label?: string }) {
  const env = answer.body;
  const err = env?.error;
  const requestId = env?.meta?.requestId || answer.requestId;
  const ok = answer.httpStatus < 400;
  // An analytics answer: its dated series as a chart, its rows as a table.
  const series = err ? [] : dateSeries(env?.series);
  return (
    <section className={"result " + (ok ? "ok" : "failed")} aria-label={label ?? "Result"} data-testid="result">
      <p className="result-line">
        <span className="http-status" data-testid="http-status">HTTP {answer.httpStatus}</span>
        <span> · {answer.ms} ms</span>
        {env?.meta?.durationMs !== undefined ? <span> (server {env.meta.durationMs} ms)</span> : null}
        {env && typeof env.status === "number" ? <span> · LinkedIn status {env.status || "—"}</span> : null}
        {env?.meta?.dryRun ? <span className="badge">dry run: nothing was sent</span> : null}
      </p>
      {err ? (
        <p className="error" role="alert" data-testid="error">
          <strong data-testid="error-code">{err.code}</strong>: {err.message}
          {requestId ? <span className="request-id"> (request id <code>{requestId}</code>)</span> : null}
        </p>
      ) : requestId ? (
        <p className="hint">request id <code>{requestId}</code></p>
      ) : null}
      {series.length ? <Chart series={series} /> : null}
      {err ? null : <Rows rows={env?.rows} />}
      <pre className="json" data-testid="envelope">{JSON.stringify(redact(env), null, 2)}</pre>
    </section>
  );
}

/** An error from a route other than execute: its code and request id. */
export function ErrorLine({ error }: { error: unknown }) {
  const e = error as { code?: string; message?: string; requestId?: string };
  return (
    <p className="error" role="alert">
      {e.code ? <strong>{e.code}</strong> : null}
      {e.code ? ": " : null}
      {e.message ?? String(error)}
      {e.requestId ? <span className="request-id"> (request id <code>{e.requestId}</code>)</span> : null}
    </p>
  );
}
