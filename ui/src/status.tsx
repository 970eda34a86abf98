import BlockIcon from "@mui/icons-material/Block";
import CancelIcon from "@mui/icons-material/Cancel";
import CheckCircleIcon from "@mui/icons-material/CheckCircle";
import PanToolOutlinedIcon from "@mui/icons-material/PanToolOutlined";
import PauseCircleOutlineIcon from "@mui/icons-material/PauseCircleOutline";
import RemoveCircleOutlineIcon from "@mui/icons-material/RemoveCircleOutline";
import ScheduleIcon from "@mui/icons-material/Schedule";
import TimerOffIcon from "@mui/icons-material/TimerOff";
import Chip, { type ChipProps } from "@mui/material/Chip";
import CircularProgress from "@mui/material/CircularProgress";
import { useTheme, type Theme } from "@mui/material/styles";

import type { DeploymentStatus } from "./bindings/DeploymentStatus";
import type { JobStatus } from "./bindings/JobStatus";
import type { RunStatus } from "./bindings/RunStatus";
import type { StepStatus } from "./bindings/StepStatus";
import type { TargetStatus } from "./bindings/TargetStatus";

/** Any status the UI shows: of a run, a job or a step (the same string values). */
export type Status = RunStatus | JobStatus | StepStatus;

/** The statuses a run (not a job or step) can have: what the history filter offers. */
export const RUN_STATUSES: RunStatus[] = ["queued", "running", "succeeded", "failed", "cancelled", "interrupted"];

export const STATUS_LABEL: Record<Status, string> = {
  queued: "Queued",
  running: "Running",
  waiting: "Waiting for approval",
  succeeded: "Succeeded",
  failed: "Failed",
  cancelled: "Cancelled",
  skipped: "Skipped",
  timed_out: "Timed out",
  interrupted: "Interrupted",
};

/** One colour family per status, the same everywhere. */
export type StatusTone = "success" | "error" | "info" | "warning" | "attention" | "muted" | "neutral";

/** Amber: something waits for a person (an approval job), distinct from the orange of `warning`. */
export function attentionColor(theme: Theme): string {
  return theme.palette.mode === "dark" ? "#e3b341" : "#9a6700";
}

export function statusTone(status: Status): StatusTone {
  switch (status) {
    case "succeeded":
      return "success";
    case "failed":
    case "timed_out":
      return "error";
    case "running":
      return "info";
    case "waiting":
      return "attention";
    case "interrupted":
      return "warning";
    case "cancelled":
    case "skipped":
      return "muted";
    case "queued":
      return "neutral";
  }
}

/** The colour of a tone, shared by runs' and deployments' statuses. */
export function toneColor(theme: Theme, tone: StatusTone): string {
  switch (tone) {
    case "success":
    case "error":
    case "info":
    case "warning":
      return theme.palette[tone].main;
    case "attention":
      return attentionColor(theme);
    case "muted":
      return theme.palette.text.disabled;
    case "neutral":
      return theme.palette.text.secondary;
  }
}

export function statusColor(theme: Theme, status: Status): string {
  return toneColor(theme, statusTone(status));
}

/** Queued, running or waiting for approval: may still change. */
export function isActive(status: Status): boolean {
  return status === "queued" || status === "running" || status === "waiting";
}

export function isFailure(status: Status): boolean {
  return status === "failed" || status === "timed_out" || status === "interrupted";
}

export function StatusIcon({ status, size = 18 }: { status: Status; size?: number }) {
  const theme = useTheme();
  const color = statusColor(theme, status);
  const sx = { color, fontSize: size, flexShrink: 0 };
  const label = STATUS_LABEL[status];
  switch (status) {
    case "running":
      return <CircularProgress size={size - 4} thickness={5} sx={{ color, m: "2px" }} aria-label={label} />;
    case "succeeded":
      return <CheckCircleIcon sx={sx} aria-label={label} />;
    case "failed":
      return <CancelIcon sx={sx} aria-label={label} />;
    case "timed_out":
      return <TimerOffIcon sx={sx} aria-label={label} />;
    case "cancelled":
      return <BlockIcon sx={sx} aria-label={label} />;
    case "skipped":
      return <RemoveCircleOutlineIcon sx={sx} aria-label={label} />;
    case "waiting":
      return <PanToolOutlinedIcon sx={sx} aria-label={label} />;
    case "interrupted":
      return <PauseCircleOutlineIcon sx={sx} aria-label={label} />;
    case "queued":
      return <ScheduleIcon sx={sx} aria-label={label} />;
  }
}

/** The hand of `waiting`, in its amber: an approval job (a gate) that has no status yet (a job of a plan). */
export function GateIcon({ size = 18 }: { size?: number }) {
  const theme = useTheme();
  return (
    <PanToolOutlinedIcon
      sx={{ color: attentionColor(theme), fontSize: size, flexShrink: 0, verticalAlign: "text-bottom" }}
      aria-label="Approval job"
      data-testid="gate-icon"
    />
  );
}

type ChipColor = NonNullable<ChipProps["color"]>;

const CHIP_COLOR: Record<StatusTone, ChipColor> = {
  success: "success",
  error: "error",
  info: "info",
  warning: "warning",
  attention: "default",
  muted: "default",
  neutral: "default",
};

export interface StatusChipProps {
  status: Status;
  size?: "small" | "medium";
  testId?: string;
}

/** The status as a coloured chip; `data-status` holds the exact status value. */
export function StatusChip({ status, size = "small", testId }: StatusChipProps) {
  const tone = statusTone(status);
  const theme = useTheme();
  const running = status === "running";
  const waiting = status === "waiting";
  const amber = attentionColor(theme);
  return (
    <Chip
      data-testid={testId}
      data-status={status}
      size={size}
      color={CHIP_COLOR[tone]}
      variant={tone === "neutral" ? "outlined" : "filled"}
      label={STATUS_LABEL[status]}
      icon={
        running ? (
          <CircularProgress size={12} thickness={6} sx={{ color: "inherit", ml: "6px !important" }} aria-hidden />
        ) : waiting ? (
          <PanToolOutlinedIcon sx={{ fontSize: 14, color: "inherit !important" }} aria-hidden />
        ) : undefined
      }
      sx={
        tone === "muted"
          ? { bgcolor: theme.palette.action.selected, color: theme.palette.text.secondary }
          : tone === "attention"
            ? { bgcolor: amber, color: theme.palette.getContrastText(amber) }
            : undefined
      }
    />
  );
}

// ---- Deployments and their targets ------------------------------------------

/** A deployment's status or one of its targets' (the same string values). */
export type DeployStatus = DeploymentStatus | TargetStatus;

export const DEPLOY_STATUS_LABEL: Record<DeployStatus, string> = {
  pending: "Pending",
  progressing: "Progressing",
  succeeded: "Succeeded",
  failed: "Failed",
  rolled_back: "Rolled back",
  cancelled: "Cancelled",
  skipped: "Skipped",
  dry_run: "Dry run",
};

/** The colour family of a deployment's (or target's) status, as a run's: rolled back is a warning (the old version runs). */
export function deployTone(status: DeployStatus): StatusTone {
  switch (status) {
    case "succeeded":
      return "success";
    case "failed":
      return "error";
    case "progressing":
      return "info";
    case "rolled_back":
      return "warning";
    case "cancelled":
    case "skipped":
      return "muted";
    case "pending":
    case "dry_run":
      return "neutral";
  }
}

/** A colour for a deployment's (or target's) status, e.g. a dot or a bar. */
export function deployColor(theme: Theme, status: DeployStatus): string {
  return toneColor(theme, deployTone(status));
}

export interface DeployStatusChipProps {
  status: DeployStatus;
  size?: "small" | "medium";
  testId?: string;
  /** Shown after the status (a target's name: "staging-eu: Succeeded"). */
  prefix?: string;
  title?: string;
}

/** A deployment's (or target's) status as a coloured chip; `data-status` holds the exact value. */
export function DeployStatusChip({ status, size = "small", testId, prefix, title }: DeployStatusChipProps) {
  const tone = deployTone(status);
  const theme = useTheme();
  const label = DEPLOY_STATUS_LABEL[status];
  return (
    <Chip
      data-testid={testId}
      data-status={status}
      size={size}
      color={CHIP_COLOR[tone]}
      variant={tone === "neutral" ? "outlined" : "filled"}
      label={prefix ? `${prefix}: ${label}` : label}
      title={title}
      icon={
        status === "progressing" ? (
          <CircularProgress size={12} thickness={6} sx={{ color: "inherit", ml: "6px !important" }} aria-hidden />
        ) : undefined
      }
      sx={tone === "muted" ? { bgcolor: theme.palette.action.selected, color: theme.palette.text.secondary } : undefined}
    />
  );
}
