import Box from "@mui/material/Box";
import Button from "@mui/material/Button";
import Checkbox from "@mui/material/Checkbox";
import Dialog from "@mui/material/Dialog";
import DialogActions from "@mui/material/DialogActions";
import DialogContent from "@mui/material/DialogContent";
import DialogTitle from "@mui/material/DialogTitle";
import FormControlLabel from "@mui/material/FormControlLabel";
import FormLabel from "@mui/material/FormLabel";
import MenuItem from "@mui/material/MenuItem";
import Radio from "@mui/material/Radio";
import RadioGroup from "@mui/material/RadioGroup";
import Stack from "@mui/material/Stack";
import TextField from "@mui/material/TextField";
import Typography from "@mui/material/Typography";
import { useMemo, useState } from "react";

import { listTargets, onSettings, startRun, toErrorDto } from "../api";
import type { ErrorDto } from "../bindings/ErrorDto";
import type { PlanJobView } from "../bindings/PlanJobView";
import { JOB_LIMIT_MAX, parseJobLimit } from "../limits";
import { useLoader, useSubscription } from "../hooks";
import { neededBy } from "../plan";
import { useSettings } from "../settings";
import { GateIcon } from "../status";
import { ErrorAlert } from "./ErrorAlert";

export interface RunOptionsDialogProps {
  open: boolean;
  project: string;
  plan: PlanJobView[];
  onClose: () => void;
  onStarted: (runId: number) => void;
}

/**
 * Which jobs to run, where (a copy of the working tree, the default, or the
 * folder itself), and how many of them at once (empty: as many as the runners allow).
 */
export function RunOptionsDialog({ open, project, plan, onClose, onStarted }: RunOptionsDialogProps) {
  const { settings } = useSettings();
  // The jobs the user ticked; the jobs they need are added to them (`needed`).
  const [selected, setSelected] = useState<Set<string>>(() => new Set(plan.map((j) => j.name)));
  const [inPlace, setInPlace] = useState(false);
  const [parallelismText, setParallelismText] = useState("");
  const parallelism = parseJobLimit(parallelismText);
  // What the local runner allows over all runs: config.toml's `runners.local.concurrency`, else the CPUs.
  const localLimit = settings ? (settings.local_concurrency ?? settings.cpus) : null;
  const noCap = `Empty: as many as the runners allow${localLimit !== null ? ` (local: ${localLimit})` : ""}`;
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorDto | null>(null);
  const needed = useMemo(() => neededBy(plan, selected), [plan, selected]);
  // Exactly the jobs that will run, in plan order.
  const running = plan.filter((j) => selected.has(j.name) || needed.has(j.name)).map((j) => j.name);
  const all = running.length === plan.length;
  // The Kubernetes jobs about to run can be sent to another target, by name.
  const remote = plan.some((j) => j.kind === "steps" && j.runner.startsWith("kubernetes:") && running.includes(j.name));
  const targets = useLoader(open && remote ? "targets" : null, listTargets);
  // Targets added meanwhile (config.toml edited, `targets add`) are offered at once.
  useSubscription(onSettings, () => targets.reload());
  // "": where the pipeline says. A target removed meanwhile is no longer chosen.
  const [picked, setTarget] = useState("");
  const target = remote && (targets.data ?? []).some((t) => t.name === picked) ? picked : "";
  // Gates run nowhere (they wait for a person), nor do deployments (they call clusters' APIs).
  const runners = [
    ...new Set(
      plan
        .filter((j) => j.kind === "steps")
        .map((j) => (target && j.runner.startsWith("kubernetes:") ? `kubernetes:${target}` : j.runner)),
    ),
  ];

  const toggle = (name: string) =>
    setSelected((s) => {
      const next = new Set(s);
      if (next.has(name)) next.delete(name);
      else next.add(name);
      return next;
    });

  const start = async () => {
    if (!parallelism.ok) return;
    setBusy(true);
    setError(null);
    try {
      // No job list means the whole pipeline.
      const jobs = all ? [] : running;
      // No link opens this dialog (a project link only shows the project): started from the app.
      const id = await startRun(project, jobs, inPlace, false, parallelism.value, target || null);
      onStarted(id);
    } catch (e) {
      setError(toErrorDto(e));
      setBusy(false);
    }
  };

  return (
    <Dialog open={open} onClose={busy ? undefined : onClose} maxWidth="sm" fullWidth aria-labelledby="run-options-title">
      <DialogTitle id="run-options-title">Run {project}</DialogTitle>
      <DialogContent dividers data-testid="run-options">
        <Stack direction="row" alignItems="center" justifyContent="space-between">
          <FormLabel component="legend">Jobs</FormLabel>
          <Box>
            <Button size="small" onClick={() => setSelected(new Set(plan.map((j) => j.name)))} disabled={all}>
              All
            </Button>
            <Button size="small" onClick={() => setSelected(new Set())} disabled={running.length === 0}>
              None
            </Button>
          </Box>
        </Stack>
        <Box role="group" aria-label="Jobs to run" sx={{ display: "flex", flexDirection: "column", mb: 2 }}>
          {plan.map((j) => {
            const neededFor = needed.get(j.name);
            return (
              <FormControlLabel
                key={j.name}
                control={
                  <Checkbox
                    checked={selected.has(j.name) || !!neededFor}
                    // A job a ticked job needs runs anyway: untick the jobs that need it first.
                    disabled={!!neededFor}
                    onChange={() => toggle(j.name)}
                    slotProps={{ input: { "aria-label": j.name, ...({ "data-testid": "run-option-job" } as object) } }}
                  />
                }
                label={
                  <>
                    <Box component="span" data-testid="run-option-label" data-kind={j.kind}>
                      <Typography component="span" sx={{ fontWeight: 600 }}>
                        {j.name}
                      </Typography>
                      <Typography component="span" variant="body2" color="text.secondary">
                        {" "}
                        · stage {j.stage}
                        {j.needs.length ? ` · needs ${j.needs.join(", ")}` : ""} ·{" "}
                        {j.kind === "approval" ? (
                          <>
                            <GateIcon size={15} /> approval (waits for a person)
                          </>
                        ) : j.kind === "deploy" ? (
                          "deploy (to its targets)"
                        ) : (
                          j.runner
                        )}
                      </Typography>
                    </Box>
                    {neededFor ? (
                      <Typography
                        component="span"
                        variant="body2"
                        color="primary"
                        sx={{ ml: 1, fontStyle: "italic" }}
                        data-testid="run-option-needed-by"
                        data-job={j.name}
                      >
                        included: needed by {neededFor.join(", ")}
                      </Typography>
                    ) : null}
                  </>
                }
              />
            );
          })}
        </Box>
        <Typography variant="body2" color="text.secondary" sx={{ mb: 1 }}>
          The jobs that the ticked ones need are included: they run too.
        </Typography>
        <Typography variant="body2" color="text.secondary" sx={{ mb: 2 }} data-testid="run-options-runner">
          Runs on: {runners.join(", ") || "local"}
          {runners.every((r) => r === "local") ? " (this machine)" : ""}
        </Typography>
        {remote ? (
          <TextField
            select
            label="Kubernetes jobs run on"
            value={target}
            onChange={(e) => setTarget(e.target.value)}
            size="small"
            fullWidth
            sx={{ mb: 2 }}
            helperText={
              targets.error
                ? `The targets could not be listed (${targets.error.message}); the pipeline's own are used.`
                : "Another target runs every Kubernetes job of this run; local jobs stay local."
            }
            slotProps={{
              select: { displayEmpty: true, SelectDisplayProps: { ...({ "data-testid": "run-option-target" } as object) } },
              inputLabel: { shrink: true },
            }}
          >
            <MenuItem value="" data-testid="run-option-target-choice" data-target="">
              As the pipeline says
            </MenuItem>
            {(targets.data ?? []).map((t) => (
              <MenuItem key={t.name} value={t.name} data-testid="run-option-target-choice" data-target={t.name}>
                {t.name}
                <Typography component="span" variant="body2" color="text.secondary" sx={{ ml: 1 }}>
                  {[t.environment, t.cloud, t.namespace ? `namespace ${t.namespace}` : null].filter(Boolean).join(" · ")}
                </Typography>
              </MenuItem>
            ))}
          </TextField>
        ) : null}
        <FormLabel id="run-where-label">Where</FormLabel>
        <RadioGroup
          aria-labelledby="run-where-label"
          value={inPlace ? "in-place" : "copy"}
          onChange={(e) => setInPlace(e.target.value === "in-place")}
        >
          <FormControlLabel
            value="copy"
            control={<Radio slotProps={{ input: { ...({ "data-testid": "run-option-copy" } as object) } }} />}
            label="In a copy of the working tree (uncommitted changes included; your folder is not touched)"
          />
          <FormControlLabel
            value="in-place"
            control={<Radio slotProps={{ input: { ...({ "data-testid": "run-option-in-place" } as object) } }} />}
            label="In place, in the project folder itself"
          />
        </RadioGroup>
        <TextField
          id="run-option-parallelism"
          label="Jobs at once"
          value={parallelismText}
          onChange={(e) => setParallelismText(e.target.value)}
          placeholder={localLimit !== null ? `as many as the runners allow (local: ${localLimit})` : "as many as the runners allow"}
          error={!parallelism.ok}
          helperText={parallelism.ok ? `${noCap}. At most ${JOB_LIMIT_MAX}; the runners' own limits still apply.` : parallelism.error}
          size="small"
          fullWidth
          sx={{ mt: 2 }}
          slotProps={{
            htmlInput: {
              inputMode: "numeric",
              autoComplete: "off",
              ...({ "data-testid": "run-option-parallelism" } as object),
            },
            formHelperText: { ...({ "data-testid": "run-option-parallelism-help" } as object) },
          }}
        />
        {error ? (
          <Box sx={{ mt: 2 }}>
            <ErrorAlert error={error} title="The run could not start" testId="run-options-error" focusOnShow />
          </Box>
        ) : null}
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose} disabled={busy}>
          Cancel
        </Button>
        <Button variant="contained" onClick={start} disabled={busy || running.length === 0 || !parallelism.ok}
          data-testid="run-options-confirm">
          {busy ? "Starting…" : all ? "Run all jobs" : `Run ${running.length} job${running.length === 1 ? "" : "s"}`}
        </Button>
      </DialogActions>
    </Dialog>
  );
}
