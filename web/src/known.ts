// What the console has learnt from the answers it got, per datasource, for
// filling a later command's example: the upload URL of the last Register
// Media Upload run for real. An example's own uploadUrl is LinkedIn's,
// which the server refuses against the sandbox (and would be another
// member's upload anyway), so "Fill with the example" puts this one in its
// place, as a user copying it from the step before would.

const MECHANISM = "com.linkedin.digitalmedia.uploading.MediaUploadHttpRequest";
const uploadUrls = new Map<string, string>();

/** learn keeps what a command's answer tells a later command. */
export function learn(datasourceId: string, command: string, output: unknown) {
  if (command !== "registerMediaUpload") return;
  const value = (output as { value?: { uploadMechanism?: Record<string, { uploadUrl?: unknown }> } } | null)?.value;
  const url = value?.uploadMechanism?.[MECHANISM]?.uploadUrl;
  if (typeof url === "string" && url) uploadUrls.set(datasourceId, url);
}

/** uploadUrl is the upload URL of the datasource's last Register Media Upload, if any. */
export function knownUploadUrl(datasourceId: string): string | undefined {
  return uploadUrls.get(datasourceId);
}
