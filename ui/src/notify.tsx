import Alert, { type AlertColor } from "@mui/material/Alert";
import Snackbar from "@mui/material/Snackbar";
import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from "react";

type Notify = (message: string, severity?: AlertColor) => void;

const NotifyContext = createContext<Notify>(() => {});
const DismissContext = createContext<() => void>(() => {});

/** Shows a short message at the bottom of the window. */
export function useNotify(): Notify {
  return useContext(NotifyContext);
}

/** Hides the message shown, if any (a new deep link dismisses the previous one's). */
export function useDismissNotice(): () => void {
  return useContext(DismissContext);
}

interface Notice {
  id: number;
  message: string;
  severity: AlertColor;
}

export function NotifyProvider({ children }: { children: ReactNode }) {
  const [notice, setNotice] = useState<Notice | null>(null);
  const [open, setOpen] = useState(false);
  const notify = useCallback<Notify>((message, severity = "info") => {
    setNotice((n) => ({ id: (n?.id ?? 0) + 1, message, severity }));
    setOpen(true);
  }, []);
  const dismiss = useCallback(() => setOpen(false), []);
  const value = useMemo(() => notify, [notify]);
  return (
    <NotifyContext.Provider value={value}>
      <DismissContext.Provider value={dismiss}>{children}</DismissContext.Provider>
      <Snackbar
        key={notice?.id}
        open={open && notice !== null}
        autoHideDuration={5000}
        onClose={(_, reason) => {
          if (reason !== "clickaway") setOpen(false);
        }}
        anchorOrigin={{ vertical: "bottom", horizontal: "center" }}
      >
        {notice ? (
          <Alert
            severity={notice.severity}
            variant="filled"
            onClose={() => setOpen(false)}
            data-testid="notice"
            sx={{ minWidth: 320 }}
          >
            {notice.message}
          </Alert>
        ) : undefined}
      </Snackbar>
    </NotifyContext.Provider>
  );
}
