import { describe, expect, it } from "vitest";

import { envSecret, secret } from "./test/fixtures";
import { secretNameProblem, secretNotes, secretValueProblem, sortSecrets } from "./secrets";

describe("secret names", () => {
  it("accepts what an environment variable may be called, as the shell does", () => {
    for (const ok of ["API_TOKEN", "_x", "a1", "A".repeat(128)]) expect(secretNameProblem(ok)).toBeNull();
    expect(secretNameProblem("")).toMatch(/Enter a name/);
    expect(secretNameProblem("9LIVES")).toMatch(/cannot start with a digit/);
    expect(secretNameProblem("A-B")).toMatch(/“-” is not allowed/);
    expect(secretNameProblem("ÄPI")).toMatch(/“Ä” is not allowed/);
    expect(secretNameProblem("A".repeat(129))).toMatch(/At most 128 characters/);
  });

  it("accepts any non-empty value up to 64 KiB", () => {
    expect(secretValueProblem("")).toMatch(/Enter the value/);
    expect(secretValueProblem(" ")).toBeNull();
    expect(secretValueProblem("x".repeat(64 * 1024))).toBeNull();
    expect(secretValueProblem("é".repeat(32 * 1024 + 1))).toMatch(/at most 64 KiB/);
  });
});

describe("which secret wins", () => {
  const all = sortSecrets([
    secret({ name: "T", scope: "project", project: "web" }),
    envSecret("T"),
    secret({ name: "T" }),
    secret({ name: "T", scope: "project", project: "api" }),
  ]);

  it("orders by name, then global, projects, environment", () => {
    expect(all.map((s) => `${s.scope}:${s.project ?? ""}`)).toEqual(["global:", "project:api", "project:web", "environment:"]);
  });

  it("notes the projects that shadow a global secret and the variable that overrides them all", () => {
    expect(secretNotes(all[0], all).map((n) => n.text)).toEqual([
      "shadowed in projects api, web",
      "the environment variable wins",
    ]);
    expect(secretNotes(all[1], all).map((n) => n.kind)).toEqual(["environment"]);
    expect(secretNotes(all[3], all)).toEqual([]);
  });
});
