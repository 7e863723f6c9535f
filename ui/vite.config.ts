import { svelte } from "@sveltejs/vite-plugin-svelte";
import { svelteTesting } from "@testing-library/svelte/vite";
import type { Plugin } from "vite";
import { defineConfig } from "vitest/config";

/**
 * Copies files of an npm package into the build output (`dist/<folder>/`), with the bundler's own
 * file access (no Node types in this project); `rename` maps a package path to its output path.
 * The app serves these folders to the content window under `.carrel/<folder>/`, so nothing comes
 * from a CDN.
 */
function vendor(
  name: string,
  pkg: string,
  folder: string,
  files: readonly string[],
  rename: (file: string) => string = (file) => file,
): Plugin {
  let from = "";
  return {
    name,
    apply: "build",
    async buildStart() {
      // The package's main entry, resolved like an import; its folder is the package root
      // (some packages do not export their package.json).
      const found = await this.resolve(pkg);
      const root = `/node_modules/${pkg}/`;
      const at = found ? found.id.lastIndexOf(root) : -1;
      if (!found || at < 0) this.error(`${pkg} is not installed; run \`npm ci\` in the repository root`);
      from = found.id.slice(0, at + root.length - 1);
    },
    async writeBundle(options) {
      if (!options.dir) this.error(`the build has no output folder to copy ${pkg} into`);
      const to = `${options.dir}/${folder}`;
      const copy = async (source: string, target: string): Promise<void> => {
        if ((await this.fs.stat(source)).isDirectory()) {
          await this.fs.mkdir(target, { recursive: true });
          for (const entry of await this.fs.readdir(source)) {
            await copy(`${source}/${entry}`, `${target}/${entry}`);
          }
        } else {
          await this.fs.mkdir(target.slice(0, target.lastIndexOf("/")), { recursive: true });
          await this.fs.copyFile(source, target);
        }
      };
      for (const file of files) {
        await copy(`${from}/${file}`, `${to}/${rename(file)}`);
      }
    },
  };
}

/**
 * pdf.js for the PDF viewer (`public/viewer/pdf.*`), into `dist/pdfjs/`. The legacy build, made
 * for Safari 16.4+ (WebKitGTK 2.40+): the modern one needs engines newer than the WebViews Carrel
 * supports. Safari 15 cannot parse either; the viewer then says so. No WebAssembly (the viewer's
 * policy forbids it): of `wasm/`, only the JavaScript version of the JPEG 2000 decoder.
 */
const pdfjs = (): Plugin =>
  vendor(
    "carrel-pdfjs",
    "pdfjs-dist",
    "pdfjs",
    [
      "LICENSE",
      "legacy/build/pdf.min.mjs",
      "legacy/build/pdf.worker.min.mjs",
      "cmaps",
      "standard_fonts",
      "wasm/openjpeg_nowasm_fallback.js",
      "wasm/LICENSE_OPENJPEG",
      "wasm/LICENSE_PDFJS_OPENJPEG",
    ],
    // legacy/build/pdf.min.mjs → pdfjs/pdf.min.mjs; the rest keep their paths.
    (file) => file.replace("legacy/build/", ""),
  );

/**
 * scorm-again for the SCORM runtime (`public/viewer/runtime.*`), into `dist/scorm-again/`: its
 * SCORM 1.2 and SCORM 2004 API builds (plain scripts that define `Scorm12API`/`Scorm2004API`).
 */
const scormAgain = (): Plugin =>
  vendor(
    "carrel-scorm-again",
    "scorm-again",
    "scorm-again",
    ["LICENSE", "dist/scorm12.min.js", "dist/scorm2004.min.js"],
    (file) => file.replace("dist/", ""),
  );

// The UI is embedded into the app binary from ui/dist and runs under a strict CSP (script-src and
// style-src 'self', nothing inline): CSS is emitted as a file, nothing is inlined as a data: URL,
// and there is no inline module-preload polyfill.
export default defineConfig({
  plugins: [svelte(), svelteTesting(), pdfjs(), scormAgain()],
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
