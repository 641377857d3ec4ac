import { useCallback, useEffect, useRef, useState } from "react";
import Form from "@rjsf/core";
import validator from "@rjsf/validator-ajv8";
import type { ErrorSchema, UiSchema } from "@rjsf/utils";
import { api, ApiError, type Datasource, type KnownLimit, type Plugin } from "./api";
import { CHANNEL, CONSENT_TAB, type Role } from "./session";
import { checkAuthReturn, reasonText, adviceText, sentence, type AuthReturn } from "./AuthReturn";
import { ErrorLine } from "./Result";
import { FormBoundary, fieldErrors } from "./forms";
import { Commands } from "./Commands";
import { MediaFlow } from "./Media";

const PLUGIN = "linkedin";
type Notice = { kind: "ok" | "failed"; text: string; detail?: string } | { kind: "error"; error: unknown };
type Pending = { id: string; name: string; updatedAt: string; until: number };

export function Workspace({ role, initial }: { role: Role; initial?: string }) {
  const [plugin, setPlugin] = useState<Plugin | null>(null);
  const [list, setList] = useState<Datasource[] | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [selected, setSelected] = useState<string | null>(initial ?? null);
  const [editing, setEditing] = useState<Datasource | "new" | null>(null);
  const [notice, setNotice] = useState<Notice | null>(null);
  const [pending, setPending] = useState<Pending | null>(null);
  const [confirmDelete, setConfirmDelete] = useState<string | null>(null);
  const admin = role === "admin";

  const reload = useCallback(() => {
    return api
      .datasources()
      .then((l) => {
        setList(l);
        setLoadError(null);
        return l;
      })
      .catch((e) => {
        setLoadError(e);
        return null;
      });
  }, []);

  useEffect(() => {
    api.plugin(PLUGIN).then(setPlugin, setLoadError);
    reload();
  }, [reload]);

  const replace = (d: Datasource) => setList((l) => (l ? l.map((x) => (x.id === d.id ? d : x)) : l));

  // While an authorization is under way in another tab: look at the
  // datasource every 2 seconds, and at once when that tab says it is back.
  const pendingRef = useRef(pending);
  pendingRef.current = pending;
  const checkPending = useCallback(async () => {
    const p = pendingRef.current;
    if (!p) return;
    try {
      const d = await api.datasource(p.id);
      replace(d);
      if (d.updatedAt !== p.updatedAt) {
        setPending(null);
        setNotice(
          d.authStatus === "authorized" || d.authStatus === "expiring"
            ? { kind: "ok", text: `${d.name}: LinkedIn connected as ${who(d)}.` }
            : { kind: "failed", text: `${d.name}: ${d.authStatus}${d.authError ? ` (${d.authError})` : ""}.` },
        );
      } else if (Date.now() > p.until) {
        setPending(null);
        setNotice({ kind: "failed", text: `${d.name}: LinkedIn's page was not answered within 10 minutes; click Authorize again.` });
      }
    } catch (e) {
      setPending(null);
      setNotice({ kind: "error", error: e });
    }
  }, []);
  useEffect(() => {
    if (!pending) return;
    const t = setInterval(checkPending, 2000);
    return () => clearInterval(t);
  }, [pending, checkPending]);
  useEffect(() => {
    if (typeof BroadcastChannel === "undefined") return;
    const ch = new BroadcastChannel(CHANNEL);
    ch.onmessage = (m: MessageEvent<unknown>) => {
      // Another tab of this origin, but what it passes on came from an
      // address anyone can write: only its known codes are used.
      const r = checkAuthReturn(m.data);
      if (!r) return;
      if (pendingRef.current && r.datasourceId === pendingRef.current.id) {
        if (r.status !== "authorized") {
          failPending(pendingRef.current, r);
          return;
        }
        checkPending();
      } else {
        reload();
      }
    };
    return () => ch.close();
  }, [checkPending, reload]);

  // The tab LinkedIn sent back says the authorization failed: the fixed
  // text of its code, and what the server says of the datasource.
  const failPending = async (p: Pending, r: AuthReturn) => {
    setPending(null);
    const text = (name: string) => `${name}: authorization failed: ${reasonText(r.error)}${r.error ? ` (${r.error})` : ""}`;
    try {
      const d = await api.datasource(p.id);
      replace(d);
      setNotice({ kind: "failed", text: text(d.name), detail: (d.warning ? sentence(d.warning) + " " : "") + adviceText(r.error) });
    } catch {
      setNotice({ kind: "failed", text: text(p.name), detail: adviceText(r.error) });
    }
  };

  const authorize = async (d: Datasource) => {
    setNotice(null);
    // A tab opened now, while the click counts, is not taken for a popup.
    const tab = window.open("about:blank", "_blank");
    if (tab) tab.opener = null;
    try {
      const returnUrl = `${location.origin}${location.pathname}?${CONSENT_TAB.name}=${CONSENT_TAB.value}`;
      let auth;
      try {
        auth = await api.authorize(d.id, returnUrl);
      } catch (e) {
        // The console's origin is not in PLUGIN_SERVER_RETURN_ORIGINS: the
        // server's own page ends the dance instead, and polling sees it.
        if (e instanceof ApiError && e.code === "invalid_input" && e.fields.some((f) => f.field === "returnUrl")) {
          auth = await api.authorize(d.id);
        } else {
          throw e;
        }
      }
      if (tab) {
        tab.location.href = auth.authorizationUrl;
      } else {
        window.open(auth.authorizationUrl, "_blank", "noopener");
      }
      setPending({ id: d.id, name: d.name, updatedAt: d.updatedAt, until: Date.now() + 10 * 60 * 1000 });
      setNotice({ kind: "ok", text: `${d.name}: LinkedIn's page is open in a new tab; this list updates when it is answered.` });
    } catch (e) {
      tab?.close();
      setNotice({ kind: "error", error: e });
    }
  };

  const act = async (f: () => Promise<string>) => {
    setNotice(null);
    try {
      setNotice({ kind: "ok", text: await f() });
    } catch (e) {
      setNotice({ kind: "error", error: e });
    }
  };

  const test = (d: Datasource) =>
    act(async () => {
      const r = await api.test(d.id);
      const fresh = await api.datasource(d.id);
      replace(fresh);
      if (!r.ok) throw Object.assign(new Error(r.message), { code: "test_failed" });
      return `${d.name}: ${r.message}`;
    });
  const disconnect = (d: Datasource) =>
    act(async () => {
      const r = await api.disconnect(d.id);
      replace(r);
      return `${d.name}: disconnected${r.warning ? ` (${r.warning})` : ""}.`;
    });
  const remove = (d: Datasource) =>
    act(async () => {
      const r = await api.remove(d.id);
      setConfirmDelete(null);
      if (selected === d.id) setSelected(null);
      await reload();
      return `${d.name}: deleted${r.warning ? ` (${r.warning})` : ""}.`;
    });

  if (loadError && (!plugin || !list)) return <ErrorLine error={loadError} />;
  if (!plugin || !list) return <p className="hint">Loading…</p>;
  const current = list.find((d) => d.id === selected) ?? null;

  return (
    <>
      <section className="panel" aria-label="Datasources">
        <div className="panel-head">
          <h2>Datasources</h2>
          {admin ? (
            <button type="button" onClick={() => setEditing("new")} data-testid="new-datasource">
              New datasource
            </button>
          ) : null}
          <button type="button" className="secondary" onClick={() => reload()}>
            Refresh
          </button>
        </div>
        {notice ? (
          notice.kind === "error" ? (
            <ErrorLine error={notice.error} />
          ) : (
            <div className={notice.kind === "ok" ? "notice" : "error"} role="status" data-testid="notice">
              <p>{notice.text}</p>
              {notice.detail ? <p className="detail">{notice.detail}</p> : null}
            </div>
          )
        ) : null}
        {list.length === 0 ? (
          <p className="hint">No datasource in this workspace yet{admin ? ": create one to connect a LinkedIn member." : "."}</p>
        ) : (
          <table className="datasources">
            <thead>
              <tr>
                <th>Name</th>
                <th>LinkedIn</th>
                <th>Actions</th>
              </tr>
            </thead>
            <tbody>
              {list.map((d) => (
                <tr key={d.id} data-id={d.id} className={d.id === selected ? "selected" : ""}>
                  <td>
                    <button type="button" className="link" onClick={() => setSelected(d.id)} title="Run its commands">
                      {d.name}
                    </button>
                    <div className="hint">
                      <code>{d.id}</code>
                    </div>
                  </td>
                  <td>
                    <AuthStatus d={d} pending={pending?.id === d.id} />
                  </td>
                  <td className="actions">
                    <button type="button" onClick={() => setSelected(d.id)}>
                      Commands
                    </button>
                    {admin ? (
                      <button type="button" onClick={() => authorize(d)} disabled={pending?.id === d.id}>
                        Authorize
                      </button>
                    ) : null}
                    <button type="button" onClick={() => test(d)}>
                      Test
                    </button>
                    {admin && d.authStatus !== "unauthorized" ? (
                      <button type="button" onClick={() => disconnect(d)}>
                        Disconnect
                      </button>
                    ) : null}
                    {admin ? (
                      <button type="button" onClick={() => setEditing(d)}>
                        Edit
                      </button>
                    ) : null}
                    {admin && confirmDelete !== d.id ? (
                      <button type="button" className="danger" onClick={() => setConfirmDelete(d.id)}>
                        Delete
                      </button>
                    ) : null}
                    {admin && confirmDelete === d.id ? (
                      <span className="confirm">
                        Delete {d.name}?{" "}
                        <span className="confirm-buttons">
                          <button type="button" className="danger" onClick={() => remove(d)}>
                            Yes, delete
                          </button>
                          <button type="button" className="secondary" onClick={() => setConfirmDelete(null)}>
                            Keep
                          </button>
                        </span>
                      </span>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      {editing ? (
        <DatasourceForm
          plugin={plugin}
          datasource={editing === "new" ? null : editing}
          onCancel={() => setEditing(null)}
          onSaved={(d, created) => {
            setEditing(null);
            setNotice({ kind: "ok", text: `${d.name}: ${created ? "created; click Authorize to connect LinkedIn" : "saved"}.` });
            reload();
            if (created) setSelected(d.id);
          }}
        />
      ) : null}
      {current ? (
        <>
          <Commands key={current.id} plugin={plugin} datasource={current} />
          <MediaFlow key={"media-" + current.id} datasource={current} />
        </>
      ) : null}
    </>
  );
}

function who(d: Datasource): string {
  const a = d.authorizedAs;
  if (!a) return "an unknown member";
  return [a.name, a.email ? `<${a.email}>` : "", a.sub ? `(${a.sub})` : ""].filter(Boolean).join(" ");
}

function day(t?: string): string {
  return t ? new Date(t).toISOString().slice(0, 16).replace("T", " ") + " UTC" : "";
}

function AuthStatus({ d, pending }: { d: Datasource; pending: boolean }) {
  // A list since limits are per endpoint; an older server sent an object by scope.
  const limits: KnownLimit[] = Array.isArray(d.limits)
    ? d.limits
    : Object.entries((d.limits ?? {}) as Record<string, Omit<KnownLimit, "scope" | "endpoint">>).map(([scope, l]) => ({ ...l, scope, endpoint: "" }));
  return (
    <div className="auth" data-testid="auth-status" data-status={d.authStatus}>
      <span className={"status status-" + d.authStatus}>{label[d.authStatus] ?? d.authStatus}</span>
      {d.authStatus === "authorized" || d.authStatus === "expiring" ? <span> as {who(d)}</span> : null}
      {d.tokenExpiresAt && d.authStatus !== "unauthorized" ? (
        <div className="hint">
          {d.authStatus === "expired" ? "expired" : "expires"} {day(d.tokenExpiresAt)}
          {d.refreshable ? " (renewed automatically)" : ""}
        </div>
      ) : null}
      {d.authStatus === "expiring" ? <div className="hint warning">Expires within 7 days: click Authorize again.</div> : null}
      {d.authError ? <div className="error">{d.authError}</div> : null}
      {d.warning ? (
        <div className="hint warning" data-testid="datasource-warning">
          {d.warning}
        </div>
      ) : null}
      {limits.map((l) => (
        <div key={l.scope + " " + l.endpoint} className="hint warning" data-testid="limit">
          {limitOwner[l.scope] ?? `${l.scope} limit reached`}: {l.endpoint ? <code>{l.endpoint}</code> : "calls"} paused until {day(l.exhaustedUntil)}
          {l.reason ? `: ${l.reason}` : ""}
        </div>
      ))}
      {pending ? <div className="hint">Waiting for LinkedIn's page in the other tab…</div> : null}
    </div>
  );
}

const limitOwner: Record<string, string> = {
  member: "Member's daily limit reached",
  app: "App's daily limit reached",
  datasource: "LinkedIn asked for a pause",
};

const label: Record<string, string> = {
  unauthorized: "Not connected",
  authorized: "Authorized",
  expiring: "Expiring",
  expired: "Expired",
  error: "Error",
};

/** Create or edit a datasource with the plugin's own datasource form. */
function DatasourceForm({
  plugin,
  datasource,
  onCancel,
  onSaved,
}: {
  plugin: Plugin;
  datasource: Datasource | null;
  onCancel: () => void;
  onSaved: (d: Datasource, created: boolean) => void;
}) {
  const [formData, setFormData] = useState<Record<string, unknown>>(
    datasource ? { name: datasource.name, config: datasource.config } : {},
  );
  const [extraErrors, setExtraErrors] = useState<ErrorSchema | undefined>();
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const schema = plugin.datasource.schema;

  const submit = async (data: Record<string, unknown>) => {
    setBusy(true);
    setError(null);
    setExtraErrors(undefined);
    const config = { ...((data.config as Record<string, unknown>) ?? {}) };
    // The stored secret is never shown: empty keeps it.
    if (config.clientSecret === undefined || config.clientSecret === "") delete config.clientSecret;
    try {
      const d = datasource
        ? await api.update(datasource.id, { name: data.name as string, config })
        : await api.create(plugin.id, data.name as string, config);
      onSaved(d, !datasource);
    } catch (e) {
      if (e instanceof ApiError) {
        const { errors } = fieldErrors(e.fields, schema);
        setExtraErrors(errors);
      }
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="panel" aria-label="Datasource form" data-testid="datasource-form">
      <h2>{datasource ? `Edit ${datasource.name}` : `New ${plugin.title} datasource`}</h2>
      {datasource ? <p className="hint">The client secret is never shown; leave it empty to keep the stored one.</p> : null}
      <FormBoundary name="the datasource">
        <Form
          schema={schema}
          uiSchema={plugin.datasource.uiSchema as UiSchema}
          validator={validator}
          formData={formData}
          onChange={(e) => setFormData(e.formData)}
          onSubmit={(e) => submit(e.formData)}
          extraErrors={extraErrors}
          noValidate
          noHtml5Validate
          showErrorList={false}
          disabled={busy}
        >
          <div className="form-buttons">
            <button type="submit" disabled={busy}>
              {datasource ? "Save" : "Create"}
            </button>
            <button type="button" className="secondary" onClick={onCancel}>
              Cancel
            </button>
          </div>
        </Form>
      </FormBoundary>
      {error ? <ErrorLine error={error} /> : null}
    </section>
  );
}
