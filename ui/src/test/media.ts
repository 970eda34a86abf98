// A matchMedia for jsdom whose `prefers-color-scheme` can be switched by tests.

type Listener = (e: { matches: boolean; media: string }) => void;

let prefersDark = false;
const lists = new Set<FakeMediaQueryList>();

class FakeMediaQueryList {
  readonly media: string;
  onchange: Listener | null = null;
  private readonly listeners = new Set<Listener>();

  constructor(media: string) {
    this.media = media;
    lists.add(this);
  }

  get matches(): boolean {
    if (this.media.includes("prefers-color-scheme: dark")) return prefersDark;
    if (this.media.includes("prefers-color-scheme: light")) return !prefersDark;
    return false;
  }

  addEventListener(_type: string, l: Listener) {
    this.listeners.add(l);
  }
  removeEventListener(_type: string, l: Listener) {
    this.listeners.delete(l);
  }
  addListener(l: Listener) {
    this.listeners.add(l);
  }
  removeListener(l: Listener) {
    this.listeners.delete(l);
  }
  dispatchEvent(): boolean {
    return false;
  }

  notify() {
    const e = { matches: this.matches, media: this.media };
    this.onchange?.(e);
    for (const l of [...this.listeners]) l(e);
  }
}

export function installMatchMedia(): void {
  Object.defineProperty(window, "matchMedia", {
    configurable: true,
    writable: true,
    value: (query: string) => new FakeMediaQueryList(query),
  });
}

/** Switches the OS colour scheme and tells every media query list. */
export function setPrefersDark(dark: boolean): void {
  prefersDark = dark;
  for (const l of lists) l.notify();
}
