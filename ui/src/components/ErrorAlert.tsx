import Alert from "@mui/material/Alert";
import AlertTitle from "@mui/material/AlertTitle";
import Box from "@mui/material/Box";
import Button from "@mui/material/Button";
import { useEffect, useRef } from "react";

import type { DiagnosticView } from "../bindings/DiagnosticView";
import type { ErrorDto } from "../bindings/ErrorDto";
import { MONO_FONT } from "../theme";

/** Pipeline problems as "line:column  message", in file order. */
export function DiagnosticList({ diagnostics, testId = "diagnostic" }: { diagnostics: DiagnosticView[]; testId?: string }) {
  const sorted = [...diagnostics].sort((a, b) => a.line - b.line || a.column - b.column);
  return (
    <Box component="ul" sx={{ m: 0, mt: 1, pl: 0, listStyle: "none" }} aria-label="Pipeline problems">
      {sorted.map((d, i) => (
        <Box
          component="li"
          key={i}
          data-testid={testId}
          data-line={d.line}
          data-column={d.column}
          sx={{ display: "flex", gap: 1.5, py: 0.25, alignItems: "baseline" }}
        >
          <Box component="code" sx={{ fontFamily: MONO_FONT, fontWeight: 600, whiteSpace: "nowrap", minWidth: 56 }}>
            {d.line}:{d.column}
          </Box>
          <span>{d.message}</span>
        </Box>
      ))}
    </Box>
  );
}

export interface ErrorAlertProps {
  error: ErrorDto;
  title?: string;
  onRetry?: () => void;
  testId?: string;
  /**
   * Scrolls the error into view and focuses it when it appears (and for each
   * new error), for an error that answers a click elsewhere.
   */
  focusOnShow?: boolean;
}

/** An error where it happened: the shell's message, and the diagnostics of an invalid pipeline. */
export function ErrorAlert({ error, title, onRetry, testId = "error-message", focusOnShow = false }: ErrorAlertProps) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (!focusOnShow || !el) return;
    el.scrollIntoView?.({ block: "nearest" });
    el.focus({ preventScroll: true });
  }, [focusOnShow, error]);
  return (
    <Alert
      ref={ref}
      tabIndex={focusOnShow ? -1 : undefined}
      severity="error"
      data-testid={testId}
      data-code={error.code}
      action={
        onRetry ? (
          <Button color="inherit" size="small" onClick={onRetry}>
            Try again
          </Button>
        ) : undefined
      }
    >
      {title ? <AlertTitle>{title}</AlertTitle> : null}
      {error.message}
      {error.code === "invalid_pipeline" && error.diagnostics.length > 0 ? (
        <DiagnosticList diagnostics={error.diagnostics} testId="error-diagnostic" />
      ) : null}
    </Alert>
  );
}
