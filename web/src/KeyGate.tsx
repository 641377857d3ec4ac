import { useState, type FormEvent } from "react";

/** Asks for the API key; it is kept in this tab's sessionStorage only. */
export function KeyGate({ message, onKey }: { message?: string; onKey: (key: string) => void }) {
  const [key, setKey] = useState("");
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (key.trim() !== "") onKey(key.trim());
  };
  return (
    <section className="panel narrow" aria-label="API key">
      <h2>API key</h2>
      <form onSubmit={submit}>
        <label htmlFor="api-key">API key of this server (admin or builder)</label>
        <input
          id="api-key"
          name="api-key"
          type="password"
          autoComplete="off"
          spellCheck={false}
          value={key}
          onChange={(e) => setKey(e.target.value)}
          autoFocus
        />
        <button type="submit" disabled={key.trim() === ""}>
          Continue
        </button>
      </form>
      {message ? (
        <p className="error" role="alert" data-testid="key-error">
          {message}
        </p>
      ) : null}
      <p className="hint">Kept in this tab only (sessionStorage), sent as <code>Authorization: Bearer …</code>.</p>
    </section>
  );
}
