import { useEffect } from "react";
import { AuthReturnBanner, type AuthReturn } from "./AuthReturn";

/** How long a connected consent tab stays on screen before it closes itself. */
const closeAfterMs = 2000;

/**
 * ConsentDone is what the consent tab the console opened shows once
 * LinkedIn sent it back, where it used to become a second console: after
 * a success one sentence, "Authorized. You can close this tab.", and the
 * tab closes itself (a tab the console opened may); a refusal stays on
 * screen to be read, with its reason, as the console that asked is told
 * too.
 */
export function ConsentDone({ r, signedIn }: { r: AuthReturn; signedIn: boolean }) {
  const ok = r.status === "authorized";
  useEffect(() => {
    document.title = ok ? "Authorized" : "Not authorized";
    if (!ok) return;
    const t = setTimeout(() => window.close(), closeAfterMs);
    return () => clearTimeout(t);
  }, [ok]);
  return (
    <main className="consent-done" data-testid="consent-done">
      <AuthReturnBanner r={r} signedIn={signedIn} askingKey={false} short />
      {ok ? null : (
        <p className="consent-close">
          <span className="hint">The console that asked has been told; you can close this tab.</span>{" "}
          <button type="button" className="secondary" onClick={() => window.close()}>
            Close this tab
          </button>
        </p>
      )}
    </main>
  );
}
