import List from "@mui/material/List";
import ListItemButton from "@mui/material/ListItemButton";
import ListItemIcon from "@mui/material/ListItemIcon";
import ListItemText from "@mui/material/ListItemText";
import Typography from "@mui/material/Typography";
import { Link as RouterLink } from "react-router";

import type { WaitingGateView } from "../bindings/WaitingGateView";
import { elapsed, formatDateTime, formatDuration, toMs } from "../format";
import { useNow } from "../hooks";
import { StatusIcon } from "../status";

/** The run page with this gate selected. */
export function gateRoute(gate: WaitingGateView): string {
  return `/runs/${gate.run.id}?${new URLSearchParams({ job_name: gate.job })}`;
}

/** Approval jobs waiting for a person, as given (oldest first), each a link to its run with the gate selected. */
export function WaitingGates({ gates }: { gates: WaitingGateView[] }) {
  const now = useNow(1000);
  return (
    <List dense disablePadding aria-label="Waiting for approval">
      {gates.map((gate) => {
        const since = toMs(gate.since);
        const waited = elapsed(since, null, now);
        return (
          <ListItemButton
            key={`${gate.run.id}/${gate.job}`}
            component={RouterLink}
            to={gateRoute(gate)}
            data-testid="waiting-gate"
            data-run-id={gate.run.id}
            data-job={gate.job}
            divider
          >
            <ListItemIcon sx={{ minWidth: 34 }}>
              <StatusIcon status="waiting" />
            </ListItemIcon>
            <ListItemText
              primary={`${gate.run.project} #${gate.run.id} · ${gate.job}`}
              secondary={gate.message}
              slotProps={{
                primary: { sx: { fontWeight: 600 } },
                secondary: { noWrap: true, title: gate.message, ...({ "data-testid": "waiting-gate-message" } as object) },
              }}
              sx={{ minWidth: 0 }}
            />
            {waited !== null && since !== null ? (
              <Typography
                variant="body2"
                color="text.secondary"
                sx={{ ml: 2, flexShrink: 0, whiteSpace: "nowrap" }}
                title={`Waiting since ${formatDateTime(since)}`}
                data-testid="waiting-gate-age"
              >
                waiting {formatDuration(waited)}
              </Typography>
            ) : null}
          </ListItemButton>
        );
      })}
    </List>
  );
}
