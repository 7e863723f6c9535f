#!/usr/bin/env bash
# Renders carrel-icon.svg to the 1024x1024 RGBA PNG the Tauri CLI turns into every app icon, then
# regenerates icons/ (desktop sizes only).
# Needs: rsvg-convert (Debian: `apt-get install librsvg2-bin`) and Node/npm for the Tauri CLI
# (the repository's node_modules after `npm ci`, else `npx @tauri-apps/cli@2.12.5`).
set -euo pipefail
cd "$(dirname "$0")"
rsvg-convert -w 1024 -h 1024 carrel-icon.svg -o carrel-icon.png
cd ../..
if [ -x node_modules/.bin/tauri ]; then
  tauri=(node_modules/.bin/tauri)
else
  tauri=(npx --yes @tauri-apps/cli@2.12.5)
fi
"${tauri[@]}" icon icons/source/carrel-icon.png -o icons
rm -rf icons/android icons/ios
