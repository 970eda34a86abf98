import ContentCopyIcon from "@mui/icons-material/ContentCopy";
import FolderOpenOutlinedIcon from "@mui/icons-material/FolderOpenOutlined";
import OpenInNewIcon from "@mui/icons-material/OpenInNew";
import SaveAltIcon from "@mui/icons-material/SaveAlt";
import Box from "@mui/material/Box";
import Button from "@mui/material/Button";
import IconButton from "@mui/material/IconButton";
import Stack from "@mui/material/Stack";
import Table from "@mui/material/Table";
import TableBody from "@mui/material/TableBody";
import TableCell from "@mui/material/TableCell";
import TableHead from "@mui/material/TableHead";
import TableRow from "@mui/material/TableRow";
import Tooltip from "@mui/material/Tooltip";
import Typography from "@mui/material/Typography";
import { useState } from "react";

import { openArtifact, pickFolder, saveArtifacts, toErrorDto } from "../api";
import type { ErrorDto } from "../bindings/ErrorDto";
import type { JobView } from "../bindings/JobView";
import { formatBytes } from "../format";
import { useNotify } from "../notify";
import { MONO_FONT } from "../theme";
import { ErrorAlert } from "./ErrorAlert";

const plural = (n: number) => `${n} artifact${n === 1 ? "" : "s"}`;

/**
 * The files kept by run `runId`'s jobs: each can be opened or shown in its
 * folder (a copy out of the artifact store), and all of them, or one job's,
 * saved to a folder the user picks.
 */
export function Artifacts({ runId, jobs }: { runId: number; jobs: JobView[] }) {
  const notify = useNotify();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorDto | null>(null);
  const rows = jobs.flatMap((j) => j.artifacts.map((a) => ({ ...a, job: j.name, jobId: j.id })));
  if (rows.length === 0) {
    return (
      <Typography color="text.secondary" sx={{ p: 2 }} data-testid="artifacts-empty">
        No artifacts were kept in this run. Add <code>artifacts:</code> to a job to keep its files.
      </Typography>
    );
  }
  // Every job's files go to `<folder>/<job>/…` when the run has several jobs; one job's to `<folder>/…`.
  const jobsWithFiles = jobs.filter((j) => j.artifacts.length > 0);
  const perJob = jobs.length > 1;

  const copy = (text: string) => {
    navigator.clipboard?.writeText(text).then(
      () => notify("SHA-256 copied", "success"),
      () => notify("Could not copy to the clipboard", "warning"),
    );
  };

  const save = async (job: string | null) => {
    setError(null);
    try {
      const dir = await pickFolder(job === null ? "Save the run's artifacts to" : `Save the artifacts of ${job} to`);
      if (dir === null) return;
      setBusy(true);
      const saved = await saveArtifacts(runId, job, dir);
      notify(`Saved ${plural(saved.length)} to ${dir}`, "success");
    } catch (e) {
      setError(toErrorDto(e));
    } finally {
      setBusy(false);
    }
  };

  const open = async (jobId: number, path: string, reveal: boolean) => {
    setError(null);
    try {
      await openArtifact(jobId, path, reveal);
    } catch (e) {
      setError(toErrorDto(e));
    }
  };

  return (
    <Box>
      <Stack direction="row" gap={1} flexWrap="wrap" alignItems="center" sx={{ px: 2, pt: 1.5 }}>
        <Button
          size="small"
          variant="outlined"
          startIcon={<SaveAltIcon />}
          onClick={() => void save(null)}
          disabled={busy}
          title={perJob ? "Each job's files go to a folder named after the job" : undefined}
          data-testid="artifacts-save-all"
        >
          Save all…
        </Button>
        {perJob
          ? jobsWithFiles.map((j) => (
              <Button
                key={j.id}
                size="small"
                startIcon={<SaveAltIcon />}
                onClick={() => void save(j.name)}
                disabled={busy}
                data-testid="artifacts-save-job"
                data-job={j.name}
              >
                Save {j.name}…
              </Button>
            ))
          : null}
      </Stack>
      {error ? (
        <Box sx={{ px: 2, pt: 1.5 }}>
          <ErrorAlert error={error} testId="artifacts-error" focusOnShow />
        </Box>
      ) : null}
      <Table size="small" aria-label="Artifacts">
        <TableHead>
          <TableRow>
            <TableCell>Path</TableCell>
            <TableCell>Job</TableCell>
            <TableCell align="right">Size</TableCell>
            <TableCell>SHA-256</TableCell>
            <TableCell align="right" aria-label="Actions" />
          </TableRow>
        </TableHead>
        <TableBody>
          {rows.map((a) => (
            <TableRow key={`${a.jobId}|${a.path}`} data-testid="artifact-row" data-path={a.path} data-job={a.job}>
              <TableCell sx={{ fontFamily: MONO_FONT, fontSize: 12.5, wordBreak: "break-all" }}>{a.path}</TableCell>
              <TableCell>{a.job}</TableCell>
              <TableCell align="right" title={`${a.size.toLocaleString()} bytes`} sx={{ whiteSpace: "nowrap" }}>
                {formatBytes(a.size)}
              </TableCell>
              <TableCell sx={{ fontFamily: MONO_FONT, fontSize: 12 }}>
                <span title={a.sha256}>{a.sha256.slice(0, 16)}…</span>
                <Tooltip title="Copy SHA-256">
                  <IconButton size="small" onClick={() => copy(a.sha256)} aria-label={`Copy SHA-256 of ${a.path}`}>
                    <ContentCopyIcon sx={{ fontSize: 14 }} />
                  </IconButton>
                </Tooltip>
              </TableCell>
              <TableCell align="right" sx={{ whiteSpace: "nowrap" }}>
                <Button
                  size="small"
                  startIcon={<OpenInNewIcon />}
                  onClick={() => void open(a.jobId, a.path, false)}
                  aria-label={`Open ${a.path}`}
                  data-testid="artifact-open"
                >
                  Open
                </Button>
                <Button
                  size="small"
                  startIcon={<FolderOpenOutlinedIcon />}
                  onClick={() => void open(a.jobId, a.path, true)}
                  aria-label={`Show ${a.path} in its folder`}
                  data-testid="artifact-reveal"
                >
                  Show in folder
                </Button>
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </Box>
  );
}
