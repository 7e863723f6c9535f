import { svelte } from "@sveltejs/vite-plugin-svelte";
import { svelteTesting } from "@testing-library/svelte/vite";
import { defineConfig } from "vitest/config";

// The UI is embedded into the app binary from ui/dist and runs under a strict CSP (script-src and
// style-src 'self', nothing inline): CSS is emitted as a file, nothing is inlined as a data: URL,
// and there is no inline module-preload polyfill.
export default defineConfig({
  plugins: [svelte(), svelteTesting()],
  clearScreen: false,
  // The Tauri CLI expects a fixed port for `tauri dev`.
  server: { port: 1420, strictPort: true },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // The oldest WebViews Carrel supports: WebKitGTK 2.40+/Safari 15+, WebView2 (Chromium).
    target: ["safari15", "chrome105"],
    assetsInlineLimit: 0,
    cssCodeSplit: false,
    modulePreload: { polyfill: false },
    sourcemap: false,
  },
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.ts"],
    restoreMocks: true,
  },
});
