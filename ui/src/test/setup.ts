import "@testing-library/jest-dom/vitest";

import { clearMocks } from "@tauri-apps/api/mocks";
import { cleanup } from "@testing-library/react";
import { afterEach } from "vitest";

import { installMatchMedia, setPrefersDark } from "./media";

// MUI's useMediaQuery (theme "system") needs matchMedia, which jsdom lacks.
installMatchMedia();

// jsdom does no layout: give elements a window-like size so virtualized lists
// draw the rows a real window would show (and only those).
Object.defineProperty(HTMLElement.prototype, "clientHeight", {
  configurable: true,
  get() {
    return 600;
  },
});
Object.defineProperty(HTMLElement.prototype, "clientWidth", {
  configurable: true,
  get() {
    return 1000;
  },
});

afterEach(() => {
  // Unmount first (components unsubscribe through the mocked IPC), then drop the mocks.
  cleanup();
  clearMocks();
  setPrefersDark(false);
});
