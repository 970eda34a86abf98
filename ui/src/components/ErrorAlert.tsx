import Alert from "@mui/material/Alert";
import AlertTitle from "@mui/material/AlertTitle";
import Box from "@mui/material/Box";
import Button from "@mui/material/Button";
import ButtonBase from "@mui/material/ButtonBase";
import { useEffect, useRef, type ReactNode } from "react";

import type { DiagnosticView } from "../bindings/DiagnosticView";
import type { ErrorDto } from "../bindings/ErrorDto";
import { MONO_FONT } from "../theme";

/**
 * Pipeline problems as "line:column  message", in file order. With `onPick`
 * each one is a button (the editor puts the caret there); the test id and
 * `data-line` / `data-column` are then on the button.
 */
export function DiagnosticList({
  diagnostics,
  testId = "diagnostic",
  onPick,
}: {
  diagnostics: DiagnosticView[];
  testId?: string;
  onPick?: (diagnostic: DiagnosticView) => void;
}) {
  const sorted = [...diagnostics].sort((a, b) => a.line - b.line || a.column - b.column);
  const row = { display: "flex", gap: 1.5, py: 0.25, alignItems: "baseline" } as const;
  const text = (d: DiagnosticView) => (
    <>
      <Box component="code" sx={{ fontFamily: MONO_FONT, fontWeight: 600, whiteSpace: "nowrap", minWidth: 56 }}>
        {d.line}:{d.column}
      </Box>
      <span>{d.message}</span>
    </>
  );
  return (
    <Box component="ul" sx={{ m: 0, mt: 1, pl: 0, listStyle: "none" }} aria-label="Pipeline problems">
      {sorted.map((d, i) =>
        onPick ? (
          <Box component="li" key={i}>
            <ButtonBase
              onClick={() => onPick(d)}
              title={`Go to line ${d.line}, column ${d.column}`}
              data-testid={testId}
              data-line={d.line}
              data-column={d.column}
              sx={{
                ...row,
                width: "100%",
                px: 0.5,
                borderRadius: 1,
                justifyContent: "flex-start",
                textAlign: "left",
                font: "inherit",
                "&:hover, &.Mui-focusVisible": { bgcolor: "action.hover" },
              }}
            >
              {text(d)}
            </ButtonBase>
          </Box>
        ) : (
          <Box component="li" key={i} data-testid={testId} data-line={d.line} data-column={d.column} sx={row}>
            {text(d)}
          </Box>
        ),
      )}
    </Box>
  );
}

export interface ErrorAlertProps {
  error: ErrorDto;
  title?: string;
  onRetry?: () => void;
  /** Another way out than "Try again" (a button), shown in its place. */
  action?: ReactNode;
  testId?: string;
  /**
   * Scrolls the error into view and focuses it when it appears (and for each
   * new error), for an error that answers a click elsewhere.
   */
  focusOnShow?: boolean;
}

/** An error where it happened: the shell's message, and the diagnostics of an invalid pipeline. */
export function ErrorAlert({ error, title, onRetry, action, testId = "error-message", focusOnShow = false }: ErrorAlertProps) {
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
        action ??
        (onRetry ? (
          <Button color="inherit" size="small" onClick={onRetry}>
            Try again
          </Button>
        ) : undefined)
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
