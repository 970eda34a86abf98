import List from "@mui/material/List";
import ListItemButton from "@mui/material/ListItemButton";
import ListItemIcon from "@mui/material/ListItemIcon";
import ListItemText from "@mui/material/ListItemText";
import { Link as RouterLink } from "react-router";

import type { RunSummaryView } from "../bindings/RunSummaryView";
import { durationOf, formatDuration, formatRelative, runTime, shortCommit } from "../format";
import { useNow } from "../hooks";
import { StatusChip, StatusIcon, isActive } from "../status";

/** Runs as rows, each a link to its run. */
export function RunList({ runs, label }: { runs: RunSummaryView[]; label: string }) {
  const live = runs.some((r) => isActive(r.status));
  const now = useNow(live ? 1000 : 30_000);
  return (
    <List dense disablePadding aria-label={label}>
      {runs.map((run) => {
        const when = runTime(run);
        const duration = durationOf(run, now);
        const parts = [
          run.branch,
          run.commit ? shortCommit(run.commit) + (run.dirty ? " (modified)" : "") : null,
          when !== null ? formatRelative(when, now) : null,
          duration !== null ? formatDuration(duration) : null,
        ].filter(Boolean);
        return (
          <ListItemButton
            key={run.id}
            component={RouterLink}
            to={`/runs/${run.id}`}
            data-testid="run-row"
            data-run-id={run.id}
            data-status={run.status}
            divider
          >
            <ListItemIcon sx={{ minWidth: 34 }}>
              <StatusIcon status={run.status} />
            </ListItemIcon>
            <ListItemText
              primary={`${run.project} #${run.id}`}
              secondary={parts.join(" · ")}
              slotProps={{ primary: { sx: { fontWeight: 600 } } }}
            />
            <StatusChip status={run.status} />
          </ListItemButton>
        );
      })}
    </List>
  );
}
