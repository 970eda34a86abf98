import Box from "@mui/material/Box";
import Button from "@mui/material/Button";
import FormControl from "@mui/material/FormControl";
import InputLabel from "@mui/material/InputLabel";
import LinearProgress from "@mui/material/LinearProgress";
import Link from "@mui/material/Link";
import MenuItem from "@mui/material/MenuItem";
import Select from "@mui/material/Select";
import Stack from "@mui/material/Stack";
import Typography from "@mui/material/Typography";
import { useVirtualizer } from "@tanstack/react-virtual";
import { useEffect, useRef, useState, type HTMLAttributes } from "react";
import { Link as RouterLink, useNavigate } from "react-router";

import { listRuns, onRuns, toErrorDto } from "../api";
import type { ErrorDto } from "../bindings/ErrorDto";
import type { RunStatus } from "../bindings/RunStatus";
import type { RunSummaryView } from "../bindings/RunSummaryView";
import { durationOf, formatDateTime, formatDuration, formatRelative, runTime, shortCommit } from "../format";
import { useNow, useSubscription } from "../hooks";
import { RUN_STATUSES, STATUS_LABEL, StatusChip } from "../status";
import { MONO_FONT } from "../theme";
import { triggerInfo } from "../trigger";
import { ErrorAlert } from "./ErrorAlert";

export const HISTORY_PAGE = 100;
/** The filter value that means "any" ("*" is not a valid git branch name). */
const ALL = "*";
const ROW_HEIGHT = 44;
const COLUMNS = "96px 150px minmax(120px, 1.2fr) 130px minmax(160px, 1fr) 110px minmax(120px, 1fr)";

interface HistoryState {
  key: string;
  runs: RunSummaryView[];
  next_before: number | null;
  error?: ErrorDto;
}

/**
 * A project's runs, newest first, filtered by status and branch, loaded a page
 * at a time (`before`/`next_before`) and drawn virtualized so tens of
 * thousands of rows stay fast. New runs and status changes arrive by event.
 */
export function RunHistory({ project, branches }: { project: string; branches: string[] }) {
  const [status, setStatus] = useState<RunStatus | typeof ALL>(ALL);
  const [branch, setBranch] = useState<string>(ALL);
  const key = `${project}\u0000${status}\u0000${branch}`;
  const [state, setState] = useState<HistoryState | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const navigate = useNavigate();
  const now = useNow(30_000);
  const scrollRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    let stale = false;
    listRuns({ project, status: status === ALL ? null : status, branch: branch === ALL ? null : branch, before: null, limit: HISTORY_PAGE }).then(
      (page) => {
        if (!stale) setState({ key, runs: page.runs, next_before: page.next_before });
      },
      (error: unknown) => {
        if (!stale) setState({ key, runs: [], next_before: null, error: toErrorDto(error) });
      },
    );
    return () => {
      stale = true;
    };
  }, [key, project, status, branch]);

  const current = state && state.key === key ? state : null;
  const runs = current?.runs ?? [];
  const nextBefore = current?.next_before ?? null;

  const loadMore = async () => {
    if (loadingMore || nextBefore === null || !current) return;
    setLoadingMore(true);
    try {
      const page = await listRuns({
        project,
        status: status === ALL ? null : status,
        branch: branch === ALL ? null : branch,
        before: nextBefore,
        limit: HISTORY_PAGE,
      });
      setState((s) => {
        if (!s || s.key !== key) return s;
        const seen = new Set(s.runs.map((r) => r.id));
        return { ...s, runs: [...s.runs, ...page.runs.filter((r) => !seen.has(r.id))], next_before: page.next_before, error: undefined };
      });
    } catch (error) {
      setState((s) => (s && s.key === key ? { ...s, error: toErrorDto(error) } : s));
    } finally {
      setLoadingMore(false);
    }
  };

  useSubscription(onRuns, (run) => {
    if (run.project !== project) return;
    setState((s) => {
      if (!s || s.key !== key) return s;
      const i = s.runs.findIndex((r) => r.id === run.id);
      if (i >= 0) {
        const list = s.runs.slice();
        list[i] = run;
        return { ...s, runs: list };
      }
      const matches = (status === ALL || run.status === status) && (branch === ALL || run.branch === branch);
      if (matches && (s.runs.length === 0 || run.id > s.runs[0].id)) return { ...s, runs: [run, ...s.runs] };
      return s;
    });
  });

  const virtualizer = useVirtualizer({
    count: runs.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 10,
  });

  const onScroll = () => {
    const el = scrollRef.current;
    if (!el || nextBefore === null) return;
    if (el.scrollTop + el.clientHeight >= el.scrollHeight - ROW_HEIGHT * 5) void loadMore();
  };

  const items = virtualizer.getVirtualItems();

  return (
    <Box>
      <Stack direction="row" gap={2} sx={{ p: 2, pb: 1 }} flexWrap="wrap" alignItems="center">
        <FormControl size="small" sx={{ minWidth: 170 }}>
          <InputLabel id="history-status-label">Status</InputLabel>
          <Select
            labelId="history-status-label"
            label="Status"
            value={status}
            onChange={(e) => setStatus(e.target.value as RunStatus | typeof ALL)}
            SelectDisplayProps={{ "data-testid": "history-status-filter" } as HTMLAttributes<HTMLDivElement>}
            inputProps={{ "data-testid": "history-status-value" }}
          >
            <MenuItem value={ALL}>All statuses</MenuItem>
            {RUN_STATUSES.map((s) => (
              <MenuItem key={s} value={s} data-testid={`history-status-option-${s}`}>
                {STATUS_LABEL[s]}
              </MenuItem>
            ))}
          </Select>
        </FormControl>
        <FormControl size="small" sx={{ minWidth: 200 }}>
          <InputLabel id="history-branch-label">Branch</InputLabel>
          <Select
            labelId="history-branch-label"
            label="Branch"
            value={branch}
            onChange={(e) => setBranch(e.target.value)}
            SelectDisplayProps={{ "data-testid": "history-branch-filter" } as HTMLAttributes<HTMLDivElement>}
            inputProps={{ "data-testid": "history-branch-value" }}
          >
            <MenuItem value={ALL}>All branches</MenuItem>
            {branches.map((b) => (
              <MenuItem key={b} value={b} data-testid={`history-branch-option-${b}`}>
                {b}
              </MenuItem>
            ))}
          </Select>
        </FormControl>
        <Typography variant="body2" color="text.secondary" sx={{ ml: "auto" }} data-testid="history-count">
          {current
            ? `${runs.length.toLocaleString()} run${runs.length === 1 ? "" : "s"}${nextBefore !== null ? " loaded" : ""}`
            : ""}
        </Typography>
      </Stack>
      {current?.error ? (
        <Box sx={{ px: 2, pb: 1 }}>
          <ErrorAlert error={current.error} title="The runs could not be loaded" />
        </Box>
      ) : null}
      <Box role="table" aria-label="Run history" aria-rowcount={runs.length + 1} data-testid="history-table">
        <Box
          role="row"
          sx={{
            display: "grid",
            gridTemplateColumns: COLUMNS,
            px: 2,
            py: 1,
            borderTop: 1,
            borderBottom: 1,
            borderColor: "divider",
            typography: "body2",
            fontWeight: 600,
            color: "text.secondary",
          }}
        >
          <span role="columnheader">Run</span>
          <span role="columnheader">Status</span>
          <span role="columnheader">Branch</span>
          <span role="columnheader">Commit</span>
          <span role="columnheader">Started</span>
          <span role="columnheader">Duration</span>
          <span role="columnheader">Started from</span>
        </Box>
        {!current ? <LinearProgress aria-label="Loading runs" /> : null}
        {current && runs.length === 0 && !current.error ? (
          <Typography color="text.secondary" sx={{ p: 2 }} data-testid="history-empty">
            {status !== ALL || branch !== ALL ? "No run matches these filters." : "No runs yet. Press Run to start one."}
          </Typography>
        ) : null}
        <Box
          ref={scrollRef}
          onScroll={onScroll}
          sx={{ height: runs.length ? Math.min(560, runs.length * ROW_HEIGHT + 2) : 0, overflowY: "auto" }}
          data-testid="history-scroll"
          role="rowgroup"
        >
          <Box sx={{ height: virtualizer.getTotalSize(), position: "relative" }}>
            {items.map((item) => {
              const run = runs[item.index];
              if (!run) return null;
              const when = runTime(run);
              const trigger = triggerInfo(run.trigger);
              const TriggerIcon = trigger?.icon;
              return (
                <Box
                  key={run.id}
                  role="row"
                  aria-rowindex={item.index + 2}
                  data-testid="history-row"
                  data-run-id={run.id}
                  data-status={run.status}
                  onClick={() => navigate(`/runs/${run.id}`)}
                  sx={{
                    position: "absolute",
                    top: 0,
                    left: 0,
                    right: 0,
                    height: ROW_HEIGHT,
                    transform: `translateY(${item.start}px)`,
                    display: "grid",
                    gridTemplateColumns: COLUMNS,
                    alignItems: "center",
                    px: 2,
                    borderBottom: 1,
                    borderColor: "divider",
                    cursor: "pointer",
                    typography: "body2",
                    "&:hover": { bgcolor: "action.hover" },
                  }}
                >
                  <span role="cell">
                    <Link
                      component={RouterLink}
                      to={`/runs/${run.id}`}
                      underline="hover"
                      sx={{ fontWeight: 600 }}
                      onClick={(e) => e.stopPropagation()}
                    >
                      #{run.id}
                    </Link>
                  </span>
                  <span role="cell">
                    <StatusChip status={run.status} />
                  </span>
                  <Box role="cell" sx={{ overflow: "hidden", textOverflow: "ellipsis", whiteSpace: "nowrap" }}>
                    {run.branch ?? "—"}
                  </Box>
                  <Box role="cell" sx={{ fontFamily: MONO_FONT, fontSize: 12 }}>
                    {run.commit ? shortCommit(run.commit) : "—"}
                    {run.dirty ? " *" : ""}
                  </Box>
                  <span role="cell" title={when !== null ? formatRelative(when, now) : undefined}>
                    {when !== null ? formatDateTime(when) : "—"}
                  </span>
                  <span role="cell">{formatDuration(durationOf(run, now))}</span>
                  <Box role="cell" sx={{ display: "flex", alignItems: "center", gap: 0.5, minWidth: 0, whiteSpace: "nowrap" }}>
                    <Box
                      component="span"
                      title={trigger?.long ?? "Not recorded (an older run)"}
                      sx={{ display: "inline-flex", alignItems: "center", gap: 0.5, flexShrink: 0 }}
                      data-testid="run-row-trigger"
                      data-trigger={run.trigger ?? ""}
                    >
                      {TriggerIcon ? <TriggerIcon sx={{ fontSize: 16, color: "text.secondary" }} /> : null}
                      {trigger?.short ?? "—"}
                    </Box>
                    {run.chosen_jobs.length ? (
                      <Box
                        component="span"
                        title={`Jobs chosen: ${run.chosen_jobs.join(", ")}`}
                        sx={{ overflow: "hidden", textOverflow: "ellipsis", color: "text.secondary" }}
                        data-testid="run-row-chosen"
                      >
                        · {run.chosen_jobs.join(", ")}
                      </Box>
                    ) : null}
                  </Box>
                </Box>
              );
            })}
          </Box>
        </Box>
      </Box>
      {nextBefore !== null ? (
        <Box sx={{ p: 1.5, textAlign: "center", borderTop: 1, borderColor: "divider" }}>
          <Button onClick={() => void loadMore()} disabled={loadingMore} data-testid="history-load-more">
            {loadingMore ? "Loading…" : "Load more"}
          </Button>
        </Box>
      ) : null}
    </Box>
  );
}
