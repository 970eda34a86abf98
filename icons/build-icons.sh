#!/usr/bin/env bash
# Regenerates every PNG/ICO/ICNS in icons/ from the SVG sources beside this script.
# Needs: rsvg-convert (librsvg2-bin), python3, node/npx (runs the Tauri CLI's `icon` command).
#   switchyard.svg        the 1024x1024 master: every size the Tauri CLI makes
#   switchyard-16/24/32   the same mark redrawn on the 16, 24 and 32 px grids: 32x32.png,
#                         the 16/24/32 layers of icon.ico and hicolor 16/24/32
#   tray/*.svg            the 64x64 tray icons
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# 1. Everything the bundlers need, from the master.
(cd "$tmp" && npx --yes @tauri-apps/cli@2 icon "$here/switchyard.svg" -o "$tmp/out" >/dev/null 2>&1)
rm -rf "$tmp/out/android" "$tmp/out/ios"
cp "$tmp/out/"*.png "$tmp/out/icon.icns" "$here/"

# 2. The pixel-fitted small sizes.
for n in 16 24 32; do
  rsvg-convert -w "$n" -h "$n" "$here/switchyard-$n.svg" -o "$tmp/s$n.png"
done
cp "$tmp/s32.png" "$here/32x32.png"

# 3. icon.ico: the pixel-fitted 16/24/32 plus the CLI's 48/64/256, each stored as PNG (as the CLI does).
for n in 48 64 256; do
  rsvg-convert -w "$n" -h "$n" "$here/switchyard.svg" -o "$tmp/s$n.png"
done
python3 - "$tmp" "$here/icon.ico" <<'PY'
import struct, sys
tmp, dest = sys.argv[1], sys.argv[2]
sizes = [16, 24, 32, 48, 64, 256]
blobs = [open(f"{tmp}/s{n}.png", "rb").read() for n in sizes]
out = struct.pack("<HHH", 0, 1, len(sizes))
offset = 6 + 16 * len(sizes)
for n, blob in zip(sizes, blobs):
    out += struct.pack("<BBBBHHII", n % 256, n % 256, 0, 0, 1, 32, len(blob), offset)
    offset += len(blob)
open(dest, "wb").write(out + b"".join(blobs))
PY

# 4. The hicolor theme sizes for the desktop entry (Icon=switchyard).
for n in 16 24 32 48 64 128 256 512; do
  mkdir -p "$here/hicolor/${n}x${n}/apps"
  if [ -f "$tmp/s$n.png" ] && [ "$n" -le 32 ]; then
    cp "$tmp/s$n.png" "$here/hicolor/${n}x${n}/apps/switchyard.png"
  else
    rsvg-convert -w "$n" -h "$n" "$here/switchyard.svg" -o "$here/hicolor/${n}x${n}/apps/switchyard.png"
  fi
done
mkdir -p "$here/hicolor/scalable/apps"
cp "$here/switchyard.svg" "$here/hicolor/scalable/apps/switchyard.svg"

# 5. Tray icons.
for s in idle running failed alert; do
  rsvg-convert -w 64 -h 64 "$here/tray/$s.svg" -o "$here/tray/$s.png"
done
