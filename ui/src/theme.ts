import { createTheme, type Theme } from "@mui/material/styles";

/** System fonts only: nothing is loaded from the network. */
export const SYSTEM_FONT =
  'system-ui, -apple-system, "Segoe UI", "Ubuntu", "Cantarell", "Noto Sans", "Helvetica Neue", Arial, sans-serif';

export const MONO_FONT =
  'ui-monospace, "SF Mono", SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", "Liberation Mono", monospace';

export type ThemeMode = "light" | "dark";

export function createAppTheme(mode: ThemeMode): Theme {
  const dark = mode === "dark";
  return createTheme({
    palette: {
      mode,
      primary: { main: dark ? "#7aa7ff" : "#2f5bd3" },
      secondary: { main: dark ? "#c59cff" : "#7048c8" },
      success: { main: dark ? "#4cc38a" : "#1f8a4c" },
      error: { main: dark ? "#ff6b6b" : "#c62828" },
      warning: { main: dark ? "#ffa657" : "#d46b08" },
      info: { main: dark ? "#58a6ff" : "#1769c2" },
      background: dark ? { default: "#0f1218", paper: "#161b23" } : { default: "#f5f6f8", paper: "#ffffff" },
      divider: dark ? "rgba(255,255,255,0.10)" : "rgba(15,23,42,0.10)",
    },
    shape: { borderRadius: 8 },
    typography: {
      fontFamily: SYSTEM_FONT,
      fontSize: 14,
      h4: { fontWeight: 650, fontSize: "1.6rem" },
      h5: { fontWeight: 650, fontSize: "1.3rem" },
      h6: { fontWeight: 600, fontSize: "1.05rem" },
      button: { textTransform: "none", fontWeight: 600 },
    },
    components: {
      MuiButton: { defaultProps: { disableElevation: true } },
      MuiPaper: { defaultProps: { elevation: 0 }, styleOverrides: { root: { backgroundImage: "none" } } },
      MuiCard: { defaultProps: { variant: "outlined" } },
      MuiChip: { styleOverrides: { root: { fontWeight: 600 } } },
      MuiTableCell: { styleOverrides: { head: { fontWeight: 600 } } },
      MuiTooltip: { defaultProps: { arrow: true } },
      // A closing dialog never catches clicks: its fading layer was seen to
      // stay over the window on a busy machine, swallowing them.
      MuiDialog: { styleOverrides: { root: ({ ownerState }) => (ownerState.open ? {} : { pointerEvents: "none" }) } },
    },
  });
}

/** Hides an element from sight but not from screen readers (a table's caption, a label). */
export const visuallyHidden = {
  border: 0,
  clip: "rect(0 0 0 0)",
  height: "1px",
  margin: "-1px",
  overflow: "hidden",
  padding: 0,
  position: "absolute",
  whiteSpace: "nowrap",
  width: "1px",
} as const;

/** A block of example text (a config.toml snippet) in the views' empty states. */
export const EXAMPLE_BLOCK_SX = {
  fontFamily: MONO_FONT,
  fontSize: 13,
  m: 0,
  mb: 1.5,
  p: 1.5,
  borderRadius: 1,
  bgcolor: "action.hover",
  overflowX: "auto",
} as const;
