import CancelIcon from "@mui/icons-material/Cancel";
import CheckIcon from "@mui/icons-material/Check";
import CheckCircleIcon from "@mui/icons-material/CheckCircle";
import CloseIcon from "@mui/icons-material/Close";
import Box from "@mui/material/Box";
import Button from "@mui/material/Button";
import Dialog from "@mui/material/Dialog";
import DialogActions from "@mui/material/DialogActions";
import DialogContent from "@mui/material/DialogContent";
import DialogContentText from "@mui/material/DialogContentText";
import DialogTitle from "@mui/material/DialogTitle";
import Stack from "@mui/material/Stack";
import TextField from "@mui/material/TextField";
import Typography from "@mui/material/Typography";
import { useId, useState } from "react";

import { DECISION_COMMENT_MAX, decideJob, toErrorDto } from "../api";
import type { DecisionView } from "../bindings/DecisionView";
import type { ErrorDto } from "../bindings/ErrorDto";
import type { JobView } from "../bindings/JobView";
import { formatDateTime, toMs } from "../format";
import { STATUS_LABEL, StatusIcon } from "../status";
import { MONO_FONT } from "../theme";
import { ErrorAlert } from "./ErrorAlert";

/** A word as a POSIX shell would need it quoted (job names with matrix values have spaces). */
function shellWord(word: string): string {
  return /^[A-Za-z0-9_./:=@+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Characters as people count them (code points, not UTF-16 units). */
function length(text: string): number {
  return [...text].length;
}

/** "Approved by ana (desktop) · looks good · 15/01/2025, 12:00:00". */
export function decisionText(decision: DecisionView): string {
  const at = toMs(decision.at);
  return [
    `${decision.approved ? "Approved" : "Rejected"} by ${decision.by}`,
    decision.comment,
    at !== null ? formatDateTime(at) : null,
  ]
    .filter(Boolean)
    .join(" · ");
}

function Decision({ decision }: { decision: DecisionView }) {
  const Icon = decision.approved ? CheckCircleIcon : CancelIcon;
  return (
    <Stack
      direction="row"
      gap={1}
      alignItems="flex-start"
      sx={{ mt: 2 }}
      data-testid="gate-decision"
      data-approved={decision.approved}
    >
      <Icon sx={{ fontSize: 20, mt: "1px", color: decision.approved ? "success.main" : "error.main" }} aria-hidden />
      <Typography variant="body2" sx={{ whiteSpace: "pre-wrap", wordBreak: "break-word" }}>
        {decisionText(decision)}
      </Typography>
    </Stack>
  );
}

export interface GatePanelProps {
  runId: number;
  /** An approval job (`kind` `approval`). */
  job: JobView;
  /** After a decision was recorded: load the run again (its events follow too). */
  onDecided: () => void;
}

/**
 * An approval job: what it asks, and while it waits, Approve / Reject with an
 * optional comment (Reject after a confirmation); once decided, who decided,
 * what they said and when. Shown where a job's log would be: a gate has none.
 */
export function GatePanel({ runId, job, onDecided }: GatePanelProps) {
  const [comment, setComment] = useState("");
  const [busy, setBusy] = useState<"approve" | "reject" | null>(null);
  const [sent, setSent] = useState(false);
  const [error, setError] = useState<ErrorDto | null>(null);
  const [confirming, setConfirming] = useState(false);
  const waiting = job.status === "waiting";
  const commentId = useId();
  const confirmTitleId = useId();

  const decision = job.approval?.decision ?? null;
  const message = job.approval?.message ?? "";
  const tooLong = length(comment) > DECISION_COMMENT_MAX;
  const since = toMs(job.started_at);
  const locked = busy !== null || sent;

  const decide = async (approved: boolean) => {
    setConfirming(false);
    setBusy(approved ? "approve" : "reject");
    setError(null);
    try {
      await decideJob(runId, job.name, approved, comment.trim() === "" ? null : comment.trim());
      setSent(true);
      onDecided();
    } catch (e) {
      // The comment stays as typed: the user may want it for another try, or elsewhere.
      setError(toErrorDto(e));
      // Decided by someone else, ended, ...: the page catches up with what happened.
      onDecided();
    } finally {
      setBusy(null);
    }
  };

  // The comment stays visible after a failed attempt, even once the gate has ended.
  const showForm = waiting || (error !== null && comment !== "");
  const cli = `${shellWord(String(runId))} ${shellWord(job.name)}`;

  return (
    <Box data-testid="gate-panel" data-status={job.status} role="region" aria-label={`Approval: ${job.name}`}>
      <Stack direction="row" gap={1.5} alignItems="flex-start">
        <Box sx={{ pt: "2px" }}>
          <StatusIcon status={job.status} size={22} />
        </Box>
        <Box sx={{ minWidth: 0, flex: 1 }}>
          <Typography variant="caption" color="text.secondary" component="div">
            {waiting
              ? `Waiting for approval${since !== null ? ` since ${formatDateTime(since)}` : ""}`
              : job.status === "queued"
                ? "Asks for a decision once the jobs it needs are done"
                : decision
                  ? "Approval"
                  : `Approval · ${STATUS_LABEL[job.status]} without a decision`}
          </Typography>
          <Typography
            variant="body1"
            component="p"
            sx={{ m: 0, fontWeight: 600, whiteSpace: "pre-wrap", wordBreak: "break-word" }}
            data-testid="gate-message"
          >
            {message}
          </Typography>
        </Box>
      </Stack>
      {/* Announced when it arrives (the buttons it replaces had the focus). */}
      <Box aria-live="polite">{decision ? <Decision decision={decision} /> : null}</Box>
      {showForm ? (
        <Box sx={{ mt: 2 }}>
          <TextField
            id={commentId}
            label="Comment (optional)"
            value={comment}
            onChange={(e) => setComment(e.target.value)}
            multiline
            minRows={2}
            maxRows={8}
            fullWidth
            size="small"
            disabled={busy !== null}
            error={tooLong}
            helperText={
              tooLong
                ? `${length(comment)} of at most ${DECISION_COMMENT_MAX} characters: shorten it to send it`
                : waiting
                  ? "Kept with the decision and shown as the job's reason."
                  : "Not sent: this gate no longer waits."
            }
            slotProps={{ htmlInput: { "data-testid": "gate-comment" } }}
          />
          {waiting ? (
            <Stack direction="row" gap={1} alignItems="center" flexWrap="wrap" sx={{ mt: 1.5 }}>
              <Button
                variant="contained"
                color="success"
                startIcon={<CheckIcon />}
                onClick={() => decide(true)}
                disabled={locked || tooLong}
                data-testid="gate-approve"
              >
                {busy === "approve" ? "Approving…" : "Approve"}
              </Button>
              <Button
                variant="outlined"
                color="error"
                startIcon={<CloseIcon />}
                onClick={() => setConfirming(true)}
                disabled={locked || tooLong}
                aria-haspopup="dialog"
                data-testid="gate-reject"
              >
                {busy === "reject" ? "Rejecting…" : "Reject"}
              </Button>
              <Typography variant="caption" color="text.secondary" sx={{ ml: 1 }}>
                Or in a terminal:{" "}
                <Box component="code" sx={{ fontFamily: MONO_FONT }}>
                  switchyard approve {cli}
                </Box>{" "}
                (or <Box component="code" sx={{ fontFamily: MONO_FONT }}>reject</Box>)
              </Typography>
            </Stack>
          ) : null}
        </Box>
      ) : null}
      {error ? (
        <Box sx={{ mt: 2 }}>
          <ErrorAlert
            error={error}
            title={error.code === "conflict" ? "This gate can no longer be decided" : "The decision was not recorded"}
          />
        </Box>
      ) : null}
      <Dialog open={confirming} onClose={() => setConfirming(false)} aria-labelledby={confirmTitleId} maxWidth="xs" fullWidth>
        <DialogTitle id={confirmTitleId}>Reject “{job.name}”?</DialogTitle>
        <DialogContent>
          <DialogContentText>
            The gate fails: the jobs that need it are skipped (unless they run <code>if: failure</code> or{" "}
            <code>if: always</code>) and the run fails. This cannot be undone.
          </DialogContentText>
        </DialogContent>
        <DialogActions>
          <Button onClick={() => setConfirming(false)} autoFocus data-testid="gate-reject-cancel">
            Cancel
          </Button>
          <Button color="error" variant="contained" onClick={() => decide(false)} data-testid="gate-reject-confirm">
            Reject
          </Button>
        </DialogActions>
      </Dialog>
    </Box>
  );
}
