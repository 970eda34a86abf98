import BlockIcon from "@mui/icons-material/Block";
import CancelIcon from "@mui/icons-material/Cancel";
import CheckCircleIcon from "@mui/icons-material/CheckCircle";
import PauseCircleOutlineIcon from "@mui/icons-material/PauseCircleOutline";
import RemoveCircleOutlineIcon from "@mui/icons-material/RemoveCircleOutline";
import ScheduleIcon from "@mui/icons-material/Schedule";
import TimerOffIcon from "@mui/icons-material/TimerOff";
import Chip, { type ChipProps } from "@mui/material/Chip";
import CircularProgress from "@mui/material/CircularProgress";
import { useTheme, type Theme } from "@mui/material/styles";

import type { StatusDto } from "./bindings/StatusDto";

/** The statuses a run (not a job or step) can have: what the history filter offers. */
export const RUN_STATUSES: StatusDto[] = ["queued", "running", "succeeded", "failed", "cancelled", "interrupted"];

export const STATUS_LABEL: Record<StatusDto, string> = {
  queued: "Queued",
  running: "Running",
  succeeded: "Succeeded",
  failed: "Failed",
  cancelled: "Cancelled",
  skipped: "Skipped",
  timed_out: "Timed out",
  interrupted: "Interrupted",
};

/** One colour family per status, the same everywhere. */
export type StatusTone = "success" | "error" | "info" | "warning" | "muted" | "neutral";

export function statusTone(status: StatusDto): StatusTone {
  switch (status) {
    case "succeeded":
      return "success";
    case "failed":
    case "timed_out":
      return "error";
    case "running":
      return "info";
    case "interrupted":
      return "warning";
    case "cancelled":
    case "skipped":
      return "muted";
    case "queued":
      return "neutral";
  }
}

export function statusColor(theme: Theme, status: StatusDto): string {
  const tone = statusTone(status);
  switch (tone) {
    case "success":
    case "error":
    case "info":
    case "warning":
      return theme.palette[tone].main;
    case "muted":
      return theme.palette.text.disabled;
    case "neutral":
      return theme.palette.text.secondary;
  }
}

/** Queued or running: may still change. */
export function isActive(status: StatusDto): boolean {
  return status === "queued" || status === "running";
}

export function isFailure(status: StatusDto): boolean {
  return status === "failed" || status === "timed_out" || status === "interrupted";
}

export function StatusIcon({ status, size = 18 }: { status: StatusDto; size?: number }) {
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
    case "interrupted":
      return <PauseCircleOutlineIcon sx={sx} aria-label={label} />;
    case "queued":
      return <ScheduleIcon sx={sx} aria-label={label} />;
  }
}

type ChipColor = NonNullable<ChipProps["color"]>;

const CHIP_COLOR: Record<StatusTone, ChipColor> = {
  success: "success",
  error: "error",
  info: "info",
  warning: "warning",
  muted: "default",
  neutral: "default",
};

export interface StatusChipProps {
  status: StatusDto;
  size?: "small" | "medium";
  testId?: string;
}

/** The status as a coloured chip; `data-status` holds the exact status value. */
export function StatusChip({ status, size = "small", testId }: StatusChipProps) {
  const tone = statusTone(status);
  const theme = useTheme();
  const running = status === "running";
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
        ) : undefined
      }
      sx={
        tone === "muted"
          ? { bgcolor: theme.palette.action.selected, color: theme.palette.text.secondary }
          : undefined
      }
    />
  );
}
