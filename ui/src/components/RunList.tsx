import List from "@mui/material/List";
import ListItemButton from "@mui/material/ListItemButton";
import ListItemIcon from "@mui/material/ListItemIcon";
import ListItemText from "@mui/material/ListItemText";
import { Link as RouterLink } from "react-router";

import type { RunSummaryDto } from "../bindings/RunSummaryDto";
import { elapsed, formatDuration, formatRelative, shortCommit } from "../format";
import { useNow } from "../hooks";
import { StatusChip, StatusIcon, isActive } from "../status";

/** Runs as rows, each a link to its run. */
export function RunList({ runs, label }: { runs: RunSummaryDto[]; label: string }) {
  const live = runs.some((r) => isActive(r.status));
  const now = useNow(live ? 1000 : 30_000);
  return (
    <List dense disablePadding aria-label={label}>
      {runs.map((run) => {
        const parts = [
          run.branch,
          run.commit ? shortCommit(run.commit) + (run.dirty ? " (modified)" : "") : null,
          formatRelative(run.startedAt ?? run.createdAt, now),
          run.durationMs !== null || run.startedAt !== null
            ? formatDuration(run.durationMs ?? elapsed(run.startedAt, run.finishedAt, now))
            : null,
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
