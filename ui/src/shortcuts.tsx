import Dialog from "@mui/material/Dialog";
import DialogContent from "@mui/material/DialogContent";
import DialogTitle from "@mui/material/DialogTitle";
import Table from "@mui/material/Table";
import TableBody from "@mui/material/TableBody";
import TableCell from "@mui/material/TableCell";
import TableRow from "@mui/material/TableRow";
import { createContext, useCallback, useContext, useEffect, useLayoutEffect, useMemo, useRef, useState, type ReactNode } from "react";
import { useNavigate } from "react-router";

import { MONO_FONT } from "./theme";

interface Registered {
  id: number;
  key: string;
  description: string;
  run: { current: () => void };
}

interface ShortcutsContextValue {
  register: (entry: Omit<Registered, "id">) => () => void;
  openHelp: () => void;
}

const ShortcutsContext = createContext<ShortcutsContextValue | null>(null);

const GLOBAL_SHORTCUTS: { key: string; description: string }[] = [
  { key: "g o", description: "Go to Overview" },
  { key: "g p", description: "Go to Projects" },
  { key: "g d", description: "Go to Deployments" },
  { key: "g m", description: "Go to Metrics" },
  { key: "g a", description: "Go to Alerts" },
  { key: "g y", description: "Go to Analytics" },
  { key: "g t", description: "Go to Targets" },
  { key: "g k", description: "Go to Secrets" },
  { key: "g s", description: "Go to Settings" },
  { key: "?", description: "Show keyboard shortcuts" },
  { key: "Ctrl+K", description: "Open the command palette (also Ctrl+Shift+P)" },
];

const GO_TO: Record<string, string> = {
  o: "/",
  p: "/projects",
  d: "/deployments",
  m: "/metrics",
  a: "/alerts",
  y: "/analytics",
  t: "/targets",
  k: "/secrets",
  s: "/settings",
};

/** Inputs that take no typed text: keys pressed on them are shortcuts. */
const NON_TEXT_INPUTS = new Set(["checkbox", "radio", "button", "submit", "reset", "range", "color", "file", "image"]);

/** Whether keys go into `target` as typed text (a text field, a text area, a select, contenteditable). */
function isEditable(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  if (target instanceof HTMLInputElement) return !NON_TEXT_INPUTS.has(target.type);
  return target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement;
}

/** Whether a dialog is open (keys then belong to it). */
export function modalOpen(): boolean {
  return document.querySelector(".MuiModal-root:not(.MuiModal-hidden) [role='dialog']") !== null;
}

/**
 * Single-key shortcuts: `g` then o/p/d/m/a/y/t/k/s to go to a view, `?` for help, and keys
 * that views register while they are shown (`r`, `e`, `R`, `x`, `/`, `n`, `N`, `f`). Keys typed
 * into text fields and keys pressed while a dialog is open are left alone; a
 * focused checkbox, radio button or switch does not take them.
 */
export function ShortcutsProvider({ children }: { children: ReactNode }) {
  const navigate = useNavigate();
  const entries = useRef<Registered[]>([]);
  const nextId = useRef(1);
  const pendingG = useRef(0);
  const [help, setHelp] = useState<{ key: string; description: string }[] | null>(null);

  const openHelp = useCallback(() => {
    const seen = new Set<string>();
    const local = [...entries.current].reverse().filter((e) => {
      if (seen.has(e.key)) return false;
      seen.add(e.key);
      return true;
    });
    setHelp([...GLOBAL_SHORTCUTS, ...local.reverse().map(({ key, description }) => ({ key, description }))]);
  }, []);

  const register = useCallback((entry: Omit<Registered, "id">) => {
    const item = { ...entry, id: nextId.current++ };
    entries.current = [...entries.current, item];
    return () => {
      entries.current = entries.current.filter((e) => e.id !== item.id);
    };
  }, []);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
      if (isEditable(e.target) || modalOpen()) return;
      const key = e.key;
      const now = Date.now();
      if (pendingG.current && now - pendingG.current < 1500 && GO_TO[key]) {
        pendingG.current = 0;
        e.preventDefault();
        navigate(GO_TO[key]);
        return;
      }
      pendingG.current = 0;
      if (key === "g") {
        pendingG.current = now;
        return;
      }
      if (key === "?") {
        e.preventDefault();
        openHelp();
        return;
      }
      for (let i = entries.current.length - 1; i >= 0; i--) {
        const entry = entries.current[i];
        if (entry.key === key) {
          e.preventDefault();
          entry.run.current();
          return;
        }
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [navigate, openHelp]);

  const value = useMemo(() => ({ register, openHelp }), [register, openHelp]);

  return (
    <ShortcutsContext.Provider value={value}>
      {children}
      <Dialog open={help !== null} onClose={() => setHelp(null)} aria-labelledby="shortcuts-title" maxWidth="xs" fullWidth>
        <DialogTitle id="shortcuts-title">Keyboard shortcuts</DialogTitle>
        <DialogContent data-testid="shortcuts-dialog">
          <Table size="small">
            <TableBody>
              {(help ?? []).map((s) => (
                <TableRow key={s.key}>
                  <TableCell sx={{ width: 96 }}>
                    {s.key.split(" ").map((k, i) => (
                      <kbd
                        key={i}
                        style={{
                          fontFamily: MONO_FONT,
                          border: "1px solid currentColor",
                          borderRadius: 4,
                          padding: "0 6px",
                          marginRight: 4,
                          opacity: 0.85,
                        }}
                      >
                        {k}
                      </kbd>
                    ))}
                  </TableCell>
                  <TableCell>{s.description}</TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </DialogContent>
      </Dialog>
    </ShortcutsContext.Provider>
  );
}

export function useShortcutsHelp(): () => void {
  const ctx = useContext(ShortcutsContext);
  return ctx?.openHelp ?? (() => {});
}

/** Registers a single-key shortcut while the calling component is shown and `enabled`. */
export function useShortcut(key: string, description: string, handler: () => void, enabled = true): void {
  const ctx = useContext(ShortcutsContext);
  const run = useRef(handler);
  useLayoutEffect(() => {
    run.current = handler;
  });
  const register = ctx?.register;
  useEffect(() => {
    if (!register || !enabled) return;
    return register({ key, description, run });
  }, [register, key, description, enabled]);
}
