import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import type { TargetCheckDto } from "../bindings/TargetCheckDto";
import { emitEvent, errorDto, fakeTargets, mockBackend, type FakeTargets } from "../test/backend";
import { CHECKED_VERBS, kubeContext, settings, target, targetCheck } from "../test/fixtures";
import { currentPath, renderApp } from "../test/render";

const EKS = "arn:aws:eks:eu-west-1:123456789012:cluster/Prod";

/** prod (the context's namespace is overridden, production), staging (its own kubeconfig) and kind (no label). */
function sample() {
  return [
    target({ name: "prod", context: "prod-admin", namespace: "ci", environment: "production" }),
    target({ name: "staging", context: "gke_acme_europe-west1_staging", kubeconfig: "/home/dev/.kube/gke.yaml", environment: "staging" }),
    target({ name: "kind", context: "kind-kind" }),
  ];
}

/** The default kubeconfig (kind-kind current, prod-admin, an EKS context) and /home/dev/.kube/gke.yaml. */
function kubeconfigs(): FakeTargets["kubeconfigs"] {
  return {
    "": [
      kubeContext({ name: "kind-kind", current: true }),
      kubeContext({ name: "prod-admin", cluster: "prod", server: "https://prod.example.com:6443", namespace: "apps" }),
      kubeContext({ name: EKS, cluster: EKS, server: "https://ABC.gr7.eu-west-1.eks.amazonaws.com" }),
    ],
    "/home/dev/.kube/gke.yaml": [
      kubeContext({ name: "gke_acme_europe-west1_staging", cluster: "gke_acme_europe-west1_staging", server: "https://34.1.2.3" }),
      kubeContext({ name: "gke_acme_europe-west1_Prod-EU", cluster: "gke_acme_europe-west1_Prod-EU", server: "https://34.1.2.4" }),
    ],
  };
}

function setup(initial = sample(), extra: Parameters<typeof mockBackend>[0] = {}) {
  const fake = fakeTargets(initial, kubeconfigs());
  const backend = mockBackend({ ...fake.handlers, ...extra });
  return { fake, backend, ...renderApp("/targets") };
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((res) => {
    resolve = res;
  });
  return { promise, resolve };
}

function row(name: string): HTMLElement {
  const found = screen.getAllByTestId("target-row").find((r) => r.getAttribute("data-name") === name);
  if (!found) throw new Error(`no row ${name}`);
  return found;
}

function checkRow(name: string): HTMLElement {
  const found = screen.getAllByTestId("target-check-row").find((r) => r.getAttribute("data-name") === name);
  if (!found) throw new Error(`no check of ${name}`);
  return found;
}

const status = (name: string) => within(row(name)).getByTestId("target-status");
const states = () => screen.getAllByTestId("target-row").map((r) => [r.dataset.name, within(r).getByTestId("target-status").dataset.state]);

function input(testId: string): HTMLInputElement {
  return screen.getByTestId(testId) as HTMLInputElement;
}

function option(context: string): HTMLElement {
  const found = screen.getAllByTestId("target-context-option").find((o) => o.getAttribute("data-context") === context);
  if (!found) throw new Error(`no context option ${context}`);
  return found;
}

/** staging: the credentials work but two verbs are denied, and its token runs out. */
function stagingProblems(): TargetCheckDto {
  return targetCheck(
    {
      name: "staging",
      expires_at: "2099-01-01T00:00:00Z",
    },
    ["create pods/exec", "deletecollection secrets"],
  );
}

describe("Targets view", () => {
  it("lists every target: name, context, namespace, environment, its kubeconfig when not the default, not checked yet", async () => {
    setup();
    const rows = await screen.findAllByTestId("target-row");
    expect(rows.map((r) => r.dataset.name)).toEqual(["prod", "staging", "kind"]);

    const prod = row("prod");
    expect(within(prod).getByTestId("target-context")).toHaveTextContent("prod-admin");
    expect(within(prod).getByTestId("target-namespace")).toHaveTextContent("ci");
    expect(within(prod).getByTestId("target-environment")).toHaveTextContent("production");
    expect(within(prod).queryByTestId("target-kubeconfig")).not.toBeInTheDocument();

    const staging = row("staging");
    expect(within(staging).getByTestId("target-namespace")).toHaveTextContent("context's");
    expect(within(staging).getByTestId("target-kubeconfig")).toHaveTextContent("/home/dev/.kube/gke.yaml");
    expect(within(staging).getByTestId("target-environment")).toHaveTextContent("staging");

    expect(within(row("kind")).queryByTestId("target-environment")).not.toBeInTheDocument();
    expect(states()).toEqual([
      ["prod", "unchecked"],
      ["staging", "unchecked"],
      ["kind", "unchecked"],
    ]);
    expect(status("kind")).toHaveTextContent("Not checked yet");
    expect(screen.queryByTestId("target-check-row")).not.toBeInTheDocument();
  });

  it("checks all at once: every row spins and the button waits; then OK with the version, or the problems and the verbs denied", async () => {
    const answer = deferred<void>();
    const fake = fakeTargets(sample(), kubeconfigs());
    const backend = mockBackend({
      ...fake.handlers,
      check_targets: async (args) => {
        await answer.promise;
        return fake.handlers.check_targets(args);
      },
    });
    fake.checks.staging = stagingProblems();
    fake.checks.kind = targetCheck({
      name: "kind",
      ok: false,
      server_version: null,
      problems: [
        "the API server of context `kind-kind` did not answer within 15 s: unreachable (VPN, firewall, a stopped cluster?)",
      ],
      allowed: [],
    });
    const { user } = renderApp("/targets");
    await screen.findAllByTestId("target-row");

    await user.click(screen.getByTestId("target-check-all"));
    expect(backend.argsOf("check_targets")).toEqual([{ names: [] }]);
    expect(states()).toEqual([
      ["prod", "checking"],
      ["staging", "checking"],
      ["kind", "checking"],
    ]);
    expect(screen.getByTestId("target-check-all")).toBeDisabled();
    expect(screen.getByTestId("target-check-all")).toHaveTextContent("Checking…");
    for (const b of screen.getAllByTestId("target-check")) expect(b).toBeDisabled();

    answer.resolve();
    await waitFor(() => expect(status("prod")).toHaveAttribute("data-state", "ok"));
    expect(screen.getByTestId("target-check-all")).toBeEnabled();
    expect(status("prod")).toHaveTextContent("OK · v1.30.2");
    expect(within(checkRow("prod")).queryByTestId("target-problem")).not.toBeInTheDocument();
    expect(within(checkRow("prod")).getByTestId("target-verbs-summary")).toHaveTextContent(`All ${CHECKED_VERBS.length} verbs allowed`);

    expect(status("staging")).toHaveAttribute("data-state", "problems");
    expect(status("staging")).toHaveTextContent("1 problem");
    const staging = checkRow("staging");
    expect(within(staging).getAllByTestId("target-problem").map((p) => p.textContent)).toEqual([
      "not allowed in namespace `default`: create pods/exec, deletecollection secrets; grant the Role of docs/kubernetes-runner.md to this identity",
    ]);
    const verbs = within(staging).getAllByTestId("target-verb");
    expect(verbs.map((v) => v.dataset.verb)).toEqual(CHECKED_VERBS);
    expect(verbs.filter((v) => v.dataset.allowed === "false").map((v) => v.getAttribute("aria-label"))).toEqual([
      "create pods/exec: not allowed",
      "deletecollection secrets: not allowed",
    ]);
    expect(within(staging).getByTestId("target-verbs-summary")).toHaveTextContent(`2 of ${CHECKED_VERBS.length} verbs not allowed`);
    expect(within(staging).getByTestId("target-expires")).toHaveTextContent("Credential expires 2099-01-01");

    expect(status("kind")).toHaveTextContent("1 problem");
    expect(within(checkRow("kind")).getByTestId("target-problem")).toHaveTextContent("did not answer within 15 s");
    expect(within(checkRow("kind")).queryByTestId("target-verb")).not.toBeInTheDocument();

    // The list reloads (config.toml changed): the results stay.
    await emitEvent("switchyard://settings", settings());
    await waitFor(() => expect(backend.argsOf("list_targets")).toHaveLength(2));
    expect(states()).toEqual([
      ["prod", "ok"],
      ["staging", "problems"],
      ["kind", "problems"],
    ]);
    expect(within(checkRow("staging")).getAllByTestId("target-problem")).toHaveLength(1);
  });

  it("checks one target from its row, and only that one spins", async () => {
    const answer = deferred<void>();
    const fake = fakeTargets(sample(), kubeconfigs());
    fake.checks.staging = stagingProblems();
    const backend = mockBackend({
      ...fake.handlers,
      check_targets: async (args) => {
        await answer.promise;
        return fake.handlers.check_targets(args);
      },
    });
    const { user } = renderApp("/targets");
    await screen.findAllByTestId("target-row");

    await user.click(within(row("staging")).getByTestId("target-check"));
    expect(backend.argsOf("check_targets")).toEqual([{ names: ["staging"] }]);
    expect(states()).toEqual([
      ["prod", "unchecked"],
      ["staging", "checking"],
      ["kind", "unchecked"],
    ]);
    expect(within(row("staging")).getByTestId("target-check")).toBeDisabled();
    expect(within(row("prod")).getByTestId("target-check")).toBeEnabled();
    expect(screen.getByTestId("target-check-all")).toBeDisabled();

    answer.resolve();
    await waitFor(() => expect(status("staging")).toHaveAttribute("data-state", "problems"));
    expect(states()).toEqual([
      ["prod", "unchecked"],
      ["staging", "problems"],
      ["kind", "unchecked"],
    ]);
    expect(screen.getByTestId("target-check-all")).toBeEnabled();
  });

  it("says when the check itself is refused", async () => {
    const { user } = setup(sample(), {
      check_targets: () => {
        throw errorDto("invalid_input", "no target named `staging`; targets: prod, kind");
      },
    });
    await screen.findAllByTestId("target-row");
    await user.click(within(row("staging")).getByTestId("target-check"));
    const error = await screen.findByTestId("target-check-error");
    expect(error).toHaveTextContent("no target named `staging`");
    expect(status("staging")).toHaveAttribute("data-state", "unchecked");
  });

  it("adds a target from a context of the default kubeconfig, named after it, and lists it", async () => {
    const { user, backend } = setup();
    await screen.findAllByTestId("target-row");
    await user.click(screen.getByTestId("target-add"));
    const dialog = await screen.findByTestId("target-add-dialog");
    expect(within(dialog).getByRole("heading", { level: 2 })).toHaveTextContent("Add target");

    // The default kubeconfig's contexts, at once.
    await waitFor(() => expect(screen.getAllByTestId("target-context-option")).toHaveLength(3));
    expect(backend.argsOf("kube_contexts")).toEqual([{ kubeconfig: null }]);
    expect(input("target-kubeconfig-input").value).toBe("");
    expect(within(option("kind-kind")).getByTestId("target-context-current")).toBeInTheDocument();
    expect(within(option("prod-admin")).queryByTestId("target-context-current")).not.toBeInTheDocument();
    // Already made into a target: said, and still selectable.
    expect(within(option("prod-admin")).getByTestId("target-context-used")).toHaveTextContent("target prod");
    expect(option("prod-admin")).toHaveTextContent("https://prod.example.com:6443");
    expect(screen.getByTestId("target-add-confirm")).toBeDisabled();

    await user.click(option("prod-admin"));
    expect(option("prod-admin")).toHaveAttribute("data-selected", "true");
    expect(input("target-name-input").value).toBe("prod-admin");
    // The context's namespace is what an empty field means.
    expect(input("target-namespace-input")).toHaveAttribute("placeholder", "apps");

    // Choosing another proposes its name, made valid.
    await user.click(option(EKS));
    expect(option("prod-admin")).toHaveAttribute("data-selected", "false");
    expect(input("target-name-input").value).toBe("arn-aws-eks-eu-west-1-123456789012-cluster-prod");

    await user.type(input("target-namespace-input"), "ci");
    const production = screen.getAllByTestId("target-environment-suggestion").find((c) => c.dataset.value === "production");
    expect(screen.getAllByTestId("target-environment-suggestion").map((c) => c.dataset.value)).toEqual(["staging", "production"]);
    await user.click(production as HTMLElement);
    expect(input("target-environment-input").value).toBe("production");

    await user.click(screen.getByTestId("target-add-confirm"));
    expect(await screen.findByTestId("notice")).toHaveTextContent("Added target arn-aws-eks-eu-west-1-123456789012-cluster-prod");
    expect(backend.argsOf("add_target")).toEqual([
      {
        name: "arn-aws-eks-eu-west-1-123456789012-cluster-prod",
        context: EKS,
        kubeconfig: null,
        namespace: "ci",
        environment: "production",
      },
    ]);
    await waitFor(() => expect(screen.queryByTestId("target-add-dialog")).not.toBeInTheDocument());
    await waitFor(() => expect(screen.getAllByTestId("target-row")).toHaveLength(4));
    const added = row("arn-aws-eks-eu-west-1-123456789012-cluster-prod");
    expect(within(added).getByTestId("target-context")).toHaveTextContent(EKS);
    expect(within(added).getByTestId("target-namespace")).toHaveTextContent("ci");
    expect(within(added).getByTestId("target-status")).toHaveAttribute("data-state", "unchecked");
  });

  it("keeps a name typed, and proposes one not taken yet", async () => {
    const { user } = setup([target({ name: "kind-kind", context: "kind-kind" })]);
    await screen.findAllByTestId("target-row");
    await user.click(screen.getByTestId("target-add"));
    await waitFor(() => expect(screen.getAllByTestId("target-context-option")).toHaveLength(3));
    await user.click(option("kind-kind"));
    expect(input("target-name-input").value).toBe("kind-kind-2");

    await user.clear(input("target-name-input"));
    await user.type(input("target-name-input"), "local");
    await user.click(option("prod-admin"));
    expect(input("target-name-input").value).toBe("local");
  });

  it("loads the contexts of another kubeconfig, and says in the dialog when a path is refused", async () => {
    const { user, backend } = setup([]);
    await screen.findByTestId("targets-empty");
    await user.click(screen.getByTestId("target-add"));
    await waitFor(() => expect(screen.getAllByTestId("target-context-option")).toHaveLength(3));

    await user.type(input("target-kubeconfig-input"), "kube/gke.yaml");
    // The contexts listed were the default kubeconfig's: gone until this file's are loaded.
    expect(screen.queryByTestId("target-context-option")).not.toBeInTheDocument();
    await user.click(screen.getByTestId("target-contexts-load"));
    const error = await screen.findByTestId("target-error");
    expect(error).toHaveAttribute("data-code", "invalid_input");
    expect(error).toHaveTextContent("`kube/gke.yaml` is not an absolute path");
    expect(within(screen.getByTestId("target-add-dialog")).getByTestId("target-error")).toBe(error);

    await user.clear(input("target-kubeconfig-input"));
    // Enter in the path loads its contexts (it does not add).
    await user.type(input("target-kubeconfig-input"), "/home/dev/.kube/gke.yaml{Enter}");
    await waitFor(() => expect(screen.getAllByTestId("target-context-option")).toHaveLength(2));
    expect(screen.queryByTestId("target-error")).not.toBeInTheDocument();
    expect(backend.argsOf("kube_contexts")).toEqual([
      { kubeconfig: null },
      { kubeconfig: "kube/gke.yaml" },
      { kubeconfig: "/home/dev/.kube/gke.yaml" },
    ]);
    expect(backend.argsOf("add_target")).toEqual([]);

    await user.click(option("gke_acme_europe-west1_Prod-EU"));
    expect(input("target-name-input").value).toBe("gke_acme_europe-west1_prod-eu");
    await user.click(screen.getByTestId("target-add-confirm"));
    await waitFor(() => expect(screen.queryByTestId("target-add-dialog")).not.toBeInTheDocument());
    expect(backend.argsOf("add_target")).toEqual([
      {
        name: "gke_acme_europe-west1_prod-eu",
        context: "gke_acme_europe-west1_Prod-EU",
        kubeconfig: "/home/dev/.kube/gke.yaml",
        namespace: null,
        environment: null,
      },
    ]);
    expect(within(await screen.findByTestId("target-row")).getByTestId("target-kubeconfig")).toHaveTextContent(
      "/home/dev/.kube/gke.yaml",
    );
  });

  it("says so in the dialog when there is no default kubeconfig", async () => {
    const fake = fakeTargets([], {});
    mockBackend(fake.handlers);
    const { user } = renderApp("/targets");
    await user.click(await screen.findByTestId("target-add"));
    const error = await screen.findByTestId("target-error");
    expect(error).toHaveTextContent("cannot read the kubeconfig (KUBECONFIG or ~/.kube/config)");
    expect(error).toHaveTextContent("The contexts could not be loaded");
    expect(screen.getByTestId("target-add-confirm")).toBeDisabled();
  });

  it("shows the shell's refusal in the dialog, in view, and stays open", async () => {
    const { user, backend } = setup();
    await screen.findAllByTestId("target-row");
    await user.click(screen.getByTestId("target-add"));
    await waitFor(() => expect(screen.getAllByTestId("target-context-option")).toHaveLength(3));
    await user.click(option("kind-kind"));
    await user.clear(input("target-name-input"));
    await user.type(input("target-name-input"), "kind cluster!");
    await user.click(screen.getByTestId("target-add-confirm"));

    const error = await screen.findByTestId("target-error");
    expect(error).toHaveAttribute("data-code", "invalid_input");
    expect(error).toHaveTextContent("`kind cluster!` is not a target name");
    expect(error).toHaveTextContent("The target could not be added");
    const dialog = screen.getByTestId("target-add-dialog");
    expect(within(dialog).getByTestId("target-error")).toBe(error);
    // Beside the buttons, outside the part of the dialog that scrolls.
    expect(error.closest(".MuiDialogContent-root")).toBeNull();
    expect(error).toHaveFocus();
    expect(backend.argsOf("add_target")).toHaveLength(1);
    expect(screen.getAllByTestId("target-row")).toHaveLength(3);
    expect(screen.queryByTestId("notice")).not.toBeInTheDocument();

    // Fixed and sent again: added.
    await user.clear(input("target-name-input"));
    await user.type(input("target-name-input"), "kind-cluster");
    await user.click(screen.getByTestId("target-add-confirm"));
    await waitFor(() => expect(screen.queryByTestId("target-add-dialog")).not.toBeInTheDocument());
    await waitFor(() => expect(row("kind-cluster")).toBeInTheDocument());
  });

  it("removes a target only after asking, saying what stops working and that the cluster is not touched", async () => {
    const { user, backend } = setup();
    await screen.findAllByTestId("target-row");
    await user.click(within(row("prod")).getByTestId("target-remove"));
    const dialog = await screen.findByTestId("target-remove-dialog");
    expect(dialog).toHaveTextContent("Remove target prod?");
    expect(dialog).toHaveTextContent("Runs and deployments that name it will fail until it is added again");
    expect(dialog).toHaveTextContent("Nothing in the cluster is touched");
    expect(backend.argsOf("remove_target")).toEqual([]);

    await user.click(screen.getByTestId("target-remove-cancel"));
    await waitFor(() => expect(screen.queryByTestId("target-remove-dialog")).not.toBeInTheDocument());
    expect(backend.argsOf("remove_target")).toEqual([]);
    expect(row("prod")).toBeInTheDocument();

    await user.click(within(row("prod")).getByTestId("target-remove"));
    await screen.findByTestId("target-remove-dialog");
    await user.click(screen.getByTestId("target-remove-confirm"));
    expect(await screen.findByTestId("notice")).toHaveTextContent("Removed target prod");
    expect(backend.argsOf("remove_target")).toEqual([{ name: "prod" }]);
    await waitFor(() => expect(screen.getAllByTestId("target-row").map((r) => r.dataset.name)).toEqual(["staging", "kind"]));
  });

  it("explains targets when there is none, and offers to add one", async () => {
    const { user } = setup([]);
    const empty = await screen.findByTestId("targets-empty");
    expect(empty).toHaveTextContent("A target is a named cluster");
    expect(empty).toHaveTextContent("runner: kubernetes:<name>");
    expect(empty).toHaveTextContent("targets");
    expect(empty).toHaveTextContent("namespace");
    expect(screen.queryByTestId("target-row")).not.toBeInTheDocument();
    expect(screen.queryByTestId("target-check-all")).not.toBeInTheDocument();
    await user.click(within(empty).getByTestId("targets-empty-add"));
    expect(await screen.findByTestId("target-add-dialog")).toBeInTheDocument();
  });

  it("is in the navigation, the command palette and behind g t", async () => {
    mockBackend();
    const { user } = renderApp("/");
    await screen.findByText("Overview", { selector: "h1" });
    await user.keyboard("gt");
    expect(currentPath()).toBe("/targets");
    expect(await screen.findByTestId("targets-empty")).toBeInTheDocument();
    expect(screen.getByTestId("targets-view")).toBeInTheDocument();
    expect(screen.getByTestId("nav-targets")).toHaveAttribute("aria-current", "page");
    expect(screen.getByTestId("nav-targets")).toHaveTextContent("Targets");
    await user.keyboard("?");
    expect(await screen.findByTestId("shortcuts-dialog")).toHaveTextContent("Go to Targets");
    await user.keyboard("{Escape}");
    await waitFor(() => expect(screen.queryByTestId("shortcuts-dialog")).not.toBeInTheDocument());

    await user.click(screen.getByTestId("nav-overview"));
    await user.keyboard("{Control>}k{/Control}");
    await user.type(await screen.findByTestId("command-palette-input"), "kubeconfig");
    expect(screen.getAllByTestId("command-palette-item").map((i) => i.dataset.id)).toEqual(["go-targets"]);
    await user.keyboard("{Enter}");
    await waitFor(() => expect(currentPath()).toBe("/targets"));
  });
});
