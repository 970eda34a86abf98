import Table from "@mui/material/Table";
import TableBody from "@mui/material/TableBody";
import TableCell from "@mui/material/TableCell";
import TableHead from "@mui/material/TableHead";
import TableRow from "@mui/material/TableRow";
import Typography from "@mui/material/Typography";

import type { StepView } from "../bindings/StepView";
import { durationOf, formatDuration } from "../format";
import { useNow } from "../hooks";
import { STATUS_LABEL, StatusIcon } from "../status";
import { MONO_FONT } from "../theme";

/** The steps of a job's last attempt: status, duration, exit code. */
export function StepList({ steps }: { steps: StepView[] }) {
  const running = steps.some((s) => s.status === "running");
  const now = useNow(1000, running);
  if (steps.length === 0) {
    return (
      <Typography variant="body2" color="text.secondary" sx={{ p: 1 }}>
        No step has started yet.
      </Typography>
    );
  }
  return (
    <Table size="small" aria-label="Steps">
      <TableHead>
        <TableRow>
          <TableCell sx={{ width: 36 }} />
          <TableCell>Step</TableCell>
          <TableCell>Status</TableCell>
          <TableCell align="right">Duration</TableCell>
          <TableCell align="right">Exit code</TableCell>
        </TableRow>
      </TableHead>
      <TableBody>
        {steps.map((s) => (
          <TableRow key={s.idx} data-testid="step-row" data-status={s.status} data-step={s.idx}>
            <TableCell>
              <StatusIcon status={s.status} size={16} />
            </TableCell>
            <TableCell sx={{ fontWeight: 500, maxWidth: 420, overflow: "hidden", textOverflow: "ellipsis", whiteSpace: "nowrap" }} title={s.name}>
              {s.idx + 1}. {s.name}
            </TableCell>
            <TableCell data-testid="step-status">{STATUS_LABEL[s.status]}</TableCell>
            <TableCell align="right">{formatDuration(durationOf(s, now))}</TableCell>
            <TableCell align="right" sx={{ fontFamily: MONO_FONT }} data-testid="step-exit-code">
              {s.exit_code ?? "—"}
            </TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}
