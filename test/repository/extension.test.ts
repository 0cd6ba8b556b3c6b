import { describe, expect, it } from "vitest";
import { extensionOf } from "../../src/repository/extension.js";

describe("extensionOf", () => {
  it("is what follows the last dot of the file name, lower-case", () => {
    expect(extensionOf("src/App.TSX")).toBe("tsx");
    expect(extensionOf("archive.tar.gz")).toBe("gz");
    expect(extensionOf("a.b/Makefile")).toBe("");
    expect(extensionOf("notes.")).toBe("");
  });

  it("gives a dotfile no extension, unless its name is to count as one", () => {
    expect(extensionOf(".gitignore")).toBe("");
    expect(extensionOf("config/.env")).toBe("");
    expect(extensionOf("config/.env", { dotfile: "name" })).toBe("env");
    expect(extensionOf(".eslintrc.json", { dotfile: "name" })).toBe("json");
    expect(extensionOf("src/app.ts", { dotfile: "name" })).toBe("ts");
    expect(extensionOf("Makefile", { dotfile: "name" })).toBe("");
  });
});
