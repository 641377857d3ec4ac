import { useCallback, useEffect, useState } from "react";
import { apiKey, raw, setUnauthenticatedHandler, type Envelope } from "./api";
import { KeyGate } from "./KeyGate";
import { Workspace } from "./Workspace";
import { CHANNEL, inConsentTab, type Role } from "./session";
import { ConsentDone } from "./ConsentDone";
import { ErrorLine } from "./Result";
import { AuthReturnBanner, readAuthReturn, type AuthReturn } from "./AuthReturn";

type Session =
  | { state: "checking" }
  | { state: "key"; message?: string }
  | { state: "failed"; error: unknown }
  | { state: "ready"; anonymous: boolean; role: Role };

const unauthenticatedMessage =
  "The server did not accept this API key (unauthenticated). Check the key and enter it again.";

/** whoAmI checks the key (null: none) and asks the server for its role. */
async function whoAmI(key: string | null): Promise<Session> {
  const me = await raw<{ role?: string } & Envelope>("GET", "/v1/me", undefined, key);
  if (me.httpStatus === 401) return { state: "key", message: key ? unauthenticatedMessage : undefined };
  if (me.httpStatus !== 200) {
    const env = me.body;
    return {
      state: "failed",
      error: { code: env?.error?.code ?? `HTTP ${me.httpStatus}`, message: env?.error?.message ?? "", requestId: env?.meta?.requestId ?? me.requestId },
    };
  }
  return { state: "ready", anonymous: key === null, role: me.body?.role === "builder" ? "builder" : "admin" };
}

export function App() {
  const [session, setSession] = useState<Session>({ state: "checking" });
  // Read before readAuthReturn clears the address.
  const [consentTab] = useState(inConsentTab);
  const [authReturn] = useState<AuthReturn | null>(readAuthReturn);

  const check = useCallback((key: string | null) => {
    setSession({ state: "checking" });
    whoAmI(key)
      .then((s) => {
        if (s.state === "key") apiKey.clear();
        else if (s.state === "ready" && key) apiKey.set(key);
        setSession(s);
      })
      .catch((e) => setSession({ state: "failed", error: e }));
  }, []);

  useEffect(() => {
    setUnauthenticatedHandler(() => {
      apiKey.clear();
      setSession({ state: "key", message: unauthenticatedMessage });
    });
    check(apiKey.get());
  }, [check]);

  // Tell the console that started the authorization (another tab) that it is done.
  useEffect(() => {
    if (!authReturn || typeof BroadcastChannel === "undefined") return;
    const ch = new BroadcastChannel(CHANNEL);
    ch.postMessage(authReturn);
    ch.close();
  }, [authReturn]);

  const signOut = () => {
    apiKey.clear();
    setSession({ state: "key" });
  };

  if (authReturn && consentTab) return <ConsentDone r={authReturn} signedIn={session.state === "ready"} />;

  return (
    <>
      <header className="top">
        <h1>plugin-server console</h1>
        {session.state === "ready" ? (
          <p className="who" data-testid="who">
            {session.anonymous ? "No API keys on this server: admin of workspace default (loopback only)" : `Signed in with ${session.role === "admin" ? "an admin" : "a builder"} key`}
            {!session.anonymous ? (
              <button type="button" className="link" onClick={signOut}>
                Sign out
              </button>
            ) : null}
          </p>
        ) : null}
      </header>
      {authReturn ? <AuthReturnBanner r={authReturn} signedIn={session.state === "ready"} askingKey={session.state === "key"} /> : null}
      <main>
        {session.state === "checking" ? <p className="hint">Connecting…</p> : null}
        {session.state === "key" ? <KeyGate message={session.message} onKey={(k) => check(k)} /> : null}
        {session.state === "failed" ? (
          <section className="panel">
            <h2>The server could not be reached</h2>
            <ErrorLine error={session.error} />
            <button type="button" onClick={() => check(apiKey.get())}>
              Try again
            </button>
          </section>
        ) : null}
        {session.state === "ready" ? <Workspace role={session.role} initial={authReturn?.datasourceId} /> : null}
      </main>
    </>
  );
}
