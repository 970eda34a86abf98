import DesktopWindowsOutlinedIcon from "@mui/icons-material/DesktopWindowsOutlined";
import LinkIcon from "@mui/icons-material/Link";
import TerminalIcon from "@mui/icons-material/Terminal";
import type { SvgIconComponent } from "@mui/icons-material";

/** What started a run, as a run's `trigger` says: `cli`, `app`, `link` (null: a run from before this was kept). */
export interface TriggerInfo {
  /** "CLI", "App", "Link": for a table cell. */
  short: string;
  /** "Started from the CLI": for the run page. */
  long: string;
  icon: SvgIconComponent;
}

const KNOWN: Record<string, TriggerInfo> = {
  cli: { short: "CLI", long: "Started from the CLI", icon: TerminalIcon },
  app: { short: "App", long: "Started from the app", icon: DesktopWindowsOutlinedIcon },
  link: { short: "Link", long: "Started from a link", icon: LinkIcon },
};

/** How to show a run's trigger; null when it is not known. */
export function triggerInfo(trigger: string | null): TriggerInfo | null {
  if (trigger === null || trigger === "") return null;
  return KNOWN[trigger] ?? { short: trigger, long: `Started from ${trigger}`, icon: DesktopWindowsOutlinedIcon };
}

