import ContentCopyIcon from "@mui/icons-material/ContentCopy";
import IconButton from "@mui/material/IconButton";
import Table from "@mui/material/Table";
import TableBody from "@mui/material/TableBody";
import TableCell from "@mui/material/TableCell";
import TableHead from "@mui/material/TableHead";
import TableRow from "@mui/material/TableRow";
import Tooltip from "@mui/material/Tooltip";
import Typography from "@mui/material/Typography";

import type { JobView } from "../bindings/JobView";
import { formatBytes } from "../format";
import { useNotify } from "../notify";
import { MONO_FONT } from "../theme";

/** The files kept by the run's jobs. */
export function Artifacts({ jobs }: { jobs: JobView[] }) {
  const notify = useNotify();
  const rows = jobs.flatMap((j) => j.artifacts.map((a) => ({ ...a, job: j.name })));
  if (rows.length === 0) {
    return (
      <Typography color="text.secondary" sx={{ p: 2 }} data-testid="artifacts-empty">
        No artifacts were kept in this run. Add <code>artifacts:</code> to a job to keep its files.
      </Typography>
    );
  }
  const copy = (text: string) => {
    navigator.clipboard?.writeText(text).then(
      () => notify("SHA-256 copied", "success"),
      () => notify("Could not copy to the clipboard", "warning"),
    );
  };
  return (
    <Table size="small" aria-label="Artifacts">
      <TableHead>
        <TableRow>
          <TableCell>Path</TableCell>
          <TableCell>Job</TableCell>
          <TableCell align="right">Size</TableCell>
          <TableCell>SHA-256</TableCell>
        </TableRow>
      </TableHead>
      <TableBody>
        {rows.map((a) => (
          <TableRow key={`${a.job}|${a.path}`} data-testid="artifact-row" data-path={a.path}>
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
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}
