// What the console's shell (App) and its workspace both know: the role of
// the key in use, and the channel the tabs of one console talk on.

/** The role the server gave the console's API key (or the anonymous admin). */
export type Role = "admin" | "builder";

/** The BroadcastChannel a consent tab tells the console it is done on. */
export const CHANNEL = "plugin-server-console";

/**
 * CONSENT_TAB is the query the console adds to the returnUrl of the tab it
 * opens for LinkedIn's consent page: sent back there, that tab shows a
 * small page that says how it ended (and closes itself once connected),
 * not a second console. Other clients' returnUrls come back as they gave
 * them.
 */
export const CONSENT_TAB = { name: "tab", value: "consent" } as const;

/** inConsentTab says whether this page is the console's consent tab, sent back. */
export function inConsentTab(): boolean {
  return new URLSearchParams(location.search).get(CONSENT_TAB.name) === CONSENT_TAB.value;
}
