import DownloadIcon from "@mui/icons-material/Download";
import Box from "@mui/material/Box";
import Button from "@mui/material/Button";
import FormControl from "@mui/material/FormControl";
import InputLabel from "@mui/material/InputLabel";
import LinearProgress from "@mui/material/LinearProgress";
import MenuItem from "@mui/material/MenuItem";
import Paper from "@mui/material/Paper";
import Select from "@mui/material/Select";
import Stack from "@mui/material/Stack";
import { useTheme } from "@mui/material/styles";
import Table from "@mui/material/Table";
import TableBody from "@mui/material/TableBody";
import TableCell from "@mui/material/TableCell";
import TableHead from "@mui/material/TableHead";
import TableRow from "@mui/material/TableRow";
import ToggleButton from "@mui/material/ToggleButton";
import ToggleButtonGroup from "@mui/material/ToggleButtonGroup";
import Typography from "@mui/material/Typography";
import { useEffect, useId, useMemo, useRef, useState, type HTMLAttributes, type ReactNode } from "react";

import {
  CHART,
  chartLayout,
  DEFAULT_WINDOW,
  formatRate,
  otherRuns,
  RELOAD_THROTTLE_MS,
  REPORT_FILE_NAME,
  windowLabel,
  WINDOWS,
  withHtmlExtension,
  type WindowDays,
} from "../analytics";
import {
  deliveryStats,
  deploymentStats,
  exportReport,
  listDeployments,
  listProjects,
  onProjects,
  onRuns,
  pickReportPath,
  toErrorDto,
} from "../api";
import type { DayStats } from "../bindings/DayStats";
import type { DeploymentRecord } from "../bindings/DeploymentRecord";
import type { DoraView } from "../bindings/DoraView";
import type { ErrorDto } from "../bindings/ErrorDto";
import type { RunSummaryView } from "../bindings/RunSummaryView";
import type { Spread } from "../bindings/Spread";
import type { StatsView } from "../bindings/StatsView";
import { ErrorAlert } from "../components/ErrorAlert";
import { Code, PageHeader, PageLoading, Section } from "../components/Page";
import { formatCount, formatDateTime, formatDuration, plural } from "../format";
import { useLoader, useSubscription } from "../hooks";
import { useNotify } from "../notify";
import { MONO_FONT } from "../theme";

/** The last value that was not undefined: what was shown stays while another window or project loads. */
function useLastDefined<T>(value: T | undefined): T | undefined {
  const [last, setLast] = useState(value);
  if (value !== undefined && value !== last) setLast(value);
  return value ?? last;
}

/**
 * Calls `reload` at most once per `ms` after a `runs` event (of `project`, or
 * any when null): a busy pipeline sends one per run created or changed.
 */
function useRunsReload(project: string | null, reload: () => void, ms = RELOAD_THROTTLE_MS) {
  const timer = useRef<number | undefined>(undefined);
  useEffect(
    () => () => {
      window.clearTimeout(timer.current);
      timer.current = undefined;
    },
    [],
  );
  useSubscription(onRuns, (run: RunSummaryView) => {
    if (project !== null && run.project !== project) return;
    if (timer.current !== undefined) return;
    timer.current = window.setTimeout(() => {
      timer.current = undefined;
      reload();
    }, ms);
  });
}

// ---- Figures ------------------------------------------------------------------

/** A figure card: `testId` on the card, `${testId}-value` on its value, `${testId}-note` on the line under it. */
function Figure({
  name,
  label,
  value,
  note,
  testId = "analytics-figure",
}: {
  name: string;
  label: string;
  value: string;
  note?: ReactNode;
  testId?: string;
}) {
  const labelId = useId();
  return (
    <Paper
      variant="outlined"
      role="group"
      aria-labelledby={labelId}
      data-testid={testId}
      data-name={name}
      sx={{ p: 2, minWidth: 0 }}
    >
      <Typography id={labelId} variant="body2" color="text.secondary">
        {label}
      </Typography>
      <Typography variant="h5" component="p" sx={{ fontWeight: 600, my: 0.25 }} data-testid={`${testId}-value`}>
        {value}
      </Typography>
      {note ? (
        <Typography variant="caption" color="text.secondary" component="p" data-testid={`${testId}-note`}>
          {note}
        </Typography>
      ) : null}
    </Paper>
  );
}

function Figures({ stats }: { stats: StatsView }) {
  const ended = stats.succeeded + stats.failed;
  const flaky = stats.flaky_tests.length;
  return (
    <Box
      sx={{ display: "grid", gridTemplateColumns: "repeat(auto-fill, minmax(180px, 1fr))", gap: 2, mb: 3 }}
      data-testid="analytics-figures"
    >
      <Figure
        name="runs"
        label="Runs"
        value={formatCount(stats.runs)}
        note={`${formatCount(stats.succeeded)} succeeded · ${formatCount(stats.failed)} failed · ${formatCount(stats.cancelled)} cancelled`}
      />
      <Figure
        name="success_rate"
        label="Success rate"
        value={formatRate(stats.success_rate)}
        note={ended > 0 ? `of ${plural(ended, "ended run")} (cancelled left out)` : "no run has ended"}
      />
      <Figure
        name="p50_duration"
        label="Median duration"
        value={formatDuration(stats.duration.p50_ms)}
        note={stats.duration.count > 0 ? `of ${plural(stats.duration.count, "finished run")}` : "no run has finished"}
      />
      <Figure
        name="p95_duration"
        label="p95 duration"
        value={formatDuration(stats.duration.p95_ms)}
        note={stats.duration.max_ms !== null ? `longest ${formatDuration(stats.duration.max_ms)}` : undefined}
      />
      <Figure
        name="p50_queue"
        label="Median queue time"
        value={formatDuration(stats.queue.p50_ms)}
        note={stats.queue.p95_ms !== null ? `p95 ${formatDuration(stats.queue.p95_ms)}` : "no run has started"}
      />
      <Figure
        name="flaky"
        label="Flaky tests"
        value={formatCount(flaky)}
        note={flaky >= 20 ? "the 20 most flaky are listed" : "passed and failed on one commit"}
      />
    </Box>
  );
}

// ---- The day-by-day chart -------------------------------------------------------

function dayTitle(day: DayStats): string {
  const parts = [`${day.day}: ${plural(day.runs, "run")}`, `${formatCount(day.succeeded)} succeeded`, `${formatCount(day.failed)} failed`];
  const other = otherRuns(day);
  if (other > 0) parts.push(`${formatCount(other)} cancelled or not finished`);
  if (day.p50_duration_ms !== null) parts.push(`median duration ${formatDuration(day.p50_duration_ms)}`);
  return parts.join(", ");
}

function chartDescription(stats: StatsView, first: string | undefined, last: string | undefined): string {
  if (!first || !last) return "No day to show.";
  const busiest = stats.days.reduce<DayStats | null>((best, d) => (best === null || d.runs > best.runs ? d : best), null);
  const parts = [
    `${plural(stats.runs, "run")} from ${first} to ${last} (UTC days), ${plural(stats.days.length, "day")} with runs.`,
    `Each bar stacks the runs of a day that succeeded, that failed, and the others (cancelled or not finished).`,
  ];
  if (busiest) parts.push(`The busiest day is ${busiest.day} with ${plural(busiest.runs, "run")}.`);
  const durations = stats.days.filter((d) => d.p50_duration_ms !== null);
  if (durations.length > 0) {
    parts.push(
      `The line is the median duration of each day's finished runs, up to ${formatDuration(
        Math.max(...durations.map((d) => d.p50_duration_ms as number)),
      )}.`,
    );
  }
  return parts.join(" ");
}

function Swatch({ color, line = false }: { color: string; line?: boolean }) {
  return (
    <Box
      component="span"
      aria-hidden
      sx={{
        display: "inline-block",
        width: 12,
        height: line ? 3 : 12,
        borderRadius: line ? 1 : 0.5,
        bgcolor: color,
        mr: 0.75,
        verticalAlign: "middle",
      }}
    />
  );
}

function DaysChart({ stats }: { stats: StatsView }) {
  const theme = useTheme();
  const days = Math.max(1, Math.round((stats.until - stats.since) / 86_400_000));
  const titleId = useId();
  const descId = useId();
  const layout = useMemo(() => chartLayout(stats), [stats]);
  const { plot, slots, bars, line, maxRuns, maxDurationMs } = layout;
  const colors = {
    succeeded: theme.palette.success.main,
    failed: theme.palette.error.main,
    other: theme.palette.text.disabled,
    line: theme.palette.primary.main,
    grid: theme.palette.divider,
    text: theme.palette.text.secondary,
  };
  const bottom = plot.y + plot.height;
  const right = plot.x + plot.width;
  const slot = slots.length > 0 ? plot.width / slots.length : plot.width;
  const ticks = maxRuns >= 2 ? [0, Math.round(maxRuns / 2), maxRuns] : [0, maxRuns];
  const yOf = (runs: number) => bottom - (runs / maxRuns) * plot.height;
  const labels =
    slots.length === 0
      ? []
      : slots.length === 1
        ? [{ i: 0, anchor: "middle" as const }]
        : [
            { i: 0, anchor: "start" as const },
            ...(slots.length > 4 ? [{ i: Math.floor(slots.length / 2), anchor: "middle" as const }] : []),
            { i: slots.length - 1, anchor: "end" as const },
          ];
  const hasOther = stats.days.some((d) => otherRuns(d) > 0);
  const fontSize = 12;

  return (
    <Box sx={{ px: 2, pt: 2, pb: 1.5 }}>
      <Box
        component="svg"
        viewBox={`0 0 ${CHART.width} ${CHART.height}`}
        role="img"
        aria-labelledby={`${titleId} ${descId}`}
        data-testid="analytics-days-chart"
        sx={{ display: "block", width: "100%", height: "auto", maxHeight: 320, fontFamily: theme.typography.fontFamily }}
      >
        <title id={titleId}>{`Runs per day, last ${days} days`}</title>
        <desc id={descId}>{chartDescription(stats, slots[0], slots[slots.length - 1])}</desc>

        {/* The runs axis (left) and its grid. */}
        {ticks.map((t) => (
          <g key={`tick-${t}`} aria-hidden>
            <line x1={plot.x} x2={right} y1={yOf(t)} y2={yOf(t)} stroke={colors.grid} strokeWidth={1} />
            <text x={plot.x - 8} y={yOf(t)} dy="0.32em" textAnchor="end" fontSize={fontSize} fill={colors.text}>
              {t}
            </text>
          </g>
        ))}
        {/* The duration axis (right): its top is the longest median. */}
        {maxDurationMs !== null ? (
          <g aria-hidden>
            <text x={right + 8} y={plot.y} dy="0.32em" fontSize={fontSize} fill={colors.line}>
              {formatDuration(maxDurationMs)}
            </text>
            <text x={right + 8} y={bottom} dy="0.32em" fontSize={fontSize} fill={colors.line}>
              0
            </text>
          </g>
        ) : null}
        {/* The days: first, middle and last. */}
        {labels.map(({ i, anchor }) => (
          <text
            key={`day-${i}`}
            aria-hidden
            x={anchor === "start" ? plot.x : anchor === "end" ? right : plot.x + slot * (i + 0.5)}
            y={bottom + 18}
            textAnchor={anchor}
            fontSize={fontSize}
            fill={colors.text}
          >
            {slots[i]}
          </text>
        ))}

        {bars.map((bar) => {
          const i = slots.indexOf(bar.day.day);
          return (
            <g
              key={bar.day.day}
              data-testid="analytics-day"
              data-day={bar.day.day}
              data-runs={bar.day.runs}
              data-succeeded={bar.day.succeeded}
              data-failed={bar.day.failed}
            >
              <title>{dayTitle(bar.day)}</title>
              {/* The whole slot answers the pointer (a thin bar is hard to hit). */}
              <rect x={plot.x + slot * i} y={plot.y} width={slot} height={plot.height} fill="transparent" />
              {bar.segments.map((s) => (
                <rect
                  key={s.kind}
                  data-kind={s.kind}
                  x={bar.x}
                  y={s.y}
                  width={bar.width}
                  height={s.height}
                  fill={colors[s.kind]}
                />
              ))}
            </g>
          );
        })}

        {line.length > 1 ? (
          <polyline
            aria-hidden
            data-testid="analytics-duration-line"
            points={line.map((p) => `${p.x},${p.y}`).join(" ")}
            fill="none"
            stroke={colors.line}
            strokeWidth={2}
            strokeLinejoin="round"
            pointerEvents="none"
          />
        ) : null}
        {line.length <= 120
          ? line.map((p) => (
              <circle
                key={`point-${p.day}`}
                aria-hidden
                cx={p.x}
                cy={p.y}
                r={3}
                fill={colors.line}
                pointerEvents="none"
              />
            ))
          : null}
      </Box>
      <Stack
        direction="row"
        gap={2}
        flexWrap="wrap"
        sx={{ mt: 1 }}
        component="ul"
        aria-label="Legend"
        style={{ listStyle: "none", padding: 0, margin: 0 }}
      >
        <Typography component="li" variant="caption" color="text.secondary">
          <Swatch color={colors.succeeded} />
          Succeeded
        </Typography>
        <Typography component="li" variant="caption" color="text.secondary">
          <Swatch color={colors.failed} />
          Failed
        </Typography>
        {hasOther ? (
          <Typography component="li" variant="caption" color="text.secondary">
            <Swatch color={colors.other} />
            Cancelled or not finished
          </Typography>
        ) : null}
        {line.length > 0 ? (
          <Typography component="li" variant="caption" color="text.secondary">
            <Swatch color={colors.line} line />
            Median duration (right scale)
          </Typography>
        ) : null}
      </Stack>
    </Box>
  );
}

// ---- Tables ------------------------------------------------------------------------

const NUM = { fontFamily: MONO_FONT, whiteSpace: "nowrap" } as const;

function DaysTable({ stats }: { stats: StatsView }) {
  const newestFirst = useMemo(() => [...stats.days].reverse(), [stats.days]);
  return (
    <Box sx={{ overflow: "auto", maxHeight: 400 }}>
      <Table size="small" stickyHeader aria-label="Runs per day">
        <TableHead>
          <TableRow>
            <TableCell>Day (UTC)</TableCell>
            <TableCell align="right">Runs</TableCell>
            <TableCell align="right">Succeeded</TableCell>
            <TableCell align="right">Failed</TableCell>
            <TableCell align="right">Median duration</TableCell>
            <TableCell align="right">Tests</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {newestFirst.map((d) => (
            <TableRow key={d.day} data-testid="analytics-days-row" data-day={d.day}>
              <TableCell sx={NUM}>{d.day}</TableCell>
              <TableCell align="right" sx={NUM}>
                {formatCount(d.runs)}
              </TableCell>
              <TableCell align="right" sx={NUM}>
                {formatCount(d.succeeded)}
              </TableCell>
              <TableCell align="right" sx={NUM}>
                {formatCount(d.failed)}
              </TableCell>
              <TableCell align="right" sx={NUM}>
                {formatDuration(d.p50_duration_ms)}
              </TableCell>
              <TableCell align="right" sx={NUM}>
                {formatCount(d.tests)}
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </Box>
  );
}

function SpreadCells({ spread }: { spread: Spread }) {
  return (
    <>
      <TableCell align="right" sx={NUM} data-testid="analytics-slow-step-p50">
        {formatDuration(spread.p50_ms)}
      </TableCell>
      <TableCell align="right" sx={NUM}>
        {formatDuration(spread.p95_ms)}
      </TableCell>
      <TableCell align="right" sx={NUM}>
        {formatDuration(spread.max_ms)}
      </TableCell>
      <TableCell align="right" sx={NUM}>
        {formatCount(spread.count)}
      </TableCell>
    </>
  );
}

function SlowSteps({ stats, showProject }: { stats: StatsView; showProject: boolean }) {
  if (stats.slowest_steps.length === 0) {
    return (
      <Typography color="text.secondary" sx={{ px: 2, py: 2 }} data-testid="analytics-no-slow-steps">
        No step has finished in this window.
      </Typography>
    );
  }
  return (
    <Box sx={{ overflowX: "auto" }}>
      <Table size="small" aria-label="Slowest steps">
        <TableHead>
          <TableRow>
            {showProject ? <TableCell>Project</TableCell> : null}
            <TableCell>Job</TableCell>
            <TableCell>Step</TableCell>
            <TableCell align="right">Median</TableCell>
            <TableCell align="right">p95</TableCell>
            <TableCell align="right">Longest</TableCell>
            <TableCell align="right">Times run</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {stats.slowest_steps.map((s) => (
            <TableRow
              key={`${s.project}\u0000${s.job}\u0000${s.step}`}
              data-testid="analytics-slow-step"
              data-project={s.project}
              data-job={s.job}
              data-step={s.step}
            >
              {showProject ? <TableCell>{s.project}</TableCell> : null}
              <TableCell sx={{ fontFamily: MONO_FONT }}>{s.job}</TableCell>
              <TableCell sx={{ fontFamily: MONO_FONT, wordBreak: "break-word" }}>{s.step}</TableCell>
              <SpreadCells spread={s.spread} />
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </Box>
  );
}

function FlakyTests({ stats, showProject }: { stats: StatsView; showProject: boolean }) {
  if (stats.flaky_tests.length === 0) {
    return (
      <Typography color="text.secondary" sx={{ px: 2, py: 2 }} data-testid="analytics-no-flaky-tests">
        No flaky test: none both passed and failed on the same commit in this window (only runs of a clean working tree
        count).
      </Typography>
    );
  }
  return (
    <Box sx={{ overflowX: "auto" }}>
      <Table size="small" aria-label="Flaky tests">
        <TableHead>
          <TableRow>
            {showProject ? <TableCell>Project</TableCell> : null}
            <TableCell>Test</TableCell>
            <TableCell align="right">Commits</TableCell>
            <TableCell align="right">Passed</TableCell>
            <TableCell align="right">Failed</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {stats.flaky_tests.map((t) => (
            <TableRow key={`${t.project}\u0000${t.test}`} data-testid="analytics-flaky-test" data-project={t.project} data-test={t.test}>
              {showProject ? <TableCell>{t.project}</TableCell> : null}
              <TableCell sx={{ fontFamily: MONO_FONT, wordBreak: "break-all" }}>{t.test}</TableCell>
              <TableCell align="right" sx={NUM}>
                {formatCount(t.commits)}
              </TableCell>
              <TableCell align="right" sx={NUM}>
                {formatCount(t.passed)}
              </TableCell>
              <TableCell align="right" sx={NUM} data-testid="analytics-flaky-test-failed">
                {formatCount(t.failed)}
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </Box>
  );
}

function EmptyState({ project, days }: { project: string | null; days: number }) {
  return (
    <Paper variant="outlined" sx={{ p: 4 }} data-testid="analytics-empty">
      <Typography variant="h6" component="h2" sx={{ mb: 1 }}>
        {project === null ? `No runs in the last ${days} days` : `No runs of ${project} in the last ${days} days`}
      </Typography>
      <Typography color="text.secondary" sx={{ mb: 1.5 }}>
        Figures appear once runs are recorded. Every run, started here or with <Code>switchyard run</Code>, is kept in
        the local history; this view counts them, and updates as runs start and finish.
      </Typography>
      <Typography color="text.secondary">
        {days < WINDOWS[WINDOWS.length - 1]
          ? "Older runs show with a longer window."
          : "Run a project's pipeline to see how often it succeeds and how long it takes."}
      </Typography>
    </Paper>
  );
}

// ---- Deployments (DORA) ----------------------------------------------------------------

/** How many of the newest deployments are read to list the environments. */
const DEPLOYMENTS_READ = 500;

/** The environment shown first: production when deployed to, else the first by name. */
const DEFAULT_ENVIRONMENT = "production";

/** The environments deployed to, by name. */
function environmentsOf(deployments: DeploymentRecord[]): string[] {
  return [...new Set(deployments.map((d) => d.environment))].sort((a, b) => a.localeCompare(b));
}

/** The apps deployed to `environment`, by name. */
function appsOf(deployments: DeploymentRecord[], environment: string | null): string[] {
  return [...new Set(deployments.filter((d) => d.environment === environment).map((d) => d.app))].sort((a, b) =>
    a.localeCompare(b),
  );
}

/** The app picker's value for every app. */
const ALL_APPS = "";

/**
 * A picker of names (projects, apps, environments), with an entry for all
 * of them (value `""`) when `all` names it. Test ids: `testId` (opens it),
 * `<testId>-value`, `<testId>-option-<name>`, and `allTestId`.
 */
function NamePicker({
  label,
  testId,
  value,
  names,
  all,
  allTestId,
  onChange,
  minWidth,
}: {
  label: string;
  testId: string;
  value: string;
  names: string[];
  all?: string;
  allTestId?: string;
  onChange: (name: string) => void;
  minWidth: number;
}) {
  const labelId = `${testId}-label`;
  return (
    <FormControl size="small" sx={{ minWidth }}>
      <InputLabel id={labelId} shrink>
        {label}
      </InputLabel>
      <Select
        labelId={labelId}
        label={label}
        notched
        displayEmpty
        value={value}
        onChange={(e) => onChange(e.target.value)}
        renderValue={(v) => (v === "" && all !== undefined ? all : v)}
        SelectDisplayProps={{ "data-testid": testId } as HTMLAttributes<HTMLDivElement>}
        inputProps={{ "data-testid": `${testId}-value` }}
      >
        {all !== undefined ? (
          <MenuItem value="" data-testid={allTestId}>
            {all}
          </MenuItem>
        ) : null}
        {names.map((name) => (
          <MenuItem key={name} value={name} data-testid={`${testId}-option-${name}`}>
            {name}
          </MenuItem>
        ))}
      </Select>
    </FormControl>
  );
}

function DoraFigures({ dora, days }: { dora: DoraView; days: number }) {
  const { lead_time: lead, time_to_restore: restore } = dora;
  return (
    <Box sx={{ display: "grid", gridTemplateColumns: "repeat(auto-fill, minmax(200px, 1fr))", gap: 2 }}>
      <Figure
        name="frequency"
        testId="dora-frequency"
        label="Deployment frequency"
        value={`${dora.per_day.toFixed(2)} / day`}
        note={`${plural(dora.succeeded, "succeeded deployment")} in ${plural(days, "day")}`}
      />
      <Figure
        name="lead_time"
        testId="dora-lead-time"
        label="Lead time for changes (median)"
        value={formatDuration(lead.p50_ms)}
        note={
          lead.count > 0
            ? `p95 ${formatDuration(lead.p95_ms)} · from the commit's first run, of ${plural(lead.count, "deployment")}`
            : "no succeeded deployment with a run"
        }
      />
      <Figure
        name="change_failure_rate"
        testId="dora-failure-rate"
        label="Change failure rate"
        value={formatRate(dora.change_failure_rate)}
        note={
          dora.deployments > 0
            ? `${formatCount(dora.failed)} failed or rolled back of ${plural(dora.deployments, "deployment")}`
            : "no deployment ended"
        }
      />
      <Figure
        name="time_to_restore"
        testId="dora-restore"
        label="Time to restore (median)"
        value={formatDuration(restore.p50_ms)}
        note={
          restore.count > 0
            ? `${plural(restore.count, "restore")}, longest ${formatDuration(restore.max_ms)}`
            : dora.failed > 0
              ? "not restored yet"
              : "no failure to restore"
        }
      />
    </Box>
  );
}

/**
 * The DORA figures of one environment over the view's window: deployments
 * are of every project, so the project picker leaves them as they are.
 */
function DoraSection({ days }: { days: number }) {
  const [chosen, setChosen] = useState<string | null>(null);
  const [chosenApp, setChosenApp] = useState<string>(ALL_APPS);

  const deployments = useLoader("analytics-deployments", () => listDeployments(null, null, DEPLOYMENTS_READ));
  const environments = useMemo(() => {
    const list = environmentsOf(deployments.data ?? []);
    // An environment no longer among the newest deployments stays choosable until another is chosen.
    if (chosen !== null && !list.includes(chosen)) list.push(chosen);
    return list;
  }, [deployments.data, chosen]);
  const environment = chosen ?? (environments.includes(DEFAULT_ENVIRONMENT) ? DEFAULT_ENVIRONMENT : (environments[0] ?? null));
  const apps = useMemo(() => {
    const list = appsOf(deployments.data ?? [], environment);
    if (chosenApp !== ALL_APPS && !list.includes(chosenApp)) list.push(chosenApp);
    return list;
  }, [deployments.data, environment, chosenApp]);
  const app = chosenApp === ALL_APPS ? null : chosenApp;

  const dora = useLoader(environment === null ? null : JSON.stringify(["dora", environment, app, days]), () =>
    deploymentStats(environment ?? DEFAULT_ENVIRONMENT, days, app),
  );
  const reloadDeployments = deployments.reload;
  const reloadDora = dora.reload;
  useRunsReload(null, () => {
    reloadDeployments();
    reloadDora();
  });
  const last = useLastDefined(dora.data);
  const shown = dora.data ?? (dora.loading ? last : undefined);
  const none = deployments.data !== undefined && environments.length === 0;

  const picker =
    environments.length > 0 && environment !== null ? (
      <Stack direction="row" gap={1}>
        <NamePicker
          label="App"
          testId="dora-app"
          value={chosenApp}
          names={apps}
          all="All apps"
          allTestId="dora-app-option-all"
          onChange={setChosenApp}
          minWidth={160}
        />
        <NamePicker
          label="Environment"
          testId="dora-environment"
          value={environment}
          names={environments}
          onChange={(name) => {
            setChosen(name);
            // Apps differ between environments: start again from all.
            setChosenApp(ALL_APPS);
          }}
          minWidth={180}
        />
      </Stack>
    ) : undefined;

  return (
    <Section title="Deployments (DORA)" testId="analytics-dora" action={picker}>
      {(deployments.loading || dora.loading) && !none ? (
        <LinearProgress aria-label="Loading the deployment figures" data-testid="dora-loading" />
      ) : null}
      <Box sx={{ p: 2 }}>
        {deployments.error ? (
          <Box sx={{ mb: 2 }}>
            <ErrorAlert
              error={deployments.error}
              title="The deployments could not be loaded"
              onRetry={reloadDeployments}
              testId="dora-error"
            />
          </Box>
        ) : null}
        {dora.error ? (
          <Box sx={{ mb: 2 }}>
            <ErrorAlert error={dora.error} title="The deployment figures could not be loaded" onRetry={reloadDora} testId="dora-error" />
          </Box>
        ) : null}
        {none ? (
          <Typography color="text.secondary" data-testid="dora-empty">
            No deployment is recorded yet. <Code>switchyard deploy DIR --env ENV --image REF</Code> records deployments
            (so do pipelines&apos; deploy jobs); their frequency, lead time, change failure rate and time to restore show
            here.
          </Typography>
        ) : null}
        {shown !== undefined && !none ? (
          <Box sx={{ opacity: dora.loading ? 0.6 : 1, transition: "opacity 150ms" }} aria-busy={dora.loading}>
            <Typography variant="body2" color="text.secondary" sx={{ mb: 1.5 }} data-testid="dora-counts">
              {`${plural(shown.deployments, "deployment")}${app === null ? "" : ` of ${app}`} to ${shown.environment} ended in the last ${plural(days, "day")}: `}
              {`${formatCount(shown.succeeded)} succeeded · ${formatCount(shown.failed)} failed (dry runs and cancelled ones left out)`}
            </Typography>
            <DoraFigures dora={shown} days={days} />
          </Box>
        ) : null}
      </Box>
    </Section>
  );
}

// ---- The view ------------------------------------------------------------------------

export function AnalyticsView() {
  const notify = useNotify();
  const [project, setProject] = useState<string | null>(null);
  const [days, setDays] = useState<WindowDays>(DEFAULT_WINDOW);
  const [exporting, setExporting] = useState(false);
  const [exportError, setExportError] = useState<ErrorDto | null>(null);

  const projects = useLoader("analytics-projects", listProjects);
  const reloadProjects = projects.reload;
  useSubscription(onProjects, () => reloadProjects());

  const stats = useLoader(JSON.stringify(["stats", project, days]), () => deliveryStats(project, days));
  const reload = stats.reload;
  useRunsReload(project, reload);
  // While another window or project loads, what was shown stays (dimmed); after an error, it goes.
  const last = useLastDefined(stats.data);
  const shown = stats.data ?? (stats.loading ? last : undefined);

  const names = useMemo(() => {
    const list = (projects.data ?? []).map((p) => p.name).sort((a, b) => a.localeCompare(b));
    // A project removed meanwhile stays choosable until another is chosen.
    if (project !== null && !list.includes(project)) list.push(project);
    return list;
  }, [projects.data, project]);

  const doExport = async () => {
    if (exporting) return;
    setExportError(null);
    setExporting(true);
    try {
      const picked = await pickReportPath(REPORT_FILE_NAME);
      if (picked) {
        const path = withHtmlExtension(picked);
        await exportReport(project, days, path);
        notify(`Report saved to ${path}`, "success");
      }
    } catch (error) {
      setExportError(toErrorDto(error));
    }
    setExporting(false);
  };

  const empty = shown !== undefined && shown.runs === 0;
  const showProject = shown !== undefined && shown.project === null;

  return (
    <>
      <PageHeader
        title="Analytics"
        subtitle="Delivery figures from the local history of runs: how many ran, how often they succeed, how long they take and wait, the slowest steps, the flaky tests, and the deployments (DORA)."
      />

      <Stack direction="row" gap={1.5} alignItems="center" flexWrap="wrap" sx={{ mb: 2 }}>
        <NamePicker
          label="Project"
          testId="analytics-project"
          value={project ?? ""}
          names={names}
          all="All projects"
          allTestId="analytics-project-all"
          onChange={(name) => setProject(name === "" ? null : name)}
          minWidth={200}
        />
        <ToggleButtonGroup
          size="small"
          exclusive
          value={days}
          onChange={(_, value: WindowDays | null) => {
            if (value !== null) setDays(value);
          }}
          aria-label="Window"
          data-testid="analytics-window"
        >
          {WINDOWS.map((w) => (
            <ToggleButton key={w} value={w} data-testid={`analytics-window-${w}`} aria-label={`Last ${w} days`} sx={{ px: 1.5 }}>
              {windowLabel(w)}
            </ToggleButton>
          ))}
        </ToggleButtonGroup>
        {shown ? (
          <Typography variant="body2" color="text.secondary" data-testid="analytics-period">
            {formatDateTime(shown.since)} – {formatDateTime(shown.until)}
          </Typography>
        ) : null}
        <Box sx={{ flex: 1 }} />
        <Button
          variant="outlined"
          startIcon={<DownloadIcon />}
          onClick={() => void doExport()}
          disabled={exporting || stats.data === undefined || stats.data.runs === 0}
          data-testid="analytics-export"
        >
          {exporting ? "Exporting…" : "Export report"}
        </Button>
      </Stack>

      {exportError ? (
        <Box sx={{ mb: 2 }}>
          <ErrorAlert error={exportError} title="The report could not be exported" testId="analytics-export-error" focusOnShow />
        </Box>
      ) : null}
      {stats.error ? (
        <Box sx={{ mb: 2 }}>
          <ErrorAlert error={stats.error} title="The figures could not be loaded" onRetry={reload} />
        </Box>
      ) : null}
      {stats.loading && shown === undefined ? <PageLoading /> : null}
      {stats.loading && shown !== undefined ? (
        <LinearProgress sx={{ mb: 1 }} aria-label="Loading the figures" data-testid="analytics-loading" />
      ) : null}

      {empty ? <EmptyState project={project} days={days} /> : null}
      {shown !== undefined && !empty ? (
        <Box sx={{ opacity: stats.loading ? 0.6 : 1, transition: "opacity 150ms" }} aria-busy={stats.loading}>
          <Figures stats={shown} />
          <Section title="Day by day" testId="analytics-days">
            <DaysChart stats={shown} />
          </Section>
          <Section title={`Days with runs (${shown.days.length})`} testId="analytics-days-table">
            <DaysTable stats={shown} />
          </Section>
          <Section title="Slowest steps" testId="analytics-slow-steps">
            <SlowSteps stats={shown} showProject={showProject} />
          </Section>
          <Section title={`Flaky tests (${shown.flaky_tests.length})`} testId="analytics-flaky-tests">
            <FlakyTests stats={shown} showProject={showProject} />
          </Section>
        </Box>
      ) : null}
      <DoraSection days={days} />
    </>
  );
}
