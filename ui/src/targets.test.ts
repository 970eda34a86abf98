import { describe, expect, it } from "vitest";

import { checkStateOf, problemsLabel, TARGET_NAME_MAX, targetNameFor, verbsByResource } from "./targets";
import { targetCheck } from "./test/fixtures";

/** What the shell accepts as a target name (`valid_target_name`): the names proposed must pass it. */
const VALID = /^[A-Za-z0-9._-]{1,63}$/;

describe("targetNameFor", () => {
  it("keeps a context name that is already a lowercase target name", () => {
    expect(targetNameFor("kind-kind")).toBe("kind-kind");
    expect(targetNameFor("gke_acme_europe-west1_prod")).toBe("gke_acme_europe-west1_prod");
    expect(targetNameFor("minikube")).toBe("minikube");
  });

  it("lowercases, and turns each run of other characters into one -", () => {
    expect(targetNameFor("arn:aws:eks:eu-west-1:123456789012:cluster/Prod")).toBe("arn-aws-eks-eu-west-1-123456789012-cluster-prod");
    expect(targetNameFor("admin@Prod Cluster")).toBe("admin-prod-cluster");
    expect(targetNameFor("team a // staging")).toBe("team-a-staging");
    expect(targetNameFor("préprod")).toBe("pr-prod");
  });

  it("trims separators at either end, and gives up on a name with nothing usable", () => {
    expect(targetNameFor("@@prod@@")).toBe("prod");
    expect(targetNameFor("-.prod._")).toBe("prod");
    expect(targetNameFor("@@@")).toBe("");
    expect(targetNameFor("")).toBe("");
  });

  it("keeps at most 63 characters, without ending on a separator", () => {
    const long = `${"a".repeat(62)}-bcd`;
    expect(targetNameFor(long)).toBe("a".repeat(62));
    const name = targetNameFor("arn:aws:eks:eu-west-1:123456789012:cluster/a-very-long-production-cluster-name");
    expect(name.length).toBeLessThanOrEqual(TARGET_NAME_MAX);
    expect(name).toMatch(VALID);
    expect(name).not.toMatch(/[-_.]$/);
  });

  it("adds -2, -3... to a name taken, still within 63 characters", () => {
    expect(targetNameFor("kind-kind", ["kind-kind"])).toBe("kind-kind-2");
    expect(targetNameFor("kind-kind", ["kind-kind", "kind-kind-2"])).toBe("kind-kind-3");
    expect(targetNameFor("kind-kind", ["prod"])).toBe("kind-kind");
    const long = "c".repeat(70);
    const taken = targetNameFor(long);
    expect(taken).toBe("c".repeat(63));
    const next = targetNameFor(long, [taken]);
    expect(next).toBe(`${"c".repeat(61)}-2`);
    expect(next).toMatch(VALID);
  });
});

describe("a check as the view shows it", () => {
  it("is checking while a check runs, else unchecked, ok or problems", () => {
    expect(checkStateOf(undefined, false)).toBe("unchecked");
    expect(checkStateOf(undefined, true)).toBe("checking");
    expect(checkStateOf(targetCheck(), true)).toBe("checking");
    expect(checkStateOf(targetCheck(), false)).toBe("ok");
    expect(checkStateOf(targetCheck({}, ["create pods"]), false)).toBe("problems");
  });

  it("counts the problems, and at least one for a failed check", () => {
    expect(problemsLabel(targetCheck({ ok: false, problems: ["a", "b"] }))).toBe("2 problems");
    expect(problemsLabel(targetCheck({ ok: false, problems: ["a"] }))).toBe("1 problem");
    expect(problemsLabel(targetCheck({ ok: false, problems: [] }))).toBe("1 problem");
  });

  it("groups the verbs by resource, in check order", () => {
    const groups = verbsByResource([
      ["create pods", true],
      ["get pods", true],
      ["create pods/exec", false],
      ["delete pods", true],
      ["list events", true],
    ]);
    expect(groups.map((g) => [g.resource, g.verbs.map((v) => `${v.verb}:${v.allowed}`)])).toEqual([
      ["pods", ["create:true", "get:true", "delete:true"]],
      ["pods/exec", ["create:false"]],
      ["events", ["list:true"]],
    ]);
    expect(groups[1].verbs[0].key).toBe("create pods/exec");
  });
});
