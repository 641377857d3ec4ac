import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// The build goes to internal/console/dist, which is committed and embedded
// in the Go binary. It must be the same bytes on every machine (CI rebuilds
// it and fails on a difference): content-hashed names, no timestamps, no
// source maps, no inline script (the server's CSP allows none).
export default defineConfig({
  plugins: [react()],
  base: "/",
  build: {
    outDir: "../internal/console/dist",
    emptyOutDir: true,
    assetsDir: "assets",
    sourcemap: false,
    manifest: false,
    // Everything in one script and one stylesheet: no preload helper.
    modulePreload: false,
    assetsInlineLimit: 0,
    cssCodeSplit: false,
    reportCompressedSize: false,
    chunkSizeWarningLimit: 2000,
  },
});
