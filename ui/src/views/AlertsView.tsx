import DoneAllIcon from "@mui/icons-material/DoneAll";
import ExpandMoreIcon from "@mui/icons-material/ExpandMore";
import HelpOutlineIcon from "@mui/icons-material/HelpOutline";
import NotificationsOffIcon from "@mui/icons-material/NotificationsOff";
import RefreshIcon from "@mui/icons-material/Refresh";
import Alert from "@mui/material/Alert";
import Box from "@mui/material/Box";
import Button from "@mui/material/Button";
import Chip from "@mui/material/Chip";
import IconButton from "@mui/material/IconButton";
import Link from "@mui/material/Link";
import Menu from "@mui/material/Menu";
import MenuItem from "@mui/material/MenuItem";
import Paper from "@mui/material/Paper";
import Stack from "@mui/material/Stack";
import { alpha, useTheme } from "@mui/material/styles";
import Table from "@mui/material/Table";
import TableBody from "@mui/material/TableBody";
import TableCell from "@mui/material/TableCell";
import TableHead from "@mui/material/TableHead";
import TableRow from "@mui/material/TableRow";
import Tooltip from "@mui/material/Tooltip";
import Typography from "@mui/material/Typography";
import { useEffect, useMemo, useRef, useState } from "react";
import { Link as RouterLink, useParams } from "react-router";

import {
  ALERT_STATE_LABEL,
  alertsOf,
  alertState,
  formatValue,
  INCIDENT_STATE_LABEL,
  incidentIdOf,
  incidentState,
  isSilenced,
  keyPartLabel,
  parseIncidentKey,
  severityOf,
  shownLabels,
  SILENCE_OPTIONS,
  sortAlerts,
  UNKNOWN_HINT,
  type IncidentState,
} from "../alerts";
import { useAlerts } from "../alertsContext";
import { acknowledgeIncident, evaluateAlerts, silenceAlert, toErrorDto } from "../api";
import type { AlertView } from "../bindings/AlertView";
import type { ErrorDto } from "../bindings/ErrorDto";
import type { IncidentView } from "../bindings/IncidentView";
import { ErrorAlert } from "../components/ErrorAlert";
import { Code, PageHeader, PageLoading, Section } from "../components/Page";
import { formatClock, formatDateTime, formatDuration, formatRelative } from "../format";
import { useNow } from "../hooks";
import { useNotify } from "../notify";
import { attentionColor } from "../status";
import { EXAMPLE_BLOCK_SX, MONO_FONT, visuallyHidden } from "../theme";

/** The rule shown when there is none yet (docs/monitoring.md has the rest). */
export const EXAMPLE_RULE = `[alerts.rules.error-ratio]
query = 'sum by (app) (rate(http_requests_total{code=~"5.."}[5m])) / sum by (app) (rate(http_requests_total[5m]))'
kind = "threshold"    # threshold | rate_of_change | anomaly | prediction
op = "above"
value = 0.05
for = "2m"
labels = { environment = "production" }`;

function EmptyState() {
  return (
    <Paper variant="outlined" sx={{ p: 4 }} data-testid="alerts-empty">
      <Typography variant="h6" component="h2" sx={{ mb: 1 }}>
        No alerts yet
      </Typography>
      <Typography color="text.secondary" sx={{ mb: 1.5 }}>
        An alert rule is a PromQL query that Switchyard asks a Prometheus source (see Metrics) while the app runs, and a
        condition on its value. A series that meets the condition for the rule&apos;s <Code>for</Code> duration fires;
        alerts that fire together for the same app, target and environment are grouped into one incident, which
        notifies you and shows in the tray.
      </Typography>
      <Typography color="text.secondary" sx={{ mb: 1 }}>
        Add a rule to <Code>config.toml</Code>, e.g.:
      </Typography>
      <Box
        component="pre"
        data-testid="alerts-empty-example"
        sx={EXAMPLE_BLOCK_SX}
      >
        {EXAMPLE_RULE}
      </Box>
      <Typography color="text.secondary">
        Then press <strong>Evaluate now</strong>, or wait for the next evaluation. Every kind and option is described in{" "}
        <Code>docs/monitoring.md</Code>.
      </Typography>
    </Paper>
  );
}

function AlertStateChip({ state, testId }: { state: string; testId?: string }) {
  const theme = useTheme();
  const s = alertState(state);
  const amber = attentionColor(theme);
  const chip = (
    <Chip
      size="small"
      data-testid={testId}
      data-state={state}
      label={ALERT_STATE_LABEL[s]}
      color={s === "firing" ? "error" : s === "resolved" ? "success" : "default"}
      icon={s === "unknown" ? <HelpOutlineIcon sx={{ fontSize: 14, color: "inherit !important" }} aria-hidden /> : undefined}
      sx={
        s === "pending"
          ? { bgcolor: amber, color: theme.palette.getContrastText(amber) }
          : s === "unknown"
            ? { bgcolor: theme.palette.action.selected, color: theme.palette.text.secondary }
            : undefined
      }
    />
  );
  if (s !== "unknown") return chip;
  return (
    <Tooltip title={UNKNOWN_HINT} describeChild arrow>
      {chip}
    </Tooltip>
  );
}

function SeverityChip({ severity }: { severity: string }) {
  const s = severityOf(severity);
  return (
    <Chip
      size="small"
      variant="outlined"
      color={s === "critical" ? "error" : s === "warning" ? "warning" : "info"}
      label={severity}
      data-testid="alert-severity"
      data-severity={severity}
    />
  );
}

function KeyChips({ incidentKey }: { incidentKey: string }) {
  return (
    <>
      {parseIncidentKey(incidentKey).map((part, i) => (
        <Chip
          key={i}
          size="small"
          variant="outlined"
          label={keyPartLabel(part)}
          data-testid="incident-key-label"
          data-name={part.name}
          data-value={part.value}
          sx={{ fontFamily: MONO_FONT, fontWeight: 500 }}
        />
      ))}
    </>
  );
}

function Labels({ labels }: { labels: AlertView["labels"] }) {
  const shown = shownLabels(labels);
  if (shown.length === 0) {
    return (
      <Typography variant="body2" color="text.secondary">
        —
      </Typography>
    );
  }
  return (
    <Stack direction="row" gap={0.5} flexWrap="wrap">
      {shown.map(([name, value]) => (
        <Chip
          key={name}
          size="small"
          variant="outlined"
          label={`${name}: ${value}`}
          data-testid="alert-label"
          data-name={name}
          data-value={value}
          sx={{ fontFamily: MONO_FONT, fontWeight: 400, maxWidth: 320 }}
        />
      ))}
    </Stack>
  );
}

function Since({ since, now }: { since: number | null; now: number }) {
  if (since === null) {
    return (
      <Typography variant="body2" color="text.secondary" data-testid="alert-since">
        —
      </Typography>
    );
  }
  return (
    <Box data-testid="alert-since" title={formatDateTime(since)}>
      <Typography variant="body2">{formatRelative(since, now)}</Typography>
      <Typography variant="caption" color="text.secondary" sx={{ whiteSpace: "nowrap" }}>
        {formatDateTime(since)}
      </Typography>
    </Box>
  );
}

function SilencedNote({ alert, now }: { alert: AlertView; now: number }) {
  if (!isSilenced(alert, now) || alert.silenced_until === null) return null;
  return (
    <Stack
      direction="row"
      gap={0.5}
      alignItems="center"
      title={`Silenced until ${formatDateTime(alert.silenced_until)}: it is still evaluated, but notifies no one`}
      data-testid="alert-silenced"
    >
      <NotificationsOffIcon fontSize="inherit" color="disabled" />
      <Typography variant="caption" color="text.secondary" sx={{ whiteSpace: "nowrap" }}>
        Silenced until {formatClock(alert.silenced_until, now)}
      </Typography>
    </Stack>
  );
}

function SilenceMenu({ alert, busy, onSilence }: { alert: AlertView; busy: boolean; onSilence: (minutes: number) => void }) {
  const [anchor, setAnchor] = useState<HTMLElement | null>(null);
  const menuId = `alert-silence-menu-${alert.id}`;
  return (
    <>
      <Button
        size="small"
        startIcon={<NotificationsOffIcon />}
        onClick={(e) => setAnchor(e.currentTarget)}
        disabled={busy}
        aria-haspopup="menu"
        aria-expanded={anchor !== null}
        aria-controls={anchor ? menuId : undefined}
        aria-label={`Silence alert ${alert.id} (${alert.rule})`}
        data-testid="alert-silence"
      >
        {busy ? "Silencing…" : "Silence"}
      </Button>
      <Menu id={menuId} anchorEl={anchor} open={anchor !== null} onClose={() => setAnchor(null)}>
        {SILENCE_OPTIONS.map((o) => (
          <MenuItem
            key={o.minutes}
            data-testid={`alert-silence-${o.minutes}`}
            onClick={() => {
              setAnchor(null);
              onSilence(o.minutes);
            }}
          >
            For {o.label}
          </MenuItem>
        ))}
      </Menu>
    </>
  );
}

function IncidentStateChip({ incident, state }: { incident: IncidentView; state: IncidentState }) {
  const title =
    state === "acknowledged" && incident.acknowledged_at !== null
      ? `Acknowledged ${formatDateTime(incident.acknowledged_at)}`
      : state === "resolved" && incident.resolved_at !== null
        ? `Resolved ${formatDateTime(incident.resolved_at)}`
        : undefined;
  return (
    <Chip
      size="small"
      label={INCIDENT_STATE_LABEL[state]}
      color={state === "resolved" ? "success" : state === "open" && incident.needs_attention ? "error" : "default"}
      variant={state === "acknowledged" ? "outlined" : "filled"}
      title={title}
      data-testid="incident-state"
    />
  );
}

/** An incident's alerts, shown when it is expanded. */
function IncidentAlerts({ incident, alerts, id }: { incident: IncidentView; alerts: AlertView[]; id: string }) {
  const list = alertsOf(incident, alerts);
  return (
    <Box id={id} data-testid="incident-alerts" sx={{ pl: { xs: 2, sm: 7 }, pr: 2, pb: 1.5 }}>
      {list.length === 0 ? (
        <Typography variant="body2" color="text.secondary">
          Its alerts are no longer listed (they have been inactive since).
        </Typography>
      ) : (
        <Table size="small" aria-label={`Alerts of incident ${incident.id}`}>
          <TableBody>
            {list.map((a) => (
              <TableRow
                key={a.id}
                data-testid="incident-alert"
                data-id={a.id}
                data-state={a.state}
                data-rule={a.rule}
                sx={{ "&:last-child td": { borderBottom: 0 } }}
              >
                <TableCell sx={{ width: 110 }}>
                  <AlertStateChip state={a.state} />
                </TableCell>
                <TableCell sx={{ fontFamily: MONO_FONT, fontWeight: 600, whiteSpace: "nowrap" }}>{a.rule}</TableCell>
                <TableCell align="right" sx={{ fontFamily: MONO_FONT, whiteSpace: "nowrap" }}>
                  {formatValue(a.value)}
                </TableCell>
                <TableCell>
                  <Labels labels={a.labels} />
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
    </Box>
  );
}

interface IncidentRowProps {
  incident: IncidentView;
  alerts: AlertView[];
  now: number;
  selected: boolean;
  expanded: boolean;
  onToggle: () => void;
  acknowledging: boolean;
  onAcknowledge: () => void;
  rowRef?: (el: HTMLDivElement | null) => void;
}

function IncidentRow({ incident, alerts, now, selected, expanded, onToggle, acknowledging, onAcknowledge, rowRef }: IncidentRowProps) {
  const theme = useTheme();
  const state = incidentState(incident);
  const attention = incident.needs_attention;
  const alertsId = `incident-${incident.id}-alerts`;
  const lasted = formatDuration(Math.max(0, (incident.resolved_at ?? now) - incident.started_at));
  return (
    <Box
      ref={rowRef}
      data-testid="incident"
      data-id={incident.id}
      data-state={state}
      data-attention={attention ? "true" : "false"}
      data-selected={selected ? "true" : "false"}
      aria-current={selected ? "true" : undefined}
      sx={{
        borderBottom: 1,
        borderColor: "divider",
        "&:last-child": { borderBottom: 0 },
        borderLeft: 4,
        borderLeftColor: attention ? "error.main" : "transparent",
        bgcolor: attention ? alpha(theme.palette.error.main, 0.06) : undefined,
        boxShadow: selected ? `inset 0 0 0 2px ${theme.palette.primary.main}` : undefined,
        scrollMarginTop: 16,
      }}
    >
      <Stack direction="row" alignItems="center" gap={1.5} flexWrap="wrap" sx={{ px: 1, py: 1.25 }}>
        <IconButton
          size="small"
          onClick={onToggle}
          aria-expanded={expanded}
          aria-controls={expanded ? alertsId : undefined}
          aria-label={`${expanded ? "Hide" : "Show"} the alerts of incident ${incident.id}`}
          data-testid="incident-toggle"
        >
          <ExpandMoreIcon sx={{ transform: expanded ? "rotate(180deg)" : "none", transition: "transform 150ms" }} />
        </IconButton>
        <Stack direction="row" alignItems="center" gap={0.75} flexWrap="wrap" sx={{ minWidth: 0, flex: "1 1 260px" }}>
          <Link
            component={RouterLink}
            to={`/alerts/${incident.id}`}
            underline="hover"
            sx={{ fontWeight: 700, mr: 0.5 }}
            data-testid="incident-link"
          >
            #{incident.id}
          </Link>
          <KeyChips incidentKey={incident.key} />
          <IncidentStateChip incident={incident} state={state} />
        </Stack>
        <Typography
          variant="body2"
          sx={{ fontWeight: 600, whiteSpace: "nowrap", color: incident.firing > 0 ? "error.main" : "text.secondary" }}
          data-testid="incident-firing"
        >
          {incident.firing} firing of {incident.alerts.length}
        </Typography>
        <Box sx={{ minWidth: 200 }}>
          <Typography variant="body2" data-testid="incident-started" title={formatRelative(incident.started_at, now)}>
            Started {formatDateTime(incident.started_at)}
          </Typography>
          <Typography variant="caption" color="text.secondary" data-testid="incident-duration">
            {incident.resolved_at !== null
              ? `Resolved ${formatDateTime(incident.resolved_at)} · lasted ${lasted}`
              : `Open for ${lasted}`}
          </Typography>
          {incident.deployment !== null ? (
            <Typography variant="caption" component="div">
              <Link
                component={RouterLink}
                to={`/deployments/${incident.deployment}`}
                data-testid="incident-deployment"
                title="The deployment that was running when it started"
              >
                During deployment #{incident.deployment}
              </Link>
            </Typography>
          ) : null}
        </Box>
        <Box sx={{ minWidth: 132, display: "flex", justifyContent: "flex-end" }}>
          {state === "open" ? (
            <Button
              size="small"
              variant={attention ? "contained" : "outlined"}
              color={attention ? "error" : "primary"}
              startIcon={<DoneAllIcon />}
              onClick={onAcknowledge}
              disabled={acknowledging}
              aria-label={`Acknowledge incident ${incident.id}`}
              data-testid="incident-ack"
            >
              {acknowledging ? "Acknowledging…" : "Acknowledge"}
            </Button>
          ) : null}
        </Box>
      </Stack>
      {expanded ? <IncidentAlerts incident={incident} alerts={alerts} id={alertsId} /> : null}
    </Box>
  );
}

function AlertRow({ alert, now, busy, onSilence }: { alert: AlertView; now: number; busy: boolean; onSilence: (minutes: number) => void }) {
  const resolved = alertState(alert.state) === "resolved";
  return (
    <TableRow data-testid="alert" data-id={alert.id} data-state={alert.state} data-rule={alert.rule} data-severity={alert.severity}>
      <TableCell>
        <AlertStateChip state={alert.state} testId="alert-state" />
      </TableCell>
      <TableCell>
        <SeverityChip severity={alert.severity} />
      </TableCell>
      <TableCell sx={{ maxWidth: 240 }}>
        <Typography sx={{ fontFamily: MONO_FONT, fontWeight: 600, whiteSpace: "nowrap" }} data-testid="alert-rule">
          {alert.rule}
        </Typography>
        {alert.incident_id !== null ? (
          <Link
            component={RouterLink}
            to={`/alerts/${alert.incident_id}`}
            variant="caption"
            underline="hover"
            data-testid="alert-incident"
          >
            Incident #{alert.incident_id}
          </Link>
        ) : null}
      </TableCell>
      <TableCell
        align="right"
        sx={{ fontFamily: MONO_FONT, whiteSpace: "nowrap" }}
        title={alert.value === null ? undefined : String(alert.value)}
        data-testid="alert-value"
      >
        {formatValue(alert.value)}
      </TableCell>
      <TableCell>
        <Since since={alert.since} now={now} />
      </TableCell>
      <TableCell>
        <Labels labels={alert.labels} />
      </TableCell>
      <TableCell align="right">
        <Stack alignItems="flex-end" gap={0.5}>
          {resolved ? null : <SilenceMenu alert={alert} busy={busy} onSilence={onSilence} />}
          <SilencedNote alert={alert} now={now} />
        </Stack>
      </TableCell>
    </TableRow>
  );
}

/** When a silence of `minutes` starting now ends: "14:03" (with the date when not today). */
function silenceEnd(minutes: number): string {
  const now = Date.now();
  return formatClock(now + minutes * 60_000, now);
}

/** An action that failed, shown under the header. */
interface ActionError {
  title: string;
  error: ErrorDto;
}

export function AlertsView() {
  const alerts = useAlerts();
  const notify = useNotify();
  const { incidentId } = useParams();
  const selectedId = incidentIdOf(incidentId);
  const { data, reload, replace } = alerts;
  const incidents = useMemo(() => data?.incidents ?? [], [data]);
  const list = useMemo(() => sortAlerts(data?.alerts ?? []), [data]);
  const hasOpen = incidents.some((i) => i.resolved_at === null);
  // Ticking every second only while an incident's duration grows.
  const now = useNow(hasOpen ? 1000 : 15_000);

  const [evaluating, setEvaluating] = useState(false);
  // "ack:<incident id>" / "silence:<alert id>" while that call runs.
  const [busy, setBusy] = useState<string | null>(null);
  const [actionError, setActionError] = useState<ActionError | null>(null);
  // Incidents expanded or collapsed by hand; the selected one (`/alerts/<id>`) is expanded until then.
  const [toggled, setToggled] = useState<Map<number, boolean>>(() => new Map());

  const selected = selectedId === null ? undefined : incidents.find((i) => i.id === selectedId);
  const selectedRef = useRef<HTMLDivElement | null>(null);
  const found = selected !== undefined;
  useEffect(() => {
    // Once per incident asked for, when it is listed (not again on each reload).
    if (found) selectedRef.current?.scrollIntoView?.({ block: "center", behavior: "smooth" });
  }, [selectedId, found]);

  const evaluate = async () => {
    if (evaluating) return;
    setEvaluating(true);
    setActionError(null);
    try {
      const view = await evaluateAlerts();
      replace(view);
      notify(
        view.firing > 0
          ? `Alert rules evaluated: ${view.firing} incident${view.firing === 1 ? "" : "s"} need${view.firing === 1 ? "s" : ""} attention`
          : "Alert rules evaluated",
        view.firing > 0 ? "warning" : "success",
      );
    } catch (e) {
      setActionError({ title: "The alert rules could not be evaluated", error: toErrorDto(e) });
    }
    setEvaluating(false);
  };

  const acknowledge = async (incident: IncidentView) => {
    if (busy) return;
    setBusy(`ack:${incident.id}`);
    setActionError(null);
    try {
      const done = await acknowledgeIncident(incident.id);
      notify(
        done ? `Incident #${incident.id} acknowledged` : `Incident #${incident.id} was already acknowledged or is gone`,
        done ? "success" : "info",
      );
    } catch (e) {
      setActionError({ title: `Incident #${incident.id} could not be acknowledged`, error: toErrorDto(e) });
    }
    setBusy(null);
    reload();
  };

  const silence = async (alert: AlertView, minutes: number) => {
    if (busy) return;
    setBusy(`silence:${alert.id}`);
    setActionError(null);
    const until = silenceEnd(minutes);
    try {
      const done = await silenceAlert(alert.id, minutes);
      notify(
        done ? `Alert ${alert.id} silenced until ${until}` : `Alert ${alert.id} is no longer tracked`,
        done ? "success" : "info",
      );
    } catch (e) {
      setActionError({ title: `Alert ${alert.id} could not be silenced`, error: toErrorDto(e) });
    }
    setBusy(null);
    reload();
  };

  const toggle = (id: number, expanded: boolean) =>
    setToggled((t) => {
      const next = new Map(t);
      next.set(id, !expanded);
      return next;
    });

  const empty = data !== undefined && incidents.length === 0 && list.length === 0;
  const firingAlerts = list.filter((a) => alertState(a.state) === "firing").length;

  return (
    <>
      <PageHeader
        title="Alerts"
        subtitle={
          <>
            Rules live in <Code>config.toml</Code> under <Code>[alerts.rules.&lt;name&gt;]</Code> (see{" "}
            <Code>docs/monitoring.md</Code>) and are evaluated while the app runs.
          </>
        }
        actions={
          <Button
            variant="contained"
            startIcon={<RefreshIcon />}
            onClick={() => void evaluate()}
            disabled={evaluating}
            data-testid="alerts-evaluate"
          >
            {evaluating ? "Evaluating…" : "Evaluate now"}
          </Button>
        }
      />
      {alerts.loading ? <PageLoading /> : null}
      {alerts.error ? (
        <Box sx={{ mb: 2 }}>
          <ErrorAlert error={alerts.error} title="The alerts could not be loaded" onRetry={reload} />
        </Box>
      ) : null}
      {actionError ? (
        <Box sx={{ mb: 2 }}>
          <ErrorAlert error={actionError.error} title={actionError.title} testId="alerts-action-error" focusOnShow />
        </Box>
      ) : null}
      {data !== undefined && incidentId !== undefined && !found ? (
        <Alert
          severity="info"
          sx={{ mb: 2 }}
          data-testid="alerts-incident-missing"
          action={
            <Button component={RouterLink} to="/alerts" color="inherit" size="small">
              Show all
            </Button>
          }
        >
          {selectedId === null
            ? `“${incidentId}” is not an incident number.`
            : `Incident #${selectedId} is not among the recent incidents.`}
        </Alert>
      ) : null}
      {empty ? <EmptyState /> : null}
      {data !== undefined && !empty ? (
        <>
          <Section
            title={`Incidents (${incidents.length})`}
            testId="alerts-incidents"
            action={
              data.firing > 0 ? (
                <Typography variant="body2" color="error.main" sx={{ fontWeight: 600 }} data-testid="alerts-firing">
                  {data.firing} need{data.firing === 1 ? "s" : ""} attention
                </Typography>
              ) : undefined
            }
          >
            {incidents.length === 0 ? (
              <Typography color="text.secondary" sx={{ px: 2, py: 2 }} data-testid="alerts-no-incidents">
                No incident: no alert has fired yet.
              </Typography>
            ) : (
              incidents.map((incident) => {
                const isSelected = incident.id === selectedId;
                const expanded = toggled.get(incident.id) ?? isSelected;
                return (
                  <IncidentRow
                    key={incident.id}
                    incident={incident}
                    alerts={list}
                    now={now}
                    selected={isSelected}
                    expanded={expanded}
                    onToggle={() => toggle(incident.id, expanded)}
                    acknowledging={busy === `ack:${incident.id}`}
                    onAcknowledge={() => void acknowledge(incident)}
                    rowRef={
                      isSelected
                        ? (el) => {
                            selectedRef.current = el;
                          }
                        : undefined
                    }
                  />
                );
              })
            )}
          </Section>
          <Section
            title={`Alerts (${list.length})`}
            testId="alerts-table"
            action={
              firingAlerts > 0 ? (
                <Typography variant="body2" color="text.secondary">
                  {firingAlerts} firing
                </Typography>
              ) : undefined
            }
          >
            {list.length === 0 ? (
              <Typography color="text.secondary" sx={{ px: 2, py: 2 }} data-testid="alerts-no-alerts">
                No alert is pending, firing or resolved recently.
              </Typography>
            ) : (
              <Box sx={{ overflowX: "auto" }}>
                <Table size="small" aria-label="Alerts">
                  <TableHead>
                    <TableRow>
                      <TableCell>State</TableCell>
                      <TableCell>Severity</TableCell>
                      <TableCell>Rule</TableCell>
                      <TableCell align="right">Value</TableCell>
                      <TableCell>Since</TableCell>
                      <TableCell>Labels</TableCell>
                      <TableCell align="right">
                        <Box component="span" sx={visuallyHidden}>
                          Actions
                        </Box>
                      </TableCell>
                    </TableRow>
                  </TableHead>
                  <TableBody>
                    {list.map((a) => (
                      <AlertRow
                        key={a.id}
                        alert={a}
                        now={now}
                        busy={busy === `silence:${a.id}`}
                        onSilence={(minutes) => void silence(a, minutes)}
                      />
                    ))}
                  </TableBody>
                </Table>
              </Box>
            )}
          </Section>
        </>
      ) : null}
    </>
  );
}

