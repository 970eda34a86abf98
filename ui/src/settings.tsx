import CssBaseline from "@mui/material/CssBaseline";
import { ThemeProvider } from "@mui/material/styles";
import useMediaQuery from "@mui/material/useMediaQuery";
import { createContext, useContext, useEffect, useMemo, useState, type ReactNode } from "react";

import { getSettings, onSettings } from "./api";
import type { ErrorDto } from "./bindings/ErrorDto";
import type { SettingsDto } from "./bindings/SettingsDto";
import type { ThemeDto } from "./bindings/ThemeDto";
import { useLoader } from "./hooks";
import { createAppTheme, type ThemeMode } from "./theme";

interface SettingsContextValue {
  settings: SettingsDto | undefined;
  error: ErrorDto | undefined;
  /** Replaces the settings after the shell saved them. */
  applySaved: (settings: SettingsDto) => void;
  reload: () => void;
  mode: ThemeMode;
  /**
   * Shows a theme that is not saved yet (Settings, while editing); null goes
   * back to the saved one.
   */
  previewTheme: (theme: ThemeDto | null) => void;
}

const SettingsContext = createContext<SettingsContextValue | null>(null);

export function useSettings(): SettingsContextValue {
  const ctx = useContext(SettingsContext);
  if (!ctx) throw new Error("useSettings outside SettingsProvider");
  return ctx;
}

/**
 * Loads the settings once and applies the theme (system follows the OS live),
 * or the theme being previewed while the settings are edited.
 */
export function SettingsProvider({ children }: { children: ReactNode }) {
  const loader = useLoader("settings", getSettings);
  const prefersDark = useMediaQuery("(prefers-color-scheme: dark)", { noSsr: true });
  const [preview, previewTheme] = useState<ThemeDto | null>(null);
  const preference = preview ?? loader.data?.theme ?? "system";
  const mode: ThemeMode =
    preference === "dark" ? "dark" : preference === "light" ? "light" : prefersDark ? "dark" : "light";
  const theme = useMemo(() => createAppTheme(mode), [mode]);
  const { mutate, reload, data, error } = loader;
  // Edits of config.toml made elsewhere (by hand, another window) apply live.
  useEffect(() => {
    let stop: (() => void) | undefined;
    let cancelled = false;
    onSettings((s) => mutate(() => s))
      .then((unlisten) => {
        if (cancelled) unlisten();
        else stop = unlisten;
      })
      .catch(() => {
        // Without events the settings still load on each visit.
      });
    return () => {
      cancelled = true;
      stop?.();
    };
  }, [mutate]);
  const value = useMemo<SettingsContextValue>(
    () => ({ settings: data, error, applySaved: (s) => mutate(() => s), reload, mode, previewTheme }),
    [data, error, mutate, reload, mode],
  );
  return (
    <SettingsContext.Provider value={value}>
      <ThemeProvider theme={theme}>
        <CssBaseline enableColorScheme />
        {children}
      </ThemeProvider>
    </SettingsContext.Provider>
  );
}
