import { useEffect, useState } from "react";
import { api, type Datasource } from "./api";

// The server sends the tab LinkedIn answered back to the console with
// ?datasourceId=…&status=authorized, or &status=error&error=CODE&message=….
// Anyone can write such a link, so nothing of it is shown as it came: the
// status and the code pick one of the fixed texts below, the id must look
// like a datasource id, and message is never read. What the admin needs
// beyond the fixed text (the datasource's name, its scopes, the server's
// warning about them) is asked of the server with the API key.

/** What a reason code says, one per code the server's callback sends (oauthbroker). */
const reasons = {
  user_cancelled_login: "The LinkedIn sign-in was cancelled before the app was authorized.",
  user_cancelled_authorize: "The member declined to authorize the app on LinkedIn's page.",
  access_denied: "LinkedIn denied the authorization.",
  unauthorized_scope_error:
    "LinkedIn refused one of the scopes the datasource asks for: its LinkedIn app does not have the product that grants it.",
  invalid_scope:
    "LinkedIn refused one of the scopes the datasource asks for: its LinkedIn app does not have the product that grants it.",
  invalid_request: "LinkedIn refused the authorization request, or its answer could not be read.",
  invalid_state: "This authorization link is unknown or was already used.",
  expired_state: "The authorization took longer than 10 minutes.",
  authorization_failed: "LinkedIn did not authorize the app.",
  missing_code: "LinkedIn sent no authorization code.",
  datasource_not_found: "The datasource was deleted while it was being authorized.",
  no_app: "No LinkedIn app is configured for this datasource: set LINKEDIN_CLIENT_ID and LINKEDIN_CLIENT_SECRET, or give the datasource its own app.",
  token_exchange_failed: "LinkedIn did not exchange the authorization code for a token; the server's log says why.",
  internal: "The server could not save LinkedIn's token.",
} as const;

export type ReasonCode = keyof typeof reasons;

/** What to do next, for the codes where it is not just "try again". */
const advice: Partial<Record<ReasonCode, string>> = {
  unauthorized_scope_error:
    "Keep only the scopes of the products the datasource's LinkedIn app has (Edit), or use an app that grants them, then click Authorize again.",
  invalid_scope:
    "Keep only the scopes of the products the datasource's LinkedIn app has (Edit), or use an app that grants them, then click Authorize again.",
  datasource_not_found: "Create the datasource again if it is still needed.",
  no_app: "Then click Authorize again.",
};
const tryAgain = "Click Authorize again to retry.";

/** A return from LinkedIn, as far as it can be trusted: no free text. */
export type AuthReturn = {
  datasourceId: string;
  status: "authorized" | "error";
  /** A known reason code; undefined when the link named none this console knows. */
  error?: ReasonCode;
};

/** The server's datasource ids: ds_ and 20 characters of base32. */
const datasourceIdPattern = /^ds_[a-z2-7]{20}$/;

function isReason(code: unknown): code is ReasonCode {
  return typeof code === "string" && Object.prototype.hasOwnProperty.call(reasons, code);
}

/**
 * checkAuthReturn keeps what can be trusted of a return (from the address
 * bar or from another tab): null unless the id looks like a datasource's
 * and the status is one the server sends; an error code the console does
 * not know is dropped, not shown.
 */
export function checkAuthReturn(v: unknown): AuthReturn | null {
  if (!v || typeof v !== "object") return null;
  const { datasourceId, status, error } = v as Record<string, unknown>;
  if (typeof datasourceId !== "string" || !datasourceIdPattern.test(datasourceId)) return null;
  if (status === "authorized") return { datasourceId, status };
  if (status !== "error") return null;
  return { datasourceId, status, error: isReason(error) ? error : undefined };
}

/** readAuthReturn reads the return from the page's address and clears it from the address bar. */
export function readAuthReturn(): AuthReturn | null {
  const q = new URLSearchParams(location.search);
  if (!["datasourceId", "status", "error", "message"].some((k) => q.has(k))) return null;
  // The query has done its job: a reload must not report it again.
  history.replaceState(null, "", location.pathname);
  return checkAuthReturn({ datasourceId: q.get("datasourceId"), status: q.get("status"), error: q.get("error") });
}

/** The fixed sentence for a failed return. */
export function reasonText(code?: ReasonCode): string {
  return code ? reasons[code] : "LinkedIn did not authorize the app.";
}

/** The fixed advice for a failed return. */
export function adviceText(code?: ReasonCode): string {
  return (code && advice[code]) || tryAgain;
}

function scopesOf(d: Datasource): string[] {
  const s = (d.config as { scopes?: unknown } | undefined)?.scopes;
  return Array.isArray(s) ? s.filter((x): x is string => typeof x === "string") : [];
}

/** sentence capitalizes s and ends it with a period. */
export function sentence(s: string): string {
  const t = s.trim();
  return t.charAt(0).toUpperCase() + t.slice(1) + (/[.!?]$/.test(t) ? "" : ".");
}

/**
 * AuthReturnBanner says how the authorization ended: fixed text only until
 * the console holds a key (signedIn), then the datasource as the server
 * shows it; askingKey is set while the console asks for the key. short
 * (the consent tab's own page) says a success in one sentence.
 */
export function AuthReturnBanner({ r, signedIn, askingKey, short = false }: { r: AuthReturn; signedIn: boolean; askingKey: boolean; short?: boolean }) {
  // undefined: not asked yet; null: the server does not show it to this key.
  const [d, setD] = useState<Datasource | null | undefined>(undefined);
  useEffect(() => {
    if (!signedIn) return;
    let live = true;
    api.datasource(r.datasourceId).then(
      (x) => live && setD(x),
      () => live && setD(null),
    );
    return () => {
      live = false;
    };
  }, [r.datasourceId, signedIn]);

  const named = d ? (
    <>
      {" "}
      for <strong data-testid="auth-return-name">{d.name}</strong> (<code>{d.id}</code>)
    </>
  ) : null;

  if (r.status === "authorized") {
    const connected = !d || d.authStatus === "authorized" || d.authStatus === "expiring";
    return (
      <div className={"banner " + (connected ? "ok" : "failed")} role="status" data-testid="auth-return" data-status={r.status}>
        {connected && short ? (
          <p>Authorized. You can close this tab.</p>
        ) : connected ? (
          <p>
            LinkedIn connected{named}
            {d?.authorizedAs?.name ? ` as ${d.authorizedAs.name}` : ""}. You can close this tab: the console that asked has been told.
          </p>
        ) : (
          <p>
            LinkedIn sent this tab back as authorized, but the server does not show{named ?? " the datasource"} as connected.
          </p>
        )}
      </div>
    );
  }

  const scopes = d ? scopesOf(d) : [];
  const aboutScopes = r.error === "unauthorized_scope_error" || r.error === "invalid_scope";
  return (
    <div className="banner failed" role="alert" data-testid="auth-return" data-status={r.status} data-reason={r.error ?? ""}>
      <p>
        <strong>LinkedIn was not connected{named}.</strong> <span data-testid="auth-return-reason">{reasonText(r.error)}</span>
        {r.error ? (
          <>
            {" "}
            <small>
              (reason <code>{r.error}</code>)
            </small>
          </>
        ) : null}
      </p>
      {d?.warning ? (
        <p className="detail" data-testid="auth-return-warning">
          {sentence(d.warning)}
        </p>
      ) : null}
      {d && aboutScopes && scopes.length > 0 ? (
        <p className="detail" data-testid="auth-return-scopes">
          The datasource asks for{" "}
          {scopes.map((s) => (
            <code key={s}>{s}</code>
          ))}
        </p>
      ) : null}
      {d && (d.authStatus === "authorized" || d.authStatus === "expiring") ? (
        <p className="detail" data-testid="auth-return-kept">
          The datasource keeps its earlier authorization{d.authorizedAs?.name ? ` as ${d.authorizedAs.name}` : ""}.
        </p>
      ) : null}
      {d === null ? <p className="detail">This key's workspace has no datasource with that id.</p> : null}
      <p className="detail">
        {adviceText(r.error)}
        {askingKey ? " Enter the API key to see the datasource this is about." : ""}
      </p>
    </div>
  );
}
