import Box from "@mui/material/Box";
import Button from "@mui/material/Button";
import Dialog from "@mui/material/Dialog";
import DialogActions from "@mui/material/DialogActions";
import DialogContent from "@mui/material/DialogContent";
import DialogContentText from "@mui/material/DialogContentText";
import DialogTitle from "@mui/material/DialogTitle";
import type { ReactNode } from "react";

import type { ErrorDto } from "../bindings/ErrorDto";
import { ErrorAlert } from "./ErrorAlert";

/**
 * "Remove X?" with what removing does, Cancel (focused) and a red Remove;
 * the backend's error stays in the dialog. Test ids are `<testId>-dialog`,
 * `-text`, `-error`, `-cancel` and `-confirm`.
 */
export function ConfirmRemoveDialog({
  open,
  testId,
  title,
  text,
  what,
  busy,
  error,
  onCancel,
  onConfirm,
}: {
  open: boolean;
  /** e.g. `target-remove`. */
  testId: string;
  title: ReactNode;
  text: ReactNode;
  /** What is removed, for the error's title ("The target could not be removed"). */
  what: string;
  busy: boolean;
  error: ErrorDto | null;
  onCancel: () => void;
  onConfirm: () => void;
}) {
  const titleId = `${testId}-title`;
  return (
    <Dialog
      open={open}
      onClose={onCancel}
      aria-labelledby={titleId}
      maxWidth="xs"
      fullWidth
      slotProps={{ paper: { ...({ "data-testid": `${testId}-dialog` } as object) } }}
    >
      <DialogTitle id={titleId} sx={{ wordBreak: "break-all" }}>
        {title}
      </DialogTitle>
      <DialogContent>
        <DialogContentText data-testid={`${testId}-text`}>{text}</DialogContentText>
        {error ? (
          <Box sx={{ mt: 2 }}>
            <ErrorAlert error={error} title={`${what} could not be removed`} testId={`${testId}-error`} focusOnShow />
          </Box>
        ) : null}
      </DialogContent>
      <DialogActions>
        <Button onClick={onCancel} disabled={busy} autoFocus data-testid={`${testId}-cancel`}>
          Cancel
        </Button>
        <Button color="error" variant="contained" onClick={onConfirm} disabled={busy} data-testid={`${testId}-confirm`}>
          {busy ? "Removing…" : "Remove"}
        </Button>
      </DialogActions>
    </Dialog>
  );
}
