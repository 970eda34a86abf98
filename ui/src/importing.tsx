import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from "react";
import { useNavigate } from "react-router";

import type { ProjectView } from "./bindings/ProjectView";
import { ImportDialog } from "./components/ImportDialog";
import { useNotify } from "./notify";

interface ImportContextValue {
  /** Opens the import dialog, inspecting `path` right away when given. */
  openImport: (path?: string) => void;
  /** Grows whenever a project was imported (lists reload on it). */
  projectsVersion: number;
  /** Tells the lists that a project was added elsewhere (the demo). */
  projectAdded: () => void;
}

const ImportContext = createContext<ImportContextValue | null>(null);

export function useImport(): ImportContextValue {
  const ctx = useContext(ImportContext);
  if (!ctx) throw new Error("useImport outside ImportProvider");
  return ctx;
}

export function ImportProvider({ children }: { children: ReactNode }) {
  const navigate = useNavigate();
  const notify = useNotify();
  const [dialog, setDialog] = useState<{ session: number; path: string | null; open: boolean }>({
    session: 0,
    path: null,
    open: false,
  });
  const [projectsVersion, setProjectsVersion] = useState(0);

  const openImport = useCallback((path?: string) => {
    setDialog((d) => ({ session: d.session + 1, path: path ?? null, open: true }));
  }, []);
  const projectAdded = useCallback(() => setProjectsVersion((v) => v + 1), []);
  const close = useCallback(() => setDialog((d) => ({ ...d, open: false })), []);

  const onImported = useCallback(
    (project: ProjectView) => {
      close();
      setProjectsVersion((v) => v + 1);
      notify(`Imported ${project.name}.`, "success");
      navigate(`/projects/${encodeURIComponent(project.name)}`);
    },
    [close, navigate, notify],
  );

  const onOpenExisting = useCallback(
    (name: string) => {
      close();
      navigate(`/projects/${encodeURIComponent(name)}`);
    },
    [close, navigate],
  );

  const value = useMemo(() => ({ openImport, projectsVersion, projectAdded }), [openImport, projectsVersion, projectAdded]);

  return (
    <ImportContext.Provider value={value}>
      {children}
      {dialog.session > 0 ? (
        <ImportDialog
          key={dialog.session}
          open={dialog.open}
          initialPath={dialog.path}
          onClose={close}
          onImported={onImported}
          onOpenExisting={onOpenExisting}
        />
      ) : null}
    </ImportContext.Provider>
  );
}
