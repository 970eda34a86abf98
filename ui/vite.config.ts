import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";

// The UI is served by Tauri's asset protocol: relative asset paths, no remote
// content, no source maps in release builds.
export default defineConfig({
  base: "./",
  plugins: [react()],
  clearScreen: false,
  envPrefix: ["VITE_", "TAURI_ENV_"],
  server: {
    port: 1420,
    strictPort: true,
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: false,
    // WebView2 (Chromium) on Windows, WebKit on macOS and Linux.
    target: ["es2021", "chrome105", "safari15"],
    chunkSizeWarningLimit: 1500,
  },
  test: {
    environment: "jsdom",
    setupFiles: ["./src/test/setup.ts"],
    include: ["src/**/*.test.{ts,tsx}"],
    css: false,
    testTimeout: 15000,
  },
});
