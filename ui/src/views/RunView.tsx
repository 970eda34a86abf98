import ArrowDropDownIcon from "@mui/icons-material/ArrowDropDown";
import HourglassEmptyIcon from "@mui/icons-material/HourglassEmpty";
import ReplayIcon from "@mui/icons-material/Replay";
import PanToolOutlinedIcon from "@mui/icons-material/PanToolOutlined";
import StopIcon from "@mui/icons-material/Stop";
import Alert from "@mui/material/Alert";
import AlertTitle from "@mui/material/AlertTitle";
import Box from "@mui/material/Box";
import Breadcrumbs from "@mui/material/Breadcrumbs";
import Button from "@mui/material/Button";
import ButtonGroup from "@mui/material/ButtonGroup";
import Chip from "@mui/material/Chip";
import Link from "@mui/material/Link";
import ListItemText from "@mui/material/ListItemText";
import Menu from "@mui/material/Menu";
import MenuItem from "@mui/material/MenuItem";
import Paper from "@mui/material/Paper";
import Stack from "@mui/material/Stack";
import Tab from "@mui/material/Tab";
import Tabs from "@mui/material/Tabs";
import Typography from "@mui/material/Typography";
import { useCallback, useState, type ReactNode } from "react";
import { Link as RouterLink, useLocation, useNavigate, useParams, useSearchParams } from "react-router";

import { cancelRun, getRun, onRunEvent, rerun, toErrorDto, type RerunMode } from "../api";
import type { ErrorDto } from "../bindings/ErrorDto";
import type { JobStatus } from "../bindings/JobStatus";
import type { JobView } from "../bindings/JobView";
import type { RunEventDto } from "../bindings/RunEventDto";
import { Artifacts } from "../components/Artifacts";
import { ErrorAlert } from "../components/ErrorAlert";
import { JobOutputs } from "../components/JobOutputs";
import { GatePanel } from "../components/GatePanel";
import { JobGraph } from "../components/JobGraph";
import { LogViewer } from "../components/LogViewer";
import { PageLoading, Section } from "../components/Page";
import { StepList } from "../components/StepList";
import { TestResults } from "../components/TestResults";
import { durationOf, formatDateTime, formatDuration, shortCommit, toMs } from "../format";
import { useLoader, useNow, useSubscription } from "../hooks";
import { parseLine } from "../links";
import { queueNote } from "../queue";
import { applyRunEvent, mergeRun } from "../runEvents";
import { useShortcut } from "../shortcuts";
import { STATUS_LABEL, StatusChip, isActive, isFailure } from "../status";
import { MONO_FONT } from "../theme";
import { triggerInfo } from "../trigger";

type TabName = "log" | "tests" | "artifacts";

/** Job statuses that "Re-run failed jobs" repeats: ended without succeeding (the engine's `failed` re-run). */
const RERUN_FAILED: ReadonlySet<JobStatus> = new Set<JobStatus>(["failed", "cancelled", "timed_out", "skipped", "interrupted"]);

/**
 * What to show when no job was chosen: a gate waiting for a person, else the
 * first failure, else what is running, else the first job. Picked once per
 * run and then kept (see `autoPick`), so the panel never jumps as jobs end.
 */
function defaultJob(jobs: JobView[]): JobView | undefined {
  return (
    jobs.find((j) => j.status === "waiting") ??
    jobs.find((j) => isFailure(j.status)) ??
    jobs.find((j) => j.status === "running") ??
    jobs[0]
  );
}

/**
 * The job shown: the one in the URL (`?job=<id>`, or `?job_name=<name>` from
 * a link), else the one picked by default for this run (`autoPick`), else the
 * default pick.
 */
function selectionOf(
  jobs: JobView[],
  search: URLSearchParams,
  autoPick: { run: number; job: number } | null,
  runId: number,
): { chosen: JobView | undefined; kept: JobView | undefined; selected: JobView | undefined } {
  const selectedParam = Number(search.get("job"));
  const selectedName = search.get("job_name");
  const chosen = jobs.find((j) => j.id === selectedParam) ?? jobs.find((j) => j.name === selectedName);
  const kept = autoPick?.run === runId ? jobs.find((j) => j.id === autoPick.job) : undefined;
  return { chosen, kept, selected: chosen ?? kept ?? defaultJob(jobs) };
}

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <Box>
      <Typography variant="caption" color="text.secondary" component="div">
        {label}
      </Typography>
      <Typography variant="body2" component="div" sx={{ fontWeight: 500 }}>
        {children}
      </Typography>
    </Box>
  );
}

export function RunView() {
  const params = useParams();
  const id = Number(params.id);
  const valid = Number.isInteger(id) && id > 0;
  const navigate = useNavigate();
  const location = useLocation();
  const [search, setSearch] = useSearchParams();
  const run = useLoader(valid ? `run:${id}` : null, () => getRun(id), mergeRun);
  const [tab, setTab] = useState<TabName>("log");
  // The job picked by default when none was chosen, kept across updates so the panel does not jump as the run moves on.
  const [autoPick, setAutoPick] = useState<{ run: number; job: number } | null>(null);
  const [actionError, setActionError] = useState<ErrorDto | null>(null);
  const [cancelling, setCancelling] = useState(false);
  const [rerunning, setRerunning] = useState(false);
  // The "Run again" menu's toggle while the menu is open.
  const [againMenu, setAgainMenu] = useState<HTMLElement | null>(null);

  const subscribe = useCallback((h: (e: RunEventDto) => void) => onRunEvent(id, h), [id]);
  useSubscription(valid ? subscribe : null, (event) => {
    run.mutate((r) => applyRunEvent(r, event));
    run.reload();
  });

  const active = run.data ? isActive(run.data.status) : false;
  const ended = run.data !== undefined && !active;
  const now = useNow(1000, active);

  const cancel = async () => {
    setCancelling(true);
    setActionError(null);
    try {
      await cancelRun(id);
    } catch (error) {
      const e = toErrorDto(error);
      // Already over: the view catches up; anything else is shown.
      if (e.code !== "already_finished") setActionError(e);
      run.reload();
    } finally {
      setCancelling(false);
    }
  };

  /** Starts a run that repeats this one (`rerun`), then shows it. */
  const runAgain = async (mode: RerunMode) => {
    setAgainMenu(null);
    setRerunning(true);
    setActionError(null);
    try {
      const newId = await rerun(id, mode);
      navigate(`/runs/${newId}`);
    } catch (error) {
      setActionError(toErrorDto(error));
    } finally {
      setRerunning(false);
    }
  };

  useShortcut("R", "Run again (the same jobs, in the same place)", () => void runAgain("same"), valid && ended && !rerunning);
  useShortcut("x", "Cancel this run", () => void cancel(), valid && active && !cancelling);

  const pinJob = (key: string) =>
    setSearch(
      (p) => {
        const next = new URLSearchParams(p);
        next.delete("job_name");
        // A linked line belongs to the linked job.
        next.delete("line");
        next.set("job", key);
        return next;
      },
      { replace: true },
    );

  const selectJob = (key: string) => {
    pinJob(key);
    setTab("log");
  };

  /**
   * Shows line `line` of job `jobId`'s log, marked: the URL of a link to that
   * line (`?job=<id>&line=<n>`), which switches to the Log tab once it is there.
   */
  const openJobLine = (jobId: number, line: number) =>
    setSearch(
      (p) => {
        const next = new URLSearchParams(p);
        next.delete("job_name");
        next.set("job", String(jobId));
        next.set("line", String(line));
        return next;
      },
      { replace: true },
    );

  /** Selects the next (`1`) or previous (`-1`) job in the run's order (the plan's); stops at the ends. */
  const stepJob = (delta: 1 | -1) => {
    const r = run.data;
    if (!r || r.jobs.length === 0) return;
    const { selected } = selectionOf(r.jobs, search, autoPick, r.id);
    const i = selected ? r.jobs.findIndex((j) => j.id === selected.id) : -1;
    const next = i < 0 ? (delta > 0 ? r.jobs[0] : r.jobs[r.jobs.length - 1]) : r.jobs[Math.min(r.jobs.length - 1, Math.max(0, i + delta))];
    if (next && next.id !== selected?.id) selectJob(String(next.id));
  };
  const severalJobs = valid && (run.data?.jobs.length ?? 0) > 1;
  useShortcut("j", "Select the next job of this run", () => stepJob(1), severalJobs);
  useShortcut("k", "Select the previous job of this run", () => stepJob(-1), severalJobs);

  // A link to a job (`?job_name=`, `&line=`: a deep link, the Overview) shows that job's log, whatever tab was open.
  const linkNavigation = search.has("job_name") || search.has("line") ? location.key : null;
  const [seenLinkNavigation, setSeenLinkNavigation] = useState(linkNavigation);
  if (linkNavigation !== seenLinkNavigation) {
    setSeenLinkNavigation(linkNavigation);
    if (linkNavigation !== null) setTab("log");
  }

  if (!valid) {
    return <ErrorAlert error={{ code: "invalid_input", message: `"${params.id}" is not a run number.`, diagnostics: [] }} />;
  }
  if (run.loading) return <PageLoading />;
  if (!run.data) {
    return (
      <>
        {run.error ? (
          <ErrorAlert
            error={run.error}
            title={run.error.code === "not_found" ? `Run #${id} does not exist` : `Run #${id} could not be loaded`}
            onRetry={run.error.code === "not_found" ? undefined : run.reload}
          />
        ) : null}
        <Button component={RouterLink} to="/" sx={{ mt: 2 }}>
          Back to the overview
        </Button>
      </>
    );
  }

  const current = run.data;
  const { jobs } = current;
  // `?job=<job id>` (a click on a job), or `?job_name=<name>` (a link from elsewhere: the Overview's gates, a deep link).
  const { chosen, kept, selected } = selectionOf(jobs, search, autoPick, current.id);
  // `&line=<n>`: a link to a line of the chosen job's log.
  const linkedLine = chosen ? parseLine(search.get("line")) : null;
  const selectedWaiting = selected ? queueNote(selected.status, selected.reason) : null;
  if (!chosen && !kept && selected) {
    // First render of this run without a choice: remember the default (React re-renders at once).
    setAutoPick({ run: current.id, job: selected.id });
  }
  const duration = durationOf(current, now);
  const createdAt = toMs(current.created_at);
  const startedAt = toMs(current.started_at);
  const testCounts = jobs.reduce((n, j) => n + j.tests.failed, 0);
  const testTotal = jobs.reduce((n, j) => n + j.tests.passed + j.tests.failed + j.tests.skipped, 0);
  const artifactCount = jobs.reduce((n, j) => n + j.artifacts.length, 0);
  const jobsOfRun = `${jobs.length === 1 ? "the job" : `all ${jobs.length} jobs`} of run #${current.id}`;
  const isGate = selected?.kind === "approval";
  // Gates waiting for a person other than the one shown below.
  const otherWaiting = jobs.filter((j) => j.status === "waiting" && j.id !== selected?.id);

  // Something to re-run with "Re-run failed jobs" (only once the run ended).
  const anyFailed = ended && jobs.some((j) => RERUN_FAILED.has(j.status));
  const trigger = triggerInfo(current.trigger);
  const TriggerIcon = trigger?.icon;

  return (
    <>
      <Breadcrumbs sx={{ mb: 1 }}>
        <Link component={RouterLink} to="/projects" underline="hover" color="inherit">
          Projects
        </Link>
        <Link
          component={RouterLink}
          to={`/projects/${encodeURIComponent(current.project)}`}
          underline="hover"
          color="inherit"
          data-testid="run-project-link"
        >
          {current.project}
        </Link>
        <Typography color="text.primary">Run #{current.id}</Typography>
      </Breadcrumbs>
      <Stack direction="row" alignItems="center" gap={2} flexWrap="wrap" sx={{ mb: 2 }}>
        <Typography variant="h4" component="h1" data-testid="run-heading" data-run={current.id}>
          {current.project} <span style={{ opacity: 0.6 }}>#{current.id}</span>
        </Typography>
        <StatusChip status={current.status} size="medium" testId="run-status" />
        <Box sx={{ flex: 1 }} />
        {active ? (
          <Button
            color="error"
            variant="outlined"
            startIcon={<StopIcon />}
            onClick={cancel}
            disabled={cancelling}
            data-testid="run-cancel"
            aria-keyshortcuts="x"
          >
            {cancelling ? "Cancelling…" : "Cancel"}
          </Button>
        ) : (
          <ButtonGroup variant="outlined" aria-label="Run again">
            <Button
              startIcon={<ReplayIcon />}
              onClick={() => void runAgain("same")}
              disabled={rerunning}
              title="The same jobs, in the same place, with the same options"
              data-testid="run-again"
              aria-keyshortcuts="Shift+R"
            >
              Run again
            </Button>
            <Button
              size="small"
              onClick={(e) => setAgainMenu(againMenu ? null : e.currentTarget)}
              disabled={rerunning}
              aria-label="Other ways to run again"
              aria-haspopup="menu"
              aria-expanded={againMenu !== null}
              aria-controls={againMenu ? "run-again-menu" : undefined}
              data-testid="run-again-menu"
            >
              <ArrowDropDownIcon />
            </Button>
          </ButtonGroup>
        )}
        <Menu
          id="run-again-menu"
          anchorEl={againMenu}
          open={againMenu !== null && ended}
          onClose={() => setAgainMenu(null)}
          anchorOrigin={{ vertical: "bottom", horizontal: "right" }}
          transformOrigin={{ vertical: "top", horizontal: "right" }}
        >
          <MenuItem onClick={() => void runAgain("failed")} disabled={!anyFailed || rerunning} data-testid="rerun-failed">
            <ListItemText
              primary="Re-run failed jobs"
              secondary={anyFailed ? "Only the jobs that did not succeed, and what they need" : "Every job succeeded"}
            />
          </MenuItem>
          {selected ? (
            <MenuItem
              onClick={() => void runAgain({ job: selected.name })}
              disabled={rerunning}
              data-testid="rerun-job"
              data-job={selected.name}
            >
              <ListItemText primary={`Re-run ${selected.name}`} secondary="That job and what it needs" />
            </MenuItem>
          ) : null}
        </Menu>
      </Stack>
      <Paper variant="outlined" sx={{ p: 2, mb: 3 }}>
        <Stack direction="row" gap={4} flexWrap="wrap">
          <Fact label="Branch">{current.branch ?? "—"}</Fact>
          <Fact label="Commit">
            <span style={{ fontFamily: MONO_FONT }} data-testid="run-commit">
              {current.commit ? shortCommit(current.commit) : "—"}
            </span>
            {current.dirty ? (
              <Chip size="small" color="warning" variant="outlined" label="with uncommitted changes" sx={{ ml: 1 }} />
            ) : null}
          </Fact>
          <Fact label="Created">{createdAt !== null ? formatDateTime(createdAt) : "—"}</Fact>
          <Fact label="Started">{startedAt !== null ? formatDateTime(startedAt) : "not yet"}</Fact>
          <Fact label="Duration">
            <span data-testid="run-duration">{formatDuration(duration)}</span>
          </Fact>
        </Stack>
        {trigger || current.chosen_jobs.length || current.in_place || current.rerun_of !== null ? (
          <Stack direction="row" gap={1} flexWrap="wrap" alignItems="center" sx={{ mt: 1.5 }} data-testid="run-origin">
            {trigger && TriggerIcon ? (
              <Chip
                size="small"
                variant="outlined"
                icon={<TriggerIcon fontSize="small" />}
                label={trigger.long}
                data-testid="run-trigger"
                data-trigger={current.trigger}
              />
            ) : null}
            {current.chosen_jobs.length ? (
              <Chip
                size="small"
                variant="outlined"
                label={`Jobs chosen: ${current.chosen_jobs.join(", ")}`}
                title="The jobs chosen when it was started; what they need ran too"
                data-testid="run-chosen-jobs"
              />
            ) : null}
            {current.in_place ? (
              <Chip
                size="small"
                variant="outlined"
                color="warning"
                label="In the project folder"
                title="It ran in the project folder itself, not in a copy"
                data-testid="run-in-place"
              />
            ) : null}
            {current.rerun_of !== null ? (
              <Chip
                size="small"
                variant="outlined"
                icon={<ReplayIcon fontSize="small" />}
                label={`Re-run of #${current.rerun_of}`}
                component={RouterLink}
                to={`/runs/${current.rerun_of}`}
                clickable
                data-testid="run-rerun-of"
              />
            ) : null}
          </Stack>
        ) : null}
      </Paper>
      {current.error ? (
        <Alert severity="error" sx={{ mb: 2 }} data-testid="run-error">
          <AlertTitle>Switchyard could not run this</AlertTitle>
          {current.error}
        </Alert>
      ) : null}
      {actionError ? (
        <Box sx={{ mb: 2 }}>
          <ErrorAlert error={actionError} />
        </Box>
      ) : null}
      {run.error ? (
        <Box sx={{ mb: 2 }}>
          <ErrorAlert error={run.error} title="This run could not be refreshed" onRetry={run.reload} />
        </Box>
      ) : null}
      {otherWaiting.length ? (
        <Alert
          severity="warning"
          icon={<PanToolOutlinedIcon fontSize="inherit" />}
          sx={{ mb: 2 }}
          data-testid="run-waiting-gates"
        >
          Waiting for approval:{" "}
          {otherWaiting.map((j, i) => (
            <span key={j.id}>
              {i > 0 ? ", " : ""}
              <Link component="button" type="button" onClick={() => selectJob(String(j.id))} sx={{ verticalAlign: "baseline" }}>
                {j.name}
              </Link>
            </span>
          ))}
        </Alert>
      ) : null}
      <Section title="Jobs">
        {jobs.length ? (
          <JobGraph
            label="Jobs of this run"
            testId="job-graph"
            nodeTestId="job-node"
            selectedKey={selected ? String(selected.id) : undefined}
            onSelect={selectJob}
            jobs={jobs.map((j) => ({
              key: String(j.id),
              name: j.name,
              needs: j.needs,
              status: j.status,
              kind: j.kind,
              waiting: queueNote(j.status, j.reason) ?? undefined,
              detail: [
                j.kind === "approval" && j.status !== "waiting" ? "approval" : j.kind === "deploy" ? "deploy" : null,
                j.started_at !== null || j.duration_ms !== null ? formatDuration(durationOf(j, now)) : null,
                j.attempts > 1 ? `attempt ${j.attempts}` : null,
              ]
                .filter(Boolean)
                .join(" · "),
            }))}
          />
        ) : (
          <Typography color="text.secondary" sx={{ p: 2 }}>
            This run has no jobs.
          </Typography>
        )}
      </Section>
      {selected ? (
        <Section
          title={
            <span>
              {selected.name}{" "}
              <Typography component="span" variant="body2" color="text.secondary">
                · {STATUS_LABEL[selected.status]}
                {isGate ? " · approval" : selected.runner ? ` · runs on ${selected.runner}` : ""}
              </Typography>
              {selectedWaiting ? (
                <Typography
                  component="span"
                  variant="body2"
                  color="text.secondary"
                  sx={{ display: "flex", alignItems: "center", gap: 0.5, mt: 0.25 }}
                  data-testid="job-waiting-reason"
                >
                  <HourglassEmptyIcon fontSize="small" aria-hidden="true" />
                  {selectedWaiting.reason}
                </Typography>
              ) : null}
            </span>
          }
          testId="job-detail"
        >
          <Box sx={{ px: 2, pt: 1 }}>
            {/* A gate's decision is its reason: the panel below shows it in full. */}
            {/* A queued job's reason (why it waits) is in the header above. */}
            {selected.reason && !selectedWaiting && !(isGate && selected.approval?.decision) ? (
              <Alert severity={isFailure(selected.status) ? "error" : "info"} sx={{ mb: 1 }} data-testid="job-reason">
                {selected.reason}
              </Alert>
            ) : null}
            {selected.warnings.map((w, i) => (
              <Alert severity="warning" key={i} sx={{ mb: 1 }} data-testid="job-warning">
                {w}
              </Alert>
            ))}
            {isGate ? null : <StepList steps={selected.steps} />}
            <JobOutputs outputs={selected.outputs} />
          </Box>
          <Tabs
            value={tab}
            onChange={(_, v: TabName) => setTab(v)}
            sx={{ px: 2, mt: 1, borderBottom: 1, borderColor: "divider" }}
            aria-label="Job log and run results"
          >
            {/* The selected job's own tab on the left; the whole run's results apart, on the right. */}
            <Tab value="log" label={`${isGate ? "Approval" : "Log"}: ${selected.name}`} data-testid="tab-log" />
            <Tab
              value="tests"
              label={testTotal ? `Run tests (${testCounts ? `${testCounts} failed` : `${testTotal}`})` : "Run tests"}
              title={`Tests of ${jobsOfRun}`}
              data-testid="tab-tests"
              sx={{ ml: "auto" }}
            />
            <Tab
              value="artifacts"
              label={`Run artifacts (${artifactCount})`}
              title={`Artifacts of ${jobsOfRun}`}
              data-testid="tab-artifacts"
            />
          </Tabs>
          <Box sx={{ p: tab === "log" ? 2 : 0 }} role="tabpanel">
            {tab !== "log" ? (
              <Typography variant="body2" color="text.secondary" sx={{ px: 2, pt: 1.5 }} data-testid="run-scope-note">
                {tab === "tests" ? "Tests" : "Artifacts"} of {jobsOfRun}
                {jobs.length > 1 ? `, not only ${selected.name}` : ""}.
              </Typography>
            ) : null}
            {tab === "log" && isGate ? (
              <GatePanel
                key={selected.id}
                runId={current.id}
                job={selected}
                onDecided={() => {
                  // Stay on this gate to see the decision.
                  pinJob(String(selected.id));
                  run.reload();
                }}
              />
            ) : null}
            {tab === "log" && !isGate ? (
              <LogViewer
                key={selected.id}
                jobId={selected.id}
                live={isActive(selected.status)}
                steps={selected.steps}
                runId={current.id}
                jobName={selected.name}
                line={linkedLine}
                lineKey={location.key}
                openAtFirstError={isFailure(selected.status)}
                fileName={`${current.project}-run${current.id}-${selected.name.replace(/[^A-Za-z0-9._-]+/g, "_")}.log`}
              />
            ) : null}
            {tab === "tests" ? (
              <TestResults
                jobs={jobs}
                runId={current.id}
                onOpenLog={(jobId, line) => (line === undefined ? selectJob(String(jobId)) : openJobLine(jobId, line))}
                refreshKey={jobs.map((j) => `${j.id}:${j.tests.passed}/${j.tests.failed}/${j.tests.skipped}`).join(",")}
              />
            ) : null}
            {tab === "artifacts" ? <Artifacts runId={current.id} jobs={jobs} /> : null}
          </Box>
        </Section>
      ) : null}
    </>
  );
}
