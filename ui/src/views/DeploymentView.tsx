import CheckIcon from "@mui/icons-material/Check";
import CloseIcon from "@mui/icons-material/Close";
import StopIcon from "@mui/icons-material/Stop";
import Alert from "@mui/material/Alert";
import AlertTitle from "@mui/material/AlertTitle";
import Box from "@mui/material/Box";
import Breadcrumbs from "@mui/material/Breadcrumbs";
import Button from "@mui/material/Button";
import Chip from "@mui/material/Chip";
import Dialog from "@mui/material/Dialog";
import DialogActions from "@mui/material/DialogActions";
import DialogContent from "@mui/material/DialogContent";
import DialogContentText from "@mui/material/DialogContentText";
import DialogTitle from "@mui/material/DialogTitle";
import Link from "@mui/material/Link";
import Paper from "@mui/material/Paper";
import Stack from "@mui/material/Stack";
import { alpha, useTheme } from "@mui/material/styles";
import Table from "@mui/material/Table";
import TableBody from "@mui/material/TableBody";
import TableCell from "@mui/material/TableCell";
import TableHead from "@mui/material/TableHead";
import TableRow from "@mui/material/TableRow";
import TextField from "@mui/material/TextField";
import Typography from "@mui/material/Typography";
import { useCallback, useId, useMemo, useState, type ReactNode } from "react";
import { Link as RouterLink, useParams } from "react-router";

import { DECISION_COMMENT_MAX, decideDeployment, deploymentDetail, onLog, onRunEvent, toErrorDto } from "../api";
import type { DeploymentEvent } from "../bindings/DeploymentEvent";
import type { DeploymentRecord } from "../bindings/DeploymentRecord";
import type { ErrorDto } from "../bindings/ErrorDto";
import type { LogAppendDto } from "../bindings/LogAppendDto";
import type { RunEventDto } from "../bindings/RunEventDto";
import { ErrorAlert } from "../components/ErrorAlert";
import { PageLoading, Section } from "../components/Page";
import {
  decisionNotice,
  deploymentTitle,
  formatMeasured,
  isCanary,
  isDeploymentActive,
  isDeploymentLogLine,
  latestWeights,
  measurementsOf,
  OUTCOME_LABEL,
  seriesOf,
  targetNames,
  targetsByWave,
  type CheckSeries,
  type DeploymentAction,
  type MeasurementOutcome,
  type MeasurementRow,
  type TargetWeight,
  type WaitKind,
  waitKind,
} from "../deployments";
import { durationOf, formatDateTime, formatDuration, shortCommit, toMs } from "../format";
import { useLoader, useNow, useSubscription } from "../hooks";
import { useNotify } from "../notify";
import { attentionColor, DEPLOY_STATUS_LABEL, DeployStatusChip, type DeployStatus } from "../status";
import { MONO_FONT } from "../theme";

const DEPLOY_STATUSES = new Set<string>(Object.keys(DEPLOY_STATUS_LABEL));

function isDeployStatus(status: string): status is DeployStatus {
  return DEPLOY_STATUSES.has(status);
}

function Fact({ label, children, testId }: { label: string; children: ReactNode; testId?: string }) {
  return (
    <Box sx={{ minWidth: 0 }}>
      <Typography variant="caption" color="text.secondary" component="div">
        {label}
      </Typography>
      <Typography variant="body2" component="div" data-testid={testId} sx={{ wordBreak: "break-word" }}>
        {children}
      </Typography>
    </Box>
  );
}

function Mono({ children }: { children: ReactNode }) {
  return (
    <Box component="span" sx={{ fontFamily: MONO_FONT, fontSize: "0.95em" }}>
      {children}
    </Box>
  );
}

function Facts({ deployment, project, now }: { deployment: DeploymentRecord; project: string; now: number }) {
  const created = toMs(deployment.created_at);
  const finished = toMs(deployment.finished_at);
  const duration = durationOf({ started_at: deployment.created_at, finished_at: deployment.finished_at, duration_ms: null }, now);
  return (
    <Paper variant="outlined" sx={{ p: 2, mb: 3 }} data-testid="deployment-facts">
      <Box sx={{ display: "grid", gap: 2, gridTemplateColumns: "repeat(auto-fill, minmax(180px, 1fr))" }}>
        <Fact label="Project">
          <Link component={RouterLink} to={`/projects/${encodeURIComponent(project)}`} data-testid="deployment-project">
            {project}
          </Link>
        </Fact>
        <Fact label="Run">
          <Link component={RouterLink} to={`/runs/${deployment.run_id}`} data-testid="deployment-run-link">
            Run #{deployment.run_id}
          </Link>
        </Fact>
        <Fact label="Image" testId="deployment-image">
          {deployment.image ? <Mono>{deployment.image}</Mono> : "—"}
        </Fact>
        <Fact label="Commit" testId="deployment-commit">
          {deployment.commit ? (
            <Box component="span" title={deployment.commit}>
              <Mono>{shortCommit(deployment.commit)}</Mono>
            </Box>
          ) : (
            "—"
          )}
        </Fact>
        <Fact label="Started" testId="deployment-created">
          {created !== null ? formatDateTime(created) : "—"}
        </Fact>
        <Fact label={finished === null && isDeploymentActive(deployment.status) ? "Running for" : "Ended"} testId="deployment-finished">
          {finished !== null
            ? `${formatDateTime(finished)} · took ${formatDuration(duration)}`
            : isDeploymentActive(deployment.status)
              ? formatDuration(duration)
              : "—"}
        </Fact>
      </Box>
    </Paper>
  );
}

// ---- Targets ----------------------------------------------------------------

function TargetsTable({ deployment, weights }: { deployment: DeploymentRecord; weights: Map<string, TargetWeight> }) {
  const canary = showsTraffic(deployment, weights);
  const newLabel = newVersionLabel(deployment);
  const waves = targetsByWave(deployment.targets);
  if (waves.length === 0) {
    return (
      <Typography color="text.secondary" sx={{ px: 2, py: 2 }}>
        No target recorded.
      </Typography>
    );
  }
  return (
    <Box sx={{ overflowX: "auto" }}>
      <Table size="small" aria-label="Targets by wave">
        <TableHead>
          <TableRow>
            <TableCell sx={{ width: 72 }}>Wave</TableCell>
            <TableCell>Target</TableCell>
            <TableCell>Status</TableCell>
            {canary ? <TableCell>{newLabel} traffic</TableCell> : null}
            <TableCell>Reason</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {waves.map(({ wave, targets }) =>
            targets.map((t, i) => {
              const w = weights.get(t.name);
              return (
                <TableRow
                  key={`${wave}:${t.name}`}
                  data-testid="deployment-target"
                  data-name={t.name}
                  data-wave={t.wave}
                  data-status={t.status}
                >
                  {i === 0 ? (
                    <TableCell rowSpan={targets.length} sx={{ verticalAlign: "top", fontWeight: 600 }}>
                      {wave}
                    </TableCell>
                  ) : null}
                  <TableCell sx={{ fontFamily: MONO_FONT, fontWeight: 600 }}>{t.name}</TableCell>
                  <TableCell>
                    <DeployStatusChip status={t.status} testId="deployment-target-status" />
                  </TableCell>
                  {canary ? (
                    <TableCell sx={{ whiteSpace: "nowrap" }}>
                      {w ? `${w.weight.canary}% (step ${w.weight.step}/${w.weight.of})` : "—"}
                    </TableCell>
                  ) : null}
                  <TableCell sx={{ whiteSpace: "pre-wrap", wordBreak: "break-word" }} data-testid="deployment-target-reason">
                    {t.reason ?? "—"}
                  </TableCell>
                </TableRow>
              );
            }),
          )}
        </TableBody>
      </Table>
    </Box>
  );
}

// ---- Traffic ----------------------------------------------------------------

/** A target's traffic: the stable share and the canary's, side by side, from its latest weight event. */
export function TrafficBar({
  target,
  weight,
  version,
  newLabel = "Canary",
}: {
  target: string;
  weight: TargetWeight;
  version: string;
  /** What the new version is called: "Canary", or "New" (blue-green). */
  newLabel?: string;
}) {
  const theme = useTheme();
  const { canary, stable, step, of } = weight.weight;
  const at = toMs(weight.at);
  const stableColor = theme.palette.primary.main;
  const canaryColor = attentionColor(theme);
  const note =
    canary === 0 && step < of
      ? "all the traffic is back on the stable version"
      : canary === 100 && step === of
        ? `promoted: ${version} takes all the traffic`
        : `step ${step} of ${of}`;
  const label = `${target}: stable ${stable}%, ${newLabel.toLowerCase()} ${version} ${canary}% (${note})`;
  const segment = (share: number, color: string, text: string, testId: string) =>
    share > 0 ? (
      <Box
        data-testid={testId}
        sx={{
          width: `${share}%`,
          bgcolor: color,
          color: theme.palette.getContrastText(color),
          display: "flex",
          alignItems: "center",
          justifyContent: "center",
          fontSize: 12,
          fontWeight: 600,
          overflow: "hidden",
          whiteSpace: "nowrap",
          transition: "width 300ms",
        }}
      >
        {share >= 12 ? text : null}
      </Box>
    ) : null;
  return (
    <Box
      data-testid="traffic-bar"
      data-target={target}
      data-canary={canary}
      data-stable={stable}
      data-step={step}
      data-steps={of}
      sx={{ px: 2, py: 1.5, borderBottom: 1, borderColor: "divider", "&:last-child": { borderBottom: 0 } }}
    >
      <Stack direction="row" gap={1} alignItems="baseline" flexWrap="wrap" sx={{ mb: 0.75 }}>
        <Typography variant="body2" sx={{ fontFamily: MONO_FONT, fontWeight: 600 }}>
          {target}
        </Typography>
        <Typography variant="caption" color="text.secondary" data-testid="traffic-note">
          {note}
          {at !== null ? ` · ${formatDateTime(at)}` : ""}
        </Typography>
      </Stack>
      <Box
        role="img"
        aria-label={label}
        sx={{ display: "flex", height: 24, borderRadius: 1, overflow: "hidden", bgcolor: "action.hover" }}
      >
        {segment(stable, stableColor, `stable ${stable}%`, "traffic-stable-segment")}
        {segment(canary, canaryColor, `${newLabel.toLowerCase()} ${canary}%`, "traffic-canary-segment")}
      </Box>
      <Stack direction="row" justifyContent="space-between" sx={{ mt: 0.5 }}>
        <Stack direction="row" gap={0.75} alignItems="center">
          <Box sx={{ width: 10, height: 10, borderRadius: "2px", bgcolor: stableColor }} aria-hidden />
          <Typography variant="caption" data-testid="traffic-stable">
            Stable {stable}%
          </Typography>
        </Stack>
        <Stack direction="row" gap={0.75} alignItems="center">
          <Typography variant="caption" data-testid="traffic-canary">
            {newLabel} {version} {canary}%
          </Typography>
          <Box sx={{ width: 10, height: 10, borderRadius: "2px", bgcolor: canaryColor }} aria-hidden />
        </Stack>
      </Stack>
    </Box>
  );
}

/** Whether the deployment moves traffic between two versions (a canary, blue-green), or did. */
function showsTraffic(deployment: DeploymentRecord, weights: Map<string, TargetWeight>): boolean {
  return isCanary(deployment) || deployment.strategy === "blue-green" || weights.size > 0;
}

function newVersionLabel(deployment: DeploymentRecord): string {
  return deployment.strategy === "blue-green" ? "New" : "Canary";
}

function Traffic({ deployment, weights }: { deployment: DeploymentRecord; weights: Map<string, TargetWeight> }) {
  const newLabel = newVersionLabel(deployment);
  return (
    <Section title="Traffic" testId="deployment-traffic">
      {deployment.targets.map((t) => {
        const w = weights.get(t.name);
        return w ? (
          <TrafficBar key={t.name} target={t.name} weight={w} version={deployment.version} newLabel={newLabel} />
        ) : (
          <Typography
            key={t.name}
            variant="body2"
            color="text.secondary"
            data-testid="traffic-none"
            data-target={t.name}
            sx={{ px: 2, py: 1.5, borderBottom: 1, borderColor: "divider", "&:last-child": { borderBottom: 0 } }}
          >
            <Mono>{t.name}</Mono>: no traffic on {deployment.version} yet (all of it on the stable version).
          </Typography>
        );
      })}
    </Section>
  );
}

// ---- Measurements -----------------------------------------------------------

const PLOT = { width: 168, height: 52, pad: 6 };

/** A check's values (dots: green passed, red failed) against its threshold (dashed), in measurement order. */
export function CheckPlot({ series }: { series: CheckSeries }) {
  const theme = useTheme();
  const titleId = useId();
  const values = series.points.map((p) => (p.value !== null && Number.isFinite(p.value) ? p.value : null));
  const numbers = values.filter((v): v is number => v !== null);
  const threshold = series.condition?.threshold;
  const span = [...numbers, ...(threshold !== undefined && Number.isFinite(threshold) ? [threshold] : [])];
  const where = series.target ? ` on ${series.target}` : "";
  const title = `${series.check}${where}: ${series.points.length} measurement${series.points.length === 1 ? "" : "s"}${
    series.condition ? ` against ${series.condition.text}` : ""
  }`;
  let body: ReactNode = null;
  if (numbers.length > 0) {
    let lo = Math.min(...span);
    let hi = Math.max(...span);
    if (hi === lo) {
      const d = Math.abs(hi) || 1;
      lo -= d / 2;
      hi += d / 2;
    }
    const { width, height, pad } = PLOT;
    const n = values.length;
    const x = (i: number) => (n === 1 ? width / 2 : pad + (i * (width - 2 * pad)) / (n - 1));
    const y = (v: number) => height - pad - ((v - lo) / (hi - lo)) * (height - 2 * pad);
    const line = values
      .map((v, i) => (v === null ? null : `${x(i).toFixed(1)},${y(v).toFixed(1)}`))
      .filter((p): p is string => p !== null)
      .join(" ");
    body = (
      <>
        {threshold !== undefined && Number.isFinite(threshold) ? (
          <line
            data-testid="measurement-plot-threshold"
            x1={0}
            x2={width}
            y1={y(threshold)}
            y2={y(threshold)}
            stroke={theme.palette.text.secondary}
            strokeDasharray="4 3"
            strokeWidth={1}
          />
        ) : null}
        <polyline points={line} fill="none" stroke={theme.palette.text.primary} strokeOpacity={0.5} strokeWidth={1.25} />
        {values.map((v, i) =>
          v === null ? null : (
            <circle
              key={i}
              data-testid="measurement-plot-point"
              data-outcome={series.points[i].outcome}
              cx={x(i)}
              cy={y(v)}
              r={3}
              fill={series.points[i].outcome === "failed" ? theme.palette.error.main : theme.palette.success.main}
            >
              <title>{`step ${series.points[i].step}, ${series.points[i].round}/${series.points[i].rounds}: ${formatMeasured(
                series.points[i].value,
                series.points[i].valueText,
              )} ${OUTCOME_LABEL[series.points[i].outcome]}`}</title>
            </circle>
          ),
        )}
      </>
    );
  }
  return (
    <Paper
      variant="outlined"
      sx={{ p: 1.25, minWidth: PLOT.width + 24 }}
      data-testid="measurement-plot"
      data-check={series.check}
      data-target={series.target ?? ""}
      data-threshold={threshold ?? ""}
    >
      <Typography variant="caption" component="div" sx={{ fontFamily: MONO_FONT, fontWeight: 600 }} noWrap>
        {series.check}
        {where}
      </Typography>
      <Typography variant="caption" component="div" color="text.secondary">
        {series.condition ? `passes when ${series.condition.text}` : "no condition seen"}
      </Typography>
      {numbers.length > 0 ? (
        <svg
          width={PLOT.width}
          height={PLOT.height}
          viewBox={`0 0 ${PLOT.width} ${PLOT.height}`}
          role="img"
          aria-labelledby={titleId}
          style={{ display: "block", marginTop: 4 }}
        >
          <title id={titleId}>{title}</title>
          {body}
        </svg>
      ) : (
        <Typography variant="caption" color="text.secondary" component="div" sx={{ mt: 0.5 }}>
          No value measured
        </Typography>
      )}
    </Paper>
  );
}

function OutcomeChip({ outcome }: { outcome: MeasurementOutcome }) {
  return (
    <Chip
      size="small"
      label={OUTCOME_LABEL[outcome]}
      color={outcome === "passed" ? "success" : outcome === "failed" ? "error" : outcome === "error" ? "warning" : "default"}
      variant={outcome === "failed" ? "filled" : "outlined"}
      data-testid="measurement-outcome"
      data-outcome={outcome}
    />
  );
}

function Measurements({ rows, showTarget }: { rows: MeasurementRow[]; showTarget: boolean }) {
  const theme = useTheme();
  const series = useMemo(() => seriesOf(rows), [rows]);
  const failed = rows.filter((r) => r.outcome === "failed").length;
  return (
    <Section
      title={`Measurements (${rows.length})`}
      testId="deployment-measurements"
      action={
        failed > 0 ? (
          <Typography variant="body2" color="error.main" sx={{ fontWeight: 600 }} data-testid="measurements-failed">
            {failed} failed
          </Typography>
        ) : undefined
      }
    >
      <Stack direction="row" gap={1.5} flexWrap="wrap" sx={{ p: 2, pb: 1 }}>
        {series.map((s) => (
          <CheckPlot key={`${s.target ?? ""}:${s.check}`} series={s} />
        ))}
      </Stack>
      <Box sx={{ overflowX: "auto" }}>
        <Table size="small" aria-label="Analysis measurements">
          <TableHead>
            <TableRow>
              <TableCell>Time</TableCell>
              {showTarget ? <TableCell>Target</TableCell> : null}
              <TableCell align="right">Step</TableCell>
              <TableCell align="right">Round</TableCell>
              <TableCell>Check</TableCell>
              <TableCell align="right">Value</TableCell>
              <TableCell>Condition</TableCell>
              <TableCell>Result</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {rows.map((r, i) => {
              const at = toMs(r.at);
              const bad = r.outcome === "failed";
              return (
                <TableRow
                  key={i}
                  data-testid="measurement"
                  data-target={r.target ?? ""}
                  data-step={r.step}
                  data-round={r.round}
                  data-check={r.check}
                  data-value={r.valueText ?? ""}
                  data-outcome={r.outcome}
                  data-highlighted={bad ? "true" : "false"}
                  sx={{
                    bgcolor: bad ? alpha(theme.palette.error.main, 0.1) : undefined,
                    "& td:first-of-type": { boxShadow: bad ? `inset 4px 0 0 ${theme.palette.error.main}` : undefined },
                  }}
                >
                  <TableCell sx={{ whiteSpace: "nowrap" }}>{at !== null ? formatDateTime(at) : "—"}</TableCell>
                  {showTarget ? <TableCell sx={{ fontFamily: MONO_FONT }}>{r.target ?? "—"}</TableCell> : null}
                  <TableCell align="right">{r.step}</TableCell>
                  <TableCell align="right" sx={{ whiteSpace: "nowrap" }}>
                    {r.round}/{r.rounds}
                  </TableCell>
                  <TableCell sx={{ fontFamily: MONO_FONT, fontWeight: 600 }}>{r.check}</TableCell>
                  <TableCell
                    align="right"
                    sx={{ fontFamily: MONO_FONT, color: bad ? "error.main" : undefined, fontWeight: bad ? 700 : undefined }}
                    data-testid="measurement-value"
                  >
                    {formatMeasured(r.value, r.valueText)}
                  </TableCell>
                  <TableCell sx={{ fontFamily: MONO_FONT }}>{r.condition?.text ?? "—"}</TableCell>
                  <TableCell>
                    <Stack direction="row" gap={1} alignItems="center">
                      <OutcomeChip outcome={r.outcome} />
                      {r.error ? (
                        <Typography variant="caption" color="text.secondary" sx={{ wordBreak: "break-word" }}>
                          {r.error}
                        </Typography>
                      ) : null}
                    </Stack>
                  </TableCell>
                </TableRow>
              );
            })}
          </TableBody>
        </Table>
      </Box>
    </Section>
  );
}

// ---- Events -----------------------------------------------------------------

function EventStatus({ status }: { status: string }) {
  const theme = useTheme();
  if (isDeployStatus(status)) return <DeployStatusChip status={status} />;
  const amber = attentionColor(theme);
  return (
    <Chip
      size="small"
      variant={status === "waiting" ? "filled" : "outlined"}
      label={status}
      color={
        status === "promoted" || status === "approved" ? "success" : status === "aborted" || status === "rejected" ? "error" : "default"
      }
      sx={status === "waiting" ? { bgcolor: amber, color: theme.palette.getContrastText(amber) } : undefined}
    />
  );
}

function Events({ events }: { events: DeploymentEvent[] }) {
  return (
    <Section title={`Events (${events.length})`} testId="deployment-events">
      {events.length === 0 ? (
        <Typography color="text.secondary" sx={{ px: 2, py: 2 }}>
          Nothing recorded yet.
        </Typography>
      ) : (
        <Box sx={{ overflowX: "auto" }}>
          <Table size="small" aria-label="Events, oldest first">
            <TableHead>
              <TableRow>
                <TableCell>Time</TableCell>
                <TableCell>Target</TableCell>
                <TableCell>Status</TableCell>
                <TableCell>Message</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {events.map((e, i) => {
                const at = toMs(e.at);
                return (
                  <TableRow
                    key={i}
                    data-testid="deployment-event"
                    data-status={e.status}
                    data-target={e.target ?? ""}
                    sx={{ "&:last-child td": { borderBottom: 0 } }}
                  >
                    <TableCell sx={{ whiteSpace: "nowrap" }}>{at !== null ? formatDateTime(at) : "—"}</TableCell>
                    <TableCell sx={{ fontFamily: MONO_FONT }}>{e.target ?? "—"}</TableCell>
                    <TableCell>
                      <EventStatus status={e.status} />
                    </TableCell>
                    <TableCell sx={{ whiteSpace: "pre-wrap", wordBreak: "break-word" }}>{e.message ?? ""}</TableCell>
                  </TableRow>
                );
              })}
            </TableBody>
          </Table>
        </Box>
      )}
    </Section>
  );
}

// ---- Actions ----------------------------------------------------------------

interface ActionText {
  verb: string;
  busy: string;
  /** "could not be <done>". */
  done: string;
  color: "success" | "error";
}

/** An action's words: promoting and aborting an approval read "Approve" and "Reject". */
function actionText(action: DeploymentAction, kind: WaitKind | null): ActionText {
  const approval = kind === "approval";
  switch (action) {
    case "promote":
      return approval
        ? { verb: "Approve", busy: "Approving…", done: "approved", color: "success" }
        : { verb: "Promote", busy: "Promoting…", done: "promoted", color: "success" };
    case "abort":
      return approval
        ? { verb: "Reject", busy: "Rejecting…", done: "rejected", color: "error" }
        : { verb: "Abort", busy: "Aborting…", done: "aborted", color: "error" };
    case "stop":
      return { verb: "Stop", busy: "Stopping…", done: "stopped", color: "error" };
  }
}

/** What the action does, in the words of docs/deployments.md. */
function consequence(action: DeploymentAction, d: DeploymentRecord, kind: WaitKind | null): string {
  const what = `${d.app} ${d.version}`;
  switch (action) {
    case "promote":
      return kind === "approval"
        ? `${what} is applied to its targets, wave by wave, as the diff in the run's log shows.`
        : `The canary of ${what} goes on with its next step, although the analysis could not decide.`;
    case "abort":
      return kind === "approval"
        ? `Nothing of ${what} is applied: the deployment ends cancelled.`
        : `The canary of ${what} is aborted: 100% of the traffic goes back to the stable version, and the deployment ends rolled back.`;
    case "stop":
      return `The deployment of ${what} is cancelled: a canary is aborted (the stable version takes the traffic back), a rolling update is rolled back, and the waves not started are skipped.`;
  }
}

interface ConfirmProps {
  action: DeploymentAction | null;
  kind: WaitKind | null;
  deployment: DeploymentRecord;
  onCancel: () => void;
  onConfirm: (action: DeploymentAction, comment: string | null) => void;
}

/** Asks before anything is done: names the app, the environment and the targets. */
function ConfirmDialog({ action, kind, deployment, onCancel, onConfirm }: ConfirmProps) {
  const titleId = useId();
  const [comment, setComment] = useState("");
  const length = [...comment].length;
  const tooLong = length > DECISION_COMMENT_MAX;
  // The last action asked for: the dialog keeps its words while it closes.
  const [last, setLast] = useState<DeploymentAction>(action ?? "stop");
  if (action !== null && action !== last) setLast(action);
  const shown = action ?? last;
  const text = actionText(shown, kind);
  return (
    <Dialog
      open={action !== null}
      onClose={onCancel}
      aria-labelledby={titleId}
      maxWidth="sm"
      fullWidth
      slotProps={{ transition: { onExited: () => setComment("") } }}
    >
      <DialogTitle id={titleId}>
        {text.verb} {deployment.app} {deployment.version} in {deployment.environment}?
      </DialogTitle>
      <DialogContent data-testid="deployment-confirm-dialog" data-action={shown} data-kind={kind ?? ""}>
        <DialogContentText sx={{ mb: 1.5 }}>{consequence(shown, deployment, kind)}</DialogContentText>
        <Table size="small" sx={{ mb: 2 }} aria-label="What this affects">
          <TableBody>
            <TableRow>
              <TableCell sx={{ width: 120, color: "text.secondary" }}>App</TableCell>
              <TableCell data-testid="deployment-confirm-app">
                {deployment.app} {deployment.version} (revision {deployment.revision})
              </TableCell>
            </TableRow>
            <TableRow>
              <TableCell sx={{ color: "text.secondary" }}>Environment</TableCell>
              <TableCell data-testid="deployment-confirm-environment">{deployment.environment}</TableCell>
            </TableRow>
            <TableRow>
              <TableCell sx={{ color: "text.secondary", borderBottom: 0 }}>Targets</TableCell>
              <TableCell sx={{ borderBottom: 0 }} data-testid="deployment-confirm-targets">
                {targetNames(deployment)}
              </TableCell>
            </TableRow>
          </TableBody>
        </Table>
        <TextField
          label="Comment (optional)"
          value={comment}
          onChange={(e) => setComment(e.target.value)}
          multiline
          minRows={2}
          maxRows={6}
          fullWidth
          size="small"
          error={tooLong}
          helperText={
            tooLong
              ? `${length} of at most ${DECISION_COMMENT_MAX} characters: shorten it to send it`
              : "Kept in the deployment's history with who decided and when."
          }
          slotProps={{ htmlInput: { "data-testid": "deployment-comment" } }}
        />
      </DialogContent>
      <DialogActions>
        <Button onClick={onCancel} autoFocus data-testid="deployment-confirm-cancel">
          Cancel
        </Button>
        <Button
          color={text.color}
          variant="contained"
          disabled={tooLong}
          onClick={() => onConfirm(shown, comment.trim() === "" ? null : comment.trim())}
          data-testid="deployment-confirm"
        >
          {text.verb}
        </Button>
      </DialogActions>
    </Dialog>
  );
}

// ---- The view ---------------------------------------------------------------

/**
 * One deployment: what was shipped where, its targets by wave, the canary's
 * traffic, the analysis measurements and every event; Promote / Abort while
 * it waits for a person, Stop while it runs (each after a confirmation).
 * Read again on its run's events and, while it runs, when its deploy job logs
 * a weight or a measurement.
 */
export function DeploymentView() {
  const params = useParams();
  const id = Number(params.id);
  const valid = Number.isSafeInteger(id) && id > 0;
  const detail = useLoader(valid ? `deployment:${id}` : null, () => deploymentDetail(id));
  const notify = useNotify();
  const [asking, setAsking] = useState<DeploymentAction | null>(null);
  const [busy, setBusy] = useState<DeploymentAction | null>(null);
  const [actionError, setActionError] = useState<{ title: string; error: ErrorDto } | null>(null);

  const data = detail.data;
  const deployment = data?.deployment;
  const active = deployment ? isDeploymentActive(deployment.status) : false;
  const now = useNow(1000, active);

  const runId = deployment?.run_id ?? null;
  const subscribeRun = useCallback((h: (e: RunEventDto) => void) => onRunEvent(runId ?? 0, h), [runId]);
  useSubscription(runId !== null ? subscribeRun : null, () => detail.reload());
  // Weights and measurements are lines of the deploy job's log, not run events.
  const jobId = active && deployment ? deployment.job_id : null;
  const subscribeLog = useCallback((h: (e: LogAppendDto) => void) => onLog(jobId ?? 0, h), [jobId]);
  useSubscription(jobId !== null ? subscribeLog : null, (append) => {
    if (append.lines.some((l) => isDeploymentLogLine(l.text))) detail.reload();
  });

  const events = useMemo(() => data?.events ?? [], [data]);
  const weights = useMemo(() => latestWeights(events), [events]);
  const measurements = useMemo(() => measurementsOf(events), [events]);
  const kind = waitKind(events, data?.waiting ?? null);

  const decide = async (action: DeploymentAction, comment: string | null) => {
    if (!deployment) return;
    setAsking(null);
    setBusy(action);
    setActionError(null);
    try {
      const word = await decideDeployment(deployment.id, action === "promote", comment);
      notify(decisionNotice(deployment, word, action === "stop" ? null : kind), word === "promoted" ? "success" : "info");
    } catch (e) {
      const { done } = actionText(action, kind);
      setActionError({ title: `Deployment #${deployment.id} could not be ${done}`, error: toErrorDto(e) });
    } finally {
      setBusy(null);
      detail.reload();
    }
  };

  const breadcrumbs = (
    <Breadcrumbs sx={{ mb: 1 }}>
      <Link component={RouterLink} to="/deployments" underline="hover" color="inherit" data-testid="deployment-back">
        Deployments
      </Link>
      <Typography color="text.primary">#{params.id}</Typography>
    </Breadcrumbs>
  );

  if (!valid) {
    return (
      <>
        {breadcrumbs}
        <Alert severity="info" data-testid="deployment-invalid">
          “{params.id}” is not a deployment number.
        </Alert>
      </>
    );
  }
  if (detail.loading) return <PageLoading />;
  if (!data || !deployment) {
    return (
      <>
        {breadcrumbs}
        {detail.error ? (
          <ErrorAlert
            error={detail.error}
            title={detail.error.code === "not_found" ? `Deployment #${id} does not exist` : `Deployment #${id} could not be loaded`}
            onRetry={detail.error.code === "not_found" ? undefined : detail.reload}
          />
        ) : null}
        <Button component={RouterLink} to="/deployments" sx={{ mt: 2 }}>
          Back to the deployments
        </Button>
      </>
    );
  }

  const waiting = data.waiting;
  const traffic = showsTraffic(deployment, weights);
  const promote = actionText("promote", kind);
  const abort = actionText("abort", kind);
  const reasonSeverity =
    deployment.status === "failed" ? "error" : deployment.status === "rolled_back" ? "warning" : "info";

  return (
    <Box data-testid="deployment-detail" data-id={deployment.id} data-status={deployment.status}>
      {breadcrumbs}
      <Stack direction="row" alignItems="center" gap={2} flexWrap="wrap" sx={{ mb: 2 }}>
        <Typography variant="h4" component="h1" data-testid="deployment-title" sx={{ wordBreak: "break-word" }}>
          {deploymentTitle(deployment)}
        </Typography>
        <DeployStatusChip status={deployment.status} size="medium" testId="deployment-status" />
        {waiting !== null ? <WaitingChip kind={kind} /> : null}
        <Box sx={{ flex: 1 }} />
        {active && waiting === null ? (
          <Button
            color="error"
            variant="outlined"
            startIcon={<StopIcon />}
            onClick={() => setAsking("stop")}
            disabled={busy !== null}
            aria-haspopup="dialog"
            data-testid="deployment-stop"
          >
            {busy === "stop" ? actionText("stop", kind).busy : "Stop"}
          </Button>
        ) : null}
      </Stack>
      {detail.error ? (
        <Box sx={{ mb: 2 }}>
          <ErrorAlert error={detail.error} title="The deployment could not be read again" onRetry={detail.reload} />
        </Box>
      ) : null}
      {actionError ? (
        <Box sx={{ mb: 2 }}>
          <ErrorAlert error={actionError.error} title={actionError.title} testId="deployment-action-error" focusOnShow />
        </Box>
      ) : null}
      {waiting !== null ? (
        <Alert
          severity="warning"
          sx={{ mb: 2 }}
          data-testid="deployment-waiting"
          action={
            <Stack direction="row" gap={1} sx={{ alignSelf: "center" }}>
              <Button
                variant="contained"
                color="success"
                startIcon={<CheckIcon />}
                onClick={() => setAsking("promote")}
                disabled={busy !== null}
                aria-haspopup="dialog"
                data-testid="deployment-promote"
              >
                {busy === "promote" ? promote.busy : promote.verb}
              </Button>
              <Button
                variant="outlined"
                color="error"
                startIcon={<CloseIcon />}
                onClick={() => setAsking("abort")}
                disabled={busy !== null}
                aria-haspopup="dialog"
                data-testid="deployment-abort"
                sx={{ bgcolor: "background.paper" }}
              >
                {busy === "abort" ? abort.busy : abort.verb}
              </Button>
            </Stack>
          }
        >
          <AlertTitle>
            {kind === "approval"
              ? "Waiting for approval: nothing is applied until someone approves"
              : "Waiting for a person to promote or abort"}
          </AlertTitle>
          <Box sx={{ whiteSpace: "pre-wrap", wordBreak: "break-word" }} data-testid="deployment-waiting-question">
            {waiting}
          </Box>
        </Alert>
      ) : null}
      {deployment.reason ? (
        <Alert severity={reasonSeverity} sx={{ mb: 2 }} data-testid="deployment-reason">
          <Box sx={{ whiteSpace: "pre-wrap", wordBreak: "break-word" }}>{deployment.reason}</Box>
        </Alert>
      ) : null}
      <Facts deployment={deployment} project={data.project} now={now} />
      <Section title={`Targets (${deployment.targets.length})`} testId="deployment-targets">
        <TargetsTable deployment={deployment} weights={weights} />
      </Section>
      {traffic ? <Traffic deployment={deployment} weights={weights} /> : null}
      {measurements.length > 0 ? <Measurements rows={measurements} showTarget={deployment.targets.length > 1} /> : null}
      <Events events={events} />
      <ConfirmDialog
        action={asking}
        kind={kind}
        deployment={deployment}
        onCancel={() => setAsking(null)}
        onConfirm={decide}
      />
    </Box>
  );
}

function WaitingChip({ kind }: { kind: WaitKind | null }) {
  const theme = useTheme();
  const amber = attentionColor(theme);
  return (
    <Chip
      label={kind === "approval" ? "Waiting for approval" : "Waiting for a person"}
      data-testid="deployment-waiting-chip"
      sx={{ bgcolor: amber, color: theme.palette.getContrastText(amber) }}
    />
  );
}
