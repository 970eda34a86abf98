import AddIcon from "@mui/icons-material/Add";
import CloudUploadOutlinedIcon from "@mui/icons-material/CloudUploadOutlined";
import DashboardIcon from "@mui/icons-material/Dashboard";
import DnsOutlinedIcon from "@mui/icons-material/DnsOutlined";
import EditOutlinedIcon from "@mui/icons-material/EditOutlined";
import FolderIcon from "@mui/icons-material/Folder";
import InsightsIcon from "@mui/icons-material/Insights";
import KeyOutlinedIcon from "@mui/icons-material/KeyOutlined";
import NotificationsActiveIcon from "@mui/icons-material/NotificationsActive";
import PlayArrowIcon from "@mui/icons-material/PlayArrow";
import ReceiptLongIcon from "@mui/icons-material/ReceiptLong";
import SettingsIcon from "@mui/icons-material/Settings";
import ShowChartIcon from "@mui/icons-material/ShowChart";
import Box from "@mui/material/Box";
import Dialog from "@mui/material/Dialog";
import InputBase from "@mui/material/InputBase";
import List from "@mui/material/List";
import ListItemButton from "@mui/material/ListItemButton";
import ListItemIcon from "@mui/material/ListItemIcon";
import ListItemText from "@mui/material/ListItemText";
import Typography from "@mui/material/Typography";
import { useEffect, useMemo, useRef, useState, type KeyboardEvent as ReactKeyboardEvent, type ReactNode } from "react";
import { useNavigate } from "react-router";

import { listProjects } from "../api";
import type { ProjectView } from "../bindings/ProjectView";
import { useLoader } from "../hooks";
import { useImport } from "../importing";
import { modalOpen } from "../shortcuts";
import type { ProjectLocationState } from "../views/ProjectView";

const VISUALLY_HIDDEN = {
  position: "absolute",
  width: "1px",
  height: "1px",
  overflow: "hidden",
  clip: "rect(0 0 0 0)",
  whiteSpace: "nowrap",
} as const;

/** One thing the palette can do. */
export interface PaletteCommand {
  /**
   * Stable id (`data-id`): `go-overview`, `open-project:<name>`, `run-project:<name>`,
   * `edit-pipeline:<name>`, `open-run:<n>`, `import`...
   */
  id: string;
  label: string;
  /** Other words it is found by. */
  keywords?: string;
  icon: ReactNode;
  run: () => void;
}

/** A run id typed as `12` or `#12`. */
function runIdOf(query: string): number | null {
  const m = /^#?(\d{1,15})$/.exec(query.trim());
  if (!m) return null;
  const n = Number(m[1]);
  return n > 0 && Number.isSafeInteger(n) ? n : null;
}

/**
 * How well `command` matches `query`: every word of the query must be in its
 * label or keywords (any case); a word found at the start of one of theirs
 * counts more. Null: no match.
 */
export function matchScore(command: Pick<PaletteCommand, "label" | "keywords">, query: string): number | null {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  const text = `${command.label} ${command.keywords ?? ""}`.toLowerCase();
  const starts = text.split(/[\s/#·…_-]+/).filter(Boolean);
  let score = 0;
  for (const word of words) {
    if (!text.includes(word)) return null;
    score += starts.some((s) => s.startsWith(word.replace(/^#/, ""))) ? 2 : 1;
  }
  return score;
}

/** Ctrl+K / ⌘K, and Ctrl+Shift+P / ⌘⇧P. */
function isPaletteKey(e: KeyboardEvent): boolean {
  if (!(e.ctrlKey || e.metaKey) || e.altKey) return false;
  const key = e.key.toLowerCase();
  return (key === "k" && !e.shiftKey) || (key === "p" && e.shiftKey);
}

function Palette({ onClose }: { onClose: () => void }) {
  const navigate = useNavigate();
  const { openImport } = useImport();
  const projects = useLoader<ProjectView[]>("palette-projects", listProjects);
  const [query, setQuery] = useState("");
  const [active, setActive] = useState(0);
  const listRef = useRef<HTMLUListElement>(null);

  const commands = useMemo<PaletteCommand[]>(() => {
    const go = (path: string, state?: ProjectLocationState) => () => navigate(path, state ? { state } : undefined);
    const list: PaletteCommand[] = [];
    const runId = runIdOf(query);
    if (runId !== null) {
      list.push({ id: `open-run:${runId}`, label: `Open run #${runId}`, icon: <ReceiptLongIcon />, run: go(`/runs/${runId}`) });
    }
    list.push(
      { id: "go-overview", label: "Go to Overview", keywords: "home dashboard", icon: <DashboardIcon />, run: go("/") },
      { id: "go-projects", label: "Go to Projects", keywords: "list", icon: <FolderIcon />, run: go("/projects") },
      {
        id: "go-deployments",
        label: "Go to Deployments",
        keywords: "deploy kubernetes canary rollout rollback promote abort release",
        icon: <CloudUploadOutlinedIcon />,
        run: go("/deployments"),
      },
      {
        id: "go-metrics",
        label: "Go to Metrics",
        keywords: "prometheus promql charts graphs monitoring",
        icon: <ShowChartIcon />,
        run: go("/metrics"),
      },
      {
        id: "go-alerts",
        label: "Go to Alerts",
        keywords: "incidents rules firing silence acknowledge monitoring",
        icon: <NotificationsActiveIcon />,
        run: go("/alerts"),
      },
      {
        id: "go-analytics",
        label: "Go to Analytics",
        keywords: "stats statistics delivery report success rate duration queue flaky tests slow steps dora",
        icon: <InsightsIcon />,
        run: go("/analytics"),
      },
      {
        id: "go-targets",
        label: "Go to Targets",
        keywords: "clusters kubernetes kubeconfig contexts namespaces check credentials",
        icon: <DnsOutlinedIcon />,
        run: go("/targets"),
      },
      { id: "go-secrets", label: "Go to Secrets", keywords: "keys tokens keyring", icon: <KeyOutlinedIcon />, run: go("/secrets") },
      { id: "go-settings", label: "Go to Settings", keywords: "preferences options config", icon: <SettingsIcon />, run: go("/settings") },
      { id: "import", label: "Import a project…", keywords: "add folder new", icon: <AddIcon />, run: () => openImport() },
    );
    for (const p of projects.data ?? []) {
      const path = `/projects/${encodeURIComponent(p.name)}`;
      list.push(
        { id: `open-project:${p.name}`, label: `Open project ${p.name}`, keywords: p.path, icon: <FolderIcon />, run: go(path) },
        {
          id: `run-project:${p.name}`,
          label: `Run project ${p.name}…`,
          keywords: "start pipeline",
          icon: <PlayArrowIcon />,
          run: go(path, { openRun: true }),
        },
        {
          id: `edit-pipeline:${p.name}`,
          label: `Edit pipeline of ${p.name}`,
          keywords: "switchyard.yaml yaml editor",
          icon: <EditOutlinedIcon />,
          run: go(`${path}/pipeline`),
        },
      );
    }
    return list;
  }, [query, projects.data, navigate, openImport]);

  // The matches, best first (ties keep the list's order); a run id typed stays on top.
  const items = useMemo(() => {
    const scored = commands
      .map((command, index) => ({ command, index, score: command.id.startsWith("open-run:") ? Infinity : matchScore(command, query) }))
      .filter((s): s is { command: PaletteCommand; index: number; score: number } => s.score !== null);
    scored.sort((a, b) => b.score - a.score || a.index - b.index);
    return scored.map((s) => s.command);
  }, [commands, query]);

  const current = items.length === 0 ? -1 : Math.min(active, items.length - 1);

  useEffect(() => {
    if (current < 0) return;
    const el = listRef.current?.querySelector<HTMLElement>(`[data-index="${current}"]`);
    el?.scrollIntoView?.({ block: "nearest" });
  }, [current]);

  const runItem = (command: PaletteCommand | undefined) => {
    if (!command) return;
    // Closed first: the palette gives the focus back before the next view or dialog takes it.
    onClose();
    command.run();
  };

  const onKeyDown = (e: ReactKeyboardEvent) => {
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      if (items.length === 0) return;
      const step = e.key === "ArrowDown" ? 1 : -1;
      setActive((current + step + items.length) % items.length);
    } else if (e.key === "Enter") {
      e.preventDefault();
      runItem(items[current]);
    }
  };

  const optionId = (i: number) => `command-palette-option-${i}`;

  return (
    <Dialog
      open
      onClose={onClose}
      maxWidth="sm"
      fullWidth
      aria-labelledby="command-palette-title"
      slotProps={{ paper: { sx: { alignSelf: "flex-start", mt: "12vh" } } }}
    >
      <Box data-testid="command-palette">
        <Typography id="command-palette-title" component="h2" sx={VISUALLY_HIDDEN}>
          Command palette
        </Typography>
        <InputBase
          autoFocus
          fullWidth
          value={query}
          onChange={(e) => {
            setQuery(e.target.value);
            setActive(0);
          }}
          onKeyDown={onKeyDown}
          placeholder="Type a command, a project, or a run number…"
          sx={{ px: 2, py: 1.5, fontSize: 17, borderBottom: 1, borderColor: "divider" }}
          slotProps={{
            input: {
              role: "combobox",
              "aria-label": "Command",
              "aria-expanded": items.length > 0,
              "aria-controls": "command-palette-list",
              "aria-autocomplete": "list",
              "aria-activedescendant": current >= 0 ? optionId(current) : undefined,
              autoComplete: "off",
              spellCheck: false,
              ...({ "data-testid": "command-palette-input" } as object),
            },
          }}
        />
        {items.length > 0 ? (
          <List
            ref={listRef}
            id="command-palette-list"
            role="listbox"
            aria-label="Commands"
            dense
            sx={{ maxHeight: "50vh", overflowY: "auto", py: 0.5 }}
          >
            {items.map((command, i) => (
              <ListItemButton
                key={command.id}
                id={optionId(i)}
                role="option"
                aria-selected={i === current}
                selected={i === current}
                data-testid="command-palette-item"
                data-id={command.id}
                data-index={i}
                // The focus stays in the input; a click runs the command.
                tabIndex={-1}
                onMouseDown={(e) => e.preventDefault()}
                onMouseMove={() => {
                  if (i !== current) setActive(i);
                }}
                onClick={() => runItem(command)}
              >
                <ListItemIcon sx={{ minWidth: 36 }}>{command.icon}</ListItemIcon>
                <ListItemText primary={command.label} />
              </ListItemButton>
            ))}
          </List>
        ) : (
          <Typography color="text.secondary" sx={{ px: 2, py: 2 }} data-testid="command-palette-empty">
            No command matches “{query.trim()}”.
          </Typography>
        )}
        <Typography variant="caption" color="text.secondary" component="div" sx={{ px: 2, py: 1, borderTop: 1, borderColor: "divider" }}>
          ↑ ↓ to choose · Enter to run · Esc to close
        </Typography>
      </Box>
    </Dialog>
  );
}

/**
 * The command palette (Ctrl+K or Ctrl+Shift+P; ⌘ on macOS): go to a view, open
 * or run a project, edit its pipeline, open a run by its number, import a
 * project. Mounted once, inside the router and the import provider. It does
 * not open over another dialog.
 */
export function CommandPalette() {
  const [session, setSession] = useState(0);
  const [open, setOpen] = useState(false);
  const openRef = useRef(false);
  useEffect(() => {
    openRef.current = open;
  }, [open]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || !isPaletteKey(e)) return;
      if (openRef.current) {
        e.preventDefault();
        setOpen(false);
        return;
      }
      if (modalOpen()) return;
      e.preventDefault();
      setSession((s) => s + 1);
      setOpen(true);
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  // Unmounted when closed (no exit animation): its focus goes back at once,
  // before the view or dialog that a command opens takes it.
  return open ? <Palette key={session} onClose={() => setOpen(false)} /> : null;
}
