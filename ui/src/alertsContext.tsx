import { createContext, useCallback, useContext, useMemo, type ReactNode } from "react";

import { alertsView, onAlerts } from "./api";
import type { AlertsView } from "./bindings/AlertsView";
import type { ErrorDto } from "./bindings/ErrorDto";
import { useLoader, useSubscription } from "./hooks";

interface AlertsContextValue {
  /** The latest `alerts_view` answer (kept across reloads). */
  data: AlertsView | undefined;
  error: ErrorDto | undefined;
  /** True until the first answer. */
  loading: boolean;
  /** Reads `alerts_view` again. */
  reload: () => void;
  /** Shows an answer got otherwise (`evaluate_alerts` answers as `alerts_view`). */
  replace: (view: AlertsView) => void;
}

const AlertsContext = createContext<AlertsContextValue | null>(null);

/** The alerts and incidents, shared by the navigation's badge and the Alerts view. */
export function useAlerts(): AlertsContextValue {
  const ctx = useContext(AlertsContext);
  if (!ctx) throw new Error("useAlerts outside AlertsProvider");
  return ctx;
}

/**
 * Loads `alerts_view` once for the whole app and again on each `alerts`
 * event (rules evaluated, an alert silenced, an incident acknowledged: here,
 * by the CLI or by the shell's own evaluation), so the badge in the
 * navigation and the Alerts view always show the same answer.
 */
export function AlertsProvider({ children }: { children: ReactNode }) {
  const { data, error, loading, reload, mutate } = useLoader("alerts", alertsView);
  useSubscription(onAlerts, () => reload());
  const hasData = data !== undefined;
  const replace = useCallback(
    (view: AlertsView) => {
      // mutate only changes loaded data: without it (a failed first load), read it again.
      if (hasData) mutate(() => view);
      else reload();
    },
    [hasData, mutate, reload],
  );
  const value = useMemo<AlertsContextValue>(
    () => ({ data, error, loading, reload, replace }),
    [data, error, loading, reload, replace],
  );
  return <AlertsContext.Provider value={value}>{children}</AlertsContext.Provider>;
}
