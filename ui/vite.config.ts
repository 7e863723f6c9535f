import { svelte } from "@sveltejs/vite-plugin-svelte";
import { svelteTesting } from "@testing-library/svelte/vite";
import type { Plugin } from "vite";
import { defineConfig } from "vitest/config";

/**
 * pdf.js for the PDF viewer (`public/viewer/pdf.*`), copied from pdfjs-dist into `dist/pdfjs/`;
 * the app serves it to the content window under `.carrel/pdfjs/`, so nothing comes from a CDN.
 * The legacy build, made for Safari 16.4+ (WebKitGTK 2.40+): the modern one needs engines newer
 * than the WebViews Carrel supports. Safari 15 cannot parse either; the viewer then says so. No
 * WebAssembly (the viewer's policy forbids it): of `wasm/`, only the JavaScript version of the
 * JPEG 2000 decoder. Copied with the bundler's own file access (no Node types in this project).
 */
function pdfjs(): Plugin {
  const files = [
    "LICENSE",
    "legacy/build/pdf.min.mjs",
    "legacy/build/pdf.worker.min.mjs",
    "cmaps",
    "standard_fonts",
    "wasm/openjpeg_nowasm_fallback.js",
    "wasm/LICENSE_OPENJPEG",
    "wasm/LICENSE_PDFJS_OPENJPEG",
  ];
  let from = "";
  return {
    name: "carrel-pdfjs",
    apply: "build",
    async buildStart() {
      const found = await this.resolve("pdfjs-dist/package.json");
      if (!found) this.error("pdfjs-dist is not installed; run `npm ci` in the repository root");
      from = found.id.slice(0, -"/package.json".length);
    },
    async writeBundle(options) {
      if (!options.dir) this.error("the build has no output folder to copy pdf.js into");
      const to = `${options.dir}/pdfjs`;
      const copy = async (source: string, target: string): Promise<void> => {
        if ((await this.fs.stat(source)).isDirectory()) {
          await this.fs.mkdir(target, { recursive: true });
          for (const name of await this.fs.readdir(source)) {
            await copy(`${source}/${name}`, `${target}/${name}`);
          }
        } else {
          await this.fs.mkdir(target.slice(0, target.lastIndexOf("/")), { recursive: true });
          await this.fs.copyFile(source, target);
        }
      };
      for (const file of files) {
        // legacy/build/pdf.min.mjs → pdfjs/pdf.min.mjs; the rest keep their paths.
        await copy(`${from}/${file}`, `${to}/${file.replace("legacy/build/", "")}`);
      }
    },
  };
}

// The UI is embedded into the app binary from ui/dist and runs under a strict CSP (script-src and
// style-src 'self', nothing inline): CSS is emitted as a file, nothing is inlined as a data: URL,
// and there is no inline module-preload polyfill.
export default defineConfig({
  plugins: [svelte(), svelteTesting(), pdfjs()],
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
