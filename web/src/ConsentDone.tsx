import { useEffect } from "react";
import { AuthReturnBanner, type AuthReturn } from "./AuthReturn";

/** How long a connected consent tab stays on screen before it closes itself. */
const closeAfterMs = 2000;

/**
 * ConsentDone is what the consent tab the console opened shows once
 * LinkedIn sent it back: how the authorization ended, and that the tab can
 * close, where it used to become a second console. Once connected it
 * closes itself (a tab the console opened may); a refusal stays on screen
 * to be read, as the console that asked is told too.
 */
export function ConsentDone({ r, signedIn }: { r: AuthReturn; signedIn: boolean }) {
  useEffect(() => {
    if (r.status !== "authorized") return;
    const t = setTimeout(() => window.close(), closeAfterMs);
    return () => clearTimeout(t);
  }, [r.status]);
  return (
    <main className="consent-done" data-testid="consent-done">
      <h1>LinkedIn authorization</h1>
      <AuthReturnBanner r={r} signedIn={signedIn} askingKey={false} />
      <p className="hint">
        {r.status === "authorized" ? "This tab closes by itself; if it stays open, close it." : "The console that asked has been told; you can close this tab."}
      </p>
      <button type="button" className="secondary" onClick={() => window.close()}>
        Close this tab
      </button>
    </main>
  );
}
